"""Custom fields an admin adds to every client's card, and the check of their values."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

FieldType = Literal["text", "number", "date", "select"]
MAX_CUSTOM_FIELDS = 30
MAX_TEXT = 500


class CustomField(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", examples=["room_type"])
    label: str = Field(min_length=1, max_length=80, examples=["Тип приміщення"])
    label_en: str | None = Field(default=None, max_length=80, examples=["Room type"])
    type: FieldType
    options: list[str] = Field(default_factory=list, max_length=50, description="The choices of a select")

    @model_validator(mode="after")
    def _options_fit_type(self) -> CustomField:
        if self.type == "select" and not self.options:
            raise ValueError("A select needs its options.")
        if self.type != "select" and self.options:
            raise ValueError("Only a select has options.")
        return self


class CustomFieldSet(Schema):
    """All custom fields, replaced as a whole; `version` guards against two admins at once."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    fields: list[CustomField] = Field(default_factory=list, max_length=MAX_CUSTOM_FIELDS)
    version: int = Field(default=0, ge=0, description="The version this change is based on")

    @model_validator(mode="after")
    def _distinct_keys(self) -> CustomFieldSet:
        keys = [field.key for field in self.fields]
        if len(set(keys)) != len(keys):
            raise ValueError("Two fields have the same key.")
        return self


def checked_values(definitions: list[CustomField], values: dict[str, Any]) -> dict[str, Any]:
    """`values` as stored (dates as ISO strings; empty ones dropped), or 422 naming each
    bad field."""
    by_key = {field.key: field for field in definitions}
    errors: list[dict[str, Any]] = []
    clean: dict[str, Any] = {}
    for key, value in values.items():
        field = by_key.get(key)
        if field is None:
            errors.append(_error(key, "There is no such custom field.", "unknown_field"))
            continue
        if value is None or value == "":
            continue
        problem, converted = _convert(field, value)
        if problem:
            errors.append(_error(key, problem, "invalid_value"))
        else:
            clean[key] = converted
    if errors:
        raise Problem.invalid(errors)
    return clean


def _convert(field: CustomField, value: Any) -> tuple[str | None, Any]:
    if field.type == "text":
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            return f"Expected text of at most {MAX_TEXT} characters.", None
        return None, value.strip()
    if field.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "Expected a number.", None
        return None, value
    if field.type == "date":
        try:
            return None, date.fromisoformat(str(value)).isoformat()
        except ValueError:
            return "Expected a date as YYYY-MM-DD.", None
    if value not in field.options:
        return f"Expected one of: {', '.join(field.options)}.", None
    return None, value


def _error(key: str, message: str, code: str) -> dict[str, Any]:
    return {"field": f"custom.{key}", "message": message, "code": code, "in": "body"}
