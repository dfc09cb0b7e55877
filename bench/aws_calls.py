"""AWS API calls per request, counted by a botocore event hook on every client in use."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws
from werkzeug.test import Client

from lanka_platform import aws

_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "eu-central-1",
    "AWS_REGION": "eu-central-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "ERROR",
    "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
}


class CallCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._hooked: set[int] = set()

    def hook(self, client: Any) -> None:
        if id(client) not in self._hooked:
            client.meta.events.register("before-call", self._count)
            self._hooked.add(id(client))

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}.{model.name}"] += 1

    @contextmanager
    def measuring(self) -> Iterator[Counter[str]]:
        self.calls.clear()
        seen: Counter[str] = Counter()
        yield seen
        seen.update(self.calls)


def _clients_of(service: Any) -> list[Any]:
    """Every client the service's requests go through, each once (the table bindings share
    the process's one DynamoDB client: a hook registered per binding would count N times)."""
    store = service.store
    found = [store.connection.client]
    for model in store._classes.values():
        found.append(model._get_connection().connection.client)
    settings = service.settings
    found.append(aws.client("events", settings.region, settings.aws_endpoint_url))
    return list({id(client): client for client in found}.values())


def _token(cognito: Any, pool_id: str, client_id: str, username: str, role: str) -> tuple[str, str]:
    cognito.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password="Bench-Pass-1234", Permanent=True
    )
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=role)
    token = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": "Bench-Pass-1234"},
    )["AuthenticationResult"]["IdToken"]
    user = cognito.admin_get_user(UserPoolId=pool_id, Username=username)
    sub = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
    return token, sub


def measure() -> dict[str, int]:
    os.environ.update(_ENVIRONMENT)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with mock_aws():
        from lanka_local import provision, services
        from lanka_local.gateway import staff_gateway
        from lanka_local.provision import moto_jwks

        provisioned = provision.Provisioner(lambda name: boto3.client(name)).provision()
        cognito = boto3.client("cognito-idp")
        token, _ = _token(cognito, provisioned.user_pool_id, provisioned.user_pool_client_id, "m", "manager")
        loaded = services.load_all()
        for item in loaded.values():
            item.service.use()
        http = Client(
            staff_gateway(
                loaded,
                provisioned.user_pool_id,
                provisioned.user_pool_client_id,
                region="eu-central-1",
                fetch=moto_jwks,
            )
        )
        headers = {"Authorization": f"Bearer {token}"}
        clients_service = loaded["clients"].service
        # warm up: every client exists after one round trip
        warm = http.post(
            "/api/clients/clients", json={"name": "Warm", "phone": "0671112233"}, headers=headers
        )
        http.get(f"/api/clients/clients/{warm.get_json()['id']}", headers=headers)
        counter = CallCounter()
        for client in _clients_of(clients_service):
            counter.hook(client)
        with counter.measuring() as create_calls:
            created = http.post(
                "/api/clients/clients", json={"name": "Олена", "phone": "0501234567"}, headers=headers
            )
        assert created.status_code == 201, created.get_data()
        client_id = created.get_json()["id"]
        with counter.measuring() as get_calls:
            read = http.get(f"/api/clients/clients/{client_id}", headers=headers)
        assert read.status_code == 200
        with counter.measuring() as search_calls:
            found = http.get("/api/clients/clients/search", query_string={"q": "олена"}, headers=headers)
        assert found.status_code == 200 and found.get_json()["items"], found.get_data()
        for text in ("перша", "друга", "третя"):
            http.post(f"/api/clients/clients/{client_id}/notes", json={"text": text}, headers=headers)
        with counter.measuring() as timeline_calls:
            page = http.get(
                f"/api/clients/clients/{client_id}/timeline", query_string={"limit": 2}, headers=headers
            )
        assert page.status_code == 200
    aws.forget_clients()
    return {
        "aws_calls.create_client": sum(create_calls.values()) - _auth(create_calls),
        "aws_calls.create_client.TransactWriteItems": create_calls["dynamodb.TransactWriteItems"],
        "aws_calls.create_client.PutEvents": create_calls["events.PutEvents"],
        # the card (GetItem) and the audit entry of reading its contact details (PutItem)
        "aws_calls.get_client": sum(get_calls.values()) - _auth(get_calls),
        "aws_calls.search_clients": sum(search_calls.values()) - _auth(search_calls),
        "aws_calls.search_clients.Query": search_calls["dynamodb.Query"],
        # the client's owner (GetItem, for visibility) and one Query for the page
        "aws_calls.timeline_page": sum(timeline_calls.values()) - _auth(timeline_calls),
        "aws_calls.timeline_page.Query": timeline_calls["dynamodb.Query"],
        # every staff request: is the caller's access revoked (one GetItem)
        "aws_calls.auth_lookups_per_request": _auth(search_calls),
    }


def _auth(calls: Counter[str]) -> int:
    """The access check every staff request makes (one GetItem of the caller's own key)."""
    return 1 if calls["dynamodb.GetItem"] else 0
