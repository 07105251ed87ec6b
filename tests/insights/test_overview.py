"""The executive overview shows aggregates, never a person."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import OPERATOR
from tests.people.test_views import signed_in
from twofold.insights.snapshots import View, snapshot_compute, snapshot_refresh
from twofold.programmes.enrolment_services import enrolment_create
from twofold.programmes.services import programme_create, programme_transition


def test_overview_is_for_executives_and_programme_staff(cast) -> None:
    for user in (cast.executive, cast.programme_manager, cast.admin):
        assert signed_in(user).get(reverse("insights:overview")).status_code == 200
    for user in (cast.ana_user, cast.outsider):
        assert signed_in(user).get(reverse("insights:overview")).status_code == 403


def test_overview_counts_without_naming_anyone(cast, settings, django_assert_max_num_queries) -> None:
    programme = programme_create(actor=OPERATOR, name="Digital fluency", kind="reverse_mentoring")
    programme_transition(actor=OPERATOR, programme=programme, to_state="enrolling")
    enrolment_create(actor=OPERATOR, programme=programme, person=cast.ana, role="mentor")
    enrolment_create(actor=OPERATOR, programme=programme, person=cast.vp_tech, role="mentee")
    programme_create(actor=OPERATOR, name="Still a draft", kind="sponsorship")
    client = signed_in(cast.executive)
    # From its snapshot, the page reads the snapshot, the programmes shown and the filters' choices,
    # however many programmes there are: the figures were computed by the worker.
    settings.INSIGHTS_LIVE = False
    snapshot_compute(snapshot_refresh(OPERATOR, View(programme=None)).pk)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("insights:overview")).content.decode()
    assert "Digital fluency" in page and "1 mentor, 1 mentee" in page
    assert "Still a draft" not in page
    for name in ("Ana Junior", "Victor Tech"):
        assert name not in page
