"""Opinion groups from agree / disagree / pass votes, in the spirit of Pol.is: pure numpy, no database.

The input is a participants × statements matrix holding 1 (agree), −1 (disagree), 0 (pass) and
NaN (not voted). ``compute_map`` then:

1. keeps the participants who voted on at least ``min_votes`` statements (or on every statement
   that has votes, when there are fewer);
2. fills each missing vote with the statement's mean vote (column mean) and centres every
   column; no other scaling, since every vote is already on the same −1..1 scale;
3. projects the participants on the two principal components (SVD), then spreads out those who
   voted little: coordinates × √(statements / their votes), as Pol.is does, since imputed
   votes pull a participant towards the centre;
4. groups the projection with k-means (k-means++ seeding from a fixed seed, several restarts),
   k from 2 to ``max_groups`` chosen by the best mean silhouette, among the k whose every group
   has at least ``min_group_size`` participants;
5. finds each group's representative statements (where the group's agreement, or disagreement,
   differs most from everyone else's) and the consensus statements (agreed, or disagreed, by at
   least ``consensus_share`` of every group).

docs/opinion-maps.md explains each step and parameter for admins and members. Same input,
same output: every random choice comes from ``numpy.random.RandomState(seed)``, whose stream
numpy keeps stable across versions (the newer ``Generator`` streams may change).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

AGREE, PASS, DISAGREE = 1, 0, -1


@dataclass(frozen=True)
class MapParams:
    """Every parameter of the method (defaults documented in docs/opinion-maps.md)."""

    min_votes: int = 7  # a participant enters the map after this many votes (or all statements, if fewer)
    min_groups: int = 2  # fewest opinion groups tried
    max_groups: int = 5  # most opinion groups tried
    min_group_size: int = 5  # privacy floor: no group, and no map at all, with fewer participants
    seed: int = 2011  # seed of k-means++ seeding and of the silhouette sample
    n_init: int = 8  # k-means restarts per k; the lowest within-group spread wins
    max_iter: int = 100  # Lloyd iterations per restart (stops earlier once stable)
    silhouette_sample: int = 2000  # silhouette computed on at most this many participants
    min_group_votes: int = 5  # a group's (and the others') share on a statement needs this many votes
    representative_count: int = 5  # representative statements listed per group
    representative_z: float = 1.645  # two-proportion z-test threshold (one-sided 95 %)
    consensus_share: float = 0.6  # consensus: at least this share of every group agrees (or disagrees)
    consensus_count: int = 5  # consensus statements listed


@dataclass(frozen=True)
class StatementScore:
    """How one group (or every group, for consensus) stands on a statement."""

    statement: int  # column index in the vote matrix
    direction: str  # "agree" or "disagree"
    share: float  # share of the group's voters on the statement who voted that way (passes count)
    other_share: float | None = None  # the same share among everyone else (representative statements)
    votes: int = 0  # the group's votes on it (agree, disagree and pass)
    score: float = 0.0  # representative: smoothed difference of shares; consensus: the smallest share
    shares: tuple[float, ...] = ()  # consensus: the share in each group, in group order


@dataclass(frozen=True, eq=False)
class Group:
    index: int  # 0, 1, …: shown as A, B, …
    members: np.ndarray  # row indices (into the input matrix) of its participants
    centre: tuple[float, float]  # centroid on the map
    representative: tuple[StatementScore, ...] = ()

    @property
    def size(self) -> int:
        return int(self.members.size)

    @property
    def letter(self) -> str:
        return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[self.index]


@dataclass(frozen=True, eq=False)
class OpinionMap:
    """The result; ``empty`` when there is nothing to show (too few participants, no disagreement)."""

    participants: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))  # kept rows
    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # their 2-D positions
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))  # their group (−1: none)
    groups: tuple[Group, ...] = ()
    consensus: tuple[StatementScore, ...] = ()
    explained: tuple[float, float] = (0.0, 0.0)  # share of the variance along each axis
    silhouette: float | None = None  # mean silhouette of the chosen grouping

    @property
    def empty(self) -> bool:
        return self.participants.size == 0


# --- building the matrix ---------------------------------------------------------------------


def vote_matrix(rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(matrix, participant ids, statement ids) from (participant id, statement id, value) rows:
    one row per participant and one column per statement that has a vote, both in id order,
    NaN where a participant did not vote."""
    triples = np.asarray(rows, dtype=np.int64).reshape(-1, 3)
    participants, row = np.unique(triples[:, 0], return_inverse=True)
    statements, column = np.unique(triples[:, 1], return_inverse=True)
    matrix = np.full((participants.size, statements.size), np.nan)
    matrix[row, column] = triples[:, 2]
    return matrix, participants, statements


