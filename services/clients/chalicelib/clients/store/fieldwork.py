"""Which field worker has an open job for which client (from deals' job events).

| item            | pk                          | sk          |
| --------------- | --------------------------- | ----------- |
| open field job  | FIELD#<worker>#<client>     | JOB#<job>   |

A worker may see a client while at least one item is in the partition: one Query, Limit 1.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from lanka_platform.ports import UnitOfWork
from lanka_platform.storage import Store, TableModel, writes


class FieldJobItem(TableModel):
    role = UnicodeAttribute()


MODELS = (FieldJobItem,)


class FieldWork:
    def __init__(self, store: Store) -> None:
        self._items = store.model(FieldJobItem)

    def open(self, unit: UnitOfWork, worker_id: str, client_id: str, job_id: str, role: str) -> None:
        writes(unit).put(self._items(pk=f"FIELD#{worker_id}#{client_id}", sk=f"JOB#{job_id}", role=role))

    def close(self, unit: UnitOfWork, worker_id: str, client_id: str, job_id: str) -> None:
        writes(unit).delete(self._items(pk=f"FIELD#{worker_id}#{client_id}", sk=f"JOB#{job_id}"))

    def has_job(self, worker_id: str, client_id: str) -> bool:
        return any(True for _ in self._items.query(f"FIELD#{worker_id}#{client_id}", limit=1))
