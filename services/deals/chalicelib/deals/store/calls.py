"""Calls with clients, and the call settings.

| item     | pk              | sk       |
| -------- | --------------- | -------- |
| call     | CALL#<call id>  | CALL     |
| settings | SETTINGS        | CALLS    |

A call with a deal is on gsi1 under `DEALCALLS#<deal id>` / `<started_at>#<id>` (a deal's
calls, newest first). The call id is telephony's own for reported calls, so a call
reported twice (under two event ids) is still one call.
"""

from __future__ import annotations

from chalicelib.deals.domain.calls import Call, CallSettings
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.clock import to_iso
from lanka_platform.ports import UnitOfWork
from lanka_platform.storage import Gsi1, Store, TableModel, writes


class CallItem(TableModel):
    body = UnicodeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()


class CallSettingsItem(TableModel):
    callback_minutes = NumberAttribute()


MODELS = (CallItem, CallSettingsItem)


class CallStore:
    def __init__(self, store: Store) -> None:
        self._calls = store.model(CallItem)
        self._settings = store.model(CallSettingsItem)

    def add(self, unit: UnitOfWork, call: Call) -> None:
        writes(unit).put(
            self._calls(
                pk=f"CALL#{call.id}",
                sk="CALL",
                body=call.model_dump_json(),
                gsi1pk=f"DEALCALLS#{call.deal_id}" if call.deal_id else None,
                gsi1sk=f"{to_iso(call.started_at)}#{call.id}" if call.deal_id else None,
            ),
            condition=self._calls.pk.does_not_exist(),
            tag=f"stale:call:{call.id}",  # reported again: it is on the log already
        )

    def exists(self, call_id: str) -> bool:
        try:
            self._calls.get(f"CALL#{call_id}", "CALL")
        except DoesNotExist:
            return False
        return True

    def of_deal(self, deal_id: str, limit: int = 100) -> list[Call]:
        return [
            Call.model_validate_json(item.body)
            for item in self._calls.gsi1.query(f"DEALCALLS#{deal_id}", scan_index_forward=False, limit=limit)
        ]

    def settings(self) -> CallSettings:
        try:
            item = self._settings.get("SETTINGS", "CALLS")
        except DoesNotExist:
            return CallSettings()
        return CallSettings(callback_minutes=int(item.callback_minutes))

    def save_settings(self, unit: UnitOfWork, settings: CallSettings) -> None:
        writes(unit).put(
            self._settings(pk="SETTINGS", sk="CALLS", callback_minutes=settings.callback_minutes)
        )
