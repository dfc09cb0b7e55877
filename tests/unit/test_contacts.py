"""Phones and e-mails in their one canonical form."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services" / "clients"))

from chalicelib.clients.domain.contacts import InvalidContact, normalize_email, normalize_phone


@pytest.mark.parametrize(
    "typed",
    ["050 123 45 67", "0501234567", "+380501234567", "+38 (050) 123-45-67", "380501234567", "050-123-45-67"],
)
def test_ways_people_type_a_ukrainian_mobile_give_one_e164(typed):
    assert normalize_phone(typed) == "+380501234567"


def test_foreign_number_keeps_its_country():
    assert normalize_phone("+48 600 123 456") == "+48600123456"


@pytest.mark.parametrize("typed", ["12", "hello", "+380 00 000 0000", "", "0000000000000000000"])
def test_what_is_not_a_phone_is_refused(typed):
    with pytest.raises(InvalidContact):
        normalize_phone(typed)


@given(st.from_regex(r"0(50|66|67|68|73|93|95|96|97|98|99)[0-9]{7}", fullmatch=True))
def test_normalizing_twice_changes_nothing(local_number):
    once = normalize_phone(local_number)
    assert normalize_phone(once) == once
    assert once.startswith("+380") and len(once) == 13


def test_email_is_lower_cased_as_a_key():
    assert normalize_email("Olena.Petrenko@Example.COM") == "olena.petrenko@example.com"


@pytest.mark.parametrize("typed", ["olena@", "@example.com", "olena example.com", "a@b"])
def test_what_is_not_an_email_is_refused(typed):
    with pytest.raises(InvalidContact):
        normalize_email(typed)
