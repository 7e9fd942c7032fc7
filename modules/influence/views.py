"""Pages of the influence module: feeds, posts and conversations, reactions, relays, topics."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from community.activity import render_activity
from community.extensions import db
from community.members.views import get_member_or_404
from community.registry import registry
from community.settings import module_setting
from community.uploads import UploadError, save_image, upload_dir
from community.urls import int_arg as _int_arg

from . import ranking, service
from .forms import EditForm, PostForm, RelayForm, ReplyForm
from .models import REACTIONS, InfluencePost


def audience_choices(member) -> list[tuple[str, str]]:
    choices = [("members", _("Members")), ("public", _("Everyone, also outside the movement"))]
    for module in registry.enabled():
        choices.extend((value, str(label)) for value, label in module.post_audiences(member))
    return choices


def post_form(member) -> PostForm:
    """The posting form, its audience choices set for ``member`` (reads the request on POST)."""
    form = PostForm()
    form.audience.choices = audience_choices(member)
    return form


def feed_context(member, before: int | None = None) -> dict:
    """What the home feed block needs; used by the feed page and the home page's main widget."""
    activities = service.home_feed(member, before=before, limit=service.FEED_PAGE + 1)
    older = activities[service.FEED_PAGE - 1].id if len(activities) > service.FEED_PAGE else None
    activities = activities[: service.FEED_PAGE]
    posts = [a.obj for a in activities if getattr(a, "obj", None) is not None]
    return {
        # The empty posting form is kept (cards.composer): the form object is built only when
        # the kept one is missing, or when a sent form comes back with its errors (create()).
        "activities": activities, "older": older, "form": None,
        "mine": service.my_reactions(member.id, [p.id for p in posts]),
        "last_id": activities[0].id if activities else 0, "reactions": REACTIONS,
        # announcements and highlights pinned on top of the first page (views_extra.pinned_context)
        "pinned": _pinned(member) if before is None else None,
    }


def _pinned(member) -> dict:
    from .views_extra import pinned_context

    return pinned_context(member)


@login_required
def index():
    return render_template("influence/feed.html", **feed_context(current_user, _int_arg("before")))


@login_required
def feed_since():
    """JSON for live updates: feed items newer than ``after``, rendered."""
    after = _int_arg("after") or 0
    items = service.home_feed(current_user, after=after, limit=50)
    posts = [a.obj for a in items if getattr(a, "obj", None) is not None]
    mine = service.my_reactions(current_user.id, [p.id for p in posts])
    return jsonify(items=[{"id": a.id, "verb": a.verb, "html": str(render_activity(a, mine=mine))} for a in items])


def movement():
    public_only = not current_user.is_authenticated
    posts = service.movement_feed(current_user, before=_int_arg("before"), limit=service.FEED_PAGE + 1,
                                  public_only=public_only)
    return _post_list("influence/all.html", posts)


def _post_list(template: str, posts, **context):
    older = posts[service.FEED_PAGE - 1].id if len(posts) > service.FEED_PAGE else None
    posts = posts[: service.FEED_PAGE]
    mine = service.my_reactions(current_user.id, [p.id for p in posts]) if current_user.is_authenticated else {}
    return render_template(template, posts=posts, older=older, mine=mine, reactions=REACTIONS,
                           **context)


def topic(tag: str):
    tag = tag.lower()[:64]
    posts = service.topic_posts(tag, current_user, before=_int_arg("before"), limit=service.FEED_PAGE + 1,
                                public_only=not current_user.is_authenticated)
    return _post_list("influence/topic.html", posts, tag=tag)


def member_posts(handle: str):
    member = get_member_or_404(handle)
    posts = service.member_posts(member.id, current_user, before=_int_arg("before"), limit=service.FEED_PAGE + 1,
                                 public_only=not current_user.is_authenticated)
    return _post_list("influence/member.html", posts, member=member)


@login_required
def create():
    form = post_form(current_user)
    if form.validate_on_submit():
        image = None
        upload = form.image.data
        if upload and getattr(upload, "filename", ""):
            try:
                image = save_image(upload, "posts", max_bytes=current_app.config["TERREAU_AVATAR_MAX_BYTES"] * 2,
                                   size=(1600, 1600))
            except UploadError as exc:
                form.image.errors.append(str(exc))
        if not form.errors:
            try:
                service.create_post(current_user, form.body.data, audience=form.audience.data, image=image)
            except service.PostError as exc:
                form.body.errors.append(str(exc))
            else:
                flash(_("Your post is published."), "success")
                return redirect(url_for("influence.index"))
    context = feed_context(current_user)
    context["form"] = form
    return render_template("influence/feed.html", **context), 422


