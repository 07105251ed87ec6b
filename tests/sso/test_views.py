"""The single sign-on pages without a browser: off by default, the way out to the provider, the way
back when something went wrong, the sign-in page's choices, and the settings that are refused."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from tests.accounts.test_settings import ROOT, run_twofold
from tests.conftest import PASSWORD
from twofold.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def explicit_endpoints(settings):  # type: ignore[no-untyped-def]
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = "twofold"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    settings.OIDC_PROVIDER_NAME = "Okta"
    settings.OIDC_ISSUER = ""
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://id.example.org/oauth2/v1/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://id.example.org/oauth2/v1/token"
    settings.OIDC_OP_JWKS_ENDPOINT = "https://id.example.org/oauth2/v1/keys"
    return settings


def said(response) -> list[str]:  # type: ignore[no-untyped-def]
    """What the sign-in page will tell them (and takes it, as showing the page would)."""
    told = [str(message) for message in get_messages(response.wsgi_request)]
    response.client.get("/login/")
    return told


def test_single_sign_on_is_off_until_configured(client: Client) -> None:
    assert client.get("/sso/start/").status_code == 404
    assert client.get("/sso/callback/?code=x&state=y").status_code == 404
    page = client.get("/login/").content.decode()
    assert "Sign in with" not in page
    assert 'name="password"' in page


def test_start_sends_the_browser_to_the_provider_with_pkce(client: Client, explicit_endpoints) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login/?next=/people/").content.decode()
    assert 'href="/sso/start/?next=/people/"' in page
    assert 'name="password"' in page
    response = client.get("/sso/start/?next=/people/")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    query = parse_qs(target.query)
    assert f"{target.scheme}://{target.netloc}{target.path}" == "https://id.example.org/oauth2/v1/authorize"
    assert query["client_id"] == ["twofold"]
    assert query["redirect_uri"] == ["http://testserver/sso/callback/"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"] and query["nonce"] and query["code_challenge"]
    assert client.session["oidc_login_next"] == "/people/"


def test_a_provider_that_does_not_answer_is_explained(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = "twofold"
    settings.OIDC_ISSUER = "http://127.0.0.1:9"  # nothing listens on the discard port
    settings.OIDC_PROVIDER_NAME = "Entra ID"
    response = client.get("/sso/start/")
    assert (response.status_code, response["Location"]) == (302, "/login/")
    assert any("Entra ID did not answer" in message for message in said(response))


def test_coming_back_with_an_error_or_without_a_sign_in_started_here(client: Client, explicit_endpoints) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/sso/callback/?error=access_denied&error_description=Call+0800+for+help&state=s")
    assert (response.status_code, response["Location"]) == (302, "/login/")
    assert said(response) == ["Signing in with Okta did not finish."]  # not a sign-in it started
    assert AuditEntry.objects.filter(action="account.sign_in", allowed=False).exists()
    response = client.get("/sso/callback/?code=stolen&state=unknown")
    assert (response.status_code, response["Location"]) == (302, "/login/")
    assert said(response) == ["Signing in with Okta did not finish. Sign in again."]
    state = parse_qs(urlsplit(client.get("/sso/start/")["Location"]).query)["state"][0]
    response = client.get(f"/sso/callback/?error=access_denied&error_description=User+is+not+assigned&state={state}")
    assert said(response) == ["Signing in with Okta did not finish (User is not assigned)."]
    client.get("/sso/start/")
    response = client.get("/sso/callback/?code=stolen&state=not-the-one-we-sent")
    assert said(response) == ["That sign-in with Okta had expired or was started elsewhere. Sign in again."]
    assert not response.wsgi_request.user.is_authenticated


def test_hidden_passwords_are_refused_too(client: Client, cast, explicit_endpoints) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/login/", {"username": "ana", "password": PASSWORD}).status_code == 302
    client.logout()
    explicit_endpoints.OIDC_HIDE_PASSWORDS = True
    page = client.get("/login/").content.decode()
    assert "Sign in with Okta" in page and 'name="password"' not in page
    response = client.post("/login/", {"username": "ana", "password": PASSWORD})
    assert response.status_code == 200
    assert "Passwords are switched off here: sign in with Okta." in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


@pytest.mark.parametrize(
    ("environment", "complaint"),
    [
        ({"OIDC_HIDE_PASSWORDS": "1"}, "need single sign-on (OIDC_CLIENT_ID)"),
        ({"OIDC_CLIENT_ID": "twofold"}, "needs OIDC_ISSUER"),
        (
            {"OIDC_CLIENT_ID": "twofold", "OIDC_ISSUER": "https://id.example.org", "OIDC_MATCH_FIELD": "name"},
            "OIDC_MATCH_FIELD",
        ),
        (
            {
                "TWOFOLD_PRODUCTION": "1",
                "SECRET_KEY": "a-long-and-random-production-secret-key-0123456789-abcdefghijk",
                "ALLOWED_HOSTS": "twofold.example.org",
                "DATABASE_URL": "postgres://twofold@db.internal:5432/twofold",
                "OIDC_CLIENT_ID": "twofold",
                "OIDC_CLIENT_SECRET": "s",
                "OIDC_ISSUER": "http://id.example.org",
            },
            "OIDC_ISSUER must be an https:// address",
        ),
    ],
)
def test_settings_that_cannot_work_are_refused_at_start(environment, complaint, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run_twofold("check", env={"TWOFOLD_VAR_DIR": str(tmp_path), **environment}, cwd=ROOT)
    assert result.returncode != 0
    assert complaint in result.stderr
