"""Items and files of CSV imports and bulk exports of clients.

| item             | pk                       | sk               |
| ---------------- | ------------------------ | ---------------- |
| export           | EXPORT#<id>              | EXPORT           |
| export quota     | EXPORTQUOTA#<user id>    | QUOTA            |
| import           | IMPORT#<id>              | IMPORT           |
| import row error | IMPORT#<id>              | ERROR#<line:08d> |
| imported row     | IMPORTROW#<id>#<line>    | ROW              |

An export or an import item holds its job's state as JSON (`body`) beside a number that
each step's write is conditional on (`step` of an export, `revision` of an import): a
step that was already taken, delivered again, cannot be counted twice.

The export quota item keeps the times of the admin's exports in the last day; it is
rewritten with each export, in the same transaction, on the condition that nobody wrote
it since it was read. It expires a day after the last export.

An imported-row marker is written in the same transaction as the client the row created
(or the contact points it added to one): a chunk done again after a crash finds it and
neither creates the client twice nor counts the row twice. Row errors are kept one item
per row, read in line order a page at a time.

S3 objects:

| bucket        | key                                  | what                                      |
| ------------- | ------------------------------------ | ----------------------------------------- |
| lanka-imports | imports/<id>.csv                     | the uploaded file, as the user sent it    |
| lanka-imports | imports/<id>/rows/<piece:05d>.json   | its records, ROWS_PER_PIECE per object    |
| lanka-exports | exports/<id>.csv                     | the export (a multipart upload)           |
| lanka-exports | exports/<id>/pages/<step:06d>.csv    | pages waiting to make a part together     |

Both buckets delete objects after 7 days; a job removes its own working objects when it
is done.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Literal

from botocore.exceptions import ClientError
from chalicelib.clients.domain.transfer import (
    Delimiter,
    Encoding,
    ImportTotals,
    OnDuplicate,
    Outcome,
)
from pydantic import Field
from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform import aws
from lanka_platform.clock import from_iso, to_iso
from lanka_platform.pagination import decode_cursor, encode_cursor
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema
from lanka_platform.storage import OnConflict, Store, TableModel, writes

ExportStatus = Literal["queued", "running", "done", "failed"]
ImportStatus = Literal["awaiting_upload", "uploaded", "previewed", "running", "done", "failed"]
ROWS_PER_PIECE = 1000
ROW_MARKER_TAG = "import-row"
_ROW_MARKER_DAYS = 30


# ------------------------------------------------------------------------------ jobs


class ExportJob(Schema):
    id: str
    requested_by: str
    requested_at: datetime
    encoding: Encoding
    delimiter: Delimiter
    status: ExportStatus = "queued"
    client_count: int = 0
    step: int = 0
    cursor: dict[str, Any] | None = None
    upload_id: str | None = None
    parts: list[tuple[int, str]] = []
    pending: list[int] = []
    pending_bytes: int = 0
    finished_at: datetime | None = None


class ImportJob(Schema):
    id: str
    file_name: str
    declared_size: int
    imported_by: str
    importer_username: str
    importer_roles: list[str]
    created_at: datetime
    status: ImportStatus = "awaiting_upload"
    encoding: Encoding | None = None
    delimiter: str | None = None
    header: list[str] = []
    row_count: int | None = None
    mapping: dict[int, str] = {}
    on_duplicate: OnDuplicate = "skip"
    pieces: int | None = None
    totals: ImportTotals = Field(default_factory=ImportTotals)
    errors_kept: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    revision: int = 0


class ImportRowError(Schema):
    line: int
    field: str | None
    message: str


# ------------------------------------------------------------------------------ items


class ExportItem(TableModel):
    body = UnicodeAttribute()
    step = NumberAttribute()


class ExportQuotaItem(TableModel):
    times = UnicodeAttribute()
    revision = NumberAttribute()
    expires_at = TTLAttribute()


class ImportItem(TableModel):
    body = UnicodeAttribute()
    revision = NumberAttribute()


class ImportErrorItem(TableModel):
    line = NumberAttribute()
    field = UnicodeAttribute(null=True)
    message = UnicodeAttribute()


class ImportRowItem(TableModel):
    outcome = UnicodeAttribute()
    client_id = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


MODELS = (ExportItem, ExportQuotaItem, ImportItem, ImportErrorItem, ImportRowItem)


def _export_key(export_id: str) -> tuple[str, str]:
    return f"EXPORT#{export_id}", "EXPORT"


def _import_key(import_id: str) -> tuple[str, str]:
    return f"IMPORT#{import_id}", "IMPORT"


def _row_key(import_id: str, line: int) -> tuple[str, str]:
    return f"IMPORTROW#{import_id}#{line}", "ROW"


class Exports:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._exports = store.model(ExportItem)
        self._quotas = store.model(ExportQuotaItem)

    def add(self, unit: UnitOfWork, job: ExportJob) -> None:
        pk, sk = _export_key(job.id)
        writes(unit).put(
            self._exports(pk=pk, sk=sk, body=job.model_dump_json(), step=job.step),
            condition=self._exports.pk.does_not_exist(),
        )

    def get(self, export_id: str) -> ExportJob | None:
        try:
            item = self._exports.get(*_export_key(export_id))
        except DoesNotExist:
            return None
        return ExportJob.model_validate_json(item.body)

    def advance(self, unit: UnitOfWork, before: ExportJob, after: ExportJob, *, tag: str) -> None:
        """Queue the job's next state, on the condition that it is still at `before`."""
        pk, sk = _export_key(after.id)
        writes(unit).put(
            self._exports(pk=pk, sk=sk, body=after.model_dump_json(), step=after.step),
            condition=self._exports.step == before.step,
            tag=tag,
        )

    def recent_exports(self, user_id: str) -> tuple[list[datetime], int]:
        """The admin's export times kept in the quota item, and the item's revision."""
        try:
            item = self._quotas.get(f"EXPORTQUOTA#{user_id}", "QUOTA")
        except DoesNotExist:
            return [], 0
        return [from_iso(moment) for moment in json.loads(item.times)], int(item.revision)

    def count_export(
        self, unit: UnitOfWork, user_id: str, times: list[datetime], revision: int, window: timedelta
    ) -> None:
        condition = self._quotas.pk.does_not_exist() if revision == 0 else self._quotas.revision == revision
        writes(unit).put(
            self._quotas(
                pk=f"EXPORTQUOTA#{user_id}",
                sk="QUOTA",
                times=json.dumps([to_iso(moment) for moment in times]),
                revision=revision + 1,
                expires_at=max(times) + window,
            ),
            condition=condition,
            on_conflict=lambda: Problem.conflict(
                "Another export was requested at the same moment; try again."
            ),
        )


