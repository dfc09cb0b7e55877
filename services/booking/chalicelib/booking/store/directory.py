"""Who and what can be booked, and the company's booking settings, in the booking table.

| item      | pk        | sk          |
| --------- | --------- | ----------- |
| staff     | STAFF     | <staff id>  |
| resource  | RESOURCE  | <id>        |
| zones     | SETTINGS  | ZONES       |
| policy    | SETTINGS  | POLICY      |
| stamp     | SETTINGS  | STAMP       |

Staff and resources are one partition each (a company has tens, not thousands): the slots
of a request read them with one Query each, working hours included.

The stamp is a new random id written with every change of the catalog, the staff, the
resources and the settings here, in the change's own transaction. A warm process keeps the
catalog and the staff it last read with the stamp it read before them (`known`); a look at
the slots then reads only the stamp, in the same BatchGetItem as the calendars, and reads
the rest again only if the stamp moved. Strongly consistent either way: what it uses is
exactly what was stored when it read the stamp.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from chalicelib.booking.domain.calendar import Resource, StaffMember, Zones
from chalicelib.booking.domain.catalog import Offering
from chalicelib.booking.domain.policy import BookingPolicy
from chalicelib.booking.domain.visits import Known
from pydantic import BaseModel
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.ids import new_id
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.storage import Store, TableModel, writes

S = TypeVar("S", bound=BaseModel)
STAMP = ("SETTINGS", "STAMP")
_STAMP_TAG = "directory-stamp"


class DirectoryItem(TableModel):
    data = UnicodeAttribute()
    version = NumberAttribute(default=0)


MODELS = (DirectoryItem,)


# The last `Known` of each table, while the process is warm.
_known: dict[str, Known] = {}


def mark_changed(store: Store, unit: UnitOfWork) -> None:
    """A new stamp, written with `unit` (once, whatever it changes here or in the catalog)."""
    if not unit.has(_STAMP_TAG):
        pk, sk = STAMP
        writes(unit).put(
            store.model(DirectoryItem)(pk=pk, sk=sk, data=new_id()),
            tag=_STAMP_TAG,
            # Two changes committed at the same instant: DynamoDB cancels one of them.
            on_conflict=lambda: Problem.conflict("The booking set-up was changed at the same moment; retry."),
        )


class Directory:
    stamp_key = STAMP

    def __init__(self, store: Store) -> None:
        self._store = store
        self._items = store.model(DirectoryItem)

    # the stamp -----------------------------------------------------------------------

    def stamp(self) -> str | None:
        """The stamp of the last change (None before the first): read before what it stamps."""
        try:
            return str(self._items.get(*STAMP, consistent_read=True).data)
        except DoesNotExist:
            return None

    def known(self) -> Known | None:
        return _known.get(self._store.settings.table_name)

    def remember(
        self, stamp: str | None, offerings: Sequence[Offering], staff: Sequence[StaffMember]
    ) -> None:
        """Keep what was read after `stamp` (nothing to keep before the first change)."""
        if stamp is not None:
            _known[self._store.settings.table_name] = Known(stamp, tuple(offerings), tuple(staff))

    # staff and resources -------------------------------------------------------------

    def staff(self) -> list[StaffMember]:
        return [StaffMember.model_validate_json(item.data) for item in self._items.query("STAFF")]

    def member(self, staff_id: str) -> StaffMember | None:
        return self._get("STAFF", staff_id, StaffMember)

    def resources(self) -> list[Resource]:
        return [Resource.model_validate_json(item.data) for item in self._items.query("RESOURCE")]

    def resource(self, resource_id: str) -> Resource | None:
        return self._get("RESOURCE", resource_id, Resource)

    def save_member(self, unit: UnitOfWork, member: StaffMember, *, new: bool) -> None:
        self._save(unit, "STAFF", member.id, member, member.version, new=new, what="The member of staff")

    def save_resource(self, unit: UnitOfWork, resource: Resource, *, new: bool) -> None:
        self._save(unit, "RESOURCE", resource.id, resource, resource.version, new=new, what="The resource")

    # settings ------------------------------------------------------------------------

    def zones(self) -> Zones:
        return self._get("SETTINGS", "ZONES", Zones) or Zones()

    def policy(self) -> BookingPolicy:
        return self._get("SETTINGS", "POLICY", BookingPolicy) or BookingPolicy()

    def save_zones(self, unit: UnitOfWork, zones: Zones) -> None:
        self._save(unit, "SETTINGS", "ZONES", zones, zones.version, new=zones.version == 1, what="The zones")

    def save_policy(self, unit: UnitOfWork, policy: BookingPolicy) -> None:
        self._save(
            unit, "SETTINGS", "POLICY", policy, policy.version, new=policy.version == 1, what="The policy"
        )

    # ---------------------------------------------------------------------------------

    def _get(self, pk: str, sk: str, schema: type[S]) -> S | None:
        try:
            return schema.model_validate_json(self._items.get(pk, sk).data)
        except DoesNotExist:
            return None

    def _save(
        self, unit: UnitOfWork, pk: str, sk: str, value: BaseModel, version: int, *, new: bool, what: str
    ) -> None:
        """Optimistic concurrency: `version` is the one being written, one above the stored."""
        mark_changed(self._store, unit)
        item = self._items(pk=pk, sk=sk, data=value.model_dump_json(), version=version)
        condition = self._items.pk.does_not_exist() if new else self._items.version == version - 1
        writes(unit).put(
            item,
            condition=condition,
            on_conflict=lambda: Problem.conflict(f"{what} was changed meanwhile; read it again and retry."),
        )
