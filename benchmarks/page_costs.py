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
    ... python benchmarks/page_costs.py --save before/     # each page's HTML, its per-request secrets blanked
    valgrind --tool=callgrind --instr-atstart=no python benchmarks/page_costs.py --callgrind --only /concerns/

``--callgrind`` switches callgrind's instrumentation on for ``--requests`` plain requests of the page
only (no query recording), so the instructions callgrind counts, divided by ``--requests``, are what
one request costs: steadier than CPU time on a shared machine. ``--save DIR`` writes each page's HTML
with its CSRF tokens and CSP nonces blanked, for a byte-for-byte diff of a page before and after a change.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
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
    ("participant", "/programmes/mine/"),
    ("manager", "/people/?page=57"),
    ("token", "/api/v1/people?limit=50"),
    ("token", "/api/v1/people?limit=50&cursor={cursor}"),
    ("executive", "/insights/"),
]


def signed_in_clients(token_name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The load mix's viewers as test clients (the manager and the executive signed in, the
    participant as ``bench-mentor`` where the scale data made it, an API client with a service
    token; the sign-ins made if missing) and the values that fill PAGES."""
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
    participant = User.objects.filter(username="bench-mentor").first()
    if participant is not None:
        clients["participant"] = Client()
        clients["participant"].force_login(participant)
    first = clients["token"].get("/api/v1/people?limit=50").json()
    fill = {"programme": programmes[0].pk, "second": programmes[1].pk, "cursor": first.get("next_cursor", "")}
    return clients, fill


def page_without_secrets(html: bytes) -> bytes:
    """A page's HTML with what differs on every request (CSRF tokens, CSP nonces) blanked."""
    import re

    html = re.sub(rb'(name="csrfmiddlewaretoken" value=")[^"]*', rb"\\1-", html)
    html = re.sub(rb'("X-CSRFToken": ")[^"]*', rb"\\1-", html)
    return re.sub(rb'(nonce=")[^"]*', rb"\\1-", html)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--only", help="one page's address (as listed in PAGES, filled in)")
    parser.add_argument("--explain", action="store_true", help="print each query's plan, slowest first")
    parser.add_argument("--profile", action="store_true", help="cProfile one request of each page")
    parser.add_argument("--sort", default="cumulative", help="the profile's order: cumulative or tottime")
    parser.add_argument(
        "--callgrind",
        action="store_true",
        help="under valgrind --tool=callgrind --instr-atstart=no: count --requests plain requests only",
    )
    parser.add_argument("--save", type=Path, help="write each page's HTML here, per-request secrets blanked")
    arguments = parser.parse_args()

    import os

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
        if who not in clients:
            continue
        client = clients[who]
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 200, f"{url} answered {response.status_code}"
        if arguments.save:
            arguments.save.mkdir(parents=True, exist_ok=True)
            name = url.strip("/").replace("/", "_").replace("?", "_") or "root"
            (arguments.save / f"{name}.html").write_bytes(page_without_secrets(response.content))
        if arguments.callgrind:
            from benchmarks.fixed_cost import callgrind_instrument

            callgrind_instrument(on=True)
            for _ in range(arguments.requests):
                client.get(url)
            callgrind_instrument(on=False)
        cpu, client_ms, counts = [], [], []
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
