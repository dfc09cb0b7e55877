"""Is a webhook really from the provider? Each channel's own proof, checked in constant time.

| channel   | proof                                                                          |
| --------- | ------------------------------------------------------------------------------ |
| Telegram  | `X-Telegram-Bot-Api-Secret-Token` equals the secret given to `setWebhook`       |
| Viber     | `X-Viber-Content-Signature` = hex HMAC-SHA256 of the raw body, key: auth token   |
| telephony | `X-Lanka-Signature` = hex HMAC-SHA256 of `<timestamp>.<body>`, the timestamp in   |
| (generic) | `X-Lanka-Timestamp` (Unix seconds) and at most 5 minutes away from now           |
| Binotel   | Binotel signs nothing: its documentation tells integrators to accept its calls   |
|           | only from its servers' addresses. So the callback URL carries a secret token    |
|           | (`?token=`), the `companyID` in the body must be ours, and, where configured,   |
|           | the caller's address must be one of Binotel's.                                  |
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from lanka_platform.problems import Problem

TIMESTAMP_WINDOW = timedelta(minutes=5)


def _refuse(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, kind="bad-signature")


def require_secret_token(expected: str, given: str | None) -> None:
    if not expected or not given or not hmac.compare_digest(expected.encode(), given.encode()):
        raise _refuse("The webhook's secret token is missing or wrong.")


def hmac_hex(key: str, payload: bytes) -> str:
    return hmac.new(key.encode(), payload, hashlib.sha256).hexdigest()


def require_body_signature(key: str, body: bytes, signature: str | None) -> None:
    if not key or not signature or not hmac.compare_digest(hmac_hex(key, body), signature.strip().lower()):
        raise _refuse("The webhook's signature does not match its body.")


def require_timed_signature(
    key: str, body: bytes, timestamp: str | None, signature: str | None, now: datetime
) -> None:
    """A signature over the timestamp and the body, and the timestamp recent: a captured
    request replayed later is refused even with its valid signature."""
    if not timestamp or not timestamp.isdigit():
        raise _refuse("X-Lanka-Timestamp must be the Unix time of the request.")
    given = (signature or "").strip().lower().removeprefix("sha256=")
    require_body_signature(key, timestamp.encode() + b"." + body, given or None)
    sent = datetime.fromtimestamp(int(timestamp), now.tzinfo)
    if abs(now - sent) > TIMESTAMP_WINDOW:
        raise _refuse("The request is too old (or from the future): timestamps must be within 5 minutes.")


def require_size(body: bytes, limit: int) -> None:
    if len(body) > limit:
        raise Problem.too_large(limit)
