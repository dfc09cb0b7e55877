"""The booking rules' view of one request or event: stores bound to the service's table."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.booking.domain.visits import Desk
from chalicelib.booking.store import BookingBook, Directory, OfferingCatalog

from lanka_platform.storage import Store


@dataclass(frozen=True)
class TableDesk(Desk):
    """The desk the routes and handlers work with: the rules' ports as the table's stores,
    which the routes also use for what the rules do not do (settings, lists)."""

    catalog: OfferingCatalog
    directory: Directory
    book: BookingBook


def desk_of(store: Store) -> TableDesk:
    settings = store.settings
    return TableDesk(
        catalog=OfferingCatalog(store),
        directory=Directory(store),
        book=BookingBook(store, settings.timezone),
        now=store.clock(),
        time_zone=settings.timezone,
        link_secret=settings.link_secret,
    )


def catalog_of(store: Store) -> OfferingCatalog:
    return OfferingCatalog(store)
