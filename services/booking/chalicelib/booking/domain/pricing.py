"""Price books and the price calculator: what a job costs, line by line, in kopiyky.

A price book is the company's price list, saved whole as a new version each time; a quote
keeps the version it was priced with. The calculator is a pure function of a price book, a
request and the time (promo codes have validity windows). Money is integer minor units and
intermediate sums are `Decimal`: never floats.

How a line is priced (the rules the widget explains to the visitor):

- The measure of one piece comes from the inputs in millimetres: m² is width × height,
  a running metre is the width, m³ is width × height × depth, an hour is `hours`, a piece is 1.
  `quantity` (pieces, default 1) multiplies everything.
- The unit price is the item's `unit_price`, or from its banded table the first band whose
  `up_to` holds the measure of one piece (e.g. a facade under 2 m² costs more per m²).
- Options: `multiply` scales the base price (a premium material ×1.2); `fixed` adds a sum
  per piece (soft-close hinges); `per_unit` adds a sum per m², running metre, m³, hour or
  piece of that piece (LED strip per running metre of width).
- Quantity tiers take a percentage off the line from a number of pieces.
- Then for the whole order: a promo code (percent or fixed, within its window), the minimum
  order (a surcharge up to it), the fees (visit, delivery, installation; optional ones the
  visitor picks), VAT (included in the prices, added on top, or none; 20 %) and rounding
  of the total to a step (1 UAH, 10 UAH ...), half up.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints

from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

Unit = Literal["piece", "m2", "running_m", "m3", "hour"]
InputKey = Literal["width", "height", "depth", "quantity", "hours"]
VatMode = Literal["included", "added", "none"]
Lang = Literal["uk", "en"]
Key = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_\-]*$")]

VAT_PERCENT = 20
MAX_LINES = 20
UNIT_LABELS: dict[str, tuple[str, str]] = {
    "piece": ("шт", "pcs"),
    "m2": ("м²", "m²"),
    "running_m": ("пог. м", "running m"),
    "m3": ("м³", "m³"),
    "hour": ("год", "h"),
}
INPUT_UNITS: dict[str, tuple[str, str]] = {
    "width": ("мм", "mm"),
    "height": ("мм", "mm"),
    "depth": ("мм", "mm"),
    "quantity": ("шт", "pcs"),
    "hours": ("год", "h"),
}
# The inputs each unit of measure is computed from.
MEASURED_BY: dict[str, tuple[str, ...]] = {
    "piece": (),
    "m2": ("width", "height"),
    "running_m": ("width",),
    "m3": ("width", "height", "depth"),
    "hour": ("hours",),
}
_MM = Decimal(1000)


class _Strict(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class InputLimit(_Strict):
    """A number the visitor types, with its limits (millimetres, pieces or hours)."""

    key: InputKey
    name: str = Field(min_length=1, max_length=80, examples=["Ширина"])
    name_en: str = Field(min_length=1, max_length=80, examples=["Width"])
    min: int = Field(ge=0, le=100_000)
    max: int = Field(ge=1, le=100_000)
    default: int | None = Field(default=None, ge=0, le=100_000)


class Band(_Strict):
    """One row of a banded table: the unit price while one piece measures up to `up_to`."""

    up_to: Decimal | None = Field(
        default=None, gt=0, max_digits=12, decimal_places=3, description="None: no upper bound"
    )
    unit_price: int = Field(ge=0, description="Kopiyky per unit")


class Option(_Strict):
    key: Key
    name: str = Field(min_length=1, max_length=120)
    name_en: str = Field(min_length=1, max_length=120)
    kind: Literal["multiply", "fixed", "per_unit"]
    factor: Decimal | None = Field(default=None, gt=0, le=100, max_digits=8, decimal_places=4)
    amount: int | None = Field(
        default=None, ge=0, description="Kopiyky: per piece (fixed) or per unit (per_unit)"
    )
    per: Unit | None = Field(default=None, description="per_unit: the unit the amount is per")
    requires: list[str] = Field(default_factory=list, max_length=20)
    excludes: list[str] = Field(default_factory=list, max_length=20)


class Tier(_Strict):
    min_quantity: int = Field(ge=2, le=100_000)
    percent: int = Field(ge=1, le=90)


class Item(_Strict):
    key: Key
    name: str = Field(min_length=1, max_length=120, examples=["Шафа-купе"])
    name_en: str = Field(min_length=1, max_length=120, examples=["Sliding-door wardrobe"])
    description: str | None = Field(default=None, max_length=500)
    description_en: str | None = Field(default=None, max_length=500)
    unit: Unit
    unit_price: int | None = Field(default=None, ge=0, description="Kopiyky per unit; or give bands")
    bands: list[Band] = Field(default_factory=list, max_length=20)
    inputs: list[InputLimit] = Field(default_factory=list, max_length=5)
    options: list[Option] = Field(default_factory=list, max_length=30)
    tiers: list[Tier] = Field(default_factory=list, max_length=10)


class Fee(_Strict):
    key: Key
    name: str = Field(min_length=1, max_length=120, examples=["Доставка"])
    name_en: str = Field(min_length=1, max_length=120, examples=["Delivery"])
    amount: int = Field(ge=0)
    optional: bool = Field(default=False, description="The visitor chooses it; otherwise always charged")


class Promo(_Strict):
    code: str = Field(min_length=2, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")
    percent: int | None = Field(default=None, ge=1, le=100)
    amount: int | None = Field(default=None, ge=1)
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class PriceBookContent(_Strict):
    """What the admin edits: the whole price list."""

    currency: str = Field(default="UAH", pattern=r"^[A-Z]{3}$")
    vat_mode: VatMode = "none"
    rounding: int = Field(default=100, ge=1, le=100_000, description="Round the total to this many kopiyky")
    minimum_order: int = Field(default=0, ge=0, description="Kopiyky; goods below it are topped up")
    items: list[Item] = Field(min_length=1, max_length=100)
    fees: list[Fee] = Field(default_factory=list, max_length=10)
    promo_codes: list[Promo] = Field(default_factory=list, max_length=100)


class PriceBookUpdate(PriceBookContent):
    version: int = Field(ge=0, description="The version you edited (0 for the first price book)")


class PriceBook(PriceBookContent):
    version: int
    saved_at: datetime
    saved_by: str


# --------------------------------------------------------------------------- what a visitor sees


class PublicInput(Schema):
    key: str
    name: str
    unit: str
    min: int
    max: int
    default: int | None


class PublicOption(Schema):
    key: str
    name: str
    kind: str
    requires: list[str]
    excludes: list[str]


class PublicItem(Schema):
    key: str
    name: str
    description: str | None
    unit: str
    unit_label: str
    from_price: int = Field(description="The lowest unit price, kopiyky")
    inputs: list[PublicInput]
    options: list[PublicOption]


class PublicFee(Schema):
    key: str
    name: str
    amount: int
    optional: bool


class PublicPriceBook(Schema):
    version: int
    currency: str
    vat_mode: VatMode
    minimum_order: int
    items: list[PublicItem]
    fees: list[PublicFee]


# --------------------------------------------------------------------------- a calculation


class LineRequest(_Strict):
    item: str = Field(min_length=1, max_length=40)
    inputs: dict[str, int] = Field(default_factory=dict, max_length=5)
    options: list[str] = Field(default_factory=list, max_length=30)


class CalculationRequest(_Strict):
    lines: list[LineRequest] = Field(min_length=1, max_length=MAX_LINES)
    promo_code: str | None = Field(default=None, max_length=40)
    fees: list[str] = Field(default_factory=list, max_length=10, description="Optional fees chosen")
    lang: Lang = "uk"


class Charge(Schema):
    key: str
    name: str
    amount: int


class BreakdownLine(Schema):
    item: str
    name: str
    dimensions: str = Field(description="What was measured, e.g. «2400×600×650 мм»")
    pieces: int
    quantity: Decimal = Field(description="Measure of all pieces in `unit`")
    unit: Unit
    unit_label: str
    unit_price: int
    base: int
    options: list[Charge]
    tier_discount: int
    subtotal: int


class Breakdown(Schema):
    price_book_version: int
    currency: str
    lines: list[BreakdownLine]
    items_total: int
    discounts: list[Charge]
    minimum_order_surcharge: int
    fees: list[Charge]
    net: int = Field(description="Goods after discounts, the surcharge and fees, VAT aside")
    vat_mode: VatMode
    vat_percent: int
    vat: int
    rounding: int = Field(description="What rounding added (or took)")
    total: int


def _t(lang: str, uk: str, en: str) -> str:
    return en if lang == "en" else uk


def kop(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def round_to(amount: int, step: int) -> int:
    """`amount` to the nearest multiple of `step`, halves up."""
    return kop(Decimal(amount) / step) * step


# --------------------------------------------------------------------------- checks at save time


def check(content: PriceBookContent) -> None:
    """422 with a path per inconsistency: a price book that cannot price is never saved."""
    errors: list[dict[str, Any]] = []

    def fail(field: str, message: str) -> None:
        errors.append({"field": field, "message": message, "in": "body"})

    _unique([item.key for item in content.items], "items", fail)
    _unique([fee.key for fee in content.fees], "fees", fail)
    _unique([promo.code.upper() for promo in content.promo_codes], "promo_codes", fail)
    for i, item in enumerate(content.items):
        at = f"items.{i}"
        if (item.unit_price is None) == (not item.bands):
            fail(at, "Give either unit_price or bands.")
        if item.bands:
            bounds = [band.up_to for band in item.bands]
            if any(bound is None for bound in bounds[:-1]):
                fail(f"{at}.bands", "Only the last band may be open-ended.")
            closed = [bound for bound in bounds if bound is not None]
            if closed != sorted(set(closed)):
                fail(f"{at}.bands", "Bands must grow: each up_to above the one before.")
        inputs = {limit.key: limit for limit in item.inputs}
        _unique([limit.key for limit in item.inputs], f"{at}.inputs", fail)
        for needed in MEASURED_BY[item.unit]:
            if needed not in inputs:
                fail(f"{at}.inputs", f"An item priced per {item.unit} needs the input {needed!r}.")
        for j, limit in enumerate(item.inputs):
            if limit.min > limit.max:
                fail(f"{at}.inputs.{j}", "min must not exceed max.")
            if limit.default is not None and not limit.min <= limit.default <= limit.max:
                fail(f"{at}.inputs.{j}.default", "The default must be within min and max.")
            if limit.key != "quantity" and limit.min == 0 and limit.key in MEASURED_BY[item.unit]:
                fail(f"{at}.inputs.{j}.min", "A measured input must be at least 1.")
        keys = [option.key for option in item.options]
        _unique(keys, f"{at}.options", fail)
        for j, option in enumerate(item.options):
            where = f"{at}.options.{j}"
            if option.kind == "multiply" and option.factor is None:
                fail(f"{where}.factor", "A multiplying option needs a factor.")
            if option.kind in ("fixed", "per_unit") and option.amount is None:
                fail(f"{where}.amount", "This option needs an amount.")
            if option.kind == "per_unit":
                if option.per is None:
                    fail(f"{where}.per", "Say what the amount is per.")
                else:
                    for needed in MEASURED_BY[option.per]:
                        if needed not in inputs:
                            fail(f"{where}.per", f"Per {option.per} needs the item's input {needed!r}.")
            for other in [*option.requires, *option.excludes]:
                if other not in keys or other == option.key:
                    fail(where, f"Unknown option {other!r} in requires/excludes.")
        tiers = [tier.min_quantity for tier in item.tiers]
        if tiers != sorted(set(tiers)):
            fail(f"{at}.tiers", "Tiers must grow by min_quantity.")
    for i, promo in enumerate(content.promo_codes):
        if (promo.percent is None) == (promo.amount is None):
            fail(f"promo_codes.{i}", "Give either percent or amount.")
        if promo.valid_from and promo.valid_until and promo.valid_from >= promo.valid_until:
            fail(f"promo_codes.{i}.valid_until", "valid_until must be after valid_from.")
    if errors:
        raise Problem.invalid(errors)


def _unique(keys: list[str], field: str, fail: Any) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            fail(field, f"{key!r} appears twice.")
        seen.add(key)


# --------------------------------------------------------------------------- the public view


def public_view(book: PriceBook, lang: Lang) -> PublicPriceBook:
    """What the widget renders: names in the visitor's language, no promo codes."""
    items = []
    for item in book.items:
        prices = (
            [item.unit_price] if item.unit_price is not None else [band.unit_price for band in item.bands]
        )
        items.append(
            PublicItem(
                key=item.key,
                name=_t(lang, item.name, item.name_en),
                description=_t(lang, item.description or "", item.description_en or item.description or "")
                or None,
                unit=item.unit,
                unit_label=_t(lang, *UNIT_LABELS[item.unit]),
                from_price=min(prices),
                inputs=[
                    PublicInput(
                        key=limit.key,
                        name=_t(lang, limit.name, limit.name_en),
                        unit=_t(lang, *INPUT_UNITS[limit.key]),
                        min=limit.min,
                        max=limit.max,
                        default=limit.default,
                    )
                    for limit in item.inputs
                ],
                options=[
                    PublicOption(
                        key=option.key,
                        name=_t(lang, option.name, option.name_en),
                        kind=option.kind,
                        requires=option.requires,
                        excludes=option.excludes,
                    )
                    for option in item.options
                ],
            )
        )
    fees = [
        PublicFee(key=fee.key, name=_t(lang, fee.name, fee.name_en), amount=fee.amount, optional=fee.optional)
        for fee in book.fees
    ]
    return PublicPriceBook(
        version=book.version,
        currency=book.currency,
        vat_mode=book.vat_mode,
        minimum_order=book.minimum_order,
        items=items,
        fees=fees,
    )


