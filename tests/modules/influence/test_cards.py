"""Post cards rendered once and shared by readers (cards.py): never stale, never another reader's.

Every test first renders the card (so it sits in the cache), changes something, and checks the
next page shows the change; readers' own parts (reactions given, CSRF token, report link, the
page to come back to) are checked across two readers who share the cached card.
"""

import re
from datetime import timedelta

from sqlalchemy import select

from community.database import QueryCounter
from community.extensions import db
from community.members.service import follow
from community.models import Activity
from modules.influence import cards, service
from modules.influence.models import InfluencePost

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def card_of(page: str, post_id: int) -> str:
    """The HTML of one post's card in a page."""
    start = page.index(f'<article class="post" id="post-{post_id}"')
    return page[start:page.index("</article>", start)]


def test_a_card_is_rendered_once_then_shared_by_readers(app, make_member, make_post, visit):
    author, ana, bob = make_member(handle="author"), make_member(handle="ana"), make_member(handle="bob")
    post = make_post(author, "Un message partagé", audience="members")
    for reader in (ana, bob):
        follow(reader, author)
    store_before = len(cards.cache())
    first = visit(ana).get("/").get_data(as_text=True)
    misses, hits = cards.cache().misses, cards.cache().hits
    second = visit(bob).get("/").get_data(as_text=True)
    assert "Un message partagé" in card_of(first, post.id) and "Un message partagé" in card_of(second, post.id)
    assert cards.cache().misses == misses and cards.cache().hits > hits  # bob's card came from the cache
    assert len(cards.cache()) > store_before


def test_each_reader_gets_their_own_reactions_token_and_report_link(app, make_member, make_post, visit):
    author, ana, bob = make_member(handle="author"), make_member(handle="ana"), make_member(handle="bob")
    post = make_post(author, "Réagissez", audience="members")
    follow(ana, author)
    follow(bob, author)
    ana_client, bob_client, author_client = visit(ana), visit(bob), visit(author)
    bob_client.get("/")  # the card is cached before anyone reacts
    assert ana_client.post(f"/influence/posts/{post.id}/react", data={"kind": "idea"}).status_code == 302

    ana_page = ana_client.get("/").get_data(as_text=True)
    bob_page = bob_client.get("/").get_data(as_text=True)
    author_page = author_client.get("/").get_data(as_text=True)
    ana_card, bob_card, author_card = (card_of(p, post.id) for p in (ana_page, bob_page, author_page))
    given = re.compile(r'class="reaction reaction--given"\s+aria-pressed="true"[^>]*><span aria-hidden="true">💡')
    assert given.search(ana_card)
    assert "reaction--given" not in bob_card and 'aria-pressed="true"' not in bob_card
    assert "reaction--given" not in author_card
    for card in (ana_card, bob_card, author_card):
        assert "1 reaction" in card  # the count changed for everyone: the cached card was not reused
    # One CSRF token per reader, the same in the card as in the rest of their page, never another's.
    ana_tokens, bob_tokens = set(CSRF_RE.findall(ana_page)), set(CSRF_RE.findall(bob_page))
    assert len(ana_tokens) == 1 and len(bob_tokens) == 1 and ana_tokens != bob_tokens
    assert CSRF_RE.search(ana_card).group(1) in ana_tokens and CSRF_RE.search(bob_card).group(1) in bob_tokens
    # The author may not report their own post; readers may.
    assert "/moderation/report" not in author_card
    assert "/moderation/report" in ana_card and "/moderation/report" in bob_card
    # "next" is the reader's own page.
    assert 'name="next" value="/?"' in ana_card
    assert 'name="next" value="/influence/?before=' not in ana_card
    second_page = ana_client.get(f"/influence/?before={post.id + 1000}").get_data(as_text=True)
    assert f'name="next" value="/influence/?before={post.id + 1000}"' in second_page


def test_an_edit_shows_the_new_text(app, client, make_member, make_post, login):
    author = make_member(handle="author")
    post = make_post(author, "Premier jet")
    login(client, author)
    assert "Premier jet" in card_of(client.get("/").get_data(as_text=True), post.id)
    assert client.post(f"/influence/posts/{post.id}/edit", data={"body": "Version revue"}).status_code == 302
    card = card_of(client.get("/").get_data(as_text=True), post.id)
    assert "Version revue" in card and "Premier jet" not in card and "edited" in card


