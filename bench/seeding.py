"""Seeding big tables for the scale benchmarks: the items a store queues for its
transaction, loaded straight into the in-process moto (through the API, moto takes some 60
clients a second)."""

from __future__ import annotations

import os
from typing import Any

import boto3


def queued_puts(unit: Any) -> list[dict[str, Any]]:
    """The items (wire format) of the puts a unit of work would send, not sending them."""
    transaction = Transaction()
    for operation in unit._operations:
        operation.apply(transaction)
    return transaction.puts


def create_table(service: str, name: str) -> None:
    """Another table of `service`'s shape, named `name`."""
    from lanka_local.provision import create_table_request
    from lanka_platform import resources

    request = create_table_request(resources.service(service).table)
    request["TableName"] = name
    boto3.client("dynamodb").create_table(**request)


class Transaction:
    """Takes the place of PynamoDB's TransactWrite: keeps each Put's item as it would be
    sent (`ClientStore.add` only puts)."""

    def __init__(self) -> None:
        self.puts: list[dict[str, Any]] = []

    def save(self, model: Any, condition: Any = None) -> None:
        if model._version_attribute_name is None:
            self.puts.append(model.serialize())  # the same, without the rest of the request
        else:  # PynamoDB sets the version as it builds the request
            self.puts.append(model.get_save_kwargs_from_instance(condition=condition)["Item"])


class Loader:
    """Puts items (in the wire format) into a table of the in-process moto, as moto's
    PutItem stores them, without the request and the per-item checks."""

    def __init__(self, table_name: str) -> None:
        from moto.dynamodb.models import dynamodb_backends

        account = boto3.client("sts").get_caller_identity()["Account"]
        self._table = dynamodb_backends[account][os.environ["AWS_REGION"]].get_table(table_name)
        self._shared: dict[tuple[str, Any], Any] = {}
        self._partitions: dict[str, Any] = {}
        self.written = 0

    def __call__(self, items: list[dict[str, Any]]) -> None:
        from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

        table, shared, partitions = self._table, self._shared, self._partitions
        hash_name, range_name = table.hash_key_attr, table.range_key_attr
        for attributes in items:
            stored: dict[str, Any] = {}
            for name, wire in attributes.items():
                ((kind, value),) = wire.items()
                if name == range_name or kind not in ("S", "N"):
                    stored[name] = DynamoType(wire)
                    continue
                value_of = shared.get((kind, value))
                if value_of is None:
                    value_of = shared[kind, value] = DynamoType(wire)
                stored[name] = value_of
            item = Item.__new__(Item)
            item.hash_key, item.range_key = stored[hash_name], stored[range_name]
            item.attrs = LimitedSizeDict.__new__(LimitedSizeDict)
            dict.update(item.attrs, stored)
            # Partitions by the key's text: hashing a DynamoType is slow.
            partition_key = attributes[hash_name]["S"]
            partition = partitions.get(partition_key)
            if partition is None:
                partition = partitions[partition_key] = table.items[item.hash_key]
            partition[item.range_key] = item
        self.written += len(items)


def staff_world(users: list[tuple[str, str]]) -> tuple[Any, dict[str, Any], dict[str, tuple[str, str]]]:
    """Inside a running moto: everything provisioned, the four services loaded behind the
    local gateway, and `users` (name, role) signed in. Returns the HTTP client, the loaded
    services, and each user's (ID token, user id)."""
    from werkzeug.test import Client as HttpClient

    from bench.aws_calls import _token
    from lanka_local import provision, services
    from lanka_local.gateway import staff_gateway
    from lanka_local.provision import moto_jwks

    provisioned = provision.Provisioner(lambda name: boto3.client(name)).provision()
    cognito = boto3.client("cognito-idp")
    pool, app_client = provisioned.user_pool_id, provisioned.user_pool_client_id
    signed_in = {name: _token(cognito, pool, app_client, name, role) for name, role in users}
    loaded = services.load_all()
    for item in loaded.values():
        item.service.use()
    gateway = staff_gateway(loaded, pool, app_client, region="eu-central-1", fetch=moto_jwks)
    return HttpClient(gateway), loaded, signed_in
