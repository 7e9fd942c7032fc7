"""Groups: creation, joining (open, on approval, under a cap, concurrently), the wall, links, the
group's stream, invitations, animators, leaving, archiving, privacy, settings, demo and export."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from community.database import QueryCounter
from community.extensions import db
from community.models import Activity, Notification
from community.registry import registry
from community.settings import set_module_setting
from modules.collaboration import groups_service as service
from modules.collaboration.access import group_room
from modules.collaboration.models import (
    CollaborationGroup,
    CollaborationLink,
    CollaborationMembership,
    CollaborationWallPost,
)
from tests.concurrency import all_at_once


@pytest.fixture
def make_group(app):
    """make_group(creator, name=…, **fields) -> a group whose creator is its animator."""

    def make(creator, name="Vélo à Lyon", **fields):
        fields.setdefault("description", "On roule **ensemble**.")
        with app.test_request_context():
            group = service.create_group(creator, name=name, **fields)
        db.session.commit()
        return group

    return make


def _join(member, group):
    service.join(db.session.get(CollaborationGroup, group.id), member)


def _membership(group, member):
    db.session.expire_all()
    return db.session.get(CollaborationMembership, (group.id, member.id))


def _count(group) -> int:
    db.session.expire_all()
    return db.session.get(CollaborationGroup, group.id).member_count


def _active(group) -> int:
    return db.session.scalar(select(func.count()).select_from(CollaborationMembership).where(
        CollaborationMembership.group_id == group.id, CollaborationMembership.status == "active"))


def _page(response) -> str:
    return response.get_data(as_text=True)


# --- creating and editing ----------------------------------------------------------------------


def test_a_member_creates_a_group_and_becomes_its_animator(client, make_member, login):
    ana = make_member(handle="ana")
    login(client, ana)
    assert client.get("/collaboration/groups/new").status_code == 200
    response = client.post("/collaboration/groups/new", data={
        "name": "Climat Lyon", "description": "Le **climat** à Lyon", "kind": "local", "commune": "Lyon",
        "postal_code": "69003", "join_policy": "open"})
    assert response.status_code == 302
    group = db.session.scalar(select(CollaborationGroup))
    assert (group.name, group.kind, group.slug, group.member_count) == ("Climat Lyon", "local", "climat-lyon", 1)
    row = _membership(group, ana)
    assert (row.role, row.status, row.public) == ("animator", "active", False)
    page = _page(client.get(response.headers["Location"]))
    assert "<strong>climat</strong>" in page and "You are an animator" in page


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"name": "  "}, "name", "Give the group a name."),
    ({"kind": "local"}, "commune", "A local group needs a commune or a postal code."),
    ({"kind": "secret"}, "kind", "Not a valid choice"),
])
def test_a_bad_group_form_says_why_and_keeps_the_values(client, make_member, login, data, field, message):
    login(client, make_member())
    form = {"name": "Mon groupe", "description": "Texte gardé", "kind": "thematic", "join_policy": "open", **data}
    response = client.post("/collaboration/groups/new", data=form)
    page = _page(response)
    assert response.status_code == 422 and message in page and "Texte gardé" in page
    assert db.session.scalar(select(func.count()).select_from(CollaborationGroup)) == 0


def test_creation_by_members_can_be_switched_off_organisers_still_create(app, client, make_member, login, visit):
    set_module_setting("collaboration", "members_can_create_groups", False)
    db.session.commit()
    login(client, make_member())
    refused = client.get("/collaboration/groups/new", follow_redirects=True)
    assert "Only organisers may create groups" in _page(refused)
    assert client.post("/collaboration/groups/new", data={"name": "X", "kind": "thematic",
                                                          "join_policy": "open"}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(CollaborationGroup)) == 0
    organiser = visit(make_member(role="organiser"))
    assert organiser.post("/collaboration/groups/new", data={"name": "X", "kind": "thematic",
                                                             "join_policy": "open"}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(CollaborationGroup)) == 1


def test_animators_edit_the_group_only_admins_set_its_cap(make_member, make_group, visit):
    ana, bob, admin = make_member(handle="ana"), make_member(handle="bob"), make_member(role="admin")
    group = make_group(ana)
    _join(bob, group)
    form = {"name": "Vélo Lyon", "description": "Nouveau texte", "kind": "thematic", "join_policy": "approval",
            "member_cap": "5"}
    assert visit(bob).post(f"/collaboration/groups/{group.id}/edit", data=form).status_code == 403
    animator = visit(ana)
    assert "Member cap" not in _page(animator.get(f"/collaboration/groups/{group.id}/edit"))
    assert animator.post(f"/collaboration/groups/{group.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    group = db.session.get(CollaborationGroup, group.id)
    assert (group.name, group.description, group.join_policy, group.member_cap) == (
        "Vélo Lyon", "Nouveau texte", "approval", None)
    assert visit(admin).post(f"/collaboration/groups/{group.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(CollaborationGroup, group.id).member_cap == 5


# --- joining -------------------------------------------------------------------------------------


def test_joining_an_open_group_tells_its_animators(client, make_member, login, make_group):
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    group = make_group(ana)
    login(client, bob)
    page = _page(client.get(f"/collaboration/groups/{group.id}"))
    assert "Join the group" in page
    response = client.post(f"/collaboration/groups/{group.id}/join", follow_redirects=True)
    assert "Welcome to Vélo à Lyon" in _page(response)
    assert _membership(group, bob).status == "active" and _count(group) == 2
    activity = db.session.scalar(select(Activity).where(Activity.verb == "collaboration.group_joined"))
    assert activity.audience == group_room(group.id) and activity.actor_id == bob.id
    assert db.session.scalar(select(Notification.member_id).where(Notification.activity_id == activity.id)) == ana.id
    again = client.post(f"/collaboration/groups/{group.id}/join", follow_redirects=True)
    assert "already a member" in _page(again) and _count(group) == 2


def test_joining_a_closed_group_makes_a_request_that_an_animator_approves(make_member, make_group, visit):
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    group = make_group(ana, join_policy="approval")
    member = visit(bob)
    assert "Ask to join" in _page(member.get(f"/collaboration/groups/{group.id}"))
    response = member.post(f"/collaboration/groups/{group.id}/join", follow_redirects=True)
    page = _page(response)
    assert "admits members on approval" in page and "waiting for an animator" in page
    assert _membership(group, bob).status == "pending" and _count(group) == 1
    assert member.get(f"/collaboration/groups/{group.id}/members").status_code == 404  # not a member yet
    note = db.session.scalar(select(Notification).where(Notification.member_id == ana.id))
    assert note.kind == "collaboration.join_requested"
    animator = visit(ana)
    assert "asks to join" in _page(animator.get("/notifications"))
    assert "Bob" in _page(animator.get(f"/collaboration/groups/{group.id}/members"))
    assert animator.post(f"/collaboration/groups/{group.id}/requests/{bob.id}/approve").status_code == 302
    assert _membership(group, bob).status == "active" and _count(group) == 2
    assert db.session.scalar(select(Notification.kind).where(Notification.member_id == bob.id)) == \
        "collaboration.request_approved"
    twice = animator.post(f"/collaboration/groups/{group.id}/requests/{bob.id}/approve", follow_redirects=True)
    assert "no request from this member" in _page(twice) and _count(group) == 2


def test_an_animator_declines_a_request(make_member, make_group, visit):
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    group = make_group(ana, join_policy="approval")
    visit(bob).post(f"/collaboration/groups/{group.id}/join")
    assert visit(bob).post(f"/collaboration/groups/{group.id}/requests/{bob.id}/decline").status_code == 404
    visit(ana).post(f"/collaboration/groups/{group.id}/requests/{bob.id}/decline")
    assert _membership(group, bob) is None and _count(group) == 1
    assert db.session.scalar(select(Notification.kind).where(Notification.member_id == bob.id)) == \
        "collaboration.request_declined"


def test_a_full_group_refuses_with_a_clear_message(make_member, make_group, visit):
    ana, bob, cleo = make_member(handle="ana"), make_member(handle="bob"), make_member(handle="cleo")
    group = make_group(ana)
    db.session.get(CollaborationGroup, group.id).member_cap = 2
    db.session.commit()
    visit(bob).post(f"/collaboration/groups/{group.id}/join")
    client = visit(cleo)
    assert "This group is full" in _page(client.get(f"/collaboration/groups/{group.id}"))
    response = client.post(f"/collaboration/groups/{group.id}/join", follow_redirects=True)
    assert response.status_code == 200 and "This group is full (2 members)" in _page(response)
    assert _membership(group, cleo) is None and _count(group) == 2


def test_the_movement_cap_applies_to_every_group(make_member, make_group, visit):
    ana, bob, cleo = make_member(handle="ana"), make_member(handle="bob"), make_member(handle="cleo")
    group = make_group(ana)
    set_module_setting("collaboration", "group_member_cap", 2)
    db.session.commit()
    visit(bob).post(f"/collaboration/groups/{group.id}/join")
    response = visit(cleo).post(f"/collaboration/groups/{group.id}/join", follow_redirects=True)
    assert "This group is full (2 members)" in _page(response)
    assert _count(group) == _active(group) == 2


def test_an_approval_beyond_the_cap_is_refused(make_member, make_group, visit):
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    group = make_group(ana, join_policy="approval")
    visit(bob).post(f"/collaboration/groups/{group.id}/join")
    db.session.get(CollaborationGroup, group.id).member_cap = 1
    db.session.commit()
    response = visit(ana).post(f"/collaboration/groups/{group.id}/requests/{bob.id}/approve", follow_redirects=True)
    assert "This group is full" in _page(response)
    assert _membership(group, bob).status == "pending" and _count(group) == 1


def test_concurrent_joins_never_pass_the_cap(app, make_member, make_group, visit):
    """Threads join a group with one seat left at once: exactly one gets it (SQLite and PostgreSQL)."""
    ana = make_member(handle="ana")
    group = make_group(ana)
    db.session.get(CollaborationGroup, group.id).member_cap = 3
    db.session.commit()
    _join(make_member(handle="early"), group)
    db.session.commit()
    clients = [visit(make_member(handle=f"runner{i}")) for i in range(8)]
    path = f"/collaboration/groups/{group.id}/join"
    db.session.commit()
    results = all_at_once(clients, lambda client: client.post(path).status_code)
    assert results == [302] * len(clients)  # a refusal is a message, never a 500 nor a lock error
    assert _count(group) == _active(group) == 3


def test_the_service_refuses_a_double_join_and_keeps_the_count(app, make_member, make_group):
    ana, bob = make_member(), make_member()
    group = make_group(ana)
    _join(bob, group)
    with pytest.raises(service.GroupError):
        _join(bob, group)
    assert _count(group) == _active(group) == 2


# --- privacy ---------------------------------------------------------------------------------------


def test_a_non_member_sees_the_name_and_description_only(make_member, make_group, visit, app):
    ana, bob, outsider = make_member(handle="ana"), make_member(handle="bob", display_name="Bob Secret"), \
        make_member(handle="out")
    group = make_group(ana, description="Description visible")
    _join(bob, group)
    with app.test_request_context():
        post = service.post_thread(db.session.get(CollaborationGroup, group.id), bob, "Message interne")
    service.add_link(db.session.get(CollaborationGroup, group.id), bob, title="Lien interne",
                     url="https://example.org/x")
    db.session.commit()
    client = visit(outsider)
    page = _page(client.get(f"/collaboration/groups/{group.id}"))
    assert "Vélo à Lyon" in page and "Description visible" in page
    assert "Message interne" not in page and "Bob Secret" not in page and "Lien interne" not in page
    for path in ("members", "links", "activity", f"wall/{post.id}", "wall/since?after=0", "activity/since?after=0"):
        assert client.get(f"/collaboration/groups/{group.id}/{path}").status_code == 404, path
    json = client.get(f"/collaboration/groups/{group.id}/wall/since?after=0", headers={"Accept": "application/json"})
    assert json.status_code == 404 and json.get_json()["status"] == 404
    assert client.post(f"/collaboration/groups/{group.id}/wall", data={"body": "Intrus"}).status_code == 404
    assert client.post(f"/collaboration/groups/{group.id}/wall/{post.id}/reply", data={"body": "x"}).status_code == 404
    assert client.get(f"/moderation/report?type=collaboration.wall&id={post.id}").status_code == 404
    assert "Message interne" not in _page(client.get(f"/members/{bob.handle}"))
    member_page = _page(visit(bob).get(f"/collaboration/groups/{group.id}"))
    assert "Message interne" in member_page and "Lien interne" in member_page


def test_the_member_list_is_for_members_and_moderators(make_member, make_group, visit):
    ana, bob, moderator, outsider = (make_member(handle="ana"), make_member(handle="bob"),
                                     make_member(handle="modo", role="moderator"), make_member(handle="out"))
    group = make_group(ana)
    _join(bob, group)
    db.session.commit()
    for member in (ana, bob, moderator):
        page = _page(visit(member).get(f"/collaboration/groups/{group.id}/members"))
        assert "Ana" in page and "Bob" in page
    assert visit(outsider).get(f"/collaboration/groups/{group.id}/members").status_code == 404


def test_membership_shows_on_public_pages_only_when_chosen(make_member, make_group, visit):
    ana = make_member(handle="ana", display_name="Ana Animatrice")
    bob = make_member(handle="bob", display_name="Bob Discret")
    cleo = make_member(handle="cleo", display_name="Cléo Publique")
    group = make_group(ana)
    _join(bob, group)
    _join(cleo, group)
    db.session.commit()
    visit(cleo).post(f"/collaboration/groups/{group.id}/visibility", data={"public": "1"})
    assert _membership(group, cleo).public is True
    outsider = visit(make_member(handle="out"))
    about = _page(outsider.get(f"/collaboration/groups/{group.id}"))
    assert "Cléo Publique" in about and "Bob Discret" not in about and "Ana Animatrice" not in about
    assert "Vélo à Lyon" in _page(outsider.get("/collaboration/groups/of/cleo"))
    assert "Vélo à Lyon" not in _page(outsider.get("/collaboration/groups/of/bob"))
    own = _page(visit(bob).get("/collaboration/groups/of/bob"))
    assert "Vélo à Lyon" in own and "members only" in own
    visit(cleo).post(f"/collaboration/groups/{group.id}/visibility", data={"public": "0"})
    assert "Vélo à Lyon" not in _page(outsider.get("/collaboration/groups/of/cleo"))


def test_group_activity_stays_in_the_group(app, make_member, make_group, visit):
    ana, bob, outsider = make_member(handle="ana"), make_member(handle="bob"), make_member(handle="out")
    group = make_group(ana)
    _join(bob, group)
    db.session.commit()
    visit(bob).post(f"/collaboration/groups/{group.id}/wall", data={"body": "Réservé au groupe"})
    outside = visit(outsider)
    assert "Réservé au groupe" not in _page(outside.get("/"))
    assert all(i["verb"] != "collaboration.wall_post"
               for i in outside.get("/activity/since?after=0").get_json()["items"])
    assert "Réservé au groupe" in _page(visit(ana).get(f"/collaboration/groups/{group.id}/activity"))


def test_socket_room_audiences_and_members_follow_active_memberships(app, make_member, make_group):
    from flask import g
    from flask_babel import force_locale

    ana, bob, pending, moderator = make_member(), make_member(), make_member(), make_member(role="moderator")
    group = make_group(ana)
    closed = make_group(ana, name="Fermé", join_policy="approval")
    _join(bob, group)
    _join(pending, closed)
    db.session.commit()
    module = registry.get("collaboration")
    check = module.rooms["group"]
    g.pop("collaboration_groups", None)
    assert check(bob, str(group.id)) and check(moderator, str(group.id)) and check(ana, str(closed.id))
    assert not check(pending, str(closed.id)) and not check(bob, str(closed.id)) and not check(bob, "x")
    assert list(module.audiences(bob)) == [group_room(group.id)]
    assert list(module.audiences(pending)) == []
    with force_locale("en"):
        assert [str(label) for _room, label in module.post_audiences(ana)] == ["Group: Fermé", "Group: Vélo à Lyon"]
    assert sorted(module.audience_members(group_room(group.id))) == sorted([ana.id, bob.id])
    assert module.audience_members("collaboration:debate:1") is None


def test_an_influence_post_addressed_to_the_group_shows_in_its_space(app, make_member, make_group, visit):
    ana, bob, outsider = make_member(handle="ana"), make_member(handle="bob"), make_member(handle="out")
    group = make_group(ana)
    _join(bob, group)
    db.session.commit()
    client = visit(bob)
    assert "Group: Vélo à Lyon" in _page(client.get("/influence/"))
    response = client.post("/influence/posts", data={"body": "Sortie dimanche", "audience": group_room(group.id)})
    assert response.status_code == 302
    assert "Sortie dimanche" in _page(visit(ana).get(f"/collaboration/groups/{group.id}"))
    assert "Sortie dimanche" in _page(visit(ana).get(f"/collaboration/groups/{group.id}/activity"))
    assert "Sortie dimanche" not in _page(visit(outsider).get("/influence/all"))
    since = visit(ana).get(f"/collaboration/groups/{group.id}/activity/since?after=0").get_json()["items"]
    assert any("Sortie dimanche" in item["html"] for item in since)


# --- the wall ------------------------------------------------------------------------------------


def test_threads_and_replies_on_the_wall(app, make_member, make_group, visit):
    ana, bob, cleo = make_member(handle="ana"), make_member(handle="bob"), make_member(handle="cleo")
    group = make_group(ana)
    _join(bob, group)
    _join(cleo, group)
    db.session.commit()
    response = visit(bob).post(f"/collaboration/groups/{group.id}/wall", data={"body": "Qui vient **samedi** ?"})
    assert response.status_code == 302
    root = db.session.scalar(select(CollaborationWallPost))
    assert root.thread_id == root.id and "<strong>samedi</strong>" in root.body_html
    assert db.session.scalar(select(Notification.kind).where(Notification.member_id == ana.id,
                                                             Notification.kind == "collaboration.wall_post"))
    reply = visit(cleo).post(f"/collaboration/groups/{group.id}/wall/{root.id}/reply", data={"body": "Moi !"})
    assert reply.status_code == 302 and f"/wall/{root.id}" in reply.headers["Location"]
    answer = db.session.scalar(select(CollaborationWallPost).where(CollaborationWallPost.reply_to_id == root.id))
    assert answer.thread_id == root.id
    assert db.session.scalar(select(Notification.kind).where(Notification.member_id == bob.id)) == \
        "collaboration.wall_reply"
    page = _page(visit(ana).get(f"/collaboration/groups/{group.id}"))
    assert "Qui vient" in page and "Moi !" in page
    thread = _page(visit(ana).get(f"/collaboration/groups/{group.id}/wall/{root.id}"))
    assert "Qui vient" in thread and "Moi !" in thread
    since = visit(ana).get(f"/collaboration/groups/{group.id}/wall/since?after=0").get_json()["items"]
    assert [item["id"] for item in since] == [root.id] and "Moi !" in since[0]["html"]
    assert visit(ana).get(f"/collaboration/groups/{group.id}/wall/since?after={root.id}").get_json()["items"] == []


@pytest.mark.parametrize(("body", "message"), [("", "Write something first."), ("   ", "Write something first."),
                                               ("x" * 5001, "5000")])
def test_an_empty_or_too_long_message_is_refused_and_kept(make_member, make_group, visit, body, message):
    ana = make_member()
    group = make_group(ana)
    response = visit(ana).post(f"/collaboration/groups/{group.id}/wall", data={"body": body})
    page = _page(response)
    assert response.status_code == 422 and message in page.replace(",", "")
    assert db.session.scalar(select(func.count()).select_from(CollaborationWallPost)) == 0


def test_a_reply_error_keeps_the_text(make_member, make_group, visit, app):
    ana = make_member()
    group = make_group(ana)
    with app.test_request_context():
        root = service.post_thread(db.session.get(CollaborationGroup, group.id), ana, "Racine")
    db.session.commit()
    response = visit(ana).post(f"/collaboration/groups/{group.id}/wall/{root.id}/reply", data={"body": "y" * 5001})
    assert response.status_code == 422 and "y" * 5001 in _page(response)


def test_animators_delete_wall_messages_other_members_cannot(app, make_member, make_group, visit):
    ana, bob, cleo = make_member(handle="ana"), make_member(handle="bob"), make_member(handle="cleo")
    group = make_group(ana)
    _join(bob, group)
    _join(cleo, group)
    with app.test_request_context():
        post = service.post_thread(db.session.get(CollaborationGroup, group.id), bob, "À supprimer")
    db.session.commit()
    refused = visit(cleo).post(f"/collaboration/groups/{group.id}/wall/{post.id}/delete", follow_redirects=True)
    assert "Only its author or an animator" in _page(refused)
    visit(ana).post(f"/collaboration/groups/{group.id}/wall/{post.id}/delete")
    db.session.expire_all()
    assert db.session.get(CollaborationWallPost, post.id).deleted_at is not None
    page = _page(visit(cleo).get(f"/collaboration/groups/{group.id}"))
    assert "À supprimer" not in page and "This message was deleted." in page


def test_a_hidden_wall_message_leaves_the_wall_for_members(app, make_member, make_group, visit):
    from community.moderation.service import set_hidden

    ana, bob, moderator = make_member(handle="ana"), make_member(handle="bob"), make_member(role="moderator")
    group = make_group(ana)
    _join(bob, group)
    with app.test_request_context():
        post = service.post_thread(db.session.get(CollaborationGroup, group.id), bob, "Contenu signalé")
    db.session.commit()
    reporter = visit(ana)
    assert reporter.get(f"/moderation/report?type=collaboration.wall&id={post.id}").status_code == 200
    reporter.post("/moderation/report", data={"content_type": "collaboration.wall", "content_id": str(post.id),
                                              "reason": "hors sujet"})
    set_hidden("collaboration.wall", str(post.id), True, moderator, "règle 2")
    page = _page(visit(ana).get(f"/collaboration/groups/{group.id}"))
    assert "Contenu signalé" not in page and "A moderator hid this message." in page
    assert "Contenu signalé" in _page(visit(moderator).get(f"/collaboration/groups/{group.id}"))


# --- links ---------------------------------------------------------------------------------------


def test_links_worth_keeping(make_member, make_group, visit):
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    group = make_group(ana)
    _join(bob, group)
    db.session.commit()
    client = visit(bob)
    response = client.post(f"/collaboration/groups/{group.id}/links", data={
        "title": "Plan vélo", "url": "https://example.org/plan", "note": "À lire"})
    assert response.status_code == 302
    page = _page(client.get(f"/collaboration/groups/{group.id}/links"))
    assert 'href="https://example.org/plan"' in page and "À lire" in page
    link = db.session.scalar(select(CollaborationLink))
    visit(ana).post(f"/collaboration/groups/{group.id}/links/{link.id}/delete")
    assert db.session.scalar(select(func.count()).select_from(CollaborationLink)) == 0


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/x", "example.org", "http://",
                                 "data:text/html,x", "https://exa mple.org"])
def test_a_non_http_link_is_refused_and_the_values_kept(make_member, make_group, visit, url):
    ana = make_member()
    group = make_group(ana)
    response = visit(ana).post(f"/collaboration/groups/{group.id}/links",
                               data={"title": "Titre gardé", "url": url, "note": ""})
    page = _page(response)
    assert response.status_code == 422 and "http:// or https://" in page and "Titre gardé" in page
    assert db.session.scalar(select(func.count()).select_from(CollaborationLink)) == 0


# --- invitations, animators, leaving -------------------------------------------------------------


def test_an_invitation_is_notified_and_accepted(make_member, make_group, visit):
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    group = make_group(ana, join_policy="approval")
    animator = visit(ana)
    assert animator.post(f"/collaboration/groups/{group.id}/invite", data={"invite-handle": "@Bob"}).status_code == 302
    row = _membership(group, bob)
    assert (row.status, row.invited_by_id) == ("invited", ana.id) and _count(group) == 1
    assert db.session.scalar(select(Notification.kind).where(Notification.member_id == bob.id)) == \
        "collaboration.invited"
    invitee = visit(bob)
    assert "invites you to join" in _page(invitee.get("/notifications"))
    assert "Accept the invitation" in _page(invitee.get(f"/collaboration/groups/{group.id}"))
    invitee.post(f"/collaboration/groups/{group.id}/invitation/accept")
    assert _membership(group, bob).status == "active" and _count(group) == 2


def test_an_invitation_can_be_declined(make_member, make_group, visit):
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    group = make_group(ana)
    visit(ana).post(f"/collaboration/groups/{group.id}/invite", data={"invite-handle": "bob"})
    visit(bob).post(f"/collaboration/groups/{group.id}/invitation/decline")
    assert _membership(group, bob) is None and _count(group) == 1


@pytest.mark.parametrize(("handle", "message"), [("nobody", "No member has the handle @nobody."),
                                                 ("ana", "@ana is already a member."), ("", "Give a member")])
def test_a_bad_invitation_says_why(make_member, make_group, visit, handle, message):
    ana = make_member(handle="ana")
    group = make_group(ana)
    response = visit(ana).post(f"/collaboration/groups/{group.id}/invite", data={"invite-handle": handle})
    assert response.status_code == 422 and message in _page(response)


def test_only_animators_invite_approve_and_remove(make_member, make_group, visit):
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    make_member(handle="cleo")
    group = make_group(ana)
    _join(bob, group)
    db.session.commit()
    member = visit(bob)
    assert member.post(f"/collaboration/groups/{group.id}/invite", data={"invite-handle": "cleo"}).status_code == 403
    assert member.post(f"/collaboration/groups/{group.id}/members/{ana.id}/remove").status_code == 403
    assert "Remove from the group" not in _page(member.get(f"/collaboration/groups/{group.id}/members"))
    visit(ana).post(f"/collaboration/groups/{group.id}/members/{bob.id}/remove")
    assert _membership(group, bob) is None and _count(group) == 1


def test_leaving_and_the_last_animator(make_member, make_group, visit):
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    group = make_group(ana)
    _join(bob, group)
    db.session.commit()
    visit(bob).post(f"/collaboration/groups/{group.id}/leave")
    assert _membership(group, bob) is None and _count(group) == 1
    refused = visit(ana).post(f"/collaboration/groups/{group.id}/leave", follow_redirects=True)
    assert "last animator" in _page(refused) and _membership(group, ana).status == "active"


def test_the_animator_role_is_transferred_then_the_former_animator_leaves(make_member, make_group, visit):
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    group = make_group(ana)
    _join(bob, group)
    db.session.commit()
    animator = visit(ana)
    refused = animator.post(f"/collaboration/groups/{group.id}/animators",
                            data={"animator-handle": "nobody"})
    assert refused.status_code == 422 and "Only an active member" in _page(refused)
    response = animator.post(f"/collaboration/groups/{group.id}/animators",
                             data={"animator-handle": "bob", "animator-step_down": "y"})
    assert response.status_code == 302
    assert _membership(group, bob).role == "animator" and _membership(group, ana).role == "member"
    assert db.session.scalar(select(Notification.kind).where(Notification.member_id == bob.id)) == \
        "collaboration.animator_named"
    assert "named you animator" in _page(visit(bob).get("/notifications"))
    animator.post(f"/collaboration/groups/{group.id}/leave")
    assert _membership(group, ana) is None and _count(group) == 1
    step = visit(bob).post(f"/collaboration/groups/{group.id}/animators/step-down", follow_redirects=True)
    assert "last animator" in _page(step)


# --- archiving -------------------------------------------------------------------------------------


def test_an_archived_group_is_read_only_and_keeps_its_data(app, make_member, make_group, visit):
    ana, bob, cleo = make_member(handle="ana"), make_member(handle="bob"), make_member(handle="cleo")
    admin = make_member(role="admin")
    group = make_group(ana)
    _join(bob, group)
    with app.test_request_context():
        service.post_thread(db.session.get(CollaborationGroup, group.id), bob, "Avant l'archive")
    db.session.commit()
    assert visit(bob).post(f"/collaboration/groups/{group.id}/archive").status_code == 302
    db.session.expire_all()
    assert db.session.get(CollaborationGroup, group.id).archived_at is None  # members cannot archive
    visit(ana).post(f"/collaboration/groups/{group.id}/archive", data={"archived": "1"})
    db.session.expire_all()
    assert db.session.get(CollaborationGroup, group.id).archived_at is not None
    member = visit(bob)
    page = _page(member.get(f"/collaboration/groups/{group.id}"))
    assert "archived" in page and "Avant l'archive" in page and 'id="wall-form"' not in page
    refused = member.post(f"/collaboration/groups/{group.id}/wall", data={"body": "Après"})
    assert refused.status_code == 422 and "archived" in _page(refused) and "Après" in _page(refused)
    joined = visit(cleo).post(f"/collaboration/groups/{group.id}/join", follow_redirects=True)
    assert "archived" in _page(joined) and _membership(group, cleo) is None
    assert db.session.scalar(select(func.count()).select_from(CollaborationWallPost)) == 1
    assert registry.get("collaboration").post_audiences(bob) == []
    visit(admin).post(f"/collaboration/groups/{group.id}/archive", data={"archived": "0"})
    db.session.expire_all()
    assert db.session.get(CollaborationGroup, group.id).archived_at is None


# --- lists, settings, landing page, demo, export ---------------------------------------------------


def test_directory_filters_and_my_groups(make_member, make_group, visit):
    ana = make_member(handle="ana", commune="Lyon", postal_code="69003")
    make_group(ana, name="Lyon en commun", kind="local", commune="Lyon", postal_code="69003")
    make_group(ana, name="Marseille ensemble", kind="local", commune="Marseille", postal_code="13001")
    make_group(ana, name="Groupe climat", kind="thematic")
    bob = make_member(handle="bob", commune="Lyon", postal_code="69007")
    client = visit(bob)
    everything = _page(client.get("/collaboration/groups"))
    assert all(name in everything for name in ("Lyon en commun", "Marseille ensemble", "Groupe climat"))
    local = _page(client.get("/collaboration/groups?kind=local"))
    assert "Groupe climat" not in local and "Marseille ensemble" in local
    near = _page(client.get("/collaboration/groups?near=1"))
    assert "Lyon en commun" in near and "Marseille ensemble" not in near
    assert "Groupe climat" in _page(client.get("/collaboration/groups?q=clim"))
    assert "no group yet" in _page(client.get("/collaboration/groups/mine"))
    landing = _page(client.get("/collaboration/"))
    assert "Groups near you" in landing and "Lyon en commun" in landing
    mine = _page(visit(ana).get("/collaboration/groups/mine"))
    assert "Groupe climat" in mine and "Lyon en commun" in mine


def test_admins_set_the_movement_cap_and_who_creates(make_member, visit):
    admin, member = make_member(role="admin"), make_member()
    assert visit(member).get("/collaboration/groups/settings").status_code == 403
    client = visit(admin)
    assert client.get("/collaboration/groups/settings").status_code == 200
    bad = client.post("/collaboration/groups/settings", data={"group_member_cap": "0"})
    assert bad.status_code == 422
    assert client.post("/collaboration/groups/settings", data={"group_member_cap": "25"}).status_code == 302
    db.session.expire_all()
    from flask import g

    g.pop("terreau_settings", None)
    assert service.movement_cap() == 25 and service.can_create(member) is False
    client.post("/collaboration/groups/settings", data={"group_member_cap": "", "members_can_create_groups": "y"})
    g.pop("terreau_settings", None)
    assert service.movement_cap() is None and service.can_create(member) is True


def test_home_widget_lists_my_groups_and_invitations(make_member, make_group, visit):
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    group = make_group(ana, name="Groupe du widget")
    visit(ana).post(f"/collaboration/groups/{group.id}/invite", data={"invite-handle": "bob"})
    home = _page(visit(bob).get("/"))
    assert "1 invitation to a group is waiting for you." in home and "Groupe du widget" in home


def test_page_views_write_nothing(app, make_member, make_group, visit):
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    group = make_group(ana)
    _join(bob, group)
    with app.test_request_context():
        post = service.post_thread(db.session.get(CollaborationGroup, group.id), bob, "Lecture seule")
    db.session.commit()
    client = visit(ana)
    paths = ["/collaboration/", "/collaboration/groups", "/collaboration/groups/mine",
             f"/collaboration/groups/{group.id}",
             f"/collaboration/groups/{group.id}/members", f"/collaboration/groups/{group.id}/links",
             f"/collaboration/groups/{group.id}/activity", f"/collaboration/groups/{group.id}/wall/{post.id}",
             f"/collaboration/groups/{group.id}/edit", "/collaboration/groups/of/bob",
             f"/collaboration/groups/{group.id}/wall/since?after=0"]
    for path in paths:
        with QueryCounter(db.engine) as counter:
            assert client.get(path).status_code == 200, path
        writes = [s for s in counter.statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
        assert writes == [], (path, writes)


def test_the_wall_page_costs_the_same_whatever_its_length(app, make_member, make_group, visit):
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    group = make_group(ana)
    _join(bob, group)
    db.session.commit()
    client = visit(ana)

    def count():
        with QueryCounter(db.engine) as counter:
            client.get(f"/collaboration/groups/{group.id}")
        return counter.count

    with app.test_request_context():
        item = db.session.get(CollaborationGroup, group.id)
        root = service.post_thread(item, bob, "Un")
        service.reply(item, ana, root, "Deux")
    small = count()
    with app.test_request_context():
        item = db.session.get(CollaborationGroup, group.id)
        for i in range(15):
            root = service.post_thread(item, bob if i % 2 else ana, f"Fil {i}")
            service.reply(item, ana, root, "Réponse")
    assert count() == small


def test_export_holds_memberships_messages_and_links(app, make_member, make_group):
    from community.privacy import export_member

    ana = make_member(handle="ana")
    group = make_group(ana)
    with app.test_request_context():
        service.post_thread(db.session.get(CollaborationGroup, group.id), ana, "Mon message")
    service.add_link(db.session.get(CollaborationGroup, group.id), ana, title="Lien", url="https://example.org")
    db.session.commit()
    data = export_member(ana)["modules"]["collaboration"]["groups"]
    assert data["memberships"][0]["group"] == "Vélo à Lyon" and data["memberships"][0]["role"] == "animator"
    assert data["wall_posts"][0]["body"] == "Mon message" and data["links"][0]["url"] == "https://example.org"


def test_forget_member_gives_the_seats_back(app, make_member, make_group):
    ana, bob = make_member(), make_member()
    group = make_group(ana)
    _join(bob, group)
    service.forget_member(bob.id)
    assert _membership(group, bob) is None and _count(group) == 1


def test_seed_demo_makes_consistent_groups(app, client, login):
    from community.demo import DEMO_PASSWORD, seed
    from community.models import Member

    seed(members=80, seed=3)
    groups = list(db.session.scalars(select(CollaborationGroup)))
    assert any(g.kind == "local" for g in groups) and any(g.kind == "thematic" for g in groups)
    for group in groups:
        assert group.member_count == _active(group) >= 1
        assert db.session.scalar(select(func.count()).select_from(CollaborationMembership).where(
            CollaborationMembership.group_id == group.id, CollaborationMembership.role == "animator",
            CollaborationMembership.status == "active")) >= 1
    assert db.session.scalar(select(func.count()).select_from(CollaborationWallPost)) > 0
    assert db.session.scalar(select(func.count()).where(Activity.verb == "collaboration.group_joined")) > 0
    busiest = max(groups, key=lambda g: g.member_count)
    member_id = db.session.scalar(select(CollaborationMembership.member_id).where(
        CollaborationMembership.group_id == busiest.id, CollaborationMembership.status == "active"))
    member = db.session.get(Member, member_id)
    login(client, member, DEMO_PASSWORD)
    assert client.get(f"/collaboration/groups/{busiest.id}").status_code == 200
    assert client.get(f"/collaboration/groups/{busiest.id}/activity").status_code == 200
    assert client.get(f"/collaboration/groups/{busiest.id}/members").status_code == 200
    assert client.get("/collaboration/groups").status_code == 200
    assert client.get("/collaboration/groups/mine").status_code == 200


def test_sockets_group_room_for_members_and_live_wall_events(app, make_member, make_group, visit):
    """The room "collaboration:group:<id>" refuses non-members; members' sockets join it at
    connection and hear of a new thread (ids only) after its commit."""
    from flask import g

    from community.extensions import socketio

    def fresh():  # the test's app context is shared by every client: forget per-request caches
        for key in ("_login_user", "terreau_modules", "collaboration_groups"):
            g.pop(key, None)

    ana, bob, outsider = make_member(handle="ana"), make_member(handle="bob"), make_member(handle="out")
    group = make_group(ana)
    _join(bob, group)
    db.session.commit()
    room = group_room(group.id)
    fresh()
    intruder = socketio.test_client(app, flask_test_client=visit(outsider))
    fresh()
    assert intruder.emit("join", {"room": room}, callback=True) == {"ok": False, "error": "forbidden"}
    fresh()
    listener = socketio.test_client(app, flask_test_client=visit(ana))
    fresh()
    assert listener.emit("join", {"room": room}, callback=True) == {"ok": True}
    listener.get_received()
    intruder.get_received()
    fresh()
    visit(bob).post(f"/collaboration/groups/{group.id}/wall", data={"body": "En direct"})
    heard = [e["args"][0] for e in listener.get_received() if e["name"] == "activity"]
    assert [e["verb"] for e in heard] == ["collaboration.wall_post"] and "En direct" not in str(heard)
    assert [e for e in intruder.get_received() if e["name"] == "activity"] == []
    listener.disconnect()
    intruder.disconnect()


def test_refusals_speak_the_members_language(make_member, make_group, visit):
    ana, bob, cleo = make_member(handle="ana"), make_member(handle="bob"), make_member(handle="cleo")
    group = make_group(ana)
    db.session.get(CollaborationGroup, group.id).member_cap = 2
    db.session.commit()
    _join(bob, group)
    db.session.commit()
    french = visit(cleo)
    french.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    full = french.post(f"/collaboration/groups/{group.id}/join", follow_redirects=True)
    assert "Ce groupe est complet (2 membres)." in _page(full).replace("&#39;", "'")
    animator = visit(ana)
    animator.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    link = animator.post(f"/collaboration/groups/{group.id}/links", data={"title": "T", "url": "javascript:x"})
    assert link.status_code == 422 and "commençant par http:// ou https://" in _page(link)
    empty = animator.post(f"/collaboration/groups/{group.id}/wall", data={"body": " "})
    assert empty.status_code == 422 and "abord quelque chose." in _page(empty)


def test_audiences_of_many_members_match_each_members_own_in_one_query(app, make_member):
    """The bulk form (bridging scores read thousands of members) agrees with visible_audiences()."""
    from community.activity import module_audiences_of, visible_audiences
    from community.database import QueryCounter
    from modules.collaboration.models import CollaborationGroup, CollaborationMembership

    members = [make_member(handle=f"m{i}") for i in range(4)]
    groups = [CollaborationGroup(slug=f"g{i}", name=f"G{i}") for i in range(2)]
    db.session.add_all(groups)
    db.session.flush()
    db.session.add_all([CollaborationMembership(group_id=groups[0].id, member_id=members[0].id),
                        CollaborationMembership(group_id=groups[1].id, member_id=members[0].id),
                        CollaborationMembership(group_id=groups[1].id, member_id=members[1].id),
                        CollaborationMembership(group_id=groups[0].id, member_id=members[2].id, status="pending")])
    db.session.commit()
    ids = [m.id for m in members]
    with QueryCounter(db.engine) as counter:
        bulk = module_audiences_of(ids)
    for member in members:
        own = [a for a in visible_audiences(member) if a not in ("public", "members", f"member:{member.id}")]
        assert sorted(bulk[member.id]) == sorted(own)
    assert bulk[members[0].id] and not bulk[members[2].id]
    assert counter.count <= 3  # whatever the number of members


def test_group_items_in_the_feed_take_their_group_from_the_readers_memberships(app, make_member, make_group,
                                                                                visit):
    """groups_service.preload_activities: the reader's groups were read with their memberships, so
    the feed does not ask for them again; a group the reader is not in is still read and named."""
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    moderator = make_member(handle="modo", role="moderator")
    group = make_group(ana, name="Atelier vélo")
    _join(bob, group)
    with app.test_request_context():
        service.post_thread(db.session.get(CollaborationGroup, group.id), ana, "Sortie dimanche")
    db.session.commit()
    client = visit(bob)
    client.get("/")
    with QueryCounter(db.engine) as counter:
        home = _page(client.get("/"))
    assert "Sortie dimanche" in home and "Atelier vélo" in home
    by_id = [s for s in counter.statements if "FROM collaboration_group \nWHERE collaboration_group.id IN" in s]
    assert by_id == []
    db.session.get(CollaborationGroup, group.id).name = "Atelier vélo du dimanche"
    db.session.commit()
    assert "Atelier vélo du dimanche" in _page(client.get("/"))
    # a moderator who is not in the group reads its activity: the group is read and named
    with QueryCounter(db.engine) as counter:
        page = _page(visit(moderator).get(f"/collaboration/groups/{group.id}/activity"))
    assert "Atelier vélo du dimanche" in page
    assert [s for s in counter.statements if "FROM collaboration_group \nWHERE collaboration_group.id IN" in s]


def test_the_login_brings_the_readers_memberships_as_their_own_query_would(app, make_member, make_group, visit):
    """Module.login_columns: the memberships come with the member's login (JSON the database
    escapes) and read back as the memberships statement reads them: same values and types, same
    order, awkward names included. The home page then needs no statement for them."""
    from datetime import datetime

    from flask import g

    from community.database import json_rows_values
    from community.models import Member
    from modules.collaboration import access

    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    names = ['Zèbre "rayé" \\ \x1f\x1e', "Éducation populaire", "atelier vélo", "Vélo à Lyon", "ÂGE d'or"]
    groups = [make_group(ana, name=name) for name in names]
    for group in groups[:4]:
        _join(bob, group)
    db.session.get(CollaborationGroup, groups[0].id).archived_at = datetime(2026, 3, 4, 5, 6, 7, 89)
    db.session.get(CollaborationMembership, (groups[1].id, bob.id)).public = True
    db.session.get(CollaborationMembership, (groups[2].id, bob.id)).status = "pending"
    db.session.commit()
    with app.test_request_context():
        values = db.session.execute(select(*registry.login_columns(Member.id)).where(Member.id == bob.id)).one()
        access.take_login(bob.id, tuple(values))
        from_login = g.collaboration_memberships[bob.id]
        access.forget_memberships()
        from_query = access.memberships(bob)
    as_values = [(vars(m), vars(group)) for m, group in from_login]
    assert as_values == [(vars(m), vars(group)) for m, group in from_query]
    # by name, accents and case left out; the archived group last (its name as stored: the service
    # took the control characters out, the quotes and backslash stay)
    assert [group.name for _m, group in from_login] == ["atelier vélo", "Éducation populaire", "Vélo à Lyon",
                                                         'Zèbre "rayé" \\']
    first = from_login[1]
    assert first[0].public is True and isinstance(first[0].joined_at, datetime) and first[1].member_cap is None
    assert from_login[3][1].archived_at == datetime(2026, 3, 4, 5, 6, 7, 89)
    assert json_rows_values(None, ()) == []  # PostgreSQL's json_agg of no row is NULL
    client = visit(bob)
    client.get("/")
    with QueryCounter(db.engine) as counter:
        assert "Vélo à Lyon" in _page(client.get("/"))
    assert not [s for s in counter.statements if "FROM collaboration_membership" in s.split("WHERE")[0]
                and "json" not in s]
