"""Reads of relationships, each in a fixed number of queries whatever the amount of data.

Two privacy rules shape these reads. A private note is returned to its author only: the pair's
page copies meetings into :class:`MeetingView` rows that carry the viewer's own note and nothing
that could reach the partner's. Concerns never appear in the pair's reads at all; they reach the
programme managers through :func:`concerns_for_managers` and their author through
:func:`concerns_raised_by`.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    Expression,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from twofold.accounts.permissions import manageable_programmes
from twofold.dates import MOMENT_SPAN
from twofold.matching import PolicyError
from twofold.people.leavers import LEFT_THE_ORGANISATION
from twofold.people.models import Person, PersonSkill, Skill
from twofold.programmes import why_matched
from twofold.programmes.forms import AVAILABILITY_CHOICES, availability_bits
from twofold.programmes.matching_policy import programme_policy
from twofold.programmes.models import Acceptance, Enrolment, Programme, ProgrammeKind, ProgrammeState
from twofold.programmes.why_matched import MatchReason
from twofold.relationships.aggregates import CheckInScores, check_in_scores
from twofold.relationships.errors import RelationshipForbidden
from twofold.relationships.models import (
    AdvocacyAction,
    Agreement,
    Answer,
    CheckIn,
    CheckInPoint,
    Concern,
    ConcernStatus,
    KnowledgeTransfer,
    Meeting,
    MeetingStatus,
    Nomination,
    PairEvent,
    PrivateNote,
    Relationship,
    RelationshipState,
)

# "Near the end": the end-point check-in, and completion, open this long before the planned end.
END_WINDOW = timedelta(days=14)
OPEN_CONCERN_STATES = (ConcernStatus.OPEN, ConcernStatus.ACKNOWLEDGED)
# A reverse mentor may be nominated into a sponsorship programme that can still take candidates.
NOMINATION_STATES = (ProgrammeState.ENROLLING, ProgrammeState.MATCHING, ProgrammeState.RUNNING)


# --- the relationship's clock --------------------------------------------------------------------


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def relationship_planned_end(relationship: Relationship) -> datetime | None:
    """When an active relationship is due to end: its start plus the programme's duration, but no
    later than the end of the programme's cohort window, unless a programme manager extended it
    (``extended_until``). None before it starts."""
    if relationship.started_at is None:
        return None
    if relationship.extended_until is not None:
        # A programme manager let the pair run longer: to the end of that day, whatever the cohort's window.
        return timezone.make_aware(datetime.combine(relationship.extended_until + timedelta(days=1), time.min))
    programme = relationship.programme
    end = _add_months(relationship.started_at, programme.duration_months)
    if programme.ends_on is not None:
        window_end = timezone.make_aware(datetime.combine(programme.ends_on + timedelta(days=1), time.min))
        end = max(relationship.started_at, min(end, window_end))
    return end


def check_in_refusal(
    *, relationship: Relationship, point: str, has_held_meeting: bool, now: datetime
) -> tuple[str, str] | None:
    """Why ``point`` is not open to this relationship at ``now`` as ``(code, message)``; None when open.

    The programme switches each point on or off. The fit check opens after the first held meeting,
    the mid-point once half the planned duration has passed, the end point in the last
    :data:`END_WINDOW` before the planned end; the closing survey belongs to completion.
    """
    programme = relationship.programme
    if point == CheckInPoint.CLOSING:
        if relationship.state != RelationshipState.COMPLETED:
            return "not_completed", "The closing survey opens when the relationship is completed."
        return None
    switches: dict[str, bool] = {
        CheckInPoint.FIT: programme.checkin_after_first_meeting,
        CheckInPoint.MIDPOINT: programme.checkin_at_midpoint,
        CheckInPoint.END: programme.checkin_at_end,
    }
    if point not in switches:
        return "unknown_point", f"{point!r} is not a check-in point."
    label = CheckInPoint(point).label.lower()
    if not switches[point]:
        return "check_in_disabled", f"{programme.name} has no {label} check-in."
    if relationship.state != RelationshipState.ACTIVE:
        return "not_active", f"The {label} check-in is for active relationships; this one is {relationship.state}."
    if point == CheckInPoint.FIT:
        return None if has_held_meeting else ("check_in_not_open", "The fit check opens after the first meeting.")
    started, end = relationship.started_at, relationship_planned_end(relationship)
    assert started is not None and end is not None  # an active relationship has started
    opens = started + (end - started) / 2 if point == CheckInPoint.MIDPOINT else end - END_WINDOW
    if now < opens:
        return "check_in_not_open", f"The {label} check-in opens on {opens:%d %B %Y}."
    return None


# --- a person's relationships --------------------------------------------------------------------


def _agreement_or_none(relationship: Relationship) -> Agreement | None:
    try:
        return relationship.agreement
    except Agreement.DoesNotExist:
        return None


def answer_awaited(relationship: Relationship, *, side: str, now: datetime | None = None) -> bool:
    """Whether a proposal waits for this side's answer: still proposed and not expired, not answered by
        this side yet, and this side is asked at all (in a one-sided programme the mentor accepted by enrolling,
    unless the mentee asked them: participant choice)."""
    now = now or timezone.now()
    if relationship.state != RelationshipState.PROPOSED:
        return False
    if relationship.expires_at is not None and now >= relationship.expires_at:
        return False
    if (
        side == "mentor"
        and relationship.programme.acceptance == Acceptance.ONE_SIDED
        and not relationship.requested_by_mentee
    ):
        return False
    return bool(getattr(relationship, f"{side}_answer") == Answer.PENDING)


@dataclass(frozen=True)
class PersonRelationship:
    """One of a person's relationships, seen from their side."""

    relationship: Relationship
    role: str  # "mentor" (gives) or "mentee" (receives)
    role_label: str  # mentor, mentee, sponsor or protégé, in the programme's words
    partner: Person
    programme: Programme
    agreement: Agreement | None
    awaiting_answer: bool = False  # a proposal that waits for this person's answer


