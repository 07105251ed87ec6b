"""The programme commands: a cycle from a shell."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from twofold.programmes.models import Enrolment, Programme


def test_create_list_show_and_move(cast, capsys) -> None:
    call_command(
        "programme",
        "create",
        "--kind",
        "sponsorship",
        "--name",
        "Rising",
        "--set",
        "capacity=2",
        "--set",
        "fairness_enabled=no",
    )
    programme = Programme.objects.get(name="Rising")
    assert (programme.capacity, programme.fairness_enabled, programme.state) == (2, False, "draft")
    call_command("programme", "move", "Rising", "enrolling")
    call_command("programme", "list")
    call_command("programme", "show", str(programme.pk))
    out = capsys.readouterr().out
    assert "Programme 1 is now enrolling." in out.replace(str(programme.pk), "1")
    assert "Rising" in out and "capacity: 2" in out
    with pytest.raises(CommandError, match="cannot move to running"):
        call_command("programme", "move", "Rising", "running")
    with pytest.raises(CommandError, match="no programme 'Nope'"):
        call_command("programme", "show", "Nope")
    with pytest.raises(CommandError, match="write name=value"):
        call_command("programme", "create", "--kind", "sponsorship", "--name", "X", "--set", "colour=blue")
    with pytest.raises(CommandError, match="capacity must be at least 1"):
        call_command("programme", "create", "--kind", "sponsorship", "--name", "X", "--set", "capacity=0")


def test_enrol_by_id_and_by_filter(cast, capsys) -> None:
    call_command("programme", "create", "--kind", "reverse-mentoring", "--name", "RM")
    call_command("programme", "move", "RM", "enrolling")
    call_command("enrol", "RM", "--role", "mentor", "--levels", "1-3")
    call_command("enrol", "RM", "--role", "mentee", "--employee", "V1", "J1")
    out, err = capsys.readouterr()
    assert "Enrolled 2; 0 already in the programme; 0 not eligible." in out
    assert "Enrolled 1 of 2." in out
    assert "J1: a mentee must be at level 6 or above (Ana Junior is at 2)" in err
    assert set(Enrolment.objects.values_list("person__employee_id", "role", "status")) == {
        ("J1", "mentor", "active"),
        ("J2", "mentor", "active"),
        ("V1", "mentee", "active"),
    }
    with pytest.raises(CommandError, match="unknown employee ids: ZZ"):
        call_command("enrol", "RM", "--role", "mentee", "--employee", "ZZ")
