"""The campaigns part of the coordination module: door-to-door, leafleting and phone campaigns
with sectors, teams, assignments, shifts, field reports and a live dashboard.

The rules live in ``campaigns_service.py``; these views parse forms, check rights and render. The
campaign page joins the socket room ``coordination:campaign:<id>``; each report sends
``coordination.campaign`` there (ids only), and the page then fetches ``progress.json``, which
checks rights like the page itself.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import DateField, DateTimeLocalField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from community.activity import email_enabled, set_email_enabled
from community.extensions import db
from community.forms import add_errors, error_messages
from community.models import Member
from community.models.member import ROLE_RANK
from community.parts import Part
from community.ratelimits import limited
from community.registry import Job, NavItem, shared_kind
from community.timeutil import utcnow

from .. import campaigns_service as service
from .. import kits_service
from ..models import REPORT_COUNTS

LOCAL_INPUT = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
KIND_LABELS = {"door_to_door": _l("Door-to-door"), "leafleting": _l("Leafleting"), "phone": _l("Phone")}
UNIT_LABELS = {"doors_knocked": _l("doors knocked"), "leaflets": _l("leaflets distributed"), "calls": _l("calls")}
COUNT_LABELS = {"doors_knocked": _l("Doors knocked"), "doors_opened": _l("Doors opened"),
                "conversations": _l("Conversations"), "leaflets": _l("Leaflets distributed"), "calls": _l("Calls"),
                "interested": _l("People who want to hear more")}


def register(bp) -> None:
    """Add this part's URL rules to the coordination blueprint."""
    rules = [
        ("/campaigns/", campaigns, "campaigns", ["GET"]),
        ("/campaigns/new", limited("TERREAU_LIMIT_POST", campaign_new), "campaign_new", ["GET", "POST"]),
        ("/campaigns/<int:campaign_id>", campaign, "campaign", ["GET"]),
        ("/campaigns/<int:campaign_id>/edit", campaign_edit, "campaign_edit", ["GET", "POST"]),
        ("/campaigns/<int:campaign_id>/close", campaign_close, "campaign_close", ["POST"]),
        ("/campaigns/<int:campaign_id>/progress.json", progress_json, "campaign_progress_json", ["GET"]),
        ("/campaigns/<int:campaign_id>/export.csv", export_csv, "campaign_export_csv", ["GET"]),
        ("/campaigns/<int:campaign_id>/manage", manage, "campaign_manage", ["GET"]),
        ("/campaigns/<int:campaign_id>/sectors/add", sectors_add, "sectors_add", ["POST"]),
        ("/campaigns/<int:campaign_id>/sectors/import", sectors_import, "sectors_import", ["POST"]),
        ("/campaigns/<int:campaign_id>/sectors/<int:sector_id>/delete", sector_delete, "sector_delete", ["POST"]),
        ("/campaigns/<int:campaign_id>/assign", assign, "assign", ["POST"]),
        ("/campaigns/<int:campaign_id>/assignments/<int:assignment_id>/delete", unassign, "unassign", ["POST"]),
        ("/campaigns/<int:campaign_id>/teams", team_new, "team_new", ["POST"]),
        ("/campaigns/<int:campaign_id>/teams/<int:team_id>/members", team_member_add, "team_member_add", ["POST"]),
        ("/campaigns/<int:campaign_id>/teams/<int:team_id>/members/<int:member_id>/remove", team_member_remove,
         "team_member_remove", ["POST"]),
        ("/campaigns/<int:campaign_id>/teams/<int:team_id>/delete", team_delete, "team_delete", ["POST"]),
        ("/campaigns/<int:campaign_id>/shifts", shift_new, "shift_new", ["POST"]),
        ("/campaigns/<int:campaign_id>/shifts/<int:shift_id>/signup", limited("TERREAU_LIMIT_POST", shift_signup),
         "shift_signup", ["POST"]),
        ("/campaigns/<int:campaign_id>/shifts/<int:shift_id>/withdraw", shift_withdraw, "shift_withdraw", ["POST"]),
        ("/campaigns/<int:campaign_id>/shifts/<int:shift_id>/cancel", shift_cancel, "shift_cancel", ["POST"]),
        ("/campaigns/<int:campaign_id>/report", limited("TERREAU_LIMIT_POST", report), "campaign_report",
         ["GET", "POST"]),
        ("/mine", mine, "mine", ["GET"]),
    ]
    for rule, view, endpoint, methods in rules:
        bp.add_url_rule(rule, view_func=view, endpoint=endpoint, methods=methods)
    bp.add_app_template_filter(service.format_shift_time, "shift_time")
    bp.add_app_template_filter(lambda value: format_date(value, "medium") if value else "", "campaign_date")


