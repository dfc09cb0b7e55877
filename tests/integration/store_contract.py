"""How a store's contract test runs twice: once on the in-memory fake, once on the DynamoDB
store in moto (the aws/chalice todo sample's `TestTodoDB` / `TestDynamoDB(TestTodoDB)`).

A contract class names its behaviours; `on_memory` and `on_moto` give each behaviour the
store to try and a `commit` that makes a unit of work of the store's own kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from lanka_platform.memory import MemoryUnitOfWork

S = TypeVar("S")
# 10:00 in Kyiv on the tests' frozen day.
NOW = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)


@dataclass
class Subject(Generic[S]):
    """The store under test, and how its writes are committed."""

    store: S
    new_unit: Callable[[], Any]

    def commit(self, write: Callable[[Any], None]) -> None:
        """One unit of work with `write`'s writes, committed."""
        unit = self.new_unit()
        write(unit)
        unit.commit()


def on_memory(store: S) -> Subject[S]:
    return Subject(store, MemoryUnitOfWork)


def on_moto(world: Any, service: str, make: Callable[[Any], S]) -> Subject[S]:
    table = world.services[service].store
    return Subject(make(table), table.unit_of_work)
