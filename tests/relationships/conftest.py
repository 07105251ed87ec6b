"""The programmes and pairs the relationship tests share, on the cast of tests/conftest.py.

Reverse mentoring: Ana (junior, Engineering) mentors Vera (VP Sales). Sponsorship: Vera sponsors
Ana (flagged high potential). Ana and Victor share a reporting chain, as do Ben and Vera.
"""

from __future__ import annotations

import pytest

from tests.conftest import Cast
from tests.factories import ProgrammeFactory
from tests.relationships.pairing import pair_up, propose
from twofold.programmes.models import Programme, ProgrammeState
from twofold.relationships.models import Relationship


@pytest.fixture
def reverse_mentoring(cast: Cast) -> Programme:
    return ProgrammeFactory(name="Digital fluency", state=ProgrammeState.MATCHING, managers=[cast.programme_manager])


@pytest.fixture
def sponsorship(cast: Cast) -> Programme:
    return ProgrammeFactory(
        name="Rising leaders", sponsorship=True, state=ProgrammeState.MATCHING, managers=[cast.programme_manager]
    )


@pytest.fixture
def proposed(cast: Cast, reverse_mentoring: Programme) -> Relationship:
    """Ana proposed as Vera's reverse mentor, nobody has answered yet."""
    return propose(reverse_mentoring, cast.ana, cast.vp_sales)


@pytest.fixture
def active(cast: Cast, reverse_mentoring: Programme) -> Relationship:
    """Ana and Vera, accepted by both: an active reverse-mentoring relationship."""
    return pair_up(reverse_mentoring, cast.ana, cast.vp_sales)


@pytest.fixture
def sponsored(cast: Cast, sponsorship: Programme) -> Relationship:
    """Vera sponsoring Ana: an active sponsorship."""
    return pair_up(sponsorship, cast.vp_sales, cast.ana)
