"""Client lists as CSV files: reading what Excel or another CRM saved, and writing one Excel opens.

Import is four steps, each a pure function so the API can stop between them to show the
user what it understood: `decode` the uploaded bytes, `read_table` the text into a header
and rows, `suggest_mapping` of columns to client fields (which the user may edit), and
`rows_as_records`. Phones and e-mails are not checked here: the caller runs its own
normalizers on the records. Export is `write_csv`, which neutralises formula cells.

Line numbers are the file's physical lines, 1-based, counted from the line where a record
starts; they are the row numbers Excel shows unless a cell holds a line break, so the
message about a misfit row names both when they differ.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import islice

from lanka_platform.spreadsheet import DELIMITERS, safe_cell, write_csv

# Export moved to the shared package; importers of this module still find it here.
__all__ = ["safe_cell", "write_csv"]

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 50_000

FIELDS: tuple[str, ...] = (
    "name",
    "first_name",
    "middle_name",
    "last_name",
    "kind",
    "company",
    "phone",
    "email",
    "telegram",
    "viber",
    "address",
    "city",
    "tags",
    "note",
    "source",
    "owner",
)
"""Fields a column may be mapped to. The name parts are joined into `name` in a record."""

NAME_PARTS: tuple[str, ...] = ("first_name", "middle_name", "last_name")

Record = dict[str, list[str]]


class NotCsv(ValueError):
    """The upload is not a CSV table; the message says what it is and what to do instead."""


class TooLarge(ValueError):
    """The upload is over the byte or row limit."""


@dataclass(frozen=True, slots=True)
class Row:
    """One record of the file: `line` is where it starts, `number` is Excel's row number."""

    line: int
    number: int
    cells: list[str]


@dataclass(frozen=True, slots=True)
class Table:
    delimiter: str
    header: list[str]
    rows: list[Row]


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that cannot be read as a client; the file's other rows still can."""

    line: int
    message: str


# -- bytes to text ------------------------------------------------------------------------

_EXCEL_SAVE_AS = 'File > Save As > "CSV UTF-8"'
_SAVE_AS_CSV = f"in Excel choose {_EXCEL_SAVE_AS} and upload that file"
_NOT_TEXT = f"This is not a text file, so it cannot be a CSV table; {_SAVE_AS_CSV}."
_PICTURE = "This is a {} picture, not a table; upload the client list as a CSV file."
_ARCHIVE = "This is a {} archive; unpack it and upload the CSV file inside."
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        f"This is an Excel 97-2003 workbook (.xls) or another old Office file; {_SAVE_AS_CSV}.",
    ),
    (b"%PDF-", "This is a PDF document, not a table; export the client list as CSV where it was made."),
    (b"\x89PNG\r\n\x1a\n", _PICTURE.format("PNG")),
    (b"\xff\xd8\xff", _PICTURE.format("JPEG")),
    (b"GIF87a", _PICTURE.format("GIF")),
    (b"GIF89a", _PICTURE.format("GIF")),
    (b"\x1f\x8b", _ARCHIVE.format("gzip")),
    (b"Rar!\x1a\x07", _ARCHIVE.format("RAR")),
    (b"7z\xbc\xaf\x27\x1c", _ARCHIVE.format("7-Zip")),
    # Excel's "Unicode text": UTF-16 with a byte order mark, NUL bytes in every Latin char.
    (b"\xff\xfe", f'This file is saved as "Unicode text" (UTF-16); {_SAVE_AS_CSV}.'),
    (b"\xfe\xff", f'This file is saved as "Unicode text" (UTF-16); {_SAVE_AS_CSV}.'),
)
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
# C0 and C1 control characters other than tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Text with more than one control character in this many is a binary file decoded as text.
_CONTROL_RATIO = 50


def check_size(n_bytes: int) -> None:
    """Refuse an upload over MAX_IMPORT_BYTES before it is decoded."""
    if n_bytes > MAX_IMPORT_BYTES:
        raise TooLarge(
            f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; split it into smaller files."
        )


