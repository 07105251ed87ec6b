"""Benchmark: importing a 100,000-person HRIS export, first time and again unchanged.

Writes a CSV of a generated organisation (skills and restricted attributes included), then for each
database runs ``twofold import-people`` in a fresh process twice: into an empty directory, and the
same file again (which must change nothing). Prints JSON: wall seconds and peak resident memory of
each run. Targets (issue 2): each run ≤ 30 s and ≤ 1 GB, on SQLite and on PostgreSQL.

    python benchmarks/import_people.py [--people 100000] [--databases sqlite,postgres]
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
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from twofold.people.demo import generate_organisation, organisation_table  # noqa: E402

POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def run_measured(arguments: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run a command; wall time and its own peak RSS (from wait4, not the whole process tree)."""
    started = time.perf_counter()
    process = subprocess.Popen(arguments, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    output = process.stdout.read().decode() if process.stdout else ""
    errors = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(arguments)} failed:\n{output}\n{errors}")
    return {"seconds": round(elapsed, 2), "peak_mb": round(usage.ru_maxrss / 1024, 1), "output": output.strip()}


def postgres_database(name: str) -> str:
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{POSTGRES_SERVER}/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--databases", default="sqlite,postgres")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="twofold-bench-") as folder:
        work = Path(folder)
        started = time.perf_counter()
        organisation = generate_organisation(options.people, options.seed, as_of=date(2026, 11, 1))
        table = organisation_table(organisation)
        path = work / "people.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(table.columns)
            writer.writerows(cells for _, cells in table.rows)
        generated = time.perf_counter() - started
        figures: dict[str, object] = {
            "benchmark": "import_people",
            "people": options.people,
            "file_mb": round(path.stat().st_size / 2**20, 1),
            "generate_seconds": round(generated, 1),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "targets": {"seconds": 30, "peak_mb": 1024},
            "results": {},
        }
        for database in options.databases.split(","):
            if database == "sqlite":
                url = f"sqlite:///{work / 'bench.sqlite3'}"
            elif database == "postgres":
                url = postgres_database("twofold_bench_import")
            else:
                raise SystemExit(f"unknown database {database!r}: use sqlite or postgres")
            env = {**os.environ, "DATABASE_URL": url, "TWOFOLD_VAR_DIR": str(work / "var")}
            twofold = [sys.executable, "-m", "twofold"]
            run_measured([*twofold, "migrate", "-v0"], env)
            first = run_measured([*twofold, "import-people", str(path), "-v0"], env)
            again = run_measured([*twofold, "import-people", str(path), "-v0"], env)
            if "No changes" not in again["output"]:
                raise SystemExit(f"re-import of the unchanged file changed something:\n{again['output']}")
            figures["results"][database] = {  # type: ignore[index]
                "first_import": {key: value for key, value in first.items() if key != "output"},
                "reimport_unchanged": {key: value for key, value in again.items() if key != "output"},
            }
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
