"""The one privacy threshold: a setting, 5 by default, never below 3, read by every aggregate."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from twofold.matchruns.selectors import fairness_summary
from twofold.privacy import large_enough, min_group_size, suppress_small_groups


def test_the_default_threshold_is_five() -> None:
    assert min_group_size() == 5
    assert (large_enough(4), large_enough(5)) == (False, True)


def test_a_raised_threshold_hides_more_everywhere(settings) -> None:
    settings.TWOFOLD_MIN_GROUP_SIZE = 7
    assert suppress_small_groups({"Woman": 12, "Man": 6}) == {"Woman": 12, "Man": None}
    fairness = {"groups": [{"group": "Man", "eligible": 6, "met": False}]}
    assert "Man" not in fairness_summary(fairness) and "fewer than 7 candidates" in fairness_summary(fairness)


@pytest.mark.parametrize("value", [2, 0, -1, "5", True])
def test_a_threshold_below_the_floor_is_refused(settings, value: object) -> None:
    settings.TWOFOLD_MIN_GROUP_SIZE = value
    with pytest.raises(ImproperlyConfigured, match="at least 3"):
        min_group_size()
