"""Per-caller request limits for public endpoints (widgets, forms, inbound webhooks).

A caller (an IP address, usually) gets `limit` requests per minute per scope. The count is
one conditional `UpdateItem` on a `RATE#<scope>#<caller>` item of the current minute: the
limit is the condition, so concurrent requests can never together pass it, and a refused
request counts nothing. Items expire by TTL a few minutes later.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import NumberAttribute, TTLAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError

from lanka_platform.problems import Problem
from lanka_platform.storage import TableModel

if TYPE_CHECKING:
    from chalice.app import Request

    from lanka_platform.storage import Store

KEPT = timedelta(minutes=5)


class RateCount(TableModel):
    """Requests of one caller in one minute, for one scope."""

    uses = NumberAttribute(default=0)
    expires_at = TTLAttribute()


def caller_of(request: Request) -> str:
    """Who is asking: the source IP the gateway saw (never a header the caller can set)."""
    context: dict[str, Any] = request.context or {}
    identity = context.get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")


def count(store: Store, scope: str, caller: str, limit: int, now: datetime) -> bool:
    """Count one request of `caller` this minute; False (and nothing counted) past `limit`.

    The caller is kept hashed: an IP address is personal data and need not be readable."""
    model = store.model(RateCount)
    item = _minute(store, scope, caller, now)
    try:
        item.update(
            actions=[model.uses.add(1), model.expires_at.set(now + KEPT)],
            condition=model.uses.does_not_exist() | (model.uses < limit),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def spent(store: Store, scope: str, caller: str, limit: int, now: datetime) -> bool:
    """Whether `caller` already has `limit` counted this minute (one GetItem; counts nothing).
    For limits on what went wrong (failed sign-ins): checked before, counted after a failure."""
    try:
        item = _minute(store, scope, caller, now)
        item.refresh(consistent_read=True)
    except DoesNotExist:
        return False
    return int(item.uses or 0) >= limit


def _minute(store: Store, scope: str, caller: str, now: datetime) -> RateCount:
    who = hashlib.sha256(caller.encode()).hexdigest()[:24]
    return store.model(RateCount)(pk=f"RATE#{scope}#{who}", sk=now.strftime("%Y-%m-%dT%H:%M"))


def limit(store: Store, request: Request, scope: str, per_minute: int) -> None:
    """Refuse with 429 (and a Retry-After) a caller past `per_minute` requests in `scope`."""
    now = store.clock()
    if not count(store, scope, caller_of(request), per_minute, now):
        raise refusal(now, "Too many requests from your address")


def refusal(now: datetime, what: str) -> Problem:
    """The 429 of a limit counted per minute: `what` happened, and when to try again."""
    retry = 60 - now.second
    return Problem(
        429, "Too many requests", f"{what}; try again in {retry} s.", headers={"Retry-After": str(retry)}
    )
