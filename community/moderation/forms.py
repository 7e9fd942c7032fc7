"""Forms of moderation."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class ReportForm(FlaskForm):
    content_type = HiddenField(validators=[DataRequired(), Length(max=64)])
    content_id = HiddenField(validators=[DataRequired(), Length(max=64)])
    reason = TextAreaField(_l("Why should a moderator look at this?"), validators=[DataRequired(), Length(max=1000)])


class DecisionForm(FlaskForm):
    note = StringField(_l("Note (kept in the log, sent to the author when hiding)"), validators=[Length(max=500)])


class SuspendForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
