"""Documents made from a deal: the company's requisites, the templates (HTML + Jinja2 in a
sandbox) and the numbered documents themselves (an invoice, a quote, a contract, an act).

A template sees exactly the variables in `VARIABLES` (the API documents them). It is
checked when an admin saves it: it must compile, name no other variable, and render the
sample data to a PDF; so a saved template can always make a document. Numbers come from a
gapless sequence per kind and year («РФ-2026-0001»): the store takes the next one with a
conditional write in the document's own transaction (see `store/documents.py`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any, Literal

from chalicelib.deals.domain.words import amount_in_words
from pydantic import ConfigDict, Field, field_validator

from lanka_platform.clock import local
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

DocumentKind = Literal["invoice", "quote", "contract", "act"]
KINDS: tuple[str, ...] = ("invoice", "quote", "contract", "act")
Language = Literal["uk", "en"]
# The letters before the year in a document's number, per kind.
PREFIXES = {"invoice": "РФ", "quote": "КП", "contract": "ДГ", "act": "АКТ"}
TITLES = {
    "invoice": "Рахунок на оплату",
    "quote": "Комерційна пропозиція",
    "contract": "Договір",
    "act": "Акт виконаних робіт",
}
MAX_TEMPLATE_CHARS = 50_000
MAX_LINES = 50
DEFAULT_DUE_DAYS = 5


class _Input(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


# ------------------------------------------------------------------------------ requisites


def edrpou_is_valid(code: str) -> bool:
    """The check digit of an EDRPOU code (8 digits), as the State Statistics Service defines it."""
    if not re.fullmatch(r"\d{8}", code):
        return False
    digits = [int(c) for c in code]
    value = int(code)
    weights = [1, 2, 3, 4, 5, 6, 7] if value < 30_000_000 or value > 60_000_000 else [7, 1, 2, 3, 4, 5, 6]
    check = sum(d * w for d, w in zip(digits, weights, strict=False)) % 11
    if check == 10:
        check = sum(d * (w + 2) for d, w in zip(digits, weights, strict=False)) % 11
        check = 0 if check == 10 else check
    return check == digits[7]


def iban_is_valid(iban: str) -> bool:
    """A Ukrainian IBAN (UA + 2 check digits + 6-digit bank code + 19-character account),
    its ISO 13616 mod-97 checksum included."""
    if not re.fullmatch(r"UA\d{8}[0-9A-Z]{19}", iban):
        return False
    moved = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1


class Requisites(_Input):
    """The company as its documents name it."""

    name: str = Field(min_length=1, max_length=200, examples=["ТОВ «Ланка Меблі»"])
    edrpou: str = Field(description="ЄДРПОУ: 8 digits with a valid check digit", examples=["14360570"])
    iban: str = Field(description="UA IBAN, 29 characters", examples=["UA213223130000026007233566001"])
    bank: str = Field(default="", max_length=200)
    address: str = Field(min_length=1, max_length=300)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=254)
    vat_payer: bool = Field(default=False, description="Платник ПДВ: amounts include 20 % VAT")
    director: str = Field(default="", max_length=200)

    @field_validator("edrpou")
    @classmethod
    def _edrpou(cls, value: str) -> str:
        if not edrpou_is_valid(value):
            raise ValueError("An EDRPOU code is 8 digits with a valid check digit.")
        return value

    @field_validator("iban")
    @classmethod
    def _iban(cls, value: str) -> str:
        compact = value.replace(" ", "").upper()
        if not iban_is_valid(compact):
            raise ValueError("A Ukrainian IBAN is UA and 27 more characters, with a valid checksum.")
        return compact


class CompanySettings(Requisites):
    version: int = Field(default=0, description="The version you read (0: none yet)")
    updated_at: datetime | None = None


@lru_cache(maxsize=1)
def placeholder() -> CompanySettings:
    """The requisites shown until the company enters its own (built on first use, not at import)."""
    return CompanySettings(
        name="Назва компанії не вказана",
        edrpou="00032129",
        iban="UA213223130000026007233566001",
        address="Адресу не вказано",
    )


# ------------------------------------------------------------------------------ lines and documents


class LineInput(_Input):
    name: str = Field(min_length=1, max_length=300, examples=["Кухня 3,2 м"])
    quantity: Decimal = Field(default=Decimal(1), gt=0, le=100_000, max_digits=10, decimal_places=3)
    unit: str = Field(default="шт.", max_length=20)
    price: int = Field(ge=0, le=10**12, description="Price of one unit, minor units")


class DocumentLine(Schema):
    name: str
    quantity: Decimal
    unit: str
    price: int = Field(description="Minor units")
    amount: int = Field(description="Minor units: price x quantity")


def priced(line: LineInput) -> DocumentLine:
    amount = int((Decimal(line.price) * line.quantity).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return DocumentLine(
        name=line.name, quantity=line.quantity, unit=line.unit, price=line.price, amount=amount
    )


class NewDocument(_Input):
    kind: DocumentKind = "invoice"
    language: Language = "uk"
    lines: list[LineInput] | None = Field(
        default=None, max_length=MAX_LINES, description="Default: one line, the deal's title and amount"
    )
    due_in_days: int = Field(default=DEFAULT_DUE_DAYS, ge=0, le=365)


class Document(Schema):
    id: str
    deal_id: str
    client_id: str
    kind: DocumentKind
    language: Language
    number: str = Field(examples=["РФ-2026-0001"])
    year: int
    sequence: int
    lines: list[DocumentLine]
    amount: int = Field(description="Minor units")
    currency: str
    paid: int = Field(default=0, description="Paid so far (invoices), minor units")
    issued_at: datetime
    due_date: date | None
    template_version: int
    file_key: str
    created_by: str | None = None
    client_name: str = Field(default="", description="As the document names the client")
    deal_title: str = ""
    company: Requisites = Field(description="The requisites as they were when it was made")
    send_when_ready: bool = Field(
        default=False, description="Automation asked to send it once its PDF is made"
    )

    @property
    def outstanding(self) -> int:
        return max(self.amount - self.paid, 0)

    @property
    def filename(self) -> str:
        return f"{self.number}.pdf"


class DocumentView(Document):
    balance: int = Field(description="What is still to pay, minor units")


def view(document: Document) -> DocumentView:
    return DocumentView(**document.model_dump(), balance=document.outstanding)


class DocumentList(Schema):
    items: list[DocumentView]


class DownloadLink(Schema):
    url: str
    expires_in: int = Field(description="Seconds the link stays valid")


def number_of(kind: str, year: int, sequence: int) -> str:
    return f"{PREFIXES[kind]}-{year}-{sequence:04d}"


def year_of(moment: datetime) -> int:
    """The numbering year is the company's (Kyiv) year: a document on 31 December 23:30
    Kyiv time belongs to that year."""
    return local(moment).year


def lines_for(deal_title: str, deal_amount: int, given: list[LineInput] | None) -> list[DocumentLine]:
    if given:
        return [priced(line) for line in given]
    return [
        DocumentLine(
            name=deal_title, quantity=Decimal(1), unit="послуга", price=deal_amount, amount=deal_amount
        )
    ]


def due_date(issued_at: datetime, days: int) -> date:
    return local(issued_at).date() + timedelta(days=days)


# ------------------------------------------------------------------------------ templates

VARIABLES: dict[str, str] = {
    "company": "The requisites: name, edrpou, iban, bank, address, phone, email, vat_payer, director",
    "client": "The client: name",
    "deal": "The deal: id, title",
    "document": "kind, title (Рахунок на оплату ...), language",
    "lines": "A list of lines: name, quantity, unit, price, amount (price and amount formatted: 1 200,50)",
    "amount": "The total, formatted (1 200,50)",
    "amount_minor": "The total in minor units",
    "currency": "The currency code (UAH)",
    "amount_in_words": "The total in Ukrainian words: «одна тисяча двісті гривень 50 копійок»",
    "vat": "The VAT in the total (20 %) formatted, or empty when the company pays no VAT",
    "number": "The document's number: РФ-2026-0001",
    "date": "Issue date, dd.mm.yyyy (Kyiv)",
    "due_date": "Pay by, dd.mm.yyyy, or empty",
}
_STYLE = "font-size: 10px"
_HEAD = """<h2>{{ document.title }} № {{ number }} від {{ date }}</h2>
<p><b>Постачальник:</b> {{ company.name }}, код ЄДРПОУ {{ company.edrpou }}<br>
IBAN {{ company.iban }}{% if company.bank %}, {{ company.bank }}{% endif %}<br>
Адреса: {{ company.address }}{% if company.phone %}, тел. {{ company.phone }}{% endif %}<br>
{% if company.vat_payer %}Платник ПДВ{% else %}Не є платником ПДВ{% endif %}</p>
<p><b>Покупець:</b> {{ client.name }}<br><b>Замовлення:</b> {{ deal.title }}</p>
"""
_TABLE = """<table width="100%" border="1">
<thead><tr><th width="6%">№</th><th width="44%">Найменування</th><th width="12%">Кількість</th>
<th width="8%">Од.</th><th width="15%">Ціна</th><th width="15%">Сума</th></tr></thead>
<tbody>
{% for line in lines %}<tr><td>{{ loop.index }}</td><td>{{ line.name }}</td><td>{{ line.quantity }}</td>
<td>{{ line.unit }}</td><td>{{ line.price }}</td><td>{{ line.amount }}</td></tr>
{% endfor %}</tbody></table>
<p><b>Разом: {{ amount }} {{ currency }}</b>{% if vat %}, у тому числі ПДВ: {{ vat }}{% endif %}</p>
<p>Сума прописом: <b>{{ amount_in_words|capitalize }}</b></p>
"""
_SIGN = """<p>Від постачальника: ____________ {{ company.director }}</p>"""

DEFAULT_TEMPLATES: dict[str, str] = {
    "invoice": _HEAD
    + _TABLE
    + "{% if due_date %}<p>Сплатити до: {{ due_date }}. У призначенні платежу вкажіть номер рахунку"
    " {{ number }}.</p>{% endif %}\n" + _SIGN,
    "quote": _HEAD + _TABLE + "<p>Пропозиція дійсна до {{ due_date }}.</p>\n" + _SIGN,
    "contract": _HEAD
    + "<p>1. Постачальник зобов'язується виготовити й передати Покупцеві замовлення «{{ deal.title }}», а"
    " Покупець — прийняти й оплатити його.</p>\n"
    + _TABLE
    + "<p>2. Покупець сплачує рахунок до {{ due_date }}. Виготовлення починається після оплати.</p>\n"
    "<p>3. Договір набирає чинності з дня підписання.</p>\n"
    + _SIGN
    + "<p>Покупець: ____________ {{ client.name }}</p>",
    "act": _HEAD + "<p>Ми, що нижче підписалися, склали цей акт про те, що роботи виконано повністю й вчасно;"
    " сторони претензій одна до одної не мають.</p>\n"
    + _TABLE
    + _SIGN
    + "<p>Замовник: ____________ {{ client.name }}</p>",
}


class TemplateInput(_Input):
    body: str = Field(min_length=1, max_length=MAX_TEMPLATE_CHARS, description="HTML with Jinja2")
    version: int = Field(ge=0, description="The version you read (0: the built-in one)")


class TemplatePreview(_Input):
    body: str = Field(min_length=1, max_length=MAX_TEMPLATE_CHARS)


class DocumentTemplate(Schema):
    kind: DocumentKind
    language: Language
    body: str
    version: int = Field(description="0: the built-in template")
    updated_at: datetime | None = None
    updated_by: str | None = None
    variables: dict[str, str] = Field(default_factory=lambda: dict(VARIABLES))


class TemplateList(Schema):
    items: list[DocumentTemplate]


class Preview(Schema):
    html: str


def default_template(kind: str, language: str) -> DocumentTemplate | None:
    if language != "uk" or kind not in DEFAULT_TEMPLATES:
        return None
    return DocumentTemplate(kind=kind, language="uk", body=DEFAULT_TEMPLATES[kind], version=0)


@lru_cache(maxsize=1)
def _environment() -> Any:
    # Jinja2 is imported on first use: it is not needed to answer most requests.
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


@lru_cache(maxsize=64)
def _compiled(body: str) -> Any:
    return _environment().from_string(body)


def _invalid(message: str) -> Problem:
    return Problem.invalid([{"field": "body", "message": message, "in": "body"}])


def check_template(body: str) -> None:
    """422 unless `body` compiles and names only the documented variables."""
    from jinja2 import TemplateSyntaxError, meta

    environment = _environment()
    try:
        tree = environment.parse(body)
    except TemplateSyntaxError as error:
        raise _invalid(f"The template does not compile (line {error.lineno}): {error.message}") from error
    unknown = sorted(meta.find_undeclared_variables(tree) - set(VARIABLES))
    if unknown:
        raise _invalid(f"Unknown variables: {', '.join(unknown)}. Known: {', '.join(VARIABLES)}.")


def money(minor: int) -> str:
    """1 200,50 — as a Ukrainian document writes amounts (a narrow space between thousands)."""
    sign = "-" if minor < 0 else ""
    major, cents = divmod(abs(minor), 100)
    return f"{sign}{major:,}".replace(",", " ") + f",{cents:02d}"


def _quantity(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


def variables(
    *,
    company: Requisites,
    client_name: str,
    deal_id: str,
    deal_title: str,
    kind: str,
    language: str,
    number: str,
    issued_at: datetime,
    due: date | None,
    lines: list[DocumentLine],
    currency: str,
) -> dict[str, Any]:
    total = sum(line.amount for line in lines)
    vat = money(round(total / 6)) if company.vat_payer else ""
    return {
        "company": company.model_dump(exclude={"version", "updated_at"}),
        "client": {"name": client_name},
        "deal": {"id": deal_id, "title": deal_title},
        "document": {"kind": kind, "title": TITLES[kind], "language": language},
        "lines": [
            {
                "name": line.name,
                "quantity": _quantity(line.quantity),
                "unit": line.unit,
                "price": money(line.price),
                "amount": money(line.amount),
            }
            for line in lines
        ],
        "amount": money(total),
        "amount_minor": total,
        "currency": currency,
        "amount_in_words": amount_in_words(total, currency),
        "vat": vat,
        "number": number,
        "date": local(issued_at).strftime("%d.%m.%Y"),
        "due_date": due.strftime("%d.%m.%Y") if due else "",
    }


def sample_variables(kind: str, company: Requisites) -> dict[str, Any]:
    lines = [
        priced(LineInput(name="Кухня «Модерн», 3,2 м", quantity=Decimal(1), unit="шт.", price=4_200_000)),
        priced(LineInput(name="Монтаж", quantity=Decimal("3.2"), unit="м", price=50_000)),
    ]
    issued = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    return variables(
        company=company,
        client_name="Олена Петренко",
        deal_id="01J0000000000000000000DEAL",
        deal_title="Кухня 3,2 м",
        kind=kind,
        language="uk",
        number=number_of(kind, 2026, 1),
        issued_at=issued,
        due=due_date(issued, DEFAULT_DUE_DAYS),
        lines=lines,
        currency="UAH",
    )


def document_variables(document: Document) -> dict[str, Any]:
    """The variables of a made document: what it was made with, so it renders the same again."""
    return variables(
        company=document.company,
        client_name=document.client_name,
        deal_id=document.deal_id,
        deal_title=document.deal_title,
        kind=document.kind,
        language=document.language,
        number=document.number,
        issued_at=document.issued_at,
        due=document.due_date,
        lines=document.lines,
        currency=document.currency,
    )


def render(body: str, values: dict[str, Any]) -> str:
    """The HTML of a document; 422 when the template fails on these values."""
    from jinja2 import TemplateError

    check_template(body)
    try:
        return str(_compiled(body).render(**values))
    except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as error:
        raise _invalid(f"The template fails on the document's data: {error}") from error
