"""Self-identification has its own consent: shown on the form, required to store anything, and
withdrawable, which deletes the answers (and keeps the import from bringing them back)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import Cast
from tests.people.test_views import signed_in
from twofold.audit.models import AuditEntry
from twofold.people.models import SelfIdentification
from twofold.people.self_identification import CONSENT_TEXT, Answers, self_identification_set

URL = "people:my_self_identification"


def test_the_form_shows_the_consent_and_stores_nothing_without_it(cast: Cast) -> None:
    client = signed_in(cast.ana_user)
    page = client.get(reverse(URL)).content.decode()
    assert CONSENT_TEXT[:60] in page
    response = client.post(reverse(URL), {"gender": "Woman", "birth_year": "1999"})
    assert response.status_code == 400
    assert "Tick the consent" in response.content.decode()
    assert not SelfIdentification.objects.filter(person=cast.ana).exists()


def test_answers_are_stored_with_the_moment_of_consent_and_audited_without_them(cast: Cast) -> None:
    response = signed_in(cast.ana_user).post(
        reverse(URL), {"gender": "Woman", "ethnicity": "", "birth_year": "1999", "consent": "on"}
    )
    assert response.status_code == 302
    stored = SelfIdentification.objects.get(person=cast.ana)
    assert (stored.gender, stored.birth_year, stored.withdrawn_at) == ("Woman", 1999, None)
    assert stored.consented_at is not None
    (entry,) = AuditEntry.objects.filter(action="self_identification.set")
    assert entry.subject_person_id == cast.ana.pk
    assert "Woman" not in str(entry.detail) and "1999" not in str(entry.detail)


def test_withdrawing_deletes_the_answers_and_the_import_does_not_bring_them_back(cast: Cast, tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(cast.ana_user)
    client.post(reverse(URL), {"gender": "Woman", "birth_year": "1999", "consent": "on"})
    response = client.post(reverse("people:my_self_identification_withdraw"))
    assert response.status_code == 302
    stored = SelfIdentification.objects.get(person=cast.ana)
    assert (stored.gender, stored.birth_year, stored.consented_at) == ("", None, None)
    assert stored.withdrawn_at is not None
    assert AuditEntry.objects.filter(action="self_identification.withdraw", subject_person_id=cast.ana.pk).exists()
    path = tmp_path / "people.csv"
    path.write_text(
        "employee_id,name,email,level,gender\n"
        f"J1,Ana Junior,{cast.ana.email},2,Woman\n"
        f"J2,Ben Junior,{cast.ben.email},2,Man\n"
    )
    call_command("import_people", str(path))
    assert SelfIdentification.objects.get(person=cast.ana).gender == ""
    assert SelfIdentification.objects.get(person=cast.ben).gender == "Man"


def test_only_the_person_answers_for_themselves(cast: Cast) -> None:
    for actor in (cast.ben_user, cast.admin):
        with pytest.raises(PermissionDenied):
            self_identification_set(actor=actor, person=cast.ana, answers=Answers(gender="Man"), consent=True)
    assert not SelfIdentification.objects.filter(person=cast.ana).exists()
    assert AuditEntry.objects.filter(action="self_identification.set", allowed=False).count() == 2


def test_an_impossible_birth_year_is_a_400(cast: Cast) -> None:
    response = signed_in(cast.ana_user).post(reverse(URL), {"birth_year": "1700", "consent": "on"})
    assert response.status_code == 400
    assert not SelfIdentification.objects.filter(person=cast.ana).exists()
