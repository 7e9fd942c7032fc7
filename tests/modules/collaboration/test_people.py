"""Putting members in touch: suggestions, hidden suggestions, blocks, introductions, skill search."""

import re

import pytest
from sqlalchemy import event, func, select

from community.database import QueryCounter
from community.extensions import db
from community.members.service import follow, set_tags
from community.models import Follow, Member, Notification
from community.registry import registry
from community.timeutil import utcnow
from modules.collaboration import people_service as service
from modules.collaboration.models import (
    CollaborationBlock,
    CollaborationGroup,
    CollaborationHiddenSuggestion,
    CollaborationIntroduction,
    CollaborationMembership,
    CollaborationOpinionQuestion,
    CollaborationStatement,
    CollaborationVote,
)

pytestmark = pytest.mark.usefixtures("english")  # messages read outside a request: English


def text(response) -> str:
    """A page's text without its tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


@pytest.fixture
def person(make_member):
    """person(handle, interests=…, skills=…, **profile) -> a listed member with tags."""

    def make(handle, interests=(), skills=(), **fields):
        fields.setdefault("in_directory", True)
        member = make_member(handle=handle, **fields)
        set_tags(member, "interest", list(interests))
        set_tags(member, "skill", list(skills))
        db.session.commit()
        return member

    return make


@pytest.fixture
def me(person):
    return person("moi", interests=("climat", "transports", "logement"), skills=("graphisme",),
                  commune="Lyon", postal_code="69003")


def _suggested(member, limit=10):
    return [s.member.handle for s in service.suggestions(member, limit=limit)]


def _introductions():
    return db.session.scalar(select(func.count()).select_from(CollaborationIntroduction))


def _kinds(member):
    return sorted(db.session.scalars(select(Notification.kind).where(Notification.member_id == member.id)))


# --- suggestions ---------------------------------------------------------------------------

def test_suggestions_are_ranked_with_their_reasons(me, person):
    person("ana", interests=("climat", "transports", "logement", "sport"), commune="Lyon", postal_code="69007")
    person("bruno", interests=("climat",), commune="Villeurbanne", postal_code="69100")
    person("chloe", skills=("graphisme",), commune="Nantes", postal_code="44000")
    person("david", interests=("sport",), commune="Brest", postal_code="29200")
    found = service.suggestions(me)
    assert [s.member.handle for s in found] == ["ana", "bruno", "chloe"]
    assert [s.reason_text for s in found] == [
        "3 shared interests: climat, logement, transports · same commune",
        "1 shared interest: climat · same area (69)",
        "1 shared skill: graphisme",
    ]


def test_groups_votes_and_contacts_count(me, person, make_member):
    ana = person("ana", commune="Nantes")
    bruno = person("bruno", commune="Nantes")
    group = CollaborationGroup(slug="velo", name="Vélo Lyon")
    archived = CollaborationGroup(slug="vieux", name="Ancien groupe", archived_at=utcnow())
    db.session.add_all([group, archived])
    db.session.flush()
    db.session.add_all([CollaborationMembership(group_id=group.id, member_id=me.id),
                        CollaborationMembership(group_id=group.id, member_id=ana.id),
                        CollaborationMembership(group_id=archived.id, member_id=me.id),
                        CollaborationMembership(group_id=archived.id, member_id=bruno.id)])
    question = CollaborationOpinionQuestion(title="Priorités")
    db.session.add(question)
    db.session.flush()
    statements = [CollaborationStatement(question_id=question.id, text=f"Proposition {i}") for i in range(6)]
    db.session.add_all(statements)
    db.session.flush()
    for i, statement in enumerate(statements):
        db.session.add(CollaborationVote(statement_id=statement.id, member_id=me.id, value=1))
        db.session.add(CollaborationVote(statement_id=statement.id, member_id=bruno.id, value=1 if i else -1))
    db.session.commit()
    found = {s.member.handle: s.reason_text for s in service.suggestions(me)}
    # bruno: 5 of 6 agreed, and no reason from the archived group
    assert found == {"ana": "1 shared group: Vélo Lyon", "bruno": "similar views in the opinion maps"}
    # A contact in common: a listed member I follow who follows carla.
    carla = person("carla", commune="Brest")
    hub = person("hub", commune="Brest")
    follow(me, hub)
    follow(hub, carla)
    assert {s.member.handle: s.reason_text for s in service.suggestions(me)}["carla"] == "1 contact in common"
    hub.in_directory = False  # an unlisted member's follows are private: no contact in common through them
    db.session.commit()
    assert "carla" not in _suggested(me)


def test_opinions_can_lift_a_candidate_to_the_top(me, person):
    """Votes are compared only with candidates who could still make the list; one who shares
    nothing else but agrees fully must still come first when that beats the rest."""
    person("ana", commune="Lyon", postal_code="69001")  # same commune: 3 points
    bruno = person("bruno", commune="Brest", postal_code="29200")
    question = CollaborationOpinionQuestion(title="Priorités")
    db.session.add(question)
    db.session.flush()
    for i in range(5):
        statement = CollaborationStatement(question_id=question.id, text=f"Proposition {i}")
        db.session.add(statement)
        db.session.flush()
        db.session.add_all([CollaborationVote(statement_id=statement.id, member_id=me.id, value=-1),
                            CollaborationVote(statement_id=statement.id, member_id=bruno.id, value=-1)])
    db.session.commit()
    assert _suggested(me, limit=1) == ["bruno"]  # 4 points of full agreement beat the commune
    assert _suggested(me, limit=2) == ["bruno", "ana"]


def test_who_is_never_suggested(me, person, make_member):
    alike = {"interests": ("climat", "transports"), "commune": "Lyon", "postal_code": "69003"}
    person("listed", **alike)
    person("unlisted", in_directory=False, **alike)
    followed = person("followed", **alike)
    blocker = person("blocker", **alike)
    blocked = person("blocked", **alike)
    hidden = person("hidden", **alike)
    person("suspended", suspended_at=utcnow(), **alike)
    person("erased", erased_at=utcnow(), **alike)
    follow(me, followed)
    db.session.add_all([CollaborationBlock(member_id=blocker.id, blocked_id=me.id),
                        CollaborationBlock(member_id=me.id, blocked_id=blocked.id),
                        CollaborationHiddenSuggestion(member_id=me.id, hidden_id=hidden.id)])
    db.session.commit()
    assert _suggested(me) == ["listed"]
    # and the opted-out member, the blocker and the blocked are not suggested to… nor get me
    assert "moi" not in _suggested(blocker) and "moi" not in _suggested(blocked)


def test_suggestions_read_a_bounded_number_of_rows(app, me, person):
    """Candidates come through limited index queries: the statement count does not depend on the
    membership, and the candidate set stays under its cap."""
    for i in range(12):
        person(f"p{i}", interests=("climat",), commune="Lyon", postal_code="69003")
    with QueryCounter(db.engine) as small:
        service.suggestions(me)
    for i in range(12, 60):
        person(f"p{i}", interests=("climat", "logement"), commune="Lyon", postal_code="69003")
    with QueryCounter(db.engine) as large:
        found = service.suggestions(me)
    assert small.count == large.count
    assert len(found) == service.SUGGESTIONS
    profile, _names = service.own_profile(me)
    assert len(service.candidates(profile)) <= service.CANDIDATE_CAP
    # and every candidate query carries a LIMIT
    union = [q for q in large.statements if "UNION ALL" in q]
    assert len(union) == 1 and union[0].count("LIMIT") > union[0].count("UNION ALL") >= 4


def test_no_suggestion_for_an_empty_profile(person):
    lonely = person("lonely")
    person("other", interests=("climat",))
    assert service.suggestions(lonely) == []


# --- pages: suggestions, hide, block -------------------------------------------------------

def test_people_page_shows_suggestions_and_hides_one(me, person, visit):
    person("ana", interests=("climat",), commune="Lyon", postal_code="69007")
    client = visit(me)
    page = client.get("/collaboration/people").get_data(as_text=True)
    assert "People to meet" in page and "Ana" in page and "1 shared interest: climat · same commune" in page
    response = client.post("/collaboration/people/ana/hide", data={"next": "/collaboration/people"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/collaboration/people")
    assert "1 shared interest" not in client.get("/collaboration/people").get_data(as_text=True)
    assert db.session.get(CollaborationHiddenSuggestion, (me.id, db.session.scalar(
        select(Member.id).where(Member.handle == "ana")))) is not None
    hidden_page = client.get("/collaboration/people/hidden").get_data(as_text=True)
    assert "Ana" in hidden_page and "Suggest again" in hidden_page
    client.post("/collaboration/people/ana/unhide")
    assert "1 shared interest: climat" in client.get("/collaboration/people").get_data(as_text=True)


def test_hiding_twice_or_oneself_changes_nothing(me, person, visit):
    person("ana", interests=("climat",))
    client = visit(me)
    client.post("/collaboration/people/ana/hide")
    assert client.post("/collaboration/people/ana/hide").status_code == 302
    assert client.post("/collaboration/people/moi/hide").status_code == 302
    assert client.post("/collaboration/people/nobody/hide").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(CollaborationHiddenSuggestion)) == 1
    # a next pointing elsewhere is ignored (no open redirect)
    response = client.post("/collaboration/people/ana/unhide", data={"next": "https://evil.example/"})
    assert response.headers["Location"].endswith("/collaboration/people/hidden")


def test_blocking_from_the_people_pages(me, person, visit):
    ana = person("ana", interests=("climat",), skills=("graphisme",), commune="Lyon", postal_code="69003")
    client = visit(me)
    client.post("/collaboration/people/ana/block")
    assert db.session.get(CollaborationBlock, (me.id, ana.id)) is not None
    assert "ana" not in _suggested(me) and "moi" not in _suggested(ana)
    assert "@ana" not in client.get("/collaboration/people/search?skill=graphisme").get_data(as_text=True)
    assert "@moi" not in visit(ana).get("/collaboration/people/search?skill=graphisme").get_data(as_text=True)
    page = client.get("/collaboration/people/hidden").get_data(as_text=True)
    assert "Blocked members" in page and "Ana" in page
    # blocking twice, or oneself, changes nothing and never fails
    assert client.post("/collaboration/people/ana/block").status_code == 302
    assert "You cannot block yourself" in client.post("/collaboration/people/moi/block",
                                                      follow_redirects=True).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CollaborationBlock)) == 1
    client.post("/collaboration/people/ana/unblock")
    assert db.session.get(CollaborationBlock, (me.id, ana.id)) is None
    assert "ana" in _suggested(me)


def test_blocking_closes_pending_introductions(me, person):
    ana = person("ana")
    service.request_introduction(ana, me, "Bonjour")
    service.block(me, ana)
    assert db.session.scalar(select(CollaborationIntroduction.status)) == "declined"
    assert _kinds(ana) == []  # the blocked member is not told


# --- introductions -------------------------------------------------------------------------

def test_introduction_request_notifies_and_lists(me, person, visit):
    ana = person("ana", interests=("climat",))
    client = visit(me)
    form = client.get("/collaboration/people/ana/introduce")
    assert form.status_code == 200 and "Send the request" in form.get_data(as_text=True)
    response = client.post("/collaboration/people/ana/introduce", data={"message": "  On tracte ensemble ?  "})
    assert response.status_code == 302 and response.headers["Location"].endswith("/collaboration/people/introductions")
    introduction = db.session.scalar(select(CollaborationIntroduction))
    assert (introduction.from_id, introduction.to_id, introduction.status) == (me.id, ana.id, "pending")
    assert introduction.message == "On tracte ensemble ?"
    assert _kinds(ana) == ["collaboration.introduction_requested"]
    sent = client.get("/collaboration/people/introductions").get_data(as_text=True)
    assert "Ana" in sent and "waiting for an answer" in sent
    # the suggestions page says the request is sent
    assert "Introduction requested" in client.get("/collaboration/people").get_data(as_text=True)
    ana_client = visit(ana)
    received = text(ana_client.get("/collaboration/people/introductions"))
    assert "Moi asks to be put in touch with you." in received and "On tracte ensemble ?" in received
    assert "Moi asks to be put in touch with you" in text(ana_client.get("/notifications"))


@pytest.mark.parametrize("case, message", [
    ("self", "You cannot ask to be put in touch with yourself."),
    ("blocker", "You cannot ask to be put in touch with this member."),
    ("blocked", "You blocked Ana: unblock them first to ask for an introduction."),
    ("unlisted", "You cannot ask to be put in touch with this member."),
    ("suspended", "You cannot ask to be put in touch with this member."),
    ("duplicate", "You already asked to be put in touch with Ana: wait for their answer."),
    ("reverse", "Ana already asked to be put in touch with you: answer their request in your introductions."),
    ("in_touch", "You are already in touch with Ana."),
    ("declined", "Ana declined your last request: you can ask again 30 days after it."),
])
def test_refused_introductions_say_why_and_create_nothing(case, message, me, person, visit):
    ana = person("ana", in_directory=case != "unlisted", suspended_at=utcnow() if case == "suspended" else None)
    if case == "blocker":
        db.session.add(CollaborationBlock(member_id=ana.id, blocked_id=me.id))
    elif case == "blocked":
        db.session.add(CollaborationBlock(member_id=me.id, blocked_id=ana.id))
    elif case in ("duplicate", "declined"):
        db.session.add(CollaborationIntroduction(from_id=me.id, to_id=ana.id, message="Premier"))
    elif case == "reverse":
        db.session.add(CollaborationIntroduction(from_id=ana.id, to_id=me.id))
    elif case == "in_touch":
        db.session.add_all([Follow(follower_id=me.id, followed_id=ana.id),
                            Follow(follower_id=ana.id, followed_id=me.id)])
    db.session.commit()
    if case == "declined":
        service.decline(db.session.scalar(select(CollaborationIntroduction)), ana)
    before = _introductions()
    statuses = list(db.session.scalars(select(CollaborationIntroduction.status)))
    client = visit(me)
    handle = "moi" if case == "self" else "ana"
    page = client.get(f"/collaboration/people/{handle}/introduce")
    assert page.status_code == 200 and message in page.get_data(as_text=True)
    assert "Send the request" not in page.get_data(as_text=True)
    response = client.post(f"/collaboration/people/{handle}/introduce", data={"message": "Bonjour"})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _introductions() == before
    assert list(db.session.scalars(select(CollaborationIntroduction.status))) == statuses


def test_an_unlisted_member_who_follows_you_may_be_asked(me, person, visit):
    ana = person("ana", in_directory=False)
    follow(ana, me)
    response = visit(me).post("/collaboration/people/ana/introduce", data={"message": ""})
    assert response.status_code == 302 and _introductions() == 1


def test_too_long_message_and_unknown_member(me, person, visit):
    person("ana")
    client = visit(me)
    response = client.post("/collaboration/people/ana/introduce", data={"message": "x" * 501})
    assert response.status_code == 422
    assert "Your message is too long: at most 500 characters." in response.get_data(as_text=True)
    assert "x" * 501 in response.get_data(as_text=True)  # what was typed stays in the form
    assert _introductions() == 0
    assert client.post("/collaboration/people/ana/introduce", data={"message": "x" * 500}).status_code == 302
    assert client.get("/collaboration/people/nobody/introduce").status_code == 404
    assert client.post("/collaboration/people/nobody/introduce", data={"message": "x"}).status_code == 404
    with pytest.raises(service.IntroductionError):
        service.request_introduction(me, me, "x" * 501)


def test_accepting_makes_a_mutual_connection_and_notifies_both(me, person, visit):
    ana = person("ana")
    introduction = service.request_introduction(me, ana, "Bonjour")
    ana_client = visit(ana)
    response = ana_client.post(f"/collaboration/people/introductions/{introduction.id}/accept", follow_redirects=True)
    assert response.status_code == 200
    assert "You are now in touch with Moi: you follow each other." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CollaborationIntroduction, introduction.id).status == "accepted"
    assert db.session.get(Follow, (me.id, ana.id)) and db.session.get(Follow, (ana.id, me.id))
    assert _kinds(me) == ["collaboration.introduction_accepted", "core.follow"]
    assert _kinds(ana) == ["collaboration.introduction_accepted", "collaboration.introduction_requested",
                           "core.follow"]
    assert "You and Ana are now in touch" in text(visit(me).get("/notifications"))
    assert "You and Moi are now in touch" in text(ana_client.get("/notifications"))
    # answering again: a clear message, nothing changes
    again = ana_client.post(f"/collaboration/people/introductions/{introduction.id}/decline", follow_redirects=True)
    assert again.status_code == 200 and "This request was already answered." in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CollaborationIntroduction, introduction.id).status == "accepted"
    # they are in touch: no more suggestion between them
    assert "ana" not in _suggested(me)


def test_accepting_when_already_following(me, person):
    ana = person("ana")
    follow(me, ana)
    introduction = service.request_introduction(me, ana)
    service.accept(introduction, ana)
    assert db.session.get(Follow, (ana.id, me.id)) is not None
    assert db.session.get(CollaborationIntroduction, introduction.id).status == "accepted"


def test_declining_tells_the_sender(me, person, visit):
    ana = person("ana")
    introduction = service.request_introduction(me, ana, "Bonjour")
    response = visit(ana).post(f"/collaboration/people/introductions/{introduction.id}/decline")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CollaborationIntroduction, introduction.id).status == "declined"
    assert db.session.get(Follow, (ana.id, me.id)) is None
    assert _kinds(me) == ["collaboration.introduction_declined"]
    assert "declined" in visit(me).get("/collaboration/people/introductions").get_data(as_text=True)


def test_only_the_recipient_answers(me, person, visit):
    ana = person("ana")
    intruder = person("intrus")
    introduction = service.request_introduction(me, ana)
    for member in (me, intruder):
        client = visit(member)
        assert client.post(f"/collaboration/people/introductions/{introduction.id}/accept").status_code == 404
        assert client.post(f"/collaboration/people/introductions/{introduction.id}/decline").status_code == 404
    assert visit(ana).post("/collaboration/people/introductions/999/accept").status_code == 404
    db.session.expire_all()
    assert db.session.get(CollaborationIntroduction, introduction.id).status == "pending"


def test_accepting_a_blocked_or_gone_sender_is_refused(me, person, visit):
    ana = person("ana")
    introduction = service.request_introduction(me, ana)
    db.session.add(CollaborationBlock(member_id=ana.id, blocked_id=me.id))  # bypassing block(): stays pending
    db.session.commit()
    response = visit(ana).post(f"/collaboration/people/introductions/{introduction.id}/accept", follow_redirects=True)
    assert "You cannot accept a request from a member you blocked." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CollaborationIntroduction, introduction.id).status == "pending"
    assert db.session.get(Follow, (ana.id, me.id)) is None


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_ENABLED": True, "TERREAU_LIMIT_INTRODUCTION": "2 per day"}])
def test_introductions_are_rate_limited_per_member(me, person, visit):
    for handle in ("ana", "bruno", "chloe"):
        person(handle)
    client = visit(me)
    # a refused request does not use up the quota
    assert client.post("/collaboration/people/moi/introduce", data={"message": "x"}).status_code == 422
    assert client.post("/collaboration/people/ana/introduce", data={"message": "x"}).status_code == 302
    assert client.post("/collaboration/people/bruno/introduce", data={"message": "x"}).status_code == 302
    response = client.post("/collaboration/people/chloe/introduce", data={"message": "x"})
    assert response.status_code == 429
    assert _introductions() == 2
    assert client.get("/collaboration/people/chloe/introduce").status_code == 200  # the form still shows
    # another member, from the same address, has their own quota
    other = visit(person("david"))
    assert other.post("/collaboration/people/chloe/introduce", data={"message": "x"}).status_code == 302


# --- skill search --------------------------------------------------------------------------

def test_skill_search_with_directory_privacy(me, person, visit):
    person("ana", skills=("graphisme", "vidéo"), commune="Lyon", postal_code="69007")
    person("bruno", skills=("graphisme",), interests=("climat",), commune="Marseille", postal_code="13001")
    person("cache", skills=("graphisme",), in_directory=False)
    person("suspendu", skills=("graphisme",), suspended_at=utcnow())
    blocker = person("bloqueur", skills=("graphisme",))
    db.session.add(CollaborationBlock(member_id=blocker.id, blocked_id=me.id))
    db.session.commit()

    def handles(**args):
        return [m.handle for m in service.search_people(me, **args)]

    assert handles(skill="graphisme") == ["ana", "bruno"]  # not me either, though I have the skill
    assert handles(skill="GRAPH") == ["ana", "bruno"]  # start of a skill, any case
    assert handles(skill="graphisme", area="lyon") == ["ana"]
    assert handles(skill="graphisme", area="13") == ["bruno"]
    assert handles(skill="graphisme", interest="climat") == ["bruno"]
    assert handles(skill="%") == [] and handles() == []
    client = visit(me)
    page = client.get("/collaboration/people/search?skill=graphisme&area=69").get_data(as_text=True)
    assert "Ana" in page and "Bruno" not in page and "Ask to be put in touch" in page
    assert "Give a skill" in client.get("/collaboration/people/search").get_data(as_text=True)
    assert "No member matches" in client.get("/collaboration/people/search?skill=plomberie").get_data(as_text=True)
    long = client.get("/collaboration/people/search?skill=" + "x" * 5000)
    assert long.status_code == 200


def test_skill_search_pages_by_handle(me, person, visit, monkeypatch):
    for i in range(5):
        person(f"p{i}", skills=("tractage",))
    monkeypatch.setattr(service, "SEARCH_PAGE", 2)
    client = visit(me)
    first = client.get("/collaboration/people/search?skill=tractage").get_data(as_text=True)
    assert "@p0" in first and "@p1" in first and "@p2" not in first
    assert "after=p1" in first
    second = client.get("/collaboration/people/search?skill=tractage&after=p1").get_data(as_text=True)
    assert "@p2" in second and "@p3" in second and "@p1" not in second


# --- module wiring -------------------------------------------------------------------------

def test_home_widget_nav_and_pages_read_only(app, me, person, visit):
    for handle in ("ana", "bruno", "chloe", "david"):
        person(handle, interests=("climat",))
    introduction = service.request_introduction(person("emma"), me, "Salut")
    client = visit(me)
    writes = []

    def _record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", _record)
    try:
        home = client.get("/").get_data(as_text=True)
        pages = [client.get(path) for path in (
            "/collaboration/people", "/collaboration/people/search?skill=x&interest=climat&area=69",
            "/collaboration/people/introductions", "/collaboration/people/hidden",
            "/collaboration/people/ana/introduce")]
    finally:
        event.remove(db.engine, "before_cursor_execute", _record)
    assert writes == []
    assert all(p.status_code == 200 for p in pages)
    widget = home.split("widget--collaboration", 1)[1]
    assert "People to meet" in widget and widget.count("1 shared interest: climat") == 3
    assert 'data-endpoint="collaboration.people"' in home
    assert "1 member asks to be put in touch with you." in pages[0].get_data(as_text=True)
    assert str(introduction.id) in pages[2].get_data(as_text=True)


def test_pages_need_a_login_and_the_module(app, me, person, visit):
    person("ana")
    anonymous = app.test_client()
    assert anonymous.get("/collaboration/people").status_code == 302
    assert anonymous.post("/collaboration/people/ana/introduce", data={"message": "x"}).status_code == 302
    registry.set_enabled("collaboration", False)
    client = visit(me)
    assert client.get("/collaboration/people").status_code == 404
    assert client.post("/collaboration/people/ana/introduce", data={"message": "x"}).status_code == 404
    assert "People to meet" not in client.get("/").get_data(as_text=True)
    assert _introductions() == 0


def test_export_lists_the_members_own_acts(me, person):
    ana, bruno, chloe = person("ana"), person("bruno"), person("chloe")
    service.request_introduction(me, ana, "Bonjour Ana")
    received = service.request_introduction(bruno, me, "Message de Bruno")
    service.accept(received, me)
    service.hide_suggestion(me, chloe)
    service.block(me, bruno)
    data = service.export_data(me)
    assert [(i["to"], i["message"], i["status"]) for i in data["introductions_sent"]] == [
        ("ana", "Bonjour Ana", "pending")]
    assert [i["status"] for i in data["introductions_received"]] == ["accepted"]
    assert "Message de Bruno" not in str(data) and "bruno" not in str(data["introductions_received"])
    assert data["hidden_suggestions"] == ["chloe"] and data["blocked"] == ["bruno"]


def test_an_erased_member_is_forgotten(me, person):
    from community.privacy import erase_member

    ana, bruno = person("ana"), person("bruno")
    service.request_introduction(ana, me, "Message d'Ana")
    service.request_introduction(me, bruno)
    service.hide_suggestion(me, ana)
    service.block(ana, bruno)
    erase_member(ana)
    service.forget_member(ana.id)  # what the module's member_erased receiver calls
    db.session.commit()
    assert [(i.from_id, i.to_id) for i in db.session.scalars(select(CollaborationIntroduction))] == [
        (me.id, bruno.id)]
    assert db.session.scalar(select(func.count()).select_from(CollaborationHiddenSuggestion)) == 0
    assert db.session.scalar(select(func.count()).select_from(CollaborationBlock)) == 0


def test_demo_seeds_introductions(app):
    from community.demo import seed

    seed(members=60, seed=3)
    rows = list(db.session.scalars(select(CollaborationIntroduction)))
    assert {r.status for r in rows} >= {"pending", "accepted"}
    for row in rows:
        if row.status == "accepted":
            assert db.session.get(Follow, (row.from_id, row.to_id)) and db.session.get(Follow, (row.to_id, row.from_id))
        assert row.created_at <= (row.decided_at or row.created_at)
