"""Events: planning (one-off or recurring), answers with a waiting list, check-in, finding events,
reminders, erasure and export. Plain functions, no HTTP.

Seats: ``going_count`` moves only through conditional UPDATEs. A seat is taken with
``UPDATE coordination_event SET going_count = going_count + 1 WHERE id = :id AND (capacity IS NULL
OR going_count < capacity) AND cancelled_at IS NULL``: the row count says "going" or "waiting".
Leaving "going" gives the seat back and promotes the oldest waiting member in the same
transaction; every status change is itself a conditional UPDATE (``WHERE status = :old``), so two
requests racing on the same answer cannot count a seat twice. The CHECK constraint on
``going_count`` is the last guard.

Times are stored as naive UTC. An event keeps the IANA zone it was planned in: start and end are
typed in that zone, and a series is expanded in it, so a weekly 18:30 stays 18:30 across a change
of daylight saving time.
"""

from __future__ import annotations

import bisect
import functools
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dateutil.rrule import rrulestr
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, Integer, String, and_, bindparam, delete, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from community.activity import email_wanted, publish, visible_audiences
from community.database import after_commit
from community.extensions import db, socketio
from community.markdown import render_markdown
from community.models import Activity, HiddenContent, Member
from community.registry import registry
from community.settings import module_setting
from community.timeutil import utcnow

from .models import (
    EVENT_KINDS,
    CoordinationCalendarToken,
    CoordinationCoOrganiser,
    CoordinationEvent,
    CoordinationKit,
    CoordinationRsvp,
)

MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
MAX_PLACE = 200
MAX_ADDRESS = 300
MAX_COMMUNE = 120
MAX_URL = 500
MAX_CAPACITY = 100_000
MAX_OCCURRENCES = 200  # a series has at most this many occurrences
MAX_SERIES_DAYS = 2 * 366  # and spans at most about two years
MAX_CO_ORGANISERS = 10
LIST_PAGE = 30
CALENDAR_PER_DAY = 4  # events shown in a day's cell; the rest behind a "more" link
SERIES_SCAN_LIMIT = 2000  # recurring events expanded for one page at most
REPEATS = {"weekly": "FREQ=WEEKLY", "biweekly": "FREQ=WEEKLY;INTERVAL=2", "monthly": "FREQ=MONTHLY"}
ANSWERS = ("going", "maybe", "not_going")
ATTENDING = ("going", "maybe", "waiting")  # told about changes and cancellations
MANAGER_ROLE = "admin"  # besides the organiser and co-organisers
ROOM = "coordination:event:{id}"
SOCKET_EVENT = "coordination.event"
POSTAL_RE = re.compile(r"^\d{5}$")
LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")
# Zones offered in the form (any IANA name is accepted): metropolitan France and the overseas ones.
COMMON_ZONES = ("Europe/Paris", "America/Guadeloupe", "America/Martinique", "America/Cayenne", "Indian/Reunion",
                "Indian/Mayotte", "America/Miquelon", "Pacific/Noumea", "Pacific/Tahiti", "Pacific/Wallis",
                "Europe/Brussels", "Europe/Zurich", "Europe/Luxembourg", "America/Montreal", "UTC")


class EventError(ValueError):
    """A refused action; ``errors`` maps a form field ("" for the whole form) to translated messages."""

    def __init__(self, errors):
        if not isinstance(errors, dict):
            errors = {"": [errors]}
        super().__init__("; ".join(str(m) for messages in errors.values() for m in messages))
        self.errors = errors


# --- small helpers ------------------------------------------------------------------------------


def event_room(event_id: int) -> str:
    return ROOM.format(id=event_id)


def department_of(postal_code: str) -> str:
    """The French department of a postal code: two digits, "2A"/"2B" for Corsica (20000-20190 /
    20200-20620), three digits overseas (97x, 98x); "" when it is not a five-digit code."""
    code = (postal_code or "").replace(" ", "")
    if not POSTAL_RE.match(code):
        return ""
    if code[:2] in ("97", "98"):
        return code[:3]
    if code[:2] == "20":
        return "2A" if int(code) < 20200 else "2B"
    return code[:2]


def normalise_department(value: str) -> str:
    """A department typed by a member ("69", "2a", "974") or derived from a postal code; "" if neither."""
    value = (value or "").strip().upper()
    if POSTAL_RE.match(value):
        return department_of(value)
    if re.fullmatch(r"\d{2}|2[AB]|9[78]\d", value):
        return value
    return ""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_known_zone(name: str) -> bool:
    return bool(name) and name in _known_zones()


def default_zone() -> str:
    return current_app.config["TERREAU_TIMEZONE"]


def zone_choices() -> list[str]:
    movement = default_zone()
    return [movement] + [z for z in COMMON_ZONES if z != movement]


def parse_local(value: str | None) -> datetime | None:
    """A datetime-local value (what browsers send, or typed by hand) as a naive local time; None if unreadable."""
    value = (value or "").strip()
    for fmt in LOCAL_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def to_utc_naive(local: datetime, tz: ZoneInfo) -> datetime:
    return local.replace(tzinfo=tz).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def to_local(value: datetime, tz_name: str) -> datetime:
    """A stored UTC time as an aware datetime in the zone ``tz_name``."""
    return value.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone(tz_name))


def local_input(value: datetime | None, tz_name: str) -> str:
    """A stored UTC time as the form shows it (datetime-local, in the event's zone)."""
    return to_local(value, tz_name).strftime("%Y-%m-%dT%H:%M") if value else ""


def description_html(event) -> str:
    return render_markdown(event.description)


def new_uid(host: str | None = None) -> str:
    host = host or (urlsplit(current_app.config["TERREAU_BASE_URL"]).hostname or "terreau.invalid")
    return f"{uuid.uuid4()}@{host}"


# --- recurrence ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of an event (a one-off event has exactly one); times in naive UTC."""

    event: object  # a CoordinationEvent or a row with the same column names
    starts_at: datetime
    ends_at: datetime

    @property
    def key(self) -> tuple[datetime, int]:
        return self.starts_at, self.event.id


def build_rrule(repeat: str, count: int | None, until_local: date | None, tz: ZoneInfo) -> str | None:
    """The RRULE value for the form's choices: UNTIL, as RFC 5545 asks with a zoned start, in UTC."""
    if not repeat:
        return None
    rule = REPEATS[repeat]
    if count:
        return f"{rule};COUNT={int(count)}"
    end_of_day = to_utc_naive(datetime.combine(until_local, time(23, 59, 59)), tz)
    return f"{rule};UNTIL={end_of_day.strftime('%Y%m%dT%H%M%SZ')}"


@functools.lru_cache(maxsize=4096)
def _rule(rule: str, starts_at: datetime, tz_name: str):
    """The parsed rule of a series, its start in its zone."""
    return rrulestr(rule, dtstart=to_local(starts_at, tz_name), cache=True)


@functools.lru_cache(maxsize=8192)
def _series_starts(rule: str, starts_at: datetime, tz_name: str) -> tuple[datetime, ...]:
    """Every start of a series in naive UTC, expanded once in its zone (a series has at most
    MAX_OCCURRENCES; cached, since pages and feeds expand the same series again and again)."""
    utc = ZoneInfo("UTC")
    starts = []
    for local_start in _rule(rule, starts_at, tz_name):
        starts.append(local_start.astimezone(utc).replace(tzinfo=None))
        if len(starts) > MAX_OCCURRENCES:
            break
    return tuple(starts)


