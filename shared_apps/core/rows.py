"""Model instances from a hand-written SELECT: what the ORM returns, without compiling a queryset per statement.

For the few statements a hot path runs for every batch (the order dispatcher's claim and settlement, issue 18):
a queryset costs ~1 ms of CPU to compile and iterate before its rows, ``connection.cursor()`` and
``Model.from_db`` a fraction of that. ``columns(Model, "alias")`` is the select list of the model's concrete
fields, ``instances(Model, rows)`` builds the instances from those columns with the converters the ORM applies
(a JSON field's text parsed, ...), so the objects are the ORM's; ``pairs`` does it for rows of two models'
columns side by side, ``joined`` for a model and its foreign key's (the relation cached); ``insert(objs)`` is
``bulk_create`` of new instances in one INSERT of the values the ORM would send, ``insert_values`` the same
from dicts of field values (tests/orders/test_settle_plain.py, test_dispatch_claims.py and
test_staff_review_and_budget.py claim and settle through them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import cache, partial
from operator import attrgetter
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import DateTimeField, Field, Model

M = TypeVar("M", bound=Model)
N = TypeVar("N", bound=Model)


@cache
def _shape(model: type[Model]) -> tuple[list[str], list[tuple[int, Any, list[Callable]]]]:
    """The model's concrete fields' attribute names, and the converters of those that have any (by position)."""
    fields = model._meta.concrete_fields
    converters = []
    for position, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if found:
            converters.append((position, column, found))
    return [field.attname for field in fields], converters


@cache
def columns(model: type[Model], alias: str) -> str:
    """``alias."col1", alias."col2", ...``: the model's concrete fields, in the order ``instances`` reads them."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(str(field.column))}" for field in model._meta.concrete_fields)


def width(model: type[Model]) -> int:
    """How many columns ``columns(model, ...)`` selects (to split a row of a join)."""
    return len(model._meta.concrete_fields)


def instances(model: type[M], rows: Iterable[Sequence[Any]]) -> list[M]:
    """``model`` instances from rows of ``columns(model, ...)`` (as the ORM makes them: ``from_db``, converters)."""
    attnames, converters = _shape(model)
    made = []
    for row in rows:
        values = list(row)
        for position, column, found in converters:
            for converter in found:
                values[position] = converter(values[position], column, connection)
        made.append(model.from_db(DEFAULT_DB_ALIAS, attnames, values))
    return made


def pairs(first: type[M], second: type[N], rows: Iterable[Sequence[Any]]) -> tuple[list[M], list[N]]:
    """Instances of both models from rows of ``columns(first, ...), columns(second, ...)``, row by row."""
    split = width(first)
    found = list(rows)
    return instances(first, [row[:split] for row in found]), instances(second, [row[split:] for row in found])


def joined(model: type[M], relation: str, rows: Iterable[Sequence[Any]]) -> list[M]:
    """``model`` instances from rows of ``columns(model, ...), columns(<relation's model>, ...)``, each with its
    ``relation`` (a foreign key) cached: what ``select_related(relation)`` gives."""
    field: Any = model._meta.get_field(relation)
    made, related = pairs(model, field.related_model, rows)
    for instance, other in zip(made, related, strict=True):
        field.set_cached_value(instance, other)
    return made


@cache
def _insert_shape(model: type[Model]) -> tuple[str, list[Any]]:
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(field.column)) for field in fields)
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({names}) SELECT {names} FROM unnest({arrays}) "  # noqa: S608
           f"WITH ORDINALITY AS v({names}, n) ORDER BY v.n RETURNING {quote(str(model._meta.pk.column))}")
    return sql, fields


def insert(objs: Sequence[Model]) -> None:
    """``bulk_create(objs)`` of new instances of one model (pk set on each, as bulk_create sets it): ONE INSERT of
    the concrete fields' values (``pre_save``, ``get_db_prep_save``: what the ORM sends) as arrays, without the
    queryset's per-call compilation."""
    if not objs:
        return
    sql, params = insert_statement(objs)
    inserted(objs, _run(sql, params))


