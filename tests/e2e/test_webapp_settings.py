"""The admin's settings screens in a real headless Chromium against the local stack:
automation rules as a form, bookable services and working hours, the price book, users
and roles, custom fields and the widgets' allowed origins. Each form keeps what was typed
when the API refuses it and shows the refusal beside its field. Screenshots go to
tests/e2e/artifacts/."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e import test_webapp as webapp
from tests.e2e.conftest import RunningStack
from tests.e2e.test_webapp import serious_violations, shot, sign_in

# A page: test_webapp's fixture (the browser and the stack are the worker's, see conftest).
page = webapp.page

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("webapp")]


def settings(page: Any, stack: RunningStack, title: str) -> Any:
    """The admin's settings section `title`, as the region it is drawn in."""
    sign_in(page, stack, "admin")
    page.get_by_role("navigation", name="Розділи", exact=True).get_by_role(
        "link", name="Налаштування"
    ).click()
    page.get_by_role("navigation", name="Розділи налаштувань").get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title).wait_for()
    return page.get_by_role("region", name=title)


def admin_get(stack: RunningStack, path: str) -> Any:
    status, body = stack.request("GET", path, token=stack.sign_in("admin"))
    assert status == 200, body
    return body


# ------------------------------------------------------------------------------ automation rules


def new_rule(region: Any, name: str, key: str) -> Any:
    region.get_by_role("button", name="Додати правило").click()
    rule = region.get_by_role("group", name="Правило «Нове правило»")
    rule.get_by_label("Назва правила").fill(name)
    rule.get_by_label("Ключ правила").fill(key)
    return rule


def test_an_admin_adds_a_rule_that_sets_a_task_for_the_measurers(stack, page):
    # given
    region = settings(page, stack, "Автоматизація")
    rule = new_rule(region, "Нагадати про замір", "measure_again")
    # when
    rule.get_by_label("Подія").select_option(label="Угода задовго стоїть на етапі")
    rule.get_by_label("Етап", exact=True).select_option("measured")
    rule.get_by_label("Скільки годин угода стоїть на етапі").fill("48")
    action = rule.get_by_role("group", name="Дія")
    action.get_by_label("Текст завдання").fill("Передзвонити після заміру")
    action.get_by_label("Вид завдання").fill("call_after_measure")
    action.get_by_label("Кому").select_option(label="— (лише за роллю)")
    action.get_by_label("Або черзі ролі").select_option(label="замірник")
    action.get_by_label("Строк, хвилин від події").fill("120")
    shot(page, "45-settings-rules")
    region.get_by_role("button", name="Зберегти").click()
    # then
    page.get_by_text("Збережено.").wait_for()
    saved = admin_get(stack, "/api/deals/pipelines/furniture/rules")
    added = next(rule for rule in saved["rules"] if rule["id"] == "measure_again")
    assert added["trigger"] == {"type": "deal_in_stage_for", "stage": "measured", "hours": 48}
    task = added["actions"][0]
    assert (task["type"], task["title"], task["assignee"], task["assignee_role"], task["due_in_minutes"]) == (
        "create_task",
        "Передзвонити після заміру",
        None,
        "measurer",
        120,
    )


def test_a_task_without_its_text_is_refused_beside_it_and_what_was_typed_is_kept(stack, page):
    # given
    before = admin_get(stack, "/api/deals/pipelines/furniture/rules")
    region = settings(page, stack, "Автоматизація")
    rule = new_rule(region, "Без тексту", "no_text")
    action = rule.get_by_role("group", name="Дія")
    action.get_by_label("Вид завдання").fill("call")
    # when
    region.get_by_role("button", name="Зберегти").click()
    # then
    title = action.get_by_label("Текст завдання")
    region.get_by_text("Заповніть це поле.").first.wait_for()
    assert title.get_attribute("aria-invalid") == "true"
    assert (
        rule.get_by_label("Назва правила").input_value(),
        action.get_by_label("Вид завдання").input_value(),
    ) == (
        "Без тексту",
        "call",
    )
    assert admin_get(stack, "/api/deals/pipelines/furniture/rules") == before


