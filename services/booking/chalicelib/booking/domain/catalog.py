"""What the company offers for booking: a measurer's visit, a consultation, an installation.

A bookable service is known by its `key` (`measurement`), which is also its id. Times are
whole quarters of an hour (durations, buffers, slot step): a claim on a specialist's time is
one item per 15-minute bucket (see `domain.calendar.BUCKET_MINUTES`), so a visit that is
not aligned to the buckets could block its neighbours for time it does not use.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from pydantic import ConfigDict, Field, field_validator

from lanka_platform.money import Money
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

QUARTER = 15
KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"


def _quarters(value: int) -> int:
    if value % QUARTER:
        raise ValueError(f"must be a multiple of {QUARTER} minutes")
    return value


class NewOffering(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    key: str = Field(pattern=KEY_PATTERN, examples=["measurement"], description="Stable key, also the id")
    name: str = Field(min_length=1, max_length=120, examples=["Замір"], description="Name in Ukrainian")
    name_en: str | None = Field(default=None, max_length=120, examples=["Measurement visit"])
    description: str | None = Field(default=None, max_length=1000)
    description_en: str | None = Field(default=None, max_length=1000)
    duration_minutes: int = Field(ge=15, le=12 * 60, examples=[60])
    price: Money | None = Field(default=None, description="None when the price is agreed per job")
    at_client_address: bool = Field(default=False, description="A field visit (travel time applies)")
    slot_step_minutes: int = Field(default=30, ge=15, le=240, description="How far apart offered starts are")
    buffer_before_minutes: int = Field(default=0, ge=0, le=240)
    buffer_after_minutes: int = Field(default=0, ge=0, le=240)
    min_notice_minutes: int = Field(default=120, ge=0, le=60 * 24 * 30)
    horizon_days: int = Field(default=60, ge=1, le=365)
    seats: int = Field(default=1, ge=1, le=100, description="Visitors one specialist takes at once")
    required_skills: list[str] = Field(default_factory=list, max_length=10)
    required_resource_kinds: list[str] = Field(
        default_factory=list, max_length=3, description="One free resource of each kind (room, vehicle)"
    )
    allows_staff_choice: bool = Field(default=True, description="The visitor may pick the specialist")

    _durations = field_validator(
        "duration_minutes", "slot_step_minutes", "buffer_before_minutes", "buffer_after_minutes"
    )(_quarters)


class Offering(NewOffering):
    id: str
    created_at: datetime

    def display_name(self, lang: str) -> str:
        return (self.name_en or self.name) if lang == "en" else self.name

    def display_description(self, lang: str) -> str | None:
        return (self.description_en or self.description) if lang == "en" else self.description


class OfferingPage(Schema):
    items: list[Offering]
    next_cursor: str | None = None


class Catalog(Protocol):
    def add(self, unit: UnitOfWork, offering: Offering) -> None: ...
    def get(self, offering_id: str) -> Offering | None: ...
    def page(self, limit: int, cursor: str | None) -> OfferingPage: ...
    def all(self) -> list[Offering]: ...


def add_offering(unit: UnitOfWork, catalog: Catalog, new: NewOffering, now: datetime) -> Offering:
    offering = Offering(id=new.key, created_at=now, **new.model_dump())
    catalog.add(unit, offering)
    return offering


def get_offering(catalog: Catalog, offering_id: str) -> Offering:
    offering = catalog.get(offering_id)
    if offering is None:
        raise Problem.not_found("The service")
    return offering


def offerings_by_keys(
    offerings: Sequence[Offering], keys: list[str], field: str = "services"
) -> list[Offering]:
    """The services of one visit (of the catalog's `offerings`), in the order asked; 422
    naming any unknown key."""
    known = {offering.key: offering for offering in offerings}
    missing = [key for key in keys if key not in known]
    if missing or not keys:
        message = f"Unknown service: {', '.join(missing)}." if missing else "Choose at least one service."
        raise Problem.invalid([{"field": field, "message": message, "in": "body"}])
    if len(set(keys)) != len(keys):
        raise Problem.invalid([{"field": field, "message": "A service is listed twice.", "in": "body"}])
    return [known[key] for key in keys]
