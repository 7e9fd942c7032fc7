"""publish(): the one way to announce that something happened (ARCHITECTURE §3).

It stores an Activity row and its notifications in the current transaction, commits, and only
then emits the Socket.IO events, sends the e-mails members asked for and fires the signal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from flask import current_app, request, url_for
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import Text, and_, bindparam, func, select, true, type_coerce

from . import fragments, signals
from .database import after_commit, prepared, run, wants_write
from .extensions import db
from .models import Activity, EmailPreference, HiddenContent, Member, Notification
from .registry import ActivityKind, Module, registry, shared_kind

CORE_KINDS: dict[str, ActivityKind] = {
    "core.follow": shared_kind("activity/core_follow.html", _l("Someone follows you")),
    "core.role": shared_kind("activity/core_role.html", _l("Your role changed")),
    "core.hidden": shared_kind("activity/core_hidden.html", _l("A moderator hid your content")),
}


def _object_ref(obj: Any) -> tuple[str | None, str | None]:
    """(type, id): the type is a content kind "<module>.<kind>", so hiding content hides its activities.
    A model declares it as ``content_type``; a (type, id) pair gives it directly."""
    if obj is None:
        return None, None
    if isinstance(obj, tuple):
        return obj[0], str(obj[1])
    return getattr(obj, "content_type", obj.__tablename__), str(obj.id)


def publish(
    actor: Member | None,
    verb: str,
    obj: Any = None,
    *,
    audience: str = "members",
    notify: Iterable[int] = (),
    data: dict | None = None,
    commit: bool = True,
) -> Activity:
    """Store ``actor verb obj`` for ``audience``, notify ``notify`` (member ids), then emit after commit.

    ``verb`` is "<module>.<kind>"; ``obj`` a model instance or a (type, id) pair; ``audience``
    is "public", "members", "member:<id>" or a module room ("<module>:<kind>:<id>").
    """
    object_type, object_id = _object_ref(obj)
    actor_id = actor.id if actor else None
    activity = Activity(
        actor_id=actor_id,
        verb=verb,
        module=registry.module_of_verb(verb),
        object_type=object_type,
        object_id=object_id,
        audience=audience,
        data=data or {},
    )
    db.session.add(activity)
    db.session.flush()
    recipients = sorted({int(m) for m in notify if m is not None and m != actor_id})
    if recipients:
        db.session.execute(
            Notification.__table__.insert(),
            [{"member_id": m, "activity_id": activity.id, "kind": verb, "created_at": activity.created_at}
             for m in recipients],
        )
    activity_id = activity.id
    app = current_app._get_current_object()
    after_commit(lambda: _after_commit(app, activity_id, verb, audience, recipients, actor_id))
    if commit:
        db.session.commit()
    return activity


def _after_commit(app, activity_id: int, verb: str, audience: str, recipients: list[int],
                  actor_id: int | None) -> None:
    from . import realtime

    with app.app_context():
        realtime.emit_activity(activity_id, verb, audience, actor_id)
        if recipients:
            counts = unread_counts(recipients)
            for member_id in recipients:
                realtime.emit_to_member(
                    member_id, "notification", {"activity_id": activity_id, "unread": counts.get(member_id, 0)}
                )
            _email_notifications(activity_id, verb, recipients)
        activity = db.session.get(Activity, activity_id)
        signals.activity_published.send(app, activity=activity)



def enabled_module_filter(column):
    """A WHERE clause keeping rows of the core and enabled modules. With every module on, no
    clause at all: an ``IN`` on the module column would lure the planner onto the module index."""
    disabled = [m.name for m in registry if not registry.is_enabled(m.name)]
    return column.notin_(disabled) if disabled else true()


def notifications_query(member_id: int):
    """A member's notifications from the core and enabled modules (a disabled module's wait)."""
    return (select(Notification).join(Activity, Activity.id == Notification.activity_id)
            .where(Notification.member_id == member_id, enabled_module_filter(Activity.module)))


def unread_counts(member_ids: list[int]) -> dict[int, int]:
    """Unread notifications per member (core and enabled modules), in one query."""
    disabled = tuple(m.name for m in registry if not registry.is_enabled(m.name))
    statement = prepared(("activity.unread_counts", disabled), lambda: (
        select(Notification.member_id, func.count())
        .join(Activity, Activity.id == Notification.activity_id)
        .where(Notification.member_id.in_(bindparam("ids", expanding=True)), Notification.read_at.is_(None),
               enabled_module_filter(Activity.module))
        .group_by(Notification.member_id)))
    return dict(run(statement, {"ids": list(member_ids)}).all())


def unread_count(member_id: int) -> int:
    return unread_counts([member_id]).get(member_id, 0)


def unread_for(member) -> int:
    """The logged-in member's unread count for the page header. The user loader read the count
    of every module's unread notifications with the login; it is the answer when every module is
    on and the request only reads (nothing in it can have marked or added a notification since).
    Otherwise the count is asked for, without the switched-off modules' notifications."""
    known = getattr(member, "unread_all", None)
    if known is not None and not wants_write() and all(registry.enabled_map().values()):
        return known
    return unread_count(member.id)


