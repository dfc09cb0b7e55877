"""The deal card's sections from the other services (the deal's visits, its quotes, the
client's latest messages) and the requests inbox's take and assign, in a real headless
Chromium against the running local stack, with an axe-core check of each. Screenshots go
to the same artifacts directory as test_webapp.py's."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import RunningStack
from tests.e2e.test_webapp import new_deal, page, serious_violations, shot, sign_in, wait_for
from tests.e2e.test_webapp_more import book, day_slots, kyiv_date, staff_id, written_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("webapp-work")]
__all__ = ["page"]  # the fixture, shared with test_webapp.py

WARDROBE = {
    "item": "wardrobe",
    "inputs": {"width": 2400, "height": 2400, "depth": 600},
    "options": ["mirror"],
}


def deal_of(stack: RunningStack, token: str, client_id: str, title: str) -> dict[str, Any]:
    """A deal of a client the deals service already knows."""
    assert wait_for(lambda: stack.request("GET", f"/api/deals/clients/{client_id}", token=token)[0] == 200)
    status, deal = stack.request("POST", "/api/deals/deals", {"client_id": client_id, "title": title}, token)
    assert status == 201, deal
    return dict(deal)


def user_id(stack: RunningStack, token: str, username: str) -> str:
    _, staff = stack.request("GET", "/api/clients/staff?limit=60", token=token)
    return str(next(person["user_id"] for person in staff["items"] if person["username"] == username))


def section(page: Any, name: str) -> Any:
    return page.get_by_role("region", name=name, exact=True)


# ------------------------------------------------------------------------------ the deal card


def test_the_deal_card_shows_the_deals_visit_and_the_clients_latest_messages(stack, page):
    # given a client who wrote in, a deal of his and a visit booked for that deal
    token = stack.sign_in("head")
    name = f"Замовниця {uuid.uuid4().hex[:6]}"
    client_id = written_in(stack, name, "Хочу кухню з островом")
    deal = deal_of(stack, token, client_id, f"Кухня {name}")
    andrii = staff_id(stack, token, "Андрій")
    booking = book(stack, token, client_id, andrii, day_slots(stack, andrii, 12)[1]["start"], deal["id"])
    sign_in(page, stack, "head")
    # when
    page.goto(f"{stack.url}/#/deals/{deal['id']}")
    # then the visit is listed with its day and specialist
    visits = section(page, "Візити")
    day = ".".join(reversed(kyiv_date(booking["starts_at"]).split("-")))
    visits.get_by_text(day).wait_for()
    assert visits.get_by_text("Андрій").count() >= 1
    calendar = visits.get_by_role("link", name=re.compile("у календарі"))
    assert calendar.get_attribute("href") == (
        f"#/calendar/owner={andrii}&date={kyiv_date(booking['starts_at'])}"
    )
    # and the client's message is there, with the way to the whole conversation
    messages = section(page, "Повідомлення клієнта")
    messages.get_by_text("Хочу кухню з островом").wait_for()
    link = messages.get_by_role("link", name="Усе листування з клієнтом")
    assert link.get_attribute("href") == f"#/conversations/{client_id}"
    assert serious_violations(page) == []
    shot(page, "50-deal-visits-messages")


def test_the_deal_card_shows_the_quote_the_client_sent_from_the_calculator(stack, page):
    # given a quote sent from the price calculator, which opened a deal
    token = stack.sign_in("head")
    visitor = {"name": f"Покупець {uuid.uuid4().hex[:6]}", "phone": "093 111 22 33", "consent": True}
    status, receipt = stack.request("POST", "/api/booking/public/quotes", {"lines": [WARDROBE], **visitor})
    assert status == 201, receipt
    quote = wait_for(
        lambda: (
            (q := stack.request("GET", f"/api/booking/quotes/{receipt['id']}", token=token)[1]).get("deal_id")
            and q
        ),
        60,
    )
    assert quote, "the quote was not linked to a deal"
    sign_in(page, stack, "head")
    # when
    page.goto(f"{stack.url}/#/deals/{quote['deal_id']}")
    # then
    quotes = section(page, "Розрахунки вартості")
    quotes.get_by_text(quote["subject"]).wait_for()
    whole = f"{quote['total'] // 100:,}".replace(",", r"\s")
    assert quotes.get_by_text(re.compile(rf"{whole},\d\d")).count() == 1
    assert quotes.get_by_text("очікує рішення клієнта").count() == 1
    assert serious_violations(page) == []
    shot(page, "51-deal-quote")


def test_a_section_that_fails_to_load_says_so_and_the_card_stands(stack, page):
    # given the booking service failing for the quotes, and a deal
    token = stack.sign_in("head")
    deal = new_deal(stack, token, "Без розрахунків")
    sign_in(page, stack, "head")
    page.route("**/api/booking/quotes?**", lambda route: route.fulfill(status=503, body="{}"))
    # when
    page.goto(f"{stack.url}/#/deals/{deal['id']}")
    # then the quotes section says it in plain words; the rest of the card is there
    section(page, "Розрахунки вартості").get_by_text(
        "Розділ «Розрахунки вартості» зараз не завантажився. Помилка на сервері. Спробуйте пізніше."
    ).wait_for()
    section(page, "Візити").get_by_text("Візитів за цією угодою немає.").wait_for()
    assert page.get_by_role("heading", name=deal["title"]).is_visible()
    assert page.get_by_role("button", name="Перемістити").is_visible()


# ------------------------------------------------------------------------------ the inbox


def test_a_manager_takes_a_request_with_one_button_and_it_becomes_his_deal(stack, page):
    # given a request nobody owns
    head = stack.sign_in("head")
    deal = new_deal(stack, head, "Нічия заявка")
    sign_in(page, stack, "manager1")
    row = page.locator("li.card", has_text=deal["title"])
    # when
    row.get_by_role("button", name="Взяти собі").click()
    # then
    page.get_by_text("Заявку взято.").wait_for()
    row.wait_for(state="detached")
    _, after = stack.request("GET", f"/api/deals/deals/{deal['id']}", token=head)
    assert after["owner_id"] == user_id(stack, head, "manager1")


def test_the_head_assigns_a_request_to_a_manager_chosen_by_name(stack, page):
    # given a request nobody owns
    head = stack.sign_in("head")
    deal = new_deal(stack, head, "Заявка для Андрія")
    sign_in(page, stack, "head")
    row = page.locator("li.card", has_text=deal["title"])
    # when the head opens "assign", picks the manager by his name and sends it
    row.get_by_role("button", name="Призначити…").click()
    chooser = row.get_by_label("Кому призначити")
    names = chooser.locator("option").all_inner_texts()
    chooser.select_option(label=next(name for name in names if name.startswith("Менеджер Андрій")))
    assert serious_violations(page) == []
    shot(page, "52-inbox-assign")
    row.get_by_role("button", name="Призначити", exact=True).click()
    # then
    page.get_by_text("Заявку призначено.").wait_for()
    _, after = stack.request("GET", f"/api/deals/deals/{deal['id']}", token=head)
    assert after["owner_id"] == user_id(stack, head, "manager2")
    assert not any(re.fullmatch(r"[0-9a-f-]{36}", name) for name in names)


def test_assigning_without_choosing_anyone_is_refused_beside_the_field(stack, page):
    # given
    head = stack.sign_in("head")
    deal = new_deal(stack, head, "Заявка без вибору")
    sign_in(page, stack, "head")
    row = page.locator("li.card", has_text=deal["title"])
    row.get_by_role("button", name="Призначити…").click()
    # when
    row.get_by_role("button", name="Призначити", exact=True).click()
    # then
    row.get_by_text("Оберіть, кому призначити заявку.").wait_for()
    _, after = stack.request("GET", f"/api/deals/deals/{deal['id']}", token=head)
    assert after["owner_id"] is None


def test_a_request_someone_else_took_first_is_said_in_plain_words(stack, page):
    # given the inbox open on a request that another manager takes meanwhile
    head = stack.sign_in("head")
    deal = new_deal(stack, head, "Заявка навипередки")
    sign_in(page, stack, "manager1")
    row = page.locator("li.card", has_text=deal["title"])
    row.wait_for()
    status, _ = stack.request("POST", f"/api/deals/deals/{deal['id']}/take", token=stack.sign_in("manager2"))
    assert status == 200
    # when
    row.get_by_role("button", name="Взяти собі").click()
    # then
    page.get_by_text("Цю заявку щойно взяв хтось інший — список оновлено.").wait_for()
    row.wait_for(state="detached")
    _, after = stack.request("GET", f"/api/deals/deals/{deal['id']}", token=head)
    assert after["owner_id"] == user_id(stack, head, "manager2")