def test_rules_that_move_a_deal_round_in_a_loop_are_refused_on_the_rule(stack, page):
    # given
    before = admin_get(stack, "/api/deals/pipelines/furniture/rules")
    region = settings(page, stack, "Автоматизація")
    rule = new_rule(region, "Туди-сюди", "round_and_round")
    rule.get_by_label("Етап", exact=True).select_option("measured")
    action = rule.get_by_role("group", name="Дія")
    action.get_by_label("Що зробити").select_option(label="Перевести угоду на етап")
    action.get_by_label("На етап").select_option("measured")
    # when
    region.get_by_role("button", name="Зберегти").click()
    # then
    region.get_by_text("по колу", exact=False).or_(region.get_by_text("loop", exact=False)).first.wait_for()
    assert action.get_by_label("На етап").input_value() == "measured"
    assert admin_get(stack, "/api/deals/pipelines/furniture/rules") == before


def test_rules_changed_meanwhile_are_not_overwritten_and_the_form_is_kept(stack, page):
    # given: the form is open, then someone else saves the rules
    region = settings(page, stack, "Автоматизація")
    rule = new_rule(region, "Пізно", "too_late")
    rule.get_by_role("group", name="Дія").get_by_label("Текст завдання").fill("Подзвонити")
    rule.get_by_role("group", name="Дія").get_by_label("Вид завдання").fill("call")
    token = stack.sign_in("admin")
    current = admin_get(stack, "/api/deals/pipelines/furniture/rules")
    status, _ = stack.request("PUT", "/api/deals/pipelines/furniture/rules", current, token)
    assert status == 200
    # when
    region.get_by_role("button", name="Зберегти").click()
    # then
    region.get_by_text("Хтось щойно зберіг це раніше за вас", exact=False).wait_for()
    assert rule.get_by_label("Назва правила").input_value() == "Пізно"
    saved = admin_get(stack, "/api/deals/pipelines/furniture/rules")
    assert "too_late" not in {item["id"] for item in saved["rules"]}


# ------------------------------------------------------------------------------ bookable services


def new_service(page: Any, stack: RunningStack, key: str, duration: str) -> Any:
    region = settings(page, stack, "Послуги для запису")
    region.get_by_label("Послуга", exact=True).select_option(label="Нова послуга")
    form = region.get_by_role("form", name="Нова послуга")
    form.get_by_label("Ключ").fill(key)
    form.get_by_label("Назва", exact=True).fill("Консультація дизайнера")
    form.get_by_label("Назва англійською").fill("Designer's consultation")
    form.get_by_label("Тривалість, хв").fill(duration)
    return form


def test_an_admin_adds_a_bookable_service_done_at_the_clients_address(stack, page):
    # given
    form = new_service(page, stack, "consultation", "90")
    form.get_by_label("Ціна, грн").fill("500")
    form.get_by_label("Виїзд на адресу клієнта").check()
    form.get_by_label("Хто виконує: потрібні навички").fill("design")
    form.get_by_label("Скільки клієнтів одночасно").fill("2")
    # when
    form.get_by_role("button", name="Зберегти").click()
    # then
    page.get_by_text("Збережено.").wait_for()
    made = next(
        item
        for item in admin_get(stack, "/api/booking/services?limit=200")["items"]
        if item["key"] == "consultation"
    )
    assert (
        made["duration_minutes"],
        made["price"],
        made["at_client_address"],
        made["required_skills"],
        made["seats"],
    ) == (
        90,
        {"amount": 50_000, "currency": "UAH"},
        True,
        ["design"],
        2,
    )
    shot(page, "46-settings-service")


def test_a_duration_off_the_quarter_hours_is_refused_beside_it_and_kept(stack, page):
    # given
    form = new_service(page, stack, "odd_minutes", "50")
    # when
    form.get_by_role("button", name="Зберегти").click()
    # then
    duration = form.get_by_label("Тривалість, хв")
    form.locator(".field-error:not([hidden])").first.wait_for()
    assert duration.get_attribute("aria-invalid") == "true"
    assert "Кратно 15 хвилинам" in form.locator(".field-error:not([hidden])").first.inner_text()
    assert (duration.input_value(), form.get_by_label("Ключ").input_value()) == ("50", "odd_minutes")
    keys = {item["key"] for item in admin_get(stack, "/api/booking/services?limit=200")["items"]}
    assert "odd_minutes" not in keys


# ------------------------------------------------------------------------------ working hours


def hours_of(page: Any, stack: RunningStack, name: str) -> tuple[Any, str]:
    region = settings(page, stack, "Графіки працівників")
    region.get_by_label("Працівник").select_option(label=name)
    form = region.get_by_role("form", name=f"Графік: {name}")
    form.wait_for()
    return form, region.get_by_label("Працівник").input_value()


