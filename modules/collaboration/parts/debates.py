"""The debates part of the collaboration module: a question open for a period, contributions for
/ against / neutral with threaded replies, a live count, a synthesis when it is closed.

The rules live in ``debates_service.py``; these views parse forms, check rights and render. The
debate page joins the socket room ``collaboration:debate:<id>``; each new contribution sends
``collaboration.debate`` there (ids and counts only), and the page then fetches the rendered
contributions from ``contributions.json``, which checks rights like the page itself.
"""

from __future__ import annotations

from flask import abort, flash, has_request_context, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone, to_utc
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from community.extensions import db
from community.forms import add_errors as _add_errors
from community.forms import error_messages
from community.ratelimits import limited
from community.registry import ActivityKind, ContentKind, ContentRef, NavItem
from community.timeutil import utcnow
from community.urls import int_arg as _int_arg

from .. import debates_service as service
from ..models import CollaborationContribution, CollaborationDebate
from . import Part

LOCAL_INPUT = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]  # what browsers send, first rendered
ACTIVITY_TEMPLATE = "collaboration/debates/activity.html"


def register(bp) -> None:
    """Add this part's URL rules to the collaboration blueprint."""
    bp.add_url_rule("/debates/", view_func=debates, endpoint="debates")
    bp.add_url_rule("/debates/new", view_func=limited("TERREAU_LIMIT_POST", debate_new), endpoint="debate_new",
                    methods=["GET", "POST"])
    bp.add_url_rule("/debates/<int:debate_id>", view_func=debate, endpoint="debate")
    bp.add_url_rule("/debates/<int:debate_id>/contribute", view_func=limited("TERREAU_LIMIT_POST", contribute),
                    endpoint="debate_contribute", methods=["POST"])
    bp.add_url_rule("/debates/<int:debate_id>/close", view_func=close, endpoint="debate_close", methods=["POST"])
    bp.add_url_rule("/debates/<int:debate_id>/contributions.json", view_func=contributions_json,
                    endpoint="debate_contributions_json")


# --- forms ------------------------------------------------------------------------------------


class DebateForm(FlaskForm):
    # Emptiness, lengths and the period are checked by debates_service.validate(), one message each.
    title = StringField(_l("Title"))
    question = TextAreaField(_l("Question"), description=_l(
        "Markdown. Say what is to be decided and why it matters; at most 10,000 characters."))
    group = SelectField(_l("Where"), choices=[], validate_choice=False)
    opens_at = DateTimeLocalField(_l("Opens"), validators=[Optional()], format=LOCAL_INPUT,
                                  description=_l("Empty: now."))
    closes_at = DateTimeLocalField(_l("Closes"), validators=[Optional()], format=LOCAL_INPUT,
                                   description=_l("Empty: open until it is closed with a synthesis."))


class ContributionForm(FlaskForm):
    stance = RadioField(_l("Your position"), default="neutral", validate_choice=False,
                        choices=[SelectChoice("for", _l("For")), SelectChoice("against", _l("Against")),
                                 SelectChoice("neutral", _l("Neutral"))])
    body = TextAreaField(_l("Your contribution"), description=_l("Markdown. At most 5,000 characters."))
    reply_to = HiddenField()


class CloseForm(FlaskForm):
    synthesis = TextAreaField(_l("Synthesis"), description=_l(
        "Markdown. What came out of the debate: the arguments for and against, what is decided or what comes next."))


def _local(value):
    return to_user_timezone(value).replace(tzinfo=None, second=0, microsecond=0)


# --- pages ------------------------------------------------------------------------------------


@login_required
def debates():
    items = service.list_debates(current_user, before=_int_arg("before"), limit=service.LIST_PAGE + 1)
    older = items[service.LIST_PAGE - 1].id if len(items) > service.LIST_PAGE else None
    items = items[: service.LIST_PAGE]
    now = utcnow()
    return render_template("collaboration/debates/list.html", items=items, older=older,
                           states={d.id: service.state(d, now) for d in items},
                           groups=service.group_names(d.group_id for d in items),
                           may_open=service.may_open_somewhere(current_user))


def _where_choices(member) -> list[SelectChoice]:
    choices = [SelectChoice("", _("The whole movement"))] if service.can_open(member, None) else []
    choices.extend(SelectChoice(str(gid), name) for gid, name in service.group_choices(member, openable=True))
    return choices


@login_required
def debate_new():
    if not service.may_open_somewhere(current_user):
        abort(403)
    form = DebateForm()
    form.group.choices = _where_choices(current_user)
    if request.method != "POST":
        wanted = request.args.get("group", "")
        if any(choice.value == wanted for choice in form.group.choices):
            form.group.data = wanted
        form.closes_at.data = _local(service.default_closes_at())
        return render_template("collaboration/debates/new.html", form=form, general=[])
    general = []
    allowed = {choice.value for choice in form.group.choices}
    group_value = form.group.data or ""
    valid = form.validate_on_submit()  # (validation resets each field's errors: the group's come after)
    if group_value not in allowed:
        form.group.errors = [_("Choose where the debate takes place.")]
        valid = False
    if valid:
        try:
            created = service.create_debate(
                current_user, title=form.title.data or "", question=form.question.data or "",
                group_id=int(group_value) if group_value else None,
                opens_at=to_utc(form.opens_at.data) if form.opens_at.data else None,
                closes_at=to_utc(form.closes_at.data) if form.closes_at.data else None)
        except service.DebateError as exc:
            general = _add_errors(form, exc.errors)
        else:
            flash(_("The debate is open."), "success")
            return redirect(url_for("collaboration.debate", debate_id=created.id))
    else:
        # A malformed date or group: give the other fields' messages too, in one round.
        problems = service.validate(
            title=form.title.data or "", question=form.question.data or "", group_id=None,
            opens_at=to_utc(form.opens_at.data) if form.opens_at.data else None,
            closes_at=to_utc(form.closes_at.data) if form.closes_at.data else None, now=utcnow())
        general = _add_errors(form, {k: v for k, v in problems.items() if not getattr(form, k).errors})
    return render_template("collaboration/debates/new.html", form=form, general=general), 422


def _debate_or_404(debate_id: int) -> CollaborationDebate:
    item = service.get_debate(debate_id, current_user)
    if item is None:
        abort(404)
    return item


def _render_debate(item: CollaborationDebate, *, form=None, close_form=None, general=(), reply_error=None,
                   status: int = 200):
    now = utcnow()
    before = _int_arg("before")
    # The last id first: a contribution arriving during the page's queries is then fetched live.
    last_id = service.last_contribution_id(item)
    roots, children, older = service.contributions_page(item, before=before)
    current = service.state(item, now)
    return render_template(
        "collaboration/debates/view.html", debate=item, state=current, counts=service.counts(item),
        roots=roots, children=children, older=older, first_page=before is None, last_id=last_id,
        form=form or ContributionForm(), close_form=close_form or CloseForm(), general=list(general),
        reply_error=reply_error, can_contribute=current == "open", can_close=service.can_close(current_user, item),
        refusal=service.refusal(item, now), room=service.debate_room(item.id),
        group_name=service.group_names([item.group_id]).get(item.group_id)), status


@login_required
def debate(debate_id: int):
    return _render_debate(_debate_or_404(debate_id))


@login_required
def contribute(debate_id: int):
    item = _debate_or_404(debate_id)
    form = ContributionForm()
    raw_reply = (form.reply_to.data or "").strip()
    reply_to = int(raw_reply) if raw_reply.isdigit() else None
    if raw_reply and reply_to is None:
        abort(400)
    if form.validate_on_submit():
        try:
            created = service.contribute(current_user, item, form.body.data or "", stance=form.stance.data or "",
                                         reply_to_id=reply_to)
        except service.DebateError as exc:
            if reply_to is not None:
                messages = error_messages(exc.errors)
                return _render_debate(item, general=[] if "body" in exc.errors else messages, status=422,
                                      reply_error={"id": reply_to, "errors": messages, "body": form.body.data or ""})
            return _render_debate(item, form=form, general=_add_errors(form, exc.errors), status=422)
        flash(_("Your reply is published.") if reply_to else _("Your contribution is published."), "success")
        return redirect(url_for("collaboration.debate", debate_id=item.id, _anchor=f"contribution-{created.id}"))
    return _render_debate(item, form=form, status=422)


