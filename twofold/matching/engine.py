"""The matching engine: people and a policy in, explained optimal pairs out.

:func:`match` runs one match: eligibility, locked pairs, the optimal assignment over every allowed
pair (:mod:`twofold.matching.candidates`), the fairness minimums for sponsorship, and an
explanation for every pair and every person left without one. :func:`rematch` keeps existing
pairs and matches only the people left without a partner (someone left, capacity grew, ...).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from twofold.matching.candidates import SearchResult, SearchSettings, search
from twofold.matching.dense import solve_dense
from twofold.matching.explain import Reason, Unmatched, explain_unmatched
from twofold.matching.fairness import FairnessReport, fairness_report, group_minimums
from twofold.matching.participants import MatchProblem
from twofold.matching.rules import DO_NOT_PAIR, LOCKED, PREVIOUS, PairRules, eligibility
from twofold.matching.scoring import FeatureSource, Scorer

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


class MatchInputError(ValueError):
    """The problem cannot be matched as given (e.g. a locked pair breaks a rule); ``problems``
    lists every reason, naming people by employee id."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class MatchedPair:
    """One proposed (or kept) pair. ``breakdown`` maps each weighted component to the points it
    adds (weight x component value in [0, 1]); they sum to ``score``."""

    left: int
    right: int
    left_id: str
    right_id: str
    score: float
    breakdown: Mapping[str, float]
    locked: bool = False


@dataclass(frozen=True)
class MatchStats:
    """How the run went. ``gap_bound`` is the proven relative distance to the optimum (0 when
    ``certified``); ``phases`` gives seconds per phase of the optimal search."""

    seconds: float
    eligible_left: int
    eligible_right: int
    matched: int
    edges: int
    rounds: int
    certified: bool
    bound: float
    gap_bound: float
    solver: str
    phases: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class MatchResult:
    """Pairs (locked ones first, then by left index), the unmatched with reasons, the fairness
    report (sponsorship with a fairness target) and statistics."""

    pairs: tuple[MatchedPair, ...]
    unmatched: tuple[Unmatched, ...]
    total: float
    weights: Mapping[str, float]
    fairness: FairnessReport | None
    stats: MatchStats
    dropped: tuple[tuple[str, str], ...] = ()

    @property
    def pair_index(self) -> IntArray:
        """The pairs as an (m, 2) array of (left index, right index)."""
        if not self.pairs:
            return np.zeros((0, 2), dtype=np.int64)
        return np.array([(pair.left, pair.right) for pair in self.pairs], dtype=np.int64)