def expand(event, after: datetime | None = None, before: datetime | None = None,
           limit: int | None = None) -> list[Occurrence]:
    """Occurrences of ``event`` overlapping [after, before) (naive UTC; None: unbounded), in order.

    A series is expanded in its own zone (wall-clock times kept across daylight saving changes),
    then converted to UTC."""
    duration = event.ends_at - event.starts_at
    if not event.rrule:
        if (after is None or event.ends_at > after) and (before is None or event.starts_at < before):
            return [Occurrence(event, event.starts_at, event.ends_at)]
        return []
    starts = _series_starts(event.rrule, event.starts_at, event.timezone)
    # The occurrence starting before ``after`` may still be running: look back by its duration.
    first = bisect.bisect_right(starts, after - duration) if after is not None else 0
    last = bisect.bisect_left(starts, before) if before is not None else len(starts)
    if limit is not None:
        last = min(last, first + limit)
    return [Occurrence(event, start, start + duration) for start in starts[first:last]]


def series_bounds(rule: str, starts_at: datetime, ends_at: datetime, tz_name: str) -> tuple[int, datetime]:
    """(number of occurrences, end of the last one) of a series, or raises EventError."""
    try:
        occurrences = _series_starts(rule, starts_at, tz_name)
    except (ValueError, TypeError):
        raise EventError({"repeat": [_l("This repetition cannot be read.")]}) from None
    if len(occurrences) > MAX_OCCURRENCES:
        raise EventError({"repeat_count": [_l("A series has at most %(n)d occurrences.", n=MAX_OCCURRENCES)]})
    if not occurrences:
        raise EventError({"repeat_until": [_l("The repetition ends before the first occurrence.")]})
    return len(occurrences), occurrences[-1] + (ends_at - starts_at)


def describe_repeat(event) -> str:
    """"every week, 10 times"… for the event page (the rule comes from our own form)."""
    if not event.rrule:
        return ""
    parts = dict(item.split("=", 1) for item in event.rrule.split(";") if "=" in item)
    freq, interval = parts.get("FREQ"), parts.get("INTERVAL", "1")
    what = (_l("every two weeks") if freq == "WEEKLY" and interval == "2" else
            _l("every week") if freq == "WEEKLY" else _l("every month"))
    if "COUNT" in parts:
        return str(_l("%(what)s, %(n)s times", what=what, n=parts["COUNT"]))
    if event.repeat_until:
        return str(_l("%(what)s, until %(date)s", what=what,
                      date=to_local(event.repeat_until, event.timezone).strftime("%Y-%m-%d")))
    return str(what)


def repeat_choice(event) -> tuple[str, str, str]:
    """(repeat, count, until date) for the edit form, from a stored rule."""
    if not event.rrule:
        return "", "", ""
    parts = dict(item.split("=", 1) for item in event.rrule.split(";") if "=" in item)
    repeat = ("biweekly" if parts.get("INTERVAL") == "2" else "weekly") if parts.get("FREQ") == "WEEKLY" else "monthly"
    if "COUNT" in parts:
        return repeat, parts["COUNT"], ""
    until = to_local(event.repeat_until, event.timezone).strftime("%Y-%m-%d") if event.repeat_until else ""
    return repeat, "", until


# --- rights -------------------------------------------------------------------------------------


def _authenticated(member) -> bool:
    return member is not None and getattr(member, "is_authenticated", False)


def audiences_of(member) -> list[str]:
    """The event audiences ``member`` may see: only "public" for visitors."""
    if not _authenticated(member):
        return ["public"]
    return visible_audiences(member)


def co_organiser_ids(event_id: int) -> list[int]:
    return list(db.session.scalars(select(CoordinationCoOrganiser.member_id)
                                   .where(CoordinationCoOrganiser.event_id == event_id)
                                   .order_by(CoordinationCoOrganiser.member_id)))


def can_manage(member, event) -> bool:
    """The organiser, the co-organisers and the admins edit, cancel, see attendees and check in."""
    if not _authenticated(member):
        return False
    if member.has_role(MANAGER_ROLE) or event.organiser_id == member.id:
        return True
    return db.session.get(CoordinationCoOrganiser, (event.id, member.id)) is not None


def is_hidden(event_id: int) -> bool:
    return db.session.get(HiddenContent, (CoordinationEvent.content_type, str(event_id))) is not None


def hidden_event_ids() -> frozenset[int]:
    """Ids of the events moderators hid (few), read once per request: lists filter them in
    Python rather than with a correlated subquery per row."""
    from flask import g, has_app_context

    cache = g if has_app_context() else None
    if cache is not None and "coordination_hidden_events" in cache:
        return cache.coordination_hidden_events
    ids = frozenset(int(i) for i in db.session.scalars(select(HiddenContent.content_id).where(
        HiddenContent.content_type == CoordinationEvent.content_type)) if i.isdigit())
    if cache is not None:
        cache.coordination_hidden_events = ids
    return ids


def can_see(member, event) -> bool:
    """Public events for everyone; members' for members; a group's for the group (and its organisers)."""
    if event is None or is_hidden(event.id):
        return False
    if event.audience == "public":
        return True
    if not _authenticated(member):
        return False
    return event.audience in visible_audiences(member) or can_manage(member, event)


def get_event(event_id: int, viewer) -> CoordinationEvent | None:
    event = db.session.get(CoordinationEvent, event_id)
    return event if can_see(viewer, event) else None


def can_create(member) -> bool:
    """Organisers (and above); every member when an admin allows it."""
    if not _authenticated(member):
        return False
    return member.has_role("organiser") or bool(module_setting("coordination", "members_create_events"))


def audience_choices(member) -> list[tuple[str, str]]:
    """(audience, label): everyone, members, and the rooms of the member's groups (from the modules)."""
    choices = [("public", str(_l("Everyone, also outside the movement"))), ("members", str(_l("Members")))]
    for module in registry.enabled():
        choices.extend((value, str(label)) for value, label in module.post_audiences(member))
    return choices


def audience_label(audience: str, viewer=None) -> str:
    if audience == "public":
        return str(_l("Public"))
    if audience == "members":
        return str(_l("Members"))
    if _authenticated(viewer):
        for value, label in audience_choices(viewer):
            if value == audience:
                return label
    return str(_l("A group"))


# --- state --------------------------------------------------------------------------------------


def last_end(event) -> datetime:
    return event.repeat_until if event.rrule and event.repeat_until else event.ends_at


def is_past(event, now: datetime | None = None) -> bool:
    return last_end(event) <= (now or utcnow())


def next_occurrence(event, now: datetime | None = None) -> Occurrence | None:
    """The occurrence running now or the next one; None when the event is over."""
    found = expand(event, after=now or utcnow(), limit=1)
    return found[0] if found else None


def refusal(event, now: datetime | None = None):
    """Why answers are refused now, or None."""
    if event.cancelled_at is not None:
        return _l("This event is cancelled: it takes no more answers.")
    if is_past(event, now):
        return _l("This event is over: it takes no more answers.")
    return None


def counts(event) -> dict[str, int]:
    """How many are going, maybe, on the waiting list (members see these, never the names)."""
    rows = dict(db.session.execute(select(CoordinationRsvp.status, func.count())
                                   .where(CoordinationRsvp.event_id == event.id)
                                   .group_by(CoordinationRsvp.status)).all())
    return {"going": event.going_count, "maybe": rows.get("maybe", 0), "waiting": rows.get("waiting", 0)}


