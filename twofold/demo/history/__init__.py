"""Demo programmes with about six months of believable history, for ``twofold demo``.

One reverse-mentoring and one sponsorship programme, both running, matched by the engine, and
lived through the same services a real programme uses (with their clocks set back): answers and
agreements, meetings with shared and private notes, skills passed on, advocacy actions and their
outcomes, check-ins, a few concerns, pairs that faded or ended early, completions, nominations of
reverse mentors into sponsorship, and promotions, with one planted effect on protégés' careers and
a planted bridge: reverse mentors nominated, enrolled in sponsorship, sponsored and promoted, every
step with enough people to be shown (both in :mod:`~twofold.demo.history.planted`). Deterministic
for a given seed and date. :mod:`~twofold.demo.history.build` builds both programmes,
:mod:`~twofold.demo.history.pairs` lives each pair's six months.
"""

from __future__ import annotations

from twofold.demo.history.build import demo_programmes_build
from twofold.demo.history.planted import (
    BRIDGE_NOMINEES,
    BRIDGE_PROMOTED,
    BRIDGE_SPONSORED,
    BRIDGE_UNANSWERED,
    PLANTED_PROMOTION_CHANCE,
)
from twofold.demo.history.recording import DemoHistory

__all__ = [
    "BRIDGE_NOMINEES",
    "BRIDGE_PROMOTED",
    "BRIDGE_SPONSORED",
    "BRIDGE_UNANSWERED",
    "PLANTED_PROMOTION_CHANCE",
    "DemoHistory",
    "demo_programmes_build",
]
