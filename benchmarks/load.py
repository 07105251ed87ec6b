"""Benchmark: Twofold under load — `twofold serve` and `twofold worker` on PostgreSQL, driven by locust.

Builds (once; ``--reuse`` keeps it, ``--copy-from DB`` copies one built elsewhere, e.g. by
``benchmarks/scale_data.py``) an organisation of ``--people`` people with two long-running
programmes of ``--relationships`` pairs and about ``--meetings-per-pair`` meetings each, timing the
build. Then serves it with ``twofold serve --workers N`` (or granian, ``--server granian``, for the
comparison) and a worker, on 127.0.0.1 only, and runs locust headless for ``--seconds`` with
``--users`` concurrent users in the mix of ``benchmarks/locustfile.py``: participants (their pair's
page, logging meetings), managers (review board, health, enrolments, concerns, the directory),
executives (insights) and API clients paging people with a service token. Users hold sessions
signed in before the run (``--sign-in``: over HTTP as they start) and think ``--wait MIN MAX``
seconds between requests. Prints JSON: p50/p95/p99 ms, requests/s and failures per page and
overall, against the issue's targets (p95 ≤ 300 ms, p99 ≤ 1 s, 0 errors, ≥ 100 requests/s), the
peak memory of each web process and of the worker, the CPU used by the web processes, the worker,
locust itself and PostgreSQL (in all and per request), the load average of the machine before
and after, and the host's speed before and after (``reference_loop_cpu_ms``: the processor a fixed
piece of Python takes; the same code serves fewer requests when it is higher). ``--sqlite`` runs
the same on SQLite for contrast.

    python benchmarks/load.py [--people 100000] [--relationships 20000] [--meetings-per-pair 25]
                              [--users 50] [--seconds 120] [--workers N] [--threads 1]
                              [--database NAME] [--reuse | --copy-from DB] [--sqlite]
                              [--server gunicorn|granian] [--wait 0.1 0.5] [--sign-in]

The full size takes the machine for several minutes: run it only when nobody else is measuring.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.pages import IDS, PASSWORD, POSTGRES_SERVER, SETUP, free_port, python, twofold
from twofold.operations.management.commands.serve import default_workers

# The accounts the mix signs in as, made on a database built elsewhere (``--reuse``) when missing, and
# the API token of the clients paging people (issued anew each run, named so that it is recognised).
ACCOUNTS = """
import json, sys
import django
django.setup()
from django.db.models import Count
from twofold.accounts.models import User
from twofold.accounts.permissions import CommandLineOperator
from twofold.accounts.services import user_upsert
from twofold.accounts.tokens import issue_token
from twofold.demo.services import demo_accounts_ensure
from twofold.programmes.models import Programme
from twofold.relationships.models import Relationship

demo_accounts_ensure(password=sys.argv[1])
manager = User.objects.get(username="manager")
if not User.objects.filter(username="bench-mentor").exists():
    busiest = Relationship.objects.filter(state="active").annotate(n=Count("meetings")).order_by("-n", "pk").first()
    user_upsert(username="bench-mentor", password=sys.argv[1], person=busiest.mentor)
for programme in Programme.objects.order_by("pk")[:2]:
    programme.managers.add(manager)
_, raw = issue_token(
    actor=CommandLineOperator(), user=manager, name="load benchmark", scopes=["people:read"], kind="service"
)
# Sessions signed in beforehand, as browsers that signed in earlier hold them (signing in is a
# deliberately slow password hash, paid once per session, not per page).
from django.conf import settings
from django.test import Client
sessions = {}
for username in ("bench-mentor", "manager", "executive"):
    user = User.objects.get(username=username)
    sessions[username] = []
    for _ in range(int(sys.argv[2])):
        client = Client()
        client.force_login(user)
        sessions[username].append(client.cookies[settings.SESSION_COOKIE_NAME].value)
