"""The groups part of the collaboration module: communities of interest, thematic or local, with
a discussion wall, links worth keeping and the group's stream (what other modules address to the
group's room). Its URL rules, activity kinds, audiences and demo data are declared here."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from community.activity import datum
from community.extensions import db
from community.ratelimits import limited
from community.registry import ActivityKind, ContentKind, ContentRef, HomeWidget, NavItem

from . import Part

ACTIVITY_TEMPLATE = "collaboration/groups/activity_item.html"


def register(bp) -> None:
    """Add the groups' URL rules to the collaboration blueprint, and its landing-page section."""
    from .. import groups_views as v
    from ..views import index_section

    def rule(path, view, endpoint, methods=("GET",), limit=False):
        bp.add_url_rule(path, view_func=limited("TERREAU_LIMIT_POST", view) if limit else view, endpoint=endpoint,
                        methods=list(methods))

    post = ("POST",)
    rule("/groups", v.groups, "groups")
    rule("/groups/mine", v.my_groups, "my_groups")
    rule("/groups/new", v.new_group, "new_group", ("GET", "POST"))
    rule("/groups/settings", v.settings, "group_settings", ("GET", "POST"))
    rule("/groups/of/<handle>", v.member_groups, "member_groups")
    rule("/groups/<int:group_id>", v.group, "group")
    rule("/groups/<int:group_id>/edit", v.edit, "group_edit", ("GET", "POST"))
    rule("/groups/<int:group_id>/archive", v.archive, "group_archive", post)
    rule("/groups/<int:group_id>/join", v.join, "group_join", post, limit=True)
    rule("/groups/<int:group_id>/leave", v.leave, "group_leave", post)
    rule("/groups/<int:group_id>/visibility", v.visibility, "group_visibility", post)
    rule("/groups/<int:group_id>/invitation/accept", v.invitation_accept, "invitation_accept", post)
    rule("/groups/<int:group_id>/invitation/decline", v.invitation_decline, "invitation_decline", post)
    rule("/groups/<int:group_id>/members", v.group_members, "group_members")
    rule("/groups/<int:group_id>/invite", v.invite, "group_invite", post, limit=True)
    rule("/groups/<int:group_id>/requests/<int:member_id>/approve", v.approve, "request_approve", post)
    rule("/groups/<int:group_id>/requests/<int:member_id>/decline", v.decline, "request_decline", post)
    rule("/groups/<int:group_id>/members/<int:member_id>/remove", v.remove, "member_remove", post)
    rule("/groups/<int:group_id>/animators", v.name_animator, "animator_name", post)
    rule("/groups/<int:group_id>/animators/step-down", v.step_down, "animator_step_down", post)
    rule("/groups/<int:group_id>/wall", v.wall_post, "wall_post", post, limit=True)
    rule("/groups/<int:group_id>/wall/since", v.wall_since, "wall_since")
    rule("/groups/<int:group_id>/wall/<int:post_id>", v.wall_thread, "wall_thread")
    rule("/groups/<int:group_id>/wall/<int:post_id>/reply", v.wall_reply, "wall_reply", post, limit=True)
    rule("/groups/<int:group_id>/wall/<int:post_id>/delete", v.wall_delete, "wall_delete", post)
    rule("/groups/<int:group_id>/links", v.group_links, "group_links", ("GET", "POST"), limit=True)
    rule("/groups/<int:group_id>/links/<int:link_id>/delete", v.link_delete, "link_delete", post)
    rule("/groups/<int:group_id>/activity", v.group_activity, "group_activity")
    rule("/groups/<int:group_id>/activity/since", v.activity_since, "group_activity_since")
    index_section("groups", _index_section)


# --- what the part declares ------------------------------------------------------------------


def _index_section(member) -> dict:
    from .. import groups_service as service

    return {"memberships": service.my_memberships(member)[:12], "nearby": service.nearby_groups(member),
            "can_create": service.can_create(member)}


def _widget(member) -> dict:
    from .. import groups_service as service

    memberships = service.my_memberships(member)
    return {"memberships": [(m, g) for m, g in memberships if m.status == "active"][:8],
            "invitations": [(m, g) for m, g in memberships if m.status == "invited"]}


def audiences(member):
    """The rooms of the member's groups: their activities reach the member's feed and sockets."""
    from ..access import group_room, member_group_ids

    return [group_room(group_id) for group_id in sorted(member_group_ids(member))]


