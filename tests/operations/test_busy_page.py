"""The "busy, try again" page: 503 with Retry-After, and whatever message it is given shown as text."""

from __future__ import annotations

from django.db import OperationalError
from django.test import RequestFactory

from twofold.operations.errors import RETRY_AFTER_SECONDS, UNAVAILABLE_PAGE, DatabaseBusy, busy_response, server_error


def test_the_busy_page_shows_its_message_as_text_never_as_markup() -> None:
    page = busy_response('Ana <img src=x onerror="alert(1)"> & co')

    body = page.content.decode()
    assert page.status_code == 503 and page["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "<img" not in body and "Ana &lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; co" in body
    assert DatabaseBusy.message in busy_response().content.decode()


def _error_page(error: Exception) -> tuple[int, str]:
    try:
        raise error
    except Exception:
        response = server_error(RequestFactory().get("/"))
    return response.status_code, response.content.decode()


def test_a_write_that_was_busy_anywhere_is_answered_busy_and_an_unreachable_database_unavailable() -> None:
    # A write outside retried_on_conflict that was busy (DatabaseBusy, or a lock not had in time)
    # says nothing was saved; a database out of reach says so instead.
    assert _error_page(DatabaseBusy()) == (503, busy_response().content.decode())
    status, page = _error_page(OperationalError("connection refused"))
    assert status == 503 and page == UNAVAILABLE_PAGE