def test_an_admin_sets_a_specialists_week_and_vacation(stack, page):
    # given
    form, member_id = hours_of(page, stack, "Андрій")
    # when
    form.get_by_role("group", name="Робочі години за днями тижня").get_by_label("Пн").fill(
        "08:00-12:00, 13:00-17:00"
    )
    form.get_by_role("button", name="Додати відпустку").click()
    vacation = form.get_by_role("group", name="Відпустка", exact=True).last
    vacation.get_by_label("З", exact=True).fill("2027-07-01")
    vacation.get_by_label("По", exact=True).fill("2027-07-14")
    form.get_by_role("button", name="Зберегти").click()
    # then
    page.get_by_text("Збережено.").wait_for()
    hours = admin_get(stack, f"/api/booking/staff/{member_id}")["hours"]
    assert hours["weekly"]["mon"] == [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]
    assert hours["vacations"][-1] == {"first": "2027-07-01", "last": "2027-07-14"}
    shot(page, "47-settings-hours")


def test_hours_that_are_not_a_time_range_are_refused_beside_the_day(stack, page):
    # given
    form, member_id = hours_of(page, stack, "Микола")
    before = admin_get(stack, f"/api/booking/staff/{member_id}")
    monday = form.get_by_role("group", name="Робочі години за днями тижня").get_by_label("Пн")
    # when
    monday.fill("з дев'ятої до шостої")
    form.get_by_role("button", name="Зберегти").click()
    # then
    form.get_by_text("Запишіть як 09:00–18:00").wait_for()
    assert monday.get_attribute("aria-invalid") == "true"
    assert monday.input_value() == "з дев'ятої до шостої"
    assert admin_get(stack, f"/api/booking/staff/{member_id}") == before


def test_an_admin_makes_a_new_specialist_bookable_with_his_hours(stack, page):
    # given
    region = settings(page, stack, "Графіки працівників")
    region.get_by_label("Працівник").select_option(label="Новий працівник для запису")
    form = region.get_by_role("form", name="Новий працівник для запису")
    # when
    form.get_by_label("Ім'я для клієнтів").fill("Остап")
    form.get_by_label("Навички").fill("measure")
    form.get_by_label("Домашній район").select_option("podil")
    form.get_by_role("group", name="Робочі години за днями тижня").get_by_label("Вт").fill("10:00-16:00")
    form.get_by_role("button", name="Зберегти").click()
    # then
    page.get_by_text("Збережено.").wait_for()
    made = next(item for item in admin_get(stack, "/api/booking/staff")["items"] if item["name"] == "Остап")
    assert (made["skills"], made["home_zone"], made["hours"]["weekly"]) == (
        ["measure"],
        "podil",
        {"tue": [{"start": "10:00", "end": "16:00"}]},
    )


def test_an_admin_gives_a_specialist_other_hours_on_one_date_and_a_day_off_on_another(stack, page):
    # given
    form, member_id = hours_of(page, stack, "Андрій")
    changes = form.get_by_role("group", name="Зміни на окремі дати")
    # when
    changes.get_by_role("button", name="Додати зміну на дату").click()
    changes.get_by_role("group", name="Зміна на дату").last.get_by_label("Дата зміни").fill("2027-03-08")
    changes.get_by_role("button", name="Додати зміну на дату").click()
    shorter = changes.get_by_role("group", name="Зміна на дату").last
    shorter.get_by_label("Дата зміни").fill("2027-03-09")
    shorter.get_by_label("Години цього дня").fill("10:00-14:00")
    form.get_by_role("button", name="Зберегти").click()
    # then
    page.get_by_text("Збережено.").wait_for()
    overrides = admin_get(stack, f"/api/booking/staff/{member_id}")["hours"]["overrides"]
    assert overrides[-2:] == [
        {"date": "2027-03-08", "hours": []},
        {"date": "2027-03-09", "hours": [{"start": "10:00", "end": "14:00"}]},
    ]


def test_hours_of_a_date_that_are_not_a_time_range_are_refused_beside_them(stack, page):
    # given
    form, member_id = hours_of(page, stack, "Микола")
    before = admin_get(stack, f"/api/booking/staff/{member_id}")
    changes = form.get_by_role("group", name="Зміни на окремі дати")
    changes.get_by_role("button", name="Додати зміну на дату").click()
    change = changes.get_by_role("group", name="Зміна на дату").last
    change.get_by_label("Дата зміни").fill("2027-04-01")
    # when
    change.get_by_label("Години цього дня").fill("до обіду")
    form.get_by_role("button", name="Зберегти").click()
    # then
    change.get_by_text("Запишіть як 09:00–18:00").wait_for()
    assert change.get_by_label("Години цього дня").get_attribute("aria-invalid") == "true"
    assert admin_get(stack, f"/api/booking/staff/{member_id}") == before


