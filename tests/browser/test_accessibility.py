"""Every page passes axe-core's WCAG 2.1 A/AA rules and fits a phone screen."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_accessible, assert_fits_phone_width, sign_in
from tests.factories import OPERATOR, grant
from twofold.programmes.enrolment_services import enrolment_create
from twofold.programmes.services import programme_create, programme_transition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def visit_all(page, paths: list[str]) -> None:  # type: ignore[no-untyped-def]
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert_accessible(page)
        assert_fits_phone_width(page)


def test_sign_in_page(page, cast) -> None:  # type: ignore[no-untyped-def]
    visit_all(page, ["/login/"])


def test_programme_manager_pages(page, cast) -> None:  # type: ignore[no-untyped-def]
    programme = programme_create(name="Digital fluency", kind="reverse_mentoring", actor=cast.programme_manager)
    programme_transition(actor=OPERATOR, programme=programme, to_state="enrolling")
    enrolment_create(actor=OPERATOR, programme=programme, person=cast.ana, role="mentor")
    grant(cast.programme_manager, "people.import_people")
    sign_in(page, "pm")
    visit_all(
        page,
        [
            "/programmes/",
            "/programmes/new/reverse_mentoring/",
            f"/programmes/{programme.pk}/",
            f"/programmes/{programme.pk}/edit/",
            f"/programmes/{programme.pk}/enrolments/",
            "/people/",
            f"/people/{cast.ana.pk}/",
            "/people/import/",
            "/insights/",
        ],
    )


def test_participant_pages(page, cast) -> None:  # type: ignore[no-untyped-def]
    programme = programme_create(actor=OPERATOR, name="Digital fluency", kind="reverse_mentoring")
    programme_transition(actor=OPERATOR, programme=programme, to_state="enrolling")
    sign_in(page, "ana")
    visit_all(
        page,
        [
            "/programmes/mine/",
            f"/programmes/{programme.pk}/apply/",
            f"/people/{cast.ana.pk}/",
            "/people/me/skills/",
            "/people/me/self-identification/",
        ],
    )


def test_org_admin_pages(page, cast) -> None:  # type: ignore[no-untyped-def]
    from twofold.webhooks.services import subscription_create, subscription_send_test

    webhook, _ = subscription_create(
        actor=cast.admin, name="HR channel", url="https://hooks.example.org/hr", events=["proposal.made"]
    )
    subscription_send_test(actor=cast.admin, subscription=webhook)
    sign_in(page, "admin")
    visit_all(
        page,
        [
            "/audit/",
            "/audit/?action=sign_in",
            "/data-requests/",
            "/data-requests/?person=J1",
            "/integrations/webhooks/",
            "/integrations/webhooks/new/",
            f"/integrations/webhooks/{webhook.pk}/",
            f"/integrations/webhooks/{webhook.pk}/edit/",
        ],
    )


def test_executive_pages(page, cast) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "exec")
    visit_all(page, ["/insights/"])


def test_insights_pages_with_charts(page, cast) -> None:  # type: ignore[no-untyped-def]
    from tests.insights.test_pages import hipo, promote, sponsorship

    protégés = [hipo() for _ in range(20)]
    for person in protégés[:10]:
        promote(person, 120)
    for person in [hipo() for _ in range(40)][:4]:
        promote(person, 150)
    programme = sponsorship("Rising leaders", protégés)
    sign_in(page, "exec")
    visit_all(page, ["/insights/", f"/insights/programmes/{programme.pk}/"])
    assert page.locator("figure.chart svg").count() >= 3
    assert "+40.0 pts" in page.content()
    # The engagement, bridge and pipeline sections, each table with its downloads; the report button.
    for key in ("engagement", "bridge", "pipeline"):
        assert page.locator(f"#section-{key}").count() == 1
    assert page.get_by_role("link", name="Download report (PDF)").count() == 1
    assert page.locator("p.downloads a", has_text="XLSX").count() >= 5


def test_insights_knowledge_section(page, cast) -> None:  # type: ignore[no-untyped-def]
    from tests.insights.test_report import mentoring_with_skills

    programme = mentoring_with_skills()
    sign_in(page, "exec")
    visit_all(page, [f"/insights/programmes/{programme.pk}/"])
    assert page.locator("#section-knowledge").count() == 1
    assert "+1.50" in page.locator("#section-knowledge").locator("..").inner_text()


def test_insights_progress_then_figures(page, cast, settings) -> None:  # type: ignore[no-untyped-def]
    """Without a snapshot, the page shows the refresh's progress, then reloads itself with the figures."""
    from tests.insights.test_pages import build_organisation
    from twofold.insights.models import InsightsSnapshot
    from twofold.insights.snapshots import snapshot_compute

    settings.INSIGHTS_LIVE = False
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    programme = build_organisation().programme
    sign_in(page, "exec")
    visit_all(page, [f"/insights/programmes/{programme.pk}/"])
    assert "Refresh waiting for a worker" in page.content() and "+40.0 pts" not in page.content()
    snapshot_compute(InsightsSnapshot.objects.get(programme=programme).pk, with_pdf=False)  # the worker's part
    page.wait_for_selector("text=+40.0 pts", timeout=15_000)
    assert "0 minutes ago" in page.content()
    assert_accessible(page)
    assert page.get_by_role("button", name="Refresh").count() == 1
