"""Small helpers modules share (they may import community, never each other)."""

from flask import render_template

from .registry import registry


def module_index(name: str):
    """A module's landing page: its label and description, in its namespaced template."""
    return render_template(f"{name}/index.html", module=registry.get(name))
