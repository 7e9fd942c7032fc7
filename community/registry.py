"""The module contract, the registry of loaded modules, their runtime on/off state, the 404 guard.

Every module is always loaded (its blueprint registered at start-up); whether it is *enabled*
is read from the ``module_state`` table once per request, so a change made by one worker
process is seen by all of them on their next request.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Flask, abort, g, has_app_context, has_request_context, request
from sqlalchemy import JSON, Integer, String, Text, cast, func, literal, null, select, type_coerce, union_all

from .database import prepared, run
from .extensions import db
from .models.settings import ModuleState, Setting
from .timeutil import utcnow

NAME_RE = re.compile(r"^[a-z][a-z0-9]{1,30}$")
FAMILIES = ("influence", "collaboration", "coordination")
CORE = "core"


@dataclass(frozen=True)
class NavItem:
    """A menu entry, as data: the layout turns it into a link."""

    endpoint: str  # Flask endpoint name, e.g. "influence.feed"
    label: Any  # a lazy_gettext string
    section: str = "main"  # "main" (top bar), "user" (member menu) or "admin"
    order: int = 50  # smaller first


@dataclass(frozen=True)
class HomeWidget:
    """A block on the home page; ``context(member)`` returns the template's variables."""

    template: str  # e.g. "influence/widgets/trending.html"
    order: int = 50
    context: Callable[[Any], dict] | None = None
    slot: str = "side"  # "side" (the column) or "main" (replaces the core's recent-activity stream)
    # cache_key(context) -> tuple, for a template that shows only its context and what this tuple
    # holds of it: the block is then rendered once per key and language, and shared
    # (community/fragments.py). None: rendered on every view.
    cache_key: Callable[[dict], tuple] | None = None


@dataclass(frozen=True)
class ActivityKind:
    """How an activity verb is shown and whether it may e-mail its notifications."""

    template: str | None = None  # None: the core's generic template
    label: Any = None  # lazy string naming the kind in notification preferences
    email_default: bool = False  # e-mail notifications off by default (ARCHITECTURE: opt-in)
    # preload(activities) loads the objects of many activities of this kind in one query and sets
    # ``activity.obj`` on each, so a page renders N items with a constant number of queries.
    preload: Callable[[list], None] | None = None
    # cache_key(activity, viewer) -> tuple, for kinds whose template shows only the activity row,
    # its actor and what this tuple says of the preloaded objects and of the viewer: the feed and
    # notification HTML is then rendered once and shared (community/fragments.py). ``row_only``
    # is the key of templates that read nothing else. None: rendered on every view.
    cache_key: Callable[[Any, Any], tuple] | None = None


def row_only(activity, viewer) -> tuple:
    """ActivityKind.cache_key of templates that read only the activity row and its actor."""
    return ()


def shared_kind(template: str | None, label: Any = None, **options) -> ActivityKind:
    """An ActivityKind whose template reads only the activity row and its actor (``row_only``)."""
    return ActivityKind(template, label, cache_key=row_only, **options)


@dataclass(frozen=True)
class ContentKind:
    """A reportable kind of content. ``load(id)`` returns a ContentRef or None."""

    label: Any
    load: Callable[[str], ContentRef | None]


@dataclass(frozen=True)
class ContentRef:
    """What moderation shows of a piece of content; the link is built only when rendered."""

    title: str
    endpoint: str
    args: dict
    author_id: int | None
    excerpt: str = ""

    @property
    def url(self) -> str:
        from flask import url_for

        return url_for(self.endpoint, **self.args)


@dataclass(frozen=True)
class Job:
    """Periodic work. ``run(now)`` is called at most once per ``every`` across all processes."""

    name: str  # "<module>.<job>", the row in job_run
    every: timedelta  # minimum time between two starts
    run: Callable[[datetime], Any]  # run(now): does the work and commits; may return a summary for the CLI


