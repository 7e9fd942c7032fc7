"""Member pages: profile, edit, directory, follow, followers and following, e-mail preferences."""

from __future__ import annotations

import json

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..activity import set_email_enabled, visible_activities
from ..extensions import db
from ..models import EmailPreference, Member
from ..moderation.service import is_hidden
from ..registry import registry
from ..uploads import UploadError, delete_upload, save_image
from . import service
from .forms import EraseForm, ProfileForm


def get_member_or_404(handle: str) -> Member:
    member = db.session.scalar(select(Member).where(Member.handle == handle.lower()))
    if member is None or member.erased_at is not None:
        abort(404)
    return member


def can_see_connections(viewer: Member, member: Member) -> bool:
    """Follow lists reveal who is in the movement: the member, admins, or directory members only."""
    return viewer.id == member.id or viewer.has_role("admin") or member.in_directory


@login_required
def profile(handle: str):
    member = get_member_or_404(handle)
    followers, following = service.follow_counts(member.id)
    activities = visible_activities(current_user, actor_id=member.id, limit=10)
    widgets = sorted(((w.order, m.name, w.template, w.context(member) if w.context else {})
                      for m in registry.enabled() for w in m.profile_widgets), key=lambda w: (w[0], w[1]))
    return render_template(
        "members/profile.html", member=member, followers=followers, following=following, widgets=widgets,
        is_following=service.is_following(current_user.id, member.id), activities=activities,
        show_connections=can_see_connections(current_user, member),
        bio_hidden=is_hidden("core.profile", member.id),
    )


@login_required
def connections(handle: str, direction: str):
    member = get_member_or_404(handle)
    if not can_see_connections(current_user, member):
        abort(403)
    after = request.args.get("after") or None
    # Others see only the members who chose to be listed; the member and admins see everyone.
    listed_only = not (current_user.id == member.id or current_user.has_role("admin"))
    people = service.follow_list(member, direction, after=after, limit=51, listed_only=listed_only)
    more = len(people) > 50
    return render_template("members/connections.html", member=member, direction=direction,
                           people=people[:50], next_after=people[49].handle if more else None)


@login_required
def follow(handle: str):
    member = get_member_or_404(handle)
    if member.id == current_user.id:
        flash(_("You cannot follow yourself."), "error")
    elif service.follow(current_user, member):
        flash(_("You now follow %(name)s.", name=member.display_name), "success")
    else:
        flash(_("You already follow %(name)s.", name=member.display_name), "info")
    return redirect(url_for("members.profile", handle=member.handle))


@login_required
def unfollow(handle: str):
    member = get_member_or_404(handle)
    if service.unfollow(current_user, member):
        flash(_("You no longer follow %(name)s.", name=member.display_name), "info")
    return redirect(url_for("members.profile", handle=member.handle))


@login_required
def edit_profile():
    member: Member = current_user._get_current_object()
    form = ProfileForm(obj=member)
    if request.method == "GET":
        form.interests.data = member.tag_names("interest")
        form.skills.data = member.tag_names("skill")
        form.locale.data = member.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
        form.timezone.data = member.timezone or current_app.config["TERREAU_TIMEZONE"]
    if form.validate_on_submit():
        new_avatar = None
        upload = form.avatar.data
        if upload and getattr(upload, "filename", ""):
            try:
                new_avatar = save_image(upload, "avatars", max_bytes=current_app.config["TERREAU_AVATAR_MAX_BYTES"],
                                        size=(256, 256))
            except UploadError as exc:
                form.avatar.errors.append(str(exc))
        if not form.errors:
            member.display_name = form.display_name.data.strip()
            member.bio = form.bio.data or ""
            member.commune = (form.commune.data or "").strip()
            member.postal_code = (form.postal_code.data or "").strip()
            member.locale = form.locale.data
            member.timezone = form.timezone.data
            service.set_tags(member, "interest", form.interests.data)
            service.set_tags(member, "skill", form.skills.data)
            service.set_directory_opt_in(member, form.in_directory.data)
            old = member.avatar
            if new_avatar or form.remove_avatar.data:
                member.avatar = new_avatar
            db.session.commit()
            if old and old != member.avatar:
                delete_upload("avatars", old)
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("members.profile", handle=member.handle))
    status = 422 if form.errors else 200
    return render_template("members/edit.html", form=form, member=member), status


@login_required
def directory():
    args = {k: (request.args.get(k) or "").strip()[:80] for k in ("q", "commune", "interest", "skill")}
    after = request.args.get("after") or None
    people = service.directory(**args, after=after, limit=service.DIRECTORY_PAGE + 1)
    more = len(people) > service.DIRECTORY_PAGE
    people = people[: service.DIRECTORY_PAGE]
    return render_template(
        "members/directory.html", people=people, args=args,
        next_after=people[-1].handle if more else None,
        interests=service.popular_tags("interest"), skills=service.popular_tags("skill"),
    )


def notification_kinds():
    """(verb, label, default) of every kind that notifies, core first, then enabled modules."""
    from ..activity import CORE_KINDS

    kinds = [(verb, kind.label, kind.email_default) for verb, kind in CORE_KINDS.items() if kind.label]
    for module in registry.enabled():
        kinds += [(verb, kind.label, kind.email_default) for verb, kind in module.activity_kinds.items()
                  if kind.label]
    return kinds


@login_required
def email_preferences():
    member = current_user._get_current_object()
    kinds = notification_kinds()
    stored = {p.kind: p.enabled for p in db.session.scalars(
        select(EmailPreference).where(EmailPreference.member_id == member.id))}
    if request.method == "POST":
        for verb, _label, _default in kinds:
            set_email_enabled(member.id, verb, request.form.get(verb) == "on")
        db.session.commit()
        flash(_("Your e-mail preferences are saved."), "success")
        return redirect(url_for("members.email_preferences"))
    rows = [(verb, label, stored.get(verb, default)) for verb, label, default in kinds]
    return render_template("members/email_preferences.html", rows=rows)


@login_required
def privacy():
    """The member's data: what consents they gave, a download of everything, erasure."""
    from ..models import ConsentRecord

    member = current_user._get_current_object()
    form = EraseForm()
    if form.validate_on_submit():
        from ..auth.service import check_login
        from ..privacy import erase_member

        if check_login(member.handle, form.password.data) is None:
            form.password.errors.append(_("Wrong password."))
        else:
            erase_member(member)
            flash(_("Your account is erased. Goodbye, and thank you."), "info")
            return redirect(url_for("core.home"))
    consents = db.session.scalars(select(ConsentRecord).where(ConsentRecord.member_id == member.id)
                                  .order_by(ConsentRecord.id.desc())).all()
    return render_template("members/privacy.html", form=form, consents=consents), 422 if form.errors else 200


@login_required
def export():
    """All of the member's own data as one JSON file (a download)."""
    from ..privacy import export_member

    member = current_user._get_current_object()
    body = json.dumps(export_member(member), ensure_ascii=False, indent=2, default=str)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="terreau-{member.handle}.json"'})