# --------------------------------------------------------------------------- the calculator


def calculate(book: PriceBook, request: CalculationRequest, now: datetime) -> Breakdown:
    """The price of `request` by `book` at `now`, or 422 naming every field that is wrong."""
    lang = request.lang
    errors: list[dict[str, Any]] = []

    def fail(field: str, uk: str, en: str, code: str) -> None:
        errors.append({"field": field, "message": _t(lang, uk, en), "code": code, "in": "body"})

    items = {item.key: item for item in book.items}
    lines: list[BreakdownLine] = []
    for i, line in enumerate(request.lines):
        item = items.get(line.item)
        if item is None:
            fail(
                f"lines.{i}.item",
                "Такого виробу немає в прайсі.",
                "No such item in the price list.",
                "unknown",
            )
            continue
        priced = _price_line(item, line, f"lines.{i}", lang, fail)
        if priced is not None:
            lines.append(priced)
    promo = _promo(book, request.promo_code, now, fail)
    fees = {fee.key: fee for fee in book.fees}
    for j, key in enumerate(request.fees):
        if key not in fees or not fees[key].optional:
            fail(f"fees.{j}", "Такої послуги немає.", "No such optional service.", "unknown")
    if errors:
        raise Problem(
            422,
            _t(lang, "Перевірте дані", "Check the input"),
            _t(lang, "Деякі поля заповнено неправильно.", "Some fields are not valid."),
            kind="validation-failed",
            errors=errors,
        )

    items_total = sum(line.subtotal for line in lines)
    discounts: list[Charge] = []
    if promo is not None:
        if promo.percent is not None:
            off = kop(Decimal(items_total) * promo.percent / 100)
        else:
            off = promo.amount or 0
        off = min(off, items_total)
        label = _t(lang, f"Промокод {promo.code}", f"Promo code {promo.code}")
        discounts.append(Charge(key=promo.code, name=label, amount=off))
    goods = items_total - sum(charge.amount for charge in discounts)
    surcharge = max(0, book.minimum_order - goods)
    charged = [fee for fee in book.fees if not fee.optional or fee.key in request.fees]
    fee_lines = [
        Charge(key=fee.key, name=_t(lang, fee.name, fee.name_en), amount=fee.amount) for fee in charged
    ]
    net = goods + surcharge + sum(fee.amount for fee in fee_lines)
    if book.vat_mode == "added":
        vat = kop(Decimal(net) * VAT_PERCENT / 100)
        unrounded = net + vat
        total = round_to(unrounded, book.rounding)
    else:
        unrounded = net
        total = round_to(unrounded, book.rounding)
        vat = kop(Decimal(total) * VAT_PERCENT / (100 + VAT_PERCENT)) if book.vat_mode == "included" else 0
    return Breakdown(
        price_book_version=book.version,
        currency=book.currency,
        lines=lines,
        items_total=items_total,
        discounts=discounts,
        minimum_order_surcharge=surcharge,
        fees=fee_lines,
        net=net,
        vat_mode=book.vat_mode,
        vat_percent=VAT_PERCENT if book.vat_mode != "none" else 0,
        vat=vat,
        rounding=total - unrounded,
        total=total,
    )


