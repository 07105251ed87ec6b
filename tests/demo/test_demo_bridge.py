"""The demo's planted bridge: reverse mentors nominated by their senior mentee, enrolled in
sponsorship, sponsored and promoted, each step with enough people to be shown (never "not shown"),
on both programmes' insights and in the report."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from twofold.demo.history import BRIDGE_NOMINEES, BRIDGE_PROMOTED, BRIDGE_SPONSORED, BRIDGE_UNANSWERED
from twofold.demo.services import demo_accounts_ensure, demo_programmes_load
from twofold.insights.pipeline import bridge
from twofold.insights.report import programme_report
from twofold.privacy import stated_threshold
from twofold.programmes.models import Programme
from twofold.relationships.meeting_clock import meeting_clocks_stale
from twofold.relationships.models import Relationship


@pytest.mark.django_db
def test_the_demo_bridge_shows_every_step_above_the_privacy_threshold() -> None:
    call_command("demo_org", people=1000, seed=1, stdout=StringIO())
    demo_accounts_ensure()
    demo_programmes_load(seed=1)
    # The demo's pairs, met and not, each with its stored meeting clock equal to the definition.
    assert Relationship.objects.filter(meeting_due_at__isnull=False).exists()
    assert meeting_clocks_stale(Relationship.objects.all()) == []
    today = timezone.localdate()
    k = stated_threshold()
    expected = [
        BRIDGE_NOMINEES,
        BRIDGE_NOMINEES - BRIDGE_UNANSWERED,
        BRIDGE_SPONSORED,
        BRIDGE_PROMOTED,
    ]
    # The planted steps themselves leave no group of fewer than k: each step's own people.
    assert min(a - b for a, b in zip(expected, [*expected[1:], 0], strict=True)) >= k
    programmes = list(Programme.objects.order_by("kind"))
    assert len(programmes) == 2
    for programme in programmes:
        found = bridge(programme, as_of=today)
        assert not found.table.hidden, programme.name
        assert [label for label, _ in found.reached] == ["Nominated", "Enrolled", "Sponsored", "Promoted"]
        assert [count.value for _, count in found.reached] == expected, programme.name
        assert all(count.value is not None and count.value >= k for _, count in found.reached)

        figures = programme_report(programme, as_of=today).as_json()["bridge"]["reached"]
        assert figures == {
            label: {"value": value, "suppressed": False}
            for label, value in zip(("nominated", "enrolled", "sponsored", "promoted"), expected, strict=True)
        }
