"""Matching engine figures: ``python benchmarks/matching.py [--suite scale|adversarial|all] [--quick]``.

Prints JSON. Two suites:

**scale** (``--sizes 1000,5000,...``): instances come from the demo organisation
(``twofold.people.demo``): reverse mentoring pairs the active people at levels 1-3 (mentors) with
those at 6 and above (mentees), n of each, spread evenly over an organisation large enough to hold
n mentees; sponsorship pairs 5,000 sponsors (level 7 and above, 3 seats each) with 15,000
high-potential protégés, with the fairness target on the ``gender`` attribute. Skills, levels,
departments, locations and the management tree are the demo's; protégés' aspirations are not in
the demo data, so each aspires to their own department (60 %) or to another one drawn at random
(seeded).

Every measured run is its own subprocess, so that its peak resident memory (``ru_maxrss``) is its
own: the engine (``match``) on a pickled problem, SciPy's dense ``linear_sum_assignment`` on the
same integer scores (where it fits ``--scipy-max``; with a time limit), an exact reference over
every allowed pair (SciPy's result, or OR-Tools on the full graph when SciPy ran out of time), and
``twofold match-csv`` end to end on a file of the same people.

**adversarial** (``benchmarks/adversarial.py``): families built to break the candidate search -
a block-structured matrix whose needy rows the price sample skips, independently generated
tie-heavy integer scores (dense ``assign`` against SciPy), deep and bushy management trees, one
mentor everyone prefers, clustered skills (the engine, dense ``assign`` and SciPy on the same
scores), and a sponsorship where the fairness minimum binds (5,000 sponsors x 15,000 protégés;
its exact reference, with the same minimums, only where the full graph fits: ``--quick``). Every
row reports seconds, peak memory, pairs, total and the gap to the reference.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import math
import os
import pickle
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.matching_adversarial import (
    ADVERSARIAL,
    adversarial_case,
    fairness_case,
    run_fair_exact,
    run_family,
    run_matrix_assign,
    run_matrix_scipy,
)
from benchmarks.matching_common import call, dense_scores, load_problem, peak_mb
from twofold.matching import PersonRecord, assign, build_problem, default_policy, match
from twofold.matching.flow import Transport, solve_transport
from twofold.people.demo import generate_organisation

MENTEE_SHARE = 0.15  # share of a demo organisation at levels 6 and above (measured: 15.5-16 %)
SPONSOR_SHARE = 0.075  # at level 7 and above (7.8 %)
PROTEGE_SHARE = 0.07  # active, flagged high potential (7.4 %)


def spread(items: list[Any], count: int) -> list[Any]:
    """``count`` items evenly spaced over ``items`` (deterministic)."""
    positions = np.linspace(0, len(items) - 1, num=count).round().astype(int)
    return [items[i] for i in np.unique(positions)]


def organisation_for(kind: str, n_left: int, n_right: int, seed: int) -> tuple[list[Any], list[Any], list[Any]]:
    """A demo organisation holding enough people of both roles, and the chosen ones."""
    if kind == "reverse-mentoring":
        size = math.ceil(n_right / MENTEE_SHARE) + 1000
    else:
        size = max(math.ceil(n_left / SPONSOR_SHARE), math.ceil(n_right / PROTEGE_SHARE)) + 1000
    while True:
        people = generate_organisation(size, seed=seed).people
        if kind == "reverse-mentoring":
            left = [p for p in people if p.active and p.level <= 3]
            right = [p for p in people if p.active and p.level >= 6]
        else:
            left = [p for p in people if p.active and p.level >= 7]
            right = [p for p in people if p.active and p.high_potential and p.level < 7]
        if len(left) >= n_left and len(right) >= n_right:
            return people, spread(left, n_left), spread(right, n_right)
        size = int(size * 1.1)


def records_for(kind: str, people: list[Any], left: list[Any], right: list[Any], seed: int) -> list[PersonRecord]:
    rng = np.random.default_rng(seed)
    departments = sorted({p.department for p in people})
    role_of = {p.employee_id: ("mentor" if kind == "reverse-mentoring" else "sponsor") for p in left}
    role_of.update({p.employee_id: ("mentee" if kind == "reverse-mentoring" else "protege") for p in right})
    records = []
    for person in people:
        role = role_of.get(person.employee_id)
        record = PersonRecord(
            employee_id=person.employee_id, level=person.level, manager_id=person.manager_id, role=role
        )
        if role is not None:
            record.department = person.department
            record.location = person.location
            record.teach = {s.name: s.proficiency for s in person.skills if s.can_teach}
            record.learn = {s.name: s.proficiency for s in person.skills if s.wants_to_learn}
            record.high_potential = person.high_potential
            record.group = str((person.attributes or {}).get("gender", ""))
            if role == "protege":
                record.aspiration = person.department if rng.random() < 0.6 else str(rng.choice(departments))
        records.append(record)
    return records


def write_people_csv(records: list[PersonRecord], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "employee_id",
                "manager_id",
                "role",
                "level",
                "department",
                "location",
                "skills_teach",
                "skills_learn",
                "high_potential",
                "group",
                "aspiration",
            ]
        )
        for r in records:
            writer.writerow(
                [
                    r.employee_id,
                    r.manager_id or "",
                    r.role or "",
                    r.level,
                    r.department,
                    r.location,
                    ";".join(f"{k}:{v}" for k, v in r.teach.items()),
                    ";".join(f"{k}:{v}" for k, v in r.learn.items()),
                    "yes" if r.high_potential else "no",
                    r.group,
                    r.aspiration,
                ]
            )


# --- subprocess entry points --------------------------------------------------------------------


def run_instance(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    people, left, right = organisation_for(args.kind, args.n_left, args.n_right, args.seed)
    records = records_for(args.kind, people, left, right, args.seed)
    policy = default_policy(args.kind)
    if args.kind == "sponsorship":
        # The demo's levels: every chosen sponsor and protégé is eligible.
        policy = replace(policy, left_levels=(7, 10), influence_level=7)
    roster = build_problem(records, policy)
    folder = Path(args.folder)
    with (folder / "problem.pkl").open("wb") as handle:
        pickle.dump(roster.problem, handle, protocol=pickle.HIGHEST_PROTOCOL)
    if args.write_csv:
        write_people_csv(records, folder / "people.csv")
    return {"organisation": len(people), "seconds": time.perf_counter() - started}


def run_engine(args: argparse.Namespace) -> dict[str, Any]:
    problem = load_problem(args.folder, args.tolerance)
    before = peak_mb()
    cpu = time.process_time()
    result = match(problem)
    stats = result.stats
    out = {
        "seconds": stats.seconds,
        "cpu_seconds": time.process_time() - cpu,
        "load_average": os.getloadavg()[0],
        "peak_mb": peak_mb(),
        "peak_mb_before_match": before,
        "pairs": len(result.pairs),
        "total": result.total,
        "certified_optimal": stats.certified,
        "proven_gap_bound": stats.gap_bound,
        "edges": stats.edges,
        "rounds": stats.rounds,
        "solver": stats.solver,
        "phases": {name: round(value, 2) for name, value in stats.phases.items()},
        "unmatched": len(result.unmatched),
    }
    if result.fairness is not None:
        out["fairness"] = {
            "feasible": result.fairness.feasible,
            "groups": {
                g.group: {"eligible": g.eligible, "minimum": g.minimum, "matched": g.matched}
                for g in result.fairness.groups
            },
        }
    return out


def run_scipy(args: argparse.Namespace) -> dict[str, Any]:
    from scipy.optimize import linear_sum_assignment

    problem = load_problem(args.folder, None)
    scores, allowed, unit = dense_scores(problem)
    # Allowed pairs earn a bonus above any difference in total score: most pairs first, as the engine.
    bonus = (min(scores.shape) + 1) * (scores.max() + 1)
    weights = np.where(allowed, scores + bonus, -bonus * min(scores.shape))
    del scores
    before = peak_mb()
    started, cpu = time.perf_counter(), time.process_time()
    rows, cols = linear_sum_assignment(weights, maximize=True)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    ok = allowed[rows, cols]
    total = float((weights[rows, cols][ok] - bonus).sum()) / unit
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "load_average": os.getloadavg()[0],
        "peak_mb": peak_mb(),
        "peak_mb_before_solve": before,
        "pairs": int(ok.sum()),
        "total": total,
    }


def run_assign(args: argparse.Namespace) -> dict[str, Any]:
    """The ``assign`` primitive on the same scores as a dense matrix (NaN = not allowed), exact."""

    problem = load_problem(args.folder, None)
    scores, allowed, unit = dense_scores(problem)
    scores[~allowed] = np.nan
    del allowed
    before = peak_mb()
    cpu = time.process_time()
    result = assign(scores)
    return {
        "seconds": result.stats.seconds,
        "cpu_seconds": time.process_time() - cpu,
        "load_average": os.getloadavg()[0],
        "peak_mb": peak_mb(),
        "peak_mb_before_solve": before,
        "pairs": len(result.pairs),
        "total": result.total / unit,
        "certified_optimal": result.stats.certified,
        "method": result.stats.method,
        "rounds": result.stats.rounds,
    }


def run_exact(args: argparse.Namespace) -> dict[str, Any]:
    """OR-Tools on the graph of every allowed pair: exact, independent of the candidate search."""
    problem = load_problem(args.folder, None)
    scores, allowed, unit = dense_scores(problem)
    left, right = np.nonzero(allowed)
    profit = scores[left, right].astype(np.int64)
    del scores, allowed
    transport = Transport(
        n_left=len(problem.left),
        n_right=len(problem.right),
        left=left.astype(np.int64),
        right=right.astype(np.int64),
        profit=profit,
        left_capacity=problem.left.capacity,
        right_capacity=problem.right.capacity,
    )
    started = time.perf_counter()
    solution = solve_transport(transport)
    return {
        "seconds": time.perf_counter() - started,
        "pairs": solution.matched,
        "total": float(profit[solution.chosen].sum()) / unit,
        "edges": len(left),
    }


def run_csv(args: argparse.Namespace) -> dict[str, Any]:
    from twofold.__main__ import main as twofold

    folder = Path(args.folder)
    command = ["match-csv", str(folder / "people.csv"), "--kind", args.kind, "--out", str(folder / "pairs.csv")]
    if args.tolerance is not None:
        # Exact mode (tolerance 0) or another proven gap, through a policy file as a user would.
        policy = folder / "policy.toml"
        policy.write_text(f"[rules]\noptimality_tolerance = {args.tolerance}\n", encoding="utf-8")
        command += ["--policy", str(policy)]
    started, cpu = time.perf_counter(), time.process_time()
    summary = io.StringIO()
    with contextlib.redirect_stdout(summary):
        twofold([*command, "--verbosity", "0"])
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    with (folder / "pairs.csv").open(encoding="utf-8") as handle:
        pairs = sum(1 for _ in handle) - 1
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "load_average": os.getloadavg()[0],
        "peak_mb": peak_mb(),
        "pairs": pairs,
        "file_mb": (folder / "people.csv").stat().st_size / 2**20,
        # The command's own summary: the proven gap and the time of each step (read, prepare, ...).
        "summary": [line for line in summary.getvalue().splitlines() if "pairs," in line or "Time:" in line],
    }


# --- the driver ---------------------------------------------------------------------------------


def case(kind: str, n_left: int, n_right: int, options: argparse.Namespace) -> dict[str, Any]:
    label = f"{kind} {n_left} x {n_right}"
    print(f"# {label} ...", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="twofold-bench-") as folder:
        with_csv = options.csv and kind == "reverse-mentoring" and n_left == max(options.sizes)
        instance = call("instance", folder, kind, n_left=n_left, n_right=n_right, seed=options.seed, write_csv=with_csv)
        out: dict[str, Any] = {"case": label, "instance": instance}
        out["engine"] = call("engine", folder, kind)
        if options.exact_engine:
            out["engine_exact"] = call("engine", folder, kind, tolerance=0.0)
        dense_gb = n_left * n_right * 8 * 3 / 2**30
        if kind == "reverse-mentoring" and max(n_left, n_right) <= options.scipy_max:
            out["scipy_dense"] = call("scipy", folder, kind, timeout=options.scipy_timeout)
        else:
            out["scipy_dense"] = {
                "skipped": f"{n_left} x {n_right} dense needs about {dense_gb:.1f} GB and is "
                f"above --scipy-max {options.scipy_max}"
            }
        if kind == "reverse-mentoring" and max(n_left, n_right) <= options.scipy_max:
            out["assign_dense"] = call("assign", folder, kind)
        reference = out["scipy_dense"] if "total" in out["scipy_dense"] else None
        if reference is None and kind == "reverse-mentoring" and max(n_left, n_right) <= options.exact_max:
            reference = out["exact_full_graph"] = call("exact", folder, kind)
        engine = out["engine"]
        if reference is not None and "total" in reference and "total" in engine:
            out["gap_to_exact"] = (reference["total"] - engine["total"]) / abs(reference["total"])
            out["pairs_match_exact"] = reference["pairs"] == engine["pairs"]
        if "seconds" in out["scipy_dense"] and "seconds" in engine:
            out["speedup_vs_scipy"] = out["scipy_dense"]["seconds"] / engine["seconds"]
            if "seconds" in out.get("engine_exact", {}):
                out["speedup_vs_scipy_exact_engine"] = out["scipy_dense"]["seconds"] / out["engine_exact"]["seconds"]
            if "seconds" in out.get("assign_dense", {}):
                out["speedup_vs_scipy_assign_dense"] = out["scipy_dense"]["seconds"] / out["assign_dense"]["seconds"]
            # Processor time too: on a shared machine it moves far less with the load than wall time.
            for name in ("engine", "assign_dense"):
                if "cpu_seconds" in out.get(name, {}) and "cpu_seconds" in out["scipy_dense"]:
                    out[f"cpu_speedup_vs_scipy_{name}"] = out["scipy_dense"]["cpu_seconds"] / out[name]["cpu_seconds"]
        elif "timeout_seconds" in out["scipy_dense"] and "seconds" in engine:
            out["speedup_vs_scipy_at_least"] = out["scipy_dense"]["timeout_seconds"] / engine["seconds"]
        if with_csv:
            out["match_csv"] = call("csv", folder, kind)
            if options.exact_engine:
                out["match_csv_exact"] = call("csv", folder, kind, tolerance=0.0)
    print(json.dumps(out), file=sys.stderr, flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", choices=["scale", "adversarial", "all"], default="all")
    parser.add_argument("--quick", action="store_true", help="small sizes only (a few minutes in all)")
    parser.add_argument("--sizes", help="people per side, reverse mentoring (default 1000,...,50000; quick 1000,5000)")
    parser.add_argument("--no-sponsorship", dest="sponsorship", action="store_false", help="skip the sponsorship cases")
    parser.add_argument("--no-csv", dest="csv", action="store_false", help="skip match-csv on the largest size")
    parser.add_argument("--exact-engine", action="store_true", help="also run the engine with tolerance 0")
    parser.add_argument("--scipy-max", type=int, default=10000, help="largest side given to SciPy (default 10000)")
    parser.add_argument("--scipy-timeout", type=float, default=900.0, help="seconds SciPy may take (default 900)")
    parser.add_argument("--exact-max", type=int, default=10000, help="largest side with an exact reference")
    parser.add_argument(
        "--fair-exact-max", type=int, default=5_000_000, help="most pairs for the binding-fairness exact reference"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="reverse-mentoring", help=argparse.SUPPRESS)
    parser.add_argument("--family", help=argparse.SUPPRESS)
    parser.add_argument("--n-left", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--n-right", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tolerance", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--write-csv", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.step:
        runner = {
            "instance": run_instance,
            "engine": run_engine,
            "scipy": run_scipy,
            "assign": run_assign,
            "exact": run_exact,
            "csv": run_csv,
            "family": run_family,
            "matrix-assign": run_matrix_assign,
            "matrix-scipy": run_matrix_scipy,
            "fair-exact": run_fair_exact,
        }[options.step]
        print(json.dumps(runner(options)))
        return
    sizes = options.sizes or ("1000,5000" if options.quick else "1000,5000,10000,20000,50000")
    options.sizes = [int(size) for size in sizes.split(",") if size]
    results = []
    if options.suite in ("scale", "all"):
        results += [case("reverse-mentoring", n, n, options) for n in options.sizes]
        if options.sponsorship:
            results.append(case("sponsorship", 5000, 15000, options))
    if options.suite in ("adversarial", "all"):
        seen = set()
        for family, full, quick in ADVERSARIAL:
            n = quick if options.quick else full
            if (family, n) not in seen:
                seen.add((family, n))
                results.append(adversarial_case(family, n, options))
        if options.sponsorship:
            sponsors = 500 if options.quick else 5000
            results.append(fairness_case(sponsors, 3 * sponsors, options))
    load = os.getloadavg()
    print(json.dumps({"machine": {"cpus": os.cpu_count(), "load_average": load}, "cases": results}, indent=2))


if __name__ == "__main__":
    main()
