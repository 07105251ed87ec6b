"""The programmes' actions, registered with :mod:`twofold.accounts.permissions` when the app loads."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from twofold.accounts import permissions as p


def can_answer_invitation(user: Any, enrolment: Any) -> bool:
    """An invitation is answered by the person invited."""
    return p.can_act_for(user, enrolment.person)


def can_withdraw_enrolment(user: Any, enrolment: Any) -> bool:
    """Leaving a programme: the person themselves, or a manager of the programme."""
    return p.can_act_for(user, enrolment.person) or p.can_manage_programme(user, enrolment.programme)


def enrolments_below(person: Any, enrolments: QuerySet[Any]) -> QuerySet[Any]:
    """``enrolments`` narrowed to those of people below ``person`` in the management tree."""
    return enrolments.filter(person__tree_left__gt=person.tree_left, person__tree_left__lt=person.tree_right)


def approvable_enrolments(user: Any, enrolments: QuerySet[Any]) -> QuerySet[Any]:
    """``enrolments`` narrowed to the applications ``user`` may approve: those of people below them
    in the management tree (their manager or anyone above), in person: an approval records who gave
    it, so an account without a directory entry, or the command line, approves none.

    As a query, so that a page looks up an id and the right to it in one go."""
    signed_in = user is not None and user.is_authenticated and user.is_active
    person = getattr(user, "person", None) if signed_in else None
    return enrolments.none() if person is None else enrolments_below(person, enrolments)


def can_approve_enrolment(user: Any, enrolment: Any) -> bool:
    return approvable_enrolments(user, type(enrolment)._default_manager.filter(pk=enrolment.pk)).exists()


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
    p.register("enrolments.approve", can_approve_enrolment, refusal="No such application waiting for you.", hidden=True)
