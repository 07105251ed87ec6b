"""Signing in with a username and password."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from twofold.accounts.passwords import is_demo_password

logger = logging.getLogger(__name__)


class PasswordBackend(ModelBackend):
    """Django's username-and-password check, which never accepts the demo password in production, and
    no password at all when single sign-on hides them (``OIDC_HIDE_PASSWORDS``).

    Refusing it here, where every sign-in passes (the sign-in page, the admin, any future form),
    covers every way an account could still hold it: a demo run before production mode was turned
    on, a copied database, a person who chose it.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if settings.OIDC_HIDE_PASSWORDS and password is not None:
            # Passwords are switched off for single sign-on: not on the sign-in page, not in the admin.
            logger.info("Refused a password sign-in as %r: passwords are switched off (OIDC_HIDE_PASSWORDS)", username)
            return None
        if settings.PRODUCTION and password is not None and is_demo_password(password):
            logger.warning(
                "Refused a sign-in as %r with the demo password: it is never accepted in production", username
            )
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
