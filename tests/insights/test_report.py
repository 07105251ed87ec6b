"""The board report and the new sections: estimates against hand-computed values, and suppression
that holds alike on the page, in the table downloads and in the report's JSON, CSV and PDF."""

from __future__ import annotations

import csv
import io
import json
import re
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import PersonFactory, ProgrammeFactory, RelationshipFactory, SkillFactory, UserFactory
from tests.insights.test_pages import hipo, promote, sponsorship, start, today
from tests.people.test_views import signed_in
from twofold.insights.report import programme_report
from twofold.insights.statistics import batch_mean_interval
from twofold.people.models import SkillCategory
from twofold.privacy import Scale, answers_from_rows
from twofold.programmes.models import Programme
from twofold.relationships.models import Direction, KnowledgeTransfer, Meeting, MeetingStatus, RelationshipState

T_975_3 = 3.182446305284263  # Student's t, 97.5th percentile, 3 degrees of freedom (tables)


# --- estimates against hand-computed references -------------------------------------------------------


def test_batch_mean_interval_is_the_t_interval_over_batch_means() -> None:
    # Mean 1.6; deviations ±0.6, ±0.2: s² = 0.8 / 3; half-width t(0.975, 3) · s / √4.
    result = batch_mean_interval([1.0, 1.4, 1.8, 2.2], batch_size=5)
    half = T_975_3 * (0.8 / 3) ** 0.5 / 2
    assert result.n == 20 and result.batches == 4
    assert result.estimate == pytest.approx(1.6)
    assert result.ci_low == pytest.approx(1.6 - half) == pytest.approx(0.7782959, abs=1e-6)
    assert result.ci_high == pytest.approx(1.6 + half) == pytest.approx(2.4217041, abs=1e-6)


def test_too_few_batches_or_batches_all_alike_give_no_interval() -> None:
    assert not batch_mean_interval([1.0, 1.4, 1.8], batch_size=5).enough
    alike = batch_mean_interval([0.9, 0.9, 0.9, 0.9], batch_size=5)
    assert not alike.enough and alike.as_json()["suppressed"] is True and alike.as_json()["estimate"] is None


def test_batch_means_are_the_mid_points_of_the_published_bands() -> None:
    # k = 5 on −4…4: five gains of 1 sum to 5, published as the band 4–5 (mid 4.5, mean 0.9); five
    # of 2 sum to 10, band 10–11 (mean 2.1). Three more answers make no batch and count for nothing.
    rows = [(("p",), {"gain": 1})] * 5 + [(("p",), {"gain": 2})] * 5 + [(("p",), {"gain": 4})] * 3
    answers = answers_from_rows(rows, cell=["programme"], fields=["gain"], scale=Scale(-4, 4))
    assert answers.batch_means("gain") == [pytest.approx(0.9), pytest.approx(2.1)]
    mean = answers.mean("gain")
    assert mean.value == pytest.approx(1.5) and mean.counted == 10 and mean.answers == 13


# --- organisations ------------------------------------------------------------------------------------


def sponsored_organisation() -> Programme:
    """Twenty protégés, half promoted; forty comparable colleagues, four promoted (as in test_pages)."""
    protégés = [hipo() for _ in range(20)]
    for person in protégés[:10]:
        promote(person, 120)
    for person in [hipo() for _ in range(40)][:4]:
        promote(person, 150)
    return sponsorship("Rising leaders", protégés)


def mentoring_with_skills() -> Programme:
    """Five reverse-mentoring pairs recording twenty skills: batches of five whose gains sum to 5, 5,
    10 and 10 (bands 4–5, 4–5, 10–11, 10–11: batch means 0.9, 0.9, 2.1, 2.1)."""
    programme = ProgrammeFactory(name="Digital fluency", starts_on=start())
    skill = SkillFactory(name="Generative AI", category=SkillCategory.DIGITAL)
    pairs = [
        RelationshipFactory(
            programme=programme, state=RelationshipState.ACTIVE, proposed_at=timezone.now() - timedelta(days=90)
        )
        for _ in range(5)
    ]
    for gain in [1] * 10 + [2] * 10:
        KnowledgeTransfer.objects.create(
            relationship=pairs[0],
            skill=skill,
            direction=Direction.MENTOR_TO_MENTEE,
            proficiency_before=1,
            proficiency_after=1 + gain,
            recorded_on=today() - timedelta(days=10),
        )
    return programme


