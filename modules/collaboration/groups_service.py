"""Groups ("communities of interest"): creation, joining under a cap, approvals, invitations,
leaving, animators, archiving, the discussion wall and the links worth keeping. Plain
functions, no HTTP; each refusal is a GroupError whose text is translated for the member.

Seats are counted by ``member_count``, changed only by atomic UPDATEs: a seat is taken with
``UPDATE … SET member_count = member_count + 1 WHERE id = :id AND <room left>`` and the row
count says whether it was free, so concurrent joins never pass the cap (ARCHITECTURE §4).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from community.activity import datum, enabled_module_filter, hidden_filter, preload, publish
from community.database import prepared, run
from community.extensions import db
from community.markdown import render_markdown
from community.models import Activity, HiddenContent, Member
from community.settings import module_setting
from community.timeutil import utcnow

from .access import forget_memberships, group_room, is_animator, memberships_read
from .models import CollaborationGroup, CollaborationLink, CollaborationMembership, CollaborationWallPost

KINDS = ("thematic", "local")
POLICIES = ("open", "approval")
MAX_NAME = 120
MAX_DESCRIPTION = 5000
MAX_WALL = 5000
MAX_LINK_TITLE = 200
MAX_URL = 500
MAX_NOTE = 1000
WALL_PAGE = 20
STREAM_PAGE = 20

Group = CollaborationGroup
Membership = CollaborationMembership
WallPost = CollaborationWallPost
Link = CollaborationLink


class GroupError(ValueError):
    """A refused group action; str() is a translated message for the member, ``field`` the form
    field it is about (None: the action as a whole)."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field

    def __str__(self) -> str:
        return str(self.args[0])


# --- settings and rights ---------------------------------------------------------------------


def movement_cap() -> int | None:
    """The movement-wide cap on a group's members (module setting), or None for none."""
    value = module_setting("collaboration", "group_member_cap")
    return int(value) if value else None


def can_create(member) -> bool:
    """Organisers may always create groups; members while the module setting allows it."""
    if member is None or not getattr(member, "is_authenticated", False):
        return False
    return member.has_role("organiser") or bool(module_setting("collaboration", "members_can_create_groups"))


def membership(group_id: int, member_id: int) -> Membership | None:
    return db.session.get(Membership, (group_id, member_id))


def is_member(member, group_id: int) -> bool:
    """An active member of the group (moderators who are not members are not)."""
    row = membership(group_id, member.id) if member is not None and member.is_authenticated else None
    return row is not None and row.status == "active"


def can_manage(member, group: Group) -> bool:
    """Animators of the group, and moderators: approve, invite, moderate the wall, edit."""
    return is_animator(member, group.id)


def can_archive(member, group: Group) -> bool:
    """The group's own animators, and admins."""
    if member is None or not member.is_authenticated:
        return False
    if member.has_role("admin"):
        return True
    row = membership(group.id, member.id)
    return row is not None and row.status == "active" and row.role == "animator"


def effective_cap(group: Group) -> int | None:
    caps = [c for c in (group.member_cap, movement_cap()) if c]
    return min(caps) if caps else None


def is_full(group: Group) -> bool:
    cap = effective_cap(group)
    return cap is not None and group.member_count >= cap


def animator_ids(group_id: int) -> list[int]:
    return list(db.session.scalars(select(Membership.member_id).where(
        Membership.group_id == group_id, Membership.status == "active", Membership.role == "animator")))


def _check_open(group: Group) -> None:
    if group.archived_at is not None:
        raise GroupError(_l("This group is archived: it is read-only."))


def _data(group: Group, **extra) -> dict:
    return {"endpoint": "collaboration.group", "args": {"group_id": group.id}, "group_id": group.id,
            "group_name": group.name, **extra}


# --- groups ----------------------------------------------------------------------------------


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:50] or "groupe"


