"""Scores (0-100), the stage and the recommendations, from the metrics. Formulas: docs/assessment.md.

The usage part of each score is built from *member-level* quantities (does this member speak, is this
member heard, how many ties does this member have…), each of which can only rise when one more member
speaks or one more tie exists. Ratios over items (member_voice_share, reply_rate, reciprocity,
clustering) are reported as metrics but kept out of the scores: they can fall when someone new
speaks (an organiser's first post lowers member_voice_share) or when a newcomer gets a first tie
(a one-way follow lowers reciprocity), and a score must never punish that.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

# Contributions in the window at which a member's voice counts in full; fewer count on a log scale,
# so ten members with one post each weigh more than one member with ten posts.
FULL_VOICE = 5
# Ties at which a member counts as fully connected.
FULL_TIES = 5
CAPABILITY_WEIGHT = 0.25  # the rest (0.75) is usage

EXPRESSION_PARTS = {"voices": 0.4, "member_voices": 0.3, "heard": 0.3}
CONNECTION_PARTS = {"connected": 0.3, "ties": 0.2, "reach": 0.2, "mutual": 0.15, "circles": 0.15}

# Stage thresholds (docs/assessment.md).
NETWORK = {"largest_component_share": 0.5, "isolated_share": 0.25, "contributor_share": 0.25}
COMMUNITIES = {"clustering": 0.1, "mean_degree": 2.0, "contributor_share": 0.1}

MIN_GROUP = 5  # no breakdown over fewer members than this (privacy)


def saturating(values: np.ndarray, full: int) -> np.ndarray:
    """log(1 + x) / log(1 + full), capped at 1: increasing, 0 at 0, concave (spreading beats piling up)."""
    return np.minimum(1.0, np.log1p(values.astype(np.float64)) / math.log1p(full))


def mean(values: np.ndarray, n: int) -> float:
    return float(values.sum()) / n if n else 0.0


def expression_usage(counts: np.ndarray, plain: np.ndarray, heard: np.ndarray) -> dict[str, float]:
    n = len(counts)
    voice = saturating(counts, FULL_VOICE)
    return {"voices": mean(voice, n), "member_voices": mean(voice[plain], n), "heard": mean(heard, n)}


def connection_usage(degree: np.ndarray, largest_component_share: float, mutual: np.ndarray,
                     in_triangle: np.ndarray) -> dict[str, float]:
    n = len(degree)
    return {"connected": mean(degree > 0, n), "ties": mean(saturating(degree, FULL_TIES), n),
            "reach": largest_component_share, "mutual": mean(mutual, n), "circles": mean(in_triangle, n)}


def combine(parts: dict[str, float], weights: dict[str, float]) -> float:
    return sum(weights[k] * parts[k] for k in weights)


def score(capability: float, usage: float) -> float:
    """0-100; capability and usage are in [0, 1]."""
    return round(100 * (CAPABILITY_WEIGHT * capability + (1 - CAPABILITY_WEIGHT) * usage), 1)


def stage(metrics: dict[str, float]) -> str:
    if (metrics["largest_component_share"] >= NETWORK["largest_component_share"]
            and metrics["isolated_share"] <= NETWORK["isolated_share"]
            and metrics["contributor_share"] >= NETWORK["contributor_share"]):
        return "network"
    if ((metrics["clustering"] >= COMMUNITIES["clustering"] or metrics["mean_degree"] >= COMMUNITIES["mean_degree"])
            and metrics["contributor_share"] >= COMMUNITIES["contributor_share"]):
        return "communities"
    return "diffusion"


# How bad each metric is, 0 (fine) to 1 (worst), to pick the weakest ones.
GAPS = {
    "contributor_share": lambda v: 1 - v,
    "contribution_gini": lambda v: v,
    "member_voice_share": lambda v: 1 - v,
    "reply_rate": lambda v: 1 - v,
    "isolated_share": lambda v: v,
    "mean_degree": lambda v: 1 - min(1.0, v / (2 * FULL_TIES)),
    "reciprocity": lambda v: 1 - v,
    "clustering": lambda v: 1 - min(1.0, v / 0.3),
    "largest_component_share": lambda v: 1 - v,
}
# How much each metric matters for the advice: who speaks and who is alone come first.
IMPORTANCE = {"contributor_share": 1.0, "isolated_share": 1.0, "reply_rate": 0.9, "member_voice_share": 0.8,
              "largest_component_share": 0.8, "contribution_gini": 0.7, "mean_degree": 0.7, "reciprocity": 0.6,
              "clustering": 0.6}
AXIS_OF = {"contributor_share": "expression", "contribution_gini": "expression", "member_voice_share": "expression",
           "reply_rate": "expression"}
WORTH_SAYING = 0.3  # a metric whose weighted gap is this large is worth a recommendation
MAX_RECOMMENDATIONS = 4


def communes_of(isolated: np.ndarray, communes: list[str], limit: int = 3) -> list[dict]:
    """Communes with the most isolated members, each with at least MIN_GROUP of them (never fewer)."""
    counts = Counter(communes[i] for i in np.flatnonzero(isolated) if communes[i])
    return [{"commune": c, "isolated": k} for c, k in counts.most_common() if k >= MIN_GROUP][:limit]


def recommendations(metrics: dict[str, float], members: int, capabilities: list[dict],
                    isolated_communes: list[dict]) -> list[dict]:
    """Structured recommendations for the weakest metrics; texts are made at display (texts.py)."""
    if not members:
        return []
    gaps = sorted(((IMPORTANCE[k] * GAPS[k](metrics[k]), k) for k in GAPS),
                  key=lambda pair: (-pair[0], list(GAPS).index(pair[1])))
    result = []
    for gap, key in gaps:
        if gap < WORTH_SAYING or len(result) >= MAX_RECOMMENDATIONS:
            break
        axis = AXIS_OF.get(key, "connection")
        off = sorted((c for c in capabilities if c["axis"] == axis and not c["available"]),
                     key=lambda c: (-c["weight"], c["key"]))
        item = {"metric": key, "value": metrics[key], "gap": round(gap, 3), "switch_on": [c["key"] for c in off[:3]]}
        if key in ("isolated_share", "largest_component_share", "mean_degree") and isolated_communes:
            item["communes"] = isolated_communes  # once, on the first recommendation about ties
            isolated_communes = []
        result.append(item)
    return result
