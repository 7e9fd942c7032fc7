"""Scores: monotone (a new contributor never lowers expression, a tie for an isolated member never lowers
connection), capability follows the modules and their settings, stages and recommendations."""

from __future__ import annotations

import random
from datetime import timedelta

import numpy as np
import pytest

from community.assessment import scores
from community.assessment.engine import assess
from community.registry import registry
from community.settings import set_module_setting

from .builder import AS_OF, INSIDE, WINDOW_DAYS, Community


def report():
    return assess(AS_OF, WINDOW_DAYS)


def random_community(rng: random.Random) -> tuple[Community, list[int]]:
    c = Community()
    people = [c.member(rng.choice(["member"] * 4 + ["organiser", "admin"]), commune=rng.choice(["A", "B"]))
              for _ in range(rng.randint(8, 20))]
    speakers = rng.sample(people, rng.randint(0, len(people) // 2))
    posts = []
    for p in speakers:
        for _ in range(rng.randint(1, 6)):
            reply_to = rng.choice(posts) if posts and rng.random() < 0.4 else None
            posts.append(c.post(p, INSIDE - timedelta(days=rng.randint(0, 80)), reply_to=reply_to))
    for _ in range(rng.randint(0, 25)):
        a, b = rng.sample(people, 2)
        if all((a, b) != (x, y) for x, y, _ in c.follows):
            c.follow(a, b)
    if rng.random() < 0.5:
        c.group(rng.sample(people, 4))
    c.commit()
    return c, people


@pytest.mark.parametrize("seed", range(6))
def test_a_new_contributor_never_lowers_expression(app, seed):
    rng = random.Random(seed)
    c, people = random_community(rng)
    before = report()
    silent = [p for p in people if not any(i.author == p for i in c.contributions())]
    if not silent:
        silent = [c.member(rng.choice(["member", "organiser"]))]
        c.commit()
        before = report()
    newcomer = rng.choice(silent)
    posts = [i.id for i in c.items if i.kind == "influence.post"]
    for _ in range(rng.choice([1, 3, 40])):  # one item, a few, or a flood of unanswered top-level posts
        kind = rng.choice(["post", "post", "reply", "statement", "proposal"])
        if kind == "reply" and posts:
            c.post(newcomer, reply_to=rng.choice(posts))
        elif kind == "statement":
            c.statement(newcomer)
        elif kind == "proposal":
            c.proposal(newcomer)
        else:
            c.post(newcomer)
    c.commit()
    after = report()
    assert after["expression"]["score"] >= before["expression"]["score"]
    assert after["expression"]["metrics"]["contributor_share"] > before["expression"]["metrics"]["contributor_share"]


def test_a_staff_members_first_post_lowers_member_voice_share_but_not_the_score(app):
    c = Community()
    speakers = c.members(3)
    for p in speakers:
        c.post(p)
    boss = c.member("organiser")
    c.members(5)
    c.commit()
    before = report()
    for _ in range(30):
        c.post(boss)
    c.commit()
    after = report()
    assert after["expression"]["metrics"]["member_voice_share"] < before["expression"]["metrics"]["member_voice_share"]
    assert after["expression"]["metrics"]["contribution_gini"] > before["expression"]["metrics"]["contribution_gini"]
    assert after["expression"]["score"] >= before["expression"]["score"]


@pytest.mark.parametrize("seed", range(6))
def test_a_tie_for_an_isolated_member_never_lowers_connection(app, seed):
    rng = random.Random(100 + seed)
    c, people = random_community(rng)
    lonely = c.member()
    c.commit()
    before = report()
    other = rng.choice(people)
    how = seed % 3
    if how == 0:
        c.follow(lonely, other)  # one way: lowers reciprocity, must not lower the score
    elif how == 1:
        c.introduction(lonely, other)
    else:
        target = c.post(other)
        c.post(lonely, reply_to=target)
    c.commit()
    after = report()
    assert after["connection"]["metrics"]["isolated_share"] < before["connection"]["metrics"]["isolated_share"]
    assert after["connection"]["score"] >= before["connection"]["score"]


def test_usage_parts_are_monotone_in_each_member(app):
    counts = np.array([0, 0, 3, 10])
    plain = np.array([True, True, True, False])
    heard = np.zeros(4, dtype=bool)
    base = scores.combine(scores.expression_usage(counts, plain, heard), scores.EXPRESSION_PARTS)
    for member in range(4):
        for extra in (1, 5, 1000):
            more = counts.copy()
            more[member] += extra
            assert scores.combine(scores.expression_usage(more, plain, heard), scores.EXPRESSION_PARTS) >= base


def test_switching_a_module_off_lowers_capability(app):
    first = report()
    assert first["expression"]["capability"] == 100.0
    assert first["connection"]["capability"] == 100.0
    registry.set_enabled("coordination", False)
    off = report()
    assert off["expression"]["capability"] < 100.0
    assert off["connection"]["capability"] < 100.0
    assert all(not c["available"] for c in off["connection"]["capabilities"] if c["module"] == "coordination")
    registry.set_enabled("collaboration", False)
    assert report()["connection"]["capability"] < off["connection"]["capability"]


def test_settings_that_switch_features_off_lower_capability(app):
    first = report()
    set_module_setting("collaboration", "members_can_create_groups", False)
    set_module_setting("influence", "leaderboard_enabled", False)
    from community.extensions import db

    db.session.commit()
    after = report()
    assert after["connection"]["capability"] < first["connection"]["capability"]
    assert after["expression"]["capability"] < first["expression"]["capability"]
    assert after["expression"]["score"] < first["expression"]["score"]


def test_stage_thresholds():
    base = {"largest_component_share": 0.9, "isolated_share": 0.1, "contributor_share": 0.4, "clustering": 0.3,
            "mean_degree": 5.0}
    assert scores.stage(base) == "network"
    assert scores.stage({**base, "largest_component_share": 0.3}) == "communities"
    assert scores.stage({**base, "contributor_share": 0.05}) == "diffusion"
    assert scores.stage({**base, "largest_component_share": 0.3, "clustering": 0.0, "mean_degree": 1.0}) == "diffusion"


def test_recommendations_name_weak_metrics_and_large_enough_communes(app):
    c = Community()
    for _ in range(6):
        c.member(commune="Quimper")
    for _ in range(4):
        c.member(commune="Morlaix")
    a, b = c.members(2, commune="Brest")
    c.follow(a, b)
    c.post(a)
    c.commit()
    registry.set_enabled("collaboration", False)
    result = report()
    recs = {r["metric"]: r for r in result["recommendations"]}
    assert "isolated_share" in recs
    assert recs["isolated_share"]["communes"] == [{"commune": "Quimper", "isolated": 6}]  # Morlaix has 4: not shown
    assert "collaboration.suggestions" in recs["isolated_share"]["switch_on"]
