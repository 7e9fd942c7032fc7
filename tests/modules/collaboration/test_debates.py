"""Debates: a question open for a period, contributions for / against / neutral with threaded
replies, a live count, a synthesis when an organiser or the group's animator closes it."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.extensions import db, socketio
from community.models import HiddenContent, Notification
from community.registry import registry
from community.timeutil import utcnow
from modules.collaboration import debates_service as service
from modules.collaboration.models import (
    CollaborationContribution,
    CollaborationDebate,
    CollaborationGroup,
    CollaborationMembership,
)
from tests.conftest import PASSWORD


def make_group(members, animators=(), name="Climat"):
    group = CollaborationGroup(slug=name.lower(), name=name, member_count=len(members) + len(animators))
    db.session.add(group)
    db.session.flush()
    for member in members:
        db.session.add(CollaborationMembership(group_id=group.id, member_id=member.id, role="member"))
    for member in animators:
        db.session.add(CollaborationMembership(group_id=group.id, member_id=member.id, role="animator"))
    db.session.commit()
    return group


pytestmark = pytest.mark.usefixtures("english")  # messages read outside a request: English


@pytest.fixture
def make_debate(app, organiser):
    def make(author=None, **fields):
        fields.setdefault("title", "Transports gratuits ?")
        fields.setdefault("question", "Faut-il rendre les **transports** gratuits ?")
        return service.create_debate(author or organiser, **fields)

    return make


def count_rows(debate_id):
    return db.session.scalar(select(func.count()).select_from(CollaborationContribution).where(
        CollaborationContribution.debate_id == debate_id))


# --- rules ------------------------------------------------------------------------------------


def test_an_organiser_opens_a_debate_and_its_question_is_markdown(make_debate):
    debate = make_debate()
    assert debate.id and "<strong>transports</strong>" in debate.question_html
    assert service.state(debate) == "open"
    assert service.counts(debate) == {"for": 0, "against": 0, "neutral": 0}


def test_a_plain_member_cannot_open_a_movement_wide_debate(app, make_member):
    member = make_member()
    with pytest.raises(service.DebateError) as error:
        service.create_debate(member, title="Titre", question="Question ?")
    assert "organisers" in str(error.value)
    assert db.session.scalar(select(func.count()).select_from(CollaborationDebate)) == 0


def test_a_groups_animator_opens_a_debate_in_the_group(app, make_member):
    animator, member = make_member(), make_member()
    group = make_group([member], animators=[animator])
    debate = service.create_debate(animator, title="Local", question="Question ?", group_id=group.id)
    assert debate.group_id == group.id
    with pytest.raises(service.DebateError):
        service.create_debate(member, title="Local", question="Question ?", group_id=group.id)


@pytest.mark.parametrize("opens, closes, field", [
    (timedelta(days=2), timedelta(days=1), "The end must come after the start."),
    (None, timedelta(days=-1), "The end must be in the future."),
])
def test_an_end_before_the_start_or_in_the_past_is_refused(app, organiser, opens, closes, field):
    now = utcnow()
    with pytest.raises(service.DebateError) as error:
        service.create_debate(organiser, title="T", question="Q", opens_at=now + opens if opens else None,
                              closes_at=now + closes, now=now)
    assert [str(m) for m in error.value.errors["closes_at"]] == [field]


def test_empty_title_and_question_each_get_a_message(app, organiser):
    with pytest.raises(service.DebateError) as error:
        service.create_debate(organiser, title="  ", question="")
    assert set(error.value.errors) == {"title", "question"}


def test_contributions_are_counted_by_stance_and_replies_are_not(make_debate, make_member):
    debate = make_debate()
    ana, ben = make_member(), make_member()
    first = service.contribute(ana, debate, "Pour, bien sûr.", stance="for")
    service.contribute(ben, debate, "Contre : trop cher.", stance="against")
    service.contribute(ben, debate, "À voir.", stance="neutral")
    reply = service.contribute(ben, debate, "Tu as une source ?", reply_to_id=first.id)
    db.session.refresh(debate)
    assert service.counts(debate) == {"for": 1, "against": 1, "neutral": 1}
    assert reply.reply_to_id == first.id and count_rows(debate.id) == 4
    roots, children, older = service.contributions_page(debate)
    assert [c.id for c in children[first.id]] == [reply.id] and len(roots) == 3 and older is None


def test_a_reply_to_another_debates_contribution_is_refused(make_debate, make_member):
    one, other = make_debate(), make_debate(title="Autre")
    member = make_member()
    elsewhere = service.contribute(member, other, "Ailleurs", stance="for")
    with pytest.raises(service.DebateError):
        service.contribute(member, one, "Réponse", reply_to_id=elsewhere.id)
    assert count_rows(one.id) == 0


@pytest.mark.parametrize("body, stance", [("   ", "for"), ("Texte", "maybe"), ("x" * 5001, "for")])
def test_bad_contributions_are_refused_and_change_nothing(make_debate, make_member, body, stance):
    debate = make_debate()
    with pytest.raises(service.DebateError):
        service.contribute(make_member(), debate, body, stance=stance)
    db.session.refresh(debate)
    assert count_rows(debate.id) == 0 and service.counts(debate) == {"for": 0, "against": 0, "neutral": 0}


def test_a_closed_debate_refuses_contributions(make_debate, make_member, organiser):
    debate = make_debate()
    member = make_member()
    service.contribute(member, debate, "Pour", stance="for")
    service.close_debate(organiser, debate, "Synthèse : **pour**.")
    with pytest.raises(service.DebateError) as error:
        service.contribute(member, debate, "Encore un mot", stance="against")
    assert "closed" in str(error.value)
    db.session.refresh(debate)
    assert count_rows(debate.id) == 1 and service.counts(debate)["against"] == 0
    assert service.state(debate) == "closed" and "<strong>pour</strong>" in debate.synthesis_html


def test_the_period_decides_when_contributions_are_accepted(make_debate, make_member):
    start = utcnow() + timedelta(days=1)
    debate = make_debate(opens_at=start, closes_at=start + timedelta(days=7))
    member = make_member()
    with pytest.raises(service.DebateError) as error:
        service.contribute(member, debate, "Trop tôt", stance="for", now=start - timedelta(minutes=1))
    assert "not open yet" in str(error.value)
    service.contribute(member, debate, "À l'heure", stance="for", now=start + timedelta(days=1))
    with pytest.raises(service.DebateError) as error:
        service.contribute(member, debate, "Trop tard", stance="for", now=start + timedelta(days=7))
    assert "period is over" in str(error.value)
    db.session.refresh(debate)
    assert count_rows(debate.id) == 1 and debate.count_for == 1


def test_closing_needs_a_synthesis_the_right_role_and_happens_once(make_debate, make_member, organiser):
    debate = make_debate()
    member = make_member()
    service.contribute(member, debate, "Pour", stance="for")
    with pytest.raises(service.DebateError):
        service.close_debate(member, debate, "Ma synthèse")
    with pytest.raises(service.DebateError) as error:
        service.close_debate(organiser, debate, "  ")
    assert "synthesis" in error.value.errors
    service.close_debate(organiser, debate, "Synthèse")
    with pytest.raises(service.DebateError) as error:
        service.close_debate(organiser, debate, "Autre synthèse")
    assert "already closed" in str(error.value)
    db.session.refresh(debate)
    assert debate.synthesis == "Synthèse"
    notified = db.session.scalars(select(Notification.member_id).where(
        Notification.kind == "collaboration.debate_closed")).all()
    assert notified == [member.id]


def test_a_reply_notifies_the_author_of_the_contribution_answered(make_debate, make_member, organiser):
    debate = make_debate()
    ana, ben = make_member(), make_member()
    first = service.contribute(ana, debate, "Pour", stance="for")
    service.contribute(ben, debate, "Pourquoi ?", reply_to_id=first.id)
    rows = db.session.execute(select(Notification.member_id, Notification.kind).order_by(Notification.id)).all()
    assert (ana.id, "collaboration.contribution") in rows and (organiser.id, "collaboration.contribution") in rows
    assert (ben.id, "collaboration.contribution") not in rows


def test_an_archived_groups_debate_refuses_contributions(app, make_member):
    animator = make_member()
    group = make_group([], animators=[animator])
    debate = service.create_debate(animator, title="T", question="Q", group_id=group.id)
    group.archived_at = utcnow()
    db.session.commit()
    with pytest.raises(service.DebateError) as error:
        service.contribute(animator, debate, "Texte", stance="for")
    assert "archived" in str(error.value)


def test_export_lists_the_members_debates_and_contributions(make_debate, make_member, organiser):
    debate = make_debate()
    member = make_member()
    service.contribute(member, debate, "Pour", stance="for")
    data = service.export_data(member)
    assert data["contributions"][0]["stance"] == "for" and data["contributions"][0]["debate"] == debate.title
    assert service.export_data(organiser)["debates_opened"][0]["title"] == debate.title
    assert registry.get("collaboration").export_data(member)["debates"] == data


# --- pages ------------------------------------------------------------------------------------


def test_list_and_new_pages(client, login, organiser, make_debate):
    make_debate()
    login(client, organiser)
    page = client.get("/collaboration/debates/")
    assert page.status_code == 200 and b"Transports gratuits ?" in page.data and b"Open a debate" in page.data
    assert client.get("/collaboration/debates/new").status_code == 200


def test_a_plain_member_gets_403_on_the_new_debate_form(client, login, make_member):
    login(client, make_member())
    assert client.get("/collaboration/debates/new").status_code == 403
    assert b"Open a debate" not in client.get("/collaboration/debates/").data


def test_opening_a_debate_through_the_form(client, login, organiser):
    login(client, organiser)
    response = client.post("/collaboration/debates/new", data={
        "title": "Cantines bio", "question": "100 % bio ?", "group": "", "opens_at": "", "closes_at": ""})
    assert response.status_code == 302
    debate = db.session.scalar(select(CollaborationDebate))
    assert response.headers["Location"].endswith(f"/collaboration/debates/{debate.id}")
    assert debate.closes_at is None and debate.author_id == organiser.id


def test_an_end_before_the_start_keeps_the_values_and_creates_nothing(client, login, organiser):
    login(client, organiser)
    response = client.post("/collaboration/debates/new", data={
        "title": "Cantines bio", "question": "100 % bio ?", "group": "",
        "opens_at": "2031-05-10T10:00", "closes_at": "2031-05-09T10:00"})
    assert response.status_code == 422
    assert b"The end must come after the start." in response.data
    assert b'value="Cantines bio"' in response.data and b"100 % bio ?" in response.data
    assert db.session.scalar(select(func.count()).select_from(CollaborationDebate)) == 0


def test_a_malformed_date_and_an_empty_title_get_their_messages(client, login, organiser):
    login(client, organiser)
    response = client.post("/collaboration/debates/new", data={
        "title": "", "question": "Q", "group": "", "opens_at": "", "closes_at": "demain"})
    assert response.status_code == 422 and b"Give the debate a title." in response.data
    assert db.session.scalar(select(func.count()).select_from(CollaborationDebate)) == 0


def test_a_group_the_member_may_not_use_is_refused(client, login, organiser, make_member):
    group = make_group([make_member()], name="Ailleurs")
    login(client, organiser)
    response = client.post("/collaboration/debates/new", data={
        "title": "T", "question": "Q", "group": str(group.id), "opens_at": "", "closes_at": ""})
    assert response.status_code == 422 and b"Choose where the debate takes place." in response.data


def test_the_debate_page_and_a_contribution_through_the_form(client, login, make_debate, make_member):
    debate = make_debate()
    member = make_member()
    login(client, member)
    page = client.get(f"/collaboration/debates/{debate.id}")
    assert page.status_code == 200 and b"Publish my contribution" in page.data
    assert b'data-room="collaboration:debate:' in page.data and b"debate.js" in page.data
    response = client.post(f"/collaboration/debates/{debate.id}/contribute",
                           data={"stance": "against", "body": "Trop cher pour la ville."})
    assert response.status_code == 302 and "#contribution-" in response.headers["Location"]
    page = client.get(f"/collaboration/debates/{debate.id}")
    assert b"Trop cher pour la ville." in page.data and b'data-count="against">1<' in page.data


def test_an_empty_contribution_gets_a_message_and_nothing_changes(client, login, make_debate, make_member):
    debate = make_debate()
    login(client, make_member())
    response = client.post(f"/collaboration/debates/{debate.id}/contribute", data={"stance": "for", "body": "  "})
    assert response.status_code == 422 and b"Write something first." in response.data
    assert count_rows(debate.id) == 0


def test_a_reply_through_the_form_and_an_empty_reply(client, login, make_debate, make_member):
    debate = make_debate()
    ana, ben = make_member(), make_member()
    first = service.contribute(ana, debate, "Pour", stance="for")
    login(client, ben)
    response = client.post(f"/collaboration/debates/{debate.id}/contribute",
                           data={"body": "Pourquoi ?", "reply_to": str(first.id)})
    assert response.status_code == 302
    empty = client.post(f"/collaboration/debates/{debate.id}/contribute", data={"body": "", "reply_to": str(first.id)})
    assert empty.status_code == 422 and b"Write something first." in empty.data
    assert f'id="reply-{first.id}-help"'.encode() in empty.data
    db.session.refresh(debate)
    assert count_rows(debate.id) == 2 and debate.count_for == 1 and debate.count_neutral == 0


def test_a_contribution_to_a_closed_debate_gets_a_clear_message(client, login, make_debate, make_member, organiser):
    debate = make_debate()
    service.close_debate(organiser, debate, "Synthèse finale")
    login(client, make_member())
    page = client.get(f"/collaboration/debates/{debate.id}")
    assert "Synthèse finale".encode() in page.data and b"Publish my contribution" not in page.data
    response = client.post(f"/collaboration/debates/{debate.id}/contribute",
                           data={"stance": "for", "body": "Mon texte tardif"})
    assert response.status_code == 422
    assert b"This debate is closed: it accepts no more contributions." in response.data
    assert b"Mon texte tardif" in response.data  # kept, so the member can copy it
    assert count_rows(debate.id) == 0


def test_closing_through_the_form(app, client, login, make_debate, make_member, organiser):
    debate = make_debate()
    other = login(app.test_client(), make_member())
    assert other.post(f"/collaboration/debates/{debate.id}/close", data={"synthesis": "x"}).status_code == 403
    login(client, organiser)
    empty = client.post(f"/collaboration/debates/{debate.id}/close", data={"synthesis": ""})
    assert empty.status_code == 422 and b"Write the synthesis of the debate before closing it." in empty.data
    response = client.post(f"/collaboration/debates/{debate.id}/close", data={"synthesis": "Nous retenons…"})
    assert response.status_code == 302
    db.session.refresh(debate)
    assert debate.closed_at is not None and debate.synthesis == "Nous retenons…"


def test_the_contributions_json_gives_rendered_items_and_counts(client, login, make_debate, make_member):
    debate = make_debate()
    ana = make_member()
    first = service.contribute(ana, debate, "Pour <script>alert(1)</script>", stance="for")
    login(client, ana)
    data = client.get(f"/collaboration/debates/{debate.id}/contributions.json?after=0").get_json()
    assert data["counts"] == {"for": 1, "against": 0, "neutral": 0} and data["state"] == "open"
    assert [item["id"] for item in data["items"]] == [first.id]
    assert "<script>" not in data["items"][0]["html"] and f'id="contribution-{first.id}"' in data["items"][0]["html"]
    later = client.get(f"/collaboration/debates/{debate.id}/contributions.json?after={first.id}")
    assert later.get_json()["items"] == []


def test_a_groups_debate_is_hidden_from_outsiders_in_html_json_and_sockets(app, client, login, make_member):
    animator, outsider = make_member(), make_member()
    group = make_group([], animators=[animator])
    debate = service.create_debate(animator, title="Entre nous", question="Q", group_id=group.id)
    login(client, outsider)
    assert client.get(f"/collaboration/debates/{debate.id}").status_code == 404
    assert client.get(f"/collaboration/debates/{debate.id}/contributions.json").status_code == 404
    assert client.post(f"/collaboration/debates/{debate.id}/contribute", data={"body": "x"}).status_code == 404
    assert b"Entre nous" not in client.get("/collaboration/debates/").data
    with app.app_context():
        sock = socketio.test_client(app, flask_test_client=client)
    assert sock.emit("join", {"room": f"collaboration:debate:{debate.id}"}, callback=True) == {
        "ok": False, "error": "forbidden"}
    sock.disconnect()


def test_hidden_debates_and_contributions_do_not_show(client, login, make_debate, make_member):
    debate, other = make_debate(), make_debate(title="Débat masqué")
    member = make_member()
    kept = service.contribute(member, debate, "Visible", stance="for")
    hidden = service.contribute(member, debate, "Contribution masquée", stance="for")
    db.session.add_all([HiddenContent(content_type="collaboration.contribution", content_id=str(hidden.id)),
                        HiddenContent(content_type="collaboration.debate", content_id=str(other.id))])
    db.session.commit()
    login(client, member)
    page = client.get(f"/collaboration/debates/{debate.id}")
    assert b"Visible" in page.data and b"Contribution masqu" not in page.data
    items = client.get(f"/collaboration/debates/{debate.id}/contributions.json").get_json()["items"]
    assert [i["id"] for i in items] == [kept.id]
    assert client.get(f"/collaboration/debates/{other.id}").status_code == 404
    assert "Débat masqué".encode() not in client.get("/collaboration/debates/").data


def test_a_contribution_can_be_reported(client, login, make_debate, make_member):
    debate = make_debate()
    ana, ben = make_member(), make_member()
    first = service.contribute(ana, debate, "Pour", stance="for")
    login(client, ben)
    page = client.get(f"/moderation/report?type=collaboration.contribution&id={first.id}")
    assert page.status_code == 200 and b"Transports gratuits ?" in page.data
    assert client.get(f"/moderation/report?type=collaboration.debate&id={debate.id}").status_code == 200


def test_debate_activities_render_in_notifications(client, login, make_debate, make_member):
    debate = make_debate()
    ana, ben = make_member(), make_member()
    first = service.contribute(ana, debate, "Pour", stance="for")
    service.contribute(ben, debate, "Pourquoi ?", reply_to_id=first.id)
    login(client, ana)
    page = client.get("/notifications")
    assert page.status_code == 200
    assert "answered your contribution in the debate “Transports gratuits ?”".encode() in page.data


# --- live -------------------------------------------------------------------------------------


def _socket(app, member):
    http = app.test_client()
    http.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert http.post("/auth/login", data={"identifier": member.handle, "password": PASSWORD}).status_code == 302
    with app.app_context():  # its own context, as in production (not the test's shared ``g``)
        return http, socketio.test_client(app, flask_test_client=http)


def test_a_second_members_contribution_reaches_the_first_members_debate_room_live(app, make_debate, make_member):
    debate = make_debate()
    watcher, speaker = make_member(handle="watcher"), make_member(handle="speaker")
    watcher_http, watcher_socket = _socket(app, watcher)
    speaker_http, speaker_socket = _socket(app, speaker)
    room = f"collaboration:debate:{debate.id}"
    assert watcher_socket.emit("join", {"room": room}, callback=True) == {"ok": True}
    watcher_socket.get_received()
    speaker_socket.get_received()

    response = speaker_http.post(f"/collaboration/debates/{debate.id}/contribute",
                                 data={"stance": "for", "body": "Argument en direct"})
    assert response.status_code == 302

    events = [e["args"][0] for e in watcher_socket.get_received() if e["name"] == "collaboration.debate"]
    contribution = db.session.scalar(select(CollaborationContribution))
    assert events == [{"debate": debate.id, "contribution": contribution.id, "reply_to": None,
                       "counts": {"for": 1, "against": 0, "neutral": 0}, "closed": False}]
    assert not [e for e in speaker_socket.get_received() if e["name"] == "collaboration.debate"]  # not in the room
    items = watcher_http.get(f"/collaboration/debates/{debate.id}/contributions.json?after=0").get_json()["items"]
    assert len(items) == 1 and "Argument en direct" in items[0]["html"]
    watcher_socket.disconnect()
    speaker_socket.disconnect()


def test_closing_is_announced_in_the_debate_room(app, make_debate, make_member, organiser):
    debate = make_debate()
    watcher = make_member()
    _http, sock = _socket(app, watcher)
    assert sock.emit("join", {"room": f"collaboration:debate:{debate.id}"}, callback=True) == {"ok": True}
    sock.get_received()
    service.close_debate(organiser, debate, "Synthèse")
    events = [e["args"][0] for e in sock.get_received() if e["name"] == "collaboration.debate"]
    assert events and events[0]["closed"] is True
    sock.disconnect()


def test_a_refused_contribution_emits_nothing(app, make_debate, make_member, organiser):
    debate = make_debate()
    service.close_debate(organiser, debate, "Synthèse")
    watcher = make_member()
    _http, sock = _socket(app, watcher)
    sock.emit("join", {"room": f"collaboration:debate:{debate.id}"}, callback=True)
    sock.get_received()
    with pytest.raises(service.DebateError):
        service.contribute(watcher, debate, "Trop tard", stance="for")
    assert not [e for e in sock.get_received() if e["name"] == "collaboration.debate"]
    sock.disconnect()


def test_the_debate_pages_render_in_french(app, make_debate, make_member, organiser):
    debate = make_debate()
    first = service.contribute(make_member(), debate, "Pour", stance="for")
    service.contribute(organiser, debate, "Pourquoi ?", reply_to_id=first.id)
    client = app.test_client()
    client.post("/auth/login", data={"identifier": organiser.handle, "password": PASSWORD})
    for path in ("/collaboration/debates/", "/collaboration/debates/new", f"/collaboration/debates/{debate.id}",
                 f"/collaboration/debates/{debate.id}/contributions.json", "/notifications"):
        response = client.get(path)
        assert response.status_code == 200, path
    closing = client.post(f"/collaboration/debates/{debate.id}/close", data={"synthesis": ""})
    assert closing.status_code == 422 and b'lang="fr"' in closing.data


def test_the_debate_page_reads_only_and_its_query_count_does_not_grow(client, login, make_debate, make_member):
    from community.database import QueryCounter

    debate = make_debate()
    members = [make_member() for _ in range(3)]
    login(client, members[0])

    def page_queries():
        with QueryCounter(db.engine) as counter:
            assert client.get(f"/collaboration/debates/{debate.id}").status_code == 200
        return counter.statements

    for member in members:
        first = service.contribute(member, debate, "Pour", stance="for")
        service.contribute(member, debate, "Réponse", reply_to_id=first.id)
    few = page_queries()
    for _ in range(5):
        for member in members:
            service.contribute(member, debate, "Contre", stance="against")
    many = page_queries()
    assert len(few) == len(many)
    assert not [s for s in many if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
