"""The collaboration module is built from parts (groups, debates, proposals, opinion maps,
people); each declares what it adds to the module and registers its own URL rules, so the
module's MODULE is their union."""

from community.parts import Part

__all__ = ["Part"]
