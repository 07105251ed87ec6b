"""The life of each pair: proposal and answers, agreement, meetings, knowledge moved, advocacy,
check-ins, concerns, and the nomination that carries a reverse mentor into sponsorship."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from twofold.relationships.meeting_clock import meeting_clock_refresh

# What a relationship's stored meeting clock is computed from, on its own row.
CLOCK_INPUTS = frozenset({"started_at", "last_met_at", "programme", "programme_id"})


class RelationshipState(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    ENDED_EARLY = "ended_early", "Ended early"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    # A proposal nobody answered because one of the two left the organisation (end_reason says so).
    WITHDRAWN = "withdrawn", "Withdrawn"


# The only ways a relationship's state may change; services move along these edges with a
# compare-and-set update, so two requests can never both win.
RELATIONSHIP_TRANSITIONS: dict[str, tuple[str, ...]] = {
    RelationshipState.PROPOSED: (
        RelationshipState.ACTIVE,
        RelationshipState.DECLINED,
        RelationshipState.EXPIRED,
        RelationshipState.WITHDRAWN,
    ),
    RelationshipState.ACTIVE: (RelationshipState.COMPLETED, RelationshipState.ENDED_EARLY),
    RelationshipState.COMPLETED: (),
    RelationshipState.ENDED_EARLY: (),
    RelationshipState.DECLINED: (),
    RelationshipState.EXPIRED: (),
    RelationshipState.WITHDRAWN: (),
}
OPEN_STATES = (RelationshipState.PROPOSED, RelationshipState.ACTIVE)
# A pair counts as "paired before" for programmes that do not repeat pairs from the moment it is
# proposed, unless the proposal was turned down or ran out: an open proposal counts, or the same two
# could be proposed in two programmes at once and end up active twice. The engine's bulk exclusions
# and the one-pair check of relationship_propose both read this.
PAIRED_BEFORE_STATES = (
    RelationshipState.PROPOSED,
    RelationshipState.ACTIVE,
    RelationshipState.COMPLETED,
    RelationshipState.ENDED_EARLY,
)


class Answer(models.TextChoices):
    PENDING = "pending", "Not answered"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class Relationship(models.Model):
    """One mentor–mentee (or sponsor–protégé) pair in a programme.

    ``mentor`` gives (the junior mentor in reverse mentoring, the sponsor in sponsorship) and
    ``mentee`` receives (the senior mentee, the protégé). The partial unique constraint keeps a
    mentee in at most one open relationship per programme; mentor seats are counted on the
    mentor's enrolment, whose check constraint caps them at capacity.
    """

    programme = models.ForeignKey("programmes.Programme", on_delete=models.CASCADE, related_name="relationships")
    mentor = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="relationships_as_mentor")
    mentee = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="relationships_as_mentee")
    mentor_enrolment = models.ForeignKey("programmes.Enrolment", on_delete=models.PROTECT, related_name="+")
    mentee_enrolment = models.ForeignKey("programmes.Enrolment", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=20, choices=RelationshipState.choices, default=RelationshipState.PROPOSED)
    score = models.FloatField(default=0)
    breakdown = models.JSONField(default=dict, blank=True)
    # The weight of each score component when the pair was scored (the most it could add), so that
    # "why you were matched" reads the breakdown as the review board did, whatever the policy is now.
    weights = models.JSONField(default=dict, blank=True)
    # Asked for by the mentee (participant choice) rather than proposed by a match run or a manager:
    # the mentee's asking is their acceptance, and the mentor always answers.
    requested_by_mentee = models.BooleanField(default=False, db_default=False)
    mentor_answer = models.CharField(max_length=10, choices=Answer.choices, default=Answer.PENDING)
    mentee_answer = models.CharField(max_length=10, choices=Answer.choices, default=Answer.PENDING)
    proposed_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=500, blank=True)
    ended_by = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rematch_requested = models.BooleanField(default=False)
    # Set when a programme manager extends the pair beyond its planned end: the last day it runs.
    extended_until = models.DateField(null=True, blank=True)
    # Derived, kept by the meeting services: the latest held meeting and how many were held, so that
    # "who is behind on meetings" and "meetings held" across thousands of pairs read one row per pair
    # rather than half a million meetings.
    last_met_at = models.DateTimeField(null=True, blank=True, editable=False)
    meetings_held = models.PositiveIntegerField(default=0, editable=False)
    # Derived, kept equal to its one definition (``twofold.relationships.meeting_clock``) by every
    # write to ``last_met_at``, ``started_at`` or a cadence: when the next meeting is due and when
    # the pair turns idle, so that the health page reads the pairs behind on meetings off an index.
    meeting_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    idle_from = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-proposed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "mentee"],
                condition=Q(state__in=["proposed", "active"]),
                name="relationship_one_open_per_mentee",
            ),
            models.UniqueConstraint(
                fields=["programme", "mentor", "mentee"],
                condition=Q(state__in=["proposed", "active"]),
                name="relationship_pair_open_once",
            ),
            models.CheckConstraint(condition=~Q(mentor=models.F("mentee")), name="relationship_two_people"),
        ]
        indexes = [
            models.Index(fields=["programme", "state"], name="relationship_programme_state"),
            # The health page: a programme's pairs by state, overdue and idle, and the ids of the
            # overdue in due order (any page of them), all from the index alone.
            models.Index(
                fields=["programme", "state", "meeting_due_at"],
                include=["idle_from", "id"],
                name="relationship_meeting_due",
            ),
            models.Index(fields=["mentor", "state"], name="relationship_mentor_state"),
            models.Index(fields=["mentee", "state"], name="relationship_mentee_state"),
        ]

    def __str__(self) -> str:
        return f"Relationship {self.pk}: {self.mentor_id} → {self.mentee_id} ({self.state})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, and write the meeting clock again when what it is computed from may have changed."""
        update_fields = kwargs.get("update_fields")
        if update_fields is None and self.started_at is None and self.last_met_at is None:
            # Not started and never met (a proposal): no clock, and no second query to say so.
            self.meeting_due_at = self.idle_from = None
            super().save(*args, **kwargs)
            return
        super().save(*args, **kwargs)
        if update_fields is None or not CLOCK_INPUTS.isdisjoint(update_fields):
            meeting_clock_refresh(Relationship.objects.filter(pk=self.pk))

    def involves(self, person_id: int | None) -> bool:
        return person_id is not None and person_id in (self.mentor_id, self.mentee_id)

    def partner_of(self, person_id: int) -> int:
        return self.mentee_id if person_id == self.mentor_id else self.mentor_id