def post(post_id: int):
    item = service.get_post(post_id, current_user)
    if item is None:
        abort(404)
    root = item if item.thread_id in (None, item.id) else service.get_post(item.thread_id, current_user) or item
    replies = service.thread(root, current_user)
    posts = [root, *replies]
    mine = service.my_reactions(current_user.id, [p.id for p in posts]) if current_user.is_authenticated else {}
    return render_template(
        "influence/post.html", root=root, focus=item, replies=replies, summary=service.thread_summary(root, replies),
        mine=mine, counts=service.reaction_counts([p.id for p in posts]), reactions=REACTIONS,
        form=ReplyForm(), can_edit=_can_edit(root))


def _can_edit(item: InfluencePost) -> bool:
    from datetime import timedelta

    from community.timeutil import utcnow

    window = module_setting("influence", "edit_window_minutes")
    return (current_user.is_authenticated and item.author_id == current_user.id
            and utcnow() - item.created_at <= timedelta(minutes=window))


@login_required
def reply(post_id: int):
    parent = service.get_post(post_id, current_user)
    if parent is None:
        abort(404)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            created = service.create_post(current_user, form.body.data, reply_to=parent)
        except service.PostError as exc:
            form.body.errors.append(str(exc))
        else:
            return redirect(url_for("influence.post", post_id=created.thread_id, _anchor=f"post-{created.id}"))
    root = parent
    if parent.thread_id not in (None, parent.id):
        root = service.get_post(parent.thread_id, current_user) or parent
    replies = service.thread(root, current_user)
    posts = [root, *replies]
    return render_template(
        "influence/post.html", root=root, focus=parent, replies=replies, summary=service.thread_summary(root, replies),
        mine=service.my_reactions(current_user.id, [p.id for p in posts]),
        counts=service.reaction_counts([p.id for p in posts]), reactions=REACTIONS,
        form=form, can_edit=_can_edit(root)), 422


@login_required
def edit(post_id: int):
    item = service.get_post(post_id, current_user)
    if item is None or item.author_id != current_user.id:
        abort(404)
    form = EditForm(obj=item)
    if form.validate_on_submit():
        try:
            service.edit_post(item, current_user, form.body.data, module_setting("influence", "edit_window_minutes"))
        except service.PostError as exc:
            form.body.errors.append(str(exc))
        else:
            flash(_("Your post is updated."), "success")
            return redirect(url_for("influence.post", post_id=item.id))
    return render_template("influence/edit.html", form=form, post=item), 422 if form.errors else 200


@login_required
def delete(post_id: int):
    item = service.get_post(post_id, current_user)
    if item is None or item.author_id != current_user.id:
        abort(404)
    service.delete_post(item, current_user)
    flash(_("Your post is deleted."), "info")
    return redirect(url_for("influence.index"))


@login_required
def react(post_id: int):
    item = service.get_post(post_id, current_user)
    if item is None:
        abort(404)
    kind = request.form.get("kind", "")
    if kind not in REACTIONS:
        abort(400)
    if request.form.get("undo") == "1":
        service.unreact(item, current_user, kind)
    elif not service.react(item, current_user, kind):
        flash(_("You already gave this reaction."), "info")
    if request.accept_mimetypes.best == "application/json":
        return jsonify(counts=service.reaction_counts([item.id]).get(item.id, {}))
    return redirect(request.form.get("next") if (request.form.get("next") or "").startswith("/") and not
                    (request.form.get("next") or "").startswith("//") else url_for("influence.post", post_id=item.id))


@login_required
def relay(post_id: int):
    item = db.session.get(InfluencePost, post_id)
    if item is None or not service.can_see(current_user, item) and item.deleted_at is None:
        abort(404)
    form = RelayForm()
    if item.deleted_at is not None:
        flash(_("This post was deleted: it cannot be relayed."), "error")
        return redirect(url_for("influence.index"))
    if form.validate_on_submit():
        try:
            done = service.relay(item, current_user, form.comment.data)
        except service.PostError as exc:
            form.comment.errors.append(str(exc))
        else:
            flash(_("Relayed to your followers.") if done else _("You already relayed this post."),
                  "success" if done else "info")
            return redirect(url_for("influence.post", post_id=item.id))
    return render_template("influence/relay.html", form=form, post=item), 422 if form.errors else 200


def media(name: str):
    """A post's image, for whoever may see the post."""
    item = db.session.scalar(select(InfluencePost).where(InfluencePost.image == name))
    if item is None or not service.can_see(current_user, item):
        abort(404)
    return send_from_directory(upload_dir("posts"), name, as_attachment=True, max_age=86400)


def trending_json():
    return jsonify(topics=[{"tag": t, "score": round(s, 3)} for t, s in ranking.trending()])
