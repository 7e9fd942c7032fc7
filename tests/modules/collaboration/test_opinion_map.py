"""The opinion grouping (modules/collaboration/opinion_map.py) on vote matrices whose groups are known."""

import numpy as np
import pytest

from modules.collaboration.opinion_map import (
    MapParams,
    compute_map,
    impute_and_centre,
    kmeans,
    select_participants,
    silhouette,
    vote_matrix,
)

CAMP_SIZE = 30
BLOCK = 9  # statements 0-8 are camp 0's, 9-17 camp 1's, 18-26 camp 2's
CONSENSUS = (27, 28, 29)  # everyone agrees with these
UNANIMOUS = 29  # ... and with this one without any noise


def camps_matrix(seed: int = 7, missing: float = 0.3, noise: float = 0.1):
    """3 camps of 30 participants: each agrees with its own block of statements and disagrees with
    the other camps' blocks; then random votes (noise) and missing votes (NaN)."""
    rng = np.random.RandomState(seed)
    camps = np.repeat(np.arange(3), CAMP_SIZE)
    statements = 3 * BLOCK + len(CONSENSUS)
    votes = np.empty((camps.size, statements))
    for s in range(statements):
        block = s // BLOCK
        votes[:, s] = 1.0 if block == 3 else np.where(camps == block, 1.0, -1.0)
    noisy = rng.rand(*votes.shape) < noise
    votes[noisy] = rng.choice([-1.0, 0.0, 1.0], size=int(noisy.sum()))
    votes[rng.rand(*votes.shape) < missing] = np.nan
    votes[:, UNANIMOUS] = 1.0
    return votes, camps


def test_three_camps_give_exactly_the_three_groups():
    votes, camps = camps_matrix()
    result = compute_map(votes)
    assert len(result.groups) == 3
    found = sorted(sorted(camps[g.members].tolist()) for g in result.groups)
    assert found == [[0] * CAMP_SIZE, [1] * CAMP_SIZE, [2] * CAMP_SIZE]
    assert sorted(np.concatenate([g.members for g in result.groups]).tolist()) == list(range(3 * CAMP_SIZE))
    assert result.silhouette > 0.5


def test_representative_statements_are_each_camps_own():
    votes, camps = camps_matrix()
    result = compute_map(votes)
    for group in result.groups:
        camp = int(camps[group.members[0]])
        own = set(range(camp * BLOCK, (camp + 1) * BLOCK))
        assert len(group.representative) == MapParams().representative_count
        for score in group.representative:
            assert score.statement in own and score.direction == "agree"
            assert score.share > 0.7 and score.other_share < 0.3 and score.votes >= 5


def test_a_statement_everyone_agrees_with_is_consensus():
    votes, _ = camps_matrix()
    result = compute_map(votes)
    consensus = {c.statement: c for c in result.consensus}
    assert UNANIMOUS in consensus
    assert consensus[UNANIMOUS].direction == "agree" and consensus[UNANIMOUS].share == 1.0
    assert consensus[UNANIMOUS].shares == (1.0, 1.0, 1.0)
    assert set(consensus) <= set(CONSENSUS)  # the camps' own statements divide: never consensus


def test_a_statement_everyone_rejects_is_consensus_too():
    votes, _ = camps_matrix()
    votes[:, 0] = -1.0
    result = compute_map(votes)
    rejected = [c for c in result.consensus if c.statement == 0]
    assert rejected and rejected[0].direction == "disagree"


def test_same_input_same_output():
    votes, _ = camps_matrix(seed=3, missing=0.5, noise=0.25)
    first, second = compute_map(votes), compute_map(votes.copy())
    assert np.array_equal(first.points, second.points)
    assert np.array_equal(first.labels, second.labels)
    assert len(first.groups) >= 2
    for a, b in zip(first.groups, second.groups, strict=True):
        assert np.array_equal(a.members, b.members) and a.representative == b.representative and a.centre == b.centre
    assert first.consensus == second.consensus and first.silhouette == second.silhouette


def test_groups_are_named_by_size():
    votes, camps = camps_matrix()
    keep = np.concatenate([np.flatnonzero(camps == 0), np.flatnonzero(camps == 1)[:20],
                           np.flatnonzero(camps == 2)[:10]])
    result = compute_map(votes[keep])
    assert [g.size for g in result.groups] == [30, 20, 10]
    assert [g.letter for g in result.groups] == ["A", "B", "C"]


