"""The reports at two sizes: funnel + KPI latency with 100,000 deals over that with 1,000.

Like the board benchmark (see `board_scale`): both bases live side by side in one moto (two
copies of the deals table), the deals service is pointed at one or the other between
samples, which alternate, and the reports are read through the local gateway with a real
token. Each deal's own items (the deal, its card, its client link) and its first-response
item are loaded straight into moto; the report counters are written as the deals' events
would leave them, computed with the same domain functions the event handlers use. The deals
are spread over the 90 days the reports cover, among three managers and the unassigned
queue, so at both sizes every day x manager counter item exists: what grows is what the
counters hold, never what a report reads. Also counted: the AWS calls of one funnel and one
KPI request. LANKA_BENCH_DEALS sets the large size.
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from moto import mock_aws

from bench.aws_calls import _ENVIRONMENT, CallCounter, _clients_of
from bench.seeding import Loader, create_table, queued_puts, staff_world
from lanka_local import moto_patches
from lanka_platform import aws

SMALL = 1_000
LARGE = int(os.environ.get("LANKA_BENCH_DEALS", "100000"))
SAMPLES = 20
DAYS = 90
START = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)
RANGE = {"from": "2026-09-01", "to": "2026-11-30"}
CHANNELS = ["website", "phone", "telegram", "viber", "booking", "calculator"]


def _seed(service: Any, table: str, count: int, owners: list[str | None]) -> None:
    from chalicelib.deals.domain import reports
    from chalicelib.deals.domain.deals import Deal, StageVisit
    from chalicelib.deals.domain.pipelines import TEMPLATES, Pipeline
    from chalicelib.deals.domain.reports import FirstResponse, Tally
    from chalicelib.deals.store import DealStore, PipelineStore
    from chalicelib.deals.store.reports import ReportStore, keyed_counters

    from lanka_platform.settings import Settings
    from lanka_platform.storage import Store

    store = Store(Settings(service="deals", table_name=table), ())
    pipeline = Pipeline(id="furniture", **TEMPLATES["furniture"].model_dump())
    unit = store.unit_of_work()
    PipelineStore(store).save(unit, pipeline, expected=None)
    unit.commit()
    deals, responses, load = DealStore(store), ReportStore(store), Loader(table)
    zone = ZoneInfo("Europe/Kyiv")
    chance = random.Random(count)
    open_stages = [stage.key for stage in pipeline.stages if stage.kind == "open"]
    tally = Tally()
    for number in range(count):
        created = START + timedelta(minutes=chance.randrange(0, DAYS * 24 * 60))
        owner = chance.choice(owners)
        amount = chance.randrange(5_000_00, 200_000_00)
        channel = chance.choice(CHANNELS)
        reports.deal_created(tally, reports.cell(pipeline.id, created, owner, zone), "new")
        moment, reached = created, 0
        for stage in open_stages[1 : chance.randrange(1, len(open_stages))]:
            moment += timedelta(hours=chance.randrange(1, 24))
            reports.stage_changed(tally, reports.cell(pipeline.id, moment, owner, zone), stage, None)
            reached += 1
        ending = chance.random()
        if ending < 0.3:
            moment += timedelta(hours=5)
            at = reports.cell(pipeline.id, moment, owner, zone)
            reports.stage_changed(tally, at, "installed", "won")
            reports.deal_won(tally, at, amount, int((moment - created).total_seconds()), channel)
        elif ending < 0.5:
            moment += timedelta(hours=5)
            reports.stage_changed(tally, reports.cell(pipeline.id, moment, owner, zone), "lost", "lost")
        worker = owner or owners[0]
        tally.add(reports.cell(pipeline.id, created + timedelta(hours=2), worker, zone), "calls")
        reports.task_completed(tally, reports.cell(pipeline.id, created, worker, zone), created, created)
        deal = Deal(
            id=f"D{number:06d}",
            pipeline_id=pipeline.id,
            stage="new",
            client_id=f"C{number:06d}",
            client_name=f"Клієнт {number}",
            title=f"Замовлення {number}",
            amount=amount,
            owner_id=owner,
            source_channel=channel,
            history=[StageVisit(stage="new", entered_at=created)],
            created_at=created,
            updated_at=created,
        )
        unit = store.unit_of_work()
        deals.add(unit, deal)
        home = reports.cell(pipeline.id, created, owner, zone)
        first = FirstResponse(created + timedelta(minutes=30), 1800, pipeline.id, home.day, home.person)
        reports.count_response(tally, None, first)
        responses.replace_first_response(unit, deal.id, None, first)
        load(queued_puts(unit))
    counters = []
    for (pk, sk), values in keyed_counters(tally).items():
        counters.append(
            {"pk": {"S": pk}, "sk": {"S": sk}, **{name: {"N": str(value)} for name, value in values.items()}}
        )
    load(counters)


def measure() -> dict[str, float]:
    os.environ.update(_ENVIRONMENT)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with moto_patches.installed(), mock_aws():
        from lanka_platform.settings import Settings
        from lanka_platform.storage import Store

        http, loaded, users = staff_world([("head", "head")])
        head_token, head = users["head"]
        service = loaded["deals"].service
        tables = {SMALL: "lanka-deals-small", LARGE: "lanka-deals-large"}
        stores: dict[int, Store] = {}
        gc.disable()
        started = time.perf_counter()
        for size, table in tables.items():
            create_table("deals", table)
            _seed(service, table, size, [head, "manager-2", "manager-3", None])
            stores[size] = Store(Settings(service="deals", table_name=table), ())
        seeded = time.perf_counter() - started
        gc.collect()
        gc.freeze()
        gc.enable()
        headers = {"Authorization": f"Bearer {head_token}"}

        def read(name: str, size: int, check: Callable[[dict[str, Any]], int]) -> float:
            service.__dict__["store"] = stores[size]
            began = time.perf_counter()
            response = http.get(f"/api/deals/reports/{name}", headers=headers, query_string=RANGE)
            elapsed = time.perf_counter() - began
            assert response.status_code == 200, response.get_data()
            assert check(response.get_json()) == size, (name, size)
            return elapsed

        def funnel(size: int) -> float:
            return read("funnel", size, lambda body: body["stages"][0]["entered"])

        def kpi(size: int) -> float:
            return read("kpi", size, lambda body: sum(row["new_requests"] for row in body["rows"]))

        counter = CallCounter()
        for size in tables:
            funnel(size)
            kpi(size)
            for client in _clients_of(service):
                counter.hook(client)
        latencies: dict[int, list[float]] = {SMALL: [], LARGE: []}
        for _ in range(SAMPLES):
            for size in (SMALL, LARGE):
                latencies[size].append(funnel(size) + kpi(size))
        with counter.measuring() as funnel_calls:
            funnel(LARGE)
        with counter.measuring() as kpi_calls:
            kpi(LARGE)
    aws.forget_clients()
    gc.unfreeze()
    small, large = statistics.median(latencies[SMALL]), statistics.median(latencies[LARGE])
    return {
        "report_scale_ratio": round(large / small, 3),
        f"report_seconds.{SMALL}": round(small, 4),
        f"report_seconds.{LARGE}": round(large, 4),
        f"report_seed_seconds.{LARGE}": round(seeded, 1),
        "aws_calls.report_funnel": sum(funnel_calls.values()),
        "aws_calls.report_kpi": sum(kpi_calls.values()),
        "aws_calls.report_kpi.Query": kpi_calls["dynamodb.Query"],
    }


if __name__ == "__main__":
    for name, value in measure().items():
        print(f"{name:32} {value}")