def _unique_slug(name: str) -> str:
    base = slugify(name)
    taken = set(db.session.scalars(select(Group.slug).where(or_(Group.slug == base, Group.slug.like(f"{base}-%")))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _clean_fields(name: str, description: str, kind: str, join_policy: str, commune: str,
                  postal_code: str) -> dict:
    name = " ".join((name or "").split())
    if not name:
        raise GroupError(_l("Give the group a name."))
    if len(name) > MAX_NAME:
        raise GroupError(_l("A group's name has at most %(n)d characters.", n=MAX_NAME))
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise GroupError(_l("A description has at most %(n)d characters.", n=MAX_DESCRIPTION), "description")
    if kind not in KINDS:
        raise GroupError(_l("Choose a kind of group."), "kind")
    if join_policy not in POLICIES:
        raise GroupError(_l("Choose how members join."), "join_policy")
    commune, postal_code = " ".join((commune or "").split())[:120], (postal_code or "").strip()[:10]
    if kind == "local" and not (commune or postal_code):
        raise GroupError(_l("A local group needs a commune or a postal code."), "commune")
    return {"name": name, "description": description, "kind": kind, "join_policy": join_policy,
            "commune": commune, "postal_code": postal_code}


def _clean_cap(member_cap) -> int | None:
    if member_cap in (None, ""):
        return None
    cap = int(member_cap)
    if cap < 1:
        raise GroupError(_l("A member cap is at least 1."), "member_cap")
    return cap


def create_group(creator: Member, *, name: str, description: str = "", kind: str = "thematic",
                 join_policy: str = "open", commune: str = "", postal_code: str = "",
                 member_cap: int | None = None) -> Group:
    """Create a group; its creator becomes its first member and animator (one seat taken)."""
    if not can_create(creator):
        raise GroupError(_l("Only organisers may create groups in this movement."))
    fields = _clean_fields(name, description, kind, join_policy, commune, postal_code)
    cap = _clean_cap(member_cap) if creator.has_role("admin") else None
    for _attempt in range(3):
        group = Group(slug=_unique_slug(fields["name"]), member_cap=cap, member_count=1, created_by_id=creator.id,
                      **fields)
        try:
            with db.session.begin_nested():
                db.session.add(group)
        except IntegrityError:  # a concurrent creation took the slug: try another one
            continue
        break
    else:
        raise GroupError(_l("This name is taken right now; try again."))
    db.session.add(Membership(group_id=group.id, member_id=creator.id, role="animator", status="active"))
    publish(None, "collaboration.group_created", group, audience="members", data=_data(group))
    forget_memberships()
    return group


def update_group(group: Group, editor: Member, *, name: str, description: str, kind: str, join_policy: str,
                 commune: str, postal_code: str, member_cap=None) -> None:
    """Animators (and moderators) edit the group; only admins change its member cap."""
    if not can_manage(editor, group):
        raise GroupError(_l("Only the group's animators may edit it."))
    _check_open(group)
    fields = _clean_fields(name, description, kind, join_policy, commune, postal_code)
    for key, value in fields.items():
        setattr(group, key, value)
    if editor.has_role("admin"):
        group.member_cap = _clean_cap(member_cap)
    db.session.commit()


def archive(group: Group, actor: Member, archived: bool = True) -> None:
    """Archive (read-only, data kept) or reopen a group: its animators or admins."""
    if not can_archive(actor, group):
        raise GroupError(_l("Only the group's animators or an admin may archive it."))
    group.archived_at = utcnow() if archived else None
    db.session.commit()


# --- seats -----------------------------------------------------------------------------------


def _take_seat(group_id: int) -> bool:
    """Take one seat if the group is open and not full, in one atomic UPDATE (True if taken)."""
    table = Group.__table__
    conditions = [table.c.id == group_id, table.c.archived_at.is_(None),
                  or_(table.c.member_cap.is_(None), table.c.member_count < table.c.member_cap)]
    cap = movement_cap()
    if cap is not None:
        conditions.append(table.c.member_count < cap)
    result = db.session.execute(update(table).where(*conditions).values(member_count=table.c.member_count + 1))
    return result.rowcount == 1


def _free_seat(group_id: int) -> None:
    table = Group.__table__
    db.session.execute(update(table).where(table.c.id == group_id, table.c.member_count > 0)
                       .values(member_count=table.c.member_count - 1))


def _no_seat(group: Group) -> GroupError:
    """Why no seat was taken: the transaction is rolled back and the group read again."""
    db.session.rollback()
    db.session.refresh(group)
    if group.archived_at is not None:
        return GroupError(_l("This group is archived: it is read-only."))
    return GroupError(_l("This group is full (%(n)d members).", n=effective_cap(group) or group.member_count))


def _activate(group: Group, member_id: int, from_status: str) -> None:
    """Turn a pending or invited row into an active membership, taking a seat; raises when refused."""
    if not _take_seat(group.id):
        raise _no_seat(group)
    result = db.session.execute(update(Membership).where(
        Membership.group_id == group.id, Membership.member_id == member_id, Membership.status == from_status)
        .values(status="active", joined_at=utcnow()).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # someone else decided first: give the seat back
        db.session.rollback()
        raise GroupError(_l("This was already decided."))
    existing = db.session.get(Membership, (group.id, member_id))
    if existing is not None:
        db.session.expire(existing)


# --- joining and leaving ---------------------------------------------------------------------


def join(group: Group, member: Member) -> str:
    """Join an open group ("active") or ask to join a closed one ("pending"); an invitation is accepted."""
    _check_open(group)
    row = membership(group.id, member.id)
    if row is not None:
        if row.status == "active":
            raise GroupError(_l("You are already a member of this group."))
        if row.status == "pending":
            raise GroupError(_l("Your request is already waiting for an animator's approval."))
        accept_invitation(group, member)
        return "active"
    if group.join_policy == "approval":
        try:
            db.session.add(Membership(group_id=group.id, member_id=member.id, status="pending"))
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            raise GroupError(_l("Your request is already waiting for an animator's approval.")) from None
        publish(member, "collaboration.join_requested", group, audience=f"member:{member.id}",
                notify=animator_ids(group.id), data=_data(group, endpoint="collaboration.group_members"))
        return "pending"
    if not _take_seat(group.id):
        raise _no_seat(group)
    try:
        db.session.add(Membership(group_id=group.id, member_id=member.id, status="active"))
        db.session.flush()
    except IntegrityError:  # a double click: the rollback gives the seat back
        db.session.rollback()
        raise GroupError(_l("You are already a member of this group.")) from None
    publish(member, "collaboration.group_joined", group, audience=group_room(group.id),
            notify=animator_ids(group.id), data=_data(group))
    forget_memberships()
    return "active"


def leave(group: Group, member: Member) -> None:
    """Leave a group, withdraw a request or turn down an invitation. The last animator of an
    active group names another animator first."""
    row = membership(group.id, member.id)
    if row is None:
        raise GroupError(_l("You are not a member of this group."))
    if row.status == "active" and row.role == "animator" and group.archived_at is None \
            and len(animator_ids(group.id)) <= 1:
        raise GroupError(_l("You are the group's last animator: name another animator before you leave "
                            "(or archive the group)."))
    was_active = row.status == "active"
    result = db.session.execute(delete(Membership).where(
        Membership.group_id == group.id, Membership.member_id == member.id, Membership.status == row.status)
        .execution_options(synchronize_session=False))
    db.session.expunge(row)
    if was_active and result.rowcount == 1:
        _free_seat(group.id)
    db.session.commit()
    forget_memberships()


def set_public(group: Group, member: Member, public: bool) -> None:
    """The member chooses whether this membership shows on public pages."""
    row = membership(group.id, member.id)
    if row is None or row.status != "active":
        raise GroupError(_l("You are not a member of this group."))
    row.public = bool(public)
    db.session.commit()


# --- animators: requests, invitations, members, the role -------------------------------------


def approve(group: Group, animator: Member, member_id: int) -> None:
    if not can_manage(animator, group):
        raise GroupError(_l("Only the group's animators may do this."))
    _check_open(group)
    row = membership(group.id, member_id)
    if row is None or row.status != "pending":
        raise GroupError(_l("There is no request from this member."))
    _activate(group, member_id, "pending")
    publish(animator, "collaboration.request_approved", group, audience=f"member:{member_id}",
            notify=[member_id], data=_data(group), commit=False)
    publish(row.member, "collaboration.group_joined", group, audience=group_room(group.id), data=_data(group))
    forget_memberships()


def decline(group: Group, animator: Member, member_id: int) -> None:
    if not can_manage(animator, group):
        raise GroupError(_l("Only the group's animators may do this."))
    result = db.session.execute(delete(Membership).where(
        Membership.group_id == group.id, Membership.member_id == member_id, Membership.status == "pending")
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise GroupError(_l("There is no request from this member."))
    publish(animator, "collaboration.request_declined", group, audience=f"member:{member_id}", notify=[member_id],
            data=_data(group))


def invite(group: Group, animator: Member, handle: str) -> Member:
    """Invite a member by handle ("invited"); a waiting request from them is approved instead."""
    if not can_manage(animator, group):
        raise GroupError(_l("Only the group's animators may invite."))
    _check_open(group)
    handle = (handle or "").strip().lstrip("@").lower()
    if not handle:
        raise GroupError(_l("Give the handle of the member to invite."))
    invitee = db.session.scalar(select(Member).where(Member.handle == handle, Member.erased_at.is_(None)))
    if invitee is None or invitee.suspended_at is not None:
        raise GroupError(_l("No member has the handle @%(handle)s.", handle=handle))
    row = membership(group.id, invitee.id)
    if row is not None:
        if row.status == "active":
            raise GroupError(_l("@%(handle)s is already a member.", handle=handle))
        if row.status == "invited":
            raise GroupError(_l("@%(handle)s is already invited.", handle=handle))
        approve(group, animator, invitee.id)
        return invitee
    try:
        db.session.add(Membership(group_id=group.id, member_id=invitee.id, status="invited",
                                  invited_by_id=animator.id))
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise GroupError(_l("@%(handle)s is already invited.", handle=handle)) from None
    publish(animator, "collaboration.invited", group, audience=f"member:{invitee.id}", notify=[invitee.id],
            data=_data(group))
    return invitee


def accept_invitation(group: Group, member: Member) -> None:
    _check_open(group)
    row = membership(group.id, member.id)
    if row is None or row.status != "invited":
        raise GroupError(_l("You have no invitation to this group."))
    inviter = row.invited_by_id
    _activate(group, member.id, "invited")
    publish(member, "collaboration.group_joined", group, audience=group_room(group.id),
            notify={inviter, *animator_ids(group.id)} - {None}, data=_data(group))
    forget_memberships()


def decline_invitation(group: Group, member: Member) -> None:
    result = db.session.execute(delete(Membership).where(
        Membership.group_id == group.id, Membership.member_id == member.id, Membership.status == "invited")
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise GroupError(_l("You have no invitation to this group."))
    db.session.commit()


def remove_member(group: Group, animator: Member, member_id: int) -> None:
    """An animator removes a member, or withdraws an invitation; the last animator stays."""
    if not can_manage(animator, group):
        raise GroupError(_l("Only the group's animators may do this."))
    if member_id == animator.id:
        raise GroupError(_l("To leave the group, use “Leave”."))
    row = membership(group.id, member_id)
    if row is None:
        raise GroupError(_l("This member is not in the group."))
    if row.status == "active" and row.role == "animator" and len(animator_ids(group.id)) <= 1:
        raise GroupError(_l("The group's last animator stays until another is named."))
    status = row.status
    result = db.session.execute(delete(Membership).where(
        Membership.group_id == group.id, Membership.member_id == member_id, Membership.status == status)
        .execution_options(synchronize_session=False))
    db.session.expunge(row)
    if status == "active" and result.rowcount == 1:
        _free_seat(group.id)
    db.session.commit()
    forget_memberships()


def name_animator(group: Group, animator: Member, handle: str, step_down: bool = False) -> Member:
    """An animator names another active member animator, and may step down at once (a transfer)."""
    if not can_manage(animator, group):
        raise GroupError(_l("Only the group's animators may name animators."))
    _check_open(group)
    handle = (handle or "").strip().lstrip("@").lower()
    target = db.session.scalar(select(Member).where(Member.handle == handle, Member.erased_at.is_(None)))
    row = membership(group.id, target.id) if target is not None else None
    if row is None or row.status != "active":
        raise GroupError(_l("Only an active member of the group can become animator."))
    if row.role == "animator":
        raise GroupError(_l("@%(handle)s is already an animator.", handle=handle))
    row.role = "animator"
    if step_down:
        own = membership(group.id, animator.id)
        if own is not None and own.status == "active":
            own.role = "member"
    publish(animator, "collaboration.animator_named", group, audience=group_room(group.id), notify=[target.id],
            data=_data(group, target_id=target.id, target_name=target.display_name))
    return target


def step_down(group: Group, member: Member) -> None:
    row = membership(group.id, member.id)
    if row is None or row.status != "active" or row.role != "animator":
        raise GroupError(_l("You are not an animator of this group."))
    if len(animator_ids(group.id)) <= 1:
        raise GroupError(_l("You are the group's last animator: name another animator first."))
    row.role = "member"
    db.session.commit()


# --- reading groups ----------------------------------------------------------------------------


def list_groups(*, kind: str | None = None, query: str = "", near=None, page: int = 1, per_page: int = 30):
    """Groups for the directory, by name; ``near`` (a member) keeps the local groups of their area."""
    stmt = select(Group)
    if kind in KINDS:
        stmt = stmt.where(Group.kind == kind)
    query = " ".join((query or "").split())[:100]
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(or_(func.lower(Group.name).like(like), func.lower(Group.commune).like(like),
                              Group.postal_code.like(like)))
    if near is not None:
        stmt = stmt.where(Group.kind == "local", _near_clause(near))
    stmt = stmt.order_by(Group.archived_at.is_not(None), func.lower(Group.name), Group.id)
    rows = list(db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page


def _near_clause(member):
    clauses = []
    if member.commune:
        clauses.append(func.lower(Group.commune) == member.commune.lower())
    if member.postal_code:
        clauses.append(Group.postal_code == member.postal_code)
        clauses.append(Group.postal_code.like(f"{member.postal_code[:2]}%"))
    return or_(*clauses) if clauses else Group.id.is_(None)


def my_memberships(member, statuses=("active", "pending", "invited")) -> list[tuple]:
    """The member's memberships with their groups, open groups first, by name (read once per
    request), as plain rows (``access.MembershipRow``, ``access.GroupRow``): change a membership
    through ``membership()``."""
    from .access import memberships

    return [(m, group) for m, group in memberships(member) if m.status in statuses]


def statuses_for(member, group_ids: list[int]) -> dict[int, Membership]:
    if not group_ids:
        return {}
    return {m.group_id: m for m in db.session.scalars(select(Membership).where(
        Membership.member_id == member.id, Membership.group_id.in_(group_ids)))}


def nearby_groups(member, limit: int = 5) -> list[Group]:
    """Local groups of the member's area that they are not in yet."""
    mine = select(Membership.group_id).where(Membership.member_id == member.id)
    return list(db.session.scalars(select(Group).where(
        Group.kind == "local", Group.archived_at.is_(None), _near_clause(member), Group.id.not_in(mine))
        .order_by(Group.member_count.desc(), Group.id).limit(limit)))


def members_of(group_id: int, *, status: str = "active", page: int = 1, per_page: int = 100,
               public_only: bool = False):
    """Memberships of a group with their members (animators first, then by name)."""
    stmt = (select(Membership).join(Member, Member.id == Membership.member_id)
            .where(Membership.group_id == group_id, Membership.status == status, Member.erased_at.is_(None)))
    if public_only:
        stmt = stmt.where(Membership.public.is_(True))
    stmt = stmt.order_by(Membership.role != "animator", func.lower(Member.display_name), Member.id)
    rows = list(db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page


def public_memberships(member_id: int) -> list[Group]:
    """The groups a member chose to show on public pages."""
    return list(db.session.scalars(select(Group).join(Membership, Membership.group_id == Group.id).where(
        Membership.member_id == member_id, Membership.status == "active", Membership.public.is_(True))
        .order_by(func.lower(Group.name))))


# --- the wall ----------------------------------------------------------------------------------


def _check_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise GroupError(_l("Write something first."))
    if len(body) > MAX_WALL:
        raise GroupError(_l("A message has at most %(n)d characters (this one has %(m)d).", n=MAX_WALL, m=len(body)))
    return body


def _check_poster(group: Group, author: Member) -> None:
    _check_open(group)
    if not is_member(author, group.id):
        raise GroupError(_l("Only the group's members may write on its wall."))


def post_thread(group: Group, author: Member, body: str) -> WallPost:
    """Open a thread on the wall; the group's animators are notified."""
    _check_poster(group, author)
    body = _check_body(body)
    post = WallPost(group_id=group.id, author_id=author.id, body=body, body_html=str(render_markdown(body)))
    db.session.add(post)
    db.session.flush()
    post.thread_id = post.id
    publish(author, "collaboration.wall_post", post, audience=group_room(group.id), notify=animator_ids(group.id),
            data=_data(group, endpoint="collaboration.wall_thread", args={"group_id": group.id, "post_id": post.id}))
    return post


def reply(group: Group, author: Member, parent: WallPost, body: str) -> WallPost:
    """Answer a message of the wall, in its thread; the authors of the thread and the message are notified."""
    _check_poster(group, author)
    if parent.group_id != group.id:
        raise GroupError(_l("This message is not on this group's wall."))
    if parent.deleted_at is not None:
        raise GroupError(_l("This message was deleted: it cannot be answered."))
    body = _check_body(body)
    thread_id = parent.thread_id or parent.id
    post = WallPost(group_id=group.id, author_id=author.id, body=body, body_html=str(render_markdown(body)),
                    reply_to_id=parent.id, thread_id=thread_id)
    db.session.add(post)
    db.session.flush()
    root_author = db.session.scalar(select(WallPost.author_id).where(WallPost.id == thread_id))
    publish(author, "collaboration.wall_reply", post, audience=group_room(group.id),
            notify={parent.author_id, root_author} - {None},
            data=_data(group, endpoint="collaboration.wall_thread", args={"group_id": group.id, "post_id": thread_id}))
    return post


def delete_wall_post(post: WallPost, actor: Member, group: Group) -> None:
    """Its author or the group's animators (and moderators) delete a message; replies stay."""
    if post.author_id != actor.id and not can_manage(actor, group):
        raise GroupError(_l("Only its author or an animator may delete this message."))
    if post.deleted_at is None:
        post.deleted_at = utcnow()
    db.session.commit()


def get_wall_post(group_id: int, post_id: int) -> WallPost | None:
    post = db.session.get(WallPost, post_id)
    return post if post is not None and post.group_id == group_id else None


def _hidden_ids(content_type: str, ids) -> set[int]:
    ids = [str(i) for i in ids]
    if not ids:
        return set()
    return {int(i) for i in db.session.scalars(select(HiddenContent.content_id).where(
        HiddenContent.content_type == content_type, HiddenContent.content_id.in_(ids)))}


def wall(group_id: int, *, before: int | None = None, after: int | None = None, limit: int = WALL_PAGE):
    """Threads of a wall, newest first (keyset on the id; ``after``: newer ones, oldest first), with
    their replies and the ids a moderator hid: three queries whatever the page's length."""
    stmt = select(WallPost).where(WallPost.group_id == group_id, WallPost.reply_to_id.is_(None))
    if after is not None:
        stmt = stmt.where(WallPost.id > after).order_by(WallPost.id.asc())
    else:
        if before is not None:
            stmt = stmt.where(WallPost.id < before)
        stmt = stmt.order_by(WallPost.id.desc())
    roots = list(db.session.scalars(stmt.limit(limit)))
    return roots, *thread_details([r.id for r in roots])


def thread_details(root_ids: list[int]) -> tuple[dict[int, list[WallPost]], set[int]]:
    """(replies by thread, ids of hidden messages) for the given threads."""
    replies: dict[int, list[WallPost]] = {i: [] for i in root_ids}
    if root_ids:
        for post in db.session.scalars(select(WallPost).where(
                WallPost.thread_id.in_(root_ids), WallPost.reply_to_id.is_not(None)).order_by(WallPost.id)):
            replies.setdefault(post.thread_id, []).append(post)
    all_ids = [*root_ids, *(p.id for items in replies.values() for p in items)]
    return replies, _hidden_ids(WallPost.content_type, all_ids)


# --- links -------------------------------------------------------------------------------------


def check_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise GroupError(_l("Give the link's address."), "url")
    if len(url) > MAX_URL:
        raise GroupError(_l("An address has at most %(n)d characters.", n=MAX_URL), "url")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise GroupError(_l("Only web addresses starting with http:// or https:// are accepted."), "url")
    return url


def add_link(group: Group, author: Member, *, title: str, url: str, note: str = "") -> Link:
    _check_poster(group, author)
    title = " ".join((title or "").split())
    if not title:
        raise GroupError(_l("Give the link a title."))
    if len(title) > MAX_LINK_TITLE:
        raise GroupError(_l("A title has at most %(n)d characters.", n=MAX_LINK_TITLE))
    url = check_url(url)
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise GroupError(_l("A note has at most %(n)d characters.", n=MAX_NOTE), "note")
    link = Link(group_id=group.id, author_id=author.id, title=title, url=url, note=note)
    db.session.add(link)
    db.session.flush()
    publish(author, "collaboration.link_added", ("collaboration.link", link.id), audience=group_room(group.id),
            data=_data(group, endpoint="collaboration.group_links", title=title))
    return link


def delete_link(link: Link, actor: Member, group: Group) -> None:
    if link.author_id != actor.id and not can_manage(actor, group):
        raise GroupError(_l("Only its author or an animator may remove this link."))
    db.session.delete(link)
    db.session.commit()


def links_of(group_id: int, limit: int | None = None) -> list[Link]:
    stmt = select(Link).where(Link.group_id == group_id).order_by(Link.id.desc())
    return list(db.session.scalars(stmt.limit(limit) if limit else stmt))


# --- the group's stream ------------------------------------------------------------------------


def group_stream(group_id: int, *, before: int | None = None, after: int | None = None, limit: int = STREAM_PAGE,
                 other_modules: bool = False) -> list[Activity]:
    """What was addressed to the group by any enabled module (posts, events, campaigns, wall…),
    from the activity stream: audience is the group's room. Newest first, or oldest first with
    ``after``; ``other_modules``: only what other modules addressed to it (not the wall, nor joins)."""
    stmt = select(Activity).where(Activity.audience == group_room(group_id), enabled_module_filter(Activity.module),
                                  hidden_filter(Activity.object_type, Activity.object_id))
    if other_modules:
        stmt = stmt.where(Activity.module != "collaboration")
    if after is not None:
        stmt = stmt.where(Activity.id > after).order_by(Activity.id.asc())
    else:
        if before is not None:
            stmt = stmt.where(Activity.id < before)
        stmt = stmt.order_by(Activity.id.desc())
    return preload(list(db.session.scalars(stmt.limit(limit))))


class _Shown:
    """What a group activity shows of its wall message or group, as plain values."""

    def __init__(self, **values):
        self.__dict__.update(values)


def preload_activities(activities: list[Activity]) -> None:
    """ActivityKind.preload for the groups' verbs: their groups and wall messages in two queries at
    most, as plain values (what the template shows: the message's text, the group's name)."""
    post_ids = {int(a.object_id) for a in activities
                if a.object_type == WallPost.content_type and (a.object_id or "").isdigit()}
    posts_statement = prepared("collaboration.preload_posts", lambda: select(
        WallPost.id, WallPost.group_id, WallPost.body_html, WallPost.deleted_at).where(
        WallPost.id.in_(bindparam("ids", expanding=True))))
    posts = {row.id: _Shown(id=row.id, group_id=row.group_id, body_html=row.body_html, deleted_at=row.deleted_at)
             for row in run(posts_statement, {"ids": list(post_ids)})} if post_ids else {}
    group_ids = {p.group_id for p in posts.values()}
    group_ids |= {_group_of(a) for a in activities} - {0}
    # The reader's own groups were read with their memberships earlier in the request (their
    # audiences choose the feed): only the other groups are asked for.
    groups = {group.id: _Shown(id=group.id, name=group.name)
              for rows in memberships_read().values() for _membership, group in rows
              if group.id in group_ids}
    missing = group_ids.difference(groups)
    if missing:
        groups_statement = prepared("collaboration.preload_groups", lambda: select(Group.id, Group.name).where(
            Group.id.in_(bindparam("ids", expanding=True))))
        groups.update((row.id, _Shown(id=row.id, name=row.name))
                      for row in run(groups_statement, {"ids": list(missing)}))
    for activity in activities:
        post = posts.get(int(activity.object_id)) if activity.object_type == WallPost.content_type \
            and (activity.object_id or "").isdigit() else None
        activity.obj = post
        activity.group = groups.get(post.group_id if post is not None else _group_of(activity))


def _group_of(activity) -> int:
    """The group an activity is about: the object of a group's verbs (joined, created), else the
    ``group_id`` of its data (0 if none). A feed item's data is then not decoded just for this."""
    if activity.object_type == Group.content_type and (activity.object_id or "").isdigit():
        return int(activity.object_id)
    return int(datum(activity, "group_id") or 0)


# --- settings, export, erasure -------------------------------------------------------------------


def export_member(member: Member) -> dict:
    """A member's memberships, wall messages and links, for their export."""
    def iso(value):
        return value.isoformat() + "Z" if value else None

    memberships = [{"group": g.name, "group_id": g.id, "role": m.role, "status": m.status, "public": m.public,
                    "joined_at": iso(m.joined_at)} for m, g in my_memberships(member)]
    rows = list(db.session.scalars(select(WallPost).where(WallPost.author_id == member.id).order_by(WallPost.id)))
    kept = list(db.session.scalars(select(Link).where(Link.author_id == member.id).order_by(Link.id)))
    group_ids = {p.group_id for p in rows} | {link.group_id for link in kept}
    names = dict(db.session.execute(select(Group.id, Group.name).where(Group.id.in_(group_ids))).all()) \
        if group_ids else {}
    posts = [{"group": names.get(p.group_id), "id": p.id, "reply_to": p.reply_to_id, "body": p.body,
              "created_at": iso(p.created_at), "deleted_at": iso(p.deleted_at)}
             for p in rows]
    links = [{"group": names.get(link.group_id), "title": link.title, "url": link.url, "note": link.note,
              "created_at": iso(link.created_at)}
             for link in kept]
    return {"memberships": memberships, "wall_posts": posts, "links": links}


def forget_member(member_id: int) -> None:
    """On erasure: the member's memberships go (seats given back); their messages stay, anonymous."""
    rows = db.session.execute(select(Membership.group_id, Membership.status).where(
        Membership.member_id == member_id)).all()
    db.session.execute(delete(Membership).where(Membership.member_id == member_id))
    for group_id, status in rows:
        if status == "active":
            _free_seat(group_id)
    db.session.commit()