def test_replies_and_relays_change_the_counts(app, make_member, make_post, visit):
    author, ana = make_member(handle="author"), make_member(handle="ana")
    post = make_post(author, "Discutons", audience="members")
    follow(ana, author)
    reader = visit(ana)
    assert "0 replies" in card_of(reader.get("/").get_data(as_text=True), post.id)
    make_post(author, "Une réponse", reply_to=post)
    assert reader.post(f"/influence/posts/{post.id}/relay", data={"comment": ""}).status_code == 302
    page = reader.get("/influence/all").get_data(as_text=True)
    card = card_of(page, post.id)
    assert "1 reply" in card and "1 relay" in card


def test_a_hidden_post_leaves_the_feed_even_when_its_card_is_cached(app, make_member, make_post, visit):
    from community.moderation.service import set_hidden

    author, ana, moderator = make_member(), make_member(), make_member(role="moderator")
    post = make_post(author, "Bientôt masqué")
    follow(ana, author)
    reader = visit(ana)
    assert "Bientôt masqué" in reader.get("/").get_data(as_text=True)
    set_hidden("influence.post", post.id, True, moderator, "règle 1")
    for path in ("/", "/influence/", "/influence/all", f"/influence/members/{author.handle}"):
        assert "Bientôt masqué" not in reader.get(path).get_data(as_text=True), path


def test_language_and_time_zone_of_the_reader(app, make_member, make_post, visit):
    author, ana = make_member(handle="author"), make_member(handle="ana", timezone="Europe/Paris")
    post = make_post(author, "Bonjour")
    post.created_at = post.created_at.replace(hour=12, minute=0)
    db.session.commit()
    follow(ana, author)
    reader = visit(ana)
    english = card_of(reader.get("/").get_data(as_text=True), post.id)
    assert "Like" in english and "Report" in english
    ana.locale = "fr"
    db.session.commit()
    french = card_of(reader.get("/").get_data(as_text=True), post.id)
    assert "J'aime" in french and "Signaler" in french and "Like" not in french
    assert "13:00" in french or "14:00" in french  # noon UTC in Paris
    ana.timezone = "America/New_York"
    db.session.commit()
    new_york = card_of(reader.get("/").get_data(as_text=True), post.id)
    assert "07:00" in new_york or "08:00" in new_york


def test_a_renamed_author_is_shown_with_the_new_name(app, make_member, make_post, visit):
    author, ana = make_member(handle="author", display_name="Ancien Nom"), make_member()
    post = make_post(author, "Signé")
    follow(ana, author)
    reader = visit(ana)
    assert "Ancien Nom" in card_of(reader.get("/").get_data(as_text=True), post.id)
    author.display_name = "Nouveau Nom"
    db.session.commit()
    card = card_of(reader.get("/").get_data(as_text=True), post.id)
    assert "Nouveau Nom" in card and "Ancien Nom" not in card


def test_conversation_page_counts_each_reaction_and_keeps_edit_for_the_author(app, make_member, make_post, visit):
    author, ana = make_member(handle="author"), make_member(handle="ana")
    post = make_post(author, "Conversation")
    author_client, ana_client = visit(author), visit(ana)
    ana_client.get(f"/influence/posts/{post.id}")
    ana_client.post(f"/influence/posts/{post.id}/react", data={"kind": "thanks"})
    author_page = author_client.get(f"/influence/posts/{post.id}").get_data(as_text=True)
    ana_page = ana_client.get(f"/influence/posts/{post.id}").get_data(as_text=True)
    assert re.search(r"🙏</span> Thanks 1</button>", card_of(author_page, post.id))
    assert f"/influence/posts/{post.id}/edit" in author_page and f"/influence/posts/{post.id}/edit" not in ana_page
    assert f"/influence/posts/{post.id}/delete" not in ana_page


