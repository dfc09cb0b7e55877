"""The automation rules run with the deals service's stores: what the route and event
modules call when a deal enters a stage or something happens to it (the rules themselves,
and which deal an event is about, are `domain.automation` and `domain.deals`)."""

from __future__ import annotations

from typing import Any

from chalicelib.deals.domain import deadlines
from chalicelib.deals.domain import deals as dealing
from chalicelib.deals.domain.automation import Automation, Occasion, RuleSet, stage_timers
from chalicelib.deals.domain.deals import Deal
from chalicelib.deals.domain.pipelines import Pipeline
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
from lanka_platform.clock import to_iso
from lanka_platform.contracts import deals as events
from lanka_platform.events import Envelope
from lanka_platform.ports import UnitOfWork


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
    if stuck is not None and deadlines.stuck_entry_outdated(stuck, deal):
        overdue.resolve_deal(unit, deal.id)
    pipeline = PipelineStore(store).get(deal.pipeline_id)
    rules = RuleStore(store).get(deal.pipeline_id)
    # A late event (the deal has moved on since) sets no timers: they could never fire.
    if deal.stage == stage and to_iso(deal.entered_stage_at) == to_iso(entered_at):
        clock = TimerStore(store)
        if pipeline is not None:
            deadlines.watch_stage(unit, clock, pipeline, deal.id, stage, entered_at, now)
        for timer in stage_timers(rules, deal.id, stage, entered_at, depth):
            clock.set(unit, timer, now)
    occasion = Occasion(
        trigger="deal_entered_stage",
        event_id=event.metadata.event_id,
        at=entered_at,
        stage=stage,
        facts=event.data.model_dump(mode="json"),
        depth=depth,
    )
    run_rules(unit, deal, occasion, rules=rules, pipeline=pipeline)


def deal_for(deal_id: str | None, client_id: str | None, request_id: str | None = None) -> Deal | None:
    """The deal an event is about (`domain.deals.deal_an_event_is_about`)."""
    directory = ClientDirectory(service.store)

    def survivor_of(client: str) -> str:
        card = directory.card(client)
        return card.merged_into if card is not None and card.merged_into else client

    return dealing.deal_an_event_is_about(
        DealStore(service.store), survivor_of, deal_id, client_id, request_id
    )


def occasion_of(trigger: str, event: Envelope[Any], **fields: Any) -> Occasion:
    """The occasion an event is for the rules: its id, its time, its data as facts."""
    return Occasion(
        trigger=trigger,
        event_id=event.metadata.event_id,
        at=event.metadata.occurred_at,
        facts=event.data.model_dump(mode="json"),
        **fields,
    )
