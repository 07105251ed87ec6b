"""Hole 9: nothing inline that the Content-Security-Policy (no 'unsafe-inline') would block.

Every page template is read, so a new page cannot slip a style attribute or a script body past
the policy; the emails are left out, as mail clients need inline styles and no CSP applies to them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Cast

PACKAGE = Path(__file__).resolve().parents[1] / "twofold"

FORBIDDEN = {
    "a style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE),
    "a <style> element": re.compile(r"<style\b", re.IGNORECASE),
    "an inline <script>": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE),
    "a script body": re.compile(r"<script\b[^>]*>\s*[^<\s]", re.IGNORECASE),
    "an event-handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "a javascript: address": re.compile(r"javascript:", re.IGNORECASE),
}


def page_templates() -> list[Path]:
    return sorted(
        path for path in PACKAGE.glob("**/templates/**/*.html") if "email" not in path.relative_to(PACKAGE).parts
    )


def inline_content(text: str) -> list[str]:
    return [what for what, pattern in FORBIDDEN.items() if pattern.search(text)]


def test_hole_9_the_checks_find_what_they_look_for() -> None:
    assert inline_content('<span class="bar" style="width: 5%">') == ["a style attribute"]
    assert inline_content("<script>alert(1)</script>") == ["an inline <script>", "a script body"]
    assert inline_content('<button onclick="go()">') == ["an event-handler attribute"]
    assert inline_content('<script src="/static/x.js" defer></script><meter value="3">') == []


def test_hole_9_no_page_template_has_inline_styles_or_scripts() -> None:
    templates = page_templates()
    assert len(templates) > 30
    found = {str(path.relative_to(PACKAGE)): inline_content(path.read_text()) for path in templates}
    assert {path: what for path, what in found.items() if what} == {}


def test_hole_9_no_python_code_writes_inline_styles_or_scripts() -> None:
    found = {}
    for path in sorted(PACKAGE.glob("**/*.py")):
        if "migrations" in path.parts:
            continue
        what = inline_content(path.read_text())
        if what:
            found[str(path.relative_to(PACKAGE))] = what
    assert found == {}


@pytest.mark.django_db
def test_hole_9_every_page_carries_the_policy_without_unsafe_inline(cast: Cast) -> None:
    client = Client()
    for url in (reverse("login"), reverse("password_reset")):
        policy = client.get(url)["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
        assert "unsafe" not in policy
    client.force_login(cast.admin)
    assert "Content-Security-Policy" in client.get(reverse("admin:index")).headers