@dataclass
class Module:
    """What a module declares in its ``modules/<name>/__init__.py`` as ``MODULE``."""

    name: str  # one slug: blueprint, URL prefix /<name>, templates <name>/, tables <name>_*, verbs <name>.*
    family: str  # one of FAMILIES; shown on the admin page and used by the assessment
    label: Any  # lazy string for the admin page
    description: Any  # lazy string for the admin page
    blueprint: Blueprint  # registered at start-up whatever the state; guarded by the 404 check
    default_enabled: bool = True  # state when module_state has no row for it
    requires: tuple[str, ...] = ()  # modules that must be on for this one to be on (cascade)
    # shown only while enabled; the result must depend only on the member's role and the modules'
    # settings: the menus are kept per role, module set and settings (community/web.py)
    nav_items: Callable[[Any], Iterable[NavItem]] = lambda member: ()
    home_widgets: tuple[HomeWidget, ...] = ()  # composed by the core home page while enabled
    # blocks on member profiles while enabled; HomeWidget.context(member) gets the profile's member
    profile_widgets: tuple[HomeWidget, ...] = ()
    activity_kinds: dict[str, ActivityKind] = field(default_factory=dict)  # verb → how it is shown
    content_kinds: dict[str, ContentKind] = field(default_factory=dict)  # "<name>.<kind>" → reportable
    settings: dict[str, Any] = field(default_factory=dict)  # defaults for the module's own settings
    probes: tuple[Callable, ...] = ()  # self-assessment contributions (ARCHITECTURE §6)
    subscriptions: dict[Any, Iterable[Callable]] = field(default_factory=dict)  # signal → receivers
    rooms: dict[str, Callable[[Any, str], bool]] = field(default_factory=dict)  # room kind → may join?
    audiences: Callable[[Any], Iterable[str]] = lambda member: ()  # extra activity audiences of a member
    # the same for many members at once: member ids → {id: audiences}, in a constant number of queries
    # (None: the core calls audiences(member) for each)
    audiences_of_many: Callable[[list[int]], dict[int, list[str]]] | None = None
    # (audience, label) pairs a member may address content to, e.g. their groups' rooms
    post_audiences: Callable[[Any], Iterable[tuple[str, Any]]] = lambda member: ()
    # audience_members(room) → ids of the members in one of this module's rooms, or None if unknown
    audience_members: Callable[[str], Iterable[int] | None] = lambda audience: None
    seed_demo: Callable[[Any], None] | None = None  # demo data, called by seed-demo
    on_enable: Callable[[], None] | None = None  # may add data, never delete it
    on_disable: Callable[[], None] | None = None  # may add data, never delete it
    delete_data: Callable[[], int] | None = None  # the separate, confirmed "delete this module's data"
    export_data: Callable[[Any], dict] | None = None  # a member's own data in this module, for their export
    exchange: Any = None  # its sections of the community file: a community.exchange.Exchange (docs/community-format.md)
    jobs: tuple[Job, ...] = ()  # periodic work (reminders…), run by community.jobs while the module is enabled
    # Read with the member's login, the one statement every logged-in page runs: login_columns(
    # member_id) gives scalar columns correlated to that column (e.g. database.json_rows of the
    # member's rows), take_login(member_id, values) keeps their values for this request.
    login_columns: Callable[[Any], tuple] | None = None
    take_login: Callable[[int, tuple], None] | None = None

    def tables(self) -> list[str]:
        """The module's tables: every table whose name starts with ``<name>_``."""
        return sorted(t for t in db.metadata.tables if t.startswith(f"{self.name}_"))


