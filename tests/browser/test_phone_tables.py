"""On a phone a table turns into cards, and each value keeps its column's heading beside it."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LABEL_OF_FIRST_ROW = """
() => Array.from(document.querySelectorAll("table.table tbody tr:first-child td")).map(
  (cell) => getComputedStyle(cell, "::before").content)
"""


def test_directory_cards_keep_their_labels_on_a_phone(page, cast) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "ana")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/people/?q=Lena")
    assert not page.locator("table.table thead").is_visible()
    labels = page.evaluate(LABEL_OF_FIRST_ROW)
    assert labels[:3] == ['"Name: "', '"Title: "', '"Level: "']


def test_without_javascript_a_table_keeps_its_header(browser, live_server, cast) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    try:
        sign_in(page, "ana")
        page.goto("/people/?q=Lena")
        assert page.locator("table.table thead").is_visible()
        assert page.get_by_role("columnheader", name="Department").count() == 1
    finally:
        context.close()
