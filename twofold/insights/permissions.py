"""The overview's action, registered with :mod:`twofold.accounts.permissions` when the app loads."""

from __future__ import annotations

from twofold.accounts import permissions as p


def register_rules() -> None:
    p.register(
        "overview.view",
        p.can_see_overview,
        refusal="The overview is for executives, programme managers and org admins.",
    )
    from twofold.insights.snapshots import can_refresh

    p.register(
        "insights.refresh",
        can_refresh,
        refusal="The insights of a programme are refreshed by those who may see them.",
        hidden=True,
    )
