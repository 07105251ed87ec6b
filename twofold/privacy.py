"""Every aggregate Twofold shows passes here: the smallest group, hidden groups, and averages.

Pages, reports, exports, command output and API responses that show a count by group or an
average over answers take their figures from this module and from nowhere else; nothing else
compares a count with the threshold. What follows is what a viewer who sees every released figure,
knows these rules and compares releases (two pages, two filters, before and after) can and cannot
learn, and why.

The threshold k
---------------
``TWOFOLD_MIN_GROUP_SIZE`` (default 5) may be raised but never set below
:data:`MIN_GROUP_SIZE_FLOOR` (3): a group of two is one person and their partner.

Counts by group: :func:`group_table`
------------------------------------
The rows of a table are sibling groups that split one population (the candidates of a match run by
a self-identified attribute, with those who gave no answer as a row of their own), so that they add
up to its total. A row counts its people (``size``) and may carry counts of some of them (how many
were matched).

1. A row of fewer than k people (but not none) is hidden.
2. If any row is hidden, so is the smallest row still shown, and every row of the same size
   (complementary suppression). Always at least one: two hidden rows of k − 1 that add up to a
   known 2k − 2 would each be k − 1.
3. The total is shown when the hidden rows together count at least k people or nothing is hidden;
   otherwise it is hidden too.
4. A hidden row hides all its counts and its name, and rows of nobody are not listed at all, so a
   viewer cannot tell a hidden group from an empty one, nor a row hidden because it is small from
   one hidden to protect it.

5. Counts of some of a row's people (``subsets``: of a group, how many were promoted) are a
   column of sibling cells with the column's total: a cell of fewer than k (but not none) is hidden,
   and with it the smallest other cell that is not empty; the column's total is shown only when what
   the shown cells leave of it is nothing (nothing hidden) or at least k.

A viewer learns the shown rows exactly, the total when it is shown, and therefore how many people
the hidden rows hold together: at least k. When some row holds at least k people, no hidden row's
size follows from what is shown, not even with the total taken from elsewhere on the page and the
rules above in hand: at least two sizes of every hidden row are consistent with everything shown.
The property test in ``tests/test_privacy.py`` tries every alternative for random tables; a run over
every table of up to four rows of up to ten people found no exception, while plain smallest-first
suppression, without rule 2's "same size" or "always one", fails it (with k = 3, a hidden 2 and 3
beside a shown 3 are pinned, and so are two hidden rows of 2 that add up to a known 4). When no row
reaches k, only the total (≥ 1) remains, and no name: the viewer learns how many people there
are, not which group anyone is in.

Not protected: counts inside a shown row that are not passed as ``subsets`` (a target, records
rather than people) are exact; a hidden cell of a subset column is bounded by its row (at most the
row's people);
rows hidden together reveal their combined counts (total minus shown); and two tables over
populations that differ by a few known people (a match run re-run after one more enrolment) can
reveal those people's group by differencing the shown rows.

Averages over answers: :class:`Answers` and :class:`Mean`
---------------------------------------------------------
Answers are whole numbers on a known :class:`Scale` (a 1–5 check-in score, a 0–1 outcome). Each
answer belongs to a *cell*: the finest split any page shows (a programme's check-in point and the
answerer's side). Within its cell, answers are taken in a stable order (primary key: a new answer
always comes last) and cut into *batches* of exactly k. For each complete batch only the *band*
of its sum is kept: the sums of k answers are cut into bands of two neighbouring values (the top
band takes three when the count of possible sums is odd). The answers of an incomplete batch
count towards "how many answered" and towards nothing else, and an answer not given yet (an
outcome still pending) holds its whole batch back.

Every published average (:meth:`Answers.mean`) covers whole cells and is computed from the bands
of their complete batches only: the mid-point of the bands, with the lowest and highest averages
they allow. Two releases of any kind are therefore two functions of the same bands:

* *overall vs per point*: the overall figure is made of the same batches as the points' figures;
* *before vs after one new answer*: a new answer changes no band until it completes a batch of
  k, and then reveals only that batch's band;
* *one page vs another*: every page takes the figure from the same selector, built here.

An interval around an average is built from the same bands: :meth:`Answers.batch_means` gives the
mid-point of each complete batch's band (over k), and the interval is computed over those batch
averages (the batch-means method, in :mod:`twofold.insights.statistics`), never over an answer.

Why no answer can be worked out: take any answer. If its batch is incomplete, no figure depends on
it. Otherwise every figure depends on it only through its batch's band. If the batch's sum is not
the lowest or highest possible, the same sum is reached with this answer changed and another
answer of the batch changed back (k ≥ 3 answers, a scale of at least two values); if it is the
lowest or highest, the band also holds the next sum, reached by moving this answer one step inward.
Either way a different value of this answer, with every band and every release unchanged, exists;
the property test in ``tests/test_privacy.py`` checks it on random cells and release sequences.

Not protected: a viewer who already knows the other k − 1 answers of a batch learns the last
within its band (two or three values); a band says how a batch of k answered together ("these
five all said 4 or 5"); answers deleted or edited after release, and a change of k or of the cells,
re-cut the batches, and the releases before and after are then two cuts of the same answers.
Counts of records (pairs, meetings, skills recorded) are not values of anyone's answer and are
shown exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connections
from django.db.models import Expression, F, QuerySet, Window
from django.db.models.functions import RowNumber

DEFAULT_MIN_GROUP_SIZE = 5
MIN_GROUP_SIZE_FLOOR = 3
# How many neighbouring sums of a batch share one published band.
BAND_WIDTH = 2

K = TypeVar("K", bound=Hashable)
Cell = tuple[Any, ...]


def min_group_size() -> int:
    """The smallest group an aggregate may show (the ``TWOFOLD_MIN_GROUP_SIZE`` setting)."""
    value = getattr(settings, "TWOFOLD_MIN_GROUP_SIZE", DEFAULT_MIN_GROUP_SIZE)
    if isinstance(value, bool) or not isinstance(value, int) or value < MIN_GROUP_SIZE_FLOOR:
        raise ImproperlyConfigured(
            f"TWOFOLD_MIN_GROUP_SIZE={value!r}: the smallest group shown must be a whole number of at least "
            f"{MIN_GROUP_SIZE_FLOOR}"
        )
    return value


def stated_threshold() -> int:
    """k, for a report or a page to state in words ("no group smaller than 5"); every comparison
    with it stays in this module."""
    return min_group_size()


# --- counts by group -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Headcount:
    """One released count of people: its value, or None when it is not shown. A hidden count keeps no value."""

    value: int | None
    k: int

    @property
    def shown(self) -> bool:
        return self.value is not None

    @property
    def display(self) -> str:
        return str(self.value) if self.value is not None else "not shown"

    def as_json(self) -> dict[str, Any]:
        return {"value": self.value, "suppressed": self.value is None}


@dataclass(frozen=True)
class GroupRow(Generic[K]):
    """A shown row: its group and its counts."""

    key: K
    counts: Mapping[str, Headcount]

    def __getitem__(self, measure: str) -> Headcount:
        return self.counts[measure]


@dataclass(frozen=True)
class GroupTable(Generic[K]):
    """Sibling groups after the rules of :func:`group_table`: the shown rows in their given order,
    the totals, and whether any row is hidden (never which, nor how many)."""

    rows: tuple[GroupRow[K], ...]
    total: Mapping[str, Headcount]
    any_hidden: bool
    k: int

    @property
    def note(self) -> str:
        """The sentence every page and report prints under a table with hidden rows."""
        if not self.any_hidden:
            return ""
        return (
            f"Groups of fewer than {self.k} are not shown, nor is the next smallest group with them, so that no "
            "hidden group can be worked out from the total."
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": [
                {"group": row.key, **{name: count.as_json() for name, count in row.counts.items()}} for row in self.rows
            ],
            "total": {name: count.as_json() for name, count in self.total.items()},
            "any_hidden": self.any_hidden,
            "min_group_size": self.k,
        }


def group_table(
    rows: Mapping[K, Mapping[str, int]],
    *,
    size: str,
    totals: Sequence[str] | None = None,
    subsets: Sequence[str] = (),
) -> GroupTable[K]:
    """Apply the threshold, complementary suppression and safe totals to sibling groups.

    ``rows`` maps each group to its counts; ``rows[g][size]`` is the number of people in g, and
    the groups split one population. ``totals`` names the counts summed into the total row (by
    default only ``size``); counts that are not sums of people (a target) should not be summed.
    ``subsets`` names counts of some of a row's people (how many were promoted): each such column
    gets the rules of the rows again (rule 5 of the module), so that no cell of it describes fewer
    than k people, directly or through the column's total.
    """
    k = min_group_size()
    sizes = {key: counts[size] for key, counts in rows.items()}
    if any(value < 0 for value in sizes.values()):
        raise ValueError("a group cannot hold fewer than nobody")
    present = [key for key, value in sizes.items() if value > 0]
    hidden = {key for key in present if sizes[key] < k}
    if hidden:
        large = [key for key in present if key not in hidden]
        if large:
            smallest = min(sizes[key] for key in large)
            hidden.update(key for key in large if sizes[key] == smallest)
    hidden_people = sum(sizes[key] for key in hidden)
    total_shown = not hidden or hidden_people >= k
    summed = tuple(totals) if totals is not None else (size,)
    shown_keys = [key for key in present if key not in hidden]
    hidden_cells: dict[str, set[K]] = {
        name: _hidden_cells({key: rows[key][name] for key in shown_keys}, k) for name in subsets
    }

    def column_total(name: str) -> int | None:
        value = sum(counts[name] for counts in rows.values())
        if name == size or name not in hidden_cells:
            return value if total_shown else None
        # What the shown cells leave of the total: nothing when nothing is hidden, else at least k.
        left = value - sum(rows[key][name] for key in shown_keys if key not in hidden_cells[name])
        return value if (not hidden and not hidden_cells[name]) or left >= k else None

    return GroupTable(
        rows=tuple(
            GroupRow(
                key=key,
                counts={
                    name: Headcount(None if key in hidden_cells.get(name, ()) else value, k)
                    for name, value in rows[key].items()
                },
            )
            for key in shown_keys
        ),
        total={name: Headcount(column_total(name), k) for name in summed},
        any_hidden=bool(hidden) or any(hidden_cells.values()),
        k=k,
    )


def _hidden_cells(values: Mapping[K, int], k: int) -> set[K]:
    """Rules 1 and 2 on one column of the shown rows: cells of 1 to k − 1 people, and with them the
    smallest other cell that is not empty (every one of that size)."""
    hidden = {key for key, value in values.items() if 0 < value < k}
    if hidden:
        rest = [value for key, value in values.items() if key not in hidden and value > 0]
        if rest:
            hidden.update(key for key, value in values.items() if key not in hidden and value == min(rest))
    return hidden


# --- averages over answers -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """Whole-number answers from ``low`` to ``high``; ``percent`` shows an average of 0/1 as a share;
    ``noun`` names the answers in sentences ("fewer than 5 answers")."""

    low: int
    high: int
    percent: bool = False
    noun: str = "answers"

    def __post_init__(self) -> None:
        if self.high <= self.low:
            raise ValueError("a scale needs at least two values")


def sum_band(total: int, *, size: int, scale: Scale) -> tuple[int, int]:
    """The band (lowest, highest sum) that a batch of ``size`` answers adding up to ``total`` is
    published as: neighbouring sums two by two from the lowest, the last band taking three when
    the number of possible sums is odd, so that every band holds a sum that is neither the lowest
    nor the highest possible."""
    lowest, highest = scale.low * size, scale.high * size
    if not lowest <= total <= highest:
        raise ValueError(f"{size} answers from {scale.low} to {scale.high} cannot add up to {total}")
    last = (highest - lowest + 1) // BAND_WIDTH - 1
    index = min((total - lowest) // BAND_WIDTH, last)
    low = lowest + BAND_WIDTH * index
    return low, highest if index == last else low + BAND_WIDTH - 1


@dataclass(frozen=True)
class Mean:
    """One released average: the mid-point of its batches' bands and the range they allow, over
    ``counted`` answers (whole batches of k) of the ``answers`` given; no value when no batch is
    complete."""

    k: int
    scale: Scale
    answers: int
    counted: int
    value: float | None
    low: float | None
    high: float | None

    @property
    def shown(self) -> bool:
        return self.value is not None

    @property
    def display(self) -> str:
        if self.value is None:
            where = "" if self.answers < self.k else " in any one group"
            return f"fewer than {self.k} {self.scale.noun}{where}"
        if self.scale.percent:
            return f"{self.value:.0%}"
        return f"{self.value:.1f}"

    @property
    def range_text(self) -> str:
        """The range the bands allow, in words, for a tooltip or a report's method note."""
        if self.low is None or self.high is None:
            return ""
        if self.scale.percent:
            return f"between {self.low:.0%} and {self.high:.0%}, over {self.counted} {self.scale.noun}"
        return f"between {self.low:.2f} and {self.high:.2f}, over {self.counted} {self.scale.noun}"

    def as_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "n": self.counted,
            "answers": self.answers,
            "suppressed": self.value is None,
        }


