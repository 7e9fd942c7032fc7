"""The kits part of the coordination module: field-action kits (talking points, a script, a
checklist) with versioned materials (leaflets, posters) downloaded as attachments.

The rules live in ``kits_service.py``; these views parse forms, check rights and render. Other
pages show an attached kit with ``{% include "coordination/kits/_attached.html" %}`` and a
``kit_id`` variable (the template global ``coordination_kit`` loads it).
"""

from __future__ import annotations

import functools

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField

from community.database import mark_writing
from community.extensions import db
from community.forms import add_errors
from community.parts import Part
from community.ratelimits import limited
from community.registry import ContentKind, ContentRef, NavItem

from .. import kits_service as service


def register(bp) -> None:
    """Add this part's URL rules to the coordination blueprint."""
    bp.add_url_rule("/kits/", view_func=kits, endpoint="kits")
    bp.add_url_rule("/kits/new", view_func=limited("TERREAU_LIMIT_POST", kit_new), endpoint="kit_new",
                    methods=["GET", "POST"])
    bp.add_url_rule("/kits/<int:kit_id>", view_func=kit, endpoint="kit")
    bp.add_url_rule("/kits/<int:kit_id>/edit", view_func=kit_edit, endpoint="kit_edit", methods=["GET", "POST"])
    bp.add_url_rule("/kits/<int:kit_id>/archive", view_func=kit_archive, endpoint="kit_archive", methods=["POST"])
    bp.add_url_rule("/kits/<int:kit_id>/materials", view_func=limited("TERREAU_LIMIT_POST", material_upload),
                    endpoint="material_upload", methods=["POST"])
    bp.add_url_rule("/kits/materials/<int:material_id>/download", view_func=_writing(material_download),
                    endpoint="material_download")
    bp.add_app_template_global(service.kit_for, "coordination_kit")


