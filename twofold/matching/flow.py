"""Exact integer transport on a bipartite graph: the solver under every optimising match in Twofold.

A *transport* is a bipartite graph with an integer profit on each edge, a capacity (seats) on each
node and, optionally, a group label on each right node with a minimum number of matched seats per
group. :func:`solve_transport` finds, in this order of priority,

1. the largest number of group-minimum seats that can be met together (all of them when feasible),
2. the largest number of matched seats (unless ``maximize_matched`` is off),
3. the largest total profit,

and returns the chosen edges together with a *certificate*: dual prices ``a`` (left) and ``b``
(right) such that every unchosen edge has reduced profit ``p - a_i - b_j <= 0`` and every chosen one
``>= 0``. Any edge that is *not in the graph* and has ``p - a_i - b_j <= 0`` cannot improve the
solution either, which is how the candidate search proves optimality over all pairs without ever
building them (see :mod:`twofold.matching.candidates`). :func:`maximum_flow` gives the residual
network of a maximum flow, from which :mod:`twofold.matching.structure` proves the seat count (and
the group minimums met) maximal over all pairs in the same spirit.

Solvers, chosen by measurement on this project's machine (OR-Tools 9.15, tie-heavy mentoring
scores, and our own runs): OR-Tools' cost-scaling ``SimpleLinearSumAssignment`` for
one-seat-per-person problems that are square or nearly so once people without any edge are set
aside, and whose smaller side a max-flow shows can be matched in full (about 3x faster than the
min-cost flow on 1.5 M edges; the smaller side is padded with free dummy nodes), and
OR-Tools' ``SimpleMinCostFlow`` for everything else: seats, group minimums, very unequal sides, a
maximum matching that leaves both sides short, or maximising the total alone. Neither wrapper
exposes its internal potentials, so the dual prices are recovered afterwards by Bellman-Ford on
the residual network, vectorised over arcs and started from price estimates when there are some.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import linear_sum_assignment, max_flow, min_cost_flow

from twofold.matching.pairs import dense_codes

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

# OR-Tools refuses (or cannot prove free of overflow) costs beyond these ranges, measured with
# OR-Tools 9.15: the assignment solver needs (nodes per side)^2 * max|cost| below about 1e18, the
# min-cost flow needs nodes * max|cost| below about 1e18. We keep a 2.5x margin under the stricter.
_OVERFLOW_BUDGET = 4e17
_MAX_PROFIT = 10**9
# Starting distance of nodes without a price hint: far above any real price, so they take the
# value their arcs give them; far below int64 overflow.
_UNREACHED = 1 << 60


def profit_limit(n_left: int, n_right: int) -> int:
    """Largest |integer profit| that is safe for both OR-Tools solvers on a graph of this size.

    Counted as if both sides were on one side: padding never adds more nodes than that.
    """
    nodes = max(2, n_left + n_right + 3)
    return int(max(1, min(_MAX_PROFIT, _OVERFLOW_BUDGET / nodes**2)))


@dataclass(frozen=True)
class Transport:
    """A bipartite transport problem in integer units.

    ``left[e]``, ``right[e]``, ``profit[e]`` describe edge ``e`` (at most one edge per pair; an edge
    carries at most one seat). ``right_group`` (``-1`` = no group) and ``group_quota`` (minimum
    matched right seats per group code) are optional and come together.
    """

    n_left: int
    n_right: int
    left: IntArray
    right: IntArray
    profit: IntArray
    left_capacity: IntArray
    right_capacity: IntArray
    right_group: IntArray | None = None
    group_quota: IntArray | None = None


@dataclass(frozen=True)
class TransportSolution:
    """The optimum of a :class:`Transport` and the certificate that proves it.

    ``left_price``/``right_price`` are the dual prices (see the module docstring);
    ``group_matched`` counts matched right seats per group code.
    """

    chosen: BoolArray
    matched: int
    left_price: IntArray
    right_price: IntArray
    group_matched: IntArray
    quota_met: int
    quota_total: int
    solver: str
    bellman_ford_rounds: int


def solve_transport(
    problem: Transport,
    *,
    maximize_matched: bool = True,
    price_hint: tuple[IntArray, IntArray] | None = None,
    known_flows: tuple[int | None, int | None] = (None, None),
    duals: bool = True,
) -> TransportSolution:
    """Solve ``problem`` exactly; see the module docstring for the objective and the certificate.

    ``known_flows`` passes the most seats and the most group-minimum seats the graph can fill when
    the caller has them already (:func:`maximum_flow`), saving those max-flows. With ``duals``
    off, the prices are left at zero (no certificate is needed of a graph holding every pair).

    Complexity: that of OR-Tools' cost-scaling algorithms, O(n m log(n C)) in the worst case and
    close to linear in the number of edges on matching-shaped graphs, plus O(rounds * arcs) for the
    price recovery (rounds = hops of the longest shortest path, tens in practice).
    """
    net = _Network(problem, with_bypass=not maximize_matched)
    seat_bound = int(min(problem.left_capacity.sum(), problem.right_capacity.sum()))
    quota_total = int(problem.group_quota.sum()) if problem.group_quota is not None else 0
    known_seats, known_quota = known_flows
    quota_met = 0 if not quota_total else known_quota if known_quota is not None else _max_quota_flow(net)
    # The seat count first (a max-flow, milliseconds): it says whether a perfect matching of the
    # smaller side exists, which the assignment solver needs and would otherwise discover only by
    # failing after seconds of work.
    supply = seat_bound if not maximize_matched else known_seats if known_seats is not None else _max_flow(net)
    flow: IntArray | None = None
    solver = "linear-sum-assignment"
    unit = (
        maximize_matched
        and quota_total == 0
        and bool(np.all(problem.left_capacity == 1))
        and bool(np.all(problem.right_capacity == 1))
    )
    if unit:
        flow = _solve_unit(net, supply)
    if flow is None:
        solver = "min-cost-flow"
        flow = _solve_min_cost_flow(net, supply, quota_met)

    chosen = flow[net.edges] > 0
    if not duals:
        zero = np.zeros(problem.n_left, dtype=np.int64), np.zeros(problem.n_right, dtype=np.int64)
        return _solution(problem, chosen, zero, quota_met, quota_total, solver, 0)
    residual = net.residual(flow)
    start = np.zeros(net.n_nodes, dtype=np.int64)
    if price_hint is not None:
        # Prices of the same problem from elsewhere (a sample, the previous round): the solver's
        # own duals are then chosen near them, which keeps people the graph barely knows from
        # looking cheap, and the certificate finds fewer false alarms.
        start[: problem.n_left] = price_hint[0]
        start[problem.n_left : problem.n_left + problem.n_right] = -price_hint[1]
        start[problem.n_left + problem.n_right :] = _UNREACHED
    potential, rounds = _shortest_distances(residual, start)
    potential = _tighten(
        residual, potential, problem.n_left, problem.n_right, int(np.abs(problem.profit).max(initial=0))
    )
    left_price = potential[: problem.n_left].copy()
    right_price = -potential[problem.n_left : problem.n_left + problem.n_right]
    return _solution(problem, chosen, (left_price, right_price), quota_met, quota_total, solver, rounds)


def _solution(
    problem: Transport,
    chosen: BoolArray,
    prices: tuple[IntArray, IntArray],
    quota_met: int,
    quota_total: int,
    solver: str,
    rounds: int,
) -> TransportSolution:
    n_groups = 0 if problem.group_quota is None else len(problem.group_quota)
    group_matched = np.zeros(n_groups, dtype=np.int64)
    if n_groups and problem.right_group is not None:
        seats = np.bincount(problem.right[chosen], minlength=problem.n_right)
        grouped = problem.right_group >= 0
        group_matched = np.bincount(problem.right_group[grouped], weights=seats[grouped], minlength=n_groups).astype(
            np.int64
        )
    return TransportSolution(
        chosen=chosen,
        matched=int(chosen.sum()),
        left_price=prices[0],
        right_price=prices[1],
        group_matched=group_matched,
        quota_met=quota_met,
        quota_total=quota_total,
        solver=solver,
        bellman_ford_rounds=rounds,
    )


@dataclass(frozen=True)
class _Residual:
    tail: IntArray
    head: IntArray
    cost: IntArray


class _Network:
    """The flow network of a transport: source -> left -> right -> (group ->) sink.

    Node numbering: lefts, rights, groups, then source, sink and the quota sink. Group minimums use
    the textbook lower-bound transform: each group sends up to its minimum into the quota sink,
    whose demand is the number of minimum seats that can be met (the rest go to the free sink).
    """

    def __init__(self, problem: Transport, *, with_bypass: bool):
        self.problem = problem
        n_left, n_right = problem.n_left, problem.n_right
        n_groups = 0 if problem.group_quota is None else len(problem.group_quota)
        self.n_groups = n_groups
        self.source = n_left + n_right + n_groups
        self.sink = self.source + 1
        self.quota_sink = self.source + 2
        self.n_nodes = self.source + 3
        big = int(problem.left_capacity.sum() + problem.right_capacity.sum() + 1)
        lefts = np.arange(n_left, dtype=np.int64)
        rights = np.arange(n_right, dtype=np.int64) + n_left
        if n_groups and problem.right_group is not None:
            group = problem.right_group
            right_to = np.where(group >= 0, n_left + n_right + group, self.sink)
        else:
            right_to = np.full(n_right, self.sink, dtype=np.int64)
        groups = np.arange(n_groups, dtype=np.int64) + n_left + n_right
        quota = problem.group_quota if problem.group_quota is not None else np.zeros(0, dtype=np.int64)
        parts = [
            (np.full(n_left, self.source), lefts, problem.left_capacity, np.zeros(n_left)),
            (problem.left, problem.right + n_left, np.ones(len(problem.left)), -problem.profit),
            (rights, right_to, problem.right_capacity, np.zeros(n_right)),
            (groups, np.full(n_groups, self.sink), np.full(n_groups, big), np.zeros(n_groups)),
            (groups, np.full(n_groups, self.quota_sink), quota, np.zeros(n_groups)),
        ]
        if with_bypass:
            parts.append((np.array([self.source]), np.array([self.sink]), np.array([big]), np.zeros(1)))
        self.tail = np.concatenate([p[0] for p in parts]).astype(np.int64)
        self.head = np.concatenate([p[1] for p in parts]).astype(np.int64)
        self.capacity = np.concatenate([p[2] for p in parts]).astype(np.int64)
        self.cost = np.concatenate([p[3] for p in parts]).astype(np.int64)
        bounds = np.cumsum([0] + [len(p[0]) for p in parts])
        self.sources = slice(bounds[0], bounds[1])
        self.edges = slice(bounds[1], bounds[2])
        self.right_arcs = slice(bounds[2], bounds[3])
        self.group_free = slice(bounds[3], bounds[4])
        self.group_quota = slice(bounds[4], bounds[5])
        self.bypass = slice(bounds[5], bounds[-1])

    def residual(self, flow: IntArray) -> _Residual:
        forward = flow < self.capacity
        backward = flow > 0
        return _Residual(
            tail=np.concatenate([self.tail[forward], self.head[backward]]),
            head=np.concatenate([self.head[forward], self.tail[backward]]),
            cost=np.concatenate([self.cost[forward], -self.cost[backward]]),
        )

    def flow_from_edges(self, chosen: BoolArray, supply: int) -> IntArray:
        """Arc flows of the whole network when only the left-right edge choice is known."""
        problem = self.problem
        flow = np.zeros(len(self.tail), dtype=np.int64)
        flow[self.edges] = chosen
        flow[self.sources] = np.bincount(problem.left[chosen], minlength=problem.n_left)
        flow[self.right_arcs] = np.bincount(problem.right[chosen], minlength=problem.n_right)
        if self.bypass.stop > self.bypass.start:
            flow[self.bypass] = supply - int(chosen.sum())
        return flow


@dataclass(frozen=True)
class MaxFlow:
    """A maximum flow of a transport's network and its residual arcs (``tail`` -> ``head``).

    Nodes are numbered as in the network: lefts ``0..n_left-1``, then rights, then group nodes,
    source, sink and quota sink; ``target`` is the sink the flow went to (the quota sink when
    counting group-minimum seats). Used to prove the count maximal over pairs outside the graph
    (:mod:`twofold.matching.structure`).
    """

    value: int
    n_left: int
    n_right: int
    n_nodes: int
    source: int
    target: int
    tail: IntArray
    head: IntArray


def maximum_flow(problem: Transport, *, quota: bool = False) -> MaxFlow:
    """The most seats (``quota``: the most group-minimum seats) the graph can fill, with the
    residual network of one flow that fills them. O(OR-Tools push-relabel max-flow)."""
    net = _Network(problem, with_bypass=False)
    value, tail, head, capacity, flows = _run_max_flow(net, quota_only=quota)
    forward, backward = flows < capacity, flows > 0
    return MaxFlow(
        value=value,
        n_left=problem.n_left,
        n_right=problem.n_right,
        n_nodes=net.n_nodes,
        source=net.source,
        target=net.quota_sink if quota else net.sink,
        tail=np.concatenate([tail[forward], head[backward]]),
        head=np.concatenate([head[forward], tail[backward]]),
    )


def _run_max_flow(net: _Network, *, quota_only: bool) -> tuple[int, IntArray, IntArray, IntArray, IntArray]:
    """Max-flow from the source to the sink (or the quota sink): value, arcs, capacities, flows."""
    arcs = [net.sources, net.edges, net.right_arcs, net.group_quota if quota_only else net.group_free]
    tail = np.concatenate([net.tail[a] for a in arcs])
    head = np.concatenate([net.head[a] for a in arcs])
    capacity = np.concatenate([net.capacity[a] for a in arcs])
    if quota_only:
        # Right nodes outside every group cannot reach the quota sink.
        keep = head != net.sink
        tail, head, capacity = tail[keep], head[keep], capacity[keep]
    if len(net.problem.left) == 0:
        return 0, tail, head, capacity, np.zeros(len(tail), dtype=np.int64)
    solver = max_flow.SimpleMaxFlow()
    solver.add_arcs_with_capacity(tail, head, capacity)
    status = solver.solve(net.source, net.quota_sink if quota_only else net.sink)
    if status != max_flow.SimpleMaxFlow.OPTIMAL:
        raise RuntimeError(f"max-flow solver failed with status {status}")
    flows = np.asarray(solver.flows(np.arange(len(tail), dtype=np.int64)), dtype=np.int64)
    return int(solver.optimal_flow()), tail, head, capacity, flows


def _max_flow(net: _Network, *, quota_only: bool = False) -> int:
    """Largest number of seats (or of group-minimum seats) that can be matched."""
    if len(net.problem.left) == 0:
        return 0
    return _run_max_flow(net, quota_only=quota_only)[0]


def _max_quota_flow(net: _Network) -> int:
    return _max_flow(net, quota_only=True)


def _solve_min_cost_flow(net: _Network, supply: int, quota_met: int) -> IntArray:
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(net.tail, net.head, net.capacity, net.cost)
    supplies = np.zeros(net.n_nodes, dtype=np.int64)
    supplies[net.source] = supply
    supplies[net.sink] = -(supply - quota_met)
    supplies[net.quota_sink] = -quota_met
    solver.set_nodes_supplies(np.arange(net.n_nodes, dtype=np.int64), supplies)
    status = solver.solve()
    if status != min_cost_flow.SimpleMinCostFlow.OPTIMAL:
        raise RuntimeError(f"min-cost-flow solver failed with status {status}")
    return np.asarray(solver.flows(np.arange(len(net.tail), dtype=np.int64)), dtype=np.int64)


def _solve_unit(net: _Network, matched: int) -> IntArray | None:
    """One seat per person, square or nearly so: the assignment solver.

    ``matched`` is the most pairs the graph allows (a max-flow). Returns ``None`` when the
    min-cost flow is the tool: when not every person of the smaller side (among those with an
    edge) can be matched - the padded assignment below then has no perfect matching - or when the
    sides differ so much in size that padding the smaller one would cost more arcs than the graph
    has. (A mirrored dummy-node construction handles every shape, but measured 10x slower than the
    min-cost flow on rectangular, tie-heavy graphs.)
    """
    problem = net.problem
    # People without any edge cannot be matched; leaving them out often makes the sides saturable
    # again (someone whose every candidate is in their reporting chain).
    used_left, left = dense_codes(problem.left, problem.n_left)
    used_right, right = dense_codes(problem.right, problem.n_right)
    n_left, n_right = len(used_left), len(used_right)
    if len(left) == 0 or matched < min(n_left, n_right):
        return None
    cost = -problem.profit
    swap = n_left < n_right
    if swap:
        left, right, n_left, n_right = right, left, n_right, n_left
    padding = n_left - n_right
    if padding * n_left > len(left) // 2:
        return None
    # Pad the smaller side with ``padding`` dummy nodes that every node of the larger side may
    # take at no cost: a perfect matching then saturates the smaller side, at the same cost.
    lefts = np.arange(n_left, dtype=np.int64)
    tails = np.concatenate([left, np.tile(lefts, padding)])
    heads = np.concatenate([right, np.repeat(np.arange(padding, dtype=np.int64) + n_right, n_left)])
    costs = np.concatenate([cost, np.zeros(padding * n_left, dtype=np.int64)])
    chosen = _lsa_pairs(tails, heads, costs, n_left, left, right)
    if chosen is None:
        return None
    return net.flow_from_edges(chosen, int(chosen.sum()))


def _lsa_pairs(
    tails: IntArray, heads: IntArray, costs: IntArray, n_left: int, left: IntArray, right: IntArray
) -> BoolArray | None:
    """Run the assignment solver and mark which of the original edges it chose."""
    solver = linear_sum_assignment.SimpleLinearSumAssignment()
    solver.add_arcs_with_cost(tails, heads, costs)
    if solver.solve() != linear_sum_assignment.SimpleLinearSumAssignment.OPTIMAL:
        return None
    mates = np.asarray([solver.right_mate(i) for i in range(n_left)], dtype=np.int64)
    # An edge is chosen when its right end is the mate of its left end (one edge per pair).
    return mates[left] == right


def arc_index(tail: IntArray, n_nodes: int) -> tuple[IntArray, IntArray]:
    """Arcs grouped by tail: ``order[indptr[v]:indptr[v + 1]]`` are the arcs leaving ``v``."""
    order = np.argsort(tail, kind="stable")
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=n_nodes), out=indptr[1:])
    return order, indptr


def arcs_leaving(order: IntArray, indptr: IntArray, nodes: IntArray) -> IntArray:
    """Indices of all arcs leaving ``nodes``, as one flat array (a vectorised ragged gather)."""
    starts = indptr[nodes]
    counts = indptr[nodes + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    return order[offsets + np.arange(total, dtype=np.int64)]


def _shortest_distances(residual: _Residual, start: IntArray) -> tuple[IntArray, int]:
    """Bellman-Ford from a virtual root joined to every node ``v`` by an arc of cost ``start[v]``.

    The result is the largest feasible potential at most ``start``: with ``start`` = 0 any one,
    with ``start`` = good price estimates the one closest to them. Rounds relax only the arcs
    leaving nodes whose distance fell in the previous round. The residual network of an optimal
    flow has no negative cycle, so this ends within ``n_nodes`` rounds; in practice within hundreds.
    """
    n_nodes = len(start)
    distance = start.copy()
    order, indptr = arc_index(residual.tail, n_nodes)
    frontier = np.arange(n_nodes, dtype=np.int64)
    rounds = 0
    while len(frontier):
        rounds += 1
        if rounds > n_nodes + 1:
            raise RuntimeError("negative cycle in the residual network: the flow is not optimal")
        arcs = arcs_leaving(order, indptr, frontier)
        candidate = distance[residual.tail[arcs]] + residual.cost[arcs]
        heads = residual.head[arcs]
        better = candidate < distance[heads]
        heads, candidate = heads[better], candidate[better]
        np.minimum.at(distance, heads, candidate)
        changed = np.zeros(n_nodes, dtype=bool)
        changed[heads] = True
        frontier = np.flatnonzero(changed)
    return distance, rounds


def _tighten(residual: _Residual, potential: IntArray, n_left: int, n_right: int, top: int) -> IntArray:
    """Raise left prices, then right prices, as far as the residual network allows.

    Any feasible potential certifies the solution, but the scan for pairs outside the graph finds
    fewer false alarms when every reduced profit is as low as possible: a left price can rise until
    an arc into the node becomes tight (its chosen pairs then have reduced profit 0), a right price
    likewise (its potential falls until an arc out of it is tight). Nodes without such an arc (no
    seats) are priced out of the market. O(arcs).
    """
    potential = potential.copy()
    reduced = potential[residual.tail] + residual.cost - potential[residual.head]
    slack = np.full(len(potential), np.iinfo(np.int64).max)
    into_left = residual.head < n_left
    np.minimum.at(slack, residual.head[into_left], reduced[into_left])
    lefts = slack[:n_left]
    potential[:n_left] += np.where(lefts == np.iinfo(np.int64).max, top + 1, lefts)
    reduced = potential[residual.tail] + residual.cost - potential[residual.head]
    slack[:] = np.iinfo(np.int64).max
    out_of_right = (residual.tail >= n_left) & (residual.tail < n_left + n_right)
    np.minimum.at(slack, residual.tail[out_of_right], reduced[out_of_right])
    rights = slack[n_left : n_left + n_right]
    potential[n_left : n_left + n_right] -= np.where(rights == np.iinfo(np.int64).max, top + 1, rights)
    return potential
