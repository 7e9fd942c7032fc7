"""Influence's sections of the community file: ``posts`` (with replies, reactions and relays) and
``announcements``. A group post names its group by slug; the collaboration module, which owns
groups, registers the slug ↔ audience pairs in the exchange context before this runs."""

from __future__ import annotations

from flask import current_app

from community.exchange.api import Exchange, ExportContext, ImportContext, each, iso, table_rows

from .models import (
    InfluenceAnnouncement,
    InfluenceMention,
    InfluencePost,
    InfluencePostTag,
    InfluenceReaction,
    InfluenceRelay,
)


def export(ctx: ExportContext) -> dict:
    reactions: dict[int, list[dict]] = {}
    for r in table_rows(InfluenceReaction, InfluenceReaction.post_id, InfluenceReaction.member_id,
                        InfluenceReaction.kind):
        reactions.setdefault(r.post_id, []).append({"member": ctx.handle(r.member_id), "kind": r.kind,
                                                    "at": iso(r.created_at)})
    relays: dict[int, list[dict]] = {}
    for r in table_rows(InfluenceRelay, InfluenceRelay.id):
        relays.setdefault(r.post_id, []).append({"member": ctx.handle(r.member_id), "comment": r.comment,
                                                 "at": iso(r.created_at)})
    posts = []
    for p in table_rows(InfluencePost, InfluencePost.id):
        group, visibility = ctx.group_and_visibility(p.audience)
        posts.append({"id": str(p.id), "author": ctx.handle(p.author_id), "body": p.body, "at": iso(p.created_at),
                      "reply_to": str(p.reply_to_id) if p.reply_to_id else None, "group": group,
                      "visibility": visibility, "edited_at": iso(p.edited_at), "deleted_at": iso(p.deleted_at),
                      "reactions": reactions.get(p.id, []), "relays": relays.get(p.id, [])})
    announcements = []
    for a in table_rows(InfluenceAnnouncement, InfluenceAnnouncement.id):
        announcements.append({"id": str(a.id), "author": ctx.handle(a.author_id), "title": a.title, "body": a.body,
                              "at": iso(a.created_at), "scope": a.scope, "area": a.area,
                              "group": ctx.group_slug(a.audience), "send_email": a.send_email,
                              "expires_at": iso(a.expires_at)})
    return {"posts": posts, "announcements": announcements}


class _Renderer:
    """Post bodies to HTML as ``service.render_body`` does, with mentions resolved against the file's
    members (nothing is in the database yet); identical bodies are rendered once.

    Fast path: Markdown's link parsing is most of the cost of a body with mentions and hashtags, so
    a body without Markdown punctuation that could interact with a link (emphasis, code, brackets,
    HTML, escapes, indented code) is rendered with placeholders, then each placeholder is replaced
    by its link, rendered once per handle or hashtag by the full path. Both paths give the same HTML
    (tests/community/test_exchange.py checks it on varied bodies)."""

    UNSAFE = frozenset("`[]<>\\*_~")
    OPEN, CLOSE = "\ue000", "\ue001"  # private-use characters: Markdown and nh3 leave them alone

    def __init__(self, member_ids: dict[str, int]):
        from .service import HASHTAG_RE, MENTION_RE

        self.member_ids = member_ids
        self.mention_re, self.hashtag_re = MENTION_RE, HASHTAG_RE
        self.cache: dict[str, tuple[str, list[str], list[int]]] = {}
        self.anchors: dict[str, str] = {}
        self.urls: dict[tuple[str, str], str] = {}

    def url(self, endpoint: str, **args) -> str:
        from flask import url_for

        key = (endpoint, *args.values())
        if key not in self.urls:
            self.urls[key] = url_for(endpoint, **args)
        return self.urls[key]

    def __call__(self, text: str) -> tuple[str, list[str], list[int]]:
        if text not in self.cache:
            fast = not (self.UNSAFE.intersection(text) or "\t" in text or "\n    " in text or text.startswith("    ")
                        or self.OPEN in text or self.CLOSE in text)
            self.cache[text] = self._render(text, fast)
        return self.cache[text]

    def _anchor(self, markdown_link: str) -> str:
        """The HTML of one link, as the full path renders it inside a paragraph."""
        if markdown_link not in self.anchors:
            from community.markdown import render_markdown

            html = str(render_markdown(markdown_link))
            self.anchors[markdown_link] = html.removeprefix("<p>").removesuffix("</p>\n")
        return self.anchors[markdown_link]

    def _render(self, text: str, fast: bool):
        from community.markdown import render_markdown

        tags: list[str] = []
        mentioned: list[int] = []
        links: list[str] = []

        def link(markdown_link: str) -> str:
            if not fast:
                return markdown_link
            links.append(self._anchor(markdown_link))
            return f"{self.OPEN}{len(links) - 1}{self.CLOSE}"

        def mention(match):
            handle = match.group(1).lower()
            member_id = self.member_ids.get(handle)
            if member_id is None:
                return match.group(0)
            if member_id not in mentioned:
                mentioned.append(member_id)
            return link(f"[@{handle}]({self.url('members.profile', handle=handle)})")

        def hashtag(match):
            tag = match.group(1).lower()
            if tag.isdigit():
                return match.group(0)
            if tag not in tags:
                tags.append(tag)
            return link(f"[#{match.group(1)}]({self.url('influence.topic', tag=tag)})")

        linked = self.hashtag_re.sub(hashtag, self.mention_re.sub(mention, text))
        html = str(render_markdown(linked))
        for index, anchor in enumerate(links):
            html = html.replace(f"{self.OPEN}{index}{self.CLOSE}", anchor, 1)
        return html, tags, mentioned


