"""Document rules that need no AWS: amounts in Ukrainian words, requisites' check digits,
template checks, numbers."""

from __future__ import annotations

import pytest
from chalicelib.deals.domain.documents import (
    DEFAULT_TEMPLATES,
    Requisites,
    check_template,
    edrpou_is_valid,
    iban_is_valid,
    money,
    number_of,
    placeholder,
    render,
    sample_variables,
)
from chalicelib.deals.domain.words import amount_in_words, number_in_words
from pydantic import ValidationError

from lanka_platform.problems import Problem


@pytest.mark.parametrize(
    ("minor", "words"),
    [
        (120050, "одна тисяча двісті гривень 50 копійок"),
        (100, "одна гривня 00 копійок"),
        (201, "дві гривні 01 копійка"),
        (502, "п'ять гривень 02 копійки"),
        (1100, "одинадцять гривень 00 копійок"),
        (2111, "двадцять одна гривня 11 копійок"),
        (222200, "дві тисячі двісті двадцять дві гривні 00 копійок"),
        (4_500_000, "сорок п'ять тисяч гривень 00 копійок"),
        (0, "нуль гривень 00 копійок"),
        (
            123_456_789_12,
            "сто двадцять три мільйони чотириста п'ятдесят шість тисяч сімсот вісімдесят дев'ять"
            " гривень 12 копійок",
        ),
        (2_000_000_000_00, "два мільярди гривень 00 копійок"),
        (1_014_00, "одна тисяча чотирнадцять гривень 00 копійок"),
    ],
)
def test_an_amount_in_words_agrees_in_gender_and_number(minor, words):
    assert amount_in_words(minor, "UAH") == words


def test_thousands_are_feminine_and_millions_masculine():
    assert number_in_words(2_002_000) == "два мільйони дві тисячі"
    assert number_in_words(21_000, "m") == "двадцять одна тисяча"


@pytest.mark.parametrize("code", ["14360570", "00032129", "21133352"])
def test_real_edrpou_codes_pass_the_check_digit(code):
    assert edrpou_is_valid(code)


@pytest.mark.parametrize("code", ["14360571", "1436057", "1436057a", "00032120"])
def test_a_wrong_edrpou_code_fails_the_check_digit(code):
    assert not edrpou_is_valid(code)


def test_an_iban_with_a_wrong_checksum_is_refused():
    assert iban_is_valid("UA213223130000026007233566001")
    assert not iban_is_valid("UA213223130000026007233566002")
    assert not iban_is_valid("DE89370400440532013000")


def test_requisites_refuse_a_bad_edrpou_and_normalize_the_iban():
    with pytest.raises(ValidationError, match="EDRPOU"):
        Requisites(name="ТОВ", edrpou="12345670", iban="UA213223130000026007233566001", address="Київ")
    good = Requisites(
        name="ТОВ", edrpou="14360570", iban="ua21 3223 1300 0002 6007 2335 6600 1", address="Київ"
    )
    assert good.iban == "UA213223130000026007233566001"


def test_a_template_naming_an_unknown_variable_is_refused():
    with pytest.raises(Problem) as refused:
        check_template("<p>{{ client.name }} {{ secret_key }}</p>")
    assert refused.value.status == 422
    assert "secret_key" in refused.value.errors[0]["message"]


def test_a_template_that_does_not_compile_is_refused_with_its_line():
    with pytest.raises(Problem) as refused:
        check_template("<p>\n{% for line in lines %}</p>")
    assert refused.value.status == 422
    assert "line" in refused.value.errors[0]["message"]


def test_the_sandbox_refuses_reaching_into_python():
    with pytest.raises(Problem) as refused:
        render("{{ lines.__class__.__mro__ }}", sample_variables("invoice", placeholder()))
    assert refused.value.status == 422


def test_values_are_escaped_in_the_html():
    variables = sample_variables("invoice", placeholder())
    variables["client"] = {"name": "<script>x</script>"}
    html = render("<p>{{ client.name }}</p>", variables)
    assert "<script>" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize("kind", sorted(DEFAULT_TEMPLATES))
def test_every_built_in_template_renders_the_sample(kind):
    html = render(DEFAULT_TEMPLATES[kind], sample_variables(kind, placeholder()))
    assert "Олена Петренко" in html


def test_numbers_have_the_kind_the_year_and_four_digits():
    assert number_of("invoice", 2026, 1) == "РФ-2026-0001"
    assert number_of("act", 2027, 12) == "АКТ-2027-0012"


def test_money_is_written_as_ukrainian_documents_write_it():
    assert money(120050) == "1 200,50"
    assert money(5) == "0,05"
