"""Opaque, tamper-evident pagination cursors wrapping DynamoDB's LastEvaluatedKey."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from lanka_platform.problems import Problem

_SEPARATOR = b"."


def encode_cursor(last_key: dict[str, Any] | None, secret: bytes) -> str | None:
    if not last_key:
        return None
    payload = json.dumps(last_key, sort_keys=True, separators=(",", ":")).encode()
    signature = hmac.new(secret, payload, hashlib.sha256).digest()[:12]
    return (
        base64.urlsafe_b64encode(payload).rstrip(b"=")
        + _SEPARATOR
        + base64.urlsafe_b64encode(signature).rstrip(b"=")
    ).decode()


def decode_cursor(cursor: str | None, secret: bytes) -> dict[str, Any] | None:
    """The key to resume from; a cursor that was not made here is a 400."""
    if not cursor:
        return None
    try:
        payload_part, signature_part = cursor.encode().split(_SEPARATOR)
        payload = _unpad(payload_part)
        signature = _unpad(signature_part)
    except ValueError as error:
        raise Problem.bad_request("The cursor is not valid.", field="cursor") from error
    expected = hmac.new(secret, payload, hashlib.sha256).digest()[:12]
    if not hmac.compare_digest(expected, signature):
        raise Problem.bad_request("The cursor is not valid.", field="cursor")
    key: dict[str, Any] = json.loads(payload)
    return key


def _unpad(part: bytes) -> bytes:
    return base64.urlsafe_b64decode(part + b"=" * (-len(part) % 4))
