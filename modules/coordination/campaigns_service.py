"""Campaigns: door-to-door, leafleting or phone campaigns with a goal, dates, an audience, sectors
(entered as text or imported from CSV), teams, assignments, shifts and field reports, and the
dashboard that adds the reports up.

Plain functions, no HTTP. Organisers (and above) who can see a campaign manage it; the members
of its audience (every member, or one group's) see it, sign up for its shifts and, for the
sectors assigned to them (directly or through a team), send field reports.

Limits that must hold under concurrency are the database's: a shift's seat is taken by one
conditional UPDATE (``signed_count < needed``) in the transaction that inserts the signup, and
the CHECK constraint on ``signed_count`` is the last guard; one signup per member and shift is
the primary key. Reports hold counts only: never a resident's name, address or opinion.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_format_datetime
from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, literal, or_, select, union, update
from sqlalchemy.exc import IntegrityError

from community.activity import publish, visible_audiences
from community.database import after_commit
from community.extensions import db, socketio
from community.markdown import render_markdown
from community.models import Member
from community.registry import registry
from community.settings import module_setting
from community.timeutil import utcnow

from .models import (
    CAMPAIGN_KINDS,
    REPORT_COUNTS,
    CoordinationAssignment,
    CoordinationCampaign,
    CoordinationKit,
    CoordinationReport,
    CoordinationSector,
    CoordinationShift,
    CoordinationSignup,
    CoordinationTeam,
    CoordinationTeamMember,
)

STAFF_ROLE = "organiser"
ORGANISERS_AUDIENCE = "coordination:organisers"  # activities only organisers (and above) see
ROOM = "coordination:campaign:{id}"
EVENT = "coordination.campaign"
MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
MAX_GOAL = 10_000_000
MAX_SECTORS = 2_000  # per import
MAX_SECTOR_NAME = 200
MAX_DETAIL = 2_000
MAX_COUNT = 10_000  # per report and count: more is a typing error
MAX_NEEDED = 500
MAX_TEAM_NAME = 120
CSV_HEADER = ("name", "detail", "target")
# The count a campaign's goal is measured in.
MAIN_COUNT = {"door_to_door": "doors_knocked", "leafleting": "leaflets", "phone": "calls"}
REMINDER_VERB = "coordination.shift_reminder"


class CampaignError(ValueError):
    """A refused action; ``errors`` maps a form field ("" for the whole form) to translated messages."""

    def __init__(self, errors):
        if not isinstance(errors, dict):
            errors = {"": [errors]}
        super().__init__("; ".join(str(m) for messages in errors.values() for m in messages))
        self.errors = errors


def campaign_room(campaign_id: int) -> str:
    return ROOM.format(id=campaign_id)


def movement_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TERREAU_TIMEZONE"])


def to_utc(local: datetime) -> datetime:
    """A naive time in the movement's time zone → naive UTC (how shifts are stored)."""
    return local.replace(tzinfo=movement_zone()).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def to_movement_time(value: datetime) -> datetime:
    return value.replace(tzinfo=ZoneInfo("UTC")).astimezone(movement_zone())


def format_shift_time(value: datetime, fmt: str = "short", locale: str | None = None) -> str:
    """A stored UTC time shown in the movement's time zone (a shift happens at a place); "full" is
    the day written out and the hour, without seconds."""
    from babel.dates import format_date, format_time
    from flask_babel import get_locale

    locale = locale or get_locale() or "fr"
    local = to_movement_time(value)
    if fmt == "full":
        return f"{format_date(local, 'full', locale=locale)}, {format_time(local, 'short', locale=locale)}"
    return babel_format_datetime(value.replace(tzinfo=ZoneInfo("UTC")), fmt, tzinfo=movement_zone(), locale=locale)


# --- rights -----------------------------------------------------------------------------------


def _authenticated(member) -> bool:
    return member is not None and getattr(member, "is_authenticated", False)


def is_staff(member) -> bool:
    return _authenticated(member) and member.has_role(STAFF_ROLE)


def can_see(member, campaign: CoordinationCampaign | None) -> bool:
    """The campaign's audience (every member, or one group's members), its organiser, moderators."""
    if campaign is None or not _authenticated(member):
        return False
    if campaign.organiser_id == member.id or member.has_role("moderator"):
        return True
    return campaign.audience in visible_audiences(member)


def can_manage(member, campaign: CoordinationCampaign) -> bool:
    """Organisers who can see the campaign manage it (sectors, teams, shifts, assignments)."""
    return is_staff(member) and can_see(member, campaign)


def get_campaign(campaign_id: int, viewer) -> CoordinationCampaign | None:
    campaign = db.session.get(CoordinationCampaign, campaign_id)
    return campaign if can_see(viewer, campaign) else None


def audience_choices(member) -> list[tuple[str, str]]:
    """Every member, or one of the member's groups (from the enabled modules' post audiences)."""
    choices = [("members", str(_l("All members")))]
    for module in registry.enabled():
        choices.extend((value, str(label)) for value, label in module.post_audiences(member))
    return choices


def audience_label(audience: str, viewer) -> str:
    """"All members", or the group's label as the viewer's choices name it."""
    for value, label in audience_choices(viewer):
        if value == audience:
            return label
    return str(_l("A group"))


def list_campaigns(viewer) -> list[CoordinationCampaign]:
    """The campaigns ``viewer`` may see, current and upcoming first, then the ended ones."""
    query = select(CoordinationCampaign).order_by(CoordinationCampaign.ends_on.desc(), CoordinationCampaign.id.desc())
    if not viewer.has_role("moderator"):
        query = query.where(or_(CoordinationCampaign.audience.in_(visible_audiences(viewer)),
                                CoordinationCampaign.organiser_id == viewer.id))
    return list(db.session.scalars(query.limit(200)))


def description_html(campaign: CoordinationCampaign):
    return render_markdown(campaign.description)


# --- campaigns --------------------------------------------------------------------------------


@dataclass
class CampaignInput:
    title: str = ""
    description: str = ""
    kind: str = ""
    goal: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    audience: str = "members"
    kit_id: int | None = None