def audiences_of_many(member_ids: list[int]) -> dict[int, list[str]]:
    """audiences() for many members in one query per 500 ids (the bridging scores read thousands)."""
    from ..access import group_room
    from ..models import CollaborationMembership

    result: dict[int, list[str]] = {}
    for start in range(0, len(member_ids), 500):
        rows = db.session.execute(
            select(CollaborationMembership.member_id, CollaborationMembership.group_id)
            .where(CollaborationMembership.member_id.in_(member_ids[start:start + 500]),
                   CollaborationMembership.status == "active")
            .order_by(CollaborationMembership.member_id, CollaborationMembership.group_id))
        for member_id, group_id in rows:
            result.setdefault(member_id, []).append(group_room(group_id))
    return result


def post_audiences(member):
    """(room, label) of each open group the member is in: other modules offer "post to my group"."""
    from ..access import group_room, memberships

    return [(group_room(group.id), _l("Group: %(name)s", name=group.name)) for membership, group in memberships(member)
            if membership.status == "active" and group.archived_at is None]


def audience_members(audience: str):
    """Ids of the active members of a group's room (e.g. for a group announcement by e-mail);
    None for an audience that is not a group's room."""
    from ..models import CollaborationMembership

    prefix, _sep, ident = audience.rpartition(":")
    if prefix != "collaboration:group" or not ident.isdigit():
        return None
    return list(db.session.scalars(select(CollaborationMembership.member_id).where(
        CollaborationMembership.group_id == int(ident), CollaborationMembership.status == "active")))


def _group_room_check(member, ident: str) -> bool:
    """Socket room "collaboration:group:<id>": the group's active members and moderators."""
    from ..access import can_see_group_content

    return ident.isdigit() and can_see_group_content(member, int(ident))


def _preload(activities) -> None:
    from ..groups_service import preload_activities

    preload_activities(activities)


def _load_wall_post(ident: str) -> ContentRef | None:
    """A wall message for moderation. In a request, only for whoever may see the group's content
    (a report form must not show a private group's message to an outsider)."""
    from flask import has_request_context
    from flask_login import current_user

    from ..access import can_see_group_content
    from ..models import CollaborationWallPost

    post = db.session.get(CollaborationWallPost, int(ident)) if ident.isdigit() else None
    if post is None or post.deleted_at is not None:
        return None
    if has_request_context() and not can_see_group_content(current_user, post.group_id):
        return None
    return ContentRef(title=post.body[:80], endpoint="collaboration.wall_thread",
                      args={"group_id": post.group_id, "post_id": post.thread_id or post.id},
                      author_id=post.author_id, excerpt=post.body[:300])


def _nav(member):
    items = [NavItem("collaboration.groups", _l("Groups"), "main", 21),
             NavItem("collaboration.my_groups", _l("My groups"), "user", 42)]
    if member.is_authenticated and member.has_role("admin"):
        items.append(NavItem("collaboration.group_settings", _l("Group settings"), "admin", 62))
    return items


def _export(member) -> dict:
    from ..groups_service import export_member

    return export_member(member)


def _cache_key(activity, viewer) -> tuple:
    """What the template shows besides the activity row (ActivityKind.cache_key): the group's
    name, the wall message's text, and whether the viewer is the member named animator."""
    group = getattr(activity, "group", None)
    post = getattr(activity, "obj", None)
    return ((group.id, group.name) if group is not None else None,
            (post.id, post.body_html, post.deleted_at is not None) if post is not None else None,
            viewer.is_authenticated and viewer.id == datum(activity, "target_id"))


def _kind(label=None) -> ActivityKind:
    return ActivityKind(ACTIVITY_TEMPLATE, label, preload=_preload, cache_key=_cache_key)


ACTIVITY_KINDS = {
    # shown in feeds and streams; a label names a kind that notifies (e-mail preferences list it)
    "collaboration.group_created": _kind(),
    "collaboration.group_joined": _kind(_l("A member joins a group you animate or invited them to")),
    "collaboration.join_requested": _kind(_l("A member asks to join a group you animate")),
    "collaboration.request_approved": _kind(_l("Your request to join a group is approved")),
    "collaboration.request_declined": _kind(_l("Your request to join a group is declined")),
    "collaboration.invited": _kind(_l("You are invited to join a group")),
    "collaboration.animator_named": _kind(_l("You are named animator of a group")),
    "collaboration.wall_post": _kind(_l("A new thread on the wall of a group you animate")),
    "collaboration.wall_reply": _kind(_l("A reply to your message on a group's wall")),
    "collaboration.link_added": _kind(),
}


