"""Each usage metric against an independent computation (builder.Community.expected: plain Python over
the recorded facts, networkx for the graph) on constructed communities."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from community.assessment.engine import assess

from .builder import AS_OF, INSIDE, LONG_AGO, START, WINDOW_DAYS, Community, metrics_of

METRICS = ("contributor_share", "contribution_gini", "member_voice_share", "reply_rate", "isolated_share",
           "mean_degree", "reciprocity", "clustering", "largest_component_share")


def check(community: Community) -> dict:
    community.commit()
    report = assess(AS_OF, WINDOW_DAYS)
    expected = community.expected()
    got = metrics_of(report)
    assert set(got) == set(METRICS)
    for name in METRICS:
        assert got[name] == pytest.approx(expected[name], abs=1e-12), name
    assert report["members"] == len(community.m())
    return report


def test_empty_community_gives_zeros_and_no_error(app):
    report = assess(AS_OF, WINDOW_DAYS)
    assert report["members"] == 0
    assert all(value == 0.0 for value in metrics_of(report).values())
    assert report["center_of_gravity"] is None
    assert report["family_mix"] == {"influence": 0.0, "collaboration": 0.0, "coordination": 0.0}
    assert report["recommendations"] == []
    assert report["stage"] == "diffusion"


def test_members_without_any_activity(app):
    c = Community()
    c.members(7)
    report = check(c)
    assert metrics_of(report)["isolated_share"] == 1.0
    assert metrics_of(report)["contributor_share"] == 0.0


def test_top_down_movement_where_only_staff_speak(app):
    c = Community()
    staff = [c.member("admin"), c.member("organiser"), c.member("organiser")]
    people = c.members(30)
    for s in staff:
        for k in range(5):
            c.post(s, INSIDE - timedelta(hours=k))
        c.debate(s)
        c.proposal(s)
    for p in people:
        for s in staff:
            c.follow(p, s)
    c.follow(staff[1], staff[0])
    c.follow(staff[0], staff[1])
    report = check(c)
    m = metrics_of(report)
    assert m["member_voice_share"] == 0.0
    assert m["contributor_share"] == pytest.approx(3 / 33)
    assert m["reply_rate"] == 0.0
    assert report["stage"] == "diffusion"


def test_everyone_speaks(app):
    rng = random.Random(3)
    c = Community()
    people = c.members(25) + [c.member("organiser")]
    posts = []
    for p in people:
        posts.append(c.post(p, INSIDE - timedelta(days=rng.randint(0, 60))))
    for k, p in enumerate(people):
        target = posts[(k + 1) % len(posts)]
        c.post(p, INSIDE, reply_to=target)
        for q in rng.sample(people, 4):
            if q != p:
                c.follow(p, q)
    c.statement(people[0])
    p1 = c.proposal(people[1])
    c.amendment(people[2], p1)
    c.report(people[3])
    report = check(c)
    m = metrics_of(report)
    assert m["contributor_share"] == 1.0
    assert m["isolated_share"] == 0.0
    assert report["stage"] == "network"


def test_disconnected_local_cliques(app):
    c = Community()
    for place in ("Brest", "Lyon", "Nice", "Metz"):
        group = c.members(6, commune=place)
        gid = c.group(group)
        thread = c.wall(gid, group[0])
        for p in group[1:]:
            c.wall(gid, p, reply_to=thread)
    report = check(c)
    m = metrics_of(report)
    assert m["clustering"] == 1.0
    assert m["largest_component_share"] == pytest.approx(0.25)
    assert report["stage"] == "communities"


def test_community_bridged_by_groups(app):
    c = Community()
    cliques = [c.members(5) for _ in range(4)]
    for clique in cliques:
        c.group(clique)
    c.group([clique[0] for clique in cliques])  # one member of each local group in a common group
    for clique in cliques:
        for p in clique:
            c.post(p)
    report = check(c)
    assert metrics_of(report)["largest_component_share"] == 1.0


def test_threads_debates_and_direct_replies_only(app):
    c = Community()
    a, b, d = c.members(3)
    root = c.contribution(a)
    reply = c.contribution(b, reply_to=root)
    c.contribution(d, reply_to=reply)  # answers the reply, not the root: the reply is not top-level anyway
    own = c.post(a)
    c.post(a, reply_to=own)  # answering oneself does not count
    lonely = c.post(b)
    c.post(d, reply_to=lonely, at=AS_OF)  # the answer comes after W: not answered within W
    report = check(c)
    assert metrics_of(report)["reply_rate"] == pytest.approx(1 / 3)


def test_window_boundaries_start_included_end_excluded(app):
    c = Community()
    a, b, d, e = c.members(4)
    c.post(a, at=START)  # included
    c.post(b, at=AS_OF)  # excluded
    c.post(d, at=START - timedelta(microseconds=1))  # excluded
    c.post(e, at=AS_OF - timedelta(microseconds=1))  # included
    c.follow(a, b, at=AS_OF - timedelta(seconds=1))  # counts
    c.follow(d, e, at=AS_OF)  # made at as_of: does not count
    report = check(c)
    m = metrics_of(report)
    assert m["contributor_share"] == 0.5
    assert m["mean_degree"] == pytest.approx(2 * 1 / 4)


def test_suspended_erased_and_late_members_are_left_out(app):
    c = Community()
    a, b = c.members(2)
    suspended = c.member(suspended=True)
    erased = c.member(erased=True)
    late = c.member(joined=AS_OF)  # joined at as_of: not strictly before
    later = c.member(joined=AS_OF + timedelta(days=1))
    for outsider in (suspended, erased, late, later):
        c.post(outsider)
        c.follow(outsider, a)
        c.follow(a, outsider)
    first = c.post(a)
    c.post(suspended, reply_to=first)  # an answer by someone outside M does not count
    c.group([a, suspended, erased])  # listed outsiders make no tie
    report = check(c)
    m = metrics_of(report)
    assert report["members"] == 2
    assert m["contributor_share"] == 0.5
    assert m["reply_rate"] == 0.0
    assert m["isolated_share"] == 1.0


def test_groups_of_at_most_fifty_make_ties_counting_everyone_listed(app):
    c = Community()
    fifty = c.members(50)
    c.group(fifty)  # 50 listed: ties
    big = c.members(49)
    outsiders = [c.member(suspended=True), c.member(joined=AS_OF + timedelta(days=3))]
    c.group(big + outsiders)  # 51 listed, 49 of them in M: no ties
    report = check(c)
    m = metrics_of(report)
    assert m["isolated_share"] == pytest.approx(49 / 99)


def test_events_attendees_in_window_at_most_fifty(app):
    c = Community()
    org = c.member("organiser")
    small = c.members(4)
    maybe = c.member()
    checked = c.member()
    c.event(org, {**{p: "going" for p in small}, maybe: "maybe", checked: "not_going"}, checked_in=(checked,))
    late = c.members(3)
    c.event(org, {p: "going" for p in late}, starts=AS_OF)  # starts at as_of: outside W
    cancelled = c.members(3)
    c.event(org, {p: "going" for p in cancelled}, cancelled=True)
    crowd = c.members(51)
    c.event(org, {p: "going" for p in crowd}, created=LONG_AGO)  # 51 going: no ties; created long ago
    report = check(c)
    m = metrics_of(report)
    assert m["isolated_share"] == pytest.approx(1 - 5 / len(c.m()))
    assert report["counts"]["contributions"] == 3  # events created in W


def test_introductions_accepted_before_as_of(app):
    c = Community()
    a, b, d, e, f, g = c.members(6)
    c.introduction(a, b)
    c.introduction(d, e, status="pending")
    c.introduction(f, g, at=AS_OF)
    c.introduction(e, f, status="declined")
    report = check(c)
    assert metrics_of(report)["isolated_share"] == pytest.approx(4 / 6)


def test_an_introduction_counts_from_its_request_time(app):
    """ASSESSMENT.md: accepted, and its ``at`` (the request) before as_of, even if answered later."""
    c = Community()
    a, b, d = c.members(3)
    c.introduction(a, b, decided_at=AS_OF + timedelta(days=2))
    report = check(c)
    assert metrics_of(report)["isolated_share"] == pytest.approx(1 / 3)


def test_reciprocity_counts_each_direction(app):
    c = Community()
    a, b, d = c.members(3)
    c.follow(a, b)
    c.follow(b, a)
    c.follow(a, d)
    report = check(c)
    assert metrics_of(report)["reciprocity"] == pytest.approx(2 / 3)


def test_random_communities_match_networkx(app):
    rng = random.Random(11)
    c = Community()
    people = c.members(40) + [c.member(rng.choice(["organiser", "moderator", "admin"])) for _ in range(4)]
    people += [c.member(suspended=True), c.member(joined=AS_OF + timedelta(days=1))]
    for _ in range(150):
        a, b = rng.sample(people, 2)
        if all((a, b) != (x, y) for x, y, _ in c.follows):
            c.follow(a, b, at=AS_OF - timedelta(days=rng.randint(-5, 400)))
    posts = []
    for _ in range(80):
        at = AS_OF - timedelta(days=rng.randint(-3, 120), minutes=rng.randint(0, 600))
        reply_to = rng.choice(posts) if posts and rng.random() < 0.5 else None
        posts.append(c.post(rng.choice(people), at=at, reply_to=reply_to))
    for size in (3, 4, 8, 12):
        c.group(rng.sample(people, size))
    for _ in range(3):
        c.event(people[0], {p: rng.choice(["going", "maybe", "not_going"]) for p in rng.sample(people, 9)},
                starts=AS_OF - timedelta(days=rng.randint(-10, 100)))
    for _ in range(6):
        a, b = rng.sample(people, 2)
        c.introduction(a, b, status=rng.choice(["accepted", "pending"]))
    check(c)


def test_family_mix_counts_activities_of_members_in_window_even_for_disabled_modules(app):
    from community.registry import registry

    c = Community()
    a, b = c.members(2)
    gone = c.member(erased=True)
    c.activity(a, "influence", count=3)
    c.activity(b, "coordination", count=3)
    c.activity(a, "collaboration", count=2)
    c.activity(gone, "collaboration", count=10)  # outside M
    c.activity(a, "collaboration", at=AS_OF, count=10)  # outside W
    c.activity(a, "core", count=10)  # the core's own verbs belong to no family
    c.commit()
    registry.set_enabled("coordination", False)
    report = assess(AS_OF, WINDOW_DAYS)
    assert report["family_mix"] == pytest.approx({"influence": 3 / 8, "collaboration": 2 / 8, "coordination": 3 / 8})
    assert report["center_of_gravity"] == "influence"  # a tie goes to influence first
    c.activity(b, "coordination")
    c.commit()
    assert assess(AS_OF, WINDOW_DAYS)["center_of_gravity"] == "coordination"
