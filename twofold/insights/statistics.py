"""Estimates with intervals, from statsmodels: pure functions over plain arrays, no Django.

Every interval here comes from a library routine (statsmodels' weighted least squares with a
heteroskedasticity-robust covariance, its Wilson interval, its Kaplan–Meier estimator and band);
this module only chooses the routine, hands it the arrays and names what comes back. Why
statsmodels and not lifelines or SciPy alone: see the README ("Statistics").

"Too few to say" is a statistical judgement, not a privacy rule: an interval from a normal
approximation means little below :data:`MIN_PEOPLE_FOR_AN_ESTIMATE` people a group, when the
outcome happened (or failed to happen) fewer than :data:`MIN_OUTCOMES_FOR_AN_ESTIMATE` times in
both groups together, or when in one group everyone or nobody had it. Whether a figure may be
*shown* at all is decided by :mod:`twofold.privacy`, before any of this runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from statsmodels.duration.survfunc import SurvfuncRight
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

CONFIDENCE = 0.95
# A group smaller than this (people, or effective people for a weighted group) gives no interval.
MIN_PEOPLE_FOR_AN_ESTIMATE = 10
# The outcome, and its absence, must each be seen at least this often across both groups.
MIN_OUTCOMES_FOR_AN_ESTIMATE = 5


@dataclass(frozen=True)
class Rate:
    """A share with its 95 % interval; ``estimate`` is None when there is too little to say."""

    n: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class Difference:
    """Participants' rate minus the (weighted) comparison group's rate, with its 95 % interval.

    ``enough`` is False ("too few to say") when a group is too small or the outcome too rare or too
    common for the interval to mean anything; the estimates are then None.
    """

    participants_n: int
    comparison_n: int
    comparison_effective_n: float
    participants_rate: float | None
    comparison_rate: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    enough: bool

    def as_json(self) -> dict[str, float | int | bool | None]:
        return {
            "participants_n": self.participants_n,
            "comparison_n": self.comparison_n,
            "comparison_effective_n": round(self.comparison_effective_n, 1),
            "participants_rate": self.participants_rate,
            "comparison_rate": self.comparison_rate,
            "difference": self.difference,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "too_few_to_say": not self.enough,
        }


def wilson_interval(successes: int, n: int) -> Rate:
    """A share of ``n`` people with the Wilson score interval (statsmodels ``proportion_confint``)."""
    if n < MIN_PEOPLE_FOR_AN_ESTIMATE:
        return Rate(n=n, estimate=None, ci_low=None, ci_high=None)
    low, high = proportion_confint(successes, n, alpha=1 - CONFIDENCE, method="wilson")
    return Rate(n=n, estimate=successes / n, ci_low=float(low), ci_high=float(high))


def effective_size(weights: Sequence[float] | np.ndarray) -> float:
    """Kish's effective sample size of weighted observations: (Σw)² / Σw²."""
    w = np.asarray(weights, dtype=float)
    w = w[w > 0]
    return float(w.sum() ** 2 / (w**2).sum()) if w.size else 0.0


def difference_in_rates(
    outcome: Sequence[bool] | np.ndarray, treated: Sequence[bool] | np.ndarray, weights: Sequence[float] | np.ndarray
) -> Difference:
    """The difference in an outcome's rate between treated and weighted comparison observations.

    A weighted least-squares regression of the outcome on a participant indicator (statsmodels
    ``WLS``) with the HC2 robust covariance: the coefficient is the difference in weighted means,
    and with equal weights its standard error is exactly √(s₁²/n₁ + s₀²/n₀) (the unequal-variance,
    Welch–Neyman form), the usual analysis after coarsened exact matching. Observations of weight 0
    (unmatched) are left out.
    """
    y = np.asarray(outcome, dtype=float)
    t = np.asarray(treated, dtype=bool)
    w = np.asarray(weights, dtype=float)
    keep = w > 0
    y, t, w = y[keep], t[keep], w[keep]
    participants_n, comparison_n = int(t.sum()), int((~t).sum())
    effective = effective_size(w[~t])
    events = int(y.sum())
    # A group where everyone (or nobody) had the outcome has no spread, and the robust interval
    # then shrinks to the other group's alone: too confident to print.
    varies = all(0 < y[group].sum() < group.sum() for group in (t, ~t))
    enough = (
        participants_n >= MIN_PEOPLE_FOR_AN_ESTIMATE
        and effective >= MIN_PEOPLE_FOR_AN_ESTIMATE
        and min(events, y.size - events) >= MIN_OUTCOMES_FOR_AN_ESTIMATE
        and varies
    )
    if not enough:
        return Difference(participants_n, comparison_n, effective, None, None, None, None, None, enough=False)
    design = sm.add_constant(t.astype(float), has_constant="add")
    fit = sm.WLS(y, design, weights=w).fit(cov_type="HC2")
    low, high = fit.conf_int(alpha=1 - CONFIDENCE)[1]
    comparison_rate = float(fit.params[0])
    difference = float(fit.params[1])
    return Difference(
        participants_n=participants_n,
        comparison_n=comparison_n,
        comparison_effective_n=effective,
        participants_rate=comparison_rate + difference,
        comparison_rate=comparison_rate,
        difference=difference,
        ci_low=float(low),
        ci_high=float(high),
        enough=True,
    )


