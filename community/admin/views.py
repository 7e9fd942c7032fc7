"""The admin area: modules on/off, members and roles, the audit log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import ROLES, AuditEntry, Member
from ..permissions import role_required
from ..registry import registry
from . import service


@role_required("admin")
def modules():
    flags = registry.stored_flags()
    states = registry.enabled_map()
    rows = [
        {"module": m, "switch": flags[m.name], "enabled": states[m.name], "blocked_by": registry.why_disabled(m.name),
         "dependants": registry.dependants(m.name), "tables": m.tables()}
        for m in registry
    ]
    return render_template("admin/modules.html", rows=rows, form=FlaskForm())


@role_required("admin")
def toggle_module(name: str):
    if name not in registry:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    enabled = request.form.get("enabled") == "1"
    service.toggle_module(name, enabled, current_user)
    label = registry.get(name).label
    flash(_("%(module)s is on.", module=label) if enabled else _("%(module)s is off. Its data is kept.", module=label),
          "success")
    return redirect(url_for("admin.modules"))


@role_required("admin")
def delete_module_data(name: str):
    module = registry.get(name)
    if module is None:
        abort(404)
    form = FlaskForm()
    error = None
    if form.validate_on_submit():
        if registry.is_enabled(name):
            error = _("Switch the module off before deleting its data.")
        elif request.form.get("confirm", "").strip() != name:
            error = _("Type the module's name, %(name)s, to confirm.", name=name)
        else:
            count = service.delete_module_data(name, current_user)
            flash(ngettext("%(num)d row of %(module)s was deleted.", "%(num)d rows of %(module)s were deleted.",
                           count, module=module.label), "success")
            return redirect(url_for("admin.modules"))
    return render_template("admin/delete_module.html", module=module, form=form, error=error), 422 if error else 200


@role_required("admin")
def members():
    q = (request.args.get("q") or "").strip().lower()[:80]
    query = select(Member).where(Member.erased_at.is_(None))
    if q:
        like = f"%{q}%"
        query = query.where(or_(Member.handle.like(like), func.lower(Member.display_name).like(like),
                                Member.email.like(like)))
    role = request.args.get("role")
    if role in ROLES:
        query = query.where(Member.role == role)
    after = request.args.get("after") or None
    if after:
        query = query.where(Member.handle > after)
    people = list(db.session.scalars(query.order_by(Member.handle).limit(51)))
    more = len(people) > 50
    return render_template("admin/members.html", people=people[:50], q=q, role=role, roles=ROLES,
                           role_labels={r: role_label(r) for r in ROLES},
                           next_after=people[49].handle if more else None, form=FlaskForm())


@role_required("admin")
def change_role(handle: str):
    member = db.session.scalar(select(Member).where(Member.handle == handle))
    if member is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    role = request.form.get("role", "")
    if role not in ROLES:
        flash(_("Unknown role."), "error")
    elif member.id == current_user.id and role != "admin":
        flash(_("You cannot remove your own admin role; ask another admin."), "error")
    elif service.change_role(member, role, current_user):
        flash(_("%(name)s is now %(role)s.", name=member.display_name, role=role_label(role)), "success")
    return redirect(request.referrer if request.referrer and request.referrer.startswith(request.host_url)
                    else url_for("admin.members"))


@role_required("admin")
def audit():
    before = request.args.get("before", type=int)
    query = select(AuditEntry)
    if before:
        query = query.where(AuditEntry.id < before)
    entries = list(db.session.scalars(query.order_by(AuditEntry.id.desc()).limit(51)))
    more = len(entries) > 50
    return render_template("admin/audit.html", entries=entries[:50], older=entries[49].id if more else None)


def role_label(role: str) -> str:
    return {"member": _("member"), "organiser": _("organiser"), "moderator": _("moderator"),
            "admin": _("admin")}.get(role, role)