# --- forms ------------------------------------------------------------------------------------


class CampaignForm(FlaskForm):
    # Emptiness, numbers and dates are checked by campaigns_service.validate_campaign().
    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description"), description=_l(
        "Markdown. The aim, the message, the practical details."))
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, label) for k, label in KIND_LABELS.items()],
                       validate_choice=False)
    goal = StringField(_l("Goal"), description=_l(
        "In the campaign's main count: doors knocked (door-to-door), leaflets distributed (leafleting) "
        "or calls (phone)."))
    starts_on = DateField(_l("First day"), validators=[Optional()])
    ends_on = DateField(_l("Last day"), validators=[Optional()])
    audience = SelectField(_l("For"), choices=[], validate_choice=False)
    kit = SelectField(_l("Kit"), choices=[], validate_choice=False, description=_l(
        "The materials, talking points and script volunteers see with their sectors."))


class SectorTextForm(FlaskForm):
    # Its own id: "sectors" is the id of the manage page's section (the assign redirect's anchor).
    sectors = TextAreaField(_l("Sectors"), id="sector_lines", description=_l(
        "One sector per line: name ; detail ; target. For example: Rue de la Paix ; numbers 1 to 40 ; 40. "
        "The detail and the target are optional."))


class SectorFileForm(FlaskForm):
    file = FileField(_l("CSV file"), description=_l(
        "UTF-8, first line exactly name,detail,target (comma or semicolon separated). Nothing is imported if a "
        "line is wrong: the message says which one."))


class AssignForm(FlaskForm):
    sector = SelectField(_l("Sector"), choices=[], validate_choice=False)
    handle = StringField(_l("Volunteer (handle)"), description=_l("Or choose a team."))
    team = SelectField(_l("Team"), choices=[], validate_choice=False)


class TeamForm(FlaskForm):
    name = StringField(_l("Team name"))


class TeamMemberForm(FlaskForm):
    # Its own id: the assign form on the same page has a "handle" field too.
    handle = StringField(_l("Add a member (handle)"), id="team_member_handle")


class ShiftForm(FlaskForm):
    starts_at = DateTimeLocalField(_l("Starts"), validators=[Optional()], format=LOCAL_INPUT)
    ends_at = DateTimeLocalField(_l("Ends"), validators=[Optional()], format=LOCAL_INPUT)
    meeting_point = StringField(_l("Meeting point"))
    needed = StringField(_l("Volunteers needed"))


class ReportForm(FlaskForm):
    sector = SelectField(_l("Sector"), choices=[], validate_choice=False)
    shift = SelectField(_l("Shift (optional)"), choices=[], validate_choice=False)
    doors_knocked = StringField(COUNT_LABELS["doors_knocked"])
    doors_opened = StringField(COUNT_LABELS["doors_opened"])
    conversations = StringField(COUNT_LABELS["conversations"])
    leaflets = StringField(COUNT_LABELS["leaflets"])
    calls = StringField(COUNT_LABELS["calls"])
    interested = StringField(COUNT_LABELS["interested"])


# --- helpers ------------------------------------------------------------------------------------


def _campaign_or_404(campaign_id: int):
    item = service.get_campaign(campaign_id, current_user)
    if item is None:
        abort(404)
    return item


def _managed_or_403(campaign_id: int):
    item = _campaign_or_404(campaign_id)
    if not service.can_manage(current_user, item):
        abort(403)
    return item


def _int(value) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isdigit() else None


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in pairs]


def _kit_choices() -> list[SelectChoice]:
    return _choices([("", _("No kit")), *kits_service.kit_choices()])


def _campaign_form(item=None) -> CampaignForm:
    form = CampaignForm()
    pairs = service.audience_choices(current_user)
    if item is not None and item.audience not in {value for value, _label in pairs}:
        pairs.append((item.audience, service.audience_label(item.audience, current_user)))
    form.audience.choices = _choices(pairs)
    form.kit.choices = _kit_choices()
    if item is not None and request.method != "POST":
        for name in ("title", "description", "kind", "starts_on", "ends_on", "audience"):
            getattr(form, name).data = getattr(item, name)
        form.goal.data = str(item.goal)
        form.kit.data = str(item.kit_id or "")
    return form


