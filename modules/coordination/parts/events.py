"""The events part of the coordination module: planning events (one-off or recurring), answers
with a waiting list, check-in, finding events (list and month calendar), reminders, iCalendar.

The rules live in ``events_service.py`` and the iCalendar writer in ``calendar_ics.py``; these
views parse forms, check rights and render. An event's page joins the socket room
``coordination:event:<id>``; each answer sends ``coordination.event`` there (the id only), and the
page then fetches its state from ``state.json``, which checks rights like the page itself.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from hashlib import sha256

from babel.dates import format_date, get_day_names
from flask import (
    Response,
    abort,
    current_app,
    flash,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from community.extensions import db
from community.forms import add_errors, error_messages
from community.models import Member
from community.parts import Part
from community.permissions import role_required
from community.ratelimits import limited
from community.registry import ContentKind, ContentRef, Job, NavItem, shared_kind
from community.settings import module_setting, set_module_setting
from community.timeutil import utcnow

from .. import calendar_ics
from .. import events_service as service
from ..events_forms import KIND_LABELS, EventForm, FilterForm, SettingsForm, choices
from ..models import EVENT_KINDS, CoordinationEvent, CoordinationKit

ACTIVITY_TEMPLATE = "coordination/events/activity.html"
ICS_TYPE = "text/calendar; charset=utf-8"


def register(bp) -> None:
    """Add this part's URL rules to the coordination blueprint."""
    def rule(path, view, endpoint, methods=("GET",)):
        bp.add_url_rule(path, view_func=view, endpoint=endpoint, methods=list(methods))

    rule("/events/", events, "events")
    rule("/events/calendar", month, "events_calendar")
    rule("/events/mine", mine, "my_events")
    rule("/events/new", limited("TERREAU_LIMIT_POST", new), "event_new", ("GET", "POST"))
    rule("/events/settings", settings, "event_settings", ("GET", "POST"))
    rule("/events/<int:event_id>", event, "event")
    rule("/events/<int:event_id>/state.json", state_json, "event_state")
    rule("/events/<int:event_id>.ics", event_ics, "event_ics")
    rule("/events/<int:event_id>/edit", edit, "event_edit", ("GET", "POST"))
    rule("/events/<int:event_id>/cancel", cancel, "event_cancel", ("POST",))
    rule("/events/<int:event_id>/answer", limited("TERREAU_LIMIT_POST", answer), "event_answer", ("POST",))
    rule("/events/<int:event_id>/attendees", attendees, "event_attendees")
    rule("/events/<int:event_id>/attendees/<int:member_id>/checkin", checkin, "event_checkin", ("POST",))
    rule("/events/<int:event_id>/attendees/<int:member_id>/uncheck", uncheck, "event_uncheck", ("POST",))
    rule("/calendars/", calendars, "calendars", ("GET", "POST"))
    rule("/calendars/public.ics", public_feed, "calendar_public")
    rule("/calendars/<token>/mine.ics", my_feed, "calendar_mine")
    rule("/calendars/<token>/group/<audience>.ics", group_feed, "calendar_group")


# --- helpers ----------------------------------------------------------------------------------


def _viewer():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _event_or_404(event_id: int) -> CoordinationEvent:
    item = service.get_event(event_id, _viewer())
    if item is None:
        abort(404)
    return item


def _managed_or_404(event_id: int) -> CoordinationEvent:
    item = _event_or_404(event_id)
    if not service.can_manage(_viewer(), item):
        abort(403)
    return item


def _when(starts_at, ends_at, tz_name) -> str:
    return service.when_text(starts_at, ends_at, tz_name, str(get_locale()))


def _group_choices(member) -> list[tuple[str, str]]:
    return [(value, label) for value, label in service.audience_choices(member) if value not in ("public", "members")]


def _kit_choices() -> list[tuple[str, str]]:
    kits = db.session.execute(select(CoordinationKit.id, CoordinationKit.title)
                              .where(CoordinationKit.archived_at.is_(None)).order_by(CoordinationKit.title)).all()
    return [("", _("No kit"))] + [(str(k.id), k.title) for k in kits]


def _prepare(form: EventForm, member, existing: CoordinationEvent | None = None) -> EventForm:
    pairs = service.audience_choices(member)
    if existing is not None and existing.audience not in {value for value, _label in pairs}:
        pairs.append((existing.audience, service.audience_label(existing.audience, member)))
    form.audience.choices = choices(pairs)
    form.kit_id.choices = choices(_kit_choices())
    return form


