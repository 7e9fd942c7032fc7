"""Community import/export (docs/community-format.md): what an import stores, the lossless round
trip, files refused as a whole with their errors named by JSON path, and the CLI commands."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from community.exchange import Problem, export_document, import_document
from community.exchange.document import dumps, loads
from community.extensions import db
from community.models import Activity, Follow, Member
from modules.collaboration.models import CollaborationContribution, CollaborationDebate, CollaborationGroup
from modules.coordination.models import CoordinationEvent, CoordinationReport, CoordinationRsvp
from modules.influence.models import InfluenceMention, InfluencePost, InfluencePostTag

from .exchange_sample import sample


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def wipe() -> None:
    """Empty every table: the same database becomes an empty Terreau again."""
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def refused(doc) -> Problem:
    with pytest.raises(Problem) as caught:
        import_document(doc)
    db.session.rollback()
    assert count(Member) == 0 and count(Activity) == 0 and count(InfluencePost) == 0  # nothing half-imported
    return caught.value


def paths(problem: Problem) -> list[str]:
    return [path for path, _message in problem.errors]


# --- what an import stores -----------------------------------------------------------------------


def test_import_stores_every_section_with_ids_counts_and_activities(app):
    doc = sample()
    counts = import_document(doc)
    assert counts["member"] == 5 and counts["follow"] == 4
    alice = db.session.scalar(select(Member).where(Member.handle == "alice"))
    assert alice.joined_at.isoformat() == "2026-01-05T08:00:00"  # +01:00 stored as UTC
    assert alice.tag_names("interest") == ["climat", "logement"]
    assert db.session.scalar(select(Member.email).where(Member.handle == "bruno")) == "bruno@example.org"
    assert db.session.scalar(select(Member.suspended_at).where(Member.handle == "emma")) is not None
    # no usable password: the login form refuses any password, "forgot password" sets one
    assert alice.password_hash.startswith("!") and "$" not in alice.password_hash

    posts = {p.body: p for p in db.session.scalars(select(InfluencePost))}
    root, reply = posts["Réunion jeudi, @bruno tu viens ? #climat"], posts["Oui, présent."]
    deeper = posts["Et moi aussi."]
    assert reply.reply_to_id == root.id and deeper.reply_to_id == reply.id and deeper.thread_id == root.id
    assert root.reply_count == 2 and root.reaction_count == 1 and root.relay_count == 1
    assert root.last_activity_at == deeper.created_at
    assert 'href="/members/bruno"' in root.body_html and "/influence/topics/climat" in root.body_html
    assert db.session.scalar(select(InfluencePostTag.tag).where(InfluencePostTag.post_id == root.id)) == "climat"
    assert count(InfluenceMention) == 1
    group = db.session.scalar(select(CollaborationGroup).where(CollaborationGroup.slug == "lyon-en-commun"))
    assert group.member_count == 3
    assert posts["Pour le groupe seulement."].audience == f"collaboration:group:{group.id}"
    assert posts["Un message public."].audience == "public"

    debate = db.session.scalar(select(CollaborationDebate).where(CollaborationDebate.title.like("Gratuité%")))
    assert (debate.count_for, debate.count_against, debate.count_neutral) == (1, 1, 0)
    assert debate.group_id == group.id
    replies = db.session.scalars(select(CollaborationContribution).where(
        CollaborationContribution.reply_to_id.is_not(None)).order_by(CollaborationContribution.id)).all()
    assert [r.body for r in replies] == ["Quel coût ?", "Dix millions."]
    assert replies[1].reply_to_id == replies[0].id

    event = db.session.scalar(select(CoordinationEvent).where(CoordinationEvent.title == "Réunion publique"))
    assert event.going_count == 2 and event.department == "69"
    assert event.audience == f"collaboration:group:{group.id}"
    assert event.created_at.isoformat() == "2026-03-09T10:00:00"
    checked = dict(db.session.execute(select(CoordinationRsvp.status, CoordinationRsvp.checked_in_at).where(
        CoordinationRsvp.event_id == event.id, CoordinationRsvp.checked_in_at.is_not(None))).all())
    assert list(checked) == ["going"]
    other = db.session.scalar(select(CoordinationEvent).where(CoordinationEvent.title == "Porte-à-porte"))
    assert db.session.scalar(select(CoordinationRsvp.checked_in_at).where(
        CoordinationRsvp.event_id == other.id)) == other.starts_at  # "checked_in": true without a time
    assert db.session.scalar(select(CoordinationReport.doors_knocked)) == 40

    # activities dated at each item's own time, one per published thing, for feeds, points and the family mix
    by_verb = dict(db.session.execute(select(Activity.verb, func.count()).group_by(Activity.verb)).all())
    assert by_verb["core.follow"] == 4
    assert by_verb["influence.post"] == 3 and by_verb["influence.reply"] == 2 and by_verb["influence.relay"] == 1
    assert by_verb["collaboration.contribution"] == 4 and by_verb["collaboration.debate_opened"] == 2
    assert by_verb["collaboration.wall_post"] == 1 and by_verb["collaboration.wall_reply"] == 1
    assert by_verb["coordination.event_created"] == 2 and by_verb["coordination.checkin"] == 2
    assert by_verb["collaboration.introduction_accepted"] == 2
    post_activity = db.session.scalar(select(Activity).where(Activity.verb == "influence.reply",
                                                             Activity.object_id == str(deeper.id)))
    assert post_activity.created_at == deeper.created_at and post_activity.actor_id == deeper.author_id
    times = [a for (a,) in db.session.execute(select(Activity.created_at).order_by(Activity.id))]
    assert times == sorted(times)  # ids follow time


def test_round_trip_is_lossless(app):
    import_document(sample())
    first = dumps(export_document())
    wipe()
    import_document(loads(first))
    second = dumps(export_document())
    assert first == second
    doc = json.loads(first)
    assert {k for k in doc} >= {"format", "members", "follows", "groups", "posts", "debates", "events",
                                "introductions", "opinion_maps", "proposals", "kits", "campaigns", "announcements"}
    # the foreign file's content is carried, under our ids
    assert doc["format"] == "terreau-community/1"
    assert [m["handle"] for m in doc["members"]] == ["alice", "bruno", "chloe", "driss", "emma"]
    assert doc["members"][0]["joined_at"] == "2026-01-05T08:00:00Z"
    assert doc["groups"][0]["members"] == ["alice", "bruno", "chloe"]  # handles, as readers expect
    assert doc["groups"][0]["memberships"][0] == {"member": "alice", "role": "member", "status": "active",
                                                  "public": False, "invited_by": None,
                                                  "joined_at": "2026-03-06T10:00:00Z"}
    by_body = {p["body"]: p for p in doc["posts"]}
    assert by_body["Et moi aussi."]["reply_to"] == by_body["Oui, présent."]["id"]
    assert by_body["Pour le groupe seulement."]["group"] == "lyon-en-commun"
    debate = doc["debates"][0]
    assert [(c["author"], c["stance"]) for c in debate["contributions"]] == [
        ("alice", "for"), ("chloe", "against"), ("bruno", "neutral"), ("chloe", "neutral")]
    assert debate["contributions"][3]["reply_to"] == debate["contributions"][2]["id"]
    event = doc["events"][0]
    assert event["organizer"] == "bruno" and event["group"] == "lyon-en-commun" and event["kit"] == doc["kits"][0]["id"]
    assert [(a["member"], a["status"], a["checked_in"]) for a in event["attendees"]] == [
        ("alice", "going", True), ("chloe", "going", False), ("driss", "maybe", False), ("emma", "not_going", False)]
    assert doc["introductions"][0] | {"id": None} == {
        "id": None, "from": "driss", "to": "bruno", "status": "accepted", "at": "2026-03-16T10:00:00Z",
        "decided_at": "2026-03-16T12:00:00Z", "message": "On tracte ensemble ?"}
    assert all(isinstance(p["id"], str) for p in doc["posts"])


def test_round_trip_of_a_demo_movement(app):
    """Everything the modules' demos make (every module's tables) survives export → import → export."""
    from community.demo import seed

    seed(members=40, seed=3)
    first = dumps(export_document())
    activities = count(Activity)
    wipe()
    import_document(loads(first))
    assert dumps(export_document()) == first
    assert count(Activity) > activities / 2  # feeds, points and the family mix have their activities


def test_ids_of_our_own_files_are_kept(app):
    doc = sample()
    for n, post in enumerate(doc["posts"]):
        post["id"] = str(100 + n)
    doc["posts"][1]["reply_to"] = "100"
    doc["posts"][2]["reply_to"] = "101"
    import_document(doc)
    assert sorted(db.session.scalars(select(InfluencePost.id))) == [100, 101, 102, 103, 104]
    post = db.session.get(InfluencePost, 102)
    assert post.reply_to_id == 101 and post.thread_id == 100


def test_a_reply_listed_before_the_post_it_answers(app):
    doc = sample()
    doc["posts"] = [doc["posts"][2], doc["posts"][1], doc["posts"][0]]
    import_document(doc)
    assert count(InfluencePost) == 3


# --- refused files -------------------------------------------------------------------------------


def test_bad_json_is_refused():
    with pytest.raises(Problem) as caught:
        loads('{"format": "terreau-community/1", "members": [}')
    assert caught.value.errors[0][0] == "$" and "line 1" in caught.value.errors[0][1]


def test_wrong_format_is_refused(app):
    doc = sample()
    doc["format"] = "terreau-community/2"
    assert paths(refused(doc)) == ["$.format"]


def test_missing_required_field_is_refused(app):
    doc = sample()
    del doc["posts"][1]["author"]
    problem = refused(doc)
    assert paths(problem) == ["$.posts[1]"] and "author" in problem.errors[0][1]


def test_members_must_match_the_active_memberships(app):
    doc = sample()
    doc["groups"][1]["memberships"] = [{"member": "driss"}, {"member": "alice", "status": "pending"}]
    problem = refused(doc)  # "members" still names alice, whose membership is only pending
    assert paths(problem) == ["$.groups[1].members"]
    doc["groups"][1]["members"] = ["driss"]
    import_document(doc)


def test_duplicate_follow_is_refused(app):
    doc = sample()
    doc["follows"].append({"follower": "bruno", "followed": "alice", "at": "2026-03-30T10:00:00Z"})
    problem = refused(doc)
    assert paths(problem) == ["$.follows[4]"] and "duplicate follow" in problem.errors[0][1]


def test_unknown_handle_is_refused_wherever_it_is(app):
    doc = sample()
    doc["posts"][3]["author"] = "zoe"
    doc["events"][0]["attendees"][1]["member"] = "yann"
    problem = refused(doc)
    assert set(paths(problem)) == {"$.posts[3].author", "$.events[0].attendees[1].member"}
    assert any("unknown handle 'zoe'" in message for _path, message in problem.errors)


def test_unparsable_times_are_refused(app):
    doc = sample()
    doc["members"][2]["joined_at"] = "02/03/2026"
    assert paths(refused(doc)) == ["$.members[2].joined_at"]
    doc = sample()
    doc["posts"][4]["at"] = "2026-02-30T10:00:00Z"  # the right shape, but no such day
    problem = refused(doc)
    assert paths(problem) == ["$.posts[4].at"] and "unparsable time" in problem.errors[0][1]
    doc = sample()
    doc["debates"][0]["contributions"][0]["at"] = "2026-03-12T11:00:00"  # no zone
    assert paths(refused(doc)) == ["$.debates[0].contributions[0].at"]


def test_dangling_reply_to_is_refused(app):
    doc = sample()
    doc["posts"][2]["reply_to"] = "p9"
    doc["debates"][0]["contributions"][3]["reply_to"] = "c77"
    doc["groups"][0]["wall"][1]["reply_to"] = "w-9"
    problem = refused(doc)
    assert paths(problem) == ["$.groups[0].wall[1].reply_to", "$.debates[0].contributions[3].reply_to",
                              "$.posts[2].reply_to"]
    assert "dangling reply_to" in problem.errors[0][1]


def test_a_contribution_may_not_answer_another_debate(app):
    doc = sample()
    doc["debates"][1]["contributions"] = [{"id": "c9", "author": "alice", "stance": "neutral", "body": "?",
                                           "at": "2026-03-13T12:00:00Z", "reply_to": "c1"}]
    assert paths(refused(doc)) == ["$.debates[1].contributions[0].reply_to"]


def test_reply_cycles_duplicates_and_unknown_groups_are_refused(app):
    doc = sample()
    doc["posts"][0]["reply_to"] = "p3"  # p1 → p3 → p2 → p1
    doc["posts"][4]["id"] = "p4"
    doc["events"][1]["group"] = "nowhere"
    doc["members"][3]["handle"] = "chloe"
    problem = refused(doc)
    found = paths(problem)
    assert "$.members[3].handle" in found and "$.posts[4].id" in found and "$.events[1].group" in found
    assert any("cycle" in message for _path, message in problem.errors)


def test_a_late_error_leaves_nothing_behind(app):
    """Members, follows and posts are fine; one campaign report is not: nothing at all is stored."""
    doc = sample()
    doc["campaigns"][0]["reports"][0]["sector"] = "sec9"
    assert paths(refused(doc)) == ["$.campaigns[0].reports[0].sector"]
    assert count(Follow) == 0 and count(CoordinationEvent) == 0


def test_errors_are_capped_and_counted(app):
    doc = sample()
    doc["follows"] = [{"follower": f"ghost{n}", "followed": "alice", "at": "2026-03-04T10:00:00Z"}
                      for n in range(30)]
    problem = refused(doc)
    assert len(problem.errors) == 20 and problem.total == 30
    assert paths(problem)[:2] == ["$.follows[0].follower", "$.follows[1].follower"]


def test_a_terreau_with_members_is_refused(app, make_member):
    make_member(handle="already")
    with pytest.raises(Problem) as caught:
        import_document(sample())
    assert "empty" in caught.value.errors[0][1]
    assert count(Member) == 1 and count(InfluencePost) == 0


# --- the commands --------------------------------------------------------------------------------


def test_cli_import_then_export(app, tmp_path):
    source = tmp_path / "in.json"
    source.write_text(json.dumps(sample(), ensure_ascii=False), encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-community", str(source)])
    assert result.exit_code == 0, result.output
    assert "imported" in result.output and "forgot password" in result.output
    out = tmp_path / "out.json"
    result = runner.invoke(args=["export-community", str(out)])
    assert result.exit_code == 0, result.output
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert len(exported["members"]) == 5 and len(exported["posts"]) == 5
    result = runner.invoke(args=["export-community", "-"])
    assert result.exit_code == 0 and json.loads(result.stdout) == exported


def test_cli_refuses_a_malformed_file_and_names_the_paths(app, tmp_path):
    doc = sample()
    doc["follows"][1]["followed"] = "nobody"
    doc["posts"][1]["reply_to"] = "p0"
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(doc), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-community", str(source)])
    assert result.exit_code == 1
    assert "nothing was imported" in result.output
    assert "$.follows[1].followed: unknown handle 'nobody'" in result.output
    assert "$.posts[1].reply_to: dangling reply_to" in result.output
    assert count(Member) == 0


def test_cli_refuses_bad_json_and_a_missing_file(app, tmp_path):
    source = tmp_path / "bad.json"
    source.write_text("not json", encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-community", str(source)])
    assert result.exit_code == 1 and "not a JSON document" in result.output
    result = runner.invoke(args=["import-community", str(tmp_path / "missing.json")])
    assert result.exit_code == 1 and "cannot read" in result.output


def test_cli_reads_stdin(app):
    result = app.test_cli_runner().invoke(args=["import-community", "-"], input=json.dumps(sample()))
    assert result.exit_code == 0, result.output
    assert count(Member) == 5


BODIES = [
    "Réunion jeudi, @bruno tu viens ? #climat",
    "@alice @bruno @nobody #Climat #climat #123 #énergie-verte",
    "Deux paragraphes #logement\n\navec @chloe\net une ligne",
    "- une liste @alice\n- #transports\n\n1. numérotée #climat",
    "# Titre #climat\n\nTexte & entités &amp; @driss",
    "*@alice* et **#climat** et _souligné_ @bruno",
    "`@alice` dans du code, [lien](https://example.org/#climat) et <b>gras</b>",
    "    code indenté @alice\n\nfin #climat",
    "Lien https://example.org/@alice et mail a@b.org #x",
    "> citation @chloe #climat",
]


def test_imported_bodies_render_as_written_posts(app):
    """The import's renderer (with its fast path) gives the HTML that writing the post gives."""
    from modules.influence.exchange import _Renderer
    from modules.influence.service import render_body

    import_document(sample())
    renderer = _Renderer(dict(db.session.execute(select(Member.handle, Member.id)).all()))
    with app.test_request_context(base_url=app.config["TERREAU_BASE_URL"]):
        for body in BODIES:
            html, tags, mentioned = renderer(body)
            expected_html, expected_tags, expected_members = render_body(body)
            assert html == expected_html, body
            assert tags == expected_tags and mentioned == [m.id for m in expected_members], body
