"""How long the local AWS emulator takes to come back holding 10k clients: from its log, from its snapshot."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from lanka_local.emulator import REGION, Emulator
from lanka_local.provision import create_table_request
from lanka_platform import resources

TABLE = "lanka-clients"
WRITERS = 16
# The emulator that takes the writes runs in a process of its own: the writers do not
# compete with it for the GIL, and the end of the setup is a real `kill -9`.
WRITER_EMULATOR = """
import sys
from pathlib import Path

from lanka_local.emulator import Emulator

emulator = Emulator(Path(sys.argv[1]), port=0, snapshot_every_seconds=0)
emulator.start()
print(emulator.endpoint_url, flush=True)
sys.stdin.read()
"""


def measure_restart(n_clients: int = 10_000) -> dict[str, float | int]:
    """Write `n_clients` clients (one TransactWriteItems of client, phone index and outbox
    item each), then time a restart from the log alone (as after `kill -9`) and a restart
    from the snapshot a clean stop writes."""
    size = f"{n_clients // 1000}k" if n_clients % 1000 == 0 else str(n_clients)
    with tempfile.TemporaryDirectory(prefix="lanka-emulator-bench-") as directory:
        data_dir = Path(directory)

        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER_EMULATOR, str(data_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert writer.stdout is not None
            endpoint_url = writer.stdout.readline().strip()
            _create_clients_table(endpoint_url)
            began = time.perf_counter()
            _write_clients(endpoint_url, n_clients)
            write_seconds = time.perf_counter() - began
        finally:
            writer.kill()  # SIGKILL: no snapshot, the log is all there is
            writer.wait()
        wal_bytes = sum(path.stat().st_size for path in data_dir.glob("wal.*.jsonl"))

        from_log = Emulator(data_dir, port=0, snapshot_every_seconds=0)
        log_report = from_log.start()
        _expect_items(from_log.endpoint_url, 3 * n_clients)
        began = time.perf_counter()
        from_log.stop()
        stop_seconds = time.perf_counter() - began
        snapshot_bytes = (data_dir / "snapshot.json").stat().st_size

        from_snapshot = Emulator(data_dir, port=0, snapshot_every_seconds=0)
        snapshot_report = from_snapshot.start()
        _expect_items(from_snapshot.endpoint_url, 3 * n_clients)
        from_snapshot.stop()

    return {
        f"restart_seconds.wal_{size}": round(log_report.seconds, 3),
        f"restart_seconds.snapshot_{size}": round(snapshot_report.seconds, 3),
        "wal_bytes": wal_bytes,
        "snapshot_bytes": snapshot_bytes,
        f"stop_with_snapshot_seconds.{size}": round(stop_seconds, 3),
        "setup_transactions_per_second": round(n_clients / write_seconds, 1),
    }


def _client(endpoint_url: str) -> Any:
    return boto3.session.Session().client(
        "dynamodb",
        region_name=REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(max_pool_connections=WRITERS, retries={"mode": "standard"}),
    )


def _create_clients_table(endpoint_url: str) -> None:
    _client(endpoint_url).create_table(**create_table_request(resources.service("clients").table))


def _write_clients(endpoint_url: str, n_clients: int) -> None:
    local = threading.local()

    def write(number: int) -> None:
        if not hasattr(local, "dynamodb"):
            local.dynamodb = _client(endpoint_url)
        local.dynamodb.transact_write_items(TransactItems=_new_client(number))

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        for _ in pool.map(write, range(n_clients)):
            pass


def _new_client(number: int) -> list[dict[str, Any]]:
    client_id = f"01J{number:023d}"
    phone = f"+38050{number:07d}"
    now = "2025-03-30T09:15:00+00:00"
    event: dict[str, Any] = {
        "metadata": {
            "event_id": f"01K{number:023d}",
            "version": 1,
            "occurred_at": now,
            "correlation_id": f"01C{number:023d}",
            "causation_id": None,
            "actor": "manager-olena",
        },
        "data": {"client_id": client_id, "name": f"Клієнт {number}", "phone": phone},
    }
    return [
        {
            "Put": {
                "TableName": TABLE,
                "Item": {
                    "pk": {"S": f"CLIENT#{client_id}"},
                    "sk": {"S": "PROFILE"},
                    "gsi1pk": {"S": "CLIENTS"},
                    "gsi1sk": {"S": f"Клієнт {number:07d}"},
                    "name": {"S": f"Клієнт {number}"},
                    "phone": {"S": phone},
                    "email": {"S": f"client{number}@example.com"},
                    "owner": {"S": "manager-olena"},
                    "created_at": {"S": now},
                    "version": {"N": "1"},
                },
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
        {
            "Put": {
                "TableName": TABLE,
                "Item": {"pk": {"S": f"PHONE#{phone}"}, "sk": {"S": f"CLIENT#{client_id}"}},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
        {
            "Put": {
                "TableName": TABLE,
                "Item": {
                    "pk": {"S": f"OUTBOX#{event['metadata']['event_id']}"},
                    "sk": {"S": "ClientCreated"},
                    "detail": {"S": json.dumps(event, ensure_ascii=False)},
                },
            }
        },
    ]


def _expect_items(endpoint_url: str, expected: int) -> None:
    count = _client(endpoint_url).describe_table(TableName=TABLE)["Table"]["ItemCount"]
    if count != expected:
        raise RuntimeError(f"restored {count} items, expected {expected}")


if __name__ == "__main__":
    print(json.dumps(measure_restart(*(int(arg) for arg in sys.argv[1:2])), indent=2))
