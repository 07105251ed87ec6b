"""Why a relationship service refused: one exception family, each carrying a stable ``code``.

The ``code`` is for machines (API error bodies, tests, the web app choosing a message); the text is
for people and names what was wrong. Subclasses tell an endpoint which status to answer with.
"""

from __future__ import annotations


class RelationshipRuleBroken(ValueError):
    """A domain rule refused the change (API: 422)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class RelationshipForbidden(RelationshipRuleBroken):
    """The actor may not do this: not one of the pair, not the right side, not a programme manager (API: 403)."""


class RelationshipStateConflict(RelationshipRuleBroken):
    """The relationship (or proposal) is not, or no longer, in a state that allows this (API: 409).

    Raised too when a compare-and-set state change finds that another request changed the state first.
    """
