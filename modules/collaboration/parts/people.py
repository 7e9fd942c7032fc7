"""The people part of the collaboration module: putting members in touch.

Suggestions ("people to meet") with their reasons, introductions (ask, accept, decline),
blocks and hidden suggestions, and the skill search ("who can help with…"). The logic is in
``people_service`` (and the score in ``matching``); the views here stay thin and never write
on GET.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from community.extensions import limiter
from community.members.views import get_member_or_404
from community.registry import HomeWidget, NavItem, shared_kind
from community.urls import safe_next

from .. import people_service as service
from . import Part

DEFAULT_LIMIT = "10 per day"  # TERREAU_LIMIT_INTRODUCTION, when the config lacks it
ACTIVITY_TEMPLATE = "collaboration/people/activity_introduction.html"


class IntroductionForm(FlaskForm):
    message = TextAreaField(
        _l("Your message (optional)"),
        filters=[lambda value: (value or "").strip()],
        validators=[Length(max=service.MAX_MESSAGE,
                           message=_l("Your message is too long: at most %(max)d characters.",
                                      max=service.MAX_MESSAGE))],
        description=_l("Say who you are and why you would like to meet. At most 500 characters."))


# --- pages (read-only) -------------------------------------------------------------------

@login_required
def people():
    member = current_user._get_current_object()
    return render_template("collaboration/people/suggestions.html",
                           suggestions=service.suggestions(member),
                           pending=service.pending_counterparts(member),
                           pending_count=service.pending_count(member))


@login_required
def search():
    args = {k: (request.args.get(k) or "").strip()[:40] for k in ("skill", "interest", "area")}
    after = request.args.get("after") or None
    member = current_user._get_current_object()
    found = service.search_people(member, **args, after=after, limit=service.SEARCH_PAGE + 1)
    more = len(found) > service.SEARCH_PAGE
    found = found[:service.SEARCH_PAGE]
    return render_template("collaboration/people/search.html", people=found, args=args,
                           searched=any(args.values()), next_after=found[-1].handle if more else None,
                           pending=service.pending_counterparts(member) if found else {})


@login_required
def introductions():
    member = current_user._get_current_object()
    return render_template("collaboration/people/introductions.html", **service.introductions(member))


@login_required
def hidden():
    member = current_user._get_current_object()
    return render_template("collaboration/people/hidden.html", hidden=service.hidden_members(member),
                           blocked=service.blocked_members(member))


# --- forms and actions -------------------------------------------------------------------

@login_required
def introduce(handle: str):
    """GET: the form (or why it is not possible); POST: ask to be put in touch."""
    recipient = get_member_or_404(handle)
    sender = current_user._get_current_object()
    form = IntroductionForm()
    problem = None
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                service.request_introduction(sender, recipient, form.message.data)
            except service.IntroductionError as exc:
                problem = str(exc)
            else:
                flash(_("Your request is sent to %(name)s.", name=recipient.display_name), "success")
                return redirect(url_for("collaboration.people_introductions"))
    else:
        problem = service.introduction_problem(sender, recipient)
    status = 422 if request.method == "POST" else 200
    return render_template("collaboration/people/introduce.html", form=form, recipient=recipient,
                           problem=problem), status


def _decide(introduction_id: int, accepting: bool):
    member = current_user._get_current_object()
    introduction = service.get_received(introduction_id, member)
    if introduction is None:
        abort(404)
    name = introduction.sender.display_name
    try:
        if accepting:
            service.accept(introduction, member)
        else:
            service.decline(introduction, member)
    except service.IntroductionError as exc:
        flash(str(exc), "error")
    else:
        if accepting:
            flash(_("You are now in touch with %(name)s: you follow each other.", name=name), "success")
        else:
            flash(_("You declined the request of %(name)s.", name=name), "info")
    return redirect(url_for("collaboration.people_introductions"))


@login_required
def accept(introduction_id: int):
    return _decide(introduction_id, True)


@login_required
def decline(introduction_id: int):
    return _decide(introduction_id, False)


def _back(default: str = "collaboration.people"):
    return redirect(safe_next(request.form.get("next")) or url_for(default))


@login_required
def hide(handle: str):
    other = get_member_or_404(handle)
    if service.hide_suggestion(current_user._get_current_object(), other):
        flash(_("%(name)s will not be suggested to you any more.", name=other.display_name), "info")
    return _back()


@login_required
def unhide(handle: str):
    other = get_member_or_404(handle)
    if service.unhide_suggestion(current_user._get_current_object(), other):
        flash(_("%(name)s may be suggested to you again.", name=other.display_name), "info")
    return _back("collaboration.people_hidden")


@login_required
def block(handle: str):
    other = get_member_or_404(handle)
    member = current_user._get_current_object()
    if other.id == member.id:
        flash(_("You cannot block yourself."), "error")
    elif service.block(member, other):
        flash(_("You blocked %(name)s: neither of you will be suggested to, find or ask for an introduction "
                "to the other.", name=other.display_name), "info")
    else:
        flash(_("You already blocked %(name)s.", name=other.display_name), "info")
    return _back()


@login_required
def unblock(handle: str):
    other = get_member_or_404(handle)
    if service.unblock(current_user._get_current_object(), other):
        flash(_("You unblocked %(name)s.", name=other.display_name), "info")
    return _back("collaboration.people_hidden")


# --- rate limit --------------------------------------------------------------------------

def _member_key() -> str:
    """Count per member (not per address: members behind one network share an address)."""
    if current_user.is_authenticated:
        return f"member:{current_user.id}"
    return get_remote_address()


def _introduction_limit() -> str:
    return current_app.config.get("TERREAU_LIMIT_INTRODUCTION", DEFAULT_LIMIT)


def register(bp) -> None:
    """Add this part's URL rules to the collaboration blueprint."""
    # Only requests that were sent count (a refused or mistyped one does not use up the day's quota).
    limited_introduce = limiter.limit(_introduction_limit, key_func=_member_key, methods=["POST"],
                                      deduct_when=lambda response: response.status_code < 400)(introduce)
    bp.add_url_rule("/people", view_func=people, endpoint="people")
    bp.add_url_rule("/people/search", view_func=search, endpoint="people_search")
    bp.add_url_rule("/people/introductions", view_func=introductions, endpoint="people_introductions")
    bp.add_url_rule("/people/introductions/<int:introduction_id>/accept", view_func=accept,
                    endpoint="people_accept", methods=["POST"])
    bp.add_url_rule("/people/introductions/<int:introduction_id>/decline", view_func=decline,
                    endpoint="people_decline", methods=["POST"])
    bp.add_url_rule("/people/hidden", view_func=hidden, endpoint="people_hidden")
    bp.add_url_rule("/people/<handle>/introduce", view_func=limited_introduce, endpoint="people_introduce",
                    methods=["GET", "POST"])
    for name, view in (("hide", hide), ("unhide", unhide), ("block", block), ("unblock", unblock)):
        bp.add_url_rule(f"/people/<handle>/{name}", view_func=view, endpoint=f"people_{name}", methods=["POST"])


