"""The staff web app in a real headless Chromium against the running local stack: sign in,
find a client, move a deal on the board (by mouse and by keyboard), a move conflict, tasks,
the feed, errors in plain words, and an axe-core check of every screen. Screenshots of each
screen are kept in tests/e2e/artifacts/ (printed at the end of the run)."""

from __future__ import annotations

import itertools
import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import RunningStack, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("webapp")]

HERE = Path(__file__).resolve().parent
AXE = HERE / "axe.min.js"
ARTIFACTS = HERE / "artifacts" / time.strftime("webapp-%Y%m%d-%H%M%S")
_numbers = itertools.count(1)


__all__ = ["page", "wait_for"]


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="uk-UA")
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    yield opened
    context.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, stack: RunningStack, username: str) -> None:
    passwords = json.loads((stack.data_dir / "demo-users.json").read_text())
    page.goto(stack.url + "/")
    page.get_by_label("Користувач").fill(username)
    page.get_by_label("Пароль").fill(passwords[username])
    page.get_by_role("button", name="Увійти").click()
    page.get_by_role("button", name="Вийти").wait_for()


def new_deal(stack: RunningStack, token: str, title: str, amount: int = 1_500_000) -> dict[str, Any]:
    """A client and a deal of his, made over the API as another screen would."""
    number = next(_numbers)
    status, client = stack.request(
        "POST",
        "/api/clients/clients",
        {"name": f"Клієнт {title}", "phone": f"+38050{uuid.uuid4().int % 10_000_000:07d}"},
        token,
    )
    assert status == 201, client
    assert wait_for(lambda: stack.request("GET", f"/api/deals/clients/{client['id']}", token=token)[0] == 200)
    status, deal = stack.request(
        "POST",
        "/api/deals/deals",
        {"client_id": client["id"], "title": f"{title} {number}", "amount": amount},
        token,
    )
    assert status == 201, deal
    return dict(deal)


def column(page: Any, stage: str) -> Any:
    return page.locator(f"section.column[data-stage='{stage}']")


def card(page: Any, title: str) -> Any:
    return page.locator("li.deal-card", has_text=title)


def drag(page: Any, title: str, stage: str) -> None:
    """Drag the card by the mouse and drop it at the top of the stage's column (level with
    the card, so that nothing scrolls in between)."""
    card(page, title).drag_to(column(page, stage), target_position={"x": 40, "y": 20})


def stage_keys(stack: RunningStack, token: str) -> list[str]:
    _, pipeline = stack.request("GET", "/api/deals/pipelines/furniture", token=token)
    return [stage["key"] for stage in pipeline["stages"]]


# ------------------------------------------------------------------------------ sign-in, roles


def test_a_manager_signs_in_and_sees_the_requests_inbox_in_ukrainian(stack, page):
    # given
    sign_in(page, stack, "manager1")
    # when
    page.get_by_role("heading", name="Вхідні заявки").wait_for()
    # then
    assert page.locator("html").get_attribute("lang") == "uk"
    page.get_by_role("link", name="Олена Петренко").first.wait_for()
    assert page.get_by_role("navigation").get_by_role("link", name="Клієнти").is_visible()
    shot(page, "01-inbox")


def test_a_measurer_sees_his_tasks_and_feed_but_not_the_clients(stack, page):
    # when
    sign_in(page, stack, "measurer")
    # then
    page.get_by_role("heading", name="Мої завдання").wait_for()
    navigation = page.get_by_role("navigation")
    assert navigation.get_by_role("link", name="Сповіщення").is_visible()
    assert navigation.get_by_role("link", name="Клієнти").count() == 0
    assert navigation.get_by_role("link", name="Воронка").count() == 0


def test_the_english_switch_translates_the_screen(stack, page):
    # given
    sign_in(page, stack, "manager1")
    # when
    page.get_by_role("button", name="English").click()
    # then
    page.get_by_role("heading", name="Requests").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Sign out").is_visible()


def test_the_head_takes_a_new_request_from_the_inbox(stack, page):
    # given
    token = stack.sign_in("head")
    deal = new_deal(stack, token, "Вхідна")
    sign_in(page, stack, "head")
    row = page.locator("li.card", has_text=deal["title"])
    # when
    row.get_by_role("button", name="Взяти собі").click()
    # then
    page.get_by_text("Заявку взято.").wait_for()
    _, after = stack.request("GET", f"/api/deals/deals/{deal['id']}", token=token)
    assert after["owner_id"] is not None
    page.locator("li.card", has_text=deal["title"]).wait_for(state="detached")  # the inbox is read again


# ------------------------------------------------------------------------------ clients


