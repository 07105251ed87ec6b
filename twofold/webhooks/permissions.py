"""The webhooks' actions, registered with :mod:`twofold.accounts.permissions` when the app loads:
endpoints outside Twofold hear about what happens in it, so only org admins decide which."""

from __future__ import annotations

from twofold.accounts import permissions as p


def register_rules() -> None:
    p.register("webhooks.manage", p.can_administer, refusal="Webhooks are managed by org admins.")
