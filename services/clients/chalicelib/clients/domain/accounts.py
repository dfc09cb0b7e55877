"""Staff accounts: what a password must be (the user pool's policy, said per rule)."""

from __future__ import annotations

from collections.abc import Callable

MIN_PASSWORD = 12
MAX_PASSWORD = 128
_RULES: tuple[tuple[Callable[[str], bool], str], ...] = (
    (lambda p: len(p) >= MIN_PASSWORD, f"Use at least {MIN_PASSWORD} characters."),
    (
        lambda p: any(c.islower() for c in p) and any(c.isupper() for c in p),
        "Use upper- and lowercase letters.",
    ),
    (lambda p: any(c.isdigit() for c in p), "Use at least one digit."),
    (lambda p: len(p) <= MAX_PASSWORD, f"Use at most {MAX_PASSWORD} characters."),
)


def password_problems(password: str) -> list[str]:
    """Each rule of the user pool's password policy that `password` breaks, in words."""
    return [message for kept, message in _RULES if not kept(password)]


def strong_password(value: str) -> str:
    """A pydantic validator: `value` when the user pool would take it, else a ValueError
    saying the first rule it breaks (the message goes beside the field)."""
    problems = password_problems(value)
    if problems:
        raise ValueError(problems[0])
    return value
