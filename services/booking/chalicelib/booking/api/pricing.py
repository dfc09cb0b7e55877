"""Routes of the price books, the calculator and quotes, and the widgets' settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from chalicelib.booking.domain import pricing, quotes
from chalicelib.booking.domain.pricing import (
    Breakdown,
    CalculationRequest,
    PriceBook,
    PriceBookUpdate,
    PublicPriceBook,
)
from chalicelib.booking.domain.quotes import (
    PublicQuoteStatus,
    Quote,
    QuotePage,
    QuoteReceipt,
    QuoteSubmission,
    Requote,
    WidgetSettings,
)
from chalicelib.booking.service import service
from chalicelib.booking.store.pricing import PriceBooks, Quotes, StoredQuote, WidgetSettingsStore
from pydantic import ConfigDict, Field

from lanka_platform import links, throttle
from lanka_platform.api import Call
from lanka_platform.contracts.clients import ClientMerged, ClientRequestReceived
from lanka_platform.contracts.deals import DealCreated
from lanka_platform.events import Envelope
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

EDITORS = ("admin", "head")
OFFICE = ("admin", "head", "manager", "designer")


class LangQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    lang: Literal["uk", "en"] = "uk"


class QuotesQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    client_id: str | None = Field(default=None, max_length=64)
    deal_id: str | None = Field(default=None, max_length=64)
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2048)


class TokenQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=10, max_length=64)


def _current_book(call: Call) -> PriceBook:
    book = PriceBooks(call.store).current()
    if book is None:
        raise Problem.not_found("The price book")
    return book


def _quote(call: Call, quote_id: str) -> StoredQuote:
    stored = Quotes(call.store).get(quote_id)
    if stored is None:
        raise Problem.not_found("The quote")
    return stored


# --------------------------------------------------------------------------- price books (staff)


@service.route("/price-book", response=PriceBook, roles=OFFICE, tags=["pricing"])
def get_price_book(call: Call) -> PriceBook:
    """The current price book, with promo codes (staff)."""
    return _current_book(call)


@service.route(
    "/price-book",
    "PUT",
    body=PriceBookUpdate,
    response=PriceBook,
    roles=EDITORS,
    tags=["pricing"],
    problems=[409],
)
def save_price_book(call: Call, body: PriceBookUpdate) -> PriceBook:
    """Save the price book as a new version (`version`: the one you edited, 0 the first time).
    Quotes keep the version they were priced with."""
    pricing.check(body)
    book = PriceBook(
        **body.model_dump(exclude={"version"}),
        version=body.version + 1,
        saved_at=call.store.clock(),
        saved_by=call.user.user_id,
    )
    PriceBooks(call.store).save(call.unit, book)
    return book


@service.route("/price-book/versions/{version}", response=PriceBook, roles=OFFICE, tags=["pricing"])
def get_price_book_version(call: Call, version: str) -> PriceBook:
    """One saved version of the price book (what an old quote was priced with)."""
    book = PriceBooks(call.store).version(int(version)) if version.isdigit() else None
    if book is None:
        raise Problem.not_found("The price book version")
    return book


# --------------------------------------------------------------------------- the widget (public)


@service.route(
    "/public/price-book",
    query=LangQuery,
    response=PublicPriceBook,
    public=True,
    tags=["widgets"],
    problems=[429],
)
def public_price_book(call: Call, query: LangQuery) -> PublicPriceBook:
    """What the price calculator renders: items, inputs with limits, options with rules."""
    throttle.limit(call.store, call.request, "price-book", 120)
    return pricing.public_view(_current_book(call), query.lang)


@service.route(
    "/public/quotes/calculate",
    "POST",
    body=CalculationRequest,
    response=Breakdown,
    public=True,
    tags=["widgets"],
    problems=[404, 429],
)
def calculate(call: Call, body: CalculationRequest) -> Breakdown:
    """The price and its breakdown; nothing is kept."""
    throttle.limit(call.store, call.request, "calculate", 120)
    return pricing.calculate(_current_book(call), body, call.store.clock())


@service.route(
    "/public/quotes",
    "POST",
    body=QuoteSubmission,
    response=QuoteReceipt,
    status=201,
    public=True,
    idempotent=True,
    tags=["widgets"],
    problems=[404, 429],
)
def submit_quote(call: Call, body: QuoteSubmission) -> QuoteReceipt:
    """Send the calculation as a request: a quote is kept and a deal opens with its total."""
    throttle.limit(call.store, call.request, "quotes", 10)
    return quotes.submit(
        call.unit,
        Quotes(call.store),
        _current_book(call),
        body,
        WidgetSettingsStore(call.store).get(),
        call.store.settings.link_secret,
        call.store.clock(),
    )


@service.route(
    "/public/quotes/{quote_id}/accept",
    "POST",
    query=TokenQuery,
    response=PublicQuoteStatus,
    public=True,
    tags=["widgets"],
    problems=[403, 409, 429],
)
def accept_quote_by_link(call: Call, quote_id: str, query: TokenQuery) -> PublicQuoteStatus:
    """The client accepts the quote through the signed link they were given."""
    throttle.limit(call.store, call.request, "quote-accept", 20)
    if not links.verify(call.store.settings.link_secret, quotes.ACCEPT_PURPOSE, quote_id, query.token):
        raise Problem.forbidden("This link is not valid.")
    accepted = _accept(call, quote_id, "client")
    return PublicQuoteStatus(
        id=accepted.id,
        status=accepted.status,
        total=accepted.total,
        currency=accepted.currency,
        valid_until=accepted.valid_until,
    )


# --------------------------------------------------------------------------- quotes (staff)


@service.route("/quotes", query=QuotesQuery, response=QuotePage, roles=OFFICE, tags=["pricing"])
def list_quotes(call: Call, query: QuotesQuery) -> QuotePage:
    """A client's or a deal's quotes, newest first."""
    if (query.client_id is None) == (query.deal_id is None):
        raise Problem.invalid(
            [{"field": "client_id", "message": "Give a client_id or a deal_id.", "in": "query"}]
        )
    kind, owner = ("CLIENT", query.client_id) if query.client_id else ("DEAL", query.deal_id)
    items, cursor = Quotes(call.store).page_of(kind, owner or "", query.limit, query.cursor)
    return QuotePage(items=items, next_cursor=cursor)


@service.route("/quotes/{quote_id}", response=Quote, roles=OFFICE, tags=["pricing"])
def get_quote(call: Call, quote_id: str) -> Quote:
    """One quote with its breakdown and price-book version."""
    return _quote(call, quote_id).quote


@service.route(
    "/quotes/{quote_id}", "PUT", body=Requote, response=Quote, roles=OFFICE, tags=["pricing"], problems=[409]
)
def reprice_quote(call: Call, quote_id: str, body: Requote) -> Quote:
    """Change the quote's inputs; it is priced again by the current price book. An accepted
    quote is locked (409)."""
    stored = _quote(call, quote_id)
    changed = quotes.reprice(stored.quote, _current_book(call), body.calculation, call.store.clock())
    Quotes(call.store).replace(call.unit, stored, changed, stored.contact)
    return changed


@service.route(
    "/quotes/{quote_id}/accept", "POST", response=Quote, roles=OFFICE, tags=["pricing"], problems=[409]
)
def accept_quote(call: Call, quote_id: str) -> Quote:
    """The client agreed (by phone, in person): the quote is accepted and locked."""
    return _accept(call, quote_id, call.user.user_id)


def _accept(call: Call, quote_id: str, by: str) -> Quote:
    stored = _quote(call, quote_id)
    accepted = quotes.accept(call.unit, stored.quote, by, call.store.clock())
    Quotes(call.store).replace(call.unit, stored, accepted, stored.contact)
    return accepted


# --------------------------------------------------------------------------- settings (admin)


@service.route("/widget-settings", response=WidgetSettings, roles=("admin",), tags=["widgets"])
def get_widget_settings(call: Call) -> WidgetSettings:
    """The sites allowed to embed the widgets, and how long a quote stays valid."""
    return WidgetSettingsStore(call.store).get()


@service.route(
    "/widget-settings",
    "PUT",
    body=WidgetSettings,
    response=WidgetSettings,
    roles=("admin",),
    tags=["widgets"],
)
def save_widget_settings(call: Call, body: WidgetSettings) -> WidgetSettings:
    """Replace the widget settings."""
    quotes.check_settings(body)
    WidgetSettingsStore(call.store).save(call.unit, body)
    return body


# --------------------------------------------------------------------------- events


@service.handles(ClientRequestReceived)
def on_quote_client_known(event: Envelope[ClientRequestReceived], unit: UnitOfWork) -> None:
    """A visitor's quote learns its client; the contact details it kept are dropped (the
    client card holds them). Requests that are not quotes are the bookings' business."""
    store = Quotes(service.store)
    stored = store.get(event.data.request_id)
    if stored is None or stored.quote.client_id is not None:
        return
    linked = stored.quote.model_copy(update={"client_id": event.data.client_id})
    store.replace(unit, stored, linked, None)


