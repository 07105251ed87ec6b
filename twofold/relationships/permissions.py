"""The relationships' actions, registered with :mod:`twofold.accounts.permissions` when the app loads.

Everything either of a pair does is refused to anyone else with the answer an unknown relationship
gets (404): which pairs exist is not theirs to learn.
"""

from __future__ import annotations

from typing import Any

from twofold.accounts import permissions as p

# What either of a pair does in their relationship, one action each.
PAIR_ACTIONS = (
    "relationships.answer",
    "relationships.agreement",
    "relationships.meetings",
    "relationships.notes",
    "relationships.knowledge",
    "relationships.advocacy",
    "relationships.check_in",
    "relationships.raise_concern",
    "relationships.nominate",
)


def can_manage_pair(user: Any, relationship: Any) -> bool:
    """Nudging a pair, ending it to re-match, extending it: the managers of its programme and org admins."""
    return p.can_manage_programme(user, relationship.programme)


def can_request_partner(user: Any, enrolment: Any) -> bool:
    """Asking for a partner (participant choice): the mentee or protégé themselves, for their own
    enrolment."""
    return enrolment.role == "mentee" and p.can_act_for(user, enrolment.person)


def can_withdraw_request(user: Any, relationship: Any) -> bool:
    """Withdrawing a request for a partner (participant choice): the mentee or protégé who asked,
    themselves."""
    return p.can_act_for(user, relationship.mentee)


def register_rules() -> None:
    p.register("relationships.view", p.can_view_relationship, refusal="No such relationship.", hidden=True)
    for action in PAIR_ACTIONS:
        p.register(action, p.can_take_part_in, refusal="No such relationship.", hidden=True)
    for action in ("relationships.end", "relationships.complete"):
        p.register(action, p.can_end_relationship, refusal="No such relationship.", hidden=True)
    p.register(
        "relationships.propose",
        p.can_manage_programme,
        refusal="Pairs are proposed by the programme's managers.",
        hidden=True,
    )
    p.register(
        "relationships.request",
        can_request_partner,
        refusal="Only the mentee or protégé asks for a partner, for themselves.",
        hidden=True,
    )
    p.register(
        "relationships.withdraw_request",
        can_withdraw_request,
        refusal="Only the one who asked for a partner withdraws the request; the partner declines it.",
    )
    p.register(
        "relationships.manage",
        can_manage_pair,
        refusal="Pairs are looked after by their programme's managers.",
        hidden=True,
    )
    p.register(
        "relationships.act_for",
        p.is_command_line,
        refusal="People record what they did in their relationships themselves.",
    )
    p.register(
        "relationships.import",
        p.can_administer,
        refusal="Past relationships are imported by org admins.",
    )
    p.register("calendar.rotate", p.can_act_for, refusal="Only you change the address of your calendar.")
    p.register("concerns.list", p.can_handle_concerns, refusal="Concerns are handled by programme managers.")
    p.register("concerns.handle", p.can_handle_concern, refusal="No such concern.", hidden=True)