def test_the_cache_is_bounded(app, make_member, make_post, visit):
    store = cards.cache()
    store.size = 3
    author = make_member()
    for i in range(6):
        make_post(author, f"Message {i}")
    visit(author).get("/")
    assert len(store) == 3


def test_more_hidden_items_than_the_slack_still_fill_the_page(app, make_member, make_post):
    from community.moderation.service import set_hidden

    me, friend, moderator = make_member(), make_member(), make_member(role="moderator")
    follow(me, friend)
    posts = [make_post(friend, f"Numéro {i}") for i in range(20)]
    for post in posts[-(service.HIDDEN_SLACK + 4):]:  # the newest ones, more than the slack
        set_hidden("influence.post", post.id, True, moderator, "règle 1")
    visible = posts[: 20 - service.HIDDEN_SLACK - 4]
    with app.test_request_context():
        page = service.home_feed(me, limit=5)
        assert [a.obj.body for a in page] == [p.body for p in reversed(visible)][:5]
        older = service.home_feed(me, before=page[-1].id, limit=5)
        assert [a.obj.body for a in older] == [p.body for p in reversed(visible)][5:8]


def test_a_page_view_writes_nothing(app, make_member, make_post, visit):
    author, ana = make_member(), make_member()
    follow(ana, author)
    make_post(author, "Lu sans écrire #lecture")
    reader = visit(ana)
    reader.get("/")
    for path in ("/", "/influence/", "/influence/all", "/influence/topics/lecture"):
        with QueryCounter(db.engine) as counter:
            assert reader.get(path).status_code == 200
        writes = [s for s in counter.statements if s.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE",
                                                                                           "DELETE")]
        assert writes == [], (path, writes)


def test_counts_changed_elsewhere_show_at_once(app, make_member, make_post, visit):
    """Counts come from the row itself: a change made by another process shows at once."""
    author, ana = make_member(), make_member()
    post = make_post(author, "Compté")
    follow(ana, author)
    reader = visit(ana)
    reader.get("/")
    db.session.execute(InfluencePost.__table__.update().where(InfluencePost.id == post.id).values(
        reaction_count=7, created_at=post.created_at - timedelta(days=1)))
    db.session.commit()
    assert "7 reactions" in card_of(reader.get("/").get_data(as_text=True), post.id)
    assert db.session.scalar(select(InfluencePost.reaction_count).where(InfluencePost.id == post.id)) == 7


def test_home_page_queries_do_not_grow_with_the_page_or_the_data(app, make_member, make_post, visit):
    """Issue #3: at most 8 SQL statements for the logged-in home page (2 now), whatever the data."""
    from modules.influence import announcements

    me, moderator = make_member(), make_member(role="organiser")
    friends = [make_member() for _ in range(3)]
    for friend in friends:
        follow(me, friend)
    for i in range(5):
        make_post(friends[i % 3], f"Début {i}")
    reader = visit(me)

    def count() -> int:
        reader.get("/")
        with QueryCounter(db.engine) as counter:
            assert reader.get("/").status_code == 200
        return counter.count

    few = count()
    for i in range(45):
        post = make_post(friends[i % 3], f"Suite {i}")
        reader.post(f"/influence/posts/{post.id}/react", data={"kind": "like"})
    # The issue allows 8. Here the page makes 2: the member's login (with the unread count, the
    # module switches, the stored settings and the memberships), then the feed with its posts
    # (group items of the reader's own groups add nothing, see test_groups.py). Held so that a
    # change that adds one shows.
    assert count() == few <= 2
    # An announcement addressed to the member costs one query (their dismissals), no more.
    announcements.create(moderator, title="Réunion", body="Jeudi")
    assert count() == few + 1


def test_a_relay_in_the_feed_shows_who_relayed_and_their_comment(app, make_member, make_post, visit):
    author, relayer, fan = make_member(handle="author"), make_member(handle="relayer"), make_member()
    post = make_post(author, "À faire circuler", audience="members")
    follow(fan, relayer)
    relayed = visit(relayer).post(f"/influence/posts/{post.id}/relay", data={"comment": "À lire <vite>"})
    assert relayed.status_code == 302
    page = visit(fan).get("/").get_data(as_text=True)
    item = page[page.index('<div class="activity activity--post"'):]
    assert "relayed by" in item and "/members/relayer" in item
    assert '<p class="relay-comment">« À lire &lt;vite&gt; »</p>' in item
    assert "&lt;div" not in page and "&lt;article" not in page


