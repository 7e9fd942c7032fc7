"""The events part of the coordination module."""

from community.parts import Part


def register(bp) -> None:
    """Add this part's URL rules to the coordination blueprint."""


PART = Part(register=register, name="events")
