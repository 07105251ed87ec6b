"""Writes to relationships: proposals and their answers, the pair's life, ending, completion, and the
nomination that carries a junior mentor from reverse mentoring into sponsorship.

How races are kept out:

- A state change is a compare-and-set (``UPDATE … WHERE id = … AND state = <expected>``) along
  :data:`RELATIONSHIP_TRANSITIONS`; when no row changes, another request won and this one is refused.
- Decisions that read before they write take row locks first, always in the same order, so two
  requests cannot deadlock: the relationship row, then enrolment rows (by primary key), then person
  rows (by primary key). ``relationship_propose`` starts at the enrolments.
- The database has the last word: the enrolment's ``seats_taken <= capacity`` check and the partial
  unique index "one open relationship per mentee per programme" hold even if the code above failed.

On SQLite ``select_for_update`` does nothing, but writers are serialised by the ``IMMEDIATE``
transactions the settings ask for, so the same reads-then-writes are safe there too.

The writes are split along their seams: a relationship's life in :mod:`.proposing`, :mod:`.answering`,
:mod:`.ending` (ending early, completing) and :mod:`.nominating` (the bridge into sponsorship),
:mod:`.pair_log` (the agreement, meetings, notes, knowledge transfer, advocacy) and
:mod:`.check_ins` (check-ins and concerns), :mod:`.managing` (what a programme manager does to one
pair: nudge, end to re-match, pick a partner, extend), :mod:`.choosing` (who may choose a partner now), on
the shared steps of :mod:`.steps`. Callers import them from here.
"""

from __future__ import annotations

from twofold.relationships.errors import RelationshipForbidden, RelationshipRuleBroken, RelationshipStateConflict
from twofold.relationships.request_limit import request_limit_refusal
from twofold.relationships.services.answering import relationship_answer, relationships_expire
from twofold.relationships.services.check_ins import check_in_submit, concern_raise, concern_update
from twofold.relationships.services.choosing import choosing_refusal, enrolments_choosing
from twofold.relationships.services.ending import relationship_complete, relationship_end
from twofold.relationships.services.managing import (
    relationship_end_by_manager,
    relationship_extend,
    relationship_nudge,
    relationship_pick_partner,
)
from twofold.relationships.services.nominating import nomination_create
from twofold.relationships.services.pair_log import (
    OUTCOME_NOTE_MAX_LENGTH,
    advocacy_action_record,
    advocacy_action_set_outcome,
    agreement_accept,
    agreement_update,
    knowledge_transfer_record,
    meeting_log,
    meeting_schedule,
    meeting_update,
    private_note_set,
    relationship_last_met_refresh,
)
from twofold.relationships.services.proposing import (
    pair_refusal,
    participant_refusal,
    relationship_propose,
    relationship_request,
    relationship_request_withdraw,
    require_participant_choice,
)
from twofold.relationships.services.steps import (
    CHECK_IN_SCORE,
    DEFAULT_CONFIDENTIALITY,
    MEETING_DURATION,
    MEETING_STATUS_CHANGES,
    PAIRED_STATES,
    PROPOSING_STATES,
)

__all__ = [
    "CHECK_IN_SCORE",
    "DEFAULT_CONFIDENTIALITY",
    "MEETING_DURATION",
    "MEETING_STATUS_CHANGES",
    "OUTCOME_NOTE_MAX_LENGTH",
    "PAIRED_STATES",
    "PROPOSING_STATES",
    "RelationshipForbidden",
    "RelationshipRuleBroken",
    "RelationshipStateConflict",
    "advocacy_action_record",
    "advocacy_action_set_outcome",
    "agreement_accept",
    "agreement_update",
    "check_in_submit",
    "choosing_refusal",
    "concern_raise",
    "concern_update",
    "enrolments_choosing",
    "knowledge_transfer_record",
    "meeting_log",
    "meeting_schedule",
    "meeting_update",
    "nomination_create",
    "pair_refusal",
    "participant_refusal",
    "private_note_set",
    "relationship_answer",
    "relationship_complete",
    "relationship_end",
    "relationship_end_by_manager",
    "relationship_extend",
    "relationship_last_met_refresh",
    "relationship_nudge",
    "relationship_pick_partner",
    "relationship_propose",
    "relationship_request",
    "relationship_request_withdraw",
    "relationships_expire",
    "request_limit_refusal",
    "require_participant_choice",
]
