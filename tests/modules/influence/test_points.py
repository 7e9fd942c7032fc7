"""Activity points (rules, decay, levels, rebuild), badges, the leaderboard switch and the admin form."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from community.activity import publish
from community.database import QueryCounter
from community.extensions import db
from community.models import Activity, AuditEntry, Setting
from community.registry import registry
from community.settings import set_module_setting
from community.timeutil import utcnow
from modules.influence import points, ranking, service
from modules.influence.models import InfluenceBadge, InfluencePoints

T0 = datetime(2026, 3, 10, 12, 0, 0)
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _fresh_rankings():
    ranking.clear_cache()
    yield
    ranking.clear_cache()


def activity(actor, verb, at, obj=None):
    """A stored activity at a chosen time (publish() would stamp it now), not yet counted."""
    object_type, object_id = obj if obj else (None, None)
    row = Activity(actor_id=actor.id, verb=verb, module=verb.split(".")[0], object_type=object_type,
                   object_id=None if object_id is None else str(object_id), audience="members", data={},
                   created_at=at)
    db.session.add(row)
    db.session.commit()
    return row


def snapshot() -> dict:
    return {r.member_id: (r.total, r.score, r.month_total, r.month, r.updated_at, r.last_activity_id)
            for r in db.session.scalars(select(InfluencePoints))}


def badges() -> set:
    return set(db.session.execute(select(InfluenceBadge.member_id, InfluenceBadge.badge)).all())


# --- the rules as pure functions ----------------------------------------------------------------


def test_decay_halves_every_half_life_and_never_grows():
    assert points.decay(8.0, T0, T0 + 30 * DAY, 30) == pytest.approx(4.0)
    assert points.decay(8.0, T0, T0 + 60 * DAY, 30) == pytest.approx(2.0)
    assert points.decay(8.0, T0, T0 + 15 * DAY, 30) == pytest.approx(8 / 2 ** 0.5)
    assert points.decay(8.0, T0, T0 - DAY, 30) == 8.0
    assert points.decay(8.0, None, T0, 30) == 8.0


def test_state_adds_points_with_decay_and_month_totals():
    state = points.PointsState()
    state.add(3, T0, 1, 30)
    state.add(2, T0 + 30 * DAY, 2, 30)  # 3 halved, plus 2; a new month starts its own total
    assert state.score == pytest.approx(3.5)
    assert (state.total, state.month, state.month_total, state.updated_at, state.last_activity_id) == (
        5, "2026-04", 2, T0 + 30 * DAY, 2)
    state.add(1, T0 + 31 * DAY, 3, 30)
    assert state.month_total == 3 and state.total == 6


def test_an_action_dated_before_the_last_one_is_decayed_to_it():
    state = points.PointsState().add(4, T0 + 30 * DAY, 2, 30)
    state.add(4, T0, 3, 30)  # a server with a late clock: counted, at its own age
    assert state.score == pytest.approx(4 + 2)
    assert state.updated_at == T0 + 30 * DAY and state.total == 8
    assert state.month == "2026-04" and state.month_total == 4  # March's points do not enter April


@pytest.mark.parametrize(("score", "level"), [(0, 1), (4.99, 1), (5, 2), (9.9, 2), (10, 3), (20, 4), (40, 5),
                                              (80, 6), (160, 7), (320, 8), (639.9, 8), (640, 9), (1279, 9),
                                              (1280, 10), (10 ** 6, 10)])
def test_levels_follow_the_documented_thresholds(score, level):
    assert points.level_for(score) == level


def test_rules_default_and_unknown_verbs_give_nothing(app):
    rules = points.point_rules()
    assert rules["influence.post"] == 3 and rules["influence.reply"] == 2 and rules["influence.relay"] == 1
    assert rules["core.follow"] == 1 and rules["coordination.event_created"] == 5
    assert rules["coordination.report"] == 4 and rules["collaboration.contribution"] == 2
    assert rules.get("core.role", 0) == 0


def test_stored_rules_override_defaults_and_keep_new_verbs(app):
    set_module_setting("influence", "points", {"influence.post": 7})
    db.session.commit()
    rules = points.point_rules()
    assert rules["influence.post"] == 7 and rules["influence.reply"] == 2


# --- from the activity stream -----------------------------------------------------------------------


def test_publishing_an_activity_updates_the_actor_row(app, make_member, make_post):
    ana = make_member(handle="ana")
    post = make_post(ana, "Bonjour")
    row = db.session.get(InfluencePoints, ana.id)
    assert (row.total, row.score) == (3, pytest.approx(3.0))
    assert row.last_activity_id == db.session.scalar(select(Activity.id).where(Activity.object_id == str(post.id)))
    publish(ana, "core.role", ("core.member", ana.id))  # a verb without points: no change
    db.session.expire_all()
    assert db.session.get(InfluencePoints, ana.id).total == 3


def test_member_points_decay_to_now_without_writing(app, make_member):
    ana = make_member(handle="ana")
    points.record_activity(activity(ana, "coordination.event_created", T0))  # 5
    points.record_activity(activity(ana, "influence.post", T0 + DAY, ("influence.post", 1)))  # 3
    with QueryCounter(db.engine) as counter:
        now = points.member_points(ana.id, now=T0 + 31 * DAY)
    assert not [s for s in counter.statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert now.score == pytest.approx(5 * 2 ** (-31 / 30) + 3 * 0.5)
    assert (now.total, now.level, now.next_threshold, now.month_total) == (8, 1, 5, 0)
    assert points.member_points(ana.id, now=T0 + DAY) == points.MemberPoints(8, pytest.approx(5 * 2 ** (-1 / 30) + 3),
                                                                             8, 2, 10)
    assert points.member_points(make_member().id, now=T0).level == 1


def test_an_action_counts_once_per_object_and_once_per_activity(app, make_member):
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    first = activity(ana, "core.follow", T0, ("core.member", bob.id))
    points.record_activity(first)
    points.record_activity(first)  # delivered twice: counted once
    points.record_activity(activity(ana, "core.follow", T0 + DAY, ("core.member", bob.id)))  # unfollow, follow again
    assert db.session.get(InfluencePoints, ana.id).total == 1


def _history(make_member):
    """Several members' activities over three months, with duplicates and verbs without points."""
    ana, bob, cy = make_member(handle="ana"), make_member(handle="bob"), make_member(handle="cy")
    rows = []
    for day in range(0, 75, 4):
        rows.append(activity(ana, "influence.post", T0 + day * DAY, ("influence.post", 100 + day)))
        if day % 8 == 0:
            rows.append(activity(bob, "influence.reply", T0 + day * DAY + timedelta(hours=3),
                                 ("influence.post", 500 + day)))
    rows.append(activity(bob, "core.follow", T0 + 2 * DAY, ("core.member", ana.id)))
    rows.append(activity(bob, "core.follow", T0 + 9 * DAY, ("core.member", ana.id)))
    rows.append(activity(cy, "coordination.checkin", T0 + 5 * DAY, ("coordination.event", 1)))
    rows.append(activity(cy, "coordination.unknown", T0 + 6 * DAY, ("coordination.event", 1)))
    rows.append(activity(cy, "influence.relay", T0 + 40 * DAY, ("influence.post", 100)))
    return ana, bob, cy, rows


