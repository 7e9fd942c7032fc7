"""The opinion maps part (in the spirit of Pol.is): questions, anonymous statements, agree /
disagree / pass votes, and the map of opinion groups. URL rules, forms and thin views; the logic
is in ``opinions_service`` and the grouping in ``opinion_map`` (docs/opinion-maps.md)."""

from __future__ import annotations

from flask import abort, flash, has_request_context, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from community.ratelimits import limited
from community.registry import ContentKind, ContentRef, NavItem, shared_kind
from community.urls import int_arg as _int_arg
from community.urls import safe_next

from .. import opinions_service as service
from ..access import can_see_group_content, get_group
from . import Part

ACTIVITY_TEMPLATE = "collaboration/opinions/activity.html"


class QuestionForm(FlaskForm):
    title = StringField(_l("Question"), validators=[DataRequired(_l("Give the question a title.")),
                                                    Length(max=service.MAX_TITLE)])
    description = TextAreaField(_l("What is it about? (optional)"), validators=[Length(max=service.MAX_DESCRIPTION)])
    group = SelectField(_l("Where"), choices=[])


class StatementForm(FlaskForm):
    text = TextAreaField(_l("Your statement"), validators=[DataRequired(_l("Write a statement first."))],
                         description=_l("One short idea others can agree or disagree with; at most 280 characters. "
                                        "Statements are shown without their author's name; yours counts as your "
                                        "agreement, which you can change."))


def _question_or_404(question_id: int):
    question = service.get_question(question_id, current_user)
    if question is None:
        abort(404)
    return question


@login_required
def index():
    """The questions the member may see (movement-wide and their groups', or one group's)."""
    group_id = _int_arg("group")
    group = None
    if group_id is not None:
        group = get_group(group_id)
        if group is None or not can_see_group_content(current_user, group_id):
            abort(404)
    items = service.visible_questions(current_user, group_id=group_id, before=_int_arg("before"),
                                      limit=service.LIST_PAGE + 1)
    older = items[service.LIST_PAGE - 1].question.id if len(items) > service.LIST_PAGE else None
    can_ask = (service.can_create(current_user, group_id) if group_id is not None
               else current_user.has_role("organiser") or bool(service.creatable_groups(current_user)))
    return render_template("collaboration/opinions/index.html", items=items[: service.LIST_PAGE], older=older,
                           group=group, can_ask=can_ask)


def _question_form() -> QuestionForm:
    form = QuestionForm()
    choices = [("", _("The whole movement"))] if current_user.has_role("organiser") else []
    choices += [(str(g.id), g.name) for g in service.creatable_groups(current_user)]
    form.group.choices = choices
    if request.method == "GET" and request.args.get("group", "").isdigit():
        form.group.data = request.args["group"]
    return form


@login_required
def new():
    """Ask a question: organisers for the movement, animators for their groups (others: 403)."""
    form = _question_form()
    if not form.group.choices:
        abort(403)
    if form.validate_on_submit():
        group_id = int(form.group.data) if form.group.data else None
        try:
            question = service.create_question(current_user, form.title.data, form.description.data, group_id)
        except service.OpinionError as exc:
            form.title.errors.append(str(exc))
        else:
            flash(_("Your question is open. Add the first statements so members can start voting."), "success")
            return redirect(url_for("collaboration.opinion", question_id=question.id))
    return render_template("collaboration/opinions/new.html", form=form), 422 if form.errors else 200


def _group_of(question):
    return get_group(question.group_id) if question.group_id else None


def _question_page(question, form: StatementForm, status: int = 200):
    rows = service.statement_rows(question, current_user)
    done = sum(1 for r in rows if r.mine is not None)
    return render_template(
        "collaboration/opinions/question.html", question=question, group=_group_of(question), rows=rows,
        form=form, done=done, open=service.is_open(question),
        can_close=service.can_close(current_user, question), floor=service.PRIVACY_FLOOR), status


@login_required
def question(question_id: int):
    """A question, the form to add a statement, and every statement with one's vote."""
    return _question_page(_question_or_404(question_id), StatementForm())


@login_required
def add_statement(question_id: int):
    """Add a statement (422 with the reason when refused)."""
    item = _question_or_404(question_id)
    form = StatementForm()
    if form.validate_on_submit():
        try:
            service.add_statement(item, current_user, form.text.data)
        except service.OpinionError as exc:
            form.text.errors.append(str(exc))
        else:
            flash(_("Your statement is added. It counts as your agreement; you can change that below."), "success")
            return redirect(url_for("collaboration.opinion", question_id=item.id, _anchor="statements"))
    return _question_page(item, form, 422)


