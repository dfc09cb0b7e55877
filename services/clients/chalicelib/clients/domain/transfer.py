"""The rules of moving client lists in and out: CSV import rows to clients, and bulk export.

Pure functions and models, no S3 or DynamoDB (the jobs in `api/transfer.py` do the I/O):

* export: which columns a client becomes (`export_chunk`), when the pages collected so far
  make an S3 multipart part (`flushes_part`), and how many exports an admin may take in a
  rolling day (`export_allowance`);
* import: which column mappings can make clients (`checked_mapping`), how one CSV record
  becomes a `NewClient` or a per-row problem (`client_from_record`), which rows of a chunk
  duplicate a client of the base or an earlier row of the file (`plan_rows`), and the
  progress of a running import (`ImportTotals`).
"""

from __future__ import annotations

import codecs
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from chalicelib.clients.domain.contacts import InvalidContact, normalize_email, normalize_phone
from chalicelib.clients.domain.model import Client, NewClient
from chalicelib.clients.domain.spreadsheet import FIELDS, NAME_PARTS, Record, write_csv
from pydantic import ValidationError

from lanka_platform.clock import local
from lanka_platform.schema import Schema

Encoding = Literal["utf-8", "windows-1251"]
Delimiter = Literal[";", ","]
Point = tuple[str, str]

# ------------------------------------------------------------------------------ export

EXPORT_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "kind",
    "phones",
    "emails",
    "telegram",
    "viber",
    "addresses",
    "tags",
    "source",
    "owner_id",
    "created_at",
)
# S3 refuses multipart parts under 5 MiB (except the last): pages wait in small files
# until together they make a part at least this big.
PART_BYTES = 5 * 1024 * 1024
EXPORTS_PER_DAY = 3
EXPORT_WINDOW = timedelta(days=1)
# Several values in one cell: the import splits phones, e-mails and tags at commas again.
_LIST_JOIN = ", "
_ADDRESS_JOIN = " | "


def export_row(client: Client, zone: str) -> list[str]:
    """The cells of one client, in EXPORT_COLUMNS order (times in the company's zone)."""
    addresses = [
        ", ".join(part for part in (a.line, a.city, a.postal_code) if part) for a in client.addresses
    ]
    return [
        client.id,
        client.name,
        client.kind,
        _LIST_JOIN.join(client.all_phones()),
        _LIST_JOIN.join(client.all_emails()),
        client.telegram or "",
        client.viber or "",
        _ADDRESS_JOIN.join(addresses),
        _LIST_JOIN.join(client.tags),
        client.source_channel or "",
        client.owner_id or "",
        local(client.created_at, zone).strftime("%Y-%m-%d %H:%M"),
    ]


def export_chunk(
    clients: Iterable[Client], *, first: bool, encoding: Encoding, delimiter: Delimiter, zone: str
) -> bytes:
    """A page of the export file: the first page starts with the BOM and the header row,
    the others are rows only, so that the pages joined in order are one CSV file."""
    header = list(EXPORT_COLUMNS)
    data = write_csv(header, [export_row(c, zone) for c in clients], encoding=encoding, delimiter=delimiter)
    if first:
        return data
    head = write_csv(header, [], encoding=encoding, delimiter=delimiter)
    assert data.startswith(head)
    return data[len(head) :]


def flushes_part(pending_bytes: int, page_bytes: int, last: bool) -> bool:
    """Whether the pages waiting so far and this one go to S3 as a part now."""
    return last or pending_bytes + page_bytes >= PART_BYTES


def export_allowance(previous: Iterable[datetime], now: datetime) -> tuple[list[datetime], int | None]:
    """The admin's export times to keep with this one, or the seconds to wait (Retry-After)
    when EXPORTS_PER_DAY exports were already taken in the last EXPORT_WINDOW."""
    recent = sorted(moment for moment in previous if moment > now - EXPORT_WINDOW)
    if len(recent) >= EXPORTS_PER_DAY:
        frees_at = recent[-EXPORTS_PER_DAY] + EXPORT_WINDOW
        return recent, max(1, math.ceil((frees_at - now).total_seconds()))
    return [*recent, now], None


# ------------------------------------------------------------------------------ import: mapping

OnDuplicate = Literal["skip", "link"]
NAME_FIELDS = frozenset({"name", "company", *NAME_PARTS})
CONTACT_FIELDS = frozenset({"phone", "email"})


