"""Rows of the ``ml`` tables as frozen dataclasses whose fields are the table's columns.

One :class:`RowMapping` per dataclass gives the ``SELECT`` list (the fields' names, in field
order) and turns a fetched row into the dataclass, decoding the columns that need it: the
JSON columns (``feature_list``, ``metrics``, ``params``; NULL as an empty list or object),
counts (NULL as 0) and text (NULL as ``""``). Used by :mod:`hoopcast_ml.registry`
(``ml.model_registry``) and the trainer's pipeline (``ml.training_runs``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Row = TypeVar("Row", bound="DataclassInstance")


def json_list(value: str | None) -> list[Any]:
    """A JSON array column as a list (NULL → ``[]``)."""
    return list(json.loads(value or "[]"))


def json_object(value: str | None) -> dict[str, Any]:
    """A JSON object column as a dict (NULL → ``{}``)."""
    return dict(json.loads(value or "{}"))


def count(value: int | None) -> int:
    """An integer count column (NULL → 0)."""
    return int(value or 0)


def text(value: str | None) -> str:
    """A text column (NULL → ``""``)."""
    return value or ""


class RowMapping(Generic[Row]):
    """Rows of one table as the dataclass ``record``.

    Args:
        record: a dataclass whose fields are named and ordered like the selected columns.
        decode: field name → function applied to that column's value; other columns are
            passed as fetched.
    """

    def __init__(
        self, record: type[Row], decode: Mapping[str, Callable[[Any], Any]] | None = None
    ) -> None:
        self.record = record
        self.names = tuple(f.name for f in fields(record))
        self.decode = dict(decode or {})
        unknown = set(self.decode) - set(self.names)
        if unknown:
            raise ValueError(f"{record.__name__} has no field {sorted(unknown)}")

    @property
    def columns(self) -> str:
        """The ``SELECT`` list: the fields' names, comma-separated, in field order."""
        return ", ".join(self.names)

    def __call__(self, row: Sequence[Any]) -> Row:
        """The dataclass of one fetched row (values in :attr:`columns` order).

        Raises:
            ValueError: the row has another number of values than the dataclass has fields.
        """
        values = {
            name: self.decode[name](value) if name in self.decode else value
            for name, value in zip(self.names, row, strict=True)
        }
        return self.record(**values)
