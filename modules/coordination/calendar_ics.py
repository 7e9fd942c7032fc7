"""iCalendar (RFC 5545) for events: one event's ``.ics`` and subscribable feeds.

What calendar clients rely on: a UID stable for the event's life, SEQUENCE raised on each change
of time or place (and on cancellation), STATUS:CANCELLED rather than a vanished event, times with
their TZID and the matching VTIMEZONE, the RRULE of a series, a URL back to the event's page.

The VTIMEZONE blocks come from the icalendar package (``Timezone.from_tzid``, covering the
years the events span). The VEVENTs are written line by line (TEXT escaping and folding at 75
octets as RFC 5545 says): icalendar's object model costs about 0.6 ms per event, too much for a
feed of thousands (bench/events.py); tests parse every output back with icalendar.

Attendees are never written: a feed tells when and where, not who comes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime

from flask import current_app
from icalendar import Timezone

from .events_service import place_text, to_local

PRODID = "-//Terreau//Coordination events//FR"
MAX_DESCRIPTION = 4000  # characters of the description kept in a feed; the page has the rest
KIND_CATEGORIES = {"meeting": "MEETING", "public_meeting": "PUBLIC-MEETING", "door_to_door": "DOOR-TO-DOOR",
                   "leafleting": "LEAFLETING", "phone_bank": "PHONE-BANK", "rally": "RALLY", "training": "TRAINING",
                   "other": "OTHER"}


def _fold(line: str, limit: int = 75) -> str:
    """RFC 5545 §3.1: lines of at most 75 octets, continued after CRLF + space; never inside a
    UTF-8 character nor right after a backslash (some clients mis-read a split escape)."""
    data = line.encode("utf-8")
    parts, start, room = [], 0, limit
    while len(data) - start > room:
        end = start + room
        while data[end] & 0xC0 == 0x80:  # a continuation byte: cut before the character
            end -= 1
        if data[end - 1] == 0x5C and end - 1 > start:  # a backslash: keep it with what it escapes
            end -= 1
        parts.append(data[start:end])
        start, room = end, limit - 1  # continuation lines start with a space
    parts.append(data[start:])
    return b"\r\n ".join(parts).decode("utf-8")


def _line(name: str, value: str) -> str:
    line = f"{name}:{value}"
    if len(line) <= 75 and (line.isascii() or len(line.encode("utf-8")) <= 75):
        return line
    return _fold(line)


def _escape(value: str) -> str:
    """TEXT escaping (RFC 5545 §3.3.11): backslash, semicolon, comma, and newlines as \\n."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n"))


def _text(name: str, value: str) -> str:
    return _line(name, _escape(value))


def _utc(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%SZ")


def _local(value: datetime, tz_name: str) -> tuple[str, str]:
    """(parameters, value) of a DTSTART/DTEND: local time with its TZID, or UTC."""
    if tz_name == "UTC":
        return "", _utc(value)
    return f";TZID={tz_name}", to_local(value, tz_name).strftime("%Y%m%dT%H%M%S")


def event_url(event, base: str | None = None) -> str:
    base = base if base is not None else current_app.config["TERREAU_BASE_URL"].rstrip("/")
    return f"{base}/coordination/events/{event.id}"


def vevent(event, base: str | None = None) -> list[str]:
    """The lines of one VEVENT (no attendee); ``base`` is TERREAU_BASE_URL without its last slash."""
    url = event_url(event, base)
    start_params, start = _local(event.starts_at, event.timezone)
    end_params, end = _local(event.ends_at, event.timezone)
    lines = [
        "BEGIN:VEVENT",
        _line("UID", event.uid),
        _line("DTSTAMP", _utc(event.updated_at)),
        _line("CREATED", _utc(event.created_at)),
        _line("LAST-MODIFIED", _utc(event.updated_at)),
        _line("SEQUENCE", str(event.sequence)),
        _line("STATUS", "CANCELLED" if event.cancelled_at is not None else "CONFIRMED"),
        _line("DTSTART" + start_params, start),
        _line("DTEND" + end_params, end),
        _text("SUMMARY", event.title),
        _line("CATEGORIES", KIND_CATEGORIES.get(event.kind, "OTHER")),
        _line("URL", url),
    ]
    if event.rrule:
        lines.append(_line("RRULE", event.rrule))
    place = place_text(event)
    if place:
        lines.append(_text("LOCATION", place))
    description = event.description or ""
    if len(description) > MAX_DESCRIPTION:
        description = description[:MAX_DESCRIPTION] + "…"
    description = f"{description}\n\n{url}".strip()
    lines.append(_text("DESCRIPTION", description))
    lines.append("END:VEVENT")
    return lines


@functools.lru_cache(maxsize=64)
def _vtimezone(tz_name: str, first_year: int, last_year: int) -> str:
    """A VTIMEZONE valid over whole years (cached: feeds ask for the same zones again and again)."""
    ical = Timezone.from_tzid(tz_name, first_date=date(first_year, 1, 1),
                              last_date=date(last_year, 12, 31)).to_ical().decode("utf-8")
    return ical.replace("\r\n", "\n").strip("\n")


def calendar(events: Iterable, name: str, *, method: str = "PUBLISH") -> str:
    """A VCALENDAR with ``events``: its VTIMEZONEs first, then one VEVENT each."""
    events = list(events)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", f"METHOD:{method}", "CALSCALE:GREGORIAN",
             _text("X-WR-CALNAME", name)]
    spans: dict[str, tuple[int, int]] = {}
    for event in events:
        if event.timezone == "UTC":
            continue
        first = event.starts_at.year - 1
        last = max(event.ends_at, event.repeat_until or event.ends_at).year + 1
        known = spans.get(event.timezone)
        spans[event.timezone] = (min(first, known[0]), max(last, known[1])) if known else (first, last)
    for tz_name in sorted(spans):
        lines.extend(_vtimezone(tz_name, *spans[tz_name]).split("\n"))
    base = current_app.config["TERREAU_BASE_URL"].rstrip("/")
    for event in events:
        lines.extend(vevent(event, base))
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def last_modified(events: Iterable) -> datetime | None:
    return max((e.updated_at for e in events), default=None)
