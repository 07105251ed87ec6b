"""Data-subject requests' actions, registered with :mod:`twofold.accounts.permissions` when the app loads.

The services record each decision themselves, with what was exported or erased, so they ask
:func:`~twofold.accounts.permissions.allowed` (which records nothing) rather than ``authorize``.
"""

from __future__ import annotations

from twofold.accounts import permissions as p

REFUSAL = "Only org admins answer data-subject requests."


def register_rules() -> None:
    for action in ("person.export", "person.erase", "person.erase_preview"):
        p.register(action, p.can_administer, refusal=REFUSAL, hidden=action == "person.export")
