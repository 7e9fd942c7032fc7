"""Influence tables: posts and what hangs on them, announcements, highlights, points, the feed inbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.extensions import db
from community.models import Member
from community.timeutil import utcnow

REACTIONS = ("like", "agree", "idea", "thanks")
MAX_POST = 5000


class InfluencePost(db.Model):
    """A post or a reply. ``thread_id`` is the root post's id (its own id for a root)."""

    __tablename__ = "influence_post"
    __table_args__ = (
        CheckConstraint(f"length(body) <= {MAX_POST}", name="body_length"),
        CheckConstraint("reply_count >= 0 AND reaction_count >= 0 AND relay_count >= 0", name="counts"),
        Index("ix_influence_post_author_id_id", "author_id", "id"),
        Index("ix_influence_post_thread_id_id", "thread_id", "id"),
        Index("ix_influence_post_audience_id", "audience", "id"),
    )
    content_type = "influence.post"  # moderation and activity object type

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)  # rendered once at write time (sanitised)
    image: Mapped[str | None] = mapped_column(String(64))
    # "public", "members" or a group room "collaboration:group:<id>"
    audience: Mapped[str] = mapped_column(String(80), default="members")
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("influence_post.id", ondelete="SET NULL"))
    thread_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_activity_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    reaction_count: Mapped[int] = mapped_column(Integer, default=0)
    relay_count: Mapped[int] = mapped_column(Integer, default=0)

    author: Mapped[Member] = relationship(lazy="joined")


class InfluencePostTag(db.Model):
    """A #hashtag of a post (lower-case, without the #)."""

    __tablename__ = "influence_post_tag"
    __table_args__ = (Index("ix_influence_post_tag_tag_post_id", "tag", "post_id"),
                      Index("ix_influence_post_tag_created_at", "created_at"))

    post_id: Mapped[int] = mapped_column(ForeignKey("influence_post.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class InfluenceMention(db.Model):
    __tablename__ = "influence_mention"

    post_id: Mapped[int] = mapped_column(ForeignKey("influence_post.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True, index=True)


class InfluenceReaction(db.Model):
    """One reaction of each kind per member and post, enforced by the primary key."""

    __tablename__ = "influence_reaction"
    __table_args__ = (CheckConstraint("kind IN ('like', 'agree', 'idea', 'thanks')", name="kind"),
                      Index("ix_influence_reaction_created_at", "created_at"))

    post_id: Mapped[int] = mapped_column(ForeignKey("influence_post.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class InfluenceRelay(db.Model):
    """A post shared to one's followers, once per member (unique constraint)."""

    __tablename__ = "influence_relay"
    __table_args__ = (UniqueConstraint("post_id", "member_id", name="uq_influence_relay_post_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("influence_post.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class InfluenceAnnouncement(db.Model):
    """Pinned at the top of its recipients' feeds until dismissed or expired."""

    __tablename__ = "influence_announcement"
    __table_args__ = (CheckConstraint("scope IN ('all', 'area', 'group')", name="scope"),
                      Index("ix_influence_announcement_expires_at", "expires_at"))
    content_type = "influence.announcement"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(String(8), default="all")
    area: Mapped[str] = mapped_column(String(120), default="")  # postal-code prefix or commune, for "area"
    audience: Mapped[str | None] = mapped_column(String(80))  # a group room, for "group"
    send_email: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)

    author: Mapped[Member | None] = relationship(lazy="joined")


class InfluenceDismissal(db.Model):
    __tablename__ = "influence_dismissal"

    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("influence_announcement.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)


class InfluenceHighlight(db.Model):
    """"À la une": a post or conversation pinned by a moderator or organiser for a period."""

    __tablename__ = "influence_highlight"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="period"),
                      Index("ix_influence_highlight_ends_at", "ends_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("influence_post.id", ondelete="CASCADE"), index=True)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ends_at: Mapped[datetime] = mapped_column(DateTime)

    post: Mapped[InfluencePost] = relationship(lazy="joined")


class InfluencePoints(db.Model):
    """A member's activity points, kept up to date from the activity stream (a cache: rebuildable).

    ``score`` is the time-decayed score as of ``updated_at``; readers decay it to now.
    """

    __tablename__ = "influence_points"

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    month_total: Mapped[int] = mapped_column(Integer, default=0)
    month: Mapped[str] = mapped_column(String(7), default="")  # "YYYY-MM" of month_total
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_activity_id: Mapped[int] = mapped_column(Integer, default=0)


class InfluenceBadge(db.Model):
    __tablename__ = "influence_badge"

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    badge: Mapped[str] = mapped_column(String(40), primary_key=True)
    awarded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
