"""What a client is, as the API reads and writes it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from chalicelib.clients.domain.contacts import InvalidContact, normalize_email, normalize_phone
from pydantic import ConfigDict, Field, field_validator

from lanka_platform.schema import Schema

ClientKind = Literal["person", "company"]


class NewClient(Schema):
    """A client as a manager enters it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200, examples=["Олена Петренко"])
    kind: ClientKind = "person"
    phone: str | None = Field(default=None, max_length=40, examples=["050 123 45 67"])
    email: str | None = Field(default=None, max_length=254)
    source_channel: str | None = Field(default=None, max_length=40, examples=["website"])
    owner_id: str | None = Field(
        default=None, max_length=128, description="Responsible manager; only head and admin may set it"
    )

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalize_phone(value)
        except InvalidContact as error:
            raise ValueError(str(error)) from error

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalize_email(value)
        except InvalidContact as error:
            raise ValueError(str(error)) from error


class Client(Schema):
    id: str
    name: str
    kind: ClientKind
    phones: list[str]
    emails: list[str]
    source_channel: str | None
    owner_id: str | None
    created_at: datetime
    updated_at: datetime
    version: int
