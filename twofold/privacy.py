"""The privacy threshold every aggregate shares: the smallest group Twofold ever shows.

A count, an average or a named group over fewer people than this could reveal one person's
self-identified attributes or answers, so it is not shown. The threshold is a setting
(``TWOFOLD_MIN_GROUP_SIZE``, default 5) that may be raised but never set below
:data:`MIN_GROUP_SIZE_FLOOR`: a group of two is one person and their partner.

This module sits at the bottom of the layers (it depends on Django's settings only), so that the
directory, programmes, relationships, match runs and insights all read the one threshold.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_MIN_GROUP_SIZE = 5
MIN_GROUP_SIZE_FLOOR = 3


def min_group_size() -> int:
    """The smallest group an aggregate may show (the ``TWOFOLD_MIN_GROUP_SIZE`` setting)."""
    value = getattr(settings, "TWOFOLD_MIN_GROUP_SIZE", DEFAULT_MIN_GROUP_SIZE)
    if isinstance(value, bool) or not isinstance(value, int) or value < MIN_GROUP_SIZE_FLOOR:
        raise ImproperlyConfigured(
            f"TWOFOLD_MIN_GROUP_SIZE={value!r}: the smallest group shown must be a whole number of at least "
            f"{MIN_GROUP_SIZE_FLOOR}"
        )
    return value


def large_enough(count: int) -> bool:
    """Whether a group of ``count`` people (or answers) may be shown."""
    return count >= min_group_size()


def suppress_small_groups(counts: dict[str, int]) -> dict[str, int | None]:
    """Counts per group with every group under the threshold shown as None ("fewer than k")."""
    return {group: (count if large_enough(count) else None) for group, count in counts.items()}
