"""Atom 1.0 (RFC 4287) documents of public posts, built with the standard library.

Entry ids are tag: URIs (RFC 4151) made of the site's host, the post's creation date and its
number, so they never change when a post is edited or the site moves to https. Links are
absolute, from TERREAU_BASE_URL; contents are the posts' stored, sanitised HTML.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from flask import current_app, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from community.timeutil import utcnow

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
ENTRIES = 30
CONTENT_TYPE = "application/atom+xml"


def rfc3339(value: datetime) -> str:
    """A naive UTC datetime as an Atom date ("2026-05-01T12:00:00Z")."""
    return value.replace(microsecond=0).isoformat() + "Z"


def base_url() -> str:
    return current_app.config["TERREAU_BASE_URL"].rstrip("/")


def absolute(endpoint: str, **values) -> str:
    """An absolute URL from TERREAU_BASE_URL (not from the request's Host header)."""
    return base_url() + url_for(endpoint, **values)


def tag_uri(post) -> str:
    host = urlsplit(base_url()).hostname or "localhost"
    return f"tag:{host},{post.created_at:%Y-%m-%d}:influence/post/{post.id}"


def entry_title(post, length: int = 80) -> str:
    text = " ".join(Markup(post.body_html).striptags().split())
    if not text:
        return _("Post by %(name)s", name=author_name(post))
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def author_name(post) -> str:
    author = post.author
    return author.display_name if author is not None and author.erased_at is None else _("a former member")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = text
    return element


def build_feed(*, title: str, self_url: str, alternate_url: str, posts, subtitle: str | None = None) -> bytes:
    """The feed document (UTF-8 bytes) for ``posts``, newest first."""
    feed = ET.Element("feed", {"xmlns": ATOM_NS, XML_BASE: base_url() + "/"})
    _sub(feed, "id", self_url)
    _sub(feed, "title", title)
    if subtitle:
        _sub(feed, "subtitle", subtitle)
    updated = max((post.edited_at or post.created_at for post in posts), default=None) or utcnow()
    _sub(feed, "updated", rfc3339(updated))
    _sub(feed, "link", rel="self", type=CONTENT_TYPE, href=self_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=alternate_url)
    _sub(feed, "generator", "Terreau")
    for post in posts:
        entry = _sub(feed, "entry")
        _sub(entry, "id", tag_uri(post))
        _sub(entry, "title", entry_title(post))
        _sub(entry, "updated", rfc3339(post.edited_at or post.created_at))
        _sub(entry, "published", rfc3339(post.created_at))
        author = _sub(entry, "author")
        _sub(author, "name", author_name(post))
        _sub(entry, "link", rel="alternate", type="text/html",
             href=absolute("influence.post", post_id=post.thread_id or post.id, _anchor=f"post-{post.id}"))
        _sub(entry, "content", post.body_html, type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
