"""The groups part of the collaboration module (being built: see issue #4)."""

from . import Part


def register(bp) -> None:
    """Add this part's URL rules to the collaboration blueprint."""


PART = Part(register=register)
