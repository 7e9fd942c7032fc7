"""Opinion maps: questions, anonymous statements, votes, the map page, privacy, moderation, export, demo."""

import random

import pytest
from sqlalchemy import func, insert, select

from community.database import QueryCounter
from community.demo import DemoContext
from community.extensions import db
from community.models import Activity, Member, Notification
from community.moderation import service as moderation
from community.registry import registry
from community.timeutil import utcnow
from modules.collaboration import opinions_service as service
from modules.collaboration.models import (
    CollaborationGroup,
    CollaborationMembership,
    CollaborationOpinionQuestion,
    CollaborationStatement,
    CollaborationVote,
)

CAMP_TEXTS = (
    ("Fermer le centre aux voitures.", "Une piste cyclable sur chaque avenue.", "Taxer les SUV.", "Zéro parking."),
    ("Transports gratuits pour tous.", "Bus toutes les dix minutes.", "Des agents dans chaque gare.",
     "Un tarif social."),
    ("La voiture reste nécessaire.", "Moins de taxes sur le carburant.", "Rouvrir les petites lignes.",
     "Entretenir les routes."),
)
SHARED = ("Écouter les habitants avant de décider.", "Des gares accessibles à tous.")


@pytest.fixture(autouse=True)
def fresh_map_cache():
    service.clear_cache()
    yield
    service.clear_cache()


@pytest.fixture
def make_question(app):
    def make(author, title="Quelle priorité pour les transports ?", group_id=None):
        return service.create_question(author, title, "Votez sur les affirmations.", group_id)

    return make


@pytest.fixture
def make_statement(app):
    def make(question, author, text):
        return service.add_statement(question, author, text)

    return make


def bulk_members(prefix: str, count: int) -> list[int]:
    """Members who only vote (no password hashing: they never log in)."""
    now = utcnow()
    db.session.execute(insert(Member), [
        {"handle": f"{prefix}{i}", "display_name": f"{prefix.title()} {i}", "email": f"{prefix}{i}@example.org",
         "password_hash": "x", "role": "member", "joined_at": now, "bio": "", "commune": "", "postal_code": "",
         "in_directory": False} for i in range(count)])
    db.session.commit()
    return list(db.session.scalars(select(Member.id).where(Member.handle.like(f"{prefix}%")).order_by(Member.id)))


def make_group(*members, animator=None, name="Vélo Lyon") -> CollaborationGroup:
    group = CollaborationGroup(slug=name.lower().replace(" ", "-"), name=name)
    db.session.add(group)
    db.session.flush()
    if animator is not None:
        db.session.add(CollaborationMembership(group_id=group.id, member_id=animator.id, role="animator"))
    for member in members:
        db.session.add(CollaborationMembership(group_id=group.id, member_id=member.id))
    db.session.commit()
    return group


def camps_question(organiser, make_question, make_statement, per_camp=6):
    """A question with 3 camps' statements and 2 shared ones; ``per_camp`` voters per camp vote
    for their camp's statements, against the others', and for the shared ones."""
    question = make_question(organiser)
    camps = [[make_statement(question, organiser, t).id for t in texts] for texts in CAMP_TEXTS]
    shared = [make_statement(question, organiser, t).id for t in SHARED]
    rows = []
    for c in range(3):
        for member_id in bulk_members(f"camp{c}x", per_camp):
            for other, ids in enumerate(camps):
                rows += [{"statement_id": s, "member_id": member_id, "value": 1 if other == c else -1} for s in ids]
            rows += [{"statement_id": s, "member_id": member_id, "value": 1} for s in shared]
    db.session.execute(insert(CollaborationVote), rows)
    db.session.commit()
    return question, camps, shared


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- questions -----------------------------------------------------------------------------------


def test_organiser_asks_a_question_that_members_see(client, login, organiser, make_member):
    login(client, organiser)
    page = client.get("/collaboration/opinions/new")
    assert page.status_code == 200 and "The whole movement" in page.get_data(as_text=True)
    response = client.post("/collaboration/opinions/new", data={"title": "Que faire des transports ?",
                                                                 "description": "Dites-le.", "group": ""})
    assert response.status_code == 302
    question = db.session.scalar(select(CollaborationOpinionQuestion))
    assert question.title == "Que faire des transports ?" and question.group_id is None
    activity = db.session.scalar(select(Activity).where(Activity.verb == "collaboration.opinion_question"))
    assert activity.actor_id == organiser.id and activity.audience == "members"
    member = make_member()
    other = client.__class__(client.application, client.response_wrapper)
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(other, member)
    listing = other.get("/collaboration/opinions").get_data(as_text=True)
    assert "Que faire des transports ?" in listing and "Opinion maps" in listing
    assert "Ask a question" not in listing


