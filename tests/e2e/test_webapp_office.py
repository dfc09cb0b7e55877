"""The office screens of the staff app in a real headless Chromium against the local stack:
reports (funnel, revenue, KPIs, the "now" view, CSV), the deal card's documents, payments
and calls, the admin's settings, and the furniture order from the request to the
installation driven through the UI. Screenshots are kept beside test_webapp's, in
tests/e2e/artifacts/."""

from __future__ import annotations

import csv
import re
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e import test_webapp as webapp
from tests.e2e.conftest import RunningStack
from tests.e2e.test_webapp import new_deal, serious_violations, shot, sign_in, wait_for

# A page: test_webapp's fixture (the browser and the stack are the worker's, see conftest).
page = webapp.page

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("webapp")]


def won_deal(stack: RunningStack, username: str, title: str, amount: int) -> dict[str, Any]:
    """A deal of the user's, moved straight to the won stage, counted in the reports."""
    token = stack.sign_in(username)
    deal = new_deal(stack, token, title, amount)
    status, moved = stack.request(
        "POST",
        f"/api/deals/deals/{deal['id']}/move",
        {"to_stage": "installed", "version": deal["version"]},
        token,
    )
    assert status == 200, moved
    return dict(moved)


def this_month() -> str:
    """The reports screen's default range: this month up to today, company time."""
    today = datetime.now(ZoneInfo("Europe/Kyiv")).date().isoformat()
    return f"from={today[:8]}01&to={today}"


def won_so_far(stack: RunningStack, token: str) -> int:
    _, report = stack.request("GET", f"/api/deals/reports/revenue?{this_month()}&manager=me", token=token)
    return int(report["total"]["won_amount"])


def wait_won(stack: RunningStack, token: str, amount: int) -> int:
    """The counters follow the deals' events: wait until the won amount is in them."""
    assert wait_for(lambda: won_so_far(stack, token) >= amount, 60)
    return won_so_far(stack, token)


def uah(minor: int) -> re.Pattern[str]:
    """The amount as the Ukrainian screen writes it (12 345,00 with a narrow space)."""
    whole = f"{minor // 100:,}".replace(",", r"\s")
    return re.compile(rf"{whole},{minor % 100:02d}")


# ------------------------------------------------------------------------------ reports


def test_a_manager_sees_his_won_deal_in_his_revenue_and_only_his_own_figures(stack, page):
    # given
    deal = won_deal(stack, "manager2", "Звіт менеджера", 1_234_500)
    token = stack.sign_in("manager2")
    won = wait_won(stack, token, 1_234_500)
    sign_in(page, stack, "manager2")
    # when
    page.get_by_role("navigation").get_by_role("link", name="Звіти").click()
    # then
    revenue = page.get_by_role("table", name="Виграні угоди й отримані оплати")
    revenue.get_by_role("row", name=re.compile("Разом")).get_by_text(uah(won)).first.wait_for()
    manager = page.get_by_label("Менеджер")
    assert manager.locator("option").all_inner_texts() == ["Мої"]
    kpi = page.get_by_role("table", name="Показники кожного менеджера за період")
    assert kpi.locator("tbody tr").count() == 1
    assert deal["outcome"] == "won"


def test_the_head_sees_the_funnel_revenue_by_manager_kpis_and_now(stack, page):
    # given
    won_deal(stack, "manager2", "Звіт керівника", 1_234_500)
    manager2 = stack.sign_in("manager2")
    won = wait_won(stack, manager2, 1_234_500)
    sign_in(page, stack, "head")
    page.goto(f"{stack.url}/#/reports")
    page.get_by_role("table", name="Скільки угод увійшло в кожен етап за період").wait_for()
    # when
    page.get_by_label("Виручка за").select_option("manager")
    page.get_by_role("button", name="Показати").click()
    # then
    revenue = page.get_by_role("table", name="Виграні угоди й отримані оплати")
    revenue.get_by_role("columnheader", name="менеджер").wait_for()
    row = revenue.get_by_role("row", name=re.compile("Менеджер Андрій"))
    row.wait_for()
    assert row.get_by_text(uah(won)).count() >= 1
    funnel = page.get_by_role("table", name="Скільки угод увійшло в кожен етап за період")
    installed = funnel.get_by_role("row", name=re.compile("^Встановлено"))
    assert int(installed.locator("td").first.inner_text()) >= 1
    kpi = page.get_by_role("table", name="Показники кожного менеджера за період")
    assert kpi.get_by_role("row", name=re.compile("Менеджер Андрій")).count() == 1
    assert page.get_by_role("region", name="Зараз").get_by_text("Заявки без відповідального").is_visible()
    shot(page, "20-reports")


