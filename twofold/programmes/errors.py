"""The one error the programmes' services raise when a rule refuses a request."""

from __future__ import annotations

from collections.abc import Sequence


class ProgrammeRuleBroken(ValueError):
    """A request that the programme's rules refuse; ``code`` names the rule for APIs and tests.

    ``field`` names the setting at fault when there is one (a form shows the problems there), and
    ``problems`` lists each reason on its own (the message joins them with "; ").
    """

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = None, problems: Sequence[str] = ()):
        super().__init__(message)
        self.code = code
        self.field = field
        self.problems = list(problems) or message.split("; ")