@dataclass
class _Bands:
    """The complete batches of one cell: how many, and the sums of their bands' lowest and highest sums."""

    batches: int = 0
    low: int = 0
    high: int = 0
    # Each complete batch's band, kept for the spread between batches (an interval over batch means).
    bands: list[tuple[int, int]] = field(default_factory=list)


class Answers:
    """Answers on one scale, cut into batches of k per cell; every published average comes from here.

    Only the bands of complete batches and the number of answers per cell are kept: no figure
    built from an ``Answers`` can depend on anything else.
    """

    def __init__(self, *, scale: Scale, cell: Sequence[str], fields: Sequence[str]) -> None:
        self.scale = scale
        self.k = min_group_size()
        self.cell = tuple(cell)
        self.fields = tuple(fields)
        self._bands: dict[str, dict[Cell, _Bands]] = {name: defaultdict(_Bands) for name in self.fields}
        self._answered: dict[str, dict[Cell, int]] = {name: defaultdict(int) for name in self.fields}

    def _add_batch(self, cell: Cell, *, size: int, counts: Mapping[str, int], sums: Mapping[str, int | None]) -> None:
        """One batch of ``size`` answers of a cell (``size`` < k for the cell's last, incomplete one)."""
        for name in self.fields:
            self._answered[name][cell] += counts[name]
            total = sums[name]
            if size == self.k and counts[name] == self.k and total is not None:
                low, high = sum_band(total, size=self.k, scale=self.scale)
                bands = self._bands[name][cell]
                bands.batches, bands.low, bands.high = bands.batches + 1, bands.low + low, bands.high + high
                bands.bands.append((low, high))

    def cells(self, **where: Any) -> set[Cell]:
        """The cells with an answer (given or not yet given) whose named parts have the given values."""
        return {cell for answered in self._answered.values() for cell in answered if self._selects(cell, where)}

    def _selects(self, cell: Cell, where: Mapping[str, Any]) -> bool:
        return all(cell[self.cell.index(part)] == value for part, value in where.items())

    def batch_means(self, name: str, **where: Any) -> list[float]:
        """The mid-point of each complete batch's band over k, in the whole cells selected as by
        :meth:`mean`: what an interval for the average may be built from, as it depends on the
        answers through the bands only (their mean is :meth:`mean`'s value)."""
        unknown = set(where) - set(self.cell)
        if unknown:
            raise ValueError(f"cells are made of {', '.join(self.cell)}, not {', '.join(sorted(unknown))}")
        return [
            (low + high) / 2 / self.k
            for cell, bands in sorted(self._bands[name].items(), key=lambda item: repr(item[0]))
            if self._selects(cell, where)
            for low, high in bands.bands
        ]

    def mean(self, name: str, **where: Any) -> Mean:
        """The average of one field over the whole cells whose named parts have the given values
        (``mean("satisfaction", programme=3, point="fit")``; every cell when none is given)."""
        unknown = set(where) - set(self.cell)
        if unknown:
            raise ValueError(f"cells are made of {', '.join(self.cell)}, not {', '.join(sorted(unknown))}")
        selected = [bands for cell, bands in self._bands[name].items() if self._selects(cell, where)]
        answers = sum(n for cell, n in self._answered[name].items() if self._selects(cell, where))
        counted = sum(bands.batches for bands in selected) * self.k
        if not counted:
            return Mean(k=self.k, scale=self.scale, answers=answers, counted=0, value=None, low=None, high=None)
        low = sum(bands.low for bands in selected) / counted
        high = sum(bands.high for bands in selected) / counted
        return Mean(
            k=self.k, scale=self.scale, answers=answers, counted=counted, value=(low + high) / 2, low=low, high=high
        )


