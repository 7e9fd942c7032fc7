"""Announcements: organisers pin a message on their recipients' feeds (everyone, an area, a group),
members dismiss it, it expires, and it can go by e-mail to the recipients who accept it."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from community.database import QueryCounter
from community.extensions import db
from community.mail import drain
from community.models import Activity, Notification
from community.registry import registry
from modules.influence import announcements, ranking
from modules.influence.models import InfluenceAnnouncement, InfluenceDismissal

GROUP = "collaboration:group:7"


@pytest.fixture(autouse=True)
def _fresh_caches():
    ranking.clear_cache()
    yield
    ranking.clear_cache()


@pytest.fixture
def organiser(make_member):
    return make_member(role="organiser", handle="orga", postal_code="13001", commune="Marseille")


def _publish(client, **data):
    form = {"title": "Assemblée générale", "body": "Samedi à **10 h**.", "scope": "all"}
    form.update(data)
    return client.post("/influence/announcements/new", data=form)


def _count():
    return db.session.scalar(select(func.count()).select_from(InfluenceAnnouncement))


def _pinned(client, path="/influence/"):
    page = client.get(path).get_data(as_text=True)
    return page.split('id="pinned-title"', 1)[1].split("</section>", 1)[0] if 'id="pinned-title"' in page else ""


def test_members_cannot_publish_or_manage_announcements(client, make_member, login):
    assert client.get("/influence/announcements").status_code == 302  # to the login page
    login(client, make_member())
    assert client.get("/influence/announcements").status_code == 403
    assert client.get("/influence/announcements/new").status_code == 403
    assert _publish(client).status_code == 403
    assert _count() == 0


def test_organiser_publishes_to_everyone_pinned_on_feed_and_home(client, visit, make_member, login, organiser):
    reader = make_member(handle="reader")
    login(client, organiser)
    assert client.get("/influence/announcements/new").status_code == 200
    response = _publish(client, body="Samedi à **10 h**. <script>alert(1)</script>")
    assert response.status_code == 302 and response.headers["Location"].endswith("/influence/announcements")
    item = db.session.scalar(select(InfluenceAnnouncement))
    assert (item.scope, item.expires_at, item.send_email) == ("all", None, False)
    assert "<strong>10 h</strong>" in item.body_html and "<script" not in item.body_html
    assert "Assemblée générale" in client.get("/influence/announcements").get_data(as_text=True)

    reader_client = visit(reader)
    for path in ("/influence/", "/"):
        block = _pinned(reader_client, path)
        assert "Assemblée générale" in block and "<strong>10 h</strong>" in block and "<script>alert" not in block
    assert reader_client.get(f"/influence/announcements/{item.id}").status_code == 200
    # Published without e-mail: recorded in the stream, nobody notified.
    activity = db.session.scalar(select(Activity).where(Activity.verb == "influence.announcement"))
    assert activity.audience == "members" and activity.object_id == str(item.id)
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


@pytest.mark.parametrize(("data", "message"), [
    ({"title": "  "}, "Give the announcement a title"),
    ({"expires_on": (date.today() - timedelta(days=3)).isoformat()}, "already past"),
    ({"scope": "area", "area": "99"}, "No member lives in"),
    ({"scope": "area", "area": "Atlantide"}, "No member lives in"),
    ({"scope": "area", "area": ""}, "Give a postal code"),
    ({"scope": "area", "area": "1234567"}, "2 to 5 digits"),
    ({"scope": "group", "audience": GROUP}, "cannot address this group"),
    ({"scope": "group"}, "Choose a group"),
    ({"scope": "nowhere"}, "Choose who receives"),
    ({"expires_on": "not-a-date"}, "Not a valid date"),
])
def test_bad_input_is_refused_with_a_message_and_kept(client, login, organiser, data, message):
    login(client, organiser)
    response = _publish(client, body="Texte gardé", **data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert "Texte gardé" in page  # what was typed is still there
    assert _count() == 0


def test_an_expiry_today_is_accepted_and_the_errors_keep_the_other_fields(client, login, organiser):
    login(client, organiser)
    bad = _publish(client, title="", area="Marseille", scope="area",
                   expires_on=(date.today() - timedelta(days=3)).isoformat())
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Give the announcement a title" in page and "already past" in page
    assert 'value="Marseille"' in page
    with client.application.test_request_context():
        today = announcements.today_local()  # in the site's time zone, as the form reads it
    assert _publish(client, expires_on=today.isoformat()).status_code == 302
    item = db.session.scalar(select(InfluenceAnnouncement))
    assert item.expires_at is not None and announcements.is_live(item)


def test_area_matches_postal_prefixes_and_communes(app, client, make_member, login, organiser, visit):
    lyon1 = make_member(handle="lyon1", postal_code="69001", commune="Lyon")
    villeurbanne = make_member(handle="villeur", postal_code="69100", commune="Villeurbanne")
    stetienne = make_member(handle="steti", postal_code="42000", commune="Saint-Étienne")
    paris = make_member(handle="paris", postal_code="75011", commune="Paris")
    nowhere = make_member(handle="nowhere")
    login(client, organiser)
    assert _publish(client, title="Pour le 690", scope="area", area="690").status_code == 302
    assert _publish(client, title="Pour le Rhône", scope="area", area="69").status_code == 302
    assert _publish(client, title="Pour Sainté", scope="area", area="saint etienne").status_code == 302
    assert db.session.scalar(select(InfluenceAnnouncement.area).where(
        InfluenceAnnouncement.title == "Pour Sainté")) == "saint etienne"

    def titles(member):
        return {a.title for a in announcements.live_for(member)}

    assert titles(lyon1) == {"Pour le 690", "Pour le Rhône"}
    assert titles(villeurbanne) == {"Pour le Rhône"}
    assert titles(stetienne) == {"Pour Sainté"}
    assert titles(paris) == titles(nowhere) == titles(organiser) == set()

    client = visit(paris)
    assert _pinned(client) == ""
    area_item = db.session.scalar(select(InfluenceAnnouncement).where(InfluenceAnnouncement.title == "Pour le 690"))
    assert client.get(f"/influence/announcements/{area_item.id}").status_code == 404
    client = visit(lyon1)
    assert "Pour le 690" in _pinned(client) and "Pour Sainté" not in _pinned(client)
    # The stream keeps an area's announcement away from followers elsewhere: only its author sees it.
    activity = db.session.scalar(select(Activity).where(Activity.object_id == str(area_item.id)))
    assert activity.audience == f"member:{organiser.id}"


def test_group_announcements_reach_the_group_only(client, app, make_member, login, organiser, monkeypatch, visit):
    """Groups come with the collaboration module: a module granting a room is simulated here."""
    inside, outside = make_member(handle="inside"), make_member(handle="outside")
    module = registry.get("influence")
    monkeypatch.setattr(module, "post_audiences", lambda member: [(GROUP, "Groupe vélo")])
    monkeypatch.setattr(module, "audiences", lambda member: [GROUP] if member.handle == "inside" else [])
    monkeypatch.setattr(registry.get("collaboration"), "audience_members", lambda audience: None)
    login(client, organiser)
    page = client.get("/influence/announcements/new").get_data(as_text=True)
    assert "Groupe vélo" in page
    refused = _publish(client, scope="group", audience=GROUP, send_email="y")
    assert refused.status_code == 422 and "not available for this group" in refused.get_data(as_text=True)
    assert _publish(client, title="Sortie du groupe", scope="group", audience=GROUP).status_code == 302
    assert [a.title for a in announcements.live_for(inside)] == ["Sortie du groupe"]
    assert announcements.live_for(outside) == []
    client = visit(outside)
    assert "Sortie du groupe" not in _pinned(client)
    client = visit(inside)
    assert "Sortie du groupe" in _pinned(client)


def test_dismissal_unpins_for_that_member_only(client, app, make_member, login, organiser, visit):
    ana, bruno, paris = make_member(handle="ana"), make_member(handle="bruno"), make_member(postal_code="75011")
    login(client, organiser)
    _publish(client, title="À lire")
    _publish(client, title="Pour Marseille", scope="area", area="13")
    item = db.session.scalar(select(InfluenceAnnouncement).where(InfluenceAnnouncement.title == "À lire"))
    area_item = db.session.scalar(select(InfluenceAnnouncement).where(InfluenceAnnouncement.title == "Pour Marseille"))
    client = visit(ana)
    assert "À lire" in _pinned(client)
    response = client.post(f"/influence/announcements/{item.id}/dismiss", data={"next": "/influence/"})
    assert response.status_code == 302 and response.headers["Location"] == "/influence/"
    assert "À lire" not in _pinned(client)
    assert client.post(f"/influence/announcements/{item.id}/dismiss").status_code == 302  # twice: harmless
    assert client.post(f"/influence/announcements/{item.id}/dismiss",
                       data={"next": "https://evil.example/"}).headers["Location"] == "/"
    assert client.get(f"/influence/announcements/{item.id}").status_code == 200  # still readable
    assert db.session.scalar(select(func.count()).select_from(InfluenceDismissal)) == 1
    # Not a recipient of the area's announcement: nothing to dismiss.
    client = visit(paris)
    assert client.post(f"/influence/announcements/{area_item.id}/dismiss").status_code == 404
    assert client.post("/influence/announcements/999/dismiss").status_code == 404
    assert client.get("/influence/announcements/dismiss").status_code == 404
    client = visit(bruno)
    assert "À lire" in _pinned(client)


def test_expired_and_withdrawn_announcements_are_no_longer_pinned(client, make_member, login, organiser, visit):
    reader = make_member()
    login(client, organiser)
    _publish(client, title="Ancienne")
    _publish(client, title="Retirée")
    _publish(client, title="Actuelle")
    old = db.session.scalar(select(InfluenceAnnouncement).where(InfluenceAnnouncement.title == "Ancienne"))
    db.session.execute(update(InfluenceAnnouncement).where(InfluenceAnnouncement.id == old.id).values(
        expires_at=old.created_at - timedelta(minutes=1)))
    db.session.commit()
    withdrawn = db.session.scalar(select(InfluenceAnnouncement.id).where(InfluenceAnnouncement.title == "Retirée"))
    assert client.post(f"/influence/announcements/{withdrawn}/withdraw").status_code == 302
    listing = client.get("/influence/announcements").get_data(as_text=True)
    assert listing.count("Expired") == 2 and "Actuelle" in listing
    client = visit(reader)
    block = _pinned(client)
    assert "Actuelle" in block and "Ancienne" not in block and "Retirée" not in block
    assert client.post(f"/influence/announcements/{withdrawn}/withdraw").status_code == 403


def test_email_goes_only_to_recipients_who_accept_it(app, client, make_member, login, organiser, smtp_server, visit):
    wants = make_member(handle="wants", email="wants@example.org", postal_code="69001", locale="en")
    refuses = make_member(handle="refuses", email="refuses@example.org", postal_code="69002")
    elsewhere = make_member(handle="elsewhere", email="elsewhere@example.org", postal_code="75011")
    for member in (wants, elsewhere):
        assert visit(member).post("/profile/notifications", data={"influence.announcement": "on"}).status_code == 302
    login(client, organiser)
    assert _publish(client, title="Tractage au marché", scope="area", area="69").status_code == 302
    assert drain() and smtp_server.messages == []  # e-mail not asked for (queue drained first)
    response = _publish(client, title="Réunion publique", scope="area", area="69", send_email="y")
    assert response.status_code == 302
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "wants@example.org"
    assert "Réunion publique" in message["Subject"] and "Announcement" in message["Subject"]
    assert len(smtp_server.messages) == 1
    # Every recipient in the area is notified in the site; the e-mail follows each one's choice.
    notified = set(db.session.scalars(select(Notification.member_id).where(
        Notification.kind == "influence.announcement")))
    assert notified == {wants.id, refuses.id}


def test_the_preference_is_listed_and_off_by_default(client, make_member, login):
    login(client, make_member())
    page = client.get("/profile/notifications").get_data(as_text=True)
    assert 'name="influence.announcement"' in page and 'name="influence.announcement" checked' not in page


def test_pinned_announcements_cost_one_query_whatever_their_number(client, make_member, login, organiser, visit):
    reader = visit(make_member(postal_code="13002", commune="Marseille"))
    login(client, organiser)
    _publish(client, title="Première")
    reader.get("/influence/")  # warm the per-process caches (highlights, trending)

    def count():
        with QueryCounter(db.engine) as counter:
            page = reader.get("/influence/").get_data(as_text=True)
        return counter.count, page

    one, _page = count()
    for n in range(4):
        _publish(client, title=f"Annonce {n}", scope="area" if n % 2 else "all", area="13")
    reader.get("/influence/")
    five, page = count()
    assert five == one <= 8
    assert all(f"Annonce {n}" in page for n in range(4))


def test_group_announcement_by_email_reaches_the_groups_members(client, make_member, login, organiser, monkeypatch,
                                                                 smtp_server, visit):
    """The module owning the room lists its members (Module.audience_members): they get the e-mail."""
    inside = make_member(handle="inside", email="inside@example.org")
    make_member(handle="outside", email="outside@example.org")
    assert visit(inside).post("/profile/notifications", data={"influence.announcement": "on"}).status_code == 302
    monkeypatch.setattr(registry.get("influence"), "post_audiences", lambda member: [(GROUP, "Groupe vélo")])
    inside_id = inside.id  # read now: the lambda runs inside the request, not in the test's session
    monkeypatch.setattr(registry.get("collaboration"), "audience_members",
                        lambda audience: [inside_id] if audience == GROUP else None)
    login(client, organiser)
    assert _publish(client, title="Sortie vélo", scope="group", audience=GROUP, send_email="y").status_code == 302
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "inside@example.org"
    assert drain() and len(smtp_server.messages) == 1
