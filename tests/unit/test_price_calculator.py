"""The price calculator: lines, options, tiers, promo codes, fees, VAT and rounding."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from chalicelib.booking.domain.pricing import (
    CalculationRequest,
    PriceBook,
    PriceBookContent,
    calculate,
    check,
    public_view,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from lanka_platform.problems import Problem

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def book(**changes: Any) -> PriceBook:
    content: dict[str, Any] = {
        "currency": "UAH",
        "vat_mode": "none",
        "rounding": 100,
        "minimum_order": 0,
        "items": [
            {
                "key": "wardrobe",
                "name": "Шафа-купе",
                "name_en": "Wardrobe",
                "unit": "m2",
                "bands": [
                    {"up_to": "3", "unit_price": 700000},
                    {"up_to": "5", "unit_price": 600000},
                    {"up_to": None, "unit_price": 500000},
                ],
                "inputs": [
                    {"key": "width", "name": "Ширина", "name_en": "Width", "min": 800, "max": 3600},
                    {"key": "height", "name": "Висота", "name_en": "Height", "min": 1800, "max": 2800},
                    {
                        "key": "depth",
                        "name": "Глибина",
                        "name_en": "Depth",
                        "min": 400,
                        "max": 700,
                        "default": 600,
                    },
                    {
                        "key": "quantity",
                        "name": "Кількість",
                        "name_en": "Quantity",
                        "min": 1,
                        "max": 10,
                        "default": 1,
                    },
                ],
                "options": [
                    {
                        "key": "mirror",
                        "name": "Дзеркало",
                        "name_en": "Mirror",
                        "kind": "per_unit",
                        "amount": 100000,
                        "per": "m2",
                    },
                    {
                        "key": "soft_close",
                        "name": "Доводчики",
                        "name_en": "Soft-close",
                        "kind": "fixed",
                        "amount": 150000,
                    },
                    {
                        "key": "led",
                        "name": "LED",
                        "name_en": "LED",
                        "kind": "per_unit",
                        "amount": 50000,
                        "per": "running_m",
                    },
                    {
                        "key": "premium",
                        "name": "Фарбований МДФ",
                        "name_en": "Painted MDF",
                        "kind": "multiply",
                        "factor": "1.2",
                    },
                    {
                        "key": "sandblast",
                        "name": "Піскоструй",
                        "name_en": "Sandblast",
                        "kind": "fixed",
                        "amount": 200000,
                        "requires": ["mirror"],
                    },
                    {
                        "key": "matte",
                        "name": "Матове скло",
                        "name_en": "Matte glass",
                        "kind": "fixed",
                        "amount": 90000,
                        "excludes": ["mirror"],
                    },
                ],
                "tiers": [{"min_quantity": 3, "percent": 10}],
            }
        ],
        "fees": [
            {"key": "delivery", "name": "Доставка", "name_en": "Delivery", "amount": 90000},
            {
                "key": "installation",
                "name": "Монтаж",
                "name_en": "Installation",
                "amount": 250000,
                "optional": True,
            },
        ],
        "promo_codes": [
            {"code": "VESNA10", "percent": 10, "valid_until": "2027-01-01T00:00:00Z"},
            {"code": "OLD", "amount": 50000, "valid_until": "2026-01-01T00:00:00Z"},
            {"code": "MINUS1000", "amount": 100000},
        ],
    }
    content.update(changes)
    parsed = PriceBookContent.model_validate(content)
    check(parsed)
    return PriceBook(**parsed.model_dump(), version=3, saved_at=NOW, saved_by="admin")


def wardrobe(**inputs: int) -> dict[str, Any]:
    return {"item": "wardrobe", "inputs": {"width": 2000, "height": 2500, **inputs}}


def priced(*lines: dict[str, Any], price_book: PriceBook | None = None, **request: Any):  # type: ignore[no-untyped-def]
    return calculate(
        price_book or book(), CalculationRequest.model_validate({"lines": list(lines), **request}), NOW
    )


def refused(*lines: dict[str, Any], **request: Any) -> list[dict[str, Any]]:
    with pytest.raises(Problem) as caught:
        priced(*lines, **request)
    assert caught.value.status == 422
    return caught.value.errors


def test_area_is_priced_by_the_band_that_holds_one_piece() -> None:
    # given a 2000×2500 mm wardrobe: 5 m², the second band (600 UAH per m² ... 6000.00)
    # when
    breakdown = priced(wardrobe())
    # then
    line = breakdown.lines[0]
    assert line.quantity == Decimal(5)
    assert line.unit_price == 600000
    assert line.base == 3000000
    assert breakdown.items_total == 3000000
    assert breakdown.total == 3000000 + 90000  # the delivery fee is always charged


def test_a_bigger_piece_falls_into_the_cheaper_band() -> None:
    # when 3000×2500 mm = 7.5 m²
    line = priced(wardrobe(width=3000)).lines[0]
    # then
    assert line.unit_price == 500000
    assert line.base == 3750000


def test_options_add_per_unit_fixed_and_multiply_the_base() -> None:
    # when
    line = priced({**wardrobe(), "options": ["premium", "mirror", "soft_close", "led"]}).lines[0]
    # then
    charges = {charge.key: charge.amount for charge in line.options}
    assert charges == {"premium": 600000, "mirror": 500000, "soft_close": 150000, "led": 100000}
    assert line.subtotal == 3000000 + 600000 + 500000 + 150000 + 100000


def test_quantity_multiplies_the_line_and_a_tier_takes_its_percent_off() -> None:
    # when three wardrobes with soft-close
    line = priced({**wardrobe(quantity=3), "options": ["soft_close"]}).lines[0]
    # then
    assert line.pieces == 3
    assert line.base == 9000000
    assert line.tier_discount == (9000000 + 450000) // 10
    assert line.subtotal == 9450000 - 945000


def test_promo_code_takes_its_percent_off_the_goods() -> None:
    breakdown = priced(wardrobe(), promo_code="vesna10")
    assert [charge.amount for charge in breakdown.discounts] == [300000]
    assert breakdown.total == 3000000 - 300000 + 90000


def test_expired_promo_code_is_refused_with_a_field_error() -> None:
    errors = refused(wardrobe(), promo_code="OLD")
    assert [(error["field"], error["code"]) for error in errors] == [("promo_code", "expired")]


def test_unknown_promo_code_is_refused() -> None:
    assert refused(wardrobe(), promo_code="NOPE")[0]["field"] == "promo_code"


def test_input_beyond_its_limit_is_refused_in_the_visitors_language() -> None:
    errors = refused(wardrobe(width=5000), lang="en")
    assert errors[0]["field"] == "lines.0.inputs.width"
    assert errors[0]["message"] == "Width: from 800 to 3600 mm."


def test_missing_measured_input_is_refused() -> None:
    errors = refused({"item": "wardrobe", "inputs": {"width": 2000}})
    assert errors[0]["field"] == "lines.0.inputs.height"
    assert errors[0]["code"] == "missing"


def test_unknown_option_and_unknown_item_are_refused() -> None:
    errors = refused({**wardrobe(), "options": ["gold"]}, {"item": "sofa", "inputs": {}})
    assert {error["field"] for error in errors} == {"lines.0.options", "lines.1.item"}


def test_excluded_combination_is_refused() -> None:
    errors = refused({**wardrobe(), "options": ["mirror", "matte"]})
    assert [error["code"] for error in errors] == ["excludes"]


def test_option_without_the_option_it_requires_is_refused() -> None:
    errors = refused({**wardrobe(), "options": ["sandblast"]})
    assert [error["code"] for error in errors] == ["requires"]


def test_optional_fee_is_charged_only_when_chosen() -> None:
    assert [fee.key for fee in priced(wardrobe()).fees] == ["delivery"]
    assert [fee.key for fee in priced(wardrobe(), fees=["installation"]).fees] == ["delivery", "installation"]


def test_goods_below_the_minimum_order_are_topped_up() -> None:
    breakdown = priced(wardrobe(), price_book=book(minimum_order=4000000, fees=[]))
    assert breakdown.minimum_order_surcharge == 1000000
    assert breakdown.total == 4000000


def test_vat_added_on_top() -> None:
    breakdown = priced(wardrobe(), price_book=book(vat_mode="added", fees=[]))
    assert breakdown.vat == 600000
    assert breakdown.total == 3600000


def test_vat_included_is_the_sixth_part_of_the_total() -> None:
    breakdown = priced(wardrobe(), price_book=book(vat_mode="included", fees=[]))
    assert breakdown.vat == 500000
    assert breakdown.total == 3000000


def test_total_is_rounded_to_the_step_half_up() -> None:
    # given a 1234×1800 mm wardrobe: 2.2212 m² × 7000.00 = 15548.40 UAH
    breakdown = priced(wardrobe(width=1234, height=1800), price_book=book(rounding=1000, fees=[]))
    assert breakdown.items_total == 1554840
    assert breakdown.total == 1555000
    assert breakdown.rounding == 160


def test_price_book_with_inconsistent_rules_is_refused_at_save() -> None:
    with pytest.raises(Problem) as caught:
        book(items=[{"key": "x", "name": "X", "name_en": "X", "unit": "m2", "unit_price": 1, "inputs": []}])
    assert caught.value.status == 422
    assert "width" in caught.value.errors[0]["message"]


def test_public_view_shows_names_in_the_language_and_no_promo_codes() -> None:
    view = public_view(book(), "en")
    assert view.items[0].name == "Wardrobe"
    assert view.items[0].inputs[0].unit == "mm"
    assert "promo" not in view.model_dump_json().lower()


# --------------------------------------------------------------------------- properties

_options = st.lists(st.sampled_from(["mirror", "soft_close", "led", "premium"]), unique=True)


@settings(max_examples=150, deadline=None)
@given(
    width=st.integers(800, 3600),
    height=st.integers(1800, 2800),
    quantity=st.integers(1, 10),
    options=_options,
    vat_mode=st.sampled_from(["none", "added", "included"]),
    rounding=st.sampled_from([1, 100, 1000, 5000]),
    minimum=st.integers(0, 10_000_000),
    promo=st.sampled_from([None, "VESNA10", "MINUS1000"]),
)
def test_total_is_never_negative_rounded_and_consistent_with_vat(
    width: int,
    height: int,
    quantity: int,
    options: list[str],
    vat_mode: str,
    rounding: int,
    minimum: int,
    promo: str | None,
) -> None:
    price_book = book(vat_mode=vat_mode, rounding=rounding, minimum_order=minimum)
    line = {
        "item": "wardrobe",
        "inputs": {"width": width, "height": height, "quantity": quantity},
        "options": options,
    }
    breakdown = priced(line, price_book=price_book, promo_code=promo)
    assert breakdown.total >= 0
    assert breakdown.total % rounding == 0
    assert abs(breakdown.rounding) <= rounding // 2
    goods = breakdown.items_total - sum(d.amount for d in breakdown.discounts)
    assert goods + breakdown.minimum_order_surcharge >= minimum
    assert breakdown.net == goods + breakdown.minimum_order_surcharge + sum(f.amount for f in breakdown.fees)
    if vat_mode == "added":
        assert breakdown.total == breakdown.net + breakdown.vat + breakdown.rounding
        assert breakdown.vat == (breakdown.net * 20 + 50) // 100
    elif vat_mode == "included":
        assert breakdown.total == breakdown.net + breakdown.rounding
        assert breakdown.vat == (breakdown.total * 20 + 60) // 120
    else:
        assert breakdown.vat == 0


@settings(max_examples=100, deadline=None)
@given(width=st.integers(800, 3600), height=st.integers(1800, 2800), extra=_options)
def test_an_option_never_lowers_the_price(width: int, height: int, extra: list[str]) -> None:
    plain = priced({"item": "wardrobe", "inputs": {"width": width, "height": height}})
    richer = priced({"item": "wardrobe", "inputs": {"width": width, "height": height}, "options": extra})
    assert richer.total >= plain.total
