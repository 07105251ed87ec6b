"""Benchmark: the REST API and SCIM at 100,000 people, over real HTTP against ``twofold serve``.

Copies the scale organisation (``benchmarks/scale_data.py``; ``--template``, by default
``twofold_scale_100k``) into a database of its own, migrates the copy, issues a programme manager's
personal token and an org admin's SCIM service token, serves it with ``twofold serve`` on 127.0.0.1
and times each operation ``--requests`` times, one request at a time, after a warm-up: the
directory (first page, a page deep in, filters, search, one person), programmes, relationships,
a match run's proposals, the insights headlines (read from the snapshot of the page across
programmes, computed here first as the daily run computes it); and what an identity provider
does (look a User up by userName, list a page, read one, change a manager, create, deactivate).
Writes go to different people each time. Prints JSON: p50/p95/p99 milliseconds per operation and the machine's
load average. Target (issue 11): p95 ≤ 300 ms for each.

    python benchmarks/api.py [--template twofold_scale_100k] [--requests 60] [--write-requests 20] [--reuse]

Without the template, build it first: ``python benchmarks/scale_data.py --database twofold_scale_100k``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.pages import POSTGRES_SERVER, free_port, python

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "twofold_bench_api"
TARGET_P95_MS = 300
SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
TWOFOLD = "urn:ietf:params:scim:schemas:extension:twofold:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

SETUP = """
import json, random, sys
import django
django.setup()
from django.db.models import Count
from twofold.accounts.models import User
from twofold.accounts.permissions import CommandLineOperator
from twofold.accounts.tokens import issue_token
from twofold.matchruns.models import MatchRun
from twofold.people.models import Person
from twofold.programmes.models import Programme

rng = random.Random(int(sys.argv[1]))
count = int(sys.argv[2])
operator = CommandLineOperator()
manager = User.objects.get(username="manager")
_, reader = issue_token(
    actor=manager,
    user=manager,
    name="API benchmark",
    scopes=["people:read", "programmes:read", "relationships:read", "insights:read", "matchruns:write"],
    kind="personal",
)
_, scim = issue_token(actor=operator, user=User.objects.get(username="admin"), name="SCIM benchmark",
                      scopes=["scim"], kind="service")
