"""Signed links sent to clients (unsubscribe, manage a booking): tamper-evident, no login."""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(secret: str, purpose: str, value: str) -> str:
    """A signature of `value` for one `purpose`: a link for one purpose opens nothing else."""
    digest = hmac.new(secret.encode(), f"{purpose}\n{value}".encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def verify(secret: str, purpose: str, value: str, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, purpose, value), signature)