def test_the_feed_of_a_member_of_several_groups(app, make_member, make_post, visit):
    """The feed's statement is built once with a list parameter for the groups: any number works."""
    from community.registry import registry

    me, other = make_member(handle="insider"), make_member()
    rooms = ["collaboration:group:1", "collaboration:group:2", "collaboration:group:3"]
    module = registry.get("collaboration")
    saved = module.audiences, module.post_audiences
    module.audiences = lambda member: rooms if member.handle == "insider" else []
    module.post_audiences = lambda member: [(room, room) for room in rooms] if member.handle == "insider" else []
    try:
        for room in rooms:
            make_post(other, f"Dans {room}", audience=room)
        make_post(other, "Ailleurs", audience="collaboration:group:4")
        page = visit(me).get("/")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert all(f"Dans {room}" in text for room in rooms) and "Ailleurs" not in text
        with app.test_request_context():
            assert len(service.home_feed(me)) == 3 and service.home_feed(other) == []  # not in these groups
    finally:
        module.audiences, module.post_audiences = saved


def test_the_first_page_read_from_a_floor_is_the_exact_page(app, make_member, make_post):
    """home_feed remembers the lowest id of a full first page and reads the next first page from
    there: whatever changed since (new posts, an unfollow, hidden posts, a new follow), the page
    is the one the whole feed gives, with one query more only when the floor leaves too few rows."""
    from community.members.service import unfollow
    from community.moderation.service import set_hidden

    me, ana, bob, cleo, moderator = (make_member(), make_member(), make_member(), make_member(),
                                     make_member(role="moderator"))
    follow(me, ana)
    follow(me, bob)
    old = [make_post(bob, f"Ancien {i}") for i in range(6)]
    for i in range(40):
        make_post(ana, f"Ana {i}")

    def page(limit: int = 10) -> tuple[list[int], int]:
        """The first page's activity ids, and the statements that read the feed."""
        with app.test_request_context(), QueryCounter(db.engine) as counter:
            ids = [a.id for a in service.home_feed(me, limit=limit)]
        return ids, len([s for s in counter.statements if "FROM activity" in s])

    def exact() -> list[int]:
        kept = dict(service._floors()._items)
        service._floors().clear()
        ids = page()[0]
        service._floors().clear()
        service._floors()._items.update(kept)  # the floor as it was before this check
        return ids

    def activity_of(post) -> int:
        return db.session.scalar(select(Activity.id).where(Activity.verb == "influence.post",
                                                           Activity.object_id == str(post.id)))

    first, _count = page()
    floor = service._floors().get((me.id,))  # a full window: its lowest id is kept (below the page's)
    assert floor is not None and floor[0] < min(first)
    assert page() == (first, 1)
    for i in range(3):
        make_post(bob, f"Nouveau {i}")
    ids, count = page()
    assert ids == exact() and count == 1  # from the floor: one statement
    unfollow(me, ana)  # most rows above the floor go: read again without it
    db.session.commit()
    ids, count = page()
    assert ids == exact() and count == 2
    assert {activity_of(old[0]), activity_of(old[5])} <= set(ids)  # bob's old posts, below the floor
    follow(me, ana)
    follow(me, cleo)
    db.session.commit()
    page()
    newer = [make_post(cleo, f"Cléo {i}") for i in range(4)]
    ids, count = page()
    assert ids == exact() and count == 1 and {activity_of(p) for p in newer} <= set(ids)
    shown = [db.session.get(Activity, activity_id) for activity_id in ids]
    posts = [int(a.object_id) for a in shown if a.verb == "influence.post"]
    assert len(posts) > service.HIDDEN_SLACK
    for post_id in posts[:service.HIDDEN_SLACK + 1]:  # more hidden than the slack, above the floor
        set_hidden("influence.post", post_id, True, moderator, "règle 1")
    ids, _count = page()
    assert ids == exact() and len(ids) == 10