def rsvp_of(event_id: int, member_id: int) -> CoordinationRsvp | None:
    return db.session.get(CoordinationRsvp, (event_id, member_id))


def waiting_position(event_id: int, member_id: int) -> int | None:
    """1 for the next member to be promoted; None when not waiting."""
    row = rsvp_of(event_id, member_id)
    if row is None or row.status != "waiting":
        return None
    ahead = db.session.scalar(select(func.count()).select_from(CoordinationRsvp).where(
        CoordinationRsvp.event_id == event_id, CoordinationRsvp.status == "waiting",
        or_(CoordinationRsvp.waiting_since < row.waiting_since,
            and_(CoordinationRsvp.waiting_since == row.waiting_since, CoordinationRsvp.member_id < member_id))))
    return ahead + 1


def attendees(event) -> list[CoordinationRsvp]:
    """Every answer but "not going", going first then the waiting list in order (organisers only)."""
    order = {"going": 0, "maybe": 1, "waiting": 2}
    rows = list(db.session.scalars(select(CoordinationRsvp).where(
        CoordinationRsvp.event_id == event.id, CoordinationRsvp.status != "not_going")))
    return sorted(rows, key=lambda r: (order[r.status], r.waiting_since or r.created_at, r.member.display_name))


# --- validation ---------------------------------------------------------------------------------


@dataclass
class EventInput:
    """What the form sends, as typed (strings), so that a refused form is shown again unchanged."""

    title: str = ""
    description: str = ""
    kind: str = "meeting"
    starts_at: str = ""
    ends_at: str = ""
    timezone: str = ""
    place_name: str = ""
    address: str = ""
    commune: str = ""
    postal_code: str = ""
    online_url: str = ""
    capacity: str = ""
    audience: str = "members"
    co_organisers: str = ""  # handles, separated by commas or spaces
    kit_id: str = ""
    repeat: str = ""
    repeat_count: str = ""
    repeat_until: str = ""


def _add(errors: dict, field: str, message) -> None:
    errors.setdefault(field, []).append(message)


def _capacity(value: str, errors: dict) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not re.fullmatch(r"-?\d+", value):
        _add(errors, "capacity", _l("The capacity is a whole number of seats (empty: no limit)."))
        return None
    number = int(value)
    if number <= 0:
        _add(errors, "capacity", _l("The capacity is at least 1 seat (empty: no limit)."))
    elif number > MAX_CAPACITY:
        _add(errors, "capacity", _l("The capacity is at most %(n)d seats.", n=MAX_CAPACITY))
    return number if 0 < number <= MAX_CAPACITY else None


def _co_organisers(value: str, organiser_id: int | None, errors: dict) -> list[int]:
    handles = [h.lstrip("@").lower() for h in re.split(r"[\s,;]+", value or "") if h.strip("@ ")]
    if not handles:
        return []
    if len(handles) > MAX_CO_ORGANISERS:
        _add(errors, "co_organisers", _l("At most %(n)d co-organisers.", n=MAX_CO_ORGANISERS))
        return []
    found = dict(db.session.execute(select(Member.handle, Member.id).where(
        Member.handle.in_(handles), Member.erased_at.is_(None))).all())
    unknown = [h for h in handles if h not in found]
    if unknown:
        _add(errors, "co_organisers", _l("No member has the handle %(handles)s.", handles=", ".join(unknown)))
    return sorted({found[h] for h in handles if h in found and found[h] != organiser_id})


