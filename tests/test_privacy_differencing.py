"""Hole 5: differencing two views of the same data must not give away one person's answer or group.

Each test plays a viewer who sees only the pages (a programme manager, an executive) and tries a
recovery that worked before the privacy module: it builds the same situation once for every value
the hidden answer could have, and checks that the pages the viewer sees cannot tell them apart. If
they could, the viewer would read the answer off the difference.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from django.urls import reverse

from tests.factories import ProgrammeFactory, RelationshipFactory, SkillFactory
from tests.people.test_views import signed_in
from twofold.matchruns.models import MatchRun, MatchRunStatus
from twofold.matchruns.selectors import fairness_lines
from twofold.programmes.models import Programme, ProgrammeState
from twofold.relationships.models import (
    AdvocacyAction,
    AdvocacyOutcome,
    CheckIn,
    CheckInPoint,
    KnowledgeTransfer,
    Relationship,
    RelationshipState,
)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def section(page: str, heading_id: str) -> str:
    """The text of the card whose heading has this id: what the viewer reads there."""
    start = page.index(">", page.index(f'id="{heading_id}"')) + 1
    return _text(page[start : page.index("</section>", start)])


def overview_card(page: str, programme: Programme) -> str:
    return section(page, f"programme-{programme.pk}").replace(programme.name, "PROGRAMME")


def pairs(programme: Programme, count: int) -> list[Relationship]:
    return [RelationshipFactory(programme=programme, state=RelationshipState.ACTIVE) for _ in range(count)]


def answer(relationship: Relationship, point: str, score: int, *, mentee: bool = False) -> CheckIn:
    return CheckIn.objects.create(
        relationship=relationship,
        person=relationship.mentee if mentee else relationship.mentor,
        point=point,
        satisfaction=score,
        psychological_safety=score,
        progress=score,
        submitted_at=relationship.started_at,
    )


def health_scores(cast, programme: Programme) -> str:  # type: ignore[no-untyped-def]
    page = signed_in(cast.programme_manager).get(reverse("relationships:programme_health", args=[programme.pk]))
    assert page.status_code == 200
    return section(page.content.decode(), "scores-heading")


def overview_of(cast, programme: Programme) -> str:  # type: ignore[no-untyped-def]
    page = signed_in(cast.executive).get(reverse("insights:overview"))
    assert page.status_code == 200
    return overview_card(page.content.decode(), programme)


def indistinguishable(views: Sequence[str]) -> bool:
    return len(set(views)) == 1


def for_each(values: Sequence[int], build: Callable[[int], str]) -> list[str]:
    return [build(value) for value in values]


# --- (1) the overall average against the per-point averages ---------------------------------------


def lone_midpoint_answer(cast, value: int) -> Programme:  # type: ignore[no-untyped-def]
    """Five mentors answered the fit check (4 each); one mentee alone answered the mid-point."""
    programme = ProgrammeFactory(managers=[cast.programme_manager])
    team = pairs(programme, 5)
    for relationship in team:
        answer(relationship, CheckInPoint.FIT, 4)
    answer(team[0], CheckInPoint.MIDPOINT, value, mentee=True)
    return programme


def test_hole_5_the_overall_average_and_the_point_averages_do_not_give_away_a_lone_answer(cast) -> None:
    # Before: the overall average over six answers was shown beside the fit check's over five, and
    # 6 × overall − 5 × fit was the mid-point answer the page said it hid.
    pages = for_each(range(1, 6), lambda value: health_scores(cast, lone_midpoint_answer(cast, value)))
    assert indistinguishable(pages), pages
    # Not by hiding everything: the fit check's five answers (all 4) are shown, as the band 19–20.
    assert "Fit check after the first meeting 3.9 3.9 3.9" in pages[0]
    assert "Mid-point fewer than 5 answers fewer than 5 answers fewer than 5 answers" in pages[0]


# --- (2) the average before and after one new answer ----------------------------------------------


def test_hole_5_one_new_answer_does_not_move_the_average_by_its_own_value(cast) -> None:
    def after_sixth(value: int) -> tuple[str, str]:
        programme = ProgrammeFactory(managers=[cast.programme_manager])
        team = pairs(programme, 6)
        for relationship in team[:5]:
            answer(relationship, CheckInPoint.FIT, 3)
        before = health_scores(cast, programme)
        answer(team[5], CheckInPoint.FIT, value)
        return before, health_scores(cast, programme)

    views = for_each(range(1, 6), lambda value: "|".join(after_sixth(value)))
    # Before: (5 × 3 + value) / 6 against 3.0, one value per page.
    assert indistinguishable(views), views
    before, after = views[0].split("|")
    assert figures(before) == figures(after) and "3.1" in figures(after)
    assert "5 of 6 answers are counted" in after


def test_hole_5_the_answer_that_completes_a_group_of_k_hides_among_them(cast) -> None:
    def after_tenth(value: int) -> str:
        programme = ProgrammeFactory(managers=[cast.programme_manager])
        team = pairs(programme, 10)
        for relationship in team[:9]:
            answer(relationship, CheckInPoint.FIT, 3)
        answer(team[9], CheckInPoint.FIT, value)
        return health_scores(cast, programme)

    # Even a viewer who knows the nine other answers cannot tell a 3 from a 4.
    assert indistinguishable(for_each((3, 4), after_tenth))


# --- (3) the overview page against the programme health page --------------------------------------


def figures(text: str) -> list[str]:
    return re.findall(r"\d+\.\d", text)


def test_hole_5_the_overview_and_the_health_page_show_one_figure_that_hides_the_lone_answer(cast) -> None:
    overviews, healths = [], []
    for value in range(1, 6):
        programme = lone_midpoint_answer(cast, value)
        overviews.append(overview_of(cast, programme))
        healths.append(health_scores(cast, programme))
    # Before: the executive overview averaged all six answers, the health page the fit check's five.
    assert indistinguishable(overviews), overviews
    satisfaction = re.search(r"satisfaction (\d\.\d)", overviews[0])
    assert satisfaction is not None
    assert satisfaction.group(1) == figures(healths[0])[0]


# --- (4) a group count hidden in one cell, recoverable as the total minus the shown cells -------------


def run_with_groups(cast, groups: dict[str, tuple[int, int]]) -> MatchRun:  # type: ignore[no-untyped-def]
    programme = ProgrammeFactory(
        sponsorship=True, state=ProgrammeState.MATCHING, managers=[cast.programme_manager], fairness_enabled=True
    )
    eligible = sum(count for count, _ in groups.values())
    matched = sum(got for _, got in groups.values())
    return MatchRun.objects.create(
        programme=programme,
        status=MatchRunStatus.READY,
        statistics={"eligible_mentors": 12, "eligible_mentees": eligible, "pairs": matched, "seconds": 0.1},
        fairness={
            "tolerance": 0.05,
            "seats": matched,
            "feasible": True,
            "message": "",
            "groups": [
                {"group": name, "eligible": count, "share": count / eligible, "minimum": 0, "matched": got, "met": True}
                for name, (count, got) in groups.items()
            ],
        },
    )


def board_fairness(cast, run: MatchRun) -> str:  # type: ignore[no-untyped-def]
    page = signed_in(cast.programme_manager).get(reverse("matchruns:board", args=[run.programme_id, run.pk]))
    assert page.status_code == 200
    return section(page.content.decode(), "fairness-heading")


def test_hole_5_a_hidden_group_is_not_the_total_minus_the_shown_groups(cast) -> None:
    # 18 candidates: before, Woman 10 and Man 6 were shown beside the total, so the hidden
    # Non-binary group was 18 − 16 = 2 (and its matched count the pairs minus the shown ones).
    two = run_with_groups(cast, {"Woman": (10, 7), "Man": (6, 4), "Non-binary": (2, 1)})
    three = run_with_groups(cast, {"Woman": (10, 7), "Man": (5, 4), "Non-binary": (3, 1)})
    assert board_fairness(cast, two) == board_fairness(cast, three)
    assert "Woman 10 0 7" in board_fairness(cast, two) and "All candidates 18 12" in board_fairness(cast, two)
    # The match command prints the same table.
    assert fairness_lines(two) == fairness_lines(three)
    assert "  Woman: 7 matched of 10 candidates (minimum 0)" in fairness_lines(two)
    assert "  all candidates: 12 matched of 18" in fairness_lines(two)


# --- other recoveries: the executive overview's skill gains and advocacy outcomes -------------------


def test_hole_5_one_new_skill_record_does_not_show_its_gain_on_the_overview(cast) -> None:
    skill = SkillFactory()

    def after_sixth(gain: int) -> str:
        programme = ProgrammeFactory()
        team = pairs(programme, 6)
        for relationship in team[:5]:
            KnowledgeTransfer.objects.create(
                relationship=relationship,
                skill=skill,
                proficiency_before=1,
                proficiency_after=3,
                recorded_on="2025-01-01",
            )
        KnowledgeTransfer.objects.create(
            relationship=team[5], skill=skill, proficiency_before=0, proficiency_after=gain, recorded_on="2025-01-02"
        )
        return overview_of(cast, programme)

    views = for_each(range(0, 5), after_sixth)
    assert indistinguishable(views), views
    assert "average gain: 2.1 levels of 4" in views[0]  # the first five, gains of 2: the band 10–11


def test_hole_5_one_advocacy_outcome_does_not_show_on_the_overview(cast) -> None:
    def after_outcome(outcome: str) -> str:
        programme = ProgrammeFactory(sponsorship=True)
        team = pairs(programme, 5)
        decided = (AdvocacyOutcome.SUCCEEDED, AdvocacyOutcome.SUCCEEDED, AdvocacyOutcome.DID_NOT_SUCCEED)
        for relationship, result in zip(team, (*decided, AdvocacyOutcome.DID_NOT_SUCCEED), strict=False):
            AdvocacyAction.objects.create(
                relationship=relationship, kind="stretch_assignment", happened_on="2025-01-01", outcome=result
            )
        AdvocacyAction.objects.create(
            relationship=team[4], kind="stretch_assignment", happened_on="2025-01-01", outcome=outcome
        )
        return overview_of(cast, programme)

    # Before: "5 actions, 2 came through" or "3 came through": the sponsor's last outcome, plainly.
    views = for_each((AdvocacyOutcome.SUCCEEDED, AdvocacyOutcome.DID_NOT_SUCCEED), after_outcome)
    assert indistinguishable(views), views
    assert "came through: 50% of those decided" in views[0]