def _filters(member) -> tuple[FilterForm, service.Filters, list[str]]:
    """The filter form from the query string, the filters it gives, and messages about bad values."""
    form = FilterForm(request.args)
    group_pairs = [("", _("All"))] + (_group_choices(member) if member else [])
    form.group.choices = choices(group_pairs)
    messages = []
    raw_place = (form.place.data or "").strip()
    if raw_place == "me" and member is not None:
        raw_place = member.postal_code or ""
        form.place.data = raw_place
    department = service.normalise_department(raw_place)
    if raw_place and not department:
        messages.append(_("“%(place)s” is neither a postal code nor a department number.", place=raw_place))
    kind = form.kind.data if form.kind.data in EVENT_KINDS else ""
    groups = {value for value, _label in group_pairs}
    group = form.group.data if form.group.data in groups else ""
    return form, service.Filters(department=department, kind=kind, audience=group), messages


def _cursor(value: str | None):
    """"<iso start>~<id>" from a list's next link; None when absent or malformed (first page)."""
    if not value or "~" not in value:
        return None
    stamp, _sep, ident = value.partition("~")
    try:
        return datetime.fromisoformat(stamp), int(ident)
    except ValueError:
        return None


def _stamper():
    """A fast "medium" date-time formatter in the viewer's zone and language, for long lists
    (flask-babel's filter looks the locale and zone up again on every call)."""
    from zoneinfo import ZoneInfo

    from babel.dates import format_datetime

    locale, tz, utc = get_locale(), get_timezone(), ZoneInfo("UTC")
    return lambda value: format_datetime(value.replace(tzinfo=utc), "medium", tzinfo=tz, locale=locale)


def _item_labels() -> dict:
    """Translated once per page, not once per item (lazy strings translate at each use)."""
    return {"cancelled": _("Cancelled"), "online": _("online"), "repeats": _("repeats"),
            "kinds": {kind: str(label) for kind, label in KIND_LABELS.items()},
            "seats": _("%(going)d / %(capacity)d seats taken")}


def _filter_args(form: FilterForm) -> dict:
    return {k: v for k, v in (("place", form.place.data), ("kind", form.kind.data), ("group", form.group.data)) if v}


# --- finding events ---------------------------------------------------------------------------


def events():
    """Upcoming events the viewer may see (visitors: public ones), filtered, a page at a time."""
    member = _viewer()
    form, filters, messages = _filters(member)
    page, following = service.upcoming(member, filters, after=_cursor(request.args.get("after")))
    next_url = None
    if following is not None:
        next_url = url_for("coordination.events", after=f"{following[0].isoformat()}~{following[1]}",
                           **_filter_args(form))
    return render_template("coordination/events/list.html", occurrences=page, form=form, messages=messages,
                           when=_stamper(), labels=_item_labels(),
                           next_url=next_url, first_page=not request.args.get("after"), kinds=KIND_LABELS,
                           filters=filters, can_create=service.can_create(member), args=_filter_args(form))


def month():
    """A month as a grid (works without JavaScript), in the viewer's time zone."""
    member = _viewer()
    form, filters, messages = _filters(member)
    today = utcnow().date()
    raw = request.args.get("month", "")
    try:
        year, number = (int(x) for x in raw.split("-")) if raw else (today.year, today.month)
        first = date(year, number, 1)
    except ValueError:
        first = date(today.year, today.month, 1)
        if raw:
            messages.append(_("“%(month)s” is not a month such as 2026-05: here is the current month.", month=raw))
    tz_name = str(get_timezone())
    weeks = service.month_grid(member, first.year, first.month, tz_name, filters)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    locale = str(get_locale())
    list_url = url_for("coordination.events", **_filter_args(form))
    list_url += "&" if "?" in list_url else "?"

    def more_url(first_utc: datetime) -> str:
        """The list from that day on (its cursor: just before the day's first instant)."""
        return f"{list_url}after={(first_utc - timedelta(microseconds=1)).isoformat()}~0"

    return render_template("coordination/events/calendar.html", weeks=weeks, first=first, form=form,
                           month_title=format_date(first, "LLLL yyyy", locale=locale).capitalize(),
                           weekday_names=[get_day_names("abbreviated", locale=locale)[i] for i in range(7)],
                           more_url=more_url, events_url=url_for("coordination.events"),
                           cancelled_label=_("Cancelled"), messages=messages, kinds=KIND_LABELS,
                           args=_filter_args(form),
                           previous=previous.strftime("%Y-%m"), following=following.strftime("%Y-%m"),
                           today=today, per_day=service.CALENDAR_PER_DAY, tz_name=tz_name)


