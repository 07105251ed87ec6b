"""Reading the facts the rules need, for every open pair in a fixed number of queries, and
deciding what is due on a day: the rules applied, less what was sent recently enough."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from django.db.models import Max, Min
from django.utils import timezone

from twofold.dates import MOMENT_SPAN
from twofold.people.models import Person
from twofold.programmes.models import Programme, ProgrammeState
from twofold.relationships.models import (
    OPEN_STATES,
    CheckIn,
    Meeting,
    MeetingStatus,
    Relationship,
    RelationshipState,
    ReminderSent,
)
from twofold.relationships.reminders.rules import (
    MEETING_UPCOMING_DAYS_AHEAD,
    DueReminder,
    PairFacts,
    Recipient,
    cadence_reminders,
    check_in_reminders,
    local_date,
    meeting_upcoming_reminders,
    proposal_reminders,
    start_of,
)

# Reading the facts: a fixed number of queries, however many pairs there are.


def _open_relationships() -> list[Relationship]:
    return list(
        Relationship.objects.filter(state__in=OPEN_STATES)
        .exclude(programme__state=ProgrammeState.CLOSED)
        .select_related("programme", "mentor", "mentee", "agreement")
        .order_by("pk")
    )


def programme_managers(programme_ids: Iterable[int]) -> dict[int, tuple[Recipient, ...]]:
    """The active managers of each programme who have an email address, as recipients."""
    through = Programme.managers.through
    managers: dict[int, list[Recipient]] = defaultdict(list)
    rows = through.objects.filter(programme_id__in=set(programme_ids), user__is_active=True).select_related(
        "user__person"
    )
    for row in rows.order_by("programme_id", "user_id"):
        user = row.user
        person: Person | None = user.person
        email = user.email or (person.email if person else "")
        if email:
            name = user.get_full_name() or (person.name if person else "") or user.username
            managers[row.programme_id].append(Recipient(email=email, name=name, role="manager"))
    return {programme_id: tuple(recipients) for programme_id, recipients in managers.items()}


def pair_facts(relationships: Sequence[Relationship], *, today: date) -> list[PairFacts]:
    """The facts of the given active relationships (those ``_open_relationships`` read), in four queries."""
    # Filter by the same conditions rather than by an id list, which SQLite caps at 32,766 parameters.
    active = Relationship.objects.filter(state=RelationshipState.ACTIVE).exclude(programme__state=ProgrammeState.CLOSED)
    # Meetings outside the span of accepted dates (saved before it was checked) are left out: the
    # local day of 31 December 9999, 23:00 UTC is after the end of the calendar east of Greenwich.
    meetings = Meeting.objects.filter(relationship__in=active, starts_at__range=MOMENT_SPAN)
    held = {
        row["relationship_id"]: row
        # A meeting marked held but dated after today does not count (as in the programme's health).
        for row in meetings.filter(status=MeetingStatus.HELD, starts_at__lt=start_of(today + timedelta(days=1)))
        .values("relationship_id")
        .annotate(first=Min("starts_at"), last=Max("starts_at"))
    }
    next_scheduled = dict(
        meetings.filter(status=MeetingStatus.SCHEDULED, starts_at__gte=start_of(today))
        .values("relationship_id")
        .annotate(next=Min("starts_at"))
        .values_list("relationship_id", "next")
    )
    submitted: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for relationship_id, person_id, point in CheckIn.objects.filter(relationship__in=active).values_list(
        "relationship_id", "person_id", "point"
    ):
        submitted[relationship_id].add((person_id, point))
    managers = programme_managers(r.programme_id for r in relationships)
    facts = []
    for relationship in relationships:
        agreement = getattr(relationship, "agreement", None)
        times = held.get(relationship.pk)
        following = next_scheduled.get(relationship.pk)
        facts.append(
            PairFacts(
                relationship=relationship,
                cadence_days=agreement.cadence_days if agreement else relationship.programme.cadence_days,
                first_held_on=local_date(times["first"]) if times else None,
                last_held_on=local_date(times["last"]) if times else None,
                next_scheduled_on=local_date(following) if following else None,
                submitted=frozenset(submitted.get(relationship.pk, ())),
                managers=managers.get(relationship.programme_id, ()),
            )
        )
    return facts


def _upcoming_meetings(today: date) -> list[Meeting]:
    return list(
        Meeting.objects.filter(
            status=MeetingStatus.SCHEDULED,
            relationship__state=RelationshipState.ACTIVE,
            starts_at__gte=start_of(today),
            starts_at__lt=start_of(today + timedelta(days=MEETING_UPCOMING_DAYS_AHEAD + 1)),
        )
        .exclude(relationship__programme__state=ProgrammeState.CLOSED)
        .select_related("relationship__programme", "relationship__mentor", "relationship__mentee")
        .order_by("starts_at", "pk")
    )


def _recently_sent(candidates: Sequence[DueReminder], *, today: date) -> dict[tuple[str, str, str], date]:
    """When each (kind, key, recipient) among the candidates was last sent, looking back as far as needed."""
    if not candidates:
        return {}
    lookback = max(due.repeat_after_days for due in candidates)
    rows = ReminderSent.objects.filter(
        kind__in={due.kind.value for due in candidates},
        sent_on__gt=today - timedelta(days=lookback),
        sent_on__lte=today,
    ).values_list("kind", "key", "recipient", "sent_on")
    last: dict[tuple[str, str, str], date] = {}
    for kind, key, recipient, sent_on in rows:
        if sent_on > last.get((kind, key, recipient), date.min):
            last[kind, key, recipient] = sent_on
    return last


def reminders_due(*, today: date | None = None) -> list[DueReminder]:
    """Every reminder to send on ``today`` (default: today here), leaving out those sent recently enough.

    A reminder is left out when the same kind, about the same thing, went to the same address less
    than its ``repeat_after_days`` ago — on the same day, always.
    """
    today = today or timezone.localdate()
    relationships = _open_relationships()
    candidates: list[DueReminder] = []
    for relationship in relationships:
        candidates += proposal_reminders(relationship, today=today)
    for meeting in _upcoming_meetings(today):
        candidates += meeting_upcoming_reminders(meeting, today=today)
    for facts in pair_facts([r for r in relationships if r.state == RelationshipState.ACTIVE], today=today):
        candidates += cadence_reminders(facts, today=today)
        candidates += check_in_reminders(facts, today=today)
    last_sent = _recently_sent(candidates, today=today)
    due: list[DueReminder] = []
    seen: set[tuple[str, str, str]] = set()
    for reminder in candidates:
        identity = (reminder.kind.value, reminder.key, reminder.recipient.email)
        # A programme manager who is also one of the pair gets the pair's email, not a second one.
        if identity in seen:
            continue
        seen.add(identity)
        sent_on = last_sent.get(identity)
        if sent_on is None or (today - sent_on).days >= reminder.repeat_after_days:
            due.append(reminder)
    return due