print(json.dumps({"token": raw, "sessions": sessions, "cookie": settings.SESSION_COOKIE_NAME}))
"""

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "twofold_bench_load"
TARGETS = {"p95_ms": 300, "p99_ms": 1000, "failures": 0, "requests_per_second": 100}


def build(env: dict[str, str], options: argparse.Namespace, database_url: str) -> dict:
    import psycopg

    database = options.database
    if database_url.startswith("postgres"):
        with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{database}"')
    else:
        Path(database_url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    started = time.perf_counter()
    twofold("migrate", "-v0", env=env)
    migrated = time.perf_counter()
    twofold("demo-org", "--people", str(options.people), "--seed", "1", "-v0", env=env)
    people = time.perf_counter()
    built = python(SETUP, PASSWORD, str(options.relationships), str(options.meetings_per_pair), env=env)
    built["build_seconds"] = {
        "migrate": round(migrated - started, 1),
        "people": round(people - migrated, 1),
        "programmes_pairs_meetings": round(time.perf_counter() - people, 1),
        "total": round(time.perf_counter() - started, 1),
    }
    if database_url.startswith("postgres"):
        with psycopg.connect(f"{POSTGRES_SERVER}/{database}", autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")
    return built


SIZES = """
import json
import django
django.setup()
from twofold.people.models import Person
from twofold.relationships.models import Meeting, Relationship
print(json.dumps({"people": Person.objects.count(), "relationships": Relationship.objects.count(),
                  "meetings": Meeting.objects.count()}))
