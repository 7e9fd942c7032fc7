"""Account pages: register, log in, log out, forgotten password, first-run set-up."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select

from .. import signals
from ..extensions import db
from ..mail import send_mail
from ..models import Member, record
from ..urls import safe_next
from . import service
from .forms import ForgotForm, LoginForm, RegisterForm, ResetForm, SetupForm


def register():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        member = service.create_member(
            handle=form.handle.data, display_name=form.display_name.data, email=form.email.data,
            password=form.password.data, locale=_current_locale(),
        )
        db.session.commit()
        signals.member_registered.send(current_app._get_current_object(), member=member)
        service.start_session(member)
        flash(_("Welcome, %(name)s! Complete your profile so others can find you.", name=member.display_name),
              "success")
        return redirect(url_for("members.edit_profile"))
    return render_template("auth/register.html", form=form), 200 if not form.errors else 422


def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        member = service.check_login(form.identifier.data, form.password.data)
        if member is not None and member.suspended_at is not None:
            form.identifier.errors.append(_("This account is suspended."))
        elif member is None:
            form.password.errors.append(_("Wrong e-mail, handle or password."))
        else:
            service.start_session(member)
            return redirect(safe_next(request.args.get("next")) or url_for("core.home"))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


@login_required
def logout():
    service.end_session(current_user._get_current_object())
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        member = db.session.scalar(select(Member).where(Member.email == form.email.data.strip().lower()))
        if member is not None and member.erased_at is None:
            base = current_app.config["TERREAU_BASE_URL"].rstrip("/")
            link = base + url_for("auth.reset", token=service.reset_token(member))
            minutes = max(1, current_app.config["TERREAU_RESET_TOKEN_MAX_AGE"] // 60)
            send_mail(member.email, _("Reset your password"), ngettext(
                "Someone (probably you) asked to reset your password.\n\n"
                "Open this link within %(num)d minute to choose a new one:\n%(link)s\n\n"
                "If it was not you, ignore this e-mail: your password does not change.",
                "Someone (probably you) asked to reset your password.\n\n"
                "Open this link within %(num)d minutes to choose a new one:\n%(link)s\n\n"
                "If it was not you, ignore this e-mail: your password does not change.", minutes, link=link))
        flash(_("If an account uses this address, we have sent it a link to choose a new password."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form), 200 if not form.errors else 422


def reset(token: str):
    member, problem = service.member_for_reset(token)
    if member is None:
        message = (_("This link has expired. Ask for a new one.") if problem == "expired"
                   else _("This link is not valid any more: it was already used or is incomplete."))
        return render_template("auth/reset_invalid.html", message=message), 400
    form = ResetForm()
    if form.validate_on_submit():
        service.set_password(member, form.password.data)
        db.session.commit()
        send_mail(member.email, _("Your password was changed"),
                  _("Your password was just changed. If it was not you, reset it at once and tell an admin."))
        flash(_("Your password is changed. Log in with it."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form), 200 if not form.errors else 422


def setup():
    """The first visit of an empty installation creates its first admin."""
    if db.session.scalar(select(func.count()).select_from(Member)) > 0:
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        member = service.create_member(
            handle=form.handle.data, display_name=form.display_name.data, email=form.email.data,
            password=form.password.data, role="admin", locale=_current_locale(),
        )
        record(member, "member.setup_admin", f"member:{member.id}")
        db.session.commit()
        current_app.extensions["terreau_has_members"] = True
        service.start_session(member)
        flash(_("Terreau is ready. You are its first admin."), "success")
        return redirect(url_for("admin.modules"))
    return render_template("auth/setup.html", form=form), 200 if not form.errors else 422


def notice():
    return render_template("auth/notice.html")


def _current_locale() -> str:
    from flask_babel import get_locale

    return str(get_locale())
