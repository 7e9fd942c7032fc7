"""Post cards rendered once and reused by every reader (issue #3: the home feed's speed).

Rendering a card through Jinja (avatar, links, a date in the reader's language and zone, four
translated reaction buttons, three plurals, five URLs) was about 40% of the home page's CPU. A
card's HTML depends only on:

- the post row (body, dates, audience, image, the reaction, reply and relay counts) and, on a
  conversation page, the count of each reaction;
- its author's and relayer's handle, name, avatar and erasure;
- the reader's language and time zone, and whether the reader is logged in.

All of these are in the cache key, read from the rows the page loads anyway. So an edit, a
reaction, a reply, a relay, a renamed author or another language gives another key: there is no
invalidation to forget, and old entries age out of a bounded LRU (one per app, per process).
Hidden and deleted posts never reach a card: the queries that pick posts leave them out.

What belongs to the reader is never stored: the template marks its places with ``slot()``
(the CSRF token, the page to come back to, which reactions the reader gave, and the report link,
which an author does not get on their own post), and each request fills them in.
"""

from __future__ import annotations

from flask import current_app, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from community import fragments
from community.activity import ActivityRenderer
from community.fragments import FragmentCache
from community.fragments import slot as _slot

TEMPLATE = "influence/_card.html"
ITEM_TEMPLATE = "influence/_feed_item.html"
POST_VERBS = ("influence.post", "influence.reply", "influence.relay")
REPORT_START, REPORT_END = "report{", "}report"


def cache() -> FragmentCache:
    """This app's cache of cards and feed-item frames (community/fragments.py)."""
    return fragments.cache("influence_cards")


def _render(post, relay_by, show_thread_link: bool, authenticated: bool, reactions: tuple,
            counts: dict | None) -> str:
    """The card's HTML, its reader's values left as slots."""
    return current_app.jinja_env.get_template(TEMPLATE).render(
        post=post, relay_by=relay_by, show_thread_link=show_thread_link, authenticated=authenticated,
        reactions=reactions, counts=counts, slot=_slot)


def post_card(post, viewer, mine: dict | None = None, reactions=(), counts: dict | None = None, relay_by=None,
              show_thread_link: bool = True) -> Markup:
    """One post's card for ``viewer``: ``mine`` maps post ids to the kinds the viewer gave,
    ``counts`` (conversation pages) post ids to the count of each kind."""
    return Markup(CardPage(viewer, mine, reactions).card(post, relay_by, show_thread_link, counts))


def feed_item(activity, viewer, mine: dict | None = None, reactions=()) -> Markup:
    """A feed item: a post, reply or relay around its card, without a template render per item
    (about 0.2 ms each); any other activity through its kind's template (render_activity)."""
    return Markup(CardPage(viewer, mine, reactions).item(activity))


def feed_items(activities, viewer, mine: dict | None = None, reactions=()) -> Markup:
    """A page of feed items (``feed_item`` for each), what they share looked up once."""
    page = CardPage(viewer, mine, reactions)
    return Markup("".join([page.item(activity) for activity in activities]))


class CardPage:
    """Cards and feed items for one reader on one page. The reader's values (logged in or not,
    language and zone, CSRF token, the page to come back to) are the same for every card of the
    page: they are looked up once, not once per card."""

    __slots__ = ("viewer", "authenticated", "mine", "reactions", "store", "reader", "_csrf", "_next",
                 "_activities")

    def __init__(self, viewer, mine: dict | None, reactions):
        self.viewer = viewer
        self.authenticated = bool(viewer is not None and viewer.is_authenticated)
        self.mine = mine or {}
        self.reactions = tuple(reactions)
        self.store = cache()
        self.reader = fragments.reader()
        self._csrf = self._next = self._activities = None

    def item(self, activity) -> str:
        post = getattr(activity, "obj", None)
        if activity.verb not in POST_VERBS or post is None or post.deleted_at is not None:
            if self._activities is None:
                self._activities = (ActivityRenderer(self.viewer), {"mine": self.mine, "reactions": self.reactions})
            renderer, context = self._activities
            return renderer.html(activity, context)
        relay_by = activity.actor if activity.verb == "influence.relay" else None
        comment = (activity.data or {}).get("comment") if relay_by is not None else None
        key = ("item", activity.id, activity.verb, comment)
        frame = self.store.kept(key, lambda: current_app.jinja_env.get_template(ITEM_TEMPLATE).render(
            activity=activity, card=_slot("card")))
        return "".join((frame[0], self.card(post, relay_by), frame[2]))

    def card(self, post, relay_by=None, show_thread_link: bool = True, counts: dict | None = None) -> str:
        reactions = self.reactions
        post_counts = (counts or {}).get(post.id, {}) if counts is not None else None
        key = (post.id, post.thread_id, post.reply_to_id, post.audience, post.image, post.created_at,
               post.edited_at, post.reaction_count, post.reply_count, post.relay_count, post.body_html,
               fragments.person(post.author), fragments.person(relay_by), bool(show_thread_link),
               self.authenticated, reactions,
               None if post_counts is None else tuple(post_counts.get(k, 0) for k in reactions), *self.reader)
        parts = self.store.kept(key, lambda: _render(post, relay_by, show_thread_link, self.authenticated,
                                                     reactions, post_counts))
        return self._fill(parts, post, self.mine.get(post.id, ()))

    def _fill(self, parts: tuple[str, ...], post, given) -> str:
        """The card with the reader's own values in its slots (escaped as Jinja would)."""
        out = []
        skipping = False
        own_post = self.authenticated and self.viewer.id == post.author_id
        for index, part in enumerate(parts):
            if not index % 2:
                if not skipping:
                    out.append(part)
            elif part == "csrf":
                if self._csrf is None:
                    self._csrf = fragments.csrf_token()
                out.append(self._csrf)
            elif part == "next":
                if self._next is None:
                    self._next = str(escape(request.full_path))
                out.append(self._next)
            elif part.startswith("given:"):
                out.append(" reaction--given" if part[6:] in given else "")
            elif part.startswith("pressed:"):
                out.append("true" if part[8:] in given else "false")
            elif part == REPORT_START:
                skipping = own_post
            elif part == REPORT_END:
                skipping = False
            else:
                raise ValueError(f"unknown card slot {part!r}")
        return "".join(out)


COMPOSER_TEMPLATE = "influence/_composer.html"


def composer(form=None) -> Markup:
    """The posting form. Empty (``form`` None), it is the same for every member with the same
    audience choices: kept (community/fragments.py) with the CSRF token filled in per request. A
    form sent back with what was typed and its errors is rendered as it is."""
    from flask_login import current_user

    from .views import audience_choices, post_form

    template = current_app.jinja_env.get_template(COMPOSER_TEMPLATE)
    member = current_user._get_current_object()
    if form is None and request.method not in ("GET", "HEAD"):
        form = post_form(member)  # a form built during a POST reads what was sent: never kept
    if form is not None:
        return Markup(template.render(form=form, csrf=generate_csrf()))
    key = ("influence.composer", tuple(audience_choices(member)))
    parts = fragments.cached(key, lambda: template.render(form=post_form(member), csrf=_slot("csrf")), cache())
    return fragments.fill(parts, {"csrf": fragments.csrf_token()})
