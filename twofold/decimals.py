"""Numbers written with a fixed number of decimal places, as the templates' ``floatformat:N`` writes
them, for rows a selector prepares: the filter re-reads the active locale's formats for every
figure, which on a board of 50 pairs costs more than the rest of the page's figures together.

Twofold writes English only (``LANGUAGE_CODE`` en-gb, no thousands separator), so the filter's
output is the number rounded half up at ``places`` digits with a full stop: a test holds the two
equal over many values.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_STEPS = {places: Decimal(1).scaleb(-places) for places in range(0, 7)}


def fixed_places(value: float, places: int) -> str:
    """``value`` with exactly ``places`` decimals, rounded half up as written (0.125 → "0.13"),
    never "-0.00"; what ``{{ value|floatformat:places }}`` shows."""
    rounded = Decimal(str(value)).quantize(_STEPS[places], ROUND_HALF_UP)
    if not rounded:
        rounded = abs(rounded)
    return f"{rounded:f}"
