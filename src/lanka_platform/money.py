"""Money: integer minor units plus an ISO-4217 currency, never floats."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Self

from pydantic import ConfigDict, Field, StringConstraints

from lanka_platform.schema import Schema

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class Money(Schema):
    """An amount such as 1 250,50 грн is `Money(amount=125050, currency="UAH")`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: int = Field(description="Amount in minor units (kopiyky for UAH)")
    currency: Currency = "UAH"

    @classmethod
    def of(cls, major: str | int | Decimal, currency: str = "UAH") -> Self:
        minor = (Decimal(str(major)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
        return cls(amount=int(minor), currency=currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def times(self, factor: int | Decimal) -> Money:
        minor = (Decimal(self.amount) * Decimal(factor)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
        return Money(amount=int(minor), currency=self.currency)

    @property
    def major(self) -> Decimal:
        return Decimal(self.amount) / 100

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")
