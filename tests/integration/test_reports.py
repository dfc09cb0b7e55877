"""Reports through the API, kept from the deals' own events delivered the real way: the
funnel, revenue, per-manager KPIs, the head's "now" view, who may see what, CSV files."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import timedelta

from deal_world import T0, call, complete, ok, on_clock, publish_at, sweep

from lanka_platform.contracts.deals import CallLogged, PaymentReceived

DAY = "2027-03-01"  # T0's day in Kyiv


def new_client(world, user="olena", role="manager"):
    created = world.http.post(
        "/api/clients/clients", json={"name": "Олена"}, headers=world.headers(user, role)
    )
    assert created.status_code == 201
    world.router.deliver_all()
    return created.get_json()["id"]


def new_deal(world, user="olena", role="manager", **fields):
    body = {"client_id": new_client(world, user, role), "title": "Кухня", **fields}
    opened = ok(call(world, "POST", "/deals", user, role, json=body), 201)
    world.router.deliver_all()
    return opened


def move(world, opened, to_stage, user="olena", role="manager", **extra):
    moved = ok(
        call(
            world,
            "POST",
            f"/deals/{opened['id']}/move",
            user,
            role,
            json={"to_stage": to_stage, "version": opened["version"], **extra},
        )
    )
    world.router.deliver_all()
    return moved


def report(world, name, user="boss", role="head", **query):
    query = {"from": DAY, "to": DAY, **query}
    return call(world, "GET", f"/reports/{name}", user, role, query_string=query)


def kpi_of(world, username, **query):
    rows = ok(report(world, "kpi", **query))["rows"]
    return next(row for row in rows if row["manager_id"] == world.user_id(username))


def test_the_funnel_counts_deals_entering_each_stage_and_the_conversion_to_the_next(world):
    # given
    on_clock(world)
    first, second = new_deal(world), new_deal(world)
    new_deal(world)
    contacted = move(world, first, "contacted")
    move(world, second, "contacted")
    move(world, contacted, "measurement_booked")
    # when
    funnel = ok(report(world, "funnel"))
    # then
    entered = {stage["stage"]: stage["entered"] for stage in funnel["stages"]}
    conversion = {stage["stage"]: stage["conversion_to_next"] for stage in funnel["stages"]}
    assert (entered["new"], entered["contacted"], entered["measurement_booked"]) == (3, 2, 1)
    assert (conversion["new"], conversion["contacted"]) == (0.6667, 0.5)


def test_a_won_deal_counts_in_revenue_on_the_day_it_was_won_with_its_cycle_time(world):
    # given
    clock = on_clock(world)
    opened = new_deal(world, amount=4_500_000, source_channel="website")
    clock.advance(days=2)
    move(world, opened, "installed")
    won_day = (T0 + timedelta(days=2)).date().isoformat()
    # when
    by_day = ok(report(world, "revenue", to=won_day, group_by="day"))
    by_source = ok(report(world, "revenue", to=won_day, group_by="source"))
    # then
    assert [(line["key"], line["won_deals"], line["won_amount"]) for line in by_day["lines"]] == [
        (won_day, 1, 4_500_000)
    ]
    assert by_day["currency"] == "UAH"
    assert by_day["total"]["average_cycle_days"] == 2.0
    assert by_day["total"]["average_deal"] == 4_500_000
    assert [(line["key"], line["won_amount"]) for line in by_source["lines"]] == [("website", 4_500_000)]


def test_payments_received_add_up_by_manager(world):
    # given
    on_clock(world)
    opened = new_deal(world, amount=1_000_000)
    for amount in (300_000, 200_000):
        publish_at(world, PaymentReceived(payment_id=f"p{amount}", deal_id=opened["id"], amount=amount), T0)
    # when
    revenue = ok(report(world, "revenue", group_by="manager"))
    # then
    (line,) = revenue["lines"]
    assert (line["key"], line["payments"], line["paid_amount"]) == (world.user_id("olena"), 2, 500_000)


def test_kpis_count_each_managers_requests_wins_losses_and_win_rate(world):
    # given
    on_clock(world)
    won, lost, _ = new_deal(world), new_deal(world), new_deal(world)
    new_deal(world, user="petro")
    move(world, won, "installed")
    move(world, lost, "lost", lost_reason="Дорого")
    # when
    olena, petro = kpi_of(world, "olena"), kpi_of(world, "petro")
    # then
    assert (olena["new_requests"], olena["won"], olena["lost"], olena["win_rate"]) == (3, 1, 1, 0.5)
    assert (petro["new_requests"], petro["won"], petro["win_rate"]) == (1, 0, None)


def test_kpis_count_calls_and_the_average_first_response(world):
    # given: the call half an hour after the deal opened is its first response
    on_clock(world)
    opened = new_deal(world)
    olena = world.user_id("olena")
    for minutes in (30, 50):
        publish_at(
            world,
            CallLogged(
                call_id=f"c{minutes}",
                client_id=opened["client_id"],
                deal_id=opened["id"],
                direction="out",
                user_id=olena,
            ),
            T0 + timedelta(minutes=minutes),
        )
    # when
    row = kpi_of(world, "olena")
    # then
    assert row["calls"] == 2
    assert row["average_first_response_minutes"] == 30.0


def test_an_earlier_response_delivered_late_corrects_the_first_response(world):
    # given
    on_clock(world)
    opened = new_deal(world)
    olena = world.user_id("olena")

    def call_at(minutes):
        return CallLogged(
            call_id=f"c{minutes}",
            client_id=opened["client_id"],
            deal_id=opened["id"],
            direction="in",
            user_id=olena,
        )

    publish_at(world, call_at(40), T0 + timedelta(minutes=40))
    # when
    publish_at(world, call_at(15), T0 + timedelta(minutes=15))
    # then
    assert kpi_of(world, "olena")["average_first_response_minutes"] == 15.0


def test_a_duplicated_event_counts_once(world):
    # given
    on_clock(world)
    opened = new_deal(world)
    logged = CallLogged(
        call_id="c1",
        client_id=opened["client_id"],
        deal_id=opened["id"],
        direction="in",
        user_id=world.user_id("olena"),
    )
    # when
    publish_at(world, logged, T0, event_id="01JCALLEVENT0000000000000A")
    publish_at(world, logged, T0, event_id="01JCALLEVENT0000000000000A")
    # then
    assert kpi_of(world, "olena")["calls"] == 1


def test_tasks_done_by_their_due_time_are_on_time_and_after_it_late(world):
    # given
    clock = on_clock(world)
    due = (T0 + timedelta(hours=1)).isoformat()
    early = ok(call(world, "POST", "/tasks", json={"title": "Передзвонити", "due_at": due}), 201)
    late = ok(call(world, "POST", "/tasks", json={"title": "Надіслати ціну", "due_at": due}), 201)
    undated = ok(call(world, "POST", "/tasks", json={"title": "Записати розміри"}), 201)
    complete(world, early["id"])
    complete(world, undated["id"])
    clock.advance(hours=2)
    complete(world, late["id"])
    world.router.deliver_all()
    # when
    row = kpi_of(world, "olena")
    # then
    assert (row["tasks_on_time"], row["tasks_late"]) == (2, 1)


def test_the_now_view_counts_overdue_tasks_until_they_are_done(world):
    # given
    clock = on_clock(world)
    task = ok(
        call(
            world,
            "POST",
            "/tasks",
            json={"title": "Передзвонити", "due_at": (T0 + timedelta(minutes=30)).isoformat()},
        ),
        201,
    )
    sweep(world)
    clock.now = T0 + timedelta(minutes=31)
    sweep(world)
    # when
    overdue = ok(call(world, "GET", "/reports/now", "boss", "head"))["overdue_tasks"]
    complete(world, task["id"])
    world.router.deliver_all()
    after = ok(call(world, "GET", "/reports/now", "boss", "head"))["overdue_tasks"]
    # then
    assert (overdue, after) == (1, 0)
    assert kpi_of(world, "olena", to="2027-03-02")["tasks_overdue"] == 1


def test_the_now_view_counts_deals_past_their_stages_sla_until_they_move(world):
    # given: "new" has an SLA of 2 hours
    clock = on_clock(world)
    opened = new_deal(world)
    sweep(world)
    clock.now = T0 + timedelta(hours=2, minutes=1)
    sweep(world)
    # when
    stuck = ok(call(world, "GET", "/reports/now", "olena", "manager"))["deals_past_sla"]
    move(world, opened, "contacted")
    after = ok(call(world, "GET", "/reports/now", "olena", "manager"))["deals_past_sla"]
    # then
    assert (stuck, after) == (1, 0)


def test_the_now_view_counts_open_unassigned_requests(world):
    # given: deals the head opens without an owner wait in the unassigned queue
    on_clock(world)
    world.token("olena", "manager")
    waiting = new_deal(world, "boss", "head")
    given = new_deal(world, "boss", "head")
    closed = new_deal(world, "boss", "head")
    ok(
        call(
            world,
            "PUT",
            f"/deals/{given['id']}/owner",
            "boss",
            "head",
            json={"owner_id": world.user_id("olena")},
        )
    )
    move(world, closed, "lost", "boss", "head", lost_reason="Дорого")
    world.router.deliver_all()
    # when
    view = ok(call(world, "GET", "/reports/now", "boss", "head"))
    # then
    assert waiting["owner_id"] is None
    assert view["unassigned_requests"] == 1


def test_a_manager_sees_only_his_own_figures(world):
    # given
    on_clock(world)
    new_deal(world)
    new_deal(world, user="petro")
    # when
    own = ok(report(world, "kpi", "olena", "manager"))
    others = report(world, "kpi", "olena", "manager", manager=world.user_id("petro"))
    funnel = ok(report(world, "funnel", "olena", "manager"))
    # then
    assert [row["manager_id"] for row in own["rows"]] == [world.user_id("olena")]
    assert others.status_code == 403
    assert next(s for s in funnel["stages"] if s["stage"] == "new")["entered"] == 1


def test_field_roles_see_no_reports(world):
    # when
    response = report(world, "funnel", "ivan", "measurer")
    # then
    assert response.status_code == 403


def test_a_range_over_a_year_or_backwards_is_refused(world):
    # when
    too_long = report(world, "kpi", **{"from": "2026-01-01", "to": "2027-01-02"})
    backwards = report(world, "kpi", **{"from": "2027-03-02", "to": "2027-03-01"})
    # then
    assert too_long.status_code == 422 and backwards.status_code == 422
    assert too_long.headers["Content-Type"].startswith("application/problem+json")


def test_a_report_as_csv_opens_in_excel_and_runs_no_formula(world):
    # given
    clock = on_clock(world)
    opened = new_deal(world, amount=123_456, source_channel='=HYPERLINK("http://x")')
    move(world, opened, "installed")
    clock.advance(minutes=1)
    # when
    response = report(world, "revenue", group_by="source", format="csv")
    # then
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    data = response.get_data()
    assert data.startswith(codecs.BOM_UTF8)
    header, *rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert header[0] == "Період / Key"
    assert rows[0][0] == '\'=HYPERLINK("http://x")'
    assert rows[0][2] == "1234.56"