class Agreement(models.Model):
    """What the pair agree at the start: goals, how often they meet, and (reverse mentoring)
    that what is said stays between them."""

    relationship = models.OneToOneField(Relationship, on_delete=models.CASCADE, related_name="agreement")
    goals = models.TextField(blank=True)
    cadence_days = models.PositiveSmallIntegerField(default=14)
    confidentiality = models.TextField(blank=True)
    mentor_accepted_at = models.DateTimeField(null=True, blank=True)
    mentee_accepted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Agreement of relationship {self.relationship_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, and write the pair's meeting clock again when the cadence may have changed."""
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "cadence_days" not in update_fields:
            return
        pair = self._state.fields_cache.get("relationship")
        if pair is not None and pair.started_at is None and pair.last_met_at is None:
            return  # the pair at hand has no clock yet (a proposal's agreement)
        meeting_clock_refresh(Relationship.objects.filter(pk=self.relationship_id))

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        """Delete; the pair's clock falls back to the programme's cadence."""
        relationship_id = self.relationship_id
        deleted = super().delete(*args, **kwargs)
        meeting_clock_refresh(Relationship.objects.filter(pk=relationship_id))
        return deleted

    @property
    def accepted_by_both(self) -> bool:
        return self.mentor_accepted_at is not None and self.mentee_accepted_at is not None


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class Meeting(models.Model):
    """A meeting of the pair, planned or held. Private notes live apart (``PrivateNote``)."""

    relationship = models.ForeignKey(Relationship, on_delete=models.CASCADE, related_name="meetings")
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=45)
    status = models.CharField(max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.HELD)
    location = models.CharField(max_length=200, blank=True)
    skills = models.ManyToManyField("people.Skill", blank=True, related_name="+")
    shared_note = models.TextField(blank=True, help_text="Seen by both people in the pair.")
    created_by = models.ForeignKey("people.Person", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "pk"]
        indexes = [
            models.Index(fields=["relationship", "starts_at"], name="meeting_relationship_time"),
            # "When did this pair last meet?" — asked for every pair on health pages and by reminders.
            models.Index(fields=["relationship", "-starts_at"], condition=Q(status="held"), name="meeting_held_latest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5) & Q(duration_minutes__lte=600), name="meeting_duration_range"
            )
        ]

    def __str__(self) -> str:
        return f"Meeting of relationship {self.relationship_id} at {self.starts_at:%Y-%m-%d %H:%M}"


