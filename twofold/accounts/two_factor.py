"""Who must give a second factor (a code from an authenticator app) before using Twofold.

It is decided when a user signs in and kept in the session until the code is given, so the pages
after it cost no query. Every place that asks — the middleware in front of every page, the admin
site, the account pages — asks here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

SESSION_KEY = "twofold_second_factor"


class SecondFactor(StrEnum):
    VERIFY = "verify"  # has an authenticator app and has not given a code in this session
    ENROL = "enrol"  # must have one (TOTP_REQUIRED_FOR_ORG_ADMINS) and has none yet


# Asked on every request: the set once, not remade from the enum each time.
_SECOND_FACTORS = frozenset(SecondFactor)


def can_enrol(user: Any) -> bool:
    """Authenticator apps are offered to org admins, whose account can change everyone's data."""
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def enrolment_required(user: Any) -> bool:
    return bool(settings.TOTP_REQUIRED_FOR_ORG_ADMINS) and can_enrol(user)


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def unconfirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def second_factor_at_sign_in(user: Any) -> SecondFactor | None:
    """Anyone holding a confirmed device gives its code, whatever their roles now; org admins without
    one enrol first where that is required."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return SecondFactor.VERIFY
    if enrolment_required(user):
        return SecondFactor.ENROL
    return None


def second_factor_due(request: HttpRequest) -> SecondFactor | None:
    """What still stands between this signed-in session and the app, if anything."""
    if not request.user.is_authenticated:
        return None
    due = request.session.get(SESSION_KEY)
    return SecondFactor(due) if due in _SECOND_FACTORS else None


def second_factor_record(request: HttpRequest, *, due: SecondFactor | None) -> None:
    if due is None:
        request.session.pop(SESSION_KEY, None)
    else:
        request.session[SESSION_KEY] = due.value
