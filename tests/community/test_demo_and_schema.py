"""seed-demo is deterministic and refuses a non-empty database; migrations match the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from community.demo import seed
from community.extensions import db
from community.models import Follow, Member, MemberTag


def _snapshot():
    members = db.session.execute(select(Member.handle, Member.commune, Member.role).order_by(Member.id)).all()
    follows = db.session.execute(select(Follow.follower_id, Follow.followed_id).order_by(
        Follow.follower_id, Follow.followed_id)).all()
    tags = db.session.scalar(select(func.count()).select_from(MemberTag))
    return members, follows, tags


def _wipe():
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def test_seed_demo_is_deterministic_for_a_seed(app):
    info = seed(members=60, seed=7)
    first = _snapshot()
    assert info["members"] == 60 and len(first[0]) == 60 and info["follows"] == len(first[1]) > 60
    assert first[0][0].role == "admin"
    _wipe()
    seed(members=60, seed=7)
    assert _snapshot() == first
    _wipe()
    seed(members=60, seed=8)
    assert _snapshot() != first


def test_seed_demo_refuses_a_database_with_members(app, make_member):
    make_member()
    result = app.test_cli_runner().invoke(args=["seed-demo", "--members", "10"])
    assert result.exit_code != 0 and "already has members" in result.output


def test_demo_admin_can_log_in(app, client):
    info = seed(members=20, seed=1)
    response = client.post("/auth/login", data={"identifier": info["admin_email"], "password": info["password"]})
    assert response.status_code == 302


def test_migrations_match_the_models(app):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    assert diff == []
