"""The programmes' actions, registered with :mod:`twofold.accounts.permissions` when the app loads."""

from __future__ import annotations

from typing import Any

from twofold.accounts import permissions as p


def can_answer_invitation(user: Any, enrolment: Any) -> bool:
    """An invitation is answered by the person invited."""
    return p.can_act_for(user, enrolment.person)


def can_withdraw_enrolment(user: Any, enrolment: Any) -> bool:
    """Leaving a programme: the person themselves, or a manager of the programme."""
    return p.can_act_for(user, enrolment.person) or p.can_manage_programme(user, enrolment.programme)


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
