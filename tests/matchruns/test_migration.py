"""Match runs moved from the programmes app to their own: an existing database migrates with its data.

The tables keep their names; only the link between a proposal and the relationship it became turns
round (it was ``relationships_relationship.proposal_id``, it is ``programmes_proposal.relationship_id``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from twofold.matchruns.models import MatchRun, Proposal, Unmatched
from twofold.relationships.models import Relationship

# The directory as it was then too: the people's table of those days (nested-set tree columns).
PEOPLE_THEN = ("people", "0010_person_email_lower")
BEFORE = [("programmes", "0001_initial"), ("relationships", "0003_last_met_at"), ("matchruns", None), PEOPLE_THEN]
WHEN = datetime(2026, 3, 1, 9, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_a_database_from_before_the_move_keeps_every_run_proposal_and_link() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state([node for node in BEFORE if node[1] is not None]).apps
        person = old.get_model("people", "Person")
        people = [
            person.objects.create(employee_id=f"E{n}", name=f"Person {n}", email=f"e{n}@example.org", level=level)
            for n, level in enumerate((2, 8, 2, 8))
        ]
        programme = old.get_model("programmes", "Programme").objects.create(
            name="Digital fluency", kind="reverse_mentoring", state="running"
        )
        enrolment = old.get_model("programmes", "Enrolment")
        mentor, mentee, lone_mentor, lone_mentee = (
            enrolment.objects.create(programme=programme, person=p, role=role)
            for p, role in zip(people, ("mentor", "mentee", "mentor", "mentee"), strict=True)
        )
        run = old.get_model("programmes", "MatchRun").objects.create(
            programme=programme, status="published", total_score=0.75, statistics={"pairs": 1}
        )
        proposal = old.get_model("programmes", "Proposal").objects.create(
            run=run, mentor=mentor, mentee=mentee, score=0.75, breakdown={"skills": 0.75}
        )
        old.get_model("programmes", "Unmatched").objects.create(
            run=run, enrolment=lone_mentor, reason_code="same_chain", reason="Every partner is in their line."
        )
        relationship = old.get_model("relationships", "Relationship").objects.create(
            programme=programme,
            mentor=people[0],
            mentee=people[1],
            mentor_enrolment=mentor,
            mentee_enrolment=mentee,
            proposal=proposal,
            proposed_at=WHEN,
        )
        assert lone_mentee.pk
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    moved = MatchRun.objects.get(pk=run.pk)
    assert (moved.programme_id, moved.status, moved.total_score, moved.statistics) == (
        programme.pk,
        "published",
        0.75,
        {"pairs": 1},
    )
    kept = Proposal.objects.get(pk=proposal.pk)
    assert (kept.run_id, kept.mentor_id, kept.mentee_id, kept.breakdown) == (
        run.pk,
        mentor.pk,
        mentee.pk,
        {"skills": 0.75},
    )
    assert kept.relationship_id == relationship.pk and kept.skipped_reason == ""
    assert Unmatched.objects.get(run=moved).reason_code == "same_chain"
    assert Relationship.objects.get(pk=relationship.pk).mentor_enrolment_id == mentor.pk


@pytest.mark.django_db(transaction=True)
def test_relationships_published_before_weights_were_stored_get_their_run_s_weights() -> None:
    before = [("matchruns", "0002_proposal_outcome"), ("relationships", "0005_relationship_withdrawn"), PEOPLE_THEN]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        person = old.get_model("people", "Person")
        people = [
            person.objects.create(employee_id=f"E{n}", name=f"Person {n}", email=f"e{n}@example.org", level=level)
            for n, level in enumerate((2, 8, 2, 8))
        ]
        programme = old.get_model("programmes", "Programme").objects.create(
            name="Digital fluency", kind="reverse_mentoring", state="running"
        )
        enrolment = old.get_model("programmes", "Enrolment")
        enrolments = [
            enrolment.objects.create(programme=programme, person=p, role=role)
            for p, role in zip(people, ("mentor", "mentee", "mentor", "mentee"), strict=True)
        ]
        run = old.get_model("matchruns", "MatchRun").objects.create(
            programme=programme, status="published", statistics={"weights": {"skills": 4.0, "cross_department": 1.0}}
        )
        relationship = old.get_model("relationships", "Relationship")
        published, by_hand = (
            relationship.objects.create(
                programme=programme,
                mentor=people[at],
                mentee=people[at + 1],
                mentor_enrolment=enrolments[at],
                mentee_enrolment=enrolments[at + 1],
                breakdown={"skills": 3.2},
                proposed_at=WHEN,
            )
            for at in (0, 2)
        )
        old.get_model("matchruns", "Proposal").objects.create(
            run=run, mentor=enrolments[0], mentee=enrolments[1], breakdown={"skills": 3.2}, relationship=published
        )
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert Relationship.objects.get(pk=published.pk).weights == {"skills": 4.0, "cross_department": 1.0}
    assert Relationship.objects.get(pk=by_hand.pk).weights == {}
