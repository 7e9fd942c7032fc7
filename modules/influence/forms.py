"""Forms of the influence module."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from .models import MAX_POST


class PostForm(FlaskForm):
    body = TextAreaField(_l("Your post"), validators=[DataRequired(_l("Write something first.")),
                                                      Length(max=MAX_POST)],
                         description=_l("Markdown; @handle mentions a member, #topic links a topic. "
                                        "At most 5,000 characters."))
    audience = SelectField(_l("Who can see it"), choices=[
        SelectChoice("members", _l("Members")), SelectChoice("public", _l("Everyone, also outside the movement"))])
    image = FileField(_l("Image (optional)"))


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Your reply"), validators=[DataRequired(_l("Write something first.")),
                                                       Length(max=MAX_POST)])


class EditForm(FlaskForm):
    body = TextAreaField(_l("Your post"), validators=[DataRequired(_l("Write something first.")),
                                                      Length(max=MAX_POST)])


class RelayForm(FlaskForm):
    comment = StringField(_l("Your comment (optional)"), validators=[Length(max=500)])
