"""Forms of the profile pages."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..forms import TagListField

LANGUAGES = [SelectChoice("fr", "Français"), SelectChoice("en", "English")]
TIMEZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


class EraseForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired()])
    confirm = BooleanField(_l("I understand that my account and my personal data will be erased for good."),
                           validators=[DataRequired(_l("Tick the box to confirm."))])


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=80)])
    bio = TextAreaField(_l("About you"), validators=[Length(max=2000)],
                        description=_l("Markdown: **bold**, *italic*, [link](https://…). No HTML."))
    commune = StringField(_l("Commune"), validators=[Length(max=120)])
    postal_code = StringField(_l("Postal code"), validators=[
        Optional(), Regexp(r"^[0-9AB]{5}$", message=_l("A French postal code has 5 characters, e.g. 69003."))])
    interests = TagListField(_l("Interests"), description=_l("Separated by commas, e.g. climat, logement"))
    skills = TagListField(_l("Skills"), description=_l("Separated by commas, e.g. graphisme, tractage"))
    in_directory = BooleanField(
        _l("List me in the member directory"),
        description=_l("Other members can then find you by name, commune, interest or skill. "
                       "Being listed can reveal your political commitment: it is your choice."))
    locale = SelectField(_l("Language"), choices=LANGUAGES)
    timezone = SelectField(_l("Time zone"), choices=[SelectChoice(z) for z in TIMEZONES])
    avatar = FileField(_l("Picture"), description=_l("PNG, JPEG, GIF or WebP, at most 2 MB."))
    remove_avatar = BooleanField(_l("Remove my picture"))
