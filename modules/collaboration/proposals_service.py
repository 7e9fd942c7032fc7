"""Proposals with amendments: a versioned text, amendments decided by the author (or the group's
animators), a readable diff between versions, and supports counted exactly.

Plain functions, no HTTP. The rules:

- A proposal's text lives in numbered versions (1, 2, …; unique per proposal in the schema);
  ``current_version`` names the one in force.
- An amendment is a full proposed text written against ``base_version`` (the current version
  when it is proposed) with a rationale. Only an amendment based on the current version can be
  accepted: accepting it makes version ``base_version + 1`` and moves ``current_version`` in one
  guarded UPDATE (``… WHERE current_version = base_version``), so two amendments accepted at the
  same time cannot both win.
- The other pending amendments, written against an older version, are not rejected: they *need
  an update* (a derived state: pending with ``base_version < current_version``). Their author
  updates the text against the current version, and it can be decided again; until then it can
  only be rejected. Nobody's work is thrown away by someone else's accepted amendment.
- Members support a proposal once (the primary key of ``collaboration_support``); the insert and
  the ``support_count + 1`` UPDATE share one transaction, so the count stays exact under
  concurrency. Supporting one's own proposal is refused unless the ``allow_self_support``
  setting is on.
- A closed proposal accepts no amendment, support or decision to accept; it can be reopened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from difflib import SequenceMatcher

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from community.activity import hidden_filter, publish
from community.extensions import db
from community.models import HiddenContent
from community.timeutil import utcnow

from .access import can_see_group_content, get_group, group_room, is_animator, member_group_ids
from .models import (
    CollaborationAmendment,
    CollaborationGroup,
    CollaborationMembership,
    CollaborationProposal,
    CollaborationProposalVersion,
    CollaborationSupport,
)

MAX_TITLE = 200
MAX_TEXT = 20_000
MAX_RATIONALE = 2_000
LIST_PAGE = 30
STAFF_ROLE = "organiser"
# Above this many token pairs, a changed block is shown as removed then added, word by word
# comparison being quadratic in the worst case.
WORD_DIFF_LIMIT = 4_000_000
TOKEN_RE = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


class ProposalError(ValueError):
    """A refused action; ``errors`` maps a form field ("" for the whole form) to translated messages."""

    def __init__(self, errors):
        if not isinstance(errors, dict):
            errors = {"": [errors]}
        super().__init__("; ".join(str(m) for messages in errors.values() for m in messages))
        self.errors = errors


def audience_of(proposal: CollaborationProposal) -> str:
    return group_room(proposal.group_id) if proposal.group_id else "members"


def normalise(text: str | None) -> str:
    """Line endings as ``\\n`` (browsers send ``\\r\\n``), no blank space around the text."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


# --- rights -----------------------------------------------------------------------------------


def is_hidden(kind: str, ident: int) -> bool:
    return db.session.get(HiddenContent, (kind, str(ident))) is not None


def can_see(member, proposal: CollaborationProposal | None) -> bool:
    return (proposal is not None and can_see_group_content(member, proposal.group_id)
            and not is_hidden(CollaborationProposal.content_type, proposal.id))


def get_proposal(proposal_id: int, viewer) -> CollaborationProposal | None:
    proposal = db.session.get(CollaborationProposal, proposal_id)
    return proposal if can_see(viewer, proposal) else None


def can_decide(member, proposal: CollaborationProposal) -> bool:
    """The author; for a group's proposal its animators (and moderators); for a movement-wide one
    the organisers (and above)."""
    if member is None or not getattr(member, "is_authenticated", False):
        return False
    if proposal.author_id == member.id:
        return True
    if proposal.group_id is not None:
        return is_animator(member, proposal.group_id)
    return member.has_role(STAFF_ROLE)


def group_choices(member) -> list[tuple[int, str]]:
    """(id, name) of the member's active, non-archived groups."""
    return [(r.id, r.name) for r in db.session.execute(
        select(CollaborationGroup.id, CollaborationGroup.name)
        .join(CollaborationMembership, CollaborationMembership.group_id == CollaborationGroup.id)
        .where(CollaborationMembership.member_id == member.id, CollaborationMembership.status == "active",
               CollaborationGroup.archived_at.is_(None))
        .order_by(CollaborationGroup.name))]


