"""Claims → person → account: who a single sign-on signs in, and every refusal, without a browser."""

from __future__ import annotations

import pytest

from tests.factories import PersonFactory, UserFactory
from twofold.accounts.models import User
from twofold.audit.models import AuditEntry
from twofold.sso.matching import SignInRefused, person_matching
from twofold.sso.models import ProviderIdentity
from twofold.sso.services import sso_account_for_claims

ISSUER = "https://id.example.org"


def account_for(claims: dict[str, object], *, claim: str = "email", field: str = "email", create: bool = False) -> User:
    return sso_account_for_claims(claims=claims, claim=claim, field=field, issuer=ISSUER, create_unknown=create)


def test_email_matches_whatever_its_case(cast) -> None:  # type: ignore[no-untyped-def]
    assert person_matching({"email": " J1@Example.ORG "}, claim="email", field="email") == cast.ana
    assert account_for({"sub": "a", "email": "j1@example.org"}) == cast.ana_user


def test_employee_id_matches_exactly_and_numbers_count_as_text(cast) -> None:  # type: ignore[no-untyped-def]
    assert person_matching({"employee_number": "J1"}, claim="employee_number", field="employee_id") == cast.ana
    assert person_matching({"employee_number": "j1"}, claim="employee_number", field="employee_id") is None
    numbered = PersonFactory(employee_id="104233")
    assert person_matching({"employee_number": 104233}, claim="employee_number", field="employee_id") == numbered


@pytest.mark.parametrize(
    "claims", [{}, {"email": ""}, {"email": "   "}, {"email": True}, {"email": ["j1@example.org"]}]
)
def test_a_missing_or_odd_claim_is_refused_naming_it(cast, claims) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SignInRefused, match="carries no “email”"):
        account_for({"sub": "a", **claims})


def test_an_email_the_provider_has_not_verified_matches_nobody(cast) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SignInRefused, match="not verified your email"):
        account_for({"sub": "a", "email": "j1@example.org", "email_verified": False})
    # Another claim carrying the same address is the provider's own statement, not the unverified one.
    assert account_for({"sub": "a", "upn": "j1@example.org", "email_verified": False}, claim="upn") == cast.ana_user


def test_a_leaver_is_refused_even_with_an_account_still_open(cast) -> None:  # type: ignore[no-untyped-def]
    cast.ana.active = False
    cast.ana.save()
    with pytest.raises(SignInRefused, match="having left the organisation"):
        account_for({"sub": "a", "email": "j1@example.org"})


def test_an_account_an_org_admin_closed_is_refused(cast) -> None:  # type: ignore[no-untyped-def]
    User.objects.filter(pk=cast.ana_user.pk).update(is_active=False)
    with pytest.raises(SignInRefused, match="account is closed"):
        account_for({"sub": "a", "email": "j1@example.org"})


def test_a_directory_person_without_an_account_gets_one_once(cast) -> None:  # type: ignore[no-untyped-def]
    UserFactory(username="l1@example.org")  # someone else already holds the obvious username
    account = account_for({"sub": "lena", "email": "l1@example.org"})
    assert account.person == cast.lead_tech
    assert account.username == "l1@example.org-2"
    assert (account.first_name, account.last_name, account.email) == ("Lena", "Lead", "l1@example.org")
    assert not account.has_usable_password()
    assert not (account.is_superuser or account.is_staff or account.is_programme_manager or account.is_executive)
    assert AuditEntry.objects.filter(action="account.created_at_sign_in", actor_user_id=account.pk).count() == 1
    assert account_for({"sub": "lena", "email": "L1@example.org"}) == account
    assert User.objects.filter(person=cast.lead_tech).count() == 1


def test_someone_unknown_is_refused_and_nothing_is_created(cast) -> None:  # type: ignore[no-untyped-def]
    accounts = User.objects.count()
    with pytest.raises(SignInRefused, match=r"nobody in Twofold's directory has the email address new@example\.org"):
        account_for({"sub": "n", "email": "new@example.org"})
    with pytest.raises(SignInRefused, match="has the employee id N1"):
        account_for({"sub": "n", "employee_number": "N1"}, claim="employee_number", field="employee_id")
    assert User.objects.count() == accounts
    assert not ProviderIdentity.objects.exists()


def test_someone_unknown_gets_an_account_without_a_role_only_when_the_setting_says_so(cast) -> None:  # type: ignore[no-untyped-def]
    claims = {
        "sub": "n-1",
        "employee_number": "N1",
        "email": "new@example.org",
        "given_name": "Nia",
        "family_name": "New",
    }
    account = account_for(claims, claim="employee_number", field="employee_id", create=True)
    assert account.person is None
    assert (account.username, account.first_name, account.email) == ("n1", "Nia", "new@example.org")
    assert not (account.is_superuser or account.is_programme_manager or account.is_executive)
    assert not account.has_usable_password()
    # Found again by the provider's subject, not by a claim anyone could share.
    assert account_for(claims, claim="employee_number", field="employee_id", create=True) == account
    assert account_for(claims, claim="employee_number", field="employee_id", create=False) == account
    assert ProviderIdentity.objects.get(subject="n-1").user == account
    with pytest.raises(SignInRefused, match="nobody in Twofold's directory"):
        account_for({**claims, "sub": ""}, claim="employee_number", field="employee_id", create=True)
    User.objects.filter(pk=account.pk).update(is_active=False)
    with pytest.raises(SignInRefused, match="account is closed"):
        account_for(claims, claim="employee_number", field="employee_id", create=True)


def test_an_account_made_before_the_directory_knew_them_becomes_the_persons(cast) -> None:  # type: ignore[no-untyped-def]
    account = account_for({"sub": "n-2", "email": "later@example.org"}, create=True)
    person = PersonFactory(email="later@example.org")
    signed_in = account_for({"sub": "n-2", "email": "later@example.org"})
    assert signed_in == account
    assert User.objects.get(pk=account.pk).person == person
