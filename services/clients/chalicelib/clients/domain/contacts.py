"""Contact points in their one canonical form, so that the same phone is the same key."""

from __future__ import annotations

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