class Registry:
    """The loaded modules, in load order, and the per-request view of which are enabled."""

    def __init__(self) -> None:
        self.modules: dict[str, Module] = {}
        self._effective: dict[tuple, dict[str, bool]] = {}
        self._login_widths: tuple = ()

    def __iter__(self):
        return iter(self.modules.values())

    def __contains__(self, name: str) -> bool:
        return name in self.modules

    def get(self, name: str) -> Module | None:
        return self.modules.get(name)

    def add(self, module: Module) -> None:
        """Check the naming rule (one slug everywhere) and the contract, then keep the module."""
        problems = []
        if not NAME_RE.match(module.name) or module.name == CORE:
            problems.append(f"name {module.name!r} must be a lower-case slug other than 'core'")
        if module.family not in FAMILIES:
            problems.append(f"family {module.family!r} is not one of {FAMILIES}")
        if module.blueprint.name != module.name:
            problems.append(f"blueprint is named {module.blueprint.name!r}, not {module.name!r}")
        if module.blueprint.url_prefix != f"/{module.name}":
            problems.append(f"blueprint url_prefix is {module.blueprint.url_prefix!r}, not '/{module.name}'")
        for verb in module.activity_kinds:
            if not verb.startswith(f"{module.name}."):
                problems.append(f"activity verb {verb!r} must start with '{module.name}.'")
        for kind in module.content_kinds:
            if not kind.startswith(f"{module.name}."):
                problems.append(f"content kind {kind!r} must start with '{module.name}.'")
        if problems:
            raise RuntimeError(f"module {module.name}: " + "; ".join(problems))
        self.modules[module.name] = module

    def discover(self, package: str = "modules") -> None:
        """Import every sub-package of ``package`` that declares MODULE (the core names none)."""
        root = importlib.import_module(package)
        for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda i: i.name):
            mod = importlib.import_module(f"{package}.{info.name}")
            module = getattr(mod, "MODULE", None)
            if isinstance(module, Module):
                self.add(module)
        for module in self:
            for needed in module.requires:
                if needed not in self.modules:
                    raise RuntimeError(f"module {module.name} requires unknown module {needed}")

    # --- state -------------------------------------------------------------------------

    def stored_flags(self) -> dict[str, bool]:
        """Each module's own switch: its module_state row, else its default (one query)."""
        return self._flags(self.read_stored()[0])

    def _flags(self, rows: dict[str, bool]) -> dict[str, bool]:
        return {name: rows.get(name, m.default_enabled) for name, m in self.modules.items()}

    def read_stored(self) -> tuple[dict[str, bool], dict[str, dict[str, Any]]]:
        """The module switches (``module_state``) and the stored settings (``setting``, by
        module) in one statement: every page needs both. The request keeps each where its reader
        looks for it (``enabled_map`` and ``settings._all_stored``), unless already there."""
        statement = prepared("registry.stored", lambda: union_all(
            select(literal("module"), ModuleState.name, null(), cast(ModuleState.enabled, Integer),
                   type_coerce(null(), JSON)),
            select(literal("setting"), Setting.module, Setting.key, null(), Setting.value)))
        flags: dict[str, bool] = {}
        settings: dict[str, dict[str, Any]] = {}
        for kind, name, key, flag, value in run(statement):
            if kind == "module":
                flags[name] = bool(flag)
            else:
                settings.setdefault(name, {})[key] = value
        self._keep(flags, settings)
        return flags, settings

    def _keep(self, flags: dict[str, bool], settings: dict[str, dict[str, Any]]) -> None:
        """Keep what was read where this request's readers look for it (``enabled_map``,
        ``settings._all_stored``), unless already there."""
        if has_app_context():
            if "terreau_modules" not in g and has_request_context():
                g.terreau_modules = self.effective(self._flags(flags))
            if "terreau_settings" not in g:
                g.terreau_settings = settings

    # Separators for stored_columns(): control characters, which neither a module's slug, a
    # setting's key (an identifier) nor JSON text (it escapes them) can hold.
    _FIELD, _RECORD = "\x1f", "\x1e"

    def login_columns(self, member_id) -> tuple:
        """Every module's ``login_columns(member_id)``, in load order, for the login's statement
        (built once per process); ``take_login`` reads them back."""
        columns: list = []
        widths: list = []
        for module in self.modules.values():
            if module.login_columns is not None:
                found = tuple(module.login_columns(member_id))
                columns.extend(found)
                widths.append((module, len(found)))
        self._login_widths = tuple(widths)
        return tuple(columns)

    def take_login(self, member_id: int, values: Sequence) -> None:
        """Give each module the values of its ``login_columns``, in the same order."""
        start = 0
        for module, width in self._login_widths:
            module.take_login(member_id, tuple(values[start:start + width]))
            start += width

    def stored_columns(self):
        """The module switches and the stored settings as two text columns, for a statement that
        runs anyway (the member's login: community.auth.service): the same rows as
        ``read_stored``, one statement less per page. ``take_stored`` reads them back."""
        switches = select(func.aggregate_strings(
            ModuleState.name + "=" + cast(cast(ModuleState.enabled, Integer), String), ",")).scalar_subquery()
        values = select(func.aggregate_strings(
            Setting.module + self._FIELD + Setting.key + self._FIELD
            + func.coalesce(cast(Setting.value, Text), "null"), self._RECORD)).scalar_subquery()
        return switches.label("module_switches"), values.label("stored_settings")

    def take_stored(self, switches: str | None, values: str | None) -> None:
        """Keep for this request what ``stored_columns()`` read (as ``read_stored`` would have)."""
        flags: dict[str, bool] = {}
        for pair in switches.split(",") if switches else ():
            name, _, flag = pair.partition("=")
            flags[name] = flag == "1"
        settings: dict[str, dict[str, Any]] = {}
        for record in values.split(self._RECORD) if values else ():
            module, key, text = record.split(self._FIELD, 2)
            settings.setdefault(module, {})[key] = json.loads(text)
        self._keep(flags, settings)

    def effective(self, flags: dict[str, bool]) -> dict[str, bool]:
        """A module is on when its switch is on and every module it requires is on (worked out
        once per set of switches: every request asks)."""
        key = (tuple(flags.items()), tuple([m.requires for m in self.modules.values()]))
        found = self._effective.get(key)
        if found is None:
            if len(self._effective) > 64:
                self._effective.clear()
            found = self._effective[key] = self._work_out(flags)
        return dict(found)

    def _work_out(self, flags: dict[str, bool]) -> dict[str, bool]:
        result: dict[str, bool] = {}

        def on(name: str, seen: frozenset = frozenset()) -> bool:
            if name in result:
                return result[name]
            if name in seen:
                return False
            module = self.modules[name]
            value = flags.get(name, False) and all(on(r, seen | {name}) for r in module.requires)
            result[name] = value
            return value

        for name in self.modules:
            on(name)
        return result

    def enabled_map(self) -> dict[str, bool]:
        """The effective state, read once per request (cached on ``g``)."""
        if has_request_context():
            found = g.get("terreau_modules")
            if found is None:
                self.read_stored()  # keeps the effective states on g (and the settings, if not there)
                found = g.terreau_modules
            return found
        return self.effective(self.stored_flags())

    def is_enabled(self, name: str) -> bool:
        if name == CORE:
            return True
        return self.enabled_map().get(name, False)

    def enabled(self) -> list[Module]:
        states = self.enabled_map()
        return [m for m in self if states.get(m.name)]

    def why_disabled(self, name: str) -> list[str]:
        """The required modules that are off and so keep ``name`` off (for the admin page)."""
        states = self.enabled_map()
        return [r for r in self.modules[name].requires if not states.get(r)]

    def dependants(self, name: str) -> list[str]:
        return [m.name for m in self if name in m.requires]

    def set_enabled(self, name: str, enabled: bool, actor=None) -> None:
        """Switch a module (audit-logged). Data is never deleted; on_enable/on_disable may add."""
        from .models import record

        module = self.modules[name]
        row = db.session.get(ModuleState, name)
        was = row.enabled if row else module.default_enabled
        if row is None:
            row = ModuleState(name=name, enabled=enabled)
            db.session.add(row)
        row.enabled = enabled
        row.changed_at = utcnow()
        row.changed_by_id = actor.id if actor else None
        record(actor, "module.enable" if enabled else "module.disable", f"module:{name}", was=was)
        hook = module.on_enable if enabled else module.on_disable
        if hook and was != enabled:
            hook()
        db.session.commit()
        g.pop("terreau_modules", None)

    def module_of_verb(self, verb: str) -> str:
        return verb.split(".", 1)[0]

    def activity_kind(self, verb: str) -> ActivityKind | None:
        from .activity import CORE_KINDS

        if verb in CORE_KINDS:
            return CORE_KINDS[verb]
        module = self.modules.get(self.module_of_verb(verb))
        return module.activity_kinds.get(verb) if module else None

    def content_kind(self, content_type: str) -> ContentKind | None:
        from .moderation_kinds import CORE_CONTENT_KINDS

        if content_type in CORE_CONTENT_KINDS:
            return CORE_CONTENT_KINDS[content_type]
        module = self.modules.get(content_type.split(".", 1)[0])
        return module.content_kinds.get(content_type) if module else None


registry = Registry()


def guard_disabled_modules() -> None:
    """before_request: any endpoint (page, JSON, static) of a disabled module answers 404."""
    blueprint = request.blueprint
    if not blueprint:
        return
    name = blueprint.split(".", 1)[0]
    if name in registry and not registry.is_enabled(name):
        abort(404)


def init_app(app: Flask) -> None:
    """Load the modules, register every blueprint and the guard, wire the subscriptions."""
    from . import signals

    if not registry.modules:
        registry.discover()
    for module in registry:
        if module.blueprint.name not in app.blueprints:
            app.register_blueprint(module.blueprint)
    app.before_request(guard_disabled_modules)
    signals.connect_module_subscriptions(registry)
    app.extensions["terreau_registry"] = registry



def module_blueprint(name: str, import_name: str) -> Blueprint:
    """The blueprint a module declares: named ``name``, mounted at ``/<name>``, with its own
    ``templates/`` (holding ``<name>/…``) and ``static/`` (served at ``/<name>/static/…``)."""
    return Blueprint(name, import_name, url_prefix=f"/{name}", template_folder="templates",
                     static_folder="static", static_url_path="/static")
