"""Hole 9 and the deploy check: production responses carry the security headers, and
X-Forwarded-Proto is believed only when a setting says a proxy sets it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

# One process runs this module's tests (make test's --dist loadgroup), so that collectstatic runs
# once, for the first, into the var directory they share.
pytestmark = pytest.mark.xdist_group("production_var_dir")

SCRIPT = """
import json, django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.test import Client
# Production serves static files from collectstatic's manifest, as a deployment would.
if not (settings.STATIC_ROOT / "staticfiles.json").exists():
    call_command("collectstatic", interactive=False, verbosity=0)
client = Client()
direct = client.get("/login/", secure=True)
forwarded = client.get("/login/", headers={"X-Forwarded-Proto": "https"})
print(json.dumps({
    "direct": [direct.status_code, dict(direct.headers)],
    "secure_cookies": {name: bool(morsel["secure"]) for name, morsel in direct.cookies.items()},
    "forwarded": [forwarded.status_code, dict(forwarded.headers)],
}))
"""


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    return tmp_path_factory.mktemp("production")  # type: ignore[no-any-return]


def production_responses(tmp_path: Path, **extra: str) -> dict[str, Any]:
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "twofold.settings",
        "TWOFOLD_PRODUCTION": "1",
        "SECRET_KEY": "a-long-and-random-production-secret-key-0123456789-abcdefghijk",
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TWOFOLD_VAR_DIR": str(tmp_path),
        **extra,
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_hole_9_production_responses_carry_every_security_header(var_dir) -> None:
    responses = production_responses(var_dir)
    status, headers = responses["direct"]
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"] and "geolocation=()" in headers["Permissions-Policy"]
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe" not in policy
    assert responses["secure_cookies"] == {"csrftoken": True}


def test_hole_9_x_forwarded_proto_is_not_believed_unless_a_proxy_is_declared(var_dir) -> None:
    status, headers = production_responses(var_dir)["forwarded"]
    # Anyone can send the header; without TRUST_X_FORWARDED_PROTO the request is still plain HTTP.
    assert status == 301 and headers["Location"] == "https://testserver/login/"
    assert "Strict-Transport-Security" not in headers


def test_hole_9_a_declared_proxy_s_x_forwarded_proto_makes_the_request_secure(var_dir) -> None:
    status, headers = production_responses(var_dir, TRUST_X_FORWARDED_PROTO="1")["forwarded"]
    assert status == 200 and "Strict-Transport-Security" in headers
