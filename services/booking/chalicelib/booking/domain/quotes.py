"""Quotes: a calculation a visitor (or staff) kept, with the price-book version it used.

A visitor's quote becomes a request like any other: `WidgetRequestReceived` goes out with
the quote's id as the request id; clients finds or creates the client and deals opens the
deal. Booking learns both back (`ClientRequestReceived`, `DealCreated` with that request
id). The contact details the visitor typed are kept on the quote only until the client is
known: from then on the client card holds them, and the quote names the client. A quote
whose client never becomes known (the request was dropped) loses them when it is
`UNLINKED_CONTACT_DAYS` old (the `retention` schedule). So a client's erasure finds no
contact details on quotes: a quote names a client only once it dropped them.

An accepted quote is locked: it cannot be repriced or accepted again (409).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, Protocol

from chalicelib.booking.domain import pricing
from chalicelib.booking.domain.pricing import Breakdown, CalculationRequest, PriceBook
from pydantic import ConfigDict, Field

from lanka_platform import links
from lanka_platform.contracts.booking import QuoteAccepted, WidgetRequestReceived
from lanka_platform.events import envelope
from lanka_platform.ids import new_id
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

ACCEPT_PURPOSE = "quote-accept"
Status = Literal["open", "accepted"]

# How long a quote not linked to a client keeps the visitor's contact details.
UNLINKED_CONTACT_DAYS = 30


class WidgetSettings(Schema):
    """The company's settings of its public widgets (admin)."""

    model_config = ConfigDict(extra="forbid")

    allowed_origins: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Sites that may embed the widgets, e.g. https://mebli.example.com",
    )
    quote_valid_days: int = Field(default=14, ge=1, le=365)

    def allows(self, origin: str) -> bool:
        return _origin(origin) in {_origin(allowed) for allowed in self.allowed_origins}


def _origin(url: str) -> str:
    return url.strip().rstrip("/").lower()


# Plain http is for trying the widgets on one's own machine only.
LOCAL_HOSTS = ("localhost", "127.0.0.1")


def check_settings(settings: WidgetSettings) -> None:
    """Every allowed origin is https://host[:port] (http:// only for localhost)."""
    errors = []
    for i, origin in enumerate(settings.allowed_origins):
        scheme, _, rest = origin.partition("://")
        host = rest.rstrip("/").rsplit(":", 1)[0]
        if scheme not in ("http", "https") or not rest or "/" in rest.rstrip("/") or " " in rest:
            message = "An origin is https://host[:port], without a path."
        elif scheme == "http" and host not in LOCAL_HOSTS:
            message = "A site must be https:// (http:// only for localhost)."
        else:
            continue
        errors.append({"field": f"allowed_origins.{i}", "message": message, "in": "body"})
    if errors:
        raise Problem.invalid(errors)


