"""Deals: a client's order moving through a pipeline's stages, with its history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal, Protocol

from chalicelib.deals.domain.pipelines import Pipeline
from pydantic import ConfigDict, Field

from lanka_platform.auth import MANAGER, Principal
from lanka_platform.contracts import deals as events
from lanka_platform.events import envelope
from lanka_platform.ids import new_id
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

Outcome = Literal["won", "lost"]


class StageVisit(Schema):
    stage: str
    entered_at: datetime
    left_at: datetime | None = None

    def seconds(self, now: datetime) -> int:
        return int(((self.left_at or now) - self.entered_at).total_seconds())


class Deal(Schema):
    id: str
    pipeline_id: str
    stage: str
    client_id: str
    client_name: str | None = None
    title: str
    amount: int = Field(description="Minor units (kopiyky)")
    currency: str = "UAH"
    owner_id: str | None = None
    source_channel: str | None = None
    request_id: str | None = None
    expected_date: date | None = None
    custom: dict[str, Any] = Field(default_factory=dict)
    outcome: Outcome | None = None
    lost_reason: str | None = None
    history: list[StageVisit] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @property
    def entered_stage_at(self) -> datetime:
        return self.history[-1].entered_at if self.history else self.created_at


class _Input(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class NewDeal(_Input):
    client_id: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200, examples=["Кухня 3,2 м"])
    pipeline_id: str | None = Field(default=None, max_length=64, description="Default: the default pipeline")
    amount: int = Field(default=0, ge=0, le=10**12, description="Minor units (kopiyky)")
    currency: str = Field(default="UAH", pattern=r"^[A-Z]{3}$")
    owner_id: str | None = Field(default=None, max_length=128, description="Head and admin only")
    source_channel: str | None = Field(default=None, max_length=40)
    expected_date: date | None = None
    custom: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


class DealPatch(_Input):
    version: int = Field(ge=1)
    title: str | None = Field(default=None, min_length=1, max_length=200)
    amount: int | None = Field(default=None, ge=0, le=10**12)
    expected_date: date | None = None
    custom: dict[str, str | int | float | bool | None] | None = None


class Move(_Input):
    to_stage: str = Field(min_length=1, max_length=40)
    version: int = Field(ge=1, description="The version the mover saw: a stale one is a 409")
    lost_reason: str | None = Field(default=None, max_length=200)


class OwnerChange(_Input):
    owner_id: str | None = Field(max_length=128)
    version: int | None = Field(default=None, ge=1)


class DealCard(Schema):
    id: str
    title: str
    client_id: str
    client_name: str | None
    amount: int
    currency: str
    owner_id: str | None
    updated_at: datetime
    # What the board needs to move a card and filter it without opening the deal; cards
    # written before these were added carry neither (the app then reads the deal).
    source_channel: str | None = None
    version: int | None = None


class BoardColumn(Schema):
    stage: str
    name: str
    kind: str
    count: int
    sum: int
    cards: list[DealCard]
    next_cursor: str | None = None


class Board(Schema):
    pipeline_id: str
    name: str
    columns: list[BoardColumn]


class DealPage(Schema):
    items: list[DealCard]
    next_cursor: str | None = None


def card(deal: Deal) -> DealCard:
    return DealCard(
        id=deal.id,
        title=deal.title,
        client_id=deal.client_id,
        client_name=deal.client_name,
        amount=deal.amount,
        currency=deal.currency,
        owner_id=deal.owner_id,
        updated_at=deal.updated_at,
        source_channel=deal.source_channel,
        version=deal.version,
    )


# ------------------------------------------------------------------------------ rules


class Deals(Protocol):
    def add(self, unit: UnitOfWork, deal: Deal) -> None: ...
    def replace(self, unit: UnitOfWork, before: Deal, after: Deal) -> None: ...
    def get(self, deal_id: str) -> Deal | None: ...
    def loads(self, pipeline_id: str, managers: list[str]) -> dict[str, int]: ...


# How many of a client's newest deals are looked at for an open one.
NEWEST_DEALS = 10


class DealFinder(Protocol):
    """Where a deal is found from what an event names."""

    def get(self, deal_id: str) -> Deal | None: ...
    def deal_of_request(self, request_id: str) -> str | None: ...
    def open_of_client(self, client_id: str, limit: int) -> Deal | None: ...


def deal_an_event_is_about(
    deals: DealFinder,
    survivor_of: Callable[[str], str],
    deal_id: str | None,
    client_id: str | None,
    request_id: str | None = None,
) -> Deal | None:
    """The deal an event is about: the one it names, the one opened for its request, or the
    client's (or, for a merged client, the survivor's) newest open one.

    A booking made through the widget names its request; the deal for that request is
    opened from the same `ClientRequestReceived` that lets booking announce it, so it may
    not be there yet: then the event fails and is retried (the consumer reports it as a
    batch failure and SQS hands it over again), instead of moving another deal."""
    if deal_id:
        return deals.get(deal_id)
    if request_id:
        opened = deals.deal_of_request(request_id)
        if opened is None:
            raise Problem(503, "Deal not opened yet", f"No deal for request {request_id} yet; retry.")
        return deals.get(opened)
    if not client_id:
        return None
    return deals.open_of_client(survivor_of(client_id), NEWEST_DEALS)


def can_see(by: Principal, deal: Deal) -> bool:
    """Managers see their own deals and the unassigned ones; head and admin see all."""
    if by.is_supervisor:
        return True
    return MANAGER in by.roles and deal.owner_id in (None, by.user_id)


def visible(deals: Deals, deal_id: str, by: Principal) -> Deal:
    deal = deals.get(deal_id)
    if deal is None or not can_see(by, deal):
        raise Problem.not_found("The deal")
    return deal


def choose_owner(pipeline: Pipeline, deals: Deals, take_turn: Callable[[str], int]) -> str | None:
    """Who gets a new request: in turn, or the least loaded, among the managers on duty."""
    managers = pipeline.distribution.managers
    if not managers or pipeline.distribution.rule == "manual":
        return None
    if pipeline.distribution.rule == "least_loaded":
        loads = deals.loads(pipeline.id, managers)
        return min(managers, key=lambda manager: (loads.get(manager, 0), managers.index(manager)))
    return managers[take_turn(pipeline.id) % len(managers)]


def open_deal(
    unit: UnitOfWork,
    deals: Deals,
    pipeline: Pipeline,
    *,
    client_id: str,
    client_name: str | None,
    title: str,
    owner_id: str | None,
    now: datetime,
    amount: int = 0,
    currency: str = "UAH",
    source_channel: str | None = None,
    request_id: str | None = None,
    expected_date: date | None = None,
    custom: dict[str, Any] | None = None,
) -> Deal:
    """A new deal in the pipeline's first stage."""
    first = pipeline.first_stage.key
    deal = Deal(
        id=new_id(),
        pipeline_id=pipeline.id,
        stage=first,
        client_id=client_id,
        client_name=client_name,
        title=title,
        amount=amount,
        currency=currency,
        owner_id=owner_id,
        source_channel=source_channel,
        request_id=request_id,
        expected_date=expected_date,
        custom=custom or {},
        history=[StageVisit(stage=first, entered_at=now)],
        created_at=now,
        updated_at=now,
    )
    deals.add(unit, deal)
    unit.emit(
        envelope(
            events.DealCreated(
                deal_id=deal.id,
                pipeline_id=pipeline.id,
                stage=first,
                client_id=client_id,
                title=title,
                amount=amount,
                currency=currency,
                owner_id=owner_id,
                source_channel=source_channel,
                request_id=request_id,
            ),
            occurred_at=now,
        )
    )
    return deal


