"""The privacy module: the threshold, tables of groups, averages over batches, and the rule that it is
the only place any of this is decided.

The property tests play a viewer who knows the rules and sees every release: for random data they
search for another data set that differs in the answer (or group) under attack and releases
exactly the same figures. Finding one means the viewer cannot tell which of the two is true.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Case, F, IntegerField, Value, When
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.factories import ProgrammeFactory, RelationshipFactory
from twofold.privacy import (
    Scale,
    answers_from_queryset,
    answers_from_rows,
    group_table,
    min_group_size,
    sum_band,
)
from twofold.relationships.models import AdvocacyAction, AdvocacyOutcome, CheckIn, RelationshipState

PACKAGE = Path(__file__).resolve().parents[1] / "twofold"

# --- the threshold ---------------------------------------------------------------------------------


def test_the_default_threshold_is_five() -> None:
    assert min_group_size() == 5


@pytest.mark.parametrize("value", [2, 0, -1, "5", True])
def test_a_threshold_below_the_floor_is_refused(settings, value: object) -> None:  # type: ignore[no-untyped-def]
    settings.TWOFOLD_MIN_GROUP_SIZE = value
    with pytest.raises(ImproperlyConfigured, match="at least 3"):
        min_group_size()


# --- tables of groups ------------------------------------------------------------------------------


def shown(table: Any) -> dict[Any, int]:
    return {row.key: row["people"].value for row in table.rows}


def test_a_small_group_is_hidden_with_the_next_smallest_and_the_total_stays_safe() -> None:
    table = group_table({"Woman": {"people": 12}, "Non-binary": {"people": 3}, "Man": {"people": 7}}, size="people")
    # Shown alone, 22 − 12 − 7 would be the three.
    assert shown(table) == {"Woman": 12}
    assert table.total["people"].value == 22 and table.any_hidden
    assert "fewer than 5" in table.note


def test_small_groups_adding_up_to_k_still_hide_a_sibling() -> None:
    # 4 + 4 = 8 ≥ 5, but 8 known from the total, the two fours could each only be 4.
    table = group_table({"A": {"people": 4}, "B": {"people": 4}, "C": {"people": 20}}, size="people")
    assert shown(table) == {}
    assert table.total["people"].value == 28


def test_ties_with_the_sibling_are_hidden_too() -> None:
    table = group_table(
        {"A": {"people": 2}, "B": {"people": 9}, "C": {"people": 9}, "D": {"people": 30}}, size="people"
    )
    assert shown(table) == {"D": 30}


def test_nothing_hidden_nothing_lost_and_empty_groups_are_not_listed() -> None:
    table = group_table({"A": {"people": 5, "matched": 1}, "B": {"people": 0, "matched": 0}}, size="people")
    assert shown(table) == {"A": 5} and not table.any_hidden and table.note == ""
    assert table.rows[0]["matched"].value == 1
    # Other counts are summed only when asked: a sum of targets is not a count of people.
    assert set(table.total) == {"people"}


def test_when_every_group_is_small_and_fewer_than_k_together_the_total_is_hidden_too() -> None:
    table = group_table({"A": {"people": 1}, "B": {"people": 2}}, size="people")
    assert table.rows == () and table.total["people"].value is None
    assert table.as_json()["total"]["people"] == {"value": None, "suppressed": True}


def test_a_raised_threshold_hides_more(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TWOFOLD_MIN_GROUP_SIZE = 7
    table = group_table({"A": {"people": 30}, "B": {"people": 6}, "C": {"people": 12}}, size="people")
    assert shown(table) == {"A": 30}
    assert "fewer than 7" in table.note


def release_of(cells: Sequence[int]) -> tuple[Any, ...]:
    table = group_table({index: {"people": value} for index, value in enumerate(cells)}, size="people")
    return tuple((row.key, row["people"].value) for row in table.rows), table.total["people"].value


def compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in compositions(total - first, parts - 1):
            yield (first, *rest)


@hypothesis_settings(max_examples=150, deadline=None)
@given(
    k=st.integers(min_value=3, max_value=5),
    cells=st.lists(st.integers(min_value=0, max_value=10), min_size=2, max_size=4),
)
def test_no_hidden_group_can_be_worked_out_from_the_table_and_the_total(k: int, cells: list[int]) -> None:
    with override_settings(TWOFOLD_MIN_GROUP_SIZE=k):
        rows, total = release_of(cells)
        shown_keys = {key for key, _ in rows}
        assert all(value >= k for _, value in rows)
        hidden = [index for index, value in enumerate(cells) if index not in shown_keys and value > 0]
        if not hidden or max(cells) < k:
            return  # nothing hidden; or only the total is left (no group named, see the module)
        assert total is not None and len(hidden) >= 2 and sum(cells[i] for i in hidden) >= k
        # The strongest viewer: knows the rules, the shown rows, the total (printed elsewhere too), and
        # that empty groups are empty. Which sizes of each hidden group agree with all of it?
        possible: dict[int, set[int]] = {index: set() for index in hidden}
        for sizes in compositions(sum(cells[i] for i in hidden), len(hidden)):
            other = list(cells)
            for index, size in zip(hidden, sizes, strict=True):
                other[index] = size
            if release_of(other) == (rows, total):
                for index, size in zip(hidden, sizes, strict=True):
                    possible[index].add(size)
        assert all(len(sizes) >= 2 for sizes in possible.values()), possible


# --- averages over answers -------------------------------------------------------------------------


@pytest.mark.parametrize(("scale", "size"), [(Scale(1, 5), 5), (Scale(1, 5), 3), (Scale(0, 1), 3), (Scale(-4, 4), 4)])
def test_every_band_holds_two_sums_or_three_and_one_that_is_not_extreme(scale: Scale, size: int) -> None:
    lowest, highest = scale.low * size, scale.high * size
    bands: dict[tuple[int, int], list[int]] = {}
    for total in range(lowest, highest + 1):
        bands.setdefault(sum_band(total, size=size, scale=scale), []).append(total)
    for (low, high), members in bands.items():
        assert members == list(range(low, high + 1)) and len(members) in (2, 3)
        assert any(lowest < total < highest for total in members)


def test_an_average_counts_whole_batches_and_says_so() -> None:
    rows = [(("fit",), {"score": value}) for value in (5, 5, 5, 5, 5, 1, 1)]
    answers = answers_from_rows(rows, cell=["point"], fields=["score"], scale=Scale(1, 5))
    mean = answers.mean("score")
    # Five 5s: the top band 23–25, shown as 4.8; the two 1s wait for three more.
    assert (mean.answers, mean.counted, mean.low, mean.high, mean.display) == (7, 5, 4.6, 5.0, "4.8")
    assert mean.as_json()["suppressed"] is False
    waiting = answers_from_rows(rows[:4], cell=["point"], fields=["score"], scale=Scale(1, 5)).mean("score")
    assert waiting.value is None and waiting.display == "fewer than 5 answers"
    assert waiting.as_json() == {"value": None, "low": None, "high": None, "n": 0, "answers": 4, "suppressed": True}


def test_an_answer_not_given_yet_holds_its_batch_back() -> None:
    rows = [(("p",), {"outcome": value}) for value in (1, 0, None, 1, 1, 1, 1, 0, 0, 1)]
    answers = answers_from_rows(rows, cell=["programme"], fields=["outcome"], scale=Scale(0, 1, percent=True))
    mean = answers.mean("outcome")
    assert (mean.answers, mean.counted) == (9, 5)
    assert mean.display == "50%"  # three of five: the band 2–3


Answer = tuple[int, int]  # (cell, value)


def transcript(answers: Sequence[Answer], fields_scale: Scale, cells: int) -> list[Any]:
    """Every figure released after each new answer: each cell, the even and the odd cells, all cells."""
    released = []
    for end in range(len(answers) + 1):
        built = answers_from_rows(
            (((cell % 2, cell), {"v": value}) for cell, value in answers[:end]),
            cell=["half", "cell"],
            fields=["v"],
            scale=fields_scale,
        )
        views = [built.mean("v")] + [built.mean("v", half=half) for half in range(2)]
        released.append(views + [built.mean("v", cell=cell) for cell in range(cells)])
    return released


def alternatives(answers: Sequence[Answer], index: int, scale: Scale) -> Iterator[list[Answer]]:
    """Data sets that differ in answer ``index``: alone first, then with one other answer changed."""
    values = range(scale.low, scale.high + 1)
    cell, value = answers[index]
    for other_value in values:
        if other_value == value:
            continue
        changed = list(answers)
        changed[index] = (cell, other_value)
        yield changed
        # Another answer of the same cell first: the one most likely to make up the difference.
        for j, (other_cell, _) in sorted(enumerate(answers), key=lambda item: item[1][0] != cell):
            if j != index:
                for third in values:
                    both = list(changed)
                    both[j] = (other_cell, third)
                    yield both


scales = st.sampled_from([Scale(1, 5), Scale(0, 1), Scale(1, 3)])


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(k=st.integers(min_value=3, max_value=5), scale=scales, data=st.data())
def test_no_answer_follows_from_any_sequence_of_releases(k: int, scale: Scale, data: st.DataObject) -> None:
    values = st.integers(min_value=scale.low, max_value=scale.high)
    answers = data.draw(st.lists(st.tuples(st.integers(0, 2), values), min_size=1, max_size=11))
    with override_settings(TWOFOLD_MIN_GROUP_SIZE=k):
        truth = transcript(answers, scale, 3)
        for index in range(len(answers)):
            assert any(transcript(other, scale, 3) == truth for other in alternatives(answers, index, scale)), (
                f"answer {index} of {answers} follows from the releases"
            )


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scale=st.sampled_from([Scale(0, 1), Scale(1, 3)]), data=st.data())
def test_every_answer_keeps_two_possible_values_checked_exhaustively(scale: Scale, data: st.DataObject) -> None:
    """Small cases, every data set tried: each answer has two values consistent with all releases."""
    cells = data.draw(st.lists(st.integers(0, 1), min_size=3, max_size=6))
    values = range(scale.low, scale.high + 1)
    truth_values = data.draw(st.lists(st.sampled_from(list(values)), min_size=len(cells), max_size=len(cells)))
    with override_settings(TWOFOLD_MIN_GROUP_SIZE=3):
        truth = transcript(list(zip(cells, truth_values, strict=True)), scale, 2)
        possible: list[set[int]] = [set() for _ in cells]
        for assignment in itertools.product(values, repeat=len(cells)):
            if transcript(list(zip(cells, assignment, strict=True)), scale, 2) == truth:
                for index, value in enumerate(assignment):
                    possible[index].add(value)
    assert all(len(found) >= 2 for found in possible), possible


def test_the_database_cuts_the_same_batches_as_python(db) -> None:  # type: ignore[no-untyped-def]
    programmes = [ProgrammeFactory(), ProgrammeFactory(sponsorship=True)]
    outcomes = [AdvocacyOutcome.SUCCEEDED, AdvocacyOutcome.DID_NOT_SUCCEED, AdvocacyOutcome.PENDING]
    for number in range(37):
        relationship = RelationshipFactory(programme=programmes[number % 2], state=RelationshipState.ACTIVE)
        for point, person in (("fit", relationship.mentor), ("midpoint", relationship.mentee)):
            CheckIn.objects.create(
                relationship=relationship,
                person=person,
                point=point,
                satisfaction=1 + number * 7 % 5,
                psychological_safety=1 + number * 3 % 5,
                progress=1 + number % 5,
                submitted_at=relationship.started_at,
            )
        AdvocacyAction.objects.create(
            relationship=relationship,
            kind="other",
            happened_on="2025-01-01",
            outcome=outcomes[2] if number % 11 == 3 else outcomes[number * 5 % 7 % 2],
        )
    fields = ["satisfaction", "progress"]
    in_sql = answers_from_queryset(
        CheckIn.objects.all(),
        cell={"programme": F("relationship__programme_id"), "point": F("point")},
        values={name: F(name) for name in fields},
        scale=Scale(1, 5),
    )
    in_python = answers_from_rows(
        (
            ((row["relationship__programme_id"], row["point"]), {name: row[name] for name in fields})
            for row in CheckIn.objects.order_by("pk").values("relationship__programme_id", "point", *fields)
        ),
        cell=["programme", "point"],
        fields=fields,
        scale=Scale(1, 5),
    )
    assert in_sql.cells() == in_python.cells() and len(in_sql.cells()) == 4
    for programme, point in in_sql.cells():
        for name in fields:
            mean = in_sql.mean(name, programme=programme, point=point)
            assert mean.counted > 0 and mean == in_python.mean(name, programme=programme, point=point)
    assert in_sql.mean("progress") == in_python.mean("progress")
    outcome = Case(
        When(outcome=AdvocacyOutcome.SUCCEEDED, then=Value(1)),
        When(outcome=AdvocacyOutcome.DID_NOT_SUCCEED, then=Value(0)),
        default=None,
        output_field=IntegerField(),
    )
    decided = {AdvocacyOutcome.SUCCEEDED: 1, AdvocacyOutcome.DID_NOT_SUCCEED: 0}
    outcomes_in_sql = answers_from_queryset(
        AdvocacyAction.objects.all(),
        cell={"programme": F("relationship__programme_id")},
        values={"came_through": outcome},
        scale=Scale(0, 1),
    )
    outcomes_in_python = answers_from_rows(
        (
            ((row["relationship__programme_id"],), {"came_through": decided.get(row["outcome"])})
            for row in AdvocacyAction.objects.order_by("pk").values("relationship__programme_id", "outcome")
        ),
        cell=["programme"],
        fields=["came_through"],
        scale=Scale(0, 1),
    )
    for programme in programmes:
        mean = outcomes_in_sql.mean("came_through", programme=programme.pk)
        assert mean == outcomes_in_python.mean("came_through", programme=programme.pk)
        assert 0 < mean.counted < mean.answers  # pending outcomes held some batches back


# --- one module decides ----------------------------------------------------------------------------

# A count compared with a small whole number, the shape of an ad-hoc "fewer than 5" rule.
COUNT_NAME = (
    r"(?:\b(?:n|count|counts|size|answers|respondents|check_ins|eligible|candidates)"
    r"|\w+_count|\w+_n|\[\"n\"\]|\['n'\]|\.n)"
)
SMALL = r"(?:[2-9]|1\d)\b"
AD_HOC_PYTHON = re.compile(
    rf"{COUNT_NAME}\s*(?:<|<=|>|>=)\s*{SMALL}|\b{SMALL}\s*(?:<|<=|>|>=)\s*(?:\w+\.)*{COUNT_NAME}"
    r"|\b(?:large_enough|suppress_small_groups|min_group_size|MIN_GROUP_SIZE\w*|TWOFOLD_MIN_GROUP_SIZE)\b"
)
AD_HOC_TEMPLATE = re.compile(rf"\{{%\s*(?:if|elif)\b[^%]*(?:<|<=|>|>=)\s*{SMALL}[^%]*%\}}|fewer than \d")


def ad_hoc_thresholds() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*")):
        relative = path.relative_to(PACKAGE).as_posix()
        if path.suffix == ".py" and relative not in ("privacy.py", "settings.py"):
            pattern = AD_HOC_PYTHON
        elif path.suffix == ".html":
            pattern = AD_HOC_TEMPLATE
        else:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line):
                found.append(f"twofold/{relative}:{number}: {line.strip()}")
    return found


def test_no_threshold_is_decided_outside_the_privacy_module() -> None:
    assert ad_hoc_thresholds() == []


@pytest.mark.parametrize(
    "line",
    [
        'if not large_enough(row["n"]):',
        'mean = total / row["n"] if row["n"] >= 5 else None',
        "if check_ins < 5:",
        "shown = eligible >= 5",
        "hidden = 5 > group.eligible_count",
        "k = settings.TWOFOLD_MIN_GROUP_SIZE",
    ],
)
def test_the_search_for_ad_hoc_thresholds_would_find_them(line: str) -> None:
    assert AD_HOC_PYTHON.search(line)


@pytest.mark.parametrize(
    "line", ["{% if health.check_ins >= 5 %}", "{% elif answers|length > 4 %}", "<td>fewer than 5 answers</td>"]
)
def test_the_search_finds_them_in_templates_too(line: str) -> None:
    assert AD_HOC_TEMPLATE.search(line)
