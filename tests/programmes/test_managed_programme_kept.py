"""The read of the programme its manager opens (``managed_programme``), kept (its SQL built once per
process, one for org admins and one for programme managers): the same SQL and parameters as the ORM's,
and the same programme, or none, as :func:`manageable_programmes` narrows them, kept or not."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import DEFAULT_DB_ALIAS, connection
from django.test.utils import CaptureQueriesContext

from tests.accounts.test_session_account import fields_of
from tests.factories import OPERATOR, UserFactory
from twofold.accounts import kept_queries, permissions
from twofold.programmes.models import Programme
from twofold.programmes.selectors import _managed_programme_reads, managed_programme
from twofold.programmes.services import programme_create
from twofold.programmes.views import PROGRAMME_NAMING


@pytest.mark.parametrize("fields", [(), PROGRAMME_NAMING])
def test_the_kept_reads_are_the_orms(cast, fields) -> None:  # type: ignore[no-untyped-def]
    for query, values in [
        (_managed_programme_reads(fields)[permissions.ALL_PROGRAMMES], (5,)),
        (_managed_programme_reads(fields)[permissions.OWN_PROGRAMMES], (cast.programme_manager.pk, 5)),
    ]:
        kept = query.compiled(DEFAULT_DB_ALIAS)
        sql, params = query.compiler_of_orm(DEFAULT_DB_ALIAS, values).as_sql()
        assert kept.sql == sql and query.params(connection, values) == list(params)


@pytest.mark.parametrize("kept", [True, False])
@pytest.mark.parametrize("fields", [(), PROGRAMME_NAMING])
def test_each_user_gets_the_programme_manageable_programmes_gives(  # type: ignore[no-untyped-def]
    cast, monkeypatch: pytest.MonkeyPatch, kept: bool, fields: tuple[str, ...]
) -> None:
    monkeypatch.setattr(kept_queries, "KEPT_QUERY", kept)
    managed = programme_create(actor=OPERATOR, name="Managed <b>", kind="reverse_mentoring")
    other = programme_create(actor=OPERATOR, name="Other", kind="sponsorship")
    # Listed as managers: a programme manager, one who has left, and a participant without the role.
    left = UserFactory(username="left-pm", is_programme_manager=True, is_active=False)
    managed.managers.add(cast.programme_manager, left, cast.ana_user)
    left_admin = UserFactory(username="left-admin", is_superuser=True, is_active=False)
    missing = other.pk + 1000
    found = 0
    users = (cast.admin, cast.programme_manager, cast.ana_user, cast.executive, cast.outsider, left, left_admin)
    for user in (*users, AnonymousUser()):
        for pk in (managed.pk, other.pk, missing):
            programmes = Programme.objects.only(*fields) if fields else Programme.objects.all()
            expected = permissions.manageable_programmes(user, programmes).filter(pk=pk).first()
            with CaptureQueriesContext(connection) as queries:
                programme = managed_programme(user, pk, fields=fields)
            assert len(queries) == (1 if permissions.programme_reach(user) else 0)
            if expected is None:
                assert programme is None
            else:
                found += 1
                assert programme is not None and fields_of(programme) == fields_of(expected)
                assert programme.get_deferred_fields() == expected.get_deferred_fields()
    assert found == 3  # the admin both, the programme manager their own