def validate_campaign(member, data: CampaignInput, kept_audience: str | None = None) -> tuple[dict, dict]:
    """(clean values, errors by field). ``kept_audience``: an edited campaign's audience, accepted
    as it is even when the editor could not choose it (a moderator outside the group)."""
    errors: dict[str, list] = {}
    clean: dict = {}
    title = data.title.strip()
    if not title:
        errors["title"] = [_l("Give the campaign a title.")]
    elif len(title) > MAX_TITLE:
        errors["title"] = [_l("A title has at most %(n)d characters.", n=MAX_TITLE)]
    clean["title"] = title
    if len(data.description) > MAX_DESCRIPTION:
        errors["description"] = [_l("At most %(n)d characters.", n=MAX_DESCRIPTION)]
    clean["description"] = data.description.strip()
    if data.kind not in CAMPAIGN_KINDS:
        errors["kind"] = [_l("Choose door-to-door, leafleting or phone.")]
    clean["kind"] = data.kind
    raw_goal = str(data.goal or "").strip()
    try:
        goal = int(raw_goal)
    except ValueError:
        errors["goal"] = [_l("The goal is a whole number, e.g. 500.")]
    else:
        if goal <= 0:
            errors["goal"] = [_l("The goal must be above zero.")]
        elif goal > MAX_GOAL:
            errors["goal"] = [_l("The goal is at most %(n)d.", n=MAX_GOAL)]
        clean["goal"] = goal
    if data.starts_on is None:
        errors["starts_on"] = [_l("Give the first day of the campaign.")]
    if data.ends_on is None:
        errors["ends_on"] = [_l("Give the last day of the campaign.")]
    elif data.starts_on is not None and data.ends_on < data.starts_on:
        errors["ends_on"] = [_l("The end must not come before the start.")]
    clean["starts_on"], clean["ends_on"] = data.starts_on, data.ends_on
    if data.audience != kept_audience and data.audience not in {value for value, _label in audience_choices(member)}:
        errors["audience"] = [_l("Choose who the campaign is for.")]
    clean["audience"] = data.audience
    if data.kit_id and db.session.get(CoordinationKit, data.kit_id) is None:
        errors["kit"] = [_l("This kit does not exist.")]
    clean["kit_id"] = data.kit_id or None
    return clean, errors


def save_campaign(member, data: CampaignInput, campaign: CoordinationCampaign | None = None) -> CoordinationCampaign:
    """Create a campaign (organisers), or change one the member manages."""
    if not is_staff(member) or (campaign is not None and not can_manage(member, campaign)):
        raise CampaignError(_l("Only organisers run campaigns."))
    clean, errors = validate_campaign(member, data, campaign.audience if campaign is not None else None)
    if errors:
        raise CampaignError(errors)
    if campaign is None:
        campaign = CoordinationCampaign(organiser_id=member.id)
        db.session.add(campaign)
    for key, value in clean.items():
        setattr(campaign, key, value)
    db.session.commit()
    return campaign


def main_count(campaign: CoordinationCampaign) -> str:
    return MAIN_COUNT[campaign.kind]


def state(campaign: CoordinationCampaign, today: date | None = None) -> str:
    """"upcoming", "running" or "ended" (by its dates), or "closed"."""
    today = today or to_movement_time(utcnow()).date()
    if campaign.closed_at is not None:
        return "closed"
    if today < campaign.starts_on:
        return "upcoming"
    if today > campaign.ends_on:
        return "ended"
    return "running"


def set_closed(member, campaign: CoordinationCampaign, closed: bool) -> None:
    if not can_manage(member, campaign):
        raise CampaignError(_l("Only organisers run campaigns."))
    was_closed = campaign.closed_at is not None
    campaign.closed_at = utcnow() if closed else None
    if closed and not was_closed:
        # Volunteers still signed up for a shift to come learn that it will not take place.
        volunteers = list(db.session.scalars(
            select(CoordinationSignup.member_id).distinct()
            .join(CoordinationShift, CoordinationShift.id == CoordinationSignup.shift_id)
            .where(CoordinationShift.campaign_id == campaign.id, CoordinationShift.cancelled_at.is_(None),
                   CoordinationShift.starts_at > utcnow())))
        publish(member, "coordination.campaign_closed", campaign, audience=f"member:{member.id}", notify=volunteers,
                data={"endpoint": "coordination.campaign", "args": {"campaign_id": campaign.id},
                      "title": campaign.title}, commit=False)
    db.session.commit()


# --- sectors ------------------------------------------------------------------------------------


@dataclass
class SectorRow:
    line: int
    name: str
    detail: str = ""
    target: int | None = None


class SectorImportError(CampaignError):
    """A malformed line: the message names its number; nothing was imported."""


def _line_error(field_name: str, line: int, message) -> SectorImportError:
    return SectorImportError({field_name: [_l("Line %(line)d: %(problem)s", line=line, problem=message)]})


def _check_row(row: SectorRow, seen: set[str], existing: set[str], field_name: str) -> SectorRow:
    row.name = " ".join(row.name.split())
    row.detail = row.detail.strip()
    if not row.name:
        raise _line_error(field_name, row.line, _l("the sector has no name."))
    if len(row.name) > MAX_SECTOR_NAME:
        raise _line_error(field_name, row.line, _l("a sector name has at most %(n)d characters.", n=MAX_SECTOR_NAME))
    if len(row.detail) > MAX_DETAIL:
        raise _line_error(field_name, row.line, _l("the detail has at most %(n)d characters.", n=MAX_DETAIL))
    key = row.name.casefold()
    if key in seen:
        raise _line_error(field_name, row.line, _l("the sector “%(name)s” is listed twice.", name=row.name))
    if key in existing:
        raise _line_error(field_name, row.line, _l("the campaign already has a sector “%(name)s”.", name=row.name))
    seen.add(key)
    return row


