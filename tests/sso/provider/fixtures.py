"""A real OpenID provider on loopback for the single sign-on tests, and Twofold configured to use it
(imported by tests/browser/test_single_sign_on.py).

The provider (tests/sso/provider/, django-oauth-toolkit) runs as a separate process with its own
database and a fresh RS256 key; it knows the users and registered clients below. Twofold's live
server (pytest-django's, in this process) is pointed at it per test through the settings.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

REPOSITORY = Path(__file__).resolve().parents[3]
PROVIDER_NAME = "Test ID"
PROVIDER_PASSWORD = "provider-password"
CLIENT_ID = "twofold"
CLIENT_SECRET = "twofold-client-secret"
MISISSUED_CLIENT_ID = "misissued"
MISISSUED_SECRET = "misissued-client-secret"

# What the provider knows about each of its users, as claims. The cast's people (tests/conftest.py):
# Ana is J1 (j1@example.org), Ben J2, Lena L1 (who has no Twofold account yet); the stranger is in
# nobody's directory.
PROVIDER_USERS = {
    "ana.junior": {"email": "J1@example.org", "email_verified": True, "employee_number": "J1", "name": "Ana Junior"},
    "ben.junior": {"email": "j2@example.org", "email_verified": True, "employee_number": "J2", "name": "Ben Junior"},
    "lena.lead": {"email": "l1@example.org", "email_verified": True, "employee_number": "L1", "name": "Lena Lead"},
    "stranger": {"email": "stranger@example.org", "email_verified": True, "employee_number": "X9", "name": "Sam"},
}


@dataclass(frozen=True)
class Provider:
    issuer: str


def _private_key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture(scope="session")
def oidc_provider(live_server, tmp_path_factory) -> Iterator[Provider]:  # type: ignore[no-untyped-def]
    directory = tmp_path_factory.mktemp("oidc-provider")
    (directory / "key.pem").write_bytes(_private_key_pem())
    callback = f"{live_server.url}/sso/callback/"
    signed_out = f"{live_server.url}/login/"
    spec = {
        "database": str(directory / "provider.sqlite3"),
        "private_key": str(directory / "key.pem"),
        "users": {name: {"password": PROVIDER_PASSWORD, "claims": claims} for name, claims in PROVIDER_USERS.items()},
        "clients": {
            CLIENT_ID: {
                "secret": CLIENT_SECRET,
                "redirect_uris": [callback],
                "post_logout_redirect_uris": [signed_out],
            },
            MISISSUED_CLIENT_ID: {
                "secret": MISISSUED_SECRET,
                "redirect_uris": [callback],
                "audience": "another-application",
            },
        },
    }
    spec_path = directory / "spec.json"
    spec_path.write_text(json.dumps(spec))
    environment = {
        key: value for key, value in os.environ.items() if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}
    }
    environment["PYTHONPATH"] = str(REPOSITORY)
    log = (directory / "provider.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.sso.provider.serve", str(spec_path)],
        cwd=REPOSITORY,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        # Migrating its database takes a few seconds; a provider that never says its port fails the tests.
        ready, _, _ = select.select([process.stdout], [], [], 180)
        port = process.stdout.readline().strip() if ready else ""  # type: ignore[union-attr]
        if not port.isdigit():
            process.kill()
            process.wait(timeout=10)
            raise RuntimeError(f"the test provider did not start:\n{(directory / 'provider.log').read_text()}")
        yield Provider(issuer=json.loads(spec_path.read_text())["issuer"])
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(name="sso")
def sso_fixture(settings, oidc_provider):  # type: ignore[no-untyped-def]
    """Twofold signing in through the test provider, people matched by their email address."""
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_PROVIDER_NAME = PROVIDER_NAME
    settings.OIDC_CLAIM = "email"
    settings.OIDC_MATCH_FIELD = "email"
    return settings