def test_rebuild_equals_incremental(app, make_member):
    ana, bob, cy, rows = _history(make_member)
    for row in sorted(rows, key=lambda r: r.id):
        points.record_activity(row)
    incremental, incremental_badges = snapshot(), badges()
    assert incremental[ana.id][0] == 19 * 3 and incremental[bob.id][0] == 10 * 2 + 1
    assert incremental[cy.id][0] == 2 + 1
    db.session.execute(InfluencePoints.__table__.delete())
    db.session.execute(InfluenceBadge.__table__.delete())
    db.session.commit()
    assert points.rebuild_points() == 3
    db.session.commit()
    rebuilt = snapshot()
    assert rebuilt.keys() == incremental.keys()
    for member_id, values in incremental.items():
        assert rebuilt[member_id][:1] + rebuilt[member_id][2:] == values[:1] + values[2:]
        assert rebuilt[member_id][1] == pytest.approx(values[1], rel=1e-12)
    assert badges() == incremental_badges
    assert (ana.id, "ten_posts") in incremental_badges and (cy.id, "first_event") in incremental_badges


def test_rebuild_is_deterministic_and_keeps_badges(app, make_member):
    _history(make_member)
    points.rebuild_points()
    db.session.commit()
    first = snapshot()
    awarded = {(b.member_id, b.badge): b.awarded_at for b in db.session.scalars(select(InfluenceBadge))}
    points.rebuild_points()
    db.session.commit()
    assert snapshot() == first
    assert {(b.member_id, b.badge): b.awarded_at for b in db.session.scalars(select(InfluenceBadge))} == awarded


