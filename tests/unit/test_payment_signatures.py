"""Payment webhook signatures that need no AWS: the generic HMAC scheme and LiqPay's."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from chalicelib.deals.domain.payments import (
    LiqPayKeys,
    liqpay_signature,
    verify_liqpay,
    verify_webhook,
    webhook_signature,
)

from lanka_platform.problems import Problem

NOW = datetime(2027, 3, 1, 7, 0, tzinfo=UTC)
SECRET = "paysec_test"
BODY = b'{"reference":"bank-1","invoice":"RF-1","amount":100}'


def stamp(moment: datetime) -> str:
    return str(int(moment.timestamp()))


def test_a_fresh_correctly_signed_webhook_passes():
    header = "v1=" + webhook_signature(SECRET, stamp(NOW), BODY)
    verify_webhook(SECRET, stamp(NOW), header, BODY, NOW)


def test_a_second_signature_during_a_rotation_is_accepted():
    header = "v1=deadbeef, v1=" + webhook_signature(SECRET, stamp(NOW), BODY)
    verify_webhook(SECRET, stamp(NOW), header, BODY, NOW)


@pytest.mark.parametrize(
    ("timestamp", "body", "secret"),
    [
        (NOW, BODY + b" ", SECRET),  # the body was changed
        (NOW, BODY, "paysec_other"),  # signed with another secret
        (NOW - timedelta(minutes=5, seconds=1), BODY, SECRET),  # too old: a replay
        (NOW + timedelta(minutes=6), BODY, SECRET),  # from the future
    ],
)
def test_a_changed_foreign_or_stale_webhook_is_refused(timestamp, body, secret):
    header = "v1=" + webhook_signature(secret, stamp(timestamp), BODY)
    with pytest.raises(Problem) as refused:
        verify_webhook(SECRET, stamp(timestamp), header, body, NOW)
    assert refused.value.status == 401


def test_a_webhook_without_a_secret_set_up_is_refused():
    with pytest.raises(Problem):
        verify_webhook(None, stamp(NOW), "v1=x", BODY, NOW)


def liqpay_data(**fields):
    payload = {"status": "success", "order_id": "РФ-2027-0001", "amount": 1200.5, "currency": "UAH"}
    return base64.b64encode(json.dumps({**payload, "payment_id": 1, **fields}).encode()).decode()


KEYS = LiqPayKeys(public_key="i000", private_key="priv_key")


def test_liqpay_data_signed_with_our_private_key_is_read_in_minor_units():
    data = liqpay_data(public_key="i000")
    callback = verify_liqpay(KEYS, data, liqpay_signature("priv_key", data))
    assert (callback.order_id, callback.minor, callback.status) == ("РФ-2027-0001", 120050, "success")


def test_liqpay_data_for_another_account_or_badly_signed_is_refused():
    data = liqpay_data(public_key="someone")
    with pytest.raises(Problem):
        verify_liqpay(KEYS, data, liqpay_signature("priv_key", data))
    with pytest.raises(Problem):
        verify_liqpay(KEYS, liqpay_data(), liqpay_signature("wrong", liqpay_data()))
