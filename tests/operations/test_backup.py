"""A backup restores: ``pg_dump`` a database holding data, ``pg_restore`` it into a new one, and the
restored database has the rows and every migration (the commands of docs/operations.md, Backups)."""

from __future__ import annotations

import subprocess

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from tests.factories import ProgrammeFactory
from tests.operations.faults import suite_database_url
from tests.operations.processes import TWOFOLD, _postgres_admin, database_count, environment, run
from tests.relationships.pairing import pair_up
from twofold.people.models import Person
from twofold.relationships.models import Relationship

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_pg_dump_restores_into_a_fresh_database_with_its_rows_and_migrations(cast, tmp_path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("backs up PostgreSQL")
    relationship = pair_up(ProgrammeFactory(name="Backed up"), cast.ana, cast.vp_sales)
    source = suite_database_url()
    restored_name = f"{connection.settings_dict['NAME']}_restored"
    restored = source.rsplit("/", 1)[0] + "/" + restored_name
    dump = tmp_path / "twofold.dump"
    with _postgres_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{restored_name}"')
    try:
        subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", source], check=True, timeout=120)
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored}", str(dump)], check=True)

        assert database_count(restored, "people_person") == Person.objects.count() == 6
        assert database_count(restored, "relationships_relationship", id=str(relationship.pk)) == 1
        assert Relationship.objects.count() == 1
        assert database_count(restored, "django_migrations") == MigrationRecorder.Migration.objects.count() > 0
        # Twofold itself, pointed at the copy, finds nothing left to migrate.
        run([*TWOFOLD, "migrate", "--check"], environment(tmp_path, restored))
    finally:
        with _postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)')
