"""Signing in through the organisation's OpenID Connect provider (mozilla-django-oidc's code flow).

mozilla-django-oidc runs the authorisation-code flow (with PKCE, a nonce and a state) and checks the
ID token's signature against the provider's keys. This backend adds what it leaves to its users: the
token must name this client as its audience and the configured issuer as its issuer, and the
person is found in the directory (:mod:`twofold.sso.services`), never invented from the token.
"""

from __future__ import annotations

from typing import Any

import jwt
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from twofold.accounts.backends import session_user
from twofold.accounts.models import User
from twofold.sso import provider
from twofold.sso.matching import SignInRefused
from twofold.sso.services import sso_account_for_claims

WRONG_AUDIENCE = (
    "The identity provider's answer was meant for another application, so Twofold did not accept it. "
    "Ask your administrator to check the client id Twofold is registered with."
)
UNVERIFIED = (
    "The identity provider's answer could not be verified, so you are not signed in. Try again; "
    "if it keeps happening, tell your administrator."
)


def oidc_setting(name: str, *default: Any) -> Any:
    """mozilla-django-oidc's settings, with the provider's endpoints resolved from its discovery document."""
    if name in provider.ENDPOINTS:
        return provider.endpoint(name) or (default[0] if default else "")
    return import_from_settings(name, *default)


class OidcBackend(OIDCAuthenticationBackend):
    get_settings = staticmethod(oidc_setting)
    # Django's lookup for session users, which refuses inactive accounts (mozilla's does not), taking
    # the account read with the session as the password backend does.
    get_user = session_user

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Django builds every backend for every sign-in, passwords included: nothing may be fetched
        # from the provider until a sign-in is really ours (see authenticate).
        self.UserModel = User

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        if not settings.OIDC_ENABLED or request is None or "code" not in request.GET or "state" not in request.GET:
            return None
        self.OIDC_OP_TOKEN_ENDPOINT = provider.endpoint("OIDC_OP_TOKEN_ENDPOINT")
        self.OIDC_OP_USER_ENDPOINT = provider.endpoint("OIDC_OP_USER_ENDPOINT")
        self.OIDC_OP_JWKS_ENDPOINT = provider.endpoint("OIDC_OP_JWKS_ENDPOINT")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        return super().authenticate(request, **kwargs)

    def _verify_jws(self, payload: Any, key: Any) -> dict[str, Any]:
        try:
            algorithm = jwt.get_unverified_header(payload).get("alg")
        except jwt.PyJWTError:
            raise SignInRefused(UNVERIFIED) from None
        if algorithm != self.OIDC_RP_SIGN_ALGO:
            raise SignInRefused(UNVERIFIED)
        issuer = provider.issuer()
        try:
            claims: dict[str, Any] = jwt.decode(
                payload,
                key,
                algorithms=[algorithm],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=issuer or None,
                options={"require": ["exp", "iat", "sub"], "verify_iss": bool(issuer)},
                leeway=60,
            )
        except (jwt.InvalidAudienceError, jwt.MissingRequiredClaimError) as error:
            if isinstance(error, jwt.InvalidAudienceError) or error.claim == "aud":
                raise SignInRefused(WRONG_AUDIENCE) from None
            raise SignInRefused(UNVERIFIED) from None
        except jwt.PyJWTError:
            raise SignInRefused(UNVERIFIED) from None
        # A token for several audiences must name this client as the one it was issued to.
        audiences = claims.get("aud")
        if isinstance(audiences, list) and len(audiences) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SignInRefused(WRONG_AUDIENCE)
        return claims

    def verify_token(self, token: Any, **kwargs: Any) -> Any:
        try:
            return super().verify_token(token, **kwargs)
        except SuspiciousOperation:  # no matching key, a nonce that does not match
            raise SignInRefused(UNVERIFIED) from None

    def get_or_create_user(self, access_token: Any, id_token: Any, payload: dict[str, Any]) -> User:
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            userinfo = self.get_userinfo(access_token, id_token, payload)
            # OpenID Connect Core 5.3.2: userinfo about anyone but the ID token's subject is ignored.
            if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
                raise SignInRefused(UNVERIFIED)
            # The signed ID token wins where both say something.
            claims = {**userinfo, **payload}
        return sso_account_for_claims(
            claims=claims,
            claim=settings.OIDC_CLAIM,
            field=settings.OIDC_MATCH_FIELD,
            issuer=provider.issuer() or str(payload.get("iss") or ""),
            create_unknown=settings.OIDC_CREATE_UNKNOWN,
        )
