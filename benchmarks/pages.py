"""Benchmark: every page's response time on an enterprise-sized organisation, on PostgreSQL.

Builds (once; ``--reuse`` keeps it) a database with a generated organisation of ``--people``
people and two long-running programmes with ``--relationships`` pairs and about
``--meetings-per-pair`` meetings each, serves it with ``twofold runserver`` in a separate
process, signs in as each role over real HTTP, and times each page ``--requests`` times after a
warm-up. Prints JSON: p50, p95 and max milliseconds per page. Target (issue 5): p95 ≤ 300 ms
for every page at 100,000 people, ≥ 20,000 relationships and ≥ 500,000 meetings.

The insights pages (issue 10: p95 ≤ 500 ms, the PDF report ≤ 10 s) read snapshots a worker
computes: before serving, the benchmark computes each programme's and the cross-programme
snapshot (and one department's, as a filtered view asked for on demand) as the worker would,
timing each and the PDF's typesetting, then times the pages, a table download and the PDF
download read from them. ``--database NAME`` times an existing database (e.g. a copy of one built
by ``benchmarks/scale_data.py``, whose sign-ins share this password) instead of building one;
``--only insights`` times the insights pages alone.

    python benchmarks/pages.py [--people 100000] [--relationships 20000] [--meetings-per-pair 26]
    python benchmarks/pages.py --database tw_copy --only insights --requests 20
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
DATABASE = "twofold_bench_pages"
PASSWORD = "bench-password-123"

SETUP = """
import json, sys
import django
django.setup()
from django.db.models import Count
from twofold.accounts.services import user_upsert
from twofold.demo.services import demo_accounts_ensure
from twofold.relationships.models import Relationship
from benchmarks.scale_programmes import scale_programmes_build

logins = demo_accounts_ensure(password=sys.argv[1])
from twofold.accounts.models import User
manager = User.objects.get(username="manager")
figures = scale_programmes_build(relationships=int(sys.argv[2]), meetings_per_pair=int(sys.argv[3]), manager=manager)
busiest = (
    Relationship.objects.filter(state="active").annotate(n=Count("meetings")).order_by("-n", "pk").first()
)
user_upsert(username="bench-mentor", password=sys.argv[1], person=busiest.mentor)
print(json.dumps({"figures": figures.__dict__, "relationship": busiest.pk, "meetings_on_it": busiest.n}))
"""

IDS = """
import json
import django
django.setup()
from twofold.people.models import Person
from twofold.programmes.models import Programme
from twofold.relationships.models import Relationship
from django.db.models import Count
busiest = Relationship.objects.filter(state="active").annotate(n=Count("meetings")).order_by("-n", "pk").first()
person = Person.objects.filter(active=True, level=5).order_by("employee_id").first()
print(json.dumps({
    "programmes": list(Programme.objects.order_by("pk").values_list("pk", flat=True)),
    "relationship": busiest.pk,
    "person": person.pk,
    "manager_of_many": Person.objects.filter(level=9).order_by("employee_id").first().pk,
}))
"""


SNAPSHOTS = """
import json, time
import django
django.setup()
from django.db.models import Count
from twofold.accounts.permissions import CommandLineOperator
from twofold.insights.snapshots import View, snapshot_compute, snapshot_content, snapshot_refresh, started_programmes
from twofold.people.models import Person

