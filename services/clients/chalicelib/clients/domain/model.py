"""What a client is, as the API reads and writes it.

A client is a person or a company (a company with its contact people). Contact points
(phones, e-mails, Telegram, Viber) are kept in one canonical form each, so that the same
phone typed two ways is the same key: that is what makes duplicates impossible.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from chalicelib.clients.domain.contacts import (
    InvalidContact,
    normalize_email,
    normalize_phone,
    normalize_telegram,
    normalize_viber,
)
from pydantic import BeforeValidator, ConfigDict, Field, field_validator, model_validator

from lanka_platform.schema import Schema

ClientKind = Literal["person", "company"]
ClientStatus = Literal["active", "merged", "erased"]
CustomValue = str | int | float | bool | None

MAX_PHONES = 5
MAX_EMAILS = 5
MAX_ADDRESSES = 5
MAX_CONTACT_PEOPLE = 10
MAX_TAGS = 20


def _checked(normalize: Any) -> Any:
    def validate(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return normalize(value)
        except InvalidContact as error:
            raise ValueError(str(error)) from error

    return validate


def _as_object(key: str) -> Any:
    """Lets a plain string stand for `{key: string}` (`"phones": ["050 123 45 67"]`)."""

    def convert(value: Any) -> Any:
        return {key: value} if isinstance(value, str) else value

    return convert


PhoneNumber = Annotated[str, Field(max_length=40), BeforeValidator(_checked(normalize_phone))]
EmailAddress = Annotated[str, Field(max_length=254), BeforeValidator(_checked(normalize_email))]
Label = Annotated[str, Field(min_length=1, max_length=40)]


class _Input(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class Phone(_Input):
    number: PhoneNumber = Field(examples=["+380671234567"])
    label: Label = Field(default="mobile", examples=["mobile", "work", "home"])


class Email(_Input):
    address: EmailAddress = Field(examples=["olena@example.com"])
    label: Label = "personal"


PhoneEntry = Annotated[Phone, BeforeValidator(_as_object("number"))]
EmailEntry = Annotated[Email, BeforeValidator(_as_object("address"))]


class Address(_Input):
    """Where a field worker goes: the street line, then what helps find the door."""

    label: Label = Field(default="main", examples=["object", "office", "home"])
    line: str = Field(min_length=3, max_length=300, examples=["вул. Січових Стрільців, 12, кв. 5"])
    city: str | None = Field(default=None, max_length=100, examples=["Київ"])
    postal_code: str | None = Field(default=None, max_length=12)
    note: str | None = Field(default=None, max_length=300, examples=["під'їзд 2, домофон 5К"])


class ContactPerson(_Input):
    """Someone at a company client: the director, the accountant, the site foreman."""

    name: str = Field(min_length=1, max_length=200)
    position: str | None = Field(default=None, max_length=100)
    phones: list[PhoneEntry] = Field(default_factory=list, max_length=3)
    emails: list[EmailEntry] = Field(default_factory=list, max_length=3)


class Consent(Schema):
    granted: bool
    changed_at: datetime
    source: str


class ClientFields(_Input):
    """Everything a manager edits on a client's card."""

    name: str = Field(min_length=1, max_length=200, examples=["Олена Петренко"])
    kind: ClientKind = "person"
    phones: list[PhoneEntry] = Field(default_factory=list, max_length=MAX_PHONES)
    emails: list[EmailEntry] = Field(default_factory=list, max_length=MAX_EMAILS)
    telegram: Annotated[str, BeforeValidator(_checked(normalize_telegram))] | None = Field(
        default=None, description="Telegram @username or numeric user id", examples=["@olena_p"]
    )
    viber: Annotated[str, BeforeValidator(_checked(normalize_viber))] | None = Field(
        default=None, description="Viber user id (as the Viber bot API gives it)"
    )
    addresses: list[Address] = Field(default_factory=list, max_length=MAX_ADDRESSES)
    contacts: list[ContactPerson] = Field(
        default_factory=list, max_length=MAX_CONTACT_PEOPLE, description="A company's contact people"
    )
    source_channel: str | None = Field(default=None, max_length=40, examples=["website"])
    tags: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=MAX_TAGS
    )
    note: str | None = Field(default=None, max_length=2000, description="What everyone should know")
    custom: dict[str, CustomValue] = Field(
        default_factory=dict, description="Values of the custom fields an admin has defined"
    )

    @field_validator("tags")
    @classmethod
    def _distinct_tags(cls, tags: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        for tag in tags:
            seen.setdefault(tag.casefold(), tag)
        return list(seen.values())

    @model_validator(mode="after")
    def _consistent(self) -> ClientFields:
        _refuse_repeats(self.phones, self.emails, self.contacts)
        if self.contacts and self.kind != "company":
            raise ValueError("Only a company has contact people.")
        return self


def _refuse_repeats(phones: list[Phone], emails: list[Email], contacts: list[ContactPerson]) -> None:
    numbers = [phone.number for phone in phones] + [p.number for c in contacts for p in c.phones]
    addresses = [email.address for email in emails] + [e.address for c in contacts for e in c.emails]
    for values, what in ((numbers, "phone number"), (addresses, "e-mail")):
        if len(set(values)) != len(values):
            raise ValueError(f"The same {what} is given twice.")


class NewClient(ClientFields):
    """A client as a manager enters it (`phone` and `email` are shortcuts for one of each)."""

    phone: PhoneNumber | None = Field(default=None, examples=["050 123 45 67"])
    email: EmailAddress | None = None
    owner_id: str | None = Field(
        default=None, max_length=128, description="Responsible manager; only head and admin may set it"
    )

    @model_validator(mode="after")
    def _shortcuts(self) -> NewClient:
        if self.phone and self.phone not in {p.number for p in self.phones}:
            self.phones.insert(0, Phone(number=self.phone))
        if self.email and self.email not in {e.address for e in self.emails}:
            self.emails.insert(0, Email(address=self.email))
        self.phone = self.email = None
        _refuse_repeats(self.phones, self.emails, self.contacts)
        return self

    def fields(self) -> ClientFields:
        return ClientFields.model_validate(self.model_dump(exclude={"phone", "email", "owner_id"}))


class ClientPatch(_Input):
    """A change to a client's card: only the fields given change. `version` is the version
    the editor saw; if someone changed the client since, the change is refused (409)."""

    version: int = Field(ge=1)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: ClientKind | None = None
    phones: list[PhoneEntry] | None = Field(default=None, max_length=MAX_PHONES)
    emails: list[EmailEntry] | None = Field(default=None, max_length=MAX_EMAILS)
    telegram: Annotated[str, BeforeValidator(_checked(normalize_telegram))] | None = None
    viber: Annotated[str, BeforeValidator(_checked(normalize_viber))] | None = None
    addresses: list[Address] | None = Field(default=None, max_length=MAX_ADDRESSES)
    contacts: list[ContactPerson] | None = Field(default=None, max_length=MAX_CONTACT_PEOPLE)
    source_channel: str | None = Field(default=None, max_length=40)
    tags: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(
        default=None, max_length=MAX_TAGS
    )
    note: str | None = Field(default=None, max_length=2000)
    custom: dict[str, CustomValue] | None = None

    def changes(self) -> dict[str, Any]:
        """The fields the editor sent, as given (`null` clears an optional field)."""
        return {name: getattr(self, name) for name in self.model_fields_set if name != "version"}


class Client(Schema):
    id: str
    name: str
    kind: ClientKind
    phones: list[Phone] = Field(default_factory=list)
    emails: list[Email] = Field(default_factory=list)
    telegram: str | None = None
    viber: str | None = None
    addresses: list[Address] = Field(default_factory=list)
    contacts: list[ContactPerson] = Field(default_factory=list)
    source_channel: str | None = None
    tags: list[str] = Field(default_factory=list)
    note: str | None = None
    custom: dict[str, CustomValue] = Field(default_factory=dict)
    owner_id: str | None = None
    consent: Consent | None = Field(default=None, description="Marketing consent, if ever asked")
    status: ClientStatus = "active"
    merged_into: str | None = None
    created_at: datetime
    updated_at: datetime
    version: int

    def contact_points(self) -> set[tuple[str, str]]:
        """(kind, canonical value) of every phone, e-mail and messenger id, the company's
        contact people's included: each belongs to one client only."""
        points = {("phone", p.number) for p in self.phones} | {("email", e.address) for e in self.emails}
        for person in self.contacts:
            points |= {("phone", p.number) for p in person.phones}
            points |= {("email", e.address) for e in person.emails}
        if self.telegram:
            points.add(("telegram", self.telegram))
        if self.viber:
            points.add(("viber", self.viber))
        return points

    def all_phones(self) -> list[str]:
        return [p.number for p in self.phones] + [p.number for c in self.contacts for p in c.phones]

    def all_emails(self) -> list[str]:
        return [e.address for e in self.emails] + [e.address for c in self.contacts for e in c.emails]


class VisitCard(Schema):
    """What a field worker sees of the client of a job: enough to call and to find them."""

    id: str
    name: str
    phones: list[Phone]
    addresses: list[Address]


class ClientSummary(Schema):
    """A row of a client list: no contact details."""

    id: str
    name: str
    kind: ClientKind
    owner_id: str | None
    tags: list[str]
    updated_at: datetime


class ClientPage(Schema):
    items: list[ClientSummary]
    next_cursor: str | None = None
