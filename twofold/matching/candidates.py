"""Optimal matching over all pairs without building all pairs: price-directed candidates + a dual proof.

At 50,000 people a side there are 2.5 billion pairs; no solver takes them all. This module keeps a
small *candidate graph* and grows it until the optimum of the graph is provably the optimum over
every allowed pair (or provably within a tolerance):

1. **Prices.** Dual prices of the optimal solution of an evenly spaced sample of both sides (a
   quarter of each, solved by this very search, recursively, down to a few hundred people solved
   directly) estimate what each person costs in the market; everyone else is priced by *dual
   completion* (``b_j = max_i s_ij - a_i`` over the sampled rows). Ranking partners by the
   reduced score ``s_ij - a_i - b_j`` rather than the raw score stops every list pointing at the
   same few popular people, which loses 20-37 % of the optimum (measured on tie-heavy
   mentoring scores with popular people); ties are broken by a fixed per-pair
   perturbation, so that rows facing equal options do not all pick the same one.
2. **Candidates**, in one pass over all pairs: each row's top ``k`` partners by reduced score and
   each column's top ``k`` rows (the best of every block), scored exactly and filtered by every
   hard rule.
3. **Structure**: the graph grows until the most seats it can fill (and the most group-minimum
   seats it can meet) are proven the most over every allowed pair - a breadth-first search for
   augmenting paths through the whole problem, scanning only the people it reaches
   (:mod:`twofold.matching.structure`; König's argument). The graph only grows from here on, so
   this holds to the end.
4. **Solve** the graph exactly (:func:`twofold.matching.flow.solve_transport`), which also returns
   dual prices ``a``, ``b`` (chosen close to the estimates).
5. **Certificate**, in one more pass (:mod:`twofold.matching.certificate`): every pair outside the
   graph with reduced profit ``s_ij - a_i - b_j > 0``. If there are none, the graph optimum is the
   optimum over all pairs (the duals are feasible for the full problem, and no more seats can be
   filled). Otherwise the violations bound what any other
   solution could add: raising each row's price by its largest violation, or each column's, or -
   exactly - the cheapest mix of both, which is a maximum-weight matching of the violations
   (Egerváry). When that bound exceeds the tolerance, the best violating pairs of each row are
   added (top-k widening by the exact dual prices, doubling per round) and the graph is solved
   again - without the graph's pairs far below the last prices (the solve's time grows with its
   pairs; those pairs would neither be chosen nor bind a price, and the next scan checks them
   like any pair outside the graph, so the certificate still covers every pair).

A :class:`PairSource` produces scores a block of rows at a time, as cheaply as it can (one BLAS
product per block for people's features, with cheap rules applied); the pairs that pass the filter
are rechecked exactly against every rule. The graph and its growth (steps 2 and 3) live in
:mod:`twofold.matching.candidate_graph`; small one-seat-each problems skip the search for SciPy's
dense solver (:mod:`twofold.matching.dense`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from twofold.matching.candidate_graph import CandidateGraph, initial_candidates, saturate
from twofold.matching.certificate import carried_bound, centred, cover_bound, scan_round
from twofold.matching.flow import Transport, TransportSolution, profit_limit, solve_transport
from twofold.matching.pairs import EMPTY, Block, PairSource, Values, tie_breakers

__all__ = [
    "Block",
    "PairSource",
    "SearchResult",
    "SearchSettings",
    "Values",
    "quantum_for",
    "search",
    "tie_breakers",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
# People per side in the sample whose exact solution prices the first candidate lists.
_SAMPLE = 250
_SAMPLE_FRACTION = 0.125
# Most violating pairs added per row and round (the widening doubles k up to this).
_MAX_PER_ROW = 96
# From the second round on, a graph pair whose reduced profit under the last round's prices is
# below minus this share of the largest score is left out of the solve (see :func:`_active`).
_PRUNE_SHARE = 0.05


@dataclass(frozen=True)
class SearchSettings:
    """How hard to look. ``tolerance`` is the relative optimality bound at which the search stops
    (0 = prove the exact optimum); ``k`` is the initial number of candidates per row and column;
    ``widen`` how many violating pairs per row each round adds at first (doubling per round)."""

    k: int = 24
    tolerance: float = 0.0
    max_rounds: int = 12
    widen: int = 32


@dataclass(frozen=True)
class SearchResult:
    """Pairs chosen (original indices), their exact scores, and how optimality was established.

    ``bound`` is a proven upper bound on how much total score any other solution could add (0 when
    ``certified``, infinite if the round limit stopped the search before a bound was known);
    ``quantum`` is the score unit of the integer solver (float scores are rounded to multiples of
    it, so the total is optimal to within ``len(pairs) * quantum``).
    """

    left: IntArray
    right: IntArray
    score: FloatArray
    solution: TransportSolution
    total: float
    bound: float
    certified: bool
    quantum: float
    edges: int
    rounds: int
    structure_rounds: int = 0
    graph: tuple[IntArray, IntArray] = (EMPTY, EMPTY)
    graph_score: FloatArray = field(default_factory=lambda: EMPTY.astype(np.float64))
    estimates: tuple[FloatArray, FloatArray] = (EMPTY.astype(np.float64), EMPTY.astype(np.float64))
    seconds: dict[str, float] = field(default_factory=dict)


def quantum_for(n_left: int, n_right: int, score_bound: float, integral: bool) -> float:
    """The score unit of the integer solver: 1 for small integer scores, else bound / limit."""
    limit = profit_limit(n_left, n_right)
    bound = max(score_bound, 1e-12)
    if integral and bound <= limit:
        return 1.0
    return bound / limit


def search(
    source: PairSource,
    *,
    left_capacity: IntArray,
    right_capacity: IntArray,
    maximize_matched: bool = True,
    right_group: IntArray | None = None,
    group_quota: IntArray | None = None,
    settings: SearchSettings | None = None,
    seed_pairs: tuple[IntArray, IntArray] | None = None,
    warm_start: SearchResult | None = None,
) -> SearchResult:
    """Find the optimal matching of ``source`` (see the module docstring for the method).

    ``seed_pairs`` adds known-good candidate pairs (e.g. a previous run's) to the first graph.
    ``warm_start``, a finished search of the same source under other constraints (the engine's
    run without fairness minimums), gives its price estimates and its whole graph: the sample and
    the candidate scan are not repeated.
    Complexity per round: one scan of all pairs (O(n_left * n_right * features) BLAS work), one
    exact solve of the candidate graph (close to linear in its edges), O(edges log edges) upkeep.
    """
    settings = settings or SearchSettings()
    clock = _Clock()
    quantum = quantum_for(source.n_left, source.n_right, source.score_bound, source.integral)
    graph = CandidateGraph(source, quantum)

    with clock("prices"):
        if warm_start is not None and len(warm_start.estimates[0]) == source.n_left:
            row_price, col_price = warm_start.estimates
        else:
            row_price, col_price = _sample_prices(source, quantum, left_capacity, right_capacity, settings.k)
            warm_start = None
        hint = (np.rint(row_price / quantum).astype(np.int64), np.rint(col_price / quantum).astype(np.int64))
    with clock("candidates"):
        if warm_start is None:
            graph.add(*initial_candidates(source, settings.k, row_price, col_price, quantum))
        else:
            # The same source: the warm start's pairs are allowed and its scores exact already.
            graph.adopt(*warm_start.graph, warm_start.graph_score)
        if seed_pairs is not None:
            graph.add(np.asarray(seed_pairs[0], dtype=np.int64), np.asarray(seed_pairs[1], dtype=np.int64))
    with clock("structure"):
        structure_rounds, known_flows = saturate(
            source,
            graph,
            left_capacity=left_capacity,
            right_capacity=right_capacity,
            maximize_matched=maximize_matched,
            right_group=right_group,
            group_quota=group_quota,
            prices=(row_price, col_price),
        )

    per_row = settings.widen
    bound = math.inf
    certified = False
    rounds = 0
    solution: TransportSolution | None = None
    transport: Transport | None = None
    score = graph.score
    carried: IntArray | None = None
    prune_units = max(1, round(_PRUNE_SHARE * source.score_bound / quantum))
    while rounds < settings.max_rounds:
        rounds += 1
        transport = graph.transport(left_capacity, right_capacity, right_group, group_quota)
        score = graph.score
        # Round two on: the solve sees only the pairs near the last prices (a subgraph holding
        # the last solution, so the same seats and minimums); the scan below checks the others
        # like any pair outside the graph, so the certificate is over every pair all the same.
        active = _active(transport, hint, prune_units) if rounds > 1 else None
        if active is not None:
            transport = _subgraph(transport, active)
            score = score[active]
        with clock("solve"):
            solution = solve_transport(
                transport, maximize_matched=maximize_matched, price_hint=hint, known_flows=known_flows
            )
        total = float(np.sum(score[solution.chosen]))
        if carried is not None and active is None:
            # The last scan still bounds the pairs outside the graph under the new prices: when
            # that is within the tolerance, no new scan of all pairs is needed.
            carried_units = carried_bound(hint, carried, solution, left_capacity, right_capacity)
            if carried_units == 0 or carried_units * quantum <= settings.tolerance * max(abs(total), 1e-12):
                bound = float(carried_units) * quantum
                certified = carried_units == 0
                break
        hint = (solution.left_price, solution.right_price)
        with clock("certificate"):
            found = scan_round(
                source, (transport.left, transport.right), quantum, solution, left_capacity, right_capacity, per_row
            )
            # A bound on the score alone: the seat count and the group minimums met are already
            # the most any solution has (proven by saturate, and the graph only grows).
            bound = float(found.bound) * quantum
            if not found.empty and bound > settings.tolerance * abs(total) > 0:
                # The simple bounds may be loose where the optimum is not: the exact cover of the
                # violations can save a whole round.
                bound = min(bound, float(cover_bound(found, left_capacity, right_capacity)) * quantum)
        if found.empty:
            certified = True
            bound = 0.0
            break
        if bound <= settings.tolerance * max(abs(total), 1e-12):
            break
        # With pairs left out of the solve, the violators may all be such pairs: they are near the
        # new prices, so the next solve sees them.
        if graph.add(*found.pairs) == 0 and active is None:
            break
        # The carried bound holds for the pairs outside the graph this scan saw: it is used only
        # when the next solve sees the whole graph, which holds them all.
        carried = found.residual
        per_row = min(2 * per_row, _MAX_PER_ROW)

    assert solution is not None and transport is not None
    chosen = solution.chosen
    return SearchResult(
        left=transport.left[chosen],
        right=transport.right[chosen],
        score=score[chosen],
        solution=solution,
        total=float(np.sum(score[chosen])),
        bound=bound,
        certified=certified,
        quantum=quantum,
        edges=len(graph.keys),
        rounds=rounds,
        structure_rounds=structure_rounds,
        graph=(graph.left, graph.right),
        graph_score=graph.score,
        estimates=(row_price, col_price),
        seconds=clock.seconds,
    )


def _active(transport: Transport, prices: tuple[IntArray, IntArray], depth: int) -> BoolArray | None:
    """The pairs of the graph whose reduced profit under ``prices`` (the last solve's) is at least
    ``-depth``, or None when that is all of them.

    The last solution's pairs are among them (reduced profit >= 0), so the subgraph fills the same
    seats and group minimums. Prices move little between rounds, far less than ``depth``: a pair so
    far below its row's and column's prices would not be chosen, and its constraint would not bind.
    """
    reduced = transport.profit - prices[0][transport.left] - prices[1][transport.right]
    keep = reduced >= -depth
    return None if keep.all() else keep


def _subgraph(transport: Transport, keep: BoolArray) -> Transport:
    return replace(transport, left=transport.left[keep], right=transport.right[keep], profit=transport.profit[keep])


class _Clock:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str) -> _Lap:
        return _Lap(self.seconds, name)


class _Lap:
    def __init__(self, seconds: dict[str, float], name: str):
        self.seconds, self.name = seconds, name

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.seconds[self.name] = self.seconds.get(self.name, 0.0) + time.perf_counter() - self.start


def _sample_prices(
    source: PairSource, quantum: float, left_capacity: IntArray, right_capacity: IntArray, k: int
) -> tuple[FloatArray, FloatArray]:
    """Row and column price estimates from the optimal solution of an evenly spaced sample.

    The sample keeps the sides' proportions, so it is the whole market scaled down, and its dual
    prices are what being matched costs there. Samples up to ``_SAMPLE`` people a side are solved
    directly; larger ones (a quarter of each side) by :func:`search` itself, which prices its own
    candidates from a sample a quarter as large again. Everyone is then priced by *dual
    completion*: a column at the most any sampled row would pay for it over that row's price
    (``max_i s_ij - a_i``), a row at the most it could gain from a sampled column over that
    column's price. Equally attractive people get equal prices, so the per-pair tie-breaking, not
    the noise of an estimate, decides among them.
    """
    n_left, n_right = source.n_left, source.n_right
    if n_left == 0 or n_right == 0:
        return np.zeros(n_left), np.zeros(n_right)
    larger = max(n_left, n_right)
    fraction = _SAMPLE / larger if larger <= _SAMPLE / _SAMPLE_FRACTION else _SAMPLE_FRACTION
    rows = _spread(n_left, max(1, round(n_left * fraction)))
    cols = _spread(n_right, max(1, round(n_right * fraction)))
    if max(len(rows), len(cols)) <= _SAMPLE:
        values, allowed = source.subblock(rows, cols)
        left, right = np.nonzero(allowed)
        transport = Transport(
            n_left=len(rows),
            n_right=len(cols),
            left=left.astype(np.int64),
            right=right.astype(np.int64),
            profit=np.rint(values[left, right] / quantum).astype(np.int64),
            left_capacity=left_capacity[rows],
            right_capacity=right_capacity[cols],
        )
        sample = solve_transport(transport)
        sample_quantum = quantum
    else:
        result = search(
            source.restrict(rows, cols),
            left_capacity=left_capacity[rows],
            right_capacity=right_capacity[cols],
            settings=SearchSettings(k=k, tolerance=1e-3, max_rounds=3),
        )
        sample, sample_quantum = result.solution, result.quantum
    a, b = centred(sample.left_price, sample.right_price)
    a_value = a.astype(np.float64) * sample_quantum
    b_value = b.astype(np.float64) * sample_quantum
    col_price = _complete(source.restrict(rows, np.arange(n_right, dtype=np.int64)), a_value, n_right)
    row_price = _complete(source.restrict(np.arange(n_left, dtype=np.int64), cols), b_value, n_left, rows_side=True)
    return row_price, col_price


def _complete(part: PairSource, known: FloatArray, n: int, *, rows_side: bool = False) -> FloatArray:
    """Dual completion over ``part``: each free column's (or row's) best value against ``known``."""
    price = np.full(n, -np.inf)
    zero = EMPTY.astype(np.float64)
    blocks = part.scan(zero, known) if rows_side else part.scan(known, zero)
    for block in blocks:
        if rows_side:
            price[block.rows] = np.maximum(price[block.rows], block.values.max(axis=1, initial=-np.inf))
        else:
            price[block.cols] = np.maximum(price[block.cols], block.values.max(axis=0))
    # People no sampled partner may meet get the median price: nothing is known about them.
    unknown = ~np.isfinite(price)
    price[unknown] = np.median(price[~unknown]) if (~unknown).any() else 0.0
    return price


def _spread(n: int, m: int) -> IntArray:
    """``m`` evenly spaced indices out of ``n`` (deterministic)."""
    return np.unique(np.linspace(0, n - 1, num=min(n, m)).round().astype(np.int64))
