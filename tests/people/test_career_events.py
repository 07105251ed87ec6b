from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from tests.factories import OPERATOR
from twofold.people.models import CareerEvent


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
    from datetime import date

    from twofold.people.services import career_event_record

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
