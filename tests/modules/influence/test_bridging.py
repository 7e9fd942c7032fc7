"""Bridging highlights: conversations appreciated across circles (docs/influence-ranking.md)."""

from datetime import timedelta

import pytest

from community.database import QueryCounter
from community.extensions import db
from community.registry import registry
from modules.influence import bridging, ranking, service

LYON, PARIS, NANTES = ["commune:lyon"], ["commune:paris"], ["commune:nantes"]


@pytest.fixture(autouse=True)
def _fresh_rankings():
    ranking.clear_cache()
    yield
    ranking.clear_cache()


def test_scores_on_a_constructed_case():
    circles = {1: LYON, 2: LYON, 3: LYON, 4: PARIS, 5: NANTES, 6: ["commune:lyon", "collaboration:group:1"],
               7: ["collaboration:group:1"], 8: [], 9: []}
    reactions = [
        (10, 1), (10, 2), (10, 3), (10, 1),  # one circle only, however many reactions: 0
        (20, 1), (20, 4),  # Lyon + Paris: 2 × (1 − (½² + ½²)) = 1
        (30, 1), (30, 2), (30, 4), (30, 5),  # 2 Lyon, Paris, Nantes: 4 × (1 − (¼ + 1/16 + 1/16)) = 2.5
        (40, 1), (40, 4), (40, 5),  # three communes: 3 × (1 − 3/9) = 2
        (50, 6), (50, 7),  # 6 counts ½ in Lyon and ½ in group 1: weights ½ and 1½, 2 × (1 − (1/16 + 9/16)) = 0.75
        (60, 8), (60, 9),  # no commune known: one circle, 0
    ]
    scores = bridging.bridging_scores(reactions, circles)
    assert {c: s.score for c, s in scores.items()} == pytest.approx(
        {10: 0.0, 20: 1.0, 30: 2.5, 40: 2.0, 50: 0.75, 60: 0.0})
    assert (scores[10].reactors, scores[10].circles) == (3, 1)
    assert (scores[30].reactors, scores[30].circles) == (4, 3)
    assert (scores[50].reactors, scores[50].circles) == (2, 2)
    ranked = [c for c, s in sorted(scores.items(), key=lambda i: -i[1].score) if s.score > 0]
    assert ranked == [30, 40, 20, 50]


def test_score_is_the_sum_of_each_reactors_share_outside_its_circle():
    """The documented reading: n × Gini-Simpson = Σ over reactors of (1 − share of their own circle)."""
    circles = {1: LYON, 2: LYON, 3: LYON, 4: PARIS}
    score = bridging.bridging_scores([(1, m) for m in circles], circles)[1].score
    assert score == pytest.approx(3 * (1 - 3 / 4) + 1 * (1 - 1 / 4))
    assert score == pytest.approx(4 * (1 - (0.75 ** 2 + 0.25 ** 2)))


def test_commune_circles_ignore_case_and_spaces():
    assert bridging.commune_circle("  Saint-Denis ") == bridging.commune_circle("saint-denis")
    assert bridging.commune_circle("") == bridging.commune_circle("   ") == bridging.UNKNOWN_COMMUNE


@pytest.fixture
def town(make_member):
    """Members in three communes."""
    return {name: make_member(handle=name, commune=commune) for name, commune in (
        ("author", "Lyon"), ("lea", "Lyon"), ("luc", "lyon"), ("paul", "Paris"), ("nina", "Nantes"),
        ("pia", "Paris"))}


def test_bridging_ranks_conversations_from_the_database(app, town, make_post):
    local = make_post(town["author"], "Réunion de quartier")
    wide = make_post(town["author"], "Transports partout")
    pair = make_post(town["author"], "Un débat à deux")
    for name in ("lea", "luc", "pia"):
        service.react(local, town[name], "like")
    service.react(local, town["lea"], "agree")  # a second reaction of one member counts once
    service.react(local, town["author"], "like")  # one's own post: not counted
    for name in ("lea", "paul", "nina"):
        service.react(wide, town[name], "like")
    reply = make_post(town["lea"], "Oui !", reply_to=pair)
    service.react(reply, town["paul"], "thanks")  # a reaction to a reply counts for the conversation
    service.react(pair, town["luc"], "idea")
    service.react(reply, town["lea"], "like")  # her own reply: not counted
    items = bridging.bridging()
    assert [i["post_id"] for i in items] == [wide.id, local.id, pair.id]
    assert [round(i["score"], 6) for i in items] == [2.0, round(3 * (1 - (4 / 9 + 1 / 9)), 6), 1.0]
    assert (items[0]["reactors"], items[0]["circles"], items[0]["author_handle"]) == (3, 3, "author")
    assert items[0]["excerpt"] == "Transports partout"


