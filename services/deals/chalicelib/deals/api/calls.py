"""Routes of the call log, its settings, and the handler of telephony's `CallReceived`.

A reported call goes on the client's newest open deal (or on no deal), as `CallLogged`
(the reports count them per manager); a missed incoming call also opens a call-back task
for the client's manager (or the managers' queue), due `callback_minutes` after the call.
"""

from __future__ import annotations

from chalicelib.deals.domain import calls as calling
from chalicelib.deals.domain import deals as dealing
from chalicelib.deals.domain.automation import stable_id
from chalicelib.deals.domain.calls import Call, CallList, CallSettings, NewCall
from chalicelib.deals.domain.deals import Deal
from chalicelib.deals.domain.tasks import new_task, open_task
from chalicelib.deals.runner import deal_for
from chalicelib.deals.service import service
from chalicelib.deals.store import ClientDirectory, DealStore, TaskStore, TimerStore
from chalicelib.deals.store.calls import CallStore

from lanka_platform.api import Call as ApiCall
from lanka_platform.auth import MANAGER, OFFICE
from lanka_platform.contracts import notifications as notification_events
from lanka_platform.events import Envelope
from lanka_platform.ids import new_id
from lanka_platform.ports import UnitOfWork
from lanka_platform.storage import Store


@service.route(
    "/deals/{deal_id}/calls", "POST", body=NewCall, response=Call, status=201, roles=OFFICE, idempotent=True
)
def log_call(call: ApiCall, deal_id: str, body: NewCall) -> Call:
    """Log a call with the deal's client by hand: direction, answered, duration, result."""
    deal = dealing.visible(DealStore(call.store), deal_id, call.user)
    logged = Call(
        id=new_id(),
        client_id=deal.client_id,
        deal_id=deal.id,
        direction=body.direction,
        answered=body.answered,
        duration_seconds=body.duration_seconds if body.answered else 0,
        started_at=body.started_at or call.store.clock(),
        user_id=call.user.user_id,
        result=body.result,
        source="staff",
    )
    CallStore(call.store).add(call.unit, logged)
    calling.announce(call.unit, logged)
    return logged


@service.route("/deals/{deal_id}/calls", response=CallList, roles=OFFICE)
def list_calls(call: ApiCall, deal_id: str) -> CallList:
    """The deal's calls, newest first."""
    deal = dealing.visible(DealStore(call.store), deal_id, call.user)
    return CallList(items=CallStore(call.store).of_deal(deal.id))


@service.route("/settings/calls", response=CallSettings, roles=("admin", "head"))
def get_call_settings(call: ApiCall) -> CallSettings:
    """How soon a missed call is to be returned."""
    return CallStore(call.store).settings()


@service.route("/settings/calls", "PUT", body=CallSettings, response=CallSettings, roles=("admin",))
def set_call_settings(call: ApiCall, body: CallSettings) -> CallSettings:
    """Set how soon (minutes) a missed call is to be returned."""
    CallStore(call.store).save_settings(call.unit, body)
    return body


def _call_back(store: Store, unit: UnitOfWork, logged: Call, deal: Deal | None) -> str:
    """A task to return a missed call: for the client's manager, else the managers' queue."""
    card = ClientDirectory(store).card(logged.client_id)
    owner = (deal.owner_id if deal else None) or (card.owner_id if card else None)
    minutes = CallStore(store).settings().callback_minutes
    task = new_task(
        # The same call always makes the same task: a second report cannot make a second one.
        task_id=stable_id(logged.started_at, "call_back", logged.id),
        title="Передзвонити клієнту: пропущений дзвінок",
        kind=calling.CALLBACK_KIND,
        now=store.clock(),
        deal=deal,
        client_id=logged.client_id,
        assignee_id=owner,
        assignee_role=None if owner else MANAGER,
        due_at=calling.callback_due(logged, minutes),
        priority="high",
    )
    open_task(unit, TaskStore(store), TimerStore(store), task, store.clock())
    return task.id


@service.handles(notification_events.CallReceived)
def on_call_received(event: Envelope[notification_events.CallReceived], unit: UnitOfWork) -> None:
    data = event.data
    store = service.store
    calls = CallStore(store)
    if calls.exists(data.call_id):
        return
    deal = deal_for(None, data.client_id)
    logged = Call(
        id=data.call_id,
        client_id=data.client_id,
        deal_id=deal.id if deal else None,
        direction=data.direction,
        answered=data.answered,
        duration_seconds=data.duration_seconds if data.answered else 0,
        started_at=data.started_at,
        user_id=data.user_id,
        source="telephony",
        provider=data.provider,
    )
    if calling.is_missed(logged):
        logged = logged.model_copy(update={"callback_task_id": _call_back(store, unit, logged, deal)})
    calls.add(unit, logged)
    calling.announce(unit, logged)