def test_switching_the_module_off_then_on_keeps_points_right(app, make_member, make_post):
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    make_post(ana, "Premier message")
    assert db.session.get(InfluencePoints, ana.id).total == 3
    registry.set_enabled("influence", False)
    publish(ana, "core.follow", ("core.member", bob.id), audience=f"member:{bob.id}")  # receivers are silent now
    publish(ana, "coordination.event_created", ("coordination.event", 1))
    db.session.expire_all()
    assert db.session.get(InfluencePoints, ana.id).total == 3
    registry.set_enabled("influence", True)  # on_enable rebuilds from the activity table
    db.session.expire_all()
    row = db.session.get(InfluencePoints, ana.id)
    assert row.total == 3 + 1 + 5
    make_post(ana, "Deuxième message")
    db.session.expire_all()
    assert db.session.get(InfluencePoints, ana.id).total == 12


def test_cli_rebuilds_points(app, make_member):
    ana = make_member(handle="ana")
    activity(ana, "influence.post", T0, ("influence.post", 1))
    result = app.test_cli_runner().invoke(args=["influence", "rebuild-points"])
    assert result.exit_code == 0, result.output
    assert "1 members" in result.output
    db.session.expire_all()
    assert db.session.get(InfluencePoints, ana.id).total == 3


def test_a_failing_receiver_does_not_break_the_action(app, make_member, make_post, monkeypatch, caplog):
    ana = make_member(handle="ana")

    def broken(activity):
        raise RuntimeError("boom")

    monkeypatch.setattr(points, "record_activity", broken)
    post = make_post(ana, "Toujours publié")
    assert post.id and db.session.get(InfluencePoints, ana.id) is None
    assert "could not count the points" in caplog.text


# --- badges ------------------------------------------------------------------------------------------


def test_badges_for_first_post_reply_relay_and_ten_posts(app, make_member, make_post):
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    root = make_post(bob, "Une question")
    for n in range(9):
        make_post(ana, f"Message {n}")
    assert badges() >= {(ana.id, "first_post"), (bob.id, "first_post")}
    assert (ana.id, "ten_posts") not in badges()
    make_post(ana, "Le dixième")
    assert (ana.id, "ten_posts") in badges()
    make_post(ana, "Ma réponse", reply_to=root)
    service.relay(root, ana)
    assert badges() >= {(ana.id, "first_reply"), (ana.id, "first_relay")}
    assert (bob.id, "first_reply") not in badges()
    assert db.session.scalar(select(func.count()).select_from(InfluenceBadge).where(
        InfluenceBadge.member_id == ana.id, InfluenceBadge.badge == "first_post")) == 1


