"""Edge cases found in review: odd input, stale pages, old invitations, small groups."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import OPERATOR, acting
from tests.matchruns.test_board import managed
from tests.people.test_views import signed_in
from twofold.matchruns.models import MatchRun
from twofold.matchruns.selectors import run_fairness
from twofold.matchruns.services import match_run_start
from twofold.programmes.enrolment_services import enrolment_invite_by_filter, enrolment_respond
from twofold.programmes.selectors import InviteFilter
from twofold.programmes.services import ProgrammeRuleBroken, programme_create, programme_transition


def test_odd_query_values_are_ignored_not_fatal(cast) -> None:
    client = signed_in(cast.programme_manager)
    assert client.get(reverse("people:directory"), {"level": "²"}).status_code == 200
    assert client.get(reverse("people:directory"), {"level": "9" * 5000}).status_code == 200


def test_stale_board_posts_are_refused_with_a_message(cast) -> None:
    programme = managed(cast)
    run = match_run_start(actor=OPERATOR, programme=programme)
    client = signed_in(cast.programme_manager)
    url = reverse("matchruns:change", args=[programme.pk, run.pk])
    ids = [str(pk) for pk in run.proposals.values_list("pk", flat=True)]
    response = client.post(url, {"action": "swap", "proposal": [ids[0], "999999", "²"]}, follow=True)
    assert response.status_code == 200 and "Tick exactly two pairs" in response.content.decode()
    assert client.post(url, {"row": "lock:²"}, follow=True).status_code == 200


def test_only_the_applicants_managers_see_an_application(cast) -> None:
    from twofold.programmes.enrolment_services import enrolment_apply

    programme = programme_create(
        actor=OPERATOR, name="Approval", kind="reverse_mentoring", requires_manager_approval=True
    )
    programme_transition(actor=OPERATOR, programme=programme, to_state="enrolling")
    enrolment = enrolment_apply(programme=programme, actor=acting(cast.ana), role="mentor")
    response = signed_in(cast.ben_user).post(
        reverse("programmes:approve", args=[enrolment.pk]), {"decision": "approve"}
    )
    assert response.status_code == 404


def test_an_old_invitation_cannot_be_accepted_into_a_closed_programme(cast) -> None:
    programme = programme_create(actor=OPERATOR, name="Old", kind="reverse_mentoring")
    programme_transition(actor=OPERATOR, programme=programme, to_state="enrolling")
    [invitation] = enrolment_invite_by_filter(
        actor=OPERATOR, programme=programme, role="mentor", where=InviteFilter(max_level=2, departments=["Engineering"])
    ).invited
    programme_transition(actor=OPERATOR, programme=programme, to_state="closed")
    with pytest.raises(ProgrammeRuleBroken, match="the programme is closed"):
        enrolment_respond(actor=acting(invitation.person), enrolment=invitation, accept=True)


def test_a_run_no_worker_finished_does_not_block_the_programme(cast) -> None:
    programme = managed(cast)
    stuck = MatchRun.objects.create(programme=programme, status="running")
    MatchRun.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(hours=7))
    run = match_run_start(actor=OPERATOR, programme=programme)
    stuck.refresh_from_db()
    assert (stuck.status, run.status) == ("failed", "ready")


def test_fairness_summary_never_names_a_small_group() -> None:
    groups = [
        {"group": "Woman", "eligible": 40, "minimum": 20, "matched": 15, "met": False},
        {"group": "Non-binary", "eligible": 3, "minimum": 1, "matched": 0, "met": False},
        {"group": "Self-described", "eligible": 30, "minimum": 10, "matched": 12, "met": True},
        {"group": "Man", "eligible": 50, "minimum": 20, "matched": 30, "met": True},
    ]
    run = MatchRun(statistics={"eligible_mentees": 123, "pairs": 57}, fairness={"tolerance": 0.05, "groups": groups})
    fairness = run_fairness(run)
    assert fairness is not None
    assert "Woman" in fairness.summary and "Non-binary" not in fairness.summary
    assert "one or more groups not shown" in fairness.summary
    # The next smallest group is hidden with it, so the total minus the shown rows is not the small group.
    assert [row.group for row in fairness.rows] == ["Woman", "Man"]
    assert (fairness.candidates.value, fairness.matched.value) == (123, 57)
    run.fairness["groups"] = [groups[3]]
    run.statistics = {"eligible_mentees": 50, "pairs": 30}
    fairness = run_fairness(run)
    assert fairness is not None and fairness.summary.startswith("Every group reached")
