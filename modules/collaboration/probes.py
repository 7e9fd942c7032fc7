"""Collaboration's part of the self-assessment: its features; debates, contributions, statements,
proposals, amendments and wall messages as contributions; groups as gatherings; accepted
introductions as ties."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import aliased

from community.assessment.probes import Capability, Contributions, Gatherings, Ties, Window, no_reply
from community.settings import module_setting

from .models import (
    CollaborationAmendment,
    CollaborationContribution,
    CollaborationDebate,
    CollaborationIntroduction,
    CollaborationMembership,
    CollaborationProposal,
    CollaborationStatement,
    CollaborationWallPost,
)

ADVANCED = 2  # suggestions, skill search, voting, co-editing, opinion maps (ARCHITECTURE §6)


def capabilities(window: Window):
    yield Capability("connection", "collaboration.groups", _l("Groups of interest"), 1)
    yield Capability("connection", "collaboration.member_groups", _l("Members may create their own groups"), 1,
                     available=bool(module_setting("collaboration", "members_can_create_groups")))
    yield Capability("connection", "collaboration.suggestions", _l("Suggested people to meet"), ADVANCED)
    yield Capability("connection", "collaboration.introductions", _l("Introductions between members"), 1)
    yield Capability("connection", "collaboration.skill_search", _l("Search for members by skill"), ADVANCED)
    yield Capability("expression", "collaboration.walls", _l("Discussion walls in groups"), 1)
    yield Capability("expression", "collaboration.debates", _l("Debates with for and against"), 1)
    yield Capability("expression", "collaboration.voting", _l("Proposals members support (voting)"), ADVANCED)
    yield Capability("expression", "collaboration.co_editing", _l("Amendments to proposals (co-editing)"), ADVANCED)
    yield Capability("expression", "collaboration.opinion_maps", _l("Opinion maps"), ADVANCED)


def _plain(kind: str, model, replyable: bool = False) -> Contributions:
    """A kind whose items answer nothing."""
    return Contributions(kind, select(model.author_id.label("author_id"), model.created_at.label("created_at"),
                                      model.id.label("item_id"), *no_reply()), replyable=replyable)


def _threaded(kind: str, model) -> Contributions:
    parent = aliased(model)
    return Contributions(kind, select(
        model.author_id.label("author_id"), model.created_at.label("created_at"), model.id.label("item_id"),
        model.reply_to_id.label("reply_to_id"), parent.author_id.label("reply_to_author_id"),
    ).outerjoin(parent, parent.id == model.reply_to_id).where(model.deleted_at.is_(None)), replyable=True)


def contributions(window: Window):
    yield _plain("collaboration.debate", CollaborationDebate)
    yield _threaded("collaboration.contribution", CollaborationContribution)
    yield _threaded("collaboration.wall", CollaborationWallPost)
    # Statements are in the reply-rate base (ASSESSMENT.md); members vote on them but do not answer them.
    yield _plain("collaboration.statement", CollaborationStatement, replyable=True)
    yield _plain("collaboration.proposal", CollaborationProposal)
    yield _plain("collaboration.amendment", CollaborationAmendment)


def groups(window: Window):
    """Everyone active in a group; the engine keeps groups of at most 50 (memberships carry no date)."""
    yield Gatherings("collaboration.group", select(CollaborationMembership.group_id.label("key"),
                                                   CollaborationMembership.member_id.label("member_id"))
                     .where(CollaborationMembership.status == "active"))


def introductions(window: Window):
    """Introductions accepted (now) whose ``at`` (the request, as in the community format) is before as_of."""
    at = CollaborationIntroduction.created_at
    yield Ties("collaboration.introduction", select(CollaborationIntroduction.from_id.label("a_id"),
                                                    CollaborationIntroduction.to_id.label("b_id"))
               .where(CollaborationIntroduction.status == "accepted", window.before_end(at)))


PROBES = (capabilities, contributions, groups, introductions)
