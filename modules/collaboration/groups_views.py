"""Pages of the groups part: the directory, a group's space (wall, members, links, stream),
joining, invitations, animators, archiving, and the admins' settings.

Group content (wall, members, links, stream) answers 404 to whoever is not an active member
(moderators excepted), in HTML and JSON alike; a non-member sees the group's name and
description only. Refusals are flashed or shown next to the field, never a 500.
"""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.activity import render_activity
from community.extensions import db
from community.members.views import get_member_or_404
from community.permissions import role_required
from community.settings import module_setting, set_module_setting
from community.urls import int_arg as _int_arg

from . import groups_service as service
from .access import can_see_group_content
from .groups_forms import AnimatorForm, GroupForm, HandleForm, LinkForm, ReplyForm, SettingsForm, WallForm
from .models import CollaborationGroup, CollaborationLink


def _page() -> int:
    return max(1, min(_int_arg("page", 1) or 1, 10_000))


def _group_or_404(group_id: int) -> CollaborationGroup:
    group = db.session.get(CollaborationGroup, group_id)
    if group is None:
        abort(404)
    return group


def _inside_or_404(group_id: int) -> CollaborationGroup:
    """The group, for its members and moderators; 404 for everyone else (its content is private)."""
    group = _group_or_404(group_id)
    if not can_see_group_content(current_user, group.id):
        abort(404)
    return group


def _to_group(group: CollaborationGroup, anchor: str | None = None):
    return redirect(url_for("collaboration.group", group_id=group.id, _anchor=anchor))


def _refused(exc: Exception, target):
    flash(str(exc), "error")
    return target


def _header(group: CollaborationGroup) -> dict:
    """What every page of a group shows in its header."""
    me = current_user
    return {"group": group, "row": service.membership(group.id, me.id), "inside": can_see_group_content(me, group.id),
            "manage": service.can_manage(me, group), "archiver": service.can_archive(me, group),
            "cap": service.effective_cap(group), "full": service.is_full(group)}


# --- the directory ---------------------------------------------------------------------------


@login_required
def groups():
    kind = request.args.get("kind", "")
    query = request.args.get("q", "")
    near = request.args.get("near") == "1"
    page = _page()
    items, more = service.list_groups(kind=kind, query=query, near=current_user if near else None, page=page)
    return render_template("collaboration/groups/list.html", groups=items, more=more, page=page, kind=kind,
                           query=query, near=near, mine=service.statuses_for(current_user, [g.id for g in items]),
                           can_create=service.can_create(current_user), movement_cap=service.movement_cap())


@login_required
def my_groups():
    return render_template("collaboration/groups/mine.html", memberships=service.my_memberships(current_user),
                           can_create=service.can_create(current_user))


@login_required
def member_groups(handle: str):
    """The groups a member shows on public pages (all of one's own, with what is shown)."""
    member = get_member_or_404(handle)
    own = member.id == current_user.id
    return render_template("collaboration/groups/member_groups.html", member=member, own=own,
                           memberships=service.my_memberships(member, ("active",)) if own else None,
                           groups=None if own else service.public_memberships(member.id))


@login_required
def new_group():
    if not service.can_create(current_user):
        flash(_("Only organisers may create groups in this movement."), "error")
        return redirect(url_for("collaboration.groups"))
    form = GroupForm()
    if form.validate_on_submit():
        try:
            group = service.create_group(current_user, **_group_fields(form))
        except service.GroupError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name").errors.append(str(exc))
        else:
            flash(_("Your group is created: you are its animator."), "success")
            return _to_group(group)
    return render_template("collaboration/groups/form.html", form=form, group=None), 422 if form.errors else 200


def _group_fields(form: GroupForm) -> dict:
    return {"name": form.name.data or "", "description": form.description.data or "", "kind": form.kind.data,
            "join_policy": form.join_policy.data, "commune": form.commune.data or "",
            "postal_code": form.postal_code.data or "", "member_cap": form.member_cap.data}


# --- a group's space -------------------------------------------------------------------------


@login_required
def group(group_id: int):
    item = _group_or_404(group_id)
    return _render_group(item)


