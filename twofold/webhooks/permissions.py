"""The webhooks' actions, registered with :mod:`twofold.accounts.permissions` when the app loads:
endpoints outside Twofold hear about what happens in it, so only org admins decide which."""

from __future__ import annotations

from twofold.accounts import permissions as p


def register_rules() -> None:
    # Reading the pages is asked apart from changing anything, so the audit log records the changes
    # (and every refusal of one) without an entry for each look at the list.
    p.register("webhooks.view", p.can_administer, refusal="Webhooks are managed by org admins.")
    p.register("webhooks.manage", p.can_administer, refusal="Webhooks are managed by org admins.")