@login_required
def mine():
    member = current_user._get_current_object()
    return render_template("coordination/events/mine.html", answers=service.my_events(member),
                           organised=service.organised_by(member))


# --- one event --------------------------------------------------------------------------------


def _render_event(item: CoordinationEvent, status: int = 200, general=()):
    member = _viewer()
    now = utcnow()
    mine_row = service.rsvp_of(item.id, member.id) if member else None
    occurrences = service.expand(item, after=now, limit=6) if item.rrule else []
    return render_template(
        "coordination/events/view.html", event=item, counts=service.counts(item), rsvp=mine_row,
        position=service.waiting_position(item.id, member.id) if mine_row is not None else None,
        refusal=service.refusal(item, now), can_manage=service.can_manage(member, item),
        when=_when(item.starts_at, item.ends_at, item.timezone), repeat=service.describe_repeat(item),
        occurrences=occurrences, kinds=KIND_LABELS, room=service.event_room(item.id),
        audience=service.audience_label(item.audience, member), place=service.place_text(item),
        co_organisers=_co_organisers(item), general=list(general),
        description=service.description_html(item), is_past=service.is_past(item, now)), status


def _co_organisers(item) -> list[Member]:
    ids = service.co_organiser_ids(item.id)
    return list(db.session.scalars(select(Member).where(Member.id.in_(ids)))) if ids else []


def event(event_id: int):
    return _render_event(_event_or_404(event_id))


def state_json(event_id: int):
    """The live page's catch-up: counts, cancellation, and the viewer's own answer (never names)."""
    item = _event_or_404(event_id)
    member = _viewer()
    row = service.rsvp_of(item.id, member.id) if member else None
    position = service.waiting_position(item.id, member.id) if row is not None else None
    refusal = service.refusal(item)
    panel = render_template("coordination/events/_answer.html", event=item, rsvp=row, position=position,
                            refusal=refusal)
    return jsonify(event=item.id, counts=service.counts(item), capacity=item.capacity,
                   cancelled=item.cancelled_at is not None, sequence=item.sequence,
                   status=row.status if row else None, position=position, panel=panel)


@login_required
def answer(event_id: int):
    item = _event_or_404(event_id)
    status = request.form.get("status", "")
    try:
        stored = service.answer(current_user._get_current_object(), item, status)
    except service.EventError as exc:
        return _render_event(item, status=422, general=error_messages(exc.errors))
    messages = {
        "going": _("You are going. See you there!"),
        "waiting": _("The event is full: you are on the waiting list. If a seat frees, it is yours and you are told."),
        "maybe": _("Your answer is saved: maybe."),
        "not_going": _("Your answer is saved: not going."),
    }
    flash(messages[stored], "success" if stored != "waiting" else "info")
    return redirect(url_for("coordination.event", event_id=item.id))


@login_required
def new():
    member = current_user._get_current_object()
    if not service.can_create(member):
        abort(403)
    form = _prepare(EventForm(), member)
    if request.method != "POST":
        form.timezone.data = service.default_zone()
        form.kind.data = "meeting"
        form.audience.data = request.args.get("audience", "members")
        return render_template("coordination/events/form.html", form=form, general=[], editing=None,
                               zones=service.zone_choices())
    general = []
    if form.validate_on_submit():
        try:
            created = service.create_event(member, form.values())
        except service.EventError as exc:
            general = add_errors(form, exc.errors)
        else:
            flash(_("The event is published."), "success")
            return redirect(url_for("coordination.event", event_id=created.id))
    return render_template("coordination/events/form.html", form=form, general=general, editing=None,
                           zones=service.zone_choices()), 422


def _form_values(item: CoordinationEvent) -> service.EventInput:
    repeat, count, until = service.repeat_choice(item)
    handles = db.session.scalars(select(Member.handle).where(Member.id.in_(service.co_organiser_ids(item.id))))
    return service.EventInput(
        title=item.title, description=item.description, kind=item.kind,
        starts_at=service.local_input(item.starts_at, item.timezone),
        ends_at=service.local_input(item.ends_at, item.timezone), timezone=item.timezone,
        place_name=item.place_name, address=item.address, commune=item.commune, postal_code=item.postal_code,
        online_url=item.online_url, capacity=str(item.capacity or ""), audience=item.audience,
        co_organisers=", ".join(sorted(handles)), kit_id=str(item.kit_id or ""), repeat=repeat,
        repeat_count=count, repeat_until=until)


