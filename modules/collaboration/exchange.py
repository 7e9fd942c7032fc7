"""Collaboration's sections of the community file: ``groups`` (members, wall, links), ``debates``
(with threaded contributions), ``opinion_maps`` (statements and votes), ``proposals`` (versions,
amendments, supports), ``introductions`` and ``blocks``.

Groups are named by slug in the file. This module runs first (``order=10``) and registers each
group's slug and audience room in the exchange context, so that the other modules' sections
(posts, events…) can name a group without importing this module.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from community.exchange.api import Exchange, ExportContext, ImportContext, by_key, each, iso, str_id, table_rows
from community.markdown import render_markdown

from .access import group_room
from .models import (
    CollaborationAmendment,
    CollaborationBlock,
    CollaborationContribution,
    CollaborationDebate,
    CollaborationGroup,
    CollaborationIntroduction,
    CollaborationLink,
    CollaborationMembership,
    CollaborationOpinionQuestion,
    CollaborationProposal,
    CollaborationProposalVersion,
    CollaborationStatement,
    CollaborationSupport,
    CollaborationVote,
    CollaborationWallPost,
)

# --- export ------------------------------------------------------------------------------------


def export(ctx: ExportContext) -> dict:
    h = ctx.handle
    groups_rows = table_rows(CollaborationGroup, CollaborationGroup.id)
    slugs = {}
    for g in groups_rows:
        slugs[g.id] = g.slug
        ctx.add_group(g.slug, group_room(g.id))
    memberships = by_key(table_rows(CollaborationMembership, CollaborationMembership.group_id,
                                    CollaborationMembership.member_id), "group_id")
    walls = by_key(table_rows(CollaborationWallPost, CollaborationWallPost.id), "group_id")
    links = by_key(table_rows(CollaborationLink, CollaborationLink.id), "group_id")
    groups = [{
        "slug": g.slug, "name": g.name, "kind": g.kind,
        # "members": who is in the group (handles); "memberships": the details, pending and invited included.
        "members": [h(m.member_id) for m in memberships.get(g.id, []) if m.status == "active"],
        "memberships": [{"member": h(m.member_id), "role": m.role, "status": m.status, "public": m.public,
                         "invited_by": h(m.invited_by_id), "joined_at": iso(m.joined_at)}
                        for m in memberships.get(g.id, [])],
        "description": g.description, "join_policy": g.join_policy, "commune": g.commune,
        "postal_code": g.postal_code, "member_cap": g.member_cap, "created_by": h(g.created_by_id),
        "created_at": iso(g.created_at), "archived_at": iso(g.archived_at),
        "wall": [{"id": str(w.id), "author": h(w.author_id), "body": w.body, "at": iso(w.created_at),
                  "reply_to": str_id(w.reply_to_id), "deleted_at": iso(w.deleted_at)} for w in walls.get(g.id, [])],
        "links": [{"author": h(li.author_id), "title": li.title, "url": li.url, "note": li.note,
                   "at": iso(li.created_at)} for li in links.get(g.id, [])],
    } for g in groups_rows]

    contributions = by_key(table_rows(CollaborationContribution, CollaborationContribution.id), "debate_id")
    debates = [{
        "id": str(d.id), "title": d.title, "author": h(d.author_id), "at": iso(d.created_at),
        "group": slugs.get(d.group_id), "question": d.question, "opens_at": iso(d.opens_at),
        "closes_at": iso(d.closes_at), "closed_at": iso(d.closed_at), "synthesis": d.synthesis,
        "contributions": [{"id": str(c.id), "author": h(c.author_id), "stance": c.stance, "body": c.body,
                           "at": iso(c.created_at), "reply_to": str_id(c.reply_to_id), "deleted_at": iso(c.deleted_at)}
                          for c in contributions.get(d.id, [])],
    } for d in table_rows(CollaborationDebate, CollaborationDebate.id)]

    votes = by_key(table_rows(CollaborationVote, CollaborationVote.statement_id, CollaborationVote.member_id),
                              "statement_id")
    statements = by_key(table_rows(CollaborationStatement, CollaborationStatement.id), "question_id")
    opinion_maps = [{
        "id": str(q.id), "title": q.title, "author": h(q.author_id), "at": iso(q.created_at),
        "group": slugs.get(q.group_id), "description": q.description, "closed_at": iso(q.closed_at),
        "statements": [{"id": str(s.id), "author": h(s.author_id), "text": s.text, "at": iso(s.created_at),
                        "votes": [{"member": h(v.member_id), "value": v.value, "at": iso(v.created_at)}
                                  for v in votes.get(s.id, [])]} for s in statements.get(q.id, [])],
    } for q in table_rows(CollaborationOpinionQuestion, CollaborationOpinionQuestion.id)]

    versions = by_key(table_rows(CollaborationProposalVersion, CollaborationProposalVersion.proposal_id,
                                 CollaborationProposalVersion.number), "proposal_id")
    amendments = by_key(table_rows(CollaborationAmendment, CollaborationAmendment.id), "proposal_id")
    supports = by_key(table_rows(CollaborationSupport, CollaborationSupport.proposal_id,
                                 CollaborationSupport.member_id), "proposal_id")
    proposals = [{
        "id": str(p.id), "title": p.title, "author": h(p.author_id), "at": iso(p.created_at),
        "group": slugs.get(p.group_id), "status": p.status, "closed_at": iso(p.closed_at),
        "versions": [{"number": v.number, "text": v.text, "author": h(v.author_id), "amendment": str_id(v.amendment_id),
                      "at": iso(v.created_at)} for v in versions.get(p.id, [])],
        "amendments": [{"id": str(a.id), "author": h(a.author_id), "base_version": a.base_version, "text": a.text,
                        "rationale": a.rationale, "status": a.status, "decided_by": h(a.decided_by_id),
                        "decided_at": iso(a.decided_at), "at": iso(a.created_at)} for a in amendments.get(p.id, [])],
        "supports": [{"member": h(s.member_id), "at": iso(s.created_at)} for s in supports.get(p.id, [])],
    } for p in table_rows(CollaborationProposal, CollaborationProposal.id)]

    introductions = [{"id": str(i.id), "from": h(i.from_id), "to": h(i.to_id), "status": i.status,
                      "at": iso(i.created_at), "decided_at": iso(i.decided_at), "message": i.message}
                     for i in table_rows(CollaborationIntroduction, CollaborationIntroduction.id)]
    blocks = [{"member": h(b.member_id), "blocked": h(b.blocked_id), "at": iso(b.created_at)}
              for b in table_rows(CollaborationBlock, CollaborationBlock.member_id, CollaborationBlock.blocked_id)]
    return {"groups": groups, "debates": debates, "opinion_maps": opinion_maps, "proposals": proposals,
            "introductions": introductions, "blocks": blocks}


# --- import ------------------------------------------------------------------------------------


class _Html:
    """Markdown rendered once per distinct text."""

    def __init__(self):
        self.cache: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        if text not in self.cache:
            self.cache[text] = str(render_markdown(text))
        return self.cache[text]


def _group_data(group_id: int, name: str, **extra) -> dict:
    return {"endpoint": "collaboration.group", "args": {"group_id": group_id}, "group_id": group_id,
            "group_name": name, **extra}


def import_(doc: dict, ctx: ImportContext) -> None:
    html = _Html()
    groups = _import_groups(doc, ctx, html)
    _import_debates(doc, ctx, html, groups)
    _import_opinions(doc, ctx, groups)
    _import_proposals(doc, ctx, groups)
    _import_people(doc, ctx)


def _group_of(ctx: ImportContext, item: dict, path: str, groups: dict[str, int]) -> int | None:
    slug = item.get("group")
    if not slug:
        return None
    if slug not in groups:
        ctx.error(f"{path}.group", f"unknown group {slug!r}")
    return groups.get(slug)


def _import_groups(doc: dict, ctx: ImportContext, html: _Html) -> dict[str, int]:
    ids: dict[str, int] = {}
    rows, memberships, links, wall_entries, wall_groups = [], [], [], [], []
    for index, item, path in each(doc.get("groups", []), "$.groups"):
        slug = item["slug"]
        if slug in ids:
            ctx.error(f"{path}.slug", f"duplicate group slug {slug!r}")
            continue
        group_id = index + 1
        ids[slug] = group_id
        ctx.add_group(slug, group_room(group_id))
        created = ctx.time(item.get("created_at"), f"{path}.created_at", required=False)
        creator = ctx.member(item.get("created_by"), f"{path}.created_by", required=False)
        active, seen = 0, set()
        # With "memberships" (details), "members" must name exactly its active entries; without, each
        # entry of "members" is a handle (or an object) of an active member.
        listing = "memberships" if "memberships" in item else "members"
        if listing == "memberships" and "members" in item:
            named = {e if isinstance(e, str) else e.get("member") for e in item["members"]}
            active_details = {e.get("member") for e in item["memberships"] if e.get("status", "active") == "active"}
            if named != active_details:
                ctx.error(f"{path}.members", "the members listed differ from the active entries of memberships")
        for n, entry in enumerate(item.get(listing, [])):
            where = f"{path}.{listing}[{n}]"
            entry = {"member": entry} if isinstance(entry, str) else entry
            member = ctx.member(entry["member"], f"{where}.member" if "member" in entry else where)
            if member in seen:
                ctx.error(where, f"{entry['member']!r} is listed twice in this group")
            seen.add(member)
            status = entry.get("status", "active")
            active += status == "active"
            joined = ctx.time(entry.get("joined_at"), f"{where}.joined_at", required=False) or created
            memberships.append({"group_id": group_id, "member_id": member, "role": entry.get("role", "member"),
                                "status": status, "public": entry.get("public", False),
                                "invited_by_id": ctx.member(entry.get("invited_by"), f"{where}.invited_by",
                                                            required=False),
                                "joined_at": joined})
            if status == "active" and member != creator and joined is not None:
                ctx.activity(member, "collaboration.group_joined", ("collaboration.group", group_id), joined,
                             audience=group_room(group_id), data=_group_data(group_id, item["name"]))
        if created is None:  # a file without it: the earliest membership, else now
            created = min((m["joined_at"] for m in memberships if m["group_id"] == group_id and m["joined_at"]),
                          default=None) or _now()
            for m in memberships:
                if m["group_id"] == group_id and m["joined_at"] is None:
                    m["joined_at"] = created
        cap = item.get("member_cap")
        if cap is not None and active > cap:
            ctx.error(f"{path}.member_cap", f"{active} active members for a cap of {cap}")
        rows.append({"id": group_id, "slug": slug, "name": item["name"], "description": item.get("description", ""),
                     "kind": item["kind"], "join_policy": item.get("join_policy", "open"),
                     "commune": item.get("commune", ""), "postal_code": item.get("postal_code", ""),
                     "member_cap": cap, "member_count": active, "created_by_id": creator, "created_at": created,
                     "archived_at": ctx.time(item.get("archived_at"), f"{path}.archived_at", required=False)})
        ctx.activity(None, "collaboration.group_created", ("collaboration.group", group_id), created,
                     data=_group_data(group_id, item["name"]))
        for n, link in enumerate(item.get("links", [])):
            where = f"{path}.links[{n}]"
            at = ctx.time(link["at"], f"{where}.at")
            author = ctx.member(link.get("author"), f"{where}.author", required=False)
            links.append({"id": len(links) + 1, "group_id": group_id, "author_id": author, "title": link["title"],
                          "url": link["url"], "note": link.get("note", ""), "created_at": at})
            ctx.activity(author, "collaboration.link_added", ("collaboration.link", len(links)), at,
                         audience=group_room(group_id),
                         data=_group_data(group_id, item["name"], endpoint="collaboration.group_links",
                                          title=link["title"]))
        for n, post in enumerate(item.get("wall", [])):
            wall_entries.append((f"{path}.wall[{n}]", post))
            wall_groups.append((group_id, item["name"]))
    ctx.insert(CollaborationGroup, rows)
    ctx.insert(CollaborationMembership, memberships)
    ctx.insert(CollaborationLink, links)
    _import_threads(ctx, html, wall_entries, wall_groups)
    return ids


def _now() -> datetime:
    from community.timeutil import utcnow

    return utcnow()


def _import_threads(ctx: ImportContext, html: _Html, entries, groups) -> None:
    """Wall messages of every group: replies stay in their group's wall."""
    ids = ctx.ids(entries)
    parents = ctx.references(entries, ids, scope=[g for g, _name in groups])
    order = ctx.parents_first(entries, ids, parents)
    roots = ctx.roots(ids, parents, order)
    authors: dict[int, int | None] = {}
    rows = []
    for index in order:
        path, item = entries[index]
        group_id, name = groups[index]
        author = ctx.member(item["author"], f"{path}.author")
        at = ctx.time(item["at"], f"{path}.at")
        authors[ids[index]] = author
        rows.append({"id": ids[index], "group_id": group_id, "author_id": author, "body": item["body"],
                     "body_html": html(item["body"]), "reply_to_id": parents[index], "thread_id": roots[index],
                     "created_at": at,
                     "deleted_at": ctx.time(item.get("deleted_at"), f"{path}.deleted_at", required=False)})
        ctx.activity(author, "collaboration.wall_reply" if parents[index] else "collaboration.wall_post",
                     ("collaboration.wall", ids[index]), at, audience=group_room(group_id),
                     data=_group_data(group_id, name, endpoint="collaboration.wall_thread",
                                      args={"group_id": group_id, "post_id": roots[index]}))
    ctx.insert(CollaborationWallPost, rows)


