"""Client search at two sizes of the base: median latency at 100,000 clients over 1,000.

Both bases live side by side in one moto (two copies of the clients table), and the clients
service is pointed at one or the other between samples, which alternate, so that whatever
else the machine does weighs on both alike. Searches go through the local gateway with a
real token, as the staff app sends them, and the service reads DynamoDB through its own
client, as it does on the local stack.

moto runs as the local stack runs it, with `lanka_local.moto_patches` installed: moto 5.2.5
on its own answers every Query by walking all the items of the table, so a search's time
would grow with the base whatever the design (the ratio was 3.3 from 1,000 to 3,000).

Seeding: every client's items are those `ClientStore.add` queues for its transaction (the
store builds them; the items are taken as its TransactWriteItems would send them), written
straight into moto's in-process table, as the emulator restores a snapshot: through the
API, moto takes some 60 clients a second, half an hour for the large base. Written so,
the items skip moto's per-item checks (which they pass when written through the API) and
equal attribute values share one object in memory. Building the items is most of the
bench's time (some 3 million for 100,000 clients: about 2 ms a client, 3 to 4 minutes; the
process grows to about 2.7 GB). The seeded objects are then frozen out of the cyclic
garbage collector's sight (`gc.freeze()`): each full collection during the samples would
otherwise walk millions of them, a cost of CPython, not of the search.

Besides wall time, each search's DynamoDB reads are counted: the Query calls and the items
they read (`ScannedCount`), which is what DynamoDB bills and what its latency follows.
LANKA_BENCH_SEARCH_CLIENTS sets the large size.
"""

from __future__ import annotations

import gc
import itertools
import os
import random
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from moto import mock_aws

from bench.aws_calls import _ENVIRONMENT, _clients_of
from bench.seeding import Loader, create_table, queued_puts, staff_world
from lanka_local import moto_patches
from lanka_platform import aws

SMALL = 1_000
LARGE = int(os.environ.get("LANKA_BENCH_SEARCH_CLIENTS", "100000"))
SAMPLES = 30

FIRST = ["Олена", "Мар'яна", "Тарас", "Ірина", "Юрій", "Євгенія", "Олександр", "Богдан", "Наталія",
         "Андрій", "Світлана", "Дмитро", "Оксана", "Василь", "Галина", "Ярослав", "Ольга", "Микола",
         "Катерина", "Сергій", "Людмила", "Іван", "Тетяна", "Володимир"]  # fmt: skip
LAST = ["Петренко", "Коваль", "Шевченко", "Бондаренко", "Ткаченко", "Кравченко", "Мельник",
        "Щербак", "Лисенко", "Гнатюк", "Поліщук", "Ковальчук", "Савченко", "Руденко", "Марченко",
        "Остапчук", "Клименко", "Павленко", "Кузьменко", "Гаврилюк", "Ярошенко", "Захарченко",
        "Зінченко", "Федорчук", "Приходько", "Ігнатенко", "Тимошенко", "Левченко"]  # fmt: skip
QUERIES = ["петр", "shcherb", "ченко", "ковал", "ярос", "ліщу"]


def _clients(count: int, owners: list[str]) -> Iterator[Any]:
    from chalicelib.clients.domain.model import Client

    from lanka_platform.ids import new_id

    chance = random.Random(count)
    now = datetime.now(UTC)
    for number in range(count):
        first, last = chance.choice(FIRST), chance.choice(LAST)
        yield Client.model_validate(
            {
                "id": new_id(),
                "name": f"{first} {last}",
                "kind": "person",
                "phones": [{"number": f"+38067{number:07d}"}],
                "emails": [{"address": f"client{number}.{chance.randrange(10**6)}@example.com"}],
                "source_channel": "import",
                "owner_id": chance.choice(owners),
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )


def _seed(service: Any, table: str, count: int, owners: list[str]) -> int:
    """Write `count` clients into `table`: the items `ClientStore.add` puts, loaded straight
    into moto. Returns how many items were written."""
    from chalicelib.clients.store import ClientStore

    from lanka_platform.settings import Settings
    from lanka_platform.storage import Store

    store = Store(Settings(service="clients", table_name=table), ())
    clients = ClientStore(store)
    load = Loader(table)
    for client in _clients(count, owners):
        unit = store.unit_of_work()
        clients.add(unit, client)
        load(queued_puts(unit))
    return load.written


def measure() -> dict[str, float]:
    os.environ.update(_ENVIRONMENT)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with moto_patches.installed(), mock_aws():
        from lanka_platform.settings import Settings
        from lanka_platform.storage import Store

        http, loaded, users = staff_world([("head", "head"), ("manager", "manager")])
        head_token, _ = users["head"]
        _, manager = users["manager"]
        service = loaded["clients"].service
        owners = [manager, "another-manager", "a-third-manager"]
        tables = {SMALL: "lanka-clients-small", LARGE: "lanka-clients-large"}
        seeded: dict[int, float] = {}
        stores: dict[int, Store] = {}
        gc.disable()  # millions of objects come: no collections while they do
        for size, table in tables.items():
            create_table("clients", table)
            started = time.perf_counter()
            _seed(service, table, size, owners)
            seeded[size] = time.perf_counter() - started
            stores[size] = Store(Settings(service="clients", table_name=table), ())
        gc.collect()
        gc.freeze()
        gc.enable()

        headers = {"Authorization": f"Bearer {head_token}"}
        scanned: list[int] = []

        def read(parsed: Any, model: Any, **_: Any) -> None:
            if model.name == "Query":
                scanned.append(int(parsed.get("ScannedCount", 0)))

        def search(size: int, query: str) -> float:
            service.__dict__["store"] = stores[size]
            started = time.perf_counter()
            response = http.get("/api/clients/clients/search", query_string={"q": query}, headers=headers)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.get_data()
            assert response.get_json()["items"], (size, query)
            return elapsed

        hooked: dict[int, Any] = {}
        for size in tables:  # warm up: every client and model exists after one round trip
            search(size, QUERIES[0])
            hooked.update((id(client), client) for client in _clients_of(service))
        for client in hooked.values():
            client.meta.events.register("after-call", read)
        latencies: dict[int, list[float]] = {SMALL: [], LARGE: []}
        reads: dict[int, list[int]] = {SMALL: [], LARGE: []}
        queries = itertools.cycle(QUERIES)
        for _ in range(SAMPLES):
            query = next(queries)
            for size in (SMALL, LARGE):
                scanned.clear()
                latencies[size].append(search(size, query))
                reads[size].append(sum(scanned))
    aws.forget_clients()
    gc.unfreeze()
    small, large = statistics.median(latencies[SMALL]), statistics.median(latencies[LARGE])
    return {
        "search_scale_ratio": round(large / small, 3),
        f"search_seconds.{SMALL}": round(small, 4),
        f"search_seconds.{LARGE}": round(large, 4),
        f"search_items_read.{SMALL}": statistics.median(reads[SMALL]),
        f"search_items_read.{LARGE}": statistics.median(reads[LARGE]),
        f"search_seed_seconds.{LARGE}": round(seeded[LARGE], 1),
    }


if __name__ == "__main__":
    for name, value in measure().items():
        print(f"{name:32} {value}")
