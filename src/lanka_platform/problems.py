"""Errors as RFC 9457 `application/problem+json`, with field-level details."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from pydantic import ValidationError

PROBLEM_CONTENT_TYPE = "application/problem+json"
_TYPE_BASE = "https://lanka.dev/problems/"


class Problem(Exception):
    """A failure the caller can act on; becomes a problem+json response."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        kind: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.kind = kind or HTTPStatus(status).phrase.lower().replace(" ", "-")
        self.errors = errors or []
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self, instance: str | None = None) -> dict[str, Any]:
        document: dict[str, Any] = {
            "type": _TYPE_BASE + self.kind,
            "title": self.title,
            "status": self.status,
        }
        if self.detail:
            document["detail"] = self.detail
        if instance:
            document["instance"] = instance
        if self.errors:
            document["errors"] = self.errors
        document.update(self.extra)
        return document

    def to_json(self, instance: str | None = None) -> str:
        return json.dumps(self.body(instance), ensure_ascii=False)

    @classmethod
    def bad_request(cls, detail: str, *, field: str | None = None) -> Problem:
        errors = [{"field": field, "message": detail}] if field else None
        return cls(400, "Bad request", detail, errors=errors)

    @classmethod
    def unauthorized(cls, detail: str = "Sign in to continue.") -> Problem:
        return cls(401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})

    @classmethod
    def forbidden(cls, detail: str = "You do not have access to this.") -> Problem:
        return cls(403, "Forbidden", detail)

    @classmethod
    def not_found(cls, what: str) -> Problem:
        return cls(404, "Not found", f"{what} was not found.")

    @classmethod
    def conflict(cls, detail: str, **extra: Any) -> Problem:
        return cls(409, "Conflict", detail, extra=extra)

    @classmethod
    def busy(cls) -> Problem:
        """Too many requests raced for the same thing: the caller should try again."""
        return cls(
            503, "Busy", "Too many changes are being made at once; try again.", headers={"Retry-After": "1"}
        )

    @classmethod
    def too_large(cls, limit: int) -> Problem:
        return cls(413, "Request body too large", f"The body must not exceed {limit} bytes.")

    @classmethod
    def unsupported_media_type(cls) -> Problem:
        return cls(415, "Unsupported media type", "Send the body as application/json.")

    @classmethod
    def invalid(cls, errors: list[dict[str, Any]]) -> Problem:
        return cls(422, "Validation failed", "The request has invalid fields.", errors=errors)

    @classmethod
    def from_validation_error(cls, error: ValidationError, *, location: str = "body") -> Problem:
        """422 with a path per invalid field; a body that is not JSON at all is a 400."""
        details = error.errors(include_url=False, include_context=False, include_input=False)
        if any(item["type"] in ("json_invalid", "json_type") for item in details):
            return cls(400, "Malformed JSON", "The request body is not valid JSON.", kind="malformed-json")
        return cls.invalid([_field_error(item, location) for item in details])


def _field_error(item: Any, location: str) -> dict[str, Any]:
    path = ".".join(str(part) for part in item["loc"]) or location
    return {"field": path, "message": item["msg"], "code": item["type"], "in": location}