def drawn_chart(page: Any, section: str) -> dict[str, Any]:
    """The Chart.js chart drawn in a report's section: its labels and data points."""
    script = """(section) => {
        const canvas = document.querySelector(`section[aria-labelledby=${section}] canvas`);
        const chart = canvas && window.Chart && window.Chart.getChart(canvas);
        if (!chart) return null;
        return {
            role: canvas.getAttribute("role"),
            summary: canvas.getAttribute("aria-label"),
            labels: chart.data.labels,
            series: chart.data.datasets.map((set) => set.data),
        };
    }"""
    page.wait_for_function(f"({script})('{section}') !== null")
    return dict(page.evaluate(script, section))


def test_the_funnel_revenue_and_kpis_are_drawn_as_charts_with_the_tables_figures(stack, page):
    # given
    won_deal(stack, "manager2", "Звіт діаграмою", 2_000_000)
    wait_won(stack, stack.sign_in("manager2"), 2_000_000)
    sign_in(page, stack, "head")
    # when
    page.goto(f"{stack.url}/#/reports")
    funnel_table = page.get_by_role("table", name="Скільки угод увійшло в кожен етап за період")
    funnel_table.wait_for()
    # then: the funnel's chart has a bar per stage, as many deals as the table says
    funnel = drawn_chart(page, "report-funnel")
    stages = funnel_table.locator("tbody tr")
    assert funnel["labels"] == [stages.nth(i).locator("th").inner_text() for i in range(stages.count())]
    assert funnel["series"][0] == [
        int(stages.nth(i).locator("td").first.inner_text()) for i in range(stages.count())
    ]
    assert funnel["role"] == "img" and funnel["summary"].startswith("Діаграма «Воронка продажів»")
    # and the revenue chart shows the won amounts of the table's lines, in hryvnias
    revenue_table = page.get_by_role("table", name="Виграні угоди й отримані оплати")
    revenue = drawn_chart(page, "report-revenue")
    lines = revenue_table.locator("tbody tr:not(.total)")
    assert revenue["labels"] == [lines.nth(i).locator("th").inner_text() for i in range(lines.count())]
    _, report = stack.request(
        "GET", f"/api/deals/reports/revenue?{this_month()}", token=stack.sign_in("head")
    )
    assert revenue["series"][0] == [line["won_amount"] / 100 for line in report["lines"]]
    assert sum(revenue["series"][0]) >= 20_000
    # and the KPI chart has a group of bars per manager in the table
    kpi = drawn_chart(page, "report-kpi")
    managers = page.get_by_role("table", name="Показники кожного менеджера за період").locator("tbody tr th")
    assert kpi["labels"] == managers.all_inner_texts()
    assert serious_violations(page) == []
    shot(page, "21-report-charts")


def test_changed_filters_draw_the_charts_again(stack, page):
    # given
    sign_in(page, stack, "head")
    page.goto(f"{stack.url}/#/reports")
    page.get_by_role("table", name="Виграні угоди й отримані оплати").get_by_role(
        "columnheader", name="місяць"
    ).wait_for()
    drawn_chart(page, "report-revenue")
    # when
    page.get_by_label("Виручка за").select_option("manager")
    page.get_by_role("button", name="Показати").click()
    page.get_by_role("table", name="Виграні угоди й отримані оплати").get_by_role(
        "columnheader", name="менеджер"
    ).wait_for()
    # then
    revenue = drawn_chart(page, "report-revenue")
    rows = page.get_by_role("table", name="Виграні угоди й отримані оплати").locator(
        "tbody tr:not(.total) th"
    )
    assert revenue["labels"] == rows.all_inner_texts()
    assert page.evaluate("Object.keys(Chart.instances).length") == 3


def test_a_report_is_downloaded_as_a_csv_file(stack, page):
    # given
    sign_in(page, stack, "head")
    page.goto(f"{stack.url}/#/reports")
    button = page.get_by_role("button", name="CSV: Показники менеджерів")
    # when
    with page.expect_download() as download:
        button.click()
    # then
    assert download.value.suggested_filename.startswith("kpi-")
    with open(download.value.path(), encoding="utf-8-sig", newline="") as sheet:
        header = next(csv.reader(sheet, delimiter=";"))
    assert header[0] == "Менеджер / Manager"


def test_a_range_ending_before_it_starts_is_refused_and_the_dates_are_kept(stack, page):
    # given
    sign_in(page, stack, "head")
    page.goto(f"{stack.url}/#/reports")
    page.get_by_role("table", name="Скільки угод увійшло в кожен етап за період").wait_for()
    # when
    page.get_by_label("З дня").fill("2026-05-10")
    page.get_by_label("По день").fill("2026-05-01")
    page.get_by_role("button", name="Показати").click()
    # then
    page.get_by_text("Перевірте поля, позначені нижче.").wait_for()
    assert page.get_by_label("З дня").input_value() == "2026-05-10"
    assert page.get_by_label("По день").input_value() == "2026-05-01"
    assert page.get_by_role("table", name="Скільки угод увійшло в кожен етап за період").count() == 0


