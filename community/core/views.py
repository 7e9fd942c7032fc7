"""Core pages: home, notifications, the activity JSON used by live updates, media, language."""

from __future__ import annotations

from flask import abort, current_app, jsonify, redirect, render_template, request, send_from_directory, session, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select, update

from .. import fragments
from ..activity import notifications_query, render_activity, unread_count, visible_activities
from ..extensions import db
from ..models import Notification
from ..registry import registry
from ..timeutil import utcnow
from ..uploads import upload_dir
from ..urls import int_arg as _int_arg
from ..urls import safe_next

PAGE = 20


def home():
    # The member object, not the proxy: widgets read it many times, each read through the proxy
    # looks the request up again.
    member = current_user._get_current_object()
    if not member.is_authenticated:
        return render_template("core/welcome.html")
    widgets = {"main": [], "side": []}
    for module in registry.enabled():
        for widget in module.home_widgets:
            context = widget.context(member) if widget.context else {}
            widgets[widget.slot].append((widget.order, module.name, widget.template, context,
                                         _shared_widget(module.name, widget, context)))
    for slot in widgets.values():
        slot.sort(key=lambda w: (w[0], w[1]))
    activities, older = [], None
    if not widgets["main"]:
        # No module provides a feed: the core shows what the member may see, newest first.
        activities = visible_activities(member, before=_int_arg("before"), limit=PAGE + 1)
        older = activities[PAGE - 1].id if len(activities) > PAGE else None
        activities = activities[:PAGE]
    return render_template("core/home.html", widgets=widgets, activities=activities, older=older)


def _shared_widget(module_name: str, widget, context: dict) -> Markup | None:
    """A widget's HTML kept under its cache key (HomeWidget.cache_key), or None: included live."""
    if widget.cache_key is None:
        return None
    key = ("widget", module_name, widget.template, widget.cache_key(context))
    parts = fragments.cached(key, lambda: current_app.jinja_env.get_template(widget.template).render(
        widget=context, current_user=current_user._get_current_object()))
    return Markup(parts[0])


@login_required
def activity_since():
    """JSON: activities the member may see with id > after (the live feed and resync use it)."""
    after = _int_arg("after") or 0
    items = visible_activities(current_user, after=after, limit=50)
    return jsonify(items=[{"id": a.id, "verb": a.verb, "module": a.module, "html": render_activity(a)}
                          for a in items])


@login_required
def notifications():
    before = _int_arg("before")
    query = notifications_query(current_user.id)
    if before:
        query = query.where(Notification.id < before)
    rows = list(db.session.scalars(query.order_by(Notification.id.desc()).limit(PAGE + 1)))
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return render_template("core/notifications.html", notifications=rows, older=rows[-1].id if more else None)


@login_required
def notifications_json():
    after = _int_arg("after") or 0
    rows = db.session.scalars(
        notifications_query(current_user.id).where(Notification.id > after).order_by(Notification.id.desc()).limit(20)
    )
    items = [{"id": n.id, "read": n.read_at is not None, "html": render_activity(n.activity, mode="notification")}
             for n in rows]
    return jsonify(unread=unread_count(current_user.id), items=items)


@login_required
def mark_read():
    """Mark one notification (``id``) or all of them read."""
    query = update(Notification).where(Notification.member_id == current_user.id, Notification.read_at.is_(None))
    ident = request.form.get("id", type=int)
    if ident:
        query = query.where(Notification.id == ident)
    db.session.execute(query.values(read_at=utcnow()))
    db.session.commit()
    if request.accept_mimetypes.best == "application/json":
        return jsonify(unread=unread_count(current_user.id))
    return redirect(url_for("core.notifications"))


@login_required
def media(kind: str, name: str):
    if kind not in {"avatars"}:
        abort(404)
    response = send_from_directory(upload_dir(kind), name, as_attachment=True, max_age=86400)
    return response


def set_language():
    lang = request.form.get("lang", "")
    if lang not in current_app.config["TERREAU_LOCALES"]:
        abort(400)
    session["lang"] = lang
    if current_user.is_authenticated:
        current_user.locale = lang
        db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("core.home"))


def health():
    db.session.execute(select(1))
    return jsonify(status="ok")