def _writing(view):
    """A GET that writes (a download counter): the read transaction of the request's guards is
    ended and the next one, on SQLite, starts with BEGIN IMMEDIATE and waits for the write lock
    instead of failing when a read transaction tries to write."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        mark_writing()
        db.session.commit()
        return view(*args, **kwargs)

    return wrapper


# --- forms ------------------------------------------------------------------------------------


class KitForm(FlaskForm):
    # Emptiness and lengths are checked by kits_service.validate_kit(), one message each.
    title = StringField(_l("Title"))
    summary = TextAreaField(_l("Summary"), description=_l("What the kit is for, in two or three sentences."))
    talking_points = TextAreaField(_l("Talking points"), description=_l(
        "Markdown. The arguments to put forward, the figures to quote, the questions to expect."))
    script = TextAreaField(_l("Door-to-door or phone script"), description=_l(
        "Markdown. How to introduce yourself, what to ask, how to close the conversation."))
    checklist = TextAreaField(_l("Checklist"), description=_l(
        "One item per line: what to bring and to do before leaving (leaflets, badge, charged phone…)."))


class MaterialForm(FlaskForm):
    name = StringField(_l("Material name"), description=_l(
        "Versions are grouped by this name: upload a new file under the same name to replace a leaflet "
        "(the old versions stay listed). Empty: the file's name."))
    file = FileField(_l("File"))  # its description, with the size limit, is set per request


# --- pages ------------------------------------------------------------------------------------


def _kit_or_404(kit_id: int):
    item = service.get_kit(kit_id)
    if item is None:
        abort(404)
    return item


def _staff_only() -> None:
    if not service.can_edit(current_user):
        abort(403)


@login_required
def kits():
    show_archived = request.args.get("archived") == "1" and service.can_edit(current_user)
    return render_template("coordination/kits/list.html", kits=service.list_kits(archived=show_archived),
                           can_edit=service.can_edit(current_user), show_archived=show_archived)


def _form_data(form: KitForm) -> dict:
    return {name: getattr(form, name).data or "" for name in ("title", "summary", "talking_points", "script",
                                                              "checklist")}


@login_required
def kit_new():
    _staff_only()
    form = KitForm()
    general: list = []
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                created = service.save_kit(current_user, **_form_data(form))
            except service.KitError as exc:
                general = add_errors(form, exc.errors)
            else:
                flash(_("The kit is created. Add its materials below."), "success")
                return redirect(url_for("coordination.kit", kit_id=created.id))
        return render_template("coordination/kits/form.html", form=form, general=general, item=None), 422
    return render_template("coordination/kits/form.html", form=form, general=general, item=None)


@login_required
def kit_edit(kit_id: int):
    _staff_only()
    item = _kit_or_404(kit_id)
    form = KitForm(obj=item if request.method != "POST" else None)
    general: list = []
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                service.save_kit(current_user, item, **_form_data(form))
            except service.KitError as exc:
                general = add_errors(form, exc.errors)
            else:
                flash(_("The kit is saved."), "success")
                return redirect(url_for("coordination.kit", kit_id=item.id))
        return render_template("coordination/kits/form.html", form=form, general=general, item=item), 422
    return render_template("coordination/kits/form.html", form=form, general=general, item=item)


def _material_form() -> MaterialForm:
    form = MaterialForm()
    form.file.description = _("A PDF, or a PNG, JPEG, GIF or WebP image; at most %(n)d MB.",
                              n=service.max_bytes() // (1024 * 1024))
    return form


def _render_kit(item, *, material_form=None, general=(), status: int = 200):
    return render_template(
        "coordination/kits/view.html", kit=item, history=service.material_history(item.id),
        checklist=service.checklist_items(item), talking_points=service.talking_points_html(item),
        script=service.script_html(item), can_edit=service.can_edit(current_user),
        material_form=material_form or _material_form(), general=list(general),
        downloads=service.kit_downloads(item.id)), status


@login_required
def kit(kit_id: int):
    return _render_kit(_kit_or_404(kit_id))


@login_required
def kit_archive(kit_id: int):
    _staff_only()
    item = _kit_or_404(kit_id)
    archive = item.archived_at is None
    service.set_archived(current_user, item, archive)
    flash(_("The kit is archived.") if archive else _("The kit is restored."), "success")
    return redirect(url_for("coordination.kit", kit_id=item.id))


@login_required
def material_upload(kit_id: int):
    _staff_only()
    item = _kit_or_404(kit_id)
    form = _material_form()
    if not form.validate_on_submit():
        return _render_kit(item, material_form=form, status=422)
    upload = form.file.data
    try:
        created = service.add_material(current_user, item, name=form.name.data or "",
                                       filename=getattr(upload, "filename", "") or "",
                                       stream=upload.stream if upload else None)
    except service.KitError as exc:
        return _render_kit(item, material_form=form, general=add_errors(form, exc.errors), status=422)
    if created.version > 1:
        flash(_("Version %(n)d of “%(name)s” is online; the previous version is kept in the history.",
                n=created.version, name=created.name), "success")
    else:
        flash(_("“%(name)s” is online.", name=created.name), "success")
    return redirect(url_for("coordination.kit", kit_id=item.id, _anchor="materials"))


@login_required
def material_download(material_id: int):
    """The file as an attachment under its original name, with the media type found by the content
    check. Counting is not a member's state (a forged link can only add one to a counter), so a
    GET is acceptable here (registered through ``_writing`` for SQLite's lock)."""
    material = service.get_material(material_id)
    if material is None:
        abort(404)
    path = service.material_path(material)
    if not path.is_file():
        abort(404)
    service.count_download(material.id)
    response = send_file(path, mimetype=material.media_type, as_attachment=True,
                         download_name=material.original_filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- declarations -----------------------------------------------------------------------------


def _load_kit(ident: str) -> ContentRef | None:
    item = service.get_kit(int(ident)) if ident.isdigit() else None
    if item is None:
        return None
    return ContentRef(title=item.title, endpoint="coordination.kit", args={"kit_id": item.id},
                      author_id=item.created_by_id, excerpt=(item.summary or item.talking_points)[:300])


def _nav(member):
    return (NavItem("coordination.kits", _l("Field-action kits"), "main", 34),) if member.is_authenticated else ()


def export_data(member) -> dict:
    """Kits the member wrote and materials they uploaded (titles and names)."""
    from sqlalchemy import select

    from community.extensions import db

    from ..models import CoordinationKit, CoordinationMaterial

    return {
        "kits_created": [k.title for k in db.session.scalars(
            select(CoordinationKit).where(CoordinationKit.created_by_id == member.id).order_by(CoordinationKit.id))],
        "materials_uploaded": [
            {"name": m.name, "version": m.version, "file": m.original_filename, "at": m.uploaded_at.isoformat()}
            for m in db.session.scalars(select(CoordinationMaterial).where(
                CoordinationMaterial.uploaded_by_id == member.id).order_by(CoordinationMaterial.id))],
    }


PART = Part(
    register=register,
    name="kits",
    content_kinds={"coordination.kit": ContentKind(_l("Field-action kit"), _load_kit)},
    nav_items=_nav,
    settings={"material_max_bytes": service.DEFAULT_MAX_BYTES},
    seed_demo=service.seed_demo,
    export_data=export_data,
)
