"""URL rules of the account pages."""

from flask import Blueprint

from ..ratelimits import limited
from . import views

bp = Blueprint("auth", __name__, url_prefix="/auth")
bp.add_url_rule("/register", view_func=limited("TERREAU_LIMIT_REGISTER", views.register), methods=["GET", "POST"])
bp.add_url_rule("/login", view_func=limited("TERREAU_LIMIT_LOGIN", views.login), methods=["GET", "POST"])
bp.add_url_rule("/logout", view_func=views.logout, methods=["POST"])
bp.add_url_rule("/forgot", view_func=limited("TERREAU_LIMIT_RESET", views.forgot), methods=["GET", "POST"])
bp.add_url_rule("/reset/<token>", view_func=limited("TERREAU_LIMIT_RESET", views.reset), methods=["GET", "POST"])
bp.add_url_rule("/setup", view_func=views.setup, methods=["GET", "POST"])
bp.add_url_rule("/notice", view_func=views.notice)