@login_required
def close(debate_id: int):
    item = _debate_or_404(debate_id)
    if not service.can_close(current_user, item):
        abort(403)
    form = CloseForm()
    if form.validate_on_submit():
        try:
            service.close_debate(current_user, item, form.synthesis.data or "")
        except service.DebateError as exc:
            return _render_debate(item, close_form=form, general=_add_errors(form, exc.errors), status=422)
        flash(_("The debate is closed and its synthesis published."), "success")
        return redirect(url_for("collaboration.debate", debate_id=item.id))
    return _render_debate(item, close_form=form, status=422)


@login_required
def contributions_json(debate_id: int):
    """The live page's catch-up: contributions newer than ``after``, rendered, and the counts."""
    item = _debate_or_404(debate_id)
    items = service.contributions_since(item, _int_arg("after") or 0)
    current = service.state(item)
    return jsonify(
        debate=item.id, counts=service.counts(item), state=current,
        items=[{"id": c.id, "reply_to": c.reply_to_id,
                "html": render_template("collaboration/debates/_item.html", c=c, debate=item, children={},
                                        can_contribute=current == "open", reply_error=None)} for c in items])


# --- declarations -----------------------------------------------------------------------------


def _viewer():
    return current_user if has_request_context() and current_user.is_authenticated else None


def _load_debate(ident: str) -> ContentRef | None:
    item = db.session.get(CollaborationDebate, int(ident)) if ident.isdigit() else None
    viewer = _viewer()
    if item is None or (viewer is not None and not service.can_see_group_content(viewer, item.group_id)):
        return None
    return ContentRef(title=item.title, endpoint="collaboration.debate", args={"debate_id": item.id},
                      author_id=item.author_id, excerpt=item.question[:300])


def _load_contribution(ident: str) -> ContentRef | None:
    item = db.session.get(CollaborationContribution, int(ident)) if ident.isdigit() else None
    if item is None or item.deleted_at is not None:
        return None
    parent = db.session.get(CollaborationDebate, item.debate_id)
    viewer = _viewer()
    if viewer is not None and not service.can_see_group_content(viewer, parent.group_id):
        return None
    return ContentRef(title=_("Contribution to the debate “%(title)s”", title=parent.title),
                      endpoint="collaboration.debate",
                      args={"debate_id": parent.id, "_anchor": f"contribution-{item.id}"},
                      author_id=item.author_id, excerpt=item.body[:300])


def _may_join(member, ident: str) -> bool:
    """Socket room "collaboration:debate:<id>": whoever may see the debate."""
    return ident.isdigit() and service.get_debate(int(ident), member) is not None


def _cache_key(activity, viewer) -> tuple:
    """The template tells the author of the answered contribution so (ActivityKind.cache_key)."""
    return (viewer.is_authenticated and viewer.id == (activity.data or {}).get("reply_to_author"),)


def _nav(member):
    return (NavItem("collaboration.debates", _l("Debates"), "main", 22),) if member.is_authenticated else ()


PART = Part(
    register=register,
    name="debates",
    activity_kinds={
        "collaboration.debate_opened": ActivityKind(ACTIVITY_TEMPLATE, _l("A debate opens"), cache_key=_cache_key),
        "collaboration.contribution": ActivityKind(
            ACTIVITY_TEMPLATE, _l("Someone contributes to a debate you opened or answers your contribution"),
            cache_key=_cache_key),
        "collaboration.debate_closed": ActivityKind(
            ACTIVITY_TEMPLATE, _l("A debate you took part in is closed, with its synthesis"), cache_key=_cache_key),
    },
    content_kinds={
        "collaboration.debate": ContentKind(_l("Debate"), _load_debate),
        "collaboration.contribution": ContentKind(_l("Debate contribution"), _load_contribution),
    },
    nav_items=_nav,
    rooms={"debate": _may_join},
    seed_demo=service.seed_demo,
    export_data=service.export_data,
)
