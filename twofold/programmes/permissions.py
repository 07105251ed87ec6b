"""The programmes' actions, registered with :mod:`twofold.accounts.permissions` when the app loads."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from twofold.accounts import permissions as p
from twofold.programmes.models import Enrolment, Programme


def can_answer_invitation(user: Any, enrolment: Any) -> bool:
    """An invitation is answered by the person invited."""
    return p.can_act_for(user, enrolment.person)


def withdrawable_enrolments(user: Any, enrolments: QuerySet[Enrolment]) -> QuerySet[Enrolment]:
    """``enrolments`` narrowed to those ``user`` may withdraw: their own, and those of the programmes
    they manage (every one for the command line). As a query, so that an id one may not withdraw
    answers like an unknown one, after the same one query."""
    if p.is_command_line(user):
        return enrolments
    if not (user and user.is_authenticated and user.is_active):
        return enrolments.none()
    own = Q(person_id=user.person_id) if user.person_id is not None else Q(pk__in=[])
    return enrolments.filter(own | Q(programme__in=p.manageable_programmes(user, Programme.objects.all())))


def can_withdraw_enrolment(user: Any, enrolment: Any) -> bool:
    """Leaving a programme: the person themselves, or a manager of the programme."""
    return withdrawable_enrolments(user, Enrolment.objects.filter(pk=enrolment.pk)).exists()


def register_rules() -> None:
    p.register("programmes.create", p.can_create_programmes, refusal="Programmes are run by programme managers.")
    p.register("programmes.manage", p.can_manage_programme, refusal="No such programme.", hidden=True)
    p.register("enrolments.apply", p.can_act_for, refusal="People apply to programmes for themselves.", hidden=True)
    p.register(
        "enrolments.nominate",
        p.can_take_part_in_programmes,
        refusal="Only employees nominate people for programmes.",
    )
    p.register("enrolments.respond", can_answer_invitation, refusal="No such invitation waiting for you.", hidden=True)
    p.register("enrolments.withdraw", can_withdraw_enrolment, refusal="No such enrolment.", hidden=True)
    p.register(
        "enrolments.approve", p.can_decide_application, refusal="No such application waiting for you.", hidden=True
    )
