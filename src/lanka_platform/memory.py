"""The in-memory side of the ports: a unit of work for stores kept in dicts.

Every store of a service has an in-memory fake (tests/fakes/) that passes the very tests the
DynamoDB store passes (tests/integration/test_store_contracts_*.py), so that rule and
validation tests can run on dicts in milliseconds and still be trusted. A fake store stages
its writes on a `MemoryUnitOfWork` as a check and a change: at commit every check runs
first, and only if none fails do the changes apply, all at once, under one lock, as one
DynamoDB transaction would. A failed check raises what the real store's failed condition
raises: its `on_conflict()` (a 409, say) or `ConditionFailed(tag)`, with the same rule for
`retried` tags and for the consumer's `stale:` tags.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from lanka_platform import ports
from lanka_platform.storage import MAX_TRANSACTION_ITEMS, ConditionFailed, OnConflict

T = TypeVar("T")
_committing = threading.Lock()


@dataclass
class _Step:
    holds: Callable[[], bool] | None
    apply: Callable[[], None]
    tag: str
    on_conflict: OnConflict


@dataclass
class MemoryUnitOfWork:
    """Writes of in-memory stores, committed together or not at all."""

    _steps: list[_Step] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)
    retried: frozenset[str] = frozenset()
    committed: bool = False

    def stage(
        self,
        apply: Callable[[], None],
        *,
        holds: Callable[[], bool] | None = None,
        tag: str = "",
        on_conflict: OnConflict = None,
    ) -> None:
        """A change that applies at commit, if `holds()` (read at commit) is true then."""
        self._steps.append(_Step(holds, apply, tag, on_conflict))

    def emit(self, event: Any) -> None:
        self.events.append(event)

    def has(self, tag: str) -> bool:
        return any(step.tag == tag for step in self._steps)

    @property
    def is_empty(self) -> bool:
        return not self._steps and not self.events

    def commit(self) -> None:
        if len(self._steps) + len(self.events) > MAX_TRANSACTION_ITEMS:
            from lanka_platform.problems import Problem

            raise Problem(413, "Too many changes", "One request may change at most 100 items.")
        with _committing:
            for step in self._steps:
                if step.holds is not None and not step.holds():
                    if step.on_conflict is not None and step.tag not in self.retried:
                        raise step.on_conflict()
                    raise ConditionFailed(step.tag)
            for step in self._steps:
                step.apply()
        self.committed = True


def staged(unit: ports.UnitOfWork) -> MemoryUnitOfWork:
    """The in-memory unit of work behind `unit` (what `storage.writes` is to DynamoDB's)."""
    if not isinstance(unit, MemoryUnitOfWork):
        raise TypeError(f"an in-memory store was handed a {type(unit).__name__}, not its own unit of work")
    return unit


def page(
    rows: Sequence[T], cursor: str | None, limit: int, key: Callable[[T], str]
) -> tuple[list[T], str | None]:
    """A page of `rows` (already in order) after the row `cursor` names, and the cursor of the
    next page (None at the end): the fakes' pagination, opaque like the real stores'."""
    start = 0
    if cursor:
        after = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        start = next((index + 1 for index, row in enumerate(rows) if key(row) == after), len(rows))
    chosen = list(rows[start : start + limit])
    more = start + limit < len(rows)
    next_cursor = base64.urlsafe_b64encode(json.dumps(key(chosen[-1])).encode()).decode() if more else None
    return chosen, next_cursor


def sorted_by(rows: Iterable[T], key: Callable[[T], Any], *, newest_first: bool = False) -> list[T]:
    return sorted(rows, key=key, reverse=newest_first)
