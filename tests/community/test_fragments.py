"""Activity items rendered once and shared (community/fragments.py, ActivityKind.cache_key).

Each test renders an item (so it is cached), changes what the item shows, and checks the next
render shows the change; and that what depends on the reader (language, who reads) never leaks
from one reader to another.
"""

import re

import pytest
from flask_babel import refresh

from community import fragments
from community.activity import preload, publish, render_activity
from community.extensions import db
from community.models import Activity
from tests.conftest import PASSWORD


def _render(app, activity_id: int, viewer, lang: str = "en") -> str:
    with app.test_request_context("/", headers={"Accept-Language": lang}):
        refresh()  # the fixture's app context outlives each request: forget the last one's locale
        activity = preload([db.session.get(Activity, activity_id)])[0]  # as feeds do
        return str(render_activity(activity, viewer=db.session.get(type(viewer), viewer.id)))


def test_a_shared_item_is_rendered_once_and_follows_its_actor(app, make_member):
    ana, bob = make_member(handle="ana", display_name="Ana Avant"), make_member(handle="bob")
    activity = publish(ana, "core.follow", bob, audience=f"member:{bob.id}")
    first = _render(app, activity.id, bob)
    with app.test_request_context("/"):
        store = fragments.cache()
    misses, hits = store.misses, store.hits
    assert _render(app, activity.id, bob) == first and "Ana Avant" in first
    assert store.misses == misses and store.hits == hits + 1  # the second render came from the cache
    ana.display_name = "Ana Après"
    db.session.commit()
    renamed = _render(app, activity.id, bob)
    assert "Ana Après" in renamed and "Ana Avant" not in renamed  # a rename gives another key
    french = _render(app, activity.id, bob, lang="fr")
    assert "vous suit" in french and "follows you" in renamed  # the language is in the key


def test_a_reader_dependent_sentence_is_never_shared(app, make_member):
    from modules.collaboration import groups_service

    creator, target, other = make_member(handle="creator"), make_member(handle="target"), make_member(handle="other")
    group = groups_service.create_group(creator, name="Jardins partagés")
    db.session.commit()
    for member in (target, other):
        groups_service.join(group, member)
    db.session.commit()
    groups_service.name_animator(group, creator, "target")
    db.session.commit()
    activity = db.session.query(Activity).filter_by(verb="collaboration.animator_named").one()
    for _ in range(2):  # the second round reads the cache
        assert "named you animator of" in _render(app, activity.id, target)
        seen = _render(app, activity.id, other)
        assert "named Target animator of" in seen and "named you" not in seen
    group.name = "Jardins en commun"
    db.session.commit()
    assert "Jardins en commun" in _render(app, activity.id, other)  # the group's name is in the key


def test_the_cache_is_bounded(app):
    store = fragments.FragmentCache(size=3)
    for n in range(5):
        store.put((n,), (str(n),))
    assert len(store) == 3 and store.get((0,)) is None and store.get((4,)) == ("4",)


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.mark.parametrize("config_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_the_kept_header_and_posting_form_carry_each_readers_own_token(app, make_member):
    """Two members share the cached header and posting form; each page holds its reader's token,
    and that token works (the header's log-out form)."""
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    clients = {}
    for member in (ana, bob):
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                          client.get("/auth/login").get_data(as_text=True)).group(1)
        assert client.post("/auth/login", data={"identifier": member.handle, "password": PASSWORD,
                                                "csrf_token": token}).status_code == 302
        clients[member.handle] = client
    pages = {handle: client.get("/").get_data(as_text=True) for handle, client in clients.items()}
    tokens = {handle: set(CSRF_RE.findall(page)) for handle, page in pages.items()}
    assert len(tokens["ana"]) == 1 and len(tokens["bob"]) == 1 and tokens["ana"] != tokens["bob"]
    assert 'class="composer"' in pages["ana"] and 'class="composer"' in pages["bob"]
    assert f'data-member="{ana.id}"' in pages["ana"] and f'data-member="{bob.id}"' in pages["bob"]
    assert "<summary>Ana</summary>" in pages["ana"] and "<summary>Bob</summary>" in pages["bob"]
    logout = clients["ana"].post("/auth/logout", data={"csrf_token": tokens["ana"].pop()})
    assert logout.status_code == 302
    assert clients["ana"].get("/notifications").status_code == 302  # logged out: sent to the login page


@pytest.mark.parametrize("config_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_a_sessions_signed_csrf_token_is_kept_and_still_accepted(app, make_member, monkeypatch):
    """The signed token is made once per session and process (fragments.csrf_token): the next page
    carries the same one, it is accepted, and another session gets its own."""
    import time

    from itsdangerous.timed import TimestampSigner
    make_member(handle="ana")
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/auth/login").get_data(as_text=True)).group(1)
    assert client.post("/auth/login", data={"identifier": "ana", "password": PASSWORD,
                                            "csrf_token": token}).status_code == 302
    first = set(CSRF_RE.findall(client.get("/").get_data(as_text=True)))
    # a minute later: signed anew, the token would differ (its timestamp)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) + 60)
    second = set(CSRF_RE.findall(client.get("/").get_data(as_text=True)))
    assert len(first) == 1 and first == second
    other = app.test_client()
    other_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                            other.get("/auth/login").get_data(as_text=True)).group(1)
    assert other_token not in first
    assert client.post("/auth/logout", data={"csrf_token": second.pop()}).status_code == 302
    assert client.get("/notifications").status_code == 302  # the kept token worked: logged out
    # a wrong token is still refused
    again = app.test_client()
    assert again.post("/auth/login", data={"identifier": "ana", "password": PASSWORD,
                                           "csrf_token": "forged"}).status_code == 400