def pdf_pages(data: bytes) -> int:
    """Pages of a PDF, counting page objects in its (compressed) object streams too."""
    count = len(re.findall(rb"/Type\s*/Page\b", data))
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            count += len(re.findall(rb"/Type\s*/Page\b", zlib.decompress(match.group(1))))
        except zlib.error:
            continue
    return count


# --- the report command ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_report_json_carries_the_promotion_difference_and_the_mean_gain(tmp_path: Path) -> None:
    sponsored = sponsored_organisation()
    mentoring_with_skills()
    out = tmp_path / "sponsorship.json"
    call_command("report", str(sponsored.pk), "--format", "json", "--out", str(out))
    promotion = json.loads(out.read_text())["careers"]["promotion_12m"]
    assert {
        "participants_n",
        "comparison_n",
        "participants_rate",
        "comparison_rate",
        "difference",
        "ci_low",
        "ci_high",
    } <= set(promotion)
    assert promotion["participants_n"] == 20 and promotion["comparison_n"] == 40
    assert promotion["participants_rate"] == pytest.approx(0.5) and promotion["comparison_rate"] == pytest.approx(0.1)
    assert promotion["difference"] == pytest.approx(0.4)
    assert promotion["ci_low"] < 0.4 < promotion["ci_high"] and promotion["suppressed"] is False

    out = tmp_path / "mentoring.json"
    call_command("report", "Digital fluency", "--format", "json", "--out", str(out))
    gain = json.loads(out.read_text())["knowledge"]["mean_gain"]
    half = T_975_3 * (4 * 0.6**2 / 3) ** 0.5 / 2  # batch means 0.9, 0.9, 2.1, 2.1
    assert gain["n"] == 20
    assert gain["estimate"] == pytest.approx(1.5)
    assert gain["ci_low"] == pytest.approx(1.5 - half) and gain["ci_high"] == pytest.approx(1.5 + half)


@pytest.mark.django_db
def test_report_command_writes_a_pdf_with_pages(tmp_path: Path) -> None:
    sponsored_organisation()
    mentoring_with_skills()
    for name in ("Rising leaders", "Digital fluency"):
        out = tmp_path / "report.pdf"
        call_command("report", name, "--out", str(out), "--as-of", today().isoformat())
        data = out.read_bytes()
        assert data.startswith(b"%PDF-")
        assert pdf_pages(data) >= 2


@pytest.mark.django_db
def test_report_command_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    sponsored = sponsored_organisation()
    with pytest.raises(CommandError, match="needs --out"):
        call_command("report", str(sponsored.pk))
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("report", str(sponsored.pk), "--format", "json", "--as-of", "yesterday")
    with pytest.raises(CommandError, match="no programme"):
        call_command("report", "Nothing like it", "--format", "json")


# --- suppression, the same everywhere ----------------------------------------------------------------


def legal_four() -> Programme:
    """A sponsorship where Legal has exactly four high-potential people with an active sponsor (and
    twelve without); Finance's seven without are the next smallest group, hidden beside the four."""
    programme = sponsored_organisation()
    for _ in range(4):
        RelationshipFactory(
            programme=programme,
            state=RelationshipState.ACTIVE,
            mentee_enrolment__person=hipo(department="Legal"),
            mentor_enrolment__person__level=9,
        )
    for _ in range(12):
        hipo(department="Legal")
    for _ in range(7):
        hipo(department="Finance")
    return programme


def shown_numbers(rows: list[list[object]]) -> list[object]:
    return [cell for row in rows for cell in row[1:] if isinstance(cell, int)]


@pytest.mark.django_db
def test_a_group_of_four_never_appears_in_the_report_or_on_the_page(tmp_path: Path) -> None:
    programme = legal_four()
    report = programme_report(programme, as_of=today())
    departments = report.as_json()["sections"]["pipeline"]["pipeline-departments"]
    legal = [row for row in departments["rows"] if row[0] == "Legal"]
    assert legal and legal[0][1] == {"value": None, "suppressed": True}
    # Differencing: what the shown cells leave of the total is never a group smaller than k.
    total = departments["rows"][-1][1]["value"]
    shown = sum(cell["value"] for row in departments["rows"][:-1] for cell in row[1:] if cell["value"] is not None)
    assert total is None or total - shown >= report.k

    out = tmp_path / "report.csv"
    call_command("report", str(programme.pk), "--format", "csv", "--out", str(out))
    rows = list(csv.reader(io.StringIO(out.read_text())))
    legal_rows = [row for row in rows if row[:1] == ["Legal"]]
    assert legal_rows and "4" not in legal_rows[0]

    manager = UserFactory(username="legal-pm", is_programme_manager=True)
    programme.managers.set([manager])
    client = signed_in(manager)
    page = client.get(reverse("insights:programme", args=[programme.pk])).content.decode()
    legal_row = re.search(r"<th scope=\"row\">Legal</th>(.*?)</tr>", page, re.S)
    assert legal_row and ">4<" not in legal_row.group(1) and "not shown" in legal_row.group(1)

    # The table download is the page's table: the same shown cells, the same hidden ones.
    download = client.get(reverse("insights:table", args=[programme.pk, "pipeline-departments", "csv"]))
    assert download.status_code == 200
    downloaded = list(csv.reader(io.StringIO(download.content.decode())))
    from_report = [[str(cell) for cell in row] for row in report.table("pipeline-departments").plain_rows()]
    assert downloaded[: len(from_report)] == from_report
    assert next(row for row in downloaded if row[:1] == ["Legal"])[1:3] == ["not shown", "12"]


