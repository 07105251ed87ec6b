"""Benchmark: the PostgreSQL backend's CPU for the load mix's pages, with or without prepared statements.

Renders each page of ``page_costs.PAGES`` N times (default 30) in one process and reads the CPU of
the PostgreSQL backend serving the connection from ``/proc/<pid>/stat`` (the server on this machine),
besides the queries' time as the client saw it and this process's CPU. With server-side binding
it then counts the prepared statements and their generic and custom plans; without it, the planning
and execution time (EXPLAIN ANALYZE) of one request of each page. For a copy of the scale database:

    DATABASE_SERVER_SIDE_BINDING=0 DATABASE_URL=postgres://.../tw_copy python benchmarks/db_cpu.py 30
    DATABASE_SERVER_SIDE_BINDING=1 DATABASE_URL=postgres://.../tw_copy python benchmarks/db_cpu.py 30
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def backend_ticks(pid: int) -> int:
    """utime + stime of a process (fields 14 and 15 of /proc/<pid>/stat), in clock ticks."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
    import django

    django.setup()
    from django.db import connection
    from page_costs import PAGES, signed_in_clients

    N = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    clients, fill = signed_in_clients("prepared statements")

    stats = {"q": 0, "wall": 0.0}

    def wrapper(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            stats["wall"] += time.perf_counter() - t
            stats["q"] += 1

    with connection.cursor() as c:
        c.execute("SELECT pg_backend_pid()")
        pid = c.fetchone()[0]
    print(
        "server_side_binding:",
        connection.settings_dict["OPTIONS"].get("server_side_binding"),
        "cursor:",
        type(connection.connection.cursor()).__name__,
        "pid",
        pid,
    )
    tick = os.sysconf("SC_CLK_TCK")
    total = {"q": 0, "wall": 0.0, "be": 0, "cpu": 0.0}
    with connection.execute_wrapper(wrapper):
        for who, pattern in PAGES:
            url = pattern.format(**fill)
            for _ in range(2):
                assert clients[who].get(url).status_code == 200, url
            stats.update(q=0, wall=0.0)
            b0 = backend_ticks(pid)
            c0 = time.process_time()
            for _ in range(N):
                r = clients[who].get(url)
                assert r.status_code == 200
            be = (backend_ticks(pid) - b0) * 1000 / tick
            cpu = (time.process_time() - c0) * 1000
            assert connection.connection.info.backend_pid == pid
            print(
                f"{url:45s} q/req={stats['q'] / N:5.1f} query_wall/req={stats['wall'] * 1000 / N:7.2f}ms "
                f"backendCPU/req={be / N:6.2f}ms djangoCPU/req={cpu / N:6.1f}ms"
            )
            total["q"] += stats["q"]
            total["wall"] += stats["wall"]
            total["be"] += be
            total["cpu"] += cpu
    n = N * len(PAGES)
    print(
        f"TOTAL per request: q={total['q'] / n:.1f} query_wall={total['wall'] * 1000 / n:.2f}ms "
        f"backendCPU={total['be'] / n:.2f}ms djangoCPU={total['cpu'] / n:.1f}ms"
    )

    with connection.cursor() as c:
        if connection.features.uses_server_side_binding:
            c.execute("SELECT count(*), sum(generic_plans), sum(custom_plans) FROM pg_prepared_statements")
            print("prepared statements, generic plans, custom plans:", c.fetchone())
            c.execute(
                "SELECT generic_plans, custom_plans, left(statement, 110) FROM pg_prepared_statements "
                "WHERE custom_plans > 5 ORDER BY custom_plans DESC LIMIT 8"
            )
            for row in c.fetchall():
                print("   replanned each time:", row)
        else:
            from django.test.utils import CaptureQueriesContext

            plan_ms = exec_ms = 0.0
            for who, pattern in PAGES:
                url = pattern.format(**fill)
                with CaptureQueriesContext(connection) as cap:
                    clients[who].get(url)
                p = e = 0.0
                for q in cap.captured_queries:
                    if not q["sql"].lstrip().upper().startswith(("SELECT", "WITH")):
                        continue
                    best = None
                    for _ in range(3):
                        c.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + q["sql"])
                        plan = c.fetchone()[0][0]
                        if best is None or plan["Planning Time"] < best[0]:
                            best = (plan["Planning Time"], plan["Execution Time"])
                    p += best[0]
                    e += best[1]
                print(f"{url:45s} planning={p:6.2f}ms execution={e:6.2f}ms")
                plan_ms += p
                exec_ms += e
            print(f"ALL PAGES once: planning={plan_ms:.2f}ms execution={exec_ms:.2f}ms")


if __name__ == "__main__":
    main()
