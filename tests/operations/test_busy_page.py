"""The "busy, try again" page: 503 with Retry-After, and whatever message it is given shown as text."""

from __future__ import annotations

from twofold.operations.errors import RETRY_AFTER_SECONDS, DatabaseBusy, busy_response


def test_the_busy_page_shows_its_message_as_text_never_as_markup() -> None:
    page = busy_response('Ana <img src=x onerror="alert(1)"> & co')

    body = page.content.decode()
    assert page.status_code == 503 and page["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "<img" not in body and "Ana &lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; co" in body
    assert DatabaseBusy.message in busy_response().content.decode()