@pytest.mark.django_db
def test_engagement_hides_a_small_group_and_its_complement() -> None:
    # Six pairs started sixty days ago on a fortnightly cadence: five met five times (at the cadence),
    # one never met. The one is hidden, and so is the five beside it; their total of six is shown.
    programme = ProgrammeFactory(starts_on=start())
    started = timezone.now() - timedelta(days=60)
    pairs = [
        RelationshipFactory(programme=programme, state=RelationshipState.ACTIVE, proposed_at=started) for _ in range(6)
    ]
    for pair in pairs[:5]:
        for week in range(5):
            Meeting.objects.create(
                relationship=pair, starts_at=started + timedelta(days=3 + 11 * week), status=MeetingStatus.HELD
            )
    report = programme_report(programme, as_of=today())
    cadence = report.table("meeting-cadence")
    assert cadence is not None
    as_json = cadence.as_json()["rows"]
    assert as_json == [["All", {"value": 6, "suppressed": False}, ""]]
    assert cadence.note
    first = report.table("first-meeting")
    assert first is not None and first.as_json()["rows"][-1][1]["value"] == 6


# --- downloads ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_table_downloads_are_formula_safe_in_csv_and_xlsx() -> None:
    programme = sponsored_organisation()
    for _ in range(6):
        PersonFactory(department='=HYPERLINK("http://x")', high_potential=True, level=3)
    manager = UserFactory(username="dl-pm", is_programme_manager=True)
    programme.managers.set([manager])
    client = signed_in(manager)
    response = client.get(reverse("insights:table", args=[programme.pk, "pipeline-departments", "csv"]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    cells = [cell for row in csv.reader(io.StringIO(response.content.decode())) for cell in row]
    assert '\'=HYPERLINK("http://x")' in cells and '=HYPERLINK("http://x")' not in cells
    response = client.get(reverse("insights:table", args=[programme.pk, "pipeline-departments", "xlsx"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert '\'=HYPERLINK("http://x")' in values
    assert not any(isinstance(value, str) and value.startswith("=") for value in values)
    assert client.get(reverse("insights:table", args=[programme.pk, "no-such-table", "csv"])).status_code == 404


@pytest.mark.django_db
def test_the_report_downloads_answer_only_those_who_may_see_the_programme() -> None:
    programme = sponsored_organisation()
    own, other = (
        UserFactory(username="own", is_programme_manager=True),
        UserFactory(username="other", is_programme_manager=True),
    )
    programme.managers.set([own])
    client = signed_in(other)
    assert client.get(reverse("insights:report", args=[programme.pk, "json"])).status_code == 404
    client = signed_in(own)
    response = client.get(reverse("insights:report", args=[programme.pk, "json"]))
    assert response.status_code == 200
    assert json.loads(response.content)["careers"]["promotion_12m"]["participants_n"] == 20
    pdf = client.get(reverse("insights:report", args=[programme.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    page = client.get(reverse("insights:programme", args=[programme.pk])).content.decode()
    assert "Download report (PDF)" in page and reverse("insights:report", args=[programme.pk, "pdf"]) in page


@pytest.mark.django_db
def test_the_organisation_wide_pipeline_is_for_executives_only(cast) -> None:  # type: ignore[no-untyped-def]
    sponsored_organisation()
    executive = signed_in(cast.executive).get(reverse("insights:overview")).content.decode()
    assert 'id="section-pipeline"' in executive and "High-potential people by level band and sponsor" in executive
    manager = signed_in(cast.programme_manager).get(reverse("insights:overview")).content.decode()
    assert 'id="section-pipeline"' not in manager