def match(problem: MatchProblem) -> MatchResult:
    """Propose the best pairs for ``problem`` under every hard rule, and explain the result.

    Order of priority: fairness minimums (as many as can be met), then the number of matched seats
    (unless the policy turns that off), then the total score. Locked pairs are kept as they are and
    use up seats; a locked pair that breaks a hard rule or overfills a seat raises
    :class:`MatchInputError`. Deterministic for equal input.

    Complexity: O(n_left * n_right * features / BLAS speed) for the scans of all pairs (a few
    passes), plus the exact solves of a candidate graph of O((n_left + n_right) * k) edges. A
    programme of one seat each and at most 1,000,000 pairs is solved over every pair at once by
    SciPy's dense solver (:func:`~twofold.matching.dense.solve_dense`), exact.
    """
    started = time.perf_counter()
    policy = problem.policy
    left_ok, left_why = eligibility(problem.left, policy, left=True)
    right_ok, right_why = eligibility(problem.right, policy, left=False)
    left_index = np.flatnonzero(left_ok).astype(np.int64)
    right_index = np.flatnonzero(right_ok).astype(np.int64)
    rules = PairRules(problem, left_index, right_index)
    locked_left, locked_right = _check_locked(problem, left_ok, right_ok, left_index, right_index, rules)

    left_cap = problem.left.capacity[left_index] - np.bincount(locked_left, minlength=len(left_index))
    right_cap = problem.right.capacity[right_index] - np.bincount(locked_right, minlength=len(right_index))
    scorer = Scorer(problem, left_index, right_index)
    source = FeatureSource(scorer, rules)
    settings = SearchSettings(k=policy.candidates_per_person, tolerance=policy.optimality_tolerance)

    base: SearchResult | None = None
    final: SearchResult | None = None
    fairness: FairnessReport | None = None
    if len(left_index) and len(right_index):
        # A small one-seat programme: SciPy's exact solver over every pair is quicker.
        base = solve_dense(source, left_cap, right_cap) if policy.maximize_matched else None
        if base is None:
            base = search(
                source,
                left_capacity=left_cap,
                right_capacity=right_cap,
                maximize_matched=policy.maximize_matched,
                settings=settings,
            )
        final = base
        groups = problem.right.group[right_index]
        if policy.fairness_tolerance is not None and (groups >= 0).any():
            n_groups = max(len(problem.groups), int(groups.max()) + 1)
            seats = len(base.left) + len(locked_left)
            eligible, minimum = group_minimums(groups, n_groups, seats, policy.fairness_tolerance)
            locked_by_group = np.bincount(groups[locked_right][groups[locked_right] >= 0], minlength=n_groups)
            quota = np.maximum(minimum - locked_by_group, 0)
            if quota.sum() > 0:
                final = search(
                    source,
                    left_capacity=left_cap,
                    right_capacity=right_cap,
                    maximize_matched=policy.maximize_matched,
                    right_group=groups,
                    group_quota=quota,
                    settings=settings,
                    warm_start=base,
                )
            matched_rights = np.concatenate([final.right, locked_right])
            matched_groups = groups[matched_rights]
            matched = np.bincount(matched_groups[matched_groups >= 0], minlength=n_groups)
            fairness = fairness_report(
                problem.groups, eligible, minimum, matched, seats, policy.fairness_tolerance, population=len(groups)
            )

    pair_left = np.concatenate([locked_left, final.left if final else np.zeros(0, dtype=np.int64)])
    pair_right = np.concatenate([locked_right, final.right if final else np.zeros(0, dtype=np.int64)])
    is_locked = np.arange(len(pair_left)) < len(locked_left)
    pairs = _pairs(problem, scorer, left_index, right_index, pair_left, pair_right, is_locked)

    unmatched = _unmatched(problem, rules, left_index, right_index, left_why, right_why, pair_left, pair_right)
    certified = final.certified if final else True
    bound = final.bound if final else 0.0
    total = float(sum(pair.score for pair in pairs))
    stats = MatchStats(
        seconds=time.perf_counter() - started,
        eligible_left=len(left_index),
        eligible_right=len(right_index),
        matched=len(pairs),
        edges=final.edges if final else 0,
        rounds=(final.rounds if final else 0) + (base.rounds if base is not None and final is not base else 0),
        certified=certified,
        bound=bound / scorer.unit,
        gap_bound=(bound / scorer.unit) / max(abs(total), 1e-12) if not certified else 0.0,
        solver=final.solution.solver if final else "none",
        phases=_merge_phases(base, final),
    )
    return MatchResult(
        pairs=tuple(pairs),
        unmatched=tuple(unmatched),
        total=total,
        weights={name: weight for name, weight in scorer.weights.items() if weight},
        fairness=fairness,
        stats=stats,
    )


def rematch(problem: MatchProblem, keep: Iterable[tuple[str, str]]) -> MatchResult:
    """Keep the given (left id, right id) pairs and match only the seats and people left over.

    Pairs naming someone no longer in the problem (they left the programme) are dropped and listed
    in ``result.dropped``; their partners are matched again like everyone else without a partner.
    """
    left_at = {str(key): index for index, key in enumerate(problem.left.ids)}
    right_at = {str(key): index for index, key in enumerate(problem.right.ids)}
    kept: list[tuple[int, int]] = []
    dropped: list[tuple[str, str]] = []
    for item in keep:
        if isinstance(item, str | bytes) or not isinstance(item, Sequence) or len(item) != 2:
            raise ValueError(f"keep must hold (left id, right id) pairs, not {item!r}")
        left_id, right_id = str(item[0]), str(item[1])
        if left_id in left_at and right_id in right_at:
            kept.append((left_at[left_id], right_at[right_id]))
        else:
            dropped.append((left_id, right_id))
    locked = np.unique(np.concatenate([problem.locked_pairs, np.array(kept, dtype=np.int64).reshape(-1, 2)]), axis=0)
    result = match(replace(problem, locked_pairs=locked))
    return replace(result, dropped=tuple(dropped))


