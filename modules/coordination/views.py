"""The coordination module's landing page: the next events the member may see, then links to every
part's pages (the parts' menu entries of section "coordination", so a new part shows up here
without editing this page)."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required

from community.registry import registry

from . import events_service
from .events_forms import KIND_LABELS

UPCOMING = 6


@login_required
def index():
    member = current_user._get_current_object()
    module = registry.get("coordination")
    links = sorted((item for item in module.nav_items(member)
                    if item.section in ("main", "coordination") and item.endpoint != "coordination.index"),
                   key=lambda item: (item.order, str(item.label)))
    upcoming, _following = events_service.upcoming(member, limit=UPCOMING)
    from .parts.events import _item_labels, _stamper

    return render_template("coordination/index.html", module=module, links=links, upcoming=upcoming,
                           when=_stamper(), labels=_item_labels(),
                           kinds=KIND_LABELS, can_create=events_service.can_create(member))
