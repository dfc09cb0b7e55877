"""CSV files that Excel opens with Cyrillic intact and never runs as formulas (exports of
clients, reports): shared, so every export neutralises formula cells the same way."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable
from typing import Literal

DELIMITERS = ("\t", ";", ",")
# A leading character that makes a spreadsheet read the cell as a formula (OWASP "CSV
# Injection"; NUL is in ASVS 1.2.10's list as well).
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\x00")
_E164 = re.compile(r"\+[0-9]{6,15}")
# Characters Windows-1251 lacks but has a twin of: the Ukrainian apostrophe U+02BC.
_CP1251_TWINS = str.maketrans({"\u02bc": "\u2019"})


def safe_cell(value: str) -> str:
    """The value as a spreadsheet shows it as text, never runs it as a formula.

    A cell starting with `=`, `+`, `-`, `@`, tab, carriage return or NUL gets a leading
    single quote, as OWASP advises. One exception keeps phones readable: `+` and then 6 to
    15 ASCII digits and nothing else (an E.164 number such as +380671234567) is left as
    is. That is safe because such a cell can only evaluate to the number itself: a formula
    needs a function name, a reference, an operator after the first operand or a `|` for
    DDE, and none of these can be written in digits alone.
    """
    if value.startswith(_FORMULA_TRIGGERS) and not _E164.fullmatch(value):
        return "'" + value
    return value


def write_csv(
    header: list[str],
    rows: Iterable[list[str]],
    *,
    encoding: Literal["utf-8", "windows-1251"] = "utf-8",
    delimiter: str = ";",
) -> bytes:
    """A CSV file Excel opens with Cyrillic intact, every cell passed through `safe_cell`.

    UTF-8 starts with a BOM, without which Excel reads the file as the ANSI code page.
    Windows-1251 is for old Excel versions; a character it lacks becomes "?". Every cell
    is quoted (as OWASP advises), which also makes the delimiter unambiguous when the
    file is imported again.
    """
    if delimiter not in DELIMITERS:
        raise ValueError(f"The delimiter must be one of {DELIMITERS!r}.")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    text = buffer.getvalue()
    if encoding == "utf-8":
        return codecs.BOM_UTF8 + text.encode("utf-8", errors="replace")
    if encoding == "windows-1251":
        return text.translate(_CP1251_TWINS).encode("cp1251", errors="replace")
    raise ValueError(f"Unknown encoding {encoding!r}.")
