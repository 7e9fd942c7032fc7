"""URL rules of the collaboration module: the landing page, then each part's own rules."""

from community.parts import PartSet
from community.registry import module_blueprint

from . import views
from .parts import debates, groups, opinions, people, proposals

PARTS = PartSet((groups.PART, debates.PART, proposals.PART, opinions.PART, people.PART))

bp = module_blueprint("collaboration", __name__)
bp.add_url_rule("/", view_func=views.index, endpoint="index")
PARTS.register(bp)