"""


def copy_database(template: str, database: str) -> None:
    """A copy of a database built elsewhere (``CREATE DATABASE … TEMPLATE``), replacing ``database``."""
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
    with psycopg.connect(f"{POSTGRES_SERVER}/{database}", autocommit=True) as connection:
        connection.execute("ANALYZE")


class Sampler:
    """Memory (RSS) of each web process and of the worker, and the CPU time they use, while locust runs."""

    def __init__(self, serve: subprocess.Popen[bytes], worker: subprocess.Popen[bytes]) -> None:
        import psutil

        self.serve, self.worker = psutil.Process(serve.pid), psutil.Process(worker.pid)
        self.web_rss: dict[int, int] = {}
        self.worker_rss = 0
        self.started = time.monotonic()
        self.cpu_at_start = self._cpu()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _web(self) -> list[Any]:
        children = self.serve.children(recursive=True)
        return children or [self.serve]

    def _cpu(self) -> dict[str, float]:
        import psutil

        def seconds(processes: list[Any]) -> float:
            total = 0.0
            for process in processes:
                try:
                    times = process.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                total += times.user + times.system
            return total

        return {
            "web": seconds([self.serve, *self.serve.children(recursive=True)]),
            "worker": seconds([self.worker, *self.worker.children(recursive=True)]),
            # Every PostgreSQL process on the machine: on a quiet machine, the run's database.
            # Backends come and go with the web processes' connections, so each one's time is
            # followed while it lives (see _sample_postgres), not summed over those alive now.
            "postgres": self._postgres_seconds(),
        }

    def _sample_postgres(self) -> None:
        """Note each PostgreSQL process's processor seconds so far; the first sight of a process
        started before the run is its baseline, one started since counts from zero."""
        import psutil

        baseline = not hasattr(self, "postgres_seen")
        if baseline:
            self.postgres_seen: dict[int, list[float]] = {}
        for process in self._postgres():
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            used = times.user + times.system
            first, _ = self.postgres_seen.get(process.pid, (used if baseline else 0.0, used))
            self.postgres_seen[process.pid] = [first, used]

    def _postgres_seconds(self) -> float:
        self._sample_postgres()
        return sum(last - first for first, last in self.postgres_seen.values())

    @staticmethod
    def _postgres() -> list[Any]:
        import psutil

        found = []
        for process in psutil.process_iter(["name"]):
            if process.info["name"] in ("postgres", "postmaster"):
                found.append(process)
        return found

    def _run(self) -> None:
        import psutil

        while not self._stop.wait(1.0):
            self._sample_postgres()
            for process in self._web():
                try:
                    rss = process.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
                self.web_rss[process.pid] = max(self.web_rss.get(process.pid, 0), rss)
            with contextlib.suppress(psutil.NoSuchProcess):
                self.worker_rss = max(self.worker_rss, self.worker.memory_info().rss)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu_at_end = self._cpu()
        self.seconds = time.monotonic() - self.started

    def figures(self, *, locust_cpu: float, requests: int) -> dict[str, Any]:
        mb = 1024 * 1024
        used = {key: self.cpu_at_end[key] - self.cpu_at_start[key] for key in self.cpu_at_start}
        used["locust"] = locust_cpu
        return {
            "web_processes_peak_rss_mb": sorted(round(rss / mb) for rss in self.web_rss.values()),
            "worker_peak_rss_mb": round(self.worker_rss / mb),
            "cpu_seconds": {key: round(value, 1) for key, value in used.items()},
            "cores_busy": {key: round(value / self.seconds, 2) for key, value in used.items()},
            # What one request cost each side: the web processes serving it, locust asking and checking it.
            "cpu_ms_per_request": {
                key: round(1000 * used[key] / requests, 1) if requests else None
                for key in ("web", "locust", "postgres")
            },
        }


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's children that have ended: locust, once it has."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wait_until_up(base: str, process: subprocess.Popen[bytes], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"twofold serve exited with {process.returncode}")
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or its processes still booting
            pass
        time.sleep(0.3)
    raise SystemExit("twofold serve did not come up")


def read_stats(prefix: Path) -> dict:
    pages: dict[str, dict] = {}
    total: dict = {}
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            figures = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": float(row["50%"] or 0),
                "p95_ms": float(row["95%"] or 0),
                "p99_ms": float(row["99%"] or 0),
                "requests_per_second": round(float(row["Requests/s"]), 1),
            }
            if row["Name"] == "Aggregated":
                total = figures
            else:
                pages[f"{row['Type']} {row['Name']}"] = figures
    errors = []
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        with open(failures, newline="") as handle:
            errors = [
                {
                    "request": f"{row['Method']} {row['Name']}",
                    "error": row["Error"][:300],
                    "count": int(row["Occurrences"]),
                }
                for row in csv.DictReader(handle)
            ]
    return {"total": total, "pages": pages, "errors": errors}


def host_speed() -> float:
    """Milliseconds of processor a fixed piece of pure Python takes here and now (the median of
    three): the same code serves fewer requests a second when the host runs it slower, and this
    machine's speed drifts by tens of percent within an hour, so runs are compared beside it."""
    times = []
    for _ in range(3):
        started, total = time.process_time(), 0
        for number in range(3_000_000):
            total += number
        times.append(time.process_time() - started)
    return round(sorted(times)[1] * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--relationships", type=int, default=20_000)
    parser.add_argument("--meetings-per-pair", type=int, default=25)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument(
        "--workers", type=int, default=default_workers(), help="web processes (default: as `twofold serve`)"
    )
    parser.add_argument("--reuse", action="store_true", help="keep the database built by an earlier run")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL, for contrast")
    parser.add_argument("--database", default=DATABASE, help="the PostgreSQL database to build (dropped first)")
    parser.add_argument(
        "--copy-from",
        metavar="DATABASE",
        help="copy this PostgreSQL database built elsewhere into --database (CREATE DATABASE … TEMPLATE)",
    )
    parser.add_argument(
        "--wait",
        nargs=2,
        type=float,
        default=(0.1, 0.5),
        metavar=("MIN", "MAX"),
        help="seconds each user thinks between requests (50 users at 0.1–0.5 s ask for about 150 requests/s)",
    )
    parser.add_argument(
        "--sign-in",
        action="store_true",
        help="each user signs in over HTTP when it starts (default: sessions signed in before the run)",
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per web process")
    parser.add_argument("--server", choices=("gunicorn", "granian"), default="gunicorn", help="the WSGI server")
    options = parser.parse_args()

    var_dir = ROOT / "var" / ("bench-load-sqlite" if options.sqlite else "bench-load")
    var_dir.mkdir(parents=True, exist_ok=True)
    sqlite_url = f"sqlite:///{var_dir / 'twofold.sqlite3'}"
    database_url = sqlite_url if options.sqlite else f"{POSTGRES_SERVER}/{options.database}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TWOFOLD_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "twofold.settings",
        "PYTHONPATH": str(ROOT),
        "TWOFOLD_TASKS_BACKEND": "database",
        "LOG_LEVEL": "WARNING",
    }
    if options.copy_from and not options.reuse:
        copy_database(options.copy_from, options.database)
    built = "reused" if options.reuse or options.copy_from else build(env, options, database_url)
    if options.reuse or options.copy_from:
        twofold("migrate", "-v0", env=env)  # a database built by an older checkout gets this one's migrations
    accounts = python(ACCOUNTS, PASSWORD, str(0 if options.sign_in else options.users), env=env)
    ids = python(IDS, env=env)
    sizes = python(SIZES, env=env)
    people_pages = max(1, min(options.people, 100_000) // 50)

    load_before = [round(value, 2) for value in os.getloadavg()]
    speed_before = host_speed()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    if options.server == "granian":
        # The same WSGI application under granian, for the comparison (twofold serve runs gunicorn).
        command = [
            sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(options.workers), "--blocking-threads", str(options.threads), "--no-ws",
            "twofold.wsgi:application",
        ]  # fmt: skip
        twofold("collectstatic", "--no-input", "-v0", env=env)
    else:
        command = [
            sys.executable, "-m", "twofold", "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(options.workers),
            "--threads", str(options.threads),
        ]  # fmt: skip
    # The servers' own logs (errors only, LOG_LEVEL=WARNING) beside the database, to read after a run.
    serve_log = (var_dir / "serve.log").open("wb")
    serve = subprocess.Popen(command, env=env, cwd=ROOT, stdout=serve_log, stderr=subprocess.STDOUT)
    worker = subprocess.Popen(
        [sys.executable, "-m", "twofold", "worker"], env=env, cwd=ROOT, stdout=serve_log, stderr=subprocess.STDOUT
    )
    try:
        wait_until_up(base, serve)
        for _ in range(2 * options.workers):  # each web process loads its code on its first requests
            requests.get(f"{base}/login/", timeout=120)
        with tempfile.TemporaryDirectory() as scratch:
            prefix = Path(scratch) / "load"
            locust_env = {
                **env,
                "LOAD_PASSWORD": PASSWORD,
                "LOAD_RELATIONSHIPS": str(ids["relationship"]),
                "LOAD_PROGRAMMES": ",".join(str(pk) for pk in ids["programmes"][:2]),
                "LOAD_PEOPLE_PAGES": str(people_pages),
                "LOAD_API_TOKEN": accounts["token"],
                "LOAD_SESSIONS": json.dumps(accounts["sessions"]),
                "LOAD_SESSION_COOKIE": accounts["cookie"],
                "LOAD_WAIT": f"{options.wait[0]},{options.wait[1]}",
            }
            sampler = Sampler(serve, worker)
            # locust runs in one process (its users are gevent greenlets), a child of this one: the
            # CPU it used is what the ended children used more than before it.
            before_locust = children_cpu()
            with sampler:
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "locust",
                        "-f",
                        str(ROOT / "benchmarks" / "locustfile.py"),
                        "--headless",
                        "--host",
                        base,
                        "--users",
                        str(options.users),
                        "--spawn-rate",
                        str(options.spawn_rate),
                        "--run-time",
                        f"{options.seconds}s",
                        "--stop-timeout",
                        "10",
                        "--csv",
                        str(prefix),
                        "--only-summary",
                        "--loglevel",
                        "WARNING",
                    ],
                    env=locust_env,
                    cwd=ROOT,
                    check=False,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    timeout=options.seconds + 120,
                )
            locust_cpu = children_cpu() - before_locust
            stats = read_stats(prefix)
            resources = sampler.figures(locust_cpu=locust_cpu, requests=stats["total"].get("requests", 0))
    finally:
        for process in (worker, serve):
            process.terminate()
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
    total = stats["total"]
    met = {
        "p95_ms": total.get("p95_ms", 0) <= TARGETS["p95_ms"],
        "p99_ms": total.get("p99_ms", 0) <= TARGETS["p99_ms"],
        "failures": total.get("failures", 1) == 0,
        "requests_per_second": total.get("requests_per_second", 0) >= TARGETS["requests_per_second"],
    }
    print(
        json.dumps(
            {
                "benchmark": "load",
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                "load_average_1m": round(os.getloadavg()[0], 2),
                "load_average_before": load_before,
                # Lower is faster; compare runs whose figures are close.
                "reference_loop_cpu_ms": {"before": speed_before, "after": host_speed()},
                "database": "SQLite" if options.sqlite else "PostgreSQL",
                "server": options.server,
                "data": built,
                "sizes": sizes,
                "web_processes": options.workers,
                "threads_per_process": options.threads,
                "users": options.users,
                "wait_seconds": options.wait,
                "signed_in": "over HTTP during the run" if options.sign_in else "before the run",
                "seconds": options.seconds,
                "targets": TARGETS,
                "targets_met": met,
                "resources": resources,
                **stats,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
