"""The usage metrics, computed on arrays of member positions (0..n-1). Definitions: docs/assessment.md.

Graph metrics use igraph (C): on 100,000 members and about 2 million ties the clustering coefficient
takes well under a second, where scipy.sparse (A·A∘A by row blocks) took minutes on a graph with a
popular hub, and networkx about 15 s; networkx stays the independent check in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import igraph
import numpy as np

from .arrays import distinct
from .data import ContributionRows

FAMILY_ORDER = ("influence", "collaboration", "coordination")  # ties go to the first (ASSESSMENT.md)


def ratio(numerator: float, denominator: float) -> float:
    """Empty denominators give 0.0, never an error."""
    return float(numerator) / float(denominator) if denominator else 0.0


def gini(values: np.ndarray) -> float:
    """Population Gini over all values, zeros included: Σ(2i − n − 1)·x_i / (n·Σx), x ascending."""
    n = len(values)
    total = float(values.sum()) if n else 0.0
    if not n or total == 0:
        return 0.0
    x = np.sort(values.astype(np.float64))
    i = np.arange(1, n + 1, dtype=np.float64)
    return float(((2 * i - n - 1) * x).sum() / (n * total))


@dataclass
class Expression:
    counts: np.ndarray  # contributions per member of M
    contributor_share: float
    contribution_gini: float
    member_voice_share: float
    reply_rate: float
    heard: np.ndarray  # bool per member: at least one top-level item answered by someone else in W
    reply_pairs: np.ndarray  # (replier, author answered) positions, both in M, different


def expression(n: int, plain: np.ndarray, sources: list[ContributionRows]) -> Expression:
    counts = np.zeros(n, dtype=np.int64)
    heard = np.zeros(n, dtype=bool)
    base_total = answered_total = 0
    pairs = []
    for rows in sources:
        if len(rows.author):
            counts += np.bincount(rows.author, minlength=n)
        is_reply = rows.reply_to >= 0
        valid_reply = is_reply & (rows.reply_to_author >= 0) & (rows.reply_to_author != rows.author)
        pairs.append(np.stack([rows.author[valid_reply], rows.reply_to_author[valid_reply]], axis=1))
        if rows.replyable:
            # direct replies in W by a member of M other than the item's author
            answering = is_reply & (rows.reply_to_author != rows.author)
            answered_ids = distinct(rows.reply_to[answering])
            top = ~is_reply
            answered = np.isin(rows.item[top], answered_ids)
            base_total += int(top.sum())
            answered_total += int(answered.sum())
            heard[rows.author[top][answered]] = True
    total = int(counts.sum())
    return Expression(
        counts=counts,
        contributor_share=ratio(np.count_nonzero(counts), n),
        contribution_gini=gini(counts),
        member_voice_share=ratio(int(counts[plain].sum()), total),
        reply_rate=ratio(answered_total, base_total),
        heard=heard,
        reply_pairs=np.concatenate(pairs) if pairs else np.empty((0, 2), dtype=np.int64),
    )


def reciprocity(follows: np.ndarray, n: int) -> float:
    """Share of directed follows whose reverse exists (a mutual pair counts twice), as networkx computes it."""
    if not len(follows):
        return 0.0
    keys = distinct(follows[:, 0] * n + follows[:, 1])
    reverse = (keys % n) * n + keys // n
    return ratio(int(np.isin(reverse, keys).sum()), len(keys))


def mutual_members(follows: np.ndarray, n: int) -> np.ndarray:
    """Bool per member: at least one follow returned (used by the monotone connection score)."""
    result = np.zeros(n, dtype=bool)
    if len(follows):
        keys = distinct(follows[:, 0] * n + follows[:, 1])
        mutual = np.isin((keys % n) * n + keys // n, keys)
        result[keys[mutual] // n] = True
    return result


@dataclass
class Connection:
    isolated_share: float
    mean_degree: float
    reciprocity: float
    clustering: float
    largest_component_share: float
    degree: np.ndarray
    in_triangle: np.ndarray  # bool per member
    isolated: np.ndarray  # bool per member
    edges: int


def undirected_edges(n: int, *edge_sets: np.ndarray) -> np.ndarray:
    """Union of edge sets as unique (a < b) pairs, self-loops dropped."""
    parts = [e for e in edge_sets if len(e)]
    if not parts:
        return np.empty((0, 2), dtype=np.int64)
    edges = np.concatenate(parts)
    a, b = np.minimum(edges[:, 0], edges[:, 1]), np.maximum(edges[:, 0], edges[:, 1])
    keys = distinct(a[a != b] * n + b[a != b])
    return np.stack([keys // n, keys % n], axis=1)


def connection(n: int, edges: np.ndarray, follows: np.ndarray) -> Connection:
    if n == 0:
        empty = np.zeros(0, dtype=bool)
        return Connection(0.0, 0.0, 0.0, 0.0, 0.0, np.zeros(0, dtype=np.int64), empty, empty, 0)
    graph = igraph.Graph(n=n, edges=edges, directed=False)
    degree = np.asarray(graph.degree(), dtype=np.int64)
    local = np.asarray(graph.transitivity_local_undirected(mode="zero"), dtype=np.float64)
    sizes = graph.connected_components().sizes()
    return Connection(
        isolated_share=ratio(int((degree == 0).sum()), n),
        mean_degree=ratio(2 * len(edges), n),
        reciprocity=reciprocity(follows, n),
        clustering=float(local.mean()),
        largest_component_share=ratio(max(sizes), n),
        degree=degree,
        in_triangle=local > 0,
        isolated=degree == 0,
        edges=len(edges),
    )


def family_mix(counts_by_module: dict[str, int], family_of: dict[str, str]) -> tuple[dict[str, float], str | None]:
    """Share of activities per family (modules mapped to their family; the core's own verbs have none)."""
    per_family = dict.fromkeys(FAMILY_ORDER, 0)
    for module, count in counts_by_module.items():
        family = family_of.get(module)
        if family in per_family:
            per_family[family] += count
    total = sum(per_family.values())
    mix = {family: ratio(count, total) for family, count in per_family.items()}
    if not total:
        return mix, None
    best = max(per_family.values())
    return mix, next(f for f in FAMILY_ORDER if per_family[f] == best)
