"""Twofold's matching engine: a pure library (NumPy, SciPy, OR-Tools; no Django).

Entry points
------------
:func:`assign`
    The primitive: the best total score under seat limits from a score matrix (dense with NaN =
    not allowed, or SciPy sparse with absent = not allowed), maximising matched seats first.
:func:`match` / :func:`rematch`
    Programmes: two :class:`Side` arrays, a reporting tree and a :class:`Policy` in a
    :class:`MatchProblem`; out come the optimal pairs under every hard rule (reporting chain,
    level gap, do-not-pair, previous and locked pairs, seats, fairness minimums), each with its
    score breakdown, and every unmatched person with a reason.
:func:`rank_partners`
    Participant choice: one person's allowed partners with a seat left, best score first, each with
    the same score breakdown a match run gives its pairs.
:func:`build_problem`
    People as :class:`PersonRecord` objects (a spreadsheet, an HRIS export) to a problem.
:func:`stable_match`
    Deferred acceptance with capacities when participants rank each other.

Optimality: exact over *all* allowed pairs, proven by dual prices without building the 2.5 billion
pairs of a 50,000 x 50,000 programme (see :mod:`twofold.matching.candidates`); a policy may accept
a proven relative gap (``optimality_tolerance``) to stop earlier. Everything is deterministic.
"""

from __future__ import annotations

from twofold.matching.assign import Assignment, AssignStats, assign
from twofold.matching.engine import (
    MatchedPair,
    MatchInputError,
    MatchResult,
    MatchStats,
    match,
    rank_partners,
    rematch,
)
from twofold.matching.explain import Reason, Unmatched
from twofold.matching.fairness import FairnessReport, GroupOutcome
from twofold.matching.participants import MatchProblem, Side
from twofold.matching.policy import (
    COMPONENTS,
    Policy,
    PolicyError,
    RecordedWeights,
    Weights,
    default_policy,
    policy_from_mapping,
)
from twofold.matching.roster import PersonRecord, Roster, RosterError, build_problem, roster_problems
from twofold.matching.stable import StableMatching, blocking_pairs, is_stable, preferences_from_scores, stable_match
from twofold.matching.tree import ReportingTree, TreeError

__all__ = [
    "COMPONENTS",
    "AssignStats",
    "Assignment",
    "FairnessReport",
    "GroupOutcome",
    "MatchInputError",
    "MatchProblem",
    "MatchResult",
    "MatchStats",
    "MatchedPair",
    "PersonRecord",
    "Policy",
    "PolicyError",
    "Reason",
    "RecordedWeights",
    "ReportingTree",
    "Roster",
    "RosterError",
    "Side",
    "StableMatching",
    "TreeError",
    "Unmatched",
    "Weights",
    "assign",
    "blocking_pairs",
    "build_problem",
    "default_policy",
    "is_stable",
    "match",
    "policy_from_mapping",
    "preferences_from_scores",
    "rank_partners",
    "rematch",
    "roster_problems",
    "stable_match",
]
