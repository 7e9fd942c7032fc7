"""Posts: Markdown, mentions, hashtags, replies, editing, deletion, reactions, relays, feeds."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from community.extensions import db
from community.models import Activity, Notification
from modules.influence import service
from modules.influence.models import InfluencePost, InfluencePostTag, InfluenceReaction, InfluenceRelay


def test_render_body_links_known_mentions_and_hashtags(app, make_member):
    make_member(handle="ana")
    with app.test_request_context():
        html, tags, mentioned = service.render_body("Salut @ana et @inconnu, on parle #Climat et #2026 ? a@b.fr")
    assert '<a href="/members/ana"' in html and "@inconnu" in html and 'href="/members/inconnu"' not in html
    assert tags == ["climat"] and [m.handle for m in mentioned] == ["ana"]
    assert 'href="/influence/topics/climat"' in html and "#2026" in html


def test_script_in_a_post_is_inert(client, make_member, login):
    login(client, make_member())
    client.post("/influence/posts", data={"body": "<script>alert(1)</script> <img src=x onerror=alert(2)>",
                                          "audience": "members"})
    post = db.session.scalar(select(InfluencePost))
    assert "<script" not in post.body_html and "<img" not in post.body_html
    page = client.get(f"/influence/posts/{post.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


@pytest.mark.parametrize(("body", "message"), [("", "Write something"), ("   ", "Write something"),
                                               ("x" * 5001, "5000")])
def test_empty_or_too_long_post_is_refused_and_kept(client, make_member, login, body, message):
    login(client, make_member())
    response = client.post("/influence/posts", data={"body": body, "audience": "members"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page.replace("\u202f", "").replace(",", "").replace(" ", "") or message in page
    assert db.session.scalar(select(func.count()).select_from(InfluencePost)) == 0


def test_post_mentions_notify_and_hashtag_lists_it_on_the_topic_page(client, make_member, login):
    author, ana = make_member(handle="author"), make_member(handle="ana")
    login(client, author)
    response = client.post("/influence/posts", data={"body": "Avec @ana pour le #Climat", "audience": "members"})
    assert response.status_code == 302
    note = db.session.scalar(select(Notification).where(Notification.member_id == ana.id))
    assert note.kind == "influence.post"
    assert db.session.scalar(select(InfluencePostTag.tag)) == "climat"
    topic = client.get("/influence/topics/climat").get_data(as_text=True)
    assert "pour le" in topic
    assert client.get("/influence/topics/autre").get_data(as_text=True).count('class="post"') == 0


def test_reply_counts_on_the_thread_and_notifies_the_author(client, make_member, login, make_post, app):
    author, other = make_member(handle="author"), make_member(handle="other")
    root = make_post(author, "Question ouverte")
    login(client, other)
    response = client.post(f"/influence/posts/{root.id}/reply", data={"body": "Ma réponse"})
    assert response.status_code == 302
    db.session.refresh(root)
    assert root.reply_count == 1
    reply = db.session.scalar(select(InfluencePost).where(InfluencePost.reply_to_id == root.id))
    assert reply.thread_id == root.id and reply.audience == root.audience
    assert db.session.scalar(select(Notification).where(Notification.member_id == author.id)).kind == "influence.reply"
    page = client.get(f"/influence/posts/{root.id}").get_data(as_text=True)
    assert "Ma réponse" in page and "1 reply" in page and "2 participants" in page


def test_thread_summary_lists_most_reacted_replies(app, make_member, make_post):
    a, b, c = make_member(), make_member(), make_member()
    root = make_post(a, "Racine")
    first = make_post(b, "Première", reply_to=root)
    second = make_post(c, "Deuxième", reply_to=root)
    service.react(second, a, "like")
    service.react(second, b, "agree")
    service.react(first, c, "like")
    replies = service.thread(root, a)
    summary = service.thread_summary(root, replies)
    assert summary["replies"] == 2 and len(summary["participants"]) == 3
    assert [p.id for p in summary["top"]] == [second.id, first.id]


def test_edit_within_window_marks_edited_and_after_window_is_refused(client, make_member, login, make_post):
    author = make_member()
    post = make_post(author, "Premier jet #brouillon")
    login(client, author)
    assert client.post(f"/influence/posts/{post.id}/edit", data={"body": "Version finale #final"}).status_code == 302
    db.session.refresh(post)
    assert post.edited_at is not None and post.body == "Version finale #final"
    assert db.session.scalars(select(InfluencePostTag.tag)).all() == ["final"]
    post.created_at = post.created_at - timedelta(hours=2)
    db.session.commit()
    late = client.post(f"/influence/posts/{post.id}/edit", data={"body": "Trop tard"})
    assert late.status_code == 422 and "15 minutes" in late.get_data(as_text=True)
    db.session.refresh(post)
    assert post.body == "Version finale #final"


def test_only_the_author_edits_or_deletes(client, make_member, login, make_post):
    post = make_post(make_member(), "À moi")
    login(client, make_member())
    assert client.post(f"/influence/posts/{post.id}/edit", data={"body": "Piraté"}).status_code == 404
    assert client.post(f"/influence/posts/{post.id}/delete").status_code == 404
    db.session.refresh(post)
    assert post.body == "À moi" and post.deleted_at is None


def test_deleted_post_leaves_feeds_and_cannot_be_relayed(client, make_member, login, make_post):
    author, reader = make_member(), make_member()
    post = make_post(author, "Éphémère #temp", audience="members")
    login(client, author)
    client.post(f"/influence/posts/{post.id}/delete")
    db.session.refresh(post)
    assert post.deleted_at is not None
    assert client.get(f"/influence/posts/{post.id}").status_code == 404
    assert "Éphémère" not in client.get("/influence/all").get_data(as_text=True)
    assert "Éphémère" not in client.get("/influence/topics/temp").get_data(as_text=True)
    from community.members.service import follow

    follow(reader, author)
    other = client.application.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    from tests.conftest import PASSWORD

    other.post("/auth/login", data={"identifier": reader.handle, "password": PASSWORD})
    response = other.post(f"/influence/posts/{post.id}/relay", data={"comment": "à lire"}, follow_redirects=True)
    assert "deleted" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(InfluenceRelay)) == 0


def test_one_reaction_of_a_kind_per_member_by_the_database(client, make_member, login, make_post):
    post = make_post(make_member())
    member = make_member()
    login(client, member)
    client.post(f"/influence/posts/{post.id}/react", data={"kind": "like"})
    second = client.post(f"/influence/posts/{post.id}/react", data={"kind": "like"}, follow_redirects=True)
    assert "already gave" in second.get_data(as_text=True)
    client.post(f"/influence/posts/{post.id}/react", data={"kind": "idea"})
    db.session.refresh(post)
    assert post.reaction_count == 2
    assert db.session.scalar(select(func.count()).select_from(InfluenceReaction)) == 2
    with pytest.raises(IntegrityError):  # the primary key itself refuses a duplicate
        db.session.add(InfluenceReaction(post_id=post.id, member_id=member.id, kind="like"))
        db.session.flush()
    db.session.rollback()
    client.post(f"/influence/posts/{post.id}/react", data={"kind": "idea", "undo": "1"})
    db.session.refresh(post)
    assert post.reaction_count == 1
    assert client.post(f"/influence/posts/{post.id}/react", data={"kind": "angry"}).status_code == 400


def test_relay_once_with_comment_reaches_followers_feed(client, make_member, login, make_post, app):
    from community.members.service import follow
    from tests.conftest import PASSWORD

    author, relayer, fan = make_member(handle="author"), make_member(handle="relayer"), make_member(handle="fan")
    follow(fan, relayer)
    post = make_post(author, "À diffuser largement")
    login(client, relayer)
    client.post(f"/influence/posts/{post.id}/relay", data={"comment": "Important"})
    again = client.post(f"/influence/posts/{post.id}/relay", data={"comment": "Encore"}, follow_redirects=True)
    assert "already relayed" in again.get_data(as_text=True)
    db.session.refresh(post)
    assert post.relay_count == 1
    fan_client = app.test_client()
    fan_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    fan_client.post("/auth/login", data={"identifier": "fan", "password": PASSWORD})
    feed = fan_client.get("/influence/").get_data(as_text=True)
    assert "À diffuser largement" in feed and "Important" in feed and "relayed by" in feed


def test_home_feed_has_followed_and_own_posts_only(app, make_member, make_post):
    from community.members.service import follow

    me, friend, stranger = make_member(), make_member(), make_member()
    follow(me, friend)
    make_post(friend, "De mon amie")
    make_post(stranger, "D'un inconnu")
    make_post(me, "De moi")
    with app.test_request_context():
        bodies = [a.obj.body for a in service.home_feed(me) if a.obj is not None]
    assert bodies == ["De moi", "De mon amie"]


def test_feed_keyset_pagination_and_constant_queries(app, client, make_member, login, make_post):
    """The feed costs the same number of SQL queries whatever the page length (no N+1)."""
    from community.database import QueryCounter
    from community.members.service import follow

    me = make_member()
    friends = [make_member() for _ in range(3)]
    for friend in friends:
        follow(me, friend)
    for i in range(45):
        make_post(friends[i % 3], f"Message numéro {i}")
    login(client, me)
    page = client.get("/influence/").get_data(as_text=True)
    assert "Message numéro 44" in page and "Message numéro 25" in page and "Message numéro 24" not in page
    older = page.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    assert "before=" in older
    second = client.get(older).get_data(as_text=True)
    assert "Message numéro 24" in second and "Message numéro 44" not in second

    def count(path):
        with QueryCounter(db.engine) as counter:
            assert client.get(path).status_code == 200
        return counter.count

    full = count("/influence/")
    for i in range(40):
        make_post(friends[i % 3], f"Encore {i}")
    assert count("/influence/") == full <= 8


def test_members_only_and_group_posts_are_not_public(client, make_member, make_post):
    author = make_member()
    secret = make_post(author, "Interne", audience="members")
    public = make_post(author, "Pour tous", audience="public")
    assert client.get(f"/influence/posts/{secret.id}").status_code == 404
    assert client.get(f"/influence/posts/{public.id}").status_code == 200
    assert "Interne" not in client.get("/influence/all").get_data(as_text=True)


def test_hidden_post_leaves_the_feed(client, make_member, login, make_post):
    from community.moderation.service import set_hidden

    author, moderator = make_member(), make_member(role="moderator")
    post = make_post(author, "Contenu signalé")
    set_hidden("influence.post", post.id, True, moderator, "règle 1")
    login(client, author)
    assert "Contenu signalé" not in client.get("/influence/").get_data(as_text=True)
    assert client.get(f"/influence/posts/{post.id}").status_code == 404
    assert db.session.scalar(select(func.count()).where(Activity.verb == "core.hidden")) == 1


def test_post_with_an_image_checks_the_content_and_serves_it_to_who_may_see(client, make_member, login):
    import io

    from PIL import Image

    login(client, make_member())
    data = io.BytesIO()
    Image.new("RGB", (800, 500), (10, 120, 40)).save(data, "PNG")
    data.seek(0)
    response = client.post("/influence/posts", data={"body": "Affiche", "audience": "members",
                                                     "image": (data, "affiche.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    post = db.session.scalar(select(InfluencePost))
    assert post.image.endswith(".webp")
    served = client.get(f"/influence/media/{post.image}")
    served.close()
    assert served.status_code == 200 and "attachment" in served.headers["Content-Disposition"]
    assert client.application.test_client().get(f"/influence/media/{post.image}").status_code == 404
    bad = client.post("/influence/posts", data={"body": "Pas une image", "audience": "members",
                                                "image": (io.BytesIO(b"GIF89a-not-really"), "x.gif")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "not an image" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(InfluencePost)) == 1


def test_group_posts_are_seen_by_the_group_only(app, client, make_member, login, make_post):
    """Groups come from another module through the contract (audiences, post_audiences)."""
    from community.registry import registry

    insider, outsider = make_member(handle="insider"), make_member(handle="outsider")
    module = registry.get("collaboration")
    saved = module.audiences, module.post_audiences
    room = "collaboration:group:1"
    module.audiences = lambda member: [room] if member.handle == "insider" else []
    module.post_audiences = lambda member: [(room, "Groupe climat")] if member.handle == "insider" else []
    try:
        login(client, insider)
        assert "Groupe climat" in client.get("/influence/").get_data(as_text=True)
        client.post("/influence/posts", data={"body": "Entre nous", "audience": room})
        post = db.session.scalar(select(InfluencePost))
        assert post.audience == room
        assert "Entre nous" in client.get("/influence/").get_data(as_text=True)
        refused = client.post("/influence/posts", data={"body": "Ailleurs", "audience": "collaboration:group:2"})
        assert refused.status_code == 422
        other = app.test_client()
        other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        login(other, outsider)
        assert other.get(f"/influence/posts/{post.id}").status_code == 404
        assert "Entre nous" not in other.get("/influence/all").get_data(as_text=True)
        registry.set_enabled("collaboration", False)
        assert client.get(f"/influence/posts/{post.id}").status_code == 404  # the group is gone with its module
    finally:
        registry.set_enabled("collaboration", True)
        module.audiences, module.post_audiences = saved


def test_the_members_export_includes_their_posts(client, make_member, login, make_post):
    import json

    member = make_member()
    make_post(member, "Mon texte à moi")
    login(client, member)
    data = json.loads(client.get("/profile/export.json").data)
    assert [p["body"] for p in data["modules"]["influence"]["posts"]] == ["Mon texte à moi"]


def test_report_page_does_not_leak_a_group_post(client, make_member, login, make_post):
    author = make_member()
    post = make_post(author, "Réservé au groupe", audience="collaboration:group:99")
    login(client, make_member())
    assert client.get(f"/moderation/report?type=influence.post&id={post.id}").status_code == 404
