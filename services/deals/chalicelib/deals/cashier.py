"""Records a payment however it came (by hand, the payment webhook, LiqPay, the external
API) with the deals service's stores: the rules are `domain.payments.receive`; this commits
them again from fresh reads while another payment of the same invoice or deal commits first
(a bank may post a batch at once)."""

from __future__ import annotations

from chalicelib.deals.domain import payments as paying
from chalicelib.deals.domain.payments import Payment
from chalicelib.deals.service import service
from chalicelib.deals.store import DealStore
from chalicelib.deals.store.documents import PAID_TAG, DocumentStore
from chalicelib.deals.store.payments import DEAL_PAID_TAG, LedgerStore

from lanka_platform.ids import new_id
from lanka_platform.problems import Problem
from lanka_platform.storage import CONTENDED_ATTEMPTS

# The writes two payments of one invoice or deal race for: the sums paid.
RACING = (PAID_TAG, DEAL_PAID_TAG)


def pay(received: paying.Received) -> Payment:
    store = service.store
    payment_id = new_id()
    return service.commit(
        lambda unit: paying.receive(
            unit,
            DealStore(store),
            LedgerStore(store),
            DocumentStore(store),
            received,
            payment_id,
            store.clock(),
        ),
        RACING,
        attempts=CONTENDED_ATTEMPTS,
        exhausted=Problem.busy,
    )