def relationships_of_person(
    *,
    person: Person,
    states: Iterable[str] | None = None,
    awaiting_first: bool = False,
    now: datetime | None = None,
) -> list[PersonRelationship]:
    """The person's relationships as mentor or mentee, with partner, programme and agreement: one query.

    Newest first; with ``awaiting_first``, the proposals waiting for this person's answer come before
    the rest, so that nobody misses one.
    """
    now = now or timezone.now()
    rows = (
        Relationship.objects.filter(Q(mentor=person) | Q(mentee=person))
        .select_related("programme", "mentor", "mentee", "agreement")
        .order_by("-proposed_at", "pk")
    )
    if states is not None:
        rows = rows.filter(state__in=list(states))
    result = []
    for relationship in rows:
        as_mentor = relationship.mentor_id == person.pk
        programme = relationship.programme
        role = "mentor" if as_mentor else "mentee"
        result.append(
            PersonRelationship(
                relationship=relationship,
                role=role,
                role_label=programme.mentor_label if as_mentor else programme.mentee_label,
                partner=relationship.mentee if as_mentor else relationship.mentor,
                programme=programme,
                agreement=_agreement_or_none(relationship),
                awaiting_answer=answer_awaited(relationship, side=role, now=now),
            )
        )
    if awaiting_first:
        result.sort(key=lambda row: not row.awaiting_answer)  # stable: newest first within each group
    return result


# --- one relationship's page ---------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingView:
    """A meeting as one of the pair sees it: the shared record and the viewer's own private note.

    A copy rather than the model instance, so that nothing handed to a page can lead to the
    partner's private note.
    """

    id: int
    starts_at: datetime
    duration_minutes: int
    status: str
    location: str
    skills: list[Skill]
    shared_note: str
    created_by_id: int | None
    own_private_note: str


