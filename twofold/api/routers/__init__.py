"""Each resource's router, and the one translation of the domain's refusals into statuses."""

from __future__ import annotations

from ninja import NinjaAPI

from twofold.accounts.tokens import TokenRefused
from twofold.api.problems import ApiProblem
from twofold.people.services import DelegationRefused, ManagerCycle, SkillsRefused
from twofold.programmes.services import ProgrammeRuleBroken
from twofold.relationships.errors import RelationshipForbidden, RelationshipRuleBroken, RelationshipStateConflict

# Rule refusals that are about the state things are in (try again later, or never), not the values
# sent: 409. Every other rule refusal is 422.
CONFLICT_CODES = frozenset(
    {
        "already_enrolled",
        "closed",
        "not_enrolling",
        "not_open",
        "not_pending",
        "no_invitation",
        "state_changed",
        "transition_not_allowed",
        "run_in_progress",
        "run_not_ready",
        "pairs_changed",
        "run_not_editable",
        "already_published",
    }
)
# Rule refusals about who asks rather than what: 403, as the pages answer them.
FORBIDDING_CODES = frozenset({"not_an_employee"})
DOMAIN_ERRORS: tuple[type[Exception], ...] = (
    ProgrammeRuleBroken,
    RelationshipRuleBroken,
    TokenRefused,
    ManagerCycle,
    DelegationRefused,
    SkillsRefused,
)


def translate_domain_error(error: Exception) -> ApiProblem | None:
    """The problem a domain refusal answers as; None for anything else."""
    if isinstance(error, RelationshipForbidden):
        return ApiProblem(403, error.message, code=error.code)
    if isinstance(error, RelationshipStateConflict):
        return ApiProblem(409, error.message, code=error.code)
    if isinstance(error, RelationshipRuleBroken):
        return ApiProblem(422, error.message, code=error.code)
    if isinstance(error, ProgrammeRuleBroken) and error.code in FORBIDDING_CODES:
        return ApiProblem(403, str(error), code=error.code)
    if isinstance(error, ProgrammeRuleBroken):
        return ApiProblem(409 if error.code in CONFLICT_CODES else 422, str(error), code=error.code)
    if isinstance(error, DOMAIN_ERRORS):
        return ApiProblem(422, str(error), code="invalid")
    return None


def register_routers(api: NinjaAPI) -> None:
    from twofold.api.routers import (
        enrolments,
        insights,
        matchruns,
        nominations,
        pair_log,
        pairs,
        people,
        programmes,
        relationships,
    )

    api.add_router("", people.router, tags=["people"])
    api.add_router("/programmes", programmes.router, tags=["programmes"])
    api.add_router("", enrolments.router, tags=["enrolments"])
    api.add_router("", relationships.router, tags=["relationships and meetings"])
    api.add_router("", pair_log.router, tags=["knowledge, advocacy and check-ins"])
    api.add_router("", nominations.router, tags=["nominations"])
    api.add_router("", pairs.router, tags=["pairs (programme managers)"])
    api.add_router("", matchruns.router, tags=["match runs"])
    api.add_router("", insights.router, tags=["insights"])
