"""Logs, traces and metrics (Powertools) for every service, and the correlation id.

The correlation id of a request travels with every event the request causes, and the
consumer of such an event restores it, so one `correlation_id` joins the log lines of a
whole chain across services.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import TYPE_CHECKING

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics

from lanka_platform.ids import new_id

if TYPE_CHECKING:
    from aws_lambda_powertools.tracing import Tracer

NAMESPACE = "Lanka"
CORRELATION_HEADER = "X-Correlation-Id"

_correlation_id: ContextVar[str | None] = ContextVar("lanka_correlation_id", default=None)
_actor: ContextVar[str | None] = ContextVar("lanka_actor", default=None)
_causation_id: ContextVar[str | None] = ContextVar("lanka_causation_id", default=None)


@cache
def logger(service: str) -> Logger:
    return Logger(service=service, log_uncaught_exceptions=False)


@cache
def tracer(service: str) -> Tracer:
    # Imported only where tracing is on (in AWS): its X-Ray machinery is heavy.
    from aws_lambda_powertools.tracing import Tracer

    return Tracer(service=service)


@cache
def metrics(service: str) -> Metrics:
    return Metrics(service=service, namespace=NAMESPACE)


def correlation_id() -> str:
    """The current chain's id; a new chain starts here if there is none."""
    current = _correlation_id.get()
    if current is None:
        current = new_id()
        _correlation_id.set(current)
    return current


def actor() -> str | None:
    return _actor.get()


def set_actor(actor_id: str | None) -> None:
    """Who is acting in the current chain (set once the caller is known)."""
    _actor.set(actor_id)


def causation_id() -> str | None:
    """The event being handled, which causes whatever is published now."""
    return _causation_id.get()


@contextmanager
def correlated(
    service: str,
    correlation: str | None,
    actor_id: str | None = None,
    causation_id: str | None = None,
) -> Iterator[str]:
    """Run a block as part of the chain `correlation` (a new chain when None)."""
    value = correlation or new_id()
    token = _correlation_id.set(value)
    actor_token = _actor.set(actor_id)
    causation_token = _causation_id.set(causation_id)
    log = logger(service)
    log.set_correlation_id(value)
    try:
        yield value
    finally:
        _correlation_id.reset(token)
        _actor.reset(actor_token)
        _causation_id.reset(causation_token)
        log.set_correlation_id(None)