# Individual contributors (nobody reports to them): moving one never closes a manager cycle.
leaves = list(
    Person.objects.filter(active=True, level__lte=3, reports__isnull=True).values_list("pk", flat=True)[:20000]
)
managers = list(Person.objects.filter(active=True, level__range=(5, 8)).values_list("pk", flat=True))
chosen = rng.sample(leaves, 2 * count)
run = MatchRun.objects.order_by("pk").first()
# The figures across programmes, computed as the daily run (the worker) computes them.
from twofold.insights.snapshots import View, snapshot_compute, snapshot_refresh
snapshot_compute(snapshot_refresh(operator, View(programme=None)).pk, with_pdf=False)
print(json.dumps({
    "reader": reader,
    "scim": scim,
    "programmes": list(Programme.objects.order_by("pk").values_list("pk", flat=True)),
    "run": [run.programme_id, run.pk],
    "person": rng.choice(leaves),
    "user_names": list(Person.objects.filter(pk__in=rng.sample(leaves, count)).values_list("email", flat=True)),
    "to_move": chosen[:count],
    "to_deactivate": chosen[count:],
    "managers": rng.sample(managers, count),
    "middle_id": Person.objects.order_by("pk").values_list("pk", flat=True)[50000],
}))
"""


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))], 1)

    return {"p50_ms": round(statistics.median(ordered), 1), "p95_ms": at(0.95), "p99_ms": at(0.99)}


def refuse_unless(response: requests.Response, ok: tuple[int, ...]) -> None:
    if response.status_code not in ok:
        raise SystemExit(f"{response.request.method} {response.url}: {response.status_code} {response.text[:500]}")


def timed(count: int, call: Callable[[int], requests.Response], ok: tuple[int, ...], warm: int = 3) -> dict:
    """``call(n)`` for n in 0..count-1, after ``warm`` calls (of the reads only) not counted."""
    for n in range(warm):
        response = call(n)
        refuse_unless(response, ok)
    samples = []
    for n in range(count):
        started = time.perf_counter()
        response = call(n)
        samples.append((time.perf_counter() - started) * 1000)
        refuse_unless(response, ok)
    figures = percentiles(samples)
    print(f"{response.request.method} {response.url}: {figures}", file=sys.stderr, flush=True)
    return figures


def cursor_after(pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": pk}).encode()).decode().rstrip("=")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", default="twofold_scale_100k", help="the scale database to copy")
    parser.add_argument("--database", default=DATABASE, help="the copy (dropped first)")
    parser.add_argument("--requests", type=int, default=60, help="timed requests per read")
    parser.add_argument(
        "--write-requests", type=int, default=20, help="timed creates and manager changes (each moves the tree)"
    )
    parser.add_argument("--workers", type=int, default=2, help="web processes of twofold serve")
    parser.add_argument("--reuse", action="store_true", help="keep the copy made by an earlier run")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    options = parser.parse_args()

    import psycopg

    env = {
        **os.environ,
        "DATABASE_URL": f"{POSTGRES_SERVER}/{options.database}",
        "TWOFOLD_VAR_DIR": str(ROOT / "var" / "bench-api"),
        "DJANGO_SETTINGS_MODULE": "twofold.settings",
        "PYTHONPATH": str(ROOT),
        "TWOFOLD_TASKS_BACKEND": "database",
        "LOG_LEVEL": "WARNING",
    }
    if not options.reuse:
        with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{options.database}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{options.database}" TEMPLATE "{options.template}"')
    subprocess.run([sys.executable, "-m", "twofold", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    with psycopg.connect(f"{POSTGRES_SERVER}/{options.database}", autocommit=True) as connection:
        connection.execute("ANALYZE")
    ids = python(SETUP, str(options.seed), str(max(options.requests, options.write_requests)), env=env)
    rm, _ = ids["programmes"][:2]
    run_programme, run = ids["run"]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "twofold", "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(options.workers)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {ids['reader']}"
    scim = requests.Session()
    scim.headers.update({"Authorization": f"Bearer {ids['scim']}", "Content-Type": "application/scim+json"})
    count, writes = options.requests, options.write_requests
    tag = f"b{options.seed}"
    try:
        for _ in range(300):
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet
                pass
            time.sleep(0.3)
        for _ in range(4 * options.workers):  # each web process loads its code on its first requests
            api.get(f"{base}/api/v1/programmes", timeout=120)
        v1, scim_root = f"{base}/api/v1", f"{base}/scim/v2"
        reads: dict[str, str] = {
            "GET /api/v1/people": "/people",
            "GET /api/v1/people (a page halfway through)": f"/people?cursor={cursor_after(ids['middle_id'])}",
            "GET /api/v1/people?department&level": "/people?department=Engineering&level=3",
            "GET /api/v1/people?q=lee": "/people?q=lee",
            "GET /api/v1/people/{id}": f"/people/{ids['person']}",
            "GET /api/v1/programmes": "/programmes",
            "GET /api/v1/programmes/{id}": f"/programmes/{rm}",
            "GET /api/v1/relationships": "/relationships",
            "GET /api/v1/programmes/{id}/match-runs/{id}/proposals": (
                f"/programmes/{run_programme}/match-runs/{run}/proposals"
            ),
            "GET /api/v1/insights/programmes": "/insights/programmes",
        }
        results: dict[str, dict[str, float]] = {}
        for name, path in reads.items():
            results[name] = timed(count, lambda _, path=path: api.get(v1 + path, timeout=60), (200,))
        user_names = ids["user_names"]
        results['SCIM GET /Users?filter=userName eq "…"'] = timed(
            count,
            lambda n: scim.get(f"{scim_root}/Users", params={"filter": f'userName eq "{user_names[n]}"'}, timeout=60),
            (200,),
        )
        results["SCIM GET /Users (a page of 100)"] = timed(
            count, lambda n: scim.get(f"{scim_root}/Users", params={"startIndex": 1 + 100 * n, "count": 100}), (200,)
        )
        results["SCIM GET /Users/{id}"] = timed(
            count, lambda n: scim.get(f"{scim_root}/Users/{ids['to_move'][n]}", timeout=60), (200,)
        )

        def patch(pk: int, operations: list[dict[str, Any]]) -> requests.Response:
            body = {"schemas": [PATCH], "Operations": operations}
            return scim.patch(f"{scim_root}/Users/{pk}", data=json.dumps(body), timeout=60)

        results["SCIM PATCH /Users/{id} (manager)"] = timed(
            writes,
            lambda n: patch(
                ids["to_move"][n],
                [{"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"value": str(ids["managers"][n])}}],
            ),
            (200, 204),
            warm=0,
        )

        def create(n: int) -> requests.Response:
            body = {
                "schemas": [SCIM_USER, ENTERPRISE, TWOFOLD],
                "userName": f"{tag}.new{n}@bench.example",
                "name": {"givenName": "Nia", "familyName": f"New {n}"},
                "emails": [{"value": f"{tag}.new{n}@bench.example", "type": "work", "primary": True}],
                "active": True,
                ENTERPRISE: {"employeeNumber": f"{tag.upper()}{n:05d}", "manager": {"value": str(ids["managers"][n])}},
                TWOFOLD: {"level": "2", "highPotential": False},
            }
            return scim.post(f"{scim_root}/Users", data=json.dumps(body), timeout=60)

        results["SCIM POST /Users"] = timed(writes, create, (201,), warm=0)
        # Deactivating does not move anyone in the tree: as many as the reads.
        results["SCIM PATCH /Users/{id} (active: false)"] = timed(
            count,
            lambda n: patch(ids["to_deactivate"][n], [{"op": "replace", "value": {"active": False}}]),
            (200, 204),
            warm=0,
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    worst = max(result["p95_ms"] for result in results.values())
    print(
        json.dumps(
            {
                "benchmark": "api",
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                "load_average_1_5_15m": [round(figure, 2) for figure in os.getloadavg()],
                "database": f"PostgreSQL, a copy of {options.template}",
                "web_processes": options.workers,
                "requests_per_read": count,
                "requests_per_write": writes,
                "target_p95_ms": TARGET_P95_MS,
                "worst_p95_ms": worst,
                "operations_over_target": [
                    name for name, result in results.items() if result["p95_ms"] > TARGET_P95_MS
                ],
                "operations": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
