"""Coordination's part of the self-assessment: its features; events created and field reports as
contributions; events' attendees as gatherings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from community.assessment.probes import Capability, Contributions, Gatherings, Window, no_reply

from .models import CoordinationEvent, CoordinationReport, CoordinationRsvp


def capabilities(window: Window):
    yield Capability("connection", "coordination.events", _l("Events with answers and check-in"), 1)
    yield Capability("connection", "coordination.campaigns", _l("Field campaigns with shifts and teams"), 1)
    yield Capability("expression", "coordination.reports", _l("Field reports"), 1)


def contributions(window: Window):
    """An event counts at its creation (its own time), by its organiser; a report by its volunteer."""
    yield Contributions("coordination.event", select(
        CoordinationEvent.organiser_id.label("author_id"), CoordinationEvent.created_at.label("created_at"),
        CoordinationEvent.id.label("item_id"), *no_reply()))
    yield Contributions("coordination.report", select(
        CoordinationReport.member_id.label("author_id"), CoordinationReport.created_at.label("created_at"),
        CoordinationReport.id.label("item_id"), *no_reply()))


def events(window: Window):
    """Attendees (going or checked in) of the events starting in W that were not cancelled."""
    yield Gatherings("coordination.event", select(CoordinationRsvp.event_id.label("key"),
                                                  CoordinationRsvp.member_id.label("member_id"))
                     .join(CoordinationEvent, CoordinationEvent.id == CoordinationRsvp.event_id)
                     .where(window.contains(CoordinationEvent.starts_at), CoordinationEvent.cancelled_at.is_(None),
                            or_(CoordinationRsvp.status == "going", CoordinationRsvp.checked_in_at.is_not(None))))


PROBES = (capabilities, contributions, events)