def _import_debates(doc: dict, ctx: ImportContext, html: _Html, groups: dict[str, int]) -> None:
    debates = list(each(doc.get("debates", []), "$.debates"))
    debate_ids = ctx.ids([(path, item) for _i, item, path in debates])
    entries, scope = [], []
    for (_index, item, path), debate_id in zip(debates, debate_ids, strict=True):
        for n, contribution in enumerate(item.get("contributions", [])):
            entries.append((f"{path}.contributions[{n}]", contribution))
            scope.append(debate_id)
    ids = ctx.ids(entries)
    parents = ctx.references(entries, ids, scope=scope)
    order = ctx.parents_first(entries, ids, parents)
    rows = []
    for (_index, item, path), debate_id in zip(debates, debate_ids, strict=True):
        group_id = _group_of(ctx, item, path, groups)
        audience = group_room(group_id) if group_id else "members"
        author = ctx.member(item.get("author"), f"{path}.author", required=False)
        at = ctx.time(item["at"], f"{path}.at")
        opens = ctx.time(item.get("opens_at"), f"{path}.opens_at", required=False) or at
        closes = ctx.time(item.get("closes_at"), f"{path}.closes_at", required=False)
        closed = ctx.time(item.get("closed_at"), f"{path}.closed_at", required=False)
        if closes and opens and closes <= opens:
            ctx.error(f"{path}.closes_at", "a debate closes after it opens")
        counts = Counter(c.get("stance") for c in item.get("contributions", []) if not c.get("reply_to"))
        synthesis = item.get("synthesis", "")
        args = {"debate_id": debate_id}
        rows.append({"id": debate_id, "group_id": group_id, "author_id": author, "title": item["title"],
                     "question": item.get("question", ""), "question_html": html(item.get("question", "")),
                     "opens_at": opens, "closes_at": closes, "closed_at": closed, "synthesis": synthesis,
                     "synthesis_html": html(synthesis) if synthesis else "", "count_for": counts["for"],
                     "count_against": counts["against"], "count_neutral": counts["neutral"], "created_at": at})
        ctx.activity(author, "collaboration.debate_opened", ("collaboration.debate", debate_id), at,
                     audience=audience, data={"endpoint": "collaboration.debate", "args": args, "title": item["title"]})
        if closed:
            ctx.activity(author, "collaboration.debate_closed", ("collaboration.debate", debate_id), closed,
                         audience=audience,
                         data={"endpoint": "collaboration.debate", "args": args, "title": item["title"]})
    ctx.insert(CollaborationDebate, rows)
    by_debate = {debate_id: (item, group_id) for (_i, item, _p), debate_id, group_id in zip(
        debates, debate_ids, [r["group_id"] for r in rows], strict=False)}
    authors: dict[int, int | None] = {}
    contributions = []
    for index in order:
        path, item = entries[index]
        debate_id, contribution_id, parent = scope[index], ids[index], parents[index]
        debate, group_id = by_debate.get(debate_id, ({"title": ""}, None))
        author = ctx.member(item["author"], f"{path}.author")
        at = ctx.time(item["at"], f"{path}.at")
        authors[contribution_id] = author
        contributions.append({"id": contribution_id, "debate_id": debate_id, "author_id": author,
                              "stance": item["stance"], "body": item["body"], "body_html": html(item["body"]),
                              "reply_to_id": parent, "created_at": at,
                              "deleted_at": ctx.time(item.get("deleted_at"), f"{path}.deleted_at", required=False)})
        ctx.activity(author, "collaboration.contribution", ("collaboration.contribution", contribution_id), at,
                     audience=group_room(group_id) if group_id else "members",
                     data={"endpoint": "collaboration.debate",
                           "args": {"debate_id": debate_id, "_anchor": f"contribution-{contribution_id}"},
                           "title": debate["title"], "stance": None if parent else item["stance"],
                           "reply_to_author": authors.get(parent) if parent else None})
    ctx.insert(CollaborationContribution, contributions)