def test_an_admin_gives_a_room_its_own_opening_hours(stack, page):
    # given
    status, room = stack.request(
        "POST", "/api/booking/resources", {"name": "Шоурум", "kind": "room"}, token=stack.sign_in("admin")
    )
    assert status == 201, room
    region = settings(page, stack, "Графіки працівників")
    region.get_by_label("Ресурс", exact=True).select_option(label="Шоурум (room)")
    form = region.get_by_role("form", name="Графік ресурсу «Шоурум»")
    # when
    form.get_by_label("Має власний графік").check()
    form.get_by_role("group", name="Робочі години за днями тижня").get_by_label("Сб").fill("10:00-15:00")
    form.get_by_role("button", name="Зберегти").click()
    # then
    page.get_by_text("Збережено.").wait_for()
    resources = admin_get(stack, "/api/booking/resources")["items"]
    saved = next(item for item in resources if item["id"] == room["id"])
    assert saved["hours"]["weekly"] == {"sat": [{"start": "10:00", "end": "15:00"}]}


def test_an_admin_sets_how_late_a_visitor_may_cancel(stack, page):
    # given
    region = settings(page, stack, "Райони й правила запису")
    form = region.get_by_role("form", name="Правила запису")
    # when
    form.get_by_label("Скасувати чи перенести можна не пізніше ніж за, год").fill("24")
    form.get_by_label("Нагадування клієнту за, хвилин").fill("1440, 60")
    form.get_by_role("button", name="Зберегти").click()
    # then
    page.get_by_text("Збережено.").wait_for()
    policy = admin_get(stack, "/api/booking/settings")
    assert (policy["change_window_hours"], policy["reminder_offsets_minutes"]) == (24, [1440, 60])


def test_an_admin_adds_a_vehicle_that_services_may_need(stack, page):
    # given
    region = settings(page, stack, "Райони й правила запису")
    region.get_by_label("Ресурс", exact=True).select_option(label="Новий ресурс")
    form = region.get_by_role("form", name="Новий ресурс")
    # when
    form.get_by_label("Назва ресурсу").fill("Бус Ford Transit")
    form.get_by_label("Вид", exact=True).fill("vehicle")
    form.get_by_role("button", name="Зберегти").click()
    # then
    page.get_by_text("Збережено.").wait_for()
    kinds = {item["name"]: item["kind"] for item in admin_get(stack, "/api/booking/resources")["items"]}
    assert kinds["Бус Ford Transit"] == "vehicle"


# ------------------------------------------------------------------------------ price book


def book_item(book: dict[str, Any], key: str) -> Any:
    return next(item for item in book["items"] if item["key"] == key)


def item_price(book: dict[str, Any], key: str) -> Any:
    return book_item(book, key)["unit_price"]


def kitchen(region: Any) -> Any:
    return region.get_by_role("group", name="Кухня", exact=True)


def test_an_admin_publishes_a_new_price_and_the_old_version_is_kept(stack, page):
    # given
    before = admin_get(stack, "/api/booking/price-book")
    region = settings(page, stack, "Прайс-лист")
    # when
    kitchen(region).get_by_label("Ціна за одиницю, грн").fill("13000")
    region.get_by_role("button", name="Опублікувати нову версію").click()
    # then
    page.get_by_text("Збережено.").wait_for()
    after = admin_get(stack, "/api/booking/price-book")
    old = admin_get(stack, f"/api/booking/price-book/versions/{before['version']}")
    assert (after["version"], item_price(after, "kitchen"), item_price(old, "kitchen")) == (
        before["version"] + 1,
        1_300_000,
        item_price(before, "kitchen"),
    )
    wardrobe = next(item for item in after["items"] if item["key"] == "wardrobe")
    assert wardrobe["bands"] == next(item for item in before["items"] if item["key"] == "wardrobe")["bands"]
    region.get_by_label("Версія", exact=True).wait_for()
    shot(page, "48-settings-prices")


