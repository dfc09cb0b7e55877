"""The call log: calls with a client, logged by staff or reported by telephony, kept on the
client's deal; a missed incoming call becomes a call-back task for the client's manager."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from lanka_platform.contracts import deals as events
from lanka_platform.events import envelope
from lanka_platform.ports import UnitOfWork
from lanka_platform.schema import Schema

DEFAULT_CALLBACK_MINUTES = 15
CALLBACK_KIND = "call_back"


class _Input(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class NewCall(_Input):
    direction: Literal["in", "out"]
    answered: bool = True
    duration_seconds: int = Field(default=0, ge=0, le=24 * 3600)
    result: str | None = Field(default=None, max_length=2000, description="What was agreed")
    started_at: datetime | None = Field(default=None, description="Default: now")

    @field_validator("started_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("Give the time with its zone (…Z or +03:00).")
        return value.astimezone(UTC) if value is not None else None


class Call(Schema):
    id: str
    client_id: str
    deal_id: str | None
    direction: Literal["in", "out"]
    answered: bool
    duration_seconds: int
    started_at: datetime
    user_id: str | None = Field(description="Who took or made it")
    result: str | None = None
    source: Literal["staff", "telephony"]
    provider: str | None = None
    callback_task_id: str | None = None


class CallList(Schema):
    items: list[Call]


class CallSettings(_Input):
    callback_minutes: int = Field(
        default=DEFAULT_CALLBACK_MINUTES,
        ge=1,
        le=7 * 24 * 60,
        description="How soon a missed call is to be returned",
    )


def is_missed(call: Call) -> bool:
    return call.direction == "in" and not call.answered


def callback_due(call: Call, minutes: int) -> datetime:
    return call.started_at + timedelta(minutes=minutes)


def announce(unit: UnitOfWork, call: Call) -> None:
    unit.emit(
        envelope(
            events.CallLogged(
                call_id=call.id,
                client_id=call.client_id,
                deal_id=call.deal_id,
                direction=call.direction,
                answered=call.answered,
                duration_seconds=call.duration_seconds,
                user_id=call.user_id,
                result=call.result,
            ),
            occurred_at=call.started_at,
        )
    )