def test_requests_sent_at_once_to_one_service_each_get_their_own_answer(stack):
    # given: what the reports screen sends together, with different queries
    from concurrent.futures import ThreadPoolExecutor

    token = stack.sign_in("head")
    asked = [
        ("now", ""),
        *[("revenue", f"&group_by={group}") for group in ("day", "week", "month", "source")],
    ] * 3
    paths = [
        f"/api/deals/reports/{name}?{this_month()}{extra}" if name != "now" else "/api/deals/reports/now"
        for name, extra in asked
    ]
    # when
    with ThreadPoolExecutor(max_workers=len(paths)) as pool:
        answers = list(pool.map(lambda path: stack.request("GET", path, token=token), paths))
    # then
    assert [status for status, _ in answers] == [200] * len(paths), answers
    groups = [answer.get("group_by") for _, answer in answers]
    assert groups == [extra.removeprefix("&group_by=") or None for _, extra in asked]


def test_the_reports_filters_work_from_the_keyboard(stack, page):
    # given
    sign_in(page, stack, "head")
    page.goto(f"{stack.url}/#/reports")
    revenue = page.get_by_role("table", name="Виграні угоди й отримані оплати")
    revenue.get_by_role("columnheader", name="місяць").wait_for()
    # when: the grouping chosen with the arrow keys, the form sent with Enter
    page.get_by_label("Виручка за").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Показати"
    page.keyboard.press("Enter")
    # then
    revenue.get_by_role("columnheader", name="тиждень").wait_for()


# ------------------------------------------------------------------------------ the deal card


def pdf_opens(documents: Any) -> bool:
    """Ask the card for the first document's PDF link and fetch the file it leads to."""
    documents.get_by_role("button", name=re.compile("Отримати PDF")).first.click()
    link = documents.get_by_role("link", name=re.compile(r"\.pdf$"))
    link.wait_for()
    try:
        with urllib.request.urlopen(str(link.get_attribute("href")), timeout=30) as response:
            return bool(response.read(5) == b"%PDF-")
    except urllib.error.HTTPError:
        return False


def test_a_payment_recorded_on_the_deal_card_lowers_what_is_still_to_pay(stack, page):
    # given a deal with an invoice
    token = stack.sign_in("manager1")
    deal = new_deal(stack, token, "Оплата", 2_000_000)
    status, invoice = stack.request("POST", f"/api/deals/deals/{deal['id']}/documents", {}, token)
    assert status == 201, invoice
    sign_in(page, stack, "manager1")
    page.goto(f"{stack.url}/#/deals/{deal['id']}")
    payments = page.get_by_role("region", name="Оплати")
    # when
    payments.get_by_label("Сума оплати, грн").fill("5000")
    payments.get_by_role("button", name="Записати оплату").click()
    # then
    page.get_by_text(re.compile(r"Оплату 5\s000,00.*записано")).wait_for()
    assert re.search(r"15\s000,00", page.locator("#deal-balance").inner_text())
    _, ledger = stack.request("GET", f"/api/deals/deals/{deal['id']}/payments", token=token)
    assert ledger["paid"] == 500_000


def test_a_payment_amount_that_is_not_a_number_is_refused_beside_its_field(stack, page):
    # given
    token = stack.sign_in("manager1")
    deal = new_deal(stack, token, "Погана сума")
    sign_in(page, stack, "manager1")
    page.goto(f"{stack.url}/#/deals/{deal['id']}")
    payments = page.get_by_role("region", name="Оплати")
    # when
    payments.get_by_label("Сума оплати, грн").fill("п'ять тисяч")
    payments.get_by_role("button", name="Записати оплату").click()
    # then
    amount = payments.get_by_label("Сума оплати, грн")
    payments.locator(".field-error:not([hidden])").wait_for()
    assert amount.get_attribute("aria-invalid") == "true"
    assert amount.input_value() == "п'ять тисяч"
    _, ledger = stack.request("GET", f"/api/deals/deals/{deal['id']}/payments", token=token)
    assert ledger["items"] == []


def test_a_document_made_on_the_deal_card_opens_as_a_pdf(stack, page):
    # given
    token = stack.sign_in("manager1")
    deal = new_deal(stack, token, "Документ")
    sign_in(page, stack, "manager1")
    page.goto(f"{stack.url}/#/deals/{deal['id']}")
    documents = page.get_by_role("region", name="Документи")
    # when
    documents.get_by_label("Вид документа").select_option("invoice")
    documents.get_by_role("button", name="Створити документ").click()
    page.get_by_text(re.compile("Документ .* створено")).wait_for()
    # then
    assert pdf_opens(documents)


