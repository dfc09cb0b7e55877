"""Client rules that need no AWS: messenger ids, custom field values, likely duplicates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from chalicelib.clients.domain.contacts import InvalidContact, normalize_telegram, normalize_viber
from chalicelib.clients.domain.custom_fields import CustomField, checked_values
from chalicelib.clients.domain.duplicates import likely_same, same_name, similar_phones
from chalicelib.clients.domain.model import Client, ClientFields, NewClient
from pydantic import ValidationError

from lanka_platform.problems import Problem

NOW = datetime(2026, 11, 27, tzinfo=UTC)


@pytest.mark.parametrize("typed", ["@Olena_P", "olena_p", "https://t.me/olena_P", "t.me/OLENA_P"])
def test_a_telegram_username_has_one_form(typed):
    assert normalize_telegram(typed) == "olena_p"


def test_a_telegram_user_id_is_kept_as_digits():
    assert normalize_telegram("123456789") == "123456789"


@pytest.mark.parametrize("typed", ["@ab", "olena p", "@" + "x" * 40, "привіт"])
def test_what_is_not_a_telegram_username_is_refused(typed):
    with pytest.raises(InvalidContact):
        normalize_telegram(typed)


def test_a_viber_id_keeps_its_case_and_refuses_spaces():
    assert normalize_viber(" AbC+/123== ") == "AbC+/123=="
    with pytest.raises(InvalidContact):
        normalize_viber("not a viber id")


FIELDS = [
    CustomField(key="room", label="Приміщення", type="select", options=["кухня", "шафа"]),
    CustomField(key="budget", label="Бюджет", type="number"),
    CustomField(key="visit_on", label="Замір", type="date"),
    CustomField(key="wish", label="Побажання", type="text"),
]


def test_custom_values_are_checked_and_empty_ones_dropped():
    values = {"room": "кухня", "budget": 1.5, "visit_on": "2026-12-01", "wish": "  світле  ", "budget2": None}
    with pytest.raises(Problem) as refused:
        checked_values(FIELDS, values)
    assert [e["field"] for e in refused.value.errors] == ["custom.budget2"]
    del values["budget2"]
    assert checked_values(FIELDS, {**values, "wish": None}) == {
        "room": "кухня",
        "budget": 1.5,
        "visit_on": "2026-12-01",
    }


@pytest.mark.parametrize(
    ("key", "value"),
    [("room", "ванна"), ("budget", "5"), ("budget", True), ("visit_on", "01.12.2026"), ("wish", 5)],
)
def test_a_custom_value_of_the_wrong_kind_is_refused(key, value):
    with pytest.raises(Problem) as refused:
        checked_values(FIELDS, {key: value})
    assert refused.value.status == 422
    assert refused.value.errors[0]["field"] == f"custom.{key}"


def test_a_select_needs_options_and_other_types_have_none():
    with pytest.raises(ValidationError):
        CustomField(key="room", label="x", type="select")
    with pytest.raises(ValidationError):
        CustomField(key="n", label="x", type="number", options=["1"])


def test_only_a_company_has_contact_people_and_no_phone_is_given_twice():
    with pytest.raises(ValidationError):
        ClientFields(name="Олена", contacts=[{"name": "Ігор"}])
    with pytest.raises(ValidationError):
        NewClient(name="Олена", phone="0671234567", phones=["+380 67 123 45 67", "067 123 45 67"])


def test_the_phone_shortcut_becomes_the_first_phone():
    client = NewClient(name="Олена", phone="0671234567", phones=[{"number": "0501234567", "label": "work"}])
    assert [p.number for p in client.phones] == ["+380671234567", "+380501234567"]


@pytest.mark.parametrize(
    ("a", "b", "similar"),
    [
        ("+380671234567", "+380671234576", True),  # two digits swapped
        ("+380671234567", "+380671234568", True),  # one wrong digit
        ("+380671234567", "+380501234567", True),  # the same number behind another operator code
        ("+380671234567", "+380679876543", False),
        ("+380671234567", "+380671239999", False),
    ],
)
def test_similar_phones(a, b, similar):
    assert similar_phones(a, b) is similar


def _client(name: str, *phones: str) -> Client:
    return Client(
        id=name,
        name=name,
        kind="person",
        phones=[{"number": p} for p in phones],
        created_at=NOW,
        updated_at=NOW,
        version=1,
    )


def test_likely_duplicates_need_the_same_name_and_a_similar_contact():
    assert same_name("Олена Мар'яна Петренко", "петренко олена марʼяна")
    assert likely_same(_client("Олена Петренко", "+380671234567"), _client("петренко олена", "+380671234568"))
    assert (
        likely_same(_client("Олена Петренко", "+380671234567"), _client("Олена Коваль", "+380671234568"))
        is None
    )
    assert (
        likely_same(_client("Олена Петренко", "+380671234567"), _client("Олена Петренко", "+380939990000"))
        is None
    )
