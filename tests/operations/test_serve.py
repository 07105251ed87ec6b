"""`twofold serve` and `twofold worker` as an operator runs them: real processes, real HTTP."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from tests.operations.processes import (
    REPO,
    TWOFOLD,
    Server,
    database_count,
    environment,
    free_port,
    get,
    run,
    wait_for,
)


def booted_pids(output: str) -> list[int]:
    return [int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", output)]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A worker gunicorn has stopped may linger as a zombie until its master reaps it.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


def test_serve_answers_pages_static_files_and_probes_and_reloads_on_sighup(migrated, tmp_path) -> None:
    var_dir, database = migrated
    env = environment(var_dir, database, LOG_FORMAT="json")
    port = free_port()
    server = Server(
        [*TWOFOLD, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"], env, port, REPO, tmp_path / "serve.log"
    )
    worker = None
    try:
        server.wait_until_up()
        banner = server.output()
        assert f"Twofold serving on http://127.0.0.1:{port}" in banner
        assert "gunicorn, 2 worker processes" in banner and "tasks:    the database (django-tasks-db)" in banner
        assert ("SQLite at" in banner) != ("PostgreSQL" in banner)

        page = get(server.url + "/login/")
        assert page.status == 200 and b'name="username"' in page.body
        stylesheet = re.search(rb'href="(/static/[^"]+\.css)"', page.body)
        assert stylesheet is not None
        css = get(server.url + stylesheet.group(1).decode())
        assert css.status == 200 and css.headers["Content-Type"].startswith("text/css") and len(css.body) > 100

        # The access line for the page, as one JSON object carrying the id the response returned.
        def access_line() -> dict[str, object] | None:
            for line in server.output().splitlines():
                if line.startswith("{") and '"twofold.access"' in line:
                    entry = json.loads(line)
                    if entry["request_id"] == page.headers["X-Request-ID"]:
                        return entry
            return None

        wait_for(lambda: access_line() is not None, 10, f"no access line for /login/:\n{server.output()}")
        assert access_line() is not None
        entry = access_line() or {}
        assert entry["path"] == "/login/" and entry["status"] == 200 and "duration_ms" in entry

        # Ready once a worker beats.
        ready = get(server.url + "/readyz")
        assert ready.status == 503 and ready.json()["checks"]["worker"] == "failed"
        worker = subprocess.Popen(
            [*TWOFOLD, "worker"], env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        wait_for(lambda: get(server.url + "/readyz").status == 200, 60, "readyz never turned ready with a worker")
        assert get(server.url + "/readyz").json() == {
            "status": "ok",
            "checks": {"database": "ok", "migrations": "ok", "worker": "ok"},
        }
        worker.send_signal(signal.SIGTERM)
        worker_output, _ = worker.communicate(timeout=30)
        assert worker.returncode == 0, worker_output
        assert "tasks:     the database (django-tasks-db)" in worker_output and "heartbeat: every" in worker_output

        # SIGHUP: new workers come up, the old ones leave, and the server answers throughout.
        old = booted_pids(server.output())
        assert len(old) == 2
        server.process.send_signal(signal.SIGHUP)
        wait_for(lambda: len(booted_pids(server.output())) >= 4, 60, f"no new workers after SIGHUP:\n{server.output()}")
        new = booted_pids(server.output())[2:]
        wait_for(lambda: not any(alive(pid) for pid in old), 40, "the old workers did not stop after SIGHUP")
        # A new worker's first answer loads the URLconf and templates: slow on a loaded machine, not wrong.
        assert all(alive(pid) for pid in new) and get(server.url + "/login/", timeout=60).status == 200
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
            worker.wait()
        returncode = server.stop()
    assert returncode == 0, server.output()


def test_readyz_names_an_unreachable_database_and_healthz_still_answers(tmp_path) -> None:
    # Nothing listens on port 1: the database is unreachable, the process is up.
    env = environment(tmp_path, "postgres://twofold:secret-password@127.0.0.1:1/twofold")
    port = free_port()
    server = Server(
        [*TWOFOLD, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"], env, port, REPO, tmp_path / "serve.log"
    )
    try:
        server.wait_until_up()
        ready = get(server.url + "/readyz")
        assert ready.status == 503
        assert ready.json() == {
            "status": "failed",
            "checks": {"database": "failed", "migrations": "failed", "worker": "failed"},
        }
        assert b"secret" not in ready.body and b"127.0.0.1" not in ready.body
        assert "PostgreSQL twofold on 127.0.0.1:1" in server.output() and "secret-password" not in server.output()
    finally:
        assert server.stop() == 0, server.output()


@pytest.mark.parametrize("backend", ["database", "rq"])
def test_the_worker_runs_tasks_from_its_backend_under_the_id_of_the_request_that_queued_them(
    backend, migrated, request
) -> None:
    var_dir, database = migrated
    extra = {"LOG_FORMAT": "json", "TWOFOLD_TASKS_BACKEND": backend}
    if backend == "rq":
        extra["REDIS_URL"] = request.getfixturevalue("redis_url")
    env = environment(var_dir, database, **extra)

    # Booked for later, once however often asked (in the database's queue or RQ's scheduled jobs),
    # then one run queued now from within a request.
    queued = run(
        [
            *TWOFOLD,
            "shell",
            "-c",
            (
                "from twofold.operations.context import request_context\n"
                "from twofold.operations.tasks import scheduled_runs_cancel\n"
                "from twofold.relationships.tasks import reminders_daily, reminders_schedule\n"
                # A booking an earlier test of the run left in this database or Redis is not this one's.
                "scheduled_runs_cancel(reminders_daily)\n"
                "print('booked', reminders_schedule(at='06:45').created, reminders_schedule().created)\n"
                f"with request_context(request_id='req-{backend}'):\n"
                "    print('queued', reminders_daily.enqueue().id)\n"
            ),
        ],
        env,
    )
    assert "booked True False" in queued
    task_id = re.search(r"queued (\S+)", queued)
    assert task_id is not None
    output = run([*TWOFOLD, "worker", "--batch"], env, timeout=120)
    described = "RQ on Redis at 127.0.0.1:6379/" if backend == "rq" else "the database (django-tasks-db)"
    assert f"tasks:     {described}" in output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    task_lines = [line for line in lines if line["logger"] == "twofold.tasks"]
    assert [line["message"].split(" ")[2] for line in task_lines] == ["started", "finished"]
    assert all(line["request_id"] == f"req-{backend}" and line["task"] == "reminders_daily" for line in task_lines)
    assert any(
        f"id={task_id.group(1)} " in str(line["message"]) and "SUCCESSFUL" in str(line["message"]) for line in lines
    )
    assert database_count(database, "operations_workerheartbeat", backend=backend) >= 1

    if backend == "rq":
        # /readyz asks Redis too: it answers, and a Redis that does not is named.
        readiness = "from twofold.operations.probes import readiness; print('readiness', readiness())"
        assert "'queue': 'ok', 'worker': 'ok'}" in run([*TWOFOLD, "shell", "-c", readiness], env)
        unreachable = {**env, "REDIS_URL": "redis://127.0.0.1:1/0"}
        assert "'queue': 'failed', 'worker': 'ok'}" in run([*TWOFOLD, "shell", "-c", readiness], unreachable)


@pytest.mark.parametrize(
    ("variables", "refusal"),
    [
        ({"TWOFOLD_TASKS_BACKEND": "rq"}, "TWOFOLD_TASKS_BACKEND=rq needs REDIS_URL"),
        ({"TWOFOLD_TASKS_BACKEND": "celery"}, "TWOFOLD_TASKS_BACKEND='celery' is not one of database, rq, immediate"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT='xml' is not one of plain, json"),
    ],
)
def test_settings_refuse_a_backend_or_log_format_they_do_not_know(variables, refusal, tmp_path) -> None:
    env = environment(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}", **variables)
    done = subprocess.run([*TWOFOLD, "worker"], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and refusal in done.stderr


def test_the_immediate_backend_needs_no_worker(tmp_path) -> None:
    env = environment(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}", TWOFOLD_TASKS_IMMEDIATE="1")
    done = subprocess.run([*TWOFOLD, "worker"], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "nothing for a worker to do" in done.stderr
