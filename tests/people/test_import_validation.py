"""Every validation error of the people import: named precisely, and nothing written."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from twofold.accounts.permissions import CommandLineOperator
from twofold.people.import_services import people_import_file
from twofold.people.models import Person, PersonSkill, SelfIdentification
from twofold.people.tabular import FileRejected, read_table_bytes

HEADER = "employee_id,name,email,level,manager_id,hire_date,high_potential\n"

OPERATOR = CommandLineOperator()


def write(tmp_path, text: str, name: str = "people.csv", encoding: str = "utf-8"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def rejected(path, **options) -> list[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(FileRejected) as caught:
        people_import_file(path, actor=OPERATOR, **options)
    return [str(problem) for problem in caught.value.problems]


@pytest.fixture
def existing(db):  # type: ignore[no-untyped-def]
    """A directory of two people, so that "nothing written" means "nothing changed" too."""
    people_import_file_text = (
        HEADER + "A1,Alma Boss,alma@example.org,9,,2015-01-01,no\nA2,Aron Report,aron@example.org,3,A1,2020-01-01,no\n"
    )
    return people_import_file_text


def snapshot() -> list[tuple]:
    return list(
        Person.objects.order_by("employee_id").values_list(
            "employee_id", "name", "email", "manager_id", "level", "active"
        )
    )


def test_duplicate_employee_id_names_both_rows(tmp_path, db) -> None:
    path = write(tmp_path, HEADER + "E1,Ann,ann@x.org,3,,,\nE2,Bob,bob@x.org,3,,,\nE1,Ann Again,ann2@x.org,3,,,\n")
    assert rejected(path) == ["row 4, column 'employee_id': duplicate employee id 'E1' (also on row 2)"]
    assert Person.objects.count() == 0


def test_duplicate_email_in_file_and_against_directory(tmp_path, db, existing) -> None:
    people_import_file(write(tmp_path, existing, "first.csv"), actor=OPERATOR)
    before = snapshot()
    path = write(tmp_path, HEADER + "E1,Ann,ann@x.org,3,,,\nE2,Bob,ANN@x.org,3,,,\nE3,Cy,alma@example.org,3,,,\n")
    assert rejected(path) == [
        "row 3, column 'email': duplicate email 'ann@x.org' (also on row 2)",
        "row 4, column 'email': email 'alma@example.org' already belongs to A1 (Alma Boss)",
    ]
    assert snapshot() == before


def test_unknown_manager_id(tmp_path, db) -> None:
    path = write(tmp_path, HEADER + "E1,Ann,ann@x.org,3,E404,,\n")
    assert rejected(path) == [
        "row 2, column 'manager_id': unknown manager id 'E404': nobody in the file or the directory has it"
    ]
    assert Person.objects.count() == 0


def test_manager_cycle_names_the_people_in_it(tmp_path, db) -> None:
    path = write(
        tmp_path,
        HEADER
        + "E1,Ann Lee,ann@x.org,5,E3,,\nE2,Bob Ray,bob@x.org,4,E1,,\n"
        + "E3,Cy Dee,cy@x.org,6,E2,,\nE4,Di,di@x.org,2,E4,,\n",
    )
    assert rejected(path) == [
        "row 2, column 'manager_id': manager cycle: E1 (Ann Lee) → E3 (Cy Dee) → E2 (Bob Ray) → E1 (Ann Lee)",
        "row 5, column 'manager_id': E4 (Di) is their own manager",
    ]
    assert Person.objects.count() == 0


def test_cycle_through_people_already_in_the_directory(tmp_path, db, existing) -> None:
    people_import_file(write(tmp_path, existing, "first.csv"), actor=OPERATOR)
    before = snapshot()
    # A1 is A2's manager in the directory; making A2 manage A1 closes a loop.
    path = write(tmp_path, "employee_id,name,email,level,manager_id\nA1,Alma Boss,alma@example.org,9,A2\n")
    assert rejected(path) == [
        "row 2, column 'manager_id': manager cycle: A1 (Alma Boss) → A2 (Aron Report) → A1 (Alma Boss)"
    ]
    assert snapshot() == before


def test_bad_level_date_flag_and_email_all_reported_at_once(tmp_path, db) -> None:
    path = write(
        tmp_path,
        HEADER
        + "E1,Ann,ann@x.org,senior,,2020-13-01,maybe\n"
        + "E2,Bob,not-an-email,99,,1850-01-01,yes\n"
        + "E3,,cy@x.org,3,,,\n",
    )
    assert rejected(path) == [
        "row 2, column 'high_potential': 'maybe' is not yes or no (use yes/no, true/false or 1/0)",
        "row 2, column 'hire_date': '2020-13-01' is not a date (YYYY-MM-DD)",
        "row 2, column 'level': level 'senior' is not a whole number from 1 to 30 (e.g. 4 or L4)",
        "row 3, column 'email': 'not-an-email' is not an email address",
        "row 3, column 'hire_date': '1850-01-01' is outside the plausible range 1900–" + rejected_year(),
        "row 3, column 'level': level '99' is not a whole number from 1 to 30 (e.g. 4 or L4)",
        "row 4, column 'name': name is empty",
    ]
    assert Person.objects.count() == 0


def rejected_year() -> str:
    from datetime import timedelta

    from django.utils import timezone

    return str((timezone.localdate() + timedelta(days=366)).year)


def test_missing_required_columns_are_each_named(tmp_path, db) -> None:
    path = write(tmp_path, "employee_id,full name\nE1,Ann\n")
    assert rejected(path) == [
        "row 1: required column for 'email' is missing (expected email)",
        "row 1: required column for 'level' is missing (expected level or job_level or grade)",
    ]


def test_empty_file_and_header_only(tmp_path, db) -> None:
    assert rejected(write(tmp_path, "", "empty.csv")) == ["the file is empty"]
    assert rejected(write(tmp_path, "  \n\n", "blank.csv")) == ["the file is empty"]
    assert rejected(write(tmp_path, HEADER, "header.csv")) == ["the file has a header row but no data rows"]


def test_utf8_with_bom_and_windows_1252_are_read(tmp_path, db) -> None:
    people_import_file(write(tmp_path, "\ufeff" + HEADER + "E1,Zoë Müller,zoe@x.org,3,,,\n", "bom.csv"), actor=OPERATOR)
    people_import_file(
        write(tmp_path, HEADER + "E2,José Núñez,jose@x.org,3,,,\n", "win.csv", encoding="cp1252"), actor=OPERATOR
    )
    assert dict(Person.objects.values_list("employee_id", "name")) == {"E1": "Zoë Müller", "E2": "José Núñez"}


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_a_short_row_is_refused_by_its_row_and_missing_columns_and_nothing_changes(
    tmp_path, db, existing, separator
) -> None:
    # A2's row stops after its level (its empty cells left out, as some exports do). Read with
    # those cells empty it would take away A2's manager and hire date: the whole file is refused.
    people_import_file(write(tmp_path, existing, "first.csv"), actor=OPERATOR)
    before = snapshot()
    rows = ["A1,Alma Boss,alma@example.org,9,,2015-01-01,yes", "A2,Aron Report,aron@example.org,3"]
    text = "".join(line.replace(",", separator) + "\n" for line in [HEADER.strip(), *rows])
    with pytest.raises(FileRejected) as caught:
        people_import_file(write(tmp_path, text), actor=OPERATOR)
    # The header decides the separator even so: the missing columns are the header's last three.
    assert [(problem.row, problem.columns) for problem in caught.value.problems] == [
        (3, ("manager_id", "hire_date", "high_potential"))
    ]
    assert snapshot() == before
    assert Person.objects.get(employee_id="A2").manager.employee_id == "A1"
    assert not Person.objects.get(employee_id="A1").high_potential
    # The same rows with every cell given (the empty ones too) import.
    rows[1] += ",A1,2020-01-01,no"
    text = "".join(line.replace(",", separator) + "\n" for line in [HEADER.strip(), *rows])
    people_import_file(write(tmp_path, text), actor=OPERATOR)
    assert Person.objects.get(employee_id="A1").high_potential


def test_every_short_row_is_named_with_a_row_of_too_many_cells(tmp_path, db) -> None:
    text = HEADER + "E1,Ann,ann@x.org\nE2,Bob,bob@x.org,3,,,\nE3,Cy,cy@x.org,3,,,,surplus\nE4,Di,di@x.org,3,,\n"
    with pytest.raises(FileRejected) as caught:
        people_import_file(write(tmp_path, text), actor=OPERATOR)
    assert [(problem.row, problem.columns) for problem in caught.value.problems] == [
        (2, ("level", "manager_id", "hire_date", "high_potential")),
        (4, ()),
        (5, ("high_potential",)),
    ]
    assert Person.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "columns"),
    [
        ('"a\nline";b;c\n1;2;3\n', ["a\nline", "b", "c"]),  # a quoted header cell holding a line break
        ('"a\r\nline"\tb\tc\r\n1\t2\t3\r\n', ["a\r\nline", "b", "c"]),
        ("a\u2028x;b;c\n1;2;3\n", ["a\u2028x", "b", "c"]),  # U+2028 breaks no line in CSV
        ('"x;y;z",b\n1,2\n', ["x;y;z", "b"]),  # separators inside quotes do not count
        (';;\n"a,b";c;d\n1;2;3\n', ["a,b", "c", "d"]),  # a line of separators alone is not the header
    ],
)
def test_the_separator_is_read_from_the_whole_header_record(text, columns) -> None:
    table = read_table_bytes(text.encode(), name="people.csv")
    assert table.columns == columns
    assert [cells for _, cells in table.rows] == [["1", "2", "3"][: len(columns)]]


def test_other_encodings_are_refused_by_name(tmp_path, db) -> None:
    utf16 = write(tmp_path, HEADER + "E1,Ann,ann@x.org,3,,,\n", "utf16.csv", encoding="utf-16")
    assert rejected(utf16) == ["the file is encoded as UTF-16 (little-endian); save it as UTF-8 and try again"]
    text = HEADER + "".join(f"E{i},山田太郎{i},yamada{i}@x.org,3,,,\n" for i in range(40))
    shift_jis = write(tmp_path, text, "sjis.csv", encoding="shift_jis")
    [message] = rejected(shift_jis)
    assert message.startswith("the file looks encoded as ") and "which is not supported" in message
    assert "SHIFT" in message or "CP932" in message
    assert Person.objects.count() == 0


def test_bad_skill_cells(tmp_path, db) -> None:
    path = write(
        tmp_path,
        "employee_id,name,email,level,skills_teach,skills_learn\n"
        "E1,Ann,ann@x.org,3,Python:9,SQL:x\n"
        "E2,Bob,bob@x.org,3,Python:3,Python:1\n",
    )
    assert rejected(path) == [
        "row 2, column 'skills_learn': skill 'SQL:x': proficiency 'x' is not a whole number 0–4",
        "row 2, column 'skills_teach': skill 'Python:9': proficiency must be 0–4",
        "row 3, column 'skills_learn': skill 'Python' has proficiency 1 here but 3 in another skills column",
    ]
    assert PersonSkill.objects.count() == 0


def test_full_import_with_manager_missing_from_file(tmp_path, db, existing) -> None:
    people_import_file(write(tmp_path, existing, "first.csv"), actor=OPERATOR)
    before = snapshot()
    path = write(tmp_path, HEADER + "A2,Aron Report,aron@example.org,3,A1,2020-01-01,no\n")
    assert rejected(path, full=True) == [
        "row 2, column 'manager_id': manager 'A1' (Alma Boss) is not in the file; with --full everyone missing "
        "from the file is deactivated"
    ]
    assert snapshot() == before


def test_error_in_last_row_writes_nothing_even_skills_and_attributes(tmp_path, db) -> None:
    rows = "".join(f"E{i},Person {i},p{i}@x.org,3,Python:3,Woman\n" for i in range(300))
    path = write(tmp_path, "employee_id,name,email,level,skills_teach,gender\n" + rows + "E999,Late,late@x.org,0,,\n")
    assert rejected(path) == ["row 302, column 'level': level '0' is not a whole number from 1 to 30 (e.g. 4 or L4)"]
    assert (Person.objects.count(), PersonSkill.objects.count(), SelfIdentification.objects.count()) == (
        0,
        0,
        0,
    )


def test_cli_exits_non_zero_and_lists_every_problem(tmp_path, db, capsys) -> None:
    path = write(tmp_path, HEADER + "E1,Ann,ann@x.org,3,E9,,\nE1,Bob,bob@x.org,x,,,\n")
    with pytest.raises(CommandError) as caught:
        call_command("import_people", str(path))
    assert caught.value.returncode == 1
    err = capsys.readouterr().err
    assert "3 problems found; nothing was imported." in err
    assert "row 2, column 'manager_id': unknown manager id 'E9'" in err
    assert "row 3, column 'employee_id': duplicate employee id 'E1' (also on row 2)" in err
    assert "row 3, column 'level': level 'x'" in err
    assert Person.objects.count() == 0


def test_unreadable_files(tmp_path, db) -> None:
    assert rejected(tmp_path / "missing.csv") == [f"{tmp_path / 'missing.csv'}: no such file"]
    assert rejected(write(tmp_path, "x", "people.pdf")) == ["cannot read 'people.pdf': use a .csv, .xlsx or .json file"]
    assert rejected(write(tmp_path, "not a zip", "people.xlsx")) == [
        "'people.xlsx' is not a readable XLSX workbook (BadZipFile)"
    ]
    assert rejected(write(tmp_path, '[{"employee_id": "E1",}]', "people.json")) == [
        "line 1: is not valid JSON: Expecting property name enclosed in double quotes"
    ]
    assert rejected(write(tmp_path, "employee_id,name,email,level,email\nE1,A,a@x.org,3,b@x.org\n")) == [
        "row 1, column 'email': appears twice in the header (columns 3 and 5)"
    ]


def test_hole_6_control_characters_in_names_and_text_are_refused_by_row_and_column(tmp_path, db) -> None:
    path = write(
        tmp_path,
        "employee_id,name,email,level,title,department,location,manager_id,skills_teach,gender\n"
        'E1,"Ann\nSmith",ann@x.org,3,Analyst,Ops,Leeds,,,\n'
        "E2,Bob,bob@x.org,3,Head\tof Ops,Ops,Leeds,,,\n"
        "E3,Cy,cy@x.org,3,Analyst,Ops\x07,Leeds,,,\n"
        "E4,Dee\u202etxt.exe,dee@x.org,3,Analyst,Ops,Le\x85eds,,,\n"
        "E5,Eve,eve@x.org,3,Analyst,Ops,Leeds,E\x011,S\u2028QL:3,Wo\x1bman\n",
    )
    assert rejected(path) == [
        "row 2, column 'name': contains a line break (character 4); names and other text must be one plain line",
        "row 3, column 'title': contains a tab (character 5); names and other text must be one plain line",
        "row 4, column 'department': contains the control character U+0007 (character 4); "
        "names and other text must be one plain line",
        "row 5, column 'location': contains a line break (character 3); names and other text must be one plain line",
        "row 5, column 'name': contains the control character U+202E (character 4); "
        "names and other text must be one plain line",
        "row 6, column 'gender': contains the control character U+001B (character 3); "
        "names and other text must be one plain line",
        "row 6, column 'manager_id': contains the control character U+0001 (character 2); "
        "names and other text must be one plain line",
        "row 6, column 'skills_teach': skill name 'S\\u2028QL' contains a line break (character 2); "
        "names and other text must be one plain line",
    ]
    assert Person.objects.count() == 0


def test_hole_6_career_event_titles_refuse_control_characters_but_a_note_may_span_lines(tmp_path, cast) -> None:
    from twofold.people.models import CareerEvent

    path = write(
        tmp_path,
        "employee_id,kind,effective_date,to_title,note\n"
        'J1,promotion,2025-04-01,"Lead\tAnalyst",\n'
        'J2,role_change,2025-06-01,Account Executive,"Moved to Sales.\nAsked for it."\n',
        "events.csv",
    )
    with pytest.raises(CommandError):
        call_command("import_events", str(path))
    assert CareerEvent.objects.count() == 0
    path.write_text(
        'employee_id,kind,effective_date,to_title,note\nJ2,role_change,2025-06-01,Account Executive,"Moved.\nAsked."\n'
    )
    call_command("import_events", str(path))
    assert CareerEvent.objects.get().note == "Moved.\nAsked."
