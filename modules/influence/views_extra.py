"""Pages of the influence module for announcements, highlights ("À la une") and Atom feeds.

The rules live in ``announcements.py``, ``highlights.py`` and ``atom.py``; these views only
parse forms, check rights and render.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone, to_utc
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DateTimeLocalField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from community.activity import visible_audiences
from community.extensions import db
from community.forms import add_errors as _add_errors
from community.members.views import get_member_or_404
from community.permissions import role_required
from community.registry import registry
from community.timeutil import utcnow
from community.urls import int_arg as _int_arg
from community.urls import safe_next

from . import announcements, atom, highlights, service
from .models import InfluenceAnnouncement, InfluenceHighlight

STAFF_ROLE = "organiser"  # organisers, moderators and admins (ROLES order)
LIST_PAGE = 30
LOCAL_INPUT = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]  # what browsers send, first rendered


# --- forms ------------------------------------------------------------------------------------


class AnnouncementForm(FlaskForm):
    # Emptiness and lengths are checked by announcements.validate(), one message per problem.
    title = StringField(_l("Title"))
    body = TextAreaField(_l("Message"), description=_l("Markdown. At most 5,000 characters."))
    scope = RadioField(_l("Recipients"), default="all", validate_choice=False)
    area = StringField(_l("Area"), description=_l(
        "For an area: a postal code or its first digits (69, 690…), or the name of a commune."))
    audience = SelectField(_l("Group"), choices=[], validate_choice=False)
    expires_on = DateField(_l("Expires on (optional)"), validators=[Optional()],
                           description=_l("It stays pinned until the end of that day, or until dismissed."))
    send_email = BooleanField(_l("Also send it by e-mail to the recipients who accept announcements by e-mail"))


class HighlightForm(FlaskForm):
    post = StringField(_l("Post or conversation"),
                       description=_l("Paste the link of a post or of a conversation, or its number."))
    note = StringField(_l("Note (optional)"), description=_l("Why it is highlighted, in a few words."))
    starts_at = DateTimeLocalField(_l("From"), validators=[Optional()], format=LOCAL_INPUT,
                                   description=_l("Empty: now."))
    ends_at = DateTimeLocalField(_l("Until"), validators=[Optional()], format=LOCAL_INPUT)


def _group_choices(member) -> list[tuple[str, str]]:
    """The group rooms a member may address, from the enabled modules (none until groups exist)."""
    return [(value, str(label)) for module in registry.enabled() for value, label in module.post_audiences(member)]


# --- the pinned block of the home feed --------------------------------------------------------


def pinned_context(member) -> dict:
    """Announcements and highlights pinned on top of the member's home feed: one query for the
    announcements, the highlights from their cache."""
    audiences = visible_audiences(member)
    return {"announcements": announcements.live_for(member, audiences),
            "highlights": highlights.current(audiences)}


# --- announcements ----------------------------------------------------------------------------


@role_required(STAFF_ROLE)
def announcements_index():
    items = announcements.listing(before=_int_arg("before"), limit=LIST_PAGE + 1)
    older = items[LIST_PAGE - 1].id if len(items) > LIST_PAGE else None
    items = items[:LIST_PAGE]
    return render_template("influence/announcements.html", items=items, older=older,
                           dismissals=announcements.dismissal_counts([a.id for a in items]),
                           is_live=announcements.is_live, area_label=announcements.area_label)


@role_required(STAFF_ROLE)
def announcement_new():
    form = AnnouncementForm()
    groups = _group_choices(current_user)
    form.audience.choices = [("", _("Choose a group"))] + groups
    form.scope.choices = [("all", _("Every member")), ("area", _("The members of an area"))]
    if groups:
        form.scope.choices.append(("group", _("A group")))
    if request.method != "POST":
        return render_template("influence/announcements_form.html", form=form)
    fields = {"title": form.title.data or "", "body": form.body.data or "", "scope": form.scope.data or "all",
              "area": form.area.data or "", "audience": form.audience.data or None,
              "expires_on": form.expires_on.data, "send_email": bool(form.send_email.data),
              "allowed_audiences": [value for value, _label in groups]}
    if form.validate_on_submit():
        try:
            announcements.create(current_user, **fields)
        except announcements.AnnouncementError as exc:
            _add_errors(form, exc.errors)
        else:
            flash(_("Your announcement is published."), "success")
            return redirect(url_for("influence.announcements"))
    else:
        # The form's own checks failed (e.g. a malformed date): give the other fields' messages too.
        problems = announcements.validate(**fields)
        _add_errors(form, {name: messages for name, messages in problems.items() if not getattr(form, name).errors})
    return render_template("influence/announcements_form.html", form=form), 422


def _announcement_or_404(announcement_id: int) -> InfluenceAnnouncement:
    item = db.session.get(InfluenceAnnouncement, announcement_id)
    if item is None or not announcements.may_read(current_user, item):
        abort(404)
    return item


@login_required
def announcement(announcement_id: int):
    item = _announcement_or_404(announcement_id)
    return render_template("influence/announcements_view.html", item=item, live=announcements.is_live(item),
                           area_label=announcements.area_label(item),
                           is_recipient=announcements.is_recipient(current_user, item))


@login_required
def announcement_dismiss(announcement_id: int):
    item = db.session.get(InfluenceAnnouncement, announcement_id)
    if item is None or not announcements.is_recipient(current_user, item):
        abort(404)
    announcements.dismiss(item, current_user)
    flash(_("The announcement is no longer pinned in your feed."), "info")
    return redirect(safe_next(request.form.get("next")) or url_for("core.home"))


@role_required(STAFF_ROLE)
def announcement_withdraw(announcement_id: int):
    item = db.session.get(InfluenceAnnouncement, announcement_id) or abort(404)
    announcements.withdraw(item)
    flash(_("The announcement is withdrawn."), "info")
    return redirect(url_for("influence.announcements"))


# --- highlights -------------------------------------------------------------------------------


def highlights_page():
    """Public: what is highlighted now that the viewer may see; staff also manage them here."""
    staff = current_user.is_authenticated and current_user.has_role(STAFF_ROLE)
    audiences = visible_audiences(current_user) if current_user.is_authenticated else ["public"]
    return render_template("influence/highlights.html", items=highlights.for_page(audiences, staff=staff),
                           staff=staff, now=utcnow())


@role_required(STAFF_ROLE)
def highlight_new():
    form = HighlightForm()
    if request.method != "POST":
        form.post.data = request.args.get("post", "")
        form.ends_at.data = to_user_timezone(utcnow() + timedelta(days=7)).replace(tzinfo=None, second=0, microsecond=0)
        return render_template("influence/highlights_form.html", form=form)
    if form.validate_on_submit():
        try:
            highlights.create(
                current_user, post_ref=form.post.data, note=form.note.data or "",
                starts_at=to_utc(form.starts_at.data) if form.starts_at.data else None,
                ends_at=to_utc(form.ends_at.data) if form.ends_at.data else None)
        except highlights.HighlightError as exc:
            _add_errors(form, exc.errors)
        else:
            flash(_("The post is highlighted."), "success")
            return redirect(url_for("influence.highlights"))
    return render_template("influence/highlights_form.html", form=form), 422


@role_required(STAFF_ROLE)
def highlight_unpin(highlight_id: int):
    item = db.session.get(InfluenceHighlight, highlight_id) or abort(404)
    highlights.unpin(item)
    flash(_("The highlight is removed."), "info")
    return redirect(url_for("influence.highlights"))


# --- Atom -------------------------------------------------------------------------------------


def _atom(document: bytes) -> Response:
    response = Response(document, mimetype=atom.CONTENT_TYPE)
    response.add_etag()
    return response.make_conditional(request)


def atom_all():
    posts = service.movement_feed(None, limit=atom.ENTRIES, public_only=True)
    return _atom(atom.build_feed(
        title=_("%(site)s: public posts", site=_site_name()), self_url=atom.absolute("influence.atom_all"),
        alternate_url=atom.absolute("influence.movement"), posts=posts))


def atom_member(handle: str):
    member = get_member_or_404(handle)
    posts = service.member_posts(member.id, None, limit=atom.ENTRIES, public_only=True)
    return _atom(atom.build_feed(
        title=_("%(site)s: public posts by %(name)s", site=_site_name(), name=member.display_name),
        self_url=atom.absolute("influence.atom_member", handle=member.handle),
        alternate_url=atom.absolute("influence.member_posts", handle=member.handle), posts=posts))


def atom_topic(tag: str):
    tag = tag.lower()[:64]
    posts = service.topic_posts(tag, None, limit=atom.ENTRIES, public_only=True)
    return _atom(atom.build_feed(
        title=_("%(site)s: public posts on #%(tag)s", site=_site_name(), tag=tag),
        self_url=atom.absolute("influence.atom_topic", tag=tag),
        alternate_url=atom.absolute("influence.topic", tag=tag), posts=posts))


def _site_name() -> str:
    return current_app.config["TERREAU_NAME"]
