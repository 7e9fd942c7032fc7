"""Module settings: defaults declared in Module.settings, changes stored as (module, key) rows."""

from __future__ import annotations

from typing import Any

from flask import g, has_app_context

from .extensions import db
from .models import Setting, record
from .registry import registry


def _all_stored() -> dict[str, dict[str, Any]]:
    """The stored values of every module, by module. Read in one query per request/app context
    (the table holds only the settings admins changed: a few rows), so pages that consult several
    modules' settings (menus, widgets) pay one query, not one per module."""
    cache = g.get("terreau_settings") if has_app_context() else None
    if cache is None:
        cache = registry.read_stored()[1]  # with the module switches: one statement for both
        if has_app_context():
            g.terreau_settings = cache
    return cache


def _stored(module: str) -> dict[str, Any]:
    """The stored values of one module (see ``_all_stored``)."""
    return _all_stored().get(module, {})


def settings_snapshot() -> str:
    """Every stored setting as one comparable value, from the same request-long read: a key part
    for what is kept across requests and depends on settings (e.g. the menus)."""
    return repr(sorted(_all_stored().items()))


def module_setting(module: str, key: str) -> Any:
    """The value of a module's setting: the stored one, else the module's declared default."""
    stored = _stored(module)
    if key in stored:
        return stored[key]
    return registry.get(module).settings[key]


def set_module_setting(module: str, key: str, value: Any, actor=None) -> None:
    """Store a setting (audit-logged); the caller commits."""
    if key not in registry.get(module).settings:
        raise KeyError(f"{module} has no setting {key!r}")
    row = db.session.get(Setting, (module, key))
    old = row.value if row else registry.get(module).settings[key]
    if row is None:
        db.session.add(Setting(module=module, key=key, value=value))
    else:
        row.value = value
    record(actor, "setting.change", f"{module}:{key}", old=old, new=value)
    if has_app_context():
        g.pop("terreau_settings", None)
