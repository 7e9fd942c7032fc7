"""Highlights ("À la une"): moderators and organisers pin a post or a conversation for a period;
it shows on top of the home feed (from a cache) and on /influence/highlights until it ends."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from community.database import QueryCounter
from community.extensions import db
from community.timeutil import utcnow
from modules.influence import highlights, ranking
from modules.influence.models import InfluenceHighlight

FAR = "2099-01-01T10:00"


@pytest.fixture(autouse=True)
def _fresh_caches():
    ranking.clear_cache()
    yield
    ranking.clear_cache()


@pytest.fixture
def visit(app, login):
    """visit(member) -> a new client logged in as member (one browser per member)."""

    def open_as(member):
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        return login(client, member)

    return open_as


def _pin(client, target, **data):
    form = {"post": f"http://localhost/influence/posts/{target.id}", "ends_at": FAR, "note": "À lire"}
    form.update(data)
    return client.post("/influence/highlights/new", data=form)


def _count():
    return db.session.scalar(select(func.count()).select_from(InfluenceHighlight))


def _pinned(client, path="/influence/"):
    page = client.get(path).get_data(as_text=True)
    return page.split('id="pinned-title"', 1)[1].split("</section>", 1)[0] if 'id="pinned-title"' in page else ""


def test_members_cannot_highlight(client, make_member, login, make_post):
    post = make_post(make_member(), "Un beau texte")
    assert client.get("/influence/highlights/new").status_code == 302  # to the login page
    login(client, make_member())
    assert client.get("/influence/highlights/new").status_code == 403
    assert _pin(client, post).status_code == 403
    assert _count() == 0


@pytest.mark.parametrize("role", ["organiser", "moderator"])
def test_staff_pin_a_post_shown_on_the_feed_and_the_page_then_unpin(client, make_member, login, make_post, visit,
                                                                       role):
    author, reader = make_member(handle="author"), make_member(handle="reader")
    post = make_post(author, "Une **analyse** remarquable du budget")
    login(client, make_member(role=role))
    form = client.get(f"/influence/highlights/new?post={post.id}").get_data(as_text=True)
    assert f'value="{post.id}"' in form
    response = _pin(client, post)
    assert response.status_code == 302 and response.headers["Location"].endswith("/influence/highlights")
    reader_client = visit(reader)
    for path in ("/influence/", "/"):
        block = _pinned(reader_client, path)
        assert "analyse remarquable du budget" in block and "À lire" in block and "Author" in block
    assert "analyse remarquable" in reader_client.get("/influence/highlights").get_data(as_text=True)
    highlight = db.session.scalar(select(InfluenceHighlight))
    assert highlight.post_id == post.id and highlight.ends_at > highlight.starts_at
    assert client.post(f"/influence/highlights/{highlight.id}/unpin").status_code == 302
    assert "analyse remarquable" not in _pinned(reader_client)
    assert "analyse remarquable" not in reader_client.get("/influence/highlights").get_data(as_text=True)
    assert reader_client.post(f"/influence/highlights/{highlight.id}/unpin").status_code == 403


def test_a_conversation_link_pins_the_focused_reply(client, make_member, login, make_post, visit):
    root = make_post(make_member(), "Question de départ")
    reply = make_post(make_member(), "Une réponse éclairante", reply_to=root)
    login(client, make_member(role="organiser"))
    assert _pin(client, root, post=f"/influence/posts/{root.id}#post-{reply.id}").status_code == 302
    assert db.session.scalar(select(InfluenceHighlight.post_id)) == reply.id
    block = _pinned(visit(make_member()))
    assert "Une réponse éclairante" in block and f"/influence/posts/{root.id}#post-{reply.id}" in block
    assert "Read the conversation" in block


@pytest.mark.parametrize(("data", "message"), [
    ({"starts_at": "2099-02-01T10:00", "ends_at": "2099-01-01T10:00"}, "The end must come after the start"),
    ({"starts_at": "2099-01-01T10:00", "ends_at": "2099-01-01T10:00"}, "The end must come after the start"),
    ({"ends_at": "2001-01-01T10:00"}, "already over"),
    ({"ends_at": ""}, "Give the end of the period"),
    ({"post": "n'importe quoi"}, "Give the link or the number of a post"),
    ({"post": "424242"}, "There is no post number 424242"),
    ({"note": "x" * 201}, "at most 200 characters"),
    ({"ends_at": "demain"}, "Not a valid datetime"),
])
def test_bad_period_or_post_is_refused_with_a_message_and_kept(client, make_member, login, make_post, data,
                                                               message):
    post = make_post(make_member(), "Texte")
    login(client, make_member(role="organiser"))
    response = _pin(client, post, **{"note": "Ma note gardée", **data})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert "Ma note gardée" in page or "x" * 201 in page
    assert _count() == 0


def test_the_schema_refuses_an_empty_period(app, make_member, make_post):
    post = make_post(make_member(), "Texte")
    now = utcnow()
    db.session.add(InfluenceHighlight(post_id=post.id, starts_at=now, ends_at=now))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_period_decides_what_shows(client, make_member, login, make_post, visit):
    staff = make_member(role="moderator")
    soon = make_post(make_member(), "Bientôt à la une")
    over = make_post(make_member(), "Déjà passé")
    now = utcnow()
    db.session.add_all([
        InfluenceHighlight(post_id=soon.id, by_id=staff.id, starts_at=now + timedelta(days=2),
                           ends_at=now + timedelta(days=4)),
        InfluenceHighlight(post_id=over.id, by_id=staff.id, starts_at=now - timedelta(days=4),
                           ends_at=now - timedelta(days=2)),
    ])
    db.session.commit()
    reader = visit(make_member())
    assert _pinned(reader) == ""
    page = reader.get("/influence/highlights").get_data(as_text=True)
    assert "Bientôt" not in page and "Déjà passé" not in page and "Nothing is highlighted" in page
    # Staff also see the upcoming one and the one that ended lately, and may unpin the upcoming one.
    login(client, staff)
    staff_page = client.get("/influence/highlights").get_data(as_text=True)
    assert "Bientôt à la une" in staff_page and "Déjà passé" in staff_page and "Ended" in staff_page
    upcoming = db.session.scalar(select(InfluenceHighlight.id).where(InfluenceHighlight.post_id == soon.id))
    assert client.post(f"/influence/highlights/{upcoming}/unpin").status_code == 302
    assert db.session.get(InfluenceHighlight, upcoming) is None  # its period would have been empty
    items = highlights.for_page(["public", "members"], staff=False)
    assert items == []


def test_highlights_respect_who_may_see_the_post(client, make_member, login, make_post, visit):
    author = make_member()
    members_only = make_post(author, "Réservé aux membres", audience="members")
    public = make_post(author, "Ouvert à tous", audience="public")
    login(client, make_member(role="organiser"))
    _pin(client, members_only)
    _pin(client, public)
    anonymous = client.application.test_client()
    page = anonymous.get("/influence/highlights").get_data(as_text=True)
    assert "Ouvert à tous" in page and "Réservé aux membres" not in page
    block = _pinned(visit(make_member()))
    assert "Ouvert à tous" in block and "Réservé aux membres" in block


def test_deleted_or_hidden_posts_leave_the_highlights(client, make_member, login, make_post, visit):
    from community.moderation.service import set_hidden
    from modules.influence import service

    author, moderator = make_member(), make_member(role="moderator")
    gone = make_post(author, "Bientôt supprimé")
    hidden = make_post(author, "Bientôt masqué")
    login(client, moderator)
    _pin(client, gone)
    _pin(client, hidden)
    reader = visit(make_member())
    assert "Bientôt supprimé" in _pinned(reader) and "Bientôt masqué" in _pinned(reader)
    set_hidden("influence.post", hidden.id, True, moderator, "règle 1")  # its receiver clears the cache
    service.delete_post(gone, author)
    ranking.clear_cache()  # deletion is seen at the cache's next refresh (TTL); skip the wait
    assert "Bientôt masqué" not in _pinned(reader) and "Bientôt supprimé" not in _pinned(reader)


def test_current_highlights_come_from_the_cache(client, make_member, login, make_post, visit):
    login(client, make_member(role="organiser"))
    _pin(client, make_post(make_member(), "Mis en avant"))
    audiences = ["public", "members"]
    with QueryCounter(db.engine) as first:
        assert [h.excerpt for h in highlights.current(audiences)] == ["Mis en avant"]
    with QueryCounter(db.engine) as second:
        assert [h.excerpt for h in highlights.current(audiences)] == ["Mis en avant"]
    assert first.count == 1 and second.count == 0
    reader = visit(make_member())
    reader.get("/influence/")

    def count():
        with QueryCounter(db.engine) as counter:
            assert "Mis en avant" in _pinned(reader)
        return counter.count

    warm = count()
    _pin(client, make_post(make_member(), "Un second"))  # pinning clears the cache
    assert "Un second" in _pinned(reader)
    assert count() == warm <= 8
