"""The booking rules' view of one request or event: stores bound to the service's table."""

from __future__ import annotations

from chalicelib.booking.domain.visits import Desk
from chalicelib.booking.store import BookingBook, Directory, OfferingCatalog

from lanka_platform.storage import Store


def desk_of(store: Store) -> Desk:
    settings = store.settings
    return Desk(
        catalog=OfferingCatalog(store),
        directory=Directory(store),
        book=BookingBook(store, settings.timezone),
        now=store.clock(),
        time_zone=settings.timezone,
        link_secret=settings.link_secret,
    )


def catalog_of(store: Store) -> OfferingCatalog:
    return OfferingCatalog(store)