def test_a_plain_member_may_not_ask_a_movement_question(client, login, make_member):
    login(client, make_member())
    assert client.get("/collaboration/opinions/new").status_code == 403
    assert client.post("/collaboration/opinions/new", data={"title": "Non", "group": ""}).status_code == 403
    assert count(CollaborationOpinionQuestion) == 0


@pytest.mark.parametrize("title", ["", "   ", "x" * 201])
def test_a_question_needs_a_short_title(client, login, organiser, title):
    login(client, organiser)
    response = client.post("/collaboration/opinions/new", data={"title": title, "group": ""})
    assert response.status_code == 422
    assert count(CollaborationOpinionQuestion) == 0


def test_a_group_question_is_for_the_group_only(client, app, login, make_member, make_statement):
    animator, member, outsider = make_member(handle="anim"), make_member(handle="inside"), make_member(handle="out")
    group = make_group(member, animator=animator)
    login(client, animator)
    page = client.get(f"/collaboration/opinions/new?group={group.id}").get_data(as_text=True)
    assert "Vélo Lyon" in page and "The whole movement" not in page  # animators are not organisers
    assert client.post("/collaboration/opinions/new", data={"title": "Nos pistes ?", "group": str(group.id)}
                       ).status_code == 302
    question = db.session.scalar(select(CollaborationOpinionQuestion))
    assert question.group_id == group.id
    assert db.session.scalar(select(Activity.audience).where(
        Activity.verb == "collaboration.opinion_question")) == f"collaboration:group:{group.id}"
    statement = make_statement(question, animator, "Une piste sur le quai.")
    client.post("/auth/logout")

    login(client, outsider)
    base = f"/collaboration/opinions/{question.id}"
    for url in (base, f"{base}/vote", f"{base}/vote?mode=list", f"{base}/map",
                f"/collaboration/opinions?group={group.id}"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{base}/statements", data={"text": "Intrus"}).status_code == 404
    assert client.post(f"{base}/statements/{statement.id}/vote", data={"value": "1"}).status_code == 404
    assert client.post(f"{base}/votes", data={f"vote-{statement.id}": "1"}).status_code == 404
    assert client.post(f"{base}/close").status_code == 404
    assert client.get(f"/moderation/report?type=collaboration.statement&id={statement.id}").status_code == 404
    assert "Nos pistes ?" not in client.get("/collaboration/opinions").get_data(as_text=True)
    assert count(CollaborationVote, CollaborationVote.member_id == outsider.id) == 0
    assert count(CollaborationStatement) == 1
    client.post("/auth/logout")

    login(client, member)
    for url in (base, f"{base}/vote", f"{base}/map", f"/collaboration/opinions?group={group.id}"):
        assert client.get(url).status_code == 200, url
    assert client.get(f"/moderation/report?type=collaboration.statement&id={statement.id}").status_code == 200
    assert client.post(f"{base}/statements/{statement.id}/vote", data={"value": "-1"}).status_code == 303
    assert count(CollaborationVote, CollaborationVote.member_id == member.id) == 1


def test_an_unknown_question_is_404(client, login, make_member):
    login(client, make_member())
    assert client.get("/collaboration/opinions/999").status_code == 404
    assert client.get("/collaboration/opinions?group=999").status_code == 404


# --- statements ----------------------------------------------------------------------------------


def test_a_statement_is_anonymous_and_counts_as_its_authors_agreement(client, login, organiser, make_member,
                                                                      make_question):
    question = make_question(organiser)
    author = make_member(handle="ecrivaine", display_name="Écrivaine Secrète")
    login(client, author)
    response = client.post(f"/collaboration/opinions/{question.id}/statements",
                           data={"text": "  Des bus   la nuit. "})
    assert response.status_code == 302
    statement = db.session.scalar(select(CollaborationStatement))
    assert statement.text == "Des bus la nuit." and statement.author_id == author.id
    assert db.session.get(CollaborationVote, (statement.id, author.id)).value == 1
    activity = db.session.scalar(select(Activity).where(Activity.verb == "collaboration.statement"))
    assert activity.actor_id is None and activity.object_id == str(statement.id)
    notified = db.session.scalars(select(Notification.member_id).where(Notification.activity_id == activity.id))
    assert list(notified) == [organiser.id]
    page = client.get(f"/collaboration/opinions/{question.id}").get_data(as_text=True)
    assert "Des bus la nuit." in page and "Your statement" in page and "your vote: agree" in page
    client.post("/auth/logout")
    login(client, make_member())
    page = client.get(f"/collaboration/opinions/{question.id}").get_data(as_text=True)
    assert "Des bus la nuit." in page and "Écrivaine" not in page and "ecrivaine" not in page


@pytest.mark.parametrize(("text", "message"), [("", "Write a statement first."), ("   ", "Write a statement first."),
                                               ("x" * 281, "at most 280 characters (this one has 281)")])
def test_an_empty_or_too_long_statement_is_refused(client, login, organiser, make_question, text, message):
    question = make_question(organiser)
    login(client, organiser)
    response = client.post(f"/collaboration/opinions/{question.id}/statements", data={"text": text})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(CollaborationStatement) == 0 and count(CollaborationVote) == 0


def test_a_statement_of_280_characters_is_taken(client, login, organiser, make_question):
    question = make_question(organiser)
    login(client, organiser)
    assert client.post(f"/collaboration/opinions/{question.id}/statements", data={"text": "é" * 280}).status_code == 302
    assert count(CollaborationStatement) == 1


def test_the_same_statement_twice_is_refused(client, login, organiser, make_question, make_statement):
    question = make_question(organiser)
    make_statement(question, organiser, "Plus de trains.")
    login(client, organiser)
    response = client.post(f"/collaboration/opinions/{question.id}/statements", data={"text": "plus  de TRAINS."})
    assert response.status_code == 422 and "already on the list" in response.get_data(as_text=True)
    assert count(CollaborationStatement) == 1


# --- votes -----------------------------------------------------------------------------------------


def test_voting_twice_changes_the_vote_instead_of_adding_one(client, login, organiser, make_member, make_question,
                                                             make_statement):
    question = make_question(organiser)
    statement = make_statement(question, organiser, "Plus de trains.")
    voter = make_member()
    login(client, voter)
    url = f"/collaboration/opinions/{question.id}/statements/{statement.id}/vote"
    response = client.post(url, data={"value": "1"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/opinions/{question.id}/vote")
    assert "Your vote is recorded." in client.get(response.headers["Location"]).get_data(as_text=True)
    response = client.post(url, data={"value": "-1", "next": f"/collaboration/opinions/{question.id}"})
    assert response.headers["Location"].endswith(f"/collaboration/opinions/{question.id}")
    assert "Your vote is changed." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert count(CollaborationVote, CollaborationVote.member_id == voter.id) == 1
    assert db.session.get(CollaborationVote, (statement.id, voter.id)).value == -1
    client.post(url, data={"value": "0", "next": "https://evil.example/"})  # no open redirect
    assert db.session.get(CollaborationVote, (statement.id, voter.id)).value == 0


@pytest.mark.parametrize("value", ["2", "-2", "", "yes", "1.0", None])
def test_a_vote_other_than_agree_disagree_pass_changes_nothing(client, login, organiser, make_member, make_question,
                                                                make_statement, value):
    question = make_question(organiser)
    statement = make_statement(question, organiser, "Plus de trains.")
    voter = make_member()
    login(client, voter)
    data = {} if value is None else {"value": value}
    response = client.post(f"/collaboration/opinions/{question.id}/statements/{statement.id}/vote", data=data)
    assert response.status_code == 303
    assert "Choose agree, disagree or pass." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert count(CollaborationVote, CollaborationVote.member_id == voter.id) == 0


def test_a_statement_of_another_question_or_unknown_is_404(client, login, organiser, make_member, make_question,
                                                          make_statement):
    first, second = make_question(organiser), make_question(organiser, "Autre question ?")
    statement = make_statement(second, organiser, "Ailleurs.")
    login(client, make_member())
    assert client.post(f"/collaboration/opinions/{first.id}/statements/{statement.id}/vote",
                       data={"value": "1"}).status_code == 404
    assert client.post(f"/collaboration/opinions/{first.id}/statements/9999/vote",
                       data={"value": "1"}).status_code == 404
    response = client.post(f"/collaboration/opinions/{first.id}/votes", data={f"vote-{statement.id}": "1"})
    assert response.status_code == 303
    assert count(CollaborationVote) == 1  # only the author's own vote


def test_the_vote_page_shows_one_statement_at_a_time(client, login, organiser, make_member, make_question,
                                                     make_statement):
    question = make_question(organiser)
    popular = make_statement(question, organiser, "Déjà votée par beaucoup.")
    fresh = make_statement(question, make_member(), "Toute nouvelle.")
    db.session.execute(insert(CollaborationVote), [{"statement_id": popular.id, "member_id": m, "value": 1}
                                                   for m in bulk_members("fan", 3)])
    db.session.commit()
    voter = make_member()
    login(client, voter)
    page = client.get(f"/collaboration/opinions/{question.id}/vote").get_data(as_text=True)
    assert "Toute nouvelle." in page and "Déjà votée" not in page  # fewest votes first
    assert "You voted on 0 of 2 statements." in page
    client.post(f"/collaboration/opinions/{question.id}/statements/{fresh.id}/vote", data={"value": "0"})
    page = client.get(f"/collaboration/opinions/{question.id}/vote").get_data(as_text=True)
    assert "Déjà votée par beaucoup." in page and "Toute nouvelle." not in page
    client.post(f"/collaboration/opinions/{question.id}/statements/{popular.id}/vote", data={"value": "1"})
    page = client.get(f"/collaboration/opinions/{question.id}/vote").get_data(as_text=True)
    assert "You have voted on every statement" in page


def test_the_list_form_records_several_votes(client, login, organiser, make_member, make_question, make_statement):
    question = make_question(organiser)
    a, b, c = (make_statement(question, organiser, t) for t in ("Un.", "Deux.", "Trois."))
    voter = make_member()
    login(client, voter)
    page = client.get(f"/collaboration/opinions/{question.id}/vote?mode=list").get_data(as_text=True)
    assert all(f'name="vote-{s.id}"' in page for s in (a, b, c))
    url = f"/collaboration/opinions/{question.id}/votes"
    response = client.post(url, data={f"vote-{a.id}": "9", f"vote-{b.id}": "1"})
    assert "Choose agree, disagree or pass." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert count(CollaborationVote, CollaborationVote.member_id == voter.id) == 0  # all or nothing
    response = client.post(url, data={})
    assert "at least one statement" in client.get(response.headers["Location"]).get_data(as_text=True)
    response = client.post(url, data={f"vote-{a.id}": "1", f"vote-{b.id}": "", f"vote-{c.id}": "-1"})
    assert "2 votes recorded." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert service.my_votes(question, voter) == {a.id: 1, c.id: -1}
    client.post(url, data={f"vote-{a.id}": "0"})
    assert service.my_votes(question, voter) == {a.id: 0, c.id: -1}
    page = client.get(f"/collaboration/opinions/{question.id}/vote?mode=list").get_data(as_text=True)
    assert f'name="vote-{b.id}"' in page and f'name="vote-{a.id}"' not in page


def test_a_closed_question_takes_no_statement_nor_vote(client, login, organiser, make_member, make_question,
                                                       make_statement):
    question = make_question(organiser)
    statement = make_statement(question, organiser, "Plus de trains.")
    member = make_member()
    login(client, member)
    client.post(f"/collaboration/opinions/{question.id}/close")
    assert db.session.get(CollaborationOpinionQuestion, question.id).closed_at is None  # not theirs to close
    client.post("/auth/logout")
    login(client, organiser)
    assert client.post(f"/collaboration/opinions/{question.id}/close").status_code == 303
    assert db.session.get(CollaborationOpinionQuestion, question.id).closed_at is not None
    client.post("/auth/logout")
    login(client, member)
    response = client.post(f"/collaboration/opinions/{question.id}/statements", data={"text": "Trop tard."})
    assert response.status_code == 422 and "This question is closed" in response.get_data(as_text=True)
    response = client.post(f"/collaboration/opinions/{question.id}/statements/{statement.id}/vote",
                           data={"value": "1"})
    assert "votes are no longer taken" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert count(CollaborationStatement) == 1
    assert count(CollaborationVote, CollaborationVote.member_id == member.id) == 0
    assert client.get(f"/collaboration/opinions/{question.id}/map").status_code == 200


def test_an_archived_groups_question_is_read_only(app, make_member, make_question, make_statement):
    animator = make_member()
    group = make_group(animator=animator)
    question = make_question(animator, group_id=group.id)
    group.archived_at = utcnow()
    db.session.commit()
    assert not service.is_open(question)
    with pytest.raises(service.OpinionError):
        make_statement(question, animator, "Encore une idée.")


# --- the map ----------------------------------------------------------------------------------------


def test_the_map_shows_groups_their_statements_and_consensus(client, login, organiser, make_member, make_question,
                                                             make_statement):
    question, camps, shared = camps_question(organiser, make_question, make_statement)
    viewer = make_member(handle="viewer")
    for s in camps[0]:
        service.vote(question, db.session.get(CollaborationStatement, s), viewer, 1)
    for s in camps[1] + camps[2]:
        service.vote(question, db.session.get(CollaborationStatement, s), viewer, -1)
    login(client, viewer)
    page = client.get(f"/collaboration/opinions/{question.id}/map").get_data(as_text=True)
    assert "<svg" in page and 'role="img"' in page and "<desc" in page
    assert all(f"Group {letter}" in page for letter in "ABC") and "Group D" not in page
    groups, consensus = page.split('id="groups-title"')[1].split('id="consensus-title"')
    for texts in CAMP_TEXTS:
        assert all(t in groups for t in texts)
    assert all(t in consensus for t in SHARED)
    letter = page.split("You are in group ")[1][0]  # only the viewer's own place is shown
    mine = page.split(f'id="group-{letter}"')[1].split("</article>")[0]
    assert all(t in mine for t in CAMP_TEXTS[0])
    assert "camp0x" not in page and "Camp0X" not in page and "Orga" not in page
    view = service.opinion_map_view(question)
    assert sum(g.size for g in view.groups) == 20 and min(g.size for g in view.groups) >= 6


def test_no_map_with_fewer_than_five_participants(client, login, organiser, make_member, make_question,
                                                  make_statement):
    question = make_question(organiser)
    ids = [make_statement(question, organiser, f"Idée {i}.").id for i in range(8)]
    voters = bulk_members("few", 3)
    db.session.execute(insert(CollaborationVote), [{"statement_id": s, "member_id": m, "value": (-1) ** (s + m)}
                                                   for s in ids for m in voters])
    db.session.commit()
    login(client, make_member())
    page = client.get(f"/collaboration/opinions/{question.id}/map").get_data(as_text=True)
    assert "No map yet" in page and "<svg class=\"opinion-map__svg\"" not in page
    assert "fewer than 5 votes" in client.get(f"/collaboration/opinions/{question.id}").get_data(as_text=True)


def test_the_map_is_cached_and_pages_never_write(client, login, organiser, make_member, make_question,
                                                 make_statement, monkeypatch):
    question, camps, _ = camps_question(organiser, make_question, make_statement)
    calls = []
    real = service.compute_view
    monkeypatch.setattr(service, "compute_view", lambda *a, **k: calls.append(1) or real(*a, **k))
    voter = make_member()
    login(client, voter)
    base = f"/collaboration/opinions/{question.id}"
    with QueryCounter(db.engine) as counter:
        for url in (base, f"{base}/vote", f"{base}/vote?mode=list", f"{base}/map", f"{base}/map",
                    "/collaboration/opinions", "/collaboration/opinions/new"):
            assert client.get(url).status_code in (200, 403), url
    writes = [s for s in counter.statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == [] and len(calls) == 1
    client.post(f"{base}/statements/{camps[0][0]}/vote", data={"value": "1"})
    client.get(f"{base}/map")
    assert len(calls) == 1  # new votes: the recent map is still served for MAP_REFRESH_SECONDS
    monkeypatch.setattr(service, "MAP_REFRESH_SECONDS", 0.0)
    client.get(f"{base}/map")
    client.get(f"{base}/map")
    assert len(calls) == 2  # recomputed once for the new vote, then cached again


def test_a_hidden_statement_leaves_the_lists_and_the_map_at_once(client, login, organiser, make_member,
                                                                 make_question, make_statement):
    question, camps, shared = camps_question(organiser, make_question, make_statement)
    moderator = make_member(role="moderator")
    viewer = make_member()
    login(client, viewer)
    assert SHARED[0] in client.get(f"/collaboration/opinions/{question.id}/map").get_data(as_text=True)
    moderation.set_hidden("collaboration.statement", str(shared[0]), True, moderator, "hors sujet")
    for url in ("", "/vote?mode=list", "/map"):
        assert SHARED[0] not in client.get(f"/collaboration/opinions/{question.id}{url}").get_data(as_text=True)
    assert client.post(f"/collaboration/opinions/{question.id}/statements/{shared[0]}/vote",
                       data={"value": "1"}).status_code == 404
    assert SHARED[1] in client.get(f"/collaboration/opinions/{question.id}/map").get_data(as_text=True)


def test_statements_are_reportable_content(app, organiser, make_member, make_question, make_statement):
    question = make_question(organiser)
    statement = make_statement(question, organiser, "Plus de trains.")
    kind = registry.content_kind("collaboration.statement")
    ref = kind.load(str(statement.id))
    assert ref.excerpt == "Plus de trains." and ref.author_id == organiser.id
    assert ref.args == {"question_id": question.id}
    assert kind.load("999") is None and kind.load("abc") is None
    reporter = make_member()
    assert moderation.report(reporter, "collaboration.statement", str(statement.id), "spam") is not None


# --- the module contract ----------------------------------------------------------------------------


def test_the_part_declares_its_kinds_and_nav(app, make_member):
    module = registry.get("collaboration")
    assert {"collaboration.opinion_question", "collaboration.statement"} <= set(module.activity_kinds)
    assert all(module.activity_kinds[v].label for v in ("collaboration.opinion_question", "collaboration.statement"))
    assert "collaboration.statement" in module.content_kinds
    assert "collaboration.opinions" in [item.endpoint for item in module.nav_items(make_member())]


def test_activities_render_in_feeds(client, login, organiser, make_member, make_question, make_statement):
    from community.activity import activity_text

    question = make_question(organiser)
    make_statement(question, make_member(), "Des bus la nuit.")
    login(client, organiser)
    page = client.get("/notifications").get_data(as_text=True)
    assert "New statement on the opinion map" in page
    with client.application.test_request_context(headers={"Accept-Language": "en"}):
        texts = [activity_text(a) for a in db.session.scalars(select(Activity).order_by(Activity.id))]
    assert any("opened an opinion map" in t for t in texts) and any("Des bus" not in t and "New statement" in t
                                                                     for t in texts)


def test_export_holds_ones_statements_and_votes(app, organiser, make_member, make_question, make_statement):
    question = make_question(organiser)
    member = make_member()
    own = make_statement(question, member, "Mon idée.")
    other = make_statement(question, organiser, "L'idée d'une autre.")
    service.vote(question, other, member, -1)
    data = registry.get("collaboration").export_data(member)["opinions"]
    assert data["statements"] == [{"question": question.title, "text": "Mon idée.",
                                   "created_at": own.created_at.isoformat() + "Z", "hidden_by_moderator": False}]
    assert sorted((v["statement"], v["vote"]) for v in data["votes"]) == [("L'idée d'une autre.", "disagree"),
                                                                          ("Mon idée.", "agree")]
    assert data["questions"] == []
    assert registry.get("collaboration").export_data(organiser)["opinions"]["questions"][0]["title"] == question.title


def test_the_demo_question_shows_three_groups(app):
    members = bulk_members("demo", 150)
    ctx = DemoContext(rng=random.Random(1), now=utcnow(), member_ids=members, admin_id=members[0],
                      organiser_ids=[members[1]], scale=0.75)
    service.seed_demo(ctx)
    db.session.commit()
    question = db.session.scalar(select(CollaborationOpinionQuestion))
    assert count(CollaborationStatement) == 30
    assert count(CollaborationVote) > 2000
    assert {a["verb"] for a in ctx.activities} == {"collaboration.opinion_question", "collaboration.statement"}
    view = service.compute_view(question.id)
    assert len(view.groups) == 3 and all(g.representative for g in view.groups)
    assert view.consensus


def test_an_erased_members_statements_lose_their_author(app, organiser, make_member, make_question, make_statement):
    question = make_question(organiser)
    member = make_member()
    statement = make_statement(question, member, "Mon idée.")
    service.forget_member(member.id)
    db.session.commit()
    assert db.session.get(CollaborationStatement, statement.id).author_id is None
    assert db.session.get(CollaborationVote, (statement.id, member.id)).value == 1  # anonymous placeholder's