def test_a_client_is_found_by_typing_part_of_the_name(stack, page):
    # given
    sign_in(page, stack, "manager1")
    page.get_by_role("navigation").get_by_role("link", name="Клієнти").click()
    # when
    page.get_by_label("Пошук клієнта").press_sequentially("Петрен", delay=40)
    page.locator("#search-results").get_by_role("link", name="Олена Петренко").click()
    # then
    page.get_by_role("heading", name="Олена Петренко").wait_for()
    assert page.get_by_role("link", name="+380671234567").is_visible()
    shot(page, "02-client-card")


def test_a_note_added_on_the_card_appears_in_the_timeline(stack, page):
    # given
    token = stack.sign_in("manager1")
    _, client = stack.request("POST", "/api/clients/clients", {"name": "Нотатка Тест"}, token)
    sign_in(page, stack, "manager1")
    page.goto(f"{stack.url}/#/clients/{client['id']}")
    # when
    page.get_by_label("Текст нотатки").fill("Передзвонити у вівторок")
    page.get_by_role("button", name="Додати нотатку").click()
    # then
    page.get_by_text("Нотатку додано.").wait_for()
    timeline = page.get_by_role("region", name="Історія")
    timeline.get_by_text("Нотатка: Передзвонити у вівторок").wait_for()
    assert page.get_by_label("Текст нотатки").input_value() == ""


def test_a_refused_amount_is_shown_beside_its_field_and_nothing_typed_is_lost(stack, page):
    # given
    token = stack.sign_in("manager1")
    _, client = stack.request("POST", "/api/clients/clients", {"name": "Сума Тест"}, token)
    wait_for(lambda: stack.request("GET", f"/api/deals/clients/{client['id']}", token=token)[0] == 200)
    sign_in(page, stack, "manager1")
    page.goto(f"{stack.url}/#/clients/{client['id']}")
    page.locator("summary", has_text="Відкрити угоду").click()
    # when: more than the API accepts (10^12 kopiyky)
    page.get_by_label("Назва угоди").fill("Кухня велика")
    page.get_by_label("Сума, грн").fill("99999999999")
    page.get_by_role("button", name="Відкрити угоду").click()
    # then
    amount = page.get_by_label("Сума, грн")
    page.locator(".field-error:not([hidden])").first.wait_for()
    assert amount.get_attribute("aria-invalid") == "true"
    assert page.get_by_text("Перевірте поля, позначені нижче.").is_visible()
    assert page.get_by_label("Назва угоди").input_value() == "Кухня велика"
    assert amount.input_value() == "99999999999"


def test_network_down_is_said_in_plain_words_and_the_note_is_kept(stack, page):
    # given
    token = stack.sign_in("manager1")
    _, client = stack.request("POST", "/api/clients/clients", {"name": "Мережа Тест"}, token)
    sign_in(page, stack, "manager1")
    page.goto(f"{stack.url}/#/clients/{client['id']}")
    page.get_by_label("Текст нотатки").fill("Важлива нотатка")
    page.context.set_offline(True)
    # when
    page.get_by_role("button", name="Додати нотатку").click()
    # then
    page.get_by_text("Немає з'єднання з сервером").first.wait_for()
    assert page.get_by_label("Текст нотатки").input_value() == "Важлива нотатка"
    page.context.set_offline(False)


def test_an_admin_exports_the_clients_and_gets_a_download_link(stack, page):
    # given
    sign_in(page, stack, "admin")
    # when
    page.get_by_role("navigation").get_by_role("link", name="Клієнти").click()
    # then
    page.locator("summary", has_text="Експорт бази").click()
    page.get_by_role("button", name="Експортувати").click()
    page.get_by_role("link", name="Завантажити файл").wait_for(timeout=60_000)
    shot(page, "03-clients-export")


# ------------------------------------------------------------------------------ board


def test_a_deal_dragged_to_the_next_stage_stays_there(stack, page):
    # given
    token = stack.sign_in("head")
    first, second = stage_keys(stack, token)[:2]
    deal = new_deal(stack, token, "Тягни")
    sign_in(page, stack, "head")
    page.get_by_role("navigation").get_by_role("link", name="Воронка").click()
    source = card(page, deal["title"])
    source.wait_for()
    before = column(page, second).locator(".totals").inner_text()
    # when
    drag(page, deal["title"], second)
    # then
    page.get_by_text("переміщено в етап").wait_for()
    assert column(page, second).locator("li.deal-card", has_text=deal["title"]).count() == 1
    assert column(page, second).locator(".totals").inner_text() != before
    _, after = stack.request("GET", f"/api/deals/deals/{deal['id']}", token=token)
    assert after["stage"] == second
    page.reload()
    column(page, second).locator("li.deal-card", has_text=deal["title"]).wait_for()
    assert column(page, first).locator("li.deal-card", has_text=deal["title"]).count() == 0
    shot(page, "04-board")