def test_an_admin_adds_a_promo_code_to_the_price_book(stack, page):
    # given
    before = admin_get(stack, "/api/booking/price-book")
    region = settings(page, stack, "Прайс-лист")
    # when
    region.get_by_role("button", name="Додати промокод").click()
    promo = region.get_by_role("group", name="Промокод").last
    promo.get_by_label("Код").fill("VESNA15")
    promo.get_by_label("Знижка, %").fill("15")
    region.get_by_role("button", name="Опублікувати нову версію").click()
    # then
    page.get_by_text("Збережено.").wait_for()
    after = admin_get(stack, "/api/booking/price-book")
    assert after["version"] == before["version"] + 1
    assert {"code": "VESNA15", "percent": 15}.items() <= after["promo_codes"][-1].items()


def test_an_item_without_a_name_is_not_published(stack, page):
    # given
    before = admin_get(stack, "/api/booking/price-book")
    region = settings(page, stack, "Прайс-лист")
    name = kitchen(region).get_by_label("Назва", exact=True)
    # when
    name.fill("")
    region.get_by_role("button", name="Опублікувати нову версію").click()
    # then
    region.get_by_text("Заповніть це поле.").first.wait_for()
    assert name.get_attribute("aria-invalid") == "true"
    assert admin_get(stack, "/api/booking/price-book")["version"] == before["version"]


def test_an_admin_adds_an_option_that_needs_another_and_a_quantity_discount(stack, page):
    # given
    before = admin_get(stack, "/api/booking/price-book")
    region = settings(page, stack, "Прайс-лист")
    item = kitchen(region)
    # when
    item.locator("summary", has_text="Опції").click()
    item.get_by_role("button", name="Додати опцію").click()
    option = item.get_by_role("group", name="Опція «нова»")
    option.get_by_label("Ключ опції").fill("gloss")
    option.get_by_label("Назва опції", exact=True).fill("Глянцеві фасади")
    option.get_by_label("Назва опції англійською").fill("Gloss fronts")
    option.get_by_label("Як змінює ціну").select_option("multiply")
    option.get_by_label("Множник").fill("1.15")
    option.get_by_label("Лише разом з опціями").fill("soft_close")
    item.locator("summary", has_text="Знижки за кількість").click()
    item.get_by_role("button", name="Додати знижку за кількість").click()
    item.get_by_label("Від скількох штук").fill("3")
    item.get_by_label("Знижка за кількість, %").fill("7")
    region.get_by_role("button", name="Опублікувати нову версію").click()
    # then
    page.get_by_text("Збережено.").wait_for()
    after = book_item(admin_get(stack, "/api/booking/price-book"), "kitchen")
    gloss = next(option for option in after["options"] if option["key"] == "gloss")
    assert (gloss["kind"], str(gloss["factor"]), gloss["requires"], gloss["amount"], after["tiers"]) == (
        "multiply",
        "1.15",
        ["soft_close"],
        None,
        [{"min_quantity": 3, "percent": 7}],
    )
    assert len(after["options"]) == len(book_item(before, "kitchen")["options"]) + 1


def test_an_admin_changes_the_limits_of_a_size_input(stack, page):
    # given
    region = settings(page, stack, "Прайс-лист")
    item = kitchen(region)
    item.locator("summary", has_text="Поля розміру").click()
    size = item.get_by_role("group", name="Поле розміру")
    # when
    size.get_by_label("Найменше").fill("1500")
    size.get_by_label("Найбільше").fill("6000")
    region.get_by_role("button", name="Опублікувати нову версію").click()
    # then
    page.get_by_text("Збережено.").wait_for()
    after = book_item(admin_get(stack, "/api/booking/price-book"), "kitchen")
    assert {"key": "width", "min": 1500, "max": 6000}.items() <= after["inputs"][0].items()


def test_a_multiplying_option_without_its_factor_is_refused_beside_it(stack, page):
    # given
    before = admin_get(stack, "/api/booking/price-book")
    region = settings(page, stack, "Прайс-лист")
    item = kitchen(region)
    item.locator("summary", has_text="Опції").click()
    item.get_by_role("button", name="Додати опцію").click()
    option = item.get_by_role("group", name="Опція «нова»")
    option.get_by_label("Ключ опції").fill("gloss")
    option.get_by_label("Назва опції", exact=True).fill("Глянцеві фасади")
    option.get_by_label("Назва опції англійською").fill("Gloss fronts")
    # when
    option.get_by_label("Як змінює ціну").select_option("multiply")
    region.get_by_role("button", name="Опублікувати нову версію").click()
    # then
    option.get_by_text("Вкажіть множник.").wait_for()
    assert option.get_by_label("Множник").get_attribute("aria-invalid") == "true"
    assert option.get_by_label("Назва опції", exact=True).input_value() == "Глянцеві фасади"
    assert admin_get(stack, "/api/booking/price-book")["version"] == before["version"]


