"""Twofold as an operator runs it: commands in their own processes, on a database of their own.

pytest-django's test database may live in memory (SQLite), where no other process can see it, so
these tests migrate a fresh database of their own: an SQLite file, or a PostgreSQL database beside
the test one when the suite runs on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection

REPO = Path(__file__).resolve().parents[2]
TWOFOLD = [sys.executable, "-m", "twofold"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _postgres_admin() -> psycopg.Connection[Any]:
    params = settings.DATABASES["default"]
    return psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def database_url(name: str, var_dir: Path) -> str:
    """A new, empty database named after the suite's own, on the suite's engine."""
    if connection.vendor != "postgresql":
        return f"sqlite:///{var_dir / 'twofold.sqlite3'}"
    params = settings.DATABASES["default"]
    database = f"{connection.settings_dict['NAME']}_{name}"
    with _postgres_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{database}"')
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    return f"postgres://{params['USER']}{password}@{params['HOST']}:{params['PORT'] or 5432}/{database}"


def database_count(url: str, table: str, **where: str) -> int:
    """Rows of ``table`` in the database at ``url`` (an SQLite file or PostgreSQL), read directly."""
    condition = " AND ".join(f"{column} = %s" for column in where) or "TRUE"
    sql = f"SELECT count(*) FROM {table} WHERE {condition}"
    if url.startswith("sqlite:///"):
        import sqlite3

        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as database:
            return int(database.execute(sql.replace("%s", "?"), tuple(where.values())).fetchone()[0])
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as database:
        row = database.execute(sql, tuple(where.values())).fetchone()
        return int(row[0]) if row else 0


def database_drop(name: str) -> None:
    if connection.vendor == "postgresql":
        with _postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{connection.settings_dict["NAME"]}_{name}" WITH (FORCE)')


def environment(var_dir: Path, database: str, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TWOFOLD_", "DJANGO_"))}
    for key in ("DATABASE_URL", "REDIS_URL", "LOG_FORMAT", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "WEB_CONCURRENCY"):
        env.pop(key, None)
    env.update({"TWOFOLD_VAR_DIR": str(var_dir), "DATABASE_URL": database, "PYTHONUNBUFFERED": "1", **extra})
    return env


def run(command: list[str], env: dict[str, str], cwd: Path = REPO, timeout: float = 180) -> str:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def get(url: str, timeout: float = 10) -> Response:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return Response(answer.status, dict(answer.headers), answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, dict(error.headers), error.read())


@dataclass
class Server:
    """``twofold serve`` in its own process group, its output collected in a file."""

    command: list[str]
    env: dict[str, str]
    port: int
    cwd: Path
    log: Path
    process: subprocess.Popen[bytes] = field(init=False)

    def __post_init__(self) -> None:
        self.log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            self.command, env=self.env, cwd=self.cwd, stdout=self.log_file, stderr=subprocess.STDOUT
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_up(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"serve exited {self.process.returncode}:\n{self.output()}"
            try:
                if get(self.url + "/healthz", timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"serve did not answer within {timeout} s:\n{self.output()}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()
        return self.process.returncode


def wait_for(condition: Any, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(message)