@dataclass(frozen=True)
class RelationshipPage:
    """What one of the pair sees of their relationship. No concerns, no partner's private notes,
    no partner's check-in answers."""

    relationship: Relationship
    viewer_role: str
    partner: Person
    agreement: Agreement | None
    meetings: list[MeetingView]
    knowledge_transfers: list[KnowledgeTransfer]
    advocacy_actions: list[AdvocacyAction]
    check_ins_done: list[CheckIn]
    check_ins_due: list[str]
    planned_end: datetime | None
    events: list[PairEvent] = field(default_factory=list)  # what programme managers did, newest first
    as_of: datetime = field(default_factory=timezone.now)

    @property
    def programme(self) -> Programme:
        return self.relationship.programme

    @property
    def viewer_label(self) -> str:
        """The viewer's role in the programme's words: mentor, mentee, sponsor or protégé."""
        return self.programme.mentor_label if self.viewer_role == "mentor" else self.programme.mentee_label

    @property
    def partner_label(self) -> str:
        return self.programme.mentee_label if self.viewer_role == "mentor" else self.programme.mentor_label

    @property
    def awaiting_my_answer(self) -> bool:
        return answer_awaited(self.relationship, side=self.viewer_role, now=self.as_of)

    @property
    def my_answer(self) -> str:
        return str(getattr(self.relationship, f"{self.viewer_role}_answer"))

    @property
    def partner_answer(self) -> str:
        side = "mentee" if self.viewer_role == "mentor" else "mentor"
        return str(getattr(self.relationship, f"{side}_answer"))

    @property
    def my_answer_label(self) -> str:
        return Answer(self.my_answer).label

    @property
    def partner_answer_label(self) -> str:
        return Answer(self.partner_answer).label

    @property
    def my_agreement_acceptance(self) -> datetime | None:
        """When the viewer accepted the agreement as it stands (None: not yet, or no agreement)."""
        return None if self.agreement is None else getattr(self.agreement, f"{self.viewer_role}_accepted_at")

    @property
    def partner_agreement_acceptance(self) -> datetime | None:
        side = "mentee" if self.viewer_role == "mentor" else "mentor"
        return None if self.agreement is None else getattr(self.agreement, f"{side}_accepted_at")

    @property
    def completes_from(self) -> datetime | None:
        """From when the pair may complete the relationship (earlier, they end it early with a reason)."""
        return None if self.planned_end is None else self.planned_end - END_WINDOW

    @property
    def may_complete(self) -> bool:
        opens = self.completes_from
        return self.relationship.state == RelationshipState.ACTIVE and opens is not None and self.as_of >= opens

    @property
    def closed_by_leaving(self) -> bool:
        """Closed because one of the two left the organisation (nobody in the pair ended it)."""
        return self.relationship.ended_by_id is None and self.relationship.end_reason == LEFT_THE_ORGANISATION

    @property
    def may_nominate(self) -> bool:
        """The senior mentee of a running or completed reverse-mentoring pair may nominate their mentor."""
        return (
            self.programme.kind == ProgrammeKind.REVERSE_MENTORING
            and self.viewer_role == "mentee"
            and self.relationship.state in (RelationshipState.ACTIVE, RelationshipState.COMPLETED)
        )