def test_a_document_is_sent_to_the_client_from_the_deal_card(stack, page):
    # given a deal with an invoice, its client reachable by SMS
    token = stack.sign_in("manager1")
    deal = new_deal(stack, token, "Надіслати")
    status, invoice = stack.request("POST", f"/api/deals/deals/{deal['id']}/documents", {}, token)
    assert status == 201, invoice
    sign_in(page, stack, "manager1")
    page.goto(f"{stack.url}/#/deals/{deal['id']}")
    documents = page.get_by_role("region", name="Документи")
    # when
    documents.get_by_label(f"Канал для документа {invoice['number']}").select_option("sms")
    documents.get_by_role("button", name=f"Надіслати клієнту документ {invoice['number']}").click()
    # then
    page.get_by_text(f"Документ {invoice['number']} надсилається клієнту (SMS).").wait_for()


def test_a_call_logged_on_the_deal_card_is_listed_there(stack, page):
    # given
    token = stack.sign_in("manager1")
    deal = new_deal(stack, token, "Дзвінок")
    sign_in(page, stack, "manager1")
    page.goto(f"{stack.url}/#/deals/{deal['id']}")
    calls = page.get_by_role("region", name="Дзвінки")
    # when
    calls.get_by_label("Тривалість, хв").fill("7")
    calls.get_by_label("Про що домовилися").fill("Замір у четвер")
    calls.get_by_role("button", name="Записати дзвінок").click()
    # then
    page.get_by_text("Дзвінок записано.").wait_for()
    page.get_by_role("region", name="Дзвінки").get_by_text(re.compile("7 хв · Замір у четвер")).wait_for()
    _, listed = stack.request("GET", f"/api/deals/deals/{deal['id']}/calls", token=token)
    assert [(call["duration_seconds"], call["result"]) for call in listed["items"]] == [
        (420, "Замір у четвер")
    ]


# ------------------------------------------------------------------------------ the furniture order


class Staff:
    """The demo staff in their own browser sessions (one context each, as on their devices)."""

    def __init__(self, browser: Any, stack: RunningStack) -> None:
        self.browser = browser
        self.stack = stack
        self.contexts: list[Any] = []
        self.pages: dict[str, Any] = {}

    def __call__(self, username: str) -> Any:
        if username not in self.pages:
            context = self.browser.new_context(viewport={"width": 1280, "height": 800}, locale="uk-UA")
            self.contexts.append(context)
            opened = context.new_page()
            opened.set_default_timeout(30_000)
            sign_in(opened, self.stack, username)
            self.pages[username] = opened
        return self.pages[username]

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def staff(browser: Any, stack: RunningStack) -> Any:
    people = Staff(browser, stack)
    yield people
    people.close()


def step(page: Any, number: int, name: str) -> None:
    shot(page, f"30-furniture-{number:02d}-{name}")


def open_card(page: Any, stack: RunningStack, deal_id: str) -> Any:
    """The deal card, read afresh (going to the address it shows already changes nothing)."""
    page.goto(f"{stack.url}/#/deals/{deal_id}")
    page.reload()
    page.get_by_role("region", name="Оплати").wait_for()
    return page


def card_task(page: Any, title: str) -> Any:
    return page.get_by_role("region", name="Завдання").locator("li", has_text=title)


def tasks_of(stack: RunningStack, deal_id: str) -> list[tuple[str, str, str | None]]:
    _, tasks = stack.request("GET", f"/api/deals/deals/{deal_id}/tasks", token=stack.sign_in("head"))
    return [(task["title"], task["status"], task["assignee_role"]) for task in tasks["items"]]


def complete_on_card(page: Any, stack: RunningStack, deal_id: str, title: str, result: str) -> None:
    """The task arrives by automation: the card is read again until it is there."""
    assert wait_for(
        lambda: (
            open_card(page, stack, deal_id)
            and card_task(page, title)
            .filter(has=page.get_by_role("button", name=f"Виконати завдання «{title}»"))
            .count()
        ),
        60,
    ), f"no open task «{title}» on the card: {tasks_of(stack, deal_id)}"
    item = card_task(page, title).filter(has=page.get_by_role("button", name=f"Виконати завдання «{title}»"))
    take = item.get_by_role("button", name=f"Взяти завдання «{title}»")
    if take.count():
        take.click()
        page.get_by_text("Завдання ваше.").wait_for()
        item = card_task(page, title).filter(
            has=page.get_by_role("button", name=f"Виконати завдання «{title}»")
        )
    item.get_by_role("button", name=f"Виконати завдання «{title}»").click()
    form = page.get_by_role("form", name=f"Виконати завдання «{title}»")
    form.get_by_label("Результат").fill(result)
    form.get_by_role("button", name="Позначити виконаним").click()
    page.get_by_text(f"Завдання «{title}» виконано.").wait_for()


