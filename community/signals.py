"""Every blinker signal of Terreau, in one place. Modules subscribe through Module.subscriptions.

Each signal is sent *after* the transaction that caused it has committed.
"""

from __future__ import annotations

import functools

from blinker import Namespace

_signals = Namespace()

activity_published = _signals.signal("activity-published")
"""Sender: the Flask app. kwargs: ``activity`` (an Activity, committed)."""

member_registered = _signals.signal("member-registered")
"""Sender: the Flask app. kwargs: ``member`` (the new Member)."""

member_followed = _signals.signal("member-followed")
"""Sender: the Flask app. kwargs: ``follower_id``, ``followed_id`` (ints)."""

member_unfollowed = _signals.signal("member-unfollowed")
"""Sender: the Flask app. kwargs: ``follower_id``, ``followed_id`` (ints)."""

member_suspended = _signals.signal("member-suspended")
"""Sender: the Flask app. kwargs: ``member_id`` (int), ``by_id`` (int or None)."""

member_erased = _signals.signal("member-erased")
"""Sender: the Flask app. kwargs: ``member_id`` (int). Modules anonymise what they hold."""

role_changed = _signals.signal("role-changed")
"""Sender: the Flask app. kwargs: ``member_id`` (int), ``old`` and ``new`` (role names)."""

content_hidden = _signals.signal("content-hidden")
"""Sender: the Flask app. kwargs: ``content_type`` (str), ``content_id`` (str), ``hidden`` (bool)."""

module_toggled = _signals.signal("module-toggled")
"""Sender: the Flask app. kwargs: ``name`` (str), ``enabled`` (bool)."""

_connected = False


def connect_module_subscriptions(registry) -> None:
    """Connect each module's receivers, wrapped so they do nothing while the module is off."""
    global _connected
    if _connected:
        return
    _connected = True
    for module in registry:
        for signal, receivers in module.subscriptions.items():
            for receiver in receivers:
                signal.connect(_only_when_enabled(registry, module.name, receiver), weak=False)


def _only_when_enabled(registry, name, receiver):
    @functools.wraps(receiver)
    def wrapper(sender, **kwargs):
        if registry.is_enabled(name):
            return receiver(sender, **kwargs)
        return None

    return wrapper
