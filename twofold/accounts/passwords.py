"""The demo's shared password, and the rule that keeps it out of real use.

The password is printed by ``twofold demo`` and written in the README, so it protects nothing: it is
refused as a new password everywhere, and refused at sign-in in production mode (see
``backends.PasswordBackend``), whichever way an account came to have it.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.core.exceptions import ValidationError

DEMO_PASSWORD = "twofold-demo"


def is_demo_password(password: str) -> bool:
    return hmac.compare_digest(password.strip().lower().encode(), DEMO_PASSWORD.encode())


class NotTheDemoPassword:
    """A password validator (``AUTH_PASSWORD_VALIDATORS``) refusing the published demo password."""

    def validate(self, password: str, user: Any = None) -> None:
        if is_demo_password(password):
            raise ValidationError(
                "That is the demo's published password; choose one of your own.", code="password_is_demo"
            )

    def get_help_text(self) -> str:
        return "Your password cannot be the demo's published password."
