"""Text Twofold stores as one plain line: no control characters, no invisible direction changes.

A name with a line break breaks a CSV export, an email header or a calendar feed; bidirectional
overrides and isolates make a name display as something other than what it is. Every way text comes
in refuses them with the same rule: the people and career-events imports (cell by cell) and the
admin's forms (:mod:`twofold.accounts.admin_forms`). Pure Python at the bottom layer, beside
:mod:`twofold.dates`.
"""

from __future__ import annotations

import re

# C0 and C1 controls (line breaks, tabs, …) and DEL, Unicode's line and paragraph separators, and
# the bidirectional overrides and isolates.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x85\u2028\u2029")


def control_character_problem(text: str, *, allow_line_breaks: bool = False) -> str | None:
    """Why ``text`` cannot be stored as one line of plain text, or None when it can.

    ``allow_line_breaks`` is for multi-line text (a note): line breaks pass, other controls do not.
    """
    for match in CONTROL_CHARACTERS.finditer(text):
        character = match.group()
        if allow_line_breaks and character in LINE_BREAKS:
            continue
        if character in LINE_BREAKS:
            what = "a line break"
        elif character == "\t":
            what = "a tab"
        else:
            what = f"the control character U+{ord(character):04X}"
        return f"contains {what} (character {match.start() + 1}); names and other text must be one plain line"
    return None


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun`` in agreement: "1 pair", "2 pairs", "1 person" / "3 people" with ``plural``."""
    return f"{count} {noun if count == 1 else (plural or noun + 's')}"
