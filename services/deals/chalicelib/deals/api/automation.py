"""A pipeline's automation rules through the API, and the events that run them.

Rules run on: a deal entering a stage (`stage_entered`, called by the board counters'
handlers of `DealCreated` and `DealStageChanged`, in the same unit of work), a deal staying
in a stage (a timer), a task completed, a booking made or cancelled, a quote accepted, a
document sent, a payment received and a message from the client. An event that names no
deal (a booking through the widget names only the client) applies to the client's newest
open deal, if there is one.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.deals.domain import automation
from chalicelib.deals.domain.automation import (
    Occasion,
    RuleSet,
    RuleSetChange,
)
from chalicelib.deals.domain.pipelines import Pipeline
from chalicelib.deals.domain.timers import RULE_DELAY, Timer, fires
from chalicelib.deals.runner import deal_for, occasion_of, run_rules
from chalicelib.deals.service import service
from chalicelib.deals.store import (
    DealStore,
    PipelineStore,
    RuleStore,
)

from lanka_platform.api import Call
from lanka_platform.clock import to_iso
from lanka_platform.contracts import booking as booking_events
from lanka_platform.contracts import deals as events
from lanka_platform.contracts import notifications as notification_events
from lanka_platform.events import Envelope
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem


def _pipeline(call: Call, pipeline_id: str) -> Pipeline:
    pipeline = PipelineStore(call.store).get(pipeline_id)
    if pipeline is None:
        raise Problem.not_found("The pipeline")
    return pipeline


@service.route("/pipelines/{pipeline_id}/rules", response=RuleSet, roles=("admin", "head"))
def get_rules(call: Call, pipeline_id: str) -> RuleSet:
    """A pipeline's automation rules, with their version."""
    _pipeline(call, pipeline_id)
    return RuleStore(call.store).get(pipeline_id)


@service.route(
    "/pipelines/{pipeline_id}/rules",
    "PUT",
    body=RuleSetChange,
    response=RuleSet,
    roles=("admin",),
    problems=[409],
)
def change_rules(call: Call, pipeline_id: str, body: RuleSetChange) -> RuleSet:
    """Replace a pipeline's rules as a whole (`version`: the one you read). Unknown stages,
    actions without what they need and rules that would move deals round in a loop are
    refused here, with the path of each mistake."""
    pipeline = _pipeline(call, pipeline_id)
    if body.pipeline_id not in (None, pipeline_id):
        raise Problem.invalid(
            [{"field": "pipeline_id", "message": "These rules are of another pipeline.", "in": "body"}]
        )
    errors = automation.validate(body, pipeline)
    if errors:
        raise Problem.invalid(errors)
    rules = RuleStore(call.store)
    if body.version != rules.get(pipeline_id).version:
        raise Problem.conflict("Someone changed these rules meanwhile; reload them.")
    after = RuleSet(
        pipeline_id=pipeline_id,
        version=body.version + 1,
        **body.model_dump(exclude={"version", "pipeline_id"}),
    )
    rules.save(call.unit, after, expected=body.version)
    return after


# ------------------------------------------------------------------------------ running


@fires(RULE_DELAY)
def stayed_in_stage(timer: Timer, unit: UnitOfWork, now: datetime) -> None:
    """A deal-in-stage-for rule's time is up: if the deal never left, the rule runs."""
    deal_id, _, rule_id = timer.ref.partition("#")
    deal = DealStore(service.store).get(deal_id)
    stage, entered_at = str(timer.payload.get("stage")), str(timer.payload.get("entered_at"))
    if deal is None or deal.stage != stage or to_iso(deal.entered_stage_at) != entered_at:
        return
    occasion = Occasion(
        trigger="deal_in_stage_for",
        event_id=f"timer:{timer.ref}:{entered_at}",
        at=timer.at,
        stage=stage,
        depth=int(timer.payload.get("depth", 0)),
        rule_id=rule_id,
    )
    run_rules(unit, deal, occasion)


def _run_for(
    unit: UnitOfWork,
    deal_id: str | None,
    client_id: str | None,
    occasion: Occasion,
    request_id: str | None = None,
) -> None:
    deal = deal_for(deal_id, client_id, request_id)
    if deal is not None:
        run_rules(unit, deal, occasion)


@service.handles(events.TaskCompleted)
def on_task_completed(event: Envelope[events.TaskCompleted], unit: UnitOfWork) -> None:
    data = event.data
    if data.deal_id:
        _run_for(unit, data.deal_id, None, occasion_of("task_completed", event, task_kind=data.kind))


@service.handles(booking_events.BookingCreated)
def on_booking_created(event: Envelope[booking_events.BookingCreated], unit: UnitOfWork) -> None:
    data = event.data
    occasion = occasion_of(
        "booking_created", event, service=data.service, starts_at=data.starts_at, staff_id=data.staff_id
    )
    _run_for(unit, data.deal_id, data.client_id, occasion, data.request_id)


@service.handles(booking_events.BookingRescheduled)
def on_booking_rescheduled(event: Envelope[booking_events.BookingRescheduled], unit: UnitOfWork) -> None:
    data = event.data
    occasion = occasion_of(
        "booking_rescheduled", event, service=data.service, starts_at=data.starts_at, staff_id=data.staff_id
    )
    _run_for(unit, data.deal_id, data.client_id, occasion)


@service.handles(booking_events.BookingCancelled)
def on_booking_cancelled(event: Envelope[booking_events.BookingCancelled], unit: UnitOfWork) -> None:
    data = event.data
    occasion = occasion_of(
        "booking_cancelled", event, service=data.service, starts_at=data.starts_at, staff_id=data.staff_id
    )
    _run_for(unit, data.deal_id, data.client_id, occasion)


@service.handles(booking_events.QuoteAccepted)
def on_quote_accepted(event: Envelope[booking_events.QuoteAccepted], unit: UnitOfWork) -> None:
    data = event.data
    _run_for(unit, data.deal_id, data.client_id, occasion_of("quote_accepted", event))


@service.handles(events.PaymentReceived)
def on_payment_received(event: Envelope[events.PaymentReceived], unit: UnitOfWork) -> None:
    _run_for(unit, event.data.deal_id, None, occasion_of("payment_received", event))


@service.handles(events.DocumentSent)
def on_document_sent(event: Envelope[events.DocumentSent], unit: UnitOfWork) -> None:
    data = event.data
    _run_for(unit, data.deal_id, None, occasion_of("document_sent", event, document_kind=data.kind))


@service.handles(notification_events.MessageReceived)
def on_message_received(event: Envelope[notification_events.MessageReceived], unit: UnitOfWork) -> None:
    _run_for(unit, None, event.data.client_id, occasion_of("message_received", event))
