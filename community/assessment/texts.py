"""Words for the report: metric names, stages, families and the recommendations, in the reader's language.

Reports (and snapshots) keep structured recommendations; the sentences are made when shown, so a
French admin and an English one read the same snapshot in their own language.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..registry import registry

METRICS = {
    "contributor_share": _l("Members who contributed"),
    "contribution_gini": _l("Inequality of contributions (Gini)"),
    "member_voice_share": _l("Contributions by members (not staff)"),
    "reply_rate": _l("Contributions that got a reply"),
    "isolated_share": _l("Members with no tie"),
    "mean_degree": _l("Ties per member"),
    "reciprocity": _l("Follows returned"),
    "clustering": _l("Clustering (friends of friends)"),
    "largest_component_share": _l("Members in the largest connected group"),
}
# The radar draws "higher is better" values in [0, 1]; these name the drawn quantity.
RADAR = {
    "contributor_share": _l("contributors"),
    "contribution_gini": _l("equality"),
    "member_voice_share": _l("members' voice"),
    "reply_rate": _l("replies"),
    "isolated_share": _l("connected"),
    "mean_degree": _l("ties"),
    "reciprocity": _l("reciprocity"),
    "clustering": _l("clustering"),
    "largest_component_share": _l("reach"),
}
PARTS = {
    "voices": _l("Members who speak (weighted)"),
    "member_voices": _l("Members, not staff, who speak"),
    "heard": _l("Members who were answered"),
    "connected": _l("Members with at least one tie"),
    "ties": _l("Ties per member (weighted)"),
    "reach": _l("Largest connected group"),
    "mutual": _l("Members with a returned follow"),
    "circles": _l("Members in a circle of three"),
}
STAGES = {
    "diffusion": _l("Diffusion"),
    "communities": _l("Communities"),
    "network": _l("Network"),
}
STAGE_TEXTS = {
    "diffusion": _l("Information flows from the centre to the members; few members speak or know each other."),
    "communities": _l("Members speak and gather in circles, but the circles are not yet linked into one network."),
    "network": _l("Most members are linked to each other and a good share of them speak: a network."),
}
FAMILIES = {
    "influence": _l("influence"),
    "collaboration": _l("collaboration"),
    "coordination": _l("coordination"),
}
AXES = {"expression": _l("Expression"), "connection": _l("Connection")}


def percent(value: float) -> str:
    return f"{round(100 * value)}%"


def _labels(keys: list[str], capabilities: list[dict]) -> str:
    """Feature names in the reader's language when a module still declares them, else as stored."""
    from .engine import capability_labels

    current = capability_labels()
    stored = {row["key"]: row["label"] for row in capabilities}
    return ", ".join(str(current.get(k) or stored.get(k, k)) for k in keys)


def recommendation_text(rec: dict, report: dict) -> str:
    """One sentence for a structured recommendation (scores.recommendations)."""
    metric, value = rec["metric"], rec["value"]
    capabilities = report["expression"]["capabilities"] + report["connection"]["capabilities"]
    if metric == "contributor_share":
        text = _("Only %(share)s of members contributed in the period: open debates or opinion maps where a short "
                 "answer is enough, and invite members personally to give theirs.", share=percent(value))
    elif metric == "contribution_gini":
        text = _("A few members write most of the contributions (Gini %(gini)s): ask the most active to hand the "
                 "floor to others, and answer newcomers first.", gini=f"{value:.2f}")
    elif metric == "member_voice_share":
        text = _("Only %(share)s of the contributions come from members rather than staff: let members start "
                 "debates and proposals, not only organisers.", share=percent(value))
    elif metric == "reply_rate":
        text = _("Only %(share)s of the posts and contributions got an answer from someone else: organise answers "
                 "(a rota of animators) so that nobody speaks into the void.", share=percent(value))
    elif metric == "isolated_share":
        text = _("%(share)s of members have no tie: switch on suggestions and introductions, or create local "
                 "groups so that they meet.", share=percent(value))
    elif metric == "mean_degree":
        text = _("Members have %(ties)s ties on average: small groups (at most 50) and events make ties between "
                 "all their members.", ties=f"{value:.1f}")
    elif metric == "reciprocity":
        text = _("Only %(share)s of follows are returned: suggest to members to follow back those who follow "
                 "them, and use introductions.", share=percent(value))
    elif metric == "clustering":
        text = _("Members' contacts rarely know each other (clustering %(value)s): small local groups and "
                 "meetings build circles.", value=f"{value:.2f}")
    else:
        text = _("Only %(share)s of members are in the largest connected group: link the circles with common "
                 "debates, events between groups and introductions.", share=percent(value))
    extra = []
    if rec.get("switch_on"):
        extra.append(_("Switched off now: %(features)s.", features=_labels(rec["switch_on"], capabilities)))
    if rec.get("communes"):
        places = ", ".join(_("%(commune)s (%(count)d)", commune=c["commune"], count=c["isolated"])
                           for c in rec["communes"])
        extra.append(_("Communes with the most members without ties: %(places)s.", places=places))
    return " ".join([text, *extra])


def with_texts(report: dict) -> dict:
    """The report with a ``text`` on each recommendation, in the current language."""
    recs = [{**rec, "text": recommendation_text(rec, report)} for rec in report["recommendations"]]
    return {**report, "recommendations": recs}


def family_label(name: str) -> str:
    return str(FAMILIES.get(name, name))


def module_label(name: str) -> str:
    module = registry.get(name)
    return str(module.label) if module else name