@service.handles(DealCreated)
def on_quote_deal_opened(event: Envelope[DealCreated], unit: UnitOfWork) -> None:
    """A visitor's quote learns the deal opened for it."""
    if not event.data.request_id:
        return
    store = Quotes(service.store)
    stored = store.get(event.data.request_id)
    if stored is None or stored.quote.deal_id is not None:
        return
    linked = stored.quote.model_copy(update={"deal_id": event.data.deal_id})
    store.replace(unit, stored, linked, stored.contact)


def retention(event: Any) -> dict[str, int]:
    """Contact details of quotes never linked to a client are dropped once they are
    `UNLINKED_CONTACT_DAYS` old (a batch a run, every minute)."""
    store = service.store
    unit = store.unit_of_work()
    cutoff = store.clock() - timedelta(days=quotes.UNLINKED_CONTACT_DAYS)
    forgotten = Quotes(store).forget_contacts(unit, cutoff)
    unit.commit()
    return {"quotes_forgotten": forgotten}


# Lambda finds it as `app.<its name>` (services/<service>/app.py re-exports it).
service.every_minute("retention")(retention)


@service.handles(ClientMerged)
def on_quote_client_merged(event: Envelope[ClientMerged], unit: UnitOfWork) -> None:
    """A merged client's quotes belong to the client it was merged into."""
    Quotes(service.store).repoint_client(unit, event.data.merged_id, event.data.survivor_id)
