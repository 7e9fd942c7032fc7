"""The proposals part of the collaboration module: a versioned text, amendments decided by the
author (or the group's animators), a readable diff between any two versions, and supports.

The rules live in ``proposals_service.py`` (see its docstring); these views parse forms, check
rights and render.
"""

from __future__ import annotations

from flask import abort, flash, has_request_context, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField, TextAreaField

from community.extensions import db
from community.forms import add_errors as _add_errors
from community.markdown import render_markdown
from community.permissions import role_required
from community.ratelimits import limited
from community.registry import ContentKind, ContentRef, NavItem, shared_kind
from community.settings import module_setting, set_module_setting
from community.urls import int_arg as _int_arg

from .. import proposals_service as service
from ..debates_service import group_names
from ..models import CollaborationAmendment, CollaborationProposal
from . import Part

ACTIVITY_TEMPLATE = "collaboration/proposals/activity.html"


def register(bp) -> None:
    """Add this part's URL rules to the collaboration blueprint."""
    rule = bp.add_url_rule
    rule("/proposals/", view_func=proposals, endpoint="proposals")
    rule("/proposals/new", view_func=limited("TERREAU_LIMIT_POST", proposal_new), endpoint="proposal_new",
         methods=["GET", "POST"])
    rule("/proposals/settings", view_func=settings, endpoint="proposal_settings", methods=["POST"])
    rule("/proposals/<int:proposal_id>", view_func=proposal, endpoint="proposal")
    rule("/proposals/<int:proposal_id>/support", view_func=support, endpoint="proposal_support", methods=["POST"])
    rule("/proposals/<int:proposal_id>/unsupport", view_func=unsupport, endpoint="proposal_unsupport",
         methods=["POST"])
    rule("/proposals/<int:proposal_id>/close", view_func=close, endpoint="proposal_close", methods=["POST"])
    rule("/proposals/<int:proposal_id>/reopen", view_func=reopen, endpoint="proposal_reopen", methods=["POST"])
    rule("/proposals/<int:proposal_id>/versions/<int:number>", view_func=version, endpoint="proposal_version")
    rule("/proposals/<int:proposal_id>/diff", view_func=compare, endpoint="proposal_diff")
    rule("/proposals/<int:proposal_id>/amend", view_func=limited("TERREAU_LIMIT_POST", amend),
         endpoint="proposal_amend", methods=["GET", "POST"])
    rule("/proposals/<int:proposal_id>/amendments/<int:amendment_id>", view_func=amendment, endpoint="amendment")
    rule("/proposals/<int:proposal_id>/amendments/<int:amendment_id>/update",
         view_func=limited("TERREAU_LIMIT_POST", amendment_update), endpoint="amendment_update", methods=["POST"])
    rule("/proposals/<int:proposal_id>/amendments/<int:amendment_id>/decide", view_func=decide,
         endpoint="amendment_decide", methods=["POST"])


# --- forms ------------------------------------------------------------------------------------


class ProposalForm(FlaskForm):
    # Emptiness and lengths are checked by proposals_service, one message per problem.
    title = StringField(_l("Title"))
    text = TextAreaField(_l("Text of the proposal"), description=_l(
        "Markdown. Members will propose amendments to this text; at most 20,000 characters."))
    group = SelectField(_l("Where"), choices=[], validate_choice=False)


class AmendmentForm(FlaskForm):
    text = TextAreaField(_l("Amended text"), description=_l(
        "The whole text as you propose it: change what you want, keep the rest."))
    rationale = TextAreaField(_l("Why this amendment"), description=_l("At most 2,000 characters."))
    base_version = HiddenField()


def _int_form(form: FlaskForm, name: str) -> int | None:
    value = (getattr(form, name).data or "").strip()
    return int(value) if value.isdigit() else None


def _allow_self() -> bool:
    return bool(module_setting("collaboration", "allow_self_support"))


def _proposal_or_404(proposal_id: int) -> CollaborationProposal:
    item = service.get_proposal(proposal_id, current_user)
    if item is None:
        abort(404)
    return item


