"""Whether a match run's result still holds when it is saved.

The engine solves a snapshot of the pool with no transaction open and no row locked (a large pool
takes minutes, and people keep withdrawing, leaving and answering meanwhile). Before its pairs are
stored, :func:`changes_since_read` reads again, inside the short transaction that stores them, what
those pairs depended on:

- the programme: still matching (or still running, for a partial re-match), and no other run of it
  published since this one started (its pairs would now fill the same people and seats);
- everyone the run pairs: still in the pool, still in the directory and still eligible, a mentee
  not paired meanwhile, a mentor with at least as many free seats as the run gives them. This is
  :func:`~twofold.programmes.eligibility.participant_problem`, the rule ``pair_refusal`` applies to
  one pair, not a copy.

Any of these makes the run **stale**: it fails with the changes listed, and nothing of it is
stored; running the match again reads the pool afresh. Changes that leave every stored pair
possible (someone joined the pool, a skill was edited, a seat was freed) do not: the pairs are
still valid, if perhaps no longer the best, and publishing checks every pair again under locks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from twofold.matchruns.models import MatchRun
from twofold.programmes.eligibility import Candidate, EligibilityRules, participant_problem
from twofold.programmes.models import Enrolment, EnrolmentRole, Programme, ProgrammeState
from twofold.relationships.pairing import partnered_mentees, pool_place

CHUNK = 5000
# How many changes the failed run names; the rest are counted.
LISTED = 5


def changes_since_read(*, run: MatchRun, programme: Programme, pairs: Sequence[tuple[int, int]]) -> list[str]:
    """What changed, since ``run`` read its pool, that makes its (mentor, mentee) enrolment ``pairs``
    wrong; empty when they still hold. Call it inside the transaction that stores them, after
    locking ``programme``'s row."""
    changes: list[str] = []
    partial = bool(run.parameters.get("partial"))
    if programme.state not in (ProgrammeState.MATCHING, ProgrammeState.RUNNING):
        changes.append(f"{programme.name} is now {programme.get_state_display().lower()}")
    elif (programme.state == ProgrammeState.RUNNING) != partial:
        changes.append(f"{programme.name} started running (its pairs were published)")
    if run.started_at is not None:
        published = (
            MatchRun.objects.filter(programme=programme, published_at__gte=run.started_at)
            .exclude(pk=run.pk)
            .values_list("number", flat=True)
        )
        changes.extend(f"match run {number} was published" for number in published)
    given = Counter(mentor for mentor, _ in pairs)
    mentees = {mentee for _, mentee in pairs}
    ids = sorted(set(given) | mentees)
    rules = EligibilityRules.of(programme)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        partnered = partnered_mentees(programme, [pk for pk in chunk if pk in mentees])
        fresh = {e.pk: e for e in Enrolment.objects.filter(pk__in=chunk).select_related("person")}
        for pk in chunk:
            enrolment = fresh.get(pk)
            if enrolment is None:
                changes.append(f"enrolment {pk} was deleted")
                continue
            problem = participant_problem(
                rules, Candidate.of(enrolment.person), pool_place(enrolment, partnered=pk in partnered)
            )
            if problem is not None:
                changes.append(problem.message.rstrip("."))
            elif enrolment.role == EnrolmentRole.MENTOR and enrolment.seats_free < given[pk]:
                changes.append(
                    f"{enrolment.person.name} now has {enrolment.seats_free} free seat(s) and the run gave them "
                    f"{given[pk]}"
                )
    return changes


def stale_message(changes: Sequence[str]) -> str:
    """The failed run's error: what changed, and what to do."""
    listed = "; ".join(changes[:LISTED])
    more = len(changes) - LISTED
    if more > 0:
        listed += f"; and {more} more change{'s' if more > 1 else ''}"
    return (
        f"Stale: the pool changed while the engine ran ({listed}). Nothing of this run was kept; "
        "run the match again to use the pool as it is now."
    )