def rank_partners(problem: MatchProblem, right_id: str, *, limit: int | None = None) -> tuple[MatchedPair, ...]:
    """The left-side people ``right_id`` (a right-side id) may be paired with now, best first.

    For participant choice: the partners a match run could give this one person, each scored and
    broken down exactly as :func:`match` scores and explains its pairs (the same :class:`Scorer` over
    the same eligible people, so a partner's figures do not depend on who else is choosing). Only
    pairs every hard rule allows are listed (eligibility of both, the level gap, the reporting chain,
    do-not-pair, previous and locked pairs) with partners who have a seat left. Ties in score are
    broken by the partner's position in the problem. Nothing when the person is not eligible.

    Complexity: O(n_left x features) for the scores, plus the rules' set-up (the reporting chain's
    pairs of this one person).
    """
    policy = problem.policy
    right_at = np.flatnonzero(problem.right.ids.astype(str) == str(right_id))
    if len(right_at) != 1:
        raise MatchInputError([f"{right_id} is not on the right side of the problem (once)"])
    left_ok, _ = eligibility(problem.left, policy, left=True)
    right_ok, _ = eligibility(problem.right, policy, left=False)
    if not right_ok[right_at[0]]:
        return ()
    # The same eligible people a match run scores (the network term is scaled over all of them).
    left_index = np.flatnonzero(left_ok).astype(np.int64)
    right_index = right_at.astype(np.int64)
    rules = PairRules(problem, left_index, right_index)
    rows = np.arange(len(left_index), dtype=np.int64)
    column = np.zeros(len(rows), dtype=np.int64)
    seats_left = problem.left.capacity[left_index] > 0
    keep = rules.allowed(rows, column) & seats_left
    rows, column = rows[keep], column[keep]
    scorer = Scorer(problem, left_index, right_index)
    units = scorer.score_units(rows, column)
    order = np.lexsort((rows, -units))
    if limit is not None:
        order = order[: max(limit, 0)]
    rows, column = rows[order], column[order]
    pairs = _pairs(problem, scorer, left_index, right_index, rows, column, np.zeros(len(rows), dtype=bool))
    # _pairs orders by partner; the ranking is by score, then by partner, as ``order`` was.
    return tuple(sorted(pairs, key=lambda pair: (-pair.score, pair.left)))


def _check_locked(
    problem: MatchProblem,
    left_ok: BoolArray,
    right_ok: BoolArray,
    left_index: IntArray,
    right_index: IntArray,
    rules: PairRules,
) -> tuple[IntArray, IntArray]:
    """Locked pairs as local indices, after checking each against eligibility, rules and seats."""
    locked = problem.locked_pairs
    problems: list[str] = []
    left_ids, right_ids = problem.left.ids, problem.right.ids
    for left, right in locked.tolist():
        who = f"locked pair {left_ids[left]} - {right_ids[right]}"
        if not left_ok[left] or not right_ok[right]:
            problems.append(f"{who}: {'left' if not left_ok[left] else 'right'} person is not eligible")
    if problems:
        raise MatchInputError(problems)
    to_left = np.full(len(problem.left), -1, dtype=np.int64)
    to_left[left_index] = np.arange(len(left_index))
    to_right = np.full(len(problem.right), -1, dtype=np.int64)
    to_right[right_index] = np.arange(len(right_index))
    local_left, local_right = to_left[locked[:, 0]], to_right[locked[:, 1]]
    level = rules.level_ok(local_left, local_right)
    chain = rules.same_chain(local_left, local_right)
    # A locked pair is listed as LOCKED itself; only the other lists count against it here.
    listed = rules.listed(local_left, local_right) & ~np.int64(LOCKED)
    for position, (left, right) in enumerate(locked.tolist()):
        who = f"locked pair {left_ids[left]} - {right_ids[right]}"
        if not level[position]:
            problems.append(f"{who}: breaks the level-gap rule")
        if chain[position]:
            problems.append(f"{who}: they are in the same reporting chain")
        if listed[position] & DO_NOT_PAIR:
            problems.append(f"{who}: they are on a do-not-pair list")
        if listed[position] & PREVIOUS:
            problems.append(f"{who}: they have been paired before")
    for ids, local, capacity in (
        (left_ids[left_index], local_left, problem.left.capacity[left_index]),
        (right_ids[right_index], local_right, problem.right.capacity[right_index]),
    ):
        load = np.bincount(local, minlength=len(capacity))
        for index in np.flatnonzero(load > capacity):
            problems.append(f"{ids[index]} is locked into {load[index]} pairs but has {capacity[index]} seats")
    if problems:
        raise MatchInputError(problems)
    return local_left, local_right


