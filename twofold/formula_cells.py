"""Formula injection: text that a spreadsheet would run as a formula, neutralised on export.

Pure Python at the bottom layer, so that every file Twofold writes for a spreadsheet uses it: the
people export (``twofold export-people``, CSV and XLSX) and the files of ``twofold match-csv``.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken by Excel,
LibreOffice and Google Sheets for a formula, which can fetch URLs or run commands when an HR
analyst opens the export. As OWASP recommends ("CSV injection"), such text is written with a single
quote in front, which the spreadsheet shows as text. The import takes exactly that quote off again,
so an export imported back reports no changes.

Text that already starts with quotes followed by a trigger (``'=x``) gets one more quote, so that
taking one off on import gives back what was stored. A quote before anything else (the Dutch
surname ``'t Hooft``) is left alone both ways. Numbers (a level, a birth year) are written as
numbers and need nothing: only text can turn into a formula.
"""

from __future__ import annotations

import re

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_QUOTED_TRIGGER = re.compile(r"^'+[=+\-@\t\r]")


def formula_neutralised(text: str) -> str:
    """``text`` as it may go into a spreadsheet cell without ever being run as a formula."""
    if text.startswith(FORMULA_TRIGGERS) or _QUOTED_TRIGGER.match(text):
        return "'" + text
    return text


def formula_restored(text: str) -> str:
    """The text :func:`formula_neutralised` was given, from a cell of a CSV or XLSX file."""
    return text[1:] if text.startswith("'") and _QUOTED_TRIGGER.match(text) else text
