"""Why the pair was matched, and what the pair's forms offer: skills, programmes to nominate for."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from twofold.accounts.kept_queries import KeptQuery
from twofold.matching import PolicyError
from twofold.people.models import Skill
from twofold.programmes import why_matched
from twofold.programmes.matching_policy import programme_policy
from twofold.programmes.models import Programme, ProgrammeKind, ProgrammeState
from twofold.programmes.why_matched import MatchReason
from twofold.relationships.models import Nomination, Relationship

# A reverse mentor may be nominated into a sponsorship programme that can still take candidates.
NOMINATION_STATES = (ProgrammeState.ENROLLING, ProgrammeState.MATCHING, ProgrammeState.RUNNING)


def match_reasons(relationship: Relationship) -> list[MatchReason]:
    """Why the pair was matched, read as the review board read it (:mod:`twofold.programmes.why_matched`):
    the breakdown stored on the relationship over the weights it was scored with.

    Pairs proposed before the weights were stored with them are read with the programme's weights
    now (or, should its policy not hold, as shares).
    """
    programme = relationship.programme
    weights = relationship.weights
    if not weights and relationship.breakdown:
        try:
            weights = programme_policy(programme).weights.as_dict()
        except PolicyError:
            weights = {}
    return why_matched.match_reasons(
        breakdown=relationship.breakdown or {},
        weights=weights or {},
        mentor_label=programme.mentor_label,
        mentee_label=programme.mentee_label,
    )


def _skills() -> QuerySet[Skill]:
    return Skill.objects.order_by("category", "name")


def _no_samples() -> tuple[tuple[()], tuple[()]]:
    return (), ()


# Read by every page of the pair and every form posted to it that lists skills: its SQL built once
# per process (KeptQuery); it binds nothing.
SKILL_CATALOGUE = KeptQuery(Skill, _skills, parameters=(), samples=_no_samples)


def skill_catalogue() -> list[Skill]:
    """Every skill of the taxonomy, by category and name, for the pickers of the pair's forms."""
    return SKILL_CATALOGUE.objects()


@dataclass(frozen=True)
class NominationChoices:
    """What a senior mentee's nomination form needs: the nominations this relationship made, and the
    sponsorship programmes still taking candidates that their mentor has not been nominated for."""

    made: list[Nomination]
    programmes: list[Programme]


def nomination_choices(*, relationship: Relationship) -> NominationChoices:
    """Two queries, whatever the number of programmes and nominations."""
    made = list(
        Nomination.objects.filter(source=relationship).select_related("programme", "enrolment").order_by("created_at")
    )
    nominated_for = Nomination.objects.filter(nominee_id=relationship.mentor_id).values("programme")
    programmes = list(
        Programme.objects.filter(kind=ProgrammeKind.SPONSORSHIP, state__in=NOMINATION_STATES)
        .exclude(pk__in=nominated_for)
        .order_by("name", "pk")
    )
    return NominationChoices(made=made, programmes=programmes)
