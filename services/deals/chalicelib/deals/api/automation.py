"""A pipeline's automation rules through the API, and the events that run them.

Rules run on: a deal entering a stage (`stage_entered`, called by the board counters'
handlers of `DealCreated` and `DealStageChanged`, in the same unit of work), a deal staying
in a stage (a timer), a task completed, a booking made or cancelled, a quote accepted, a
document sent, a payment received and a message from the client. An event that names no
deal (a booking through the widget names only the client) applies to the client's newest
open deal, if there is one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.deals.domain import automation, deadlines
from chalicelib.deals.domain.automation import (
    MAX_DEPTH,
    Automation,
    DealInStageFor,
    Occasion,
    RuleSet,
    RuleSetChange,
)
from chalicelib.deals.domain.deals import Deal
from chalicelib.deals.domain.pipelines import Pipeline
from chalicelib.deals.domain.timers import RULE_DELAY, Timer, fires
from chalicelib.deals.service import service
from chalicelib.deals.store import (
    ClientDirectory,
    DealStore,
    OverdueList,
    PipelineStore,
    RuleStore,
    TaskStore,
    TimerStore,
)

from lanka_platform import observability
from lanka_platform.api import Call
from lanka_platform.clock import to_iso
from lanka_platform.contracts import booking as booking_events
from lanka_platform.contracts import deals as events
from lanka_platform.contracts import notifications as notification_events
from lanka_platform.events import Envelope
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem

# How many of a client's newest deals are looked at for an open one.
NEWEST_DEALS = 10


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


def run_rules(
    unit: UnitOfWork,
    deal: Deal,
    occasion: Occasion,
    *,
    rules: RuleSet | None = None,
    pipeline: Pipeline | None = None,
) -> None:
    """Run the deal's pipeline's rules for `occasion`, writing their effects in `unit`."""
    store = service.store
    pipelines = PipelineStore(store)
    pipeline = pipeline if pipeline is not None else pipelines.get(deal.pipeline_id)
    rule_set = rules if rules is not None else RuleStore(store).get(deal.pipeline_id)
    if pipeline is None or not rule_set.rules:
        return
    directory = ClientDirectory(store)
    Automation(
        unit=unit,
        deals=DealStore(store),
        tasks=TaskStore(store),
        timers=TimerStore(store),
        pipeline=pipeline,
        rules=rule_set,
        now=store.clock(),
        log=observability.logger(service.name),
        take_turn=pipelines.take_turn,
        client=lambda: directory.card(deal.client_id),
    ).run(occasion, deal)


def stage_entered(
    unit: UnitOfWork,
    event: Envelope[events.DealCreated] | Envelope[events.DealStageChanged],
    stage: str,
    depth: int,
) -> None:
    """A deal entered `stage`: watch its SLA and the rules that wait for it to stay, let
    go of a stuck-deal entry of the stage it left, and run the rules of the stage."""
    store = service.store
    deal = DealStore(store).get(event.data.deal_id)
    if deal is None:
        return
    now = store.clock()
    entered_at = event.metadata.occurred_at
    overdue = OverdueList(store)
    stuck = overdue.deal(deal.id)
    if stuck is not None and (
        stuck.stage != deal.stage
        or stuck.entered_at is None
        or to_iso(stuck.entered_at) != to_iso(deal.entered_stage_at)
    ):
        overdue.resolve_deal(unit, deal.id)
    pipeline = PipelineStore(store).get(deal.pipeline_id)
    rules = RuleStore(store).get(deal.pipeline_id)
    # A late event (the deal has moved on since) sets no timers: they could never fire.
    if deal.stage == stage and to_iso(deal.entered_stage_at) == to_iso(entered_at):
        clock = TimerStore(store)
        if pipeline is not None:
            deadlines.watch_stage(unit, clock, pipeline, deal.id, stage, entered_at, now)
        for rule in rules.rules if depth < MAX_DEPTH else []:
            if rule.enabled and isinstance(rule.trigger, DealInStageFor) and rule.trigger.stage == stage:
                payload = {
                    "stage": stage,
                    "entered_at": to_iso(entered_at),
                    "rule_id": rule.id,
                    "depth": depth,
                }
                due = entered_at + timedelta(hours=rule.trigger.hours)
                clock.set(unit, Timer(RULE_DELAY, f"{deal.id}#{rule.id}", due, payload), now)
    occasion = Occasion(
        trigger="deal_entered_stage",
        event_id=event.metadata.event_id,
        at=entered_at,
        stage=stage,
        facts=event.data.model_dump(mode="json"),
        depth=depth,
    )
    run_rules(unit, deal, occasion, rules=rules, pipeline=pipeline)


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


def _deal_for(deal_id: str | None, client_id: str | None, request_id: str | None = None) -> Deal | None:
    """The deal an event is about: the one it names, the one opened for its request, or the
    client's newest open one.

    A booking made through the widget names its request; the deal for that request is
    opened from the same `ClientRequestReceived` that lets booking announce it, so it may
    not be there yet: then the event fails and is retried (the consumer reports it as a
    batch failure and SQS hands it over again), instead of moving another deal."""
    deals = DealStore(service.store)
    if deal_id:
        return deals.get(deal_id)
    if request_id:
        opened = deals.deal_of_request(request_id)
        if opened is None:
            raise Problem(503, "Deal not opened yet", f"No deal for request {request_id} yet; retry.")
        return deals.get(opened)
    if not client_id:
        return None
    card = ClientDirectory(service.store).card(client_id)
    owner = card.merged_into if card is not None and card.merged_into else client_id
    for candidate in deals.ids_of_client(owner, NEWEST_DEALS, newest_first=True):
        deal = deals.get(candidate)
        if deal is not None and deal.outcome is None:
            return deal
    return None


def _occasion(trigger: str, event: Envelope[Any], **fields: Any) -> Occasion:
    return Occasion(
        trigger=trigger,
        event_id=event.metadata.event_id,
        at=event.metadata.occurred_at,
        facts=event.data.model_dump(mode="json"),
        **fields,
    )


def _run_for(
    unit: UnitOfWork,
    deal_id: str | None,
    client_id: str | None,
    occasion: Occasion,
    request_id: str | None = None,
) -> None:
    deal = _deal_for(deal_id, client_id, request_id)
    if deal is not None:
        run_rules(unit, deal, occasion)


@service.handles(events.TaskCompleted)
def on_task_completed(event: Envelope[events.TaskCompleted], unit: UnitOfWork) -> None:
    data = event.data
    if data.deal_id:
        _run_for(unit, data.deal_id, None, _occasion("task_completed", event, task_kind=data.kind))


@service.handles(booking_events.BookingCreated)
def on_booking_created(event: Envelope[booking_events.BookingCreated], unit: UnitOfWork) -> None:
    data = event.data
    occasion = _occasion(
        "booking_created", event, service=data.service, starts_at=data.starts_at, staff_id=data.staff_id
    )
    _run_for(unit, data.deal_id, data.client_id, occasion, data.request_id)


@service.handles(booking_events.BookingRescheduled)
def on_booking_rescheduled(event: Envelope[booking_events.BookingRescheduled], unit: UnitOfWork) -> None:
    data = event.data
    occasion = _occasion(
        "booking_rescheduled", event, service=data.service, starts_at=data.starts_at, staff_id=data.staff_id
    )
    _run_for(unit, data.deal_id, data.client_id, occasion)


@service.handles(booking_events.BookingCancelled)
def on_booking_cancelled(event: Envelope[booking_events.BookingCancelled], unit: UnitOfWork) -> None:
    data = event.data
    occasion = _occasion(
        "booking_cancelled", event, service=data.service, starts_at=data.starts_at, staff_id=data.staff_id
    )
    _run_for(unit, data.deal_id, data.client_id, occasion)


@service.handles(booking_events.QuoteAccepted)
def on_quote_accepted(event: Envelope[booking_events.QuoteAccepted], unit: UnitOfWork) -> None:
    data = event.data
    _run_for(unit, data.deal_id, data.client_id, _occasion("quote_accepted", event))


@service.handles(events.PaymentReceived)
def on_payment_received(event: Envelope[events.PaymentReceived], unit: UnitOfWork) -> None:
    _run_for(unit, event.data.deal_id, None, _occasion("payment_received", event))


@service.handles(events.DocumentSent)
def on_document_sent(event: Envelope[events.DocumentSent], unit: UnitOfWork) -> None:
    data = event.data
    _run_for(unit, data.deal_id, None, _occasion("document_sent", event, document_kind=data.kind))


@service.handles(notification_events.MessageReceived)
def on_message_received(event: Envelope[notification_events.MessageReceived], unit: UnitOfWork) -> None:
    _run_for(unit, None, event.data.client_id, _occasion("message_received", event))
