"""Role checks for views."""

from __future__ import annotations

import functools

from flask import abort
from flask_login import current_user, login_required


def role_required(role: str):
    """The member must be logged in and hold ``role`` or a higher one; else 403."""

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator
