"""Outgoing webhook signatures (Stripe-like `t=<ts>,v1=<hex>`), API key format and the retry
schedule: pure rules, no AWS."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from chalicelib.deals.domain.integrations import (
    MAX_ATTEMPTS,
    format_key,
    hash_secret,
    is_allowed_url,
    is_public_address,
    new_secret,
    new_webhook_secret,
    next_attempt,
    parse_key,
    secret_matches,
    signature_header,
    verify_signature,
)

SECRET = "whsec_test-secret"
BODY = b'{"id":"01J0000000000000000000000","type":"DealCreated"}'
NOW = 1_760_000_000


def test_the_signature_is_an_hmac_sha256_of_timestamp_dot_body():
    # when
    header = signature_header(SECRET, NOW, BODY)
    # then: what any receiver can recompute with its own HMAC library
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={NOW},v1={expected}"


def test_a_signature_made_with_the_secret_verifies():
    # given
    header = signature_header(SECRET, NOW, BODY)
    # then
    assert verify_signature(SECRET, header, BODY, now=NOW + 10)


def test_a_changed_body_does_not_verify():
    # given
    header = signature_header(SECRET, NOW, BODY)
    # then
    assert not verify_signature(SECRET, header, BODY.replace(b"DealCreated", b"DealUpdated"), now=NOW)


def test_another_secret_does_not_verify():
    # given
    header = signature_header("whsec_someone-else", NOW, BODY)
    # then
    assert not verify_signature(SECRET, header, BODY, now=NOW)


def test_a_changed_timestamp_does_not_verify():
    # given: the signature of one moment with the timestamp of another
    signature = signature_header(SECRET, NOW, BODY).split(",")[1]
    # then
    assert not verify_signature(SECRET, f"t={NOW + 1},{signature}", BODY, now=NOW)


def test_an_old_delivery_replayed_is_refused():
    # given
    header = signature_header(SECRET, NOW, BODY)
    # then
    assert not verify_signature(SECRET, header, BODY, now=NOW + 301)


def test_one_good_signature_among_several_verifies_while_a_secret_is_rotated():
    # given
    good = signature_header(SECRET, NOW, BODY).split(",")[1]
    old = signature_header("whsec_old", NOW, BODY).split(",")[1]
    # then
    assert verify_signature(SECRET, f"t={NOW},{old},{good}", BODY, now=NOW)


def test_a_malformed_header_does_not_verify():
    for header in ("", "v1=abc", f"t={NOW}", "t=soon,v1=abc", "garbage"):
        assert not verify_signature(SECRET, header, BODY, now=NOW), header


def test_webhook_secrets_are_long_and_distinct():
    # when
    first, second = new_webhook_secret(), new_webhook_secret()
    # then
    assert first.startswith("whsec_") and len(first) >= 6 + 43
    assert first != second


def test_an_api_key_reads_back_its_id_and_secret():
    # given
    secret = new_secret()
    key = format_key("01J9ZQ4V6R3M2N8K7X5W1T0ABC", secret)
    # then
    assert key.startswith("lk_01J9ZQ4V6R3M2N8K7X5W1T0ABC_")
    assert parse_key(key) == ("01J9ZQ4V6R3M2N8K7X5W1T0ABC", secret)


def test_something_that_is_not_an_api_key_is_refused():
    for token in (
        "",
        "lk_",
        "lk_short_secret",
        "Bearer abc",
        f"xx_01J9ZQ4V6R3M2N8K7X5W1T0ABC_{new_secret()}",
    ):
        assert parse_key(token) is None, token


def test_only_the_hash_of_the_secret_is_compared():
    # given
    secret = new_secret()
    stored = hash_secret(secret)
    # then
    assert stored != secret and len(stored) == 64
    assert secret_matches(secret, stored)
    assert not secret_matches(new_secret(), stored)


def test_retries_wait_1_min_5_min_30_min_2_h_6_h_then_give_up():
    # given
    failed_at = datetime(2025, 3, 30, 0, 59, tzinfo=UTC)
    # when
    waits = [next_attempt(attempts, failed_at) for attempts in range(1, MAX_ATTEMPTS + 1)]
    # then
    assert waits == [
        failed_at + timedelta(minutes=1),
        failed_at + timedelta(minutes=5),
        failed_at + timedelta(minutes=30),
        failed_at + timedelta(hours=2),
        failed_at + timedelta(hours=6),
        None,
    ]


def test_webhook_urls_are_https_or_plain_http_to_this_machine():
    assert is_allowed_url("https://erp.example.com/hooks")
    assert is_allowed_url("http://127.0.0.1:8123/hook")
    assert is_allowed_url("http://localhost/hook")
    assert not is_allowed_url("http://erp.example.com/hooks")
    assert not is_allowed_url("http://localhost.evil.example/hook")
    assert not is_allowed_url("https://user:password@erp.example.com/")
    assert not is_allowed_url("ftp://erp.example.com/")


def test_receivers_on_private_networks_or_the_metadata_service_are_not_public():
    assert is_public_address("8.8.8.8")
    assert not is_public_address("169.254.169.254")
    assert not is_public_address("10.0.0.7")
    assert not is_public_address("127.0.0.1")
    assert not is_public_address("::1")