def validate(data: EventInput, member, *, now: datetime | None = None, existing: CoordinationEvent | None = None):
    """Check a form's values; returns (errors by field, clean values for the model)."""
    now = now or utcnow()
    errors: dict[str, list] = {}
    clean: dict = {}
    title = " ".join((data.title or "").split())
    if not title:
        _add(errors, "title", _l("Give the event a title."))
    elif len(title) > MAX_TITLE:
        _add(errors, "title", _l("A title has at most %(n)d characters.", n=MAX_TITLE))
    clean["title"] = title
    description = (data.description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        _add(errors, "description", _l("The description has at most %(n)d characters.", n=MAX_DESCRIPTION))
    clean["description"] = description
    if data.kind not in EVENT_KINDS:
        _add(errors, "kind", _l("Choose a kind of event."))
    clean["kind"] = data.kind
    tz_name = (data.timezone or "").strip() or default_zone()
    if not is_known_zone(tz_name):
        _add(errors, "timezone", _l("“%(name)s” is not a time zone name (for example Europe/Paris).", name=tz_name))
        tz_name = default_zone()
    tz = zone(tz_name)
    clean["timezone"] = tz_name
    starts_local, ends_local = parse_local(data.starts_at), parse_local(data.ends_at)
    for field, raw, parsed in (("starts_at", data.starts_at, starts_local), ("ends_at", data.ends_at, ends_local)):
        if not (raw or "").strip():
            _add(errors, field, _l("Give a date and a time."))
        elif parsed is None:
            _add(errors, field, _l("Give a date and time such as 2026-05-14 18:30."))
    if starts_local and ends_local:
        clean["starts_at"], clean["ends_at"] = to_utc_naive(starts_local, tz), to_utc_naive(ends_local, tz)
        if clean["ends_at"] <= clean["starts_at"]:
            _add(errors, "ends_at", _l("The end must come after the start."))
        elif existing is None and clean["ends_at"] <= now:
            _add(errors, "ends_at", _l("This event would already be over: check the dates."))
    for field, limit in (("place_name", MAX_PLACE), ("address", MAX_ADDRESS), ("commune", MAX_COMMUNE)):
        value = " ".join((getattr(data, field) or "").split())
        if len(value) > limit:
            _add(errors, field, _l("At most %(n)d characters.", n=limit))
        clean[field] = value
    postal = (data.postal_code or "").replace(" ", "")
    if postal and not POSTAL_RE.match(postal):
        _add(errors, "postal_code", _l("A postal code has five digits."))
    clean["postal_code"] = postal
    clean["department"] = department_of(postal)
    url = (data.online_url or "").strip()
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            _add(errors, "online_url", _l("An online link starts with https:// or http://."))
        elif len(url) > MAX_URL:
            _add(errors, "online_url", _l("At most %(n)d characters.", n=MAX_URL))
    clean["online_url"] = url
    if not url and not clean["commune"] and not postal:
        _add(errors, "commune", _l("Give the place (at least its commune) or an online link."))
    clean["capacity"] = _capacity(data.capacity, errors)
    allowed = {value for value, _label in audience_choices(member)}
    if existing is not None:
        allowed.add(existing.audience)  # an organiser outside the group may keep its audience
    if data.audience not in allowed:
        _add(errors, "audience", _l("Choose who can see the event."))
    clean["audience"] = data.audience
    organiser_id = existing.organiser_id if existing is not None else member.id
    clean["co_organisers"] = _co_organisers(data.co_organisers, organiser_id, errors)
    raw_kit = (data.kit_id or "").strip()
    clean["kit_id"] = int(raw_kit) if raw_kit.isdigit() else None
    if raw_kit and (clean["kit_id"] is None or db.session.get(CoordinationKit, clean["kit_id"]) is None):
        _add(errors, "kit_id", _l("Choose a kit from the list."))
        clean["kit_id"] = None
    clean["rrule"] = None
    if data.repeat:
        _repeat(data, tz, clean, errors, starts_local)
    return errors, clean


def _repeat(data: EventInput, tz: ZoneInfo, clean: dict, errors: dict, starts_local: datetime | None) -> None:
    if data.repeat not in REPEATS:
        _add(errors, "repeat", _l("Choose how the event repeats."))
        return
    raw_count, raw_until = (data.repeat_count or "").strip(), (data.repeat_until or "").strip()
    count = until = None
    if raw_count and raw_until:
        _add(errors, "repeat_count", _l("Give either a number of occurrences or an end date, not both."))
        return
    if raw_count:
        if not raw_count.isdigit() or not 2 <= int(raw_count) <= MAX_OCCURRENCES:
            _add(errors, "repeat_count", _l("Between 2 and %(n)d occurrences.", n=MAX_OCCURRENCES))
            return
        count = int(raw_count)
    elif raw_until:
        try:
            until = date.fromisoformat(raw_until)
        except ValueError:
            _add(errors, "repeat_until", _l("Give a date such as 2026-06-30."))
            return
        if starts_local is not None and until <= starts_local.date():
            _add(errors, "repeat_until", _l("The last date comes after the first occurrence."))
            return
        if starts_local is not None and (until - starts_local.date()).days > MAX_SERIES_DAYS:
            _add(errors, "repeat_until", _l("A series lasts at most two years."))
            return
    else:
        _add(errors, "repeat_count", _l("Say how many times the event repeats, or until when."))
        return
    clean["rrule"] = build_rrule(data.repeat, count, until, tz)
    if "starts_at" in clean and not errors.get("ends_at"):
        try:
            _n, clean["repeat_until"] = series_bounds(clean["rrule"], clean["starts_at"], clean["ends_at"],
                                                      clean["timezone"])
        except EventError as exc:
            for field, messages in exc.errors.items():
                errors.setdefault(field, []).extend(messages)


# --- writing ------------------------------------------------------------------------------------


def _data(event) -> dict:
    return {"endpoint": "coordination.event", "args": {"event_id": event.id}, "title": event.title}


def _emit_after_commit(event_id: int) -> None:
    """Tell the pages open on this event that it changed; they fetch what they may see over HTTP."""
    app = current_app._get_current_object()

    def emit():
        with app.app_context():
            socketio.emit(SOCKET_EVENT, {"event": event_id}, to=event_room(event_id))

    after_commit(emit)


def create_event(organiser, data: EventInput, *, now: datetime | None = None) -> CoordinationEvent:
    """Plan an event (or a series) and announce it to its audience."""
    if not can_create(organiser):
        raise EventError(_l("Only organisers create events."))
    errors, clean = validate(data, organiser, now=now)
    if errors:
        raise EventError(errors)
    co_ids = clean.pop("co_organisers")
    event = CoordinationEvent(uid=new_uid(), organiser_id=organiser.id, going_count=0, sequence=0,
                              repeat_until=clean.pop("repeat_until", None), **clean)
    db.session.add(event)
    db.session.flush()
    for member_id in co_ids:
        db.session.add(CoordinationCoOrganiser(event_id=event.id, member_id=member_id))
    publish(organiser, "coordination.event_created", event, audience=event.audience, notify=co_ids,
            data=_data(event), commit=False)
    db.session.commit()
    return event


TIME_OR_PLACE = ("starts_at", "ends_at", "timezone", "rrule", "place_name", "address", "commune", "postal_code",
                 "online_url")


def attending_ids(event_id: int) -> list[int]:
    return list(db.session.scalars(select(CoordinationRsvp.member_id).where(
        CoordinationRsvp.event_id == event_id, CoordinationRsvp.status.in_(ATTENDING))))


def update_event(member, event: CoordinationEvent, data: EventInput, *, now: datetime | None = None) -> bool:
    """Save an edit; a change of time or place raises SEQUENCE and tells the attendees. Returns
    whether time or place changed."""
    if not can_manage(member, event):
        raise EventError(_l("Only the event's organisers change it."))
    if event.cancelled_at is not None:
        raise EventError(_l("This event is cancelled: it cannot be changed."))
    errors, clean = validate(data, member, now=now, existing=event)
    if clean.get("capacity") is not None and clean["capacity"] < event.going_count:
        _add(errors, "capacity", _l("%(n)d members are already going: the capacity cannot be lower.",
                                    n=event.going_count))
    if errors:
        raise EventError(errors)
    co_ids = clean.pop("co_organisers")
    clean.setdefault("repeat_until", None)
    changed = any(getattr(event, name) != clean[name] for name in TIME_OR_PLACE)
    capacity = clean.pop("capacity")
    # The capacity moves with a guard, as seats do: a seat taken meanwhile cannot be lost.
    guard = [CoordinationEvent.id == event.id]
    if capacity is not None:
        guard.append(CoordinationEvent.going_count <= capacity)
    moved = db.session.execute(update(CoordinationEvent).where(*guard).values(capacity=capacity)
                               .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        db.session.rollback()
        raise EventError({"capacity": [_l("More members are going than this capacity allows.")]})
    for name, value in clean.items():
        setattr(event, name, value)
    event.updated_at = utcnow()
    if changed:
        event.sequence += 1
    db.session.execute(delete(CoordinationCoOrganiser).where(CoordinationCoOrganiser.event_id == event.id))
    for member_id in co_ids:
        db.session.add(CoordinationCoOrganiser(event_id=event.id, member_id=member_id))
    db.session.flush()
    promoted = _promote(event.id)
    if changed:
        publish(member, "coordination.event_changed", event, audience=event.audience,
                notify=attending_ids(event.id), data=_data(event), commit=False)
    _announce_promotions(event, promoted)
    _emit_after_commit(event.id)
    db.session.commit()
    db.session.refresh(event)
    return changed


def cancel_event(member, event: CoordinationEvent) -> None:
    """Cancel: the page stays with a "cancelled" mark, calendars get STATUS:CANCELLED, attendees are told."""
    if not can_manage(member, event):
        raise EventError(_l("Only the event's organisers cancel it."))
    done = db.session.execute(update(CoordinationEvent).where(
        CoordinationEvent.id == event.id, CoordinationEvent.cancelled_at.is_(None))
        .values(cancelled_at=utcnow(), updated_at=utcnow(), sequence=CoordinationEvent.sequence + 1)
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        db.session.rollback()
        raise EventError(_l("This event is already cancelled."))
    publish(member, "coordination.event_cancelled", event, audience=event.audience,
            notify=attending_ids(event.id), data=_data(event), commit=False)
    _emit_after_commit(event.id)
    db.session.commit()
    db.session.refresh(event)


# --- seats and answers --------------------------------------------------------------------------


def _take_seat(event_id: int) -> bool:
    """One seat, if the event has one left and is not cancelled (the row count decides)."""
    table = CoordinationEvent.__table__
    result = db.session.execute(update(table).where(
        table.c.id == event_id, or_(table.c.capacity.is_(None), table.c.going_count < table.c.capacity),
        table.c.cancelled_at.is_(None)).values(going_count=table.c.going_count + 1))
    return result.rowcount == 1


def _free_seat(event_id: int) -> None:
    table = CoordinationEvent.__table__
    db.session.execute(update(table).where(table.c.id == event_id, table.c.going_count > 0)
                       .values(going_count=table.c.going_count - 1))


def _set_status(event_id: int, member_id: int, old: str, new: str, now: datetime) -> bool:
    """Move one answer from ``old`` to ``new`` only if it still is ``old`` (races lose cleanly)."""
    values = {"status": new, "updated_at": now, "waiting_since": now if new == "waiting" else None}
    result = db.session.execute(update(CoordinationRsvp).where(
        CoordinationRsvp.event_id == event_id, CoordinationRsvp.member_id == member_id,
        CoordinationRsvp.status == old).values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1


def _promote(event_id: int) -> list[int]:
    """Give free seats to the oldest waiting members; returns who was promoted (same transaction)."""
    promoted: list[int] = []
    now = utcnow()
    while True:
        candidates = list(db.session.scalars(select(CoordinationRsvp.member_id).where(
            CoordinationRsvp.event_id == event_id, CoordinationRsvp.status == "waiting")
            .order_by(CoordinationRsvp.waiting_since, CoordinationRsvp.member_id).limit(5)))
        if not candidates or not _take_seat(event_id):
            return promoted
        for member_id in candidates:
            if _set_status(event_id, member_id, "waiting", "going", now):
                promoted.append(member_id)
                break
        else:  # each candidate was moved by someone else meanwhile: give the seat back, look again
            _free_seat(event_id)


def _announce_promotions(event, promoted: list[int]) -> None:
    for member_id in promoted:
        publish(None, "coordination.promoted", event, audience=f"member:{member_id}", notify=[member_id],
                data=_data(event), commit=False)


def _refuse_if_closed(event, now: datetime) -> None:
    reason = refusal(event, now)
    if reason is not None:
        raise EventError(reason)


def answer(member, event: CoordinationEvent, status: str, *, now: datetime | None = None) -> str:
    """Answer going / maybe / not going; "going" on a full event puts the member on the waiting
    list. Returns the status stored ("going", "waiting", "maybe" or "not_going")."""
    now = now or utcnow()
    if status not in ANSWERS:
        raise EventError(_l("Choose going, maybe or not going."))
    _refuse_if_closed(event, now)
    existing = rsvp_of(event.id, member.id)
    old = existing.status if existing is not None else None
    if old == status or (old == "waiting" and status == "going"):
        return old
    if existing is not None:
        db.session.expunge(existing)  # the UPDATEs below are the truth; never flush a stale object
    new = status
    if status == "going":
        if not _take_seat(event.id):
            fresh = db.session.execute(select(CoordinationEvent.cancelled_at).where(
                CoordinationEvent.id == event.id)).scalar_one_or_none()
            if fresh is not None:
                db.session.rollback()
                raise EventError(_l("This event is cancelled: it takes no more answers."))
            new = "waiting"
    if old is None:
        try:
            db.session.add(CoordinationRsvp(event_id=event.id, member_id=member.id, status=new, created_at=now,
                                            updated_at=now, waiting_since=now if new == "waiting" else None))
            db.session.flush()
        except IntegrityError:  # a double click: the rollback gives the seat back
            db.session.rollback()
            raise EventError(_l("Your answer changed meanwhile: look again and answer once more.")) from None
    elif not _set_status(event.id, member.id, old, new, now):
        db.session.rollback()
        raise EventError(_l("Your answer changed meanwhile: look again and answer once more."))
    promoted: list[int] = []
    if old == "going":
        _free_seat(event.id)
        promoted = _promote(event.id)
    _announce_promotions(event, promoted)
    _emit_after_commit(event.id)
    db.session.commit()
    db.session.refresh(event)
    return new


def withdraw(event_id: int, member_id: int) -> list[int]:
    """Delete a member's answer (erasure), freeing their seat and promoting; no commit."""
    row = db.session.execute(select(CoordinationRsvp.status).where(
        CoordinationRsvp.event_id == event_id, CoordinationRsvp.member_id == member_id)).scalar_one_or_none()
    if row is None:
        return []
    deleted = db.session.execute(delete(CoordinationRsvp).where(
        CoordinationRsvp.event_id == event_id, CoordinationRsvp.member_id == member_id,
        CoordinationRsvp.status == row).execution_options(synchronize_session=False)).rowcount
    if deleted == 1 and row == "going":
        _free_seat(event_id)
        return _promote(event_id)
    return []


def check_in(manager, event: CoordinationEvent, member_id: int, *, now: datetime | None = None) -> None:
    """Mark a going attendee as present, from the day of the event on (in its zone)."""
    now = now or utcnow()
    if not can_manage(manager, event):
        raise EventError(_l("Only the event's organisers check attendees in."))
    if event.cancelled_at is not None:
        raise EventError(_l("This event is cancelled."))
    first_day = to_local(event.starts_at, event.timezone).replace(hour=0, minute=0, second=0, microsecond=0)
    if now.replace(tzinfo=ZoneInfo("UTC")) < first_day:
        raise EventError(_l("Check-in opens on the day of the event."))
    done = db.session.execute(update(CoordinationRsvp).where(
        CoordinationRsvp.event_id == event.id, CoordinationRsvp.member_id == member_id,
        CoordinationRsvp.status == "going", CoordinationRsvp.checked_in_at.is_(None))
        .values(checked_in_at=now).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        db.session.rollback()
        raise EventError(_l("This member is not going, or is already checked in."))
    attendee = db.session.get(Member, member_id)
    # The attendee is the actor (influence counts attendance) and the only one to see it.
    publish(attendee, "coordination.checkin", event, audience=f"member:{member_id}", data=_data(event),
            commit=False)
    db.session.commit()


def undo_check_in(manager, event: CoordinationEvent, member_id: int) -> None:
    """Take back a check-in made by mistake; its activity goes too, so points and badges follow."""
    if not can_manage(manager, event):
        raise EventError(_l("Only the event's organisers check attendees in."))
    done = db.session.execute(update(CoordinationRsvp).where(
        CoordinationRsvp.event_id == event.id, CoordinationRsvp.member_id == member_id,
        CoordinationRsvp.checked_in_at.is_not(None))
        .values(checked_in_at=None).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        db.session.rollback()
        raise EventError(_l("This member is not checked in."))
    db.session.execute(delete(Activity).where(
        Activity.verb == "coordination.checkin", Activity.actor_id == member_id,
        Activity.object_type == event.content_type, Activity.object_id == str(event.id)))
    db.session.commit()


# --- finding events -----------------------------------------------------------------------------

LIST_COLUMNS = (CoordinationEvent.id, CoordinationEvent.title, CoordinationEvent.kind, CoordinationEvent.starts_at,
                CoordinationEvent.ends_at, CoordinationEvent.timezone, CoordinationEvent.rrule,
                CoordinationEvent.repeat_until, CoordinationEvent.commune, CoordinationEvent.postal_code,
                CoordinationEvent.department, CoordinationEvent.online_url, CoordinationEvent.capacity,
                CoordinationEvent.going_count, CoordinationEvent.audience, CoordinationEvent.cancelled_at,
                CoordinationEvent.place_name)


@dataclass(frozen=True)
class Filters:
    department: str = ""
    kind: str = ""
    audience: str = ""  # a group's room (or "public", "members")

    def clauses(self, audiences: list[str]) -> list:
        found = [CoordinationEvent.audience.in_(audiences)]
        if self.department:
            found.append(CoordinationEvent.department == self.department)
        if self.kind:
            found.append(CoordinationEvent.kind == self.kind)
        if self.audience:
            found.append(CoordinationEvent.audience == self.audience)
        return found


CALENDAR_COLUMNS = (CoordinationEvent.id, CoordinationEvent.title, CoordinationEvent.starts_at,
                    CoordinationEvent.ends_at, CoordinationEvent.timezone, CoordinationEvent.rrule,
                    CoordinationEvent.cancelled_at)


def occurrences_between(viewer, start: datetime, end: datetime, filters: Filters = Filters(),
                        *, columns=LIST_COLUMNS) -> list[Occurrence]:
    """Occurrences the viewer may see overlapping [start, end), in order of start.

    One-off events come from the (…, starts_at) indexes; recurring ones from repeat_until's.
    An event is assumed to last less than a day for the index range (longer ones still show,
    from their start day on)."""
    clauses = filters.clauses(audiences_of(viewer))
    hidden = hidden_event_ids()
    single = (select(*columns).where(*clauses, CoordinationEvent.rrule.is_(None),
                                     CoordinationEvent.starts_at >= start - timedelta(days=1),
                                     CoordinationEvent.starts_at < end, CoordinationEvent.ends_at > start)
              .order_by(CoordinationEvent.starts_at, CoordinationEvent.id))
    found = [Occurrence(row, row.starts_at, row.ends_at) for row in db.session.execute(single)
             if row.id not in hidden]
    series = select(*columns).where(*clauses, CoordinationEvent.rrule.is_not(None),
                                    CoordinationEvent.repeat_until > start,
                                    CoordinationEvent.starts_at < end).limit(SERIES_SCAN_LIMIT)
    for row in db.session.execute(series):
        if row.id not in hidden:
            found.extend(expand(row, start, end))
    found.sort(key=lambda o: o.key)
    return found


def upcoming(viewer, filters: Filters = Filters(), *, after: tuple[datetime, int] | None = None,
             now: datetime | None = None, limit: int = LIST_PAGE) -> tuple[list[Occurrence], tuple | None]:
    """A page of upcoming occurrences (running now or later), keyset-paginated on (start, event id).
    Returns (page, the cursor of the next page or None)."""
    now = now or utcnow()
    clauses = filters.clauses(audiences_of(viewer))
    hidden = hidden_event_ids()
    single = select(*LIST_COLUMNS).where(*clauses, CoordinationEvent.rrule.is_(None),
                                         CoordinationEvent.starts_at >= now - timedelta(days=1),
                                         CoordinationEvent.ends_at > now)
    if after is not None:
        single = single.where(or_(CoordinationEvent.starts_at > after[0],
                                  and_(CoordinationEvent.starts_at == after[0], CoordinationEvent.id > after[1])))
    single = single.order_by(CoordinationEvent.starts_at, CoordinationEvent.id).limit(limit + 1 + len(hidden))
    found = [Occurrence(row, row.starts_at, row.ends_at) for row in db.session.execute(single)
             if row.id not in hidden]
    # The page ends at the last one-off event it holds (when there are more): series need not be
    # expanded past it.
    horizon = found[limit].starts_at + timedelta(microseconds=1) if len(found) > limit else None
    series = select(*LIST_COLUMNS).where(*clauses, CoordinationEvent.rrule.is_not(None),
                                         CoordinationEvent.repeat_until > now)
    if horizon is not None:
        series = series.where(CoordinationEvent.starts_at < horizon)
    since = max(now, after[0]) if after is not None else now
    for row in db.session.execute(series.limit(SERIES_SCAN_LIMIT)):
        if row.id in hidden:
            continue
        for occurrence in expand(row, after=since, before=horizon, limit=limit + 2):
            if after is None or occurrence.key > after:
                found.append(occurrence)
    found.sort(key=lambda o: o.key)
    page = found[:limit]
    return page, (page[-1].key if len(found) > limit else None)


@dataclass(frozen=True)
class CalendarItem:
    """What a day's cell shows of an occurrence (plain values: a month may hold thousands)."""

    event_id: int
    title: str
    time: str  # "18:30" in the viewer's zone
    starts_at: datetime
    cancelled: bool


GRID_CACHE_SIZE = 1024  # months × audience sets × filters kept per process (a grid is a few kB)
_grid_cache: OrderedDict = OrderedDict()
_grid_lock = threading.Lock()


def events_version() -> tuple:
    """Changes whenever an event is created, edited or cancelled (each sets ``updated_at``), or when
    the module's data is deleted (two index look-ups, no scan; events are never deleted one by one):
    the key under which a month's grid stays valid in every process, with no expiry to wait for."""
    return tuple(db.session.execute(select(func.max(CoordinationEvent.id),
                                           func.max(CoordinationEvent.updated_at))).one())


def month_grid(viewer, year: int, month: int, tz_name: str, filters: Filters = Filters()):
    """A month's grid (see _month_grid), kept per process for the same audiences, filters, zone,
    hidden events and version of the events table: a busy month costs ~15 ms to build, and most
    views of a calendar are of the same few months."""
    key = (events_version(), tuple(sorted(audiences_of(viewer))), filters, year, month, tz_name, hidden_event_ids())
    with _grid_lock:
        if key in _grid_cache:
            _grid_cache.move_to_end(key)
            return _grid_cache[key]
    weeks = _month_grid(viewer, year, month, tz_name, filters)
    with _grid_lock:
        _grid_cache[key] = weeks
        while len(_grid_cache) > GRID_CACHE_SIZE:
            _grid_cache.popitem(last=False)
    return weeks


def _month_grid(viewer, year: int, month: int, tz_name: str, filters: Filters = Filters()):
    """The weeks (Monday first) of a month as lists of (date, in_month, items, more, first): each
    day's occurrences in ``tz_name``, at most CALENDAR_PER_DAY of them shown, ``more`` the others,
    ``first`` the day's start in naive UTC (for a link to the list from that day).

    A busy month holds thousands of events: the database counts each day's and hands over its
    first few only; occurrences of series are put in their day by bisecting the days' UTC
    boundaries."""
    first = date(year, month, 1)
    grid_start = first - timedelta(days=first.weekday())
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    grid_end = next_month + timedelta(days=(7 - next_month.weekday()) % 7)
    tz = zone(tz_name)
    days = [grid_start + timedelta(days=n) for n in range((grid_end - grid_start).days)]
    bounds = [to_utc_naive(datetime.combine(day, time()), tz) for day in days]
    start, end = bounds[0], to_utc_naive(datetime.combine(grid_end, time()), tz)
    clauses = filters.clauses(audiences_of(viewer))
    hidden = hidden_event_ids()
    # One-off events: per day, a count and the first few, each an index range of the covering
    # starts_at index, in two statements; Python never sees the thousands of a busy month. The
    # statements are written as text: built with the expression language, their 80-odd
    # subqueries cost more to assemble and compile than to run.
    by_day: list[list] = [[] for _ in days]
    counts = [0] * len(days)
    mixed = set()  # days holding occurrences of series: sorted again
    params: dict = {"audiences": audiences_of(viewer), "start": start, "per_day": CALENDAR_PER_DAY}
    where = "audience IN :audiences AND rrule IS NULL AND ends_at > :start"
    for name, value in (("department", filters.department), ("kind", filters.kind), ("audience", filters.audience)):
        if value:
            where += f" AND {name} = :{name}"
            params[name] = value
    if hidden:
        where += " AND id NOT IN :hidden"
        params["hidden"] = sorted(hidden)
    for i in range(len(days)):
        params[f"low{i}"] = start - timedelta(days=1) if i == 0 else bounds[i]
        params[f"high{i}"] = bounds[i + 1] if i + 1 < len(bounds) else end
    ranges = [f"{where} AND starts_at >= :low{i} AND starts_at < :high{i}" for i in range(len(days))]
    expanding = [bindparam("audiences", expanding=True)] + ([bindparam("hidden", expanding=True)] if hidden else [])
    counts = list(db.session.execute(text("SELECT " + ", ".join(
        f"(SELECT count(*) FROM coordination_event WHERE {r})" for r in ranges)).bindparams(*expanding),
        params).one())
    busy = [i for i, count in enumerate(counts) if count]
    if busy:
        firsts = text(" UNION ALL ".join(
            f"SELECT * FROM (SELECT {i} AS day, starts_at, id, title, cancelled_at FROM coordination_event "
            f"WHERE {ranges[i]} ORDER BY starts_at, id LIMIT :per_day) AS day{i}" for i in busy)
        ).bindparams(*expanding).columns(day=Integer, starts_at=DateTime, id=Integer, title=String,
                                         cancelled_at=DateTime)
        for day_index, starts_at, event_id, title, cancelled_at in db.session.execute(firsts, params):
            by_day[day_index].append((starts_at, event_id, title, cancelled_at))

    def place(starts_at, event_id, title, cancelled_at) -> int:
        day_index = max(0, bisect.bisect_right(bounds, starts_at) - 1)
        by_day[day_index].append((starts_at, event_id, title, cancelled_at))
        counts[day_index] += 1
        return day_index

    series = select(*CALENDAR_COLUMNS).where(*clauses, CoordinationEvent.rrule.is_not(None),
                                             CoordinationEvent.repeat_until > start,
                                             CoordinationEvent.starts_at < end).limit(SERIES_SCAN_LIMIT)
    for row in db.session.execute(series):
        if row.id in hidden:
            continue
        starts = _series_starts(row.rrule, row.starts_at, row.timezone)
        duration = row.ends_at - row.starts_at
        for occurrence_start in starts[bisect.bisect_right(starts, start - duration):bisect.bisect_left(starts, end)]:
            mixed.add(place(occurrence_start, row.id, row.title, row.cancelled_at))
    utc = ZoneInfo("UTC")
    shown: list[list] = []
    for index, items in enumerate(by_day):
        if index in mixed:
            items.sort(key=lambda item: (item[0], item[1]))
        shown.append([CalendarItem(event_id, title, starts_at.replace(tzinfo=utc).astimezone(tz).strftime("%H:%M"),
                                   starts_at, cancelled_at is not None)
                      for starts_at, event_id, title, cancelled_at in items[:CALENDAR_PER_DAY]])
    by_day = shown
    weeks = []
    for week_start in range(0, len(days), 7):
        weeks.append([(days[i], days[i].month == month, by_day[i], max(0, counts[i] - CALENDAR_PER_DAY), bounds[i])
                      for i in range(week_start, week_start + 7)])
    return weeks


def my_events(member, *, now: datetime | None = None) -> list[tuple[CoordinationEvent, str]]:
    """The member's answered events still to come (going, maybe, waiting), with their status."""
    now = now or utcnow()
    rows = db.session.execute(select(CoordinationEvent, CoordinationRsvp.status)
                              .join(CoordinationRsvp, CoordinationRsvp.event_id == CoordinationEvent.id)
                              .where(CoordinationRsvp.member_id == member.id,
                                     CoordinationRsvp.status.in_(ATTENDING),
                                     func.coalesce(CoordinationEvent.repeat_until, CoordinationEvent.ends_at) > now)
                              .order_by(CoordinationEvent.starts_at).limit(100)).all()
    return [(event, status) for event, status in rows]


def organised_by(member, *, now: datetime | None = None) -> list[CoordinationEvent]:
    now = now or utcnow()
    co = select(CoordinationCoOrganiser.event_id).where(CoordinationCoOrganiser.member_id == member.id)
    return list(db.session.scalars(select(CoordinationEvent).where(
        or_(CoordinationEvent.organiser_id == member.id, CoordinationEvent.id.in_(co)),
        func.coalesce(CoordinationEvent.repeat_until, CoordinationEvent.ends_at) > now)
        .order_by(CoordinationEvent.starts_at).limit(100)))


# --- calendar tokens ----------------------------------------------------------------------------


def hash_token(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode()).hexdigest()


def new_calendar_token(member) -> str:
    """Create or replace the member's calendar token; returns the secret (shown once, never stored)."""
    import secrets

    token = secrets.token_urlsafe(32)
    row = db.session.get(CoordinationCalendarToken, member.id)
    if row is None:
        db.session.add(CoordinationCalendarToken(member_id=member.id, token_hash=hash_token(token)))
    else:
        row.token_hash = hash_token(token)
        row.created_at = utcnow()
    db.session.commit()
    return token


def revoke_calendar_token(member) -> bool:
    done = db.session.execute(delete(CoordinationCalendarToken).where(
        CoordinationCalendarToken.member_id == member.id)).rowcount
    db.session.commit()
    return bool(done)


def member_for_token(token: str) -> Member | None:
    """The active member whose calendar token this is; None for an unknown or revoked one."""
    if not token or len(token) > 100:
        return None
    row = db.session.execute(select(CoordinationCalendarToken.member_id).where(
        CoordinationCalendarToken.token_hash == hash_token(token))).scalar_one_or_none()
    member = db.session.get(Member, row) if row is not None else None
    if member is None or member.erased_at is not None or member.suspended_at is not None:
        return None
    return member


# --- calendar feeds' contents -------------------------------------------------------------------

FEED_PAST_DAYS = 92  # feeds hold the last three months and everything to come
FEED_LIMIT = 5000


def _recent(now: datetime):
    """Events whose last occurrence ended less than FEED_PAST_DAYS ago, or still to come."""
    last = func.coalesce(CoordinationEvent.repeat_until, CoordinationEvent.ends_at)
    return last > now - timedelta(days=FEED_PAST_DAYS)


FEED_COLUMNS = (CoordinationEvent.id, CoordinationEvent.uid, CoordinationEvent.title, CoordinationEvent.description,
                CoordinationEvent.kind, CoordinationEvent.starts_at, CoordinationEvent.ends_at,
                CoordinationEvent.timezone, CoordinationEvent.rrule, CoordinationEvent.repeat_until,
                CoordinationEvent.place_name, CoordinationEvent.address, CoordinationEvent.commune,
                CoordinationEvent.postal_code, CoordinationEvent.online_url, CoordinationEvent.sequence,
                CoordinationEvent.created_at, CoordinationEvent.updated_at, CoordinationEvent.cancelled_at)


def feed_events(audiences: Iterable[str], *, now: datetime | None = None) -> list:
    """Events of these audiences for a calendar feed (rows of FEED_COLUMNS): not hidden, recent or to come."""
    now = now or utcnow()
    hidden = hidden_event_ids()
    rows = db.session.execute(select(*FEED_COLUMNS).where(
        CoordinationEvent.audience.in_(list(audiences)), _recent(now))
        .order_by(CoordinationEvent.starts_at, CoordinationEvent.id).limit(FEED_LIMIT + len(hidden)))
    return [row for row in rows if row.id not in hidden][:FEED_LIMIT]


def member_feed_events(member, *, now: datetime | None = None) -> list:
    """"My calendar": events the member goes to or may go to (and still may see)."""
    now = now or utcnow()
    hidden = hidden_event_ids()
    rows = db.session.execute(
        select(*FEED_COLUMNS).join(CoordinationRsvp, CoordinationRsvp.event_id == CoordinationEvent.id)
        .where(CoordinationRsvp.member_id == member.id, CoordinationRsvp.status.in_(("going", "maybe")),
               CoordinationEvent.audience.in_(audiences_of(member)), _recent(now))
        .order_by(CoordinationEvent.starts_at, CoordinationEvent.id).limit(FEED_LIMIT))
    return [row for row in rows if row.id not in hidden]


# --- reminders ----------------------------------------------------------------------------------


def reminder_lead() -> timedelta:
    return timedelta(hours=float(module_setting("coordination", "reminder_hours")))


def due_reminders(now: datetime) -> list[tuple[CoordinationRsvp, CoordinationEvent, Occurrence]]:
    """Going members of occurrences starting within the lead time, not yet reminded of that occurrence.

    ``reminded_at`` holds when the last reminder left: a reminder is due for an occurrence when
    none left since that occurrence's reminder time (so a series reminds of each occurrence once)."""
    lead = reminder_lead()
    events = db.session.scalars(select(CoordinationEvent).where(
        CoordinationEvent.cancelled_at.is_(None),
        CoordinationEvent.starts_at <= now + lead,
        or_(and_(CoordinationEvent.rrule.is_(None), CoordinationEvent.starts_at > now),
            and_(CoordinationEvent.rrule.is_not(None), CoordinationEvent.repeat_until > now))))
    due = []
    for event in events:
        occurrence = next((o for o in expand(event, after=now, limit=2) if o.starts_at > now), None)
        if occurrence is None or occurrence.starts_at > now + lead:
            continue
        since = occurrence.starts_at - lead
        rows = db.session.scalars(select(CoordinationRsvp).where(
            CoordinationRsvp.event_id == event.id, CoordinationRsvp.status == "going",
            or_(CoordinationRsvp.reminded_at.is_(None), CoordinationRsvp.reminded_at < since)))
        due.extend((row, event, occurrence) for row in rows)
    return due


def send_reminders(now: datetime | None = None) -> dict[str, int]:
    """The reminders job: e-mail the going members who asked for reminders, each in their language."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from community.mail import send_later

    now = now or utcnow()
    due = due_reminders(now)
    if not due:
        return {"sent": 0}
    member_ids = sorted({row.member_id for row, _e, _o in due})
    wanted = email_wanted(member_ids, "coordination.reminder")
    base = current_app.config["TERREAU_BASE_URL"].rstrip("/")
    name = current_app.config["TERREAU_NAME"]
    mails, reminded = [], []
    for row, event, occurrence in due:
        member = row.member
        if row.member_id not in wanted or member.erased_at is not None or member.suspended_at is not None:
            continue
        locale = member.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
        with force_locale(locale):
            when = when_text(occurrence.starts_at, occurrence.ends_at, event.timezone, locale)
            place = place_text(event)
            subject = _("[%(site)s] Reminder: %(title)s, %(when)s", site=name, title=event.title, when=when)
            body = _("You are going to “%(title)s”.\n\nWhen: %(when)s\nWhere: %(place)s\n\n"
                     "The event: %(url)s\n\nIf you cannot come, say so on the event's page: your seat goes to "
                     "the next member waiting.\n\nTo stop these reminders: %(prefs)s",
                     title=event.title, when=when, place=place, url=f"{base}/coordination/events/{event.id}",
                     prefs=f"{base}/profile/notifications")
        mails.append((member.email, subject, body))
        reminded.append((row.event_id, row.member_id))
    for event_id, member_id in reminded:
        db.session.execute(update(CoordinationRsvp).where(
            CoordinationRsvp.event_id == event_id, CoordinationRsvp.member_id == member_id)
            .values(reminded_at=now).execution_options(synchronize_session=False))
    db.session.commit()
    send_later(mails)
    return {"sent": len(mails)}


def when_text(starts_at: datetime, ends_at: datetime, tz_name: str, locale: str) -> str:
    """"14 May 2026, 18:30 – 20:30 (Europe/Paris)" in ``locale``, in the event's zone."""
    from babel.dates import format_date, format_time

    def stamp(value: datetime) -> str:
        return f"{format_date(value, 'medium', locale=locale)}, {format_time(value, 'short', locale=locale)}"

    start, end = to_local(starts_at, tz_name), to_local(ends_at, tz_name)
    first = stamp(start)
    last = format_time(end, "short", locale=locale) if start.date() == end.date() else stamp(end)
    return f"{first} – {last} ({tz_name})"


def place_text(event) -> str:
    parts = [event.place_name, event.address, " ".join(p for p in (event.postal_code, event.commune) if p)]
    text = ", ".join(p for p in parts if p)
    if event.online_url:
        text = f"{text} · {event.online_url}" if text else event.online_url
    return text


# --- erasure and export -------------------------------------------------------------------------


def forget_member(member_id: int) -> None:
    """On erasure: the member's answers go (seats freed, the waiting list promoted), and their
    co-organiser rows and calendar token; events they organised stay, by "a former member"."""
    event_ids = list(db.session.scalars(select(CoordinationRsvp.event_id).where(
        CoordinationRsvp.member_id == member_id)))
    for event_id in event_ids:
        promoted = withdraw(event_id, member_id)
        if promoted:
            _announce_promotions(db.session.get(CoordinationEvent, event_id), promoted)
            _emit_after_commit(event_id)
    db.session.execute(delete(CoordinationCoOrganiser).where(CoordinationCoOrganiser.member_id == member_id))
    db.session.execute(delete(CoordinationCalendarToken).where(CoordinationCalendarToken.member_id == member_id))
    db.session.commit()


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def export_data(member) -> dict:
    """The member's own answers and the events they organise (no other attendee's name)."""
    rows = db.session.execute(select(CoordinationRsvp, CoordinationEvent)
                              .join(CoordinationEvent, CoordinationEvent.id == CoordinationRsvp.event_id)
                              .where(CoordinationRsvp.member_id == member.id)
                              .order_by(CoordinationEvent.starts_at)).all()
    organised = db.session.scalars(select(CoordinationEvent).where(CoordinationEvent.organiser_id == member.id)
                                   .order_by(CoordinationEvent.starts_at))
    return {
        "answers": [{"event": e.title, "event_uid": e.uid, "starts_at": _iso(e.starts_at), "status": r.status,
                     "answered_at": _iso(r.created_at), "checked_in_at": _iso(r.checked_in_at)} for r, e in rows],
        "organised": [{"title": e.title, "uid": e.uid, "kind": e.kind, "starts_at": _iso(e.starts_at),
                       "ends_at": _iso(e.ends_at), "timezone": e.timezone, "rrule": e.rrule,
                       "commune": e.commune, "postal_code": e.postal_code, "online_url": e.online_url,
                       "capacity": e.capacity, "audience": e.audience, "description": e.description,
                       "cancelled_at": _iso(e.cancelled_at)} for e in organised],
    }