class Imports:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._imports = store.model(ImportItem)
        self._errors = store.model(ImportErrorItem)
        self._rows = store.model(ImportRowItem)

    def get(self, import_id: str) -> ImportJob | None:
        try:
            item = self._imports.get(*_import_key(import_id))
        except DoesNotExist:
            return None
        job = ImportJob.model_validate_json(item.body)
        return job.model_copy(update={"revision": int(item.revision)})

    def save(
        self,
        unit: UnitOfWork,
        before: ImportJob | None,
        after: ImportJob,
        *,
        tag: str = "import",
        on_conflict: OnConflict = None,
    ) -> ImportJob:
        """Queue the job's new state, on the condition that nobody saved it since `before`."""
        pk, sk = _import_key(after.id)
        saved = after.model_copy(update={"revision": (before.revision if before else 0) + 1})
        condition = (
            self._imports.pk.does_not_exist() if before is None else self._imports.revision == before.revision
        )
        writes(unit).put(
            self._imports(
                pk=pk, sk=sk, body=saved.model_dump_json(exclude={"revision"}), revision=saved.revision
            ),
            condition=condition,
            tag=tag,
            on_conflict=on_conflict,
        )
        return saved

    # ------------------------------------------------------------------ rows

    def mark_row(
        self, unit: UnitOfWork, import_id: str, line: int, outcome: Outcome, client_id: str | None
    ) -> None:
        pk, sk = _row_key(import_id, line)
        writes(unit).put(
            self._rows(
                pk=pk,
                sk=sk,
                outcome=outcome,
                client_id=client_id,
                expires_at=self._store.clock() + timedelta(days=_ROW_MARKER_DAYS),
            ),
            condition=self._rows.pk.does_not_exist(),
            tag=ROW_MARKER_TAG,
        )

    def done_rows(self, import_id: str, lines: Iterable[int]) -> dict[int, Outcome]:
        """The outcomes of the rows that a previous run of the chunk already wrote."""
        keys = [_row_key(import_id, line) for line in sorted(set(lines))]
        if not keys:
            return {}
        found: dict[int, Outcome] = {}
        for item in self._rows.batch_get(keys):
            found[int(item.pk.rsplit("#", 1)[1])] = item.outcome  # type: ignore[assignment]
        return found

    def keep_errors(self, import_id: str, errors: Iterable[ImportRowError]) -> None:
        """Write row errors (a batch write: the same row's error is the same item)."""
        with self._errors.batch_write() as batch:
            for error in errors:
                batch.save(
                    self._errors(
                        pk=f"IMPORT#{import_id}",
                        sk=f"ERROR#{error.line:08d}",
                        line=error.line,
                        field=error.field,
                        message=error.message,
                    )
                )

    def errors(
        self, import_id: str, cursor: str | None, limit: int
    ) -> tuple[list[ImportRowError], str | None]:
        secret = self._store.settings.cursor_secret.encode()
        result = self._errors.query(
            f"IMPORT#{import_id}",
            self._errors.sk.startswith("ERROR#"),
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, secret),
        )
        items = [
            ImportRowError(line=int(item.line), field=item.field, message=item.message) for item in result
        ]
        return items, encode_cursor(result.last_evaluated_key, secret)


# ------------------------------------------------------------------------------ files


