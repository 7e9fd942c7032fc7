"""The self-assessment engine: collects what the probes declare, computes metrics, scores and stage.

The core knows no module by name: it walks the registry, calls every module's probes, maps each
activity's module to its family through the registry, and reads follows from its own tables.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np

from ..registry import registry
from ..timeutil import utcnow
from . import data, metrics, scores
from .core_probes import core_capabilities
from .probes import AXES, Capability, Contributions, Gatherings, Ties, Window

DEFAULT_WINDOW_DAYS = 90
EXPRESSION_METRICS = ("contributor_share", "contribution_gini", "member_voice_share", "reply_rate")
CONNECTION_METRICS = ("isolated_share", "mean_degree", "reciprocity", "clustering", "largest_component_share")


def iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds") + "Z"


def collect_probes(window: Window) -> tuple[list[dict], dict[type, list]]:
    """Every probe of every loaded module; capabilities of modules that are off count as unavailable."""
    enabled = registry.enabled_map()
    capabilities = [_capability_row(c, True, "core") for c in core_capabilities(window)]
    items: list = []
    for module in registry:
        for probe in module.probes:
            found = data.split_probe_items(probe(window))
            capabilities.extend(_capability_row(c, enabled.get(module.name, False), module.name)
                                for c in found[Capability])
            for kind in (Contributions, Gatherings, Ties):
                items.extend(found[kind])
    return capabilities, data.split_probe_items(items)


def capability_labels() -> dict[str, object]:
    """Every capability's (lazy) label by key, as the modules declare them now."""
    now = utcnow()
    window = Window(start=now, end=now)
    labels = {c.key: c.label for c in core_capabilities(window)}
    for module in registry:
        for probe in module.probes:
            labels.update((c.key, c.label) for c in data.split_probe_items(probe(window))[Capability])
    return labels


def _capability_row(item: Capability, module_on: bool, module: str) -> dict:
    if item.axis not in AXES:
        raise ValueError(f"capability {item.key}: axis {item.axis!r} is not one of {AXES}")
    return {"axis": item.axis, "key": item.key, "label": str(item.label), "module": module,
            "weight": float(item.weight), "available": bool(item.available and module_on)}


def capability_share(capabilities: list[dict], axis: str) -> float:
    rows = [c for c in capabilities if c["axis"] == axis]
    return metrics.ratio(sum(c["weight"] for c in rows if c["available"]), sum(c["weight"] for c in rows))


def assess(as_of: datetime | None = None, window_days: int = DEFAULT_WINDOW_DAYS,
           phase: Callable[[str], None] | None = None) -> dict:
    """The full report as a JSON-ready dict. ``phase(name)`` is called as each phase ends (the bench times them)."""
    def done(name: str) -> None:
        if phase:
            phase(name)

    as_of = as_of or utcnow()
    window = Window(start=as_of - timedelta(days=window_days), end=as_of)
    capabilities, items = collect_probes(window)
    members = data.load_members(window)
    n = members.n
    done("members")

    sources = [data.load_contributions(c, window, members) for c in items[Contributions]]
    done("contributions")
    expr = metrics.expression(n, members.plain, sources)
    del sources
    done("expression")

    follows = data.load_follows(window, members)
    done("follows")
    gathered = [data.load_gathering_edges(g, members) for g in items[Gatherings]]
    direct = [data.load_ties(t, members) for t in items[Ties]]
    done("groups_events_introductions")
    edges = metrics.undirected_edges(n, follows, expr.reply_pairs, *gathered, *direct)
    del gathered, direct
    conn = metrics.connection(n, edges, follows)
    mutual = metrics.mutual_members(follows, n)
    done("graph")

    family_of = {m.name: m.family for m in registry}
    activity = data.activity_counts(window, members)
    mix, centre = metrics.family_mix(activity, family_of)
    done("family_mix")

    values = {
        "contributor_share": expr.contributor_share, "contribution_gini": expr.contribution_gini,
        "member_voice_share": expr.member_voice_share, "reply_rate": expr.reply_rate,
        "isolated_share": conn.isolated_share, "mean_degree": conn.mean_degree, "reciprocity": conn.reciprocity,
        "clustering": conn.clustering, "largest_component_share": conn.largest_component_share,
    }
    expression_parts = scores.expression_usage(expr.counts, members.plain, expr.heard)
    connection_parts = scores.connection_usage(conn.degree, conn.largest_component_share, mutual, conn.in_triangle)
    axes = {}
    for axis, names, parts, weights in (
            ("expression", EXPRESSION_METRICS, expression_parts, scores.EXPRESSION_PARTS),
            ("connection", CONNECTION_METRICS, connection_parts, scores.CONNECTION_PARTS)):
        capability = capability_share(capabilities, axis)
        usage = scores.combine(parts, weights)
        axes[axis] = {
            "score": scores.score(capability, usage),
            "capability": round(100 * capability, 1),
            "usage": round(100 * usage, 1),
            "usage_parts": {k: round(v, 4) for k, v in parts.items()},
            "metrics": {k: values[k] for k in names},
            "capabilities": [c for c in capabilities if c["axis"] == axis],
        }
    social = round((axes["expression"]["score"] + axes["connection"]["score"]) / 2, 1)
    communes = scores.communes_of(conn.isolated, members.communes)
    recs = scores.recommendations(values, n, capabilities, communes)
    done("scores")
    return {
        "format": "terreau-assessment/1",
        "as_of": iso(as_of),
        "window_start": iso(window.start),
        "window_days": window_days,
        "members": n,
        "social_potential": social,
        "expression": axes["expression"],
        "connection": axes["connection"],
        "family_mix": mix,
        "center_of_gravity": centre,
        "stage": scores.stage(values),
        "recommendations": recs,
        "counts": {"contributions": int(expr.counts.sum()), "contributors": int(np.count_nonzero(expr.counts)),
                   "follows": int(len(follows)), "ties": conn.edges,
                   "activities": int(sum(activity.get(m, 0) for m in family_of))},
    }
