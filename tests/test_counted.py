"""Counts read as words: "1 mentor", never "1 mentors"."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import OPERATOR
from tests.people.test_views import signed_in
from twofold.plain_text import counted
from twofold.programmes.enrolment_services import enrolment_create
from twofold.programmes.services import programme_create


def test_counted_agrees_with_its_number() -> None:
    assert counted(1, "pair") == "1 pair"
    assert counted(0, "pair") == "0 pairs"
    assert counted(2, "reverse mentor") == "2 reverse mentors"
    assert counted(1, "person", "people") == "1 person"
    assert counted(3, "person", "people") == "3 people"
    assert counted(12_000, "pair") == "12,000 pairs"


def test_the_pool_line_is_singular_for_one(cast) -> None:
    programme = programme_create(actor=OPERATOR, name="Plurals", kind="reverse_mentoring")
    enrolment_create(actor=OPERATOR, programme=programme, person=cast.ana, role="mentor")
    page = signed_in(cast.admin).get(reverse("programmes:enrolments", args=[programme.pk]))
    text = " ".join(page.content.decode().split())
    mentor, mentee = programme.mentor_label, programme.mentee_label
    assert f"1 {mentor} and 0 {mentee}s in the pool." in text