class TransferFiles:
    """The S3 objects of imports and exports (the only code that knows their keys)."""

    def __init__(self, settings: Any) -> None:
        self._settings = settings
        self.imports_bucket: str = settings.imports_bucket
        self.exports_bucket: str = settings.exports_bucket

    @cached_property
    def _s3(self) -> Any:
        return aws.client("s3", self._settings.region, self._settings.aws_endpoint_url)

    # ------------------------------------------------------------------ imports

    @staticmethod
    def _upload_key(import_id: str) -> str:
        return f"imports/{import_id}.csv"

    @staticmethod
    def _piece_key(import_id: str, piece: int) -> str:
        return f"imports/{import_id}/rows/{piece:05d}.json"

    def upload_url(self, import_id: str, seconds: int) -> str:
        url: str = self._s3.generate_presigned_url(
            "put_object",
            Params={"Bucket": self.imports_bucket, "Key": self._upload_key(import_id)},
            ExpiresIn=seconds,
        )
        return url

    def upload_size(self, import_id: str) -> int | None:
        """The uploaded file's size, or None while nothing was uploaded."""
        try:
            head = self._s3.head_object(Bucket=self.imports_bucket, Key=self._upload_key(import_id))
        except ClientError as error:
            if _missing(error):
                return None
            raise
        return int(head["ContentLength"])

    def upload(self, import_id: str) -> bytes | None:
        try:
            answer = self._s3.get_object(Bucket=self.imports_bucket, Key=self._upload_key(import_id))
        except ClientError as error:
            if _missing(error):
                return None
            raise
        data: bytes = answer["Body"].read()
        return data

    def write_pieces(self, import_id: str, pieces: list[bytes]) -> None:
        for number, body in enumerate(pieces):
            self._s3.put_object(
                Bucket=self.imports_bucket,
                Key=self._piece_key(import_id, number),
                Body=body,
                ContentType="application/json",
            )

    def piece(self, import_id: str, number: int) -> bytes:
        answer = self._s3.get_object(Bucket=self.imports_bucket, Key=self._piece_key(import_id, number))
        data: bytes = answer["Body"].read()
        return data

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
        self._s3.put_object(Bucket=self.exports_bucket, Key=self._page_key(export_id, step), Body=data)

    def page(self, export_id: str, step: int) -> bytes:
        answer = self._s3.get_object(Bucket=self.exports_bucket, Key=self._page_key(export_id, step))
        data: bytes = answer["Body"].read()
        return data

    def _uploads(self, export_id: str) -> list[str]:
        key = self._export_key(export_id)
        listed = self._s3.list_multipart_uploads(Bucket=self.exports_bucket, Prefix=key)
        return [str(upload["UploadId"]) for upload in listed.get("Uploads", []) if upload["Key"] == key]

    def upload_open(self, export_id: str, upload_id: str) -> bool:
        """Whether the multipart upload still takes parts (not completed nor aborted)."""
        return upload_id in self._uploads(export_id)

    def open_upload(self, export_id: str, encoding: str) -> str:
        """The multipart upload of the export: the one a crashed step began, or a new one."""
        for upload_id in self._uploads(export_id):
            return upload_id
        created = self._s3.create_multipart_upload(
            Bucket=self.exports_bucket,
            Key=self._export_key(export_id),
            ContentType=f"text/csv; charset={encoding}",
        )
        return str(created["UploadId"])

    def upload_part(self, export_id: str, upload_id: str, number: int, data: bytes) -> str:
        answer = self._s3.upload_part(
            Bucket=self.exports_bucket,
            Key=self._export_key(export_id),
            UploadId=upload_id,
            PartNumber=number,
            Body=data,
        )
        return str(answer["ETag"])

    def complete(self, export_id: str, upload_id: str, parts: list[tuple[int, str]]) -> None:
        self._s3.complete_multipart_upload(
            Bucket=self.exports_bucket,
            Key=self._export_key(export_id),
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": number, "ETag": etag} for number, etag in parts]},
        )

    def export_exists(self, export_id: str) -> bool:
        try:
            self._s3.head_object(Bucket=self.exports_bucket, Key=self._export_key(export_id))
        except ClientError as error:
            if _missing(error):
                return False
            raise
        return True

    def delete_pages(self, export_id: str) -> None:
        self._delete_prefix(self.exports_bucket, f"exports/{export_id}/pages/")

    def download_url(self, export_id: str, file_name: str, seconds: int) -> str:
        url: str = self._s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.exports_bucket,
                "Key": self._export_key(export_id),
                "ResponseContentDisposition": f'attachment; filename="{file_name}"',
            },
            ExpiresIn=seconds,
        )
        return url

    # ------------------------------------------------------------------ both

    def _delete_prefix(self, bucket: str, prefix: str) -> None:
        token: dict[str, str] = {}
        while True:
            listed = self._s3.list_objects_v2(Bucket=bucket, Prefix=prefix, **token)
            keys = [{"Key": item["Key"]} for item in listed.get("Contents", [])]
            if keys:
                self._s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            if not listed.get("IsTruncated"):
                return
            token = {"ContinuationToken": listed["NextContinuationToken"]}


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _missing(error: ClientError) -> bool:
    return _code(error) in ("404", "NoSuchKey", "NotFound")
