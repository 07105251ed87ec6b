"""Why a pair was matched has one implementation (issue 8, "The structure that keeps them closed"):
the review board and the pair's own page show the same reasons with the same figures, from
:func:`twofold.programmes.why_matched.match_reasons`, whatever the programme's weights are now."""

from __future__ import annotations

import math

import pytest
from django.urls import reverse
from django.utils.html import escape

from tests.factories import OPERATOR, PersonFactory
from tests.matchruns.test_board import managed
from tests.people.test_views import signed_in
from twofold.matchruns.models import Proposal
from twofold.matchruns.publishing import match_run_publish
from twofold.matchruns.review import proposal_swap
from twofold.matchruns.services import match_run_start
from twofold.people.models import Person
from twofold.people.services import people_tree_rebuild
from twofold.programmes.services import programme_update
from twofold.programmes.why_matched import MatchReason
from twofold.relationships.models import Relationship


def figures(reasons: list[MatchReason]) -> list[tuple[str, float, float, int]]:
    return [(reason.label, reason.points, reason.weight, reason.percent) for reason in reasons]


def test_the_board_and_the_pair_page_explain_a_pair_with_the_same_figures(cast) -> None:
    programme = managed(cast)
    run = match_run_start(actor=OPERATOR, programme=programme)
    proposal = Proposal.objects.get(run=run, mentor__person=cast.ana)
    board = signed_in(cast.programme_manager).get(reverse("matchruns:board", args=[programme.pk, run.pk]))
    [row] = [row for row in board.context["board"].rows if row.pk == proposal.pk]
    match_run_publish(actor=OPERATOR, run=run)
    relationship = Relationship.objects.get(mentor=cast.ana, programme=programme)

    def pair_page():  # type: ignore[no-untyped-def]
        return signed_in(cast.ana_user).get(reverse("relationships:detail", args=[relationship.pk]))

    page = pair_page()
    assert len(row.reasons) >= 2
    assert figures(page.context["reasons"]) == figures(row.reasons)
    board_html, page_html = board.content.decode(), page.content.decode()
    for reason in row.reasons:
        assert escape(reason.label) in board_html and f"{reason.points:.2f} of {reason.weight:.1f}" in board_html
        assert escape(reason.label) in page_html and f">{reason.percent}%<" in page_html
    # The programme weighs differently from now on: the pair was scored, and is explained, as it was.
    programme_update(
        actor=OPERATOR, programme=programme, policy={"weights": {"cross_department": 3, "cross_location": 2}}
    )
    assert figures(pair_page().context["reasons"]) == figures(row.reasons)


def test_a_swapped_pair_is_scored_with_the_weights_of_its_run(cast) -> None:
    # Two mentees outside both juniors' lines make a swap possible.
    PersonFactory(employee_id="X1", name="Xena Outside", level=8, department="Finance", manager=cast.ceo)
    PersonFactory(employee_id="X2", name="Yuri Outside", level=7, department="Legal", manager=cast.ceo)
    people_tree_rebuild()
    cast.xena, cast.yuri = Person.objects.get(employee_id="X1"), Person.objects.get(employee_id="X2")
    programme = managed(cast, mentees=("xena", "yuri"), policy={"weights": {"cross_department": 1}})
    run = match_run_start(actor=OPERATOR, programme=programme)
    # The programme weighs departments six times as much from now on; the run under review does not.
    programme_update(actor=OPERATOR, programme=programme, policy={"weights": {"cross_department": 6}})
    first, second = run.proposals.order_by("pk")
    swapped = proposal_swap(actor=OPERATOR, first=first, second=second)
    for proposal in swapped:
        assert proposal.breakdown["cross_department"] == run.statistics["weights"]["cross_department"] == 1
    board = signed_in(cast.programme_manager).get(reverse("matchruns:board", args=[programme.pk, run.pk]))
    shown = [reason for row in board.context["board"].rows for reason in row.reasons]
    assert shown and all(reason.points <= reason.weight for reason in shown)


def weights_as_recorded_before_they_were_used_as_written(weights: dict[str, float]) -> dict[str, float]:
    """What a run stored before weights were used exactly as written: each weight rounded to whole
    steps of 1/steps, with steps = 2**21 // ceil(3600 * their sum) (a multiple of 40 from 40 on),
    and the weights that rounded to 0 left out."""
    steps = 2**21 // math.ceil(3600 * sum(weights.values()))
    steps = steps - steps % 40 if steps >= 40 else steps
    return {name: round(weight * steps) / steps for name, weight in weights.items() if round(weight * steps)}


def test_a_run_that_stored_rounded_weights_is_still_swapped_and_explained_with_them(cast) -> None:
    PersonFactory(employee_id="X1", name="Xena Outside", level=8, department="Finance", manager=cast.ceo)
    PersonFactory(employee_id="X2", name="Yuri Outside", level=7, department="Legal", manager=cast.ceo)
    people_tree_rebuild()
    cast.xena, cast.yuri = Person.objects.get(employee_id="X1"), Person.objects.get(employee_id="X2")
    programme = managed(cast, mentees=("xena", "yuri"), policy={"weights": {"cross_department": 45.5}})
    run = match_run_start(actor=OPERATOR, programme=programme)
    # The run as it was stored before weights were used exactly: 45.5 recorded as 500/11.
    run.statistics["weights"] = weights_as_recorded_before_they_were_used_as_written(run.statistics["weights"])
    run.save(update_fields=["statistics"])
    recorded = run.statistics["weights"]["cross_department"]
    assert recorded == 500 / 11
    first, second = run.proposals.order_by("pk")
    before = {(first.mentor_id, first.mentee_id), (second.mentor_id, second.mentee_id)}
    swapped = proposal_swap(actor=OPERATOR, first=first, second=second)
    after = set(run.proposals.values_list("mentor_id", "mentee_id"))
    assert after == {(p.mentor_id, p.mentee_id) for p in swapped} and after.isdisjoint(before)
    for proposal in swapped:
        # Scored with the run's own weight, not the programme's 45.5.
        assert proposal.breakdown["cross_department"] == round(recorded, 6)
        assert proposal.score == pytest.approx(sum(proposal.breakdown.values()), abs=1e-5)
    board = signed_in(cast.programme_manager).get(reverse("matchruns:board", args=[programme.pk, run.pk]))
    shown = [
        (reason.weight, reason.points)
        for row in board.context["board"].rows
        if row.pk in {p.pk for p in swapped}
        for reason in row.reasons
        if reason.points >= 45
    ]
    assert shown == [(recorded, round(recorded, 6))] * 2