def email_enabled(member_id: int, kind: str) -> bool:
    pref = db.session.get(EmailPreference, (member_id, kind))
    if pref is not None:
        return pref.enabled
    activity_kind = registry.activity_kind(kind)
    return bool(activity_kind and activity_kind.email_default)


def email_wanted(member_ids: list[int], kind: str) -> set[int]:
    """Those of ``member_ids`` who want this kind's e-mails (their choice, else the kind's default),
    in one query per CHUNK ids: email_enabled() for many members, e.g. a reminders job."""
    activity_kind = registry.activity_kind(kind)
    default = bool(activity_kind and activity_kind.email_default)
    wanted: set[int] = set()
    for start in range(0, len(member_ids), CHUNK):
        chunk = member_ids[start:start + CHUNK]
        prefs = dict(db.session.execute(select(EmailPreference.member_id, EmailPreference.enabled).where(
            EmailPreference.kind == kind, EmailPreference.member_id.in_(chunk))).all())
        wanted.update(m for m in chunk if prefs.get(m, default))
    return wanted


def set_email_enabled(member_id: int, kind: str, enabled: bool) -> None:
    """Record a member's choice for one kind's e-mails (caller commits); e.g. "remind me" on a sign-up form."""
    pref = db.session.get(EmailPreference, (member_id, kind))
    if pref is None:
        db.session.add(EmailPreference(member_id=member_id, kind=kind, enabled=enabled))
    else:
        pref.enabled = enabled


CHUNK = 500  # ids per IN (...) list: far below SQLite's and PostgreSQL's parameter limits


