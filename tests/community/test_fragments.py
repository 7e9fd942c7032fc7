"""Activity items rendered once and shared (community/fragments.py, ActivityKind.cache_key).

Each test renders an item (so it is cached), changes what the item shows, and checks the next
render shows the change; and that what depends on the reader (language, who reads) never leaks
from one reader to another.
"""

from flask_babel import refresh

from community import fragments
from community.activity import preload, publish, render_activity
from community.extensions import db
from community.models import Activity


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
