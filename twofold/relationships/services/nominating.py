"""The bridge: the nomination that carries a junior mentor from reverse mentoring into sponsorship."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from twofold.people.models import Person
from twofold.programmes.enrolment_services import enrolment_nominate
from twofold.programmes.errors import ProgrammeRuleBroken
from twofold.programmes.models import Programme, ProgrammeKind
from twofold.relationships.errors import RelationshipForbidden, RelationshipRuleBroken
from twofold.relationships.models import Nomination, Relationship, RelationshipState
from twofold.relationships.selectors import NOMINATION_STATES
from twofold.relationships.services.steps import _acting_person, _fresh, _require_state, _text


@transaction.atomic
def nomination_create(
    *,
    relationship: Relationship,
    actor: Any,
    programme: Programme,
    statement: str,
    nominator: Person | None = None,
) -> Nomination:
    """A senior mentee nominates their junior mentor for a sponsorship programme.

    Only the mentee of an active or completed reverse-mentoring relationship may, into a
    sponsorship programme still taking candidates (enrolling, matching or running). The candidacy
    is created by :func:`twofold.programmes.enrolment_services.enrolment_nominate` with the nominator noted,
    and the nomination records the pathway for later analysis. A person is nominated once per
    programme.
    """
    source = _fresh(relationship)
    nominator = _acting_person(source, actor, "relationships.nominate", nominator)
    assert nominator is not None
    if source.programme.kind != ProgrammeKind.REVERSE_MENTORING:
        raise RelationshipRuleBroken(
            "Nominations come from reverse-mentoring relationships.", code="not_reverse_mentoring"
        )
    if nominator.pk != source.mentee_id:
        raise RelationshipForbidden(
            f"Only {source.mentee.name}, the mentee of this relationship, may nominate {source.mentor.name}.",
            code="not_the_mentee",
        )
    _require_state(source, RelationshipState.ACTIVE, RelationshipState.COMPLETED, action="nominate")
    target = Programme.objects.get(pk=programme.pk)
    if target.kind != ProgrammeKind.SPONSORSHIP:
        raise RelationshipRuleBroken(f"{target.name} is not a sponsorship programme.", code="not_sponsorship")
    if target.state not in NOMINATION_STATES:
        raise RelationshipRuleBroken(
            f"{target.name} is {target.get_state_display().lower()} and takes no candidates.", code="programme_closed"
        )
    text = _text(statement, field="The statement", code="statement_required")
    # One nomination of a person at a time: two mentees nominating the same person queue here.
    nominee = Person.objects.select_for_update().get(pk=source.mentor_id)
    if not nominee.active:
        raise RelationshipRuleBroken(f"{nominee.name} is no longer active in the directory.", code="inactive")
    earlier = Nomination.objects.filter(nominee=nominee, programme=target).select_related("nominator").first()
    if earlier is not None:
        raise RelationshipRuleBroken(
            f"{nominee.name} was already nominated for {target.name} by {earlier.nominator.name}.",
            code="already_nominated",
        )
    try:
        enrolment = enrolment_nominate(
            actor=actor, programme=target, person=nominee, nominated_by=nominator, statement=text
        )
    except ProgrammeRuleBroken as error:
        # One exception family for callers of this service (e.g. already enrolled, not eligible).
        raise RelationshipRuleBroken(str(error), code=error.code) from error
    return Nomination.objects.create(
        source=source, nominee=nominee, nominator=nominator, programme=target, enrolment=enrolment, statement=text
    )
