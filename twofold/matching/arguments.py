"""Checks of what the library's public functions are given, each refusal a ``ValueError`` naming
the argument.

Several entry points take the same kinds of values - seat counts (:func:`~twofold.matching.assign`,
:func:`~twofold.matching.stable_match`, :meth:`~twofold.matching.Side.create`), a score matrix,
a tolerance, a whole number - so each kind is checked here once, and a mistake (a seat count of
1.7, a capacity given as text, a masked array, a NaN tolerance) is refused with the same words
wherever it is made, never silently truncated, ignored or turned into an infinite total.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, TypeGuard

import numpy as np
import scipy.sparse as sps
from numpy.typing import ArrayLike, NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Largest magnitude accepted for levels, seat counts and codes: far beyond any organisation, far
#: below where differences and sums of them could overflow 64-bit integers.
LARGEST_WHOLE = 10**9


def is_whole(value: object) -> TypeGuard[float]:
    """A whole number given as a number (``3``, ``np.int64(3)``, ``3.0``), not text or a boolean."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        return False
    return math.isfinite(float(value)) and float(value) == math.floor(float(value))


def whole_number(value: object, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an ``int`` after checking it is a whole number within the bounds."""
    bounds = _bounds_text(minimum, maximum)
    if not is_whole(value):
        raise ValueError(f"{name} must be a whole number{bounds}, not {value!r}")
    number = int(float(value))
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ValueError(f"{name} must be a whole number{bounds}, not {value!r}")
    return number


def whole_numbers(
    value: ArrayLike,
    n: int,
    name: str,
    *,
    per: str = "person",
    minimum: int | None = 0,
    maximum: int = LARGEST_WHOLE,
) -> IntArray:
    """One whole number per item (a single number stands for all ``n``), as int64.

    Refuses text, booleans, fractions (1.7 is not silently 1), NaN and numbers out of bounds.
    """
    low = -maximum if minimum is None else minimum
    bounds = _bounds_text(low, maximum)
    array = np.asarray(value)
    if array.ndim == 0:
        array = np.full(n, array)
    if array.shape != (n,):
        raise ValueError(f"{name} must have one entry per {per} ({n}), not shape {array.shape}")
    if array.dtype.kind not in "iuf":
        kind = "text" if array.dtype.kind in "USO" else f"{array.dtype} values"
        raise ValueError(f"{name} must hold whole numbers{bounds}, not {kind}")
    if array.dtype.kind == "f":
        finite = np.isfinite(array)
        if not finite.all() or not np.all(array == np.floor(array)):
            at = int(np.flatnonzero(~finite | (array != np.floor(np.where(finite, array, 0))))[0])
            raise ValueError(f"{name} must hold whole numbers{bounds}; entry {at} is {array[at].item()!r}")
    outside = (array < low) | (array > maximum)
    if outside.any():
        at = int(np.flatnonzero(outside)[0])
        raise ValueError(f"{name} must hold whole numbers{bounds}; entry {at} is {array[at].item()!r}")
    return array.astype(np.int64)


def index_pairs(value: ArrayLike | None, name: str, n_left: int, n_right: int) -> IntArray:
    """An (m, 2) array of (left index, right index) pairs, each a whole number in range."""
    if value is None:
        return np.zeros((0, 2), dtype=np.int64)
    array = np.asarray(value)
    if array.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"{name} must be an (m, 2) array of (left, right) indices, not shape {array.shape}")
    flat = whole_numbers(array.ravel(), array.size, name, per="index", minimum=0)
    pairs = flat.reshape(-1, 2)
    outside = (pairs[:, 0] >= n_left) | (pairs[:, 1] >= n_right)
    if outside.any():
        left, right = pairs[int(np.flatnonzero(outside)[0])].tolist()
        raise ValueError(
            f"{name} has an index out of range: ({left}, {right}) with {n_left} left and {n_right} right people"
        )
    return pairs


def booleans(value: ArrayLike, n: int, name: str, *, per: str = "person") -> NDArray[np.bool_]:
    """One True/False per item: booleans or 0/1 numbers, never text ("no" is not True)."""
    array = np.asarray(value)
    if array.ndim == 0:
        array = np.full(n, array)
    if array.shape != (n,):
        raise ValueError(f"{name} must have one entry per {per} ({n}), not shape {array.shape}")
    if array.dtype.kind != "b" and (array.dtype.kind not in "iuf" or not np.isin(array, (0, 1)).all()):
        raise ValueError(f"{name} must hold True or False (or 1 or 0) for each {per}")
    return array.astype(bool)


def flag(value: object, name: str) -> bool:
    """True or False, nothing else (a string such as "no" would otherwise count as True)."""
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be True or False, not {value!r}")
    return bool(value)


def tolerance(value: object, name: str) -> float:
    """A relative tolerance: a number from 0 to below 1 (NaN and negative numbers refused)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real) or not 0 <= float(value) < 1:
        raise ValueError(f"{name} must be a number from 0 (exact) to below 1, not {value!r}")
    return float(value)


def score_matrix(scores: Any) -> FloatArray | sps.sparray:
    """A dense float matrix (NaN = not allowed) or the SciPy sparse matrix as given.

    A NumPy masked array's masked entries are pairs that are not allowed, like NaN. Text,
    complex numbers and anything but two dimensions are refused.
    """
    if sps.issparse(scores):
        if scores.dtype.kind not in "biuf":
            raise ValueError(f"scores must hold real numbers, not {scores.dtype} values")
        return scores
    if np.ma.isMaskedArray(scores):
        data = np.ma.getdata(scores)
        if data.dtype.kind not in "biuf":
            raise ValueError(f"scores must hold real numbers (NaN or masked = pair not allowed), not {data.dtype}")
        return np.ma.filled(np.ma.asarray(scores, dtype=np.float64), np.nan)
    array = np.asarray(scores)
    if array.dtype.kind == "O":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError("scores must hold real numbers (NaN = pair not allowed), not text or objects") from None
    if array.dtype.kind not in "biuf":
        kind = "text" if array.dtype.kind in "US" else f"{array.dtype} values"
        raise ValueError(f"scores must hold real numbers (NaN = pair not allowed), not {kind}")
    if array.ndim != 2:
        raise ValueError(f"scores must be a 2-D array (rows = left, columns = right), not {array.ndim}-D")
    # No copy of a float64 matrix (800 MB at 10,000 x 10,000): the library only ever reads it.
    return np.asarray(array, dtype=np.float64)


def total_fits(score_bound: float, pairs: int, name: str = "scores") -> None:
    """Refuse scores so large that a total of ``pairs`` of them (or the prices that prove it
    optimal) would overflow to infinity."""
    # Totals, prices and the bounds that prove optimality are sums of a few such numbers per pair.
    if score_bound * 16.0 * max(pairs, 1) > np.finfo(np.float64).max:
        raise ValueError(
            f"{name} are too large: up to {pairs:,} pairs of scores up to {score_bound:.3g} would make an "
            "infinite total; scale them down (only their ratios matter)"
        )


def _bounds_text(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f" from {low:,} to {high:,}"
    if low is not None:
        return f" >= {low:,}"
    if high is not None:
        return f" <= {high:,}"
    return ""
