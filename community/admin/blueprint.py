"""URL rules of the admin area."""

from flask import Blueprint

from ..assessment import views as assessment_views
from . import views

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.add_url_rule("/", view_func=views.modules, endpoint="index")
bp.add_url_rule("/modules", view_func=views.modules, endpoint="modules")
bp.add_url_rule("/modules/<name>/toggle", view_func=views.toggle_module, endpoint="toggle_module", methods=["POST"])
bp.add_url_rule("/modules/<name>/delete-data", view_func=views.delete_module_data, endpoint="delete_module_data",
                methods=["GET", "POST"])
bp.add_url_rule("/members", view_func=views.members, endpoint="members")
bp.add_url_rule("/members/<handle>/role", view_func=views.change_role, endpoint="change_role", methods=["POST"])
bp.add_url_rule("/audit", view_func=views.audit, endpoint="audit")
bp.add_url_rule("/assessment", view_func=assessment_views.dashboard, endpoint="assessment")
bp.add_url_rule("/assessment/snapshot", view_func=assessment_views.take_snapshot, endpoint="assessment_snapshot",
                methods=["POST"])