def _import_opinions(doc: dict, ctx: ImportContext, groups: dict[str, int]) -> None:
    questions = list(each(doc.get("opinion_maps", []), "$.opinion_maps"))
    question_ids = ctx.ids([(path, item) for _i, item, path in questions])
    statement_entries = [(f"{path}.statements[{n}]", s) for _i, item, path in questions
                         for n, s in enumerate(item.get("statements", []))]
    statement_ids = iter(ctx.ids(statement_entries))
    rows, statements, votes = [], [], []
    for (_index, item, path), question_id in zip(questions, question_ids, strict=True):
        group_id = _group_of(ctx, item, path, groups)
        audience = group_room(group_id) if group_id else "members"
        author = ctx.member(item.get("author"), f"{path}.author", required=False)
        at = ctx.time(item["at"], f"{path}.at")
        args = {"question_id": question_id}
        rows.append({"id": question_id, "group_id": group_id, "author_id": author, "title": item["title"],
                     "description": item.get("description", ""), "created_at": at,
                     "closed_at": ctx.time(item.get("closed_at"), f"{path}.closed_at", required=False)})
        ctx.activity(author, "collaboration.opinion_question", ("collaboration.opinion", question_id), at,
                     audience=audience, data={"endpoint": "collaboration.opinion", "args": args,
                                              "title": item["title"]})
        for n, statement in enumerate(item.get("statements", [])):
            where = f"{path}.statements[{n}]"
            statement_id = next(statement_ids)
            stated = ctx.time(statement["at"], f"{where}.at")
            statements.append({"id": statement_id, "question_id": question_id, "text": statement["text"],
                               "author_id": ctx.member(statement.get("author"), f"{where}.author", required=False),
                               "created_at": stated})
            # as published live: no actor, so the map does not tell who wrote what
            ctx.activity(None, "collaboration.statement", ("collaboration.statement", statement_id), stated,
                         audience=audience, data={"endpoint": "collaboration.opinion", "args": args,
                                                  "title": item["title"], "text": statement["text"]})
            voters = set()
            for k, vote in enumerate(statement.get("votes", [])):
                member = ctx.member(vote["member"], f"{where}.votes[{k}].member")
                if member in voters:
                    ctx.error(f"{where}.votes[{k}]", "a member votes once on a statement")
                voters.add(member)
                votes.append({"statement_id": statement_id, "member_id": member, "value": vote["value"],
                              "created_at": ctx.time(vote["at"], f"{where}.votes[{k}].at")})
    ctx.insert(CollaborationOpinionQuestion, rows)
    ctx.insert(CollaborationStatement, statements)
    ctx.insert(CollaborationVote, votes)


