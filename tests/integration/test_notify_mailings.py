"""Mass mailings: only clients with marketing consent get one, exactly once each, even when
the sending step dies half way; the unsubscribe link in the mail works from a mail client
(a confirmation page, RFC 8058 one-click) and keeps the next mailing away; progress,
preview, cancel and bad input.

The 1,000-client audience is seeded the way clients would build it, but in bulk: clients'
`ClientContactsChanged` events are sent ten to a call straight to the notifications inbox
queue, as the bus rule would deliver them, and taken in by the real consumer (creating a
thousand clients through the clients API, or their events through moto's EventBridge,
would take minutes). Clients who unsubscribe are created through the clients API, since the link is
served there.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import boto3
import pytest
from notify_world import (
    ADMIN,
    CLIENTS,
    NOTIFY,
    Clock,
    Provider,
    new_client,
    run_schedule,
    sent_emails,
)

from lanka_platform.contracts.clients import ClientContactsChanged
from lanka_platform.contracts.deals import CallLogged, DealCreated, DealStageChanged, MessageRequested
from lanka_platform.contracts.notifications import MessageReceived
from lanka_platform.events import Envelope, envelope

HEAD = ("hanna", "head")
# The audience of the big test (MAILING_TEST_SIZE=150 for a quick run while developing).
SIZE = int(os.environ.get("MAILING_TEST_SIZE", "1000"))
LINK = re.compile(r"https?://\S+/public/unsubscribe\?\S+")


# ------------------------------------------------------------------------------ helpers


def publish_all(world: Any, contracts: list[Any]) -> None:
    """Deliver clients' events to the notifications inbox queue ten to a call, in the very
    shape the bus rule puts them there, then let the inbox take them all. (moto's
    EventBridge takes about a second per PutEvents here: a thousand clients' events through
    it would take minutes; the queue, the consumer and the handlers are the real ones.)"""
    sqs = boto3.client("sqs")
    queue = sqs.get_queue_url(QueueName="lanka-notifications-inbox")["QueueUrl"]
    for start in range(0, len(contracts), 10):
        entries = []
        for number, contract in enumerate(contracts[start : start + 10]):
            wrapped = contract if isinstance(contract, Envelope) else envelope(contract)
            event = {
                "version": "0",
                "id": wrapped.metadata.event_id,
                "detail-type": wrapped.detail_type,
                "source": wrapped.source,
                "account": "123456789012",
                "time": wrapped.metadata.occurred_at.isoformat(),
                "region": "eu-central-1",
                "resources": [],
                "detail": json.loads(wrapped.detail_json()),
            }
            entries.append({"Id": str(number), "MessageBody": json.dumps(event)})
        sqs.send_message_batch(QueueUrl=queue, Entries=entries)
        if (start + 10) % 100 == 0:
            # moto's SQS walks every message of the queue on each receive: taking them in a
            # hundred at a time keeps that walk short (it is moto's cost, not the consumer's).
            world.router.deliver_all()
    world.router.deliver_all()


def seed_audience(world: Any, size: int) -> tuple[set[str], set[str], set[str]]:
    """`size` clients: 60 % consenting, 30 % never asked, 10 % who gave consent and then
    withdrew it; every 50th consenting client prefers Telegram, every 20th is a VIP.
    Returns the consenting clients' e-mails, their Telegram chats, and everyone else's
    e-mails."""
    consenting, chats, others = set(), set(), set()
    contracts = []
    for i in range(size):
        client_id, email = f"seed-{i:04d}", f"client{i:04d}@example.com"
        kind = i % 10
        telegram = str(700_000_000 + i) if i % 50 == 5 else None
        card = {
            "client_id": client_id,
            "name": f"Клієнт {i}",
            "emails": [email],
            "telegram": telegram,
            "preferred_channel": "telegram" if telegram else None,
            "tags": ["vip"] if i % 20 == 7 else [],
        }
        contracts.append(ClientContactsChanged(**card, marketing_consent=kind >= 3, client_version=1))
        if kind == 3:
            contracts.append(ClientContactsChanged(**card, marketing_consent=False, client_version=2))
        if kind >= 4:
            (chats.add(telegram) if telegram else consenting.add(email))
        else:
            others.add(email)
    publish_all(world, contracts)
    return consenting, chats, others


def consenting_client(world: Any, email: str, **fields: Any) -> str:
    client_id = new_client(world, name="Марія Шевчук", email=email, **fields)
    given = world.http.put(
        f"{CLIENTS}/clients/{client_id}/consent",
        json={"granted": True, "source": "website form"},
        headers=world.headers(),
    )
    assert given.status_code == 200, given.get_json()
    world.router.deliver_all()
    return client_id


def start_mailing(world: Any, **fields: Any) -> dict[str, Any]:
    response = world.http.post(
        f"{NOTIFY}/mailings",
        json={"name": "Весняні знижки", "template": "spring_sale", **fields},
        headers=world.headers(*HEAD),
    )
    assert response.status_code == 201, response.get_json()
    mailing: dict[str, Any] = response.get_json()
    return mailing


def save_template(world: Any) -> None:
    for channel, subject in (("email", "Весняні знижки"), ("telegram", None)):
        response = world.http.post(
            f"{NOTIFY}/templates",
            json={
                "name": "spring_sale",
                "channel": channel,
                "locale": "uk",
                "subject": subject,
                "body": "Вітаємо, {{ client_name }}! Кухні зі знижкою 15 % до кінця квітня.",
            },
            headers=world.headers(*ADMIN),
        )
        assert response.status_code == 201, response.get_json()


def mailing_of(world: Any, mailing_id: str) -> dict[str, Any]:
    response = world.http.get(f"{NOTIFY}/mailings/{mailing_id}", headers=world.headers(*HEAD))
    assert response.status_code == 200, response.get_json()
    found: dict[str, Any] = response.get_json()
    return found


def run_until_finished(world: Any, mailing_id: str) -> None:
    for _ in range(50):
        if mailing_of(world, mailing_id)["status"] != "sending" and _ > 0:
            return
        run_schedule("mailings")
    raise AssertionError("the mailing did not finish")


def deliver_everything(clock: Clock | None = None) -> None:
    """The `deliveries` schedule, run until nothing due is left; with a `clock`, a minute
    passes between runs (mailings go at the company's pace per minute)."""
    for _ in range(200):
        counts = run_schedule("deliveries")
        if not any(counts.values()):
            return
        if clock is not None:
            clock.forward(minutes=1)
    raise AssertionError("messages were still due")


def set_pace(world: Any, per_minute: int) -> None:
    response = world.http.put(
        f"{NOTIFY}/settings/mailing-pace", json={"per_minute": per_minute}, headers=world.headers(*ADMIN)
    )
    assert response.status_code == 200, response.get_json()


def emails_to() -> Counter[str]:
    return Counter(str(mail["To"]) for mail in sent_emails())


def body_to(address: str) -> str:
    mail = next(mail for mail in sent_emails() if str(mail["To"]) == address)
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    content: str = body.get_content()
    return content


def chats_told(provider: Provider) -> Counter[str]:
    return Counter(str(body["chat_id"]) for _, _, body in provider.to("telegram"))


class StepDies:
    """The mailing step's process dies right after its `after`-th write of recipients (25 to
    a transaction): DynamoDB committed it, the step never learns, as when a Lambda is
    killed mid-step. The fault is in the emulator, not in our code."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, after: int) -> None:
        from moto.dynamodb.models import DynamoDBBackend

        self.written = 0
        original = DynamoDBBackend.transact_write_items

        def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
            original(backend, transact_items)
            if "MAILED#" in str(transact_items):
                self.written += 1
                if self.written == after:
                    raise RuntimeError("the step's Lambda was killed")

        monkeypatch.setattr(DynamoDBBackend, "transact_write_items", transact_write_items)
        self._undo = lambda: monkeypatch.setattr(DynamoDBBackend, "transact_write_items", original)

    def revive(self) -> None:
        self._undo()


# ------------------------------------------------------------------------------ the mailing


def tomorrow_morning() -> datetime:
    """10:00:10 in Kyiv tomorrow. Messengers wait out the quiet hours (21:00–08:00), so a
    test that sends to Telegram must not start at the hour it happens to run."""
    day = datetime.now(ZoneInfo("Europe/Kyiv")).date() + timedelta(days=1)
    return datetime.combine(day, time(10, 0, 10), tzinfo=ZoneInfo("Europe/Kyiv")).astimezone(UTC)


def test_a_thousand_client_mailing_reaches_each_consenting_client_once_despite_a_crash(
    world, provider, monkeypatch
):
    # given 1,000 clients (some never agreed, some withdrew) and one who will unsubscribe
    clock = Clock(world, start=tomorrow_morning())
    save_template(world)
    consenting, chats, others = seed_audience(world, SIZE)
    maria = "maria@example.com"
    consenting_client(world, maria, tags=["VIP"])
    # when the mailing starts and its step dies half way, then runs again
    mailing = start_mailing(world)
    crash = StepDies(monkeypatch, after=max(1, (len(consenting) + len(chats)) // 50))
    with pytest.raises(Exception, match=r"killed|InternalFailure|500"):
        run_schedule("mailings")
    crash.revive()
    run_until_finished(world, mailing["id"])
    deliver_everything(clock)
    # then every consenting client got exactly one message, and nobody else any
    got = emails_to()
    assert set(got) == consenting | {maria}
    assert set(got.values()) == {1}
    assert not others & set(got)
    told = chats_told(provider)
    assert set(told) == chats and set(told.values()) == {1}
    progress = mailing_of(world, mailing["id"])
    reached = len(consenting) + len(chats) + 1
    assert (progress["status"], progress["queued"], progress["sent"], progress["failed"]) == (
        "finished",
        reached,
        reached,
        0,
    )
    assert progress["total"] == reached
    # when Maria unsubscribes through the link in her e-mail (its page, then its button)
    link = urlsplit(LINK.search(body_to(maria)).group(0))  # type: ignore[union-attr]
    page = world.http.get(f"{link.path}?{link.query}")
    assert page.status_code == 200 and "Відписатися" in page.get_data(as_text=True)
    confirmed = world.http.post(f"{link.path}?{link.query}", data={"confirm": "yes"})
    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)
    world.router.deliver_all()
    # and the next mailing goes out to the VIPs, Maria's segment
    before = emails_to()
    second = start_mailing(world, name="Закритий розпродаж", audience={"tag": "vip"})
    run_until_finished(world, second["id"])
    deliver_everything(clock)
    # then it reaches every consenting VIP once, but not Maria
    vips = {email for email in consenting if int(email[6:10]) % 20 == 7}
    again = emails_to() - before
    assert maria not in again
    assert vips and set(again) == vips and set(again.values()) == {1}


def test_the_preview_counts_only_consenting_clients_of_the_segment(world):
    # given
    publish_all(
        world,
        [
            ClientContactsChanged(
                client_id=f"c{i}",
                name=f"Клієнт {i}",
                emails=[f"c{i}@example.com"],
                marketing_consent=i != 2,
                tags=["VIP"] if i < 3 else [],
                source_channel="website" if i % 2 == 0 else "instagram",
                client_version=1,
            )
            for i in range(6)
        ],
    )

    # when
    def preview(**audience: str) -> dict[str, Any]:
        response = world.http.post(f"{NOTIFY}/mailings/preview", json=audience, headers=world.headers(*HEAD))
        assert response.status_code == 200, response.get_json()
        answer: dict[str, Any] = response.get_json()
        return answer

    # then
    assert preview() == {"recipients": 5, "estimated": False}
    assert preview(tag="vip") == {"recipients": 2, "estimated": False}
    assert preview(source="website") == {"recipients": 2, "estimated": False}
    assert preview(tag="VIP", source="instagram") == {"recipients": 1, "estimated": False}


def test_a_segment_mailing_reaches_only_clients_with_that_tag(world, provider):
    # given
    Clock(world)
    save_template(world)
    publish_all(
        world,
        [
            ClientContactsChanged(
                client_id=f"c{i}",
                name=f"Клієнт {i}",
                emails=[f"c{i}@example.com"],
                marketing_consent=True,
                tags=["vip"] if i % 2 else [],
                source_channel="website",
                client_version=1,
            )
            for i in range(6)
        ],
    )
    # when
    mailing = start_mailing(world, channel="email", audience={"tag": "VIP", "source": "website"})
    run_until_finished(world, mailing["id"])
    deliver_everything()
    # then
    assert set(emails_to()) == {"c1@example.com", "c3@example.com", "c5@example.com"}
    recipients = world.http.get(f"{NOTIFY}/mailings/{mailing['id']}/recipients", headers=world.headers(*HEAD))
    assert {(r["client_id"], r["status"]) for r in recipients.get_json()["items"]} == {
        ("c1", "sent"),
        ("c3", "sent"),
        ("c5", "sent"),
    }


def test_a_mailing_set_for_later_waits_for_its_time(world, provider):
    # given
    clock = Clock(world)
    save_template(world)
    consenting_client(world, "maria@example.com")
    start_at = (clock.now + timedelta(hours=2)).isoformat()
    mailing = start_mailing(world, start_at=start_at)
    # when
    run_schedule("mailings")
    # then
    assert mailing_of(world, mailing["id"])["status"] == "scheduled"
    clock.forward(hours=2, minutes=1)
    run_until_finished(world, mailing["id"])
    deliver_everything()
    assert set(emails_to()) == {"maria@example.com"}


def test_cancelling_a_mailing_drops_its_messages_not_sent_yet(world, provider):
    # given
    Clock(world)
    save_template(world)
    consenting_client(world, "maria@example.com")
    second = start_mailing(world)
    run_schedule("mailings")
    # when: cancelled after queueing began but before the deliveries ran
    response = world.http.post(f"{NOTIFY}/mailings/{second['id']}/cancel", headers=world.headers(*HEAD))
    deliver_everything()
    again = world.http.post(f"{NOTIFY}/mailings/{second['id']}/cancel", headers=world.headers(*HEAD))
    # then
    progress = mailing_of(world, second["id"])
    assert response.status_code == 200 and again.status_code == 409
    assert emails_to() == Counter()
    assert (progress["status"], progress["queued"], progress["cancelled_messages"], progress["sent"]) == (
        "cancelled",
        1,
        1,
        0,
    )


def test_a_mailing_with_an_unknown_template_or_a_naive_time_is_refused(world):
    # when
    unknown = world.http.post(
        f"{NOTIFY}/mailings", json={"name": "x", "template": "no_such_template"}, headers=world.headers(*HEAD)
    )
    naive = world.http.post(
        f"{NOTIFY}/mailings",
        json={"name": "x", "template": "order_ready", "start_at": "2026-05-01T09:00:00"},
        headers=world.headers(*HEAD),
    )
    listed = world.http.get(f"{NOTIFY}/mailings", headers=world.headers(*HEAD))
    # then
    assert unknown.status_code == 422 and unknown.headers["Content-Type"] == "application/problem+json"
    assert naive.status_code == 422
    assert listed.get_json()["items"] == []


def test_a_manager_may_not_start_a_mailing(world):
    # when
    response = world.http.post(
        f"{NOTIFY}/mailings", json={"name": "x", "template": "order_ready"}, headers=world.headers()
    )
    # then
    assert response.status_code == 403


# ------------------------------------------------------------------------------ unsubscribe link


def _link(world: Any, client_id: str) -> str:
    params = world.http.get(
        f"{CLIENTS}/clients/{client_id}/unsubscribe-link", headers=world.headers()
    ).get_json()
    return f"{CLIENTS}/public/unsubscribe?client={params['client']}&signature={params['signature']}"


def _consent(world: Any, client_id: str) -> Any:
    return world.http.get(f"{CLIENTS}/clients/{client_id}", headers=world.headers()).get_json()["consent"]


def test_opening_the_unsubscribe_link_shows_a_confirmation_and_changes_nothing(world):
    # given
    client_id = consenting_client(world, "maria@example.com")
    # when
    page = world.http.get(_link(world, client_id))
    # then
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    html = page.get_data(as_text=True)
    assert 'lang="uk"' in html and '<form method="post">' in html
    assert _consent(world, client_id)["granted"] is True


def test_a_one_click_unsubscribe_from_the_mail_client_withdraws_consent(world):
    # given
    client_id = consenting_client(world, "maria@example.com")
    # when
    response = world.http.post(
        _link(world, client_id),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    world.router.deliver_all()
    # then
    assert response.status_code == 200
    assert _consent(world, client_id)["granted"] is False
    assert (
        world.http.post(f"{NOTIFY}/mailings/preview", json={}, headers=world.headers(*HEAD)).get_json()[
            "recipients"
        ]
        == 0
    )


def test_a_tampered_unsubscribe_link_is_refused_and_changes_nothing(world):
    # given
    client_id = consenting_client(world, "maria@example.com")
    link = _link(world, client_id)
    forged = link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB")
    # when
    page = world.http.get(forged)
    posted = world.http.post(
        forged, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    # then
    assert page.status_code == 403 and posted.status_code == 403
    assert _consent(world, client_id)["granted"] is True


def test_a_message_to_one_client_does_not_wait_behind_a_mailing(world, provider):
    # given: a mailing has queued more messages than its pace lets out in a minute
    Clock(world)
    save_template(world)
    set_pace(world, 20)
    publish_all(
        world,
        [
            ClientContactsChanged(
                client_id=f"c{i:03d}",
                name=f"Клієнт {i}",
                emails=[f"c{i:03d}@example.com"],
                marketing_consent=True,
                client_version=1,
            )
            for i in range(60)
        ],
    )
    mailing = start_mailing(world, channel="email")
    run_until_finished(world, mailing["id"])
    olena = new_client(world, email="olena@example.com")
    # when her order is ready, after the mailing was queued
    world.publish(
        MessageRequested(
            message_id="ready-1", client_id=olena, template="order_ready", variables={"deal_title": "Кухня"}
        )
    )
    run_schedule("deliveries")
    # then the first run of the deliveries tells her
    assert "olena@example.com" in emails_to()
    assert mailing_of(world, mailing["id"])["sent"] == 20


def test_mailings_go_out_at_the_company_pace_however_often_the_sweep_runs(world, provider):
    # given a pace of 10 a minute and a mailing to 25 clients
    clock = Clock(world)
    save_template(world)
    set_pace(world, 10)
    consenting_cards(world, 25)
    mailing = start_mailing(world, channel="email")
    run_until_finished(world, mailing["id"])
    # when the sweep runs three times within one minute, then once in the next
    for _ in range(3):
        run_schedule("deliveries")
    in_first_minute = mailing_of(world, mailing["id"])["sent"]
    clock.forward(minutes=1)
    run_schedule("deliveries")
    # then
    assert (in_first_minute, mailing_of(world, mailing["id"])["sent"]) == (10, 20)


def test_a_pace_beyond_the_limits_is_refused(world):
    # when
    response = world.http.put(
        f"{NOTIFY}/settings/mailing-pace", json={"per_minute": 0}, headers=world.headers(*ADMIN)
    )
    # then
    assert response.status_code == 422
    assert world.http.get(f"{NOTIFY}/settings/mailing-pace", headers=world.headers(*HEAD)).get_json() == {
        "per_minute": 600
    }


def test_an_erased_client_leaves_the_mailing_audience(world):
    # given
    from lanka_platform.contracts.clients import ClientErased

    publish_all(
        world,
        [
            ClientContactsChanged(
                client_id=f"c{i}",
                name="Клієнт",
                emails=[f"c{i}@example.com"],
                marketing_consent=True,
                client_version=1,
            )
            for i in range(2)
        ],
    )
    # when
    world.publish(ClientErased(client_id="c0", placeholder_name="Видалений клієнт"))
    # then
    preview = world.http.post(f"{NOTIFY}/mailings/preview", json={}, headers=world.headers(*HEAD))
    assert preview.get_json()["recipients"] == 1
    assert not [
        i for i in world.items("notifications") if i["pk"].startswith("AUDIENCE#") and i["sk"] == "c0"
    ]


# ------------------------------------------------------------------------------ segments


def preview_of(world: Any, **audience: Any) -> int:
    response = world.http.post(f"{NOTIFY}/mailings/preview", json=audience, headers=world.headers(*HEAD))
    assert response.status_code == 200, response.get_json()
    count: int = response.get_json()["recipients"]
    return count


def consenting_cards(world: Any, count: int, **fields: Any) -> None:
    publish_all(
        world,
        [
            ClientContactsChanged(
                client_id=f"c{i}",
                name=f"Клієнт {i}",
                emails=[f"c{i}@example.com"],
                marketing_consent=True,
                client_version=1,
                **fields,
            )
            for i in range(count)
        ],
    )


def test_a_stage_segment_counts_and_reaches_clients_with_an_open_deal_in_that_stage(world, provider):
    # given four consenting clients: two deals in "measure" (one then won), one in "new", one none
    Clock(world)
    save_template(world)
    consenting_cards(world, 4)
    deal = {"pipeline_id": "kitchens", "title": "Кухня", "amount": 0}
    publish_all(
        world,
        [
            DealCreated(deal_id="d0", client_id="c0", stage="measure", **deal),
            DealCreated(deal_id="d1", client_id="c1", stage="new", **deal),
            DealCreated(deal_id="d2", client_id="c2", stage="new", **deal),
            DealStageChanged(
                deal_id="d2",
                pipeline_id="kitchens",
                client_id="c2",
                from_stage="new",
                to_stage="measure",
                amount=0,
                deal_version=2,
            ),
            DealStageChanged(
                deal_id="d2",
                pipeline_id="kitchens",
                client_id="c2",
                from_stage="measure",
                to_stage="won",
                outcome="won",
                amount=0,
                deal_version=3,
            ),
        ],
    )
    # when
    in_measure = preview_of(world, pipeline_id="kitchens", stages=["measure"])
    in_pipeline = preview_of(world, pipeline_id="kitchens")
    mailing = start_mailing(
        world, channel="email", audience={"pipeline_id": "kitchens", "stages": ["measure"]}
    )
    run_until_finished(world, mailing["id"])
    deliver_everything()
    # then
    assert (in_measure, in_pipeline) == (1, 2)
    assert mailing["total"] == in_measure
    assert set(emails_to()) == {"c0@example.com"}


def test_a_no_contact_segment_holds_clients_not_heard_from_since_the_day(world, provider):
    # given: c0 wrote yesterday, c1 last called 120 days ago, c2 was never contacted
    clock = Clock(world)
    consenting_cards(world, 3)
    now = clock.now
    publish_all(
        world,
        [
            envelope(
                MessageReceived(message_id="m0", client_id="c0", channel="telegram", text="Привіт"),
                occurred_at=now - timedelta(days=1),
            ),
            envelope(
                CallLogged(call_id="k1", client_id="c1", direction="in"),
                occurred_at=now - timedelta(days=120),
            ),
        ],
    )
    ninety_days_ago = (now - timedelta(days=90)).date().isoformat()
    # when
    silent = preview_of(world, contacted_before=ninety_days_ago)
    recent = preview_of(world, contacted_since=ninety_days_ago)
    # then
    assert (silent, recent) == (2, 1)


def test_a_message_sent_to_a_client_is_a_contact(world, provider):
    # given
    clock = Clock(world)
    olena = new_client(world, email="olena@example.com")
    given = world.http.put(
        f"{CLIENTS}/clients/{olena}/consent",
        json={"granted": True, "source": "call"},
        headers=world.headers(),
    )
    world.router.deliver_all()
    assert given.status_code == 200
    today = clock.now.date().isoformat()
    before = preview_of(world, contacted_since=today)
    # when her order is ready and she is told
    world.publish(
        MessageRequested(
            message_id="ready-1", client_id=olena, template="order_ready", variables={"deal_title": "Кухня"}
        )
    )
    deliver_everything()
    # then
    assert (before, preview_of(world, contacted_since=today)) == (0, 1)


def test_a_custom_field_segment_follows_the_value_on_the_client_card(world):
    # given an admin's custom field and two consenting clients entered with it
    fields = {
        "version": 0,
        "fields": [{"key": "room", "label": "Приміщення", "type": "select", "options": ["кухня", "шафа"]}],
    }
    saved = world.http.put(f"{CLIENTS}/custom-fields", json=fields, headers=world.headers("root", "admin"))
    assert saved.status_code == 200, saved.get_json()
    kitchen = consenting_client(world, "kitchen@example.com", custom={"room": "кухня"})
    consenting_client(world, "wardrobe@example.com", custom={"room": "шафа"})
    # when the first one's value changes on the card
    before = preview_of(world, custom={"room": "КУХНЯ"})
    version = world.http.get(f"{CLIENTS}/clients/{kitchen}", headers=world.headers()).get_json()["version"]
    edited = world.http.patch(
        f"{CLIENTS}/clients/{kitchen}",
        json={"version": version, "custom": {"room": "шафа"}},
        headers=world.headers(),
    )
    assert edited.status_code == 200, edited.get_json()
    world.router.deliver_all()
    # then
    assert (
        before,
        preview_of(world, custom={"room": "кухня"}),
        preview_of(world, custom={"room": "шафа"}),
    ) == (
        1,
        0,
        2,
    )


def test_tags_may_be_asked_for_any_or_all(world):
    # given
    publish_all(
        world,
        [
            ClientContactsChanged(
                client_id=f"c{i}",
                name="Клієнт",
                emails=[f"c{i}@example.com"],
                marketing_consent=True,
                tags=tags,
                client_version=1,
            )
            for i, tags in enumerate([["vip"], ["opt"], ["vip", "opt"], []])
        ],
    )
    # then
    assert preview_of(world, tags=["VIP", "opt"]) == 3
    assert preview_of(world, tags=["vip", "opt"], tags_match="all") == 1


def test_a_segment_of_stages_without_a_pipeline_is_refused(world):
    # when
    response = world.http.post(
        f"{NOTIFY}/mailings/preview", json={"stages": ["measure"]}, headers=world.headers(*HEAD)
    )
    # then
    assert response.status_code == 422 and response.headers["Content-Type"] == "application/problem+json"


# ------------------------------------------------------------------------------ test send


def test_a_test_send_reaches_the_staff_address_marked_as_a_test_and_counts_nowhere(world, provider):
    # given a mailing set for tomorrow, to one consenting client
    clock = Clock(world)
    save_template(world)
    maria = consenting_client(world, "maria@example.com")
    mailing = start_mailing(world, start_at=(clock.now + timedelta(days=1)).isoformat())
    # when the head sends it to herself first
    response = world.http.post(
        f"{NOTIFY}/mailings/{mailing['id']}/test",
        json={"email": "hanna@lanka.example"},
        headers=world.headers(*HEAD),
    )
    deliver_everything()
    # then she gets it, marked a test, with a footer link that names no client
    assert response.status_code == 202, response.get_json()
    assert set(emails_to()) == {"hanna@lanka.example"}
    mail = sent_emails()[0]
    assert str(mail["Subject"]).startswith("[Тест / Test]")
    body = body_to("hanna@lanka.example")
    assert "Вітаємо" in body and "Unsubscribe" in body and "client=" not in body and maria not in body
    progress = mailing_of(world, mailing["id"])
    assert (progress["queued"], progress["sent"], progress["status"]) == (0, 0, "scheduled")


def test_a_test_send_to_something_that_is_not_an_email_is_refused(world):
    # given
    Clock(world)
    save_template(world)
    mailing = start_mailing(world)
    # when
    response = world.http.post(
        f"{NOTIFY}/mailings/{mailing['id']}/test",
        json={"email": "not an address"},
        headers=world.headers(*HEAD),
    )
    # then
    assert response.status_code == 422 and response.headers["Content-Type"] == "application/problem+json"


# ------------------------------------------------------------------------------ SES reports


def ses_reports(world: Any, *reports: tuple[str, str, str]) -> None:
    """SES's events for (kind, SES message id, address), as SES puts them on the account's
    default bus through the configuration set's EventBridge destination."""
    events = boto3.client("events")
    names = {
        "Delivery": "Email Delivered",
        "Bounce": "Email Bounced",
        "Complaint": "Email Complaint Received",
    }
    entries = []
    for kind, ses_id, address in reports:
        at = "2026-04-20T09:00:01.000Z"
        detail: dict[str, Any] = {
            "eventType": kind,
            "mail": {
                "timestamp": "2026-04-20T09:00:00.000Z",
                "source": "no-reply@lanka.example",
                "sendingAccountId": "123456789012",
                "messageId": ses_id,
                "destination": [address],
                "headersTruncated": False,
                "headers": [{"name": "To", "value": address}],
                "commonHeaders": {"to": [address], "subject": "Весняні знижки"},
                "tags": {"ses:configuration-set": ["lanka-mail"]},
            },
        }
        if kind == "Delivery":
            detail["delivery"] = {
                "timestamp": at,
                "processingTimeMillis": 546,
                "recipients": [address],
                "smtpResponse": "250 2.6.0 Message received",
                "reportingMTA": "a8-70.smtp-out.amazonses.com",
            }
        elif kind == "Bounce":
            detail["bounce"] = {
                "bounceType": "Permanent",
                "bounceSubType": "General",
                "bouncedRecipients": [{"emailAddress": address, "action": "failed", "status": "5.1.1"}],
                "timestamp": at,
                "feedbackId": "0102017b-bounce",
                "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com",
            }
        else:
            detail["complaint"] = {
                "complainedRecipients": [{"emailAddress": address}],
                "timestamp": at,
                "feedbackId": "0102017b-complaint",
                "complaintFeedbackType": "abuse",
            }
        entries.append({"Source": "aws.ses", "DetailType": names[kind], "Detail": json.dumps(detail)})
    events.put_events(Entries=entries)
    world.router.deliver_all()


def ses_id_of(world: Any, message_id: str) -> str:
    response = world.http.get(f"{NOTIFY}/messages/{message_id}", headers=world.headers(*ADMIN))
    assert response.status_code == 200, response.get_json()
    found: str = response.get_json()["provider_message_id"]
    return found


def test_ses_reports_move_recipients_to_delivered_bounced_or_complained_and_count_them(world, provider):
    # given a mailing sent to three clients
    Clock(world)
    save_template(world)
    consenting_cards(world, 3)
    mailing = start_mailing(world, channel="email")
    run_until_finished(world, mailing["id"])
    deliver_everything()
    ids = {f"c{i}": ses_id_of(world, f"mailing.{mailing['id']}.c{i}") for i in range(3)}
    # when SES reports: two delivered, one bounced for good, then a complaint and a repeat
    ses_reports(
        world,
        ("Delivery", ids["c0"], "c0@example.com"),
        ("Delivery", ids["c1"], "c1@example.com"),
        ("Bounce", ids["c2"], "c2@example.com"),
    )
    ses_reports(world, ("Complaint", ids["c1"], "c1@example.com"), ("Delivery", ids["c0"], "c0@example.com"))
    # then
    recipients = world.http.get(f"{NOTIFY}/mailings/{mailing['id']}/recipients", headers=world.headers(*HEAD))
    assert {(r["client_id"], r["status"]) for r in recipients.get_json()["items"]} == {
        ("c0", "delivered"),
        ("c1", "complained"),
        ("c2", "bounced"),
    }
    progress = mailing_of(world, mailing["id"])
    assert [progress[k] for k in ("sent", "delivered", "failed", "complained")] == [3, 2, 1, 1]


def test_an_address_that_bounced_for_good_gets_no_more_email(world, provider):
    # given a client whose e-mail bounced
    Clock(world)
    olena = new_client(world, email="olena@example.com")
    world.publish(
        MessageRequested(
            message_id="ready-1", client_id=olena, template="order_ready", variables={"deal_title": "Кухня"}
        )
    )
    deliver_everything()
    ses_reports(world, ("Bounce", ses_id_of(world, "ready-1"), "olena@example.com"))
    # when another message is due to her
    world.publish(
        MessageRequested(
            message_id="ready-2", client_id=olena, template="order_ready", variables={"deal_title": "Шафа"}
        )
    )
    deliver_everything()
    # then it is not sent to the suppressed address
    assert emails_to() == Counter({"olena@example.com": 1})
    second = world.http.get(f"{NOTIFY}/messages/ready-2", headers=world.headers(*ADMIN)).get_json()
    assert second["status"] in ("retrying", "parked") and second["channel_used"] is None


def test_a_client_who_unsubscribes_after_a_mailing_counts_as_unsubscribed_from_it(world, provider):
    # given
    Clock(world)
    save_template(world)
    maria = consenting_client(world, "maria@example.com")
    mailing = start_mailing(world)
    run_until_finished(world, mailing["id"])
    deliver_everything()
    # when she follows the link in the mail (one click)
    link = urlsplit(LINK.search(body_to("maria@example.com")).group(0))  # type: ignore[union-attr]
    world.http.post(
        f"{link.path}?{link.query}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    world.router.deliver_all()
    # then
    assert _consent(world, maria)["granted"] is False
    assert mailing_of(world, mailing["id"])["unsubscribed"] == 1
