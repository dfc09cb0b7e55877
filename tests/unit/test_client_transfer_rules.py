"""The rules of CSV import and bulk export: rows to clients, duplicates, quotas, pages."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services" / "clients"))

from chalicelib.clients.domain.model import Client, NewClient
from chalicelib.clients.domain.spreadsheet import write_csv
from chalicelib.clients.domain.transfer import (
    EXPORT_COLUMNS,
    ImportTotals,
    InvalidMapping,
    RowProblem,
    checked_mapping,
    client_from_record,
    export_allowance,
    export_chunk,
    export_row,
    parse_kind,
    percent,
    plan_rows,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def client(n: int, name: str | None = None) -> Client:
    return Client(
        id=f"C{n}",
        name=name or f"Клієнт {n}",
        kind="person",
        phones=[{"number": f"+38067{1000000 + n:07d}", "label": "mobile"}],
        created_at=NOW,
        updated_at=NOW,
        version=1,
    )


# ------------------------------------------------------------------------------ rows to clients


def test_a_row_becomes_a_client_with_canonical_contacts():
    # when
    new = client_from_record(
        2, {"name": ["Олена"], "phone": ["067 123 45 67"], "email": ["Olena@Example.COM"], "tags": ["vip"]}
    )
    # then
    assert isinstance(new, NewClient)
    assert [p.number for p in new.phones] == ["+380671234567"]
    assert [e.address for e in new.emails] == ["olena@example.com"]
    assert new.source_channel == "import"
    assert new.tags == ["vip"]


def test_one_phone_written_twice_in_a_row_is_kept_once():
    # when
    new = client_from_record(2, {"name": ["Олена"], "phone": ["067 123 45 67", "+38 (067) 123-45-67"]})
    # then
    assert isinstance(new, NewClient)
    assert [p.number for p in new.phones] == ["+380671234567"]


def test_an_invalid_phone_is_a_problem_of_its_row_and_field():
    # when
    problem = client_from_record(7, {"name": ["Ігор"], "phone": ["067 000"]})
    # then
    assert isinstance(problem, RowProblem)
    assert problem.text == "Row 7: phone: This phone number does not exist."


def test_a_row_with_a_company_is_a_company_with_its_contact_person():
    # when
    new = client_from_record(
        2, {"name": ["Петро Іваненко"], "company": ["ТОВ Меблі"], "phone": ["0501234567"]}
    )
    # then
    assert isinstance(new, NewClient)
    assert (new.kind, new.name) == ("company", "ТОВ Меблі")
    assert [person.name for person in new.contacts] == ["Петро Іваненко"]


def test_a_row_without_a_name_is_named_after_its_phone():
    # when
    new = client_from_record(2, {"phone": ["067 123 45 67"]})
    # then
    assert isinstance(new, NewClient)
    assert new.name == "067 123 45 67"


def test_a_row_without_name_phone_or_email_is_a_problem():
    # when
    problem = client_from_record(4, {"note": ["дзвонив"]})
    # then
    assert isinstance(problem, RowProblem)
    assert problem.text == "Row 4: name: The row has no name, phone or e-mail."


@pytest.mark.parametrize(
    ("written", "kind"),
    [("Юридична особа", "company"), ("фіз. особа", "person"), ("Company", "company"), ("ФОП?", None)],
)
def test_kind_is_read_as_people_write_it(written, kind):
    assert parse_kind(written) == kind


def test_an_owner_nobody_has_is_a_problem_and_a_known_one_is_set():
    # given
    owners = {"olena": "user-1", "gone": None}
    # when
    known = client_from_record(2, {"name": ["А"], "owner": ["olena"]}, owners)
    unknown = client_from_record(3, {"name": ["Б"], "owner": ["gone"]}, owners)
    # then
    assert isinstance(known, NewClient) and known.owner_id == "user-1"
    assert isinstance(unknown, RowProblem) and unknown.field == "owner"


# ------------------------------------------------------------------------------ duplicates


def test_rows_sharing_a_contact_are_one_client_the_first_created():
    # given
    rows = [
        (2, client_from_record(2, {"name": ["Олена"], "phone": ["067 123 45 67"]})),
        (3, client_from_record(3, {"name": ["Олена П."], "phone": ["380671234567"]})),
        (4, client_from_record(4, {"name": ["Олена"]})),
    ]
    # when
    plans = plan_rows(rows, {})
    # then
    assert [(plan.action, plan.first_line) for plan in plans] == [
        ("create", None),
        ("duplicate", 2),
        ("create", None),  # a name alone never makes a duplicate
    ]


def test_a_row_with_a_contact_of_the_base_duplicates_that_client():
    # given
    row = client_from_record(2, {"name": ["Олена"], "phone": ["067 123 45 67"]})
    # when
    (plan,) = plan_rows([(2, row)], {("phone", "+380671234567"): "C1"})
    # then
    assert (plan.action, plan.holder) == ("duplicate", "C1")


def test_a_row_problem_is_planned_as_a_failure():
    (plan,) = plan_rows([(5, RowProblem(5, "phone", "x"))], {})
    assert plan.action == "fail"


# ------------------------------------------------------------------------------ mapping


def test_a_mapping_needs_a_name_or_a_way_to_reach_the_client():
    with pytest.raises(InvalidMapping) as refused:
        checked_mapping({"0": "note", "1": "tags"}, 2, may_set_owner=True)
    assert refused.value.errors[0]["field"] == "mapping"


def test_a_mapping_of_phones_only_is_enough():
    assert checked_mapping({"1": "phone"}, 2, may_set_owner=False) == {1: "phone"}


def test_unknown_fields_columns_and_owners_of_a_manager_are_named():
    with pytest.raises(InvalidMapping) as refused:
        checked_mapping(
            {"0": "name", "1": "fax", "5": "phone", "x": "email", "2": "owner"}, 3, may_set_owner=False
        )
    assert [error["field"] for error in refused.value.errors] == [
        "mapping.1",
        "mapping.5",
        "mapping.x",
        "mapping.2",
    ]


# ------------------------------------------------------------------------------ progress


def test_totals_add_up_the_outcomes_of_a_chunk():
    totals = ImportTotals(rows_done=200, created=150, skipped=50).plus(["created", "linked", "failed"])
    assert totals == ImportTotals(rows_done=203, created=151, linked=1, skipped=50, failed=1)


@pytest.mark.parametrize(
    ("done", "total", "shown"), [(0, 1050, 0), (999, 1000, 99), (5, 5, 100), (0, 0, 100)]
)
def test_percent_is_whole_and_reaches_100_only_at_the_end(done, total, shown):
    assert percent(done, total) == shown


# ------------------------------------------------------------------------------ export


def test_three_exports_a_day_then_wait_until_the_oldest_is_a_day_old():
    # given
    taken = [NOW - timedelta(hours=23), NOW - timedelta(hours=2), NOW - timedelta(hours=1)]
    # when
    kept, retry_after = export_allowance(taken, NOW)
    # then
    assert retry_after == 3600
    assert kept == taken


def test_exports_older_than_a_day_no_longer_count():
    kept, retry_after = export_allowance([NOW - timedelta(days=2)] * 3 + [NOW - timedelta(hours=1)], NOW)
    assert retry_after is None
    assert kept == [NOW - timedelta(hours=1), NOW]


@pytest.mark.parametrize("encoding", ["utf-8", "windows-1251"])
def test_pages_joined_are_one_csv_file(encoding):
    # given
    clients = [client(n) for n in range(5)]
    # when
    pages = [
        export_chunk(clients[:2], first=True, encoding=encoding, delimiter=";", zone="Europe/Kyiv"),
        export_chunk(clients[2:], first=False, encoding=encoding, delimiter=";", zone="Europe/Kyiv"),
    ]
    # then
    whole = write_csv(
        list(EXPORT_COLUMNS),
        [export_row(c, "Europe/Kyiv") for c in clients],
        encoding=encoding,
        delimiter=";",
    )
    assert b"".join(pages) == whole


def test_an_exported_row_shows_kyiv_time_and_escapes_formulas():
    row = export_row(client(1, name='=HYPERLINK("x")'), "Europe/Kyiv")
    page = export_chunk(
        [client(1, name='=HYPERLINK("x")')], first=False, encoding="utf-8", delimiter=";", zone="Europe/Kyiv"
    )
    assert row[-1] == "2024-05-01 15:00"
    assert page.startswith(b'"C1";"\'=HYPERLINK(""x"")"')
