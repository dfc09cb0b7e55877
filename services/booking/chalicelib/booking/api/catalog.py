"""Routes of the catalog: the bookable services."""

from __future__ import annotations

from chalicelib.booking.domain import catalog
from chalicelib.booking.domain.catalog import NewOffering, Offering, OfferingPage
from chalicelib.booking.service import service
from chalicelib.booking.store import OfferingCatalog
from pydantic import ConfigDict, Field

from lanka_platform.api import Call
from lanka_platform.schema import Schema

MANAGERS = ("admin", "head")


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
    roles=MANAGERS,
    idempotent=True,
    problems=[409],
)
def add_offering(call: Call, body: NewOffering) -> Offering:
    """Add a bookable service (a measurement visit, a consultation)."""
    return catalog.add_offering(call.unit, OfferingCatalog(call.store), body, call.store.clock())


@service.route("/services/{offering_id}", "PUT", body=NewOffering, response=Offering, roles=MANAGERS)
def change_offering(call: Call, offering_id: str, body: NewOffering) -> Offering:
    """Change a bookable service (its key stays)."""
    store = OfferingCatalog(call.store)
    current = catalog.get_offering(store, offering_id)
    changed = Offering(
        id=current.id, created_at=current.created_at, **{**body.model_dump(), "key": current.key}
    )
    store.replace(call.unit, changed)
    return changed


@service.route("/services", query=PageQuery, response=OfferingPage)
def list_offerings(call: Call, query: PageQuery) -> OfferingPage:
    """The bookable services, a page at a time."""
    return OfferingCatalog(call.store).page(query.limit, query.cursor)


@service.route("/services/{offering_id}", response=Offering)
def get_offering(call: Call, offering_id: str) -> Offering:
    """One bookable service."""
    return catalog.get_offering(OfferingCatalog(call.store), offering_id)