# --- steps -------------------------------------------------------------------------------------


def select_participants(votes: np.ndarray, min_votes: int) -> np.ndarray:
    """Row indices of participants with at least ``min_votes`` votes (capped at the number of
    statements that have any vote, so a young question with few statements still maps)."""
    counts = np.sum(~np.isnan(votes), axis=1)
    voted_statements = int(np.sum(np.any(~np.isnan(votes), axis=0))) if votes.size else 0
    needed = max(1, min(min_votes, voted_statements))
    return np.flatnonzero(counts >= needed)


def impute_and_centre(votes: np.ndarray) -> np.ndarray:
    """Missing votes take the statement's mean vote, then every column is centred on its mean:
    a missing vote thus ends exactly at 0, the neutral position for that statement."""
    seen = ~np.isnan(votes)
    counts = seen.sum(axis=0)
    sums = np.where(seen, votes, 0.0).sum(axis=0)
    means = np.divide(sums, counts, out=np.zeros(votes.shape[1]), where=counts > 0)
    return np.where(seen, votes - means, 0.0)


def pca2(centred: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """Coordinates on the first two principal components, and the share of variance of each.
    Signs are fixed (largest loading positive) so that equal input gives an equal picture."""
    n, m = centred.shape
    if n >= m:
        # The SVD of the small m × m matrix XᵀX gives the same components (its singular values are
        # the squares of X's) about ten times faster than the SVD of X with 1,000 participants.
        _, variances, vt = np.linalg.svd(centred.T @ centred)
    else:
        _, singular, vt = np.linalg.svd(centred, full_matrices=False)
        variances = singular ** 2
    components = np.zeros((2, m))
    rank = min(2, vt.shape[0])
    components[:rank] = vt[:rank]
    for c in components[:rank]:
        if c[np.argmax(np.abs(c))] < 0:
            c *= -1
    total = float(np.sum(variances))
    explained = [float(v / total) if total else 0.0 for v in variances[:2]] + [0.0, 0.0]
    return centred @ components.T, (explained[0], explained[1])


def spread_sparse_voters(points: np.ndarray, n_votes: np.ndarray, n_statements: int) -> np.ndarray:
    """Pol.is's correction: a participant who voted on few statements has mostly imputed (neutral)
    values and sits too near the centre; scale by √(statements / own votes)."""
    return points * np.sqrt(n_statements / np.maximum(n_votes, 1))[:, None]


def _squared_distances(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)


def _kmeans_pp(points: np.ndarray, k: int, rng: np.random.RandomState) -> np.ndarray:
    """k-means++ seeding: each next centre drawn with probability ∝ squared distance to the nearest."""
    n = points.shape[0]
    centres = [points[rng.randint(n)]]
    closest = _squared_distances(points, np.asarray(centres))[:, 0]
    for _ in range(1, k):
        total = closest.sum()
        if total <= 0:  # every point already sits on a centre: take any other point
            index = rng.randint(n)
        else:
            index = int(np.searchsorted(np.cumsum(closest), rng.random_sample() * total, side="right"))
            index = min(index, n - 1)
        centres.append(points[index])
        closest = np.minimum(closest, _squared_distances(points, points[index][None, :])[:, 0])
    return np.asarray(centres, dtype=float)


def kmeans(points: np.ndarray, k: int, *, seed: int, n_init: int = 8,
           max_iter: int = 100) -> tuple[np.ndarray, np.ndarray, float]:
    """Lloyd's k-means from ``n_init`` k-means++ seedings; (labels, centres, inertia) of the best."""
    rng = np.random.RandomState(seed)
    best: tuple[np.ndarray, np.ndarray, float] | None = None
    for _ in range(n_init):
        centres = _kmeans_pp(points, k, rng)
        labels = np.full(points.shape[0], -1)
        for _ in range(max_iter):
            distances = _squared_distances(points, centres)
            new_labels = distances.argmin(axis=1)
            if np.array_equal(new_labels, labels):
                break
            labels = new_labels
            for c in range(k):
                mine = labels == c
                if mine.any():
                    centres[c] = points[mine].mean(axis=0)
                else:  # an empty group takes the point farthest from its own centre
                    far = int(distances[np.arange(points.shape[0]), labels].argmax())
                    centres[c] = points[far]
                    labels[far] = c
        inertia = float(_squared_distances(points, centres)[np.arange(points.shape[0]), labels].sum())
        if best is None or inertia < best[2] - 1e-12:
            best = (labels.copy(), centres.copy(), inertia)
    return best


def silhouette(distances: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette from a precomputed distance matrix: (b − a) / max(a, b) per point, where a
    is the mean distance to its own group and b to the nearest other group (0 for a lone point)."""
    k = int(labels.max()) + 1
    onehot = np.eye(k)[labels]
    sizes = onehot.sum(axis=0)
    sums = distances @ onehot  # n × k: total distance from each point to each group
    own = sizes[labels]
    a = np.divide(sums[np.arange(labels.size), labels], own - 1, out=np.zeros(labels.size), where=own > 1)
    others = np.where(onehot.astype(bool), np.inf, sums / np.maximum(sizes, 1))
    b = others.min(axis=1)
    denominator = np.maximum(a, b)
    s = np.divide(b - a, denominator, out=np.zeros(labels.size), where=(own > 1) & (denominator > 0))
    return float(s.mean())


def _pairwise(points: np.ndarray) -> np.ndarray:
    squared = (points ** 2).sum(axis=1)
    return np.sqrt(np.maximum(squared[:, None] + squared[None, :] - 2 * points @ points.T, 0.0))


def choose_grouping(points: np.ndarray, params: MapParams) -> tuple[np.ndarray, float | None]:
    """Labels (−1 everywhere when no k fits) and the silhouette of the k-means grouping with the
    best mean silhouette, k in min_groups..max_groups, every group ≥ min_group_size."""
    n = points.shape[0]
    rng = np.random.RandomState(params.seed)
    sample = np.arange(n) if n <= params.silhouette_sample else np.sort(
        rng.choice(n, params.silhouette_sample, replace=False))
    distances = _pairwise(points[sample])
    best_labels, best_score = np.full(n, -1), None
    for k in range(params.min_groups, params.max_groups + 1):
        if n < k * params.min_group_size:
            break
        labels, _, _ = kmeans(points, k, seed=params.seed + k, n_init=params.n_init, max_iter=params.max_iter)
        if np.bincount(labels, minlength=k).min() < params.min_group_size:
            continue
        sampled = labels[sample]
        if np.unique(sampled).size < 2:
            continue
        _, sampled = np.unique(sampled, return_inverse=True)
        score = silhouette(distances, sampled)
        if best_score is None or score > best_score + 1e-9:  # ties: the smaller k
            best_labels, best_score = labels, score
    return best_labels, best_score


def _relabel(labels: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Number groups by size (largest is A), then left to right: a stable naming."""
    groups = [g for g in np.unique(labels) if g >= 0]
    order = sorted(groups, key=lambda g: (-int(np.sum(labels == g)), float(points[labels == g, 0].mean()),
                                          float(points[labels == g, 1].mean())))
    mapping = {old: new for new, old in enumerate(order)}
    return np.array([mapping.get(int(g), -1) for g in labels], dtype=int)


def _counts(votes: np.ndarray, onehot: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group (rows of the result) and statement: agree, disagree and total votes."""
    agree = (votes == AGREE).astype(float)
    disagree = (votes == DISAGREE).astype(float)
    seen = (~np.isnan(votes)).astype(float)
    return onehot.T @ agree, onehot.T @ disagree, onehot.T @ seen


def representative_statements(votes: np.ndarray, labels: np.ndarray, k: int,
                              params: MapParams) -> list[tuple[StatementScore, ...]]:
    """For each group, the statements on which it stands most apart from everyone else.

    For a group g and statement s: shares p_in (within g) and p_out (everyone else) of agree
    votes among the votes cast (passes included), smoothed as (count + 1) / (votes + 2); the
    score is p_in − p_out, likewise for disagree, and the larger direction counts. Kept only with
    ≥ min_group_votes votes on each side, a majority of g voting that way, and a two-proportion
    z ≥ representative_z.
    """
    onehot = np.eye(k)[labels]
    agree_in, disagree_in, seen_in = _counts(votes, onehot)
    result = []
    for g in range(k):
        candidates = []
        for direction, count_in in (("agree", agree_in), ("disagree", disagree_in)):
            x_in, n_in = count_in[g], seen_in[g]
            x_out, n_out = count_in.sum(axis=0) - x_in, seen_in.sum(axis=0) - n_in
            smoothed = (x_in + 1) / (n_in + 2) - (x_out + 1) / (n_out + 2)
            share_in = np.divide(x_in, n_in, out=np.zeros_like(x_in), where=n_in > 0)
            share_out = np.divide(x_out, n_out, out=np.zeros_like(x_out), where=n_out > 0)
            pooled = np.divide(x_in + x_out, n_in + n_out, out=np.zeros_like(x_in), where=(n_in + n_out) > 0)
            spread = np.sqrt(pooled * (1 - pooled) * (1 / np.maximum(n_in, 1) + 1 / np.maximum(n_out, 1)))
            z = np.divide(share_in - share_out, spread, out=np.zeros_like(spread), where=spread > 0)
            ok = ((n_in >= params.min_group_votes) & (n_out >= params.min_group_votes) & (share_in > 0.5)
                  & (z >= params.representative_z))
            for s in np.flatnonzero(ok):
                candidates.append(StatementScore(int(s), direction, float(share_in[s]), float(share_out[s]),
                                                 int(n_in[s]), float(smoothed[s])))
        best: dict[int, StatementScore] = {}
        for c in candidates:  # one direction per statement: the one that sets the group apart most
            if c.statement not in best or c.score > best[c.statement].score:
                best[c.statement] = c
        ranked = sorted(best.values(), key=lambda c: (-c.score, c.statement))
        result.append(tuple(ranked[: params.representative_count]))
    return result


def consensus_statements(votes: np.ndarray, labels: np.ndarray, k: int,
                         params: MapParams) -> tuple[StatementScore, ...]:
    """Statements that at least ``consensus_share`` of every group agrees with (or every group
    disagrees with), each group having ≥ min_group_votes votes on it; ranked by the smallest share."""
    if k < 2:
        return ()
    onehot = np.eye(k)[labels]
    agree, disagree, seen = _counts(votes, onehot)
    found = []
    for direction, count in (("agree", agree), ("disagree", disagree)):
        shares = np.divide(count, seen, out=np.zeros_like(count), where=seen > 0)
        ok = np.all(seen >= params.min_group_votes, axis=0) & np.all(shares >= params.consensus_share, axis=0)
        for s in np.flatnonzero(ok):
            column = shares[:, s]
            found.append(StatementScore(int(s), direction, float(column.min()), votes=int(seen[:, s].sum()),
                                        score=float(column.min()), shares=tuple(float(x) for x in column)))
    found.sort(key=lambda c: (-c.score, c.statement))
    return tuple(found[: params.consensus_count])


def compute_map(votes: np.ndarray, params: MapParams = MapParams()) -> OpinionMap:
    """The whole method on a participants × statements matrix (1, −1, 0, NaN); see the module doc."""
    votes = np.asarray(votes, dtype=float)
    if votes.ndim != 2 or votes.size == 0:
        return OpinionMap()
    if np.any(~np.isnan(votes) & ~np.isin(votes, (AGREE, PASS, DISAGREE))):
        raise ValueError("votes must be 1, 0, -1 or NaN")
    kept = select_participants(votes, params.min_votes)
    if kept.size < params.min_group_size:
        return OpinionMap()
    sub = votes[kept]
    columns = np.flatnonzero(np.any(~np.isnan(sub), axis=0))  # statements with no vote carry nothing
    sub = sub[:, columns]
    centred = impute_and_centre(sub)
    if float(np.sum(centred ** 2)) < 1e-12:  # everyone voted alike (e.g. all pass): nothing to map
        return OpinionMap()
    points, explained = pca2(centred)
    points = spread_sparse_voters(points, np.sum(~np.isnan(sub), axis=1), sub.shape[1])
    labels, score = choose_grouping(points, params)
    labels = _relabel(labels, points)
    k = int(labels.max()) + 1 if labels.size else 0
    groups: list[Group] = []
    consensus: tuple[StatementScore, ...] = ()
    if k >= 1:
        reps = representative_statements(sub, labels, k, params)
        consensus = consensus_statements(sub, labels, k, params)
        for g in range(k):
            mine = labels == g
            centre = points[mine].mean(axis=0)
            groups.append(Group(g, kept[mine], (float(centre[0]), float(centre[1])),
                                tuple(_to_column(r, columns) for r in reps[g])))
        consensus = tuple(_to_column(c, columns) for c in consensus)
    return OpinionMap(participants=kept, points=points, labels=labels, groups=tuple(groups), consensus=consensus,
                      explained=explained, silhouette=score)


def _to_column(score: StatementScore, columns: np.ndarray) -> StatementScore:
    """Map a statement index of the reduced matrix back to the caller's column."""
    return StatementScore(int(columns[score.statement]), score.direction, score.share, score.other_share,
                          score.votes, score.score, score.shares)
