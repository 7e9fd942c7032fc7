"""Profiles, the opt-in directory, follows and their notifications, avatars."""

import io

from PIL import Image
from sqlalchemy import func, select

from community.extensions import db
from community.mail import drain
from community.models import ConsentRecord, Follow, Member, Notification

PROFILE = {"display_name": "Ana Lopez", "bio": "", "commune": "Lyon", "postal_code": "69003",
           "interests": "Climat, logement, climat", "skills": "graphisme", "locale": "fr",
           "timezone": "Europe/Paris"}


def test_edit_profile_saves_tags_and_records_directory_consent(client, make_member, login):
    member = make_member(handle="ana")
    login(client, member)
    response = client.post("/profile/edit", data={**PROFILE, "in_directory": "y"})
    assert response.status_code == 302
    member = db.session.get(Member, member.id)
    assert member.tag_names("interest") == ["climat", "logement"]
    assert member.tag_names("skill") == ["graphisme"]
    assert member.in_directory
    consent = db.session.scalar(select(ConsentRecord).where(ConsentRecord.purpose == "directory"))
    assert consent.given and consent.member_id == member.id


def test_bio_markdown_is_sanitised_on_the_profile(client, make_member, login):
    member = make_member(handle="ana")
    login(client, member)
    client.post("/profile/edit", data={**PROFILE, "bio": "**Militante** <script>alert('x')</script>"})
    page = client.get("/members/ana").get_data(as_text=True)
    assert "<strong>Militante</strong>" in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_profile_errors_keep_what_was_typed(client, make_member, login):
    login(client, make_member())
    response = client.post("/profile/edit", data={**PROFILE, "postal_code": "6900", "commune": "Lyon 3e"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "5 characters" in page and 'value="Lyon 3e"' in page


def _image(fmt="PNG", size=(300, 200)) -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(data, fmt)
    data.seek(0)
    return data


def test_avatar_upload_is_reencoded_and_served_as_attachment(client, make_member, login):
    member = make_member(handle="ana")
    login(client, member)
    response = client.post("/profile/edit", data={**PROFILE, "avatar": (_image("JPEG"), "photo.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    member = db.session.get(Member, member.id)
    assert member.avatar.endswith(".webp") and "photo" not in member.avatar
    served = client.get(f"/media/avatars/{member.avatar}")
    data = served.data
    served.close()
    assert served.status_code == 200 and "attachment" in served.headers["Content-Disposition"]
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "WEBP" and max(image.size) <= 256


def test_avatar_that_is_not_an_image_is_refused(client, make_member, login):
    login(client, make_member())
    response = client.post("/profile/edit", data={**PROFILE, "avatar": (io.BytesIO(b"%PDF-1.4 not an image"), "a.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "not an image" in response.get_data(as_text=True)


def test_oversized_avatar_is_refused(app, client, make_member, login):
    app.config["TERREAU_AVATAR_MAX_BYTES"] = 1000
    login(client, make_member())
    response = client.post("/profile/edit", data={**PROFILE, "avatar": (_image(size=(600, 600)), "a.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "too large" in response.get_data(as_text=True)


def test_directory_lists_only_members_who_opted_in(client, make_member, login):
    viewer = make_member(handle="viewer")
    listed = make_member(handle="listed", in_directory=True, commune="Lyon", postal_code="69003")
    make_member(handle="hidden", in_directory=False, commune="Lyon")
    login(client, viewer)
    page = client.get("/members?commune=lyon").get_data(as_text=True)
    assert "/members/listed" in page and "/members/hidden" not in page
    assert "/members/listed" in client.get("/members?commune=69").get_data(as_text=True)
    assert "/members/listed" not in client.get("/members?commune=Paris").get_data(as_text=True)
    assert listed.handle


def test_directory_search_by_interest_skill_and_name(client, make_member, login):
    login(client, make_member(handle="viewer"))
    ana = make_member(handle="ana", display_name="Ana Lopez", in_directory=True)
    from community.members.service import set_tags

    set_tags(ana, "interest", ["climat"])
    set_tags(ana, "skill", ["tractage"])
    db.session.commit()
    assert "/members/ana" in client.get("/members?interest=Climat").get_data(as_text=True)
    assert "/members/ana" in client.get("/members?skill=tractage").get_data(as_text=True)
    assert "/members/ana" not in client.get("/members?skill=graphisme").get_data(as_text=True)
    assert "/members/ana" in client.get("/members?q=lop").get_data(as_text=True)
    assert "/members/ana" not in client.get("/members?q=%25").get_data(as_text=True)


def test_directory_requires_login(client):
    response = client.get("/members")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_follow_notifies_and_is_idempotent(client, make_member, login):
    ana, bruno = make_member(handle="ana"), make_member(handle="bruno")
    login(client, ana)
    assert client.post("/members/bruno/follow").status_code == 302
    client.post("/members/bruno/follow")
    assert db.session.scalar(select(func.count()).select_from(Follow)) == 1
    [note] = db.session.scalars(select(Notification)).all()
    assert note.member_id == bruno.id and note.kind == "core.follow"
    client.post("/members/bruno/unfollow")
    assert db.session.scalar(select(func.count()).select_from(Follow)) == 0


def test_following_yourself_is_refused(client, make_member, login):
    login(client, make_member(handle="ana"))
    response = client.post("/members/ana/follow", follow_redirects=True)
    assert "cannot follow yourself" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Follow)) == 0


def test_notification_page_and_mark_read(client, make_member, login, app):
    ana, bruno = make_member(handle="ana"), make_member(handle="bruno")
    login(client, ana)
    client.post("/members/bruno/follow")
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(other, bruno)
    page = other.get("/notifications").get_data(as_text=True)
    assert "follows you" in page and 'id="unread-count"' in page
    assert other.get("/notifications.json").get_json()["unread"] == 1
    other.post("/notifications/read")
    assert other.get("/notifications.json").get_json()["unread"] == 0


def test_follow_lists_are_private_unless_listed(client, make_member, login):
    login(client, make_member(handle="viewer"))
    make_member(handle="private", in_directory=False)
    make_member(handle="public", in_directory=True)
    assert client.get("/members/private/followers").status_code == 403
    assert client.get("/members/public/followers").status_code == 200
    assert "/followers" not in client.get("/members/private").get_data(as_text=True)


def test_unknown_member_gives_404_page(client, make_member, login):
    login(client, make_member())
    response = client.get("/members/nobody")
    assert response.status_code == 404 and "does not exist" in response.get_data(as_text=True)


def test_email_preferences_are_off_by_default_and_saved(client, make_member, login, smtp_server, app):
    ana, bruno = make_member(handle="ana"), make_member(handle="bruno")
    login(client, bruno)
    page = client.get("/profile/notifications").get_data(as_text=True)
    assert 'name="core.follow"' in page and 'name="core.follow" checked' not in page
    other = app.test_client()
    login(other, ana)
    other.post("/members/bruno/follow")
    assert drain() and smtp_server.messages == []  # off by default (queue drained first)
    client.post("/profile/notifications", data={"core.follow": "on"})
    other.post("/members/bruno/unfollow")
    other.post("/members/bruno/follow")
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "bruno@example.org"
    assert "Ana vous suit" in message["Subject"]  # in the recipient's language: French by default


def test_follow_lists_show_others_only_listed_members(client, make_member, login, app):
    star = make_member(handle="star", in_directory=True)
    shy = make_member(handle="shy", in_directory=False)
    open_ = make_member(handle="open", in_directory=True)
    from community.members.service import follow

    follow(shy, star)
    follow(open_, star)
    login(client, make_member(handle="viewer"))
    page = client.get("/members/star/followers").get_data(as_text=True)
    assert "/members/open" in page and "/members/shy" not in page
    own = app.test_client()
    login(own, star)
    assert "/members/shy" in own.get("/members/star/followers").get_data(as_text=True)
