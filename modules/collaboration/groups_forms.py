"""Forms of the groups part. Validators catch the obvious; the service gives the other refusals."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from .groups_service import MAX_DESCRIPTION, MAX_LINK_TITLE, MAX_NAME, MAX_NOTE, MAX_URL, MAX_WALL


class GroupForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the group a name.")), Length(max=MAX_NAME)])
    description = TextAreaField(_l("Description"), validators=[Length(max=MAX_DESCRIPTION)],
                                description=_l("Markdown. Everyone in the movement can read it, members or not."))
    kind = SelectField(_l("Kind"), choices=[SelectChoice("thematic", _l("Thematic")),
                                                   SelectChoice("local", _l("Local"))])
    commune = StringField(_l("Commune (local groups)"), validators=[Length(max=120)])
    postal_code = StringField(_l("Postal code (local groups)"), validators=[Length(max=10)])
    join_policy = SelectField(_l("Who can join"), choices=[
        SelectChoice("open", _l("Any member, at once")),
        SelectChoice("approval", _l("Members approved by an animator"))])
    member_cap = IntegerField(_l("Member cap (admins)"), validators=[Optional(), NumberRange(min=1)],
                              description=_l("Leave empty for no cap of this group's own."))


class WallForm(FlaskForm):
    body = TextAreaField(_l("Your message"), validators=[DataRequired(_l("Write something first.")),
                                                         Length(max=MAX_WALL)],
                         description=_l("Markdown. Only the group's members read the wall."))


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Your reply"), validators=[DataRequired(_l("Write something first.")),
                                                       Length(max=MAX_WALL)])


class LinkForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the link a title.")),
                                                 Length(max=MAX_LINK_TITLE)])
    url = StringField(_l("Address (http:// or https://)"), validators=[DataRequired(_l("Give the link's address.")),
                                                                      Length(max=MAX_URL)])
    note = TextAreaField(_l("Why keep it (optional)"), validators=[Length(max=MAX_NOTE)])


class HandleForm(FlaskForm):
    handle = StringField(_l("Member's handle"), validators=[DataRequired(_l("Give a member's handle.")),
                                                            Length(max=31)])


class AnimatorForm(HandleForm):
    step_down = BooleanField(_l("And I step down as animator (transfer the role)"))


class SettingsForm(FlaskForm):
    group_member_cap = IntegerField(_l("Member cap of every group"), validators=[Optional(), NumberRange(min=1)],
                                    description=_l("Leave empty for no cap. A group's own cap may be lower."))
    members_can_create_groups = BooleanField(_l("Members may create groups (organisers always may)"))