def relationship_page(*, relationship_id: int, viewer: Person, now: datetime | None = None) -> RelationshipPage:
    """One relationship for one of its pair, in at most eight queries.

    Raises ``Relationship.DoesNotExist`` for an unknown id and :class:`RelationshipForbidden` for
    anyone outside the pair (programme managers see aggregates and concerns, not the pair's log).
    """
    now = now or timezone.now()
    relationship = Relationship.objects.select_related("programme", "mentor", "mentee", "agreement").get(
        pk=relationship_id
    )
    if not relationship.involves(viewer.pk):
        raise RelationshipForbidden("Only the two people in a relationship see its page.", code="not_in_pair")
    meetings = list(
        # Only meetings in the span of accepted dates: one scheduled for 9999 before dates were
        # checked cannot be shown in a zone where it falls after the end of the calendar.
        Meeting.objects.filter(relationship=relationship, starts_at__range=MOMENT_SPAN)
        .order_by("-starts_at", "pk")
        .prefetch_related(
            "skills",
            # The viewer's note only: the partner's is never even read.
            Prefetch("private_notes", queryset=PrivateNote.objects.filter(author=viewer), to_attr="viewer_notes"),
        )
    )
    knowledge = list(KnowledgeTransfer.objects.filter(relationship=relationship).select_related("skill"))
    advocacy = (
        list(AdvocacyAction.objects.filter(relationship=relationship)) if relationship.programme.is_sponsorship else []
    )
    done = list(CheckIn.objects.filter(relationship=relationship, person=viewer))
    done_points = {check_in.point for check_in in done}
    has_held_meeting = any(m.status == MeetingStatus.HELD and m.starts_at <= now for m in meetings)
    due = [
        point
        for point in CheckInPoint.values
        if point not in done_points
        and check_in_refusal(relationship=relationship, point=point, has_held_meeting=has_held_meeting, now=now) is None
    ]
    as_mentor = relationship.mentor_id == viewer.pk
    return RelationshipPage(
        relationship=relationship,
        viewer_role="mentor" if as_mentor else "mentee",
        partner=relationship.mentee if as_mentor else relationship.mentor,
        agreement=_agreement_or_none(relationship),
        meetings=[
            MeetingView(
                id=meeting.pk,
                starts_at=meeting.starts_at,
                duration_minutes=meeting.duration_minutes,
                status=meeting.status,
                location=meeting.location,
                skills=list(meeting.skills.all()),
                shared_note=meeting.shared_note,
                created_by_id=meeting.created_by_id,
                own_private_note=next((note.text for note in meeting.viewer_notes), ""),
            )
            for meeting in meetings
        ],
        knowledge_transfers=knowledge,
        advocacy_actions=advocacy,
        check_ins_done=done,
        check_ins_due=due,
        planned_end=relationship_planned_end(relationship),
        events=list(PairEvent.objects.filter(relationship=relationship)),
        as_of=now,
    )


# --- why the pair was matched, and what the page's forms offer -------------------------------------


def match_reasons(relationship: Relationship) -> list[MatchReason]:
    """Why the pair was matched, read as the review board read it (:mod:`twofold.programmes.why_matched`):
    the breakdown stored on the relationship over the weights it was scored with.

    Pairs proposed before the weights were stored with them are read with the programme's weights
    now (or, should its policy not hold, as shares).
    """
    programme = relationship.programme
    weights = relationship.weights
    if not weights and relationship.breakdown:
        try:
            weights = programme_policy(programme).weights.as_dict()
        except PolicyError:
            weights = {}
    return why_matched.match_reasons(
        breakdown=relationship.breakdown or {},
        weights=weights or {},
        mentor_label=programme.mentor_label,
        mentee_label=programme.mentee_label,
    )


def skill_catalogue() -> list[Skill]:
    """Every skill of the taxonomy, by category and name, for the pickers of the pair's forms."""
    return list(Skill.objects.order_by("category", "name"))


@dataclass(frozen=True)
class NominationChoices:
    """What a senior mentee's nomination form needs: the nominations this relationship made, and the
    sponsorship programmes still taking candidates that their mentor has not been nominated for."""

    made: list[Nomination]
    programmes: list[Programme]


def nomination_choices(*, relationship: Relationship) -> NominationChoices:
    """Two queries, whatever the number of programmes and nominations."""
    made = list(
        Nomination.objects.filter(source=relationship).select_related("programme", "enrolment").order_by("created_at")
    )
    nominated_for = Nomination.objects.filter(nominee_id=relationship.mentor_id).values("programme")
    programmes = list(
        Programme.objects.filter(kind=ProgrammeKind.SPONSORSHIP, state__in=NOMINATION_STATES)
        .exclude(pk__in=nominated_for)
        .order_by("name", "pk")
    )
    return NominationChoices(made=made, programmes=programmes)


# --- programme health ----------------------------------------------------------------------------