def _email_notifications(activity_id: int, verb: str, recipients: list[int]) -> None:
    """Mail the recipients who want this kind by e-mail, each in their language; sent in the background."""
    from .mail import send_later

    activity = db.session.get(Activity, activity_id)
    base = current_app.config["TERREAU_BASE_URL"].rstrip("/")
    mails = []
    for start in range(0, len(recipients), CHUNK):
        wanted = email_wanted(recipients[start:start + CHUNK], verb)
        if not wanted:
            continue
        for member in db.session.scalars(select(Member).where(Member.id.in_(wanted), Member.erased_at.is_(None),
                                                               Member.suspended_at.is_(None))):
            with force_locale(member.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
                text = activity_text(activity, viewer=member)
                body = gettext("%(text)s\n\nSee it on %(url)s\n\nTo stop these e-mails: %(prefs)s",
                               text=text, url=f"{base}/notifications", prefs=f"{base}/profile/notifications")
                mails.append((member.email, f"[{current_app.config['TERREAU_NAME']}] {text}", body))
    send_later(mails)


class Person:
    """A member's public face as feeds show it (name, handle, avatar, erasure): what an activity
    row carries of its actor, without the ORM."""

    __slots__ = ("id", "handle", "display_name", "avatar", "erased_at")

    def __init__(self, id, handle, display_name, avatar, erased_at):  # noqa: A002 - the column's name
        self.id, self.handle, self.display_name, self.avatar, self.erased_at = (
            id, handle, display_name, avatar, erased_at)


class ActivityRow:
    """An activity read for display: the row's columns and its actor's ``Person``, as plain
    values. Kinds' templates and preloads read them like an ``Activity`` (``obj`` and the other
    attributes preloads set included). A feed page reads about 30 activities: as ORM objects with
    their actors they cost about 0.8 ms of CPU more per page (bench/http_pages.py).

    ``data`` is decoded from its JSON text when first read: a feed reads a few more rows than it
    shows, and a post item never reads it."""

    __slots__ = ("id", "actor_id", "verb", "module", "object_type", "object_id", "audience", "_data",
                 "_data_text", "created_at", "actor", "__dict__")

    def __init__(self, row):
        (self.id, self.actor_id, self.verb, self.module, self.object_type, self.object_id, self.audience,
         self._data_text, self.created_at) = row[:9]
        self.actor = Person(*row[9:14]) if row[9] is not None else None

    @property
    def data(self):
        try:
            return self._data
        except AttributeError:
            text = self._data_text
            # SQLite gives the column's text; a driver that decodes JSON itself (psycopg) the value
            self._data = json.loads(text) if isinstance(text, str) else text
            return self._data

    def datum(self, key: str):
        """``data.get(key)``, without decoding the JSON text when the key is not in it (a feed's
        kinds look for keys most items do not have)."""
        text = self._data_text
        if isinstance(text, str) and f'"{key}"' not in text:
            return None
        return (self.data or {}).get(key)

    @data.setter
    def data(self, value) -> None:
        self._data = value
        self._data_text = None  # no longer what was stored (see _data_key)

    @property
    def kind(self) -> str:
        return self.verb.split(".", 1)[1] if "." in self.verb else self.verb


def datum(activity, key: str):
    """``activity.data.get(key)`` for an ``Activity`` or an ``ActivityRow`` (which may not need to
    decode its data for it: ``ActivityRow.datum``)."""
    if isinstance(activity, ActivityRow):
        return activity.datum(key)
    return (activity.data or {}).get(key)


def activity_row_columns():
    """The columns an ``ActivityRow`` is built from, in its order; select them with
    ``.outerjoin(Member, Member.id == Activity.actor_id)``. The JSON ``data`` comes as the
    database gives it (see ActivityRow.data)."""
    return (Activity.id, Activity.actor_id, Activity.verb, Activity.module, Activity.object_type,
            Activity.object_id, Activity.audience, type_coerce(Activity.data, Text), Activity.created_at,
            Member.id, Member.handle, Member.display_name, Member.avatar, Member.erased_at)


def preload(activities: list[Activity]) -> list[Activity]:
    """Let each kind load the objects of its activities in one query (no N+1); returns the list."""
    by_verb: dict[str, list[Activity]] = {}
    for activity in activities:
        activity.obj = None
        by_verb.setdefault(activity.verb, []).append(activity)
    loaders: dict[Callable, list[Activity]] = {}
    for verb, items in by_verb.items():
        kind = registry.activity_kind(verb)
        if kind and kind.preload:
            loaders.setdefault(kind.preload, []).extend(items)
    for loader, items in loaders.items():
        loader(items)
    return activities


def activity_text(activity: Activity, viewer=None) -> str:
    """A one-line plain-text description (as ``viewer`` would read it), for e-mails and text alternatives."""
    return " ".join(render_activity(activity, mode="text", viewer=viewer).striptags().split())


def render_activity(activity: Activity, mode: str = "feed", viewer=None, **context) -> Markup:
    """Render one activity with its kind's template, or the generic one for unknown kinds.
    ``context`` passes extra variables (e.g. the viewer's reactions) to the kind's template."""
    return ActivityRenderer(viewer, mode).render(activity, context)


class ActivityRenderer:
    """Renders activities for one reader in one mode. What is the same for every item of a page
    (the reader, the fragment cache, the language and zone) is looked up once, not per item: a
    feed page renders about 20."""

    __slots__ = ("viewer", "mode", "authenticated", "store", "reader", "kinds")

    def __init__(self, viewer=None, mode: str = "feed"):
        self.viewer = viewer = viewer or current_user._get_current_object()
        self.mode = mode
        self.authenticated = bool(viewer.is_authenticated)
        self.store = fragments.cache()
        self.reader = fragments.reader()
        self.kinds: dict[str, ActivityKind | None] = {}  # by verb, for this page

    def render(self, activity, context: dict | None = None) -> Markup:
        return Markup(self.html(activity, context))

    def html(self, activity, context: dict | None = None) -> str:
        """``render`` as a plain string (already escaped), for a caller that joins many."""
        verb = activity.verb
        try:
            kind = self.kinds[verb]
        except KeyError:
            kind = self.kinds[verb] = registry.activity_kind(verb)
        viewer, mode = self.viewer, self.mode
        if kind is not None and kind.cache_key is not None and mode != "text":
            # Shared by readers (community/fragments.py): the key holds all the template shows.
            key = ("activity", activity.id, verb, mode, fragments.person(activity.actor),
                   _data_key(activity), self.authenticated, kind.cache_key(activity, viewer), *self.reader)
            parts = self.store.kept(key, lambda: _render_activity(kind, activity, mode, viewer, context or {}))
            if len(parts) != 1:
                raise ValueError(f"{verb}: an activity's template must leave no slot")  # none is filled here
            return parts[0]
        return _render_activity(kind, activity, mode, viewer, context or {})


def _data_key(activity) -> str:
    """An activity's data as part of a fragment's key: for a feed's ``ActivityRow``, the JSON text as
    stored (an item whose template does not need its data is then never decoded); else the repr
    of the value. The prefix keeps the two forms apart."""
    text = getattr(activity, "_data_text", None)
    return "j" + text if isinstance(text, str) else "r" + repr(activity.data)


def _render_activity(kind, activity: Activity, mode: str, viewer, context: dict) -> Markup:
    templates = [kind.template] if kind and kind.template else []
    templates.append("activity/generic.html")
    # Rendered straight from the environment: render_template() would run every context
    # processor again for each item of a feed. The kinds' templates get what they need here.
    # Markup: the templates already escaped their values; a plain str would be escaped twice
    # when a page includes it with {{ render_activity(...) }}.
    template = current_app.jinja_env.get_or_select_template(templates)
    # The objects behind the proxies: a feed's templates read them dozens of times each, and every
    # read through a proxy looks up the context again (bench/http_pages.py, home page).
    return Markup(template.render(activity=activity, mode=mode, current_user=viewer,
                                  request=request._get_current_object(), **context))


def audience_member_ids(audience: str) -> list[int] | None:
    """The members of a module room ("<module>:<kind>:<id>"), asked of the module that owns it;
    None when that module is off or cannot say."""
    module = registry.get(audience.split(":", 1)[0])
    if module is None or not registry.is_enabled(module.name):
        return None
    members = module.audience_members(audience)
    return None if members is None else sorted(set(members))


def visible_audiences(member: Member) -> list[str]:
    """Audiences a member may see: everyone's, their own, and those enabled modules grant."""
    audiences = ["public", "members", f"member:{member.id}"]
    for module in registry.enabled():
        audiences.extend(module.audiences(member))
    return audiences


def module_audiences_of(member_ids: list[int]) -> dict[int, list[str]]:
    """The audiences enabled modules grant each of many members (their groups' rooms…), beyond the
    public, members and own ones: in a few queries for modules that declare ``audiences_of_many``."""
    result: dict[int, list[str]] = {member_id: [] for member_id in member_ids}
    members = None
    for module in registry.enabled():
        if module.audiences is Module.audiences:  # the default: no audience of its own
            continue
        if module.audiences_of_many is not None:
            for member_id, audiences in module.audiences_of_many(member_ids).items():
                result.setdefault(member_id, []).extend(audiences)
            continue
        if members is None:
            members = [m for start in range(0, len(member_ids), CHUNK) for m in db.session.scalars(
                select(Member).where(Member.id.in_(member_ids[start:start + CHUNK])))]
        for member in members:
            result[member.id].extend(module.audiences(member))
    return result


def visible_activities(member: Member, *, after: int | None = None, before: int | None = None,
                       limit: int = 20, actor_id: int | None = None):
    """Activities the member may see, of enabled modules, not hidden: newest first (``before``,
    keyset pages), or oldest first when ``after`` is given (catching up since a known id)."""
    query = (
        select(Activity)
        .outerjoin(
            HiddenContent,
            and_(HiddenContent.content_type == Activity.object_type, HiddenContent.content_id == Activity.object_id),
        )
        .where(
            enabled_module_filter(Activity.module),
            Activity.audience.in_(visible_audiences(member)),
            HiddenContent.content_id.is_(None),
        )
    )
    if actor_id is not None:
        query = query.where(Activity.actor_id == actor_id)
    return preload(list(db.session.scalars(keyset(query, Activity.id, before=before, after=after).limit(limit))))


def keyset(query, column, *, before: int | None = None, after: int | None = None):
    """Keyset pagination on an increasing id: newest first below ``before``, or oldest first
    above ``after`` (catching up since a known id). No OFFSET: every page costs the same."""
    if after is not None:
        return query.where(column > after).order_by(column.asc())
    if before is not None:
        query = query.where(column < before)
    return query.order_by(column.desc())


def hidden_filter(content_type_col, content_id_col):
    """A WHERE clause excluding hidden content, for modules' own queries."""
    return ~select(HiddenContent.content_id).where(
        HiddenContent.content_type == content_type_col, HiddenContent.content_id == content_id_col
    ).exists()


def activity_label(activity: Activity) -> str:
    """The kind's label when it has one (translated), else the verb itself."""
    kind = registry.activity_kind(activity.verb)
    return str(kind.label) if kind and kind.label else activity.verb


def activity_url(activity: Activity) -> str | None:
    endpoint = (activity.data or {}).get("endpoint")
    if not endpoint:
        return None
    try:
        return url_for(endpoint, **(activity.data.get("args") or {}))
    except Exception:  # noqa: BLE001 - a module switched off or renamed its endpoint: no link
        return None