@dataclass(frozen=True)
class CurvePoint:
    """The Kaplan–Meier share who had the event by ``day``, with a 95 % band (None before any event)."""

    day: float
    share: float
    band_low: float | None
    band_high: float | None


@dataclass(frozen=True)
class Curve:
    points: tuple[CurvePoint, ...]
    n: int
    events: int


def kaplan_meier(
    durations: Sequence[float] | np.ndarray,
    events: Sequence[bool] | np.ndarray,
    weights: Sequence[float] | np.ndarray | None = None,
    *,
    at: Sequence[float],
) -> Curve:
    """The share who had the event by each day in ``at``: one minus the Kaplan–Meier survival
    function (statsmodels ``SurvfuncRight``; ``weights`` as its frequency weights), with the
    library's 95 % Hall–Wellner simultaneous band (log transform) where the curve has left 1.

    ``durations`` are days from the start to the event or to the end of follow-up (censoring).
    """
    time = np.asarray(durations, dtype=float)
    status = np.asarray(events, dtype=bool).astype(float)
    w = None if weights is None else np.asarray(weights, dtype=float)
    if w is not None:
        keep = w > 0
        time, status, w = time[keep], status[keep], w[keep]
    if time.size == 0:
        return Curve(points=(), n=0, events=0)
    fit = SurvfuncRight(time, status, freq_weights=w)
    times, surv = np.asarray(fit.surv_times), np.asarray(fit.surv_prob)
    lows, highs = _band(fit, surv)
    points = []
    for day in at:
        index = int(np.searchsorted(times, day, side="right")) - 1
        if index < 0 or surv[index] >= 1.0:
            points.append(CurvePoint(day=float(day), share=0.0, band_low=None, band_high=None))
            continue
        low, high = lows[index], highs[index]
        points.append(
            CurvePoint(
                day=float(day),
                share=float(1 - surv[index]),
                band_low=None if np.isnan(high) else float(1 - high),
                band_high=None if np.isnan(low) else float(1 - low),
            )
        )
    return Curve(points=tuple(points), n=int(time.size), events=int(status.sum()))


def _band(fit: SurvfuncRight, surv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The library's band where it is defined: not at 1 (no event yet) nor at 0 (everyone had it)."""
    defined = (surv > 0) & (surv < 1)
    lows, highs = np.full(surv.shape, np.nan), np.full(surv.shape, np.nan)
    if defined.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            low, high = fit.simultaneous_cb(alpha=0.05, transform="log")
        lows[defined], highs[defined] = np.asarray(low)[defined], np.asarray(high)[defined]
    return lows, highs


def standardised_difference(
    values: Sequence[float] | np.ndarray, treated: Sequence[bool] | np.ndarray, weights: Sequence[float] | np.ndarray
) -> tuple[float | None, float | None]:
    """The standardised mean difference of one covariate before and after weighting.

    (mean₁ − mean₀) / √((s₁² + s₀²) / 2), the comparison group's mean weighted after matching;
    the denominator is the *unweighted* pooled spread in both, so that the two differ only in the
    means (Austin 2009). None where the covariate does not vary.
    """
    x = np.asarray(values, dtype=float)
    t = np.asarray(treated, dtype=bool)
    w = np.asarray(weights, dtype=float)
    pool = ~t
    if t.sum() < 2 or pool.sum() < 2:
        return None, None
    spread = np.sqrt((x[t].var(ddof=1) + x[pool].var(ddof=1)) / 2)
    if spread == 0:
        return None, None
    before = (x[t].mean() - x[pool].mean()) / spread
    matched = pool & (w > 0)
    if not matched.any():
        return float(before), None
    after = (x[t].mean() - np.average(x[matched], weights=w[matched])) / spread
    return float(before), float(after)


# An interval over batch means needs this many batches (k answers each) to mean anything.
MIN_BATCHES_FOR_AN_INTERVAL = 4


@dataclass(frozen=True)
class MeanInterval:
    """An average with its 95 % interval over ``n`` answers; the estimate and interval are None
    ("too few to say") below :data:`MIN_BATCHES_FOR_AN_INTERVAL` batches, or when every batch
    came out alike."""

    n: int
    batches: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None

    @property
    def enough(self) -> bool:
        return self.estimate is not None

    def as_json(self) -> dict[str, float | int | bool | None]:
        return {
            "n": self.n,
            "batches": self.batches,
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "too_few_to_say": not self.enough,
            "suppressed": self.estimate is None,
        }


def batch_mean_interval(batch_means: Sequence[float] | np.ndarray, *, batch_size: int) -> MeanInterval:
    """The average of equal-sized batches' means with the Student t interval over them
    (statsmodels ``DescrStatsW.tconfint_mean``): the batch-means method, which needs no single
    answer, only each batch's mean (here, the mid-point of its published band)."""
    x = np.asarray(batch_means, dtype=float)
    n = int(x.size) * batch_size
    # Batches that all came out alike give an interval of no width: too confident to print.
    if x.size < MIN_BATCHES_FOR_AN_INTERVAL or np.ptp(x) == 0:
        return MeanInterval(n=n, batches=int(x.size), estimate=None, ci_low=None, ci_high=None)
    stats = DescrStatsW(x)
    low, high = stats.tconfint_mean(alpha=1 - CONFIDENCE)
    return MeanInterval(n=n, batches=int(x.size), estimate=float(stats.mean), ci_low=float(low), ci_high=float(high))
