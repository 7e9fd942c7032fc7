"""URL rules of the influence module."""

from community.registry import module_blueprint

from . import views

bp = module_blueprint("influence", __name__)
bp.add_url_rule("/", view_func=views.index, endpoint="index")