class InvalidMapping(ValueError):
    """A column mapping that cannot make clients; `errors` are problem+json field errors."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(error["message"] for error in errors))
        self.errors = errors


def checked_mapping(raw: Mapping[str, str], columns: int, *, may_set_owner: bool) -> dict[int, str]:
    """Column index -> field, from the `{"0": "name", ...}` the user confirmed."""
    errors: list[dict[str, str]] = []
    mapping: dict[int, str] = {}

    def refuse(where: str, message: str) -> None:
        errors.append({"field": where, "message": message, "in": "body"})

    for key, field in raw.items():
        where = f"mapping.{key}"
        if not key.isdigit():
            refuse(where, "Name a column by its number, counting from 0.")
            continue
        index = int(key)
        if index >= columns:
            refuse(where, f"The file has no column {index} (it has {columns}, numbered from 0).")
        elif field not in FIELDS:
            refuse(where, f"{field!r} is not a client field; use one of: {', '.join(FIELDS)}.")
        elif field == "owner" and not may_set_owner:
            refuse(where, "Only the head or an admin may import owners: your clients are yours.")
        else:
            mapping[index] = field
    if not errors and not (set(mapping.values()) & (NAME_FIELDS | CONTACT_FIELDS)):
        refuse(
            "mapping",
            "Map a column to the name, or to a phone or an e-mail: a client needs a name or a way "
            "to reach them.",
        )
    if errors:
        raise InvalidMapping(errors)
    return mapping


# ------------------------------------------------------------------------------ import: rows


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why one row of the file did not become a client; the other rows still do."""

    line: int
    field: str | None
    message: str

    @property
    def text(self) -> str:
        """`Row 7: phone: This phone number does not exist.`"""
        if self.field is None:
            # A row that does not line up with the header: its message names the row.
            return self.message if self.message.startswith("Row ") else f"Row {self.line}: {self.message}"
        return f"Row {self.line}: {self.field}: {self.message}"


# What the user mapped, by the client field pydantic reports an error on.
_FIELD_OF = {
    "name": "name",
    "kind": "kind",
    "phones": "phone",
    "phone": "phone",
    "emails": "email",
    "email": "email",
    "telegram": "telegram",
    "viber": "viber",
    "addresses": "address",
    "contacts": "name",
    "tags": "tags",
    "note": "note",
    "source_channel": "source",
    "owner_id": "owner",
}
_COMPANY_WORDS = ("company", "business", "organi", "corporate", "компан", "організ", "организ", "юр", "тов")
_PERSON_WORDS = ("person", "individual", "private", "фіз", "физ", "особа", "лице", "людина", "приват")
_LETTERS = re.compile(r"[\W\d_]+")
DEFAULT_SOURCE = "import"


def parse_kind(value: str) -> Literal["person", "company"] | None:
    """`person` or `company` from how people write it ("Юр. особа", "фіз", "Company")."""
    word = _LETTERS.sub("", value.casefold())
    # "юридична особа" holds a person's word too: the company words are checked first.
    if any(stem in word for stem in _COMPANY_WORDS):
        return "company"
    if any(stem in word for stem in _PERSON_WORDS):
        return "person"
    return None


def client_from_record(
    line: int, record: Record, owners: Mapping[str, str | None] | None = None
) -> NewClient | RowProblem:
    """The client a CSV record describes, or what is wrong with the row.

    A row with a company is a company client (its person's name, if any, becomes the
    contact person) unless its kind says `person`. A row without any name is named after
    its first phone or e-mail, as written. `owners` maps the owner cells to user ids
    (None: no such active member of staff).
    """
    person = " ".join(record.get("name", []))
    company = " ".join(record.get("company", []))
    kind_cell = next(iter(record.get("kind", [])), None)
    kind = parse_kind(kind_cell) if kind_cell else None
    if kind_cell and kind is None:
        return RowProblem(line, "kind", f"Write person or company (особа / компанія), not {kind_cell!r}.")
    phones = _distinct(record.get("phone", []), normalize_phone)
    emails = _distinct(record.get("email", []), normalize_email)
    data: dict[str, Any] = {
        "phones": phones,
        "emails": emails,
        "tags": record.get("tags", []),
        "source_channel": next(iter(record.get("source", [])), DEFAULT_SOURCE),
    }
    notes = list(record.get("note", []))
    if company and kind != "person":
        data.update(kind="company", name=company)
        if person:
            data["contacts"] = [{"name": person}]
    else:
        data.update(kind=kind or "person", name=person)
        if company:
            notes.append(f"Компанія: {company}")
    if not data["name"]:
        first_contact = next(iter([*record.get("phone", []), *record.get("email", [])]), None)
        if first_contact is None:
            return RowProblem(line, "name", "The row has no name, phone or e-mail.")
        data["name"] = first_contact
    for field in ("telegram", "viber"):
        if record.get(field):
            data[field] = record[field][0]
    address, city = " ".join(record.get("address", [])), " ".join(record.get("city", []))
    if address or city:
        data["addresses"] = [{"line": address or city, "city": city or None}]
    if notes:
        data["note"] = "\n".join(notes)
    owner_cell = next(iter(record.get("owner", [])), None)
    if owner_cell is not None:
        owner_id = (owners or {}).get(owner_cell)
        if owner_id is None:
            return RowProblem(line, "owner", f"No active member of staff has the username {owner_cell!r}.")
        data["owner_id"] = owner_id
    try:
        return NewClient.model_validate(data)
    except ValidationError as error:
        return _row_problem(line, error)