def _campaign_input(form: CampaignForm) -> service.CampaignInput:
    return service.CampaignInput(
        title=form.title.data or "", description=form.description.data or "", kind=form.kind.data or "",
        goal=form.goal.data or "", starts_on=form.starts_on.data, ends_on=form.ends_on.data,
        audience=form.audience.data or "", kit_id=_int(form.kit.data))


def _date_errors(form: CampaignForm) -> dict:
    """A date the browser sent that is not a date: the field's own message, in the member's language."""
    errors = {}
    for name in ("starts_on", "ends_on"):
        if getattr(form, name).raw_data and getattr(form, name).raw_data[0] and getattr(form, name).data is None:
            errors[name] = [_("Give a date as YYYY-MM-DD.")]
            getattr(form, name).errors = []
    return errors


# --- campaigns ----------------------------------------------------------------------------------


@login_required
def campaigns():
    items = service.list_campaigns(current_user)
    today = service.to_movement_time(utcnow()).date()
    return render_template("coordination/campaigns/list.html", items=items, kinds=KIND_LABELS,
                           states={c.id: service.state(c, today) for c in items},
                           can_create=service.is_staff(current_user))


def _save(item=None):
    form = _campaign_form(item)
    template = "coordination/campaigns/form.html"
    if request.method != "POST":
        if item is None:
            today = service.to_movement_time(utcnow()).date()
            form.starts_on.data, form.ends_on.data = today, today + timedelta(days=30)
        return render_template(template, form=form, item=item, general=[])
    valid = form.validate_on_submit()
    date_errors = _date_errors(form)
    general: list = []
    if valid and not date_errors:
        try:
            saved = service.save_campaign(current_user, _campaign_input(form), item)
        except service.CampaignError as exc:
            general = add_errors(form, exc.errors)
        else:
            flash(_("The campaign is saved.") if item else _("The campaign is created. Add its sectors and shifts."),
                  "success")
            return redirect(url_for("coordination.campaign_manage" if item is None else "coordination.campaign",
                                    campaign_id=saved.id))
    else:
        # A malformed date: give the other fields' messages too, in one round.
        _clean, problems = service.validate_campaign(current_user, _campaign_input(form),
                                                     item.audience if item else None)
        problems.update(date_errors)
        general = add_errors(form, problems)
    return render_template(template, form=form, item=item, general=general), 422


@login_required
def campaign_new():
    if not service.is_staff(current_user):
        abort(403)
    return _save()


@login_required
def campaign_edit(campaign_id: int):
    return _save(_managed_or_403(campaign_id))


def _render_campaign(item, *, shift_form=None, general=(), status: int = 200):
    shifts = service.shifts_of(item.id)
    manage = service.can_manage(current_user, item)
    return render_template(
        "coordination/campaigns/view.html", campaign=item, kinds=KIND_LABELS, units=UNIT_LABELS,
        count_labels=COUNT_LABELS, counts=REPORT_COUNTS, state=service.state(item),
        description=service.description_html(item), progress=service.progress(item), shifts=shifts,
        signed=service.my_signups(current_user.id, [s.id for s in shifts]),
        rosters=service.rosters(item.id) if manage else {}, can_manage=manage,
        my_sectors=[sector for sector, _campaign in service.my_sectors(current_user, item.id)],
        audience=service.audience_label(item.audience, current_user), room=service.campaign_room(item.id),
        shift_form=shift_form or ShiftForm(), general=list(general), now=utcnow(),
        remind=email_enabled(current_user.id, service.REMINDER_VERB), zone=service.movement_zone().key), status


@login_required
def campaign(campaign_id: int):
    return _render_campaign(_campaign_or_404(campaign_id))


@login_required
def campaign_close(campaign_id: int):
    item = _managed_or_403(campaign_id)
    closing = item.closed_at is None
    service.set_closed(current_user, item, closing)
    flash(_("The campaign is closed.") if closing else _("The campaign is open again."), "success")
    return redirect(url_for("coordination.campaign", campaign_id=item.id))


@login_required
def progress_json(campaign_id: int):
    """The live dashboard's data: the totals per sector and overall (rights as for the page)."""
    item = _campaign_or_404(campaign_id)
    return {"campaign": item.id, **service.progress(item).as_json()}