def field_job(page: Any, stack: RunningStack, title: str, result: str) -> None:
    """A field worker finds the job in his role's queue or in his own lists and does it."""

    def settled() -> None:
        page.locator("#task-list [role=status]").wait_for(state="detached")

    def find() -> bool:
        page.goto(f"{stack.url}/#/tasks")
        page.get_by_role("heading", name="Мої завдання").wait_for()
        settled()
        queued = page.locator("section li.task", has_text=title)
        if queued.count():
            queued.first.get_by_role("button", name="Взяти").click()
            page.get_by_text("Завдання ваше.").wait_for()
            settled()
        for tab in ("Сьогодні", "Наступні", "Прострочені"):
            page.get_by_role("tab", name=tab).click()
            settled()
            if page.locator("#task-list li.task", has_text=title).count():
                return True
        return False

    assert wait_for(find, 60), f"no job «{title}»"
    item = page.locator("#task-list li.task", has_text=title).first
    item.get_by_role("button", name="Виконати").click()
    item.get_by_label("Результат").fill(result)
    item.get_by_role("button", name="Позначити виконаним").click()
    page.get_by_text(f"Завдання «{title}» виконано.").wait_for()


def test_a_furniture_order_goes_from_the_request_to_the_installation_through_the_ui(stack, staff, browser):
    head = stack.sign_in("head")

    def stage_is(deal_id: str, stage: str) -> bool:
        return stack.request("GET", f"/api/deals/deals/{deal_id}", token=head)[1]["stage"] == stage

    # 1. a visitor books a measurement on the company's site (the booking widget)
    visitor = browser.new_context(viewport={"width": 1280, "height": 900}, locale="uk-UA")
    site = visitor.new_page()
    site.set_default_timeout(30_000)
    site.goto(f"{stack.url}/demo/")
    booking = site.locator("lanka-booking")
    booking.locator("label.slot").first.click()
    booking.get_by_label("Ім'я").fill("Ярослава Шафета")
    booking.get_by_label("Телефон").fill("067 555 20 26")
    address = booking.get_by_label("Адреса візиту")
    if address.is_visible():
        address.fill("вул. Ярославів Вал, 7, кв. 3")
    booking.get_by_label("Я погоджуюся на обробку моїх даних", exact=False).check()
    booking.get_by_role("button", name="Записатися").click()
    booking.locator("[data-part=confirmation]").wait_for()
    step(site, 1, "booking-widget")
    visitor.close()
    found = wait_for(
        lambda: stack.request("GET", "/api/clients/clients/search?q=5552026", token=head)[1]["items"]
    )
    client_id = found[0]["id"]

    # 2. it is in the requests inbox; the manager opens it and takes the call
    manager = staff("manager1")
    request = manager.locator("li.card", has_text="Ярослава Шафета")
    assert wait_for(lambda: manager.reload() or request.count(), 60)
    step(manager, 2, "inbox")
    request.get_by_role("heading").get_by_role("link").click()
    manager.get_by_role("region", name="Оплати").wait_for()
    deal_id = manager.url.rsplit("/", 1)[1]
    assert wait_for(lambda: stage_is(deal_id, "measurement_booked"), 60)
    complete_on_card(manager, stack, deal_id, "Зв'язатися з клієнтом", "Підтвердили замір, кухня кутова")
    calls = manager.get_by_role("region", name="Дзвінки")
    calls.get_by_label("Тривалість, хв").fill("6")
    calls.get_by_label("Про що домовилися").fill("Замір підтверджено")
    calls.get_by_role("button", name="Записати дзвінок").click()
    manager.get_by_role("region", name="Дзвінки").get_by_text("Замір підтверджено").wait_for()
    step(manager, 3, "deal-contacted")

    # 3. the measurer takes the measurements
    measurer = staff("measurer")
    field_job(measurer, stack, "Замір у клієнта", "Стіна 3,2 м, вікно зліва")
    step(measurer, 4, "measurer-done")
    assert wait_for(lambda: stage_is(deal_id, "measured"), 60)

    # 4. the designer prices the job
    designer = staff("designer")
    field_job(designer, stack, "Прорахувати замовлення", "Кухня з фасадами МДФ: 45 000 грн")
    step(designer, 5, "designer-done")
    assert wait_for(lambda: stage_is(deal_id, "pricing"), 60)

    # 5. the manager calls with the price, sets it, the client agrees: the invoice is made
    complete_on_card(manager, stack, deal_id, "Зателефонувати клієнту з ціною", "Клієнт погодився")
    manager.locator("summary", has_text="Змінити назву чи суму").click()
    manager.get_by_label("Сума, грн").fill("45000")
    manager.get_by_role("button", name="Зберегти").click()
    manager.get_by_text("Збережено.").wait_for()
    manager.locator("#deal-stage").select_option("price_agreed")
    manager.get_by_role("button", name="Перемістити").click()
    manager.get_by_text("переміщено в етап").wait_for()
    assert wait_for(lambda: stage_is(deal_id, "invoiced"), 60)
    documents = manager.get_by_role("region", name="Документи")
    invoice = documents.get_by_role("cell", name="Рахунок")
    made = wait_for(lambda: open_card(manager, stack, deal_id) and invoice.count(), 60)
    assert made, stack.request("GET", f"/api/deals/deals/{deal_id}/documents", token=head)
    assert wait_for(lambda: pdf_opens(documents), 60)  # an automation's PDF is made just after
    step(manager, 6, "invoice")

    # 6. the client pays the invoice in full; the order goes to production
    payments = manager.get_by_role("region", name="Оплати")
    payments.get_by_label("Сума оплати, грн").fill("45000")
    payments.get_by_label("Номер банківської операції (необов'язково)").fill("PB-2026-000451")
    payments.get_by_role("button", name="Записати оплату").click()
    manager.get_by_text(re.compile(r"Оплату 45\s000,00.*записано")).wait_for()
    step(manager, 7, "paid")
    assert wait_for(lambda: stage_is(deal_id, "in_production"), 60)

    # 7. production makes it; the manager agrees the delivery; the installers install it
    production = staff("production")
    field_job(production, stack, "Виготовити замовлення", "Кухню виготовлено")
    step(production, 8, "production-done")
    assert wait_for(lambda: stage_is(deal_id, "ready"), 60)
    complete_on_card(manager, stack, deal_id, "Погодити з клієнтом час доставки", "Субота, 10:00")
    assert wait_for(lambda: stage_is(deal_id, "delivery_agreed"), 60)
    installer = staff("installer")
    field_job(installer, stack, "Доставити й встановити", "Встановлено, клієнт задоволений")
    step(installer, 9, "installer-done")

    # then the deal card shows the order won, paid in full, with every stage in its history
    assert wait_for(lambda: stage_is(deal_id, "installed"), 60)
    open_card(manager, stack, deal_id)
    facts = manager.locator("dl.facts")
    facts.get_by_text("Встановлено (виграно)").wait_for()
    assert re.search(r"0,00", manager.locator("#deal-balance").inner_text())
    history = manager.get_by_role("region", name="Історія етапів")
    for stage in (
        "Нова заявка",
        "Замір призначено",
        "Заміряно",
        "Прорахунок",
        "Рахунок виставлено",
        "Оплачено",
        "У виробництві",
        "Готово",
        "Доставку погоджено",
        "Встановлено",
    ):
        assert history.get_by_text(stage, exact=True).count() >= 1, stage
    step(manager, 10, "won")
    _, deal = stack.request("GET", f"/api/deals/deals/{deal_id}", token=head)
    assert (deal["client_id"], deal["outcome"], deal["amount"]) == (client_id, "won", 4_500_000)
    _, ledger = stack.request("GET", f"/api/deals/deals/{deal_id}/payments", token=head)
    assert (ledger["paid"], ledger["balance"]) == (4_500_000, 0)