def _distinct(values: Iterable[str], normalize: Any) -> list[str]:
    """The values with repeats dropped, comparing canonical forms: a row may list the same
    phone twice, written two ways. Invalid values are kept for validation to report."""
    seen: set[str] = set()
    kept: list[str] = []
    for value in values:
        try:
            key = normalize(value)
        except InvalidContact:
            key = value
        if key not in seen:
            seen.add(key)
            kept.append(value)
    return kept


def _row_problem(line: int, error: ValidationError) -> RowProblem:
    details = error.errors(include_url=False, include_context=False, include_input=False)
    found: list[tuple[str, str]] = []
    for item in details:
        location = item["loc"]
        field = _FIELD_OF.get(str(location[0]), str(location[0])) if location else "row"
        if location and location[0] == "addresses" and "city" in location:
            field = "city"
        message = str(item["msg"]).removeprefix("Value error, ").rstrip(".") + "."
        found.append((field, message))
    (field, message), *more = found
    return RowProblem(line, field, " ".join([message, *(f"{f}: {m}" for f, m in more)]))


def owner_cells(records: Iterable[Record]) -> set[str]:
    return {record["owner"][0] for record in records if record.get("owner")}


def contact_points(new: NewClient) -> set[Point]:
    """The (kind, canonical value) contact points the client would hold."""
    moment = datetime.min
    probe = Client(id="", **new.fields().model_dump(), created_at=moment, updated_at=moment, version=0)
    return probe.contact_points()


# ------------------------------------------------------------------------------ import: plan

RowAction = Literal["create", "duplicate", "fail"]
_POINT_ORDER = {"phone": 0, "email": 1, "telegram": 2, "viber": 3}


@dataclass(frozen=True, slots=True)
class RowPlan:
    """What to do with one row: create its client, treat it as a duplicate, or report it.

    A duplicate names the base client holding one of its contact points (`holder`), or
    else the earlier row of the file that has one of them (`first_line`)."""

    line: int
    action: RowAction
    client: NewClient | None = None
    problem: RowProblem | None = None
    holder: str | None = None
    first_line: int | None = None


def plan_rows(rows: Sequence[tuple[int, NewClient | RowProblem]], held: Mapping[Point, str]) -> list[RowPlan]:
    """Plans for rows in file order. `held` says which client of the base holds each of
    the rows' contact points; two rows of the file sharing a point are one client: the
    first is created, the later ones are its duplicates. Names alone never make a
    duplicate (two people may share one)."""
    first_with: dict[Point, int] = {}
    plans: list[RowPlan] = []
    for line, row in rows:
        if isinstance(row, RowProblem):
            plans.append(RowPlan(line, "fail", problem=row))
            continue
        points = contact_points(row)
        in_base = sorted((p for p in points if p in held), key=lambda p: (_POINT_ORDER[p[0]], p[1]))
        earlier = min((first_with[p] for p in points if p in first_with), default=None)
        for point in points:
            first_with.setdefault(point, line)
        if in_base:
            plans.append(RowPlan(line, "duplicate", client=row, holder=held[in_base[0]]))
        elif earlier is not None:
            plans.append(RowPlan(line, "duplicate", client=row, first_line=earlier))
        else:
            plans.append(RowPlan(line, "create", client=row))
    return plans


# ------------------------------------------------------------------------------ import: progress

Outcome = Literal["created", "linked", "skipped", "failed"]


class ImportTotals(Schema):
    rows_done: int = 0
    created: int = 0
    linked: int = 0
    skipped: int = 0
    failed: int = 0

    def plus(self, outcomes: Iterable[Outcome]) -> ImportTotals:
        counts = self.model_dump()
        for outcome in outcomes:
            counts[outcome] += 1
            counts["rows_done"] += 1
        return ImportTotals(**counts)


def percent(done: int, total: int | None) -> int:
    """Whole percent done, never 100 before the last row."""
    if not total:
        return 0 if total is None else 100
    return min(100, done * 100 // total)


def detected_encoding(data: bytes) -> Encoding:
    """The encoding `spreadsheet.decode` read an accepted file in."""
    try:
        data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError:
        return "windows-1251"
    return "utf-8"
