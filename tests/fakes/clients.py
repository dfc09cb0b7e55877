"""In-memory fakes of the clients service's stores (services/clients/chalicelib/clients/store/).

Each fake passes the contract the DynamoDB (or S3) store passes, in
tests/integration/test_store_contracts_clients.py."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote, unquote, urlsplit

from botocore.exceptions import ClientError
from chalicelib.clients.domain.audit import AuditEntry
from chalicelib.clients.domain.custom_fields import CustomField, CustomFieldSet
from chalicelib.clients.domain.model import Client, ClientSummary
from chalicelib.clients.domain.search import (
    ClientMatch,
    SearchKind,
    SearchTerm,
    email_hint,
    fold,
    index_keys,
    phone_hint,
)
from chalicelib.clients.domain.timeline import TimelineEntry
from chalicelib.clients.domain.transfer import Outcome
from chalicelib.clients.store.clients import MAX_SEARCH_PAGES, owner_partition
from chalicelib.clients.store.transfer import ROW_MARKER_TAG, ExportJob, ImportJob, ImportRowError

from lanka_platform.clock import from_iso, to_iso
from lanka_platform.memory import MemoryUnitOfWork, page, staged
from lanka_platform.pagination import decode_cursor, encode_cursor
from lanka_platform.ports import StaffMember, UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.storage import OnConflict

T = TypeVar("T")
CURSOR_SECRET = "memory-cursor-secret"
# How many characters of a search key choose its partition (as in store/clients.py).
_PARTITION_CHARS: dict[str, int] = {"name": 2, "phone": 3, "email": 2}
_CONTACT_WORDS = {"phone": "phone number", "email": "e-mail", "telegram": "Telegram id", "viber": "Viber id"}


# ------------------------------------------------------------------------------ paging


def _resume(
    rows: Sequence[T], after: str | None, limit: int, key: Callable[[T], str], *, newest_first: bool = False
) -> tuple[list[T], str | None]:
    """Up to `limit` of `rows` (already in order) whose sort key comes after `after`, and the
    sort key to resume after (None at the end): a Query's page, resumed by key position, so
    that a row gone since the last page does not lose the place."""
    if after is not None:
        rows = [row for row in rows if (key(row) < after if newest_first else key(row) > after)]
    chosen, more = page(rows, None, limit, key)
    return chosen, key(chosen[-1]) if more else None


def _signed_page(
    rows: Sequence[T],
    cursor: str | None,
    limit: int,
    key: Callable[[T], str],
    secret: str,
    *,
    newest_first: bool = False,
) -> tuple[list[T], str | None]:
    """A page for an API caller: the cursor is signed as the real stores' are (a cursor not
    made here is a 400)."""
    start = decode_cursor(cursor, secret.encode())
    chosen, last = _resume(rows, start["after"] if start else None, limit, key, newest_first=newest_first)
    return chosen, encode_cursor({"after": last} if last else None, secret.encode())


def _keyed_page(
    rows: Sequence[T], start: dict[str, Any] | None, limit: int, key: Callable[[T], str]
) -> tuple[list[T], dict[str, Any] | None]:
    """A page for a background job, which keeps the key to resume from as it is."""
    chosen, last = _resume(rows, start["after"] if start else None, limit, key)
    return chosen, {"after": last} if last else None


def _to_the_millisecond(moment: datetime) -> datetime:
    """A time as an item keeps it: UTC, to the millisecond."""
    return from_iso(to_iso(moment))


# ------------------------------------------------------------------------------ clients


@dataclass(frozen=True)
class SearchEntry:
    """One key a client is found by, and the match row it carries (a search index item)."""

    kind: SearchKind
    key: str
    match: ClientMatch

    @property
    def sort_key(self) -> str:
        return f"{self.key}#{self.match.id}"


@dataclass
class InMemoryClients:
    """`store.clients.ClientStore` in dicts: clients by id (with their versions), who holds each
    contact point, the custom fields. The search index is read from the active clients: the
    real store rewrites a client's entries in every transaction that changes the client."""

    cursor_secret: str = CURSOR_SECRET
    clients: dict[str, Client] = field(default_factory=dict)
    contacts: dict[tuple[str, str], str] = field(default_factory=dict)
    custom: CustomFieldSet | None = None

    # ------------------------------------------------------------------ writes

    def add(self, unit: UnitOfWork, client: Client) -> None:
        queued = staged(unit)
        stored = _stored(client, 1)
        queued.stage(
            lambda: self.clients.__setitem__(client.id, stored),
            holds=lambda: client.id not in self.clients,
            tag="client",
        )
        for kind, value in sorted(client.contact_points()):
            self._claim(queued, client.id, kind, value)

    def replace(
        self, unit: UnitOfWork, before: Client, after: Client, *, contact_points: bool = True
    ) -> None:
        queued = staged(unit)
        old_points, new_points = before.contact_points(), after.contact_points()
        if not contact_points:
            old_points = new_points = set()

        # DynamoDB reports a transaction's deletes before its puts: so are the checks here.
        def changed() -> Exception:
            return Problem.conflict(
                "Someone changed this client meanwhile; reload it and apply your change again.",
                client_id=before.id,
            )

        for kind, value in sorted(old_points - new_points):
            self._release(queued, before.id, kind, value, changed)
        stored = _stored(after, before.version + 1)

        def current_version() -> bool:
            current = self.clients.get(after.id)
            return current is not None and current.version == before.version

        queued.stage(
            lambda: self.clients.__setitem__(after.id, stored),
            holds=current_version,
            tag="client",
            on_conflict=lambda: Problem.conflict(
                "Someone changed this client meanwhile; reload it and apply your change again.",
                client_id=before.id,
            ),
        )
        for kind, value in sorted(new_points - old_points):
            self._claim(queued, after.id, kind, value)

    def hand_contact_points(
        self, unit: UnitOfWork, points: Iterable[tuple[str, str]], frm: str, to: str
    ) -> None:
        queued = staged(unit)
        for kind, value in sorted(points):
            self._hand(queued, (kind, value), frm, to)

    def _hand(self, queued: MemoryUnitOfWork, point: tuple[str, str], frm: str, to: str) -> None:
        queued.stage(
            lambda: self.contacts.__setitem__(point, to),
            holds=lambda: self.contacts.get(point) == frm,
            tag=f"contact:{point[0]}",
        )

    def _claim(self, queued: MemoryUnitOfWork, client_id: str, kind: str, value: str) -> None:
        point = (kind, value)
        queued.stage(
            lambda: self.contacts.__setitem__(point, client_id),
            holds=lambda: self.contacts.get(point, client_id) == client_id,
            tag=f"contact:{kind}",
            on_conflict=lambda: Problem.conflict(
                f"This {_CONTACT_WORDS[kind]} already belongs to another client.",
                field=kind,
                existing_client_id=self.contacts.get(point),
            ),
        )

    def _release(
        self,
        queued: MemoryUnitOfWork,
        client_id: str,
        kind: str,
        value: str,
        changed: Callable[[], Exception],
    ) -> None:
        point = (kind, value)

        def apply() -> None:
            del self.contacts[point]

        queued.stage(
            apply,
            holds=lambda: self.contacts.get(point) == client_id,
            tag=f"release:{kind}",
            on_conflict=changed,
        )

    def search_entries(self, client: Client) -> list[SearchEntry]:
        """The client's search index entries (none unless active)."""
        if client.status != "active":
            return []
        phones, emails = client.all_phones(), client.all_emails()
        match = ClientMatch(
            id=client.id,
            name=client.name,
            kind=client.kind,
            owner_id=client.owner_id,
            phone_hint=phone_hint(phones[0] if phones else None),
            email_hint=email_hint(emails[0] if emails else None),
        )
        return [SearchEntry(kind, key, match) for kind, key in index_keys(client.name, phones, emails)]

    # ------------------------------------------------------------------ reads

    def get(self, client_id: str) -> Client | None:
        client = self.clients.get(client_id)
        return client.model_copy(deep=True) if client else None

    def get_many(self, client_ids: list[str]) -> list[Client]:
        return [self.clients[i].model_copy(deep=True) for i in dict.fromkeys(client_ids) if i in self.clients]

    def holders(self, points: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        return {point: self.contacts[point] for point in points if point in self.contacts}

    def page(
        self, owner_id: str | None, *, everyone: bool, cursor: str | None, limit: int
    ) -> tuple[list[ClientSummary], str | None]:
        if everyone:
            chosen, next_cursor = _signed_page(
                self._by_id(), cursor, limit, lambda client: client.id, self.cursor_secret
            )
        else:
            chosen, next_cursor = _signed_page(
                self._of_owner(owner_id), cursor, limit, _name_order, self.cursor_secret
            )
        return [_summary(client) for client in chosen], next_cursor

    def ids_of_owner(self, owner_id: str, limit: int) -> tuple[list[str], dict[str, Any] | None]:
        chosen, last = _keyed_page(self._of_owner(owner_id), None, limit, _name_order)
        return [client.id for client in chosen], last

    def all_clients(
        self, start: dict[str, Any] | None, limit: int
    ) -> tuple[list[Client], dict[str, Any] | None]:
        chosen, last = _keyed_page(self._by_id(), start, limit, lambda client: client.id)
        return [client.model_copy(deep=True) for client in chosen], last

    def search(
        self, term: SearchTerm, limit: int, wanted: Callable[[ClientMatch], bool]
    ) -> list[ClientMatch]:
        """As the real store reads its index: entries by key (then client id), at most
        MAX_SEARCH_PAGES pages of `limit` of them, each client once."""
        chars = _PARTITION_CHARS[term.kind]
        entries = sorted(
            (
                entry
                for client in self.clients.values()
                for entry in self.search_entries(client)
                if entry.kind == term.kind
                and entry.key[:chars] == term.prefix[:chars]
                and entry.key.startswith(term.prefix)
            ),
            key=lambda entry: entry.sort_key,
        )
        found: dict[str, ClientMatch] = {}
        for entry in entries[: MAX_SEARCH_PAGES * limit]:
            if entry.match.id in found:
                continue
            if wanted(entry.match):
                found[entry.match.id] = entry.match
                if len(found) == limit:
                    break
        return list(found.values())

    def search_candidates(self, term: SearchTerm, limit: int) -> list[str]:
        return [match.id for match in self.search(term, limit, lambda match: term.admits(match.name))]

    def _by_id(self) -> list[Client]:
        return sorted(self.clients.values(), key=lambda client: client.id)

    def _of_owner(self, owner_id: str | None) -> list[Client]:
        partition = owner_partition(owner_id)
        mine = (
            client
            for client in self.clients.values()
            if client.status == "active" and owner_partition(client.owner_id) == partition
        )
        return sorted(mine, key=_name_order)

    # ------------------------------------------------------------------ custom fields

    def custom_fields(self) -> CustomFieldSet:
        return self.custom.model_copy(deep=True) if self.custom else CustomFieldSet(fields=[], version=0)

    def definitions(self) -> list[CustomField]:
        return self.custom_fields().fields

    def save_custom_fields(self, unit: UnitOfWork, fields: CustomFieldSet) -> CustomFieldSet:
        saved = CustomFieldSet(fields=fields.fields, version=fields.version + 1)

        def apply() -> None:
            self.custom = saved.model_copy(deep=True)

        staged(unit).stage(
            apply,
            holds=lambda: (self.custom.version if self.custom else 0) == fields.version,
            on_conflict=lambda: Problem.conflict("Someone changed the custom fields meanwhile; reload them."),
        )
        return saved


def _stored(client: Client, version: int) -> Client:
    return client.model_copy(update={"version": version}, deep=True)


def _name_order(client: Client) -> str:
    return f"{fold(client.name)}#{client.id}"


def _summary(client: Client) -> ClientSummary:
    return ClientSummary(
        id=client.id,
        name=client.name,
        kind=client.kind,
        owner_id=client.owner_id,
        tags=list(client.tags),
        updated_at=client.updated_at,
    )


# ------------------------------------------------------------------------------ audit


@dataclass
class InMemoryAudit:
    """`store.audit.AuditLog` in a dict: entries by their time (UTC, to the millisecond) and id."""

    cursor_secret: str = CURSOR_SECRET
    entries: dict[str, AuditEntry] = field(default_factory=dict)

    def write(self, entry: AuditEntry) -> None:
        """Written at once, as the real one is (not through a unit of work)."""
        stored = self._stored(entry)
        self.entries[_audit_key(stored)] = stored

    def add(self, unit: UnitOfWork, entry: AuditEntry) -> None:
        stored = self._stored(entry)
        staged(unit).stage(lambda: self.entries.__setitem__(_audit_key(stored), stored))

    def page(
        self, *, client_id: str | None, actor_id: str | None, day: str | None, cursor: str | None, limit: int
    ) -> tuple[list[AuditEntry], str | None]:
        if client_id:
            chosen = [entry for entry in self.entries.values() if entry.client_id == client_id]
        elif actor_id:
            chosen = [entry for entry in self.entries.values() if entry.actor_id == actor_id]
        else:
            chosen = [entry for entry in self.entries.values() if to_iso(entry.at)[:10] == day]
        newest_first = sorted(chosen, key=_audit_key, reverse=True)
        return _signed_page(newest_first, cursor, limit, _audit_key, self.cursor_secret, newest_first=True)

    @staticmethod
    def _stored(entry: AuditEntry) -> AuditEntry:
        return entry.model_copy(update={"at": _to_the_millisecond(entry.at)})


def _audit_key(entry: AuditEntry) -> str:
    return f"{to_iso(entry.at)}#{entry.id}"


# ------------------------------------------------------------------------------ field work


@dataclass
class InMemoryFieldWork:
    """`store.fieldwork.FieldWork` in a dict: the role of each open job, by (worker, client, job)."""

    jobs: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def open(self, unit: UnitOfWork, worker_id: str, client_id: str, job_id: str, role: str) -> None:
        staged(unit).stage(lambda: self.jobs.__setitem__((worker_id, client_id, job_id), role))

    def close(self, unit: UnitOfWork, worker_id: str, client_id: str, job_id: str) -> None:
        def apply() -> None:
            self.jobs.pop((worker_id, client_id, job_id), None)

        staged(unit).stage(apply)

    def has_job(self, worker_id: str, client_id: str) -> bool:
        return any((worker, client) == (worker_id, client_id) for worker, client, _ in self.jobs)


# ------------------------------------------------------------------------------ timeline


@dataclass(frozen=True)
class RawTimelineItem:
    """A timeline entry as `raw_page` hands it to a background job (which reads `detail` as
    the JSON text the real store's item holds) and takes it back in `move` or `scrub`."""

    entry: TimelineEntry

    @property
    def detail(self) -> str:
        return json.dumps(self.entry.detail, ensure_ascii=False)


@dataclass
class InMemoryTimeline:
    """`store.timeline.TimelineStore` in a dict: entries by client and by their event's time
    (UTC, to the millisecond) and id."""

    cursor_secret: str = CURSOR_SECRET
    entries: dict[tuple[str, str], TimelineEntry] = field(default_factory=dict)

    def record(self, unit: UnitOfWork, entry: TimelineEntry) -> None:
        stored = entry.model_copy(
            update={
                "occurred_at": _to_the_millisecond(entry.occurred_at),
                "detail": json.loads(json.dumps(entry.detail, ensure_ascii=False)),
            }
        )
        staged(unit).stage(lambda: self._put(stored))

    def page(
        self, client_id: str, kind: str | None, cursor: str | None, limit: int
    ) -> tuple[list[TimelineEntry], str | None]:
        rows = [entry for entry in self._of(client_id) if kind is None or entry.kind == kind]
        newest_first = sorted(rows, key=_timeline_key, reverse=True)
        return _signed_page(newest_first, cursor, limit, _timeline_key, self.cursor_secret, newest_first=True)

    def raw_page(
        self, client_id: str, start: dict[str, Any] | None, limit: int
    ) -> tuple[list[RawTimelineItem], dict[str, Any] | None]:
        """Entries in time order, for background jobs that move or scrub a whole timeline."""
        oldest_first = sorted(self._of(client_id), key=_timeline_key)
        chosen, last = _keyed_page(oldest_first, start, limit, _timeline_key)
        return [RawTimelineItem(entry) for entry in chosen], last

    def move(self, unit: UnitOfWork, item: RawTimelineItem, to_client: str) -> None:
        moved = item.entry.model_copy(update={"client_id": to_client})

        def apply() -> None:
            self.entries.pop((item.entry.client_id, _timeline_key(item.entry)), None)
            self._put(moved)

        staged(unit).stage(apply)

    def scrub(self, unit: UnitOfWork, item: RawTimelineItem, detail: dict[str, Any]) -> None:
        scrubbed = item.entry.model_copy(
            update={"detail": json.loads(json.dumps(detail, ensure_ascii=False))}
        )
        staged(unit).stage(lambda: self._put(scrubbed))

    def _of(self, client_id: str) -> list[TimelineEntry]:
        return [entry for (owner, _), entry in self.entries.items() if owner == client_id]

    def _put(self, entry: TimelineEntry) -> None:
        self.entries[(entry.client_id, _timeline_key(entry))] = entry


def _timeline_key(entry: TimelineEntry) -> str:
    return f"{to_iso(entry.occurred_at)}#{entry.id}"


# ------------------------------------------------------------------------------ exports, imports


@dataclass(frozen=True)
class ExportQuota:
    """An admin's export times kept for the quota, and the revision each write is checked on."""

    times: list[datetime]
    revision: int
    expires_at: datetime


@dataclass
class InMemoryExports:
    """`store.transfer.Exports` in dicts: export jobs by id, export quotas by admin."""

    exports: dict[str, ExportJob] = field(default_factory=dict)
    quotas: dict[str, ExportQuota] = field(default_factory=dict)

    def add(self, unit: UnitOfWork, job: ExportJob) -> None:
        stored = _copy(job)
        staged(unit).stage(
            lambda: self.exports.__setitem__(job.id, stored), holds=lambda: job.id not in self.exports
        )

    def get(self, export_id: str) -> ExportJob | None:
        job = self.exports.get(export_id)
        return _copy(job) if job else None

    def advance(self, unit: UnitOfWork, before: ExportJob, after: ExportJob, *, tag: str) -> None:
        stored = _copy(after)

        def still_at_before() -> bool:
            current = self.exports.get(after.id)
            return current is not None and current.step == before.step

        staged(unit).stage(lambda: self.exports.__setitem__(after.id, stored), holds=still_at_before, tag=tag)

    def recent_exports(self, user_id: str) -> tuple[list[datetime], int]:
        quota = self.quotas.get(user_id)
        return (list(quota.times), quota.revision) if quota else ([], 0)

    def count_export(
        self, unit: UnitOfWork, user_id: str, times: list[datetime], revision: int, window: timedelta
    ) -> None:
        quota = ExportQuota(
            times=[_to_the_millisecond(moment) for moment in times],
            revision=revision + 1,
            expires_at=max(times) + window,
        )

        def unchanged() -> bool:
            current = self.quotas.get(user_id)
            return (current.revision if current else 0) == revision

        staged(unit).stage(
            lambda: self.quotas.__setitem__(user_id, quota),
            holds=unchanged,
            on_conflict=lambda: Problem.conflict(
                "Another export was requested at the same moment; try again."
            ),
        )


@dataclass(frozen=True)
class RowMarker:
    """What became of one row of an import (written with the client the row made)."""

    outcome: Outcome
    client_id: str | None


@dataclass
class InMemoryImports:
    """`store.transfer.Imports` in dicts: import jobs by id (with their revisions), the
    markers of rows done by (import, line), the row errors of each import by line."""

    cursor_secret: str = CURSOR_SECRET
    jobs: dict[str, ImportJob] = field(default_factory=dict)
    rows: dict[tuple[str, int], RowMarker] = field(default_factory=dict)
    row_errors: dict[str, dict[int, ImportRowError]] = field(default_factory=dict)

    def get(self, import_id: str) -> ImportJob | None:
        job = self.jobs.get(import_id)
        return _copy(job) if job else None

    def save(
        self,
        unit: UnitOfWork,
        before: ImportJob | None,
        after: ImportJob,
        *,
        tag: str = "import",
        on_conflict: OnConflict = None,
    ) -> ImportJob:
        saved = after.model_copy(update={"revision": (before.revision if before else 0) + 1})
        stored = _copy(saved)

        def unchanged() -> bool:
            current = self.jobs.get(after.id)
            if before is None:
                return current is None
            return current is not None and current.revision == before.revision

        staged(unit).stage(
            lambda: self.jobs.__setitem__(after.id, stored), holds=unchanged, tag=tag, on_conflict=on_conflict
        )
        return saved

    def mark_row(
        self, unit: UnitOfWork, import_id: str, line: int, outcome: Outcome, client_id: str | None
    ) -> None:
        key = (import_id, line)
        staged(unit).stage(
            lambda: self.rows.__setitem__(key, RowMarker(outcome, client_id)),
            holds=lambda: key not in self.rows,
            tag=ROW_MARKER_TAG,
        )

    def done_rows(self, import_id: str, lines: Iterable[int]) -> dict[int, Outcome]:
        return {
            line: self.rows[(import_id, line)].outcome
            for line in sorted(set(lines))
            if (import_id, line) in self.rows
        }

    def keep_errors(self, import_id: str, errors: Iterable[ImportRowError]) -> None:
        """Written at once (a batch write outside any unit of work)."""
        kept = self.row_errors.setdefault(import_id, {})
        for error in errors:
            kept[error.line] = error.model_copy()

    def errors(
        self, import_id: str, cursor: str | None, limit: int
    ) -> tuple[list[ImportRowError], str | None]:
        in_line_order = sorted(self.row_errors.get(import_id, {}).values(), key=_error_key)
        chosen, next_cursor = _signed_page(in_line_order, cursor, limit, _error_key, self.cursor_secret)
        return [error.model_copy() for error in chosen], next_cursor


J = TypeVar("J", ExportJob, ImportJob)


def _copy(job: J) -> J:
    """The job as its item's JSON body gives it back."""
    return type(job).model_validate_json(job.model_dump_json())


def _error_key(error: ImportRowError) -> str:
    return f"ERROR#{error.line:08d}"


# ------------------------------------------------------------------------------ files

PART_MIN_BYTES = 5 * 1024 * 1024
_URL_SCHEME = "memory"


@dataclass
class MultipartUpload:
    bucket: str
    key: str
    content_type: str
    parts: dict[int, bytes] = field(default_factory=dict)


@dataclass
class InMemoryTransferFiles:
    """`store.transfer.TransferFiles` over dicts: objects by (bucket, key) -> bytes and
    multipart uploads by id. Presigned URLs are `memory://<bucket>/<key>?...` (clearly not
    S3's): `put_url` and `get_url` do what a browser does with them."""

    imports_bucket: str = "lanka-imports"
    exports_bucket: str = "lanka-exports"
    # S3 refuses, at completion, a part smaller than this that is not the last one.
    part_min_bytes: int = PART_MIN_BYTES
    objects: dict[tuple[str, str], bytes] = field(default_factory=dict)
    uploads: dict[str, MultipartUpload] = field(default_factory=dict)

    # ------------------------------------------------------------------ what a browser does

    def put_url(self, url: str, data: bytes) -> None:
        """A PUT of `data` to a presigned upload URL."""
        bucket, key, query = _parsed(url)
        if query.get("method") != ["PUT"]:
            raise ValueError(f"not an upload URL: {url}")
        self.objects[(bucket, key)] = bytes(data)

    def get_url(self, url: str) -> bytes:
        """A GET of a presigned download URL."""
        bucket, key, query = _parsed(url)
        if query.get("method") != ["GET"]:
            raise ValueError(f"not a download URL: {url}")
        return self._read(bucket, key)

    # ------------------------------------------------------------------ imports

    @staticmethod
    def _upload_key(import_id: str) -> str:
        return f"imports/{import_id}.csv"

    @staticmethod
    def _piece_key(import_id: str, piece: int) -> str:
        return f"imports/{import_id}/rows/{piece:05d}.json"

    def upload_url(self, import_id: str, seconds: int) -> str:
        return _url(self.imports_bucket, self._upload_key(import_id), method="PUT", expires_in=str(seconds))

    def upload_size(self, import_id: str) -> int | None:
        data = self.objects.get((self.imports_bucket, self._upload_key(import_id)))
        return None if data is None else len(data)

    def upload(self, import_id: str) -> bytes | None:
        return self.objects.get((self.imports_bucket, self._upload_key(import_id)))

    def write_pieces(self, import_id: str, pieces: list[bytes]) -> None:
        for number, body in enumerate(pieces):
            self.objects[(self.imports_bucket, self._piece_key(import_id, number))] = bytes(body)

    def piece(self, import_id: str, number: int) -> bytes:
        return self._read(self.imports_bucket, self._piece_key(import_id, number))

    def delete_pieces(self, import_id: str) -> None:
        self._delete_prefix(self.imports_bucket, f"imports/{import_id}/rows/")

    # ------------------------------------------------------------------ exports

    @staticmethod
    def _export_key(export_id: str) -> str:
        return f"exports/{export_id}.csv"

    @staticmethod
    def _page_key(export_id: str, step: int) -> str:
        return f"exports/{export_id}/pages/{step:06d}.csv"

    def write_page(self, export_id: str, step: int, data: bytes) -> None:
        self.objects[(self.exports_bucket, self._page_key(export_id, step))] = bytes(data)

    def page(self, export_id: str, step: int) -> bytes:
        return self._read(self.exports_bucket, self._page_key(export_id, step))

    def _uploads(self, export_id: str) -> list[str]:
        key = self._export_key(export_id)
        return [
            upload_id
            for upload_id, upload in self.uploads.items()
            if (upload.bucket, upload.key) == (self.exports_bucket, key)
        ]

    def upload_open(self, export_id: str, upload_id: str) -> bool:
        return upload_id in self._uploads(export_id)

    def open_upload(self, export_id: str, encoding: str) -> str:
        for upload_id in self._uploads(export_id):
            return upload_id
        upload_id = f"memory-upload-{uuid.uuid4().hex}"
        self.uploads[upload_id] = MultipartUpload(
            self.exports_bucket, self._export_key(export_id), f"text/csv; charset={encoding}"
        )
        return upload_id

    def upload_part(self, export_id: str, upload_id: str, number: int, data: bytes) -> str:
        upload = self._upload(export_id, upload_id, "UploadPart")
        upload.parts[number] = bytes(data)
        return _etag(data)

    def complete(self, export_id: str, upload_id: str, parts: list[tuple[int, str]]) -> None:
        upload = self._upload(export_id, upload_id, "CompleteMultipartUpload")
        body = bytearray()
        previous: bytes | None = None
        for number, etag in parts:
            data = upload.parts.get(number)
            if data is None or _etag(data).strip('"') != etag.strip('"'):
                raise _s3_error("InvalidPart", "CompleteMultipartUpload")
            if previous is not None and len(previous) < self.part_min_bytes:
                raise _s3_error("EntityTooSmall", "CompleteMultipartUpload")
            body += data
            previous = data
        if previous is None:
            raise _s3_error("MalformedXML", "CompleteMultipartUpload")
        self.objects[(upload.bucket, upload.key)] = bytes(body)
        del self.uploads[upload_id]

    def export_exists(self, export_id: str) -> bool:
        return (self.exports_bucket, self._export_key(export_id)) in self.objects

    def delete_pages(self, export_id: str) -> None:
        self._delete_prefix(self.exports_bucket, f"exports/{export_id}/pages/")

    def download_url(self, export_id: str, file_name: str, seconds: int) -> str:
        return _url(
            self.exports_bucket,
            self._export_key(export_id),
            method="GET",
            filename=file_name,
            expires_in=str(seconds),
        )

    # ------------------------------------------------------------------ both

    def _read(self, bucket: str, key: str) -> bytes:
        data = self.objects.get((bucket, key))
        if data is None:
            raise _s3_error("NoSuchKey", "GetObject")
        return data

    def _upload(self, export_id: str, upload_id: str, operation: str) -> MultipartUpload:
        if not self.upload_open(export_id, upload_id):
            raise _s3_error("NoSuchUpload", operation)
        return self.uploads[upload_id]

    def _delete_prefix(self, bucket: str, prefix: str) -> None:
        for key in [key for key in self.objects if key[0] == bucket and key[1].startswith(prefix)]:
            del self.objects[key]


def _url(bucket: str, key: str, **query: str) -> str:
    parameters = "&".join(f"{name}={quote(value, safe='')}" for name, value in query.items())
    return f"{_URL_SCHEME}://{bucket}/{quote(key)}?{parameters}"


def _parsed(url: str) -> tuple[str, str, dict[str, list[str]]]:
    parts = urlsplit(url)
    if parts.scheme != _URL_SCHEME:
        raise ValueError(f"not a URL of the in-memory files: {url}")
    return parts.netloc, unquote(parts.path.lstrip("/")), parse_qs(parts.query)


def _etag(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'  # noqa: S324 - S3's ETag, not security


def _s3_error(code: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{code} (in-memory S3)"}}, operation)


@dataclass
class InMemoryStaff:
    """`store.staff.UserPool` (the `ports.StaffDirectory` on Cognito): members by username,
    listed in the order they were added."""

    members: dict[str, StaffMember] = field(default_factory=dict)

    def add(self, member: StaffMember) -> None:
        self.members[member.username] = member

    def by_username(self, username: str) -> StaffMember | None:
        return self.members.get(username)

    def page(self, cursor: str | None, limit: int) -> tuple[list[StaffMember], str | None]:
        return page(list(self.members.values()), cursor, limit, lambda member: member.username)
