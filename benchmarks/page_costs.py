"""Benchmark: what each manager, executive and API page of the load mix costs, inside one process.

For each page: the CPU of the process serving it (``time.process_time``, the Django test client
in the same process), its queries, the time they took as the client saw it, the server's own time
for them (``EXPLAIN (ANALYZE)`` of each SELECT afterwards, the fastest of three: planning plus
execution, steadier than wall-clock time on a loaded machine) and the buffers they touched (the
work itself, whatever else the machine does). Medians of ``--requests`` after two warm-up requests.
Meant for a copy of the scale database (``benchmarks/scale_data.py``); it adds the load mix's
sign-ins there (as ``benchmarks/load.py`` does) and issues a service token, so never point it at a
database that matters.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tw_copy python benchmarks/page_costs.py [--requests 5]
    ... python benchmarks/page_costs.py --only /programmes/1/health/ --explain   # the plans, slowest first
    ... python benchmarks/page_costs.py --only /insights/ --profile             # cProfile of one request
    valgrind --tool=callgrind --instr-atstart=no python benchmarks/page_costs.py --callgrind --only /insights/

``--callgrind`` counts the instructions of the ``--requests`` measured requests only (as
``benchmarks/fixed_cost.py --callgrind`` does): divided by ``--requests``, one request's instructions,
steadier than CPU time on a shared machine.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = [
    ("manager", "/programmes/{programme}/runs/latest/"),
    ("manager", "/programmes/{programme}/health/"),
    ("manager", "/programmes/{second}/health/"),
    ("manager", "/programmes/{programme}/enrolments/"),
    ("manager", "/concerns/"),
    ("manager", "/people/?page=57"),
    ("token", "/api/v1/people?limit=50"),
    ("token", "/api/v1/people?limit=50&cursor={cursor}"),
    ("executive", "/insights/"),
]


def signed_in_clients(token_name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The load mix's viewers as test clients (the manager and the executive signed in, an API
    client with a service token; the sign-ins made if missing) and the values that fill PAGES."""
    from django.test import Client

    from twofold.accounts.models import User
    from twofold.accounts.permissions import CommandLineOperator
    from twofold.accounts.tokens import issue_token
    from twofold.demo.services import demo_accounts_ensure
    from twofold.programmes.models import Programme

    if not User.objects.filter(username="manager").exists():
        demo_accounts_ensure(password="bench-password-123")
    manager = User.objects.get(username="manager")
    programmes = list(Programme.objects.order_by("pk")[:2])
    for programme in programmes:
        programme.managers.add(manager)
    _, raw = issue_token(
        actor=CommandLineOperator(), user=manager, name=token_name, scopes=["people:read"], kind="service"
    )
    clients: dict[str, Any] = {"token": Client(HTTP_AUTHORIZATION=f"Bearer {raw}")}
    for username in ("manager", "executive"):
        clients[username] = Client()
        clients[username].force_login(User.objects.get(username=username))
    first = clients["token"].get("/api/v1/people?limit=50").json()
    fill = {"programme": programmes[0].pk, "second": programmes[1].pk, "cursor": first.get("next_cursor", "")}
    return clients, fill


def callgrind_instrument(*, on: bool) -> None:
    """Switch callgrind's instrumentation of this process on or off (it must run under callgrind)."""
    subprocess.run(
        ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())], check=True, capture_output=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--only", help="one page's address (as listed in PAGES, filled in)")
    parser.add_argument("--explain", action="store_true", help="print each query's plan, slowest first")
    parser.add_argument("--profile", action="store_true", help="cProfile one request of each page")
    parser.add_argument(
        "--callgrind",
        action="store_true",
        help="under valgrind --tool=callgrind --instr-atstart=no: count the measured requests only",
    )
    parser.add_argument("--sort", default="cumulative", help="the profile's order: cumulative or tottime")
    arguments = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clients, fill = signed_in_clients("page costs")

    results = {}
    for who, pattern in PAGES:
        url = pattern.format(**fill)
        if arguments.only and url != arguments.only:
            continue
        client = clients[who]
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 200, f"{url} answered {response.status_code}"
        cpu, client_ms, counts = [], [], []
        if arguments.callgrind:
            callgrind_instrument(on=True)
            for _ in range(arguments.requests):
                client.get(url)
            callgrind_instrument(on=False)
        for _ in range(arguments.requests):
            with CaptureQueriesContext(connection) as captured:
                started = time.process_time()
                client.get(url)
                cpu.append((time.process_time() - started) * 1000)
            counts.append(len(captured.captured_queries))
            client_ms.append(sum(float(query["time"]) for query in captured.captured_queries) * 1000)
        plans = []
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                sql = query["sql"]
                if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                    continue
                runs = []
                for _ in range(3):  # the fastest of three: the machine's other work only adds time
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
                    plan = cursor.fetchone()[0]
                    plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
                    runs.append((plan["Planning Time"] + plan["Execution Time"], sql, plan))
                plans.append(min(runs, key=lambda run: run[0]))
        results[url] = {
            "cpu_ms": round(statistics.median(cpu), 1),
            "queries": statistics.median(counts),
            "query_ms_client": round(statistics.median(client_ms), 1),
            "query_ms_server": round(sum(ms for ms, _, _ in plans), 1),
            # Pages of 8 kB the queries touched: the work itself, whatever else the machine does.
            "buffers": sum(
                plan["Plan"]["Shared Hit Blocks"] + plan["Plan"]["Shared Read Blocks"] for _, _, plan in plans
            ),
        }
        print(url, json.dumps(results[url]), flush=True)
        if arguments.explain:
            for ms, sql, _ in sorted(plans, key=lambda plan: -plan[0]):
                print(f"  {ms:8.2f} ms  {sql if ms > 2 else sql[:200]}")
                if ms > 2:
                    with connection.cursor() as cursor:
                        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                        print("\n".join(f"        {line}" for (line,) in cursor.fetchall()))
        if arguments.profile:
            profile = cProfile.Profile(time.process_time)  # CPU, not the waits of a loaded machine
            profile.enable()
            client.get(url)
            profile.disable()
            pstats.Stats(profile).sort_stats(arguments.sort).print_stats(40)


if __name__ == "__main__":
    main()