# ------------------------------------------------------------------------------ settings


def settings(page: Any, stack: RunningStack, title: str) -> Any:
    sign_in(page, stack, "admin")
    page.get_by_role("navigation", name="Розділи", exact=True).get_by_role(
        "link", name="Налаштування"
    ).click()
    page.get_by_role("navigation", name="Розділи налаштувань").get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title).wait_for()
    return page.get_by_role("region", name=title)


def test_an_admin_saves_the_company_requisites(stack, page):
    # given
    form = settings(page, stack, "Реквізити компанії")
    # when
    form.get_by_label("Назва компанії").fill("ТОВ «Ланка Меблі»")
    form.get_by_label("Код ЄДРПОУ").fill("14360570")
    form.get_by_label("IBAN").fill("UA213223130000026007233566001")
    form.get_by_label("Адреса").fill("м. Київ, вул. Хрещатик, 1")
    form.get_by_role("button", name="Зберегти").click()
    # then
    page.get_by_text("Збережено.").wait_for()
    _, company = stack.request("GET", "/api/deals/settings/company", token=stack.sign_in("admin"))
    assert (company["name"], company["edrpou"], company["address"]) == (
        "ТОВ «Ланка Меблі»",
        "14360570",
        "м. Київ, вул. Хрещатик, 1",
    )
    shot(page, "40-settings-company")


