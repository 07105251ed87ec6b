"""Benchmark: Twofold under load — `twofold serve` and `twofold worker` on PostgreSQL, driven by locust.

Builds (once; ``--reuse`` keeps it) an organisation of ``--people`` people with two long-running
programmes of ``--relationships`` pairs and about ``--meetings-per-pair`` meetings each (the scale
builder of ``benchmarks/pages.py``: the generator, then COPY), timing the build. Then serves it with
``twofold serve --workers N`` and a worker, on 127.0.0.1 only, and runs locust headless for
``--seconds`` with ``--users`` concurrent users in the mix of ``benchmarks/locustfile.py``:
participants (their pair's page, logging meetings), managers (review board, health, enrolments,
concerns), executives (insights) and directory pagers. Prints JSON: p50/p95/p99 ms, requests/s and
failures per page and overall, against the issue's targets (p95 ≤ 300 ms, p99 ≤ 1 s, 0 errors,
≥ 100 requests/s). ``--sqlite`` runs the same on SQLite for contrast.

    python benchmarks/load.py [--people 100000] [--relationships 20000] [--meetings-per-pair 25]
                              [--users 50] [--seconds 120] [--workers 5] [--reuse] [--sqlite]

The full size takes the machine for several minutes: run it only when nobody else is measuring.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.pages import IDS, PASSWORD, POSTGRES_SERVER, SETUP, free_port, python, twofold

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


def wait_until_up(base: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
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
    return {"total": total, "pages": pages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--relationships", type=int, default=20_000)
    parser.add_argument("--meetings-per-pair", type=int, default=25)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="web processes")
    parser.add_argument("--reuse", action="store_true", help="keep the database built by an earlier run")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL, for contrast")
    parser.add_argument("--database", default=DATABASE, help="the PostgreSQL database to build (dropped first)")
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
    built = "reused" if options.reuse else build(env, options, database_url)
    ids = python(IDS, env=env)
    people_pages = max(1, min(options.people, 100_000) // 50)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = subprocess.Popen(
        [sys.executable, "-m", "twofold", "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(options.workers)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "twofold", "worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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
            }
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
            stats = read_stats(prefix)
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
                "database": "SQLite" if options.sqlite else "PostgreSQL",
                "data": built,
                "web_processes": options.workers,
                "users": options.users,
                "seconds": options.seconds,
                "targets": TARGETS,
                "targets_met": met,
                **stats,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