def test_a_size_input_whose_smallest_exceeds_its_largest_is_refused_beside_it(stack, page):
    # given
    before = admin_get(stack, "/api/booking/price-book")
    region = settings(page, stack, "Прайс-лист")
    item = kitchen(region)
    item.locator("summary", has_text="Поля розміру").click()
    size = item.get_by_role("group", name="Поле розміру")
    # when
    size.get_by_label("Найменше").fill("7000")
    size.get_by_label("Найбільше").fill("2000")
    region.get_by_role("button", name="Опублікувати нову версію").click()
    # then
    size.get_by_text("Найменше не може бути більшим за найбільше.").wait_for()
    assert admin_get(stack, "/api/booking/price-book")["version"] == before["version"]


# ------------------------------------------------------------------------------ users and roles


def new_user(region: Any, username: str, password: str) -> Any:
    form = region.get_by_role("form", name="Новий користувач")
    form.get_by_label("Користувач", exact=True).fill(username)
    form.get_by_label("Ім'я").fill("Дизайнерка Ольга")
    form.get_by_label("E-mail").fill(f"{username}@example.com")
    form.get_by_label("Початковий пароль").fill(password)
    form.get_by_label("дизайнер", exact=True).check()
    form.get_by_role("button", name="Додати користувача").click()
    return form


def staff_roles(stack: RunningStack) -> dict[str, list[str]]:
    return {
        item["username"]: item["roles"] for item in admin_get(stack, "/api/clients/staff?limit=60")["items"]
    }


def test_an_admin_adds_a_user_with_a_role(stack, page):
    # given
    region = settings(page, stack, "Працівники")
    # when
    new_user(region, "designer2", "Nova-Dyzajnerka-2026")
    # then
    page.get_by_text("Користувача «Дизайнерка Ольга» додано.").wait_for()
    region.get_by_role("row", name=re.compile("Дизайнерка Ольга")).wait_for()
    assert staff_roles(stack)["designer2"] == ["designer"]
    shot(page, "49-settings-users")


FIRST_PASSWORD = "Vid-Admina-2026"


def first_sign_in(page: Any, stack: RunningStack, username: str, name: str) -> Any:
    """An installer the admin has just added, at his first sign-in: the password form."""
    status, body = stack.request(
        "POST",
        "/api/clients/staff",
        {
            "username": username,
            "name": name,
            "email": f"{username}@example.com",
            "roles": ["installer"],
            "password": FIRST_PASSWORD,
        },
        token=stack.sign_in("admin"),
    )
    assert status == 201, body
    page.goto(stack.url + "/")
    page.get_by_label("Користувач").fill(username)
    page.get_by_label("Пароль").fill(FIRST_PASSWORD)
    page.get_by_role("button", name="Увійти").click()
    return page.get_by_role("form", name="Змініть пароль")


def test_a_new_user_changes_the_first_password_at_the_first_sign_in(stack, page):
    # given
    form = first_sign_in(page, stack, "installer7", "Монтажник Тарас")
    # when
    form.get_by_label("Новий пароль", exact=True).fill("Mij-Vlasnyi-2026")
    form.get_by_label("Повторіть новий пароль").fill("Mij-Vlasnyi-2026")
    shot(page, "49a-first-password")
    form.get_by_role("button", name="Змінити пароль і увійти").click()
    # then
    page.get_by_role("button", name="Вийти").wait_for()
    signed = stack.request(
        "POST", "/api/clients/auth/login", {"username": "installer7", "password": "Mij-Vlasnyi-2026"}
    )
    assert signed[0] == 200


def test_a_weak_new_password_is_refused_beside_it_at_the_first_sign_in(stack, page):
    # given
    form = first_sign_in(page, stack, "installer8", "Монтажник Петро")
    fresh = form.get_by_label("Новий пароль", exact=True)
    # when
    fresh.fill("bezcyfr-tut-nemaye")
    form.get_by_label("Повторіть новий пароль").fill("bezcyfr-tut-nemaye")
    form.get_by_role("button", name="Змінити пароль і увійти").click()
    # then
    form.get_by_text("Потрібна хоча б одна цифра.").wait_for()
    assert fresh.get_attribute("aria-invalid") == "true"
    assert (
        stack.request(
            "POST", "/api/clients/auth/login", {"username": "installer8", "password": FIRST_PASSWORD}
        )[0]
        == 403
    )


