"""URL rules of the member pages."""

from flask import Blueprint

from . import views

bp = Blueprint("members", __name__)
bp.add_url_rule("/members", view_func=views.directory, endpoint="directory")
bp.add_url_rule("/members/<handle>", view_func=views.profile, endpoint="profile")
bp.add_url_rule("/members/<handle>/followers", view_func=views.connections, endpoint="followers",
                defaults={"direction": "followers"})
bp.add_url_rule("/members/<handle>/following", view_func=views.connections, endpoint="following",
                defaults={"direction": "following"})
bp.add_url_rule("/members/<handle>/follow", view_func=views.follow, endpoint="follow", methods=["POST"])
bp.add_url_rule("/members/<handle>/unfollow", view_func=views.unfollow, endpoint="unfollow", methods=["POST"])
bp.add_url_rule("/profile/edit", view_func=views.edit_profile, endpoint="edit_profile", methods=["GET", "POST"])
bp.add_url_rule("/profile/privacy", view_func=views.privacy, endpoint="privacy", methods=["GET", "POST"])
bp.add_url_rule("/profile/export.json", view_func=views.export, endpoint="export")
bp.add_url_rule("/profile/notifications", view_func=views.email_preferences, endpoint="email_preferences",
                methods=["GET", "POST"])
