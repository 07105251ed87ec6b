"""Programmes and who takes part in them (enrolments)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.text import capfirst


class ProgrammeKind(models.TextChoices):
    REVERSE_MENTORING = "reverse_mentoring", "Reverse mentoring"
    SPONSORSHIP = "sponsorship", "Sponsorship"


class ProgrammeState(models.TextChoices):
    DRAFT = "draft", "Draft"
    ENROLLING = "enrolling", "Enrolling"
    MATCHING = "matching", "Matching"
    RUNNING = "running", "Running"
    CLOSED = "closed", "Closed"


# The only ways a programme's state may change (see programme_transition).
PROGRAMME_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ProgrammeState.DRAFT: (ProgrammeState.ENROLLING, ProgrammeState.CLOSED),
    ProgrammeState.ENROLLING: (ProgrammeState.MATCHING, ProgrammeState.DRAFT, ProgrammeState.CLOSED),
    ProgrammeState.MATCHING: (ProgrammeState.RUNNING, ProgrammeState.ENROLLING, ProgrammeState.CLOSED),
    ProgrammeState.RUNNING: (ProgrammeState.MATCHING, ProgrammeState.CLOSED),
    ProgrammeState.CLOSED: (),
}


class Acceptance(models.TextChoices):
    TWO_SIDED = "two_sided", "Both people accept"
    ONE_SIDED = "one_sided", "Only the mentee or protégé accepts"


class MatchingMode(models.TextChoices):
    MANAGED = "managed", "Managed: programme managers run the matching and publish the pairs"
    PARTICIPANT_CHOICE = "participant_choice", "Participant choice: each mentee or protégé requests a partner"


class Programme(models.Model):
    """A cohort of one kind, with its eligibility rules, cadence and matching policy.

    The *giving* side (``mentor``: the junior mentor in reverse mentoring, the sponsor in
    sponsorship) has seats (``capacity``); the *receiving* side (``mentee``: the senior mentee, the
    protégé) is in at most one active relationship per programme.
    """

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=ProgrammeKind.choices)
    description = models.TextField(blank=True)
    state = models.CharField(max_length=20, choices=ProgrammeState.choices, default=ProgrammeState.DRAFT)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    # The last day people may accept an invitation or apply: those still invited are reminded once
    # shortly before (the daily run). Empty: no deadline, and no reminder.
    enrolment_closes_on = models.DateField(
        "enrolment closes on",
        null=True,
        blank=True,
        help_text="People still invited get one reminder a few days before. Leave empty for no deadline.",
    )
    duration_months = models.PositiveSmallIntegerField(default=6)
    cadence_days = models.PositiveSmallIntegerField(default=14, help_text="Meet every this many days.")
    # Eligibility. Reverse mentoring: mentors at or below mentor_max_level, mentees at or above
    # mentee_min_level. Sponsorship: sponsors at or above mentor_min_level (the influence level),
    # protégés high potential when required. Both: the mentee/mentor level gap within the band.
    mentor_min_level = models.PositiveSmallIntegerField(null=True, blank=True)
    mentor_max_level = models.PositiveSmallIntegerField(null=True, blank=True)
    mentee_min_level = models.PositiveSmallIntegerField(null=True, blank=True)
    mentee_max_level = models.PositiveSmallIntegerField(null=True, blank=True)
    min_level_gap = models.PositiveSmallIntegerField(default=0)
    max_level_gap = models.PositiveSmallIntegerField(null=True, blank=True)
    requires_high_potential = models.BooleanField(default=False)
    capacity = models.PositiveSmallIntegerField(default=1, help_text="Seats per mentor or sponsor.")
    requires_manager_approval = models.BooleanField(default=False)
    # Invite-only (confidential) programmes are listed to nobody under "Programmes you can join":
    # people come in by invitation or nomination only (see eligibility.application_problem).
    invite_only = models.BooleanField(
        "invite-only (confidential)",
        default=False,
        # In the database too, so that rows written by code that predates the column are not refused.
        db_default=False,
        help_text=(
            "Not listed under “Programmes you can join”, to anyone: people join only when you invite them "
            "or a senior leader nominates them. Needed when the programme asks for high potential, so that "
            "seeing it listed does not tell anyone they are flagged."
        ),
    )
    acceptance = models.CharField(max_length=20, choices=Acceptance.choices, default=Acceptance.TWO_SIDED)
    # Managed: match runs propose pairs, reviewed and published by the programme's managers.
    # Participant choice: each mentee or protégé is shown the partners the engine ranks best for them
    # and requests one (twofold.matchruns.choice); the partner accepts or declines. No match runs.
    matching_mode = models.CharField(
        "how pairs are made",
        max_length=20,
        choices=MatchingMode.choices,
        default=MatchingMode.MANAGED,
        db_default=MatchingMode.MANAGED,
        help_text=(
            "Participant choice: once matching starts, each mentee or protégé sees the partners that suit them "
            "best, with the reasons, and asks one; that partner accepts or declines. Every rule and seat limit "
            "still holds. Fixed once matching has started."
        ),
    )
    proposal_expiry_days = models.PositiveSmallIntegerField(default=10)
    allow_repeat_pairs = models.BooleanField(default=False)
    fairness_enabled = models.BooleanField(default=False)
    fairness_attribute = models.CharField(max_length=30, blank=True, default="gender")
    fairness_tolerance = models.FloatField(default=0.05)
    policy = models.JSONField(default=dict, blank=True, help_text="Matching weights overriding the kind's defaults.")
    checkin_after_first_meeting = models.BooleanField(default=True)
    checkin_at_midpoint = models.BooleanField(default=True)
    checkin_at_end = models.BooleanField(default=True)
    managers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="managed_programmes")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="programme_capacity_positive"),
            models.CheckConstraint(
                condition=Q(fairness_tolerance__gte=0) & Q(fairness_tolerance__lte=1),
                name="programme_fairness_tolerance_share",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(starts_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="programme_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_sponsorship(self) -> bool:
        return self.kind == ProgrammeKind.SPONSORSHIP

    @property
    def is_participant_choice(self) -> bool:
        return self.matching_mode == MatchingMode.PARTICIPANT_CHOICE

    @property
    def mentor_label(self) -> str:
        return "sponsor" if self.is_sponsorship else "mentor"

    @property
    def mentee_label(self) -> str:
        return "protégé" if self.is_sponsorship else "mentee"

    @property
    def role_titles(self) -> dict[str, str]:
        """Each role's label with a capital first letter, as a row of a table names it (Mentor,
        Mentee, Sponsor, Protégé), by role (an ``EnrolmentRole``)."""
        return {EnrolmentRole.MENTOR: capfirst(self.mentor_label), EnrolmentRole.MENTEE: capfirst(self.mentee_label)}


class EnrolmentRole(models.TextChoices):
    MENTOR = "mentor", "Mentor / sponsor"
    MENTEE = "mentee", "Mentee / protégé"


class EnrolmentStatus(models.TextChoices):
    INVITED = "invited", "Invited"
    PENDING_APPROVAL = "pending_approval", "Waiting for manager approval"
    ACTIVE = "active", "In the pool"
    WAITLISTED = "waitlisted", "Waitlisted"
    WITHDRAWN = "withdrawn", "Withdrawn"
    DECLINED = "declined", "Declined the invitation"
    REFUSED = "refused", "Not eligible"


class Enrolment(models.Model):
    """A person taking part in a programme in one role.

    ``seats_taken`` counts the proposed and active relationships of a mentor or sponsor; the check
    constraint keeps it within ``capacity`` however many requests race for the last seat.
    """

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="enrolments")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="enrolments")
    role = models.CharField(max_length=10, choices=EnrolmentRole.choices)
    status = models.CharField(max_length=20, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ACTIVE)
    status_reason = models.CharField(max_length=300, blank=True)
    goals = models.TextField(blank=True)
    focus_skills = models.ManyToManyField("people.Skill", blank=True, related_name="+")
    capacity = models.PositiveSmallIntegerField(default=1)
    seats_taken = models.PositiveSmallIntegerField(default=0)
    # Weekday slots the person can meet: bit 2*d is the morning, bit 2*d+1 the afternoon of day d
    # (Monday = 0). 0 means "not said", which matches anyone.
    availability = models.PositiveIntegerField(default=0)
    aspiration = models.CharField(
        max_length=200, blank=True, help_text="Protégé: where they want their career to go (e.g. a department)."
    )
    avoid = models.ManyToManyField("people.Person", blank=True, related_name="+", help_text="Never pair with these.")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    nominated_by = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="nominations_made"
    )
    approved_by = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["programme", "role", "person__name"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "person"], name="enrolment_once_per_programme"),
            models.CheckConstraint(condition=Q(seats_taken__lte=F("capacity")), name="enrolment_within_capacity"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="enrolment_capacity_positive"),
        ]
        indexes = [models.Index(fields=["programme", "role", "status"], name="enrolment_pool")]

    def __str__(self) -> str:
        return f"{self.person_id} as {self.role} in {self.programme_id}"

    @property
    def seats_free(self) -> int:
        return self.capacity - self.seats_taken


class EmailKind(models.TextChoices):
    """The emails a programme sends whose wording its managers may change."""

    INVITATION = "invitation", "Invitation"
    INVITATION_REMINDER = "invitation_reminder", "Invitation reminder"
    # Sent by the worker the moment a pair is proposed (a match run published, a manager's pick) or
    # a partner requested (participant choice, to the partner only).
    PROPOSAL_MADE = "proposal_made", "New proposal"
    PARTNER_REQUESTED = "partner_requested", "Partner requested"
    # The daily run's emails to a pair (their names are the reminders' kinds).
    PROPOSAL_AWAITING = "proposal_awaiting", "Proposal waiting for an answer"
    MEETING_UPCOMING = "meeting_upcoming", "Meeting coming up"
    MEETING_DUE = "meeting_due", "Next meeting due"
    RELATIONSHIP_IDLE = "relationship_idle", "Pair idle"
    CHECK_IN_DUE = "check_in_due", "Check-in due"


class ProgrammeEmail(models.Model):
    """A programme's own wording of one email (subject and body, with placeholders); without one the
    default wording (:mod:`twofold.programmes.emails`) is sent."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=30, choices=EmailKind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=5000)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["programme", "kind"], name="programme_email_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} of {self.programme_id}"


class EnrolmentEmailSent(models.Model):
    """One email of a kind sent about one enrolment, recorded before it goes: the invitation and its
    reminder each reach a person once, however many workers or runs race."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="emails_sent")
    kind = models.CharField(max_length=30, choices=EmailKind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enrolment", "kind"], name="enrolment_email_once")]

    def __str__(self) -> str:
        return f"{self.kind} about {self.enrolment_id}"
