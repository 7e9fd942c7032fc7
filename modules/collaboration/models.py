"""Collaboration tables: groups and their walls, debates, proposals with amendments, opinion
maps, introductions, hidden suggestions and blocks. Constraints that protect data live here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.extensions import db
from community.models import Member
from community.timeutil import utcnow


class CollaborationGroup(db.Model):
    """A community of interest, thematic or local; open, or joined on approval."""

    __tablename__ = "collaboration_group"
    __table_args__ = (
        CheckConstraint("kind IN ('thematic', 'local')", name="kind"),
        CheckConstraint("join_policy IN ('open', 'approval')", name="join_policy"),
        CheckConstraint("member_cap IS NULL OR member_cap > 0", name="member_cap"),
    )
    content_type = "collaboration.group"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(10), default="thematic")
    join_policy: Mapped[str] = mapped_column(String(10), default="open")
    commune: Mapped[str] = mapped_column(String(120), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    member_cap: Mapped[int | None] = mapped_column(Integer)
    member_count: Mapped[int] = mapped_column(Integer, default=0)  # active members, kept by atomic updates
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime)


class CollaborationMembership(db.Model):
    """A member in a group. ``public``: the member chose to show this membership on public pages."""

    __tablename__ = "collaboration_membership"
    __table_args__ = (
        CheckConstraint("role IN ('member', 'animator')", name="role"),
        CheckConstraint("status IN ('active', 'pending', 'invited')", name="status"),
        Index("ix_collaboration_membership_member_id_status", "member_id", "status"),
    )

    group_id: Mapped[int] = mapped_column(ForeignKey("collaboration_group.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(10), default="member")
    status: Mapped[str] = mapped_column(String(10), default="active")
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    joined_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    member: Mapped[Member] = relationship(foreign_keys=[member_id], lazy="joined")


class CollaborationWallPost(db.Model):
    """A thread or a reply on a group's discussion wall."""

    __tablename__ = "collaboration_wall_post"
    __table_args__ = (Index("ix_collaboration_wall_post_group_id_id", "group_id", "id"),
                      Index("ix_collaboration_wall_post_thread_id", "thread_id"))
    content_type = "collaboration.wall"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("collaboration_group.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("collaboration_wall_post.id", ondelete="SET NULL"))
    thread_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)

    author: Mapped[Member] = relationship(lazy="joined")


class CollaborationLink(db.Model):
    """A link worth keeping, in a group's space."""

    __tablename__ = "collaboration_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("collaboration_group.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CollaborationDebate(db.Model):
    """A question open for a period; closed by an organiser with a written synthesis."""

    __tablename__ = "collaboration_debate"
    __table_args__ = (CheckConstraint("closes_at IS NULL OR closes_at > opens_at", name="period"),)
    content_type = "collaboration.debate"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("collaboration_group.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text)
    question_html: Mapped[str] = mapped_column(Text)
    opens_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closes_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    synthesis: Mapped[str] = mapped_column(Text, default="")
    synthesis_html: Mapped[str] = mapped_column(Text, default="")
    count_for: Mapped[int] = mapped_column(Integer, default=0)
    count_against: Mapped[int] = mapped_column(Integer, default=0)
    count_neutral: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    author: Mapped[Member | None] = relationship(lazy="joined")


class CollaborationContribution(db.Model):
    """A contribution to a debate (for / against / neutral) or a threaded reply to one."""

    __tablename__ = "collaboration_contribution"
    __table_args__ = (CheckConstraint("stance IN ('for', 'against', 'neutral')", name="stance"),
                      Index("ix_collaboration_contribution_debate_id_id", "debate_id", "id"))
    content_type = "collaboration.contribution"

    id: Mapped[int] = mapped_column(primary_key=True)
    debate_id: Mapped[int] = mapped_column(ForeignKey("collaboration_debate.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    stance: Mapped[str] = mapped_column(String(8), default="neutral")
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("collaboration_contribution.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)

    author: Mapped[Member] = relationship(lazy="joined")


class CollaborationProposal(db.Model):
    """A proposal with a versioned text; members support it once (primary key of supports)."""

    __tablename__ = "collaboration_proposal"
    __table_args__ = (CheckConstraint("status IN ('open', 'closed')", name="status"),
                      CheckConstraint("support_count >= 0", name="support_count"))
    content_type = "collaboration.proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("collaboration_group.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(8), default="open")
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    support_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    author: Mapped[Member | None] = relationship(lazy="joined")


class CollaborationProposalVersion(db.Model):
    __tablename__ = "collaboration_proposal_version"
    __table_args__ = (UniqueConstraint("proposal_id", "number", name="uq_collaboration_proposal_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("collaboration_proposal.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    amendment_id: Mapped[int | None] = mapped_column(Integer)  # the accepted amendment that made it
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CollaborationAmendment(db.Model):
    """A proposed change: the full new text against ``base_version``; accepted or rejected."""

    __tablename__ = "collaboration_amendment"
    __table_args__ = (CheckConstraint("status IN ('pending', 'accepted', 'rejected')", name="status"),)
    content_type = "collaboration.amendment"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("collaboration_proposal.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    base_version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    author: Mapped[Member | None] = relationship(foreign_keys=[author_id], lazy="joined")


class CollaborationSupport(db.Model):
    __tablename__ = "collaboration_support"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("collaboration_proposal.id", ondelete="CASCADE"),
                                             primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CollaborationOpinionQuestion(db.Model):
    """An opinion map (in the spirit of Pol.is): statements, and agree / disagree / pass votes."""

    __tablename__ = "collaboration_opinion_question"
    content_type = "collaboration.opinion"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("collaboration_group.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class CollaborationStatement(db.Model):
    __tablename__ = "collaboration_statement"
    __table_args__ = (Index("ix_collaboration_statement_question_id_id", "question_id", "id"),)
    content_type = "collaboration.statement"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("collaboration_opinion_question.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(280))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CollaborationVote(db.Model):
    """One vote per member and statement (primary key): 1 agree, −1 disagree, 0 pass."""

    __tablename__ = "collaboration_vote"
    __table_args__ = (CheckConstraint("value IN (-1, 0, 1)", name="value"),)

    statement_id: Mapped[int] = mapped_column(ForeignKey("collaboration_statement.id", ondelete="CASCADE"),
                                              primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True, index=True)
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CollaborationIntroduction(db.Model):
    """A request to be put in touch; accepted, it makes a mutual connection (two follows)."""

    __tablename__ = "collaboration_introduction"
    __table_args__ = (CheckConstraint("from_id <> to_id", name="not_self"),
                      CheckConstraint("status IN ('pending', 'accepted', 'declined')", name="status"),
                      Index("ix_collaboration_introduction_to_id_status", "to_id", "status"))
    content_type = "collaboration.introduction"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    to_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)

    sender: Mapped[Member] = relationship(foreign_keys=[from_id], lazy="joined")
    recipient: Mapped[Member] = relationship(foreign_keys=[to_id], lazy="joined")


class CollaborationHiddenSuggestion(db.Model):
    __tablename__ = "collaboration_hidden_suggestion"

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    hidden_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)


class CollaborationBlock(db.Model):
    """A member blocks another: no introduction, no suggestion between them."""

    __tablename__ = "collaboration_block"
    __table_args__ = (CheckConstraint("member_id <> blocked_id", name="not_self"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    blocked_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