# --- demo data -------------------------------------------------------------------------------

WALL_TEXTS = (
    "Qui vient samedi au marché pour tracter ? On se retrouve à 9 h devant la mairie.",
    "Compte rendu de la réunion de mardi : trois chantiers, un référent pour chacun. Les notes sont dans les liens.",
    "Je propose qu'on prépare une contribution commune pour le conseil municipal. Des volontaires ?",
    "Un article intéressant sur le sujet, à discuter lors de notre prochaine rencontre.",
    "Merci à toutes et à tous pour la mobilisation de ce week-end, **bravo** !",
    "Quelqu'un connaît une salle disponible le jeudi soir pour nos réunions ?",
    "On lance un petit groupe de travail sur le programme local : écrivez ici si vous voulez en être.",
)
REPLY_TEXTS = ("Je serai là !", "Bonne idée, je m'inscris.", "Pas dispo cette fois, mais la prochaine oui.",
               "Merci pour le partage.", "Je peux m'en occuper.", "D'accord avec toi.", "On en parle mardi ?")
LINKS = (("Programme du mouvement", "https://example.org/programme", "La base de nos discussions."),
         ("Carte des bureaux de vote", "https://example.org/carte", ""),
         ("Guide du tractage", "https://example.org/guide-tractage", "Conseils pratiques pour les nouveaux."))


