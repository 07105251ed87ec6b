"""Each HRIS preset's happy path, mapping files, upserts, --full, --dry-run and the round trip."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from twofold.accounts.permissions import CommandLineOperator
from twofold.people.import_services import people_import_file
from twofold.people.models import Person, PersonSkill, SelfIdentification, Skill
from twofold.people.tabular import FileRejected

OPERATOR = CommandLineOperator()


def people() -> dict[str, Person]:
    return {person.employee_id: person for person in Person.objects.select_related("manager")}


def manager_of(employee_id: str) -> str | None:
    person = Person.objects.select_related("manager").get(employee_id=employee_id)
    return person.manager.employee_id if person.manager else None


def test_bamboohr_csv(tmp_path, db) -> None:
    path = tmp_path / "bamboo.csv"
    path.write_text(
        "Employee #,First Name,Last Name,Work Email,Job Title,Job Level,Department,Location,Supervisor EID,"
        "Hire Date,Status,Gender,Birth Date\n"
        "101,Maria,Lopez,Maria.Lopez@acme.example,VP Sales,L8,Sales,Madrid,,03/15/2012,Active,Female,07/04/1975\n"
        "102,Kenji,Sato,kenji.sato@acme.example,Account Executive,L2,Sales,Tokyo,101,11/01/2023,Active,Male,\n"
        "103,Old,Timer,old.timer@acme.example,Analyst,L3,Sales,Tokyo,101,01/02/2010,Inactive,,\n",
        encoding="utf-8",
    )
    result = people_import_file(path, preset="bamboohr", actor=OPERATOR)
    assert sorted(result.created) == ["101", "102", "103"]
    everyone = people()
    assert everyone["101"].name == "Maria Lopez"
    assert everyone["101"].email == "maria.lopez@acme.example"
    assert (everyone["101"].level, everyone["102"].level) == (8, 2)
    assert everyone["101"].hire_date == date(2012, 3, 15)
    assert manager_of("102") == "101"
    assert everyone["103"].active is False
    # Only the birth year is kept, never the full date of birth.
    assert SelfIdentification.objects.get(person__employee_id="101").birth_year == 1975
    assert SelfIdentification.objects.get(person__employee_id="101").gender == "Female"


def test_workday_json_report(tmp_path, db) -> None:
    path = tmp_path / "workday.json"
    path.write_text(
        json.dumps(
            {
                "Report_Entry": [
                    {
                        "workerID": "W-1",
                        "firstName": "Ada",
                        "lastName": "King",
                        "primaryWorkEmail": "ada@corp.example",
                        "businessTitle": "Chief Technology Officer",
                        "jobLevel": "9",
                        "supervisoryOrganization": "Technology",
                        "location": "London",
                        "hireDate": "2011-06-01",
                        "active": "1",
                    },
                    {
                        "workerID": "W-2",
                        "firstName": "Grace",
                        "lastName": "Hopper",
                        "primaryWorkEmail": "grace@corp.example",
                        "businessTitle": "Engineer",
                        "jobLevel": "3",
                        "supervisoryOrganization": "Technology",
                        "location": "London",
                        "managerID": "W-1",
                        "hireDate": "2022-09-12",
                        "active": "1",
                        "highPotential": "true",
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    people_import_file(path, preset="workday", actor=OPERATOR)
    grace = Person.objects.get(employee_id="W-2")
    assert (grace.name, grace.title, grace.department, grace.high_potential) == (
        "Grace Hopper",
        "Engineer",
        "Technology",
        True,
    )
    assert manager_of("W-2") == "W-1"


def test_successfactors_xlsx_with_no_manager_marker(tmp_path, db) -> None:
    path = tmp_path / "sf.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "STATUS",
            "USERID",
            "FIRSTNAME",
            "LASTNAME",
            "EMAIL",
            "TITLE",
            "JOBLEVEL",
            "DEPARTMENT",
            "MANAGER",
            "HIREDATE",
            "GENDER",
        ]
    )
    sheet.append(
        [
            "active",
            "sf1",
            "Lena",
            "Berg",
            "lena@sf.example",
            "Director",
            7,
            "Finance",
            "NO_MANAGER",
            date(2014, 2, 3),
            "F",
        ]
    )
    sheet.append(
        [
            "active",
            "sf2",
            "Omar",
            "Haddad",
            "omar@sf.example",
            "Analyst",
            2,
            "Finance",
            "sf1",
            date(2021, 5, 6),
            "M",
        ]
    )
    sheet.append(
        [
            "inactive",
            "sf3",
            "Ines",
            "Costa",
            "ines@sf.example",
            "Analyst",
            2,
            "Finance",
            "sf1",
            date(2019, 1, 1),
            "",
        ]
    )
    workbook.save(path)
    people_import_file(path, preset="successfactors", actor=OPERATOR)
    everyone = people()
    assert everyone["sf1"].manager is None
    assert manager_of("sf2") == "sf1"
    assert everyone["sf1"].hire_date == date(2014, 2, 3)
    assert everyone["sf3"].active is False
    assert SelfIdentification.objects.get(person__employee_id="sf2").gender == "M"


def test_hibob_nested_json(tmp_path, db) -> None:
    path = tmp_path / "bob.json"
    path.write_text(
        json.dumps(
            {
                "employees": [
                    {
                        "firstName": "Noa",
                        "surname": "Levi",
                        "email": "noa@bob.example",
                        "work": {
                            "employeeIdInCompany": "77",
                            "title": "Head of People",
                            "department": "People",
                            "site": "Tel Aviv",
                            "startDate": "2016-04-01",
                            "custom": {"level": "8"},
                        },
                    },
                    {
                        "firstName": "Eli",
                        "surname": "Cohen",
                        "email": "eli@bob.example",
                        "work": {
                            "employeeIdInCompany": "78",
                            "title": "People Partner",
                            "department": "People",
                            "site": "London",
                            "startDate": "2024-01-15",
                            "custom": {"level": "3"},
                            "reportsTo": {"employeeIdInCompany": "77"},
                        },
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    people_import_file(path, preset="hibob", actor=OPERATOR)
    eli = Person.objects.get(employee_id="78")
    assert (eli.name, eli.location, eli.level, eli.hire_date) == ("Eli Cohen", "London", 3, date(2024, 1, 15))
    assert manager_of("78") == "77"


def test_hibob_csv_with_uk_dates(tmp_path, db) -> None:
    path = tmp_path / "bob.csv"
    path.write_text(
        "employee_id_in_company,first_name,surname,email,work_title,job_level,department,site,"
        "reports_to_id_in_company,start_date\n"
        "1,Ruth,Amar,ruth@bob.example,CEO,10,Exec,London,,01/02/2015\n"
        "2,Dan,Gold,dan@bob.example,Analyst,2,Exec,London,1,25/12/2023\n",
        encoding="utf-8",
    )
    people_import_file(path, preset="hibob", actor=OPERATOR)
    assert Person.objects.get(employee_id="2").hire_date == date(2023, 12, 25)
    assert manager_of("2") == "1"


def test_generic_with_skills_and_attributes(tmp_path, db) -> None:
    Skill.objects.create(name="Generative AI", category="digital")
    path = tmp_path / "generic.csv"
    path.write_text(
        "employee_id,name,email,level,skills_teach,skills_learn,skills,gender,ethnicity\n"
        "E1,Ann,ann@x.org,2,generative ai:4;TikTok,Negotiation:1,Excel:2,Woman,Asian\n",
        encoding="utf-8",
    )
    result = people_import_file(path, actor=OPERATOR)
    assert result.new_skills == ["Excel", "Negotiation", "TikTok"]
    held = {
        row.skill.name: (row.proficiency, row.can_teach, row.wants_to_learn)
        for row in PersonSkill.objects.select_related("skill")
    }
    # A skill named in another case joins the catalogue entry; no proficiency means 3 to teach.
    assert held == {
        "Generative AI": (4, True, False),
        "TikTok": (3, True, False),
        "Negotiation": (1, False, True),
        "Excel": (2, False, False),
    }
    assert Skill.objects.get(name="TikTok").category == "other"
    assert SelfIdentification.objects.get().ethnicity == "Asian"


def test_mapping_file_for_any_layout(tmp_path, db) -> None:
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        'date_formats = ["%d.%m.%Y"]\n'
        "[columns]\n"
        'employee_id = "Personalnummer"\n'
        'name = ["Vorname", "Nachname"]\n'
        'email = "E-Mail"\n'
        'level = "Stufe"\n'
        'manager_id = "Vorgesetzter"\n'
        'hire_date = "Eintritt"\n',
        encoding="utf-8",
    )
    path = tmp_path / "hr.csv"
    path.write_text(
        "Personalnummer;Vorname;Nachname;E-Mail;Stufe;Vorgesetzter;Eintritt\n"
        "1;Jörg;Weiß;joerg@firma.example;9;;01.04.2010\n"
        "2;Anke;Roth;anke@firma.example;3;1;15.08.2022\n",
        encoding="utf-8",
    )
    people_import_file(path, mapping_file=mapping, actor=OPERATOR)
    assert Person.objects.get(employee_id="1").name == "Jörg Weiß"
    assert Person.objects.get(employee_id="2").hire_date == date(2022, 8, 15)
    assert manager_of("2") == "1"


def test_mapping_file_problems(tmp_path, db) -> None:
    mapping = tmp_path / "bad.toml"
    mapping.write_text('preset = "oracle"\n[columns]\nsalary = "Pay"\nemail = 5\n', encoding="utf-8")
    path = tmp_path / "hr.csv"
    path.write_text("id,name,email,level\n1,A,a@x.org,3\n", encoding="utf-8")
    with pytest.raises(FileRejected) as caught:
        people_import_file(path, mapping_file=mapping, actor=OPERATOR)
    messages = [str(problem) for problem in caught.value.problems]
    assert any("unknown preset 'oracle'" in message for message in messages)
    assert any("column 'salary'" in message and "unknown field" in message for message in messages)
    assert any("column 'email'" in message and "give a column name" in message for message in messages)
    mapping.write_text('[columns]\nemployee_id = "Staff No"\n', encoding="utf-8")
    with pytest.raises(FileRejected) as caught:
        people_import_file(path, mapping_file=mapping, actor=OPERATOR)
    assert [str(problem) for problem in caught.value.problems] == [
        "row 1, column 'Staff No': the mapping names this column for 'employee_id', but the file has no such column"
    ]


def test_upsert_changes_only_what_differs_and_keeps_absent_columns(tmp_path, db) -> None:
    first = tmp_path / "first.csv"
    first.write_text(
        "employee_id,name,email,level,title,department,manager_id\n"
        "E1,Ann,ann@x.org,9,CEO,Exec,\nE2,Bob,bob@x.org,3,Analyst,Ops,E1\nE3,Cy,cy@x.org,3,Analyst,Ops,E1\n",
        encoding="utf-8",
    )
    people_import_file(first, actor=OPERATOR)
    second = tmp_path / "second.csv"
    # No title, department or manager column: those stay as they are.
    second.write_text("employee_id,name,email,level\nE2,Bob,bob@x.org,4\nE4,Dee,dee@x.org,2\n", encoding="utf-8")
    result = people_import_file(second, actor=OPERATOR)
    assert result.created == ["E4"]
    assert result.updated == {"E2": ["level"]}
    bob = Person.objects.get(employee_id="E2")
    assert (bob.level, bob.title, bob.department) == (4, "Analyst", "Ops")
    assert manager_of("E2") == "E1"
    assert Person.objects.get(employee_id="E3").active is True


def test_full_deactivates_people_missing_from_the_file_never_deletes(tmp_path, db, capsys) -> None:
    first = tmp_path / "first.csv"
    first.write_text(
        "employee_id,name,email,level,manager_id\nE1,Ann,ann@x.org,9,\nE2,Bob,bob@x.org,3,E1\nE3,Cy,cy@x.org,3,E1\n",
        encoding="utf-8",
    )
    people_import_file(first, actor=OPERATOR)
    second = tmp_path / "second.csv"
    second.write_text(
        "employee_id,name,email,level,manager_id\nE1,Ann,ann@x.org,9,\nE2,Bob,bob@x.org,3,E1\n",
        encoding="utf-8",
    )
    call_command("import_people", str(second), "--full", "--dry-run")
    out = capsys.readouterr().out
    assert "Would deactivated: 1" not in out
    assert "Would deactivate: 1" in out and "  E3" in out and "Dry run: nothing was written." in out
    assert Person.objects.get(employee_id="E3").active is True
    call_command("import_people", str(second), "--full", "--allow-mass-deactivation", "--confirm-deactivations", "1")
    assert Person.objects.get(employee_id="E3").active is False
    assert Person.objects.count() == 3
    # Coming back in a later full file reactivates.
    people_import_file(first, full=True, actor=OPERATOR)
    assert Person.objects.get(employee_id="E3").active is True


def test_dry_run_reports_creates_updates_and_writes_nothing(tmp_path, db, capsys) -> None:
    path = tmp_path / "people.csv"
    path.write_text("employee_id,name,email,level\nE1,Ann,ann@x.org,9\nE2,Bob,bob@x.org,3\n", encoding="utf-8")
    call_command("import_people", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "Would create: 2" in out and "  E1" in out and "  E2" in out
    assert Person.objects.count() == 0


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".json"])
def test_export_then_import_reports_no_changes(tmp_path, db, capsys, suffix) -> None:
    call_command("demo_org", people=150, seed=7, as_of=date(2026, 6, 1))
    path = tmp_path / f"export{suffix}"
    call_command("export_people", str(path), "--include-restricted")
    capsys.readouterr()
    call_command("import_people", str(path), "--full")
    assert "No changes: the directory already matches the file." in capsys.readouterr().out


def test_email_swap_between_two_people(tmp_path, db) -> None:
    path = tmp_path / "people.csv"
    path.write_text("employee_id,name,email,level\nE1,Ann,ann@x.org,3\nE2,Bob,bob@x.org,3\n", encoding="utf-8")
    people_import_file(path, actor=OPERATOR)
    path.write_text("employee_id,name,email,level\nE1,Ann,bob@x.org,3\nE2,Bob,ann@x.org,3\n", encoding="utf-8")
    people_import_file(path, actor=OPERATOR)
    assert dict(Person.objects.values_list("employee_id", "email")) == {"E1": "bob@x.org", "E2": "ann@x.org"}
