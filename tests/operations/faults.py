"""What the fault tests share: workers in their own process groups, row locks that hold a worker at a
chosen step, and the suite's own PostgreSQL test database for the processes to use."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import psycopg
import pytest
from django.db import connection

from tests.operations.processes import REPO, TWOFOLD, environment, run, wait_for


def suite_database_url() -> str:
    """The suite's PostgreSQL test database, where a transactional test's rows are visible to other processes."""
    params = connection.settings_dict
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    return f"postgres://{params['USER']}{password}@{params['HOST']}:{params['PORT'] or 5432}/{params['NAME']}"


def require_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("fault tests need PostgreSQL: other processes share the database, and locks hold them")


def worker_environment(var_dir: Path, backend: str, redis_url: str | None, **extra: str) -> dict[str, str]:
    variables = {"TWOFOLD_TASKS_BACKEND": backend, "TWOFOLD_WORKER_HEARTBEAT_SECONDS": "1", **extra}
    if backend == "rq":
        assert redis_url is not None
        variables["REDIS_URL"] = redis_url
    return environment(var_dir, suite_database_url(), **variables)


def enqueue(env: dict[str, str], code: str) -> str:
    """Run ``code`` that queues a task, returning what it printed: here when ``env``'s backend is the
    database (the suite's own), else in a process configured for RQ."""
    if env["TWOFOLD_TASKS_BACKEND"] != "database":
        return run([*TWOFOLD, "shell", "-c", code], env)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(code, {})
    return printed.getvalue()


class Worker:
    """``twofold worker`` in a process group of its own: SIGKILL takes RQ's work horse with it."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self._file = log.open("wb")
        self.process = subprocess.Popen(
            [*TWOFOLD, "worker", "--interval", "0.2"],
            env=env,
            cwd=REPO,
            stdout=self._file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the worker and every process it started (RQ's work horse leads a session of its own)."""
        family = psutil.Process(self.process.pid).children(recursive=True)
        os.killpg(self.process.pid, signal.SIGKILL)
        for process in family:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        psutil.wait_procs(family, timeout=30)
        self.process.wait(timeout=30)
        self._file.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill()


@contextmanager
def holding(sql: str, *params: Any) -> Iterator[psycopg.Connection[Any]]:
    """Row locks taken by ``sql`` (a ``SELECT … FOR UPDATE``) in an open transaction of another connection."""
    with psycopg.connect(suite_database_url().replace("postgres://", "postgresql://", 1)) as holder:
        holder.execute(sql, params)
        try:
            yield holder
        finally:
            holder.rollback()


def backends_waiting_on_a_lock() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return [row[0] for row in cursor.fetchall()]


def wait_until_blocked(worker: Worker | None = None, timeout: float = 90) -> int:
    """The process id of the database backend the worker waits in, once it waits on a held lock."""
    wait_for(
        lambda: bool(backends_waiting_on_a_lock()) or (worker is not None and worker.process.poll() is not None),
        timeout,
        "the worker never reached the held lock" + (f":\n{worker.output()}" if worker else ""),
    )
    assert worker is None or worker.process.poll() is None, worker.output()
    return backends_waiting_on_a_lock()[0]


def terminate_backend(pid: int) -> None:
    """Drop one connection from outside, as a database restart or a network cut would."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
