"""Pure rules of outbound notifications: quiet hours in Kyiv time (with its DST), the order
in which channels are tried, retry backoff, and templates in their sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from chalicelib.notifications.domain.contacts import ContactCard, channel_order
from chalicelib.notifications.domain.messages import MAX_ATTEMPTS, next_attempt
from chalicelib.notifications.domain.quiet import QuietHours, morning_after
from chalicelib.notifications.domain.templates import TemplateText, check, render

from lanka_platform.problems import Problem

KYIV = "Europe/Kyiv"


def test_a_winter_night_in_kyiv_waits_until_eight_local():
    # given: 23:30 in Kyiv on 14 January (UTC+2)
    now = datetime(2026, 1, 14, 21, 30, tzinfo=UTC)
    # when
    morning = morning_after(QuietHours(), now, KYIV)
    # then
    assert morning == datetime(2026, 1, 15, 6, 0, tzinfo=UTC)


def test_a_summer_small_hour_waits_until_eight_the_same_day():
    # given: 02:00 in Kyiv on 10 July (UTC+3)
    now = datetime(2026, 7, 9, 23, 0, tzinfo=UTC)
    # when
    morning = morning_after(QuietHours(), now, KYIV)
    # then
    assert morning == datetime(2026, 7, 10, 5, 0, tzinfo=UTC)


def test_the_day_is_not_quiet():
    assert morning_after(QuietHours(), datetime(2026, 1, 14, 10, 0, tzinfo=UTC), KYIV) is None


def test_quiet_hours_switched_off_hold_nothing():
    night = datetime(2026, 1, 14, 21, 30, tzinfo=UTC)
    assert morning_after(QuietHours(enabled=False), night, KYIV) is None


def test_the_preferred_channel_comes_first_and_channels_without_address_are_skipped():
    # given
    card = ContactCard(
        client_id="c",
        name="Олена",
        phones=["+380501234567"],
        emails=["o@example.com"],
        preferred_channel="sms",
    )
    # then
    assert channel_order(card, None) == ["sms", "email"]
    assert channel_order(card, "email") == ["email", "sms"]


def test_a_telegram_username_is_no_address_for_a_bot():
    card = ContactCard(client_id="c", name="Олена", telegram="olena_k")
    assert channel_order(card, "telegram") == []


def test_retries_back_off_and_stop_after_the_last_attempt():
    now = datetime(2026, 1, 14, 10, 0, tzinfo=UTC)
    waits = [next_attempt(attempts, now) for attempts in range(1, MAX_ATTEMPTS + 1)]
    assert [w - now for w in waits[:-1] if w] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=15),
        timedelta(hours=1),
    ]
    assert waits[-1] is None


def test_html_email_escapes_variables_and_the_text_part_does_not():
    rendered = render("Тема {{ x }}", "Привіт, {{ x }}", "email", {"x": "<b>"})
    assert rendered.text == "Привіт, <b>"
    assert "&lt;b&gt;" in (rendered.html or "")


def test_a_template_using_an_undocumented_variable_is_refused_on_save():
    with pytest.raises(Problem) as refused:
        check(TemplateText(body="{{ secret_thing }}"), "sms", {"client_name": ""})
    assert refused.value.status == 422


def test_only_email_templates_have_a_subject():
    with pytest.raises(Problem):
        check(TemplateText(subject="Тема", body="Текст"), "sms", {})


def test_a_message_written_by_hand_is_sent_as_written():
    from chalicelib.notifications.domain.templates import as_written

    rendered = as_written("Re: {{ x }}", "Ціна {{ 2 + 2 }} <грн>", "email")
    assert rendered.text == "Ціна {{ 2 + 2 }} <грн>"
    assert rendered.subject == "Re: {{ x }}"
    assert "&lt;грн&gt;" in (rendered.html or "")
