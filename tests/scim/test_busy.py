"""A SCIM write that cannot take its locks in time answers 503 with Retry-After and changes nothing.

Two provisioning writes on one reporting chain can end in PostgreSQL's deadlock detector, and a
long write elsewhere can hold a person's row; either way the identity provider should retry, not
log a server fault. Played for real: a second connection holds the person's row while the request,
with a short ``lock_timeout``, tries to move them.
"""

from __future__ import annotations

import json

import psycopg
import pytest
from django.db import connection
from django.test import Client

from tests.conftest import Cast
from tests.scim.client import ENTERPRISE, PATCH, token_for
from twofold.people.models import Person

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: row locks and lock_timeout"),
]


def _move(client: Client, token: str, person: Person, manager: Person):  # type: ignore[no-untyped-def]
    body = {
        "schemas": [PATCH],
        "Operations": [{"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"value": str(manager.pk)}}],
    }
    return client.generic(
        "PATCH",
        f"/scim/v2/Users/{person.pk}",
        json.dumps(body),
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_a_write_that_cannot_lock_in_time_is_a_503_and_changes_nothing(cast: Cast) -> None:
    token = token_for(cast.admin)
    client = Client()
    before = Person.objects.get(pk=cast.ana.pk).manager_id
    assert before != cast.vp_sales.pk
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '300ms'")
    holder = psycopg.connect(**connection.get_connection_params())
    try:
        holder.execute("SELECT id FROM people_person WHERE id = %s FOR UPDATE", [cast.ana.pk])
        answer = _move(client, token, cast.ana, cast.vp_sales)
        assert answer.status_code == 503, answer.content
        assert answer["Retry-After"].isdigit()
        assert json.loads(answer.content)["status"] == "503"
        assert Person.objects.get(pk=cast.ana.pk).manager_id == before
    finally:
        holder.rollback()
        holder.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")

    answer = _move(client, token, cast.ana, cast.vp_sales)
    assert answer.status_code in (200, 204), answer.content
    assert Person.objects.get(pk=cast.ana.pk).manager_id == cast.vp_sales.pk
