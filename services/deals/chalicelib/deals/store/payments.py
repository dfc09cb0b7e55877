"""Payments of invoices, what each deal has been paid, and the payment settings.

| item             | pk                                | sk       |
| ---------------- | --------------------------------- | -------- |
| payment          | INVOICEPAY#<payment id>           | PAYMENT  |
| reference        | INVOICEPAYREF#<source>#<reference>| PAYMENT  |
| ... of an API key| INVOICEPAYREF#api#<key id>#<ref>  | PAYMENT  |
| deal's paid sum  | DEALPAID#<deal id>                | PAID     |
| settings         | SETTINGS                          | PAYMENTS |

A payment is on gsi1 under `DEALLEDGER#<deal id>` / `<paid_at>#<id>` (a deal's payments).
The reference item makes one reference one payment: a replayed webhook finds it taken and
writes nothing. The deal's paid sum is set conditioned on the value read, in the payment's
transaction, so concurrent payments add up exactly.
"""

from __future__ import annotations

import json

from chalicelib.deals.domain.payments import LiqPayKeys, Payment
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.clock import to_iso
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.storage import Gsi1, Store, TableModel, writes

DEAL_PAID_TAG = "deal-paid"


class LedgerItem(TableModel):
    body = UnicodeAttribute()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi1 = Gsi1()


class LedgerRefItem(TableModel):
    payment_id = UnicodeAttribute()


class DealPaidItem(TableModel):
    paid = NumberAttribute(null=True)


class PaymentSettingsItem(TableModel):
    webhook_secret = UnicodeAttribute(null=True)
    liqpay = UnicodeAttribute(null=True)


MODELS = (LedgerItem, LedgerRefItem, DealPaidItem, PaymentSettingsItem)


def _reference_key(source: str, reference: str, key_id: str | None) -> str:
    """One reference is one payment per source; an API key's references are its own."""
    return f"INVOICEPAYREF#{source}#{key_id}#{reference}" if key_id else f"INVOICEPAYREF#{source}#{reference}"


class LedgerStore:
    def __init__(self, store: Store) -> None:
        self._payments = store.model(LedgerItem)
        self._refs = store.model(LedgerRefItem)
        self._paid = store.model(DealPaidItem)
        self._settings = store.model(PaymentSettingsItem)

    def deal_paid(self, deal_id: str) -> int:
        try:
            return int(self._paid.get(f"DEALPAID#{deal_id}", "PAID", consistent_read=True).paid or 0)
        except DoesNotExist:
            return 0

    def add(self, unit: UnitOfWork, payment: Payment, deal_paid_before: int) -> None:
        writes(unit).put(
            self._payments(
                pk=f"INVOICEPAY#{payment.id}",
                sk="PAYMENT",
                body=payment.model_dump_json(),
                gsi1pk=f"DEALLEDGER#{payment.deal_id}",
                gsi1sk=f"{to_iso(payment.paid_at)}#{payment.id}",
            ),
            condition=self._payments.pk.does_not_exist(),
        )
        if payment.reference is not None:
            writes(unit).put(
                self._refs(
                    pk=_reference_key(payment.source, payment.reference, payment.key_id),
                    sk="PAYMENT",
                    payment_id=payment.id,
                ),
                condition=self._refs.pk.does_not_exist(),
                on_conflict=lambda: Problem.conflict(
                    "This payment was already recorded (its reference is taken).", reference=payment.reference
                ),
            )
        paid = self._paid(pk=f"DEALPAID#{payment.deal_id}", sk="PAID")
        condition = (
            self._paid.paid.does_not_exist() if deal_paid_before == 0 else self._paid.paid == deal_paid_before
        )
        writes(unit).update(
            paid,
            actions=[self._paid.paid.set(deal_paid_before + payment.amount)],
            condition=condition,
            tag=DEAL_PAID_TAG,
        )

    def by_reference(self, source: str, reference: str, key_id: str | None = None) -> Payment | None:
        """The payment recorded with this reference, if any."""
        try:
            ref = self._refs.get(_reference_key(source, reference, key_id), "PAYMENT")
            item = self._payments.get(f"INVOICEPAY#{ref.payment_id}", "PAYMENT")
        except DoesNotExist:
            return None
        return Payment.model_validate_json(item.body)

    def of_deal(self, deal_id: str, limit: int = 200) -> list[Payment]:
        return [
            Payment.model_validate_json(item.body)
            for item in self._payments.gsi1.query(f"DEALLEDGER#{deal_id}", limit=limit)
        ]

    # ------------------------------------------------------------------ settings

    def _settings_item(self) -> PaymentSettingsItem | None:
        try:
            return self._settings.get("SETTINGS", "PAYMENTS", consistent_read=True)
        except DoesNotExist:
            return None

    def webhook_secret(self) -> str | None:
        item = self._settings_item()
        return item.webhook_secret if item is not None else None

    def liqpay(self) -> LiqPayKeys | None:
        item = self._settings_item()
        if item is None or not item.liqpay:
            return None
        return LiqPayKeys.model_validate(json.loads(item.liqpay))

    def set_webhook_secret(self, unit: UnitOfWork, secret: str) -> None:
        item = self._settings(pk="SETTINGS", sk="PAYMENTS")
        writes(unit).update(item, actions=[self._settings.webhook_secret.set(secret)])

    def set_liqpay(self, unit: UnitOfWork, keys: LiqPayKeys) -> None:
        item = self._settings(pk="SETTINGS", sk="PAYMENTS")
        writes(unit).update(item, actions=[self._settings.liqpay.set(keys.model_dump_json())])
