"""Benchmark: what each participant page of the load mix costs, measured inside one process.

For each page of ``benchmarks/locustfile.py``'s participant (their pair's page, its meeting log as
htmx asks for it, logging a meeting, their programmes), signed in as ``bench-mentor`` on a copy of
the scale database (``benchmarks/scale_data.py``): the CPU time of the process per request
(``time.process_time``: the web side, middleware and templates included), the number of queries,
and the wall time spent in them (PostgreSQL's work and the round trips). Median and least of
``--requests`` after two warm-ups. Meetings logged by the run are deleted afterwards, so the pair keeps its size.
Never point it at a database others share: it signs in and logs meetings.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/COPY python benchmarks/participant_pages.py

``--callgrind`` (under ``valgrind --tool=callgrind --instr-atstart=no``) counts the instructions of the
measured requests of one page (``--only``) and nothing else: the total callgrind prints, divided by
``--requests``, is what one request costs, steady on a shared machine.

    valgrind --tool=callgrind --instr-atstart=no python benchmarks/participant_pages.py \
        --callgrind --only pair --requests 20

``--save DIR`` writes each page's HTML (the GET pages: the pair, its meeting log, my programmes) with
its per-request secrets blanked (``page_costs.page_without_secrets``), for a byte-for-byte diff of the
pages before and after a change; ``--username`` picks another participant (one with no enrolments,
one in several programmes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--username", default="bench-mentor")
    parser.add_argument("--profile", help="cProfile this page's requests (its name below) and print the top")
    parser.add_argument("--only", help="measure this page only (its name below)")
    parser.add_argument(
        "--callgrind",
        action="store_true",
        help="under valgrind --tool=callgrind --instr-atstart=no: count the requests only",
    )
    parser.add_argument("--save", type=Path, help="write each GET page's HTML here, per-request secrets blanked")
    options = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from benchmarks.fixed_cost import callgrind_instrument
    from benchmarks.page_costs import page_without_secrets
    from twofold.accounts.models import User
    from twofold.relationships.models import Meeting, Relationship
    from twofold.relationships.services.pair_log import relationship_last_met_refresh

    user = User.objects.select_related("person").get(username=options.username)
    pair = (
        Relationship.objects.filter(mentor=user.person, state="active").order_by("pk").first()
        or Relationship.objects.filter(mentee=user.person, state="active").order_by("pk").first()
    )
    assert pair is not None, f"{options.username} has no active pair"
    client = Client(enforce_csrf_checks=False)
    client.force_login(user)
    first_new_meeting = (Meeting.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    pages = {
        "pair": lambda: client.get(f"/relationships/{pair.pk}/"),
        "meetings (htmx)": lambda: client.get(f"/relationships/{pair.pk}/meetings/", HTTP_HX_REQUEST="true"),
        # As locust posts it: a plain form post, answered with a redirect (the page is a request of its own).
        "log meeting (POST)": lambda: client.post(
            f"/relationships/{pair.pk}/meetings/log/",
            {"starts_at": "2026-11-30T10:00", "duration_minutes": 45, "same_day": "yes"},
        ),
        "my programmes": lambda: client.get("/programmes/mine/"),
    }
    timings: list[float] = []

    def timed(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.append(time.perf_counter() - started)

    results = {}
    try:
        for name, request in pages.items():
            if options.only and name != options.only:
                continue
            for _ in range(2):
                response = request()
                assert response.status_code in (200, 302), f"{name} answered {response.status_code}"
            if options.save and response.status_code == 200:
                options.save.mkdir(parents=True, exist_ok=True)
                file_name = name.replace(" ", "_").replace("(", "").replace(")", "")
                (options.save / f"{file_name}.html").write_bytes(page_without_secrets(response.content))
            cpu, queries, in_queries = [], [], []
            profiler = None
            if options.profile == name:
                import cProfile

                profiler = cProfile.Profile()
            if options.callgrind:
                callgrind_instrument(on=True)
            for _ in range(options.requests):
                timings.clear()
                with connection.execute_wrapper(timed):
                    if profiler is not None:
                        profiler.enable()
                    started = time.process_time()
                    request()
                    cpu.append(time.process_time() - started)
                    if profiler is not None:
                        profiler.disable()
                queries.append(len(timings))
                in_queries.append(sum(timings))
            if options.callgrind:
                callgrind_instrument(on=False)
            results[name] = {
                "web_cpu_ms": round(statistics.median(cpu) * 1000, 1),
                # The least is the steadiest figure on a shared machine: others' load only adds to it.
                "web_cpu_min_ms": round(min(cpu) * 1000, 1),
                "queries": int(statistics.median(queries)),
                "in_queries_ms": round(statistics.median(in_queries) * 1000, 1),
                "in_queries_min_ms": round(min(in_queries) * 1000, 1),
            }
            if profiler is not None:
                import pstats

                pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
    finally:
        Meeting.objects.filter(relationship=pair, pk__gte=first_new_meeting).delete()
        relationship_last_met_refresh(pair.pk)  # its last meeting and clock as before the run
    print(
        json.dumps(
            {
                "benchmark": "participant_pages",
                "database": connection.settings_dict["NAME"],
                "pair": pair.pk,
                "meetings_on_it": Meeting.objects.filter(relationship=pair).count(),
                "requests_per_page": options.requests,
                "load_average": os.getloadavg(),
                "pages": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
