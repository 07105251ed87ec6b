"""The audit log's action, registered with :mod:`twofold.accounts.permissions` when the app loads."""

from __future__ import annotations

from twofold.accounts import permissions as p


def register_rules() -> None:
    p.register("audit.search", p.can_administer, refusal="The audit log is for org admins.")
