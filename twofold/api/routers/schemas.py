"""What the routers share: the error responses every operation declares, and bounded field types."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from twofold.api.problems import ERROR_STATUSES, Problem

ERRORS: dict[int, type[Problem]] = dict.fromkeys(ERROR_STATUSES, Problem)
SmallCount = Annotated[int, Field(ge=0, le=32767)]
Level = Annotated[int, Field(ge=0, le=100)]
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Reason = Annotated[str, Field(max_length=300)]