def decode(data: bytes) -> str:
    """The text of an uploaded CSV file: UTF-8 (with or without BOM) or Windows-1251.

    Strict UTF-8 is tried first: Windows-1251 Cyrillic is practically never valid UTF-8
    (its letters are bytes 0xC0-0xFF, which UTF-8 allows only before continuation bytes),
    while nearly every UTF-8 file also decodes as Windows-1251, into nonsense.
    Files that are not text at all are refused with a message that says what they are.
    """
    _refuse_known_formats(data)
    if b"\x00" in data:
        raise NotCsv(_NOT_TEXT)
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        if len(body) < len(data):
            raise NotCsv(
                f"This file starts like UTF-8 text but is not valid UTF-8; {_SAVE_AS_CSV}."
            ) from None
        try:
            text = body.decode("cp1251")
        except UnicodeDecodeError:
            raise NotCsv(_NOT_TEXT) from None
    if len(_CONTROL.findall(text)) * _CONTROL_RATIO > len(text):
        raise NotCsv(_NOT_TEXT)
    _refuse_markup(text)
    return text


def _refuse_known_formats(data: bytes) -> None:
    if data.startswith(_ZIP_SIGNATURES):
        # Office files are ZIP archives; the names of their parts tell which kind.
        if b"application/vnd.oasis.opendocument.spreadsheet" in data[:200]:
            raise NotCsv(
                "This is an OpenDocument spreadsheet (.ods); save it as CSV (UTF-8) and upload that."
            )
        if b"xl/" in data:
            raise NotCsv(
                f"This is an Excel workbook (.xlsx); save it as CSV (in Excel: {_EXCEL_SAVE_AS}) "
                "and upload that file."
            )
        raise NotCsv(_ARCHIVE.format("ZIP"))
    for signature, message in _SIGNATURES:
        if data.startswith(signature):
            raise NotCsv(message)


def _refuse_markup(text: str) -> None:
    # Some programs "export to Excel" as an HTML or XML file with an .xls name.
    head = text.lstrip()[:32].casefold()
    if head.startswith(("<!doctype html", "<html", "<table")):
        raise NotCsv(f"This is a web page (HTML), not CSV; open it in Excel and choose {_EXCEL_SAVE_AS}.")
    if head.startswith("<?xml"):
        raise NotCsv(f"This is an XML file, not CSV; open it in Excel and choose {_EXCEL_SAVE_AS}.")


# -- text to table ------------------------------------------------------------------------

# Preference among equally good delimiters: a tab hardly ever sits inside a cell, and
# Excel on Ukrainian Windows separates with ";" while commas are common in addresses.
_DELIMITERS = DELIMITERS
_SAMPLE_RECORDS = 50
_WILD_MISFITS = 3
_EMAIL_LIKE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE_LIKE = re.compile(r"\+?[0-9 ()\-.]{6,}")
_PROBE = "end-of-file probe"


def read_table(text: str) -> Table:
    """The header and the rows of a CSV text, with the delimiter it uses.

    Blank rows (no cell with anything but spaces) are skipped. A row whose cells do not
    line up with the header is kept: `rows_as_records` reports it on its own, because one
    bad row is no reason to refuse the other thousand. The file as a whole is refused when
    its first row holds data instead of column names, when its lines do not split into
    columns at all, or when a quote is left open so that the rest of the file would be one
    cell. A file of one column is valid: a list of names needs no delimiter.
    """
    lines = io.StringIO(text, newline="").readlines()
    delimiter = _detect_delimiter(lines)
    reader = csv.reader(lines, delimiter=delimiter)
    header: list[str] | None = None
    rows: list[Row] = []
    number, start, last_start = 0, 1, 1
    try:
        for cells in reader:
            number += 1
            line, start = start, reader.line_num + 1
            if not _has_text(cells):
                continue
            last_start = line
            if header is None:
                header = cells
                continue
            if len(rows) == MAX_IMPORT_ROWS:
                raise TooLarge(
                    f"The file has more than {MAX_IMPORT_ROWS:,} clients; split it into smaller files."
                )
            rows.append(Row(line, number, cells))
    except csv.Error as error:
        raise NotCsv(f"Line {reader.line_num} cannot be read as CSV: {error}.") from error
    if header is None:
        raise NotCsv("The file is empty: the first row should name the columns, the next ones hold clients.")
    for cell in header:
        if _holds_data(cell):
            raise NotCsv(
                f"The first row should name the columns (such as Name;Phone;E-mail), but it holds "
                f"data ({cell.strip()}); add a row with column names at the top."
            )
    if _ends_inside_quotes(lines[last_start - 1 :], delimiter):
        raise NotCsv(
            f'Line {last_start}: a quote (") opens a cell that is never closed, so the rest of the file '
            'would be one cell; close it, or write a quote inside a cell as two quotes ("").'
        )
    return Table(delimiter=delimiter, header=header, rows=rows)


