"""Identifiers: ULIDs, sortable by creation time."""

from __future__ import annotations

from datetime import datetime

from ulid import ULID


def new_id() -> str:
    return str(ULID())


def id_at(moment: datetime) -> str:
    """A fresh ULID whose time part is `moment`."""
    return str(ULID.from_datetime(moment))


def lowest_id_at(moment: datetime) -> str:
    """The smallest ULID of `moment`: everything created before it sorts lower."""
    timestamp_ms = int(moment.timestamp() * 1000)
    return str(ULID.from_bytes(timestamp_ms.to_bytes(6, "big") + bytes(10)))


def is_valid_id(value: str) -> bool:
    try:
        ULID.from_str(value)
    except ValueError:
        return False
    return True
