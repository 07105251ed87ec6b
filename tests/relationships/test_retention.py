"""Retention: the daily run removes private notes, check-in comments and resolved concerns once they
are older than their settings, keeps the scores and rows that figures count, and does it once."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.conftest import Cast
from tests.factories import MeetingFactory, ProgrammeFactory
from tests.relationships.pairing import pair_up
from twofold.audit.models import AuditEntry
from twofold.relationships.models import CheckIn, Concern, ConcernStatus, PrivateNote, Relationship
from twofold.relationships.retention import retention_apply
from twofold.relationships.tasks import reminders_daily

DAYS = timedelta(days=1)


@pytest.fixture
def pair(cast: Cast) -> Relationship:
    return pair_up(ProgrammeFactory(), cast.ana, cast.vp_sales, now=timezone.now() - 900 * DAYS)


def aged(pair: Relationship, cast: Cast, days: int, label: str) -> None:
    """A meeting with Ana's private note, her check-in and her resolved concern, all ``days`` old."""
    then = timezone.now() - days * DAYS
    meeting = MeetingFactory(relationship=pair, starts_at=then)
    PrivateNote.objects.create(meeting=meeting, author=cast.ana, text=f"note {label}")
    CheckIn.objects.create(
        relationship=pair,
        person=cast.ana,
        point=label,
        satisfaction=4,
        psychological_safety=5,
        progress=3,
        comment=f"comment {label}",
        submitted_at=then,
    )
    concern = Concern.objects.create(
        relationship=pair, raised_by=cast.ana, text=f"concern {label}", status=ConcernStatus.RESOLVED, resolution="ok"
    )
    Concern.objects.filter(pk=concern.pk).update(updated_at=then)  # resolved that long ago


@pytest.fixture
def history(cast: Cast, pair: Relationship) -> None:
    aged(pair, cast, 800, "fit")  # past every default
    aged(pair, cast, 400, "midpoint")  # past the comments' and concerns' defaults, not the notes'
    aged(pair, cast, 10, "end")  # recent


def test_what_outlived_its_setting_is_removed_and_the_figures_stay(cast: Cast, history: None) -> None:
    scores = list(CheckIn.objects.order_by("point").values_list("point", "satisfaction", "progress"))
    assert retention_apply() == {"private_notes_deleted": 1, "check_in_comments_emptied": 2, "concerns_emptied": 2}
    assert sorted(PrivateNote.objects.values_list("text", flat=True)) == ["note end", "note midpoint"]
    assert sorted(CheckIn.objects.exclude(comment="").values_list("comment", flat=True)) == ["comment end"]
    assert list(CheckIn.objects.order_by("point").values_list("point", "satisfaction", "progress")) == scores
    assert list(Concern.objects.exclude(text="").values_list("text", flat=True)) == ["concern end"]
    assert Concern.objects.count() == 3
    (entry,) = AuditEntry.objects.filter(action="retention.apply")
    assert entry.detail["private_notes_deleted"] == 1


def test_a_second_run_finds_nothing_more(history: None) -> None:
    retention_apply()
    assert retention_apply() == {"private_notes_deleted": 0, "check_in_comments_emptied": 0, "concerns_emptied": 0}
    assert AuditEntry.objects.filter(action="retention.apply").count() == 1


def test_zero_keeps_for_good_and_open_concerns_are_kept(
    cast: Cast, pair: Relationship, history: None, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.RETENTION_PRIVATE_NOTES_DAYS = 0
    settings.RETENTION_CHECK_IN_COMMENTS_DAYS = 0
    open_concern = Concern.objects.create(relationship=pair, raised_by=cast.ana, text="still worried")
    Concern.objects.filter(pk=open_concern.pk).update(updated_at=timezone.now() - 1000 * DAYS)
    assert retention_apply() == {"private_notes_deleted": 0, "check_in_comments_emptied": 0, "concerns_emptied": 2}
    assert Concern.objects.get(pk=open_concern.pk).text == "still worried"


def test_the_daily_run_applies_retention_and_reports_it(history: None, mailoutbox) -> None:  # type: ignore[no-untyped-def]
    result = reminders_daily.call()
    assert result["retention"] == {"private_notes_deleted": 1, "check_in_comments_emptied": 2, "concerns_emptied": 2}
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert "Retention: 0 private notes deleted, 0 check-in comments and 0 resolved concerns emptied." in out.getvalue()
