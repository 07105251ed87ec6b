"""Hole 4: leavers keep working accounts. Whoever marks someone as having left (an import, an exit
among the career events, the admin), their account stops at once, their pairs close with the reason
"left the organisation" and their seats are freed; coming back restores the account only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD, Cast
from tests.factories import OPERATOR, PersonFactory, ProgrammeFactory, grant
from tests.matchruns.test_match_runs import matching_programme
from tests.people.test_import_page import upload
from tests.relationships.pairing import NOW, pair_up, propose
from twofold.accounts.models import AccountSession, User
from twofold.matchruns.models import Unmatched
from twofold.matchruns.publishing import match_run_publish
from twofold.matchruns.services import match_run_start
from twofold.people import leavers
from twofold.people.leavers import LEFT_THE_ORGANISATION, people_deactivate
from twofold.people.models import Person
from twofold.programmes.models import Enrolment, EnrolmentStatus, ProgrammeState
from twofold.relationships.calendar import calendar_feed_for
from twofold.relationships.models import Relationship, RelationshipState


def sign_in(username: str) -> Client:
    """A browser that signed in through the sign-in page, as a person would."""
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in client.session, f"{username} could not sign in"
    return client


def can_sign_in(username: str) -> bool:
    # The sign-in lockout (django-axes) needs the request a real sign-in would have.
    return Client().login(request=HttpRequest(), username=username, password=PASSWORD)


def seats(relationship: Relationship) -> int:
    return Enrolment.objects.get(pk=relationship.mentor_enrolment_id).seats_taken


class World:
    """Ana (J1) is about to leave. She mentors Vera in reverse mentoring (active) and is proposed as
    Vera's protégé in sponsorship; Ben mentors Victor (proposed), which must not move."""

    def __init__(self, cast: Cast) -> None:
        self.cast = cast
        self.reverse_mentoring = ProgrammeFactory(name="Digital fluency", state=ProgrammeState.MATCHING)
        self.sponsorship = ProgrammeFactory(name="Rising leaders", sponsorship=True, state=ProgrammeState.MATCHING)
        self.mentoring = pair_up(self.reverse_mentoring, cast.ana, cast.vp_sales)
        self.sponsoring = propose(self.sponsorship, cast.vp_sales, cast.ana)
        self.bystanders = propose(self.reverse_mentoring, cast.ben, cast.vp_tech)
        self.feed_url = reverse("relationships:calendar_feed", args=[calendar_feed_for(cast.ana).token])
        assert Client().get(self.feed_url).status_code == 200
        self.ana_browser = sign_in("ana")
        self.ben_browser = sign_in("ben")
        assert AccountSession.objects.filter(user=cast.ana_user).count() == 1

    def assert_ana_left(self) -> None:
        cast = self.cast
        cast.ana.refresh_from_db()
        assert cast.ana.active is False
        # The account: inactive, no session left, the signed-in browser sent to sign in.
        assert User.objects.get(pk=cast.ana_user.pk).is_active is False
        assert not AccountSession.objects.filter(user=cast.ana_user).exists()
        response = self.ana_browser.get(reverse("relationships:mine"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        assert not can_sign_in("ana")
        # The calendar feed: revoked.
        assert Client().get(self.feed_url).status_code == 404
        # Her pairs: closed with the reason, nobody recorded as ending them, seats given back.
        for relationship, state in (
            (self.mentoring, RelationshipState.ENDED_EARLY),
            (self.sponsoring, RelationshipState.WITHDRAWN),
        ):
            relationship.refresh_from_db()
            assert (relationship.state, relationship.end_reason) == (state, LEFT_THE_ORGANISATION)
            assert relationship.ended_by is None and relationship.ended_at is not None
            assert seats(relationship) == 0
        # Her enrolments are withdrawn. Vera, who did nothing, stays in both programmes: a sponsor in
        # the pool, and a mentee waiting for a mentor's seat (Ben's, the only one left, is taken).
        assert set(Enrolment.objects.filter(person=cast.ana).values_list("status", "status_reason")) == {
            (EnrolmentStatus.WITHDRAWN, LEFT_THE_ORGANISATION)
        }
        vera = dict(Enrolment.objects.filter(person=cast.vp_sales).values_list("programme_id", "status"))
        assert vera == {
            self.sponsorship.pk: EnrolmentStatus.ACTIVE,
            self.reverse_mentoring.pk: EnrolmentStatus.WAITLISTED,
        }
        # Everyone else carries on.
        self.bystanders.refresh_from_db()
        assert self.bystanders.state == RelationshipState.PROPOSED and seats(self.bystanders) == 1
        assert self.ben_browser.get(reverse("relationships:mine")).status_code == 200
        assert User.objects.get(pk=cast.ben_user.pk).is_active

    def assert_nothing_changed(self) -> None:
        self.cast.ana.refresh_from_db()
        assert self.cast.ana.active
        assert User.objects.get(pk=self.cast.ana_user.pk).is_active
        assert AccountSession.objects.filter(user=self.cast.ana_user).count() == 1
        assert self.ana_browser.get(reverse("relationships:mine")).status_code == 200
        assert Client().get(self.feed_url).status_code == 200
        for relationship, state in ((self.mentoring, "active"), (self.sponsoring, "proposed")):
            relationship.refresh_from_db()
            assert relationship.state == state and seats(relationship) == 1


# One of the cast's six people leaving is above the 10% limit of so small a directory.
CONFIRM_ONE = ("--confirm-deactivations", "1", "--allow-mass-deactivation")


@pytest.fixture
def world(cast: Cast) -> World:
    return World(cast)


def test_hole_4_an_import_saying_inactive_closes_the_account_and_the_pairs(world, tmp_path, capsys) -> None:
    path = tmp_path / "people.csv"
    path.write_text("employee_id,name,email,level,active\nJ1,Ana Junior,j1@example.org,2,no\n", encoding="utf-8")
    call_command("import_people", str(path), "--dry-run")
    assert "Would deactivate: 1\n  J1" in capsys.readouterr().out
    world.assert_nothing_changed()

    # A file's "active: no" marks people as having left only with the number confirmed, as a
    # whole-workforce import's missing people do.
    with pytest.raises(CommandError, match="would mark 1 of the 6 active people as having left"):
        call_command("import_people", str(path), "--no-input")
    world.assert_nothing_changed()

    call_command("import_people", str(path), *CONFIRM_ONE)
    out = capsys.readouterr().out
    assert "Deactivated: 1\n  J1" in out and "left the organisation" in out
    world.assert_ana_left()


def test_hole_4_a_full_import_through_the_web_closes_the_leavers_account(world, cast, settings, tmp_path) -> None:
    settings.VAR_DIR = tmp_path
    grant(cast.programme_manager, "people.import_people")
    manager = sign_in("pm")
    # The whole workforce, without Ana.
    workforce = "employee_id,name,email,level\n" + "".join(
        f"{p.employee_id},{p.name},{p.email},{p.level}\n" for p in Person.objects.exclude(pk=cast.ana.pk)
    )
    preview = upload(manager, workforce, full="on").content.decode()
    assert "Marked as left (first 50)" in preview and "J1" in preview
    world.assert_nothing_changed()

    # One of the six is more than the 10% a whole-workforce import may mark as left unforced (hole 2).
    response = manager.post(reverse("people:import_confirm"), {"deactivations": "1", "allow_mass_deactivation": "on"})
    assert response.status_code == 302
    world.assert_ana_left()
    assert "1 deactivated" in manager.get(response["Location"]).content.decode()


def test_a_partial_import_saying_inactive_asks_for_the_number_on_the_page(world, cast, settings, tmp_path) -> None:
    """Not only a whole-workforce file: one row saying "active: no" is confirmed like missing people."""
    settings.VAR_DIR = tmp_path
    grant(cast.programme_manager, "people.import_people")
    manager = sign_in("pm")
    preview = upload(manager, "employee_id,name,email,level,active\nJ1,Ana Junior,j1@example.org,2,no\n")
    page = preview.content.decode()
    assert "Marked as left (first 50)" in page and 'name="deactivations"' in page
    assert "are that many people really leaving?" in page
    response = manager.post(reverse("people:import_confirm"), {})
    assert response.status_code == 400 and "Nothing was imported" in response.content.decode()
    world.assert_nothing_changed()

    upload(manager, "employee_id,name,email,level,active\nJ1,Ana Junior,j1@example.org,2,no\n")
    response = manager.post(reverse("people:import_confirm"), {"deactivations": "1", "allow_mass_deactivation": "on"})
    assert response.status_code == 302
    world.assert_ana_left()


def test_hole_4_an_exit_among_the_career_events_closes_the_account(world, cast, tmp_path, capsys) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    tomorrow = timezone.localdate() + timedelta(days=1)
    path = tmp_path / "events.csv"
    path.write_text(
        "employee_id,kind,effective_date\n"
        f"J1,exit,{yesterday}\n"
        # An exit not yet come, and one followed by a return: neither has left today.
        f"J2,exit,{tomorrow}\n"
        f"V1,exit,{yesterday - timedelta(days=30)}\n"
        f"V1,hire,{yesterday - timedelta(days=10)}\n",
        encoding="utf-8",
    )
    call_command("import_events", str(path), "--dry-run")
    assert "Would mark 1 person as having left (their exit has come): J1." in capsys.readouterr().out
    world.assert_nothing_changed()

    # J1 now and J2 tomorrow: marking people as having left is confirmed, as in the people import.
    call_command("import_events", str(path), "--confirm-deactivations", "2", "--allow-mass-deactivation")
    assert "Marked 1 person as having left (their exit has come): J1." in capsys.readouterr().out
    world.assert_ana_left()
    assert Person.objects.get(pk=cast.ben.pk).active and Person.objects.get(pk=cast.vp_tech.pk).active


def test_hole_4_coming_back_restores_the_account_not_the_pairs(world, cast, tmp_path) -> None:
    old_feed_url = world.feed_url
    path = tmp_path / "people.csv"
    path.write_text("employee_id,name,email,level,active\nJ1,Ana Junior,j1@example.org,2,no\n", encoding="utf-8")
    call_command("import_people", str(path), *CONFIRM_ONE)
    world.assert_ana_left()

    path.write_text("employee_id,name,email,level,active\nJ1,Ana Junior,j1@example.org,2,yes\n", encoding="utf-8")
    call_command("import_people", str(path))
    cast.ana.refresh_from_db()
    assert cast.ana.active and User.objects.get(pk=cast.ana_user.pk).is_active
    # She signs in afresh (the old browser's session stays ended).
    assert world.ana_browser.get(reverse("relationships:mine")).status_code == 302
    sign_in("ana")
    # What closed stays closed; the old calendar address stays dead, and a new one is issued.
    world.mentoring.refresh_from_db()
    world.sponsoring.refresh_from_db()
    assert (world.mentoring.state, world.sponsoring.state) == (
        RelationshipState.ENDED_EARLY,
        RelationshipState.WITHDRAWN,
    )
    assert set(Enrolment.objects.filter(person=cast.ana).values_list("status", flat=True)) == {
        EnrolmentStatus.WITHDRAWN
    }
    assert Client().get(old_feed_url).status_code == 404
    new_feed_url = reverse("relationships:calendar_feed", args=[calendar_feed_for(cast.ana).token])
    assert new_feed_url != old_feed_url and Client().get(new_feed_url).status_code == 200


def test_hole_4_a_failing_import_closes_nothing(world, monkeypatch, tmp_path) -> None:
    def broken(departure: leavers.Departure) -> dict[str, int]:
        raise RuntimeError("a layer failed while letting go")

    # Registered last, it fails after the accounts, pairs and feeds were already let go of.
    monkeypatch.setitem(leavers._handlers, "broken", broken)
    path = tmp_path / "people.csv"
    path.write_text("employee_id,name,email,level,active\nJ1,Ana Junior,j1@example.org,2,no\n", encoding="utf-8")
    with pytest.raises(RuntimeError):
        call_command("import_people", str(path), *CONFIRM_ONE)
    world.assert_nothing_changed()


def test_hole_4_the_partner_of_a_leaver_sees_why_it_ended(world, cast) -> None:
    people_deactivate(person_ids=[cast.ana.pk], actor=OPERATOR)
    vera = sign_in("vera")
    mentoring = vera.get(reverse("relationships:detail", args=[world.mentoring.pk])).content.decode()
    assert "This relationship ended early" in mentoring and "one of you left the organisation" in mentoring
    sponsoring = vera.get(reverse("relationships:detail", args=[world.sponsoring.pk])).content.decode()
    assert "This proposal was withdrawn" in sponsoring and "one of you left the organisation" in sponsoring


def test_hole_4_only_who_may_import_may_mark_people_as_left(world, cast) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        people_deactivate(person_ids=[cast.ana.pk], actor=cast.ben_user)
    world.assert_nothing_changed()
    with pytest.raises(PermissionDenied):
        people_deactivate(person_ids=[cast.ana.pk], actor=cast.programme_manager)
    people_deactivate(person_ids=[cast.ana.pk], actor=grant(cast.programme_manager, "people.import_people"))
    world.assert_ana_left()


def test_hole_4_a_leaver_leaves_the_match_review_board(cast) -> None:
    run = match_run_start(actor=OPERATOR, programme=matching_programme(cast))
    assert run.status == "ready" and run.proposals.count() == 2
    people_deactivate(person_ids=[cast.ana.pk], actor=OPERATOR)
    run.refresh_from_db()
    assert set(run.proposals.values_list("mentor__person__employee_id", "mentee__person__employee_id")) == {
        ("J2", "V1")
    }
    assert run.total_score == pytest.approx(run.proposals.get().score)
    unmatched = {u.enrolment.person.employee_id: (u.reason_code, u.reason) for u in Unmatched.objects.filter(run=run)}
    assert unmatched == {"V2": ("partner_left", "Their proposed partner left the organisation.")}
    result = match_run_publish(actor=OPERATOR, run=run, now=NOW)
    assert result.proposed == 1 and not Relationship.objects.filter(mentor=cast.ana).exists()


def test_hole_4_many_leavers_cost_no_more_queries_than_a_few(cast) -> None:
    """Bulk leaving is a fixed number of queries, not a few per person."""
    programme = ProgrammeFactory(state=ProgrammeState.MATCHING, capacity=1)

    def leavers_with_pairs(count: int) -> list[int]:
        ids = []
        for number in range(count):
            mentor = PersonFactory(level=2, department="Engineering")
            mentee = PersonFactory(level=8, department="Sales")
            User.objects.create_user(username=f"leaver-{mentor.employee_id}", password=PASSWORD, person=mentor)
            pair_up(programme, mentor, mentee) if number % 2 else propose(programme, mentor, mentee)
            calendar_feed_for(mentor)
            ids.append(mentor.pk)
        return ids

    counts = []
    for size in (3, 30):
        ids = leavers_with_pairs(size)
        with CaptureQueriesContext(connection) as queries:
            result = people_deactivate(person_ids=ids, actor=OPERATOR)
        assert result.people == size and result.accounts == size
        assert result.consequences["proposals_withdrawn"] + result.consequences["relationships_ended"] == size
        assert result.consequences["calendar_feeds_revoked"] == size
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert not Relationship.objects.filter(state__in=("proposed", "active")).exists()
    assert not Enrolment.objects.filter(programme=programme, seats_taken__gt=0).exists()


def test_hole_4_unticking_active_in_the_admin_is_leaving(world, cast) -> None:
    admin = sign_in("admin")
    url = reverse("admin:people_person_change", args=[cast.ana.pk])
    ana = cast.ana
    form = {
        "employee_id": ana.employee_id,
        "name": ana.name,
        "email": ana.email,
        "title": ana.title,
        "level": ana.level,
        "department": ana.department,
        "location": ana.location,
        "manager": ana.manager_id,
        "high_potential": "on",
        "skills-TOTAL_FORMS": "0",
        "skills-INITIAL_FORMS": "0",
        "skills-MIN_NUM_FORMS": "0",
        "skills-MAX_NUM_FORMS": "1000",
    }
    response = admin.post(url, {**form, "active": "on"})
    assert response.status_code == 302
    world.assert_nothing_changed()
    response = admin.post(url, form)  # "active" unticked
    assert response.status_code == 302
    world.assert_ana_left()
    admin.post(url, {**form, "active": "on"})
    assert can_sign_in("ana")