def _group_name(item: CollaborationProposal) -> str | None:
    return group_names([item.group_id]).get(item.group_id) if item.group_id else None


def _back(item: CollaborationProposal):
    return redirect(url_for("collaboration.proposal", proposal_id=item.id))


# --- pages ------------------------------------------------------------------------------------


@login_required
def proposals():
    status = request.args.get("status", "open")
    if status not in ("open", "closed", "all"):
        status = "open"
    items = service.list_proposals(current_user, before=_int_arg("before"), limit=service.LIST_PAGE + 1,
                                   status=None if status == "all" else status)
    older = items[service.LIST_PAGE - 1].id if len(items) > service.LIST_PAGE else None
    items = items[: service.LIST_PAGE]
    ids = [p.id for p in items]
    return render_template("collaboration/proposals/list.html", items=items, older=older, status=status,
                           pending=service.pending_counts(ids), mine=service.supports(current_user.id, ids),
                           groups=group_names(p.group_id for p in items), allow_self=_allow_self())


@role_required("admin")
def settings():
    """Admins choose whether authors may support their own proposals (audit-logged)."""
    value = request.form.get("allow_self_support") == "1"
    set_module_setting("collaboration", "allow_self_support", value, actor=current_user)
    db.session.commit()
    flash(_("Authors may now support their own proposals.") if value else
          _("Authors may no longer support their own proposals."), "success")
    return redirect(url_for("collaboration.proposals"))


def _where_choices(member) -> list[SelectChoice]:
    return [SelectChoice("", _("The whole movement"))] + [SelectChoice(str(gid), name)
                                                         for gid, name in service.group_choices(member)]


@login_required
def proposal_new():
    form = ProposalForm()
    form.group.choices = _where_choices(current_user)
    if request.method != "POST":
        wanted = request.args.get("group", "")
        if any(choice.value == wanted for choice in form.group.choices):
            form.group.data = wanted
        return render_template("collaboration/proposals/new.html", form=form, general=[])
    general = []
    group_value = form.group.data or ""
    if group_value not in {choice.value for choice in form.group.choices}:
        form.group.errors = [_("Choose where the proposal is made.")]
    elif form.validate_on_submit():
        try:
            created = service.create_proposal(current_user, title=form.title.data or "", text=form.text.data or "",
                                              group_id=int(group_value) if group_value else None)
        except service.ProposalError as exc:
            general = _add_errors(form, exc.errors)
        else:
            flash(_("Your proposal is published."), "success")
            return redirect(url_for("collaboration.proposal", proposal_id=created.id))
    return render_template("collaboration/proposals/new.html", form=form, general=general), 422


def _render_proposal(item: CollaborationProposal, *, general=(), status: int = 200):
    versions = service.versions(item)
    texts = {v.number: v.text for v in versions}
    amendments = service.amendments(item)
    pending = [a for a in amendments if a.status == "pending"]
    decided = [a for a in amendments if a.status != "pending"]
    diffs = {a.id: service.diff(texts.get(a.base_version, ""), a.text) for a in pending}
    own = item.author_id == current_user.id
    return render_template(
        "collaboration/proposals/view.html", proposal=item, versions=versions,
        text_html=render_markdown(texts.get(item.current_version, "")), pending=pending, decided=decided,
        diffs=diffs, needs_update={a.id: service.needs_update(a, item) for a in pending},
        supported=bool(service.supports(current_user.id, [item.id])), own=own,
        may_support=not own or _allow_self(), can_decide=service.can_decide(current_user, item),
        general=list(general), group_name=_group_name(item)), status


@login_required
def proposal(proposal_id: int):
    return _render_proposal(_proposal_or_404(proposal_id))


@login_required
def support(proposal_id: int):
    item = _proposal_or_404(proposal_id)
    try:
        service.support(current_user, item, allow_self=_allow_self())
    except service.ProposalError as exc:
        return _render_proposal(item, general=[str(exc)], status=422)
    flash(_("You support this proposal."), "success")
    return _back(item)


