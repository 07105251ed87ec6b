"""The match run's fairness table builds its cells through ``privacy.group_table(subsets=…)``, as the
insights tables do: a shown group's matched count of fewer than k people is hidden, with the next
smallest matched count beside it, on the board and in the terminal alike."""

from __future__ import annotations

from tests.test_privacy_differencing import board_fairness, run_with_groups
from twofold.matchruns.selectors import fairness_lines, run_fairness


def test_a_small_matched_count_in_a_shown_row_is_hidden(cast) -> None:
    # Both groups are large enough to show; only 3 of the 20 women were matched.
    run = run_with_groups(cast, {"Woman": (20, 3), "Man": (20, 12)})
    fairness = run_fairness(run)
    assert fairness is not None
    rows = {row.group: row for row in fairness.rows}
    assert rows["Woman"].candidates.value == 20 and rows["Man"].candidates.value == 20
    # The 3 is hidden, and the 12 with it: otherwise the shown total (15) minus 12 gives it back.
    assert rows["Woman"].matched.value is None
    assert rows["Man"].matched.value is None
    assert fairness.matched.value == 15
    assert fairness.note

    lines = fairness_lines(run)
    assert "  Woman: not shown matched of 20 candidates (minimum 0)" in lines
    assert "  Man: not shown matched of 20 candidates (minimum 0)" in lines
    assert not any(" 3 matched" in line or " 12 matched" in line for line in lines)

    board = board_fairness(cast, run)
    assert "Woman 20 0" in board and "All candidates 40 15" in board
    assert " 3 " not in f" {board} " and " 12 " not in f" {board} "


def test_matched_counts_of_k_or_more_stay_shown(cast) -> None:
    run = run_with_groups(cast, {"Woman": (20, 6), "Man": (20, 12)})
    fairness = run_fairness(run)
    assert fairness is not None
    assert {row.group: row.matched.value for row in fairness.rows} == {"Woman": 6, "Man": 12}
    assert fairness.note == ""
