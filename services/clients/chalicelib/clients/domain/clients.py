"""Creating, finding, editing, merging and erasing clients, with who may do which."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from chalicelib.clients.domain.audit import AuditAction, AuditEntry
from chalicelib.clients.domain.custom_fields import CustomField, checked_values
from chalicelib.clients.domain.model import (
    Client,
    ClientFields,
    ClientPatch,
    Consent,
    NewClient,
    VisitCard,
)
from chalicelib.clients.domain.visibility import FIELD_ROLES, OFFICE_ROLES, can_see_owner
from pydantic import ValidationError

from lanka_platform.auth import Principal
from lanka_platform.contracts import clients as events
from lanka_platform.events import envelope
from lanka_platform.ids import new_id
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

ERASED_NAME = "Видалений клієнт"
UNNAMED = "Без імені"
# Who acts when a channel brings a request: leaves new clients unassigned (distribution
# in deals gives the request an owner).
SYSTEM = Principal(user_id="system", username="system", roles=frozenset({"admin"}))


class Clients(Protocol):
    def add(self, unit: UnitOfWork, client: Client) -> None: ...
    def replace(
        self, unit: UnitOfWork, before: Client, after: Client, *, contact_points: bool = True
    ) -> None: ...
    def get(self, client_id: str) -> Client | None: ...
    def holders(self, points: Any) -> dict[tuple[str, str], str]: ...
    def definitions(self) -> list[CustomField]: ...
    def hand_contact_points(self, unit: UnitOfWork, points: Any, frm: str, to: str) -> None: ...


class Audit(Protocol):
    def write(self, entry: AuditEntry) -> None: ...
    def add(self, unit: UnitOfWork, entry: AuditEntry) -> None: ...


class FieldJobs(Protocol):
    def has_job(self, worker_id: str, client_id: str) -> bool: ...


def audit_entry(
    action: AuditAction, by: Principal, now: datetime, client_id: str | None, detail: str | None = None
) -> AuditEntry:
    return AuditEntry(
        id=new_id(), action=action, actor_id=by.user_id, client_id=client_id, at=now, detail=detail
    )


# ------------------------------------------------------------------------------ create


def create_client(unit: UnitOfWork, clients: Clients, new: NewClient, by: Principal, now: datetime) -> Client:
    """A new client, owned by the manager who entered it unless a supervisor says otherwise."""
    if new.owner_id is not None and not by.is_supervisor:
        raise Problem.forbidden("Only the head or an admin can choose another owner.")
    fields = new.fields()
    client = Client(
        id=new_id(),
        **_stored_fields(clients, fields, fields.custom),
        owner_id=new.owner_id if new.owner_id is not None else (None if by.is_supervisor else by.user_id),
        created_at=now,
        updated_at=now,
        version=1,
    )
    clients.add(unit, client)
    unit.emit(
        envelope(
            events.ClientCreated(
                client_id=client.id,
                name=client.name,
                kind=client.kind,
                owner_id=client.owner_id,
                source_channel=client.source_channel,
            ),
            occurred_at=now,
        )
    )
    emit_contacts(unit, client, now)
    return client


def emit_contacts(unit: UnitOfWork, client: Client, now: datetime) -> None:
    """Tell notifications where the client is reached now (`ClientContactsChanged`)."""
    unit.emit(
        envelope(
            events.ClientContactsChanged(
                client_id=client.id,
                name=client.name,
                phones=client.all_phones(),
                emails=client.all_emails(),
                telegram=client.telegram,
                viber=client.viber,
                marketing_consent=bool(client.consent and client.consent.granted),
                tags=client.tags,
                source_channel=client.source_channel,
                custom={key: _as_text(value) for key, value in client.custom.items() if value is not None},
                client_version=client.version,
            ),
            occurred_at=now,
        )
    )


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _stored_fields(clients: Clients, fields: ClientFields, custom: dict[str, Any]) -> dict[str, Any]:
    values = fields.model_dump(exclude={"custom"})
    values["custom"] = checked_values(clients.definitions(), custom) if custom else {}
    return values


class Resolution(Schema):
    """The client a request belongs to: found by a contact point, or new."""

    client_id: str
    created: bool
    client: Client | None = None


def resolve_client(
    unit: UnitOfWork, clients: Clients, new: NewClient, by: Principal, now: datetime
) -> Resolution:
    """Link a request to the client who already has one of its phones, e-mails or messenger
    ids, adding the contact points that client did not have yet; create one otherwise."""
    probe = Client(id="", **new.fields().model_dump(), created_at=now, updated_at=now, version=0)
    held = clients.holders(probe.contact_points())
    if not held:
        created = create_client(unit, clients, new, by, now)
        return Resolution(client_id=created.id, created=True, client=created)
    # The strongest link decides: a phone, then an e-mail, then a messenger id.
    order = {"phone": 0, "email": 1, "telegram": 2, "viber": 3}
    holder = held[min(held, key=lambda point: (order[point[0]], point[1]))]
    existing = clients.get(holder)
    if existing is None or existing.status != "active":
        raise Problem.conflict("The client these contacts belong to is being changed; try again.")
    visible = can_see_owner(by, existing.owner_id)
    new_phones = [p for p in probe.phones if ("phone", p.number) not in held]
    new_emails = [e for e in probe.emails if ("email", e.address) not in held]
    telegram = existing.telegram or (probe.telegram if ("telegram", probe.telegram) not in held else None)
    viber = existing.viber or (probe.viber if ("viber", probe.viber) not in held else None)
    if new_phones or new_emails or telegram != existing.telegram or viber != existing.viber:
        after = existing.model_copy(
            update={
                "phones": [*existing.phones, *new_phones],
                "emails": [*existing.emails, *new_emails],
                "telegram": telegram,
                "viber": viber,
                "updated_at": now,
                "version": existing.version + 1,
            }
        )
        clients.replace(unit, existing, after)
        _emit_updated(unit, after, ["contacts"], now)
        emit_contacts(unit, after, now)
        existing = after
    return Resolution(client_id=existing.id, created=False, client=existing if visible else None)


def receive_request(unit: UnitOfWork, clients: Clients, request: Any, now: datetime) -> Resolution:
    """A request from a channel (`RequestReceived`, or a widget's `WidgetRequestReceived`),
    linked to its client (found or new) and announced with `ClientRequestReceived`. A
    contact detail that does not parse is kept in the message rather than losing the
    request; a widget's visit address goes on a new client's card (and into the message of
    a known one, for the manager to check)."""
    fields: dict[str, Any] = {
        "name": (request.name or "").strip() or UNNAMED,
        "source_channel": request.channel,
    }
    address = getattr(request, "address", None)
    unreadable: list[str] = []
    for key in ("phone", "email", "telegram", "viber"):
        value = getattr(request, key, None)
        if not value:
            continue
        try:
            NewClient.model_validate({"name": "x", key: value})
        except ValidationError:
            unreadable.append(f"{key}: {value}")
        else:
            fields[key] = value
    if address and len(address.strip()) >= 3:
        fields["addresses"] = [{"label": "object", "line": address.strip()}]
    resolution = resolve_client(unit, clients, NewClient.model_validate(fields), SYSTEM, now)
    client = resolution.client
    assert client is not None  # the system sees every client
    where = f"Адреса: {address}" if address and not resolution.created else None
    message = "\n".join(part for part in (request.message, where, *unreadable) if part) or None
    unit.emit(
        envelope(
            events.ClientRequestReceived(
                request_id=request.request_id,
                client_id=client.id,
                client_created=resolution.created,
                name=client.name,
                owner_id=client.owner_id,
                channel=request.channel,
                subject=request.subject,
                message=message,
                amount=getattr(request, "amount", 0),
                currency=getattr(request, "currency", "UAH"),
            ),
            occurred_at=now,
        )
    )
    return resolution


# ------------------------------------------------------------------------------ read


def visible_client(clients: Clients, client_id: str, by: Principal) -> Client:
    """The client if `by` may see it on the office side; a merged client answers as the
    one it was merged into. Someone else's client answers exactly like a missing one."""
    client = clients.get(client_id)
    if client is not None and client.status == "merged" and client.merged_into:
        client = clients.get(client.merged_into)
    if client is None or client.status == "erased" or not can_see_owner(by, client.owner_id):
        raise Problem.not_found("The client")
    return client


def read_client(clients: Clients, audit: Audit, client_id: str, by: Principal, now: datetime) -> Client:
    """The whole card, contact details included: the read is audited."""
    client = visible_client(clients, client_id, by)
    audit.write(audit_entry("contacts_read", by, now, client.id))
    return client


def visit_card(
    clients: Clients, jobs: FieldJobs, audit: Audit, client_id: str, by: Principal, now: datetime
) -> VisitCard:
    """What a field worker needs for a job (name, phones, addresses): only for the clients
    of their own open jobs. The office sees it for every client it may see."""
    client = clients.get(client_id)
    if client is None or client.status != "active":
        raise Problem.not_found("The client")
    office = by.has_any(OFFICE_ROLES) and can_see_owner(by, client.owner_id)
    if not office and not (by.has_any(FIELD_ROLES) and jobs.has_job(by.user_id, client_id)):
        raise Problem.not_found("The client")
    audit.write(audit_entry("visit_card_read", by, now, client.id))
    return VisitCard(id=client.id, name=client.name, phones=client.phones, addresses=client.addresses)


# ------------------------------------------------------------------------------ edit


def update_client(
    unit: UnitOfWork, clients: Clients, client_id: str, patch: ClientPatch, by: Principal, now: datetime
) -> Client:
    before = visible_client(clients, client_id, by)
    if before.id != client_id:
        raise Problem.conflict("This client was merged into another one.", merged_into=before.id)
    if patch.version != before.version:
        raise Problem.conflict(
            "Someone changed this client meanwhile; reload it and apply your change again.",
            client_id=client_id,
            current_version=before.version,
        )
    changes = patch.changes()
    if ("name" in changes and changes["name"] is None) or ("kind" in changes and changes["kind"] is None):
        raise Problem.invalid(
            [{"field": "name", "message": "A client always has a name and a kind.", "in": "body"}]
        )
    edited = before.model_dump(include=set(ClientFields.model_fields) - {"custom"})
    edited.update({key: value for key, value in changes.items() if key != "custom"})
    try:
        fields = ClientFields.model_validate(edited)
    except ValidationError as error:
        raise Problem.from_validation_error(error) from error
    custom = before.custom
    if "custom" in changes:
        custom = checked_values(clients.definitions(), {**before.custom, **(changes["custom"] or {})})
    after = Client.model_validate(
        {
            **before.model_dump(),
            **fields.model_dump(exclude={"custom"}),
            "custom": custom,
            "updated_at": now,
            "version": before.version + 1,
        }
    )
    changed = sorted(key for key in changes if getattr(before, key) != getattr(after, key))
    if not changed:
        return before
    clients.replace(unit, before, after)
    _emit_updated(unit, after, changed, now)
    if set(changed) & _REACHED_BY:
        emit_contacts(unit, after, now)
    return after


# What notifications must hear about: how the client is named and reached.
# What notifications keeps of a client: where to reach them, and the segments mailings pick.
_REACHED_BY = {
    "name",
    "phones",
    "emails",
    "telegram",
    "viber",
    "contacts",
    "tags",
    "source_channel",
    "custom",
}


def _emit_updated(unit: UnitOfWork, client: Client, changed: list[str], now: datetime) -> None:
    unit.emit(
        envelope(
            events.ClientUpdated(
                client_id=client.id,
                name=client.name,
                kind=client.kind,
                owner_id=client.owner_id,
                changed=changed,
                client_version=client.version,
            ),
            occurred_at=now,
        )
    )


def reassign(
    unit: UnitOfWork,
    clients: Clients,
    audit: Audit,
    client_id: str,
    owner_id: str | None,
    version: int | None,
    by: Principal,
    now: datetime,
) -> Client:
    """Hand a client to another manager (or make it unassigned): the head and admins only."""
    if not by.is_supervisor:
        raise Problem.forbidden("Only the head or an admin can reassign clients.")
    before = clients.get(client_id)
    if before is None or before.status != "active":
        raise Problem.not_found("The client")
    if version is not None and version != before.version:
        raise Problem.conflict(
            "Someone changed this client meanwhile; reload it.", current_version=before.version
        )
    if before.owner_id == owner_id:
        return before
    after = change_owner(unit, clients, before, owner_id, now)
    audit.add(unit, audit_entry("client_reassigned", by, now, client_id, detail=owner_id))
    return after


def change_owner(
    unit: UnitOfWork, clients: Clients, before: Client, owner_id: str | None, now: datetime
) -> Client:
    after = before.model_copy(update={"owner_id": owner_id, "updated_at": now, "version": before.version + 1})
    clients.replace(unit, before, after)
    unit.emit(
        envelope(
            events.ClientOwnerChanged(
                client_id=before.id,
                name=before.name,
                previous_owner_id=before.owner_id,
                owner_id=owner_id,
                client_version=after.version,
            ),
            occurred_at=now,
        )
    )
    return after


# ------------------------------------------------------------------------------ notes, consent


def add_note(
    unit: UnitOfWork, clients: Clients, client_id: str, text: str, by: Principal, now: datetime
) -> str:
    client = visible_client(clients, client_id, by)
    note_id = new_id()
    unit.emit(
        envelope(
            events.ClientNoteAdded(client_id=client.id, note_id=note_id, author_id=by.user_id, text=text),
            occurred_at=now,
        )
    )
    return note_id


def set_consent(
    unit: UnitOfWork, clients: Clients, client: Client, granted: bool, source: str, now: datetime
) -> Client:
    """Record marketing consent (given or withdrawn) with its time and source."""
    if client.consent is not None and client.consent.granted == granted:
        return client
    after = client.model_copy(
        update={
            "consent": Consent(granted=granted, changed_at=now, source=source),
            "updated_at": now,
            "version": client.version + 1,
        }
    )
    clients.replace(unit, client, after)
    unit.emit(
        envelope(
            events.ClientConsentChanged(client_id=client.id, granted=granted, via=source, changed_at=now),
            occurred_at=now,
        )
    )
    emit_contacts(unit, after, now)
    return after


# ------------------------------------------------------------------------------ merge, erase


def merge(
    unit: UnitOfWork,
    clients: Clients,
    audit: Audit,
    survivor_id: str,
    other_id: str,
    by: Principal,
    now: datetime,
) -> Client:
    """Join `other` into `survivor`: the survivor keeps its own values and gains what only
    the other had; the other's contact points move to it; the other becomes a pointer."""
    if survivor_id == other_id:
        raise Problem.invalid(
            [{"field": "other_id", "message": "A client cannot be merged into itself.", "in": "body"}]
        )
    survivor = visible_client(clients, survivor_id, by)
    other = visible_client(clients, other_id, by)
    if survivor.id != survivor_id or other.id != other_id:
        raise Problem.conflict("One of these clients was already merged.")
    after = survivor.model_copy(
        update={
            "phones": _union(survivor.phones, other.phones, lambda p: p.number),
            "emails": _union(survivor.emails, other.emails, lambda e: e.address),
            "telegram": survivor.telegram or other.telegram,
            "viber": survivor.viber or other.viber,
            "addresses": _union(survivor.addresses, other.addresses, lambda a: a.line.casefold()),
            "contacts": _union(survivor.contacts, other.contacts, lambda c: c.name.casefold()),
            "tags": _union(survivor.tags, other.tags, str.casefold),
            "note": "\n\n".join(note for note in (survivor.note, other.note) if note) or None,
            "custom": {**other.custom, **survivor.custom},
            "owner_id": survivor.owner_id or other.owner_id,
            "source_channel": survivor.source_channel or other.source_channel,
            "consent": _later_consent(survivor.consent, other.consent),
            "created_at": min(survivor.created_at, other.created_at),
            "updated_at": now,
            "version": survivor.version + 1,
        }
    )
    tombstone = other.model_copy(
        update={
            "status": "merged",
            "merged_into": survivor.id,
            "updated_at": now,
            "version": other.version + 1,
        }
    )
    # The other's contact points are handed over as they are, not released and claimed.
    clients.hand_contact_points(unit, other.contact_points(), other.id, survivor.id)
    clients.replace(unit, survivor, after, contact_points=False)
    clients.replace(unit, other, tombstone, contact_points=False)
    audit.add(unit, audit_entry("client_merged", by, now, survivor.id, detail=other.id))
    unit.emit(
        envelope(
            events.ClientMerged(
                survivor_id=survivor.id,
                merged_id=other.id,
                name=after.name,
                owner_id=after.owner_id,
                client_version=after.version,
            ),
            occurred_at=now,
        )
    )
    emit_contacts(unit, after, now)
    return after


def _union(first: list[Any], second: list[Any], key: Any) -> list[Any]:
    seen = {key(item) for item in first}
    return [*first, *(item for item in second if key(item) not in seen)]


def _later_consent(a: Consent | None, b: Consent | None) -> Consent | None:
    if a is None or b is None:
        return a or b
    return a if a.changed_at >= b.changed_at else b


def erase(
    unit: UnitOfWork, clients: Clients, audit: Audit, client_id: str, by: Principal, now: datetime
) -> Client:
    """Forget the person: every personal field is emptied, contact points and search entries
    go, and every service is told to anonymize what it holds (`ClientErased`)."""
    if not by.is_supervisor:
        raise Problem.forbidden("Only the head or an admin can erase a client.")
    before = clients.get(client_id)
    if before is None or before.status == "erased":
        raise Problem.not_found("The client")
    if before.status == "merged":
        raise Problem.conflict(
            "This client was merged; erase the one it was merged into.", merged_into=before.merged_into
        )
    after = Client(
        id=before.id,
        name=ERASED_NAME,
        kind=before.kind,
        owner_id=before.owner_id,
        status="erased",
        created_at=before.created_at,
        updated_at=now,
        version=before.version + 1,
    )
    clients.replace(unit, before, after)  # no contact points, no search entries
    audit.add(unit, audit_entry("client_erased", by, now, client_id))
    unit.emit(
        envelope(events.ClientErased(client_id=client_id, placeholder_name=ERASED_NAME), occurred_at=now)
    )
    return after
