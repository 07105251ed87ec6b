"""Adversarial instance families for the matching engine, shared by the benchmarks and the tests.

Each family attacks one assumption of the candidate search (``twofold.matching.candidates``):
price estimates from an evenly spaced sample, a few candidates per person, a sparse certificate.
Everything is deterministic for a given seed.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

# Which row group may meet which column group (rows R0-R3, columns C0-C3), and the score of every
# pair of the two groups. R0 - the needy group - may meet only C3, which R3 prefers by far; the
# only way to match everyone is R0 -> C3, R3 -> C2, R2 -> C1, R1 -> C0.
_MEETS = np.array([[0, 0, 0, 1], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]], dtype=bool)
_SCORE = np.array([[0, 0, 0, 2], [1, 2, 0, 0], [0, 1, 2, 0], [0, 0, 1, 4]], dtype=np.float64)


def sampled_rows(n: int) -> int:
    """How many of ``n`` rows the candidate search's first price sample takes (700, or an eighth
    beyond 5,600), mirrored here so that the needy group hides exactly where the sample looks away."""
    return min(n, 700) if n <= 5600 else n // 8


def block_structured(n: int, *, seed: int = 0, noise: int = 1, density: float = 1.0) -> FloatArray:
    """An n x n score matrix (NaN = not allowed) of four row and four column groups.

    The rows an evenly spaced sample of :func:`sampled_rows` rows skips form the needy group R0,
    which may meet only column group C3. The sampled rows split into R1, R2 and R3; R3 may meet C2
    and C3 and scores C3 highest of all, so a sample without R0 sees C3 as R3's and prices it so.
    Group sizes make a perfect matching exist only if every group shifts one column group down
    (R0 -> C3, R3 -> C2, R2 -> C1, R1 -> C0): augmenting paths three pairs long, through pairs no
    one ranks first. Scores within a pair of groups are tied (``noise=1``) or tie-heavy integers
    (``noise`` > 1 adds 0..noise-1); ``density`` < 1 forbids a random share of the group pairs too.
    """
    rng = np.random.default_rng(seed)
    picked = np.unique(np.linspace(0, n - 1, sampled_rows(n)).round().astype(np.int64))
    needy = np.setdiff1d(np.arange(n), picked)
    r3 = min(len(needy), len(picked) // 2)
    r12 = len(picked) - r3
    r1 = r12 // 2
    row_group = np.zeros(n, dtype=np.int64)
    position = np.arange(len(picked))
    row_group[picked] = np.where(position < r1, 1, np.where(position < r12, 2, 3))
    col_group = np.repeat(np.arange(4), [r1, r12 - r1, r3, len(needy)])
    allowed = _MEETS[row_group][:, col_group]
    if density < 1.0:
        allowed &= rng.random((n, n)) < density
    scores = _SCORE[row_group][:, col_group] + rng.integers(0, max(noise, 1), size=(n, n))
    scores[~allowed] = np.nan
    return scores