def _import_proposals(doc: dict, ctx: ImportContext, groups: dict[str, int]) -> None:
    proposals = list(each(doc.get("proposals", []), "$.proposals"))
    proposal_ids = ctx.ids([(path, item) for _i, item, path in proposals])
    amendment_entries = [(f"{path}.amendments[{n}]", a) for _i, item, path in proposals
                         for n, a in enumerate(item.get("amendments", []))]
    amendment_ids = iter(ctx.ids(amendment_entries))
    rows, versions, amendments, supports = [], [], [], []
    for (_index, item, path), proposal_id in zip(proposals, proposal_ids, strict=True):
        group_id = _group_of(ctx, item, path, groups)
        audience = group_room(group_id) if group_id else "members"
        author = ctx.member(item.get("author"), f"{path}.author", required=False)
        at = ctx.time(item["at"], f"{path}.at")
        title = item["title"]
        args = {"proposal_id": proposal_id}
        ctx.activity(author, "collaboration.proposal", ("collaboration.proposal", proposal_id), at,
                     audience=audience, data={"endpoint": "collaboration.proposal", "args": args, "title": title})
        own: dict[str, int] = {}
        for n, amendment in enumerate(item.get("amendments", [])):
            where = f"{path}.amendments[{n}]"
            amendment_id = next(amendment_ids)
            own[amendment.get("id")] = amendment_id
            amender = ctx.member(amendment.get("author"), f"{where}.author", required=False)
            decider = ctx.member(amendment.get("decided_by"), f"{where}.decided_by", required=False)
            made = ctx.time(amendment["at"], f"{where}.at")
            decided = ctx.time(amendment.get("decided_at"), f"{where}.decided_at", required=False)
            amendments.append({"id": amendment_id, "proposal_id": proposal_id, "author_id": amender,
                               "base_version": amendment["base_version"], "text": amendment["text"],
                               "rationale": amendment.get("rationale", ""), "status": amendment["status"],
                               "decided_by_id": decider, "decided_at": decided, "created_at": made})
            amendment_args = {"proposal_id": proposal_id, "amendment_id": amendment_id}
            ctx.activity(amender, "collaboration.amendment", ("collaboration.amendment", amendment_id), made,
                         audience=audience, data={"endpoint": "collaboration.amendment", "args": amendment_args,
                                                  "title": title})
            if decided is not None:
                ctx.activity(decider, "collaboration.amendment_decided", ("collaboration.amendment", amendment_id),
                             decided, audience=audience,
                             data={"endpoint": "collaboration.amendment", "args": amendment_args, "title": title,
                                   "accepted": amendment["status"] == "accepted", "version": None})
        numbers = set()
        for n, version in enumerate(item["versions"]):
            where = f"{path}.versions[{n}]"
            if version["number"] in numbers:
                ctx.error(f"{where}.number", f"duplicate version {version['number']}")
            numbers.add(version["number"])
            made_by = version.get("amendment")
            if made_by is not None and made_by not in own:
                ctx.error(f"{where}.amendment", f"dangling amendment: no amendment {made_by!r} in this proposal")
            versions.append({"proposal_id": proposal_id, "number": version["number"], "text": version["text"],
                             "author_id": ctx.member(version.get("author"), f"{where}.author", required=False),
                             "amendment_id": own.get(made_by), "created_at": ctx.time(version["at"], f"{where}.at")})
        supporters = set()
        for n, support in enumerate(item.get("supports", [])):
            where = f"{path}.supports[{n}]"
            member = ctx.member(support["member"], f"{where}.member")
            if member in supporters:
                ctx.error(where, "a member supports a proposal once")
            supporters.add(member)
            when = ctx.time(support["at"], f"{where}.at")
            supports.append({"proposal_id": proposal_id, "member_id": member, "created_at": when})
            ctx.activity(member, "collaboration.support", ("collaboration.proposal", proposal_id), when,
                         audience=audience, data={"endpoint": "collaboration.proposal", "args": args, "title": title})
        rows.append({"id": proposal_id, "group_id": group_id, "author_id": author, "title": title,
                     "status": item.get("status", "open"), "current_version": max(numbers, default=1),
                     "support_count": len(supporters), "created_at": at,
                     "closed_at": ctx.time(item.get("closed_at"), f"{path}.closed_at", required=False)})
    ctx.insert(CollaborationProposal, rows)
    ctx.insert(CollaborationAmendment, amendments)
    ctx.insert(CollaborationProposalVersion, versions)
    ctx.insert(CollaborationSupport, supports)