def _detect_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the first records into the header's columns.

    csv.Sniffer guesses from character frequencies and is often wrong on short files, so
    each candidate parses the sample for real. A candidate whose rows mostly do not fit
    the header is out. Of the rest the best gives more than one column, then has
    well-formed quoting (a quoted cell ends right before a delimiter, which on a file with
    quotes only the right delimiter achieves), then fits the most rows. A file is read as
    one column only when no delimiter splits its header: a header that splits but whose
    rows never line up is not a table at all.
    """
    ranked: list[tuple[tuple[bool, bool, float, int], str]] = []
    header_splits = False
    for preference, delimiter in enumerate(_DELIMITERS):
        try:
            sample = _sample(lines, delimiter, strict=False)
        except csv.Error:
            continue
        if not sample:
            return ";"
        header, data = sample[0], sample[1:]
        columns = len(header) > 1
        header_splits = header_splits or columns
        fitting = sum(_fits(cells, header) for cells in data)
        misfits = len(data) - fitting
        if misfits >= _WILD_MISFITS and misfits > fitting:
            continue
        try:
            _sample(lines, delimiter, strict=True)
            well_formed = True
        except csv.Error:
            well_formed = False
        share = fitting / len(data) if data else 1.0
        ranked.append(((columns, well_formed, share, -preference), delimiter))
    if not ranked or (header_splits and not max(ranked)[0][0]):
        raise NotCsv(
            "The lines of this file do not split into the same columns, so it is not a CSV table; "
            f"{_SAVE_AS_CSV}."
        )
    return max(ranked)[1]


def _sample(lines: list[str], delimiter: str, *, strict: bool) -> list[list[str]]:
    records = csv.reader(lines, delimiter=delimiter, strict=strict)
    return list(islice((cells for cells in records if _has_text(cells)), _SAMPLE_RECORDS))


def _has_text(cells: list[str]) -> bool:
    return any(cell.strip() for cell in cells)


def _fits(cells: list[str], header: list[str]) -> bool:
    """Whether a row lines up with the header, ignoring differences that lose nothing.

    Extra empty cells at the end (a trailing delimiter) and missing cells under columns
    without a name are not misfits: no value would move to another column.
    """
    width = len(header)
    if len(cells) >= width:
        return not _has_text(cells[width:])
    return not _has_text(header[len(cells) :])


def _holds_data(cell: str) -> bool:
    value = cell.strip()
    if _EMAIL_LIKE.fullmatch(value):
        return True
    return bool(_PHONE_LIKE.fullmatch(value)) and sum(ch.isdigit() for ch in value) >= 6


def _ends_inside_quotes(tail: list[str], delimiter: str) -> bool:
    """Whether the reader reached the end of the text inside a quoted cell.

    The csv module (not strict) quietly ends such a cell at the end of the text. A line
    after the last one shows it: it is a record of its own unless a quote swallows it.
    """
    *_, last = csv.reader([*tail, "\n", _PROBE], delimiter=delimiter)
    return last != [_PROBE]


# -- columns to fields --------------------------------------------------------------------

# Header names as `_normalized` makes them; checked in this order, first match wins, so
# "Назва компанії" is a company and "Телефон менеджера" a phone, not a name or an owner.
_HEADERS: tuple[tuple[str, frozenset[str], tuple[str, ...]], ...] = (
    (
        "last_name",
        frozenset({"прізвище", "фамилия", "lastname", "surname", "familyname", "last"}),
        ("прізвищ", "фамили", "lastname", "surname"),
    ),
    (
        "middle_name",
        frozenset({"побатькові", "отчество", "middlename", "patronymic"}),
        ("побатькові", "отчеств", "middlename", "patronymic"),
    ),
    ("first_name", frozenset({"firstname", "givenname", "first"}), ("firstname",)),
    ("telegram", frozenset({"tg", "тг"}), ("telegram", "телеграм")),
    ("viber", frozenset(), ("viber", "вайбер")),
    (
        "email",
        frozenset(
            {
                "mail",
                "пошта",
                "почта",
                "елпошта",
                "эпочта",
                "элпочта",
                "епошта",
                "електроннапошта",
                "электроннаяпочта",
                "адресаелпошти",
                "адресэлпочты",
                "мейл",
                "емейл",
                "імейл",
                "имейл",
                "емайл",
            }
        ),
        ("email", "емейл", "імейл", "имейл"),
    ),
    (
        "phone",
        frozenset({"тел", "моб", "мобтел", "телмоб", "tel", "mob", "cell", "cellphone"}),
        ("телефон", "phone", "мобільн", "мобильн", "mobile"),
    ),
    (
        "company",
        frozenset(
            {
                "фірма",
                "фирма",
                "підприємство",
                "предприятие",
                "account",
                "accountname",
            }
        ),
        ("компані", "компани", "організаці", "организаци", "company", "organization", "organisation"),
    ),
    (
        "kind",
        frozenset({"тип", "вид", "type", "kind", "типклієнта", "типклиента", "clienttype", "customertype"}),
        (),
    ),
    ("address", frozenset({"вулиця", "улица", "street"}), ("адрес", "address")),
    ("city", frozenset({"місто", "город", "city", "town", "населенийпункт", "населенныйпункт"}), ()),
    (
        "tags",
        frozenset(
            {
                "теги",
                "тег",
                "мітки",
                "мітка",
                "метки",
                "метка",
                "tags",
                "tag",
                "labels",
                "label",
                "категорія",
                "категория",
                "category",
                "група",
                "группа",
                "group",
                "сегмент",
                "segment",
            }
        ),
        (),
    ),
    (
        "note",
        frozenset({"notes", "note", "опис", "описание", "description", "нотатки", "заметки"}),
        ("примітк", "коментар", "комментари", "примечани", "comment"),
    ),
    (
        "source",
        frozenset({"канал", "каналзалучення", "leadsource"}),
        ("джерел", "источник", "source"),
    ),
    (
        "owner",
        frozenset({"assignedto", "responsible"}),
        ("відповідальн", "ответственн", "менеджер", "manager", "owner"),
    ),
    (
        "name",
        frozenset(
            {
                "імя",
                "имя",
                "назва",
                "клієнт",
                "клиент",
                "name",
                "контакт",
                "контактнаособа",
                "контактноелицо",
                "повнеімя",
                "полноеимя",
                "найменування",
                "наименование",
                "назваклієнта",
                "імяклієнта",
                "имяклиента",
                "clientname",
                "customer",
                "customername",
                "contact",
                "contactname",
                "displayname",
            }
        ),
        ("піб", "фио", "фіо", "fullname"),
    ),
)
# A bare "name" column next to a surname column holds the first name.
_BARE_NAMES = frozenset({"імя", "имя", "name"})
# Latin letters that look like Cyrillic ones, typed by mistake into Cyrillic words.
_LATIN_LOOKALIKES = str.maketrans("aceiopxyk", "асеіорхук")
_WORD = re.compile(r"\w+")
_APOSTROPHES = str.maketrans("", "", "'’ʼ`‘ʹ")
_CYRILLIC = re.compile("[а-яіїєґ]")


def suggest_mapping(header: list[str]) -> dict[int, str]:
    """Column index -> client field, for the columns whose name says what they hold.

    Names are compared without case, spaces, punctuation, apostrophes or a trailing
    number ("Ім'я", "ІМЯ", "Телефон 2", "E-mail"), in Ukrainian, Russian and English.
    Several columns may map to one field (two phone columns); unknown columns are left out.
    """
    names = [_normalized(cell) for cell in header]
    mapping: dict[int, str] = {}
    for index, name in enumerate(names):
        field = _field_named(name)
        if field is not None:
            mapping[index] = field
    if "last_name" in mapping.values():
        for index, name in enumerate(names):
            if name in _BARE_NAMES:
                mapping[index] = "first_name"
    return mapping


def _normalized(header_cell: str) -> str:
    words = _WORD.findall(header_cell.casefold().replace("ё", "е").translate(_APOSTROPHES))
    joined = "".join(
        word.translate(_LATIN_LOOKALIKES) if _CYRILLIC.search(word) else word for word in words
    ).replace("_", "")
    return joined.rstrip("0123456789") or joined


def _field_named(name: str) -> str | None:
    if not name:
        return None
    for field, exact, stems in _HEADERS:
        if name in exact or any(stem in name for stem in stems):
            return field
    return None


# -- table to records ---------------------------------------------------------------------

# Fields whose cell may list several values, as people write two phones in one cell.
_LISTED_FIELDS = frozenset({"phone", "email", "tags"})
_LIST_SEPARATORS = re.compile(r"[,;\r\n]+")


def rows_as_records(table: Table, mapping: Mapping[int, str]) -> Iterator[tuple[int, Record | RowError]]:
    """Each row as field -> its non-empty values, or a RowError; with the row's line.

    A field takes values from every column mapped to it, in column order. Phone, e-mail and
    tag cells are split at commas, semicolons and line breaks. Name parts are joined
    (first, middle, last) into one more `name` value. A mapping naming an unknown field or
    a column the table does not have is refused with ValueError before any row is read.
    """
    for index, field in mapping.items():
        if field not in FIELDS:
            raise ValueError(f"{field!r} is not a client field.")
        if not 0 <= index < len(table.header):
            raise ValueError(f"The file has no column {index + 1}.")
    return _records(table, dict(sorted(mapping.items())))


def _records(table: Table, mapping: dict[int, str]) -> Iterator[tuple[int, Record | RowError]]:
    for row in table.rows:
        if _fits(row.cells, table.header):
            yield row.line, _record(row.cells, mapping)
        else:
            yield row.line, RowError(row.line, _misfit(row, table))


def _record(cells: list[str], mapping: dict[int, str]) -> Record:
    record: Record = {}
    for index, field in mapping.items():
        value = cells[index].strip() if index < len(cells) else ""
        values = _LIST_SEPARATORS.split(value) if field in _LISTED_FIELDS else [value]
        kept = [item.strip() for item in values if item.strip()]
        if kept:
            record.setdefault(field, []).extend(kept)
    parts = [" ".join(record.pop(part)) for part in NAME_PARTS if part in record]
    if parts:
        record.setdefault("name", []).append(" ".join(parts))
    return record


def _misfit(row: Row, table: Table) -> str:
    where = f"Row {row.number}"
    if row.line != row.number:
        where += f" (line {row.line} of the file)"
    width = len(table.header)
    if len(row.cells) > width:
        why = f"perhaps a value holds the separator {table.delimiter!r} without quotes around it"
    else:
        why = "perhaps a separator is missing"
    return f"{where} has {len(row.cells)} cells, but the first row names {width} columns; {why}."


# -- export: `write_csv` and `safe_cell` live in the shared package (reports export too).
