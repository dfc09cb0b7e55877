"""The booking table: the only code that knows its keys (each module documents its items)."""

from __future__ import annotations

from chalicelib.booking.store import catalog, pricing
from chalicelib.booking.store.catalog import OfferingCatalog

MODELS = (*catalog.MODELS, *pricing.MODELS)

__all__ = ["MODELS", "OfferingCatalog"]