@login_required
def edit(event_id: int):
    item = _managed_or_404(event_id)
    member = current_user._get_current_object()
    form = _prepare(EventForm(), member, item)
    if item.cancelled_at is not None:
        flash(_("This event is cancelled: it cannot be changed."), "info")
        return redirect(url_for("coordination.event", event_id=item.id))
    if request.method != "POST":
        form.fill(_form_values(item))
        return render_template("coordination/events/form.html", form=form, general=[], editing=item,
                               zones=service.zone_choices())
    general = []
    if form.validate_on_submit():
        try:
            changed = service.update_event(member, item, form.values())
        except service.EventError as exc:
            general = add_errors(form, exc.errors)
        else:
            flash(_("The event is saved; the members who answered are told of the new time or place.") if changed
                  else _("The event is saved."), "success")
            return redirect(url_for("coordination.event", event_id=item.id))
    return render_template("coordination/events/form.html", form=form, general=general, editing=item,
                           zones=service.zone_choices()), 422


@login_required
def cancel(event_id: int):
    item = _managed_or_404(event_id)
    try:
        service.cancel_event(current_user._get_current_object(), item)
    except service.EventError as exc:
        return _render_event(item, status=422, general=error_messages(exc.errors))
    flash(_("The event is cancelled; the members who answered are told."), "success")
    return redirect(url_for("coordination.event", event_id=item.id))


@login_required
def attendees(event_id: int):
    item = _managed_or_404(event_id)
    return render_template("coordination/events/attendees.html", event=item, rows=service.attendees(item),
                           counts=service.counts(item), when=_when(item.starts_at, item.ends_at, item.timezone))


@login_required
def checkin(event_id: int, member_id: int):
    item = _managed_or_404(event_id)
    try:
        service.check_in(current_user._get_current_object(), item, member_id)
    except service.EventError as exc:
        flash(" ".join(error_messages(exc.errors)), "error")
        return redirect(url_for("coordination.event_attendees", event_id=item.id))
    flash(_("Checked in."), "success")
    return redirect(url_for("coordination.event_attendees", event_id=item.id, _anchor=f"attendee-{member_id}"))


@login_required
def uncheck(event_id: int, member_id: int):
    item = _managed_or_404(event_id)
    try:
        service.undo_check_in(current_user._get_current_object(), item, member_id)
    except service.EventError as exc:
        flash(" ".join(error_messages(exc.errors)), "error")
    else:
        flash(_("Check-in taken back."), "success")
    return redirect(url_for("coordination.event_attendees", event_id=item.id, _anchor=f"attendee-{member_id}"))


# --- iCalendar --------------------------------------------------------------------------------


def _ics(body: str, *, filename: str | None = None, last_modified=None) -> Response:
    """A calendar response; feeds answer conditional GETs (ETag, Last-Modified) with 304."""
    response = Response(body, content_type=ICS_TYPE)
    response.set_etag(sha256(body.encode("utf-8")).hexdigest()[:32])
    if last_modified is not None:
        response.last_modified = last_modified
    response.headers["Cache-Control"] = "private, max-age=300" if filename is None else "private, no-cache"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response.make_conditional(request)


def event_ics(event_id: int):
    item = _event_or_404(event_id)
    body = calendar_ics.calendar([item], current_app.config["TERREAU_NAME"])
    return _ics(body, filename=f"event-{item.id}.ics", last_modified=item.updated_at)


def public_feed():
    """The movement's public calendar: public events only, for anyone (no attendee in it)."""
    items = service.feed_events(["public"])
    name = _("%(site)s: public events", site=current_app.config["TERREAU_NAME"])
    return _ics(calendar_ics.calendar(items, name), last_modified=calendar_ics.last_modified(items))


def _token_member_or_404(token: str) -> Member:
    member = service.member_for_token(token)
    if member is None:
        abort(404)
    return member


def my_feed(token: str):
    member = _token_member_or_404(token)
    items = service.member_feed_events(member)
    name = _("%(site)s: my events", site=current_app.config["TERREAU_NAME"])
    return _ics(calendar_ics.calendar(items, name), last_modified=calendar_ics.last_modified(items))


def group_feed(token: str, audience: str):
    """A group's calendar, for the group's members only (the token says who asks)."""
    member = _token_member_or_404(token)
    groups = dict(_group_choices(member))
    if audience not in groups:
        abort(404)
    items = service.feed_events([audience])
    name = f"{current_app.config['TERREAU_NAME']}: {groups[audience]}"
    return _ics(calendar_ics.calendar(items, name), last_modified=calendar_ics.last_modified(items))


