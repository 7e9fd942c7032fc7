"""Reportable content kinds that belong to the core (modules declare theirs in Module.content_kinds)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .extensions import db
from .models import Member
from .registry import ContentKind, ContentRef


def _load_profile(ident: str) -> ContentRef | None:
    member = db.session.get(Member, int(ident)) if ident.isdigit() else None
    if member is None or member.erased_at is not None:
        return None
    return ContentRef(title=member.display_name, endpoint="members.profile", args={"handle": member.handle},
                      author_id=member.id, excerpt=(member.bio or "")[:300])


CORE_CONTENT_KINDS = {"core.profile": ContentKind(_l("Profile"), _load_profile)}
