"""Pages and feeds of the life of relationships, one module per audience.

- The relationship page, for the two people in the pair only: the proposal and its answers, why they
  were matched, the agreement, meetings (with each author's private note), knowledge transfer,
  advocacy actions, check-ins, raising a concern, nominating a reverse mentor for sponsorship,
  ending early and completing.
- "My programmes": a participant's invitations, enrolments, pairs, approvals and calendar.
- The programme managers' health page and concerns queue, and the pairs list with what a manager
  does to one pair (nudge, end, re-match, extend).
- The calendar feed, and rotating its secret address.

Every form posts to its own address. With htmx it gets back the fragment (``partials/``) of its
section; without JavaScript the same address redirects to the page with a flash message, or shows
the page again with the form's errors. The services hold the rules: a refusal is shown next to the
form (:class:`RelationshipRuleBroken`), answered with 403 (:class:`RelationshipForbidden`), or, when
someone else changed the relationship meanwhile (:class:`RelationshipStateConflict`), told in a flash
message while the page reloads.
"""

from __future__ import annotations

from twofold.relationships.views.managers import concern_handle, concern_list, programme_health_view
from twofold.relationships.views.page import (
    relationship_answer_view,
    relationship_detail,
    relationship_request_withdraw_view,
)
from twofold.relationships.views.pair_actions import (
    advocacy_add,
    advocacy_outcome,
    agreement_accept_view,
    agreement_edit,
    check_in_add,
    concern_add,
    knowledge_add,
    meeting_add,
    meeting_edit,
    meeting_list,
    meeting_plan,
    nominate,
    relationship_complete_view,
    relationship_end_view,
)
from twofold.relationships.views.pairs import (
    pair_detail,
    pair_end,
    pair_extend,
    pair_nudge,
    pairs_export,
    pairs_list,
    pick_partner,
)
from twofold.relationships.views.participant import calendar_feed, calendar_rotate, my_programmes

__all__ = [
    "advocacy_add",
    "advocacy_outcome",
    "agreement_accept_view",
    "agreement_edit",
    "calendar_feed",
    "calendar_rotate",
    "check_in_add",
    "concern_add",
    "concern_handle",
    "concern_list",
    "knowledge_add",
    "meeting_add",
    "meeting_edit",
    "meeting_list",
    "meeting_plan",
    "my_programmes",
    "nominate",
    "pair_detail",
    "pair_end",
    "pair_extend",
    "pair_nudge",
    "pairs_export",
    "pairs_list",
    "pick_partner",
    "programme_health_view",
    "relationship_answer_view",
    "relationship_complete_view",
    "relationship_detail",
    "relationship_end_view",
    "relationship_request_withdraw_view",
]
