from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.factories import OPERATOR
from twofold.accounts.models import User
from twofold.accounts.permissions import CommandLineOperator
from twofold.people.career_event_imports import career_events_import_file
from twofold.people.import_services import ImportNotPermitted
from twofold.people.leavers import people_reactivate
from twofold.people.models import CareerEvent, ImportOutcome, ImportRecord, Person
from twofold.people.services import career_event_record, people_exits_apply
from twofold.people.tabular import FileRejected


def test_import_events_adds_new_ones_and_skips_known(tmp_path, cast, capsys) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "employee_id,kind,effective_date,from_level,to_level,to_title\n"
        "J1,promotion,2025-04-01,1,2,Analyst\n"
        "J2,Role change,2025-06-01,,,Account Executive\n",
        encoding="utf-8",
    )
    call_command("import_events", str(path))
    assert "Added 2; 0 were already recorded." in capsys.readouterr().out
    call_command("import_events", str(path))
    assert "Added 0; 2 were already recorded." in capsys.readouterr().out
    promotion = CareerEvent.objects.get(kind="promotion")
    assert (promotion.person, promotion.from_level, promotion.to_level) == (cast.ana, 1, 2)


def test_import_events_reports_every_problem_and_writes_nothing(tmp_path, cast, capsys) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "employee_id,kind,effective_date,from_level,to_level\n"
        "J1,promotion,2025-04-01,3,2\n"
        "NOPE,exit,2025-01-01,,\n"
        "J2,sabbatical,2025-02-30,,\n"
        "J1,promotion,2025-04-01,1,2\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError):
        call_command("import_events", str(path))
    err = capsys.readouterr().err
    assert "row 2, column 'to_level': a promotion must raise the level" in err
    assert "row 3, column 'employee_id': unknown employee id 'NOPE': import the person first" in err
    assert "row 4, column 'kind': 'sabbatical' is not an event kind" in err
    assert "row 4, column 'effective_date': '2025-02-30' is not a date (YYYY-MM-DD)" in err
    assert "row 5, column 'effective_date': the same event for J1 on 2025-04-01 is also on row 2" in err
    assert CareerEvent.objects.count() == 0


def test_recording_a_promotion_moves_the_current_level(cast) -> None:

    event = career_event_record(
        actor=OPERATOR, person=cast.ana, kind="promotion", effective_date=date(2026, 9, 1), to_level=3
    )
    cast.ana.refresh_from_db()
    assert (event.from_level, event.to_level, cast.ana.level) == (2, 3, 3)
    # An older event does not overwrite today's record.
    career_event_record(
        actor=OPERATOR, person=cast.ana, kind="level_change", effective_date=date(2025, 1, 1), to_level=2
    )
    cast.ana.refresh_from_db()
    assert cast.ana.level == 3
    with pytest.raises(ValueError, match="a promotion raises the level above 3"):
        career_event_record(
            actor=OPERATOR, person=cast.ana, kind="promotion", effective_date=date(2026, 10, 1), to_level=3
        )
    career_event_record(actor=OPERATOR, person=cast.ben, kind="exit", effective_date=date(2026, 10, 1))
    cast.ben.refresh_from_db()
    assert cast.ben.active is False


def test_a_short_row_refuses_the_file_by_its_row_and_missing_column(tmp_path, cast) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "employee_id,kind,effective_date,from_level,to_level,to_title\n"
        "J2,Role change,2025-06-01,,,Account Executive\n"
        "J1,promotion,2025-04-01,1,2\n",
        encoding="utf-8",
    )
    with pytest.raises(FileRejected) as rejected:
        career_events_import_file(path, actor=OPERATOR)
    assert [(problem.row, problem.columns) for problem in rejected.value.problems] == [(3, ("to_title",))]
    assert CareerEvent.objects.count() == 0
    assert ImportRecord.objects.latest("pk").outcome == ImportOutcome.REJECTED


# --- exits: confirmed like any deactivation, applied on their day -----------------------------------