@pytest.mark.parametrize("votes", [
    np.zeros((0, 0)),
    np.zeros((0, 5)),
    np.zeros((5, 0)),
    np.full((10, 6), np.nan),  # nobody voted
    np.array([[1.0, -1.0, 0.0, 1.0, 1.0, -1.0, 1.0]]),  # one participant
    np.zeros((40, 12)),  # everyone passes on everything
    np.ones((40, 12)),  # everyone agrees with everything
    np.array([[1.0, -1.0, 1.0]] * 2 + [[-1.0, 1.0, -1.0]] * 2),  # fewer than 5 participants
])
def test_degenerate_input_gives_an_empty_map(votes):
    result = compute_map(votes)
    assert result.empty and result.groups == () and result.consensus == ()
    assert result.points.shape == (0, 2)


def test_too_few_participants_for_two_groups_gives_a_map_without_groups():
    votes = np.array([[1.0, -1.0, 1.0, 0.0, 1.0, -1.0, 1.0]] * 4 + [[-1.0, 1.0, -1.0, 0.0, -1.0, 1.0, -1.0]] * 4)
    result = compute_map(votes)
    assert result.participants.size == 8 and result.groups == ()
    assert np.all(result.labels == -1)


def test_no_group_is_ever_smaller_than_the_floor():
    votes, _ = camps_matrix()
    small = np.vstack([votes[:30], votes[30:33]])  # a camp of 30 and a camp of 3
    result = compute_map(small)
    assert all(g.size >= 5 for g in result.groups)


def test_votes_must_be_agree_disagree_pass_or_missing():
    with pytest.raises(ValueError):
        compute_map(np.array([[2.0, 1.0]] * 6))


def test_participants_below_the_minimum_number_of_votes_are_left_out():
    votes = np.full((4, 10), np.nan)
    votes[0, :7] = 1
    votes[1, :6] = 1
    votes[2, :] = -1
    assert select_participants(votes, 7).tolist() == [0, 2]
    few = np.full((3, 3), np.nan)
    few[0] = 1
    few[1, :2] = 0
    assert select_participants(few, 7).tolist() == [0]  # capped at the 3 statements that have votes


def test_missing_votes_take_the_statement_mean_then_columns_are_centred():
    votes = np.array([[1.0, np.nan], [-1.0, 1.0], [1.0, np.nan], [np.nan, 0.0]])
    centred = impute_and_centre(votes)
    expected = np.array([[1 - 1 / 3, 0.0], [-1 - 1 / 3, 0.5], [1 - 1 / 3, 0.0], [0.0, -0.5]])
    assert np.allclose(centred, expected)
    assert np.allclose(centred.mean(axis=0), 0)


def test_silhouette_matches_a_direct_computation():
    rng = np.random.RandomState(0)
    points = np.vstack([rng.randn(12, 2), rng.randn(9, 2) + 3, rng.randn(7, 2) - 3])
    labels, _, _ = kmeans(points, 3, seed=1)
    distances = np.sqrt(((points[:, None] - points[None]) ** 2).sum(axis=2))
    expected = []
    for i in range(len(points)):
        same = [distances[i, j] for j in range(len(points)) if labels[j] == labels[i] and j != i]
        if not same:
            expected.append(0.0)
            continue
        a = sum(same) / len(same)
        b = min(np.mean([distances[i, j] for j in range(len(points)) if labels[j] == other])
                for other in set(labels.tolist()) - {labels[i]})
        expected.append((b - a) / max(a, b))
    assert silhouette(distances, labels) == pytest.approx(float(np.mean(expected)))


def test_kmeans_is_seeded():
    rng = np.random.RandomState(5)
    points = rng.randn(200, 2)
    assert np.array_equal(kmeans(points, 4, seed=9)[0], kmeans(points, 4, seed=9)[0])


def test_vote_matrix_from_rows():
    matrix, participants, statements = vote_matrix([(11, 2, -1), (10, 1, 1), (10, 2, 0), (12, 5, 1)])
    assert participants.tolist() == [10, 11, 12] and statements.tolist() == [1, 2, 5]
    expected = [[1.0, 0.0, np.nan], [np.nan, -1.0, np.nan], [np.nan, np.nan, 1.0]]
    assert np.array_equal(matrix, np.array(expected), equal_nan=True)
    empty, participants, statements = vote_matrix([])
    assert empty.shape == (0, 0) and compute_map(empty).empty


def test_a_group_share_needs_five_votes_to_make_a_statement_representative():
    votes, camps = camps_matrix(missing=0.0, noise=0.0)
    votes[:, 0] = np.nan
    votes[np.flatnonzero(camps == 0)[:4], 0] = 1.0  # only 4 of camp 0 voted on statement 0
    result = compute_map(votes)
    assert all(s.statement != 0 for g in result.groups for s in g.representative)
