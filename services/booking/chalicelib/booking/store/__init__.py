"""The booking table: the only code that knows its keys (each module documents its items)."""

from __future__ import annotations

from chalicelib.booking.store import bookings, catalog, directory, pricing
from chalicelib.booking.store.bookings import BookingBook
from chalicelib.booking.store.catalog import OfferingCatalog
from chalicelib.booking.store.directory import Directory

MODELS = (*catalog.MODELS, *directory.MODELS, *bookings.MODELS, *pricing.MODELS)

__all__ = ["MODELS", "BookingBook", "Directory", "OfferingCatalog"]
