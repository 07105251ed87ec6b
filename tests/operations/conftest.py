"""A Redis database of this test run's own, and a migrated database that other processes can use."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.operations.processes import TWOFOLD, database_drop, database_url, environment, run

REDIS_HOST = "redis://127.0.0.1:6379"
LOCK_KEY = "twofold-tests:lock"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The first of Redis's databases 1–15 no other test run holds, emptied of RQ's keys.

    An unreachable Redis fails the tests that need it (it never skips them): CI runs Redis.
    """
    token = secrets.token_hex(8)
    try:
        redis.Redis.from_url(f"{REDIS_HOST}/0", socket_connect_timeout=3).ping()
    except redis.exceptions.ConnectionError as error:
        raise AssertionError(f"Redis at 127.0.0.1:6379 is not reachable; the task tests need it ({error})") from None
    for number in range(1, 16):
        client = redis.Redis.from_url(f"{REDIS_HOST}/{number}")
        if client.set(LOCK_KEY, token, nx=True, ex=3600):
            break
    else:
        raise AssertionError("every Redis database 1-15 is held by another test run")
    _clear(client)
    yield f"{REDIS_HOST}/{number}"
    _clear(client)
    if client.get(LOCK_KEY) == token.encode():
        client.delete(LOCK_KEY)


def _clear(client: redis.Redis) -> None:
    for key in client.scan_iter("rq:*"):
        client.delete(key)


@pytest.fixture(scope="session")
def migrated(
    tmp_path_factory: pytest.TempPathFactory, django_db_setup, django_db_blocker
) -> Iterator[tuple[Path, str]]:
    """A var directory and a database with every migration applied, for `twofold serve` and `worker`."""
    var_dir = tmp_path_factory.mktemp("twofold-var")
    with django_db_blocker.unblock():
        database = database_url("processes", var_dir)
    run([*TWOFOLD, "migrate", "--no-input", "-v", "0"], environment(var_dir, database))
    yield var_dir, database
    with django_db_blocker.unblock():
        database_drop("processes")