@login_required
def vote_page(question_id: int):
    """The next statement to vote on, or (``?mode=list``) the statements not voted on yet."""
    item = _question_or_404(question_id)
    as_list = request.args.get("mode") == "list"
    pending = service.next_statements(item, current_user, limit=service.LIST_PAGE if as_list else 1)
    done, total = service.progress(item, current_user)
    return render_template("collaboration/opinions/vote.html", question=item, group=_group_of(item),
                           pending=pending, as_list=as_list,
                           done=done, total=total, open=service.is_open(item))


def _back(item):
    return redirect(safe_next(request.form.get("next")) or url_for("collaboration.opinion_vote_page",
                                                                    question_id=item.id), 303)


@login_required
def vote(question_id: int, statement_id: int):
    """Vote, or change one's vote, on one statement; back to ``next`` (a local path) or the vote page."""
    item = _question_or_404(question_id)
    statement = service.get_statement(item, statement_id)
    if statement is None:
        abort(404)
    try:
        outcome = service.vote(item, statement, current_user, request.form.get("value"))
    except service.OpinionError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Your vote is changed.") if outcome == "changed" else _("Your vote is recorded."), "success")
    return _back(item)


@login_required
def votes(question_id: int):
    """The list form: several votes at once, all or nothing."""
    item = _question_or_404(question_id)
    try:
        count = service.vote_many(item, current_user, request.form)
    except service.OpinionError as exc:
        flash(str(exc), "error")
    else:
        flash(ngettext("%(num)d vote recorded.", "%(num)d votes recorded.", count), "success")
    return _back(item)


@login_required
def map_page(question_id: int):
    """The map: participants' positions, opinion groups, their statements, consensus (never writes)."""
    item = _question_or_404(question_id)
    view = service.opinion_map_view(item)
    position = view.positions.get(current_user.id)
    mine = view.points[position] if position is not None else None
    done, total = service.progress(item, current_user)
    return render_template("collaboration/opinions/map.html", question=item, group=_group_of(item), view=view,
                           mine=mine,
                           my_group=next((g for g in view.groups if mine and g.index == mine[2]), None),
                           done=done, total=total, min_votes=service.MAP_PARAMS.min_votes,
                           floor=service.PRIVACY_FLOOR, refresh=int(service.MAP_REFRESH_SECONDS))


@login_required
def close(question_id: int):
    """Close the question to new statements and votes."""
    item = _question_or_404(question_id)
    try:
        service.close_question(item, current_user)
    except service.OpinionError as exc:
        flash(str(exc), "error")
    else:
        flash(_("The question is closed: the map stays readable."), "success")
    return redirect(url_for("collaboration.opinion", question_id=item.id), 303)


def register(bp) -> None:
    """Add this part's URL rules to the collaboration blueprint."""
    bp.add_url_rule("/opinions", view_func=index, endpoint="opinions")
    bp.add_url_rule("/opinions/new", view_func=new, endpoint="opinion_new", methods=["GET", "POST"])
    bp.add_url_rule("/opinions/<int:question_id>", view_func=question, endpoint="opinion")
    bp.add_url_rule("/opinions/<int:question_id>/statements", view_func=limited("TERREAU_LIMIT_POST", add_statement),
                    endpoint="opinion_statement_new", methods=["POST"])
    bp.add_url_rule("/opinions/<int:question_id>/vote", view_func=vote_page, endpoint="opinion_vote_page")
    bp.add_url_rule("/opinions/<int:question_id>/statements/<int:statement_id>/vote", view_func=vote,
                    endpoint="opinion_vote", methods=["POST"])
    bp.add_url_rule("/opinions/<int:question_id>/votes", view_func=votes, endpoint="opinion_votes", methods=["POST"])
    bp.add_url_rule("/opinions/<int:question_id>/map", view_func=map_page, endpoint="opinion_map")
    bp.add_url_rule("/opinions/<int:question_id>/close", view_func=close, endpoint="opinion_close", methods=["POST"])


def _load_statement(ident: str) -> ContentRef | None:
    """A statement for moderation. In a request, only for whoever may see its question (moderators
    always): the report form shows the excerpt, which must not leak a group's content."""
    viewer = current_user if has_request_context() else None
    found = service.statement_ref(ident, viewer)
    if found is None:
        return None
    statement, item = found
    return ContentRef(title=item.title[:80], endpoint="collaboration.opinion", args={"question_id": item.id},
                      author_id=statement.author_id, excerpt=statement.text)


def _nav(member) -> tuple:
    return (NavItem("collaboration.opinions", _l("Opinion maps"), "main", 24),)


PART = Part(
    register=register,
    name="opinions",
    activity_kinds={
        "collaboration.opinion_question": shared_kind(ACTIVITY_TEMPLATE, _l("A new question on an opinion map")),
        "collaboration.statement": shared_kind(ACTIVITY_TEMPLATE, _l("A new statement on your opinion map question")),
    },
    content_kinds={service.STATEMENT_KIND: ContentKind(_l("Opinion map statement"), _load_statement)},
    nav_items=_nav,
    seed_demo=service.seed_demo,
    export_data=service.export_data,
)
