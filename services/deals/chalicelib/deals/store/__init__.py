"""The deals table: the only code that knows its keys (each module documents its items)."""

from __future__ import annotations

from chalicelib.deals.store import (
    automation,
    calls,
    deals,
    directory,
    documents,
    integrations,
    payments,
    pipelines,
    reports,
    tasks,
    timers,
)
from chalicelib.deals.store.automation import RuleStore
from chalicelib.deals.store.deals import DealStore
from chalicelib.deals.store.directory import ClientDirectory
from chalicelib.deals.store.pipelines import PipelineStore
from chalicelib.deals.store.tasks import TaskStore
from chalicelib.deals.store.timers import OverdueList, TimerStore

MODELS = (
    *directory.MODELS,
    *pipelines.MODELS,
    *deals.MODELS,
    *tasks.MODELS,
    *timers.MODELS,
    *automation.MODELS,
    *integrations.MODELS,
    *reports.MODELS,
    *documents.MODELS,
    *payments.MODELS,
    *calls.MODELS,
)

__all__ = [
    "MODELS",
    "ClientDirectory",
    "DealStore",
    "OverdueList",
    "PipelineStore",
    "RuleStore",
    "TaskStore",
    "TimerStore",
]
