"""Reports, hiding and restoring content, as plain functions."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select, update

from .. import signals
from ..activity import publish
from ..extensions import db
from ..models import HiddenContent, Member, Report, record
from ..registry import registry
from ..timeutil import utcnow


def report(reporter: Member, content_type: str, content_id: str, reason: str) -> Report | None:
    """File a report; None when the content does not exist (or its module is off)."""
    kind = registry.content_kind(content_type)
    module = content_type.split(".", 1)[0]
    if kind is None or not registry.is_enabled(module) or kind.load(content_id) is None:
        return None
    row = Report(reporter_id=reporter.id, content_type=content_type, content_id=content_id, reason=reason)
    db.session.add(row)
    db.session.commit()
    return row


def is_hidden(content_type: str, content_id) -> bool:
    return db.session.get(HiddenContent, (content_type, str(content_id))) is not None


def set_hidden(content_type: str, content_id: str, hidden: bool, moderator: Member, note: str) -> None:
    """Hide or restore content, close its open reports, tell the author, log it."""
    content_id = str(content_id)
    existing = db.session.get(HiddenContent, (content_type, content_id))
    if hidden and existing is None:
        db.session.add(HiddenContent(content_type=content_type, content_id=content_id, hidden_by_id=moderator.id,
                                     note=note))
    elif not hidden and existing is not None:
        db.session.delete(existing)
    db.session.execute(
        update(Report).where(Report.content_type == content_type, Report.content_id == content_id,
                             Report.status == "open")
        .values(status="hidden" if hidden else "dismissed", handled_by_id=moderator.id, handled_at=utcnow(),
                note=note)
    )
    record(moderator, "content.hide" if hidden else "content.restore", f"{content_type}:{content_id}", note=note)
    kind = registry.content_kind(content_type)
    ref = kind.load(content_id) if kind else None
    if hidden and ref and ref.author_id and ref.author_id != moderator.id:
        publish(moderator, "core.hidden", (content_type, content_id), audience=f"member:{ref.author_id}",
                notify=[ref.author_id], data={"title": ref.title, "note": note}, commit=False)
    db.session.commit()
    signals.content_hidden.send(current_app._get_current_object(), content_type=content_type,
                                content_id=content_id, hidden=hidden)


def dismiss(report_id: int, moderator: Member, note: str) -> None:
    row = db.session.get(Report, report_id)
    if row is None or row.status != "open":
        return
    row.status, row.handled_by_id, row.handled_at, row.note = "dismissed", moderator.id, utcnow(), note
    record(moderator, "report.dismiss", f"report:{report_id}", note=note)
    db.session.commit()


def open_reports(limit: int = 100) -> list[Report]:
    return list(db.session.scalars(select(Report).where(Report.status == "open").order_by(Report.id).limit(limit)))