def write_events(tmp_path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "events.csv"
    path.write_text("employee_id,kind,effective_date\n" + text, encoding="utf-8")
    return path


def test_exits_need_the_confirmation_and_limit_of_any_deactivation(tmp_path, cast, settings) -> None:

    settings.IMPORT_MAX_DEACTIVATION_PERCENT = 40  # 2 of the 6 active people
    yesterday = timezone.localdate() - timedelta(days=1)
    path = write_events(tmp_path, f"J1,exit,{yesterday}\nJ2,exit,{yesterday}\nV1,exit,{yesterday}\n")
    # Not confirmed (no option, no terminal to ask at): refused, nothing recorded, nobody left.
    with pytest.raises(CommandError, match="would mark 3 of the 6 active people as having left, more than the 40%"):
        call_command("import_events", str(path), "--no-input")
    with pytest.raises(CommandError, match="confirm with --confirm-deactivations 3"):
        call_command("import_events", str(path), "--no-input", "--allow-mass-deactivation")
    with pytest.raises(CommandError, match="not confirmed"):
        call_command("import_events", str(path), "--allow-mass-deactivation", "--confirm-deactivations", "2")
    assert not CareerEvent.objects.exists()
    assert Person.objects.filter(active=True).count() == 6 and User.objects.get(pk=cast.ana_user.pk).is_active
    assert set(ImportRecord.objects.values_list("outcome", flat=True)) == {ImportOutcome.REFUSED}

    # Within the limit, confirmed with the number the dry run gave: applied.
    two = write_events(tmp_path, f"J1,exit,{yesterday}\nJ2,exit,{yesterday}\n")
    call_command("import_events", str(two), "--confirm-deactivations", "2")
    assert set(Person.objects.filter(active=False).values_list("employee_id", flat=True)) == {"J1", "J2"}
    assert not User.objects.get(pk=cast.ana_user.pk).is_active


def test_hole_2_a_non_holder_is_refused_before_any_comparison(tmp_path, cast) -> None:
    # The dry run tells an importer which events are already recorded. Only holders of "Can import
    # people" (org admins, and those they grant it) get that far: anyone else is refused before the
    # file is read, with the same answer whether a guessed event is recorded, absent or malformed.

    career_event_record(actor=OPERATOR, person=cast.ana, kind="promotion", effective_date=date(2025, 4, 1), to_level=3)
    guesses = {
        "right": "employee_id,kind,effective_date\nJ1,promotion,2025-04-01\n",
        "wrong": "employee_id,kind,effective_date\nJ1,promotion,2025-05-01\n",
        "malformed": "employee_id,kind,effective_date\nJ1,sabbatical,not a date\n",
    }
    answers = {}
    for name, text in guesses.items():
        path = tmp_path / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ImportNotPermitted) as refused:
            career_events_import_file(path, actor=cast.programme_manager, dry_run=True)
        answers[name] = str(refused.value)
    assert answers["right"] == answers["wrong"] == answers["malformed"]
    records = ImportRecord.objects.filter(actor=cast.programme_manager)
    assert records.count() == 3
    assert set(records.values_list("outcome", "rows", "created", "errors")) == {(ImportOutcome.REFUSED, 0, 0, 0)}
    assert CareerEvent.objects.count() == 1


def test_a_future_exit_takes_effect_on_its_day_in_the_daily_run(tmp_path, cast, capsys) -> None:

    today = timezone.localdate()
    path = write_events(tmp_path, f"J1,exit,{today}\nJ2,exit,{today + timedelta(days=30)}\n")
    # Imported yesterday: both exits were still to come, and were confirmed then.
    result = career_events_import_file(
        path,
        actor=CommandLineOperator(),
        today=today - timedelta(days=1),
        confirm_deactivation=lambda plan: plan.count == plan.later == 2,
        allow_mass_deactivation=True,
    )
    assert (result.left, result.leaving_later) == ([], ["J1", "J2"])
    assert Person.objects.get(pk=cast.ana.pk).active

    # Today's daily run applies Ana's exit (not Ben's, a month away), through people_deactivate.
    call_command("send_reminders")
    assert "Marked 1 person as having left (their exit has come): J1." in capsys.readouterr().out
    assert not Person.objects.get(pk=cast.ana.pk).active and not User.objects.get(pk=cast.ana_user.pk).is_active
    assert Person.objects.get(pk=cast.ben.pk).active
    # Idempotent: running again changes nothing, and someone who came back is not sent away again.
    assert people_exits_apply(actor=OPERATOR) == []
    people_reactivate(person_ids=[cast.ana.pk], actor=OPERATOR)
    call_command("send_reminders")
    assert "as having left" not in capsys.readouterr().out
    assert Person.objects.get(pk=cast.ana.pk).active
    # Ben's day comes.
    assert people_exits_apply(actor=OPERATOR, today=today + timedelta(days=30)) == ["J2"]
    assert not Person.objects.get(pk=cast.ben.pk).active and not User.objects.get(pk=cast.ben_user.pk).is_active
    assert people_exits_apply(actor=OPERATOR, today=today + timedelta(days=31)) == []


def test_the_daily_task_applies_due_exits_before_reminding(tmp_path, cast, mailoutbox) -> None:
    from twofold.relationships.tasks import reminders_daily

    today = timezone.localdate()
    career_events_import_file(
        write_events(tmp_path, f"J2,exit,{today}\n"),
        actor=CommandLineOperator(),
        today=today - timedelta(days=1),
        confirm_deactivation=lambda plan: plan.count == 1,
        allow_mass_deactivation=True,
    )
    assert Person.objects.get(pk=cast.ben.pk).active
    assert reminders_daily.call()["left"] == 1
    assert not Person.objects.get(pk=cast.ben.pk).active and not User.objects.get(pk=cast.ben_user.pk).is_active
    assert reminders_daily.call()["left"] == 0
