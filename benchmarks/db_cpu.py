"""Benchmark: the PostgreSQL backend's CPU for the load mix's pages, with or without prepared statements.

Renders each page of ``page_costs.PAGES`` ``--requests`` times (default 30) in one process and reads
the CPU of the PostgreSQL backend serving the connection from ``/proc/<pid>/stat`` (the server on this
machine), besides the queries' time as the client saw it and this process's CPU. With server-side
binding it then counts the prepared statements and their generic and custom plans; without it, the
planning and execution time (EXPLAIN ANALYZE, the fastest of three) of one request of each page.
Prints JSON. For a copy of the scale database (it adds the load mix's sign-ins and a service token,
so never point it at a database that matters):

    DATABASE_SERVER_SIDE_BINDING=0 DATABASE_URL=postgres://.../tw_copy python benchmarks/db_cpu.py --requests 30
    DATABASE_SERVER_SIDE_BINDING=1 DATABASE_URL=postgres://.../tw_copy python benchmarks/db_cpu.py --requests 30
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def backend_ticks(pid: int) -> int:
    """utime + stime of a process (fields 14 and 15 of /proc/<pid>/stat), in clock ticks."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=30, help="requests of each page (after two warm-ups)")
    options = parser.parse_args()
    if options.requests < 1:
        parser.error("--requests must be at least 1")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
    import django

    django.setup()
    from django.db import connection
    from page_costs import PAGES, signed_in_clients

    if connection.vendor != "postgresql":
        parser.error("this benchmark reads the PostgreSQL backend's CPU: set DATABASE_URL to a PostgreSQL copy")
    n = options.requests
    clients, fill = signed_in_clients("prepared statements")
    stats = {"queries": 0, "seconds": 0.0}

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            stats["seconds"] += time.perf_counter() - started
            stats["queries"] += 1

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    tick = os.sysconf("SC_CLK_TCK")
    pages: dict[str, dict[str, float]] = {}
    total = {"queries": 0.0, "seconds": 0.0, "backend_ms": 0.0, "django_ms": 0.0}
    with connection.execute_wrapper(wrapper):
        for who, pattern in PAGES:
            url = pattern.format(**fill)
            for _ in range(2):
                assert clients[who].get(url).status_code == 200, url
            stats.update(queries=0, seconds=0.0)
            ticks_before = backend_ticks(pid)
            cpu_before = time.process_time()
            for _ in range(n):
                assert clients[who].get(url).status_code == 200, url
            backend_ms = (backend_ticks(pid) - ticks_before) * 1000 / tick
            django_ms = (time.process_time() - cpu_before) * 1000
            assert connection.connection.info.backend_pid == pid, "the connection changed during the run"
            pages[url] = {
                "queries_per_request": round(stats["queries"] / n, 1),
                "query_ms_client_per_request": round(stats["seconds"] * 1000 / n, 2),
                "backend_cpu_ms_per_request": round(backend_ms / n, 2),
                "django_cpu_ms_per_request": round(django_ms / n, 1),
            }
            total["queries"] += stats["queries"]
            total["seconds"] += stats["seconds"]
            total["backend_ms"] += backend_ms
            total["django_ms"] += django_ms
    requests = n * len(PAGES)
    result: dict[str, Any] = {
        "benchmark": "db_cpu",
        "server_side_binding": bool(connection.features.uses_server_side_binding),
        "requests_per_page": n,
        "pages": pages,
        "per_request": {
            "queries": round(total["queries"] / requests, 1),
            "query_ms_client": round(total["seconds"] * 1000 / requests, 2),
            "backend_cpu_ms": round(total["backend_ms"] / requests, 2),
            "django_cpu_ms": round(total["django_ms"] / requests, 1),
        },
    }

    with connection.cursor() as cursor:
        if connection.features.uses_server_side_binding:
            cursor.execute("SELECT count(*), sum(generic_plans), sum(custom_plans) FROM pg_prepared_statements")
            count, generic, custom = cursor.fetchone()
            cursor.execute(
                "SELECT generic_plans, custom_plans, left(statement, 110) FROM pg_prepared_statements "
                "WHERE custom_plans > 5 ORDER BY custom_plans DESC LIMIT 8"
            )
            result["prepared_statements"] = {
                "count": count,
                "generic_plans": int(generic or 0),
                "custom_plans": int(custom or 0),
                "replanned_each_time": [
                    {"generic_plans": g, "custom_plans": c, "statement": s} for g, c, s in cursor.fetchall()
                ],
            }
        else:
            from django.test.utils import CaptureQueriesContext

            plans: dict[str, dict[str, float]] = {}
            for who, pattern in PAGES:
                url = pattern.format(**fill)
                with CaptureQueriesContext(connection) as captured:
                    clients[who].get(url)
                planning = execution = 0.0
                for query in captured.captured_queries:
                    if not query["sql"].lstrip().upper().startswith(("SELECT", "WITH")):
                        continue
                    best: tuple[float, float] | None = None
                    for _ in range(3):
                        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query["sql"])
                        plan = cursor.fetchone()[0][0]
                        if best is None or plan["Planning Time"] < best[0]:
                            best = (plan["Planning Time"], plan["Execution Time"])
                    assert best is not None
                    planning += best[0]
                    execution += best[1]
                plans[url] = {"planning_ms": round(planning, 2), "execution_ms": round(execution, 2)}
            result["one_request_of_each_page"] = plans
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