def _price_line(item: Item, line: LineRequest, at: str, lang: str, fail: Any) -> BreakdownLine | None:
    limits: dict[str, InputLimit] = {limit.key: limit for limit in item.inputs}
    values: dict[str, int] = {}
    ok = True
    for key, value in line.inputs.items():
        limit = limits.get(key)
        if limit is None:
            fail(
                f"{at}.inputs.{key}",
                "Цей виріб не має такого параметра.",
                "This item has no such input.",
                "unknown",
            )
            ok = False
        elif not limit.min <= value <= limit.max:
            unit_uk, unit_en = INPUT_UNITS[key]
            fail(
                f"{at}.inputs.{key}",
                f"{limit.name}: від {limit.min} до {limit.max} {unit_uk}.",
                f"{limit.name_en}: from {limit.min} to {limit.max} {unit_en}.",
                "out_of_range",
            )
            ok = False
        else:
            values[key] = value
    for key, limit in limits.items():
        if key not in line.inputs:
            if limit.default is not None:
                values[key] = limit.default
            elif key != "quantity":
                fail(f"{at}.inputs.{key}", f"Вкажіть: {limit.name}.", f"Enter: {limit.name_en}.", "missing")
                ok = False
    options = {option.key: option for option in item.options}
    chosen = list(dict.fromkeys(line.options))
    for key in chosen:
        option = options.get(key)
        if option is None:
            fail(f"{at}.options", f"Невідома опція «{key}».", f"Unknown option «{key}».", "unknown")
            ok = False
            continue
        for needed in option.requires:
            if needed not in chosen:
                other = options[needed]
                fail(
                    f"{at}.options",
                    f"«{option.name}» потребує «{other.name}».",
                    f"«{option.name_en}» requires «{other.name_en}».",
                    "requires",
                )
                ok = False
    for a, first in enumerate(chosen):
        for second in chosen[a + 1 :]:
            one, another = options.get(first), options.get(second)
            if one is None or another is None:
                continue
            if second in one.excludes or first in another.excludes:
                fail(
                    f"{at}.options",
                    f"«{one.name}» не поєднується з «{another.name}».",
                    f"«{one.name_en}» cannot go with «{another.name_en}».",
                    "excludes",
                )
                ok = False
    if not ok:
        return None

    pieces = values.get("quantity", 1)
    if pieces < 1:
        fail(
            f"{at}.inputs.quantity",
            "Кількість — щонайменше 1.",
            "Quantity must be at least 1.",
            "out_of_range",
        )
        return None
    measure = _measure(item.unit, values)
    unit_price = _unit_price(item, measure)
    if unit_price is None:
        fail(
            f"{at}.inputs",
            "Такий розмір розраховує менеджер: залиште заявку.",
            "A manager prices this size: send a request.",
            "out_of_range",
        )
        return None
    base = Decimal(unit_price) * measure * pieces
    charges: list[Charge] = []
    running = base
    for key in chosen:
        option = options[key]
        name = _t(lang, option.name, option.name_en)
        if option.kind == "multiply":
            # Factors compound on the base; each shows what it added.
            scaled = running * (option.factor or 1)
            charges.append(
                Charge(key=key, name=f"{name} ×{option.factor}", amount=kop(scaled) - kop(running))
            )
            running = scaled
        elif option.kind == "fixed":
            charges.append(Charge(key=key, name=name, amount=(option.amount or 0) * pieces))
        else:
            per_measure = _measure(option.per or "piece", values)
            charges.append(
                Charge(key=key, name=name, amount=kop(Decimal(option.amount or 0) * per_measure * pieces))
            )
    before_tier = kop(base) + sum(charge.amount for charge in charges)
    tier = next((t for t in reversed(item.tiers) if pieces >= t.min_quantity), None)
    tier_discount = kop(Decimal(before_tier) * tier.percent / 100) if tier else 0
    return BreakdownLine(
        item=item.key,
        name=_t(lang, item.name, item.name_en),
        dimensions=dimensions(values, lang),
        pieces=pieces,
        quantity=_plain(measure * pieces),
        unit=item.unit,
        unit_label=_t(lang, *UNIT_LABELS[item.unit]),
        unit_price=unit_price,
        base=kop(base),
        options=charges,
        tier_discount=tier_discount,
        subtotal=before_tier - tier_discount,
    )


