"""scim2-tester, the SCIM conformance checker, against a live server over real HTTP: no error."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.conftest import Cast
from tests.scim.client import token_for
from twofold.people.models import Person

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "scim_check.py"


def scim_check():  # type: ignore[no-untyped-def]
    """The script of docs/integrations.md, which wraps scim2-tester."""
    spec = importlib.util.spec_from_file_location("scim_check", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_scim2_tester_finds_no_error(live_server, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    check = scim_check()
    results = check.run(f"{live_server.url}/scim/v2", token_for(cast.admin))
    failed = [f"{r.resource_type} {r.title}: {r.reason}" for r in results if r.status in check.FAILED]
    assert not failed, "\n".join(failed)
    statuses = {r.status.name for r in results}
    assert "SUCCESS" in statuses
    # Every User the checks created is gone from SCIM, and still in the directory, as having left.
    assert Person.objects.filter(scim_identity__deleted_at__isnull=False, active=False).exists()
    assert not Person.objects.filter(scim_identity__deleted_at__isnull=False, active=True).exists()
