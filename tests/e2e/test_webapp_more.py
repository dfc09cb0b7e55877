"""The staff web app's calendar, conversations and quick actions in a real headless
Chromium against the running local stack: booking a client into a free slot, a taken slot
said in plain words, moving, cancelling and blocking time, a measurer's own calendar, the
conversations inbox and a reply, logging a call and messaging from the cards — and an
axe-core check and keyboard use of each new screen. Screenshots go to the same artifacts
directory as test_webapp.py's."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.conftest import RunningStack
from tests.e2e.test_webapp import new_deal, page, serious_violations, shot, sign_in, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("webapp-more")]
__all__ = ["page"]  # the fixture, shared with test_webapp.py


def staff_id(stack: RunningStack, token: str, name: str) -> str:
    _, staff = stack.request("GET", "/api/booking/staff", token=token)
    return str(next(member["id"] for member in staff["items"] if member["name"] == name))


def day_slots(stack: RunningStack, member: str, ahead: int) -> list[dict[str, Any]]:
    """The free measurement slots of the first weekday at least `ahead` days from today that
    has four or more (each test takes a day of its own, so they do not crowd each other)."""
    from datetime import date as Date
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    start = (datetime.now(ZoneInfo("Europe/Kyiv")) + timedelta(days=ahead)).date().isoformat()
    status, answer = stack.request(
        "GET", f"/api/booking/public/slots?services=measurement&from={start}&days=10&staff_id={member}"
    )
    assert status == 200, answer
    days = [day for day in answer["days"] if Date.fromisoformat(day["date"]).weekday() < 5]
    return list(next(day["slots"] for day in days if len(day["slots"]) >= 4))


def kyiv_date(iso: str) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return (
        datetime.fromisoformat(iso.replace("Z", "+00:00"))
        .astimezone(ZoneInfo("Europe/Kyiv"))
        .date()
        .isoformat()
    )


def instant(iso: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def new_client(stack: RunningStack, token: str, name: str) -> dict[str, Any]:
    status, client = stack.request(
        "POST",
        "/api/clients/clients",
        {"name": name, "phone": f"+38067{uuid.uuid4().int % 10_000_000:07d}"},
        token,
    )
    assert status == 201, client
    return dict(client)


def book(
    stack: RunningStack, token: str, client_id: str, member: str, start: str, deal_id: str | None = None
) -> dict[str, Any]:
    body = {
        "services": ["measurement"],
        "start": start,
        "staff_id": member,
        "client_id": client_id,
        "address": "вул. Хрещатик, 1, Київ",
        **({"deal_id": deal_id} if deal_id else {}),
    }
    status, booking = stack.request("POST", "/api/booking/bookings", body, token)
    assert status == 201, booking
    return dict(booking)


def calendar_of(stack: RunningStack, token: str, member: str, date: str) -> list[dict[str, Any]]:
    _, answer = stack.request(
        "GET", f"/api/booking/calendar?owner_id={member}&from={date}&days=1", token=token
    )
    return list(answer["items"])


# ------------------------------------------------------------------------------ calendar


def test_the_office_books_a_client_into_a_free_slot_from_the_client_card(stack, page):
    # given a client without bookings, and a free slot of Андрій
    token = stack.sign_in("head")
    client = new_client(stack, token, f"Календарний {uuid.uuid4().hex[:6]}")
    andrii = staff_id(stack, token, "Андрій")
    slot = day_slots(stack, andrii, 2)[0]
    date = kyiv_date(slot["start"])
    sign_in(page, stack, "head")
    page.goto(f"{stack.url}/#/clients/{client['id']}")
    # when the book action is followed and a free time is chosen
    page.get_by_role("link", name="Записати на візит").click()
    form = page.get_by_role("form", name="Записати клієнта")
    assert wait_for(lambda: form.get_by_label("Клієнт").input_value() == client["name"])
    form.get_by_label("Послуга").select_option("measurement")
    form.get_by_label("Фахівець").select_option(andrii)
    form.get_by_label("Дата").fill(date)
    form.get_by_role("button", name="Показати вільний час").click()
    form.get_by_text("Вільних проміжків").wait_for()
    form.get_by_label("Вільний час").locator(f"option[value='{slot['start']}']").wait_for(state="attached")
    form.get_by_label("Вільний час").select_option(slot["start"])
    form.get_by_label("Адреса").fill("вул. Саксаганського, 5, Київ")
    form.get_by_role("button", name="Записати", exact=True).click()
    # then the booking is made and the day shows it with the client's name and address
    page.get_by_text("Клієнта записано").wait_for()
    entry = page.locator("li.booking", has_text=client["name"])
    entry.wait_for()
    assert "вул. Саксаганського, 5, Київ" in entry.inner_text()
    booked = [item for item in calendar_of(stack, token, andrii, date) if item["client_id"] == client["id"]]
    assert [instant(item["starts_at"]) for item in booked] == [instant(slot["start"])]
    shot(page, "20-calendar-booked")


def test_a_slot_taken_meanwhile_is_said_in_plain_words_and_the_form_is_kept(stack, page):
    # given the booking form open on a free time of Андрій
    token = stack.sign_in("head")
    client = new_client(stack, token, f"Зайнятий {uuid.uuid4().hex[:6]}")
    rival = new_client(stack, token, f"Суперник {uuid.uuid4().hex[:6]}")
    andrii = staff_id(stack, token, "Андрій")
    slot = day_slots(stack, andrii, 14)[-1]
    sign_in(page, stack, "head")
    page.goto(f"{stack.url}/#/calendar/client={client['id']}&owner={andrii}&date={kyiv_date(slot['start'])}")
    form = page.get_by_role("form", name="Записати клієнта")
    assert wait_for(lambda: form.get_by_label("Клієнт").input_value() == client["name"])
    form.get_by_label("Послуга").select_option("measurement")
    form.get_by_label("Фахівець").select_option(andrii)
    form.get_by_label("Дата").fill(kyiv_date(slot["start"]))
    form.get_by_role("button", name="Показати вільний час").click()
    form.get_by_text("Вільних проміжків").wait_for()
    form.get_by_label("Вільний час").locator(f"option[value='{slot['start']}']").wait_for(state="attached")
    form.get_by_label("Вільний час").select_option(slot["start"])
    form.get_by_label("Примітка").fill("Домофон 12")
    # when someone else books that time first
    book(stack, token, rival["id"], andrii, slot["start"])
    form.get_by_label("Адреса").fill("вул. Велика Васильківська, 7")
    form.get_by_role("button", name="Записати", exact=True).click()
    # then the user reads why, and what was typed is still there
    form.get_by_text("Цей час щойно зайняли").wait_for()
    assert form.get_by_label("Примітка").input_value() == "Домофон 12"
    assert form.get_by_label("Адреса").input_value() == "вул. Велика Васильківська, 7"
    shot(page, "21-calendar-taken")


def test_a_booking_is_moved_to_another_free_time(stack, page):
    # given a booking of Андрій's
    token = stack.sign_in("head")
    client = new_client(stack, token, f"Переносний {uuid.uuid4().hex[:6]}")
    andrii = staff_id(stack, token, "Андрій")
    slots = day_slots(stack, andrii, 18)
    booking = book(stack, token, client["id"], andrii, slots[0]["start"])
    date = kyiv_date(booking["starts_at"])
    sign_in(page, stack, "head")
    page.goto(f"{stack.url}/#/calendar/owner={andrii}&date={date}")
    entry = page.locator("li.booking", has_text=client["name"])
    # when it is moved to another free time that day
    entry.get_by_role("button", name="Перенести").click()
    moving = entry.get_by_role("form")
    options = moving.get_by_label("Новий час").locator("option")
    assert wait_for(lambda: options.count() > 1)
    target = options.nth(1).get_attribute("value")
    moving.get_by_label("Новий час").select_option(target)
    moving.get_by_role("button", name="Перенести сюди").click()
    # then it is at the new time
    page.get_by_text("Запис перенесено.").wait_for()
    _, moved = stack.request("GET", f"/api/booking/bookings/{booking['id']}", token=token)
    assert moved["starts_at"] != booking["starts_at"]
    assert moved["version"] == booking["version"] + 1


def test_a_booking_is_cancelled_after_a_second_confirmation(stack, page):
    # given a booking of Андрій's
    token = stack.sign_in("head")
    client = new_client(stack, token, f"Скасовний {uuid.uuid4().hex[:6]}")
    andrii = staff_id(stack, token, "Андрій")
    booking = book(stack, token, client["id"], andrii, day_slots(stack, andrii, 22)[1]["start"])
    sign_in(page, stack, "head")
    page.goto(f"{stack.url}/#/calendar/owner={andrii}&date={kyiv_date(booking['starts_at'])}")
    entry = page.locator("li.booking", has_text=client["name"])
    # when it is cancelled and the cancel confirmed
    entry.get_by_role("button", name="Скасувати запис").click()
    entry.get_by_role("button", name="Так, скасувати").click()
    # then it is cancelled and leaves the day
    page.get_by_text("Запис скасовано.").wait_for()
    entry.wait_for(state="detached")
    _, cancelled = stack.request("GET", f"/api/booking/bookings/{booking['id']}", token=token)
    assert cancelled["status"] == "cancelled"


def test_time_blocked_for_a_specialist_shows_in_his_day(stack, page):
    # given Микола's calendar, a week ahead
    token = stack.sign_in("head")
    mykola = staff_id(stack, token, "Микола")
    date = kyiv_date(day_slots(stack, staff_id(stack, token, "Андрій"), 3)[0]["start"])
    sign_in(page, stack, "head")
    page.goto(f"{stack.url}/#/calendar/owner={mykola}&date={date}")
    page.get_by_role("heading", name="Календар").wait_for()
    # when two hours are blocked with a reason
    page.locator("summary", has_text="Заблокувати час").click()
    block = page.get_by_role("form", name="Заблокувати час")
    block.get_by_label("Дата").fill(date)
    block.get_by_label("З", exact=True).fill("10:00")
    block.get_by_label("До", exact=True).fill("12:00")
    block.get_by_label("Причина").fill("Ремонт авто")
    block.get_by_role("button", name="Заблокувати").click()
    # then the day shows the block, from 10:00 to 12:00 company time
    page.get_by_text("Час заблоковано.").wait_for()
    shown = page.locator("li.booking.block", has_text="Ремонт авто")
    shown.wait_for()
    assert "10:00–12:00" in shown.inner_text()
    blocks = [item for item in calendar_of(stack, token, mykola, date) if item["kind"] == "block"]
    assert any(item["title"] == "Ремонт авто" for item in blocks)
    shot(page, "22-calendar-block")


def test_a_measurer_sees_only_his_own_calendar_with_the_client_and_address(stack, page):
    # given a measurement of a deal's client booked on Петро's calendar (the measurer's own),
    # the job his once the deal's automation has given it to him
    token = stack.sign_in("head")
    deal = new_deal(stack, token, "Замірна")
    petro = staff_id(stack, token, "Петро")
    booking = book(stack, token, deal["client_id"], petro, day_slots(stack, petro, 2)[0]["start"], deal["id"])
    date = kyiv_date(booking["starts_at"])
    measurer = stack.sign_in("measurer")
    card = f"/api/clients/clients/{deal['client_id']}/visit-card"
    assert wait_for(lambda: stack.request("GET", card, token=measurer)[0] == 200, 60)
    client = stack.request("GET", card, token=measurer)[1]
    sign_in(page, stack, "measurer")
    # when he opens the calendar on that day
    page.goto(f"{stack.url}/#/calendar/date={date}")
    # then he sees the visit with the client's name, phone and address, and no one else's calendar
    entry = page.locator("li.booking", has_text="Замір")
    entry.filter(has_text=client["name"]).wait_for()
    assert "вул. Хрещатик, 1, Київ" in entry.filter(has_text=client["name"]).inner_text()
    assert [option.inner_text() for option in page.locator("#cal-owner option").all()] == ["Петро"]
    assert page.get_by_role("button", name="Перенести").count() == 0
    shot(page, "23-calendar-measurer")


def test_the_week_view_shows_seven_days_and_is_used_by_keyboard(stack, page):
    # given the calendar screen
    sign_in(page, stack, "head")
    page.goto(f"{stack.url}/#/calendar")
    page.get_by_role("heading", name="Календар").wait_for()
    # when the week button is reached with Tab and pressed with Enter
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent") == "Тиждень":
            break
    page.keyboard.press("Enter")
    # then seven days are shown, starting on a Monday
    page.locator("section.day").nth(6).wait_for()
    assert page.locator("section.day").count() == 7
    assert page.get_by_role("button", name="Тиждень").get_attribute("aria-pressed") == "true"
    assert page.locator("section.day h2").first.inner_text().startswith("понеділок")


# ------------------------------------------------------------------------------ conversations


def written_in(stack: RunningStack, name: str, text: str) -> str:
    """A website request from a new person; returns their client id once the conversation is filed."""
    status, answer = stack.request(
        "POST",
        "/api/notifications/public/requests",
        {"name": name, "email": f"{uuid.uuid4().hex[:8]}@example.com", "message": text, "consent": True},
    )
    assert status == 202, answer
    token = stack.sign_in("head")

    def filed() -> str | None:
        _, inbox = stack.request("GET", "/api/notifications/conversations?owner=all&limit=100", token=token)
        return next((line["client_id"] for line in inbox["items"] if line["client_name"] == name), None)

    client_id = wait_for(filed, 60)
    assert client_id, "the request was not filed as a conversation"
    return str(client_id)


def test_the_conversations_inbox_marks_the_ones_awaiting_an_answer(stack, page):
    # given a person who wrote through the website
    name = f"Листувальниця {uuid.uuid4().hex[:6]}"
    written_in(stack, name, "Чи робите шафи-купе?")
    sign_in(page, stack, "head")
    # when the head looks at everyone's conversations
    page.get_by_role("link", name="Листування").click()
    page.get_by_label("Чиї розмови").select_option("all")
    # then the conversation is there, marked as awaiting an answer, with what was written
    row = page.locator("li.conversation", has_text=name)
    row.wait_for()
    assert "чекає відповіді" in row.inner_text()
    assert "Чи робите шафи-купе?" in row.inner_text()
    shot(page, "24-conversations")


def test_a_reply_from_the_thread_goes_on_the_clients_channel(stack, page):
    # given a person who wrote by the website form with an e-mail
    name = f"Відповідна {uuid.uuid4().hex[:6]}"
    client_id = written_in(stack, name, "Скільки коштує кухня 3 метри?")
    sign_in(page, stack, "head")
    page.goto(f"{stack.url}/#/conversations/{client_id}")
    page.get_by_text("Скільки коштує кухня 3 метри?").wait_for()
    # when the head answers on the channel the client last used
    page.get_by_label("Текст повідомлення").fill("Від 45 000 грн, запишу вас на замір.")
    page.get_by_role("button", name="Надіслати").click()
    # then the answer shows in the thread and is queued for the client
    page.get_by_text("Повідомлення надіслано").wait_for()
    page.locator("li.message.out", has_text="Від 45 000 грн").wait_for()
    token = stack.sign_in("head")
    _, thread = stack.request("GET", f"/api/notifications/conversations/{client_id}", token=token)
    assert thread["items"][0]["direction"] == "out"
    assert thread["items"][0]["text"] == "Від 45 000 грн, запишу вас на замір."
    assert page.get_by_label("Текст повідомлення").input_value() == ""
    shot(page, "25-conversation-thread")


# ------------------------------------------------------------------------------ quick actions


def test_a_call_logged_from_the_deal_card_is_kept_on_the_deal(stack, page):
    # given a deal
    token = stack.sign_in("head")
    deal = new_deal(stack, token, "Дзвінкова")
    sign_in(page, stack, "head")
    page.goto(f"{stack.url}/#/deals/{deal['id']}")
    # when a call is logged in the deal's calls
    page.get_by_label("Тривалість, хв").fill("4")
    page.get_by_label("Про що домовилися").fill("Замір у четвер")
    page.get_by_role("button", name="Записати дзвінок").click()
    # then the deal holds the call, and the client's phone is a tel: link
    page.get_by_text("Дзвінок записано.").wait_for()
    page.locator("summary", has_text="Дзвінок").click()
    _, calls = stack.request("GET", f"/api/deals/deals/{deal['id']}/calls", token=token)
    assert [(call["duration_seconds"], call["result"]) for call in calls["items"]] == [
        (240, "Замір у четвер")
    ]
    assert page.locator("a[href^='tel:+380']").count() >= 1


def test_a_call_logged_from_the_client_card_goes_on_his_deal(stack, page):
    # given a client with a deal that his timeline shows
    token = stack.sign_in("head")
    deal = new_deal(stack, token, "Клієнтська")
    assert wait_for(
        lambda: any(
            entry["kind"] == "deal"
            for entry in stack.request(
                "GET", f"/api/clients/clients/{deal['client_id']}/timeline", token=token
            )[1]["items"]
        )
    )
    sign_in(page, stack, "head")
    page.goto(f"{stack.url}/#/clients/{deal['client_id']}")
    # when an unanswered outgoing call is logged
    page.locator("summary", has_text="Дзвінок").click()
    page.get_by_label("Розмова відбулася").uncheck()
    page.get_by_role("button", name="Записати дзвінок").click()
    # then the deal holds it
    page.get_by_text("Дзвінок записано.").wait_for()
    _, calls = stack.request("GET", f"/api/deals/deals/{deal['id']}/calls", token=token)
    assert [(call["direction"], call["answered"]) for call in calls["items"]] == [("out", False)]


def test_a_message_composed_on_the_client_card_is_queued_by_sms(stack, page):
    # given a client who never wrote (so the channel is chosen)
    token = stack.sign_in("head")
    client = new_client(stack, token, f"Смсний {uuid.uuid4().hex[:6]}")
    sign_in(page, stack, "head")
    page.goto(f"{stack.url}/#/clients/{client['id']}")
    # when a message is written and sent by SMS
    page.locator("summary", has_text="Написати").click()
    page.get_by_label("Текст повідомлення").fill("Нагадуємо про замір завтра о 10:00.")
    page.get_by_label("Канал").select_option("sms")
    page.get_by_role("button", name="Надіслати").click()
    # then it is in the client's conversation, going by SMS
    page.get_by_text("Повідомлення надіслано (SMS)").wait_for()
    _, thread = stack.request("GET", f"/api/notifications/conversations/{client['id']}", token=token)
    assert [(item["channel"], item["text"]) for item in thread["items"]] == [
        ("sms", "Нагадуємо про замір завтра о 10:00.")
    ]


def test_a_message_without_a_channel_to_a_client_who_never_wrote_is_refused_and_kept(stack, page):
    # given a client who never wrote
    token = stack.sign_in("head")
    client = new_client(stack, token, f"Мовчазний {uuid.uuid4().hex[:6]}")
    sign_in(page, stack, "head")
    page.goto(f"{stack.url}/#/clients/{client['id']}")
    # when a message is sent on "the channel the client last used"
    page.locator("summary", has_text="Написати").click()
    page.get_by_label("Текст повідомлення").fill("Добрий день!")
    page.get_by_role("button", name="Надіслати").click()
    # then the refusal is said beside the channel, and the text is kept
    page.get_by_text("оберіть канал").wait_for()
    assert page.get_by_label("Текст повідомлення").input_value() == "Добрий день!"


# ------------------------------------------------------------------------------ accessibility


@pytest.mark.parametrize("width", [1280, 360])
def test_the_new_screens_have_no_serious_accessibility_violations(stack, browser, width):
    # given a client who wrote in, with a deal, and a booking on Андрій's calendar
    token = stack.sign_in("head")
    name = f"Доступна {uuid.uuid4().hex[:6]}"
    client_id = written_in(stack, name, "Добрий день")
    andrii = staff_id(stack, token, "Андрій")
    booking = book(stack, token, client_id, andrii, day_slots(stack, andrii, 26)[2]["start"])
    deal = new_deal(stack, token, "Доступна угода")
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, stack, "head")
    screens = {
        "calendar": (f"#/calendar/owner={andrii}&date={kyiv_date(booking['starts_at'])}", "Календар"),
        "calendar-book": (f"#/calendar/client={client_id}", "Календар"),
        "conversations": ("#/conversations", "Листування"),
        "thread": (f"#/conversations/{client_id}", f"Листування: {name}"),
        "client-actions": (f"#/clients/{client_id}", name),
        "deal-actions": (f"#/deals/{deal['id']}", deal["title"]),
    }
    found: dict[str, list[str]] = {}
    # when each is drawn, with its forms open
    for screen, (address, title) in screens.items():
        page.goto(f"{stack.url}/{address}")
        page.get_by_role("heading", name=title).first.wait_for()
        page.wait_for_load_state("networkidle")
        closed = page.locator("details:not([open]) > summary")
        while closed.count():
            closed.first.click()
        found[screen] = serious_violations(page)
        shot(page, f"3x-{screen}-{width}")
    context.close()
    # then none has a serious or critical violation
    assert {screen: items for screen, items in found.items() if items} == {}
