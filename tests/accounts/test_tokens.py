"""Access tokens: who issues and revokes them, what a raw token is worth, the command and the pages."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import Cast
from twofold.accounts.models import AccessToken
from twofold.accounts.permissions import CommandLineOperator, NotPermitted, NotPermittedHidden
from twofold.accounts.services import accounts_close
from twofold.accounts.tokens import (
    SCOPES,
    TokenRefused,
    authenticate_token,
    issue_token,
    revoke_token,
    token_has_scope,
)
from twofold.audit.models import AuditEntry


def personal(cast: Cast, scopes: list[str] | None = None, **kwargs: object) -> tuple[AccessToken, str]:
    return issue_token(
        actor=cast.ana_user,
        user=cast.ana_user,
        name="my script",
        scopes=scopes or ["programmes:read"],
        kind="personal",
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_token_is_stored_as_its_digest_and_authenticates_as_its_user(cast: Cast) -> None:
    token, raw = personal(cast, expires_days=30)
    assert raw.startswith("twofold_") and len(raw) > 40
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(AccessToken.objects.filter(pk=token.pk).values().get())
    assert token.prefix == raw[:12]
    found = authenticate_token(raw)
    assert found is not None and found.user == cast.ana_user and found.last_used_at is not None
    assert authenticate_token(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
    assert authenticate_token("") is None


def test_revoked_expired_and_leavers_tokens_do_not_work(cast: Cast) -> None:
    revoked, raw_revoked = personal(cast)
    revoke_token(actor=cast.ana_user, token=revoked)
    assert authenticate_token(raw_revoked) is None

    expired, raw_expired = personal(cast, expires_days=1)
    AccessToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert authenticate_token(raw_expired) is None

    _, raw_leaver = personal(cast)
    assert authenticate_token(raw_leaver) is not None
    accounts_close(person_ids=[cast.ana.pk])
    assert authenticate_token(raw_leaver) is None


def test_who_issues_which_token(cast: Cast) -> None:
    with pytest.raises(NotPermitted):
        issue_token(actor=cast.ben_user, user=cast.ana_user, name="x", scopes=["people:read"], kind="personal")
    with pytest.raises(NotPermitted):
        issue_token(actor=cast.ana_user, user=cast.ana_user, name="x", scopes=["people:read"], kind="service")
    token, _ = issue_token(actor=cast.admin, user=cast.ana_user, name="HRIS", scopes=["scim"], kind="service")
    assert token.kind == "service" and token.created_by == cast.admin
    token, _ = issue_token(actor=CommandLineOperator(), user=cast.admin, name="IdP", scopes=["scim"], kind="service")
    assert token.created_by is None
    assert AuditEntry.objects.filter(action="tokens.issue_personal", allowed=False).exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"scopes": ["people:read", "everything"]}, "Unknown scope 'everything'"),
        ({"scopes": []}, "at least one scope"),
        ({"scopes": ["scim"]}, "service tokens only"),
        ({"name": "  "}, "Give the token a name"),
        ({"name": "two\nlines"}, "line break"),
        ({"expires_days": 0}, "1 to 3650 days"),
        ({"kind": "forever"}, "Unknown kind"),
    ],
)
def test_refused_requests_say_why_and_write_nothing(cast: Cast, changes: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "actor": cast.ana_user,
        "user": cast.ana_user,
        "name": "mine",
        "scopes": ["people:read"],
        "kind": "personal",
    } | changes
    with pytest.raises(TokenRefused, match=message):
        issue_token(**arguments)  # type: ignore[arg-type]
    assert not AccessToken.objects.exists()


def test_who_revokes(cast: Cast) -> None:
    mine, _ = personal(cast)
    with pytest.raises(NotPermittedHidden):
        revoke_token(actor=cast.ben_user, token=mine)
    service, raw = issue_token(
        actor=cast.admin, user=cast.ana_user, name="sync", scopes=["people:read"], kind="service"
    )
    with pytest.raises(NotPermittedHidden):
        revoke_token(actor=cast.ana_user, token=service)
    revoke_token(actor=cast.admin, token=mine)
    revoke_token(actor=cast.admin, token=service)
    assert authenticate_token(raw) is None


def test_a_write_scope_includes_reading_the_same_resource(cast: Cast) -> None:
    token, _ = personal(cast, scopes=["programmes:write", "insights:read"])
    assert token_has_scope(token, "programmes:read")
    assert token_has_scope(token, "programmes:write")
    assert token_has_scope(token, "insights:read")
    assert not token_has_scope(token, "people:read")
    assert not token_has_scope(token, "relationships:write")
    with pytest.raises(KeyError):
        token_has_scope(token, "nonsense")


def test_the_scopes_cover_what_the_integrations_need() -> None:
    expected = {
        "people:read",
        "people:write",
        "programmes:read",
        "programmes:write",
        "relationships:read",
        "relationships:write",
        "matchruns:write",
        "insights:read",
        "scim",
    }
    assert expected <= set(SCOPES)


# --- the command ---------------------------------------------------------------------------------


def test_token_create_prints_the_token_alone_on_its_last_line(cast: Cast) -> None:
    out = io.StringIO()
    call_command(
        "token",
        "create",
        "ana",
        "--scope",
        "programmes:read",
        "--scope",
        "people:read",
        "--expires-days",
        "7",
        stdout=out,
    )
    raw = out.getvalue().strip().splitlines()[-1]
    token = authenticate_token(raw)
    assert token is not None and token.kind == "service" and token.user == cast.ana_user
    assert token.scopes == ["people:read", "programmes:read"]
    listing = io.StringIO()
    call_command("token", "list", "ana", stdout=listing)
    assert token.prefix in listing.getvalue() and raw not in listing.getvalue()
    call_command("token", "revoke", str(token.pk), stdout=io.StringIO())
    assert authenticate_token(raw) is None


def test_token_create_refuses_unknown_scopes_and_accounts(cast: Cast) -> None:
    with pytest.raises(CommandError, match="Unknown scope 'root'"):
        call_command("token", "create", "ana", "--scope", "root", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no account 'nobody'"):
        call_command("token", "create", "nobody", "--scope", "people:read", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no token 999"):
        call_command("token", "revoke", "999", stdout=io.StringIO())
    assert not AccessToken.objects.exists()


# --- the pages -----------------------------------------------------------------------------------


def test_the_account_page_issues_a_personal_token_shown_once(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.ana_user)
    response = client.post(
        reverse("tokens"), {"name": "reports", "scopes": ["programmes:read", "people:read"], "expires_days": "30"}
    )
    assert response.status_code == 200
    token = AccessToken.objects.get()
    raw = response.context["issued"]
    assert authenticate_token(raw) == token and raw.encode() in response.content
    again = client.get(reverse("tokens"))
    assert raw.encode() not in again.content and token.prefix.encode() in again.content

    refused = client.post(reverse("tokens"), {"name": "", "scopes": ["scim"]})
    assert refused.status_code == 422 and AccessToken.objects.count() == 1

    assert client.post(reverse("token_revoke", args=[token.pk])).status_code == 302
    assert authenticate_token(raw) is None


def test_org_admins_issue_service_tokens_for_any_account_on_their_page(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.admin)
    response = client.post(
        reverse("service_tokens"), {"username": "ana", "name": "SCIM", "scopes": ["scim"], "expires_days": ""}
    )
    assert response.status_code == 200
    token = authenticate_token(response.context["issued"])
    assert token is not None and token.user == cast.ana_user and token.kind == "service" and token.expires_at is None
    unknown = client.post(reverse("service_tokens"), {"username": "nobody", "name": "x", "scopes": ["scim"]})
    assert unknown.status_code == 422 and b"No account has this username" in unknown.content
