"""Coordination tables: events with RSVPs and calendar tokens, field-action kits with versioned
materials, campaigns with sectors, shifts, assignments and field reports.

Limits that must hold under concurrency live in the schema: an event's ``going_count`` can never
exceed its capacity and a shift's ``signed_count`` never its ``needed`` (CHECK constraints, moved
only by conditional UPDATEs); one RSVP and one signup per member (primary keys).

Times are stored in UTC (naive); an event keeps the time zone it was planned in, for its page and
its iCalendar VTIMEZONE.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.extensions import db
from community.models import Member
from community.timeutil import utcnow

EVENT_KINDS = ("meeting", "public_meeting", "door_to_door", "leafleting", "phone_bank", "rally", "training", "other")
RSVP_STATUSES = ("going", "maybe", "not_going", "waiting")
CAMPAIGN_KINDS = ("door_to_door", "leafleting", "phone")
REPORT_COUNTS = ("doors_knocked", "doors_opened", "conversations", "leaflets", "calls", "interested")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class CoordinationKit(db.Model):
    """What a field action needs: materials (versioned uploads), talking points, a script, a checklist."""

    __tablename__ = "coordination_kit"
    content_type = "coordination.kit"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    talking_points: Mapped[str] = mapped_column(Text, default="")  # Markdown
    script: Mapped[str] = mapped_column(Text, default="")  # Markdown: phone or door-to-door script
    checklist: Mapped[str] = mapped_column(Text, default="")  # one item per line
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime)


class CoordinationMaterial(db.Model):
    """One version of one material of a kit; a new upload under the same name supersedes the last."""

    __tablename__ = "coordination_material"
    __table_args__ = (
        UniqueConstraint("kit_id", "name", "version", name="uq_coordination_material_kit_name_version"),
        CheckConstraint("version > 0", name="version"),
        CheckConstraint("size_bytes >= 0", name="size"),
        CheckConstraint("download_count >= 0", name="download_count"),
        Index("ix_coordination_material_kit_id_name", "kit_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kit_id: Mapped[int] = mapped_column(ForeignKey("coordination_kit.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))  # what the version history groups by, e.g. "Tract A5"
    version: Mapped[int] = mapped_column(Integer, default=1)
    original_filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)  # random, under the uploads folder
    media_type: Mapped[str] = mapped_column(String(60))  # from the content check, never from the browser
    size_bytes: Mapped[int] = mapped_column(Integer)
    download_count: Mapped[int] = mapped_column(Integer, default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime)  # NULL: the current version


class CoordinationEvent(db.Model):
    """An event; with ``rrule`` it is a recurring series (one RSVP list for the series)."""

    __tablename__ = "coordination_event"
    __table_args__ = (
        CheckConstraint(_in("kind", EVENT_KINDS), name="kind"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity"),
        CheckConstraint("going_count >= 0 AND (capacity IS NULL OR going_count <= capacity)", name="seats"),
        CheckConstraint("sequence >= 0", name="sequence"),
        # Covering the month calendar (its columns after starts_at): a month's events are read from
        # the index alone, without a table lookup per event (bench/events.py).
        Index("ix_coordination_event_starts_at", "starts_at", "audience", "rrule", "ends_at", "cancelled_at", "id",
              "title"),
        Index("ix_coordination_event_department_starts_at", "department", "starts_at"),
        Index("ix_coordination_event_audience_starts_at", "audience", "starts_at"),
        Index("ix_coordination_event_repeat_until", "repeat_until"),
        Index("ix_coordination_event_updated_at", "updated_at"),  # the calendar cache's version
    )
    content_type = "coordination.event"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(80), unique=True)  # iCalendar UID, stable for the event's life
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    kind: Mapped[str] = mapped_column(String(20), default="meeting")
    starts_at: Mapped[datetime] = mapped_column(DateTime)  # UTC; the first occurrence for a series
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    timezone: Mapped[str] = mapped_column(String(64))  # IANA name, e.g. "Europe/Paris"
    rrule: Mapped[str | None] = mapped_column(String(200))  # RFC 5545 RRULE value, e.g. "FREQ=WEEKLY;COUNT=10"
    repeat_until: Mapped[datetime | None] = mapped_column(DateTime)  # end of the last occurrence (series)
    place_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    commune: Mapped[str] = mapped_column(String(120), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    department: Mapped[str] = mapped_column(String(3), default="")  # from the postal code, for "near me"
    online_url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)  # NULL: no limit
    going_count: Mapped[int] = mapped_column(Integer, default=0)  # moved only by conditional UPDATEs
    audience: Mapped[str] = mapped_column(String(80), default="members")  # public, members or a group room
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    kit_id: Mapped[int | None] = mapped_column(ForeignKey("coordination_kit.id", ondelete="SET NULL"))
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # iCalendar SEQUENCE: +1 on time/place changes
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)

    organiser: Mapped[Member | None] = relationship(foreign_keys=[organiser_id], lazy="joined")


class CoordinationCoOrganiser(db.Model):
    __tablename__ = "coordination_co_organiser"

    event_id: Mapped[int] = mapped_column(ForeignKey("coordination_event.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)


class CoordinationRsvp(db.Model):
    """A member's answer to an event. ``waiting``: on the waiting list, promoted in ``waiting_since`` order."""

    __tablename__ = "coordination_rsvp"
    __table_args__ = (
        CheckConstraint(_in("status", RSVP_STATUSES), name="status"),
        Index("ix_coordination_rsvp_event_id_status_waiting_since", "event_id", "status", "waiting_since"),
        Index("ix_coordination_rsvp_member_id_status", "member_id", "status"),
    )

    event_id: Mapped[int] = mapped_column(ForeignKey("coordination_event.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))
    waiting_since: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime)

    member: Mapped[Member] = relationship(foreign_keys=[member_id], lazy="joined")


class CoordinationCalendarToken(db.Model):
    """The secret in a member's "my calendar" URL; only its SHA-256 is stored, and it can be revoked."""

    __tablename__ = "coordination_calendar_token"

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CoordinationCampaign(db.Model):
    """A door-to-door, leafleting or phone campaign with a goal and dates."""

    __tablename__ = "coordination_campaign"
    __table_args__ = (
        CheckConstraint(_in("kind", CAMPAIGN_KINDS), name="kind"),
        CheckConstraint("goal > 0", name="goal"),
        CheckConstraint("ends_on >= starts_on", name="dates"),
    )
    content_type = "coordination.campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    kind: Mapped[str] = mapped_column(String(20))
    goal: Mapped[int] = mapped_column(Integer)  # in the campaign's main count (doors, leaflets or calls)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    audience: Mapped[str] = mapped_column(String(80), default="members")  # members or a group room
    kit_id: Mapped[int | None] = mapped_column(ForeignKey("coordination_kit.id", ondelete="SET NULL"))
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class CoordinationSector(db.Model):
    """A street list, building, polling station or call list of a campaign."""

    __tablename__ = "coordination_sector"
    __table_args__ = (
        UniqueConstraint("campaign_id", "name", name="uq_coordination_sector_campaign_name"),
        CheckConstraint("target IS NULL OR target > 0", name="target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("coordination_campaign.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")  # streets, building entrances, a call list's reference
    target: Mapped[int | None] = mapped_column(Integer)  # doors, leaflets or calls planned here
    position: Mapped[int] = mapped_column(Integer, default=0)


class CoordinationTeam(db.Model):
    """Volunteers who go out together; sectors may be assigned to a team."""

    __tablename__ = "coordination_team"
    __table_args__ = (UniqueConstraint("campaign_id", "name", name="uq_coordination_team_campaign_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("coordination_campaign.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))


class CoordinationTeamMember(db.Model):
    __tablename__ = "coordination_team_member"

    team_id: Mapped[int] = mapped_column(ForeignKey("coordination_team.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)


class CoordinationShift(db.Model):
    """A time slot of a campaign needing volunteers; ``signed_count`` never exceeds ``needed``."""

    __tablename__ = "coordination_shift"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("needed > 0", name="needed"),
        CheckConstraint("signed_count >= 0 AND signed_count <= needed", name="seats"),
        Index("ix_coordination_shift_campaign_id_starts_at", "campaign_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("coordination_campaign.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    meeting_point: Mapped[str] = mapped_column(String(300), default="")
    needed: Mapped[int] = mapped_column(Integer)
    signed_count: Mapped[int] = mapped_column(Integer, default=0)  # moved only by conditional UPDATEs
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)


class CoordinationSignup(db.Model):
    __tablename__ = "coordination_signup"
    __table_args__ = (Index("ix_coordination_signup_member_id", "member_id"),)

    shift_id: Mapped[int] = mapped_column(ForeignKey("coordination_shift.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime)


class CoordinationAssignment(db.Model):
    """A sector given to a volunteer or to a team (exactly one of the two)."""

    __tablename__ = "coordination_assignment"
    __table_args__ = (
        CheckConstraint("(member_id IS NULL) <> (team_id IS NULL)", name="member_or_team"),
        UniqueConstraint("sector_id", "member_id", name="uq_coordination_assignment_sector_member"),
        UniqueConstraint("sector_id", "team_id", name="uq_coordination_assignment_sector_team"),
        Index("ix_coordination_assignment_member_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sector_id: Mapped[int] = mapped_column(ForeignKey("coordination_sector.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("coordination_team.id", ondelete="CASCADE"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CoordinationReport(db.Model):
    """What a volunteer did in a sector: counts only, never residents' names or opinions."""

    __tablename__ = "coordination_report"
    __table_args__ = (
        *(CheckConstraint(f"{name} >= 0", name=name) for name in REPORT_COUNTS),
        Index("ix_coordination_report_sector_id", "sector_id"),
        Index("ix_coordination_report_member_id", "member_id"),
        Index("ix_coordination_report_created_at", "created_at"),
    )
    content_type = "coordination.report"

    id: Mapped[int] = mapped_column(primary_key=True)
    sector_id: Mapped[int] = mapped_column(ForeignKey("coordination_sector.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("coordination_shift.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    doors_knocked: Mapped[int] = mapped_column(Integer, default=0)
    doors_opened: Mapped[int] = mapped_column(Integer, default=0)
    conversations: Mapped[int] = mapped_column(Integer, default=0)
    leaflets: Mapped[int] = mapped_column(Integer, default=0)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    interested: Mapped[int] = mapped_column(Integer, default=0)  # people who want to hear more: a count only