def test_one_circle_group_posts_old_and_deleted_conversations_are_left_out(app, town, make_post):
    only_lyon = make_post(town["author"], "Entre Lyonnais")
    for name in ("lea", "luc"):
        service.react(only_lyon, town[name], "like")
    old = make_post(town["author"], "Il y a longtemps")
    old.created_at -= timedelta(days=bridging.DAYS + 1)
    group = make_post(town["author"], "Dans le groupe")
    group.audience = "collaboration:group:1"
    gone = make_post(town["author"], "Effacé")
    db.session.commit()
    for post in (old, group, gone):
        service.react(post, town["paul"], "like")
        service.react(post, town["lea"], "like")
    service.delete_post(gone, town["author"])
    assert bridging.bridging() == []


def test_group_rooms_are_circles_too(app, town, make_post):
    post = make_post(town["author"], "Lyon et le groupe vélo")
    for name in ("lea", "luc"):
        service.react(post, town[name], "like")
    assert bridging.bridging() == []
    ranking.clear_cache()
    from modules.collaboration.models import CollaborationGroup, CollaborationMembership

    bikes = CollaborationGroup(slug="velo", name="Vélo")
    db.session.add(bikes)
    db.session.flush()
    db.session.add(CollaborationMembership(group_id=bikes.id, member_id=town["lea"].id, status="active"))
    db.session.commit()
    assert registry.is_enabled("collaboration")
    # lea: ½ Lyon, ½ the group; luc: Lyon. Weights 1½ and ½: 2 × (1 − (9/16 + 1/16)) = 0.75
    assert [round(i["score"], 6) for i in bridging.bridging()] == [0.75]


def test_computed_once_per_ttl_not_per_page_view(app, town, make_post, client, login):
    post = make_post(town["author"], "Mobilité")
    service.react(post, town["lea"], "like")
    service.react(post, town["paul"], "like")
    login(client, town["nina"])
    assert f'data-post-id="{post.id}"' in client.get("/").get_data(as_text=True)  # the home widget
    with QueryCounter(db.engine) as counter:
        again = bridging.bridging()
    assert counter.count == 0 and again[0]["post_id"] == post.id
    service.react(post, town["nina"], "like")
    assert bridging.bridging()[0]["reactors"] == 2  # cached until the TTL ends
    ranking.clear_cache()
    assert bridging.bridging()[0]["reactors"] == 3


def test_bridging_page_lists_and_never_writes(client, town, make_post, login):
    post = make_post(town["author"], "Le budget participatif")
    service.react(post, town["lea"], "like")
    service.react(post, town["nina"], "like")
    login(client, town["paul"])
    with QueryCounter(db.engine) as counter:
        page = client.get("/influence/bridging")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert not [s for s in counter.statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert "Le budget participatif" in text and "appreciated by 2 members from 2 circles" in text
    assert f'href="/influence/posts/{post.id}"' in text


def test_empty_bridging_page_and_widget(client, make_member, login):
    login(client, make_member())
    assert "No conversation has been appreciated across circles yet." in client.get(
        "/influence/bridging").get_data(as_text=True)
    assert "Bringing circles together" in client.get("/").get_data(as_text=True)


def test_an_expired_ranking_is_served_while_one_thread_computes_the_next(app, make_member):
    """ranking.cached: the first value is computed by the caller; an expired one is still given
    while a single background thread (own app context, reading without the write lock) computes
    the next; a forget() during that refresh is not undone by it."""
    import threading
    import time

    from sqlalchemy import func, select

    from community.database import wants_write
    from community.models import Member

    make_member()
    started, release = threading.Event(), threading.Event()
    calls = []

    def compute():
        calls.append((threading.current_thread().name, wants_write(),
                      db.session.scalar(select(func.count()).select_from(Member))))
        if len(calls) > 1:
            started.set()
            assert release.wait(10)
        return [len(calls)]

    def settled(expected) -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if ranking._cache.get(key, (0, None))[1] == expected and not ranking._refreshing:
                return True
            time.sleep(0.01)
        return False

    key = ("test-refresh",)
    assert ranking.cached(key, compute, ttl=0) == [1]  # computed here
    assert ranking.cached(key, compute, ttl=0) == [1]  # expired: the old value, a refresh starts
    assert started.wait(10)
    assert ranking.cached(key, compute, ttl=0) == [1] and len(calls) == 2  # one refresh at a time
    release.set()
    assert settled([2])
    name, writing, members = calls[1]
    assert name.startswith("terreau-ranking") and writing is False and members == 1
    started.clear()
    release.clear()
    assert ranking.cached(key, compute, ttl=0) == [2]  # expired again: another refresh starts
    assert started.wait(10)
    ranking.forget(key)  # e.g. a post hidden meanwhile
    release.set()
    deadline = time.monotonic() + 10
    while ranking._refreshing and time.monotonic() < deadline:
        time.sleep(0.01)
    assert key not in ranking._cache  # the refresh begun before forget() was not stored