def _check_group_writable(group_id: int | None) -> None:
    if group_id is None:
        return
    group = get_group(group_id)
    if group is None:
        raise ProposalError({"group": [_l("This group does not exist.")]})
    if group.archived_at is not None:
        raise ProposalError(_l("This group is archived: it is read-only."))


def _guard_open(proposal: CollaborationProposal, *extra) -> bool:
    """Lock the proposal's row while it is open (a no-op assignment that serialises concurrent
    writers with closing and accepting); False when it no longer matches."""
    result = db.session.execute(
        update(CollaborationProposal)
        .where(CollaborationProposal.id == proposal.id, CollaborationProposal.status == "open", *extra)
        .values(status=CollaborationProposal.status)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


# --- proposals --------------------------------------------------------------------------------


def _check_text(text: str, field: str = "text") -> str:
    text = normalise(text)
    if not text:
        raise ProposalError({field: [_l("Write the text first.")]})
    if len(text) > MAX_TEXT:
        raise ProposalError({field: [_l("A text has at most %(n)d characters (this one has %(m)d).",
                                        n=MAX_TEXT, m=len(text))]})
    return text


def create_proposal(author, *, title: str, text: str, group_id: int | None = None,
                    now: datetime | None = None) -> CollaborationProposal:
    """A new proposal with its version 1, announced to its audience."""
    now = now or utcnow()
    errors: dict[str, list] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = [_l("Give the proposal a title.")]
    elif len(title) > MAX_TITLE:
        errors["title"] = [_l("A title has at most %(n)d characters.", n=MAX_TITLE)]
    try:
        text = _check_text(text)
    except ProposalError as exc:
        errors.update(exc.errors)
    if group_id is not None and not can_see_group_content(author, group_id):
        errors["group"] = [_l("You may only propose in your own groups.")]
    if errors:
        raise ProposalError(errors)
    _check_group_writable(group_id)
    proposal = CollaborationProposal(group_id=group_id, author_id=author.id, title=title, current_version=1,
                                     created_at=now)
    db.session.add(proposal)
    db.session.flush()
    db.session.add(CollaborationProposalVersion(proposal_id=proposal.id, number=1, text=text, author_id=author.id,
                                                created_at=now))
    publish(author, "collaboration.proposal", proposal, audience=audience_of(proposal), commit=False, data={
        "endpoint": "collaboration.proposal", "args": {"proposal_id": proposal.id}, "title": title})
    db.session.commit()
    return proposal


def version(proposal: CollaborationProposal, number: int) -> CollaborationProposalVersion | None:
    return db.session.scalar(select(CollaborationProposalVersion).where(
        CollaborationProposalVersion.proposal_id == proposal.id, CollaborationProposalVersion.number == number))


def versions(proposal: CollaborationProposal) -> list[CollaborationProposalVersion]:
    return list(db.session.scalars(select(CollaborationProposalVersion).where(
        CollaborationProposalVersion.proposal_id == proposal.id).order_by(CollaborationProposalVersion.number)))


def current_text(proposal: CollaborationProposal) -> str:
    row = version(proposal, proposal.current_version)
    return row.text if row else ""


def close_proposal(member, proposal: CollaborationProposal, now: datetime | None = None) -> None:
    if not can_decide(member, proposal):
        raise ProposalError(_l("Only the author or the animators close a proposal."))
    result = db.session.execute(update(CollaborationProposal).where(
        CollaborationProposal.id == proposal.id, CollaborationProposal.status == "open")
        .values(status="closed", closed_at=now or utcnow()).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise ProposalError(_l("This proposal is already closed."))
    db.session.commit()


def reopen_proposal(member, proposal: CollaborationProposal) -> None:
    if not can_decide(member, proposal):
        raise ProposalError(_l("Only the author or the animators reopen a proposal."))
    _check_group_writable(proposal.group_id)
    result = db.session.execute(update(CollaborationProposal).where(
        CollaborationProposal.id == proposal.id, CollaborationProposal.status == "closed")
        .values(status="open", closed_at=None).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise ProposalError(_l("This proposal is already open."))
    db.session.commit()


# --- amendments -------------------------------------------------------------------------------


def needs_update(amendment: CollaborationAmendment, proposal: CollaborationProposal) -> bool:
    """Pending, but written against a version older than the one in force: it must be updated
    before it can be accepted."""
    return amendment.status == "pending" and amendment.base_version < proposal.current_version


def closed_message():
    return _l("This proposal is closed: it accepts no more amendments.")


def _changed_message(proposal: CollaborationProposal):
    return _l("The proposal changed while you were writing: it is now at version %(n)d. Check its current text "
              "and send your amendment again.", n=proposal.current_version)


def propose_amendment(member, proposal: CollaborationProposal, *, text: str, rationale: str = "",
                      base_version: int | None = None, now: datetime | None = None) -> CollaborationAmendment:
    """An amendment: the full new text against the current version (``base_version``: the version
    the member saw, refused when the proposal has moved on since), with a rationale."""
    now = now or utcnow()
    if proposal.status != "open":
        raise ProposalError(closed_message())
    base = proposal.current_version if base_version is None else base_version
    text = _check_text(text)
    rationale = normalise(rationale)
    if len(rationale) > MAX_RATIONALE:
        raise ProposalError({"rationale": [_l("A rationale has at most %(n)d characters.", n=MAX_RATIONALE)]})
    if base != proposal.current_version:
        raise ProposalError(_changed_message(proposal))
    if text == current_text(proposal):
        raise ProposalError({"text": [_l("Your amendment changes nothing in the text.")]})
    _check_group_writable(proposal.group_id)
    if not _guard_open(proposal, CollaborationProposal.current_version == base):
        db.session.rollback()
        db.session.refresh(proposal)
        raise ProposalError(closed_message() if proposal.status != "open" else _changed_message(proposal))
    amendment = CollaborationAmendment(proposal_id=proposal.id, author_id=member.id, base_version=base, text=text,
                                       rationale=rationale, created_at=now)
    db.session.add(amendment)
    db.session.flush()
    publish(member, "collaboration.amendment", amendment, audience=audience_of(proposal), notify=[proposal.author_id],
            commit=False, data={"endpoint": "collaboration.amendment",
                                "args": {"proposal_id": proposal.id, "amendment_id": amendment.id},
                                "title": proposal.title})
    db.session.commit()
    return amendment


def update_amendment(member, amendment: CollaborationAmendment, proposal: CollaborationProposal, *, text: str,
                     rationale: str = "", base_version: int | None = None) -> None:
    """The amendment's author rewrites it against the current version (after another amendment
    was accepted, or to improve it); it stays pending."""
    if amendment.author_id != member.id:
        raise ProposalError(_l("Only its author can update an amendment."))
    if amendment.status != "pending":
        raise ProposalError(_l("This amendment was already decided."))
    if proposal.status != "open":
        raise ProposalError(closed_message())
    base = proposal.current_version if base_version is None else base_version
    text = _check_text(text)
    rationale = normalise(rationale)
    if len(rationale) > MAX_RATIONALE:
        raise ProposalError({"rationale": [_l("A rationale has at most %(n)d characters.", n=MAX_RATIONALE)]})
    if base != proposal.current_version:
        raise ProposalError(_changed_message(proposal))
    if text == current_text(proposal):
        raise ProposalError({"text": [_l("Your amendment changes nothing in the text.")]})
    if not _guard_open(proposal, CollaborationProposal.current_version == base):
        db.session.rollback()
        db.session.refresh(proposal)
        raise ProposalError(closed_message() if proposal.status != "open" else _changed_message(proposal))
    result = db.session.execute(update(CollaborationAmendment).where(
        CollaborationAmendment.id == amendment.id, CollaborationAmendment.status == "pending")
        .values(text=text, rationale=rationale, base_version=base).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise ProposalError(_l("This amendment was already decided."))
    db.session.commit()
    db.session.expire(amendment)


def decide_amendment(member, amendment: CollaborationAmendment, proposal: CollaborationProposal, *, accept: bool,
                     now: datetime | None = None) -> CollaborationProposalVersion | None:
    """Accept (a new version made of the amendment's text) or reject an amendment. Returns the new
    version when accepted."""
    now = now or utcnow()
    if not can_decide(member, proposal):
        raise ProposalError(_l("Only the author of the proposal or the animators decide on amendments."))
    if amendment.status != "pending":
        raise ProposalError(_l("This amendment was already decided."))
    new_version = None
    if accept:
        if proposal.status != "open":
            raise ProposalError(_l("This proposal is closed: reopen it to accept an amendment."))
        if needs_update(amendment, proposal):
            raise ProposalError(_l("This amendment was written against version %(base)d and the text is now at "
                                   "version %(n)d: its author must update it before it can be accepted.",
                                   base=amendment.base_version, n=proposal.current_version))
        _check_group_writable(proposal.group_id)
        number = amendment.base_version + 1
        moved = db.session.execute(
            update(CollaborationProposal)
            .where(CollaborationProposal.id == proposal.id, CollaborationProposal.status == "open",
                   CollaborationProposal.current_version == amendment.base_version)
            .values(current_version=number).execution_options(synchronize_session=False))
        if moved.rowcount != 1:
            db.session.rollback()
            db.session.refresh(proposal)
            raise ProposalError(_l("The proposal changed meanwhile: this amendment must be updated first.")
                                if proposal.status == "open" else
                                _l("This proposal is closed: reopen it to accept an amendment."))
    decided = db.session.execute(
        update(CollaborationAmendment)
        .where(CollaborationAmendment.id == amendment.id, CollaborationAmendment.status == "pending")
        .values(status="accepted" if accept else "rejected", decided_by_id=member.id, decided_at=now)
        .execution_options(synchronize_session=False))
    if decided.rowcount != 1:
        db.session.rollback()
        raise ProposalError(_l("This amendment was already decided."))
    if accept:
        new_version = CollaborationProposalVersion(proposal_id=proposal.id, number=amendment.base_version + 1,
                                                   text=amendment.text, author_id=amendment.author_id,
                                                   amendment_id=amendment.id, created_at=now)
        db.session.add(new_version)
        db.session.flush()
    publish(member, "collaboration.amendment_decided", amendment, audience=audience_of(proposal),
            notify=[amendment.author_id], commit=False,
            data={"endpoint": "collaboration.amendment",
                  "args": {"proposal_id": proposal.id, "amendment_id": amendment.id},
                  "title": proposal.title, "accepted": accept,
                  "version": new_version.number if new_version else None})
    db.session.commit()
    db.session.expire(proposal)
    db.session.expire(amendment)
    return new_version


def amendments(proposal: CollaborationProposal) -> list[CollaborationAmendment]:
    """The proposal's amendments not hidden by a moderator, pending first, then newest first."""
    rows = db.session.scalars(select(CollaborationAmendment).where(
        CollaborationAmendment.proposal_id == proposal.id,
        hidden_filter(CollaborationAmendment.content_type, func.cast(CollaborationAmendment.id, db.String)))
        .order_by(CollaborationAmendment.id.desc()))
    return sorted(rows, key=lambda a: a.status != "pending")


def get_amendment(proposal: CollaborationProposal, amendment_id: int) -> CollaborationAmendment | None:
    amendment = db.session.get(CollaborationAmendment, amendment_id)
    if (amendment is None or amendment.proposal_id != proposal.id
            or is_hidden(CollaborationAmendment.content_type, amendment.id)):
        return None
    return amendment


# --- supports ---------------------------------------------------------------------------------


def supports(member_id: int, proposal_ids) -> set[int]:
    """Which of ``proposal_ids`` the member supports."""
    ids = list(proposal_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(CollaborationSupport.proposal_id).where(
        CollaborationSupport.member_id == member_id, CollaborationSupport.proposal_id.in_(ids))))


def support(member, proposal: CollaborationProposal, *, allow_self: bool = False,
            now: datetime | None = None) -> None:
    """Support a proposal, once. The count moves in the same transaction as the insert, by an
    atomic UPDATE; the primary key refuses a second support."""
    if proposal.author_id == member.id and not allow_self:
        raise ProposalError(_l("You cannot support your own proposal."))
    counted = db.session.execute(
        update(CollaborationProposal)
        .where(CollaborationProposal.id == proposal.id, CollaborationProposal.status == "open")
        .values(support_count=CollaborationProposal.support_count + 1)
        .execution_options(synchronize_session=False))
    if counted.rowcount != 1:
        db.session.rollback()
        raise ProposalError(_l("This proposal is closed: it no longer collects supports."))
    try:
        db.session.add(CollaborationSupport(proposal_id=proposal.id, member_id=member.id, created_at=now or utcnow()))
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # the count's increment goes with it
        raise ProposalError(_l("You already support this proposal.")) from None
    publish(member, "collaboration.support", proposal, audience=audience_of(proposal), notify=[proposal.author_id],
            commit=False, data={"endpoint": "collaboration.proposal", "args": {"proposal_id": proposal.id},
                                "title": proposal.title})
    db.session.commit()
    db.session.expire(proposal)


def withdraw_support(member, proposal: CollaborationProposal) -> None:
    counted = db.session.execute(
        update(CollaborationProposal)
        .where(CollaborationProposal.id == proposal.id, CollaborationProposal.status == "open",
               CollaborationProposal.support_count > 0)
        .values(support_count=CollaborationProposal.support_count - 1).execution_options(synchronize_session=False))
    removed = db.session.execute(delete(CollaborationSupport).where(
        CollaborationSupport.proposal_id == proposal.id, CollaborationSupport.member_id == member.id))
    if removed.rowcount != 1:
        db.session.rollback()
        raise ProposalError(_l("You do not support this proposal."))
    if counted.rowcount != 1:
        db.session.rollback()
        raise ProposalError(_l("This proposal is closed: its supports are final."))
    db.session.commit()
    db.session.expire(proposal)


# --- the diff ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Diff:
    """A readable comparison: escaped HTML with <ins>/<del>, and how many words came and went."""

    html: Markup
    added: int
    removed: int

    @property
    def unchanged(self) -> bool:
        return not self.added and not self.removed


def _words(tokens) -> int:
    return sum(1 for t in tokens if not t.isspace())


def _mark(tag: str, text: str) -> str:
    return f"<{tag}>{escape(text)}</{tag}>" if text else ""


def diff(old: str, new: str) -> Diff:
    """Compare two texts line by line, then word by word inside the changed lines."""
    old_lines, new_lines = normalise_lines(old), normalise_lines(new)
    parts: list[str] = []
    added = removed = 0
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        before, after = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
        if op == "equal":
            parts.append(str(escape(before)))
            continue
        html, plus, minus = _word_diff(before, after)
        parts.append(html)
        added += plus
        removed += minus
    return Diff(Markup("".join(parts)), added, removed)


def normalise_lines(text: str) -> list[str]:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").splitlines(keepends=True)


def _word_diff(before: str, after: str) -> tuple[str, int, int]:
    old, new = TOKEN_RE.findall(before), TOKEN_RE.findall(after)
    if not old or not new or len(old) * len(new) > WORD_DIFF_LIMIT:
        return _mark("del", before) + _mark("ins", after), _words(new), _words(old)
    parts: list[str] = []
    added = removed = 0
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        a, b = "".join(old[i1:i2]), "".join(new[j1:j2])
        if op == "equal":
            parts.append(str(escape(a)))
        else:
            parts.append(_mark("del", a) + _mark("ins", b))
            removed += _words(old[i1:i2])
            added += _words(new[j1:j2])
    return "".join(parts), added, removed


# --- reading ----------------------------------------------------------------------------------


def _visible_filter(viewer):
    clauses = [hidden_filter(CollaborationProposal.content_type, func.cast(CollaborationProposal.id, db.String))]
    if not viewer.has_role("moderator"):
        groups = member_group_ids(viewer)
        clauses.append(or_(CollaborationProposal.group_id.is_(None), CollaborationProposal.group_id.in_(groups))
                       if groups else CollaborationProposal.group_id.is_(None))
    return and_(*clauses)


def list_proposals(viewer, *, before: int | None = None, limit: int = LIST_PAGE, status: str | None = None,
                   group_id: int | None = None) -> list[CollaborationProposal]:
    """The proposals the viewer may see, newest first (keyset on the id)."""
    query = select(CollaborationProposal).where(_visible_filter(viewer))
    if status in ("open", "closed"):
        query = query.where(CollaborationProposal.status == status)
    if group_id is not None:
        query = query.where(CollaborationProposal.group_id == group_id)
    if before is not None:
        query = query.where(CollaborationProposal.id < before)
    return list(db.session.scalars(query.order_by(CollaborationProposal.id.desc()).limit(limit)))


def pending_counts(proposal_ids) -> dict[int, int]:
    ids = list(proposal_ids)
    if not ids:
        return {}
    return dict(db.session.execute(select(CollaborationAmendment.proposal_id, func.count()).where(
        CollaborationAmendment.proposal_id.in_(ids), CollaborationAmendment.status == "pending")
        .group_by(CollaborationAmendment.proposal_id)).all())


# --- export -----------------------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def export_data(member) -> dict:
    """The member's proposals (with the versions they wrote), amendments and supports."""
    proposals = list(db.session.scalars(select(CollaborationProposal).where(
        CollaborationProposal.author_id == member.id).order_by(CollaborationProposal.id)))
    own_versions = db.session.execute(
        select(CollaborationProposalVersion, CollaborationProposal.title)
        .join(CollaborationProposal, CollaborationProposal.id == CollaborationProposalVersion.proposal_id)
        .where(CollaborationProposalVersion.author_id == member.id).order_by(CollaborationProposalVersion.id)).all()
    amendment_rows = db.session.execute(
        select(CollaborationAmendment, CollaborationProposal.title)
        .join(CollaborationProposal, CollaborationProposal.id == CollaborationAmendment.proposal_id)
        .where(CollaborationAmendment.author_id == member.id).order_by(CollaborationAmendment.id)).all()
    support_rows = db.session.execute(
        select(CollaborationSupport.proposal_id, CollaborationProposal.title, CollaborationSupport.created_at)
        .join(CollaborationProposal, CollaborationProposal.id == CollaborationSupport.proposal_id)
        .where(CollaborationSupport.member_id == member.id).order_by(CollaborationSupport.created_at)).all()
    return {
        "proposals": [{"id": p.id, "title": p.title, "status": p.status, "current_version": p.current_version,
                       "support_count": p.support_count, "created_at": _iso(p.created_at)} for p in proposals],
        "versions_written": [{"proposal_id": v.proposal_id, "proposal": title, "number": v.number, "text": v.text,
                              "at": _iso(v.created_at)} for v, title in own_versions],
        "amendments": [{"id": a.id, "proposal_id": a.proposal_id, "proposal": title, "base_version": a.base_version,
                        "text": a.text, "rationale": a.rationale, "status": a.status, "at": _iso(a.created_at),
                        "decided_at": _iso(a.decided_at)} for a, title in amendment_rows],
        "supports": [{"proposal_id": pid, "proposal": title, "at": _iso(at)} for pid, title, at in support_rows],
    }


# --- demo -------------------------------------------------------------------------------------

DEMO_PROPOSALS = (
    ("Une maison des associations dans chaque quartier",
     "Nous proposons d'ouvrir une maison des associations dans chaque quartier.\n\n"
     "Elle offre des salles gratuites, un accès à internet et une permanence d'accueil.\n\n"
     "Le financement vient du budget participatif."),
    ("Un plan vélo pour les trajets domicile-travail",
     "Nous proposons un réseau de pistes cyclables continues entre les quartiers et les zones d'emploi.\n\n"
     "Chaque entreprise de plus de 50 salariés installe un parking vélo sécurisé.\n\n"
     "Une aide à l'achat de vélos est versée sous condition de ressources."),
    ("Des repas à 1 euro dans les cantines",
     "Nous proposons une tarification sociale des cantines scolaires, avec des repas à 1 euro pour les familles "
     "modestes.\n\nLes produits sont locaux et de saison."),
    ("Une permanence mensuelle des élus",
     "Chaque élu tient une permanence mensuelle dans un lieu public.\n\n"
     "Les questions reçues et les réponses sont publiées en ligne."),
)
DEMO_ADDITIONS = (
    ("Les horaires doivent convenir aux personnes qui travaillent.", "Ajouter des horaires en soirée."),
    ("Un bilan public est présenté chaque année.", "Prévoir une évaluation."),
    ("Les habitants sont associés aux choix dès le départ.", "Associer les habitants."),
    ("Une attention particulière est portée à l'accessibilité.", "Penser aux personnes handicapées."),
)


def seed_demo(ctx) -> None:
    """A few proposals with versions, amendments (accepted, rejected, pending, some needing an
    update) and supports, with their activities; bulk inserts."""
    from community.demo import reset_sequence

    rng = ctx.rng
    next_proposal = (db.session.scalar(select(func.max(CollaborationProposal.id))) or 0) + 1
    next_amendment = (db.session.scalar(select(func.max(CollaborationAmendment.id))) or 0) + 1
    proposals, versions_rows, amendment_rows, support_rows = [], [], [], []
    ids = ctx.member_ids
    volume = ctx.family_scale("collaboration") * (2 if ctx.profile == "collaboration" else 1)  # --profile
    for i in range(round(max(3, round(5 * ctx.scale)) * volume)):
        title, text = DEMO_PROPOSALS[i % len(DEMO_PROPOSALS)]
        author = rng.choice(ids)
        created = max(ctx.now - timedelta(days=rng.randint(5, 60)),
                      ctx.members.get(author, {}).get("joined_at", ctx.now) + timedelta(minutes=5))
        proposal_id = next_proposal
        next_proposal += 1
        args = {"proposal_id": proposal_id}
        versions_rows.append({"proposal_id": proposal_id, "number": 1, "text": text, "author_id": author,
                              "amendment_id": None, "created_at": created})
        ctx.activity(author, "collaboration.proposal", CollaborationProposal.content_type, proposal_id, created,
                     data={"endpoint": "collaboration.proposal", "args": args, "title": title})
        current, current_text_ = 1, text
        at = created
        for addition, rationale in rng.sample(DEMO_ADDITIONS, rng.randint(1, len(DEMO_ADDITIONS))):
            at = min(at + timedelta(hours=rng.randint(1, 48)), ctx.now)
            amender = rng.choice(ids)
            fate = rng.choice(("accepted", "accepted", "rejected", "pending"))
            new_text = f"{current_text_}\n\n{addition}"
            decided_at = min(at + timedelta(hours=rng.randint(1, 24)), ctx.now) if fate != "pending" else None
            amendment_rows.append({"id": next_amendment, "proposal_id": proposal_id, "author_id": amender,
                                   "base_version": current, "text": new_text, "rationale": rationale,
                                   "status": fate, "decided_by_id": author if decided_at else None,
                                   "decided_at": decided_at, "created_at": at})
            amendment_args = {"proposal_id": proposal_id, "amendment_id": next_amendment}
            ctx.activity(amender, "collaboration.amendment", CollaborationAmendment.content_type, next_amendment, at,
                         data={"endpoint": "collaboration.amendment", "args": amendment_args, "title": title})
            if fate == "accepted":
                current += 1
                current_text_ = new_text
                versions_rows.append({"proposal_id": proposal_id, "number": current, "text": new_text,
                                      "author_id": amender, "amendment_id": next_amendment, "created_at": decided_at})
            if decided_at:
                ctx.activity(author, "collaboration.amendment_decided", CollaborationAmendment.content_type,
                             next_amendment, decided_at,
                             data={"endpoint": "collaboration.amendment", "args": amendment_args, "title": title,
                                   "accepted": fate == "accepted", "version": current if fate == "accepted" else None})
            next_amendment += 1
        supporters = rng.sample([m for m in ids if m != author], min(len(ids) - 1, rng.randint(3, 40)))
        for supporter in supporters:
            when = min(created + timedelta(hours=rng.randint(1, 400)), ctx.now)
            support_rows.append({"proposal_id": proposal_id, "member_id": supporter, "created_at": when})
            ctx.activity(supporter, "collaboration.support", CollaborationProposal.content_type, proposal_id, when,
                         data={"endpoint": "collaboration.proposal", "args": args, "title": title})
        closed = i % 4 == 3
        proposals.append({"id": proposal_id, "group_id": None, "author_id": author, "title": title,
                          "status": "closed" if closed else "open", "current_version": current,
                          "support_count": len(supporters), "created_at": created,
                          "closed_at": ctx.now if closed else None})
    ctx.bulk(CollaborationProposal, proposals)
    ctx.bulk(CollaborationProposalVersion, versions_rows)
    ctx.bulk(CollaborationAmendment, amendment_rows)
    ctx.bulk(CollaborationSupport, support_rows)
    for table in (CollaborationProposal, CollaborationProposalVersion, CollaborationAmendment):
        reset_sequence(table.__tablename__)
