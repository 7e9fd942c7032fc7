"""The score of "people to meet": pure functions over small profiles, so tests build members by hand.

A suggestion's score is a sum of weighted components (shared interests, shared skills, same
commune or same area, shared groups, similar votes in the opinion maps, contacts in common).
Each component that counts also gives a ``Reason``; ``reason_text`` puts the reasons into
words in the reader's language. The weights are documented in docs/collaboration.md.
"""

from __future__ import annotations

import heapq
import unicodedata
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from flask_babel import gettext as _
from flask_babel import ngettext

SEPARATOR = " · "


class Profile(NamedTuple):
    """What the score looks at for one member (tag names are lower-case, as stored). Named
    tuples, not frozen dataclasses, for the values made per candidate: several times cheaper
    to create, and a suggestion makes a few hundred of them."""

    id: int
    interests: AbstractSet[str] = frozenset()
    skills: AbstractSet[str] = frozenset()
    commune: str = ""
    postal_code: str = ""
    groups: AbstractSet[int] = frozenset()  # active memberships of groups that are not archived


@dataclass(frozen=True)
class Weights:
    """Points per component; docs/collaboration.md ("People to meet") explains each."""

    interest: float = 2.0  # per shared interest
    skill: float = 1.5  # per shared skill
    max_tags: int = 5  # shared interests (and, separately, skills) that count at most
    same_commune: float = 3.0  # same commune (and not two different areas)
    same_area: float = 1.5  # same area (first two digits of the postal code: the département), other commune
    group: float = 2.5  # per shared group
    max_groups: int = 3  # shared groups that count at most
    opinion: float = 4.0  # at full agreement; scaled by (agreement rate − ½) × 2, nothing at or below chance
    opinion_min_overlap: int = 5  # statements both voted on (agree or disagree); fewer: no contribution
    contact: float = 0.5  # per contact in common (a listed member you follow who follows them)
    max_contacts: int = 4  # contacts in common that count at most


DEFAULT_WEIGHTS = Weights()


class Agreement(NamedTuple):
    """Votes of two members on the statements both voted on (agree or disagree; passes left out)."""

    overlap: int
    agreed: int

    @property
    def rate(self) -> float:
        return self.agreed / self.overlap if self.overlap else 0.0


class Reason(NamedTuple):
    kind: str  # "interests", "skills", "commune", "area", "groups", "opinions", "contacts"
    count: int = 0
    names: tuple[str, ...] = ()


class Scored(NamedTuple):
    member_id: int
    score: float
    reasons: tuple[Reason, ...]


