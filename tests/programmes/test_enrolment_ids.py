"""The enrolment list's page of ids (``EnrolmentIdsByRole``) is read by position, role after role;
a negative position is refused rather than read as an empty slice or a wrong row."""

from __future__ import annotations

import pytest

from tests.factories import EnrolmentFactory, ProgrammeFactory
from twofold.programmes.models import Enrolment, EnrolmentRole
from twofold.programmes.selectors import EnrolmentIdsByRole


def test_ids_are_read_by_position_and_a_negative_one_is_refused(db) -> None:  # type: ignore[no-untyped-def]
    programme = ProgrammeFactory()
    mentee = EnrolmentFactory(programme=programme, role=EnrolmentRole.MENTEE)
    mentor = EnrolmentFactory(programme=programme, role=EnrolmentRole.MENTOR)
    ids = EnrolmentIdsByRole(Enrolment.objects.filter(programme=programme), {"mentee": 1, "mentor": 1})
    assert (len(ids), ids[0], ids[1], ids[0:2]) == (2, mentee.pk, mentor.pk, [mentee.pk, mentor.pk])
    for index in (-1, -2, -3):
        with pytest.raises(IndexError):
            ids[index]
    with pytest.raises(IndexError):
        ids[2]
