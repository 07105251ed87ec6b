"""Who a provider's claims name in the directory: one claim, matched against one field of a person."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twofold.people.models import Person

FIELD_LABELS = {"email": "email address", "employee_id": "employee id"}


class SignInRefused(Exception):
    """Single sign-on did not sign this person in; the message is what the sign-in page tells them."""


def claim_value(claims: Mapping[str, Any], *, claim: str) -> str:
    """The claim as text (providers send employee numbers as numbers too); refused when absent or empty."""
    value = claims.get(claim)
    if isinstance(value, bool) or not isinstance(value, str | int):
        value = None
    text = str(value).strip() if value is not None else ""
    if not text:
        raise SignInRefused(
            f"The identity provider did not say who you are: its answer carries no “{claim}”. "
            "Ask your administrator to release that claim to Twofold."
        )
    return text


def person_matching(claims: Mapping[str, Any], *, claim: str, field: str) -> Person | None:
    """The directory's person whose ``field`` holds the claim's value, or None when nobody does.

    Email addresses match whatever their case; an email the provider itself marks unverified
    (``email_verified: false``) matches nobody, since anyone could have typed it. Employee ids match
    exactly, as the import stores them.
    """
    value = claim_value(claims, claim=claim)
    if field == "email":
        if claims.get("email_verified") is False and claims.get("email", "").strip().lower() == value.lower():
            raise SignInRefused(
                "The identity provider has not verified your email address, so Twofold cannot tell who you are."
            )
        people = list(Person.objects.filter(email__iexact=value)[:2])
    elif field == "employee_id":
        people = list(Person.objects.filter(employee_id=value)[:2])
    else:
        raise ValueError(f"people are not matched by {field!r}")
    if len(people) > 1:
        raise SignInRefused(
            f"More than one person in the directory has the {FIELD_LABELS[field]} {value}; "
            "an org admin must correct the directory before you can sign in."
        )
    return people[0] if people else None