class PrivateNote(models.Model):
    """A note only its author ever sees; no selector returns another person's."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="private_notes")
    author = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "author"], name="private_note_one_per_author")]

    def __str__(self) -> str:
        return f"Private note on meeting {self.meeting_id}"


class Direction(models.TextChoices):
    MENTOR_TO_MENTEE = "mentor_to_mentee", "Mentor taught mentee"
    MENTEE_TO_MENTOR = "mentee_to_mentor", "Mentee taught mentor"


class KnowledgeTransfer(models.Model):
    """A skill that moved between the two, with proficiency (0–4) before and after."""

    relationship = models.ForeignKey(Relationship, on_delete=models.CASCADE, related_name="knowledge_transfers")
    skill = models.ForeignKey("people.Skill", on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=20, choices=Direction.choices, default=Direction.MENTOR_TO_MENTEE)
    proficiency_before = models.PositiveSmallIntegerField()
    proficiency_after = models.PositiveSmallIntegerField()
    note = models.TextField(blank=True)
    recorded_on = models.DateField()
    recorded_by = models.ForeignKey("people.Person", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(proficiency_before__lte=4) & Q(proficiency_after__lte=4), name="knowledge_proficiency_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.skill_id} {self.proficiency_before}→{self.proficiency_after}"


class AdvocacyKind(models.TextChoices):
    STRETCH_ASSIGNMENT = "stretch_assignment", "Stretch assignment"
    NOMINATION = "nomination", "Nomination"
    INTRODUCTION = "introduction", "Introduction to their network"
    VISIBILITY = "visibility", "Visibility or showcase"
    PROMOTION_ADVOCACY = "promotion_advocacy", "Promotion advocacy"
    SPEAKING = "speaking", "Speaking opportunity"
    COMMITTEE = "committee", "Committee or board exposure"
    OTHER = "other", "Other"


class AdvocacyOutcome(models.TextChoices):
    PENDING = "pending", "Outcome not known yet"
    SUCCEEDED = "succeeded", "Came through"
    DID_NOT_SUCCEED = "did_not_succeed", "Did not come through"


class AdvocacyAction(models.Model):
    """Something a sponsor did for their protégé: the evidence that sponsorship is more than talk."""

    relationship = models.ForeignKey(Relationship, on_delete=models.CASCADE, related_name="advocacy_actions")
    kind = models.CharField(max_length=30, choices=AdvocacyKind.choices)
    happened_on = models.DateField()
    description = models.TextField()
    outcome = models.CharField(max_length=20, choices=AdvocacyOutcome.choices, default=AdvocacyOutcome.PENDING)
    outcome_note = models.TextField(blank=True)
    recorded_by = models.ForeignKey("people.Person", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-happened_on", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.happened_on}"


class CheckInPoint(models.TextChoices):
    FIT = "fit", "Fit check after the first meeting"
    MIDPOINT = "midpoint", "Mid-point"
    END = "end", "End"
    CLOSING = "closing", "Closing survey"


class CheckIn(models.Model):
    """A short pulse from one side at one point: satisfaction, psychological safety, progress (1–5)."""

    relationship = models.ForeignKey(Relationship, on_delete=models.CASCADE, related_name="check_ins")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    point = models.CharField(max_length=20, choices=CheckInPoint.choices)
    satisfaction = models.PositiveSmallIntegerField()
    psychological_safety = models.PositiveSmallIntegerField(help_text="I can speak openly in this relationship.")
    progress = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    would_recommend = models.BooleanField(null=True, blank=True, help_text="Closing survey only.")
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["-submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["relationship", "person", "point"], name="check_in_once_per_point"),
            models.CheckConstraint(
                condition=Q(satisfaction__gte=1, satisfaction__lte=5)
                & Q(psychological_safety__gte=1, psychological_safety__lte=5)
                & Q(progress__gte=1, progress__lte=5),
                name="check_in_scores_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_point_display()} check-in by {self.person_id}"


class ConcernStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Concern(models.Model):
    """A worry raised with the programme managers, never shown to the partner."""

    relationship = models.ForeignKey(Relationship, on_delete=models.CASCADE, related_name="concerns")
    raised_by = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    status = models.CharField(max_length=20, choices=ConcernStatus.choices, default=ConcernStatus.OPEN)
    resolution = models.TextField(blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="concern_status")]

    def __str__(self) -> str:
        return f"Concern {self.pk} ({self.status})"


class Nomination(models.Model):
    """A senior mentee putting their junior mentor forward for a sponsorship programme.

    The pathway (reverse mentoring → sponsorship) is what later analysis of the talent pipeline
    follows; ``enrolment`` is the candidacy it created in the sponsorship programme.
    """

    source = models.ForeignKey(Relationship, on_delete=models.CASCADE, related_name="nominations")
    nominee = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="nominations_received")
    nominator = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    programme = models.ForeignKey("programmes.Programme", on_delete=models.CASCADE, related_name="nominations")
    enrolment = models.ForeignKey(
        "programmes.Enrolment", null=True, blank=True, on_delete=models.SET_NULL, related_name="nominations"
    )
    statement = models.TextField(help_text="Why the nominator puts this person forward.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["nominee", "programme"], name="nomination_once_per_programme")]

    def __str__(self) -> str:
        return f"Nomination of {self.nominee_id} to programme {self.programme_id}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """The secret address of a person's iCalendar feed of meetings; rotating it revokes the old one."""

    person = models.OneToOneField("people.Person", on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.person_id}"


