"""Timers: something to do at a given minute (a reminder, an overdue check, an SLA check).

A timer is a kind, a reference (what it is about) and the minute it is due, with a small
payload. The store keeps them in a due-time index swept every minute; each kind has one
handler, registered here by the module that owns that kind. A handler re-checks that what
the timer was set for still holds (the task is still open, the deal is still in that stage):
a timer that outlived its reason does nothing, so timers never need to be hunted down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lanka_platform.ports import UnitOfWork

MINUTE = timedelta(minutes=1)

TASK_REMINDER = "task_reminder"
TASK_DUE = "task_due"
TASK_ESCALATION = "task_escalation"
DEAL_SLA = "deal_sla"
RULE_DELAY = "rule_delay"


def minute(moment: datetime) -> datetime:
    """`moment` in UTC, to the minute: the precision of every due time."""
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


@dataclass(frozen=True)
class Timer:
    kind: str
    ref: str
    at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", minute(self.at))


# (the timer, the unit of work that deletes it, the time of the sweep)
TimerHandler = Callable[[Timer, UnitOfWork, datetime], None]

HANDLERS: dict[str, TimerHandler] = {}


def fires(kind: str) -> Callable[[TimerHandler], TimerHandler]:
    """Register the handler of one kind of timer."""

    def register(handler: TimerHandler) -> TimerHandler:
        if kind in HANDLERS:
            raise ValueError(f"timer kind {kind} already has a handler")
        HANDLERS[kind] = handler
        return handler

    return register


# How far one sweep reaches back: a sweep that has fallen further behind (the schedule
# stopped for more than a day) catches up a day per run, oldest first, and skips nothing.
MAX_CATCH_UP = timedelta(hours=24)


def sweep_range(swept_to: datetime | None, now: datetime) -> tuple[datetime, datetime] | None:
    """The minutes (first, last; both included) a sweep at `now` fires.

    Only minutes that are over are swept: a timer is never set into the minute in progress
    (see the store), so no timer can land in a minute after the sweep has read it. A first
    sweep (no cursor yet) looks back one catch-up span."""
    last = minute(now) - MINUTE
    first = swept_to + MINUTE if swept_to is not None else last - MAX_CATCH_UP + MINUTE
    if first > last:
        return None
    return first, min(last, first + MAX_CATCH_UP - MINUTE)
