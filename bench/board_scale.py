"""The deals board at two sizes: median latency with 100,000 deals over that with 1,000.

Like the search benchmark (see `search_scale`): both bases live side by side in one moto
(two copies of the deals table), with `lanka_local.moto_patches` installed as the local
stack runs it; the deals service is pointed at one or the other between samples, which
alternate; boards are read through the local gateway with a real token. Each deal's items
are those `DealStore.add` queues (the deal, its board card, its client link), loaded
straight into moto; the board counters are written as the deals' own events would leave
them. The deals are spread over the furniture pipeline's stages, so a column holds up to
a tenth of them. Also counted: the AWS calls of one board request. LANKA_BENCH_DEALS sets
the large size.
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from moto import mock_aws

from bench.aws_calls import _ENVIRONMENT, CallCounter, _clients_of
from bench.seeding import Loader, create_table, queued_puts, staff_world
from lanka_local import moto_patches
from lanka_platform import aws

SMALL = 1_000
LARGE = int(os.environ.get("LANKA_BENCH_DEALS", "100000"))
SAMPLES = 20


def _seed(service: Any, table: str, count: int, owners: list[str]) -> None:
    from chalicelib.deals.domain.deals import Deal, StageVisit
    from chalicelib.deals.domain.pipelines import TEMPLATES, Pipeline
    from chalicelib.deals.store import DealStore, PipelineStore

    from lanka_platform.ids import new_id
    from lanka_platform.settings import Settings
    from lanka_platform.storage import Store

    store = Store(Settings(service="deals", table_name=table), ())
    pipeline = Pipeline(id="furniture", **TEMPLATES["furniture"].model_dump())
    unit = store.unit_of_work()
    PipelineStore(store).save(unit, pipeline, expected=None)
    unit.commit()
    deals, load = DealStore(store), Loader(table)
    chance = random.Random(count)
    stages = [stage.key for stage in pipeline.stages]
    counts: Counter[str] = Counter()
    sums: Counter[str] = Counter()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for number in range(count):
        stage = chance.choice(stages)
        at = start + timedelta(minutes=number)
        amount = chance.randrange(5_000_00, 200_000_00)
        deal = Deal(
            id=new_id(),
            pipeline_id=pipeline.id,
            stage=stage,
            client_id=new_id(),
            client_name=f"Клієнт {number}",
            title=f"Замовлення {number}",
            amount=amount,
            owner_id=chance.choice(owners),
            history=[StageVisit(stage=stage, entered_at=at)],
            created_at=at,
            updated_at=at,
        )
        unit = store.unit_of_work()
        deals.add(unit, deal)
        load(queued_puts(unit))
        counts[stage] += 1
        sums[stage] += amount
    unit = store.unit_of_work()
    for stage in stages:
        deals.count(unit, pipeline.id, stage, counts[stage], sums[stage])
    unit.commit()


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
            _seed(service, table, size, [head, "manager-2", "manager-3"])
            stores[size] = Store(Settings(service="deals", table_name=table), ())
        seeded = time.perf_counter() - started
        gc.collect()
        gc.freeze()
        gc.enable()
        headers = {"Authorization": f"Bearer {head_token}"}

        def board(size: int) -> float:
            service.__dict__["store"] = stores[size]
            began = time.perf_counter()
            response = http.get("/api/deals/pipelines/furniture/board", headers=headers)
            elapsed = time.perf_counter() - began
            assert response.status_code == 200, response.get_data()
            total = sum(column["count"] for column in response.get_json()["columns"])
            assert total == size, (total, size)
            return elapsed

        counter = CallCounter()
        for size in tables:
            board(size)
            for client in _clients_of(service):
                counter.hook(client)
        latencies: dict[int, list[float]] = {SMALL: [], LARGE: []}
        for _ in range(SAMPLES):
            for size in (SMALL, LARGE):
                latencies[size].append(board(size))
        with counter.measuring() as calls:
            board(LARGE)
    aws.forget_clients()
    gc.unfreeze()
    small, large = statistics.median(latencies[SMALL]), statistics.median(latencies[LARGE])
    return {
        "board_scale_ratio": round(large / small, 3),
        f"board_seconds.{SMALL}": round(small, 4),
        f"board_seconds.{LARGE}": round(large, 4),
        f"board_seed_seconds.{LARGE}": round(seeded, 1),
        "aws_calls.board": sum(calls.values()),
        "aws_calls.board.Query": calls["dynamodb.Query"],
        "aws_calls.board.GetItem": calls["dynamodb.GetItem"],
    }


if __name__ == "__main__":
    for name, value in measure().items():
        print(f"{name:32} {value}")