def move(
    unit: UnitOfWork,
    deals: Deals,
    pipeline: Pipeline,
    deal: Deal,
    to_stage: str,
    version: int,
    now: datetime,
    *,
    lost_reason: str | None = None,
    depth: int = 0,
) -> Deal:
    """Move the deal to another stage (409 if it changed since `version`)."""
    target = pipeline.stage(to_stage)
    if target is None:
        raise Problem.invalid(
            [{"field": "to_stage", "message": f"No stage {to_stage!r} in this pipeline.", "in": "body"}]
        )
    if version != deal.version:
        raise Problem.conflict(
            "Someone moved or changed this deal meanwhile; reload it.", current_version=deal.version
        )
    if target.key == deal.stage:
        return deal
    if target.kind == "lost" and pipeline.lost_reasons and lost_reason not in pipeline.lost_reasons:
        raise Problem.invalid(
            [
                {
                    "field": "lost_reason",
                    "message": f"Choose one of: {', '.join(pipeline.lost_reasons)}.",
                    "in": "body",
                }
            ]
        )
    history = (
        [*deal.history[:-1], deal.history[-1].model_copy(update={"left_at": now})] if deal.history else []
    )
    outcome = None if target.kind == "open" else target.kind
    after = deal.model_copy(
        update={
            "stage": target.key,
            "outcome": outcome,
            "lost_reason": lost_reason if target.kind == "lost" else None,
            "history": [*history, StageVisit(stage=target.key, entered_at=now)],
            "updated_at": now,
            "version": deal.version + 1,
        }
    )
    deals.replace(unit, deal, after)
    unit.emit(
        envelope(
            events.DealStageChanged(
                deal_id=deal.id,
                pipeline_id=deal.pipeline_id,
                client_id=deal.client_id,
                from_stage=deal.stage,
                to_stage=target.key,
                outcome=outcome,
                lost_reason=after.lost_reason,
                amount=deal.amount,
                currency=deal.currency,
                owner_id=deal.owner_id,
                deal_version=after.version,
                automation_depth=depth,
            ),
            occurred_at=now,
        )
    )
    return after


def change(
    unit: UnitOfWork, deals: Deals, deal: Deal, now: datetime, version: int | None, **fields: Any
) -> Deal:
    """Change some fields of a deal (the owner included) and announce it."""
    if version is not None and version != deal.version:
        raise Problem.conflict(
            "Someone changed this deal meanwhile; reload it.", current_version=deal.version
        )
    changed = sorted(key for key, value in fields.items() if getattr(deal, key) != value)
    if not changed:
        return deal
    after = deal.model_copy(update={**fields, "updated_at": now, "version": deal.version + 1})
    deals.replace(unit, deal, after)
    unit.emit(
        envelope(
            events.DealUpdated(
                deal_id=deal.id,
                pipeline_id=deal.pipeline_id,
                client_id=deal.client_id,
                stage=deal.stage,
                amount=after.amount,
                previous_amount=deal.amount,
                currency=deal.currency,
                owner_id=after.owner_id,
                previous_owner_id=deal.owner_id,
                changed=changed,
                deal_version=after.version,
            ),
            occurred_at=now,
        )
    )
    return after
