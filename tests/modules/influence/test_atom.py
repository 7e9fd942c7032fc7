"""Atom feeds of public posts (movement-wide, per member, per topic): valid Atom 1.0 that a feed
reader accepts, absolute links from TERREAU_BASE_URL, and nothing that is not public."""

import re
from xml.etree import ElementTree as ET

import pytest

from community.registry import registry
from modules.influence import service

NS = {"a": "http://www.w3.org/2005/Atom"}
BASE = "https://terreau.example.org"


@pytest.fixture
def config_overrides():
    return {"TERREAU_BASE_URL": BASE + "/"}


def _feed(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.content_type == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.data)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    return root


def _check_valid(root, self_path: str, alternate_path: str) -> list:
    """The elements RFC 4287 requires (and those a reader needs), with absolute URLs."""
    assert root.findtext("a:id", namespaces=NS)
    assert root.findtext("a:title", namespaces=NS)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", root.findtext("a:updated", namespaces=NS))
    links = {link.get("rel"): link for link in root.findall("a:link", NS)}
    assert links["self"].get("href") == BASE + self_path and links["self"].get("type") == "application/atom+xml"
    assert links["alternate"].get("href") == BASE + alternate_path
    entries = root.findall("a:entry", NS)
    for entry in entries:
        assert re.fullmatch(r"tag:terreau\.example\.org,\d{4}-\d\d-\d\d:influence/post/\d+",
                            entry.findtext("a:id", namespaces=NS))
        assert entry.findtext("a:title", namespaces=NS)
        for name in ("updated", "published"):
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry.findtext(f"a:{name}", namespaces=NS))
        assert entry.findtext("a:author/a:name", namespaces=NS)
        link = entry.find("a:link", NS)
        assert link.get("rel") == "alternate" and link.get("href").startswith(BASE + "/influence/posts/")
        content = entry.find("a:content", NS)
        assert content.get("type") == "html" and content.text
    return entries


def _texts(entries) -> str:
    return " ".join(e.find("a:content", NS).text for e in entries)


@pytest.fixture
def posts(app, make_member, make_post):
    """Public, members-only, hidden, deleted and group posts by one author, on #climat."""
    from community.moderation.service import set_hidden

    ana, moderator = make_member(handle="ana", display_name="Ana Lopez"), make_member(role="moderator")
    made = {
        "public": make_post(ana, "Manif **samedi** #climat <script>alert(1)</script>", audience="public"),
        "members": make_post(ana, "Réunion interne #climat", audience="members"),
        "hidden": make_post(ana, "Propos masqué #climat", audience="public"),
        "deleted": make_post(ana, "Propos retiré #climat", audience="public"),
        "group": make_post(ana, "Entre nous #climat", audience="collaboration:group:3"),
        "other": make_post(make_member(handle="bob"), "Autre sujet #vélo", audience="public"),
    }
    set_hidden("influence.post", made["hidden"].id, True, moderator, "règle 1")
    service.delete_post(made["deleted"], ana)
    made["reply"] = make_post(make_member(handle="carla"), "Je viens !", reply_to=made["public"])
    return made


def test_movement_feed_is_valid_and_public_only(client, posts):
    root = _feed(client, "/influence/atom.xml")
    entries = _check_valid(root, "/influence/atom.xml", "/influence/all")
    texts = _texts(entries)
    assert "Manif" in texts and "Autre sujet" in texts
    for secret in ("Réunion interne", "Propos masqué", "Propos retiré", "Entre nous"):
        assert secret not in texts
    manif = next(e for e in entries if "Manif" in e.find("a:content", NS).text)
    content = manif.find("a:content", NS).text
    assert "<strong>samedi</strong>" in content and "<script" not in content  # sanitised HTML, escaped in XML
    assert manif.findtext("a:author/a:name", namespaces=NS) == "Ana Lopez"
    assert manif.findtext("a:id", namespaces=NS).endswith(f":influence/post/{posts['public'].id}")
    assert b"<strong>" not in client.get("/influence/atom.xml").data  # the HTML is text, not XML elements


def test_member_and_topic_feeds(client, posts):
    member = _feed(client, "/influence/members/ana/atom.xml")
    entries = _check_valid(member, "/influence/members/ana/atom.xml", "/influence/members/ana")
    assert [e.findtext("a:id", namespaces=NS).rsplit("/", 1)[1] for e in entries] == [str(posts["public"].id)]
    topic = _feed(client, "/influence/topics/Climat/atom.xml")
    entries = _check_valid(topic, "/influence/topics/climat/atom.xml", "/influence/topics/climat")
    texts = _texts(entries)
    assert "Manif" in texts and "Réunion interne" not in texts and "Autre sujet" not in texts
    assert "#climat" in topic.findtext("a:title", namespaces=NS)
    carla = _feed(client, "/influence/members/carla/atom.xml")
    [reply] = _check_valid(carla, "/influence/members/carla/atom.xml", "/influence/members/carla")
    # A public reply links into its conversation.
    assert reply.find("a:link", NS).get("href") == (
        f"{BASE}/influence/posts/{posts['public'].id}#post-{posts['reply'].id}")


def test_empty_and_unknown_feeds(client, make_member):
    empty = _feed(client, "/influence/topics/rien/atom.xml")
    assert _check_valid(empty, "/influence/topics/rien/atom.xml", "/influence/topics/rien") == []
    assert client.get("/influence/members/personne/atom.xml").status_code == 404


def test_entry_ids_are_stable_when_a_post_is_edited(client, make_member, login, posts):
    from community.extensions import db
    from modules.influence.models import InfluencePost

    before = _feed(client, "/influence/members/ana/atom.xml").find("a:entry", NS)
    post = db.session.get(InfluencePost, posts["public"].id)
    with client.application.test_request_context():
        service.edit_post(post, post.author, "Manif **dimanche**", 60)
    after = _feed(client, "/influence/members/ana/atom.xml").find("a:entry", NS)
    assert after.findtext("a:id", namespaces=NS) == before.findtext("a:id", namespaces=NS)
    assert "dimanche" in after.find("a:content", NS).text
    assert after.findtext("a:published", namespaces=NS) == before.findtext("a:published", namespaces=NS)


def test_conditional_get_and_page_links(client, posts):
    first = client.get("/influence/atom.xml")
    again = client.get("/influence/atom.xml", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    for path, feed in (("/influence/all", "/influence/atom.xml"),
                       ("/influence/members/ana", "/influence/members/ana/atom.xml"),
                       ("/influence/topics/climat", "/influence/topics/climat/atom.xml")):
        page = client.get(path).get_data(as_text=True)
        assert '<link rel="alternate" type="application/atom+xml"' in page and f'href="{feed}"' in page


def test_feeds_disappear_with_the_module(client, make_member, posts):
    admin = make_member(role="admin")
    registry.set_enabled("influence", False, admin)
    assert client.get("/influence/atom.xml").status_code == 404
    registry.set_enabled("influence", True, admin)
    assert client.get("/influence/atom.xml").status_code == 200