@login_required
def export_csv(campaign_id: int):
    item = _managed_or_403(campaign_id)
    return Response(service.progress_csv(item), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="campaign-{item.id}.csv"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


# --- sectors, teams and assignments (organisers) -------------------------------------------------


def _render_manage(item, *, text_form=None, file_form=None, assign_form=None, team_form=None,
                   member_form=None, member_team=None, general=(), status: int = 200):
    sectors = service.sectors_of(item.id)
    teams = service.teams_of(item.id)
    assign_form = assign_form or AssignForm()
    assign_form.sector.choices = _choices((s.id, s.name) for s in sectors)
    assign_form.team.choices = _choices([("", _("No team")), *((t.id, t.name) for t, _members in teams)])
    return render_template(
        "coordination/campaigns/manage.html", campaign=item, sectors=sectors, teams=teams,
        assignments=service.assignments_of(item.id), text_form=text_form or SectorTextForm(),
        file_form=file_form or SectorFileForm(), assign_form=assign_form, team_form=team_form or TeamForm(),
        member_form=member_form or TeamMemberForm(), member_team=member_team, general=list(general)), status


@login_required
def manage(campaign_id: int):
    return _render_manage(_managed_or_403(campaign_id))


@login_required
def sectors_add(campaign_id: int):
    item = _managed_or_403(campaign_id)
    form = SectorTextForm()
    if not form.validate_on_submit():
        return _render_manage(item, text_form=form, status=422)
    try:
        rows = service.parse_sector_text(form.sectors.data or "", service.existing_sector_names(item.id))
        if not rows:
            raise service.CampaignError({"sectors": [_("Write at least one sector.")]})
        added = service.add_sectors(current_user, item, rows)
    except service.CampaignError as exc:
        return _render_manage(item, text_form=form, general=add_errors(form, exc.errors), status=422)
    flash(_("%(n)d sector(s) added.", n=added), "success")
    return redirect(url_for("coordination.campaign_manage", campaign_id=item.id))


@login_required
def sectors_import(campaign_id: int):
    item = _managed_or_403(campaign_id)
    form = SectorFileForm()
    if not form.validate_on_submit():
        return _render_manage(item, file_form=form, status=422)
    upload = form.file.data
    data = upload.stream.read(2 * 1024 * 1024 + 1) if upload else b""
    try:
        if not data:
            raise service.CampaignError({"file": [_("Choose a CSV file.")]})
        if len(data) > 2 * 1024 * 1024:
            raise service.CampaignError({"file": [_("The file is too large (at most %(n)d MB).", n=2)]})
        rows = service.parse_sector_csv(data, service.existing_sector_names(item.id))
        added = service.add_sectors(current_user, item, rows)
    except service.CampaignError as exc:
        return _render_manage(item, file_form=form, general=add_errors(form, exc.errors), status=422)
    flash(_("%(n)d sector(s) imported.", n=added), "success")
    return redirect(url_for("coordination.campaign_manage", campaign_id=item.id))


def _simple(item, action, success, **kwargs):
    """Run a one-button organiser action; its refusal comes back as a message on the manage page."""
    try:
        action(current_user, item, **kwargs)
    except service.CampaignError as exc:
        return _render_manage(item, general=error_messages(exc.errors), status=422)
    flash(success, "success")
    return redirect(url_for("coordination.campaign_manage", campaign_id=item.id))


@login_required
def sector_delete(campaign_id: int, sector_id: int):
    return _simple(_managed_or_403(campaign_id), service.delete_sector, _("The sector is deleted."),
                   sector_id=sector_id)


@login_required
def assign(campaign_id: int):
    item = _managed_or_403(campaign_id)
    form = AssignForm()
    if not form.validate_on_submit():
        return _render_manage(item, assign_form=form, status=422)
    try:
        service.assign(current_user, item, _int(form.sector.data), handle=form.handle.data or "",
                       team_id=_int(form.team.data))
    except service.CampaignError as exc:
        return _render_manage(item, assign_form=form, general=add_errors(form, exc.errors), status=422)
    flash(_("The sector is assigned."), "success")
    return redirect(url_for("coordination.campaign_manage", campaign_id=item.id, _anchor="sectors"))


@login_required
def unassign(campaign_id: int, assignment_id: int):
    return _simple(_managed_or_403(campaign_id), service.unassign, _("The assignment is removed."),
                   assignment_id=assignment_id)


@login_required
def team_new(campaign_id: int):
    item = _managed_or_403(campaign_id)
    form = TeamForm()
    if not form.validate_on_submit():
        return _render_manage(item, team_form=form, status=422)
    try:
        service.create_team(current_user, item, form.name.data or "")
    except service.CampaignError as exc:
        return _render_manage(item, team_form=form, general=add_errors(form, exc.errors), status=422)
    flash(_("The team is created."), "success")
    return redirect(url_for("coordination.campaign_manage", campaign_id=item.id, _anchor="teams"))


@login_required
def team_member_add(campaign_id: int, team_id: int):
    item = _managed_or_403(campaign_id)
    form = TeamMemberForm()
    if not form.validate_on_submit():
        return _render_manage(item, member_form=form, member_team=team_id, status=422)
    try:
        service.add_team_member(current_user, item, team_id, form.handle.data or "")
    except service.CampaignError as exc:
        return _render_manage(item, member_form=form, member_team=team_id, general=add_errors(form, exc.errors),
                              status=422)
    flash(_("The member is added to the team."), "success")
    return redirect(url_for("coordination.campaign_manage", campaign_id=item.id, _anchor="teams"))


@login_required
def team_member_remove(campaign_id: int, team_id: int, member_id: int):
    return _simple(_managed_or_403(campaign_id), service.remove_team_member, _("The member left the team."),
                   team_id=team_id, member_id=member_id)


@login_required
def team_delete(campaign_id: int, team_id: int):
    return _simple(_managed_or_403(campaign_id), service.delete_team, _("The team is deleted."), team_id=team_id)


# --- shifts ---------------------------------------------------------------------------------------


@login_required
def shift_new(campaign_id: int):
    item = _managed_or_403(campaign_id)
    form = ShiftForm()
    valid = form.validate_on_submit()
    errors = {name: [_("Give a date and a time.")] for name in ("starts_at", "ends_at")
              if getattr(form, name).raw_data and getattr(form, name).raw_data[0] and getattr(form, name).data is None}
    for name in errors:
        getattr(form, name).errors = []
    if valid and not errors:
        try:
            service.create_shift(current_user, item, starts_local=form.starts_at.data, ends_local=form.ends_at.data,
                                 meeting_point=form.meeting_point.data or "", needed=form.needed.data or "")
        except service.CampaignError as exc:
            errors = exc.errors
        else:
            flash(_("The shift is added."), "success")
            return redirect(url_for("coordination.campaign", campaign_id=item.id, _anchor="shifts"))
    return _render_campaign(item, shift_form=form, general=add_errors(form, errors), status=422)


def _shift_or_404(item, shift_id: int):
    shift = service.get_shift(item, shift_id)
    if shift is None:
        abort(404)
    return shift


@login_required
def shift_signup(campaign_id: int, shift_id: int):
    item = _campaign_or_404(campaign_id)
    shift = _shift_or_404(item, shift_id)
    try:
        service.sign_up(current_user, item, shift)
    except service.CampaignError as exc:
        flash(str(exc), "error")
    else:
        remind = request.form.get("remind") == "on"
        set_email_enabled(current_user.id, service.REMINDER_VERB, remind)
        db.session.commit()
        flash(_("You are signed up. You will get a reminder by e-mail before the shift.") if remind else
              _("You are signed up."), "success")
    return redirect(url_for("coordination.campaign", campaign_id=item.id, _anchor=f"shift-{shift_id}"))


@login_required
def shift_withdraw(campaign_id: int, shift_id: int):
    item = _campaign_or_404(campaign_id)
    _shift_or_404(item, shift_id)
    if service.cancel_signup(current_user.id, shift_id):
        flash(_("Your sign-up is cancelled: the place is free for someone else."), "success")
    else:
        flash(_("You were not signed up for this shift."), "error")
    return redirect(url_for("coordination.campaign", campaign_id=item.id, _anchor=f"shift-{shift_id}"))


@login_required
def shift_cancel(campaign_id: int, shift_id: int):
    item = _managed_or_403(campaign_id)
    service.cancel_shift(current_user, item, _shift_or_404(item, shift_id))
    flash(_("The shift is cancelled."), "success")
    return redirect(url_for("coordination.campaign", campaign_id=item.id, _anchor="shifts"))


# --- field reports ------------------------------------------------------------------------------


@login_required
def report(campaign_id: int):
    item = _campaign_or_404(campaign_id)
    form = ReportForm()
    mine_here = [sector for sector, _campaign in service.my_sectors(current_user, item.id)]
    form.sector.choices = _choices((s.id, s.name) for s in mine_here)
    form.shift.choices = _choices([("", _("None")), *((s.id, service.format_shift_time(s.starts_at))
                                                     for s in service.report_shift_choices(current_user.id, item.id))])
    if request.method != "POST":
        if request.args.get("sector"):
            form.sector.data = request.args.get("sector")
        return render_template("coordination/campaigns/report.html", campaign=item, form=form, general=[],
                               sectors=mine_here, unit=service.main_count(item))
    general: list = []
    if form.validate_on_submit():
        try:
            service.submit_report(current_user, item, sector_id=_int(form.sector.data),
                                  raw_counts={name: getattr(form, name).data for name in REPORT_COUNTS},
                                  shift_id=_int(form.shift.data))
        except service.CampaignError as exc:
            general = add_errors(form, exc.errors)
        else:
            flash(_("Thank you: your report is counted."), "success")
            return redirect(url_for("coordination.campaign", campaign_id=item.id))
    return render_template("coordination/campaigns/report.html", campaign=item, form=form, general=general,
                           sectors=mine_here, unit=service.main_count(item)), 422


@login_required
def mine():
    """My sectors (directly or through a team) with their campaigns' kits and scripts, and my shifts."""
    sectors = service.my_sectors(current_user)
    by_campaign: dict[int, tuple] = {}
    for sector, item in sectors:
        by_campaign.setdefault(item.id, (item, []))[1].append(sector)
    return render_template("coordination/campaigns/mine.html", groups=list(by_campaign.values()),
                           shifts=service.my_shifts(current_user), now=utcnow(), kinds=KIND_LABELS)


# --- declarations -----------------------------------------------------------------------------


def _may_join(member, ident: str) -> bool:
    """Socket room "coordination:campaign:<id>": whoever may see the campaign."""
    return ident.isdigit() and service.get_campaign(int(ident), member) is not None


def audiences(member):
    """Organisers (and above) see the organisers' activities (field reports)."""
    return [service.ORGANISERS_AUDIENCE] if service.is_staff(member) else []


def audiences_of_many(member_ids: list[int]) -> dict[int, list[str]]:
    """audiences() for many members, one query per 500 ids (the bridging scores read thousands;
    without it the core loads every one of them as an ORM object): the active organisers and up."""
    staff = [role for role, rank in ROLE_RANK.items() if rank >= ROLE_RANK[service.STAFF_ROLE]]
    result: dict[int, list[str]] = {}
    for start in range(0, len(member_ids), 500):
        for (member_id,) in db.session.execute(select(Member.id).where(
                Member.id.in_(member_ids[start:start + 500]), Member.role.in_(staff),
                Member.suspended_at.is_(None), Member.erased_at.is_(None))):
            result[member_id] = [service.ORGANISERS_AUDIENCE]
    return result


def _nav(member):
    if not member.is_authenticated:
        return ()
    return (NavItem("coordination.campaigns", _l("Campaigns"), "main", 36),
            NavItem("coordination.mine", _l("My sectors and shifts"), "main", 37))


def _reminders(now):
    return service.send_shift_reminders(now)


ACTIVITY_TEMPLATE = "coordination/campaigns/activity.html"

PART = Part(
    register=register,
    name="campaigns",
    activity_kinds={
        "coordination.report": shared_kind(ACTIVITY_TEMPLATE, _l("A volunteer sends a field report")),
        # Opt-in like every e-mail: the sign-up form offers the choice ("remind me by e-mail").
        service.REMINDER_VERB: shared_kind(ACTIVITY_TEMPLATE, _l("A reminder before a shift you signed up for")),
        "coordination.shift_cancelled": shared_kind(ACTIVITY_TEMPLATE, _l("A shift you signed up for is cancelled")),
        "coordination.campaign_closed": shared_kind(ACTIVITY_TEMPLATE,
                                                     _l("A campaign you signed up for is closed")),
    },
    nav_items=_nav,
    rooms={"campaign": _may_join},
    settings={"shift_reminder_hours": 24},
    jobs=(Job("coordination.shift_reminders", timedelta(minutes=5), _reminders),),
    audiences=audiences,
    audiences_of_many=audiences_of_many,
    seed_demo=service.seed_demo,
    export_data=service.export_data,
)
