"""One botocore session per process: PynamoDB's table bindings and the platform's own
clients all speak through it, so no request and no new binding parses a service model."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest

from lanka_platform import aws

CLIENTS = "/api/clients"


@contextlib.contextmanager
def sessions_made() -> Iterator[list[Any]]:
    """Every botocore session made inside the block."""
    made: list[Any] = []
    original = botocore.session.Session.__init__

    def counted(session: Any, *args: Any, **kwargs: Any) -> None:
        made.append(session)
        original(session, *args, **kwargs)

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(botocore.session.Session, "__init__", counted)
        yield made


def test_new_table_bindings_and_their_requests_make_no_botocore_session(world):
    # given the process has answered a request (its one session is made)
    assert world.http.get(f"{CLIENTS}/clients?limit=1", headers=world.headers()).status_code == 200
    with sessions_made() as made:
        # when every service is bound anew to its table (as a new settings read does), and a
        # client is created, its events delivered to every service, and it is read back
        for service in world.services.values():
            service.use()
        created = world.http.post(
            f"{CLIENTS}/clients", json={"name": "Олена Коваль"}, headers=world.headers()
        )
        world.router.deliver_all()
        read = world.http.get(f"{CLIENTS}/clients/{created.get_json()['id']}", headers=world.headers())
    # then the services made no session of their own
    assert (created.status_code, read.status_code) == (201, 200)
    assert made == []


def test_every_model_of_a_service_speaks_through_the_one_dynamodb_client(world):
    # given the clients service's store
    store = world.services["clients"].store
    settings = store.settings
    shared = aws.dynamodb(settings.region, settings.aws_endpoint_url)
    # when its models and its transactions are asked for their client
    from lanka_platform.storage import IdempotencyRecord, OutboxEntry, ProcessedEvent

    clients = {
        id(store.model(model)._get_connection().connection.client)
        for model in (OutboxEntry, ProcessedEvent, IdempotencyRecord)
    }
    # then it is one client, made from the process's one session
    assert clients == {id(shared)} == {id(store.connection.client)}
    assert shared._request_signer is not None
    assert aws.session() is aws.session()
