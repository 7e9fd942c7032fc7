"""The score of "people to meet" and its reasons, on members built by hand (no database)."""

import pytest
from flask_babel import force_locale

from modules.collaboration.matching import (
    Agreement,
    Profile,
    Weights,
    area_of,
    normalise_commune,
    opinion_points,
    place_relation,
    rank,
    reason_text,
    score,
)

ME = Profile(id=1, interests=frozenset({"climat", "transports", "logement", "santé"}),
             skills=frozenset({"graphisme", "tractage"}), commune="Lyon", postal_code="69003",
             groups=frozenset({10, 11}))


@pytest.fixture(autouse=True)
def english(app):
    with app.test_request_context(), force_locale("en"):
        yield


def test_the_reasons_read_as_the_issue_says():
    other = Profile(id=2, interests=frozenset({"climat", "transports", "logement", "sport"}), commune="Lyon",
                    postal_code="69007")
    scored = score(ME, other)
    assert reason_text(scored.reasons) == "3 shared interests: climat, logement, transports · same commune"
    assert scored.score == 3 * 2.0 + 3.0


def test_ranking_and_exact_reasons_of_constructed_members():
    ana = Profile(id=2, interests=frozenset({"climat", "transports", "logement"}), commune="Lyon", postal_code="69007")
    bruno = Profile(id=3, interests=frozenset({"climat"}), commune="Villeurbanne", postal_code="69100")
    chloe = Profile(id=4, skills=frozenset({"graphisme"}), commune="Nantes", postal_code="44000")
    david = Profile(id=5, interests=frozenset({"sport"}), commune="Brest", postal_code="29200")
    emma = Profile(id=6, commune="Marseille", postal_code="13001", groups=frozenset({10, 11, 12}))
    ranked = rank(ME, [david, chloe, bruno, ana, emma], group_names={10: "Vélo Lyon", 11: "Logement"})
    assert [s.member_id for s in ranked] == [2, 6, 3, 4]  # david shares nothing: not suggested
    assert [s.score for s in ranked] == [9.0, 5.0, 3.5, 1.5]
    assert [reason_text(s.reasons) for s in ranked] == [
        "3 shared interests: climat, logement, transports · same commune",
        "2 shared groups: Logement, Vélo Lyon",
        "1 shared interest: climat · same area (69)",
        "1 shared skill: graphisme",
    ]


def test_all_components_in_their_order():
    other = Profile(id=2, interests=frozenset({"santé"}), skills=frozenset({"tractage", "graphisme"}),
                    commune="lyon", postal_code="69001", groups=frozenset({11}))
    scored = score(ME, other, agreement=Agreement(overlap=10, agreed=9), contacts=2, group_names={11: "Logement"})
    assert reason_text(scored.reasons) == ("1 shared interest: santé · 2 shared skills: graphisme, tractage · "
                                           "same commune · 1 shared group: Logement · similar views in the opinion "
                                           "maps · 2 contacts in common")
    assert scored.score == pytest.approx(2.0 + 2 * 1.5 + 3.0 + 2.5 + 4.0 * 0.8 + 2 * 0.5)


def test_counts_are_capped_but_told():
    many = frozenset(f"t{i}" for i in range(7))
    me = Profile(id=1, interests=many)
    scored = score(me, Profile(id=2, interests=many))
    assert scored.score == 5 * 2.0
    assert reason_text(scored.reasons) == "7 shared interests: t0, t1, t2, t3, t4 …"
    assert score(me, Profile(id=3), contacts=9).score == 4 * 0.5


def test_group_names_unknown_still_give_a_count():
    scored = score(ME, Profile(id=2, groups=frozenset({10})))
    assert reason_text(scored.reasons) == "1 shared group"


def test_place_rules():
    assert normalise_commune(" Saint-Étienne ") == normalise_commune("SAINT ETIENNE") == "saint etienne"
    assert area_of("69003") == "69" and area_of("2A004") == "" and area_of("") == ""
    lyon = Profile(id=1, commune="Lyon", postal_code="69003")
    assert place_relation(lyon, Profile(id=2, commune="LYON", postal_code="69009")) == "commune"
    assert place_relation(lyon, Profile(id=2, commune="Lyon", postal_code="")) == "commune"  # unknown area
    assert place_relation(lyon, Profile(id=2, commune="Bron", postal_code="69500")) == "area"
    assert place_relation(lyon, Profile(id=2, commune="Paris", postal_code="75011")) is None
    # Same name in two départements: not the same commune, not the same area.
    denis = Profile(id=1, commune="Saint-Denis", postal_code="93200")
    assert place_relation(denis, Profile(id=2, commune="Saint-Denis", postal_code="97400")) is None
    assert place_relation(Profile(id=1), Profile(id=2)) is None  # nothing known: nothing shared


def test_opinion_similarity_needs_overlap_and_more_than_chance():
    assert opinion_points(None) == 0
    assert opinion_points(Agreement(overlap=4, agreed=4)) == 0  # below the minimum overlap
    assert opinion_points(Agreement(overlap=10, agreed=5)) == 0  # chance
    assert opinion_points(Agreement(overlap=10, agreed=2)) == 0  # disagreement never counts
    assert opinion_points(Agreement(overlap=5, agreed=5)) == 4.0
    assert opinion_points(Agreement(overlap=20, agreed=15)) == pytest.approx(2.0)
    nothing_else = score(ME, Profile(id=9), agreement=Agreement(overlap=3, agreed=3))
    assert nothing_else.score == 0 and nothing_else.reasons == ()


def test_weights_change_the_order():
    local = Profile(id=2, commune="Lyon", postal_code="69001")
    alike = Profile(id=3, interests=frozenset({"climat", "santé"}))
    assert [s.member_id for s in rank(ME, [local, alike])] == [3, 2]
    heavy_place = Weights(same_commune=10.0)
    assert [s.member_id for s in rank(ME, [local, alike], weights=heavy_place)] == [2, 3]


def test_ties_go_to_the_lower_id_and_limit_applies():
    others = [Profile(id=i, interests=frozenset({"climat"})) for i in (7, 3, 5)]
    assert [s.member_id for s in rank(ME, others, limit=2)] == [3, 5]


def test_oneself_is_never_ranked():
    assert rank(ME, [ME]) == []
