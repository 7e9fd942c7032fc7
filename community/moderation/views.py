"""Moderation: report content, the queue, hide or restore, suspend a member."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..auth import service as accounts
from ..extensions import db
from ..members.views import get_member_or_404
from ..models import HiddenContent
from ..permissions import role_required
from ..registry import registry
from ..urls import safe_next
from . import service
from .forms import DecisionForm, ReportForm, SuspendForm


@login_required
def report():
    form = ReportForm()
    if request.method == "GET":
        form.content_type.data = request.args.get("type", "")
        form.content_id.data = request.args.get("id", "")
    kind = registry.content_kind(form.content_type.data or "")
    ref = kind.load(form.content_id.data) if kind and form.content_id.data else None
    if ref is None or not registry.is_enabled((form.content_type.data or "").split(".", 1)[0]):
        abort(404)
    if form.validate_on_submit():
        service.report(current_user, form.content_type.data, form.content_id.data, form.reason.data.strip())
        flash(_("Thank you. A moderator will look at it."), "success")
        return redirect(safe_next(request.form.get("next")) or ref.url)
    return render_template("moderation/report.html", form=form, ref=ref, kind=kind), 422 if form.errors else 200


@role_required("moderator")
def queue():
    reports = service.open_reports()
    items = []
    for row in reports:
        kind = registry.content_kind(row.content_type)
        items.append((row, kind, kind.load(row.content_id) if kind else None))
    hidden = list(db.session.scalars(select(HiddenContent).order_by(HiddenContent.at.desc()).limit(50)))
    hidden_items = []
    for row in hidden:
        kind = registry.content_kind(row.content_type)
        hidden_items.append((row, kind, kind.load(row.content_id) if kind else None))
    return render_template("moderation/queue.html", items=items, hidden=hidden_items, form=DecisionForm())


@role_required("moderator")
def decide():
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    action = request.form.get("action")
    content_type, content_id = request.form.get("content_type", ""), request.form.get("content_id", "")
    if registry.content_kind(content_type) is None:
        abort(404)
    note = (form.note.data or "").strip()
    if action in ("hide", "restore"):
        service.set_hidden(content_type, content_id, action == "hide", current_user, note)
        flash(_("The content is hidden.") if action == "hide" else _("The content is visible again."), "success")
    elif action == "dismiss":
        service.dismiss(request.form.get("report_id", type=int) or 0, current_user, note)
        flash(_("The report is dismissed."), "info")
    else:
        abort(400)
    return redirect(url_for("moderation.queue"))


@role_required("moderator")
def suspend(handle: str):
    member = get_member_or_404(handle)
    form = SuspendForm()
    if member.has_role("moderator") and not current_user.has_role("admin"):
        abort(403)
    if member.id == current_user.id:
        flash(_("You cannot suspend yourself."), "error")
        return redirect(url_for("members.profile", handle=member.handle))
    if form.validate_on_submit():
        accounts.suspend(member, form.reason.data.strip(), current_user)
        flash(_("%(name)s is suspended and logged out everywhere.", name=member.display_name), "success")
        return redirect(url_for("members.profile", handle=member.handle))
    return render_template("moderation/suspend.html", form=form, member=member), 422 if form.errors else 200


@role_required("moderator")
def unsuspend(handle: str):
    member = get_member_or_404(handle)
    form = DecisionForm()
    if form.validate_on_submit():
        accounts.unsuspend(member, current_user)
        flash(_("%(name)s can log in again.", name=member.display_name), "success")
    return redirect(url_for("members.profile", handle=member.handle))


