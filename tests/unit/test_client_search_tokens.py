"""Client search keys: words, apostrophes, transliteration, phone digits and the item bound."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services" / "clients"))

from chalicelib.clients.domain.search import (
    MAX_NAME_ENTRIES,
    InvalidSearch,
    index_entry_count,
    name_keys,
    parse_query,
    phone_key,
    to_cyrillic,
    to_latin,
    words,
)

from lanka_platform.storage import MAX_TRANSACTION_ITEMS


def found_by(name: str, query: str) -> bool:
    """What the index answers: some key of the name begins with the query's prefix."""
    term = parse_query(query)
    return (
        term.kind == "name"
        and any(key.startswith(term.prefix) for key in name_keys(name))
        and term.admits(name)
    )


@pytest.mark.parametrize("apostrophe", ["'", "’", "ʼ", "`"])
def test_every_apostrophe_is_ignored_in_names(apostrophe):
    assert words(f"Мар{apostrophe}яна") == ["маряна"]


def test_names_are_split_at_hyphens_and_spaces_and_lower_cased():
    assert words("Олена  Петренко-Коваль") == ["олена", "петренко", "коваль"]


@pytest.mark.parametrize("query", ["марян", "МАР'ЯН", "ар’я", "яна", "Ма"])
def test_a_fragment_anywhere_in_a_word_finds_the_name(query):
    assert found_by("Мар'яна Коваль", query)


def test_a_fragment_that_is_not_in_the_name_does_not_find_it():
    assert not found_by("Мар'яна Коваль", "марина")


@pytest.mark.parametrize(
    ("ukrainian", "latin"),
    [
        ("олена", "olena"),
        ("щербак", "shcherbak"),
        ("згорани", "zghorany"),
        ("юрій", "yurii"),
        ("ковалюк", "kovaliuk"),
        ("євгенія", "yevheniia"),
        ("їжакевич", "yizhakevych"),
        ("маряна", "mariana"),
        ("ґудзь", "gudz"),
        ("хмельницький", "khmelnytskyi"),
    ],
)
def test_ukrainian_words_are_transliterated_by_the_kmu_2010_rules(ukrainian, latin):
    assert to_latin(ukrainian) == latin


def test_a_latin_query_finds_a_cyrillic_name():
    assert found_by("Олена Петренко", "olena")
    assert found_by("Олена Петренко", "trenk")


def test_a_cyrillic_query_finds_a_name_entered_in_latin():
    assert to_cyrillic("olena") == "олена"
    assert found_by("Olena Petrenko", "петрен")


def test_every_word_of_a_query_must_be_in_the_name():
    assert found_by("Олена Петренко", "олена пет")
    assert not found_by("Олена Коваль", "олена пет")


@pytest.mark.parametrize("typed", ["067 123 45 67", "+38(067)1234567", "380671234567", "0671234567", "4567"])
def test_phone_typed_any_way_is_a_prefix_of_the_reversed_number(typed):
    term = parse_query(typed)
    assert term.kind == "phone"
    assert phone_key("+380671234567").startswith(term.prefix)


def test_email_query_is_the_folded_start_of_the_address():
    term = parse_query("Olena@Ex")
    assert (term.kind, term.prefix) == ("email", "olena@ex")


@pytest.mark.parametrize("query", ["a", "12", "'я", "  -  "])
def test_too_short_a_query_is_refused(query):
    with pytest.raises(InvalidSearch):
        parse_query(query)


@given(st.text(max_size=300))
def test_any_name_has_a_bounded_number_of_index_entries(name):
    assert len(name_keys(name)) <= MAX_NAME_ENTRIES


@given(
    st.text(max_size=300),
    st.lists(st.from_regex(r"\+380\d{9}", fullmatch=True), max_size=5),
    st.lists(st.emails(), max_size=5),
)
def test_a_client_with_its_contacts_and_index_fits_in_one_transaction(name, phones, emails):
    # the client, a contact point per phone and e-mail, the outbox entry and an idempotency record
    other_items = 1 + len(phones) + len(emails) + 1 + 1
    assert other_items + index_entry_count(name, phones, emails) <= MAX_TRANSACTION_ITEMS


@given(st.text(alphabet="абвгґдеєжзиіїйклмнопрстуфхцчшщьюя'’", min_size=2, max_size=12))
def test_every_fragment_of_a_short_ukrainian_word_finds_it(word):
    folded = words(word)
    if not folded or len(folded[0]) < 2:
        return
    text = folded[0]
    for start in range(len(text) - 1):
        assert found_by(word, text[start : start + 2])
