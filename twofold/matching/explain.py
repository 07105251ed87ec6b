"""Why someone was left without a partner, in a reason code and in words.

Counting, not scanning: for each unmatched person the number of partners the level rule allows
comes from sorted levels (binary search), and the partners another rule excludes are enumerated
from the reporting chain (walking managers) and the pair lists - so explaining 10,000 people costs
milliseconds, not a pass over every pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from twofold.matching.rules import DO_NOT_PAIR, LOCKED, PREVIOUS, PairRules

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


class Reason(StrEnum):
    """Why a person is unmatched."""

    INELIGIBLE = "ineligible"
    NO_CANDIDATES = "no_candidates"
    LEVEL_GAP = "level_gap"
    SAME_CHAIN = "same_chain"
    DO_NOT_PAIR = "do_not_pair"
    PREVIOUSLY_PAIRED = "previously_paired"
    EXCLUDED = "excluded"
    CAPACITY = "capacity_exhausted"
    NOT_WORTH_IT = "no_positive_score"


@dataclass(frozen=True)
class Unmatched:
    """A person without any partner: ``side`` and ``index`` locate them in the problem."""

    side: Literal["left", "right"]
    index: int
    id: str
    reason: Reason
    text: str


def explain_unmatched(
    rules: PairRules,
    *,
    left: bool,
    people: IntArray,
    partner_seats: int,
    own_people: int,
    maximize_matched: bool = True,
    partner_word: str = "partner",
) -> list[tuple[Reason, str]]:
    """Reason and text for each of ``people`` (local indices on the left side if ``left``).

    ``partner_seats`` is the other side's total free seats and ``own_people`` the number of
    eligible people on this side, for the "capacity exhausted" text.

    Someone who lost their seat to the fairness minimums is told what anyone else without a seat is
    told: singling them out would say which group they are not in, and the groups are restricted
    data (the run's fairness summary says, in aggregate, what the minimums did).
    """
    people = np.asarray(people, dtype=np.int64)
    if len(people) == 0:
        return []
    own_level = rules.left_level if left else rules.right_level
    other_level = rules.right_level if left else rules.left_level
    n_other = len(other_level)
    sorted_other = np.sort(other_level)
    level_ok = np.zeros(len(people), dtype=np.int64)
    for at, person in enumerate(people.tolist()):
        span = (
            rules.right_level_range(int(own_level[person])) if left else rules.left_level_range(int(own_level[person]))
        )
        low = np.searchsorted(sorted_other, span[0], side="left")
        high = np.searchsorted(sorted_other, span[1], side="right")
        level_ok[at] = high - low

    # Partners excluded by another rule, as (position in ``people``, partner, flag) triples.
    positions: list[IntArray] = []
    partners: list[IntArray] = []
    flags: list[IntArray] = []
    if rules.tree is not None:
        own_nodes = (rules.left_node if left else rules.right_node)[people]
        other_nodes = rules.right_node if left else rules.left_node
        chain_at, chain_partner = rules.tree.chain_pairs(own_nodes, other_nodes)
        positions.append(chain_at)
        partners.append(chain_partner)
        flags.append(np.full(len(chain_at), _CHAIN, dtype=np.int64))
    if len(rules.keys):
        key_left = rules.keys // max(rules.n_right, 1)
        key_right = rules.keys % max(rules.n_right, 1)
        mine, theirs = (key_left, key_right) if left else (key_right, key_left)
        lookup = np.full(len(own_level), -1, dtype=np.int64)
        lookup[people] = np.arange(len(people))
        hit = lookup[mine] >= 0
        positions.append(lookup[mine[hit]])
        partners.append(theirs[hit])
        flags.append(rules.flags[hit])
    excluded = np.zeros(len(people), dtype=np.int64)
    by_flag = {flag: np.zeros(len(people), dtype=np.int64) for flag in (_CHAIN, DO_NOT_PAIR, PREVIOUS, LOCKED)}
    if positions:
        owner_at = np.concatenate(positions)
        partner = np.concatenate(partners)
        flag = np.concatenate(flags)
        pair_left, pair_right = (people[owner_at], partner) if left else (partner, people[owner_at])
        keep = rules.level_ok(pair_left, pair_right)
        owner_at, partner, flag = owner_at[keep], partner[keep], flag[keep]
        keys, inverse = np.unique(owner_at * max(n_other, 1) + partner, return_inverse=True)
        combined = np.zeros(len(keys), dtype=np.int64)
        np.bitwise_or.at(combined, inverse, flag)
        owner = keys // max(n_other, 1)
        excluded = np.bincount(owner, minlength=len(people))
        for bit, counts in by_flag.items():
            counts += np.bincount(owner[(combined & bit) > 0], minlength=len(people))

    out: list[tuple[Reason, str]] = []
    for position in range(len(people)):
        allowed = int(level_ok[position] - excluded[position])
        if n_other == 0:
            out.append((Reason.NO_CANDIDATES, f"no eligible {partner_word} takes part in this programme"))
        elif level_ok[position] == 0:
            out.append(
                (
                    Reason.LEVEL_GAP,
                    f"no eligible {partner_word}: nobody on the other side is within the level-gap rule",
                )
            )
        elif allowed <= 0:
            out.append(_excluded_reason(partner_word, {bit: int(c[position]) for bit, c in by_flag.items()}))
        elif not maximize_matched:
            out.append((Reason.NOT_WORTH_IT, "no pair with this person would raise the total score"))
        else:
            out.append(
                (
                    Reason.CAPACITY,
                    f"capacity exhausted: all {allowed} eligible {partner_word}s are taken "
                    f"({partner_seats} seats for {own_people} people)",
                )
            )
    return out


_CHAIN = 8

_RULE_WORDS = {
    _CHAIN: "in the same reporting chain",
    DO_NOT_PAIR: "on a do-not-pair list",
    PREVIOUS: "paired with them before",
    LOCKED: "already locked with them",
}


def _excluded_reason(partner_word: str, counts: dict[int, int]) -> tuple[Reason, str]:
    present = {bit: count for bit, count in counts.items() if count}
    if set(present) == {_CHAIN}:
        return Reason.SAME_CHAIN, f"no eligible {partner_word}: every candidate is in the same reporting chain"
    if set(present) == {DO_NOT_PAIR}:
        return Reason.DO_NOT_PAIR, f"excluded by do-not-pair: every eligible {partner_word} is on a do-not-pair list"
    if set(present) == {PREVIOUS}:
        return (
            Reason.PREVIOUSLY_PAIRED,
            f"no eligible {partner_word}: every candidate has been paired with them before",
        )
    parts = ", ".join(f"{count} {_RULE_WORDS[bit]}" for bit, count in present.items())
    return Reason.EXCLUDED, f"no eligible {partner_word}: every candidate is excluded ({parts})"