def _pairs(
    problem: MatchProblem,
    scorer: Scorer,
    left_index: IntArray,
    right_index: IntArray,
    pair_left: IntArray,
    pair_right: IntArray,
    is_locked: BoolArray,
) -> list[MatchedPair]:
    order = np.lexsort((pair_right, pair_left, ~is_locked))
    pair_left, pair_right, is_locked = pair_left[order], pair_right[order], is_locked[order]
    values = scorer.breakdown(pair_left, pair_right)
    weights = {name: weight for name, weight in scorer.weights.items() if weight}
    contribution = {name: weights[name] * values[name] for name in weights}
    score = scorer.score_units(pair_left, pair_right) / scorer.unit
    pairs = []
    for position in range(len(pair_left)):
        left, right = int(left_index[pair_left[position]]), int(right_index[pair_right[position]])
        pairs.append(
            MatchedPair(
                left=left,
                right=right,
                left_id=str(problem.left.ids[left]),
                right_id=str(problem.right.ids[right]),
                score=float(score[position]),
                breakdown={name: round(float(part[position]), 6) for name, part in contribution.items()},
                locked=bool(is_locked[position]),
            )
        )
    return pairs


def _unmatched(
    problem: MatchProblem,
    rules: PairRules,
    left_index: IntArray,
    right_index: IntArray,
    left_why: list[str | None],
    right_why: list[str | None],
    pair_left: IntArray,
    pair_right: IntArray,
) -> list[Unmatched]:
    policy = problem.policy
    words = ("mentee", "mentor") if policy.kind == "reverse-mentoring" else ("protégé", "sponsor")
    out: list[Unmatched] = []
    sides: tuple[tuple[Literal["left", "right"], IntArray, list[str | None]], ...] = (
        ("left", left_index, left_why),
        ("right", right_index, right_why),
    )
    for side, index, why in sides:
        people = problem.left if side == "left" else problem.right
        for person, reason in enumerate(why):
            if reason is not None:
                out.append(Unmatched(side, person, str(people.ids[person]), Reason.INELIGIBLE, reason))
        taken = np.zeros(len(index), dtype=bool)
        taken[pair_left if side == "left" else pair_right] = True
        alone = np.flatnonzero(~taken)
        other_cap = (problem.right if side == "left" else problem.left).capacity
        other_index = right_index if side == "left" else left_index
        texts = explain_unmatched(
            rules,
            left=side == "left",
            people=alone,
            partner_seats=int(other_cap[other_index].sum()),
            own_people=len(index),
            maximize_matched=policy.maximize_matched,
            partner_word=words[0] if side == "left" else words[1],
        )
        for local, (code, text) in zip(alone.tolist(), texts, strict=True):
            global_index = int(index[local])
            out.append(Unmatched(side, global_index, str(people.ids[global_index]), code, text))
    out.sort(key=lambda item: (item.side, item.index))
    return out


def _merge_phases(base: SearchResult | None, final: SearchResult | None) -> dict[str, float]:
    phases: dict[str, float] = {}
    for result in {id(r): r for r in (base, final) if r is not None}.values():
        for name, seconds in result.seconds.items():
            phases[name] = phases.get(name, 0.0) + seconds
    return phases