def test_a_deal_is_moved_with_the_keyboard_menu(stack, page):
    # given
    token = stack.sign_in("head")
    second = stage_keys(stack, token)[1]
    deal = new_deal(stack, token, "Клавіатура")
    sign_in(page, stack, "head")
    page.goto(f"{stack.url}/#/board")
    toggle = card(page, deal["title"]).get_by_role("button", name="Перемістити")
    # when
    toggle.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # the first stage offered: the one after "new"
    # then
    page.get_by_text("переміщено в етап").wait_for()
    _, after = stack.request("GET", f"/api/deals/deals/{deal['id']}", token=token)
    assert after["stage"] == second


def test_a_move_conflict_is_said_in_plain_words_and_the_card_returns(stack, page):
    # given: the board is open, then someone else moves the deal
    token = stack.sign_in("head")
    first, _, third = stage_keys(stack, token)[:3]
    deal = new_deal(stack, token, "Конфлікт")
    sign_in(page, stack, "head")
    page.goto(f"{stack.url}/#/board")
    card(page, deal["title"]).wait_for()
    status, _ = stack.request(
        "PATCH", f"/api/deals/deals/{deal['id']}", {"version": deal["version"], "amount": 1_700_000}, token
    )
    assert status == 200
    # when
    drag(page, deal["title"], third)
    # then
    page.get_by_text("хтось інший щойно змінив цю угоду").wait_for()
    back = column(page, first).locator("li.deal-card", has_text=deal["title"])
    back.get_by_text(re.compile(r"17\s000,00")).wait_for()  # and shows the deal as it now is
    assert column(page, third).locator("li.deal-card", has_text=deal["title"]).count() == 0
    _, after = stack.request("GET", f"/api/deals/deals/{deal['id']}", token=token)
    assert after["stage"] == first
    shot(page, "05-board-conflict")


def test_the_deal_card_shows_its_tasks_and_stage_history(stack, page):
    # given
    token = stack.sign_in("head")
    deal = new_deal(stack, token, "Картка")
    status, _ = stack.request(
        "POST", "/api/deals/tasks", {"title": "Зателефонувати", "deal_id": deal["id"]}, token
    )
    assert status == 201
    sign_in(page, stack, "head")
    # when
    page.goto(f"{stack.url}/#/deals/{deal['id']}")
    # then
    page.get_by_role("heading", name=deal["title"]).wait_for()
    assert page.get_by_text("Зателефонувати").is_visible()
    assert page.get_by_role("heading", name="Історія етапів").is_visible()
    shot(page, "06-deal-card")


# ------------------------------------------------------------------------------ tasks, feed


def test_a_task_completed_with_a_result_leaves_my_tasks(stack, page):
    # given: a task due later today for the manager
    token = stack.sign_in("manager1")
    due = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 600))
    status, task = stack.request(
        "POST", "/api/deals/tasks", {"title": "Надіслати розрахунок", "due_at": due}, token
    )
    assert status == 201, task
    sign_in(page, stack, "manager1")
    page.get_by_role("navigation").get_by_role("link", name="Мої завдання").click()
    item = page.locator("li.task", has_text="Надіслати розрахунок")
    item.wait_for()
    shot(page, "07-tasks")
    # when
    item.get_by_role("button", name="Виконати").click()
    item.get_by_label("Результат").fill("Надіслано на e-mail")
    item.get_by_role("button", name="Позначити виконаним").click()
    # then
    page.get_by_text("Завдання «Надіслати розрахунок» виконано.").wait_for()
    assert page.locator("li.task", has_text="Надіслати розрахунок").count() == 0
    _, done = stack.request("GET", f"/api/deals/tasks/{task['id']}", token=token)
    assert done["status"] == "done" and done["result"] == "Надіслано на e-mail"


def test_the_head_sees_an_alert_in_the_feed_with_an_unread_count(stack, page):
    # given: an admin's export alerts the head
    admin = stack.sign_in("admin")
    status, _ = stack.request("POST", "/api/clients/exports", {}, admin)
    assert status == 202
    head = stack.sign_in("head")
    assert wait_for(
        lambda: stack.request("GET", "/api/notifications/alerts?role=head", token=head)[1]["items"], 60
    )
    # when
    sign_in(page, stack, "head")
    # then
    badge = page.locator("#unread")
    badge.wait_for()
    assert int(badge.inner_text()) >= 1
    page.get_by_role("navigation").get_by_role("link", name="Сповіщення").click()
    page.get_by_text("Вивантажено базу клієнтів").first.wait_for()
    shot(page, "08-feed")
    page.reload()
    page.get_by_text("Вивантажено базу клієнтів").first.wait_for()
    assert page.locator("#unread").is_hidden()


