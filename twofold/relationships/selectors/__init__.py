"""Reads of relationships, each in a fixed number of queries whatever the amount of data.

Two privacy rules shape these reads. A private note is returned to its author only: the pair's
page copies meetings into :class:`MeetingView` rows that carry the viewer's own note and nothing
that could reach the partner's. Concerns never appear in the pair's reads at all; they reach the
programme managers through :func:`concerns_for_managers` and their author through
:func:`concerns_raised_by`.
"""

from __future__ import annotations

from twofold.relationships.meeting_clock import IDLE_AFTER_CADENCES, PlusDays
from twofold.relationships.selectors.choices import (
    NOMINATION_STATES,
    NominationChoices,
    match_reasons,
    nomination_choices,
    skill_catalogue,
)
from twofold.relationships.selectors.clock import END_WINDOW, check_in_refusal, relationship_planned_end
from twofold.relationships.selectors.concerns import (
    OPEN_CONCERN_STATES,
    concern_programmes,
    concerns_for_managers,
    concerns_raised_about,
    concerns_raised_by,
)
from twofold.relationships.selectors.health import (
    ProgrammeHealth,
    programme_health,
    relationships_behind_on_meetings,
    relationships_meeting_clock,
    with_meeting_clock,
)
from twofold.relationships.selectors.page import (
    MEETINGS_PER_PAGE,
    MeetingView,
    RelationshipPage,
    UpcomingMeeting,
    meeting_held_on,
    relationship_page,
)
from twofold.relationships.selectors.partner import PartnerProfile, enrolment_profiles, partner_profile
from twofold.relationships.selectors.person import PersonRelationship, answer_awaited, relationships_of_person

__all__ = [
    "END_WINDOW",
    "IDLE_AFTER_CADENCES",
    "MEETINGS_PER_PAGE",
    "NOMINATION_STATES",
    "OPEN_CONCERN_STATES",
    "MeetingView",
    "NominationChoices",
    "PartnerProfile",
    "PersonRelationship",
    "PlusDays",
    "ProgrammeHealth",
    "RelationshipPage",
    "UpcomingMeeting",
    "answer_awaited",
    "check_in_refusal",
    "concern_programmes",
    "concerns_for_managers",
    "concerns_raised_about",
    "concerns_raised_by",
    "enrolment_profiles",
    "match_reasons",
    "meeting_held_on",
    "nomination_choices",
    "partner_profile",
    "programme_health",
    "relationship_page",
    "relationship_planned_end",
    "relationships_behind_on_meetings",
    "relationships_meeting_clock",
    "relationships_of_person",
    "skill_catalogue",
    "with_meeting_clock",
]
