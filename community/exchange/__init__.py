"""Community import and export: one JSON document, ``terreau-community/1`` (docs/community-format.md).

The core writes and reads its own sections (members, follows); each module carries its own through
``Module.exchange`` (api.Exchange). The core names no module: sections of other modules, and the
links between them (a post's group), travel through the exchange context.
"""

from .api import FORMAT, Exchange, ExportContext, ImportContext, Problem
from .document import export_document, import_document

__all__ = ["FORMAT", "Exchange", "ExportContext", "ImportContext", "Problem", "export_document", "import_document"]