# ------------------------------------------------------------------------------ accessibility


def serious_violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{item['id']} ({item['impact']}): {item['help']} — {[node['target'] for node in item['nodes']][:3]}"
        for item in result["violations"]
        if item["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("width", [1280, 360])
def test_every_screen_has_no_serious_accessibility_violations(stack, browser, width):
    # given
    token = stack.sign_in("head")
    deal = new_deal(stack, token, "Доступність")
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(stack.url + "/")
    found: dict[str, list[str]] = {"sign-in": serious_violations(page)}
    shot(page, f"00-sign-in-{width}")
    sign_in(page, stack, "head")
    screens = {
        "inbox": ("#/inbox", "Вхідні заявки"),
        "clients": ("#/clients", "Клієнти"),
        "client": (f"#/clients/{deal['client_id']}", f"Клієнт {deal['title'].rsplit(' ', 1)[0]}"),
        "board": ("#/board", "Воронка"),
        "deal": (f"#/deals/{deal['id']}", deal["title"]),
        "tasks": ("#/tasks", "Мої завдання"),
        "feed": ("#/feed", "Сповіщення"),
    }
    # when
    for name, (address, title) in screens.items():
        page.goto(f"{stack.url}/{address}")
        page.get_by_role("heading", name=title).first.wait_for()
        page.wait_for_load_state("networkidle")
        found[name] = serious_violations(page)
        shot(page, f"{name}-{width}")
    context.close()
    # then
    assert {name: items for name, items in found.items() if items} == {}


def test_a_csv_import_shows_its_progress_and_the_rows_that_failed(stack, page, tmp_path):
    # given
    sheet = tmp_path / "clients.csv"
    rows = ["Ім'я;Телефон", "Імпорт Перший;+380671110001", "Імпорт Другий;не телефон"]
    sheet.write_text("\n".join(rows) + "\n", encoding="utf-8")
    sign_in(page, stack, "manager1")
    page.goto(f"{stack.url}/#/clients")
    page.locator("summary", has_text="Імпорт з CSV").click()
    # when
    page.get_by_label("Файл CSV").set_input_files(str(sheet))
    page.get_by_role("button", name="Завантажити файл").click()
    page.get_by_role("button", name="Почати імпорт").click()
    # then
    page.get_by_role("table", name="Рядки з помилками").wait_for(timeout=60_000)
    assert page.locator("progress").get_attribute("value") == "100"
    assert page.get_by_role("table", name="Рядки з помилками").get_by_role("row").count() == 2
    assert page.get_by_text("нових 1").is_visible()
    shot(page, "09-import")


def test_every_text_of_the_app_is_in_both_languages(stack, page):
    # given
    page.goto(stack.url + "/")
    # when
    missing = page.evaluate(
        """async () => {
            const { DICTIONARIES } = await import('/app/i18n.js');
            const uk = Object.keys(DICTIONARIES.uk), en = Object.keys(DICTIONARIES.en);
            return [uk.filter((key) => !en.includes(key)), en.filter((key) => !uk.includes(key))];
        }"""
    )
    # then
    assert missing == [[], []]


def test_the_head_merges_a_duplicate_found_for_him(stack, page):
    # given: one person entered twice, the phone with a typo
    token = stack.sign_in("head")
    _, kept = stack.request(
        "POST", "/api/clients/clients", {"name": "Дубль Тестовий", "phone": "+380671234500"}, token
    )
    _, twin = stack.request(
        "POST", "/api/clients/clients", {"name": "Тестовий Дубль", "phone": "+380671234509"}, token
    )
    sign_in(page, stack, "head")
    page.goto(f"{stack.url}/#/clients")
    # when
    page.locator("summary", has_text="Дублікати").click()
    page.get_by_role("button", name="Об'єднати в «Дубль Тестовий»").click()
    # then
    page.get_by_text("Клієнтів об'єднано.").wait_for()
    _, merged = stack.request("GET", f"/api/clients/clients/{twin['id']}", token=token)
    # the merged card now opens as the one kept, with both phones
    assert merged["id"] == kept["id"]
    assert {phone["number"] for phone in merged["phones"]} == {"+380671234500", "+380671234509"}
