"""Members, their profile tags, their server-side sessions and their consent ledger."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow

ROLES = ("member", "organiser", "moderator", "admin")
# A role may do what every role before it in this order may do.
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
TAG_KINDS = ("interest", "skill")


class Member(UserMixin, db.Model):
    __tablename__ = "member"
    __table_args__ = (
        CheckConstraint("role IN ('member', 'organiser', 'moderator', 'admin')", name="role"),
        Index("ix_member_directory", "in_directory", "display_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(30), unique=True)  # lower-case, [a-z0-9_]
    display_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower-case
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(12), default="member")
    joined_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str | None] = mapped_column(String(64))
    bio: Mapped[str] = mapped_column(Text, default="")
    commune: Mapped[str] = mapped_column(String(120), default="", index=True)
    postal_code: Mapped[str] = mapped_column(String(10), default="", index=True)
    in_directory: Mapped[bool] = mapped_column(Boolean, default=False)
    avatar: Mapped[str | None] = mapped_column(String(64))
    suspended_at: Mapped[datetime | None] = mapped_column(DateTime)
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    erased_at: Mapped[datetime | None] = mapped_column(DateTime)

    tags: Mapped[list[MemberTag]] = relationship(
        back_populates="member", cascade="all, delete-orphan", order_by="MemberTag.name"
    )

    # Flask-Login: the session row, not the member, is what a cookie names (see MemberSession).
    session_id = None  # set by the user loader; not a column
    unread_all = None  # unread notifications of every module, read by the user loader; not a column

    def get_id(self) -> str:
        return f"{self.id}:{self.session_id}"

    @property
    def is_active(self) -> bool:
        return self.suspended_at is None and self.erased_at is None

    def has_role(self, role: str) -> bool:
        """True when the member's role is ``role`` or above it (admin ⊃ moderator ⊃ organiser)."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    def tag_names(self, kind: str) -> list[str]:
        return [t.name for t in self.tags if t.kind == kind]

    def __repr__(self) -> str:
        return f"<Member @{self.handle}>"


class MemberTag(db.Model):
    """An interest or a skill of a member, lower-case; the directory searches these."""

    __tablename__ = "member_tag"
    __table_args__ = (
        CheckConstraint("kind IN ('interest', 'skill')", name="kind"),
        Index("ix_member_tag_kind_name", "kind", "name"),
    )

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)

    member: Mapped[Member] = relationship(back_populates="tags")


class MemberSession(db.Model):
    """A logged-in browser. Logout deletes the row, so the old cookie is refused afterwards."""

    __tablename__ = "member_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random token in the cookie
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class MemberSocket(db.Model):
    """A connected Socket.IO client, so any process can disconnect a member's sockets by sid."""

    __tablename__ = "member_socket"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    connected_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ConsentRecord(db.Model):
    """Append-only ledger of what a member agreed to (or withdrew), with the text's version."""

    __tablename__ = "consent_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))  # e.g. "processing_notice", "directory"
    version: Mapped[str] = mapped_column(String(20))
    given: Mapped[bool] = mapped_column(Boolean, default=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class EmailPreference(db.Model):
    """A member's choice to receive (or not) e-mail for one notification kind."""

    __tablename__ = "email_preference"

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)


