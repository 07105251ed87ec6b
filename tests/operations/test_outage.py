"""`twofold serve` while its PostgreSQL database goes away and comes back, without restarting serve.

The shared PostgreSQL server cannot be restarted from a test; its restart is played on the test's
own database instead: every connection to it terminated, new ones refused
(``ALLOW_CONNECTIONS false``), then accepted again.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from tests.operations.processes import REPO, TWOFOLD, Server, _postgres_admin, environment, free_port, get, wait_for

pytestmark = pytest.mark.postgres


def database_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_serve_answers_503_while_its_database_is_down_and_200_once_it_is_back(migrated, tmp_path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("plays a PostgreSQL restart")
    var_dir, database = migrated
    name = database_of(database)
    port = free_port()
    server = Server(
        [*TWOFOLD, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        environment(var_dir, database),
        port,
        REPO,
        tmp_path / "serve.log",
    )
    # A page that reads the database for an anonymous visitor: a password-reset link is looked up.
    page = server.url + reverse("password_reset_confirm", kwargs={"uidb64": "MQ", "token": "set-password"})
    try:
        server.wait_until_up()
        assert get(page).status == 200
        with _postgres_admin() as admin:
            try:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [name],
                )
                # A hang would time out here: the answer must come, and say "later".
                for _ in range(3):
                    down = get(page, timeout=30)
                    assert down.status == 503, down.body[:500]
                    assert down.headers["Retry-After"] == "5" and b"briefly unavailable" in down.body
                ready = get(server.url + "/readyz", timeout=30)
                assert ready.status == 503 and ready.json()["checks"]["database"] == "failed"
                assert get(server.url + "/healthz", timeout=30).status == 200
            finally:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        wait_for(lambda: get(page).status == 200, 30, f"serve did not recover:\n{server.output()}")
        assert server.process.poll() is None  # the same serve, never restarted
        assert "Internal Server Error" not in server.output()
    finally:
        assert server.stop() == 0, server.output()
