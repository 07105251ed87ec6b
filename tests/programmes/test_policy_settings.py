"""A programme's matching policy is checked when it is saved, by the matching library's own rules, and
a policy that does not hold stops a match run with the reason: it is never swapped for the defaults
(issue 8, "The structure that keeps them closed": policy settings are validated when saved, never
silently ignored at match time)."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.factories import OPERATOR
from tests.matchruns.test_match_runs import matching_programme
from tests.people.test_views import signed_in
from tests.programmes.test_views import form_data
from twofold.matching import PolicyError
from twofold.matchruns.models import MatchRun, MatchRunStatus
from twofold.matchruns.services import match_run_start
from twofold.programmes.matching_policy import programme_policy
from twofold.programmes.models import Programme
from twofold.programmes.services import ProgrammeRuleBroken, programme_create, programme_update

FIVE_DECIMALS = {"weights": {"skills": 0.12345}}


def refused(call, **kwargs) -> ProgrammeRuleBroken:  # type: ignore[no-untyped-def]
    with pytest.raises(ProgrammeRuleBroken) as caught:
        call(**kwargs)
    return caught.value


# --- the service: every way in goes through it --------------------------------------------------


def test_a_weight_with_five_decimals_is_refused_on_create_and_nothing_is_saved(db) -> None:
    error = refused(programme_create, actor=OPERATOR, name="Precise", kind="reverse_mentoring", policy=FIVE_DECIMALS)
    assert (error.code, error.field) == ("invalid_policy", "policy")
    assert error.problems == [
        "weights.skills: 0.12345 has more than 4 decimal places; weights are used exactly as written, "
        "so round it (e.g. to 0.1235)"
    ]
    assert not Programme.objects.exists()


def test_an_invalid_policy_is_refused_on_update_and_the_saved_one_stays(db) -> None:
    programme = programme_create(
        actor=OPERATOR, name="Digital fluency", kind="reverse_mentoring", policy={"weights": {"skills": 5.5}}
    )
    error = refused(
        programme_update, actor=OPERATOR, programme=programme, policy={"weights": {"skills": -1, "charm": 2}}
    )
    assert error.problems == [
        "weights.skills: must be a number >= 0",
        "weights.charm: unknown component (use skills, aspiration, cross_department, cross_location, level_gap, "
        "availability, network)",
    ]
    programme.refresh_from_db()
    assert programme.policy == {"weights": {"skills": 5.5}}


def test_rules_the_programme_decides_itself_are_refused_in_its_policy(db) -> None:
    # Saved in both places, one of the two would be ignored when matching.
    error = refused(
        programme_create,
        actor=OPERATOR,
        name="Twice",
        kind="sponsorship",
        policy={"rules": {"min_level_gap": 4, "default_capacity": 2}, "fairness": {"tolerance": 0.1}},
    )
    assert error.problems == [
        "rules.default_capacity: set by the programme's own setting for the seats per mentor or sponsor, not here",
        "rules.min_level_gap: set by the programme's own setting for the minimum level gap, not here",
        "fairness: set by the programme's own fairness settings (on or off, attribute, tolerance), not here",
    ]
    assert not Programme.objects.exists()


def test_a_valid_policy_is_saved_and_used_exactly_as_written(db) -> None:
    programme = programme_create(
        actor=OPERATOR,
        name="Tuned",
        kind="reverse_mentoring",
        min_level_gap=3,
        policy={"weights": {"skills": 5.5, "availability": 0.1235}, "rules": {"preferred_gap": [2, 5]}},
    )
    policy = programme_policy(programme)
    assert (policy.weights.skills, policy.weights.availability) == (5.5, 0.1235)
    # The kind's default for the rest, the programme's settings for its rules, the band as written.
    assert (policy.weights.cross_department, policy.min_level_gap, policy.preferred_gap) == (1.0, 3, (2, 5))


def test_a_policy_that_no_longer_holds_is_refused_by_programme_policy_not_replaced(db) -> None:
    programme = programme_create(actor=OPERATOR, name="Old", kind="reverse_mentoring")
    # Saved before weights were held to four decimals (or written around the service).
    Programme.objects.filter(pk=programme.pk).update(policy=FIVE_DECIMALS)
    programme.refresh_from_db()
    with pytest.raises(PolicyError, match=r"weights\.skills: 0\.12345 has more than 4 decimal places"):
        programme_policy(programme)


# --- the programme form --------------------------------------------------------------------------


def test_the_form_shows_the_policy_problem_at_the_field_and_creates_nothing(cast) -> None:
    client = signed_in(cast.programme_manager)
    template = programme_create(actor=OPERATOR, name="Template", kind="reverse_mentoring")
    response = client.post(
        reverse("programmes:new", args=["reverse_mentoring"]),
        form_data(template, name="Precise", policy=json.dumps(FIVE_DECIMALS)),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["policy"] == [
        "Weights.skills: 0.12345 has more than 4 decimal places; weights are used exactly as written, so round it "
        "(e.g. to 0.1235)."
    ]
    assert not form.non_field_errors()
    assert "0.12345 has more than 4 decimal places" in response.content.decode()
    assert not Programme.objects.filter(name="Precise").exists()


def test_the_edit_form_refuses_an_invalid_policy_and_keeps_the_saved_one(cast) -> None:
    programme = programme_create(
        name="Digital fluency", kind="reverse_mentoring", actor=cast.programme_manager, policy={}
    )
    client = signed_in(cast.programme_manager)
    url = reverse("programmes:edit", args=[programme.pk])
    for policy, problem in (
        (json.dumps(FIVE_DECIMALS), "has more than 4 decimal places"),
        ('{"weights": {"skills": 4,', "Enter a valid JSON."),
        (json.dumps({"rules": {"allow_previous_pairs": True}}), "set by the programme's own setting"),
    ):
        response = client.post(url, form_data(programme, name="Renamed", policy=policy))
        assert response.status_code == 400
        assert any(problem in error for error in response.context["form"].errors["policy"])
        programme.refresh_from_db()
        assert (programme.name, programme.policy) == ("Digital fluency", {})
    response = client.post(url, form_data(programme, policy=json.dumps({"weights": {"skills": 5.5}})))
    assert response.status_code == 302
    programme.refresh_from_db()
    assert programme.policy == {"weights": {"skills": 5.5}}
    # An empty box means the kind's defaults.
    client.post(url, form_data(programme, policy=""))
    programme.refresh_from_db()
    assert programme.policy == {}


# --- the command line ----------------------------------------------------------------------------


def test_programme_create_set_policy_refuses_an_invalid_policy_and_creates_nothing(db) -> None:
    with pytest.raises(CommandError, match=r"the matching policy is not valid: weights\.skills: 0\.12345 has more"):
        call_command(
            "programme",
            "create",
            "--kind",
            "reverse-mentoring",
            "--name",
            "Precise",
            "--set",
            f"policy={json.dumps(FIVE_DECIMALS)}",
        )
    assert not Programme.objects.exists()
    tuned = 'policy={"weights": {"skills": 5}}'
    call_command("programme", "create", "--kind", "reverse-mentoring", "--name", "Tuned", "--set", tuned)
    assert Programme.objects.get(name="Tuned").policy == {"weights": {"skills": 5}}


# --- match time ------------------------------------------------------------------------------------


def test_a_match_run_stops_with_the_reason_when_the_saved_policy_does_not_hold(cast, capsys) -> None:
    programme = matching_programme(cast)
    Programme.objects.filter(pk=programme.pk).update(policy=FIVE_DECIMALS)
    run = match_run_start(actor=OPERATOR, programme=programme)
    assert run.status == MatchRunStatus.FAILED
    assert run.error == (
        "The matching policy of Digital fluency is not valid (weights.skills: 0.12345 has more than 4 decimal "
        "places; weights are used exactly as written, so round it (e.g. to 0.1235)). Correct it in the programme's "
        "settings and run again."
    )
    assert not run.proposals.exists() and not run.unmatched.exists()
    with pytest.raises(CommandError, match=r"failed: The matching policy of Digital fluency is not valid"):
        call_command("match", str(programme.pk))
    assert MatchRun.objects.filter(programme=programme).exclude(status=MatchRunStatus.FAILED).count() == 0