def insert_statement(objs: Sequence[Model]) -> tuple[str, list[Any]]:
    """The INSERT ``insert`` runs (``RETURNING`` the new pks, in ``objs``' order) and its parameters, to run as a
    part of a larger statement (a ``WITH`` of several writes); then ``inserted(objs, pks)``. The values go as ONE
    JSON document (``_json_document``: ``pre_save``'s values, the columns' casts) when they are plain, else as the
    ORM sends them (``get_db_prep_save``, an array per column)."""
    model = type(objs[0])
    shape = _json_shape(model)
    if shape is not None:
        made = _json_document(model, ([value_of(obj) for value_of, _field, _kind, _null in shape[1]] for obj in objs))
        if made is not None:
            return made[0], [made[1]]
    sql, fields = _insert_shape(model)
    return sql, [[field.get_db_prep_save(field.pre_save(obj, True), connection) for obj in objs] for field in fields]


def inserted(objs: Sequence[Model], pks: Sequence[Any]) -> None:
    """Mark ``objs`` saved with their new ``pks`` (what ``bulk_create`` does after its INSERT)."""
    for obj, pk in zip(objs, pks, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = DEFAULT_DB_ALIAS


def insert_values(model: type[Model], values: Sequence[dict[str, Any]]) -> list[Any]:
    """``insert`` of ``model(**fields)`` for each dict of field values, without making the instances (a field
    left out takes its default); for models without ``pre_save`` work (no ``auto_now``). The new pks."""
    if not values:
        return []
    sql, fields = _insert_shape(model)
    return _run(sql, [[field.get_db_prep_save(_value(field, row), connection) for row in values] for field in fields])


# How the JSON inserts (``insert_json``, ``insert_statement``) send a field's value inside their document, by the
# field's internal type: the Python types they send as they are (anything else, and None where the column is NOT
# NULL, goes the ORM's way: ``get_db_prep_save`` and an array per column), and whether the column is read back as
# jsonb (``(r->n)::jsonb``) or as text cast to the column's type (``(r->>n)::<db type>``, as ``%s::<db type>[]``
# casts the arrays: a varchar(n) cuts the same way). A bool is never sent for an integer, a naive datetime never
# (the ORM warns and makes it aware, its way), a JSON scalar (a string, a number) never for a JSON field.
_TEXT, _INTEGER, _BOOLEAN, _DATETIME, _JSON = range(5)
_JSON_KINDS: dict[str, int] = {
    "CharField": _TEXT, "TextField": _TEXT,
    "BigIntegerField": _INTEGER, "IntegerField": _INTEGER, "SmallIntegerField": _INTEGER,
    "PositiveIntegerField": _INTEGER, "PositiveSmallIntegerField": _INTEGER, "PositiveBigIntegerField": _INTEGER,
    "BigAutoField": _INTEGER, "AutoField": _INTEGER,
    "BooleanField": _BOOLEAN, "DateTimeField": _DATETIME, "JSONField": _JSON,
}
_TYPES: dict[int, type | tuple[type, ...]] = {_TEXT: str, _INTEGER: int, _BOOLEAN: bool, _DATETIME: datetime,
                                              _JSON: (dict, list)}
# A field's value as ``pre_save(obj, True)`` gives it: the attribute, unless the field's class computes it.
_Plan = tuple[Callable[[Any], Any], Any, int, bool]  # value of an instance, the field, its kind, null allowed


def _reads_attribute(field: Any) -> bool:
    pre_save = type(field).pre_save
    if pre_save is Field.pre_save:
        return True
    return pre_save is DateTimeField.pre_save and not (field.auto_now or field.auto_now_add)


@cache
def _json_shape(model: type[Model]) -> tuple[str, list[_Plan]] | None:
    """The JSON insert of ``model``'s concrete fields but its primary key (``RETURNING`` it, the new rows in the
    document's order), and each field's plan; None if a field is of a kind it does not send."""
    fields: list[Any] = [field for field in model._meta.concrete_fields if not field.primary_key]
    plans: list[_Plan] = []
    reads = []
    for position, field in enumerate(fields):
        target = field.target_field if field.is_relation else field  # a foreign key: its target's value
        kind = _JSON_KINDS.get(target.get_internal_type())
        if kind is None or getattr(field, "encoder", None) is not None:
            return None
        value = attrgetter(field.attname) if _reads_attribute(field) else partial(_pre_saved, field)
        plans.append((value, field, kind, field.null))
        reads.append(f"(v.r->{position})::jsonb" if kind == _JSON
                     else f"(v.r->>{position})::{field.db_type(connection)}")
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(field.column)) for field in fields)
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({names}) SELECT {', '.join(reads)} "  # noqa: S608
           "FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS v(r, n) ORDER BY v.n "
           f"RETURNING {quote(str(model._meta.pk.column))}")
    return sql, plans


