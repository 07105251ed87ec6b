"""How many web processes `twofold serve` starts when it is not told."""

from __future__ import annotations

import os

import pytest
from django.core.management.base import CommandError

from twofold.operations.management.commands.serve import default_workers


def test_one_process_per_core_plus_one_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    assert default_workers() == (os.cpu_count() or 1) + 1


def test_web_concurrency_overrides_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", " 7 ")
    assert default_workers() == 7


def test_web_concurrency_that_is_not_a_number_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "many")
    with pytest.raises(CommandError):
        default_workers()
