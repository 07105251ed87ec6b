"""Access tokens for the API and SCIM: issued, checked, revoked.

A token is ``twofold_`` followed by 43 random URL-safe characters. Only its SHA-256 digest is
stored; the raw token is returned once by :func:`issue_token` and never again. A request carrying a
token acts as the token's user — every permission rule applies to it as to that user signed in —
and is narrowed further to the token's scopes: a scope lets a token *try* a kind of call, the
user's rights decide whether it succeeds.

Personal tokens are issued by a person for themselves; service tokens (for integrations such as a
HRIS sync or an identity provider) by an org admin, for any account.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from twofold.accounts.kept_queries import KeptQuery
from twofold.accounts.models import AccessToken, AccessTokenKind, User
from twofold.accounts.permissions import authorize, is_command_line
from twofold.plain_text import control_character_problem

TOKEN_PREFIX = "twofold_"
# Characters of the raw token kept to tell tokens apart in lists: "twofold_" and four more.
DISPLAY_PREFIX_LENGTH = len(TOKEN_PREFIX) + 4
MAX_EXPIRES_DAYS = 3650
# last_used_at is written at most once per this interval per token: a busy integration must not
# turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)

SCOPES: dict[str, str] = {
    "people:read": "Read the people directory and skills",
    "people:write": "Change people and skills",
    "programmes:read": "Read programmes and enrolments",
    "programmes:write": "Create and change programmes; invite, apply, approve, withdraw",
    "relationships:read": "Read relationships and meetings",
    "relationships:write": "Answer proposals, log meetings, end relationships",
    "matchruns:write": "Start, review and publish match runs",
    "insights:read": "Read the aggregate figures of Insights",
    "scim": "Provision people through SCIM 2.0 (service tokens only)",
}
# Scopes only a service token may carry: provisioning is an integration's job, never a person's.
SERVICE_ONLY_SCOPES = frozenset({"scim"})


class TokenRefused(ValueError):
    """The token cannot be issued as asked (an unknown scope, a bad name or expiry); the message says why."""


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _clean_scopes(scopes: Iterable[str], kind: str) -> list[str]:
    chosen = sorted(set(scopes))
    if not chosen:
        raise TokenRefused(f"Choose at least one scope: {', '.join(SCOPES)}.")
    unknown = [scope for scope in chosen if scope not in SCOPES]
    if unknown:
        raise TokenRefused(f"Unknown scope {', '.join(map(repr, unknown))}: choose from {', '.join(SCOPES)}.")
    if kind == AccessTokenKind.PERSONAL:
        service_only = [scope for scope in chosen if scope in SERVICE_ONLY_SCOPES]
        if service_only:
            raise TokenRefused(f"The scope {', '.join(service_only)} is for service tokens only.")
    return chosen


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise TokenRefused("Give the token a name, to tell it apart later (for example the tool that uses it).")
    if len(name) > 100:
        raise TokenRefused("A token's name is at most 100 characters.")
    problem = control_character_problem(name)
    if problem:
        raise TokenRefused(f"The name {problem}.")
    return name


def issue_token(
    *,
    actor: Any,
    user: User,
    name: str,
    scopes: Iterable[str],
    kind: str,
    expires_days: int | None = None,
) -> tuple[AccessToken, str]:
    """Issue a token acting as ``user``; returns the stored token and the raw token, shown once.

    A personal token is issued by its user for themselves, a service token by an org admin (or the
    command line) for any active account. Refused with :class:`TokenRefused` for an unknown kind or
    scope, an empty or multi-line name, an expiry outside 1–3650 days, or an inactive account.
    """
    if kind not in AccessTokenKind.values:
        raise TokenRefused(f"Unknown kind {kind!r}: personal or service.")
    authorize(actor, f"tokens.issue_{kind}", user)
    name = _clean_name(name)
    chosen = _clean_scopes(scopes, kind)
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise TokenRefused(f"A token expires after 1 to {MAX_EXPIRES_DAYS} days, or never.")
    if not user.is_active:
        raise TokenRefused(f"The account {user.username} is inactive: it cannot hold tokens.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        token = AccessToken.objects.create(
            user=user,
            name=name,
            kind=kind,
            prefix=raw[:DISPLAY_PREFIX_LENGTH],
            digest=_digest(raw),
            scopes=chosen,
            created_by=None if is_command_line(actor) else actor,
            expires_at=now + timedelta(days=expires_days) if expires_days else None,
        )
    return token, raw


@transaction.atomic
def revoke_token(*, actor: Any, token: AccessToken) -> AccessToken:
    """Stop ``token`` from working, at once; revoking a revoked token changes nothing.

    A personal token is revoked by its user or an org admin, a service token by an org admin.
    """
    authorize(actor, "tokens.revoke", token)
    locked = AccessToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
    token.revoked_at = locked.revoked_at
    return token


def live_tokens(now: datetime | None = None) -> Any:
    """Tokens that still work at ``now`` (by default, the present): not revoked, not expired, of an
    active account."""
    if now is None:
        now = timezone.now()
    return AccessToken.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now), revoked_at__isnull=True, user__is_active=True
    )


def _live_token_with_user(now: datetime, digest: str) -> Any:
    """What ``live_tokens(now).select_related("user").filter(digest=digest).first()`` runs (the
    tokens' own order, the first row)."""
    return live_tokens(now).select_related("user").filter(digest=digest)[:1]


def _token_samples() -> tuple[tuple[datetime, str], tuple[datetime, str]]:
    now = timezone.now()
    return (now, _digest("sample")), (now - timedelta(days=1), _digest("other sample"))


# Asked by every API and SCIM call: built by the ORM once per process and database, each call binding
# the time (the expiry is compared with it) and the digest, in the order the WHERE clause names them.
TOKEN_READ = KeptQuery(AccessToken, _live_token_with_user, parameters=("expires_at", "digest"), samples=_token_samples)


def authenticate_token(raw: str) -> AccessToken | None:
    """The live token ``raw`` is, with its user loaded; None for anything else.

    Records when it was last used, at most once a minute per token (one cheap UPDATE).
    """
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    now = timezone.now()
    token = TOKEN_READ.first(now, _digest(raw))
    if token is None:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # A slower request that read the clock earlier never moves the time back.
        AccessToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=now), pk=token.pk).update(
            last_used_at=now
        )
        token.last_used_at = now
    return token


def token_has_scope(token: AccessToken, scope: str) -> bool:
    """Whether ``token`` carries ``scope``. A ``…:write`` scope includes the ``…:read`` of the same
    resource: a token that may change programmes may read them."""
    if scope not in SCOPES:
        raise KeyError(f"Unknown scope {scope!r}")
    held = set(token.scopes)
    if scope in held:
        return True
    resource, _, access = scope.partition(":")
    return access == "read" and f"{resource}:write" in held


def personal_tokens(user: User) -> Any:
    """The personal tokens of ``user``, newest first, revoked ones included (their page lists both)."""
    return AccessToken.objects.filter(user=user, kind=AccessTokenKind.PERSONAL).order_by("-created_at", "-pk")


def service_tokens() -> Any:
    """Every service token, newest first, with its account."""
    return (
        AccessToken.objects.filter(kind=AccessTokenKind.SERVICE)
        .select_related("user", "created_by")
        .order_by("-created_at", "-pk")
    )
