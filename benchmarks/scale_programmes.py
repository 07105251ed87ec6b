"""Bulk data at enterprise scale for the page benchmark: programmes, pairs and years of meetings.

The demo generator makes the people; this module adds what a large organisation accumulates after
a few programme cycles — written straight to the tables (COPY on PostgreSQL), since going through
the services one meeting at a time would take hours for half a million meetings. Only for
benchmarks: it skips the rules the services enforce, and relies on the shape being right.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from twofold.matchruns.models import MatchRun, Proposal
from twofold.people.bulk import allocate_primary_keys, bulk_insert_rows
from twofold.people.models import Person, Skill
from twofold.programmes.models import Enrolment, Programme
from twofold.programmes.services import programme_create
from twofold.relationships.meeting_clock import meeting_clock_refresh
from twofold.relationships.models import (
    Agreement,
    CheckIn,
    KnowledgeTransfer,
    Meeting,
    PrivateNote,
    Relationship,
)


@dataclass
class ScaleFigures:
    programmes: int = 0
    enrolments: int = 0
    relationships: int = 0
    meetings: int = 0
    private_notes: int = 0
    knowledge_transfers: int = 0
    check_ins: int = 0
    proposals_under_review: int = 0


LATEST_HELD = (
    "UPDATE relationships_relationship SET "
    "last_met_at = (SELECT MAX(m.starts_at) FROM relationships_meeting m "
    "WHERE m.relationship_id = relationships_relationship.id AND m.status = 'held'), "
    "meetings_held = (SELECT COUNT(*) FROM relationships_meeting m "
    "WHERE m.relationship_id = relationships_relationship.id AND m.status = 'held')"
)


def _aware(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


@transaction.atomic
def scale_programmes_build(
    *,
    relationships: int = 20_000,
    meetings_per_pair: int = 25,
    seed: int = 7,
    as_of: date | None = None,
    manager: Any = None,
) -> ScaleFigures:
    """Two long-running programmes with ``relationships`` pairs and about ``meetings_per_pair`` meetings each."""
    rng = random.Random(seed)
    as_of = as_of or timezone.localdate()
    figures = ScaleFigures()
    now = timezone.now()
    start = as_of - timedelta(days=meetings_per_pair * 14 + 30)
    rm = programme_create(name="Digital fluency (scale)", kind="reverse_mentoring", starts_on=start, actor=manager)
    sp = programme_create(name="Sponsorship (scale)", kind="sponsorship", starts_on=start, actor=manager)
    Programme.objects.filter(pk__in=[rm.pk, sp.pk]).update(state="running", duration_months=24)
    figures.programmes = 2

    people = list(Person.objects.filter(active=True).values_list("pk", "level", "department", "high_potential"))
    juniors = [p for p in people if p[1] <= 3]
    seniors = [p for p in people if p[1] >= 6]
    sponsors = [p for p in people if p[1] >= 7]
    protégés = [p for p in people if p[1] <= 6 and (p[3] or 3 <= p[1] <= 5)]
    rng.shuffle(juniors)
    rng.shuffle(seniors)
    rng.shuffle(protégés)
    rm_pairs = min(relationships * 6 // 10, len(juniors), len(seniors))
    sp_pairs = min(relationships - rm_pairs, len(protégés), len(sponsors) * 3)

    enrolment_rows: list[tuple[Any, ...]] = []
    pairs: list[tuple[int, int, int, int, int]] = []  # programme, mentor person, mentee person, mentor enr, mentee enr
    ids = allocate_primary_keys(Enrolment, 2 * rm_pairs + sp_pairs + len(sponsors))
    cursor = iter(ids)
    for index in range(rm_pairs):
        mentor, mentee = juniors[index], seniors[index]
        mentor_enrolment, mentee_enrolment = next(cursor), next(cursor)
        enrolment_rows += [
            (mentor_enrolment, rm.pk, mentor[0], "mentor", "active", 1, 1),
            (mentee_enrolment, rm.pk, mentee[0], "mentee", "active", 1, 0),
        ]
        pairs.append((rm.pk, mentor[0], mentee[0], mentor_enrolment, mentee_enrolment))
    sponsor_enrolments = {}
    for sponsor in sponsors:
        sponsor_enrolments[sponsor[0]] = next(cursor)
    seats = dict.fromkeys(sponsor_enrolments, 0)
    sponsor_cycle = [sponsor[0] for sponsor in sponsors]
    position = 0
    for index in range(sp_pairs):
        protégé = protégés[index]
        while True:
            sponsor = sponsor_cycle[position % len(sponsor_cycle)]
            position += 1
            if seats[sponsor] < 3 and sponsor != protégé[0]:
                break
        seats[sponsor] += 1
        protégé_enrolment = next(cursor)
        enrolment_rows.append((protégé_enrolment, sp.pk, protégé[0], "mentee", "active", 1, 0))
        pairs.append((sp.pk, sponsor, protégé[0], sponsor_enrolments[sponsor], protégé_enrolment))
    for sponsor, enrolment_id in sponsor_enrolments.items():
        enrolment_rows.append((enrolment_id, sp.pk, sponsor, "mentor", "active", 3, seats[sponsor]))
    columns = ["id", "programme", "person", "role", "status", "capacity", "seats_taken"]
    bulk_insert_rows(
        Enrolment,
        [*columns, "status_reason", "goals", "availability", "aspiration", "created_at", "updated_at"],
        [(*row, "", "Grow and help others grow.", 0, "", now, now) for row in enrolment_rows],
    )
    figures.enrolments = len(enrolment_rows)

    relationship_ids = allocate_primary_keys(Relationship, len(pairs))
    relationship_rows = []
    agreement_rows = []
    for relationship_id, (programme_id, mentor, mentee, mentor_enrolment, mentee_enrolment) in zip(
        relationship_ids, pairs, strict=True
    ):
        started = _aware(start + timedelta(days=rng.randint(0, 20)), 9)
        state = "active" if rng.random() < 0.85 else rng.choice(("completed", "ended_early"))
        ended = started + timedelta(days=rng.randint(120, 300)) if state != "active" else None
        relationship_rows.append(
            (
                relationship_id,
                programme_id,
                mentor,
                mentee,
                mentor_enrolment,
                mentee_enrolment,
                state,
                round(rng.uniform(2, 6), 3),
                json.dumps({"skills": round(rng.uniform(1, 4), 3), "cross_department": 1.0}),
                "accepted",
                "accepted",
                started - timedelta(days=3),
                started,
                ended,
                "Moved to another role." if state == "ended_early" else "",
                False,
                0,
                now,
                now,
                json.dumps({"skills": 3.0, "cross_department": 1.0}),
            )
        )
        agreement_rows.append((relationship_id, "Learn together.", 14, "", started, started, now))
    bulk_insert_rows(
        Relationship,
        [
            "id",
            "programme",
            "mentor",
            "mentee",
            "mentor_enrolment",
            "mentee_enrolment",
            "state",
            "score",
            "breakdown",
            "mentor_answer",
            "mentee_answer",
            "proposed_at",
            "started_at",
            "ended_at",
            "end_reason",
            "rematch_requested",
            "meetings_held",
            "created_at",
            "updated_at",
            "weights",
        ],
        relationship_rows,
    )
    bulk_insert_rows(
        Agreement,
        [
            "relationship",
            "goals",
            "cadence_days",
            "confidentiality",
            "mentor_accepted_at",
            "mentee_accepted_at",
            "updated_at",
        ],
        agreement_rows,
    )
    figures.relationships = len(relationship_rows)

    skills = list(Skill.objects.values_list("pk", flat=True))
    meeting_count = sum(max(1, int(rng.gauss(meetings_per_pair, 4))) for _ in relationship_rows)
    meeting_ids = iter(allocate_primary_keys(Meeting, meeting_count))
    meeting_rows, note_rows, transfer_rows, check_in_rows = [], [], [], []
    rng_state = random.Random(seed + 1)
    for row in relationship_rows:
        relationship_id, _, mentor, mentee = row[0], row[1], row[2], row[3]
        started = row[12]
        count = max(1, int(rng_state.gauss(meetings_per_pair, 4)))
        for number in range(count):
            meeting_id = next(meeting_ids, None)
            if meeting_id is None:
                break
            when = started + timedelta(days=7 + 14 * number + rng_state.randint(-2, 2), hours=rng_state.randint(0, 7))
            status = "held" if when < now else "scheduled"
            meeting_rows.append(
                (
                    meeting_id,
                    relationship_id,
                    when,
                    45,
                    status,
                    "Video call",
                    "Worked through the next topic together.",
                    mentor,
                    now,
                    now,
                )
            )
            if rng_state.random() < 0.2:
                note_rows.append((meeting_id, rng_state.choice((mentor, mentee)), "My own reflections.", now))
        if skills:
            for _ in range(rng_state.randint(1, 4)):
                before = rng_state.randint(0, 2)
                transfer_rows.append(
                    (
                        relationship_id,
                        rng_state.choice(skills),
                        "mentor_to_mentee",
                        before,
                        before + 1,
                        "",
                        started.date(),
                        mentee,
                        now,
                    )
                )
        for person in (mentor, mentee):
            check_in_rows.append((relationship_id, person, "fit", 4, 4, 4, "", None, started + timedelta(days=20)))
    bulk_insert_rows(
        Meeting,
        [
            "id",
            "relationship",
            "starts_at",
            "duration_minutes",
            "status",
            "location",
            "shared_note",
            "created_by",
            "created_at",
            "updated_at",
        ],
        meeting_rows,
    )
    bulk_insert_rows(PrivateNote, ["meeting", "author", "text", "updated_at"], note_rows)
    bulk_insert_rows(
        KnowledgeTransfer,
        [
            "relationship",
            "skill",
            "direction",
            "proficiency_before",
            "proficiency_after",
            "note",
            "recorded_on",
            "recorded_by",
            "created_at",
        ],
        transfer_rows,
    )
    bulk_insert_rows(
        CheckIn,
        [
            "relationship",
            "person",
            "point",
            "satisfaction",
            "psychological_safety",
            "progress",
            "comment",
            "would_recommend",
            "submitted_at",
        ],
        check_in_rows,
    )
    # What the meeting services keep on each pair: its latest held meeting, and the meeting clock.
    with connection.cursor() as cursor:
        cursor.execute(LATEST_HELD)
    meeting_clock_refresh(Relationship.objects.filter(programme__in=[rm, sp]))
    # A run under review as big as the programme, for the review board's page.
    run = MatchRun.objects.create(
        programme=rm,
        status="ready",
        progress=100,
        total_score=0,
        statistics={
            "pairs": rm_pairs,
            "eligible_mentors": rm_pairs,
            "eligible_mentees": rm_pairs,
            "certified_optimal": True,
            "seconds": 1.0,
            "weights": {"skills": 4.0, "cross_department": 1.0, "cross_location": 0.5},
        },
    )
    bulk_insert_rows(
        Proposal,
        ["run", "mentor", "mentee", "score", "breakdown", "locked", "origin", "skipped_reason"],
        [
            (run.pk, row[4], row[5], row[7], json.dumps({"skills": 2.5, "cross_department": 1.0}), False, "engine", "")
            for row in relationship_rows
            if row[1] == rm.pk
        ],
    )
    figures.proposals_under_review = rm_pairs
    figures.meetings = len(meeting_rows)
    figures.private_notes = len(note_rows)
    figures.knowledge_transfers = len(transfer_rows)
    figures.check_ins = len(check_in_rows)
    return figures