def import_(doc: dict, ctx: ImportContext) -> None:
    entries = [(path, item) for _i, item, path in each(doc.get("posts", []), "$.posts")]
    ids = ctx.ids(entries)
    parents = ctx.references(entries, ids)
    order = ctx.parents_first(entries, ids, parents)
    roots = ctx.roots(ids, parents, order)
    render = _Renderer(ctx.member_ids)
    rows: dict[int, dict] = {}
    tags, mentions, reactions, relays = [], [], [], []
    with current_app.test_request_context(base_url=current_app.config["TERREAU_BASE_URL"]):
        for index in order:
            path, item = entries[index]
            post_id, parent, thread = ids[index], parents[index], roots[index]
            author = ctx.member(item["author"], f"{path}.author")
            at = ctx.time(item["at"], f"{path}.at")
            deleted = ctx.time(item.get("deleted_at"), f"{path}.deleted_at", required=False)
            audience = ctx.item_audience(item, path)
            html, post_tags, mentioned = render(item["body"])
            rows[post_id] = row = {
                "id": post_id, "author_id": author, "body": item["body"], "body_html": html, "image": None,
                "audience": audience, "reply_to_id": parent, "thread_id": thread, "created_at": at,
                "edited_at": ctx.time(item.get("edited_at"), f"{path}.edited_at", required=False),
                "deleted_at": deleted, "last_activity_at": at, "reply_count": 0, "reaction_count": 0,
                "relay_count": 0}
            if parent is not None and deleted is None:
                root = rows.get(thread)
                if root is not None:
                    root["reply_count"] += 1
                    if at and root["last_activity_at"] and at > root["last_activity_at"]:
                        root["last_activity_at"] = at
            if deleted is None:
                tags += [{"post_id": post_id, "tag": tag, "created_at": at} for tag in post_tags]
            mentions += [{"post_id": post_id, "member_id": m} for m in mentioned]
            seen = set()
            for n, reaction in enumerate(item.get("reactions", [])):
                where = f"{path}.reactions[{n}]"
                member = ctx.member(reaction["member"], f"{where}.member")
                if (member, reaction["kind"]) in seen:
                    ctx.error(where, "duplicate reaction")
                seen.add((member, reaction["kind"]))
                reactions.append({"post_id": post_id, "member_id": member, "kind": reaction["kind"],
                                  "created_at": ctx.time(reaction["at"], f"{where}.at")})
                row["reaction_count"] += 1
            relayed = set()
            for n, relay in enumerate(item.get("relays", [])):
                where = f"{path}.relays[{n}]"
                member = ctx.member(relay["member"], f"{where}.member")
                if member in relayed:
                    ctx.error(where, "duplicate relay")
                relayed.add(member)
                relay_at = ctx.time(relay["at"], f"{where}.at")
                relays.append({"post_id": post_id, "member_id": member, "comment": relay.get("comment", ""),
                               "created_at": relay_at})
                row["relay_count"] += 1
                ctx.activity(member, "influence.relay", ("influence.post", post_id), relay_at, audience=audience,
                             data={"endpoint": "influence.post", "args": {"post_id": post_id},
                                   "comment": relay.get("comment", "")})
            parent_author = rows[parent]["author_id"] if parent is not None and parent in rows else None
            ctx.activity(author, "influence.reply" if parent is not None else "influence.post",
                         ("influence.post", post_id), at, audience=audience,
                         data={"endpoint": "influence.post", "args": {"post_id": post_id},
                               "mentions": sorted(mentioned), "reply_to_author": parent_author,
                               "thread_id": thread, "tags": post_tags})
    ctx.insert(InfluencePost, [rows[ids[index]] for index in order])
    ctx.insert(InfluencePostTag, tags)
    ctx.insert(InfluenceMention, mentions)
    ctx.insert(InfluenceReaction, reactions)
    ctx.insert(InfluenceRelay, relays)
    _import_announcements(doc, ctx)


def _import_announcements(doc: dict, ctx: ImportContext) -> None:
    from community.markdown import render_markdown

    entries = [(path, item) for _i, item, path in each(doc.get("announcements", []), "$.announcements")]
    ids = ctx.ids(entries)
    rows = []
    for (path, item), announcement_id in zip(entries, ids, strict=True):
        author = ctx.member(item.get("author"), f"{path}.author", required=False)
        scope = item.get("scope", "all")
        audience = ctx.group_audience(item["group"], f"{path}.group") if item.get("group") else None
        if scope == "group" and audience is None and not item.get("group"):
            ctx.error(f"{path}.group", "a group announcement names its group")
        at = ctx.time(item["at"], f"{path}.at")
        rows.append({"id": announcement_id, "author_id": author, "title": item["title"], "body": item["body"],
                     "body_html": str(render_markdown(item["body"])), "scope": scope, "area": item.get("area", ""),
                     "audience": audience, "send_email": item.get("send_email", False), "created_at": at,
                     "expires_at": ctx.time(item.get("expires_at"), f"{path}.expires_at", required=False)})
        activity_audience = audience if scope == "group" else f"member:{author}" if scope == "area" else "members"
        ctx.activity(author, "influence.announcement", ("influence.announcement", announcement_id), at,
                     audience=activity_audience or "members",
                     data={"endpoint": "influence.announcement", "args": {"announcement_id": announcement_id},
                           "title": item["title"], "scope": scope})
    ctx.insert(InfluenceAnnouncement, rows)


def _after_import() -> None:
    from .points import rebuild_points

    rebuild_points()  # points and badges come from the activities the import stored


EXCHANGE = Exchange(sections=("posts", "announcements"), export=export, import_=import_, order=50,
                    after_import=_after_import)
