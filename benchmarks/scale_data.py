"""The scale organisation, built in one command, for the benchmarks at 100,000 people.

Makes a database (PostgreSQL by default; ``--sqlite PATH`` for the contrast) holding an
organisation of ``--people`` people with several years of career events (hires, promotions, role
and level changes, exits), the demo sign-ins, and two long-running programmes with
``--relationships`` pairs, about ``--meetings-per-pair`` meetings each, private notes, knowledge
transfers, check-ins and a match run under review as big as the reverse-mentoring programme. Prints
JSON: the seconds of each stage, the rows of each table, and the machine's load average while it
ran (the build shares the cores with whatever else runs).

    python benchmarks/scale_data.py --database twofold_scale_100k [--people 100000]
        [--relationships 20000] [--meetings-per-pair 26] [--seed 1] [--replace | --keep-existing]

``benchmarks/api.py`` copies the database it builds (``CREATE DATABASE … TEMPLATE …``) rather than
writing to it.

The stages: ``migrate``; ``people`` (the demo generator through the import's bulk writer, then the
career events); ``accounts`` (the demo sign-ins, and ``bench-mentor`` on the busiest pair);
``programmes`` (COPY, :mod:`benchmarks.scale_programmes`); ``analyze``. Every sign-in's password is
:data:`PASSWORD`. Issue 13's target: the full size in ≤ 10 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
PASSWORD = "bench-password-123"
TARGET_SECONDS = 600
# The rows the JSON reports, model by model.
COUNTED = (
    "people.Person",
    "people.PersonSkill",
    "people.CareerEvent",
    "programmes.Enrolment",
    "relationships.Relationship",
    "relationships.Meeting",
    "relationships.PrivateNote",
    "relationships.KnowledgeTransfer",
    "relationships.CheckIn",
    "matchruns.Proposal",
)


def load_average() -> float:
    """The machine's 1-minute load average: on 2 cores, above 2 means the build waited for a core."""
    return round(os.getloadavg()[0], 2)


def postgres_database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def create_postgres_database(name: str, *, replace: bool) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not replace:
            raise SystemExit(f"database {name!r} exists; --replace drops it first")
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def build(options: argparse.Namespace) -> dict[str, Any]:
    """Build into the database ``options`` name; returns what the JSON reports."""
    if options.sqlite:
        path = Path(options.sqlite).resolve()
        path.unlink(missing_ok=True)
        database_url = f"sqlite:///{path}"
    else:
        create_postgres_database(options.database, replace=options.replace)
        database_url = f"{POSTGRES_SERVER}/{options.database}"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
    os.environ.setdefault("TWOFOLD_VAR_DIR", str(ROOT / "var" / "bench-scale"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.apps import apps
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from benchmarks.scale_programmes import scale_programmes_build
    from twofold.accounts.models import User
    from twofold.accounts.services import user_upsert
    from twofold.demo.services import demo_accounts_ensure
    from twofold.people.models import CareerEvent
    from twofold.relationships.models import Relationship

    seconds: dict[str, float] = {}
    loads: dict[str, float] = {"start": load_average()}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = round(now - clock, 1)
        loads[stage] = load_average()
        clock = now

    call_command("migrate", verbosity=0)
    lap("migrate")
    with open(os.devnull, "w") as quiet:
        call_command("demo_org", people=options.people, seed=options.seed, verbosity=0, stdout=quiet)
    lap("people")
    demo_accounts_ensure(password=PASSWORD)
    lap("accounts")
    figures = scale_programmes_build(
        relationships=options.relationships,
        meetings_per_pair=options.meetings_per_pair,
        seed=options.seed + 6,
        manager=User.objects.get(username="manager"),
    )
    busiest = Relationship.objects.filter(state="active").annotate(n=Count("meetings")).order_by("-n", "pk").first()
    if busiest is not None:
        user_upsert(username="bench-mentor", password=PASSWORD, person=busiest.mentor)
    lap("programmes")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    lap("analyze")
    seconds["total"] = round(sum(seconds.values()), 1)
    rows = {label: apps.get_model(label).objects.count() for label in COUNTED}
    events = dict(CareerEvent.objects.values_list("kind").annotate(n=Count("pk")).order_by("kind"))
    return {
        "database": options.sqlite or options.database,
        "engine": connection.vendor,
        "people": options.people,
        "seed": options.seed,
        "seconds": seconds,
        "target_seconds": TARGET_SECONDS,
        "load_average_1m_after_each_stage": loads,
        "rows": rows,
        "career_events": events,
        "career_events_besides_hires": sum(n for kind, n in events.items() if kind != "hire"),
        "figures": figures.__dict__,
        "bench_mentor_relationship": busiest.pk if busiest is not None else None,
        "password": PASSWORD,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="twofold_scale", help="the PostgreSQL database to build")
    parser.add_argument("--sqlite", metavar="PATH", help="build a SQLite file instead of a PostgreSQL database")
    parser.add_argument("--replace", action="store_true", help="drop the database first if it exists")
    parser.add_argument(
        "--keep-existing", action="store_true", help="if the database exists, leave it as it is and build nothing"
    )
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--relationships", type=int, default=20_000)
    parser.add_argument("--meetings-per-pair", type=int, default=26)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    if options.keep_existing and not options.sqlite and postgres_database_exists(options.database):
        print(json.dumps({"benchmark": "scale_data", "database": options.database, "kept": True}))
        return
    built = build(options)
    print(
        json.dumps(
            {
                "benchmark": "scale_data",
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                **built,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
