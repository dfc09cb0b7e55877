"""Client search at two sizes of the base: median latency at the large one over the small one.

Both bases live side by side in one emulator (two copies of the clients table), seeded in
bulk with BatchWriteItem of exactly the items `ClientStore.add` writes (the same store code
builds them); the clients service is pointed at one table or the other between samples,
which alternate, so that whatever else the machine does weighs on both alike. Searches go
through the local gateway with a real token, as the staff app sends them.

Besides wall time, each search's DynamoDB reads are counted: the Query calls and the items
they read (`ScannedCount`), which is what DynamoDB bills and what its latency follows.

The emulator limits the sizes: moto (5.2.5) answers every Query by walking all the items of
the table (`Table.query` iterates `all_items()`), so in moto a search's wall time grows with
the table whatever the design, and seeding runs at about 60 clients a second. The large
base is therefore 3,000 clients by default (set LANKA_BENCH_SEARCH_CLIENTS=100000 for the
real figure: it needs about half an hour of seeding and some 25 s a search); the
`search_items_read` figures show what DynamoDB itself would read per search at each size.
"""

from __future__ import annotations

import itertools
import os
import random
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
from moto import mock_aws
from werkzeug.test import Client as HttpClient

from bench.aws_calls import _ENVIRONMENT, CallCounter, _clients_of, _token
from lanka_platform import aws

SMALL = 1_000
LARGE = int(os.environ.get("LANKA_BENCH_SEARCH_CLIENTS", "3000"))
SAMPLES = 30
BATCH = 25

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
        yield Client(
            id=new_id(),
            name=f"{first} {last}",
            kind="person",
            phones=[f"+38067{number:07d}"],
            emails=[f"client{number}.{chance.randrange(10**6)}@example.com"],
            source_channel="import",
            owner_id=chance.choice(owners),
            created_at=now,
            updated_at=now,
            version=1,
        )


def _seed(service: Any, table: str, count: int, owners: list[str]) -> int:
    """Write `count` clients into `table` as ClientStore.add would, 25 items a request."""
    from chalicelib.clients.store import ClientStore

    from lanka_platform.settings import Settings
    from lanka_platform.storage import Store

    store = Store(Settings(service="clients", table_name=table), service._models)
    clients = ClientStore(store)
    unit = store.unit_of_work()
    dynamodb = boto3.client("dynamodb")
    written = 0
    pending: list[dict[str, Any]] = []
    for client in _clients(count, owners):
        unit._operations.clear()
        clients.add(unit, client)
        for operation in unit._operations:
            pending.append({"PutRequest": {"Item": _item_of(operation)}})
        while len(pending) >= BATCH:
            batch, pending = pending[:BATCH], pending[BATCH:]
            dynamodb.batch_write_item(RequestItems={table: batch})
            written += len(batch)
    if pending:
        dynamodb.batch_write_item(RequestItems={table: pending})
        written += len(pending)
    return written


class _Capture:
    """A stand-in transaction that keeps the item an operation would put."""

    def __init__(self) -> None:
        self.item: Any = None

    def save(self, item: Any, condition: Any = None) -> None:
        self.item = item


def _item_of(operation: Any) -> dict[str, Any]:
    capture = _Capture()
    operation.apply(capture)
    serialized: dict[str, Any] = capture.item.serialize()
    return serialized


def _create_table(name: str) -> None:
    from lanka_local.provision import create_table_request
    from lanka_platform import resources

    request = create_table_request(resources.service("clients").table)
    request["TableName"] = name
    boto3.client("dynamodb").create_table(**request)


def measure() -> dict[str, float]:
    os.environ.update(_ENVIRONMENT)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with mock_aws():
        from lanka_local import provision, services
        from lanka_local.gateway import staff_gateway
        from lanka_local.provision import moto_jwks
        from lanka_platform.settings import Settings
        from lanka_platform.storage import Store

        provisioned = provision.Provisioner(lambda name: boto3.client(name)).provision()
        cognito = boto3.client("cognito-idp")
        pool, app_client = provisioned.user_pool_id, provisioned.user_pool_client_id
        head_token, _ = _token(cognito, pool, app_client, "head", "head")
        _, manager = _token(cognito, pool, app_client, "manager", "manager")
        loaded = services.load_all()
        for item in loaded.values():
            item.service.use()
        http = HttpClient(
            staff_gateway(loaded, cognito, pool, app_client, region="eu-central-1", fetch=moto_jwks)
        )
        service = loaded["clients"].service
        owners = [manager, "another-manager", "a-third-manager"]
        tables = {SMALL: "lanka-clients-small", LARGE: "lanka-clients-large"}
        seeded: dict[int, float] = {}
        stores: dict[int, Store] = {}
        for size, table in tables.items():
            _create_table(table)
            started = time.perf_counter()
            _seed(service, table, size, owners)
            seeded[size] = time.perf_counter() - started
            stores[size] = Store(Settings(service="clients", table_name=table), service._models)

        headers = {"Authorization": f"Bearer {head_token}"}
        counter = CallCounter()
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

        for size in tables:  # warm up: every client and model exists after one round trip
            search(size, QUERIES[0])
            for client in _clients_of(service):
                counter.hook(client)
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
        with counter.measuring() as calls:
            search(LARGE, "петр")
    aws.forget_clients()
    small, large = statistics.median(latencies[SMALL]), statistics.median(latencies[LARGE])
    return {
        "search_scale_ratio": round(large / small, 3),
        f"search_seconds.{SMALL}": round(small, 4),
        f"search_seconds.{LARGE}": round(large, 4),
        f"search_items_read.{SMALL}": statistics.median(reads[SMALL]),
        f"search_items_read.{LARGE}": statistics.median(reads[LARGE]),
        f"search_seed_seconds.{LARGE}": round(seeded[LARGE], 1),
        "aws_calls.search_clients": sum(calls.values()),
        "aws_calls.search_clients.Query": calls["dynamodb.Query"],
    }


if __name__ == "__main__":
    for name, value in measure().items():
        print(f"{name:32} {value}")