def test_a_weak_password_is_refused_beside_it_and_nobody_is_added(stack, page):
    # given
    region = settings(page, stack, "Працівники")
    # when
    form = new_user(region, "designer3", "short")
    # then
    password = form.get_by_label("Початковий пароль")
    form.locator(".field-error:not([hidden])").first.wait_for()
    assert password.get_attribute("aria-invalid") == "true"
    assert form.get_by_label("Користувач", exact=True).input_value() == "designer3"
    assert "designer3" not in staff_roles(stack)


def test_an_admin_gives_a_manager_the_head_role(stack, page):
    # given
    region = settings(page, stack, "Працівники")
    row = region.get_by_role("row", name=re.compile("Менеджер Олена"))
    # when
    row.get_by_role("button", name="Змінити ролі: Менеджер Олена").click()
    row.get_by_label("керівник", exact=True).check()
    row.get_by_role("button", name="Зберегти ролі").click()
    # then
    page.get_by_text("Збережено.").wait_for()
    assert staff_roles(stack)["manager1"] == ["head", "manager"]


# ------------------------------------------------------------------------------ custom fields and widgets


def new_field(page: Any, stack: RunningStack) -> tuple[Any, Any]:
    region = settings(page, stack, "Додаткові поля клієнта")
    region.get_by_role("button", name="Додати поле").click()
    field = region.get_by_role("group", name="Нове поле")
    field.get_by_label("Назва поля").fill("Тип приміщення")
    field.get_by_label("Ключ").fill("room_type")
    field.get_by_label("Тип").select_option(label="вибір зі списку")
    return region, field


def test_a_list_field_without_choices_is_refused_on_the_field(stack, page):
    # given
    before = admin_get(stack, "/api/clients/custom-fields")
    region, field = new_field(page, stack)
    # when
    region.get_by_role("button", name="Зберегти").click()
    # then
    field.locator(".field-error:not([hidden])").first.wait_for()
    assert field.get_by_label("Назва поля").input_value() == "Тип приміщення"
    assert admin_get(stack, "/api/clients/custom-fields") == before


def test_an_admin_adds_a_list_field_to_the_client_card(stack, page):
    # given
    region, field = new_field(page, stack)
    field.get_by_label("Варіанти (для вибору)").fill("квартира, будинок, офіс")
    # when
    region.get_by_role("button", name="Зберегти").click()
    # then
    page.get_by_text("Збережено.").wait_for()
    saved = admin_get(stack, "/api/clients/custom-fields")["fields"]
    assert {"key": "room_type", "type": "select", "options": ["квартира", "будинок", "офіс"]}.items() <= next(
        item for item in saved if item["key"] == "room_type"
    ).items()


def add_origin(page: Any, stack: RunningStack, origin: str) -> Any:
    region = settings(page, stack, "Віджети на сайті")
    region.get_by_role("button", name="Додати сайт").click()
    region.get_by_label("Адреса сайту").last.fill(origin)
    region.get_by_role("button", name="Зберегти").click()
    return region


def test_an_admin_allows_a_site_to_embed_the_widgets(stack, page):
    # when
    add_origin(page, stack, "https://mebli.example.com")
    # then
    page.get_by_text("Збережено.").wait_for()
    assert "https://mebli.example.com" in admin_get(stack, "/api/booking/widget-settings")["allowed_origins"]


def test_a_site_without_https_is_refused_beside_it(stack, page):
    # given
    before = admin_get(stack, "/api/booking/widget-settings")
    # when
    region = add_origin(page, stack, "http://mebli.example.org")
    # then
    origin = region.get_by_label("Адреса сайту").last
    region.get_by_text("https://", exact=False).last.wait_for()
    assert origin.get_attribute("aria-invalid") == "true"
    assert origin.input_value() == "http://mebli.example.org"
    assert admin_get(stack, "/api/booking/widget-settings") == before


def test_a_site_is_added_and_saved_from_the_keyboard(stack, page):
    # given
    region = settings(page, stack, "Віджети на сайті")
    region.get_by_role("button", name="Додати сайт").focus()
    # when: Enter adds a site and puts the cursor in it; Enter in the field saves
    page.keyboard.press("Enter")
    page.keyboard.type("https://keyboard.example.com")
    page.keyboard.press("Enter")
    # then
    page.get_by_text("Збережено.").wait_for()
    assert (
        "https://keyboard.example.com" in admin_get(stack, "/api/booking/widget-settings")["allowed_origins"]
    )


