"""The meeting clock of a pair: its one definition, and keeping the copy stored on each pair equal to it.

A pair's next meeting is due a cadence after its latest held meeting (``last_met_at``), or after its
start when it has not met yet; it is idle from :data:`IDLE_AFTER_CADENCES` cadences after it. The
cadence is the pair's agreed one, else its programme's. Each relationship row stores both moments
(``meeting_due_at``, ``idle_from``) so that the health page counts and lists the pairs behind on
meetings from an index, without joining every agreement. Whatever changes ``last_met_at``,
``started_at``, an agreement's cadence or a programme's cadence writes them again through
:func:`meeting_clock_refresh` (or :func:`meeting_clock_values` in its own UPDATE);
:func:`meeting_clocks_stale` lists the pairs whose stored clock differs from the definition.
"""

from __future__ import annotations

from typing import Any

from django.db.models import (
    DateTimeField,
    Expression,
    F,
    Func,
    IntegerField,
    Model,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

# A pair is idle after this many cadences without a held meeting (the health page, the reminders, insights).
IDLE_AFTER_CADENCES = 2

# The stored copy of the clock on each relationship row.
CLOCK_FIELDS = ("meeting_due_at", "idle_from")


class PlusDays(Func):
    """``moment + days`` for an integer expression ``days``.

    Django can multiply an integer column into an interval on PostgreSQL but not on SQLite, where
    durations are microsecond counts handled by Django's own ``django_format_dtdelta`` function
    (which writes the moment as Django stores it there, so the result can be stored and compared).
    """

    output_field = DateTimeField()
    arity = 2

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(
            compiler, connection, template="(%(expressions)s * INTERVAL '1 day')", arg_joiner=" + ", **extra_context
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(
            compiler,
            connection,
            template="django_format_dtdelta('+', %(expressions)s * 86400000000)",
            arg_joiner=", ",
            **extra_context,
        )


def meeting_clock_values(relationship_model: type[Model], *, start: Expression | None = None) -> dict[str, Expression]:
    """The definition of the clock: ``meeting_due_at`` and ``idle_from`` of each row of
    ``relationship_model``, as expressions an UPDATE can set or a query can annotate (under other
    names). ``start`` replaces ``Coalesce(last_met_at, started_at)`` for an UPDATE that changes one
    of them in the same statement (an UPDATE's expressions read the row as it was).

    The cadence is read through subqueries rather than joins, which an UPDATE cannot take; the
    model may be a migration's historical one.
    """
    agreement: Any = relationship_model._meta.get_field("agreement").related_model
    programme: Any = relationship_model._meta.get_field("programme").related_model
    cadence = Coalesce(
        Subquery(agreement._default_manager.filter(relationship=OuterRef("pk")).values("cadence_days")[:1]),
        Subquery(programme._default_manager.filter(pk=OuterRef("programme_id")).values("cadence_days")[:1]),
        output_field=IntegerField(),
    )
    clock_start = start if start is not None else Coalesce(F("last_met_at"), F("started_at"))
    return {
        "meeting_due_at": PlusDays(clock_start, cadence),
        "idle_from": PlusDays(clock_start, cadence * Value(IDLE_AFTER_CADENCES, output_field=IntegerField())),
    }


def meeting_clock_refresh(relationships: QuerySet[Any]) -> int:
    """Write the clock of ``relationships`` again from its definition, in one UPDATE; how many rows."""
    return relationships.update(**meeting_clock_values(relationships.model))


def meeting_clocks_stale(relationships: QuerySet[Any]) -> list[tuple[int, tuple[Any, ...], tuple[Any, ...]]]:
    """The pairs among ``relationships`` whose stored clock differs from its definition: each pk
    with the stored and the computed moments. Empty when every write kept the clock."""
    computed = {f"computed_{name}": value for name, value in meeting_clock_values(relationships.model).items()}
    rows = relationships.annotate(**computed).values_list("pk", *CLOCK_FIELDS, *computed).order_by("pk")
    return [
        (pk, tuple(moments[: len(CLOCK_FIELDS)]), tuple(moments[len(CLOCK_FIELDS) :]))
        for pk, *moments in rows
        if tuple(moments[: len(CLOCK_FIELDS)]) != tuple(moments[len(CLOCK_FIELDS) :])
    ]


def programme_cadence_saved(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    """After a programme is saved: its pairs without an agreement run on its cadence, so their clock
    is written again (a ``post_save`` receiver, as the programmes app knows nothing of pairs)."""
    if kwargs.get("raw") or (update_fields is not None and "cadence_days" not in update_fields):
        return
    from twofold.relationships.models import Relationship

    meeting_clock_refresh(Relationship.objects.filter(programme_id=instance.pk, agreement__isnull=True))


def register_meeting_clock() -> None:
    from django.db.models.signals import post_save

    from twofold.programmes.models import Programme

    post_save.connect(programme_cadence_saved, sender=Programme, dispatch_uid="twofold.relationships.meeting_clock")