def _pre_saved(field: Any, obj: Model) -> Any:
    return field.pre_save(obj, True)


class _NotPlain(Exception):
    """A value the JSON inserts leave to the ORM's way."""


def _json_row(values: Iterable[Any], plans: list[_Plan]) -> list[Any]:
    """One row of the document: ``values`` in the fields' order, as sent; raises ``_NotPlain``."""
    row: list[Any] = []
    for value, (_value_of, _field, kind, null) in zip(values, plans, strict=True):
        if value is None:
            if not null:
                raise _NotPlain  # NULL in a NOT NULL column: the ORM's way fails its own way
        elif not isinstance(value, _TYPES[kind]) or (kind == _INTEGER and value.__class__ is bool):
            raise _NotPlain
        elif isinstance(value, datetime):  # a datetime field's (nothing else accepts one)
            if value.utcoffset() is None:
                raise _NotPlain
            value = value.isoformat()
        row.append(value)
    return row


def _json_document(model: type[Model], values: Iterable[Iterable[Any]]) -> tuple[str, str] | None:
    """The JSON insert's statement and its one parameter for ``values`` (each row's values in the fields' order);
    None when a value is not one it sends as it is."""
    shape = _json_shape(model)
    if shape is None:
        return None
    sql, plans = shape
    try:
        document = [_json_row(row, plans) for row in values]
    except _NotPlain:
        return None
    return sql, json.dumps(document, ensure_ascii=False, allow_nan=False)


def insert_json(model: type[Model], values: Sequence[dict[str, Any]]) -> None:
    """``insert_values(model, values)`` (the same rows, in the same order: ids given in ``values``' order) as ONE
    JSON document in one parameter, read back by PostgreSQL with the same casts: the ORM's per-value preparation
    and psycopg's per-element array quoting cost ~3 us per value in Python (the provider archive writes ~17 per
    exchange, issue 18). Values of other types than its fields' plain ones (text, integers, booleans, aware
    datetimes, JSON objects and arrays; a JSON field with its own encoder, a naive datetime, a non-null column
    given None, a bool for an integer) go through ``insert_values`` instead."""
    if not values:
        return
    shape = _json_shape(model)
    made = None if shape is None else _json_document(
        model, ([_value(field, row) for _value_of, field, _kind, _null in shape[1]] for row in values))
    if made is None:
        insert_values(model, values)
        return
    with connection.cursor() as cursor:
        cursor.execute(made[0], [made[1]])


def _value(field: Any, row: dict[str, Any]) -> Any:
    if field.attname in row:
        return row[field.attname]
    return row[field.name] if field.name in row else field.get_default()


def _run(sql: str, arrays: list[list[Any]]) -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
        return [row[0] for row in cursor.fetchall()]