def _render_group(item: CollaborationGroup, form: WallForm | None = None, status: int = 200):
    context = _header(item)
    if not context["inside"]:
        public, _more = service.members_of(item.id, public_only=True, per_page=50)
        return render_template("collaboration/groups/about.html", public_members=public, **context), status
    roots, replies, hidden = service.wall(item.id, before=_int_arg("before"), limit=service.WALL_PAGE + 1)
    older = roots[service.WALL_PAGE - 1].id if len(roots) > service.WALL_PAGE else None
    roots = roots[: service.WALL_PAGE]
    stream = service.group_stream(item.id, limit=6, other_modules=True)
    return render_template(
        "collaboration/groups/group.html", roots=roots, replies=replies, hidden=hidden, older=older,
        form=form or WallForm(), stream=stream, links=service.links_of(item.id, limit=5),
        last_id=roots[0].id if roots and not request.args.get("before") else 0, **context), status


@login_required
def wall_since(group_id: int):
    """JSON for live updates: threads newer than ``after``, rendered (members only)."""
    item = _inside_or_404(group_id)
    roots, replies, hidden = service.wall(item.id, after=_int_arg("after", 0), limit=50)
    context = _header(item)
    return jsonify(items=[{"id": root.id, "html": render_template(
        "collaboration/groups/_thread_item.html", root=root, replies=replies, hidden=hidden, **context)}
        for root in roots])


@login_required
def wall_post(group_id: int):
    item = _inside_or_404(group_id)
    form = WallForm()
    if form.validate_on_submit():
        try:
            post = service.post_thread(item, current_user, form.body.data)
        except service.GroupError as exc:
            form.body.errors.append(str(exc))
        else:
            return _to_group(item, f"wall-{post.id}")
    return _render_group(item, form, 422)


@login_required
def wall_thread(group_id: int, post_id: int):
    item = _inside_or_404(group_id)
    post = service.get_wall_post(item.id, post_id)
    if post is None:
        abort(404)
    return _render_thread(item, post)


def _render_thread(item: CollaborationGroup, post, form: ReplyForm | None = None, status: int = 200):
    root = service.get_wall_post(item.id, post.thread_id or post.id) or post
    replies, hidden = service.thread_details([root.id])
    return render_template("collaboration/groups/thread.html", root=root, replies=replies, hidden=hidden,
                           reply_form=form or ReplyForm(), focus=post, **_header(item)), status


@login_required
def wall_reply(group_id: int, post_id: int):
    item = _inside_or_404(group_id)
    parent = service.get_wall_post(item.id, post_id)
    if parent is None:
        abort(404)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            post = service.reply(item, current_user, parent, form.body.data)
        except service.GroupError as exc:
            form.body.errors.append(str(exc))
        else:
            return redirect(url_for("collaboration.wall_thread", group_id=item.id, post_id=post.thread_id,
                                    _anchor=f"wall-{post.id}"))
    return _render_thread(item, parent, form, 422)


@login_required
def wall_delete(group_id: int, post_id: int):
    item = _inside_or_404(group_id)
    post = service.get_wall_post(item.id, post_id)
    if post is None:
        abort(404)
    try:
        service.delete_wall_post(post, current_user, item)
    except service.GroupError as exc:
        return _refused(exc, _to_group(item))
    flash(_("The message is deleted."), "info")
    return _to_group(item)


@login_required
def group_members(group_id: int):
    item = _inside_or_404(group_id)
    return _render_members(item)


def _render_members(item: CollaborationGroup, invite_form: HandleForm | None = None,
                    animator_form: AnimatorForm | None = None, status: int = 200):
    context = _header(item)
    page = _page()
    members, more = service.members_of(item.id, page=page)
    pending = service.members_of(item.id, status="pending")[0] if context["manage"] else []
    invited = service.members_of(item.id, status="invited")[0] if context["manage"] else []
    return render_template("collaboration/groups/members.html", members=members, more=more, page=page,
                           pending=pending, invited=invited, invite_form=invite_form or HandleForm(prefix="invite"),
                           animator_form=animator_form or AnimatorForm(prefix="animator"), **context), status