def test_ten_replies_answered_by_someone_else_earn_a_badge(app, make_member, make_post):
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    root = make_post(bob, "Débat")
    replies = [make_post(ana, f"Réponse {n}", reply_to=root) for n in range(11)]
    make_post(ana, "Je me réponds", reply_to=replies[0])  # one's own answer does not count
    for reply in replies[:9]:
        make_post(bob, "Bien vu", reply_to=reply)
    make_post(bob, "Encore", reply_to=replies[0])  # a second answer to the same reply does not count
    assert (ana.id, "ten_answered") not in badges()
    make_post(bob, "Et de dix", reply_to=replies[9])
    assert (ana.id, "ten_answered") in badges()
    assert (bob.id, "ten_answered") not in badges()
    awarded = db.session.get(InfluenceBadge, (ana.id, "ten_answered")).awarded_at
    db.session.execute(InfluenceBadge.__table__.delete())
    points.rebuild_points()
    db.session.commit()
    assert (ana.id, "ten_answered") in badges()
    assert db.session.get(InfluenceBadge, (ana.id, "ten_answered")).awarded_at == awarded


def test_first_event_attended_comes_from_a_coordination_checkin(app, make_member):
    ana = make_member(handle="ana")
    publish(ana, "coordination.rsvp", ("coordination.event", 4))
    assert (ana.id, "first_event") not in badges()
    publish(ana, "coordination.checkin", ("coordination.event", 4))
    assert (ana.id, "first_event") in badges()


def test_profile_shows_badges_and_the_level_only_to_oneself(client, make_member, login, make_post):
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    make_post(ana, "Bonjour")
    login(client, ana)
    own = client.get("/members/ana").get_data(as_text=True)
    assert 'data-badge="first_post"' in own and "Your level: 1 of 10" in own
    client.post("/auth/logout")
    login(client, bob)
    other = client.get("/members/ana").get_data(as_text=True)
    assert 'data-badge="first_post"' in other and "Your level" not in other
    registry.set_enabled("influence", False)
    assert 'data-badge="first_post"' not in client.get("/members/ana").get_data(as_text=True)


# --- pages ---------------------------------------------------------------------------------------------


def _writes(statements) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


def test_rules_page_shows_the_rules_and_the_viewers_points(client, make_member, login, make_post):
    ana = make_member(handle="ana")
    make_post(ana, "Bonjour")
    login(client, ana)
    with QueryCounter(db.engine) as counter:
        page = client.get("/influence/points")
    assert not _writes(counter.statements)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-verb="influence.post"' in text and "Writing a post" in text
    assert "Level 1 of 10" in text and "3 points earned in all" in text
    assert "every 30 days" in text and 'data-badge="first_post"' in text and "badge--earned" in text
    assert 'id="leaderboard-link"' in text


def test_pages_need_a_login(client):
    for path in ("/influence/points", "/influence/leaderboard", "/influence/bridging", "/influence/admin/points"):
        assert client.get(path).status_code == 302, path


def test_leaderboard_lists_listed_members_of_this_month(client, make_member, login):
    listed, hidden, quiet = (make_member(handle="listed", in_directory=True),
                             make_member(handle="hidden", in_directory=False),
                             make_member(handle="quiet", in_directory=True))
    month = points.month_key(utcnow())
    db.session.add_all([
        InfluencePoints(member_id=listed.id, total=50, score=20.0, month_total=12, month=month, updated_at=utcnow()),
        InfluencePoints(member_id=hidden.id, total=90, score=40.0, month_total=30, month=month, updated_at=utcnow()),
        InfluencePoints(member_id=quiet.id, total=80, score=1.0, month_total=70, month="2001-01", updated_at=utcnow()),
    ])
    db.session.commit()
    assert [(m.handle, n) for m, n in points.most_active()] == [("listed", 12)]
    assert points.most_active(member_ids=[quiet.id]) == []  # the per-group form: a list of member ids
    login(client, quiet)
    with QueryCounter(db.engine) as counter:
        page = client.get("/influence/leaderboard").get_data(as_text=True)
    assert not _writes(counter.statements)
    assert 'data-member="listed"' in page and "12 points" in page
    assert 'data-member="hidden"' not in page and 'data-member="quiet"' not in page


def test_leaderboard_switched_off_answers_404_and_its_link_disappears(client, make_member, login):
    login(client, make_member())
    assert client.get("/influence/leaderboard").status_code == 200
    set_module_setting("influence", "leaderboard_enabled", False)
    db.session.commit()
    assert client.get("/influence/leaderboard").status_code == 404
    assert 'id="leaderboard-link"' not in client.get("/influence/points").get_data(as_text=True)


