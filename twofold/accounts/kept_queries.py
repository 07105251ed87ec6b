"""Reads asked on every request, their SQL built by the ORM once per process and database.

Building a query with the ORM (the filters, the joins, the compiler, the SQL) can cost more CPU than
everything else a small request does: the session read of every signed-in page, the token read of
every API call. Their SQL depends only on the models and the database's kind, which do not change
while a process runs, so a :class:`KeptQuery` has the ORM build it once per database alias and keeps
it; each read then only binds its values (prepared as the ORM prepares them) and turns the rows into
objects as the ORM's ``ModelIterable`` does: the database's and the fields' converters applied,
``from_db`` for the model, Django's ``RelatedPopulator`` for what ``select_related`` joined and an
attribute for each annotation. A
``values()`` queryset is kept too: its rows become the dicts ``ValuesIterable`` makes (the API's
page of people, 51 rows a request, read as dicts rather than model instances); and a
``values_list()`` read (a page's figures grouped in SQL) gives its rows as ``ValuesListIterable``
does: tuples, through the same converters.

What is kept is derived from code alone (the SQL, the columns, how rows become objects), never from
data: several processes each keep their own, all alike. The ORM builds the query twice when keeping
it, with two different sets of sample values: the two SQL texts must be equal (nothing of a value
is written into the kept SQL, such as a stale "now") and each set of parameters must be what
:class:`KeptQuery` binds for the same values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

import django
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, IntegerField, Model, QuerySet
from django.db.models.fields.related import RelatedField
from django.db.models.query import (  # type: ignore[attr-defined]
    ModelIterable,
    ValuesIterable,
    ValuesListIterable,
    get_related_populators,
)

# The kept queries lean on the ORM's internals as Django 5.2 has them (get_related_populators, the
# compiler's select and klass_info, from_db): under another release every read goes through the ORM
# until the kept queries are checked against that release's and this gate moved.
KEPT_QUERY = django.VERSION[:2] == (5, 2)

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class _Compiled:
    """One query's SQL as the ORM built it for one database, and what turns its rows into objects."""

    sql: str
    fields: slice
    attnames: list[str]
    populators: list[Any]
    # The selected columns that have converters on this database (as the compiler's get_converters
    # finds them): the converters themselves are asked of each request's own connection.
    converted: list[tuple[int, Any]]
    # The type of each value the query was kept with: a value of another type may make other SQL
    # (None makes IS NULL, a list IN, an expression a column), so the ORM reads it.
    types: tuple[type, ...]
    # Each annotation's name and the position of its column, set on the object as ModelIterable sets it.
    annotations: list[tuple[str, int]] = field(default_factory=list)
    # What a read gives: model instances (objects()), a values() queryset's dicts (dicts()) or a
    # values_list() queryset's tuples (rows()).
    kind: str = "objects"
    # A values() queryset's keys, in the order of its columns.
    names: tuple[str, ...] = ()
    # For each value bound to an integer column, the integers that column holds on this database
    # (None for any other column): a value outside them the ORM reads, as it alone knows that such a
    # comparison matches nothing (or everything) rather than overflowing the database's integer.
    ranges: tuple[tuple[int, int] | None, ...] = ()


# What each kind of kept read gives, by the queryset's iterable class (the ORM's way of reading it).
_KIND_OF_ITERABLE = {ModelIterable: "objects", ValuesIterable: "dicts", ValuesListIterable: "rows"}


