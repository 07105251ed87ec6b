"""A real Chromium (Debian's), driven by Playwright, against a live Django server."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conftest import CHROMIUM, PASSWORD

# Playwright's sync API runs an event loop in this thread; the ORM calls in fixtures are still
# synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def watch_csp_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Chromium reports every resource or inline content the Content-Security-Policy blocked on the console."""
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}") if "Content Security Policy" in message.text else None
        ),
    )
    return violations


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    # Generous: the first page of a run loads the URLconf and templates, slow on a busy machine.
    context.set_default_timeout(30_000)
    page = context.new_page()
    violations = watch_csp_violations(page)
    yield page
    context.close()
    # Hole 9: every browser test doubles as a check that no page trips the policy.
    assert not violations, "\n".join(violations)


def sign_in(page, username: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def assert_accessible(page) -> None:  # type: ignore[no-untyped-def]
    """Run axe-core (shipped inside the axe-playwright-python package) for WCAG 2.1 A/AA."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    violations = results.response["violations"]
    described = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(
            node["target"][0] if isinstance(node["target"][0], str) else str(node["target"])
            for node in violation["nodes"][:5]
        )
        for violation in violations
    ]
    assert not violations, f"{page.url}: " + "\n".join(described)


def assert_fits_phone_width(page) -> None:  # type: ignore[no-untyped-def]
    """Nothing forces sideways scrolling at 390 px wide."""
    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{page.url} is {overflow}px wider than a phone screen"
    page.set_viewport_size({"width": 1280, "height": 900})


def assert_accessible_as_shown(page, *, javascript: bool) -> None:  # type: ignore[no-untyped-def]
    """axe-core on the page as the browser shows it, with JavaScript or without.

    axe runs as a script, so a page shown without JavaScript is copied, as it stands, into a page of a
    context that has it, on the same site (its stylesheets load, so colour contrast is measured on
    the real styles). Unlike opening the address again, this works for the answer to a POST too: a
    confirmation page has no address of its own."""
    if javascript:
        assert_accessible(page)
        return
    html, origin = page.content(), "/".join(page.url.split("/")[:3])
    context = page.context.browser.new_context(base_url=origin, viewport={"width": 1280, "height": 900})
    try:
        copy = context.new_page()
        copy.goto("/login/")
        copy.set_content(html, wait_until="load")
        assert copy.locator("h1").all_inner_texts() == page.locator("h1").all_inner_texts()
        assert_accessible(copy)
    finally:
        context.close()
