"""A past cohort rebuilt from files (import-people, import-events, import-relationships) counts in the
insights from day one: the careers comparison, the funnel and the engagement tables read the
imported pairs, and the board report carries them."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.relationships.test_import_relationships import SAMPLE, past_cohort


def report(programme: str, tmp_path: Path) -> dict:  # type: ignore[type-arg]
    out = tmp_path / "report.json"
    call_command("report", programme, "--format", "json", "--out", str(out), stderr=StringIO())
    return json.loads(out.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def rows(table: dict) -> dict[str, list]:  # type: ignore[type-arg]
    return {row[0]: row[1:] for row in table["rows"]}


@pytest.mark.django_db
def test_an_imported_cohort_and_its_promotions_count_in_the_report(tmp_path: Path) -> None:
    past_cohort()
    call_command("import_relationships", str(SAMPLE), stdout=StringIO())
    document = report("Rising talent 2024", tmp_path)

    # Careers: the twelve protégés (eight promoted in 2024) against their twelve matched peers (five).
    promotion = document["careers"]["promotion_12m"]
    assert promotion["suppressed"] is False and promotion["too_few_to_say"] is False
    assert promotion["participants_n"] == 12 and promotion["comparison_n"] == 12
    assert promotion["participants_rate"] == pytest.approx(8 / 12)
    assert promotion["comparison_rate"] == pytest.approx(5 / 12)
    assert promotion["difference"] == pytest.approx(3 / 12)
    people = rows(document["sections"]["careers"]["careers-people"])
    assert people["Participants"][:2] == [{"value": 12, "suppressed": False}, {"value": 8, "suppressed": False}]

    # Engagement: the imported pairs are there, their meetings a count without dates.
    engagement = document["sections"]["engagement"]
    first = rows(engagement["first-meeting"])
    assert first["Not recorded (imported history: a count of meetings only)"][0] == {"value": 12, "suppressed": False}

    # Reach: twelve protégés matched, eleven of whom completed (the twelfth ended early).
    funnel = rows(document["sections"]["reach"]["funnel"])
    assert funnel["Matched"][0] == {"value": 12, "suppressed": False}
    assert funnel["Completed"][0] == {"value": 11, "suppressed": False}


@pytest.mark.django_db
def test_an_imported_reverse_mentoring_cohort_has_its_reverse_mentors_followed(tmp_path: Path) -> None:
    past_cohort()
    call_command("import_relationships", str(SAMPLE), stdout=StringIO())
    document = report("Digital fluency 2025", tmp_path)
    assert document["careers"]["side"] == "reverse mentors"
    # Five reverse mentors imported; nobody to compare them with in the sample, so too few to say.
    assert document["careers"]["promotion_12m"]["suppressed"] is True
    engagement = rows(document["sections"]["engagement"]["first-meeting"])
    assert engagement["Not recorded (imported history: a count of meetings only)"][0]["value"] == 5