class KeptQuery(Generic[M]):
    """A read of ``model`` whose SQL the ORM builds once per database alias.

    ``queryset(*values)`` is the queryset exactly as the ORM runs it for those values (its limits
    set, as ``get()`` or ``first()`` set them); each value is one parameter of its SQL, in the order
    its WHERE clause names them, prepared for the database as the field of ``model`` named in
    ``parameters`` prepares it. ``samples()`` gives two different sets of such values, used only to
    check the kept SQL and parameters against the ORM's.

    ``queryset`` may instead be a ``values()`` queryset of columns (none annotated), read by
    :meth:`dicts`, or a ``values_list()`` queryset, read by :meth:`rows`; :meth:`objects` reads a
    queryset of model instances.

    A value of None (``IS NULL``, another SQL), an integer its column cannot hold (an address's id
    of 25 digits) and a Django other than the one the kept queries were checked against are read
    through the ORM.
    """

    def __init__(
        self,
        model: type[M],
        queryset: Callable[..., QuerySet[M, Any]],
        *,
        parameters: Sequence[str],
        samples: Callable[[], tuple[Sequence[Any], Sequence[Any]]],
    ) -> None:
        self.model = model
        self.queryset = queryset
        self.parameters = [_concrete_field(model, name) for name in parameters]
        self.samples = samples
        # By database alias: the SQL depends on the models and the database's kind, fixed while a process runs.
        self._compiled: dict[str, _Compiled] = {}

    def params(self, connection: BaseDatabaseWrapper, values: Sequence[Any]) -> list[Any]:
        """The SQL's parameters for ``values``, each prepared as its lookup prepares it."""
        return [
            field.get_db_prep_value(value, connection) for field, value in zip(self.parameters, values, strict=True)
        ]

    def compiler_of_orm(self, alias: str, values: Sequence[Any]) -> Any:
        """The compiler of the query the ORM runs for ``values`` on ``alias``."""
        return self.queryset(*values).using(alias).query.get_compiler(alias)

    def compiled(self, alias: str) -> _Compiled:
        kept = self._compiled.get(alias)
        if kept is not None:
            return kept
        connection = connections[alias]
        first, second = self.samples()
        prepared = self.params(connection, first), self.params(connection, second)
        if any(a == b for a, b in zip(*prepared, strict=True)) or any(
            a == b for values in prepared for i, a in enumerate(values) for b in values[i + 1 :]
        ):
            # Each value told from every other, so that two parameters bound in the wrong order differ.
            raise AssertionError(f"the samples of the kept {self.model.__name__} query share a value")
        built = []
        for values in (first, second):
            compiler = self.compiler_of_orm(alias, values)
            sql, params = compiler.as_sql()
            if list(params) != self.params(connection, values):
                raise AssertionError(f"the kept {self.model.__name__} query's parameters are not the ORM's: {params!r}")
            built.append((sql, compiler))
        (sql, _), (other_sql, compiler) = built
        if sql != other_sql:
            raise AssertionError(f"the kept {self.model.__name__} query's SQL depends on its values: {sql}")
        queryset = self.queryset(*first)
        select, klass_info = compiler.select, compiler.klass_info
        columns = [column[0] for column in select]
        if (
            queryset.model is not self.model
            or queryset._known_related_objects  # type: ignore[attr-defined]
            # What a kept read does not do as the queryset would: another database, its hints,
            # prefetching, locking rows.
            or queryset._db is not None  # type: ignore[attr-defined]
            or queryset._hints  # type: ignore[attr-defined]
            or queryset._prefetch_related_lookups  # type: ignore[attr-defined]
            or queryset.query.select_for_update
            or compiler.has_composite_fields(columns)
        ):
            raise AssertionError(f"the kept {self.model.__name__} query does more than read rows of its model")
        converters = compiler.get_converters(columns)
        converted = [(position, column) for position, (_, column) in sorted(converters.items())]
        types = tuple(type(value) for value in first)
        if queryset._iterable_class is ValuesIterable:
            query = queryset.query
            # The dicts' keys as ValuesIterable names them, one a column: columns only, none extra or
            # annotated (which ValuesIterable names and cuts another way).
            names = tuple(query.selected or (*query.extra_select, *query.values_select, *query.annotation_select))
            if query.extra_select or query.annotation_select or len(names) != len(columns):
                raise AssertionError(f"the kept {self.model.__name__} query's values are more than columns")
            kept = _Compiled(
                sql=sql,
                fields=slice(0),
                attnames=[],
                populators=[],
                converted=converted,
                types=types,
                kind="dicts",
                names=names,
            )
        elif queryset._iterable_class is ValuesListIterable:
            if compiler.has_extra_select or compiler.col_count != len(select):
                raise AssertionError(f"the kept {self.model.__name__} query makes more than rows of values")
            kept = _Compiled(
                sql=sql,
                fields=slice(0, len(columns)),
                attnames=[],
                populators=[],
                converted=converted,
                types=types,
                kind="rows",
            )
        elif queryset._iterable_class is ModelIterable and klass_info["model"] is self.model:
            fields = klass_info["select_fields"]
            kept = _Compiled(
                sql=sql,
                fields=slice(fields[0], fields[-1] + 1),
                attnames=[column.target.attname for column in columns[fields[0] : fields[-1] + 1]],
                populators=get_related_populators(klass_info, select, alias),
                converted=converted,
                annotations=list(compiler.annotation_col_map.items()),
                types=types,
            )
        else:
            raise AssertionError(
                f"the kept {self.model.__name__} query makes more than model instances, their values or rows"
            )
        kept = replace(kept, ranges=tuple(_integer_range(field, connection) for field in self.parameters))
        self._compiled[alias] = kept
        return kept

    def _fetched(self, values: Sequence[Any], kind: str) -> tuple[_Compiled, str, list[tuple[Any, ...]]] | None:
        """The kept SQL's rows for ``values``, through the converters the ORM applies; None where the
        ORM must read them (see the class). ``kind`` is what the caller makes of them, which must be
        what was kept."""
        if not KEPT_QUERY or any(value is None for value in values):
            return None
        alias = router.db_for_read(self.model)
        kept = self.compiled(alias)
        if kept.kind != kind:
            raise TypeError(f"the kept {self.model.__name__} query makes {kept.kind}: ask {kept.kind}()")
        if any(type(value) is not expected for value, expected in zip(values, kept.types, strict=True)):
            return None
        for value, bounds in zip(values, kept.ranges, strict=True):
            if bounds is not None and not bounds[0] <= value <= bounds[1]:
                return None
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(kept.sql, self.params(connection, values))
            rows = cursor.fetchall()
        if kept.converted:
            rows = [_converted(row, kept.converted, connection) for row in rows]
        return kept, alias, rows

    def _read_by_orm(self, values: Sequence[Any], kind: str) -> list[Any]:
        """What the ORM's queryset for ``values`` yields, refused as the kept read refuses it when it
        is not ``kind``: a caller asking the wrong kind fails whichever way the query is read."""
        queryset = self.queryset(*values)
        made = _KIND_OF_ITERABLE.get(queryset._iterable_class)
        if made != kind:
            raise TypeError(f"the kept {self.model.__name__} query makes {made}: ask {made}()")
        return list(queryset)

    def objects(self, *values: Any) -> list[M]:
        """The objects the ORM's queryset for ``values`` yields: the same SQL, the same objects."""
        read = self._fetched(values, "objects")
        if read is None:
            return self._read_by_orm(values, "objects")
        kept, alias, rows = read
        objects = []
        for row in rows:
            instance = self.model.from_db(alias, kept.attnames, row[kept.fields])
            for populator in kept.populators:
                populator.populate(row, instance)
            for name, position in kept.annotations:
                setattr(instance, name, row[position])
            objects.append(instance)
        return objects

    def dicts(self, *values: Any) -> list[dict[str, Any]]:
        """The dicts the ORM's ``values()`` queryset for ``values`` yields: the same SQL, the same dicts."""
        read = self._fetched(values, "dicts")
        if read is None:
            return self._read_by_orm(values, "dicts")
        kept, _, rows = read
        return [dict(zip(kept.names, row, strict=True)) for row in rows]

    def rows(self, *values: Any) -> list[tuple[Any, ...]]:
        """The tuples the ORM's ``values_list()`` queryset for ``values`` yields: the same SQL, the same rows."""
        read = self._fetched(values, "rows")
        if read is None:
            return self._read_by_orm(values, "rows")
        _, _, rows = read
        return [tuple(row) for row in rows]

    def get(self, *values: Any) -> M:
        """The one object for ``values``, as the ORM's ``get()`` gives it (or its exceptions)."""
        found = self.objects(*values)
        if len(found) == 1:
            return found[0]
        name = self.model._meta.object_name
        if not found:
            raise self.model.DoesNotExist(f"{name} matching query does not exist.")  # type: ignore[attr-defined]
        raise self.model.MultipleObjectsReturned(  # type: ignore[attr-defined]
            f"get() returned more than one {name} -- it returned {len(found)}!"
        )

    def first(self, *values: Any) -> M | None:
        """The first object for ``values``, as the ORM's ``first()`` gives it; None without one."""
        found = self.objects(*values)
        return found[0] if found else None


def _integer_range(field: Field[Any, Any], connection: BaseDatabaseWrapper) -> tuple[int, int] | None:
    """The integers a column of ``field`` (or of the key a relation points at) holds on
    ``connection``; None for a column of another kind."""
    column = field.target_field if isinstance(field, RelatedField) else field
    if not isinstance(column, IntegerField):
        return None
    return connection.ops.integer_field_range(column.get_internal_type())


def _concrete_field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{model.__name__}.{name} is not a column a value can be bound to")
    return field


def _converted(
    row: tuple[Any, ...], converted: list[tuple[int, Any]], connection: BaseDatabaseWrapper
) -> tuple[Any, ...]:
    """``row`` through the database's and the fields' converters, as ``SQLCompiler.get_converters``
    and ``apply_converters`` pass it (with this thread's connection: the kept query holds none)."""
    values = list(row)
    for position, column in converted:
        for converter in connection.ops.get_db_converters(column) + column.get_db_converters(connection):
            values[position] = converter(values[position], column, connection)
    return tuple(values)