def test_admin_page_is_for_admins_only(client, make_member, login):
    login(client, make_member(role="moderator"))
    assert client.get("/influence/admin/points").status_code == 403
    assert client.post("/influence/admin/points", data={}).status_code == 403


def _form(**changes) -> dict:
    data = {"points__" + verb.replace(".", "__"): str(value) for verb, value in points.DEFAULT_POINTS.items()}
    data.update(half_life_days="30", leaderboard_enabled="y")
    data.update(changes)
    return data


def test_admin_changes_the_rules_audited_and_points_are_recomputed(client, make_member, login, make_post):
    admin, ana = make_member(role="admin"), make_member(handle="ana")
    make_post(ana, "Bonjour")
    login(client, admin)
    page = client.get("/influence/admin/points").get_data(as_text=True)
    assert 'name="points__influence__post"' in page and 'value="3"' in page
    response = client.post("/influence/admin/points", data=_form(points__influence__post="10"))
    assert response.status_code == 302
    assert db.session.get(Setting, ("influence", "points")).value["influence.post"] == 10
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "setting.change"))
    assert entry.actor_id == admin.id and entry.target == "influence:points"
    db.session.expire_all()
    assert db.session.get(InfluencePoints, ana.id).total == 10
    assert 'value="10"' in client.get("/influence/admin/points").get_data(as_text=True)


def test_admin_switches_the_leaderboard_off(client, make_member, login):
    login(client, make_member(role="admin"))
    data = _form()
    del data["leaderboard_enabled"]
    assert client.post("/influence/admin/points", data=data).status_code == 302
    assert points.leaderboard_enabled() is False
    assert client.get("/influence/leaderboard").status_code == 404
    assert db.session.get(Setting, ("influence", "points")) is None  # the rules did not change


@pytest.mark.parametrize("changes", [{"points__influence__post": "abc"}, {"points__influence__post": "-1"},
                                     {"points__core__follow": "101"}, {"points__influence__reply": ""},
                                     {"points__influence__relay": "2.5"}, {"half_life_days": "0"}])
def test_admin_bad_input_is_refused_and_nothing_is_saved(client, make_member, login, make_post, changes):
    admin, ana = make_member(role="admin"), make_member(handle="ana")
    make_post(ana, "Bonjour")
    login(client, admin)
    response = client.post("/influence/admin/points", data=_form(leaderboard_enabled="", **changes))
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter a whole number from" in text and "Nothing was saved" in text
    assert text.count('class="field__error"') == 1
    assert db.session.scalar(select(func.count()).select_from(Setting)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "setting.change")) == 0
    assert db.session.get(InfluencePoints, ana.id).total == 3


def test_leaderboard_within_a_group(client, make_member, login, monkeypatch):
    """Per group: the group's module lists its members through the core (audience_members)."""
    from community.registry import registry

    inside, outside = make_member(handle="inside", in_directory=True), make_member(handle="outside", in_directory=True)
    room = "collaboration:group:5"
    module = registry.get("collaboration")
    inside_id, outside_id = inside.id, outside.id
    monkeypatch.setattr(module, "post_audiences", lambda member: [(room, "Vélo")] if member.id == inside_id else [])
    monkeypatch.setattr(module, "audience_members", lambda audience: [inside_id] if audience == room else None)
    from community.activity import publish

    publish(inside, "influence.post", ("influence.post", 1))
    publish(outside, "influence.post", ("influence.post", 2))
    login(client, inside)
    page = client.get("/influence/leaderboard?in=" + room).get_data(as_text=True)
    assert "Vélo" in page and 'data-member="inside"' in page and 'data-member="outside"' not in page
    assert 'data-member="outside"' in client.get("/influence/leaderboard").get_data(as_text=True)
    assert client.get("/influence/leaderboard?in=collaboration:group:6").status_code == 404
    assert outside_id