@login_required
def group_links(group_id: int):
    item = _inside_or_404(group_id)
    form = LinkForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                service.add_link(item, current_user, title=form.title.data, url=form.url.data, note=form.note.data)
            except service.GroupError as exc:
                getattr(form, exc.field or "title").errors.append(str(exc))
            else:
                flash(_("The link is kept."), "success")
                return redirect(url_for("collaboration.group_links", group_id=item.id))
    return render_template("collaboration/groups/links.html", links=service.links_of(item.id), form=form,
                           **_header(item)), 422 if form.errors else 200


@login_required
def link_delete(group_id: int, link_id: int):
    item = _inside_or_404(group_id)
    link = db.session.get(CollaborationLink, link_id)
    if link is None or link.group_id != item.id:
        abort(404)
    try:
        service.delete_link(link, current_user, item)
    except service.GroupError as exc:
        flash(str(exc), "error")
    else:
        flash(_("The link is removed."), "info")
    return redirect(url_for("collaboration.group_links", group_id=item.id))


@login_required
def group_activity(group_id: int):
    """Everything addressed to the group (its posts, events, campaigns, wall), live."""
    item = _inside_or_404(group_id)
    activities = service.group_stream(item.id, before=_int_arg("before"), limit=service.STREAM_PAGE + 1)
    older = activities[service.STREAM_PAGE - 1].id if len(activities) > service.STREAM_PAGE else None
    activities = activities[: service.STREAM_PAGE]
    return render_template("collaboration/groups/activity.html", activities=activities, older=older,
                           last_id=activities[0].id if activities and not request.args.get("before") else 0,
                           **_header(item))


@login_required
def activity_since(group_id: int):
    item = _inside_or_404(group_id)
    items = service.group_stream(item.id, after=_int_arg("after", 0), limit=50)
    return jsonify(items=[{"id": a.id, "verb": a.verb, "html": str(render_activity(a))} for a in items])


# --- joining, leaving, showing ---------------------------------------------------------------


@login_required
def join(group_id: int):
    item = _group_or_404(group_id)
    try:
        status = service.join(item, current_user)
    except service.GroupError as exc:
        return _refused(exc, _to_group(item))
    if status == "pending":
        flash(_("This group admits members on approval: your request is sent to its animators, who will answer it."),
              "info")
    else:
        flash(_("Welcome to %(name)s.", name=item.name), "success")
    return _to_group(item)


@login_required
def leave(group_id: int):
    item = _group_or_404(group_id)
    row = service.membership(item.id, current_user.id)
    status = row.status if row is not None else None
    try:
        service.leave(item, current_user)
    except service.GroupError as exc:
        return _refused(exc, _to_group(item))
    flash({"pending": _("Your request is withdrawn."), "invited": _("The invitation is declined.")}.get(
        status, _("You left %(name)s.", name=item.name)), "info")
    return _to_group(item)


@login_required
def visibility(group_id: int):
    item = _group_or_404(group_id)
    public = request.form.get("public") == "1"
    try:
        service.set_public(item, current_user, public)
    except service.GroupError as exc:
        return _refused(exc, _to_group(item))
    flash(_("Your membership now shows on your public list of groups.") if public else
          _("Your membership is now visible to the group's members only."), "success")
    return _to_group(item)


@login_required
def invitation_accept(group_id: int):
    item = _group_or_404(group_id)
    try:
        service.accept_invitation(item, current_user)
    except service.GroupError as exc:
        return _refused(exc, _to_group(item))
    flash(_("Welcome to %(name)s.", name=item.name), "success")
    return _to_group(item)


@login_required
def invitation_decline(group_id: int):
    item = _group_or_404(group_id)
    try:
        service.decline_invitation(item, current_user)
    except service.GroupError as exc:
        return _refused(exc, _to_group(item))
    flash(_("The invitation is declined."), "info")
    return _to_group(item)


# --- animators -------------------------------------------------------------------------------


def _managed_or_404(group_id: int) -> CollaborationGroup:
    item = _inside_or_404(group_id)
    if not service.can_manage(current_user, item):
        abort(403)
    return item


