"""An empty installation offers to create the first admin (as Discourse's wizard does)."""

from sqlalchemy import select

from community.extensions import db
from community.models import AuditEntry, Member


def test_first_visit_creates_the_first_admin(app, client):
    app.extensions["terreau_has_members"] = False
    response = client.get("/members")
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/setup")
    page = client.get("/auth/setup").get_data(as_text=True)
    assert "first administrator" in page
    done = client.post("/auth/setup", data={"display_name": "Admin", "handle": "admin", "email": "a@example.org",
                                            "password": "une-phrase-de-passe-longue", "consent": "y"})
    assert done.status_code == 302
    admin = db.session.scalar(select(Member))
    assert admin.role == "admin"
    assert db.session.scalar(select(AuditEntry)).action == "member.setup_admin"
    assert client.get("/admin/modules").status_code == 200
    assert client.get("/auth/setup").status_code == 404


def test_setup_is_closed_once_there_are_members(client, make_member):
    make_member()
    assert client.get("/auth/setup").status_code == 404
