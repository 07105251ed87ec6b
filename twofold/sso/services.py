"""The account a single sign-on opens: the directory person's own, made at their first sign-in if need be."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from twofold import audit
from twofold.accounts.models import User
from twofold.accounts.services import user_upsert
from twofold.people.models import Person
from twofold.sso.matching import FIELD_LABELS, SignInRefused, claim_value, person_matching
from twofold.sso.models import ProviderIdentity

LEFT = (
    "The directory lists you as having left the organisation, so your Twofold account is closed. "
    "If that is a mistake, ask your HR or IT team to correct the directory."
)
CLOSED = "Your Twofold account is closed. Ask an org admin if you should still have access."


def _free_username(wanted: str) -> str:
    base = wanted[:140] or "user"
    candidate, number = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _bound_account(claims: Mapping[str, Any], *, issuer: str) -> User | None:
    """The account without an employee record made earlier for this provider subject, if any."""
    subject = str(claims.get("sub") or "")
    if not subject:
        return None
    bound = ProviderIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    return bound.user if bound is not None and bound.user.person_id is None else None


@transaction.atomic
def sso_account_for_claims(
    *, claims: Mapping[str, Any], claim: str, field: str, issuer: str, create_unknown: bool
) -> User:
    """The account the provider's (verified) claims sign in to, or :class:`SignInRefused` saying why not.

    The person is found in the directory by ``claim`` against ``field``; a person who has left, or
    whose account an org admin closed, is refused. A directory person without an account yet gets one
    (no role beyond being an employee; the directory, not the token, says who they are). Someone the
    directory does not know is refused, unless ``create_unknown`` is on: then an account with no
    employee record and no role is made, bound to the provider's subject so it is found again (and
    linked to the person once the directory has them); an org admin gives it a role. Nothing here
    grants a role, so no permission is asked: signing in is how the actor comes to exist.
    """
    person = person_matching(claims, claim=claim, field=field)
    if person is not None:
        # Locking the person serialises two first sign-ins in two tabs: one account, not a crash.
        person = Person.objects.select_for_update().get(pk=person.pk)
        if not person.active:
            raise SignInRefused(LEFT)
        account = User.objects.filter(person=person).first()
        if account is None:
            # Someone who signed in before the directory knew them keeps the account they had.
            account = _bound_account(claims, issuer=issuer)
            if account is not None:
                account.person = person
                account.save(update_fields=["person"])
        if account is None:
            account = user_upsert(username=_free_username(person.email.lower()), person=person)
            account.set_unusable_password()
            account.save(update_fields=["password"])
            audit.record("account.created_at_sign_in", actor=account, target=account, detail={"matched_by": field})
        if not account.is_active:
            raise SignInRefused(CLOSED)
        return account

    bound = _bound_account(claims, issuer=issuer)
    if bound is not None:
        if not bound.is_active:
            raise SignInRefused(CLOSED)
        return bound
    value = claim_value(claims, claim=claim)
    subject = str(claims.get("sub") or "")
    if not (create_unknown and subject):
        raise SignInRefused(
            f"You signed in at the identity provider, but nobody in Twofold's directory has the "
            f"{FIELD_LABELS[field]} {value}. Ask your HR team or an org admin to add you."
        )
    account = user_upsert(username=_free_username(value.lower()))
    account.first_name = str(claims.get("given_name") or "")[:150]
    account.last_name = str(claims.get("family_name") or "")[:150]
    email = claims.get("email")
    account.email = str(email)[:254] if isinstance(email, str) and claims.get("email_verified") is not False else ""
    account.set_unusable_password()
    account.save()
    ProviderIdentity.objects.create(issuer=issuer, subject=subject, user=account)
    audit.record("account.created_at_sign_in", actor=account, target=account, detail={"matched_by": "none"})
    return account