class PlusDays(Func):
    """``moment + days`` for an integer expression ``days``.

    Django can multiply an integer column into an interval on PostgreSQL but not on SQLite, where
    durations are microsecond counts handled by Django's own ``django_format_dtdelta`` function.
    """

    output_field = DateTimeField()
    arity = 2

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(
            compiler, connection, template="(%(expressions)s * INTERVAL '1 day')", arg_joiner=" + ", **extra_context
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(
            compiler,
            connection,
            template="django_format_dtdelta('+', %(expressions)s * 86400000000)",
            arg_joiner=", ",
            **extra_context,
        )


# A pair is idle after this many cadences without a held meeting (the health page, the reminders, insights).
IDLE_AFTER_CADENCES = 2


def with_meeting_clock(
    relationships: QuerySet[Relationship], *, programme: Programme, now: datetime | None = None
) -> QuerySet[Relationship]:
    """``relationships`` (of ``programme``) each annotated with its meeting clock.

    ``last_met_at`` (kept on the row by the meeting services): the latest held meeting, None if none
    yet; ``meeting_due_at``: a cadence after that meeting, or after the start; ``idle_from``: twice
    the cadence after it; ``overdue`` and ``idle``: whether ``now`` is past those. The cadence is the
    pair's agreed one, else the programme's. Only active pairs run the clock: read the flags with
    the state.
    """
    now = now or timezone.now()
    cadence: Expression = Coalesce(F("agreement__cadence_days"), Value(programme.cadence_days))
    clock_start = Coalesce(F("last_met_at"), F("started_at"))
    return relationships.annotate(
        meeting_due_at=PlusDays(clock_start, cadence),
        idle_from=PlusDays(clock_start, cadence * Value(IDLE_AFTER_CADENCES, output_field=IntegerField())),
    ).annotate(
        overdue=ExpressionWrapper(Q(meeting_due_at__lt=now), output_field=BooleanField()),
        idle=ExpressionWrapper(Q(idle_from__lt=now), output_field=BooleanField()),
    )


def relationships_meeting_clock(*, programme: Programme, now: datetime | None = None) -> QuerySet[Relationship]:
    """The programme's active relationships, each annotated with its meeting clock (:func:`with_meeting_clock`)."""
    active = Relationship.objects.filter(programme=programme, state=RelationshipState.ACTIVE)
    return with_meeting_clock(active, programme=programme, now=now)


def relationships_behind_on_meetings(*, programme: Programme, now: datetime | None = None) -> QuerySet[Relationship]:
    """The programme's active pairs whose next meeting is overdue, longest overdue first, with both
    people: for the programme managers' health page, which shows who and since when, never a note."""
    now = now or timezone.now()
    return (
        relationships_meeting_clock(programme=programme, now=now)
        .filter(Q(meeting_due_at__lt=now))
        .select_related("mentor", "mentee")
        .order_by("meeting_due_at", "pk")
    )


@dataclass(frozen=True)
class ProgrammeHealth:
    """How a programme's pairs are doing, in aggregates a programme manager (or an executive) may see."""

    pairs_by_state: dict[str, int]
    active: int
    overdue_meetings: int
    idle: int
    scores: CheckInScores
    open_concerns: int

    @property
    def check_ins(self) -> int:
        return self.scores.answered


def programme_health(*, programme: Programme, now: datetime | None = None) -> ProgrammeHealth:
    """Pairs by state, meetings overdue (none held within the cadence), idle pairs (none for twice the
    cadence), check-in averages overall and per point (the overview's very figures), open concerns:
    four queries, any size."""
    now = now or timezone.now()
    by_state = dict.fromkeys(RelationshipState.values, 0)
    for row in Relationship.objects.filter(programme=programme).values("state").annotate(n=Count("pk")).order_by():
        by_state[row["state"]] = row["n"]
    clock = relationships_meeting_clock(programme=programme, now=now).aggregate(
        overdue=Count("pk", filter=Q(meeting_due_at__lt=now)), idle=Count("pk", filter=Q(idle_from__lt=now))
    )
    open_concerns = Concern.objects.filter(relationship__programme=programme, status__in=OPEN_CONCERN_STATES).count()
    return ProgrammeHealth(
        pairs_by_state=by_state,
        active=by_state[RelationshipState.ACTIVE],
        overdue_meetings=clock["overdue"],
        idle=clock["idle"],
        scores=check_in_scores([programme.pk])[programme.pk],
        open_concerns=open_concerns,
    )


# --- concerns ------------------------------------------------------------------------------------


def concerns_for_managers(
    user: Any, *, statuses: Iterable[str] | None = None, programme_id: int | None = None
) -> QuerySet[Concern]:
    """The concerns a user handles: every one for an org admin, those of the programmes they manage
    for a programme manager, none for anyone else (the partner above all). Optionally only some
    statuses, or one programme's (none when the user does not manage it). Who manages what is
    :func:`twofold.accounts.permissions.manageable_programmes`."""
    concerns = Concern.objects.select_related(
        "relationship__programme", "relationship__mentor", "relationship__mentee", "raised_by", "handled_by"
    ).order_by("-created_at", "pk")
    if statuses is not None:
        concerns = concerns.filter(status__in=list(statuses))
    if programme_id is not None:
        concerns = concerns.filter(relationship__programme_id=programme_id)
    return concerns.filter(relationship__programme__in=manageable_programmes(user, Programme.objects.all()))


def concern_programmes(user: Any) -> QuerySet[Programme]:
    """The programmes whose concerns ``user`` handles and that have any, by name: the choices of the
    concerns page's programme filter."""
    with_concerns = Programme.objects.filter(pk__in=Concern.objects.values("relationship__programme_id"))
    return manageable_programmes(user, with_concerns).order_by("name", "pk")


def concerns_raised_by(*, person: Person, relationship: Relationship | None = None) -> QuerySet[Concern]:
    """The concerns a person raised (about one relationship, if given), so they can follow what became
    of them; never their partner's."""
    concerns = Concern.objects.filter(raised_by=person)
    if relationship is not None:
        concerns = concerns.filter(relationship=relationship)
    return concerns.select_related("relationship__programme").order_by("-created_at")


# --- who the partner is --------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerProfile:
    """What one of a pair sees of their partner before accepting: what the partner wrote when they
    joined (goals, the skills they want to work on, when they can meet) and the skills on their profile
    they can teach or want to learn. Nothing the partner did not give for the programme or their profile."""

    goals: str
    focus_skills: list[Skill]
    can_teach: list[Skill]
    wants_to_learn: list[Skill]
    availability: list[str]  # e.g. "Monday morning"
    shared_availability: list[str]  # the times both of them are free


def partner_profile(page: RelationshipPage) -> PartnerProfile:
    """The partner as the viewer sees them on the pair's page: three queries."""
    relationship = page.relationship
    mine, theirs = (
        (relationship.mentor_enrolment_id, relationship.mentee_enrolment_id)
        if page.viewer_role == "mentor"
        else (relationship.mentee_enrolment_id, relationship.mentor_enrolment_id)
    )
    enrolments = {enrolment.pk: enrolment for enrolment in Enrolment.objects.filter(pk__in=[mine, theirs])}
    return enrolment_profiles(own=enrolments[mine], partners=[enrolments[theirs]])[theirs]


def enrolment_profiles(*, own: Enrolment, partners: Sequence[Enrolment]) -> dict[int, PartnerProfile]:
    """Each of ``partners`` (enrolments) as ``own``'s enrolment sees them, by enrolment id: on a pair's
    page, and on the partners a mentee may choose from. Two queries, however many partners."""
    ids = [enrolment.pk for enrolment in partners]
    focus: dict[int, list[Skill]] = {pk: [] for pk in ids}
    for row in (
        Enrolment.focus_skills.through.objects.filter(enrolment_id__in=ids)
        .select_related("skill")
        .order_by("skill__name")
    ):
        focus[row.enrolment_id].append(row.skill)
    skills: dict[int, list[PersonSkill]] = {}
    for skill in (
        PersonSkill.objects.filter(person_id__in=[enrolment.person_id for enrolment in partners])
        .select_related("skill")
        .order_by("skill__name")
    ):
        skills.setdefault(skill.person_id, []).append(skill)
    labels = dict(AVAILABILITY_CHOICES)
    own_times = set(availability_bits(own.availability))
    profiles = {}
    for enrolment in partners:
        rows = skills.get(enrolment.person_id, [])
        partner_times = availability_bits(enrolment.availability)
        profiles[enrolment.pk] = PartnerProfile(
            goals=enrolment.goals,
            focus_skills=focus[enrolment.pk],
            can_teach=[row.skill for row in rows if row.can_teach],
            wants_to_learn=[row.skill for row in rows if row.wants_to_learn],
            availability=[labels[bit] for bit in partner_times],
            shared_availability=[labels[bit] for bit in partner_times if bit in own_times],
        )
    return profiles