@lru_cache(maxsize=4096)  # the same few hundred communes come back for every candidate
def normalise_commune(name: str) -> str:
    """"Saint-Étienne", "saint etienne " and "SAINT-ETIENNE" compare equal."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.replace("-", " ").replace("'", " ").casefold().split())


def area_of(postal_code: str) -> str:
    """The postal-code area: its first two digits (the département in France), or ""."""
    code = (postal_code or "").strip()
    return code[:2] if len(code) >= 2 and code[:2].isdigit() else ""


def place_relation(me: Profile, other: Profile) -> str | None:
    """"commune", "area" or None. Same commune name in two different areas (Saint-Denis 93 and
    Saint-Denis 974) is not the same commune; an unknown area does not contradict a name."""
    mine, theirs = area_of(me.postal_code), area_of(other.postal_code)
    name = normalise_commune(me.commune)
    same_name = bool(name) and name == normalise_commune(other.commune)
    if same_name and (not mine or not theirs or mine == theirs):
        return "commune"
    if mine and mine == theirs:
        return "area"
    return None


def opinion_points(agreement: Agreement | None, weights: Weights = DEFAULT_WEIGHTS) -> float:
    """Points for similar votes: nothing below the minimum overlap or at or below 50 % agreement."""
    if agreement is None or agreement.overlap < weights.opinion_min_overlap:
        return 0.0
    return weights.opinion * max(0.0, (agreement.rate - 0.5) * 2)


def _evaluate(me: Profile, other: Profile, agreement: Agreement | None, contacts: int,
              group_names: Mapping[int, str] | None, weights: Weights, reasons: list | None) -> float:
    """The score; when ``reasons`` is a list, each component that counts appends its Reason.
    One function for both, so the ranking and the reasons shown can never disagree."""
    total = 0.0
    for kind, mine, theirs, weight in (("interests", me.interests, other.interests, weights.interest),
                                       ("skills", me.skills, other.skills, weights.skill)):
        shared = mine & theirs
        if shared:
            total += weight * min(len(shared), weights.max_tags)
            if reasons is not None:
                names = sorted(shared)
                reasons.append(Reason(kind, len(names), tuple(names[:weights.max_tags])))
    place = place_relation(me, other)
    if place == "commune":
        total += weights.same_commune
        if reasons is not None:
            reasons.append(Reason("commune"))
    elif place == "area":
        total += weights.same_area
        if reasons is not None:
            reasons.append(Reason("area", names=(area_of(me.postal_code),)))
    shared_groups = me.groups & other.groups
    if shared_groups:
        total += weights.group * min(len(shared_groups), weights.max_groups)
        if reasons is not None:
            names = sorted((group_names or {}).get(g, "") for g in shared_groups)
            reasons.append(Reason("groups", len(shared_groups), tuple(n for n in names if n)[:weights.max_groups]))
    points = opinion_points(agreement, weights)
    if points > 0:
        total += points
        if reasons is not None:
            reasons.append(Reason("opinions"))
    if contacts > 0:
        total += weights.contact * min(contacts, weights.max_contacts)
        if reasons is not None:
            reasons.append(Reason("contacts", contacts))
    return round(total, 6)


def points(me: Profile, other: Profile, *, agreement: Agreement | None = None, contacts: int = 0,
           weights: Weights = DEFAULT_WEIGHTS) -> float:
    """The score alone, without building the reasons."""
    return _evaluate(me, other, agreement, contacts, None, weights, None)


def score(me: Profile, other: Profile, *, agreement: Agreement | None = None, contacts: int = 0,
          group_names: Mapping[int, str] | None = None, weights: Weights = DEFAULT_WEIGHTS) -> Scored:
    """How much ``me`` and ``other`` have in common, and why, in the order the reasons are shown."""
    reasons: list[Reason] = []
    total = _evaluate(me, other, agreement, contacts, group_names, weights, reasons)
    return Scored(other.id, total, tuple(reasons))


def rank(me: Profile, others: Iterable[Profile], *, agreements: Mapping[int, Agreement] | None = None,
         contacts: Mapping[int, int] | None = None, group_names: Mapping[int, str] | None = None,
         limit: int = 10, weights: Weights = DEFAULT_WEIGHTS) -> list[Scored]:
    """The ``limit`` best-scored others (score > 0), best first; ties go to the lower id.
    Only those get their reasons built: a suggestion scores a few hundred candidates."""
    agreements, contacts = agreements or {}, contacts or {}
    totals = [(total, other) for other in others if other.id != me.id
              and (total := _evaluate(me, other, agreements.get(other.id), contacts.get(other.id, 0),
                                      None, weights, None)) > 0]
    best = heapq.nsmallest(limit, totals, key=lambda pair: (-pair[0], pair[1].id))
    return [score(me, other, agreement=agreements.get(other.id), contacts=contacts.get(other.id, 0),
                  group_names=group_names, weights=weights) for _total, other in best]


def _names(reason: Reason) -> str:
    more = reason.count - len(reason.names)
    text = ", ".join(reason.names)
    return text + (" …" if more > 0 else "")


def reason_words(reason: Reason) -> str:
    """One reason in words, in the current language."""
    if reason.kind == "interests":
        return ngettext("%(num)d shared interest: %(names)s", "%(num)d shared interests: %(names)s",
                        reason.count, names=_names(reason))
    if reason.kind == "skills":
        return ngettext("%(num)d shared skill: %(names)s", "%(num)d shared skills: %(names)s",
                        reason.count, names=_names(reason))
    if reason.kind == "commune":
        return _("same commune")
    if reason.kind == "area":
        return _("same area (%(area)s)", area=reason.names[0] if reason.names else "")
    if reason.kind == "groups":
        if reason.names:
            return ngettext("%(num)d shared group: %(names)s", "%(num)d shared groups: %(names)s",
                            reason.count, names=_names(reason))
        return ngettext("%(num)d shared group", "%(num)d shared groups", reason.count)
    if reason.kind == "opinions":
        return _("similar views in the opinion maps")
    if reason.kind == "contacts":
        return ngettext("%(num)d contact in common", "%(num)d contacts in common", reason.count)
    return reason.kind


def reason_text(reasons: Iterable[Reason]) -> str:
    """All reasons of a suggestion, joined: "3 shared interests: climat, logement, transports · same commune"."""
    return SEPARATOR.join(reason_words(r) for r in reasons)