def answers_from_rows(
    rows: Iterable[tuple[Cell, Mapping[str, int | None]]], *, cell: Sequence[str], fields: Sequence[str], scale: Scale
) -> Answers:
    """Batches from answers given in their stable order (oldest first), each row a cell (its parts
    named by ``cell``) and the answers by field; None is an answer not given yet."""
    answers = Answers(scale=scale, cell=cell, fields=fields)
    by_cell: dict[Cell, list[Mapping[str, int | None]]] = defaultdict(list)
    for key, given_values in rows:
        by_cell[key].append(given_values)
    for key, in_cell in by_cell.items():
        for start in range(0, len(in_cell), answers.k):
            batch = in_cell[start : start + answers.k]
            given = {name: [value for row in batch if (value := row[name]) is not None] for name in fields}
            answers._add_batch(
                key,
                size=len(batch),
                counts={name: len(given[name]) for name in fields},
                sums={name: sum(given[name]) for name in fields},
            )
    return answers


def answers_from_queryset(
    queryset: QuerySet[Any], *, cell: Mapping[str, Expression | F], values: Mapping[str, Expression | F], scale: Scale
) -> Answers:
    """The same batches as :func:`answers_from_rows` over the queryset's rows in primary-key order,
    computed by the database in one query returning one row per batch, whatever the number of answers.

    ``cell`` names the expressions that make up an answer's cell, ``values`` those of its answers
    (NULL for an answer not given yet).
    """
    answers = Answers(scale=scale, cell=list(cell), fields=list(values))
    cell_aliases = [f"privacy_cell_{i}" for i in range(len(cell))]
    value_aliases = [f"privacy_value_{i}" for i in range(len(values))]
    ranked = (
        queryset.order_by()
        .annotate(**dict(zip(cell_aliases, cell.values(), strict=True)))
        .annotate(**dict(zip(value_aliases, values.values(), strict=True)))
        .annotate(
            privacy_position=Window(
                RowNumber(), partition_by=[F(alias) for alias in cell_aliases], order_by=F("pk").asc()
            )
        )
        .values(*cell_aliases, *value_aliases, "privacy_position")
    )
    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    try:
        inner, params = ranked.query.sql_with_params()
    except EmptyResultSet:  # filtered on an empty list: no answers, no query
        return answers
    cells = ", ".join(quote(alias) for alias in cell_aliases)
    aggregates = ", ".join(f"COUNT({quote(alias)}), SUM({quote(alias)})" for alias in value_aliases)
    # k is a validated whole number, written into the SQL so that GROUP BY and SELECT share one expression.
    sql = (
        f"SELECT {cells}, ({quote('privacy_position')} - 1) / {int(answers.k)} AS {quote('privacy_batch')}, "
        f"COUNT(*), {aggregates} FROM ({inner}) {quote('privacy_ranked')} "
        f"GROUP BY {cells}, {quote('privacy_batch')} ORDER BY {cells}, {quote('privacy_batch')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            key, size, rest = tuple(row[: len(cell)]), int(row[len(cell) + 1]), row[len(cell) + 2 :]
            answers._add_batch(
                key,
                size=size,
                counts={name: int(rest[2 * i]) for i, name in enumerate(values)},
                sums={name: None if rest[2 * i + 1] is None else int(rest[2 * i + 1]) for i, name in enumerate(values)},
            )
    return answers