operator, seconds = CommandLineOperator(), {}
for programme in [None, *started_programmes()]:
    snapshot = snapshot_compute(snapshot_refresh(operator, View(programme=programme)).pk)
    seconds[snapshot.key] = {"snapshot_s": snapshot.compute_seconds, "payload_kb": len(snapshot.payload) // 1024}
    if programme is not None:
        started = time.perf_counter()
        snapshot_content(snapshot).as_pdf()
        seconds[snapshot.key]["pdf_typeset_s"] = round(time.perf_counter() - started, 2)
# A filtered view, as a viewer's first visit queues it: the largest department of the first programme.
department = Person.objects.values("department").annotate(n=Count("pk")).order_by("-n").first()["department"]
programme = started_programmes().first()
snapshot = snapshot_compute(snapshot_refresh(operator, View(programme=programme, department=department)).pk)
seconds[snapshot.key] = {"snapshot_s": snapshot.compute_seconds, "payload_kb": len(snapshot.payload) // 1024}
print(json.dumps({"views": seconds, "department": department}))
"""


def twofold(*arguments: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "twofold", *arguments], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"twofold {' '.join(arguments)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def python(code: str, *arguments: str, env: dict[str, str]) -> dict:
    result = subprocess.run([sys.executable, "-c", code, *arguments], env=env, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"setup failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def signed_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the sign-in page"
    response = session.post(
        f"{base}/login/",
        data={"csrfmiddlewaretoken": token.group(1), "username": username, "password": PASSWORD},
        headers={"Referer": f"{base}/login/"},
        allow_redirects=False,
    )
    assert response.status_code == 302, f"{username} could not sign in"
    return session


def timings(session: requests.Session, url: str, count: int) -> dict[str, float]:
    for _ in range(2):
        warm = session.get(url)
        if warm.status_code != 200:
            raise SystemExit(f"{url} answered {warm.status_code}")
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = session.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 1),
        "max_ms": round(samples[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--relationships", type=int, default=20_000)
    parser.add_argument("--meetings-per-pair", type=int, default=26)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--reuse", action="store_true", help="keep the database built by an earlier run")
    parser.add_argument("--database", help="time this existing database (migrated here first) instead of building one")
    parser.add_argument("--only", choices=("all", "insights"), default="all", help="which pages to time")
    options = parser.parse_args()
    database = options.database or DATABASE

    import psycopg

    env = {
        **os.environ,
        "DATABASE_URL": f"{POSTGRES_SERVER}/{database}",
        # The pages read the insights snapshots computed below, as a worker would have.
        "TWOFOLD_INSIGHTS_LIVE": "0",
        "TWOFOLD_VAR_DIR": str(ROOT / "var" / "bench-pages"),
        "DJANGO_SETTINGS_MODULE": "twofold.settings",
        "PYTHONPATH": str(ROOT),
    }
    built: dict = {}
    if options.database:
        twofold("migrate", "-v0", env=env)
    elif not options.reuse:
        with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}"')
            connection.execute(f'CREATE DATABASE "{DATABASE}"')
        started = time.perf_counter()
        twofold("migrate", "-v0", env=env)
        twofold("demo-org", "--people", str(options.people), "--seed", "1", "-v0", env=env)
        built = python(SETUP, PASSWORD, str(options.relationships), str(options.meetings_per_pair), env=env)
        built["build_seconds"] = round(time.perf_counter() - started, 1)
        with psycopg.connect(f"{POSTGRES_SERVER}/{DATABASE}", autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")
    ids = python(IDS, env=env)
    rm, sp = ids["programmes"][:2]
    snapshots = python(SNAPSHOTS, env=env)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "twofold", "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/login/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        insights = {
            "manager": [
                "/insights/",
                f"/insights/programmes/{rm}/",
                f"/insights/programmes/{sp}/",
                f"/insights/programmes/{rm}/tables/funnel.csv",
                f"/insights/programmes/{rm}/report.csv",
                f"/insights/programmes/{rm}/report.pdf",
                f"/insights/programmes/{sp}/report.pdf",
                f"/insights/programmes/{rm}/?department={requests.utils.quote(snapshots['department'])}",
            ],
            "executive": ["/insights/", f"/insights/programmes/{sp}/"],
        }
        pages = {
            "manager": [
                "/programmes/",
                f"/programmes/{rm}/",
                f"/programmes/{rm}/enrolments/",
                f"/programmes/{sp}/enrolments/?role=mentee&page=20",
                f"/programmes/{rm}/health/",
                f"/programmes/{rm}/runs/latest/",
                f"/programmes/{rm}/runs/latest/?page=100",
                "/concerns/",
                "/people/",
                "/people/?q=lee",
                "/people/?department=Engineering&level=3&page=10",
                f"/people/{ids['manager_of_many']}/",
                "/people/import/",
                "/insights/",
            ],
            "bench-mentor": [
                "/programmes/mine/",
                f"/relationships/{ids['relationship']}/",
                f"/people/{ids['person']}/",
                "/people/me/skills/",
            ],
            "executive": ["/insights/"],
        }
        if options.only == "insights":
            pages = {}
        results: dict[str, dict[str, float]] = {}
        for username, urls in [*pages.items(), *insights.items()]:
            session = signed_in(base, username)
            for url in urls:
                results[f"{username} {url}"] = timings(session, f"{base}{url}", options.requests)
    finally:
        server.terminate()
        server.wait(timeout=10)
    insight_results = {name: result for name, result in results.items() if "/insights/" in name}
    worst = max(result["p95_ms"] for name, result in results.items() if name not in insight_results) if pages else None
    pages_worst = max(
        (result["p95_ms"] for name, result in insight_results.items() if "report.pdf" not in name), default=None
    )
    print(
        json.dumps(
            {
                "benchmark": "pages",
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                "database": "PostgreSQL",
                "data": built or "reused",
                "requests_per_page": options.requests,
                "target_p95_ms": 300,
                "worst_p95_ms": worst,
                "insights": {
                    "target_p95_ms": 500,
                    "worst_page_p95_ms": pages_worst,
                    "pdf_target_s": 10,
                    "pdf_download_p95_ms": max(
                        result["p95_ms"] for name, result in insight_results.items() if "report.pdf" in name
                    ),
                    "snapshots": snapshots,
                },
                "load_average": os.getloadavg(),
                "pages": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
