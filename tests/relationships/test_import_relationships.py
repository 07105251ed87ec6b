"""``twofold import-relationships FILE``: past pairs from another tool, with the people import's
reader, row problems, record and all-or-nothing write. The sample cohort in docs/examples is the one
the documentation walks through."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from twofold.accounts.permissions import CommandLineOperator
from twofold.people.import_services import ImportNotPermitted
from twofold.people.models import ImportKind, ImportOutcome, ImportRecord
from twofold.people.tabular import FileRejected
from twofold.programmes.models import Enrolment, EnrolmentRole, Programme, ProgrammeKind, ProgrammeState
from twofold.relationships.models import Relationship, RelationshipState
from twofold.relationships.services.history import relationships_history_import_file

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
SAMPLE = EXAMPLES / "past-relationships.csv"
HEADER = "programme,kind,mentor_employee_id,mentee_employee_id,started_on,ended_on,end_state,meetings_held\n"


def past_cohort() -> None:
    """The sample organisation and its promotions, as the documentation imports them."""
    call_command("import_people", str(EXAMPLES / "past-cohort-people.csv"), stdout=StringIO())
    call_command("import_events", str(EXAMPLES / "past-cohort-events.csv"), stdout=StringIO())


def footprint() -> tuple[object, ...]:
    return (
        sorted(Programme.objects.values_list("name", "kind", "state")),
        sorted(Enrolment.objects.values_list("programme__name", "person__employee_id", "role", "seats_taken")),
        sorted(
            Relationship.objects.values_list("programme__name", "mentor__employee_id", "mentee__employee_id", "state")
        ),
    )


def import_sample(*args: str) -> str:
    out = StringIO()
    call_command("import_relationships", str(SAMPLE), *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_sample_cohort_is_imported_with_its_programmes_in_the_states_the_dates_say() -> None:
    past_cohort()
    output = import_sample()
    assert "Read 17 pairs. Added 17; 0 were already recorded." in output
    assert "Created the programme 'Rising talent 2024' (closed)." in output
    assert "Created the programme 'Digital fluency 2025' (running)." in output
    rising = Programme.objects.get(name="Rising talent 2024")
    fluency = Programme.objects.get(name="Digital fluency 2025")
    assert (rising.kind, rising.state) == (ProgrammeKind.SPONSORSHIP, ProgrammeState.CLOSED)
    assert (fluency.kind, fluency.state) == (ProgrammeKind.REVERSE_MENTORING, ProgrammeState.RUNNING)
    assert str(rising.starts_on) == "2024-01-15" and str(rising.ends_on) == "2024-12-13"
    states = sorted(Relationship.objects.filter(programme=rising).values_list("mentee__employee_id", "state"))
    assert states[-1] == ("H212", RelationshipState.ENDED_EARLY)
    assert [state for _, state in states[:-1]] == [RelationshipState.COMPLETED] * 11
    pair = Relationship.objects.get(programme=fluency, mentor__employee_id="H044")
    assert pair.state == RelationshipState.ACTIVE and pair.ended_at is None and pair.meetings_held == 16
    # The active pair takes its mentor's seat; the mentor of a completed pair has none taken.
    assert Enrolment.objects.get(programme=fluency, person__employee_id="H044").seats_taken == 1
    assert Enrolment.objects.get(programme=fluency, person__employee_id="H041").seats_taken == 0
    assert Enrolment.objects.get(programme=rising, person__employee_id="H201").role == EnrolmentRole.MENTEE
    record = ImportRecord.objects.filter(kind=ImportKind.RELATIONSHIPS).latest("pk")
    assert (record.outcome, record.rows, record.created) == (ImportOutcome.APPLIED, 17, 17)


@pytest.mark.django_db
def test_importing_again_adds_no_duplicate_pairs() -> None:
    past_cohort()
    import_sample()
    before = footprint()
    output = import_sample()
    assert "Read 17 pairs. Added 0; 17 were already recorded." in output
    assert "Created the programme" not in output
    assert footprint() == before
    assert Relationship.objects.count() == 17


@pytest.mark.django_db
def test_a_dry_run_writes_nothing() -> None:
    past_cohort()
    output = import_sample("--dry-run")
    assert "Would add 17" in output and "Would create the programme 'Rising talent 2024' (closed)." in output
    assert "Dry run: nothing was written." in output
    assert not Programme.objects.exists() and not Relationship.objects.exists() and not Enrolment.objects.exists()
    assert ImportRecord.objects.get(kind=ImportKind.RELATIONSHIPS).outcome == ImportOutcome.CHECKED


@pytest.mark.django_db
def test_every_bad_row_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    past_cohort()
    import_sample()
    before = footprint()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER
        # 2: an employee id nobody has
        + "Later cohort,sponsorship,H011,H999,2025-01-06,2025-06-30,completed,5\n"
        # 3: mentor and mentee are one person
        + "Later cohort,sponsorship,H012,H012,2025-01-06,2025-06-30,completed,5\n"
        # 4: a manager and her own report
        + "Later cohort,sponsorship,H020,H301,2025-01-06,2025-06-30,completed,5\n"
        # 5: ends before it starts
        + "Later cohort,sponsorship,H013,H302,2025-01-06,2024-12-30,completed,5\n"
        # 6: active, yet with an end date
        + "Later cohort,sponsorship,H014,H303,2025-01-06,2025-06-30,active,5\n"
        # 7: completed, yet without one
        + "Later cohort,sponsorship,H015,H304,2025-01-06,,completed,5\n"
        # 8: the existing sponsorship programme, as reverse mentoring
        + "Rising talent 2024,reverse-mentoring,H041,H016,2024-02-05,2024-08-30,completed,5\n"
        # 9: a kind the import does not know, and a meeting count that is not one
        + "Later cohort,coaching,H016,H305,2025-01-06,2025-06-30,completed,a few\n"
        # 10: a good row: refused with the rest, all or nothing
        + "Later cohort,sponsorship,H016,H306,2025-01-06,2025-06-30,completed,5\n",
        encoding="utf-8",
    )
    with pytest.raises(FileRejected) as rejected:
        relationships_history_import_file(bad, actor=_operator())
    found = {(problem.row, problem.column) for problem in rejected.value.problems}
    assert (2, "mentee_employee_id") in found
    assert (3, "mentee_employee_id") in found
    assert (4, "mentee_employee_id") in found
    assert (5, "ended_on") in found
    assert (6, "end_state") in found
    assert (7, "ended_on") in found
    assert (8, "kind") in found
    assert {(9, "kind"), (9, "meetings_held")} <= found
    assert not any(problem.row == 10 for problem in rejected.value.problems)
    messages = "\n".join(str(problem) for problem in rejected.value.problems)
    assert "unknown employee id 'H999'" in messages and "one reporting line" in messages
    assert footprint() == before
    assert not Programme.objects.filter(name="Later cohort").exists()
    assert ImportRecord.objects.filter(kind=ImportKind.RELATIONSHIPS).latest("pk").outcome == ImportOutcome.REJECTED

    # The command prints the same problems and exits with status 1.
    err = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_relationships", str(bad), stderr=err)
    assert refused.value.returncode == 1
    assert "row 4, column 'mentee_employee_id'" in err.getvalue()
    assert footprint() == before


@pytest.mark.django_db
def test_a_short_row_refuses_the_file_by_its_row_and_missing_column(tmp_path: Path) -> None:
    past_cohort()
    import_sample()
    before = footprint()
    short = tmp_path / "short.csv"
    # Row 3 leaves out its meeting count (the last cell): the whole file is refused.
    short.write_text(
        HEADER
        + "Later cohort,sponsorship,H016,H306,2025-01-06,2025-06-30,completed,5\n"
        + "Later cohort,sponsorship,H015,H305,2025-01-06,2025-06-30,completed\n",
        encoding="utf-8",
    )
    with pytest.raises(FileRejected) as rejected:
        relationships_history_import_file(short, actor=_operator())
    assert [(problem.row, problem.columns) for problem in rejected.value.problems] == [(3, ("meetings_held",))]
    assert footprint() == before
    assert ImportRecord.objects.filter(kind=ImportKind.RELATIONSHIPS).latest("pk").outcome == ImportOutcome.REJECTED


@pytest.mark.django_db
def test_a_second_active_pair_for_one_mentee_and_a_second_role_are_refused(tmp_path: Path) -> None:
    past_cohort()
    import_sample()
    before = footprint()
    clash = tmp_path / "clash.csv"
    clash.write_text(
        HEADER
        # H014 already has an active pair in Digital fluency 2025 (with H044).
        + "Digital fluency 2025,reverse-mentoring,H045,H014,2025-04-07,,active,2\n"
        # H011 is a mentee in Digital fluency 2025; here a mentor.
        + "Digital fluency 2025,reverse-mentoring,H011,H016,2025-04-07,2025-09-26,completed,2\n",
        encoding="utf-8",
    )
    with pytest.raises(FileRejected) as rejected:
        relationships_history_import_file(clash, actor=_operator())
    found = {(problem.row, problem.column) for problem in rejected.value.problems}
    assert {(2, "end_state"), (3, "mentor_employee_id")} <= found
    assert footprint() == before


@pytest.mark.django_db
def test_only_org_admins_import_past_relationships(cast, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    past_cohort()
    for actor in (cast.programme_manager, cast.ana_user):
        with pytest.raises(ImportNotPermitted):
            relationships_history_import_file(SAMPLE, actor=actor)
    assert not Programme.objects.filter(name="Rising talent 2024").exists()
    assert not Relationship.objects.exists()
    outcomes = set(ImportRecord.objects.filter(kind=ImportKind.RELATIONSHIPS).values_list("outcome", flat=True))
    assert outcomes == {ImportOutcome.REFUSED}
    result = relationships_history_import_file(SAMPLE, actor=cast.admin)
    assert result.created == 17


@pytest.mark.django_db
def test_an_xlsx_with_other_header_spellings(tmp_path: Path) -> None:
    from openpyxl import Workbook

    past_cohort()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    sheet.append(["Program", "Type", "Mentor ID", "Mentee ID", "Start date", "End date", "Status", "Meetings"])
    for line in lines[1:]:
        cells: list[object] = line.split(",")
        cells[7] = int(str(cells[7]))
        sheet.append(cells)
    path = tmp_path / "history.xlsx"
    book.save(path)
    result = relationships_history_import_file(path, actor=_operator())
    assert (result.rows, result.created) == (17, 17)
    assert json.dumps(result.by_state, sort_keys=True) == '{"active": 2, "completed": 14, "ended_early": 1}'


def _operator() -> CommandLineOperator:
    return CommandLineOperator()