def _plain(value: Decimal) -> Decimal:
    """At most 4 decimals and no exponent or trailing zeros: 5.76, not 5.760000 or 1E+1."""
    text = f"{value.quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return Decimal(text)


def _measure(unit: str, values: dict[str, int]) -> Decimal:
    if unit == "m2":
        return Decimal(values["width"]) * values["height"] / (_MM * _MM)
    if unit == "running_m":
        return Decimal(values["width"]) / _MM
    if unit == "m3":
        return Decimal(values["width"]) * values["height"] * values["depth"] / (_MM * _MM * _MM)
    if unit == "hour":
        return Decimal(values["hours"])
    return Decimal(1)


def _unit_price(item: Item, measure: Decimal) -> int | None:
    if item.unit_price is not None:
        return item.unit_price
    for band in item.bands:
        if band.up_to is None or measure <= band.up_to:
            return band.unit_price
    return None


def _promo(book: PriceBook, code: str | None, now: datetime, fail: Any) -> Promo | None:
    if not code:
        return None
    promo = next((p for p in book.promo_codes if p.code.upper() == code.strip().upper()), None)
    if promo is None:
        fail("promo_code", "Такого промокоду немає.", "No such promo code.", "unknown")
        return None
    if (promo.valid_from and now < promo.valid_from) or (promo.valid_until and now >= promo.valid_until):
        fail(
            "promo_code",
            "Термін дії промокоду минув або ще не почався.",
            "This promo code is not valid now.",
            "expired",
        )
        return None
    return promo


def dimensions(values: dict[str, int], lang: str) -> str:
    """«2400×600×650 мм» from the inputs the visitor typed."""
    sizes = [str(values[key]) for key in ("width", "height", "depth") if key in values]
    parts = []
    if sizes:
        parts.append("×".join(sizes) + (" mm" if lang == "en" else " мм"))
    if "hours" in values:
        parts.append(f"{values['hours']} " + _t(lang, "год", "h"))
    if values.get("quantity", 1) != 1:
        parts.append(f"{values['quantity']} " + _t(lang, "шт", "pcs"))
    return ", ".join(parts)


def subject(breakdown: Breakdown, request: CalculationRequest) -> str:
    """What the deal is about: «Шафа-купе 2400×600×650» (and how many more lines)."""
    first = breakdown.lines[0]
    values = request.lines[0].inputs
    sizes = "×".join(str(values[key]) for key in ("width", "height", "depth") if key in values)
    text = f"{first.name} {sizes}".strip()
    if len(breakdown.lines) > 1:
        text += _t(
            request.lang, f" та ще {len(breakdown.lines) - 1}", f" and {len(breakdown.lines) - 1} more"
        )
    return text[:200]
