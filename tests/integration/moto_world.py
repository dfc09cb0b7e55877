"""The moto world of the integration tests: provisioned once per test worker, its data
deleted between tests.

Provisioning every resource of `lanka_platform.resources` (four tables, eight queues, the
bus and its rules, the buckets, the user pool and its groups) and binding the four
services costs far more than a test's own requests, so a worker does it once. Between
tests `reset()` puts the world back to what provisioning made: tables that hold data are
made again empty, queues purged, the pool's users and the SES outbox removed, and anything
a test added (a tap queue and its rule, a bucket, a table) deleted. A test marked
`fresh_world` gets a world provisioned anew, and so does any test after one that reset
moto itself (a test that starts its own `mock_aws()` or the emulator).

The reset reads and empties moto's in-process backends directly (as the emulator's
snapshot does): there is no API to empty a table, and listing and deleting item by item
would cost more than the tests.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.config import default_user_config

from lanka_local import moto_patches
from lanka_local.provision import Provisioned, Provisioner
from lanka_platform import resources

REGION = "eu-central-1"


def _backend(service: str, region: str = REGION) -> Any:
    from moto.backends import get_backend

    return get_backend(service)[DEFAULT_ACCOUNT_ID][region]  # type: ignore[literal-required]


@dataclass
class MotoWorld:
    """What provisioning made, and the means to get back to it."""

    provisioned: Provisioned | None = None
    resets: int = 0
    provisions: int = 0

    @contextlib.contextmanager
    def active(self, *, fresh: bool = False) -> Iterator[Provisioned]:
        """moto in force for one test, with the world as provisioning left it.

        moto is started without resetting its backends and stopped without removing their
        data, so that the world outlives the test; outside a test moto is not in force
        (the emulator tests run a moto server of their own in the same process)."""
        # moto would otherwise give boto3 a new default session per test: a session parses
        # each service's model again (tens of ms a client).
        core = {**default_user_config.get("core", {}), "reset_boto3_session": False}
        mock = mock_aws(config={"core": core})  # type: ignore[typeddict-item]
        with moto_patches.installed():
            mock.start(reset=False)
            try:
                yield self._ready(fresh)
            finally:
                mock.stop(remove_data=False)

    def _ready(self, fresh: bool) -> Provisioned:
        if fresh or self.provisioned is None or not self._intact(self.provisioned):
            from moto.core.base_backend import BackendDict

            BackendDict.reset()
            self.provisioned = Provisioner(lambda name: boto3.client(name)).provision()
            self.provisions += 1
        else:
            self._reset(self.provisioned)
            self.resets += 1
        return self.provisioned

    @staticmethod
    def _intact(provisioned: Provisioned) -> bool:
        """Whether moto still holds what was provisioned (another test may have reset it)."""
        tables = _backend("dynamodb").tables
        queues = _backend("sqs").queues
        pools = _backend("cognito-idp").user_pools
        return (
            all(service.table.name in tables for service in resources.SERVICES)
            and all(service.queue in queues for service in resources.SERVICES)
            and provisioned.user_pool_id in pools
        )

    def _reset(self, provisioned: Provisioned) -> None:
        stack = resources.STACK
        provisioner = Provisioner(lambda name: boto3.client(name))
        # DynamoDB: a table that holds data is made again (its moto_patches index with it).
        dynamodb = _backend("dynamodb")
        wanted = {service.table.name for service in stack.services}
        remade = False
        for name, table in list(dynamodb.tables.items()):
            if name not in wanted or _has_items(table):
                dynamodb.delete_table(name)
                remade = remade or name in wanted
        if remade:
            provisioner._tables()
        # SQS: the inboxes and dead-letter queues emptied, any other queue deleted.
        sqs = _backend("sqs")
        queues = {service.queue for service in stack.services} | {
            service.dead_letter_queue for service in stack.services
        }
        for name, queue in list(sqs.queues.items()):
            if name not in queues:
                sqs.delete_queue(name)
            elif queue._messages or queue._pending_messages:
                queue._messages = []
                queue._pending_messages = set()
        # EventBridge: the provisioned rules only, on the provisioned buses.
        events = _backend("events")
        rules = {service.rule for service in stack.services if service.has_inbox_rule} | {
            feed.name for feed in stack.feeds
        }
        for bus_name, bus in list(events.event_buses.items()):
            if bus_name not in ("default", stack.bus):
                del events.event_buses[bus_name]
                continue
            for rule_name in [name for name in bus.rules if name not in rules]:
                del bus.rules[rule_name]
        events.archives.clear()
        # S3: buckets that hold objects (or were added) deleted, then made again empty.
        s3 = _backend("s3", "global")
        buckets = {bucket.name for bucket in stack.buckets}
        emptied = False
        for name, bucket in list(s3.buckets.items()):
            if name not in buckets or len(bucket.keys) or bucket.multiparts:
                _delete_bucket(s3, name)
                emptied = emptied or name in buckets
        if emptied:
            provisioner._buckets()
        # Cognito: the pool and its groups stay, its users go; other pools go.
        cognito = _backend("cognito-idp")
        for pool_id in [pool_id for pool_id in cognito.user_pools if pool_id != provisioned.user_pool_id]:
            del cognito.user_pools[pool_id]
        pool = cognito.user_pools[provisioned.user_pool_id]
        if pool.users:
            pool.users.clear()
            for group in pool.groups.values():
                group.users.clear()
            pool.refresh_tokens.clear()
            pool.access_tokens.clear()
            pool.id_tokens.clear()
        if set(pool.groups) != set(stack.groups):
            for name in set(pool.groups) - set(stack.groups):
                del pool.groups[name]
            provisioner._user_pool()
        # SES (and SES v2 over it): what was sent and the identities a test verified.
        for service in ("ses", "sesv2"):
            _backend(service).reset()


def _has_items(table: Any) -> bool:
    """Whether the table has held an item (a partition emptied by deletes still counts)."""
    return bool(table.items)


def _delete_bucket(backend: Any, name: str) -> None:
    """moto's `delete_bucket`, for a bucket that still holds objects (their files closed)."""
    from moto.s3.models import FakeKey, s3_backends

    bucket = backend.buckets[name]
    for key in bucket.keys.values():
        if isinstance(key, FakeKey):
            key.dispose()
    for part in bucket.multiparts.values():
        part.dispose()
    s3_backends.bucket_accounts.pop(name, None)
    backend.buckets.pop(name)