def test_a_wrong_edrpou_is_shown_beside_its_field_and_what_was_typed_is_kept(stack, page):
    # given
    token = stack.sign_in("admin")
    _, before = stack.request("GET", "/api/deals/settings/company", token=token)
    form = settings(page, stack, "Реквізити компанії")
    # when
    form.get_by_label("Назва компанії").fill("ТОВ «Помилка»")
    form.get_by_label("Код ЄДРПОУ").fill("14360571")
    form.get_by_role("button", name="Зберегти").click()
    # then
    edrpou = form.get_by_label("Код ЄДРПОУ")
    form.locator(".field-error:not([hidden])").first.wait_for()
    assert edrpou.get_attribute("aria-invalid") == "true"
    assert "EDRPOU" in form.locator(".field-error:not([hidden])").first.inner_text()
    assert (form.get_by_label("Назва компанії").input_value(), edrpou.input_value()) == (
        "ТОВ «Помилка»",
        "14360571",
    )
    _, after = stack.request("GET", "/api/deals/settings/company", token=token)
    assert after == before


def test_an_admin_renames_a_stage_and_sets_its_time(stack, page):
    # given
    form = settings(page, stack, "Воронки й етапи")
    # when
    form.get_by_label("Назва етапу contacted").fill("Перший дзвінок")
    form.get_by_label("Строк етапу contacted, год").fill("24")
    form.get_by_role("button", name="Зберегти").click()
    # then
    page.get_by_text("Збережено.").wait_for()
    _, pipeline = stack.request("GET", "/api/deals/pipelines/furniture", token=stack.sign_in("admin"))
    contacted = next(stage for stage in pipeline["stages"] if stage["key"] == "contacted")
    assert (contacted["name"], contacted["sla_hours"]) == ("Перший дзвінок", 24)
    shot(page, "41-settings-pipelines")


def test_a_stage_without_a_name_is_refused_beside_it(stack, page):
    # given
    form = settings(page, stack, "Воронки й етапи")
    name = form.get_by_label("Назва етапу measured")
    # when
    name.fill("")
    form.get_by_label("Строк етапу measured, год").fill("36")
    form.get_by_role("button", name="Зберегти").click()
    # then
    form.locator(".field-error:not([hidden])").first.wait_for()
    assert name.get_attribute("aria-invalid") == "true"
    assert form.get_by_label("Строк етапу measured, год").input_value() == "36"


def test_the_requisites_are_saved_from_the_keyboard(stack, page):
    # given
    form = settings(page, stack, "Реквізити компанії")
    director = form.get_by_label("Директор")
    # when: typed, then Enter in the field sends the form
    director.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("Іваненко І. І.")
    page.keyboard.press("Enter")
    # then
    page.get_by_text("Збережено.").wait_for()
    _, company = stack.request("GET", "/api/deals/settings/company", token=stack.sign_in("admin"))
    assert company["director"] == "Іваненко І. І."


def test_a_document_template_is_previewed_and_saved(stack, page):
    # given
    form = settings(page, stack, "Шаблони документів")
    body = form.get_by_label("Текст шаблону")
    text = body.input_value()
    # when
    body.fill(text + "\n<p>Дякуємо, що обрали нас!</p>")
    form.get_by_role("button", name="Попередній перегляд").click()
    # then
    page.frame_locator("iframe.preview").get_by_text("Дякуємо, що обрали нас!").wait_for()
    shot(page, "42-settings-document-template")
    form.get_by_role("button", name="Зберегти").click()
    page.get_by_text("Збережено.").wait_for()
    _, saved = stack.request("GET", "/api/deals/documents/templates/invoice", token=stack.sign_in("admin"))
    assert "Дякуємо, що обрали нас!" in saved["body"] and saved["version"] >= 1


def test_a_document_template_that_does_not_render_is_refused_and_kept(stack, page):
    # given
    form = settings(page, stack, "Шаблони документів")
    body = form.get_by_label("Текст шаблону")
    # when
    body.fill("<p>{{ nobody_knows_me }}</p>")
    form.get_by_role("button", name="Зберегти").click()
    # then
    page.get_by_text("Перевірте поля, позначені нижче.").wait_for()
    assert body.input_value() == "<p>{{ nobody_knows_me }}</p>"
    _, saved = stack.request("GET", "/api/deals/documents/templates/invoice", token=stack.sign_in("admin"))
    assert "nobody_knows_me" not in saved["body"]


def test_a_message_template_is_edited_with_a_preview(stack, page):
    # given
    form = settings(page, stack, "Шаблони повідомлень")
    chosen = page.get_by_label("Шаблон", exact=True).input_value()
    body = form.get_by_label("Текст шаблону")
    # when
    body.fill(body.input_value() + " Гарного дня!")
    form.get_by_role("button", name="Попередній перегляд").click()
    # then
    form.locator("pre.preview-text", has_text="Гарного дня!").wait_for()
    form.get_by_role("button", name="Зберегти").click()
    page.get_by_text("Збережено.").wait_for()
    _, saved = stack.request("GET", f"/api/notifications/templates/{chosen}", token=stack.sign_in("admin"))
    assert saved["edited"] is True and saved["body"].endswith("Гарного дня!")
    shot(page, "43-settings-message-template")


