"""What a programme manager does to one pair: nudge, end to re-match, pick a partner, extend; who may,
what the refusals leave unchanged, the pairs list and its CSV, the concern email and the daily digest."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.conftest import Cast
from tests.factories import EnrolmentFactory, PersonFactory, ProgrammeFactory, UserFactory, acting
from tests.relationships.pairing import MENTEE, MENTOR, NOW, pair_up
from twofold.accounts.permissions import NotPermitted
from twofold.programmes.models import Enrolment, EnrolmentStatus, Programme, ProgrammeState
from twofold.relationships.errors import RelationshipRuleBroken, RelationshipStateConflict
from twofold.relationships.models import PairEvent, PairEventKind, Relationship, RelationshipState, ReminderSent
from twofold.relationships.pairs_list import PairsQuery, pairs_csv, programme_pairs
from twofold.relationships.reminders import reminders_send
from twofold.relationships.selectors import relationship_page, relationship_planned_end
from twofold.relationships.services import (
    concern_raise,
    relationship_end_by_manager,
    relationship_extend,
    relationship_nudge,
    relationship_pick_partner,
)


def snapshot(relationship: Relationship) -> dict[str, Any]:
    return {
        "relationship": Relationship.objects.filter(pk=relationship.pk).values().get(),
        "events": list(PairEvent.objects.filter(relationship=relationship).values()),
        "enrolments": list(Enrolment.objects.filter(programme=relationship.programme).order_by("pk").values()),
    }


# --- nudging --------------------------------------------------------------------------------------


def test_a_manager_nudges_an_active_pair_both_are_emailed_and_see_it(
    cast: Cast, active: Relationship, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        event = relationship_nudge(relationship=active, actor=cast.programme_manager, message="Book a slot this week")
    assert event.kind == PairEventKind.NUDGED and event.by == cast.programme_manager
    assert sorted(message.to[0].split("<")[-1].rstrip(">") for message in mail.outbox) == sorted(
        [cast.ana.email, cast.vp_sales.email]
    )
    assert all("Book a slot this week" in message.body for message in mail.outbox)
    # Both of the pair read it on their page.
    page = relationship_page(relationship_id=active.pk, viewer=cast.ana)
    assert [e.text for e in page.events] == ["Book a slot this week"]


def test_a_second_nudge_the_same_day_is_refused_and_sends_nothing(
    cast: Cast, active: Relationship, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        relationship_nudge(relationship=active, actor=cast.programme_manager)
    before, sent = snapshot(active), len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RelationshipStateConflict):
        relationship_nudge(relationship=active, actor=cast.programme_manager)
    assert snapshot(active) == before and len(mail.outbox) == sent


@pytest.mark.parametrize("who", ["ana_user", "vp_sales_user", "executive", "other_manager"])
def test_only_the_programmes_managers_nudge_end_or_extend(cast: Cast, active: Relationship, who: str) -> None:
    actor = UserFactory(is_programme_manager=True) if who == "other_manager" else getattr(cast, who)
    before = snapshot(active)
    for attempt in (
        lambda: relationship_nudge(relationship=active, actor=actor),
        lambda: relationship_end_by_manager(relationship=active, actor=actor, reason="No"),
        lambda: relationship_extend(relationship=active, actor=actor, until=date(2030, 1, 1)),
    ):
        with pytest.raises(NotPermitted):
            attempt()
    assert snapshot(active) == before


# --- ending and re-matching -----------------------------------------------------------------------


def test_ending_with_one_back_in_the_pool_keeps_that_one_and_withdraws_the_other(
    cast: Cast, active: Relationship
) -> None:
    ended = relationship_end_by_manager(
        relationship=active, actor=cast.programme_manager, reason="Different goals", back_to_pool=["mentee"], now=NOW
    )
    assert ended.state == RelationshipState.ENDED_EARLY and ended.rematch_requested
    statuses = dict(Enrolment.objects.filter(programme=active.programme).values_list("role", "status"))
    assert statuses == {MENTOR: EnrolmentStatus.WITHDRAWN, MENTEE: EnrolmentStatus.ACTIVE}
    event = PairEvent.objects.get(relationship=active)
    assert event.kind == PairEventKind.REMATCH and "Different goals" in event.text and cast.vp_sales.name in event.text


def test_ending_without_a_reason_is_refused_and_changes_nothing(cast: Cast, active: Relationship) -> None:
    before = snapshot(active)
    with pytest.raises(RelationshipRuleBroken):
        relationship_end_by_manager(
            relationship=active, actor=cast.programme_manager, reason="  ", back_to_pool=["mentee"]
        )
    assert snapshot(active) == before


def test_a_picked_partner_goes_through_the_engines_one_pair_rules(cast: Cast, reverse_mentoring: Programme) -> None:
    active = pair_up(reverse_mentoring, cast.ana, cast.vp_sales)
    relationship_end_by_manager(
        relationship=active, actor=cast.programme_manager, reason="Moving on", back_to_pool=["mentee"], now=NOW
    )
    vera = Enrolment.objects.get(programme=reverse_mentoring, person=cast.vp_sales)
    # Ben shares a reporting chain with Vera: the engine never pairs them, nor may a manager.
    ben = EnrolmentFactory(programme=reverse_mentoring, person=cast.ben, role=MENTOR)
    before = snapshot(active)
    with pytest.raises(RelationshipRuleBroken) as refusal:
        relationship_pick_partner(programme_enrolment=vera, partner_enrolment=ben, actor=cast.programme_manager)
    assert refusal.value.code == "same_reporting_chain"
    assert snapshot(active) == before
    june = EnrolmentFactory(
        programme=reverse_mentoring, person=PersonFactory(level=2, department="Marketing"), role=MENTOR
    )
    with pytest.raises(NotPermitted):
        relationship_pick_partner(programme_enrolment=vera, partner_enrolment=june, actor=cast.ana_user)
    proposal = relationship_pick_partner(programme_enrolment=vera, partner_enrolment=june, actor=cast.programme_manager)
    assert proposal.state == RelationshipState.PROPOSED and proposal.mentee == cast.vp_sales


# --- extending ------------------------------------------------------------------------------------


def test_extending_moves_the_planned_end_and_an_earlier_day_is_refused(cast: Cast, active: Relationship) -> None:
    planned = relationship_planned_end(active)
    assert planned is not None
    before = snapshot(active)
    with pytest.raises(RelationshipRuleBroken) as refusal:
        relationship_extend(relationship=active, actor=cast.programme_manager, until=planned.date() - timedelta(days=5))
    assert refusal.value.code == "not_later" and snapshot(active) == before
    later = planned.date() + timedelta(days=60)
    extended = relationship_extend(relationship=active, actor=cast.programme_manager, until=later)
    assert timezone.localtime(relationship_planned_end(extended)).date() == later + timedelta(days=1)  # type: ignore[arg-type]
    assert PairEvent.objects.get(relationship=active).kind == PairEventKind.EXTENDED


def test_an_ended_pair_is_neither_nudged_nor_extended(cast: Cast, active: Relationship) -> None:
    relationship_end_by_manager(relationship=active, actor=cast.programme_manager, reason="Done", now=NOW)
    before = snapshot(active)
    with pytest.raises(RelationshipStateConflict):
        relationship_nudge(relationship=active, actor=cast.programme_manager)
    with pytest.raises(RelationshipStateConflict):
        relationship_extend(relationship=active, actor=cast.programme_manager, until=date(2031, 1, 1))
    assert snapshot(active) == before


# --- the pairs list -------------------------------------------------------------------------------


def test_pairs_list_filters_searches_and_exports_safe_csv(cast: Cast, reverse_mentoring: Programme) -> None:
    far_back = timezone.now() - timedelta(days=90)
    idle = pair_up(reverse_mentoring, cast.ana, cast.vp_sales, now=far_back)
    hostile = PersonFactory(name="=HYPERLINK(1)", level=2, department="Marketing")
    fresh = pair_up(reverse_mentoring, hostile, cast.vp_tech, now=timezone.now())
    every = programme_pairs(programme=reverse_mentoring, query=PairsQuery())
    assert set(every) == {idle, fresh}
    assert list(programme_pairs(programme=reverse_mentoring, query=PairsQuery(show="idle"))) == [idle]
    assert list(programme_pairs(programme=reverse_mentoring, query=PairsQuery(search="victor"))) == [fresh]
    concern_raise(relationship=fresh, actor=acting(cast.vp_tech), text="Worried")
    assert list(programme_pairs(programme=reverse_mentoring, query=PairsQuery(show="concern"))) == [fresh]
    rows = list(csv.DictReader(io.StringIO(pairs_csv(every))))
    assert {row["mentor_name"] for row in rows} == {cast.ana.name, "'=HYPERLINK(1)"}
    assert {row["idle"] for row in rows if row["mentor_name"] == cast.ana.name} == {"yes"}
    # Unknown filters read as none, never as an error.
    assert PairsQuery.of({"state": "nonsense", "sort": "DROP", "show": "x"}) == PairsQuery()


def test_pairs_page_and_csv_are_for_the_programmes_managers(client, cast: Cast, active: Relationship) -> None:
    programme = active.programme
    client.force_login(cast.programme_manager)
    page = client.get(reverse("relationships:pairs", kwargs={"pk": programme.pk}), {"q": "ana"})
    assert page.status_code == 200 and cast.ana.name in page.content.decode()
    export = client.get(reverse("relationships:pairs_csv", kwargs={"pk": programme.pk}))
    assert export["Content-Type"].startswith("text/csv") and cast.vp_sales.name in export.content.decode()
    client.force_login(cast.ana_user)
    assert client.get(reverse("relationships:pairs", kwargs={"pk": programme.pk})).status_code == 404


def test_ending_from_the_page_without_javascript_asks_first(client, cast: Cast, active: Relationship) -> None:
    url = reverse("relationships:pair_end", kwargs={"pk": active.programme_id, "pair_id": active.pk})
    client.force_login(cast.programme_manager)
    asked = client.post(url, {"reason": "Not a fit", "back_to_pool": ["mentor", "mentee"]})
    assert asked.status_code == 200 and "cannot be undone" in asked.content.decode()
    assert Relationship.objects.get(pk=active.pk).state == RelationshipState.ACTIVE
    done = client.post(url, {"reason": "Not a fit", "back_to_pool": ["mentor", "mentee"], "confirmed": "yes"})
    assert done.status_code == 302
    assert Relationship.objects.get(pk=active.pk).state == RelationshipState.ENDED_EARLY


# --- emails to the managers -----------------------------------------------------------------------


def test_a_raised_concern_emails_the_managers_without_its_text(
    cast: Cast, active: Relationship, django_capture_on_commit_callbacks
) -> None:
    cast.programme_manager.email = "pm@example.org"
    cast.programme_manager.save()
    with django_capture_on_commit_callbacks(execute=True):
        concern_raise(relationship=active, actor=cast.ana_user, text="CONCERN-SECRET about Vera")
    assert len(mail.outbox) == 1 and "pm@example.org" in mail.outbox[0].to[0]
    message = mail.outbox[0]
    text = message.body + str(message.alternatives[0][0]) + message.subject
    assert "CONCERN-SECRET" not in text and cast.ana.name not in text and cast.vp_sales.name not in text
    assert reverse("relationships:concerns") in text


def test_managers_get_one_digest_for_many_idle_pairs_through_real_smtp(cast: Cast, smtp_server) -> None:
    manager = UserFactory(is_programme_manager=True, email="digest-pm@example.org", first_name="Dee", last_name="Gest")
    programme = ProgrammeFactory(name="Idle club", state=ProgrammeState.MATCHING, managers=[manager], cadence_days=7)
    long_ago = timezone.now() - timedelta(days=60)
    people = [
        (PersonFactory(level=2, department=f"D{n}"), PersonFactory(level=8, department=f"S{n}")) for n in range(3)
    ]
    pairs = [pair_up(programme, mentor, mentee, now=long_ago) for mentor, mentee in people]
    programme.state = ProgrammeState.RUNNING
    programme.save()

    report = reminders_send(today=timezone.localdate())
    to_manager = [m for m in smtp_server.messages if "digest-pm@example.org" in m["To"]]
    assert len(to_manager) == 1, "one digest, not one email per idle pair"
    body = to_manager[0].get_body(preferencelist=("plain",)).get_content()
    assert all(pair.mentor.name in body and pair.mentee.name in body for pair in pairs)
    assert "3 pairs" in to_manager[0]["Subject"]
    assert report.counts["relationship_idle"] == 9  # two of each pair, and the manager once per pair
    # The same day again: nothing more.
    reminders_send(today=timezone.localdate())
    assert len([m for m in smtp_server.messages if "digest-pm@example.org" in m["To"]]) == 1
    assert ReminderSent.objects.filter(recipient="digest-pm@example.org").count() == 3


def test_logging_a_second_meeting_on_the_same_day_asks_first(client, cast: Cast, reverse_mentoring: Programme) -> None:
    active = pair_up(reverse_mentoring, cast.ana, cast.vp_sales, now=timezone.now() - timedelta(days=30))
    url = reverse("relationships:meeting_log", kwargs={"pk": active.pk})
    when = timezone.localtime(timezone.now() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    client.force_login(cast.ana_user)
    assert client.post(url, {"starts_at": when, "duration_minutes": 45}).status_code == 302
    warned = client.post(url, {"starts_at": when, "duration_minutes": 45})
    assert warned.status_code == 400 and "is logged already" in warned.content.decode()
    assert active.meetings.count() == 1
    assert client.post(url, {"starts_at": when, "duration_minutes": 45, "same_day": "yes"}).status_code == 302
    assert active.meetings.count() == 2
