"""Inbound rules without AWS: webhook proofs, reading e-mails, provider payloads."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from chalicelib.notifications.domain import inbound, mail, webhooks

from lanka_platform.problems import Problem

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
KEY = "secret"


def _signed(body: bytes, at: datetime) -> tuple[str, str]:
    timestamp = str(int(at.timestamp()))
    return timestamp, hmac.new(KEY.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def test_a_timed_signature_within_five_minutes_is_accepted():
    # given
    timestamp, signature = _signed(b"{}", NOW - timedelta(minutes=4))
    # when / then: no problem raised
    webhooks.require_timed_signature(KEY, b"{}", timestamp, f"sha256={signature}", NOW)


def test_a_timed_signature_older_than_five_minutes_is_refused():
    # given
    timestamp, signature = _signed(b"{}", NOW - timedelta(minutes=6))
    # when
    with pytest.raises(Problem) as refused:
        webhooks.require_timed_signature(KEY, b"{}", timestamp, signature, NOW)
    # then
    assert refused.value.status == 401


def test_a_signature_of_another_body_is_refused():
    # given
    timestamp, signature = _signed(b'{"a": 1}', NOW)
    # when
    with pytest.raises(Problem) as refused:
        webhooks.require_timed_signature(KEY, b'{"a": 2}', timestamp, signature, NOW)
    # then
    assert refused.value.status == 401


def test_an_empty_configured_secret_accepts_nothing():
    with pytest.raises(Problem):
        webhooks.require_secret_token("", "")


def test_html_becomes_readable_text_without_scripts_or_styles():
    # when
    text = mail.html_to_text(
        "<style>p{color:red}</style><p>Добрий&nbsp;день!</p><script>x()</script><div>Шафа</div>"
    )
    # then
    assert text == "Добрий день!\n\nШафа"


def test_a_reply_knows_the_messages_it_answers_nearest_first():
    # given
    message = EmailMessage()
    message["From"] = "Ірина <IRYNA@example.com>"
    message["Subject"] = "Re: шафа"
    message["In-Reply-To"] = "<b@x>"
    message["References"] = "<a@x> <b@x>"
    message.set_content("Так")
    # when
    parsed = mail.parse(message.as_bytes())
    # then
    assert (parsed.sender_name, parsed.sender_email) == ("Ірина", "iryna@example.com")
    assert parsed.answers == ["<b@x>", "<a@x>"]


def test_an_attachment_name_cannot_climb_out_of_its_folder():
    assert mail.safe_name("../../etc/passwd") == "etc_passwd"


def test_a_telegram_update_from_a_bot_is_no_request():
    # given
    update = {"update_id": 1, "message": {"from": {"id": 2, "is_bot": True}, "chat": {"id": 2}, "text": "hi"}}
    # then
    assert inbound.from_telegram(update, NOW) is None


def test_a_website_form_answered_by_email_when_it_gave_one():
    # given
    form = inbound.WebsiteForm(name="Олена", phone="+380671234567", email="o@example.com", consent=True)
    # when
    channel, address = inbound.reply_route(inbound.from_form(form, "r1", NOW))
    # then
    assert (channel, address) == ("email", "o@example.com")