def seed_demo(ctx) -> None:
    """Local groups per commune and thematic groups per interest, from the demo members, with
    memberships (a few requests, invitations and public ones), wall threads and links."""
    from community.demo import reset_sequence

    from ..access import group_room
    from ..groups_service import slugify
    from ..models import CollaborationGroup, CollaborationLink, CollaborationMembership, CollaborationWallPost

    rng, now = ctx.rng, ctx.now
    by_commune: dict[str, list[int]] = {}
    by_interest: dict[str, list[int]] = {}
    for member_id in ctx.member_ids:
        row = ctx.members.get(member_id, {})
        if row.get("commune"):
            by_commune.setdefault(row["commune"], []).append(member_id)
        for interest in row.get("interests", ()):
            by_interest.setdefault(interest, []).append(member_id)
    plans = []  # (name, kind, commune, postal code, candidate member ids, joining rate)
    for commune, ids in sorted(by_commune.items()):
        if len(ids) >= 3:
            postal = ctx.members[ids[0]]["postal_code"]
            plans.append((f"{commune} en commun", "local", commune, postal, ids, 0.55))
    for interest, ids in sorted(by_interest.items()):
        if len(ids) >= 3:
            plans.append((f"Groupe {interest.replace('-', ' ')}", "thematic", "", "", ids, 0.4))
    share = ctx.family_scale("collaboration")  # seed-demo --profile: little group life elsewhere
    if share < 1:
        plans = plans[::max(1, round(1 / share))]
    if ctx.profile == "collaboration":  # groups at the heart of the movement: more join
        plans = [(*plan[:5], min(0.9, plan[5] * 1.5)) for plan in plans]
    first_group = (db.session.scalar(select(func.max(CollaborationGroup.id))) or 0) + 1
    first_post = (db.session.scalar(select(func.max(CollaborationWallPost.id))) or 0) + 1
    groups, memberships, posts, links = [], [], [], []
    post_id = first_post
    for offset, (name, kind, commune, postal, candidates, rate) in enumerate(plans):
        group_id = first_group + offset
        members = [m for m in candidates if rng.random() < rate] or candidates[:2]
        animator = members[0]
        created = max(ctx.members[m]["joined_at"] for m in members[:1]) + timedelta(days=rng.randint(1, 30))
        created = min(created, now - timedelta(days=40))
        policy = "approval" if rng.random() < 0.25 else "open"
        data = {"endpoint": "collaboration.group", "args": {"group_id": group_id}, "group_id": group_id,
                "group_name": name}
        active = []
        for index, member_id in enumerate(members):
            joined = created if index == 0 else min(now - timedelta(hours=1), max(
                created, ctx.members[member_id]["joined_at"]) + timedelta(hours=rng.randint(1, 900)))
            status = "active"
            draw = rng.random()
            if index and draw < 0.05:
                status = "pending" if policy == "approval" else "invited"
            memberships.append({"group_id": group_id, "member_id": member_id,
                                "role": "animator" if index == 0 or (index < 3 and draw > 0.93) else "member",
                                "status": status, "public": rng.random() < 0.2,
                                "invited_by_id": animator if status == "invited" else None, "joined_at": joined})
            if status == "active":
                active.append(member_id)
                if index:
                    ctx.activity(member_id, "collaboration.group_joined", "collaboration.group", group_id, joined,
                                 audience=group_room(group_id), data=data)
        for row in memberships[-len(members):]:  # a member cannot be animator without being active
            if row["status"] != "active":
                row["role"] = "member"
        groups.append({"id": group_id, "slug": f"{slugify(name)[:50]}-{group_id}", "name": name,
                       "description": f"Le groupe **{name}** : on s'organise, on échange, on agit ensemble.",
                       "kind": kind, "join_policy": policy, "commune": commune, "postal_code": postal,
                       "member_cap": None, "member_count": len(active), "created_by_id": animator,
                       "created_at": created, "archived_at": None})
        ctx.activity(None, "collaboration.group_created", "collaboration.group", group_id, created,
                     audience="members", data=data)
        room = group_room(group_id)
        span = max(3, int((now - created).total_seconds() // 3600) - 48)
        starts = sorted(created + timedelta(hours=rng.randint(2, span))  # ids follow time, as in real use
                        for _ in range(rng.randint(1, 2 + len(active) // 6) if len(active) > 1 else 0))
        for at in starts:
            author = rng.choice(active)
            body = rng.choice(WALL_TEXTS)
            root = post_id
            posts.append(_wall_row(root, group_id, author, body, None, root, at))
            ctx.activity(author, "collaboration.wall_post", "collaboration.wall", root, at, audience=room,
                         data={**data, "endpoint": "collaboration.wall_thread",
                               "args": {"group_id": group_id, "post_id": root}})
            post_id += 1
            for _reply in range(rng.randint(0, 4)):
                at = at + timedelta(minutes=rng.randint(5, 600))
                if at >= now:
                    break
                replier = rng.choice(active)
                posts.append(_wall_row(post_id, group_id, replier, rng.choice(REPLY_TEXTS), root, root, at))
                ctx.activity(replier, "collaboration.wall_reply", "collaboration.wall", post_id, at, audience=room,
                             data={**data, "endpoint": "collaboration.wall_thread",
                                   "args": {"group_id": group_id, "post_id": root}})
                post_id += 1
        if rng.random() < 0.4:
            title, url, note = rng.choice(LINKS)
            links.append({"group_id": group_id, "author_id": animator, "title": title, "url": url, "note": note,
                          "created_at": created + timedelta(days=1)})
    ctx.bulk(CollaborationGroup, groups)
    ctx.bulk(CollaborationMembership, memberships)
    ctx.bulk(CollaborationWallPost, posts)
    ctx.bulk(CollaborationLink, links)
    reset_sequence("collaboration_group")
    reset_sequence("collaboration_wall_post")


def _wall_row(post_id, group_id, author_id, body, reply_to, thread_id, at) -> dict:
    from community.markdown import render_markdown

    return {"id": post_id, "group_id": group_id, "author_id": author_id, "body": body,
            "body_html": str(render_markdown(body)), "reply_to_id": reply_to, "thread_id": thread_id,
            "created_at": at, "deleted_at": None}


PART = Part(
    register=register,
    name="groups",
    activity_kinds=ACTIVITY_KINDS,
    content_kinds={"collaboration.wall": ContentKind(_l("Group wall message"), _load_wall_post)},
    nav_items=_nav,
    home_widgets=(HomeWidget("collaboration/groups/widget.html", order=40, context=_widget, cache_key=lambda w: (
        tuple((g.id, g.name) for _m, g in w["memberships"]), tuple((g.id, g.name) for _m, g in w["invitations"]))),),
    rooms={"group": _group_room_check},
    settings={"group_member_cap": None,  # members per group for the whole movement; None: no cap
              "members_can_create_groups": True},  # False: only organisers (and above) create groups
    audiences=audiences,
    audiences_of_many=audiences_of_many,
    post_audiences=post_audiences,
    audience_members=audience_members,
    seed_demo=seed_demo,
    export_data=_export,
)