class Contact(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    phone: str = Field(min_length=5, max_length=40, pattern=r"^[0-9+()\-\s]+$")
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address: str | None = Field(default=None, max_length=300)
    comment: str | None = Field(default=None, max_length=4000)


class QuoteSubmission(CalculationRequest):
    """A calculation the visitor sends as a request (with consent to be contacted)."""

    name: str = Field(min_length=1, max_length=200)
    phone: str = Field(min_length=5, max_length=40, pattern=r"^[0-9+()\-\s]+$")
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address: str | None = Field(default=None, max_length=300)
    comment: str | None = Field(default=None, max_length=4000)
    consent: bool = Field(description="Must be true: the visitor agrees to be contacted")
    website: str = Field(default="", max_length=200, description="Leave empty (a trap for robots)")

    def calculation(self) -> CalculationRequest:
        return CalculationRequest(
            lines=self.lines, promo_code=self.promo_code, fees=self.fees, lang=self.lang
        )

    def contact(self) -> Contact:
        return Contact(
            name=self.name,
            phone=self.phone,
            email=self.email or None,
            address=self.address or None,
            comment=self.comment or None,
        )


class Quote(Schema):
    id: str
    status: Status
    subject: str
    request: CalculationRequest
    breakdown: Breakdown
    price_book_version: int
    total: int
    currency: str
    valid_until: datetime
    created_at: datetime
    client_id: str | None = None
    deal_id: str | None = None
    accepted_at: datetime | None = None
    accepted_by: str | None = Field(default=None, description="A user id, or `client` through the link")


class QuotePage(Schema):
    items: list[Quote]
    next_cursor: str | None = None


class QuoteReceipt(Schema):
    """What the visitor gets back: no contact details, the price and the accept link."""

    id: str
    subject: str
    breakdown: Breakdown
    valid_until: datetime
    accept_path: str = Field(description="POST here to accept the quote (signed, no login)")


class PublicQuoteStatus(Schema):
    id: str
    status: Status
    total: int
    currency: str
    valid_until: datetime


class Requote(Schema):
    """Staff reprice a quote (current price book) with changed inputs."""

    model_config = ConfigDict(extra="forbid")

    calculation: CalculationRequest


class QuoteStore(Protocol):
    def add(self, unit: UnitOfWork, quote: Quote, contact: Contact) -> None: ...


def accept_path(secret: str, quote_id: str) -> str:
    token = links.sign(secret, ACCEPT_PURPOSE, quote_id)
    return f"/api/booking/public/quotes/{quote_id}/accept?token={token}"


def submit(
    unit: UnitOfWork,
    quotes: QuoteStore,
    book: PriceBook,
    submission: QuoteSubmission,
    settings: WidgetSettings,
    secret: str,
    now: datetime,
) -> QuoteReceipt:
    """Price the submission, keep it as a quote and announce it as a widget request.

    A filled honeypot is answered the same way but nothing is kept or sent."""
    calculation = submission.calculation()
    breakdown = pricing.calculate(book, calculation, now)
    if not submission.consent:
        raise Problem.invalid(
            [
                {
                    "field": "consent",
                    "message": "Потрібна ваша згода на обробку даних."
                    if calculation.lang == "uk"
                    else "Your consent is required.",
                    "in": "body",
                }
            ]
        )
    quote = Quote(
        id=new_id(),
        status="open",
        subject=pricing.subject(breakdown, calculation),
        request=calculation,
        breakdown=breakdown,
        price_book_version=book.version,
        total=breakdown.total,
        currency=breakdown.currency,
        valid_until=now + timedelta(days=settings.quote_valid_days),
        created_at=now,
    )
    receipt = QuoteReceipt(
        id=quote.id,
        subject=quote.subject,
        breakdown=breakdown,
        valid_until=quote.valid_until,
        accept_path=accept_path(secret, quote.id),
    )
    if submission.website.strip():
        return receipt
    contact = submission.contact()
    quotes.add(unit, quote, contact)
    unit.emit(
        envelope(
            WidgetRequestReceived(
                request_id=quote.id,
                channel="price_widget",
                name=contact.name,
                phone=contact.phone,
                email=contact.email,
                address=contact.address,
                message=contact.comment,
                subject=quote.subject,
                amount=quote.total,
                currency=quote.currency,
            )
        )
    )
    return receipt


def reprice(quote: Quote, book: PriceBook, calculation: CalculationRequest, now: datetime) -> Quote:
    """The quote with new inputs, priced by the current price book (409 once accepted)."""
    if quote.status == "accepted":
        raise Problem.conflict("The quote was accepted and is locked; make a new one.")
    breakdown = pricing.calculate(book, calculation, now)
    return quote.model_copy(
        update={
            "request": calculation,
            "breakdown": breakdown,
            "subject": pricing.subject(breakdown, calculation),
            "price_book_version": book.version,
            "total": breakdown.total,
            "currency": breakdown.currency,
        }
    )


def accept(unit: UnitOfWork, quote: Quote, by: str, now: datetime) -> Quote:
    """Lock the quote as accepted and announce `QuoteAccepted` (the deal's automation runs)."""
    if quote.status == "accepted":
        raise Problem.conflict("The quote is already accepted.")
    if now >= quote.valid_until:
        raise Problem.conflict(
            "The quote expired; ask for a new one.", valid_until=quote.valid_until.isoformat()
        )
    if quote.client_id is None:
        raise Problem.conflict("The quote is still being registered; try again in a minute.")
    accepted = quote.model_copy(update={"status": "accepted", "accepted_at": now, "accepted_by": by})
    unit.emit(
        envelope(
            QuoteAccepted(
                quote_id=quote.id,
                client_id=quote.client_id,
                deal_id=quote.deal_id,
                amount=quote.total,
                currency=quote.currency,
            )
        )
    )
    return accepted