@login_required
def calendars():
    """The member's calendar links: create, regenerate or revoke the private token."""
    member = current_user._get_current_object()
    token = None
    if request.method == "POST":
        action = request.form.get("action")
        if action == "revoke":
            if service.revoke_calendar_token(member):
                flash(_("Your private calendar links are revoked: they no longer work anywhere."), "success")
            return redirect(url_for("coordination.calendars"))
        if action == "create":
            token = service.new_calendar_token(member)
        else:
            abort(400)
    from ..models import CoordinationCalendarToken

    existing = db.session.get(CoordinationCalendarToken, member.id)
    base = current_app.config["TERREAU_BASE_URL"].rstrip("/")
    return render_template("coordination/events/calendars.html", token=token, existing=existing, base=base,
                           public_url=base + url_for("coordination.calendar_public"),
                           groups=_group_choices(member))


# --- settings ---------------------------------------------------------------------------------


@role_required("admin")
def settings():
    form = SettingsForm()
    if request.method == "GET":
        form.members_create_events.data = "1" if module_setting("coordination", "members_create_events") else "0"
        form.reminder_hours.data = str(module_setting("coordination", "reminder_hours"))
        return render_template("coordination/events/settings.html", form=form)
    raw = (form.reminder_hours.data or "").strip()
    if form.validate_on_submit() and raw.isdigit() and 1 <= int(raw) <= 168:
        set_module_setting("coordination", "members_create_events", form.members_create_events.data == "1",
                           current_user)
        set_module_setting("coordination", "reminder_hours", int(raw), current_user)
        db.session.commit()
        flash(_("The event settings are saved."), "success")
        return redirect(url_for("coordination.event_settings"))
    form.reminder_hours.errors = [_("Between 1 and 168 hours.")]
    return render_template("coordination/events/settings.html", form=form), 422


# --- declarations -----------------------------------------------------------------------------


def _load_event(ident: str) -> ContentRef | None:
    item = db.session.get(CoordinationEvent, int(ident)) if ident.isdigit() else None
    viewer = current_user if has_request_context() and current_user.is_authenticated else None
    if item is None or (viewer is not None and item.audience not in service.audiences_of(viewer)
                        and not service.can_manage(viewer, item)):
        return None
    return ContentRef(title=item.title, endpoint="coordination.event", args={"event_id": item.id},
                      author_id=item.organiser_id, excerpt=item.description[:300])


def _may_join(member, ident: str) -> bool:
    """Socket room "coordination:event:<id>": whoever may see the event."""
    return ident.isdigit() and service.get_event(int(ident), member) is not None


def _nav(member):
    items = [NavItem("coordination.events", _l("Events"), "main", 31),
             NavItem("coordination.events_calendar", _l("Calendar of events"), "main", 32)]
    if member.is_authenticated:
        items += [NavItem("coordination.my_events", _l("My events"), "user", 43),
                  NavItem("coordination.calendars", _l("Calendar links"), "user", 44)]
        if service.can_create(member):
            items.append(NavItem("coordination.event_new", _l("Plan an event"), "main", 33))
        if member.has_role("admin"):
            items.append(NavItem("coordination.event_settings", _l("Event settings"), "admin", 64))
    return tuple(items)


def _reminders(now):
    return service.send_reminders(now)


def _seed_demo(ctx) -> None:
    from ..events_demo import seed_demo

    seed_demo(ctx)


PART = Part(
    register=register,
    name="events",
    activity_kinds={
        "coordination.event_created": shared_kind(ACTIVITY_TEMPLATE, _l("An event is planned")),
        "coordination.event_changed": shared_kind(
            ACTIVITY_TEMPLATE, _l("An event you answered changes time or place")),
        "coordination.event_cancelled": shared_kind(ACTIVITY_TEMPLATE, _l("An event you answered is cancelled")),
        "coordination.promoted": shared_kind(
            ACTIVITY_TEMPLATE, _l("A seat frees at an event where you are on the waiting list")),
        "coordination.checkin": shared_kind(ACTIVITY_TEMPLATE),
        "coordination.reminder": shared_kind(ACTIVITY_TEMPLATE, _l("Event reminders")),
    },
    content_kinds={"coordination.event": ContentKind(_l("Event"), _load_event)},
    nav_items=_nav,
    rooms={"event": _may_join},
    settings={"members_create_events": False,  # True: every member may plan events, not only organisers
              "reminder_hours": 24},  # reminders leave this long before each event
    jobs=(Job("coordination.event_reminders", timedelta(minutes=5), _reminders),),
    seed_demo=_seed_demo,
    export_data=service.export_data,
)