def test_a_manager_has_no_settings(stack, page):
    # given
    sign_in(page, stack, "manager1")
    # when
    page.goto(f"{stack.url}/#/settings/company")
    # then
    page.get_by_role("heading", name="Не знайдено", exact=False).wait_for()
    assert (
        page.get_by_role("navigation", name="Розділи", exact=True)
        .get_by_role("link", name="Налаштування")
        .count()
        == 0
    )


# ------------------------------------------------------------------------------ accessibility


@pytest.mark.parametrize("width", [1280, 360])
def test_the_office_screens_have_no_serious_accessibility_violations(stack, browser, width):
    # given a deal with a document, a payment and a call on its card
    token = stack.sign_in("head")
    deal = new_deal(stack, token, "Доступність офісу")
    assert stack.request("POST", f"/api/deals/deals/{deal['id']}/documents", {}, token)[0] == 201
    assert (
        stack.request("POST", f"/api/deals/deals/{deal['id']}/payments", {"amount": 100_000}, token)[0] == 201
    )
    call = {"direction": "out", "duration_seconds": 60, "result": "Домовилися"}
    assert stack.request("POST", f"/api/deals/deals/{deal['id']}/calls", call, token)[0] == 201
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="uk-UA")
    viewer = context.new_page()
    viewer.set_default_timeout(30_000)
    sign_in(viewer, stack, "admin")
    screens = {
        "reports": ("#/reports", "Показники менеджерів"),
        "deal-work": (f"#/deals/{deal['id']}", "Оплати"),
        "settings-company": ("#/settings/company", "Реквізити компанії"),
        "settings-pipelines": ("#/settings/pipelines", "Воронки й етапи"),
        "settings-documents": ("#/settings/documents", "Шаблони документів"),
        "settings-messages": ("#/settings/messages", "Шаблони повідомлень"),
        "settings-staff": ("#/settings/staff", "Працівники"),
    }
    found: dict[str, list[str]] = {}
    # when
    for name, (address, section) in screens.items():
        viewer.goto(f"{stack.url}/{address}")
        viewer.get_by_role("heading", name=section).first.wait_for()
        viewer.wait_for_load_state("networkidle")
        found[name] = serious_violations(viewer)
        shot(viewer, f"{name}-{width}")
    context.close()
    # then
    assert {name: items for name, items in found.items() if items} == {}


def new_manager(stack: RunningStack, username: str, name: str) -> str:
    """A manager the admin adds, signed in once with a password of his own: his token."""
    first, own = "First-Pass-2026", "Own-Password-2026"
    status, body = stack.request(
        "POST",
        "/api/clients/staff",
        {
            "username": username,
            "name": name,
            "email": f"{username}@demo.lanka.local",
            "roles": ["manager"],
            "password": first,
        },
        stack.sign_in("admin"),
    )
    assert status == 201, body
    status, tokens = stack.request(
        "POST",
        "/api/clients/auth/change-password",
        {"username": username, "old_password": first, "new_password": own},
    )
    assert status == 200, tokens
    return str(tokens["id_token"])


def test_an_admin_ends_a_leavers_access_and_hands_his_work_over(stack, page):
    # given: a manager of the office's own (the stack's demo staff stay for the other tests)
    # owns a deal
    token = new_manager(stack, "taras", "Менеджер Тарас")
    deal = new_deal(stack, token, "Передача")
    table = settings(page, stack, "Працівники")
    row = table.get_by_role("row", name=re.compile("Менеджер Тарас"))
    # when
    row.get_by_role("button", name="Закрити доступ: Менеджер Тарас").click()
    row.get_by_label("Кому передати клієнтів, угоди й завдання").select_option(label="Менеджер Олена")
    row.get_by_role("button", name="Закрити доступ і передати").click()
    # then
    page.get_by_text("Доступ для «Менеджер Тарас» закрито").wait_for()
    table.get_by_role("row", name=re.compile("Менеджер Тарас")).get_by_text("доступ закрито").wait_for()
    shot(page, "44-settings-staff")
    manager1 = stack.sign_in("manager1")
    owner = lambda: stack.request("GET", f"/api/deals/deals/{deal['id']}", token=manager1)[1].get("owner_id")  # noqa: E731
    assert wait_for(lambda: owner() not in (None, deal["owner_id"]), 60)
    assert stack.request("GET", "/api/deals/tasks/mine", token=token)[0] == 401
