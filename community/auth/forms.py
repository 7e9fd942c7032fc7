"""Forms of the account pages: register, log in, reset a password."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from . import service


class PasswordMixin:
    def validate_password(self, field):
        problem = service.password_problem(
            field.data or "",
            handle=getattr(getattr(self, "handle", None), "data", "") or "",
            email=getattr(getattr(self, "email", None), "data", "") or "",
        )
        if problem:
            raise ValidationError(problem)


class RegisterForm(PasswordMixin, FlaskForm):
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=80)])
    handle = StringField(
        _l("Handle"),
        validators=[DataRequired(), Length(min=3, max=30)],
        description=_l("3 to 30 lower-case letters, digits or _; your address will be /members/handle."),
    )
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired()],
        description=_l("At least 10 characters. A sentence you remember is a good password."),
    )
    consent = BooleanField(
        _l("I have read the processing notice and agree to it."),
        validators=[DataRequired(_l("You must accept the processing notice to join."))],
    )

    def validate_handle(self, field):
        handle = (field.data or "").strip().lower()
        if not service.HANDLE_RE.match(handle):
            raise ValidationError(_l("Use 3 to 30 lower-case letters, digits or underscores."))
        if service.handle_taken(handle):
            raise ValidationError(_l("This handle is already taken."))

    def validate_email(self, field):
        if service.email_taken(field.data or ""):
            raise ValidationError(_l("An account already uses this e-mail. Log in or reset your password."))


class LoginForm(FlaskForm):
    identifier = StringField(_l("E-mail or handle"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class ForgotForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False)])


class ResetForm(PasswordMixin, FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", _l("The two passwords differ."))],
    )


class SetupForm(RegisterForm):
    """The first admin, created from the set-up page of an empty installation."""
