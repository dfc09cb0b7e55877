"""Routes and background jobs of CSV import and bulk export of clients.

Export (admins, audited, at most EXPORTS_PER_DAY a rolling day each, the head is told):
`POST /exports` queues it and publishes `ClientsExportRequested`; its handler writes the
file one page of EXPORT_PAGE clients per step. The contract `ClientsJobAdvanced` has no
"export" job, so each step publishes `ClientsExportRequested` again for the same export:
the export item, not the event, says where the next step starts, and each step's write is
conditional on the step it read, so a step delivered twice counts once. Pages go to S3 as
parts of one multipart upload; S3 wants parts of at least 5 MiB, so pages wait as small
objects until together they make one (or the last page comes). A step therefore reads at
most one page of clients and copies about one part: a base of 50,000 clients is 50 short
steps, not one long run. A step done again after a crash rewrites the same page object or
the same part number; the multipart upload a crashed step opened is found again by its key,
and one found aborted (the local emulator keeps none across a restart) makes the export
begin again. When the last part is in, the upload is completed, the pages are deleted, the
status is done, and `ClientsExported` tells the notifications service to alert the head.

Import (admin, head, manager): `POST /imports` gives a presigned PUT URL; `preview` reads
the uploaded file and suggests a column mapping; `start` checks the mapping the user
confirmed and publishes `ClientsJobAdvanced(job="import")`. The first step parses the
file once and stores its records as JSON pieces of ROWS_PER_PIECE; each later step handles
IMPORT_CHUNK rows of one piece: every new client is its own transaction, written with a
row marker on the condition that the marker does not exist, so a chunk done again after a
crash neither creates a client twice nor counts a row twice. The step's totals go into the
import item with the next step's event, in the consumer's transaction.

A row whose phone, e-mail or messenger id already is a client's, or an earlier row's, is a
duplicate: skipped, or linked (the client gains the row's other contact points), as the
user chose. Imported clients belong to the importing manager; a head's or an admin's
import leaves them unassigned unless an `owner` column names staff by username.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal

from chalicelib.clients.domain import clients, transfer
from chalicelib.clients.domain.clients import audit_entry
from chalicelib.clients.domain.model import NewClient
from chalicelib.clients.domain.spreadsheet import (
    FIELDS,
    MAX_IMPORT_BYTES,
    NotCsv,
    RowError,
    TooLarge,
    check_size,
    decode,
    read_table,
    rows_as_records,
    suggest_mapping,
)
from chalicelib.clients.domain.transfer import (
    Delimiter,
    Encoding,
    InvalidMapping,
    OnDuplicate,
    Outcome,
    RowPlan,
    RowProblem,
)
from chalicelib.clients.domain.visibility import OFFICE_ROLES
from chalicelib.clients.jobs import job
from chalicelib.clients.service import service
from chalicelib.clients.store import AuditLog, ClientStore
from chalicelib.clients.store.staff import UserPool
from chalicelib.clients.store.transfer import (
    ROWS_PER_PIECE,
    ExportJob,
    Exports,
    ExportStatus,
    ImportJob,
    ImportRowError,
    Imports,
    ImportStatus,
    TransferFiles,
)
from pydantic import ConfigDict, Field

from lanka_platform.api import Call
from lanka_platform.auth import Principal
from lanka_platform.consumer import STALE
from lanka_platform.contracts import clients as events
from lanka_platform.events import Envelope, envelope
from lanka_platform.ids import new_id
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema
from lanka_platform.storage import ConditionFailed

EXPORT_PAGE = 1000
IMPORT_CHUNK = 200  # each row is a transaction or two: 200 take seconds, not minutes
DOWNLOAD_URL_SECONDS = 15 * 60
UPLOAD_URL_SECONDS = 30 * 60
SAMPLE_ROWS = 10
MAX_KEPT_ERRORS = 1000
CLEANUP = "cleanup"
ADMIN = ("admin",)
assert ROWS_PER_PIECE % IMPORT_CHUNK == 0  # a chunk never spans two pieces


# ------------------------------------------------------------------------------ models


class _Body(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class ExportRequest(_Body):
    encoding: Encoding = Field(default="utf-8", description="windows-1251 for old Excel versions")
    delimiter: Delimiter = Field(default=";", description="`;` is what Excel expects in Ukraine")


class ExportQueued(Schema):
    export_id: str
    status: ExportStatus


class ExportState(Schema):
    export_id: str
    status: ExportStatus
    client_count: int
    requested_by: str
    requested_at: datetime
    finished_at: datetime | None = None
    download_url: str | None = Field(default=None, description="When done: a link valid 15 minutes")
    download_expires_at: datetime | None = None


class NewImport(_Body):
    file_name: str = Field(min_length=1, max_length=255, examples=["clients.csv"])
    size: int = Field(ge=1, description="The file's size in bytes")


class ImportCreated(Schema):
    import_id: str
    upload_url: str
    upload_method: Literal["PUT"] = "PUT"
    upload_expires_at: datetime
    max_bytes: int = MAX_IMPORT_BYTES


class ImportPreview(Schema):
    import_id: str
    delimiter: str
    encoding: Encoding
    header: list[str]
    sample: list[list[str]] = Field(description=f"The first {SAMPLE_ROWS} rows")
    row_count: int
    mapping: dict[str, str] = Field(description="Suggested: column number (from 0) -> field")
    fields: list[str]


class ImportStart(_Body):
    mapping: dict[str, str] = Field(description="Column number (from 0) -> field", examples=[{"0": "name"}])
    on_duplicate: OnDuplicate = Field(
        default="skip",
        description="A row whose phone, e-mail or messenger id is already a client's: `skip` it, "
        "or `link` it (the client gets the row's other contact points)",
    )


class ImportState(Schema):
    import_id: str
    file_name: str
    status: ImportStatus
    row_count: int | None
    rows_done: int
    created: int
    linked: int
    skipped: int
    failed: int
    percent: int
    on_duplicate: OnDuplicate
    error: str | None = None
    created_at: datetime
    finished_at: datetime | None = None


class ErrorQuery(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=100, ge=1, le=500)


class ImportErrorPage(Schema):
    items: list[ImportRowError]
    next_cursor: str | None = None


# ------------------------------------------------------------------------------ export routes


@service.route(
    "/exports",
    "POST",
    body=ExportRequest,
    response=ExportQueued,
    status=202,
    roles=ADMIN,
    idempotent=True,
    problems=[409, 429],
)
def request_export(call: Call, body: ExportRequest) -> ExportQueued:
    """Export the whole client base as CSV, in the background (admins; audited; the head
    is alerted; at most 3 a day). Poll `GET /exports/{export_id}` for the file."""
    user, now = call.user, call.store.clock()
    exports = Exports(call.store)
    previous, revision = exports.recent_exports(user.user_id)
    times, retry_after = transfer.export_allowance(previous, now)
    if retry_after is not None:
        raise Problem(
            429,
            "Too many exports",
            f"An admin may export the client base {transfer.EXPORTS_PER_DAY} times a day; "
            f"try again in {_duration(retry_after)}.",
            headers={"Retry-After": str(retry_after)},
        )
    export = ExportJob(
        id=new_id(),
        requested_by=user.user_id,
        requested_at=now,
        encoding=body.encoding,
        delimiter=body.delimiter,
    )
    exports.count_export(call.unit, user.user_id, times, revision, transfer.EXPORT_WINDOW)
    exports.add(call.unit, export)
    AuditLog(call.store).add(call.unit, audit_entry("clients_exported", user, now, None, detail=export.id))
    requested = events.ClientsExportRequested(export_id=export.id, requested_by=user.user_id)
    call.unit.emit(envelope(requested, occurred_at=now))
    return ExportQueued(export_id=export.id, status=export.status)


@service.route("/exports/{export_id}", response=ExportState, roles=ADMIN)
def get_export(call: Call, export_id: str) -> ExportState:
    """An export's progress; when done, a download link valid 15 minutes (handing out the
    link is audited)."""
    export = Exports(call.store).get(export_id)
    if export is None:
        raise Problem.not_found("The export")
    now = call.store.clock()
    state = ExportState(
        export_id=export.id,
        status=export.status,
        client_count=export.client_count,
        requested_by=export.requested_by,
        requested_at=export.requested_at,
        finished_at=export.finished_at,
    )
    if export.status != "done":
        return state
    entry = audit_entry("clients_exported", call.user, now, None, detail=f"{export.id}:link")
    AuditLog(call.store).write(entry)
    name = f"clients-{export.requested_at:%Y-%m-%d}-{export.id[-6:].lower()}.csv"
    url = TransferFiles(call.store.settings).download_url(export.id, name, DOWNLOAD_URL_SECONDS)
    return state.model_copy(
        update={"download_url": url, "download_expires_at": now + timedelta(seconds=DOWNLOAD_URL_SECONDS)}
    )


def _duration(seconds: int) -> str:
    hours, minutes = divmod((seconds + 59) // 60, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


# ------------------------------------------------------------------------------ export job

_EXPORT_REQUEST = {"id", "requested_by", "requested_at", "encoding", "delimiter"}


@service.handles(events.ClientsExportRequested)
def on_export_requested(event: Envelope[events.ClientsExportRequested], unit: UnitOfWork) -> None:
    """One step of an export: a page of clients into the file (see the module's doc)."""
    exports = Exports(service.store)
    export = exports.get(event.data.export_id)
    if export is None or export.status in ("done", "failed"):
        return
    files = TransferFiles(service.settings)
    page, last_key = ClientStore(service.store).all_clients(export.cursor, EXPORT_PAGE)
    active = [client for client in page if client.status == "active"]
    data = transfer.export_chunk(
        active,
        first=export.step == 0,
        encoding=export.encoding,
        delimiter=export.delimiter,
        zone=service.settings.timezone,
    )
    last = not last_key
    after = export.model_copy(
        update={
            "status": "running",
            "step": export.step + 1,
            "cursor": last_key,
            "client_count": export.client_count + len(active),
        }
    )
    if last and files.export_exists(export.id):
        pass  # a previous run of this last step completed the upload, then crashed
    elif transfer.flushes_part(export.pending_bytes, len(data), last):
        if export.upload_id is not None and not files.upload_open(export.id, export.upload_id):
            # The upload was aborted (and the local emulator keeps none across a restart):
            # the file is begun again from the first client.
            again = ExportJob(**export.model_dump(include=_EXPORT_REQUEST), status="running")
            exports.advance(unit, export, again, tag=f"{STALE}export")
            unit.emit(envelope(event.data))
            return
        body = b"".join([*(files.page(export.id, step) for step in export.pending), data])
        upload_id = export.upload_id or files.open_upload(export.id, export.encoding)
        number = len(export.parts) + 1
        parts = [*export.parts, (number, files.upload_part(export.id, upload_id, number, body))]
        if last:
            files.complete(export.id, upload_id, parts)
        after = after.model_copy(
            update={"upload_id": upload_id, "parts": parts, "pending": [], "pending_bytes": 0}
        )
    else:
        files.write_page(export.id, export.step, data)
        after = after.model_copy(
            update={
                "pending": [*export.pending, export.step],
                "pending_bytes": export.pending_bytes + len(data),
            }
        )
    if last:
        files.delete_pages(export.id)
        after = after.model_copy(update={"status": "done", "finished_at": service.store.clock()})
        unit.emit(
            envelope(
                events.ClientsExported(
                    export_id=export.id, requested_by=export.requested_by, client_count=after.client_count
                )
            )
        )
    else:
        unit.emit(envelope(event.data))  # the next step of the same export
    exports.advance(unit, export, after, tag=f"{STALE}export")


# ------------------------------------------------------------------------------ import routes


@service.route(
    "/imports", "POST", body=NewImport, response=ImportCreated, status=201, roles=OFFICE_ROLES, problems=[413]
)
def create_import(call: Call, body: NewImport) -> ImportCreated:
    """Begin an import: PUT the CSV file to `upload_url`, then preview and start it."""
    try:
        check_size(body.size)
    except TooLarge as error:
        raise _too_large(error) from error
    user, now = call.user, call.store.clock()
    job_ = ImportJob(
        id=new_id(),
        file_name=body.file_name,
        declared_size=body.size,
        imported_by=user.user_id,
        importer_username=user.username,
        importer_roles=sorted(user.roles),
        created_at=now,
    )
    Imports(call.store).save(call.unit, None, job_)
    url = TransferFiles(call.store.settings).upload_url(job_.id, UPLOAD_URL_SECONDS)
    return ImportCreated(
        import_id=job_.id,
        upload_url=url,
        upload_expires_at=now + timedelta(seconds=UPLOAD_URL_SECONDS),
    )


@service.route(
    "/imports/{import_id}/preview",
    "POST",
    response=ImportPreview,
    roles=OFFICE_ROLES,
    problems=[409, 413, 422],
)
def preview_import(call: Call, import_id: str) -> ImportPreview:
    """Read the uploaded file: its encoding, delimiter, columns, first rows, and the
    suggested mapping of columns to client fields."""
    imports = Imports(call.store)
    job_ = _own_import(call, imports, import_id)
    if job_.status not in ("awaiting_upload", "previewed"):
        raise Problem.conflict("This import has already started.")
    files = TransferFiles(call.store.settings)
    size = files.upload_size(job_.id)
    data = None
    try:
        if size is not None:
            check_size(size)  # before reading it
            data = files.upload(job_.id)
        if data is None:
            raise Problem.conflict("Upload the file first (PUT it to the upload_url).")
        table = read_table(decode(data))
    except TooLarge as error:
        raise _too_large(error) from error
    except NotCsv as error:
        raise Problem(422, "Not a CSV file", str(error), kind="not-csv") from error
    encoding = transfer.detected_encoding(data)
    saved = job_.model_copy(
        update={
            "status": "previewed",
            "encoding": encoding,
            "delimiter": table.delimiter,
            "header": table.header,
            "row_count": len(table.rows),
        }
    )
    imports.save(call.unit, job_, saved, on_conflict=_changed_meanwhile)
    return ImportPreview(
        import_id=job_.id,
        delimiter=table.delimiter,
        encoding=encoding,
        header=table.header,
        sample=[row.cells for row in table.rows[:SAMPLE_ROWS]],
        row_count=len(table.rows),
        mapping={str(index): field for index, field in suggest_mapping(table.header).items()},
        fields=list(FIELDS),
    )


@service.route(
    "/imports/{import_id}/start",
    "POST",
    body=ImportStart,
    response=ImportState,
    status=202,
    roles=OFFICE_ROLES,
    problems=[409, 422],
)
def start_import(call: Call, import_id: str, body: ImportStart) -> ImportState:
    """Import the rows with the confirmed mapping, in the background; follow the progress
    with `GET /imports/{import_id}` and the rows that failed with `.../errors`."""
    imports = Imports(call.store)
    job_ = _own_import(call, imports, import_id)
    if job_.status == "awaiting_upload":
        raise Problem.conflict("Preview the file first.")
    if job_.status != "previewed":
        raise Problem.conflict("This import has already started.")
    try:
        mapping = transfer.checked_mapping(
            body.mapping, len(job_.header), may_set_owner=call.user.is_supervisor
        )
    except InvalidMapping as error:
        raise Problem.invalid(error.errors) from error
    running = job_.model_copy(
        update={
            "status": "running",
            "mapping": mapping,
            "on_duplicate": body.on_duplicate,
            "started_at": call.store.clock(),
        }
    )
    saved = imports.save(call.unit, job_, running, on_conflict=_changed_meanwhile)
    call.unit.emit(envelope(events.ClientsJobAdvanced(job="import", job_id=job_.id, position=0)))
    return _state(saved, TransferFiles(call.store.settings))


@service.route("/imports/{import_id}", response=ImportState, roles=OFFICE_ROLES)
def get_import(call: Call, import_id: str) -> ImportState:
    """An import's status and totals (the importer's own, or any for the head and admins)."""
    return _state(_visible_import(call, Imports(call.store), import_id), TransferFiles(call.store.settings))


@service.route("/imports/{import_id}/errors", query=ErrorQuery, response=ImportErrorPage, roles=OFFICE_ROLES)
def get_import_errors(call: Call, import_id: str, query: ErrorQuery) -> ImportErrorPage:
    """The rows that did not become clients, in file order, with what is wrong with each
    (the first 1,000 of them)."""
    imports = Imports(call.store)
    job_ = _visible_import(call, imports, import_id)
    items, cursor = imports.errors(job_.id, query.cursor, query.limit)
    return ImportErrorPage(items=items, next_cursor=cursor)


def _visible_import(call: Call, imports: Imports, import_id: str) -> ImportJob:
    job_ = imports.get(import_id)
    if job_ is None or (job_.imported_by != call.user.user_id and not call.user.is_supervisor):
        raise Problem.not_found("The import")
    return job_


def _own_import(call: Call, imports: Imports, import_id: str) -> ImportJob:
    job_ = _visible_import(call, imports, import_id)
    if job_.imported_by != call.user.user_id:
        raise Problem.forbidden("Only who uploaded the file previews and starts its import.")
    return job_


def _state(job_: ImportJob, files: TransferFiles) -> ImportState:
    status: ImportStatus = job_.status
    if status == "awaiting_upload" and files.upload_size(job_.id) is not None:
        status = "uploaded"
    totals = job_.totals
    return ImportState(
        import_id=job_.id,
        file_name=job_.file_name,
        status=status,
        row_count=job_.row_count,
        **totals.model_dump(),
        percent=transfer.percent(totals.rows_done, job_.row_count) if job_.status != "done" else 100,
        on_duplicate=job_.on_duplicate,
        error=job_.error,
        created_at=job_.created_at,
        finished_at=job_.finished_at,
    )


def _too_large(error: TooLarge) -> Problem:
    return Problem(413, "File too large", str(error), kind="file-too-large")


def _changed_meanwhile() -> Problem:
    return Problem.conflict("This import changed meanwhile; reload it.")


# ------------------------------------------------------------------------------ import job


@job("import")
def import_rows(step: events.ClientsJobAdvanced, unit: UnitOfWork) -> None:
    """One step of an import: split the file into pieces first, then a chunk of rows."""
    imports = Imports(service.store)
    job_ = imports.get(step.job_id)
    if job_ is None:
        return
    files = TransferFiles(service.settings)
    if step.cursor == CLEANUP:
        files.delete_pieces(job_.id)
    elif job_.status == "running" and job_.totals.rows_done == step.position:
        if job_.pieces is None:
            _split(job_, imports, files, unit, step)
        else:
            _import_chunk(job_, imports, files, unit, step)


def _split(
    job_: ImportJob, imports: Imports, files: TransferFiles, unit: UnitOfWork, step: events.ClientsJobAdvanced
) -> None:
    """Read the file once and keep its records as JSON pieces for the steps to come."""
    data = files.upload(job_.id)
    try:
        if data is None:
            raise NotCsv("The uploaded file is gone (uploads are kept 7 days); upload it again.")
        check_size(len(data))
        records = list(rows_as_records(read_table(decode(data)), job_.mapping))
    except ValueError as error:  # NotCsv, TooLarge, or a mapping the changed file does not fit
        failed = job_.model_copy(
            update={"status": "failed", "error": str(error), "finished_at": service.store.clock()}
        )
        imports.save(unit, job_, failed, tag=f"{STALE}import")
        return
    rows = [
        {"line": line, "error": row.message} if isinstance(row, RowError) else {"line": line, "record": row}
        for line, row in records
    ]
    pieces = [rows[start : start + ROWS_PER_PIECE] for start in range(0, len(rows), ROWS_PER_PIECE)]
    files.write_pieces(job_.id, [json.dumps(piece, ensure_ascii=False).encode() for piece in pieces])
    split = job_.model_copy(update={"pieces": len(pieces), "row_count": len(rows)})
    imports.save(unit, job_, split, tag=f"{STALE}import")
    unit.emit(envelope(step.model_copy(update={"cursor": None})))


def _import_chunk(
    job_: ImportJob, imports: Imports, files: TransferFiles, unit: UnitOfWork, step: events.ClientsJobAdvanced
) -> None:
    position = step.position
    entries: list[dict[str, Any]] = []
    if position < (job_.row_count or 0):
        piece = json.loads(files.piece(job_.id, position // ROWS_PER_PIECE))
        offset = position % ROWS_PER_PIECE
        entries = piece[offset : offset + IMPORT_CHUNK]
    records = [entry["record"] for entry in entries if "record" in entry]
    owners = _staff_ids(transfer.owner_cells(records)) if "owner" in job_.mapping.values() else {}
    rows: list[tuple[int, NewClient | RowProblem]] = [
        (
            entry["line"],
            transfer.client_from_record(entry["line"], entry["record"], owners)
            if "record" in entry
            else RowProblem(entry["line"], None, entry["error"]),
        )
        for entry in entries
    ]
    run = ImportRun(job_, imports)
    outcomes = run.apply(rows)
    service.relay(run.events)  # one PutEvents per ten; the outbox has them all meanwhile
    room = max(0, MAX_KEPT_ERRORS - job_.errors_kept)
    kept = sorted(run.problems, key=lambda problem: problem.line)[:room]
    imports.keep_errors(job_.id, [ImportRowError(line=p.line, field=p.field, message=p.text) for p in kept])
    totals = job_.totals.plus(outcomes[line] for line, _ in rows)
    after = job_.model_copy(update={"totals": totals, "errors_kept": job_.errors_kept + len(kept)})
    if totals.rows_done >= (job_.row_count or 0):
        after = after.model_copy(update={"status": "done", "finished_at": service.store.clock()})
        unit.emit(envelope(step.model_copy(update={"position": totals.rows_done, "cursor": CLEANUP})))
    else:
        unit.emit(envelope(step.model_copy(update={"position": totals.rows_done, "cursor": None})))
    imports.save(unit, job_, after, tag=f"{STALE}import")


def _staff_ids(usernames: set[str]) -> dict[str, str | None]:
    """User ids of the members of staff named in an owner column (None: no active one)."""
    staff = UserPool(service.store)
    found: dict[str, str | None] = {}
    for username in sorted(usernames):
        member = staff.by_username(username)
        found[username] = member.user_id if member is not None and member.active else None
    return found


class ImportRun:
    """The rows of one chunk applied to the base in file order, each client in its own
    transaction with the row's marker. Their events wait in the outbox and in `events`:
    the chunk relays them together at its end."""

    def __init__(self, job_: ImportJob, imports: Imports) -> None:
        self.job = job_
        self.imports = imports
        self.clients = ClientStore(service.store)
        self.importer = Principal(
            user_id=job_.imported_by, username=job_.importer_username, roles=frozenset(job_.importer_roles)
        )
        self.now = service.store.clock()
        self.outcomes: dict[int, Outcome] = {}
        self.problems: list[RowProblem] = []
        self.events: list[Any] = []  # of the committed rows, to relay once per chunk

    def apply(self, rows: list[tuple[int, NewClient | RowProblem]]) -> dict[int, Outcome]:
        # Rows a crashed run of this chunk already wrote keep the outcome their marker holds.
        self.outcomes = self.imports.done_rows(self.job.id, [line for line, _ in rows])
        todo = [(line, row) for line, row in rows if line not in self.outcomes]
        points: set[transfer.Point] = set()
        for _, row in todo:
            if isinstance(row, NewClient):
                points |= transfer.contact_points(row)
        held = self.clients.holders(points)
        for plan in transfer.plan_rows(todo, held):
            self.outcomes[plan.line] = self._row(plan)
        return self.outcomes

    def _row(self, plan: RowPlan) -> Outcome:
        if plan.problem is not None or plan.client is None:
            self.problems.append(plan.problem or RowProblem(plan.line, None, "The row is empty."))
            return "failed"
        # An earlier row of the file sharing a contact is the same person, unless it failed.
        earlier = self.outcomes.get(plan.first_line) if plan.first_line is not None else None
        try:
            if plan.holder is not None or earlier in ("created", "linked", "skipped"):
                return self._duplicate(plan.line, plan.client)
            try:
                return self._write(plan.line, lambda unit: self._create(unit, plan.client))
            except Problem as problem:
                if problem.status != 409 or not problem.extra.get("existing_client_id"):
                    raise
                # Someone entered a client with this contact meanwhile: a duplicate after all.
                return self._duplicate(plan.line, plan.client)
        except Problem as problem:
            self.problems.append(RowProblem(plan.line, None, problem.detail or problem.title))
            return "failed"

    def _duplicate(self, line: int, new: NewClient) -> Outcome:
        if self.job.on_duplicate == "skip":
            return "skipped"
        return self._write(line, lambda unit: self._link(unit, new))

    def _create(self, unit: UnitOfWork, new: NewClient | None) -> tuple[Outcome, str]:
        assert new is not None
        client = clients.create_client(unit, self.clients, new, self.importer, self.now)
        return "created", client.id

    def _link(self, unit: UnitOfWork, new: NewClient) -> tuple[Outcome, str]:
        resolution = clients.resolve_client(unit, self.clients, new, self.importer, self.now)
        return ("created" if resolution.created else "linked"), resolution.client_id

    def _write(self, line: int, act: Callable[[UnitOfWork], tuple[Outcome, str]]) -> Outcome:
        unit = service.store.unit_of_work()
        outcome, client_id = act(unit)
        self.imports.mark_row(unit, self.job.id, line, outcome, client_id)
        try:
            unit.commit()
        except (Problem, ConditionFailed) as error:
            # Another run of this chunk (a redelivered event) wrote the row first.
            done = self.imports.done_rows(self.job.id, [line])
            if line in done:
                return done[line]
            raise error
        self.events += unit.events
        return outcome
