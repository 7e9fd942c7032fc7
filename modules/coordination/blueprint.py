"""URL rules of the coordination module: the landing page, then each part's own rules."""

from community.parts import PartSet
from community.registry import module_blueprint

from . import views
from .parts import campaigns, events, kits

PARTS = PartSet((events.PART, kits.PART, campaigns.PART))

bp = module_blueprint("coordination", __name__)
bp.add_url_rule("/", view_func=views.index, endpoint="index")
PARTS.register(bp)