class PairEventKind(models.TextChoices):
    NUDGED = "nudged", "Nudged to meet"
    ENDED = "ended", "Ended by a programme manager"
    REMATCH = "rematch", "Ended to re-match"
    EXTENDED = "extended", "End date extended"


class PairEvent(models.Model):
    """What a programme manager did to a pair, kept in the pair's log and shown to both of them.

    ``text`` is written for the pair: it names what happened, never a concern or a check-in answer.
    """

    relationship = models.ForeignKey(Relationship, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=PairEventKind.choices)
    text = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["relationship", "kind", "created_at"], name="pair_event_lookup")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on relationship {self.relationship_id}"


class ReminderSent(models.Model):
    """What was reminded when, so that a daily run never sends the same reminder twice.

    A run claims a reminder (``pending``, naming its process) before it hands it to the mail server
    and clears ``pending`` once the server took it. A claim whose process died in between is
    released by the next run and sent then: ``pending`` rows were never confirmed sent.
    """

    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=100, help_text="What it was about, e.g. relationship:12:meeting_due.")
    recipient = models.EmailField()
    sent_on = models.DateField()
    pending = models.BooleanField(default=False, help_text="Claimed by a run, not yet taken by the mail server.")
    claimed_by = models.CharField(max_length=200, blank=True, help_text="host:pid of the run that claimed it.")
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "key", "recipient", "sent_on"], name="reminder_once_a_day")
        ]
        indexes = [models.Index(fields=["kind", "key", "recipient"], name="reminder_lookup")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} on {self.sent_on}"
