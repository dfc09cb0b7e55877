"""Staff accounts: what a password must be (the user pool's policy, said per rule)."""

from __future__ import annotations

MIN_PASSWORD = 12
MAX_PASSWORD = 128


def strong_password(value: str) -> str:
    """`value` when the user pool would take it as a password; else a ValueError saying the
    first rule it breaks (a pydantic validator: the message goes beside the field)."""
    if not (any(c.islower() for c in value) and any(c.isupper() for c in value)):
        raise ValueError("Use upper- and lowercase letters.")
    if not any(c.isdigit() for c in value):
        raise ValueError("Use at least one digit.")
    return value