def _import_people(doc: dict, ctx: ImportContext) -> None:
    entries = [(path, item) for _i, item, path in each(doc.get("introductions", []), "$.introductions")]
    ids = ctx.ids(entries)
    rows = []
    data = {"endpoint": "collaboration.people_introductions"}
    for (path, item), intro_id in zip(entries, ids, strict=True):
        sender = ctx.member(item["from"], f"{path}.from")
        recipient = ctx.member(item["to"], f"{path}.to")
        if sender is not None and sender == recipient:
            ctx.error(path, "an introduction is between two different members")
        at = ctx.time(item["at"], f"{path}.at")
        decided = ctx.time(item.get("decided_at"), f"{path}.decided_at", required=False)
        if decided is None and item["status"] != "pending":
            decided = at  # a file that only dates the request: the answer is taken to be then
        rows.append({"id": intro_id, "from_id": sender, "to_id": recipient, "message": item.get("message", ""),
                     "status": item["status"], "created_at": at, "decided_at": decided})
        obj = ("collaboration.introduction", intro_id)
        ctx.activity(sender, "collaboration.introduction_requested", obj, at, audience=f"member:{recipient}", data=data)
        if item["status"] == "accepted":
            ctx.activity(recipient, "collaboration.introduction_accepted", obj, decided, audience=f"member:{sender}",
                         data=data)
            ctx.activity(sender, "collaboration.introduction_accepted", obj, decided,
                         audience=f"member:{recipient}", data=data)
        elif item["status"] == "declined":
            ctx.activity(recipient, "collaboration.introduction_declined", obj, decided,
                         audience=f"member:{sender}", data=data)
    ctx.insert(CollaborationIntroduction, rows)
    blocks, pairs = [], set()
    for _i, item, path in each(doc.get("blocks", []), "$.blocks"):
        member = ctx.member(item["member"], f"{path}.member")
        blocked = ctx.member(item["blocked"], f"{path}.blocked")
        if member is not None and member == blocked:
            ctx.error(path, "a member cannot block themselves")
        if (member, blocked) in pairs:
            ctx.error(path, "duplicate block")
        pairs.add((member, blocked))
        blocks.append({"member_id": member, "blocked_id": blocked, "created_at": ctx.time(item["at"], f"{path}.at")})
    ctx.insert(CollaborationBlock, blocks)


EXCHANGE = Exchange(sections=("groups", "debates", "opinion_maps", "proposals", "introductions", "blocks"),
                    export=export, import_=import_, order=10)
