"""The core's sections of the community file: ``members`` (with their interests, skills and
consent ledger) and ``follows``."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import ConsentRecord, Follow, Member, MemberTag
from .api import ExportContext, ImportContext, each, iso


def export(ctx: ExportContext) -> dict:
    tags: dict[int, dict[str, list[str]]] = {}
    for member_id, kind, name in db.session.execute(
            select(MemberTag.member_id, MemberTag.kind, MemberTag.name).order_by(MemberTag.member_id, MemberTag.name)):
        tags.setdefault(member_id, {}).setdefault(kind, []).append(name)
    consents: dict[int, list[dict]] = {}
    for row in db.session.execute(select(ConsentRecord.member_id, ConsentRecord.purpose, ConsentRecord.version,
                                         ConsentRecord.given, ConsentRecord.at).order_by(ConsentRecord.id)):
        consents.setdefault(row.member_id, []).append(
            {"purpose": row.purpose, "version": row.version, "given": row.given, "at": iso(row.at)})
    members = []
    for m in db.session.execute(select(Member.__table__).order_by(Member.id)):
        ctx.handles[m.id] = m.handle
        own = tags.get(m.id, {})
        members.append({
            "handle": m.handle, "display_name": m.display_name, "email": m.email, "role": m.role,
            "joined_at": iso(m.joined_at), "commune": m.commune, "postal_code": m.postal_code,
            "interests": own.get("interest", []), "skills": own.get("skill", []), "bio": m.bio,
            "locale": m.locale, "timezone": m.timezone, "in_directory": m.in_directory,
            "suspended_at": iso(m.suspended_at), "suspension_reason": m.suspension_reason,
            "erased_at": iso(m.erased_at), "consents": consents.get(m.id, []),
        })
    follows = [{"follower": ctx.handles[f.follower_id], "followed": ctx.handles[f.followed_id],
                "at": iso(f.created_at)}
               for f in db.session.execute(select(Follow.__table__).order_by(Follow.follower_id, Follow.followed_id))]
    return {"members": members, "follows": follows}


def import_(doc: dict, ctx: ImportContext) -> None:
    rows, tags, consents = [], [], []
    emails: dict[str, str] = {}
    for index, item, path in each(doc.get("members", []), "$.members"):
        handle = item["handle"]
        if handle in ctx.member_ids:
            ctx.error(f"{path}.handle", f"duplicate handle {handle!r}")
            continue
        member_id = index + 1
        ctx.member_ids[handle] = member_id
        email = item["email"].strip().lower()
        if email in emails:
            ctx.error(f"{path}.email", f"duplicate e-mail address (also at {emails[email]})")
        emails[email] = path
        rows.append({
            "id": member_id, "handle": handle, "display_name": item["display_name"], "email": email,
            "password_hash": ctx.unusable_password(), "role": item["role"],
            "joined_at": ctx.time(item["joined_at"], f"{path}.joined_at"),
            "locale": item.get("locale"), "timezone": item.get("timezone"), "bio": item.get("bio", ""),
            "commune": item.get("commune", ""), "postal_code": item.get("postal_code", ""),
            "in_directory": item.get("in_directory", False), "avatar": None,
            "suspended_at": ctx.time(item.get("suspended_at"), f"{path}.suspended_at", required=False),
            "suspension_reason": item.get("suspension_reason"),
            "erased_at": ctx.time(item.get("erased_at"), f"{path}.erased_at", required=False),
        })
        for kind, key in (("interest", "interests"), ("skill", "skills")):
            seen = set()
            for n, name in enumerate(item.get(key, [])):
                if name in seen:
                    ctx.error(f"{path}.{key}[{n}]", f"duplicate {kind} {name!r}")
                seen.add(name)
                tags.append({"member_id": member_id, "kind": kind, "name": name})
        for n, consent in enumerate(item.get("consents", [])):
            consents.append({"member_id": member_id, "purpose": consent["purpose"], "version": consent["version"],
                             "given": consent["given"], "at": ctx.time(consent["at"], f"{path}.consents[{n}].at")})
    ctx.insert(Member, rows)
    ctx.insert(MemberTag, tags)
    ctx.insert(ConsentRecord, consents)

    follows, pairs = [], {}
    for _index, item, path in each(doc.get("follows", []), "$.follows"):
        follower = ctx.member(item["follower"], f"{path}.follower")
        followed = ctx.member(item["followed"], f"{path}.followed")
        at = ctx.time(item["at"], f"{path}.at")
        if follower is None or followed is None:
            continue
        if follower == followed:
            ctx.error(path, "a member cannot follow themselves")
            continue
        if (follower, followed) in pairs:
            ctx.error(path, f"duplicate follow (also at {pairs[(follower, followed)]})")
            continue
        pairs[(follower, followed)] = path
        follows.append({"follower_id": follower, "followed_id": followed, "created_at": at})
        ctx.activity(follower, "core.follow", ("core.member", followed), at, audience=f"member:{followed}",
                     data={"endpoint": "members.profile", "args": {"handle": item["follower"]}})
    ctx.insert(Follow, follows)