def _to_members(item: CollaborationGroup):
    return redirect(url_for("collaboration.group_members", group_id=item.id))


@login_required
def invite(group_id: int):
    item = _managed_or_404(group_id)
    form = HandleForm(prefix="invite")
    if form.validate_on_submit():
        try:
            invitee = service.invite(item, current_user, form.handle.data)
        except service.GroupError as exc:
            form.handle.errors.append(str(exc))
        else:
            flash(_("%(name)s is invited.", name=invitee.display_name), "success")
            return _to_members(item)
    return _render_members(item, invite_form=form, status=422)


@login_required
def approve(group_id: int, member_id: int):
    item = _managed_or_404(group_id)
    try:
        service.approve(item, current_user, member_id)
    except service.GroupError as exc:
        return _refused(exc, _to_members(item))
    flash(_("The request is approved."), "success")
    return _to_members(item)


@login_required
def decline(group_id: int, member_id: int):
    item = _managed_or_404(group_id)
    try:
        service.decline(item, current_user, member_id)
    except service.GroupError as exc:
        return _refused(exc, _to_members(item))
    flash(_("The request is declined."), "info")
    return _to_members(item)


@login_required
def remove(group_id: int, member_id: int):
    item = _managed_or_404(group_id)
    try:
        service.remove_member(item, current_user, member_id)
    except service.GroupError as exc:
        return _refused(exc, _to_members(item))
    flash(_("The member is no longer in the group."), "info")
    return _to_members(item)


@login_required
def name_animator(group_id: int):
    item = _managed_or_404(group_id)
    form = AnimatorForm(prefix="animator")
    if form.validate_on_submit():
        try:
            target = service.name_animator(item, current_user, form.handle.data, step_down=form.step_down.data)
        except service.GroupError as exc:
            form.handle.errors.append(str(exc))
        else:
            flash(_("%(name)s is now an animator of the group.", name=target.display_name), "success")
            return _to_members(item)
    return _render_members(item, animator_form=form, status=422)


@login_required
def step_down(group_id: int):
    item = _inside_or_404(group_id)
    try:
        service.step_down(item, current_user)
    except service.GroupError as exc:
        return _refused(exc, _to_members(item))
    flash(_("You are no longer an animator of the group."), "info")
    return _to_members(item)


@login_required
def edit(group_id: int):
    item = _managed_or_404(group_id)
    if item.archived_at is not None:
        flash(_("This group is archived: it is read-only."), "error")
        return _to_group(item)
    form = GroupForm(obj=item)
    if form.validate_on_submit():
        try:
            service.update_group(item, current_user, **_group_fields(form))
        except service.GroupError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name").errors.append(str(exc))
        else:
            flash(_("The group is updated."), "success")
            return _to_group(item)
    return render_template("collaboration/groups/form.html", form=form, group=item), 422 if form.errors else 200


@login_required
def archive(group_id: int):
    item = _group_or_404(group_id)
    archived = request.form.get("archived", "1") == "1"
    try:
        service.archive(item, current_user, archived)
    except service.GroupError as exc:
        return _refused(exc, _to_group(item))
    flash(_("The group is archived: it is read-only, and everything in it is kept.") if archived else
          _("The group is open again."), "info")
    return _to_group(item)


# --- admins ----------------------------------------------------------------------------------


@role_required("admin")
def settings():
    form = SettingsForm()
    if request.method == "GET":
        form.group_member_cap.data = service.movement_cap()
        form.members_can_create_groups.data = bool(module_setting("collaboration", "members_can_create_groups"))
    elif form.validate_on_submit():
        set_module_setting("collaboration", "group_member_cap", form.group_member_cap.data or None, current_user)
        set_module_setting("collaboration", "members_can_create_groups", bool(form.members_can_create_groups.data),
                           current_user)
        db.session.commit()
        flash(_("The group settings are saved."), "success")
        return redirect(url_for("collaboration.group_settings"))
    return render_template("collaboration/groups/settings.html", form=form), 422 if form.errors else 200
