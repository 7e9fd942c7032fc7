"""URL rules of moderation."""

from flask import Blueprint

from . import views

bp = Blueprint("moderation", __name__, url_prefix="/moderation")
bp.add_url_rule("/report", view_func=views.report, endpoint="report", methods=["GET", "POST"])
bp.add_url_rule("/", view_func=views.queue, endpoint="queue")
bp.add_url_rule("/decide", view_func=views.decide, endpoint="decide", methods=["POST"])
bp.add_url_rule("/members/<handle>/suspend", view_func=views.suspend, endpoint="suspend", methods=["GET", "POST"])
bp.add_url_rule("/members/<handle>/unsuspend", view_func=views.unsuspend, endpoint="unsuspend", methods=["POST"])
