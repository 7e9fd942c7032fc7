"""Pages of activity points, badges, the "most active this month" list and bridging highlights.

Every page here only reads: points are kept up to date by the activity receiver, bridging
highlights by a cached computation.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import InputRequired, ValidationError

from community.extensions import db
from community.permissions import role_required
from community.settings import set_module_setting

from . import bridging as bridging_rules
from . import points as rules

HALF_LIFE_RANGE = (1, 365)


class WholeNumberField(IntegerField):
    """An integer field whose error names the allowed range (WTForms' own message does not)."""

    def __init__(self, label=None, low: int = 0, high: int = rules.MAX_POINTS, **kwargs):
        self.low, self.high = low, high
        message = _l("Enter a whole number from %(low)d to %(high)d.", low=low, high=high)
        super().__init__(label, validators=[InputRequired(message), _in_range], **kwargs)

    def process_formdata(self, valuelist):
        if valuelist:
            try:
                self.data = int(valuelist[0].strip())
            except ValueError:
                self.data = None
                raise ValueError(_("Enter a whole number from %(low)d to %(high)d.", low=self.low,
                                   high=self.high)) from None


def _in_range(form, field) -> None:
    if field.data is not None and not field.low <= field.data <= field.high:
        raise ValidationError(_("Enter a whole number from %(low)d to %(high)d.", low=field.low, high=field.high))


def field_name(verb: str) -> str:
    return "points__" + verb.replace(".", "__")


def points_form(verbs: list[str], formdata=None) -> FlaskForm:
    """The admin form: one whole-number field per verb, the half-life and the leaderboard switch."""

    class PointsForm(FlaskForm):
        half_life_days = WholeNumberField(_l("Half-life of points, in days"), *HALF_LIFE_RANGE,
                                          description=_l("Points lose half their weight in the level "
                                                         "after this many days."))
        leaderboard_enabled = BooleanField(_l("Show the list of the most active members this month"))

    for verb in verbs:
        setattr(PointsForm, field_name(verb), WholeNumberField(rules.VERB_LABELS.get(verb, verb), description=verb))
    return PointsForm(formdata=formdata) if formdata is not None else PointsForm()


def _rules_rows() -> list[tuple[str, object, int]]:
    """(verb, label, points) of the current rules, most points first."""
    return sorted(((verb, rules.VERB_LABELS.get(verb, verb), p) for verb, p in rules.point_rules().items()),
                  key=lambda row: (-row[2], row[0]))


@login_required
def points():
    """The rules, in full, and the viewer's own points, level and badges."""
    mine = rules.member_points(current_user.id)
    earned = {key: at for key, _label, _text, at in rules.badges_of(current_user.id)}
    return render_template(
        "influence/points.html", rules_rows=_rules_rows(), half_life=rules.half_life_days(),
        score=format_decimal(round(mine.score, 1), "#,##0.0"),
        thresholds=list(enumerate(rules.LEVEL_THRESHOLDS, start=1)), mine=mine, badges=rules.BADGES, earned=earned,
        leaderboard=rules.leaderboard_enabled())


@login_required
def leaderboard():
    """Movement-wide, or within one of the viewer's groups (``?in=<group room>``): the module that
    owns the room lists its members (core audience_member_ids), influence never imports it."""
    from community.activity import audience_member_ids

    from .views import audience_choices

    if not rules.leaderboard_enabled():
        abort(404)
    groups = [(room, label) for room, label in audience_choices(current_user) if room not in ("members", "public")]
    room = request.args.get("in") or None
    member_ids, group_label = None, None
    if room is not None:
        group_label = dict(groups).get(room)
        member_ids = audience_member_ids(room) if group_label else None
        if member_ids is None:
            abort(404)
    return render_template("influence/leaderboard.html", people=rules.most_active(member_ids),
                           mine=rules.member_points(current_user.id), groups=groups, room=room,
                           group_label=group_label)


@login_required
def bridging():
    return render_template("influence/bridging.html", items=bridging_rules.bridging(), days=bridging_rules.DAYS)


@role_required("admin")
def admin_points():
    current = rules.point_rules()
    verbs = sorted(current, key=lambda v: (v.split(".", 1)[0], v))
    form = points_form(verbs)
    if not form.is_submitted():
        for verb in verbs:
            form[field_name(verb)].data = current[verb]
        form.half_life_days.data = int(rules.half_life_days())
        form.leaderboard_enabled.data = rules.leaderboard_enabled()
    elif form.validate():
        new_rules = {verb: form[field_name(verb)].data for verb in verbs}
        changed = False
        if new_rules != current:
            set_module_setting("influence", "points", new_rules, current_user)
            changed = True
        if form.half_life_days.data != rules.half_life_days():
            set_module_setting("influence", "points_half_life_days", form.half_life_days.data, current_user)
            changed = True
        if form.leaderboard_enabled.data != rules.leaderboard_enabled():
            set_module_setting("influence", "leaderboard_enabled", form.leaderboard_enabled.data, current_user)
        if changed:
            count = rules.rebuild_points()
            message = _("The rules are saved; the points of %(num)d members were recomputed.", num=count)
        else:
            message = _("The settings are saved.")
        db.session.commit()
        flash(message, "success")
        return redirect(url_for("influence.admin_points"))
    return (render_template("influence/admin_points.html", form=form, verbs=verbs, field_name=field_name),
            422 if form.errors else 200)
