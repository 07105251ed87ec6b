"""The most seats over every allowed pair, proven without building every pair (König's argument).

A candidate graph holds a few allowed pairs per person. Its maximum flow - seats filled, or
group-minimum seats met - is the maximum over *all* allowed pairs exactly when the residual network
of the whole problem has no augmenting path. That network is the graph's residual network plus one
forward arc for every allowed pair outside the graph (such a pair carries no flow).
:func:`augmenting_pairs` searches it breadth-first: arcs of the graph are followed directly, and the
arcs of pairs outside the graph that leave newly reached rows are found by scoring just those rows
against the columns not reached yet - only people the search reaches are ever scanned, and each
of them once.

When the search stops short of the sink, the reached set is a cut whose capacity equals the flow
(max-flow min-cut; König's theorem when everyone has one seat): the proof. Otherwise the pairs
outside the graph through which the search reached people hold augmenting paths - every reached
person has a path from the source along graph arcs and such pairs - and they are returned to be
added. Every reached column keeps the best four rows that reached it and every scanned row its best
four new columns (by score less the other side's price estimate, ties broken by a fixed per-pair
perturbation so that rows stuck behind the same tied columns spread over different ones): the
recomputed maximum flow then finds many disjoint augmenting paths at once, not one.

The search runs forwards from the source (scanning rows) or backwards from the sink (scanning
columns), whichever side's graph-reachable set is smaller. An empty one is a proof at no cost:
every row (or every column) that could start an augmenting path is already full.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from twofold.matching.flow import MaxFlow, arc_index, arcs_leaving
from twofold.matching.pairs import EMPTY, PairSource, Values, pair_noise, sorted_unique, top_k

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]

# New pairs kept per reached column and per scanned row.
_PER_NODE = 4
# Pairs scored at once while scanning (rows x unreached columns).
_CHUNK_PAIRS = 1 << 22


def augmenting_pairs(
    source: PairSource,
    flow: MaxFlow,
    graph: tuple[IntArray, IntArray],
    *,
    row_price: FloatArray,
    col_price: FloatArray,
    jitter: float,
) -> tuple[IntArray, IntArray] | None:
    """``None`` when ``flow`` (a maximum flow of the graph of ``graph``'s pairs) is proven maximum
    over every allowed pair of ``source``; otherwise allowed pairs outside the graph, as (left,
    right) arrays, that open at least one augmenting path once added.

    Prices are score-unit estimates used only to choose among the new pairs; ``jitter`` is the
    size of the per-pair tie-breaking perturbation. Complexity: O(arcs) for the graph's part, plus
    scoring each reached row (or column) against the people not yet reached: at most one pass
    over all pairs, and nothing when the flow already fills one side's reachable seats.
    """
    n_left, n_right = flow.n_left, flow.n_right
    forward = _Arcs(flow.tail, flow.head, flow.n_nodes)
    backward = _Arcs(flow.head, flow.tail, flow.n_nodes)
    reach = np.zeros(flow.n_nodes, dtype=bool)
    forward.closure(np.array([flow.source]), reach)
    coreach = np.zeros(flow.n_nodes, dtype=bool)
    backward.closure(np.array([flow.target]), coreach)
    rows_reached = int(reach[:n_left].sum())
    cols_reached = int(coreach[n_left : n_left + n_right].sum())
    if rows_reached == 0 or cols_reached == 0:
        return None
    if rows_reached <= cols_reached:
        search = _Search(source, transposed=False, prices=(row_price, col_price), graph=graph, jitter=jitter)
        return search.run(forward, reach, flow.target)
    search = _Search(source, transposed=True, prices=(col_price, row_price), graph=graph[::-1], jitter=jitter)
    found = search.run(backward, coreach, flow.source)
    return None if found is None else (found[1], found[0])


class _Arcs:
    """Residual arcs grouped by tail, for breadth-first closures."""

    def __init__(self, tail: IntArray, head: IntArray, n_nodes: int):
        self.order, self.indptr = arc_index(tail, n_nodes)
        self.head = head

    def closure(self, starts: IntArray, seen: BoolArray) -> IntArray:
        """Mark ``starts`` and every node reachable from them; return the nodes marked now."""
        starts = starts[~seen[starts]]
        seen[starts] = True
        marked = [starts]
        frontier = starts
        while len(frontier):
            following = self.head[arcs_leaving(self.order, self.indptr, frontier)]
            following = sorted_unique(following[~seen[following]])
            seen[following] = True
            marked.append(following)
            frontier = following
        return np.concatenate(marked)


class _Search:
    """The breadth-first search of :func:`augmenting_pairs` in one direction.

    "Scan" nodes are the side whose pairs outside the graph are searched (rows forwards, columns
    backwards); "other" nodes the opposite side. Network node numbers: rows first, then columns.
    """

    def __init__(
        self,
        source: PairSource,
        *,
        transposed: bool,
        prices: tuple[FloatArray, FloatArray],
        graph: tuple[IntArray, IntArray],
        jitter: float,
    ):
        self.source = source
        self.transposed = transposed
        n_left, n_right = source.n_left, source.n_right
        self.n_scan, self.n_other = (n_right, n_left) if transposed else (n_left, n_right)
        self.scan_offset, self.other_offset = (n_left, 0) if transposed else (0, n_left)
        self.scan_price = _prices(prices[0], self.n_scan)
        self.other_price = _prices(prices[1], self.n_other)
        self.jitter = jitter
        self.graph_other = graph[1]
        self.graph_order, self.graph_indptr = arc_index(graph[0], self.n_scan)

    def run(self, arcs: _Arcs, seen: BoolArray, target: int) -> tuple[IntArray, IntArray] | None:
        """Extend ``seen`` (the graph-reachable set) over pairs outside the graph until closed."""
        scan_nodes = slice(self.scan_offset, self.scan_offset + self.n_scan)
        other_nodes = slice(self.other_offset, self.other_offset + self.n_other)
        fresh = np.flatnonzero(seen[scan_nodes])
        found_scan: list[IntArray] = []
        found_other: list[IntArray] = []
        while len(fresh):
            unreached = np.flatnonzero(~seen[other_nodes])
            if len(unreached) == 0:
                break
            hit, pairs = self._scan(fresh, unreached)
            found_scan.append(pairs[0])
            found_other.append(pairs[1])
            newly = unreached[hit]
            if len(newly) == 0:
                break
            marked = arcs.closure(newly + self.other_offset, seen)
            fresh = marked[(marked >= scan_nodes.start) & (marked < scan_nodes.stop)] - self.scan_offset
        if not seen[target]:
            return None
        return np.concatenate(found_scan), np.concatenate(found_other)

    def _scan(self, nodes: IntArray, unreached: IntArray) -> tuple[BoolArray, tuple[IntArray, IntArray]]:
        """Which ``unreached`` nodes an allowed pair outside the graph joins to ``nodes``, and the
        best such pairs of each (see the module docstring)."""
        position = np.full(self.n_other, -1, dtype=np.int64)
        position[unreached] = np.arange(len(unreached))
        hit = np.zeros(len(unreached), dtype=bool)
        found_scan: list[IntArray] = [EMPTY]
        found_other: list[IntArray] = [EMPTY]
        column_other: list[IntArray] = [EMPTY]
        column_scan: list[IntArray] = [EMPTY]
        column_value: list[NDArray[np.floating]] = [EMPTY.astype(np.float64)]
        step = max(1, _CHUNK_PAIRS // len(unreached))
        for start in range(0, len(nodes), step):
            chunk = nodes[start : start + step]
            values, allowed = self._fetch(chunk, unreached)
            # Pairs of the graph are not new arcs: a chosen one carries flow, an unchosen one was
            # followed already.
            arcs = arcs_leaving(self.graph_order, self.graph_indptr, chunk)
            at = position[self.graph_other[arcs]]
            inside = at >= 0
            chunk_row = np.repeat(np.arange(len(chunk)), np.diff(self.graph_indptr)[chunk])
            allowed[chunk_row[inside], at[inside]] = False
            hit |= allowed.any(axis=0)
            ranked = np.where(allowed, values, -np.inf)
            rows, cols = (unreached, chunk) if self.transposed else (chunk, unreached)
            noise = pair_noise(rows, cols)
            ranked += self.jitter * (noise.T if self.transposed else noise)
            r, c = top_k(ranked - self.other_price[unreached][None, :], _PER_NODE)
            found_scan.append(chunk[r])
            found_other.append(unreached[c])
            by_column = np.ascontiguousarray((ranked - self.scan_price[chunk][:, None]).T)
            c, r = top_k(by_column, _PER_NODE)
            column_other.append(c)
            column_scan.append(chunk[r])
            column_value.append(by_column[c, r])
        # Each column keeps its best rows over all chunks, not per chunk: a search reaching a
        # thousand rows in chunks of a hundred would otherwise add millions of pairs.
        other = np.concatenate(column_other)
        value = np.concatenate(column_value)
        order = np.lexsort((-value, other))
        other, scan = other[order], np.concatenate(column_scan)[order]
        best = np.arange(len(other)) - np.searchsorted(other, other, side="left") < _PER_NODE
        found_scan.append(scan[best])
        found_other.append(unreached[other[best]])
        return hit, (np.concatenate(found_scan), np.concatenate(found_other))

    def _fetch(self, nodes: IntArray, others: IntArray) -> tuple[Values, BoolArray]:
        """Scores and allowed mask of ``nodes`` x ``others`` (scan side first)."""
        if not self.transposed:
            return self.source.subblock(nodes, others)
        values, allowed = self.source.subblock(others, nodes)
        return np.ascontiguousarray(values.T), np.ascontiguousarray(allowed.T)


def _prices(price: FloatArray, n: int) -> FloatArray:
    return price if len(price) == n else np.zeros(n)
