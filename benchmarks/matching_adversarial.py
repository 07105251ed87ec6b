"""The adversarial suite of ``benchmarks/matching.py``: instance families of ``benchmarks/adversarial.py``
against SciPy or an exact reference (see that script's docstring)."""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import adversarial
from benchmarks.matching_common import call, dense_scores, load_problem, peak_mb
from twofold.matching import assign, build_problem
from twofold.matching.fairness import group_minimums
from twofold.matching.flow import Transport, solve_transport
from twofold.matching.rules import eligibility


def run_family(args: argparse.Namespace) -> dict[str, Any]:
    """An adversarial instance: a score matrix (``scores.npy``) or a programme (``problem.pkl``)."""
    started = time.perf_counter()
    folder = Path(args.folder)
    if args.family in MATRIX_FAMILIES:
        np.save(folder / "scores.npy", MATRIX_FAMILIES[args.family](args.n_left, seed=args.seed))
        return {"seconds": time.perf_counter() - started}
    if args.family == "binding-fairness":
        records, policy = adversarial.binding_fairness(args.n_left, args.n_right, seed=args.seed)
    else:
        records, policy = PEOPLE_FAMILIES[args.family](args.n_left, seed=args.seed)
    with (folder / "problem.pkl").open("wb") as handle:
        pickle.dump(build_problem(records, policy).problem, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return {"people": len(records), "seconds": time.perf_counter() - started}


def run_matrix_assign(args: argparse.Namespace) -> dict[str, Any]:
    scores = np.load(Path(args.folder) / "scores.npy")
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
        "total": result.total,
        "certified_optimal": result.stats.certified,
        "method": result.stats.method,
        "rounds": result.stats.rounds,
        "phases": {name: round(value, 2) for name, value in result.stats.phases.items()},
    }


def run_matrix_scipy(args: argparse.Namespace) -> dict[str, Any]:
    from scipy.optimize import linear_sum_assignment

    scores = np.load(Path(args.folder) / "scores.npy")
    allowed = ~np.isnan(scores)
    finite = scores[allowed]
    # Most pairs first, as assign: allowed pairs earn a bonus above any difference in total.
    bonus = (min(scores.shape) + 1) * (float(finite.max() - finite.min()) + 1)
    weights = np.where(allowed, np.nan_to_num(scores) + bonus, -bonus * (min(scores.shape) + 1))
    before = peak_mb()
    started, cpu = time.perf_counter(), time.process_time()
    rows, cols = linear_sum_assignment(weights, maximize=True)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    ok = allowed[rows, cols]
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "load_average": os.getloadavg()[0],
        "peak_mb": peak_mb(),
        "peak_mb_before_solve": before,
        "pairs": int(ok.sum()),
        "total": float(scores[rows, cols][ok].sum()),
    }


def run_fair_exact(args: argparse.Namespace) -> dict[str, Any]:
    """Every allowed pair given to the exact solver with the engine's fairness minimums."""
    problem = load_problem(args.folder, None)
    scores, allowed, unit = dense_scores(problem)
    left_ok, _ = eligibility(problem.left, problem.policy, left=True)
    right_ok, _ = eligibility(problem.right, problem.policy, left=False)
    left, right = np.nonzero(allowed)
    profit = scores[left, right].astype(np.int64)
    del scores, allowed
    groups = problem.right.group[np.flatnonzero(right_ok)]
    started = time.perf_counter()
    base = Transport(
        n_left=int(left_ok.sum()),
        n_right=len(groups),
        left=left.astype(np.int64),
        right=right.astype(np.int64),
        profit=profit,
        left_capacity=problem.left.capacity[left_ok],
        right_capacity=np.ones(len(groups), dtype=np.int64),
    )
    seats = solve_transport(base).matched
    n_groups = max(len(problem.groups), int(groups.max()) + 1)
    _, minimum = group_minimums(groups, n_groups, seats, problem.policy.fairness_tolerance)
    solution = solve_transport(replace(base, right_group=groups, group_quota=minimum))
    return {
        "seconds": time.perf_counter() - started,
        "peak_mb": peak_mb(),
        "pairs": solution.matched,
        "total": float(profit[solution.chosen].sum()) / unit,
        "minimums_met": bool(solution.quota_met == int(minimum.sum())),
        "edges": len(left),
    }


