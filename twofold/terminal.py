"""Progress bars for long-running ``twofold`` commands (imports, demo generation, matching)."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from tqdm import tqdm

# Below this many items the work is over before a bar would be worth reading.
PROGRESS_THRESHOLD = 5000


class TerminalProgress:
    """Shows one bar per stage on stderr, when the work is large enough to wait for."""

    def __init__(self, *, stream: TextIO | None = None, threshold: int = PROGRESS_THRESHOLD, enabled: bool = True):
        self.stream = stream or sys.stderr
        self.threshold = threshold
        self.enabled = enabled
        self._bar: tqdm | None = None

    def stage(self, name: str, total: int) -> None:
        self.close()
        if self.enabled and total >= self.threshold:
            self._bar = tqdm(total=total, desc=name, unit=" rows", file=self.stream, leave=False, dynamic_ncols=True)

    def advance(self, amount: int) -> None:
        if self._bar is not None:
            self._bar.update(amount)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def rejection_message(source: str, problems: list[Any]) -> str:
    """The terminal report of a refused import: a count, then one line per problem."""
    count = len(problems)
    lines = [f"{source}: {count} problem{'s' if count != 1 else ''} found; nothing was imported."]
    lines += [f"  {problem}" for problem in problems]
    return "\n".join(lines)
