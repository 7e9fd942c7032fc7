"""URL rules of the core pages."""

from flask import Blueprint

from . import views

bp = Blueprint("core", __name__)
bp.add_url_rule("/", view_func=views.home, endpoint="home")
bp.add_url_rule("/activity/since", view_func=views.activity_since, endpoint="activity_since")
bp.add_url_rule("/notifications", view_func=views.notifications, endpoint="notifications")
bp.add_url_rule("/notifications.json", view_func=views.notifications_json, endpoint="notifications_json")
bp.add_url_rule("/notifications/read", view_func=views.mark_read, endpoint="mark_read", methods=["POST"])
bp.add_url_rule("/media/<kind>/<name>", view_func=views.media, endpoint="media")
bp.add_url_rule("/language", view_func=views.set_language, endpoint="set_language", methods=["POST"])
bp.add_url_rule("/health", view_func=views.health, endpoint="health")
