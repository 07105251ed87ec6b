"""How long a request waits for a lock: a web process gives up after ``DATABASE_LOCK_TIMEOUT`` (5 s by
default) and answers "busy, try again" (503); the worker and commands such as ``migrate`` wait as
long as it takes, since a long task stopped halfway would only have to start again."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from tests.operations.processes import REPO, TWOFOLD, environment, run

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: lock_timeout is its setting"),
]

SHOW = (
    "from django.db import connection\n"
    "with connection.cursor() as cursor:\n"
    "    cursor.execute('SHOW lock_timeout')\n"
    "    print('lock_timeout=' + cursor.fetchone()[0])\n"
)


def this_database() -> str:
    params = settings.DATABASES["default"]
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    host = f"{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}"
    return f"postgres://{params['USER']}{password}@{host}/{connection.settings_dict['NAME']}"


def web_process(env: dict[str, str]) -> str:
    # What gunicorn's workers (and runserver) load: the WSGI application, then a request's connection.
    return run([sys.executable, "-c", "import twofold.wsgi\n" + SHOW], env)


def test_web_processes_wait_for_a_lock_at_most_the_limit_and_commands_as_long_as_it_takes(tmp_path) -> None:
    env = environment(tmp_path, this_database())

    assert "lock_timeout=5s" in web_process(env)
    assert "lock_timeout=250ms" in web_process({**env, "DATABASE_LOCK_TIMEOUT": "250ms"})
    assert "lock_timeout=0" in web_process({**env, "DATABASE_LOCK_TIMEOUT": "0"})
    # A management command (the worker, migrate, an import from the command line) is not limited.
    assert "lock_timeout=0" in run([*TWOFOLD, "shell", "-c", SHOW], env)


def test_a_lock_timeout_postgresql_would_not_read_is_refused_at_start(tmp_path) -> None:
    env = {**environment(tmp_path, this_database()), "DATABASE_LOCK_TIMEOUT": "soon"}
    done = subprocess.run([*TWOFOLD, "check"], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "DATABASE_LOCK_TIMEOUT" in done.stderr
