"""Helpers shared by the matching benchmark suites (``benchmarks/matching.py``)."""

from __future__ import annotations

import json
import os
import pickle
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from twofold.matching.rules import PairRules, eligibility
from twofold.matching.scoring import Scorer

# Every measured run is a subprocess of this script, so that its peak memory is its own.
SCRIPT = Path(__file__).with_name("matching.py")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_problem(folder: str, tolerance: float | None) -> Any:
    with (Path(folder) / "problem.pkl").open("rb") as handle:
        problem = pickle.load(handle)
    if tolerance is not None:
        problem = replace(problem, policy=replace(problem.policy, optimality_tolerance=tolerance))
    return problem


def dense_scores(problem: Any) -> tuple[np.ndarray, np.ndarray, float]:
    """Integer scores of every eligible pair (as float64) and the allowed mask, block by block."""
    left_ok, _ = eligibility(problem.left, problem.policy, left=True)
    right_ok, _ = eligibility(problem.right, problem.policy, left=False)
    left_index, right_index = np.flatnonzero(left_ok), np.flatnonzero(right_ok)
    scorer = Scorer(problem, left_index, right_index)
    rules = PairRules(problem, left_index, right_index)
    scores = np.empty((len(left_index), len(right_index)))
    allowed = np.empty(scores.shape, dtype=bool)
    cols = np.arange(len(right_index))
    for start in range(0, len(left_index), 500):
        rows = np.arange(start, min(start + 500, len(left_index)))
        scores[rows] = scorer.x[rows] @ scorer.y.T
        allowed[rows] = rules.allowed_block(rows, cols)
    return scores, allowed, float(scorer.unit)


def call(step: str, folder: str, kind: str, timeout: float | None = None, **extra: Any) -> dict[str, Any]:
    command = [sys.executable, str(SCRIPT), "--step", step, "--folder", folder, "--kind", kind]
    for key, value in extra.items():
        if value is not None and value is not False:
            command += [f"--{key.replace('_', '-')}"] + ([] if value is True else [str(value)])
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "twofold.settings")}
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        return {"timeout_seconds": timeout, "note": f"did not finish within {timeout:.0f} s"}
    if done.returncode != 0:
        return {
            "error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}",
            "wall_seconds": time.perf_counter() - started,
        }
    return json.loads(done.stdout.strip().splitlines()[-1])
