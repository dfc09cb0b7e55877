"""Outbound messages through the notifications service: the contact projection from
clients, every channel out (SES v2 checked in moto's store; SMS, Telegram and Viber at a
fake provider on 127.0.0.1), fallback, retry, park and redrive, one send per request,
quiet hours, booking confirmations and reminders on a controllable clock, templates, and
the staff feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from deal_world import publish_at
from notify_world import (
    ADMIN,
    NOTIFY,
    Clock,
    messages_of,
    new_client,
    run_schedule,
    sent_emails,
)

from lanka_platform.contracts.booking import BookingCreated, BookingRescheduled
from lanka_platform.contracts.deals import (
    DealCreated,
    DealStageChanged,
    MessageAttachment,
    MessageRequested,
    PaymentReceived,
    StaffNotificationRequested,
    TaskCompleted,
    TaskOverdue,
)
from lanka_platform.ids import new_id

ICS = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:b1@lanka\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
# A Kyiv day in winter (UTC+2): 12:00 there is 10:00 UTC.
NOON = datetime(2026, 1, 14, 10, 0, 10, tzinfo=UTC)


def request_message(world: Any, client_id: str, template: str = "order_ready", **fields: Any) -> str:
    message_id = fields.pop("message_id", new_id())
    world.publish(
        MessageRequested(
            message_id=message_id,
            client_id=client_id,
            template=template,
            variables={"deal_title": "Кухня «Модерн»", "deal_id": "d1"},
            **fields,
        )
    )
    return message_id


# ------------------------------------------------------------------------------ channels


def test_a_message_goes_by_telegram_rendered_from_its_template(world, provider):
    # given
    Clock(world, NOON)
    client = new_client(world, telegram="123456789", email="olena@example.com")
    # when
    request_message(world, client)
    run_schedule("deliveries")
    # then
    [(path, _, body)] = provider.to("telegram")
    assert path == "/bot123:bot/sendMessage"
    assert body["chat_id"] == "123456789"
    assert "Олена Коваль, ваше замовлення «Кухня «Модерн»» готове" in body["text"]
    [message] = messages_of(world, client)
    assert message["status"] == "sent"
    assert message["channel_used"] == "telegram"
    assert message["provider_message_id"] == "1"


def test_an_email_carries_text_html_an_s3_attachment_and_a_one_click_unsubscribe(world, provider):
    # given
    Clock(world, NOON)
    client = new_client(world, email="olena@example.com")
    boto3.client("s3").put_object(Bucket="lanka-documents", Key="invoices/1.pdf", Body=b"%PDF-1.4 invoice")
    # when
    request_message(
        world,
        client,
        template="invoice",
        attachments=[
            MessageAttachment(bucket="lanka-documents", key="invoices/1.pdf", filename="Рахунок.pdf")
        ],
    )
    run_schedule("deliveries")
    # then
    assert messages_of(world, client)[0]["status"] == "sent", messages_of(world, client)[0]["log"][0]["error"]
    [mail] = sent_emails()
    assert mail["To"] == "olena@example.com"
    assert mail["Subject"] == "Рахунок: Кухня «Модерн»"
    assert "/api/clients/public/unsubscribe?client=" + client in mail["List-Unsubscribe"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "надсилаємо рахунок щодо «Кухня «Модерн»»" in text
    assert "&laquo;" in html or "«Кухня «Модерн»»" in html
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "Рахунок.pdf"
    assert attachment.get_content() == b"%PDF-1.4 invoice"
    assert messages_of(world, client)[0]["status"] == "sent"


def test_html_email_escapes_what_a_variable_holds(world, provider):
    # given
    Clock(world, NOON)
    client = new_client(world, email="olena@example.com")
    # when
    world.publish(
        MessageRequested(
            message_id=new_id(),
            client_id=client,
            template="order_ready",
            variables={"deal_title": "<b>x</b>"},
        )
    )
    run_schedule("deliveries")
    # then
    [mail] = sent_emails()
    assert "&lt;b&gt;x&lt;/b&gt;" in mail.get_body(("html",)).get_content()


def test_an_sms_goes_to_the_provider_when_asked_for(world, provider):
    # given
    Clock(world, NOON)
    client = new_client(world, phone="050 123 45 67", telegram="123456789")
    # when
    request_message(world, client, channel="sms")
    run_schedule("deliveries")
    # then
    [(path, headers, body)] = provider.to("sms")
    assert path == "/message/send.json"
    assert headers["Authorization"] == "Bearer sms-key"
    assert body["recipients"] == ["380501234567"]
    assert "готове" in body["sms"]["text"]
    assert provider.to("telegram") == []
    assert messages_of(world, client)[0]["provider_message_id"] == "sms-1"


def test_a_viber_message_goes_through_the_rest_api(world, provider):
    # given
    Clock(world, NOON)
    client = new_client(world, viber="+380501234567")
    # when
    request_message(world, client)
    run_schedule("deliveries")
    # then
    [(path, headers, body)] = provider.to("viber")
    assert path == "/pa/send_message"
    assert headers["X-Viber-Auth-Token"] == "viber-key"
    assert body["type"] == "text" and "готове" in body["text"]
    assert messages_of(world, client)[0]["channel_used"] == "viber"


def test_a_failing_channel_falls_back_to_the_next_one(world, provider):
    # given
    Clock(world, NOON)
    client = new_client(world, telegram="123456789", email="olena@example.com")
    provider.fail("telegram")
    # when
    request_message(world, client)
    run_schedule("deliveries")
    # then
    assert len(provider.to("telegram")) == 1
    assert len(sent_emails()) == 1
    [message] = messages_of(world, client)
    assert message["status"] == "sent" and message["channel_used"] == "email"
    assert [(a["channel"], a["outcome"]) for a in message["log"]] == [
        ("telegram", "failed"),
        ("email", "sent"),
    ]


# ------------------------------------------------------------------------------ delivery


def test_a_failing_provider_is_retried_with_backoff_then_parked_and_an_admin_redrives_it(world, provider):
    # given
    clock = Clock(world, NOON)
    client = new_client(world, telegram="123456789")
    provider.fail("telegram")
    message_id = request_message(world, client)
    # when: every attempt fails; each retry waits its backoff
    for wait in (0, 1, 5, 15, 60):
        clock.forward(minutes=wait)
        run_schedule("deliveries")
    # then
    assert len(provider.to("telegram")) == 5
    parked = world.http.get(f"{NOTIFY}/messages/parked", headers=world.headers(*ADMIN)).get_json()["items"]
    assert [m["id"] for m in parked] == [message_id]
    assert parked[0]["status"] == "parked" and parked[0]["attempts"] == 5
    # when: the provider is back and the admin redrives it
    provider.failing.clear()
    redriven = world.http.post(f"{NOTIFY}/messages/{message_id}/redrive", headers=world.headers(*ADMIN))
    run_schedule("deliveries")
    # then
    assert redriven.status_code == 200, redriven.get_json()
    assert len(provider.to("telegram")) == 6
    assert messages_of(world, client)[0]["status"] == "sent"
    assert (
        world.http.get(f"{NOTIFY}/messages/parked", headers=world.headers(*ADMIN)).get_json()["items"] == []
    )


def test_a_retry_is_not_sent_before_its_backoff(world, provider):
    # given
    clock = Clock(world, NOON)
    client = new_client(world, telegram="123456789")
    provider.fail("telegram", times=1)
    request_message(world, client)
    run_schedule("deliveries")
    # when
    clock.forward(seconds=30)
    run_schedule("deliveries")
    # then
    assert len(provider.to("telegram")) == 1
    assert messages_of(world, client)[0]["status"] == "retrying"


def test_only_an_admin_sees_parked_messages(world, provider):
    # when
    response = world.http.get(f"{NOTIFY}/messages/parked", headers=world.headers("olena", "manager"))
    # then
    assert response.status_code == 403


def test_a_message_not_parked_cannot_be_redriven(world, provider):
    # given
    Clock(world, NOON)
    client = new_client(world, telegram="123456789")
    message_id = request_message(world, client)
    run_schedule("deliveries")
    # when
    response = world.http.post(f"{NOTIFY}/messages/{message_id}/redrive", headers=world.headers(*ADMIN))
    # then
    assert response.status_code == 409
    assert len(provider.to("telegram")) == 1


def test_a_redelivered_message_request_is_sent_once(world, provider):
    # given
    Clock(world, NOON)
    client = new_client(world, telegram="123456789")
    message_id = new_id()
    # when: the same request comes twice (two events, one message id) and sweeps overlap
    request_message(world, client, message_id=message_id)
    request_message(world, client, message_id=message_id)
    run_schedule("deliveries")
    run_schedule("deliveries")
    # then
    assert len(provider.to("telegram")) == 1
    assert len(messages_of(world, client)) == 1


def test_a_client_with_no_address_gets_the_message_parked(world, provider):
    # given
    Clock(world, NOON)
    client = new_client(world)
    # when
    message_id = request_message(world, client)
    run_schedule("deliveries")
    # then
    parked = world.http.get(f"{NOTIFY}/messages/parked", headers=world.headers(*ADMIN)).get_json()["items"]
    assert [m["id"] for m in parked] == [message_id]
    assert parked[0]["last_error"] == "No address on any channel"


def test_an_erased_client_is_sent_nothing_still_queued(world, provider):
    # given
    Clock(world, NOON)
    client = new_client(world, telegram="123456789")
    request_message(world, client)
    # when
    erased = world.http.post(f"/api/clients/clients/{client}/erase", headers=world.headers(*ADMIN))
    world.router.deliver_all()
    run_schedule("deliveries")
    # then
    assert erased.status_code in (200, 204), erased.get_json()
    assert provider.to("telegram") == []
    [message] = messages_of(world, client)
    assert message["status"] == "cancelled" and message["variables"] == {}


# ------------------------------------------------------------------------------ quiet hours


def test_sms_due_at_night_waits_for_the_morning(world, provider):
    # given: 23:30 in Kyiv (21:30 UTC in winter)
    clock = Clock(world, datetime(2026, 1, 14, 21, 30, 10, tzinfo=UTC))
    client = new_client(world, phone="050 123 45 67")
    request_message(world, client)
    # when
    run_schedule("deliveries")
    clock.forward(hours=8, minutes=29)  # 07:59 in Kyiv
    run_schedule("deliveries")
    # then
    assert provider.to("sms") == []
    # when: 08:00 in Kyiv
    clock.forward(minutes=1)
    run_schedule("deliveries")
    # then
    assert len(provider.to("sms")) == 1


def test_email_goes_at_night(world, provider):
    # given
    Clock(world, datetime(2026, 1, 14, 21, 30, 10, tzinfo=UTC))
    client = new_client(world, email="olena@example.com")
    # when
    request_message(world, client)
    run_schedule("deliveries")
    # then
    assert len(sent_emails()) == 1


def test_quiet_hours_are_a_company_setting(world, provider):
    # given: quiet hours changed to 23:00-07:00; 22:30 in Kyiv
    Clock(world, datetime(2026, 1, 14, 20, 30, 10, tzinfo=UTC))
    saved = world.http.put(
        f"{NOTIFY}/settings/quiet-hours",
        json={"start": "23:00", "end": "07:00"},
        headers=world.headers(*ADMIN),
    )
    client = new_client(world, phone="050 123 45 67")
    # when
    request_message(world, client)
    run_schedule("deliveries")
    # then
    assert saved.status_code == 200, saved.get_json()
    assert len(provider.to("sms")) == 1


# ------------------------------------------------------------------------------ bookings


def booking(client: str, starts_at: datetime, **fields: Any) -> BookingCreated:
    return BookingCreated(
        booking_id=fields.pop("booking_id", "b1"),
        client_id=client,
        service="measurement",
        service_name="Замір",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        address="Київ, вул. Січових Стрільців, 1",
        manage_url="https://lanka.example/b/b1?s=sig",
        ics=ICS,
        **fields,
    )


def test_a_booking_is_confirmed_by_email_with_the_calendar_invite(world, provider):
    # given
    Clock(world, NOON)
    client = new_client(world, email="olena@example.com")
    # when
    world.publish(booking(client, NOON + timedelta(days=2, hours=4)))
    run_schedule("deliveries")
    # then
    [mail] = sent_emails()
    assert mail["Subject"] == "Підтвердження: Замір 16.01.2026 16:00"
    [invite] = list(mail.iter_attachments())
    assert invite.get_content_type() == "text/calendar"
    assert invite.get_param("method") == "REQUEST"
    assert "UID:b1@lanka" in invite.get_content()


def test_booking_reminders_fire_at_their_minute(world, provider):
    # given: a visit at 16:00 Kyiv in two days
    clock = Clock(world, NOON)
    client = new_client(world, telegram="123456789")
    starts = NOON.replace(second=0) + timedelta(days=2, hours=4)
    world.publish(booking(client, starts))
    run_schedule("deliveries")
    assert len(provider.to("telegram")) == 1  # the confirmation
    # when: a minute before the 24-hour reminder
    clock.now = starts - timedelta(hours=24, minutes=1) + timedelta(seconds=10)
    run_schedule("deliveries")
    # then
    assert len(provider.to("telegram")) == 1
    # when: its minute
    clock.forward(minutes=1)
    run_schedule("deliveries")
    # then
    assert len(provider.to("telegram")) == 2
    assert "нагадуємо: Замір 16.01.2026 16:00" in provider.to("telegram")[1][2]["text"]
    # when: the 2-hour reminder's minute
    clock.now = starts - timedelta(hours=2) + timedelta(seconds=10)
    run_schedule("deliveries")
    # then
    assert len(provider.to("telegram")) == 3


def test_a_rescheduled_booking_moves_its_reminders(world, provider):
    # given
    clock = Clock(world, NOON)
    client = new_client(world, telegram="123456789")
    starts = NOON.replace(second=0) + timedelta(days=2)
    world.publish(booking(client, starts))
    moved_to = starts + timedelta(days=1)
    world.publish(
        BookingRescheduled(
            booking_id="b1",
            client_id=client,
            service="measurement",
            service_name="Замір",
            starts_at=moved_to,
            ends_at=moved_to + timedelta(hours=1),
            previous_starts_at=starts,
            sequence=1,
            ics=ICS,
        )
    )
    run_schedule("deliveries")
    sent_now = len(provider.to("telegram"))
    # when: the old reminder's minute
    clock.now = starts - timedelta(hours=24) + timedelta(seconds=10)
    run_schedule("deliveries")
    # then
    assert len(provider.to("telegram")) == sent_now == 2  # confirmation and the notice of the move
    # when: the new one's
    clock.now = moved_to - timedelta(hours=24) + timedelta(seconds=10)
    run_schedule("deliveries")
    # then
    assert len(provider.to("telegram")) == 3


# ------------------------------------------------------------------------------ templates


def test_a_template_that_does_not_compile_is_refused(world, provider):
    # when
    response = world.http.post(
        f"{NOTIFY}/templates",
        json={"name": "order_ready", "channel": "sms", "locale": "uk", "body": "Готово {% if %}"},
        headers=world.headers(*ADMIN),
    )
    # then
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/problem+json")


def test_the_company_s_template_is_used_instead_of_the_default(world, provider):
    # given
    Clock(world, NOON)
    saved = world.http.post(
        f"{NOTIFY}/templates",
        json={"name": "order_ready", "channel": "telegram", "body": "Готово: {{ deal_title }}!"},
        headers=world.headers(*ADMIN),
    )
    client = new_client(world, telegram="123456789")
    # when
    request_message(world, client)
    run_schedule("deliveries")
    # then
    assert saved.status_code == 201, saved.get_json()
    assert provider.to("telegram")[0][2]["text"] == "Готово: Кухня «Модерн»!"


def test_a_preview_renders_a_template_with_documented_samples(world, provider):
    # when
    response = world.http.post(
        f"{NOTIFY}/templates/preview",
        json={
            "name": "booking_reminder",
            "channel": "email",
            "locale": "en",
            "variables": {"service_name": "Visit"},
        },
        headers=world.headers(*ADMIN),
    )
    # then
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["subject"] == "Reminder: Visit <starts_at>"
    assert "&lt;client_name&gt;" in body["html"]


def test_a_template_cannot_reach_outside_its_sandbox(world, provider):
    # when
    response = world.http.post(
        f"{NOTIFY}/templates/preview",
        json={"channel": "sms", "body": "{{ ''.__class__.__mro__[1].__subclasses__() }}"},
        headers=world.headers(*ADMIN),
    )
    # then
    assert response.status_code == 422


# ------------------------------------------------------------------------------ staff feed


def test_the_feed_counts_unread_alerts_and_marks_them_read(world, provider):
    # given
    headers = world.headers("olena", "manager")
    user = world.user_id("olena")
    for text in ("Перша", "Друга", "Третя"):
        world.publish(StaffNotificationRequested(notification_id=new_id(), user_id=user, text=text))
    # when
    feed = world.http.get(f"{NOTIFY}/alerts", headers=headers).get_json()
    one = world.http.post(f"{NOTIFY}/alerts/read", json={"key": feed["items"][0]["key"]}, headers=headers)
    after_one = world.http.get(f"{NOTIFY}/alerts/unread", headers=headers).get_json()
    world.http.post(f"{NOTIFY}/alerts/read", json={"all": True}, headers=headers)
    after_all = world.http.get(f"{NOTIFY}/alerts", headers=headers).get_json()
    # then
    assert feed["unread"] == 3
    assert one.status_code == 200, one.get_json()
    assert after_one == {"unread": 2}
    assert after_all["unread"] == 0
    assert all(item["read"] for item in after_all["items"])


def test_a_subscriber_gets_a_telegram_copy_of_the_kinds_they_chose(world, provider):
    # given
    Clock(world, NOON)
    headers = world.headers("olena", "manager")
    saved = world.http.put(
        f"{NOTIFY}/alerts/subscription",
        json={"telegram_chat_id": "4242", "kinds": ["notice"]},
        headers=headers,
    )
    # when
    world.publish(
        StaffNotificationRequested(
            notification_id=new_id(), user_id=world.user_id("olena"), text="Зателефонуйте"
        )
    )
    run_schedule("deliveries")
    # then
    assert saved.status_code == 200, saved.get_json()
    [(_, _, body)] = provider.to("telegram")
    assert body == {"chat_id": "4242", "text": "Зателефонуйте"}


def test_an_overdue_task_alerts_its_assignee(world, provider):
    # given
    headers = world.headers("olena", "manager")
    user = world.user_id("olena")
    # when
    world.publish(TaskOverdue(task_id="t1", title="Передзвонити", assignee_id=user, due_at=NOON))
    # then
    feed = world.http.get(f"{NOTIFY}/alerts", headers=headers).get_json()
    assert feed["unread"] == 1
    assert feed["items"][0]["kind"] == "task_overdue"
    assert "Передзвонити" in feed["items"][0]["text"]


def test_the_head_hears_of_a_completed_key_step(world, provider):
    # when
    world.publish(TaskCompleted(task_id="t2", title="Зробити замір", completed_by="u1", kind="measure"))
    world.publish(TaskCompleted(task_id="t3", title="Принагідна задача", completed_by="u1"))
    # then
    feed = world.http.get(f"{NOTIFY}/alerts?role=head", headers=world.headers("hanna", "head")).get_json()
    assert [item["text"] for item in feed["items"]] == ["Виконано: «Зробити замір»"]


# ------------------------------------------------------------------------------ digest


def test_the_head_gets_yesterdays_numbers_and_whats_overdue_at_eight(world, provider):
    # given: yesterday (13 Jan, Kyiv) two requests, a won deal, a payment, an overdue task
    yesterday = datetime(2026, 1, 13, 9, 0, tzinfo=UTC)
    for deal_id in ("d1", "d2"):
        publish_at(
            world,
            DealCreated(
                deal_id=deal_id, pipeline_id="p", stage="new", client_id="c", title="Кухня", amount=0
            ),
            yesterday,
        )
    publish_at(
        world,
        DealStageChanged(
            deal_id="d1",
            pipeline_id="p",
            client_id="c",
            from_stage="a",
            to_stage="won",
            outcome="won",
            amount=1,
            deal_version=2,
        ),
        yesterday,
    )
    publish_at(world, PaymentReceived(payment_id="p1", deal_id="d1", amount=1250050), yesterday)
    publish_at(world, TaskOverdue(task_id="t9", title="Погодити доставку", due_at=yesterday), yesterday)
    clock = Clock(world, datetime(2026, 1, 14, 5, 59, 10, tzinfo=UTC))  # 07:59 in Kyiv
    head = world.headers("hanna", "head")
    # when: 07:59, then 08:00, then a minute later
    early = run_schedule("digest")
    clock.forward(minutes=1)
    on_time = run_schedule("digest")
    clock.forward(minutes=1)
    again = run_schedule("digest")
    # then
    assert (early, on_time, again) == ({"sent": 0}, {"sent": 1}, {"sent": 0})
    [digest] = [
        i
        for i in world.http.get(f"{NOTIFY}/alerts?role=head", headers=head).get_json()["items"]
        if i["kind"] == "digest"
    ]
    assert "Зведення за 13.01.2026" in digest["text"]
    assert "нових звернень: 2" in digest["text"]
    assert "угод виграно: 1" in digest["text"]
    assert "оплат: 1 (12500.50 UAH)" in digest["text"]
    assert "• Погодити доставку" in digest["text"]


# ------------------------------------------------------------------------------ contacts


def test_a_message_goes_to_the_contacts_the_client_has_now(world, provider):
    # given
    Clock(world, NOON)
    client = new_client(world, phone="050 123 45 67")
    card = world.http.get(f"/api/clients/clients/{client}", headers=world.headers()).get_json()
    edited = world.http.patch(
        f"/api/clients/clients/{client}",
        json={"version": card["version"], "phones": ["067 765 43 21"]},
        headers=world.headers(),
    )
    world.router.deliver_all()
    # when
    request_message(world, client, channel="sms")
    run_schedule("deliveries")
    # then
    assert edited.status_code == 200, edited.get_json()
    [(_, _, body)] = provider.to("sms")
    assert body["recipients"] == ["380677654321"]


def test_a_message_to_a_merged_client_reaches_the_survivor(world, provider):
    # given
    Clock(world, NOON)
    survivor = new_client(world, email="olena@example.com")
    merged = new_client(world, telegram="123456789")
    response = world.http.post(
        f"/api/clients/clients/{survivor}/merge", json={"other_id": merged}, headers=world.headers(*ADMIN)
    )
    world.router.deliver_all()
    # when
    request_message(world, merged)
    run_schedule("deliveries")
    # then
    assert response.status_code == 200, response.get_json()
    [(_, _, body)] = provider.to("telegram")  # the survivor has both clients' contacts now
    assert body["chat_id"] == "123456789"


def test_a_booking_on_a_salon_deal_is_confirmed_once(world, provider):
    # given: a client with a deal in the salon pipeline, whose rule moves it on a booking
    Clock(world, NOON)
    client = new_client(world, email="olena@example.com")
    salon = world.http.post("/api/deals/pipelines/templates/salon", headers=world.headers(*ADMIN))
    assert salon.status_code == 201, salon.get_json()
    opened = world.http.post(
        "/api/deals/deals",
        json={"client_id": client, "title": "Стрижка", "pipeline_id": salon.get_json()["id"]},
        headers=world.headers(),
    )
    assert opened.status_code == 201, opened.get_json()
    world.router.deliver_all()
    # when
    world.publish(booking(client, NOON + timedelta(days=2), deal_id=opened.get_json()["id"]))
    world.router.deliver_all()
    run_schedule("deliveries")
    # then: the deal moved, and the client got one confirmation
    moved = world.http.get(f"/api/deals/deals/{opened.get_json()['id']}", headers=world.headers(*ADMIN))
    assert moved.get_json()["stage"] == "booked"
    told = [m["template"] for m in messages_of(world, client) if m["template"] != "booking_reminder"]
    assert told == ["booking_confirmation"]
    assert len(sent_emails()) == 1


def test_the_local_stack_verifies_its_sender_so_that_mail_goes_out(world):
    # given
    from lanka_local import provision

    sesv2 = boto3.client("sesv2")
    # when: started twice (a restart keeps the emulator's data)
    first = provision.verify_sender(sesv2, "Lanka <no-reply@shop.example>")
    again = provision.verify_sender(sesv2, "Lanka <no-reply@shop.example>")
    sent = sesv2.send_email(
        FromEmailAddress="no-reply@shop.example",
        Destination={"ToAddresses": ["olena@example.com"]},
        Content={"Simple": {"Subject": {"Data": "Тест"}, "Body": {"Text": {"Data": "Привіт"}}}},
    )
    # then
    assert first == again == "shop.example"
    assert sent["MessageId"]