def _target(raw: str, line: int, field_name: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise _line_error(field_name, line, _l("the target “%(value)s” is not a positive whole number.", value=raw))
    value = int(raw)
    if value == 0:
        raise _line_error(field_name, line, _l("the target must be above zero (leave it empty for none)."))
    if value > MAX_GOAL:
        raise _line_error(field_name, line, _l("the target is at most %(n)d.", n=MAX_GOAL))
    return value


def parse_sector_text(text: str, existing: set[str] = frozenset()) -> list[SectorRow]:
    """One sector per line, "name ; detail ; target" (detail and target optional); empty lines are
    skipped. The first malformed line raises SectorImportError naming it."""
    rows: list[SectorRow] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(";")
        if len(parts) > 3:
            raise _line_error("sectors", number, _l(
                "%(n)d fields separated by “;”: give at most three (name ; detail ; target).", n=len(parts)))
        parts += [""] * (3 - len(parts))
        row = SectorRow(line=number, name=parts[0], detail=parts[1],
                        target=_target(parts[2], number, "sectors"))
        rows.append(_check_row(row, seen, existing, "sectors"))
    if len(rows) > MAX_SECTORS:
        raise SectorImportError({"sectors": [_l("At most %(n)d sectors at once.", n=MAX_SECTORS)]})
    return rows


def parse_sector_csv(data: bytes, existing: set[str] = frozenset()) -> list[SectorRow]:
    """A CSV file with the header ``name,detail,target`` (comma or semicolon separated, UTF-8).
    The first problem raises SectorImportError naming its line; nothing is returned then."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise _line_error("file", line, _l("the file is not UTF-8 text (save it as “CSV UTF-8”).")) from exc
    if not text.strip():
        raise SectorImportError({"file": [_l("The file is empty.")]})
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise SectorImportError({"file": [_l("This file is not a readable CSV file.")]}) from exc
    header = [cell.strip().lower() for cell in records[0]] if records else []
    if tuple(header) != CSV_HEADER:
        raise _line_error("file", 1, _l("the header must be exactly “name,detail,target”."))
    rows: list[SectorRow] = []
    seen: set[str] = set()
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(CSV_HEADER):
            raise _line_error("file", number, _l("%(n)d columns instead of 3 (name, detail, target).", n=len(record)))
        row = SectorRow(line=number, name=record[0], detail=record[1], target=_target(record[2], number, "file"))
        rows.append(_check_row(row, seen, existing, "file"))
    if not rows:
        raise SectorImportError({"file": [_l("The file has no sector under its header.")]})
    if len(rows) > MAX_SECTORS:
        raise SectorImportError({"file": [_l("At most %(n)d sectors at once.", n=MAX_SECTORS)]})
    return rows


def sectors_of(campaign_id: int) -> list[CoordinationSector]:
    return list(db.session.scalars(select(CoordinationSector).where(CoordinationSector.campaign_id == campaign_id)
                                   .order_by(CoordinationSector.position, CoordinationSector.id)))


def existing_sector_names(campaign_id: int) -> set[str]:
    return {name.casefold() for name in db.session.scalars(
        select(CoordinationSector.name).where(CoordinationSector.campaign_id == campaign_id))}


def add_sectors(member, campaign: CoordinationCampaign, rows: list[SectorRow]) -> int:
    """Insert parsed sectors, all or none; returns how many."""
    if not can_manage(member, campaign):
        raise CampaignError(_l("Only organisers run campaigns."))
    start = (db.session.scalar(select(func.max(CoordinationSector.position))
                               .where(CoordinationSector.campaign_id == campaign.id)) or 0) + 1
    if rows:
        try:
            db.session.execute(CoordinationSector.__table__.insert(), [
                {"campaign_id": campaign.id, "name": row.name, "detail": row.detail, "target": row.target,
                 "position": start + index} for index, row in enumerate(rows)])
            db.session.commit()
        except IntegrityError as exc:  # a sector of the same name added at the same moment
            db.session.rollback()
            raise CampaignError(_l("A sector of the same name was added meanwhile: nothing was imported, "
                                   "check the list and try again.")) from exc
    return len(rows)


def delete_sector(member, campaign: CoordinationCampaign, sector_id: int) -> None:
    """A sector goes only while no report counts it (the counts are the campaign's record)."""
    if not can_manage(member, campaign):
        raise CampaignError(_l("Only organisers run campaigns."))
    sector = db.session.get(CoordinationSector, sector_id)
    if sector is None or sector.campaign_id != campaign.id:
        raise CampaignError(_l("This sector does not exist."))
    if db.session.scalar(select(func.count()).where(CoordinationReport.sector_id == sector.id)):
        raise CampaignError(_l("Reports were sent for this sector: it stays."))
    db.session.delete(sector)
    db.session.commit()


# --- teams and assignments ----------------------------------------------------------------------


def teams_of(campaign_id: int) -> list[tuple[CoordinationTeam, list[Member]]]:
    """The campaign's teams with their members (two queries)."""
    teams = list(db.session.scalars(select(CoordinationTeam).where(CoordinationTeam.campaign_id == campaign_id)
                                    .order_by(func.lower(CoordinationTeam.name))))
    members: dict[int, list[Member]] = {team.id: [] for team in teams}
    if teams:
        for team_id, member in db.session.execute(
                select(CoordinationTeamMember.team_id, Member)
                .join(Member, Member.id == CoordinationTeamMember.member_id)
                .where(CoordinationTeamMember.team_id.in_(members)).order_by(func.lower(Member.display_name))):
            members[team_id].append(member)
    return [(team, members[team.id]) for team in teams]


def _team(campaign: CoordinationCampaign, team_id: int | None) -> CoordinationTeam:
    team = db.session.get(CoordinationTeam, team_id) if team_id else None
    if team is None or team.campaign_id != campaign.id:
        raise CampaignError({"team": [_l("This team does not exist.")]})
    return team


def create_team(member, campaign: CoordinationCampaign, name: str) -> CoordinationTeam:
    if not can_manage(member, campaign):
        raise CampaignError(_l("Only organisers run campaigns."))
    name = " ".join(name.split())
    if not name:
        raise CampaignError({"name": [_l("Name the team.")]})
    if len(name) > MAX_TEAM_NAME:
        raise CampaignError({"name": [_l("A name has at most %(n)d characters.", n=MAX_TEAM_NAME)]})
    team = CoordinationTeam(campaign_id=campaign.id, name=name)
    db.session.add(team)
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise CampaignError({"name": [_l("The campaign already has a team of this name.")]}) from exc
    return team


def delete_team(member, campaign: CoordinationCampaign, team_id: int) -> None:
    if not can_manage(member, campaign):
        raise CampaignError(_l("Only organisers run campaigns."))
    db.session.delete(_team(campaign, team_id))
    db.session.commit()


def _volunteer(campaign: CoordinationCampaign, handle: str) -> Member:
    """The member of that handle, if they are in the campaign's audience."""
    handle = handle.strip().lstrip("@")
    if not handle:
        raise CampaignError({"handle": [_l("Give the member's handle.")]})
    member = db.session.scalar(select(Member).where(func.lower(Member.handle) == handle.lower(),
                                                    Member.erased_at.is_(None)))
    if member is None:
        raise CampaignError({"handle": [_l("No member has the handle @%(handle)s.", handle=handle)]})
    if not can_see(member, campaign):
        raise CampaignError({"handle": [_l("@%(handle)s is not in this campaign's audience.", handle=member.handle)]})
    return member


def add_team_member(member, campaign: CoordinationCampaign, team_id: int, handle: str) -> Member:
    if not can_manage(member, campaign):
        raise CampaignError(_l("Only organisers run campaigns."))
    team = _team(campaign, team_id)
    volunteer = _volunteer(campaign, handle)
    if db.session.get(CoordinationTeamMember, (team.id, volunteer.id)) is not None:
        raise CampaignError({"handle": [_l("@%(handle)s is already in this team.", handle=volunteer.handle)]})
    db.session.add(CoordinationTeamMember(team_id=team.id, member_id=volunteer.id))
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise CampaignError({"handle": [_l("@%(handle)s is already in this team.", handle=handle)]}) from exc
    return volunteer


def remove_team_member(member, campaign: CoordinationCampaign, team_id: int, member_id: int) -> None:
    if not can_manage(member, campaign):
        raise CampaignError(_l("Only organisers run campaigns."))
    team = _team(campaign, team_id)
    db.session.execute(delete(CoordinationTeamMember).where(CoordinationTeamMember.team_id == team.id,
                                                            CoordinationTeamMember.member_id == member_id))
    db.session.commit()


def assignments_of(campaign_id: int) -> dict[int, list[tuple[CoordinationAssignment, str]]]:
    """sector id → [(assignment, who: a member's name or a team's)] (one query)."""
    result: dict[int, list[tuple[CoordinationAssignment, str]]] = {}
    rows = db.session.execute(
        select(CoordinationAssignment, Member.display_name, CoordinationTeam.name)
        .join(CoordinationSector, CoordinationSector.id == CoordinationAssignment.sector_id)
        .outerjoin(Member, Member.id == CoordinationAssignment.member_id)
        .outerjoin(CoordinationTeam, CoordinationTeam.id == CoordinationAssignment.team_id)
        .where(CoordinationSector.campaign_id == campaign_id).order_by(CoordinationAssignment.id))
    for assignment, member_name, team_name in rows:
        who = str(_l("Team %(name)s", name=team_name)) if assignment.team_id else member_name
        result.setdefault(assignment.sector_id, []).append((assignment, who))
    return result


def assign(member, campaign: CoordinationCampaign, sector_id: int, *, handle: str = "",
           team_id: int | None = None) -> CoordinationAssignment:
    """Give a sector to a volunteer (by handle) or to a team of the campaign."""
    if not can_manage(member, campaign):
        raise CampaignError(_l("Only organisers run campaigns."))
    sector = db.session.get(CoordinationSector, sector_id) if sector_id else None
    if sector is None or sector.campaign_id != campaign.id:
        raise CampaignError({"sector": [_l("Choose a sector of this campaign.")]})
    if bool(handle.strip()) == bool(team_id):
        raise CampaignError({"handle": [_l("Give either a member's handle or a team.")]})
    if team_id:
        team = _team(campaign, team_id)
        row = CoordinationAssignment(sector_id=sector.id, team_id=team.id, assigned_by_id=member.id)
    else:
        volunteer = _volunteer(campaign, handle)
        row = CoordinationAssignment(sector_id=sector.id, member_id=volunteer.id, assigned_by_id=member.id)
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise CampaignError(_l("This sector is already assigned to them.")) from exc
    return row


def unassign(member, campaign: CoordinationCampaign, assignment_id: int) -> None:
    if not can_manage(member, campaign):
        raise CampaignError(_l("Only organisers run campaigns."))
    row = db.session.get(CoordinationAssignment, assignment_id)
    sector = db.session.get(CoordinationSector, row.sector_id) if row else None
    if sector is None or sector.campaign_id != campaign.id:
        raise CampaignError(_l("This assignment does not exist."))
    db.session.delete(row)
    db.session.commit()


def _my_sector_ids(member_id: int):
    """A subquery of the ids of the sectors assigned to a member, directly or through a team."""
    direct = select(CoordinationAssignment.sector_id).where(CoordinationAssignment.member_id == member_id)
    through_team = (select(CoordinationAssignment.sector_id)
                    .join(CoordinationTeamMember, CoordinationTeamMember.team_id == CoordinationAssignment.team_id)
                    .where(CoordinationTeamMember.member_id == member_id))
    return union(direct, through_team).subquery()


def is_assigned(member_id: int, sector_id: int) -> bool:
    ids = _my_sector_ids(member_id)
    return db.session.scalar(select(literal(True)).select_from(ids).where(ids.c.sector_id == sector_id)) is not None


def my_sectors(member, campaign_id: int | None = None) -> list[tuple[CoordinationSector, CoordinationCampaign]]:
    """The sectors assigned to the member (directly or through a team), with their campaigns,
    open campaigns first (one query)."""
    ids = _my_sector_ids(member.id)
    query = (select(CoordinationSector, CoordinationCampaign)
             .join(CoordinationCampaign, CoordinationCampaign.id == CoordinationSector.campaign_id)
             .where(CoordinationSector.id.in_(select(ids.c.sector_id)))
             .order_by(CoordinationCampaign.closed_at.is_not(None), CoordinationCampaign.ends_on.desc(),
                       CoordinationCampaign.id, CoordinationSector.position, CoordinationSector.id))
    if campaign_id is not None:
        query = query.where(CoordinationCampaign.id == campaign_id)
    return [(sector, campaign) for sector, campaign in db.session.execute(query).tuples()
            if can_see(member, campaign)]


# --- shifts ---------------------------------------------------------------------------------------


def shifts_of(campaign_id: int) -> list[CoordinationShift]:
    return list(db.session.scalars(select(CoordinationShift).where(CoordinationShift.campaign_id == campaign_id)
                                   .order_by(CoordinationShift.starts_at, CoordinationShift.id)))


def my_signups(member_id: int, shift_ids=None) -> set[int]:
    query = select(CoordinationSignup.shift_id).where(CoordinationSignup.member_id == member_id)
    if shift_ids is not None:
        query = query.where(CoordinationSignup.shift_id.in_(list(shift_ids)))
    return set(db.session.scalars(query))


def my_shifts(member, now: datetime | None = None) -> list[tuple[CoordinationShift, CoordinationCampaign]]:
    """The member's shifts that end from a week ago on, soonest first, with their campaigns."""
    now = now or utcnow()
    return list(db.session.execute(
        select(CoordinationShift, CoordinationCampaign)
        .join(CoordinationSignup, CoordinationSignup.shift_id == CoordinationShift.id)
        .join(CoordinationCampaign, CoordinationCampaign.id == CoordinationShift.campaign_id)
        .where(CoordinationSignup.member_id == member.id, CoordinationShift.ends_at >= now - timedelta(days=7))
        .order_by(CoordinationShift.starts_at)).tuples())


def rosters(campaign_id: int) -> dict[int, list[Member]]:
    """shift id → the members signed up (organisers only: who goes out is sensitive)."""
    result: dict[int, list[Member]] = {}
    for shift_id, member in db.session.execute(
            select(CoordinationSignup.shift_id, Member).join(Member, Member.id == CoordinationSignup.member_id)
            .join(CoordinationShift, CoordinationShift.id == CoordinationSignup.shift_id)
            .where(CoordinationShift.campaign_id == campaign_id).order_by(CoordinationSignup.created_at)):
        result.setdefault(shift_id, []).append(member)
    return result


def create_shift(member, campaign: CoordinationCampaign, *, starts_local: datetime | None,
                 ends_local: datetime | None, meeting_point: str, needed: str,
                 now: datetime | None = None) -> CoordinationShift:
    """A time slot, given in the movement's time zone, stored in UTC."""
    if not can_manage(member, campaign):
        raise CampaignError(_l("Only organisers run campaigns."))
    now = now or utcnow()
    errors: dict[str, list] = {}
    if starts_local is None:
        errors["starts_at"] = [_l("Give the start of the shift.")]
    if ends_local is None:
        errors["ends_at"] = [_l("Give the end of the shift.")]
    starts = to_utc(starts_local) if starts_local else None
    ends = to_utc(ends_local) if ends_local else None
    if starts and ends and ends <= starts:
        errors["ends_at"] = [_l("The end must come after the start.")]
    if starts and starts <= now and "starts_at" not in errors:
        errors["starts_at"] = [_l("The shift must start in the future.")]
    raw = str(needed or "").strip()
    if not raw.isdigit() or not 0 < int(raw) <= MAX_NEEDED:
        errors["needed"] = [_l("The number of volunteers is a whole number from 1 to %(n)d.", n=MAX_NEEDED)]
    meeting_point = " ".join(meeting_point.split())
    if len(meeting_point) > 300:
        errors["meeting_point"] = [_l("At most %(n)d characters.", n=300)]
    if errors:
        raise CampaignError(errors)
    shift = CoordinationShift(campaign_id=campaign.id, starts_at=starts, ends_at=ends, meeting_point=meeting_point,
                              needed=int(raw))
    db.session.add(shift)
    db.session.commit()
    return shift


def get_shift(campaign: CoordinationCampaign, shift_id: int) -> CoordinationShift | None:
    shift = db.session.get(CoordinationShift, shift_id)
    return shift if shift is not None and shift.campaign_id == campaign.id else None


def sign_up(member, campaign: CoordinationCampaign, shift: CoordinationShift, now: datetime | None = None) -> None:
    """Take a seat: one conditional UPDATE that only matches while a seat is free, and the signup
    row, in one transaction; a full shift, a double sign-up or a race lost gives a CampaignError."""
    now = now or utcnow()
    if campaign.closed_at is not None:
        raise CampaignError(_l("This campaign is closed."))
    if shift.cancelled_at is not None:
        raise CampaignError(_l("This shift is cancelled."))
    if shift.starts_at <= now:
        raise CampaignError(_l("This shift has already started: sign up for a later one."))
    if db.session.get(CoordinationSignup, (shift.id, member.id)) is not None:
        raise CampaignError(_l("You are already signed up for this shift."))
    taken = db.session.execute(
        update(CoordinationShift)
        .where(CoordinationShift.id == shift.id, CoordinationShift.signed_count < CoordinationShift.needed,
               CoordinationShift.cancelled_at.is_(None))
        .values(signed_count=CoordinationShift.signed_count + 1)
        .execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        db.session.rollback()
        raise CampaignError(_l("This shift is full: every place is taken. Choose another shift."))
    db.session.add(CoordinationSignup(shift_id=shift.id, member_id=member.id, created_at=now))
    try:
        db.session.commit()
    except IntegrityError as exc:  # the same member twice at once: the seat taken above is given back
        db.session.rollback()
        raise CampaignError(_l("You are already signed up for this shift.")) from exc


def cancel_signup(member_id: int, shift_id: int) -> bool:
    """Withdraw from a shift and free the seat (in one transaction); False if not signed up."""
    removed = db.session.execute(delete(CoordinationSignup).where(
        CoordinationSignup.shift_id == shift_id, CoordinationSignup.member_id == member_id)).rowcount
    if removed:
        db.session.execute(update(CoordinationShift)
                           .where(CoordinationShift.id == shift_id, CoordinationShift.signed_count > 0)
                           .values(signed_count=CoordinationShift.signed_count - 1)
                           .execution_options(synchronize_session=False))
    db.session.commit()
    return bool(removed)


def cancel_shift(member, campaign: CoordinationCampaign, shift: CoordinationShift) -> None:
    """A cancelled shift takes no more sign-ups and sends no reminders; it stays listed."""
    if not can_manage(member, campaign):
        raise CampaignError(_l("Only organisers run campaigns."))
    shift.cancelled_at = utcnow()
    volunteers = list(db.session.scalars(select(CoordinationSignup.member_id)
                                         .where(CoordinationSignup.shift_id == shift.id)))
    # The volunteers hear of it (in-app, and by e-mail if they accept it); the sign-ups stay as a record.
    publish(member, "coordination.shift_cancelled", shift, audience=f"member:{member.id}", notify=volunteers,
            data={"endpoint": "coordination.campaign", "args": {"campaign_id": campaign.id},
                  "title": campaign.title, "starts_at": shift.starts_at.isoformat()}, commit=False)
    db.session.commit()


def reminder_hours() -> float:
    return float(module_setting("coordination", "shift_reminder_hours"))


def send_shift_reminders(now: datetime) -> dict[str, int]:
    """The periodic job: e-mail each volunteer whose shift starts within the lead time, once.

    Each signup is claimed by a conditional UPDATE of ``reminded_at`` (a second process finds it
    taken), then mailed if the member accepts this kind of e-mail, in their language."""
    from community.activity import email_wanted
    from community.mail import send_later

    horizon = now + timedelta(hours=reminder_hours())
    rows = db.session.execute(
        select(CoordinationSignup.shift_id, CoordinationSignup.member_id)
        .join(CoordinationShift, CoordinationShift.id == CoordinationSignup.shift_id)
        .join(CoordinationCampaign, CoordinationCampaign.id == CoordinationShift.campaign_id)
        .where(CoordinationSignup.reminded_at.is_(None), CoordinationShift.cancelled_at.is_(None),
               CoordinationCampaign.closed_at.is_(None), CoordinationShift.starts_at > now,
               CoordinationShift.starts_at <= horizon)).all()
    wanted = email_wanted(sorted({member_id for _shift_id, member_id in rows}), REMINDER_VERB)
    mails, claimed = [], 0
    base = current_app.config["TERREAU_BASE_URL"].rstrip("/")
    default_locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    for shift_id, member_id in rows:
        got = db.session.execute(update(CoordinationSignup).where(
            CoordinationSignup.shift_id == shift_id, CoordinationSignup.member_id == member_id,
            CoordinationSignup.reminded_at.is_(None)).values(reminded_at=now)).rowcount
        db.session.commit()
        if not got:
            continue
        claimed += 1
        member = db.session.get(Member, member_id)
        if member is None or member.erased_at or member.suspended_at or member_id not in wanted:
            continue
        shift = db.session.get(CoordinationShift, shift_id)
        campaign = db.session.get(CoordinationCampaign, shift.campaign_id)
        locale = member.locale or default_locale
        with force_locale(locale):
            when = format_shift_time(shift.starts_at, "full", locale=locale)
            until = babel_format_datetime(shift.ends_at.replace(tzinfo=ZoneInfo("UTC")), "short",
                                          tzinfo=movement_zone(), locale=locale)
            subject = gettext("Reminder: %(title)s, %(when)s", title=campaign.title, when=when)
            body = gettext(
                "You signed up for a shift of the campaign “%(title)s”.\n\nWhen: %(when)s (until %(until)s)\n"
                "Meeting point: %(place)s\n\nYour sectors, the kit and the script: %(url)s\n\n"
                "Cannot come? Cancel on the campaign's page so that someone else can take your place.\n\n"
                "To stop these e-mails: %(prefs)s",
                title=campaign.title, when=when, until=until, place=shift.meeting_point or "—",
                url=f"{base}/coordination/campaigns/{campaign.id}", prefs=f"{base}/profile/notifications")
        mails.append((member.email, f"[{current_app.config['TERREAU_NAME']}] {subject}", body))
    send_later(mails)
    return {"claimed": claimed, "mailed": len(mails)}


# --- field reports ------------------------------------------------------------------------------


def parse_counts(raw: dict) -> tuple[dict[str, int], dict[str, list]]:
    """Whole numbers from 0 to MAX_COUNT for each count (empty: 0), and their coherence."""
    counts: dict[str, int] = {}
    errors: dict[str, list] = {}
    for name in REPORT_COUNTS:
        value = str(raw.get(name) or "").strip()
        if not value:
            counts[name] = 0
        elif not value.isdigit():
            errors[name] = [_l("A whole number, 0 or more.")]
        elif int(value) > MAX_COUNT:
            errors[name] = [_l("At most %(n)d in one report: check the number.", n=MAX_COUNT)]
        else:
            counts[name] = int(value)
    if errors:
        return counts, errors
    if counts["doors_opened"] > counts["doors_knocked"]:
        errors["doors_opened"] = [_l("More doors opened than doors knocked: check the numbers.")]
    if counts["interested"] > counts["conversations"]:
        errors["interested"] = [_l("More people who want to hear more than conversations: check the numbers.")]
    if not any(counts.values()):
        errors[""] = [_l("The report is empty: give at least one count.")]
    return counts, errors


def report_shift_choices(member_id: int, campaign_id: int, now: datetime | None = None) -> list[CoordinationShift]:
    """The member's shifts of the campaign that have started (a report may name one)."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(CoordinationShift).join(CoordinationSignup, CoordinationSignup.shift_id == CoordinationShift.id)
        .where(CoordinationSignup.member_id == member_id, CoordinationShift.campaign_id == campaign_id,
               CoordinationShift.starts_at <= now).order_by(CoordinationShift.starts_at.desc())))


def submit_report(member, campaign: CoordinationCampaign, *, sector_id: int | None, raw_counts: dict,
                  shift_id: int | None = None, now: datetime | None = None) -> CoordinationReport:
    """Store a field report for a sector assigned to the member, announce it to the organisers
    (it counts in influence's points) and to the campaign's live dashboard."""
    now = now or utcnow()
    sector = db.session.get(CoordinationSector, sector_id) if sector_id else None
    if sector is None or sector.campaign_id != campaign.id:
        raise CampaignError({"sector": [_l("Choose one of your sectors of this campaign.")]})
    if not is_assigned(member.id, sector.id):
        raise CampaignError({"sector": [_l("The sector “%(name)s” is not assigned to you (nor to your team): "
                                           "ask the campaign's organiser.", name=sector.name)]})
    if campaign.closed_at is not None:
        raise CampaignError(_l("This campaign is closed: it takes no more reports."))
    if shift_id and shift_id not in {s.id for s in report_shift_choices(member.id, campaign.id, now)}:
        raise CampaignError({"shift": [_l("Choose one of your shifts of this campaign that has started.")]})
    counts, errors = parse_counts(raw_counts)
    if errors:
        raise CampaignError(errors)
    report = CoordinationReport(sector_id=sector.id, member_id=member.id, shift_id=shift_id or None, created_at=now,
                                **counts)
    db.session.add(report)
    db.session.flush()
    _emit_after_commit(campaign.id, {"campaign": campaign.id, "sector": sector.id, "report": report.id})
    publish(member, "coordination.report", report, audience=ORGANISERS_AUDIENCE,
            data={"endpoint": "coordination.campaign", "args": {"campaign_id": campaign.id},
                  "title": campaign.title, "main": counts[main_count(campaign)], "unit": main_count(campaign)})
    return report


def _emit_after_commit(campaign_id: int, payload: dict) -> None:
    app = current_app._get_current_object()

    def emit():
        with app.app_context():
            socketio.emit(EVENT, payload, to=campaign_room(campaign_id))

    after_commit(emit)


@dataclass
class Progress:
    """A campaign's totals: per sector and overall, against the sectors' targets and the goal."""

    goal: int
    unit: str
    total: dict[str, int]
    sectors: list[dict] = field(default_factory=list)
    reports: int = 0

    @property
    def done(self) -> int:
        return self.total[self.unit]

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.goal)) if self.goal else 0

    def as_json(self) -> dict:
        return {"goal": self.goal, "unit": self.unit, "done": self.done, "percent": self.percent,
                "reports": self.reports, "total": self.total, "sectors": self.sectors}


def progress(campaign: CoordinationCampaign) -> Progress:
    """Per-sector sums of the reports and the overall total: one SQL query, whatever the size."""
    sums = [func.coalesce(func.sum(getattr(CoordinationReport, name)), 0).label(name) for name in REPORT_COUNTS]
    rows = db.session.execute(
        select(CoordinationSector.id, CoordinationSector.name, CoordinationSector.target,
               func.count(CoordinationReport.id).label("reports"), *sums)
        .outerjoin(CoordinationReport, CoordinationReport.sector_id == CoordinationSector.id)
        .where(CoordinationSector.campaign_id == campaign.id)
        .group_by(CoordinationSector.id, CoordinationSector.name, CoordinationSector.target,
                  CoordinationSector.position)
        .order_by(CoordinationSector.position, CoordinationSector.id)).all()
    unit = main_count(campaign)
    total = dict.fromkeys(REPORT_COUNTS, 0)
    sectors, reports = [], 0
    for row in rows:
        counts = {name: int(getattr(row, name)) for name in REPORT_COUNTS}
        for name in REPORT_COUNTS:
            total[name] += counts[name]
        reports += row.reports
        percent = min(100, round(100 * counts[unit] / row.target)) if row.target else None
        sectors.append({"id": row.id, "name": row.name, "target": row.target, "reports": row.reports,
                        "done": counts[unit], "percent": percent, **counts})
    return Progress(goal=campaign.goal, unit=unit, total=total, sectors=sectors, reports=reports)


def _csv_cell(value) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def progress_csv(campaign: CoordinationCampaign) -> str:
    """Per-sector totals as CSV (UTF-8, comma separated), then a total line."""
    data = progress(campaign)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["sector", "detail_target", *REPORT_COUNTS, "reports"])
    for sector in data.sectors:
        writer.writerow([_csv_cell(sector["name"]), sector["target"] or "",
                         *(sector[name] for name in REPORT_COUNTS), sector["reports"]])
    writer.writerow([_csv_cell(gettext("Total")), campaign.goal, *(data.total[name] for name in REPORT_COUNTS),
                     data.reports])
    return out.getvalue()


# --- privacy --------------------------------------------------------------------------------------


def export_data(member) -> dict:
    """The member's sign-ups, assignments, team memberships and field reports."""
    def iso(value):
        return value.isoformat() if value else None

    signups = db.session.execute(
        select(CoordinationSignup, CoordinationShift, CoordinationCampaign.title)
        .join(CoordinationShift, CoordinationShift.id == CoordinationSignup.shift_id)
        .join(CoordinationCampaign, CoordinationCampaign.id == CoordinationShift.campaign_id)
        .where(CoordinationSignup.member_id == member.id).order_by(CoordinationShift.starts_at)).all()
    assigned = db.session.execute(
        select(CoordinationSector.name, CoordinationCampaign.title)
        .join(CoordinationCampaign, CoordinationCampaign.id == CoordinationSector.campaign_id)
        .join(CoordinationAssignment, CoordinationAssignment.sector_id == CoordinationSector.id)
        .where(CoordinationAssignment.member_id == member.id)).all()
    teams = db.session.execute(
        select(CoordinationTeam.name, CoordinationCampaign.title)
        .join(CoordinationCampaign, CoordinationCampaign.id == CoordinationTeam.campaign_id)
        .join(CoordinationTeamMember, CoordinationTeamMember.team_id == CoordinationTeam.id)
        .where(CoordinationTeamMember.member_id == member.id)).all()
    reports = db.session.execute(
        select(CoordinationReport, CoordinationSector.name, CoordinationCampaign.title)
        .join(CoordinationSector, CoordinationSector.id == CoordinationReport.sector_id)
        .join(CoordinationCampaign, CoordinationCampaign.id == CoordinationSector.campaign_id)
        .where(CoordinationReport.member_id == member.id).order_by(CoordinationReport.id)).all()
    return {
        "shift_signups": [{"campaign": title, "starts_at": iso(shift.starts_at), "ends_at": iso(shift.ends_at),
                           "meeting_point": shift.meeting_point, "signed_up_at": iso(signup.created_at)}
                          for signup, shift, title in signups],
        "sectors_assigned": [{"campaign": title, "sector": name} for name, title in assigned],
        "teams": [{"campaign": title, "team": name} for name, title in teams],
        "field_reports": [{"campaign": title, "sector": name, "at": iso(report.created_at),
                           **{count: getattr(report, count) for count in REPORT_COUNTS}}
                          for report, name, title in reports],
    }


def forget_member(member_id: int) -> None:
    """Erasure: sign-ups deleted with their seats freed, team places and assignments deleted; the
    reports stay without their author (the counts are the movement's record)."""
    for shift_id in list(db.session.scalars(select(CoordinationSignup.shift_id)
                                            .where(CoordinationSignup.member_id == member_id))):
        cancel_signup(member_id, shift_id)
    db.session.execute(delete(CoordinationTeamMember).where(CoordinationTeamMember.member_id == member_id))
    db.session.execute(delete(CoordinationAssignment).where(CoordinationAssignment.member_id == member_id))
    db.session.execute(update(CoordinationReport).where(CoordinationReport.member_id == member_id)
                       .values(member_id=None))
    db.session.commit()


# --- demo -----------------------------------------------------------------------------------------


DEMO_CAMPAIGNS = (
    ("Porte-à-porte Croix-Rousse", "door_to_door", 800, "Porte-à-porte",
     ("Rue d'Austerlitz", "Rue Dumenge", "Boulevard de la Croix-Rousse", "Rue Belfort", "Rue Jacquard",
      "Place Bellevue")),
    ("Phoning réunion publique", "phone", 400, "Phoning",
     ("Liste A (adhérents)", "Liste B (sympathisants)", "Liste C (pétition)", "Liste D (anciens contacts)")),
)


def seed_demo(ctx) -> None:
    """Two campaigns with sectors, a team, assignments, past and upcoming shifts with sign-ups, and
    field reports spread over the past weeks (their activities dated through ctx, so points see them)."""
    rng = ctx.rng
    staff = ctx.organiser_ids or [ctx.admin_id]
    volunteers = [m for m in ctx.member_ids if m not in staff][:40] or ctx.member_ids
    kits = {kit.title: kit.id for kit in db.session.scalars(select(CoordinationKit))}
    today = ctx.now.date()
    for index, (title, kind, goal, kit_word, sector_names) in enumerate(DEMO_CAMPAIGNS):
        organiser = staff[index % len(staff)]
        campaign = CoordinationCampaign(
            title=title, kind=kind, goal=goal, description="Objectif : rencontrer les habitants et les inviter "
            "à la réunion publique. Comptes seulement dans les comptes rendus.", starts_on=today - timedelta(days=21),
            ends_on=today + timedelta(days=14), audience="members", organiser_id=organiser,
            kit_id=next((kit_id for name, kit_id in kits.items() if kit_word in name), None),
            created_at=ctx.now - timedelta(days=22))
        db.session.add(campaign)
        db.session.flush()
        sectors = []
        for position, name in enumerate(sector_names, start=1):
            sector = CoordinationSector(campaign_id=campaign.id, name=name, position=position,
                                        detail="" if kind == "phone" else "Numéros pairs et impairs",
                                        target=rng.choice((80, 100, 120, 150)))
            db.session.add(sector)
            sectors.append(sector)
        team = CoordinationTeam(campaign_id=campaign.id, name="Binôme du samedi")
        db.session.add(team)
        db.session.flush()
        crew = rng.sample(volunteers, min(len(volunteers), 8))
        for member_id in crew[:2]:
            db.session.add(CoordinationTeamMember(team_id=team.id, member_id=member_id))
        db.session.add(CoordinationAssignment(sector_id=sectors[0].id, team_id=team.id, assigned_by_id=organiser))
        holders = {sectors[0].id: crew[:2]}
        for sector, member_id in zip(sectors[1:], crew[2:], strict=False):
            db.session.add(CoordinationAssignment(sector_id=sector.id, member_id=member_id, assigned_by_id=organiser))
            holders[sector.id] = [member_id]
        shifts = []
        for days in (-14, -7, -2, 3, 10):
            starts = (ctx.now + timedelta(days=days)).replace(hour=8)  # 10:00 in Paris, summer or winter ±1 h
            needed = rng.choice((4, 6, 8))
            shift = CoordinationShift(campaign_id=campaign.id, starts_at=starts, ends_at=starts + timedelta(hours=3),
                                      meeting_point="Devant la mairie", needed=needed)
            db.session.add(shift)
            shifts.append((shift, rng.sample(crew, min(len(crew), needed - 1))))
        db.session.flush()
        for shift, signed in shifts:
            for member_id in signed:
                db.session.add(CoordinationSignup(shift_id=shift.id, member_id=member_id,
                                                  created_at=min(shift.starts_at - timedelta(days=1), ctx.now)))
            shift.signed_count = len(signed)
        unit = MAIN_COUNT[kind]
        for shift, _signed in shifts:
            if shift.starts_at >= ctx.now:
                continue
            for sector in sectors:
                for member_id in holders.get(sector.id, [])[:1]:
                    at = shift.ends_at + timedelta(minutes=rng.randint(10, 120))
                    counts = dict.fromkeys(REPORT_COUNTS, 0)
                    if kind == "door_to_door":
                        counts["doors_knocked"] = rng.randint(20, 50)
                        counts["doors_opened"] = rng.randint(5, counts["doors_knocked"] // 2)
                        counts["leaflets"] = counts["doors_knocked"]
                    else:
                        counts["calls"] = rng.randint(15, 40)
                    counts["conversations"] = rng.randint(2, max(2, (counts["doors_opened"] or counts["calls"]) // 2))
                    counts["interested"] = rng.randint(0, counts["conversations"])
                    report = CoordinationReport(sector_id=sector.id, member_id=member_id, shift_id=shift.id,
                                                created_at=at, **counts)
                    db.session.add(report)
                    db.session.flush()
                    ctx.activity(member_id, "coordination.report", CoordinationReport.content_type, report.id, at,
                                 audience=ORGANISERS_AUDIENCE,
                                 data={"endpoint": "coordination.campaign", "args": {"campaign_id": campaign.id},
                                       "title": title, "main": counts[unit], "unit": unit})
    db.session.flush()
