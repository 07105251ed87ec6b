"""The API's documentation page works in Chromium with no network beyond the server itself."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_page_lists_the_operations_offline(page, live_server) -> None:  # type: ignore[no-untyped-def]
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto("/api/v1/docs")
    assert response is not None and response.status == 200
    page.locator(".opblock-summary-path", has_text="/api/v1/programmes").first.wait_for()
    assert page.locator(".opblock").count() >= 25
    # Everything came from the live server: Swagger UI is ninja's own copy, not a CDN's.
    assert requested and all(url.startswith(live_server.url) or url.startswith("data:") for url in requested)