@login_required
def unsupport(proposal_id: int):
    item = _proposal_or_404(proposal_id)
    try:
        service.withdraw_support(current_user, item)
    except service.ProposalError as exc:
        return _render_proposal(item, general=[str(exc)], status=422)
    flash(_("You no longer support this proposal."), "info")
    return _back(item)


@login_required
def close(proposal_id: int):
    item = _proposal_or_404(proposal_id)
    if not service.can_decide(current_user, item):
        abort(403)
    try:
        service.close_proposal(current_user, item)
    except service.ProposalError as exc:
        return _render_proposal(item, general=[str(exc)], status=422)
    flash(_("The proposal is closed: its text and supports are final."), "info")
    return _back(item)


@login_required
def reopen(proposal_id: int):
    item = _proposal_or_404(proposal_id)
    if not service.can_decide(current_user, item):
        abort(403)
    try:
        service.reopen_proposal(current_user, item)
    except service.ProposalError as exc:
        return _render_proposal(item, general=[str(exc)], status=422)
    flash(_("The proposal is open again."), "info")
    return _back(item)


@login_required
def version(proposal_id: int, number: int):
    item = _proposal_or_404(proposal_id)
    row = service.version(item, number)
    if row is None:
        abort(404)
    return render_template("collaboration/proposals/version.html", proposal=item, version=row,
                           text_html=render_markdown(row.text))


@login_required
def compare(proposal_id: int):
    """A readable diff between any two versions (by default: the previous one and the current one)."""
    item = _proposal_or_404(proposal_id)
    versions = service.versions(item)
    texts = {v.number: v.text for v in versions}
    new = _int_arg("to") or item.current_version
    old = _int_arg("from") or max(1, new - 1)
    if old not in texts or new not in texts:
        abort(404)
    return render_template("collaboration/proposals/diff.html", proposal=item, versions=versions, old=old, new=new,
                           diff=service.diff(texts[old], texts[new]))


@login_required
def amend(proposal_id: int):
    item = _proposal_or_404(proposal_id)
    form = AmendmentForm()
    if request.method != "POST":
        form.text.data = service.current_text(item)
        form.base_version.data = str(item.current_version)
        return render_template("collaboration/proposals/amend.html", proposal=item, form=form,
                               general=[] if item.status == "open" else [str(service.closed_message())])
    general = []
    if form.validate_on_submit():
        try:
            created = service.propose_amendment(current_user, item, text=form.text.data or "",
                                                rationale=form.rationale.data or "",
                                                base_version=_int_form(form, "base_version"))
        except service.ProposalError as exc:
            general = _add_errors(form, exc.errors)
        else:
            flash(_("Your amendment is sent to the author of the proposal."), "success")
            return redirect(url_for("collaboration.amendment", proposal_id=item.id, amendment_id=created.id))
    # Values kept; the next try is against the version in force now.
    form.base_version.data = str(item.current_version)
    return render_template("collaboration/proposals/amend.html", proposal=item, form=form, general=general), 422


def _amendment_or_404(item: CollaborationProposal, amendment_id: int) -> CollaborationAmendment:
    row = service.get_amendment(item, amendment_id)
    if row is None:
        abort(404)
    return row


def _render_amendment(item: CollaborationProposal, row: CollaborationAmendment, *, form=None, general=(),
                      status: int = 200):
    base = service.version(item, row.base_version)
    base_text = base.text if base else ""
    outdated = service.needs_update(row, item)
    if form is None:
        form = AmendmentForm()
        form.text.data = row.text
        form.rationale.data = row.rationale
    form.base_version.data = str(item.current_version)
    return render_template(
        "collaboration/proposals/amendment.html", proposal=item, amendment=row, diff=service.diff(base_text, row.text),
        outdated=outdated, since=service.diff(base_text, service.current_text(item)) if outdated else None,
        can_decide=service.can_decide(current_user, item), form=form, general=list(general)), status


