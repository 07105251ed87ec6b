"""The report's action, registered with :mod:`twofold.accounts.permissions` when the app loads."""

from __future__ import annotations

from typing import Any

from twofold.accounts import permissions as p
from twofold.programmes.models import Programme, ProgrammeState


def can_request_report(user: Any, programme: Any) -> bool:
    """The board report of a started programme: for whoever may see its insights page (aggregates only)."""
    if not p.can_see_overview(user) or programme is None:
        return False
    started = Programme.objects.filter(pk=programme.pk).exclude(state=ProgrammeState.DRAFT)
    return p.insight_programmes(user, started).exists()


def register_rules() -> None:
    p.register(
        "insights.report",
        can_request_report,
        refusal="No such programme.",
        hidden=True,
    )