# --- what the part adds to the module ----------------------------------------------------

def _nav(member) -> tuple:
    return (NavItem("collaboration.people", _l("People to meet"), "main", 21),)


_WIDGET_TTL = 300.0  # seconds: the home block's suggestions are computed at most this often per member


def _widget(member) -> dict:
    """Three suggestions for the home page, kept per member for a few minutes: the home page is
    the most viewed page, and suggestions change slowly (the people page is always fresh)."""
    import time
    from dataclasses import replace
    from types import SimpleNamespace

    from flask import current_app

    _widget_cache = current_app.extensions.setdefault("collaboration_people_widget", {})  # per app, per process
    now = time.monotonic()
    hit = _widget_cache.get(member.id)
    if hit is None or now - hit[0] > _WIDGET_TTL:
        # Plain values, not ORM objects: they outlive the request's session.
        found = [replace(s, member=SimpleNamespace(id=s.member.id, handle=s.member.handle,
                                                    display_name=s.member.display_name, erased_at=None))
                 for s in service.suggestions(member, limit=3)]
        if len(_widget_cache) > 10_000:
            _widget_cache.clear()
        hit = _widget_cache[member.id] = (now, found)
    return {"suggestions": hit[1]}


def _seed_demo(ctx) -> None:
    """A few introductions: accepted ones (the pair then follow each other), pending ones (some
    to the demo admin, so a first look shows requests to answer) and a declined one."""
    from datetime import timedelta

    from community.demo import reset_sequence
    from community.models import Follow

    from ..models import CollaborationIntroduction

    rng = ctx.rng
    listed = [m for m in ctx.member_ids if ctx.members.get(m, {}).get("in_directory")]
    if len(listed) < 4:
        return
    count = max(6, min(int(8 * ctx.scale), 400))
    count = round(count * ctx.family_scale("collaboration") * (3 if ctx.profile == "collaboration" else 1))
    messages = ("Bonjour, nous habitons la même ville : on pourrait tracter ensemble ?",
                "J'ai vu que tu t'intéresses aussi au logement, ça te dit d'en parler ?",
                "Je cherche quelqu'un pour m'aider sur les visuels de la campagne.", "")
    pairs: set[tuple[int, int]] = set()
    rows, follows = [], []
    admin = ctx.admin_id
    for n in range(count):
        sender = rng.choice(listed)
        # the first two are pending requests to the admin, so the demo's first login has some
        recipient = admin if n < 2 and sender != admin else rng.choice(listed)
        if (sender == recipient or (sender, recipient) in pairs or (recipient, sender) in pairs
                or {(sender, recipient), (recipient, sender)} <= ctx.follows):
            continue
        if recipient == admin and not (ctx.members[admin].get("in_directory") or (admin, sender) in ctx.follows):
            continue  # the rule for members not in the directory (docs/collaboration.md)
        status = "pending" if recipient == admin else ("pending", "accepted", "accepted", "pending", "declined")[n % 5]
        pairs.add((sender, recipient))
        at = ctx.now - timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 1440))
        at = max(at, ctx.members[sender]["joined_at"], ctx.members[recipient]["joined_at"]) + timedelta(minutes=1)
        decided = min(at + timedelta(hours=rng.randint(1, 72)), ctx.now) if status != "pending" else None
        intro_id = len(rows) + 1
        rows.append({"id": intro_id, "from_id": sender, "to_id": recipient, "message": rng.choice(messages),
                     "status": status, "created_at": at, "decided_at": decided})
        data = {"endpoint": "collaboration.people_introductions"}
        ctx.activity(sender, "collaboration.introduction_requested", "collaboration.introduction", intro_id, at,
                     audience=f"member:{recipient}", data=data)
        if status == "accepted":
            for a, b in ((sender, recipient), (recipient, sender)):
                if (a, b) not in ctx.follows:
                    ctx.follows.add((a, b))
                    follows.append({"follower_id": a, "followed_id": b, "created_at": decided})
            ctx.activity(recipient, "collaboration.introduction_accepted", "collaboration.introduction", intro_id,
                         decided, audience=f"member:{sender}", data=data)
            ctx.activity(sender, "collaboration.introduction_accepted", "collaboration.introduction", intro_id,
                         decided, audience=f"member:{recipient}", data=data)
    ctx.bulk(CollaborationIntroduction, rows)
    ctx.bulk(Follow, follows)
    reset_sequence("collaboration_introduction")


PART = Part(
    register=register,
    name="people",
    activity_kinds={
        "collaboration.introduction_requested": shared_kind(ACTIVITY_TEMPLATE,
                                                             _l("Someone asks to be put in touch with you")),
        "collaboration.introduction_accepted": shared_kind(ACTIVITY_TEMPLATE,
                                                            _l("An introduction is accepted: you are in touch")),
        "collaboration.introduction_declined": shared_kind(ACTIVITY_TEMPLATE,
                                                            _l("Someone declines your introduction request")),
    },
    nav_items=_nav,
    home_widgets=(HomeWidget("collaboration/people/widget.html", order=40, context=_widget, slot="side",
                             cache_key=lambda w: tuple((s.member.id, s.member.handle, s.member.display_name,
                                                        s.member.erased_at, s.reasons)
                                                       for s in w["suggestions"])),),
    settings={"people_retry_days": service.DEFAULT_RETRY_DAYS},  # after a decline, wait this long to ask again
    seed_demo=_seed_demo,
    export_data=service.export_data,
)