@login_required
def amendment(proposal_id: int, amendment_id: int):
    item = _proposal_or_404(proposal_id)
    return _render_amendment(item, _amendment_or_404(item, amendment_id))


@login_required
def amendment_update(proposal_id: int, amendment_id: int):
    item = _proposal_or_404(proposal_id)
    row = _amendment_or_404(item, amendment_id)
    if row.author_id != current_user.id:
        abort(403)
    form = AmendmentForm()
    if form.validate_on_submit():
        try:
            service.update_amendment(current_user, row, item, text=form.text.data or "",
                                     rationale=form.rationale.data or "",
                                     base_version=_int_form(form, "base_version"))
        except service.ProposalError as exc:
            return _render_amendment(item, row, form=form, general=_add_errors(form, exc.errors), status=422)
        flash(_("Your amendment is updated against the current version."), "success")
        return redirect(url_for("collaboration.amendment", proposal_id=item.id, amendment_id=row.id))
    return _render_amendment(item, row, form=form, status=422)


@login_required
def decide(proposal_id: int, amendment_id: int):
    item = _proposal_or_404(proposal_id)
    row = _amendment_or_404(item, amendment_id)
    if not service.can_decide(current_user, item):
        abort(403)
    action = request.form.get("action")
    if action not in ("accept", "reject"):
        abort(400)
    try:
        made = service.decide_amendment(current_user, row, item, accept=action == "accept")
    except service.ProposalError as exc:
        return _render_amendment(item, row, general=[str(exc)], status=422)
    if made is not None:
        flash(_("The amendment is accepted: the text is now at version %(n)d.", n=made.number), "success")
    else:
        flash(_("The amendment is rejected."), "info")
    return _back(item)


# --- declarations -----------------------------------------------------------------------------


def _viewer():
    return current_user if has_request_context() and current_user.is_authenticated else None


def _load_proposal(ident: str) -> ContentRef | None:
    item = db.session.get(CollaborationProposal, int(ident)) if ident.isdigit() else None
    viewer = _viewer()
    if item is None or (viewer is not None and not service.can_see_group_content(viewer, item.group_id)):
        return None
    return ContentRef(title=item.title, endpoint="collaboration.proposal", args={"proposal_id": item.id},
                      author_id=item.author_id, excerpt=service.current_text(item)[:300])


def _load_amendment(ident: str) -> ContentRef | None:
    row = db.session.get(CollaborationAmendment, int(ident)) if ident.isdigit() else None
    if row is None:
        return None
    item = db.session.get(CollaborationProposal, row.proposal_id)
    viewer = _viewer()
    if viewer is not None and not service.can_see_group_content(viewer, item.group_id):
        return None
    return ContentRef(title=_("Amendment to the proposal “%(title)s”", title=item.title),
                      endpoint="collaboration.amendment", args={"proposal_id": item.id, "amendment_id": row.id},
                      author_id=row.author_id, excerpt=(row.rationale or row.text)[:300])


def _nav(member):
    return (NavItem("collaboration.proposals", _l("Proposals"), "main", 23),) if member.is_authenticated else ()


PART = Part(
    register=register,
    name="proposals",
    activity_kinds={
        "collaboration.proposal": shared_kind(ACTIVITY_TEMPLATE, _l("A new proposal")),
        "collaboration.amendment": shared_kind(ACTIVITY_TEMPLATE,
                                                _l("Someone proposes an amendment to your proposal")),
        "collaboration.amendment_decided": shared_kind(ACTIVITY_TEMPLATE,
                                                        _l("Your amendment is accepted or rejected")),
        "collaboration.support": shared_kind(ACTIVITY_TEMPLATE, _l("Someone supports your proposal")),
    },
    content_kinds={
        "collaboration.proposal": ContentKind(_l("Proposal"), _load_proposal),
        "collaboration.amendment": ContentKind(_l("Amendment"), _load_amendment),
    },
    nav_items=_nav,
    # Supporting one's own proposal: off by default (a proposal's support is others' support).
    settings={"allow_self_support": False},
    seed_demo=service.seed_demo,
    export_data=service.export_data,
)
