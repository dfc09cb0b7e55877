"""A member of staff who leaves: his deals and open tasks go to whoever takes over.

Each deal and each task is handed over in its own transaction (a deal's board card moves
with it), so a handler that stops half way is simply run again by the redelivery: what was
handed over has left the leaver's lists, and the rest follows.
"""

from __future__ import annotations

from chalicelib.deals.domain import deals as dealing
from chalicelib.deals.service import service
from chalicelib.deals.store import DealStore, TaskStore

from lanka_platform.contracts.clients import StaffDeactivated
from lanka_platform.events import Envelope
from lanka_platform.ports import UnitOfWork

PAGE = 25
# Open tasks of someone who leaves with nobody named go to the managers' queue.
QUEUE_ROLE = "manager"


@service.handles(StaffDeactivated)
def hand_over(event: Envelope[StaffDeactivated], unit: UnitOfWork) -> None:
    data = event.data
    now = service.store.clock()
    deals = DealStore(service.store)
    while owned := deals.owner_page(data.user_id, None, PAGE)[0]:
        for deal in owned:
            own = service.store.unit_of_work()
            dealing.change(own, deals, deal, now, None, owner_id=data.hand_over_to)
            own.commit()
            service.relay(own.events)
    tasks = TaskStore(service.store)
    while assigned := tasks.of_assignee(data.user_id, None, PAGE)[0]:
        for task in assigned:
            after = task.model_copy(
                update={
                    "assignee_id": data.hand_over_to,
                    "assignee_role": task.assignee_role or (None if data.hand_over_to else QUEUE_ROLE),
                    "updated_at": now,
                    "version": task.version + 1,
                }
            )
            own = service.store.unit_of_work()
            tasks.replace(own, task, after)
            own.commit()
