"""Everything about a person in one JSON document (the right of access)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from chalicelib.clients.domain.audit import AuditEntry
from chalicelib.clients.domain.clients import Clients, audit_entry
from chalicelib.clients.domain.model import Client
from chalicelib.clients.domain.timeline import TimelineEntry

from lanka_platform.auth import Principal
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

# A person's whole history is read in pages; this bounds one export (years of a client).
MAX_PAGES = 200
PAGE = 100


class PersonalData(Schema):
    exported_at: datetime
    client: Client
    timeline: list[TimelineEntry]
    access_log: list[AuditEntry]


class UnsubscribeLink(Schema):
    client: str
    signature: str


class Pages(Protocol):
    def page(self, *args: Any, **kwargs: Any) -> tuple[list[Any], str | None]: ...


def collect(
    clients: Clients, timeline: Pages, audit: Any, client_id: str, by: Principal, now: datetime
) -> PersonalData:
    client = clients.get(client_id)
    if client is None or client.status == "merged":
        raise Problem.not_found("The client")
    entries: list[TimelineEntry] = _all(lambda cursor: timeline.page(client.id, None, cursor, PAGE))
    reads: list[AuditEntry] = _all(
        lambda cursor: audit.page(client_id=client.id, actor_id=None, day=None, cursor=cursor, limit=PAGE)
    )
    audit.write(audit_entry("personal_data_exported", by, now, client.id))
    return PersonalData(exported_at=now, client=client, timeline=entries, access_log=reads)


def _all(fetch: Any) -> list[Any]:
    items: list[Any] = []
    cursor = None
    for _ in range(MAX_PAGES):
        page, cursor = fetch(cursor)
        items.extend(page)
        if not cursor:
            break
    return items