def test_with_the_server_out_of_reach_the_form_says_so_and_keeps_what_was_typed(stack, page):
    # given
    before = admin_get(stack, "/api/booking/widget-settings")
    region = settings(page, stack, "Віджети на сайті")
    region.get_by_role("button", name="Додати сайт").click()
    origin = region.get_by_label("Адреса сайту").last
    origin.fill("https://offline.example.com")
    page.route("**/api/booking/widget-settings", lambda route: route.abort("internetdisconnected"))
    # when
    region.get_by_role("button", name="Зберегти").click()
    # then
    region.get_by_text("Немає з'єднання з сервером", exact=False).wait_for()
    assert origin.input_value() == "https://offline.example.com"
    page.unroute("**/api/booking/widget-settings")
    assert admin_get(stack, "/api/booking/widget-settings") == before


# ------------------------------------------------------------------------------ accessibility


SECTIONS = {
    "rules": "Автоматизація",
    "services": "Послуги для запису",
    "hours": "Графіки працівників",
    "booking": "Райони й правила запису",
    "prices": "Прайс-лист",
    "fields": "Додаткові поля клієнта",
    "widgets": "Віджети на сайті",
    "staff": "Працівники",
}


@pytest.mark.parametrize("width", [1280, 360])
def test_the_settings_screens_have_no_serious_accessibility_violations(stack, browser, width):
    # given
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="uk-UA")
    viewer = context.new_page()
    viewer.set_default_timeout(30_000)
    sign_in(viewer, stack, "admin")
    found: dict[str, list[str]] = {}
    # when
    for name, section in SECTIONS.items():
        open_section(viewer, stack, name, section)
        found[name] = serious_violations(viewer)
        shot(viewer, f"settings-{name}-{width}")
    context.close()
    # then
    assert {name: items for name, items in found.items() if items} == {}


ENGLISH = {
    "rules": "Automation",
    "services": "Bookable services",
    "hours": "Working hours",
    "booking": "Zones and booking policy",
    "prices": "Price book",
    "fields": "Custom client fields",
    "widgets": "Website widgets",
    "staff": "Staff",
}
# What the app itself says on a screen (legends and summaries left aside: they carry
# names users typed, such as a rule's).
OWN_WORDS = "label, button, h2, h3, th[scope=col], small, caption"
# Their text without the controls inside (a label may hold its checkbox and select).
TEXTS_OF = """(nodes) => nodes.map((node) => {
    const copy = node.cloneNode(true);
    copy.querySelectorAll("input, select, textarea").forEach((control) => control.remove());
    return copy.textContent.trim();
})"""


def in_english(browser: Any, stack: RunningStack, width: int) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="uk-UA")
    viewer = context.new_page()
    viewer.set_default_timeout(30_000)
    sign_in(viewer, stack, "admin")
    viewer.get_by_role("button", name="English").click()
    viewer.get_by_role("button", name="Sign out").wait_for()
    return context, viewer


def open_section(viewer: Any, stack: RunningStack, name: str, heading: str) -> None:
    """The section drawn in full (its forms there), its first three folds opened."""
    viewer.goto(f"{stack.url}/#/settings/{name}")
    viewer.get_by_role("region", name=heading).locator("form").first.wait_for(state="attached")
    viewer.wait_for_load_state("networkidle")
    for summary in viewer.locator("details > summary").all()[:3]:
        summary.click()


def test_after_the_english_switch_the_settings_screens_speak_english(stack, browser):
    # given
    context, viewer = in_english(browser, stack, 1280)
    ukrainian: dict[str, list[str]] = {}
    # when
    for name, heading in ENGLISH.items():
        open_section(viewer, stack, name, heading)
        texts = viewer.locator("#view").locator(OWN_WORDS).evaluate_all(TEXTS_OF)
        ukrainian[name] = [text for text in texts if re.search("[а-яіїєґА-ЯІЇЄҐ]", text)]
        shot(viewer, f"settings-{name}-en")
    context.close()
    # then
    assert {name: texts for name, texts in ukrainian.items() if texts} == {}


@pytest.mark.parametrize("width", [1280, 360])
def test_the_settings_screens_in_english_have_no_serious_accessibility_violations(stack, browser, width):
    # given
    context, viewer = in_english(browser, stack, width)
    found: dict[str, list[str]] = {}
    # when
    for name, heading in ENGLISH.items():
        open_section(viewer, stack, name, heading)
        found[name] = serious_violations(viewer)
    context.close()
    # then
    assert {name: items for name, items in found.items() if items} == {}