def test_the_headers_unread_count_leaves_out_a_switched_off_modules_notifications(app, make_member, visit):
    """The count read with the login (every module) is used only while every module is on; with
    one off, the header counts without its notifications, as the notifications page lists."""
    ana, bob, admin = make_member(handle="ana"), make_member(handle="bob"), make_member(role="admin")
    publish(ana, "core.follow", bob, audience=f"member:{bob.id}", notify=[bob.id])
    publish(ana, "coordination.contract_probe", ("contract", 1), audience=f"member:{bob.id}", notify=[bob.id])
    client = visit(bob)

    def count() -> str:
        return re.search(r'id="unread-count"[^>]*>(\d+)</span>', client.get("/").get_data(as_text=True)).group(1)

    assert count() == "2"
    visit(admin).post("/admin/modules/coordination/toggle", data={"enabled": "0"})
    assert count() == "1"
    visit(admin).post("/admin/modules/coordination/toggle", data={"enabled": "1"})
    assert count() == "2"
    client.post("/notifications/read")
    assert count() == "0"


def test_the_header_follows_the_unread_count_the_name_and_the_page(app, make_member, visit):
    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    client = visit(bob)
    before = client.get("/").get_data(as_text=True)
    assert 'id="unread-count" aria-live="polite"' in before and ">0</span>" in before
    publish(ana, "core.follow", bob, audience=f"member:{bob.id}", notify=[bob.id])
    after = client.get("/").get_data(as_text=True)
    assert ">1</span>" in after  # a new notification: another key, not the kept header
    bob.display_name = "Bob Renamed"
    db.session.commit()
    assert "<summary>Bob Renamed</summary>" in client.get("/").get_data(as_text=True)
    feed_page = client.get("/influence/").get_data(as_text=True)
    current = r'href="/influence/" data-endpoint="influence.index" aria-current="page"'
    assert re.search(current, feed_page)  # the current page's entry is marked
    assert not re.search(current, client.get("/").get_data(as_text=True))


def test_a_kept_widget_follows_its_data(app, make_member, visit):
    from modules.collaboration import groups_service

    ana = make_member(handle="ana")
    group = groups_service.create_group(ana, name="Jardins partagés")
    db.session.commit()
    client = visit(ana)
    assert "Jardins partagés" in client.get("/").get_data(as_text=True)
    group.name = "Jardins en commun"
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Jardins en commun" in page and "Jardins partagés" not in page


def test_a_feed_rows_item_follows_its_stored_data_without_decoding_it(app, make_member):
    """A feed reads activities as ActivityRow: the key holds the data's JSON text as stored, so a
    kept item is not decoded again, and a change of the data gives another key."""
    from sqlalchemy import select

    from community.activity import ActivityRenderer, ActivityRow, activity_row_columns
    from community.models import Member

    ana, bob = make_member(handle="ana"), make_member(handle="bob")
    activity = publish(ana, "collaboration.proposal", ("collaboration.proposal", 1), audience="members",
                       data={"title": "Des pistes cyclables"})

    def render() -> tuple[str, ActivityRow]:
        with app.test_request_context("/", headers={"Accept-Language": "en"}):
            refresh()
            row = db.session.execute(select(*activity_row_columns()).outerjoin(
                Member, Member.id == Activity.actor_id).where(Activity.id == activity.id)).one()
            item = ActivityRow(row)
            html = str(ActivityRenderer(db.session.get(Member, bob.id)).render(item))
            return html, item

    first, _item = render()
    assert "Des pistes cyclables" in first
    again, item = render()
    assert again == first
    if db.engine.dialect.name == "sqlite":  # psycopg decodes JSON itself: there is no text to keep
        assert not hasattr(item, "_data")  # kept: its data was never decoded
    db.session.get(Activity, activity.id).data = {"title": "Des pistes cyclables partout"}
    db.session.commit()
    changed, _item = render()
    assert "Des pistes cyclables partout" in changed


def test_a_datum_of_a_feed_row_is_read_without_decoding_when_absent(app, make_member):
    """community.activity.datum: a key absent from the stored JSON text is None at once; a present
    one is read from the decoded data, for an ActivityRow as for an Activity."""
    from sqlalchemy import select

    from community.activity import ActivityRow, activity_row_columns, datum
    from community.models import Member

    ana = make_member(handle="ana")
    activity = publish(ana, "collaboration.group_joined", ("collaboration.group", 7), audience="members",
                       data={"group_id": 7, "note": 'a "target_id" inside a value'})
    with app.test_request_context("/"):
        row = ActivityRow(db.session.execute(select(*activity_row_columns()).outerjoin(
            Member, Member.id == Activity.actor_id).where(Activity.id == activity.id)).one())
        assert datum(row, "target_id") is None and datum(row, "group_id") == 7
        if db.engine.dialect.name == "sqlite":
            fresh = ActivityRow(db.session.execute(select(*activity_row_columns()).outerjoin(
                Member, Member.id == Activity.actor_id).where(Activity.id == activity.id)).one())
            assert datum(fresh, "absent") is None and not hasattr(fresh, "_data")  # never decoded
        assert datum(db.session.get(Activity, activity.id), "group_id") == 7
        assert datum(row, "note") == 'a "target_id" inside a value'
