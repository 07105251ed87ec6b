"""Why two people were matched: a pair's score breakdown as reasons, for every page that shows one.

The review board of a match run (``twofold.matchruns``) and the pair's own page
(``twofold.relationships``) both call :func:`match_reasons`, with the breakdown and the weights the
pair was scored with, so they show the same reasons with the same figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from twofold.decimals import fixed_places

# What each score component of the matching engine means, in the programme's words.
REASON_TEXT = {
    "skills": "Skills the {mentor} can teach that the {mentee} wants to learn",
    "aspiration": "The {mentee}'s career aspiration lies in the {mentor}'s area",
    "cross_department": "From different departments",
    "cross_location": "From different locations",
    "level_gap": "Level gap in the programme's preferred range",
    "availability": "Times you are both free",
    "network": "Reach of the {mentor}'s network",
}


@dataclass(frozen=True)
class MatchReason:
    """One component of a pair's score: the points it added, and the most it could add (its weight).

    ``weight`` is 0 when unknown; the points are then read as a share already (capped at 1).
    """

    key: str
    label: str
    points: float
    weight: float

    @property
    def share(self) -> float:
        """How much of this component the pair has, 0-1."""
        return min(1.0, self.points / self.weight if self.weight > 0 else self.points)

    @property
    def percent(self) -> int:
        return round(self.share * 100)

    @property
    def points_of_weight(self) -> str:
        """The points and the most the component could add, as the board writes them: "2.40 of 4.0"."""
        return f"{fixed_places(self.points, 2)} of {fixed_places(self.weight, 1)}"


def _number(raw: Any) -> float | None:
    # Breakdowns stored by early versions held {"value": …} (or {"share": …}) per component.
    if isinstance(raw, Mapping):
        raw = raw.get("value", raw.get("share"))
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    return float(raw)


def match_reasons(
    *, breakdown: Mapping[str, Any], weights: Mapping[str, Any], mentor_label: str, mentee_label: str
) -> list[MatchReason]:
    """The components that brought a pair together, the largest part of the score first.

    ``breakdown`` maps each component to the points it added (its weight times a value in [0, 1]),
    ``weights`` each component to its weight when the pair was scored. Components the pair scored
    nothing on are left out: they did not bring the two together.
    """
    words = {"mentor": mentor_label, "mentee": mentee_label}
    reasons = []
    for key, raw in breakdown.items():
        points = _number(raw)
        if points is None or points <= 0:
            continue
        weight = _number(weights.get(key)) or 0.0
        label = REASON_TEXT.get(str(key), str(key).replace("_", " ").capitalize()).format(**words)
        reasons.append(MatchReason(key=str(key), label=label, points=points, weight=max(weight, 0.0)))
    return sorted(reasons, key=lambda reason: (-reason.points, -reason.share, reason.label))
