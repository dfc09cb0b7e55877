"""Routes of who and what can be booked: staff, resources, zones, and the booking policy."""

from __future__ import annotations

from chalicelib.booking.domain.calendar import NewResource, NewStaffMember, Resource, StaffMember, Zones
from chalicelib.booking.domain.policy import BookingPolicy
from chalicelib.booking.service import service
from chalicelib.booking.store import Directory
from pydantic import Field

from lanka_platform.api import Call
from lanka_platform.ids import new_id
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

MANAGERS = ("admin", "head")


class StaffList(Schema):
    items: list[StaffMember]


class ResourceList(Schema):
    items: list[Resource]


class StaffChange(NewStaffMember):
    version: int = Field(ge=1, description="The version you read")


class ResourceChange(NewResource):
    version: int = Field(ge=1, description="The version you read")


@service.route(
    "/staff", "POST", body=NewStaffMember, response=StaffMember, status=201, roles=MANAGERS, idempotent=True
)
def add_member(call: Call, body: NewStaffMember) -> StaffMember:
    """Make a member of staff bookable: skills, home zone, working hours."""
    member = StaffMember(id=new_id(), **body.model_dump())
    _known_zone(call, member.home_zone)
    Directory(call.store).save_member(call.unit, member, new=True)
    return member


@service.route("/staff", response=StaffList)
def list_staff(call: Call) -> StaffList:
    """Everyone who can be booked."""
    return StaffList(items=Directory(call.store).staff())


@service.route("/staff/{staff_id}", response=StaffMember)
def get_member(call: Call, staff_id: str) -> StaffMember:
    """One bookable member of staff, with working hours."""
    member = Directory(call.store).member(staff_id)
    if member is None:
        raise Problem.not_found("The member of staff")
    return member


@service.route(
    "/staff/{staff_id}", "PUT", body=StaffChange, response=StaffMember, roles=MANAGERS, problems=[409]
)
def change_member(call: Call, staff_id: str, body: StaffChange) -> StaffMember:
    """Change skills, zone or working hours (breaks, days off, vacations, date overrides)."""
    directory = Directory(call.store)
    if directory.member(staff_id) is None:
        raise Problem.not_found("The member of staff")
    member = StaffMember(id=staff_id, **{**body.model_dump(), "version": body.version + 1})
    _known_zone(call, member.home_zone)
    directory.save_member(call.unit, member, new=False)
    return member


@service.route(
    "/resources", "POST", body=NewResource, response=Resource, status=201, roles=MANAGERS, idempotent=True
)
def add_resource(call: Call, body: NewResource) -> Resource:
    """Add a room, a vehicle or equipment that services may need."""
    resource = Resource(id=new_id(), **body.model_dump())
    Directory(call.store).save_resource(call.unit, resource, new=True)
    return resource


@service.route("/resources", response=ResourceList)
def list_resources(call: Call) -> ResourceList:
    """The company's bookable resources."""
    return ResourceList(items=Directory(call.store).resources())


@service.route(
    "/resources/{resource_id}", "PUT", body=ResourceChange, response=Resource, roles=MANAGERS, problems=[409]
)
def change_resource(call: Call, resource_id: str, body: ResourceChange) -> Resource:
    """Change a resource (its kind, hours, or take it out of use)."""
    directory = Directory(call.store)
    if directory.resource(resource_id) is None:
        raise Problem.not_found("The resource")
    resource = Resource(id=resource_id, **{**body.model_dump(), "version": body.version + 1})
    directory.save_resource(call.unit, resource, new=False)
    return resource


@service.route("/zones", response=Zones)
def get_zones(call: Call) -> Zones:
    """The districts and the travel minutes between them."""
    return Directory(call.store).zones()


@service.route("/zones", "PUT", body=Zones, response=Zones, roles=MANAGERS, problems=[409])
def save_zones(call: Call, body: Zones) -> Zones:
    """Replace the zones (`version`: the one you read, 0 the first time)."""
    zones = body.model_copy(update={"version": body.version + 1})
    Directory(call.store).save_zones(call.unit, zones)
    return zones


@service.route("/settings", response=BookingPolicy)
def get_policy(call: Call) -> BookingPolicy:
    """The booking policy: the change window, reminders, the invite's organizer."""
    return Directory(call.store).policy()


@service.route("/settings", "PUT", body=BookingPolicy, response=BookingPolicy, roles=MANAGERS, problems=[409])
def save_policy(call: Call, body: BookingPolicy) -> BookingPolicy:
    """Replace the booking policy (`version`: the one you read, 0 the first time)."""
    policy = body.model_copy(update={"version": body.version + 1})
    Directory(call.store).save_policy(call.unit, policy)
    return policy


def _known_zone(call: Call, zone: str | None) -> None:
    if zone is not None and zone not in Directory(call.store).zones().zones:
        raise Problem.invalid([{"field": "home_zone", "message": "Unknown zone.", "in": "body"}])