MATRIX_FAMILIES = {"block-structured": adversarial.block_structured, "tie-heavy": adversarial.tie_heavy_scores}
PEOPLE_FAMILIES = {
    "deep-tree": adversarial.deep_tree,
    "bushy-tree": adversarial.bushy_tree,
    "popular-mentor": adversarial.popular_mentor,
    "clustered-skills": adversarial.clustered_skills,
}
# (family, people per side) in the full suite and in --quick.
ADVERSARIAL = [
    ("block-structured", 1400, 1400),
    ("block-structured", 5000, 1400),
    ("tie-heavy", 10000, 2000),
    ("deep-tree", 5000, 1000),
    ("bushy-tree", 5000, 1000),
    ("popular-mentor", 5000, 1000),
    ("clustered-skills", 5000, 1000),
]


def gap(reference: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """Relative total below the reference, whether the pair counts agree, and the time ratio."""
    if "total" not in reference or "total" not in result:
        return {}
    out: dict[str, Any] = {
        "gap": (reference["total"] - result["total"]) / max(abs(reference["total"]), 1e-12),
        "pairs_equal": reference["pairs"] == result["pairs"],
    }
    if "seconds" in reference and "seconds" in result:
        out["times_reference"] = result["seconds"] / max(reference["seconds"], 1e-9)
    if "cpu_seconds" in reference and "cpu_seconds" in result:
        out["cpu_times_reference"] = result["cpu_seconds"] / max(reference["cpu_seconds"], 1e-9)
    return out


def adversarial_case(family: str, n: int, options: argparse.Namespace) -> dict[str, Any]:
    label = f"{family} {n} x {n}"
    print(f"# {label} ...", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="twofold-bench-") as folder:
        out: dict[str, Any] = {"case": label}
        out["instance"] = call("family", folder, "reverse-mentoring", family=family, n_left=n, seed=options.seed)
        if family in MATRIX_FAMILIES:
            out["assign"] = call("matrix-assign", folder, "reverse-mentoring")
            out["scipy"] = call("matrix-scipy", folder, "reverse-mentoring", timeout=options.scipy_timeout)
            out["assign_vs_scipy"] = gap(out["scipy"], out["assign"])
        else:
            out["engine"] = call("engine", folder, "reverse-mentoring")
            out["engine_exact"] = call("engine", folder, "reverse-mentoring", tolerance=0.0)
            out["assign"] = call("assign", folder, "reverse-mentoring")
            out["scipy"] = call("scipy", folder, "reverse-mentoring", timeout=options.scipy_timeout)
            for name in ("engine", "engine_exact", "assign"):
                out[f"{name}_vs_scipy"] = gap(out["scipy"], out[name])
    print(json.dumps(out), file=sys.stderr, flush=True)
    return out


def fairness_case(n_sponsors: int, n_proteges: int, options: argparse.Namespace) -> dict[str, Any]:
    label = f"binding-fairness {n_sponsors} sponsors x {n_proteges} protégés"
    print(f"# {label} ...", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="twofold-bench-") as folder:
        out: dict[str, Any] = {"case": label}
        out["instance"] = call(
            "family", folder, "sponsorship", family="binding-fairness", n_left=n_sponsors, n_right=n_proteges
        )
        out["engine"] = call("engine", folder, "sponsorship")
        if n_sponsors * n_proteges <= options.fair_exact_max:
            out["exact_full_graph"] = call("fair-exact", folder, "sponsorship")
            out["engine_vs_exact"] = gap(out["exact_full_graph"], out["engine"])
    print(json.dumps(out), file=sys.stderr, flush=True)
    return out
