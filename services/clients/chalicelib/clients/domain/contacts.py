"""Contact points in their one canonical form, so that the same phone is the same key."""

from __future__ import annotations

import re
from typing import Any


class InvalidContact(ValueError):
    pass


def normalize_phone(raw: str, default_region: str = "UA") -> str:
    """E.164 (`+380501234567`) of a phone as people type it: `050 123 45 67`, `+38 (050)...`."""
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as error:
        raise InvalidContact("This is not a phone number.") from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidContact("This phone number does not exist.")
    formatted: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return formatted


def normalize_email(raw: str) -> str:
    """The address as a mailbox key: syntax checked, domain lower-cased (no DNS look-up)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        result: Any = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidContact(str(error)) from error
    normalized: str = result.normalized
    local, _, domain = normalized.rpartition("@")
    return f"{local.lower()}@{domain.lower()}"


_TELEGRAM_NAME = re.compile(r"^[a-z][a-z0-9_]{3,31}$")
_VIBER_ID = re.compile(r"^[A-Za-z0-9+/=_\-]{6,64}$")


def normalize_telegram(raw: str) -> str:
    """A Telegram username without `@` or `t.me/`, lower-cased (Telegram ignores case), or
    a numeric user id as the bot API gives it."""
    value = raw.strip()
    for prefix in ("https://t.me/", "http://t.me/", "t.me/", "@"):
        if value.lower().startswith(prefix):
            value = value[len(prefix) :]
    if value.isdigit() and 5 <= len(value) <= 15:
        return value
    value = value.lower()
    if not _TELEGRAM_NAME.match(value):
        raise InvalidContact("This is not a Telegram username (5-32 letters, digits or _) or user id.")
    return value


def normalize_viber(raw: str) -> str:
    """A Viber user id as the Viber bot API gives it (case matters, so it is kept)."""
    value = raw.strip()
    if not _VIBER_ID.match(value):
        raise InvalidContact("This is not a Viber user id.")
    return value
