"""Routes of the catalog: the bookable services."""

from __future__ import annotations

from chalicelib.booking.domain import catalog
from chalicelib.booking.domain.catalog import NewOffering, Offering, OfferingPage
from chalicelib.booking.service import service
from chalicelib.booking.store import OfferingCatalog
from pydantic import ConfigDict, Field

from lanka_platform.api import Call
from lanka_platform.schema import Schema


class PageQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2048)


@service.route(
    "/services",
    "POST",
    body=NewOffering,
    response=Offering,
    status=201,
    roles=("admin", "head"),
    idempotent=True,
)
def add_offering(call: Call, body: NewOffering) -> Offering:
    """Add a bookable service (a measurement visit, a consultation)."""
    return catalog.add_offering(call.unit, OfferingCatalog(call.store), body, call.store.clock())


@service.route("/services", query=PageQuery, response=OfferingPage)
def list_offerings(call: Call, query: PageQuery) -> OfferingPage:
    """The bookable services, a page at a time."""
    return OfferingCatalog(call.store).page(query.limit, query.cursor)


@service.route("/services/{offering_id}", response=Offering)
def get_offering(call: Call, offering_id: str) -> Offering:
    """One bookable service."""
    return catalog.get_offering(OfferingCatalog(call.store), offering_id)
