"""Would a sparse skill index find candidates more cheaply than a scan of all pairs?

``python benchmarks/skill_index.py [--people N]`` prints JSON, processor seconds throughout. On the
reverse-mentoring instance of ``benchmarks/matching.py`` (N mentors and N mentees of the demo
organisation, default policy) it measures how many pairs share a skill (what an index from skills
to the people who want them would have to produce), what the sparse product that lists them costs
against the dense scan of every pair with every score feature and against the whole candidate pass
(each person's top 24, zero prices), and how many pairs of the engine's optimum share no skill at
all (pairs such an index could never propose).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.matching import organisation_for, records_for
from twofold.matching import build_problem, default_policy, match
from twofold.matching.candidate_graph import initial_candidates
from twofold.matching.candidates import quantum_for
from twofold.matching.rules import PairRules
from twofold.matching.scoring import FeatureSource, Scorer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000, help="mentors, and mentees, each (default 10,000)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    people, left, right = organisation_for("reverse-mentoring", args.people, args.people, args.seed)
    problem = build_problem(
        records_for("reverse-mentoring", people, left, right, args.seed), default_policy("reverse-mentoring")
    ).problem
    rows, cols = np.arange(len(problem.left)), np.arange(len(problem.right))
    teach, learn = sps.csr_array(problem.left.teach), sps.csr_array(problem.right.learn)
    out: dict[str, object] = {"mentors": len(rows), "mentees": len(cols), "skills": teach.shape[1]}

    clock = time.process_time()
    shared = (teach @ learn.T).tocsr()
    out["sparse_skill_product_cpu_seconds"] = round(time.process_time() - clock, 3)
    out["pairs_sharing_a_skill"] = round(shared.nnz / (len(rows) * len(cols)), 4)

    scorer = Scorer(problem, rows, cols)
    source = FeatureSource(scorer, PairRules(problem, rows, cols))
    out["score_features"] = scorer.x.shape[1]
    zero_left, zero_right = np.zeros(source.n_left), np.zeros(source.n_right)
    clock = time.process_time()
    for _block in source.scan(zero_left, zero_right):
        pass
    out["dense_scan_cpu_seconds"] = round(time.process_time() - clock, 3)
    quantum = quantum_for(source.n_left, source.n_right, source.score_bound, source.integral)
    clock = time.process_time()
    initial_candidates(source, 24, zero_left, zero_right, quantum)
    out["candidate_pass_cpu_seconds"] = round(time.process_time() - clock, 3)

    clock = time.process_time()
    result = match(problem)
    out["match_cpu_seconds"] = round(time.process_time() - clock, 3)
    left_at = {employee: at for at, employee in enumerate(problem.left.ids)}
    right_at = {employee: at for at, employee in enumerate(problem.right.ids)}
    pair_left = np.array([left_at[pair.left_id] for pair in result.pairs], dtype=np.int64)
    pair_right = np.array([right_at[pair.right_id] for pair in result.pairs], dtype=np.int64)
    without = np.asarray(shared[pair_left, pair_right]).ravel() == 0
    out["optimal_pairs"] = len(result.pairs)
    out["optimal_pairs_sharing_no_skill"] = int(without.sum())
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
