"""The local AWS emulator keeps every acknowledged write across a restart and a `kill -9`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from lanka_local.emulator import REGION, Emulator
from lanka_local.provision import create_table_request
from lanka_platform import resources

# The emulator in a process of its own, so that a test can kill it with SIGKILL.
EMULATOR_PROCESS = """
import sys
from pathlib import Path

from lanka_local.emulator import Emulator

emulator = Emulator(Path(sys.argv[1]), port=0, snapshot_every_seconds=0)
emulator.start()
print("ready", emulator.endpoint_url, flush=True)
for command in sys.stdin:
    if command.strip() == "snapshot":
        emulator.snapshot()
        print("snapshotted", flush=True)
"""

TABLE = "lanka-clients"
PASSWORD = "Secret-Pass-123"


class EmulatorProcess:
    """An emulator in a child process: written to over HTTP, then killed without warning."""

    def __init__(self, data_dir: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", EMULATOR_PROCESS, str(data_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.endpoint_url = self._answer("ready").split()[1]

    def snapshot(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("snapshot\n")
        self.process.stdin.flush()
        self._answer("snapshotted")

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: no snapshot, no cleanup, no flush
        self.process.wait(timeout=10)

    def _answer(self, expected: str) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith(expected), f"emulator process said {line!r}"
        return line


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "aws"


@pytest.fixture
def emulator_process(data_dir: Path) -> Iterator[Callable[[], EmulatorProcess]]:
    started: list[EmulatorProcess] = []

    def start() -> EmulatorProcess:
        started.append(EmulatorProcess(data_dir))
        return started[-1]

    yield start
    for running in started:
        if running.process.poll() is None:
            running.kill()


@pytest.fixture
def emulator(data_dir: Path) -> Iterator[Callable[[], Emulator]]:
    """Emulators in this process, started in sequence on the same data dir."""
    started: list[Emulator] = []

    def start() -> Emulator:
        for previous in started:
            previous.stop()
        started.append(Emulator(data_dir, port=0))
        return started[-1]

    yield start
    for each in started:
        each.stop()


def client(name: str, endpoint_url: str) -> Any:
    return boto3.session.Session().client(
        name,
        region_name=REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def create_clients_table(dynamodb: Any) -> None:
    dynamodb.create_table(**create_table_request(resources.service("clients").table))


def put_client(dynamodb: Any, client_id: str, name: str) -> None:
    dynamodb.put_item(
        TableName=TABLE,
        Item={
            "pk": {"S": f"CLIENT#{client_id}"},
            "sk": {"S": "PROFILE"},
            "gsi1pk": {"S": "CLIENTS"},
            "gsi1sk": {"S": name},
            "name": {"S": name},
        },
    )


def client_names(dynamodb: Any) -> list[str]:
    """The client list as the UI reads it: a Query of the GSI."""
    result = dynamodb.query(
        TableName=TABLE,
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :all",
        ExpressionAttributeValues={":all": {"S": "CLIENTS"}},
    )
    return [item["name"]["S"] for item in result["Items"]]


def get_item(dynamodb: Any, pk: str, sk: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = dynamodb.get_item(
        TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"S": sk}}
    ).get("Item")
    return item


def tear_last_log_line(data_dir: Path) -> None:
    """Cut the newest log line in half, as a write interrupted mid-way leaves it."""
    newest = sorted(data_dir.glob("wal.*.jsonl"))[-1]
    content = newest.read_bytes()
    last_line_start = content.rstrip(b"\n").rfind(b"\n") + 1
    newest.write_bytes(content[: last_line_start + (len(content) - last_line_start) // 2])


def test_items_and_a_transaction_survive_a_clean_restart(emulator: Callable[[], Emulator]) -> None:
    # given
    first = emulator()
    first.start()
    dynamodb = client("dynamodb", first.endpoint_url)
    create_clients_table(dynamodb)
    put_client(dynamodb, "01", "Олена Коваль")
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": TABLE,
                    "Item": {
                        "pk": {"S": "CLIENT#02"},
                        "sk": {"S": "PROFILE"},
                        "gsi1pk": {"S": "CLIENTS"},
                        "gsi1sk": {"S": "Taras Bondar"},
                        "name": {"S": "Taras Bondar"},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": TABLE,
                    "Item": {"pk": {"S": "PHONE#+380501234567"}, "sk": {"S": "CLIENT#02"}},
                }
            },
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "OUTBOX#1"}, "sk": {"S": "ClientCreated"}}}},
        ]
    )

    # when
    first.stop()
    second = emulator()
    second.start()

    # then
    dynamodb = client("dynamodb", second.endpoint_url)
    assert sorted(client_names(dynamodb)) == ["Taras Bondar", "Олена Коваль"]
    assert get_item(dynamodb, "PHONE#+380501234567", "CLIENT#02") is not None
    assert get_item(dynamodb, "OUTBOX#1", "ClientCreated") is not None


def test_every_acknowledged_write_survives_kill_9(
    emulator_process: Callable[[], EmulatorProcess], emulator: Callable[[], Emulator]
) -> None:
    # given
    crashed = emulator_process()
    dynamodb = client("dynamodb", crashed.endpoint_url)
    create_clients_table(dynamodb)
    put_client(dynamodb, "01", "Олена Коваль")
    s3 = client("s3", crashed.endpoint_url)
    s3.create_bucket(Bucket="lanka-documents", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(
        Bucket="lanka-documents",
        Key="invoices/INV-1.pdf",
        Body=b"%PDF-1.7 invoice",
        ContentType="application/pdf",
    )
    sqs = client("sqs", crashed.endpoint_url)
    queue_url = sqs.create_queue(QueueName="lanka-deals-inbox")["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"event_id": "e-1"}))
    cognito = client("cognito-idp", crashed.endpoint_url)
    pool_id = cognito.create_user_pool(PoolName="lanka-staff")["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="lanka-staff-app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.create_group(UserPoolId=pool_id, GroupName="manager")
    cognito.admin_create_user(UserPoolId=pool_id, Username="olena", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username="olena", Password=PASSWORD, Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="olena", GroupName="manager")

    # when
    crashed.kill()
    restarted = emulator()
    restarted.start()

    # then
    url = restarted.endpoint_url
    assert client_names(client("dynamodb", url)) == ["Олена Коваль"]
    document = client("s3", url).get_object(Bucket="lanka-documents", Key="invoices/INV-1.pdf")
    assert document["Body"].read() == b"%PDF-1.7 invoice"
    assert document["ContentType"] == "application/pdf"
    sqs = client("sqs", url)
    messages = sqs.receive_message(QueueUrl=sqs.get_queue_url(QueueName="lanka-deals-inbox")["QueueUrl"])
    assert [json.loads(m["Body"]) for m in messages["Messages"]] == [{"event_id": "e-1"}]
    cognito = client("cognito-idp", url)
    assert [pool["Id"] for pool in cognito.list_user_pools(MaxResults=10)["UserPools"]] == [pool_id]
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username="olena")["Groups"]
    assert [group["GroupName"] for group in groups] == ["manager"]
    signed_in = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "olena", "PASSWORD": PASSWORD},
    )
    assert signed_in["AuthenticationResult"]["IdToken"]


def test_ids_the_emulator_invented_are_the_same_after_kill_9(
    emulator_process: Callable[[], EmulatorProcess], emulator: Callable[[], Emulator]
) -> None:
    # given
    crashed = emulator_process()
    cognito = client("cognito-idp", crashed.endpoint_url)
    pool_id = cognito.create_user_pool(PoolName="lanka-staff")["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="lanka-staff-app")[
        "UserPoolClient"
    ]["ClientId"]
    user = cognito.admin_create_user(UserPoolId=pool_id, Username="olena", MessageAction="SUPPRESS")["User"]
    sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
    sqs = client("sqs", crashed.endpoint_url)
    queue_url = sqs.create_queue(QueueName="lanka-deals-inbox")["QueueUrl"]
    message_id = sqs.send_message(QueueUrl=queue_url, MessageBody="{}")["MessageId"]

    # when
    crashed.kill()
    restarted = emulator()
    restarted.start()

    # then
    cognito = client("cognito-idp", restarted.endpoint_url)
    clients = cognito.list_user_pool_clients(UserPoolId=pool_id)["UserPoolClients"]
    assert [c["ClientId"] for c in clients] == [client_id]
    user = cognito.admin_get_user(UserPoolId=pool_id, Username="olena")
    assert {"Name": "sub", "Value": sub} in user["UserAttributes"]
    sqs = client("sqs", restarted.endpoint_url)
    received = sqs.receive_message(QueueUrl=sqs.get_queue_url(QueueName="lanka-deals-inbox")["QueueUrl"])
    assert [m["MessageId"] for m in received["Messages"]] == [message_id]


def test_a_torn_last_log_line_is_ignored(
    emulator_process: Callable[[], EmulatorProcess], emulator: Callable[[], Emulator], data_dir: Path
) -> None:
    # given
    crashed = emulator_process()
    dynamodb = client("dynamodb", crashed.endpoint_url)
    create_clients_table(dynamodb)
    put_client(dynamodb, "01", "Олена Коваль")
    put_client(dynamodb, "02", "Taras Bondar")
    crashed.kill()
    tear_last_log_line(data_dir)

    # when
    restarted = emulator()
    report = restarted.start()

    # then
    assert client_names(client("dynamodb", restarted.endpoint_url)) == ["Олена Коваль"]
    assert report.wal_requests == 2


def test_writes_after_recovering_from_a_torn_line_survive_the_next_crash(
    emulator_process: Callable[[], EmulatorProcess], data_dir: Path, emulator: Callable[[], Emulator]
) -> None:
    # given
    crashed = emulator_process()
    dynamodb = client("dynamodb", crashed.endpoint_url)
    create_clients_table(dynamodb)
    put_client(dynamodb, "01", "Олена Коваль")
    put_client(dynamodb, "02", "Taras Bondar")
    crashed.kill()
    tear_last_log_line(data_dir)
    recovered = emulator_process()
    put_client(client("dynamodb", recovered.endpoint_url), "03", "Iryna Shevchuk")

    # when
    recovered.kill()
    restarted = emulator()
    restarted.start()

    # then
    assert sorted(client_names(client("dynamodb", restarted.endpoint_url))) == [
        "Iryna Shevchuk",
        "Олена Коваль",
    ]


def test_a_snapshot_and_the_log_after_it_are_each_applied_once(
    emulator_process: Callable[[], EmulatorProcess], emulator: Callable[[], Emulator]
) -> None:
    # given
    crashed = emulator_process()
    dynamodb = client("dynamodb", crashed.endpoint_url)
    create_clients_table(dynamodb)

    def add_one() -> None:
        dynamodb.update_item(
            TableName=TABLE,
            Key={"pk": {"S": "COUNTER#clients"}, "sk": {"S": "COUNTER"}},
            UpdateExpression="ADD hits :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )

    for _ in range(5):
        add_one()
    crashed.snapshot()
    for _ in range(5):
        add_one()

    # when
    crashed.kill()
    restarted = emulator()
    report = restarted.start()

    # then
    counter = get_item(client("dynamodb", restarted.endpoint_url), "COUNTER#clients", "COUNTER")
    assert counter is not None
    assert counter["hits"] == {"N": "10"}
    assert (report.snapshot_items, report.wal_requests) == (1, 5)


def test_a_message_deleted_before_a_clean_stop_is_not_delivered_again(
    emulator: Callable[[], Emulator],
) -> None:
    # given
    first = emulator()
    first.start()
    sqs = client("sqs", first.endpoint_url)
    queue_url = sqs.create_queue(QueueName="lanka-deals-inbox")["QueueUrl"]
    for event_id in ("e-1", "e-2"):
        sqs.send_message(QueueUrl=queue_url, MessageBody=event_id)
    consumed = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1)["Messages"][0]
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=consumed["ReceiptHandle"])

    # when
    first.stop()
    second = emulator()
    second.start()

    # then
    sqs = client("sqs", second.endpoint_url)
    remaining = sqs.receive_message(QueueUrl=sqs.get_queue_url(QueueName="lanka-deals-inbox")["QueueUrl"])
    assert [m["Body"] for m in remaining["Messages"]] == [{"e-1": "e-2", "e-2": "e-1"}[consumed["Body"]]]


def test_a_bucket_setting_the_snapshot_does_not_model_survives_a_clean_restart(
    emulator: Callable[[], Emulator],
) -> None:
    # given
    first = emulator()
    first.start()
    s3 = client("s3", first.endpoint_url)
    s3.create_bucket(Bucket="lanka-web", CreateBucketConfiguration={"LocationConstraint": REGION})
    rules = [{"AllowedMethods": ["GET"], "AllowedOrigins": ["http://localhost:8000"]}]
    s3.put_bucket_cors(Bucket="lanka-web", CORSConfiguration={"CORSRules": rules})

    # when
    first.stop()
    second = emulator()
    second.start()

    # then
    assert client("s3", second.endpoint_url).get_bucket_cors(Bucket="lanka-web")["CORSRules"] == rules


def test_a_second_emulator_cannot_take_a_data_dir_in_use(
    emulator_process: Callable[[], EmulatorProcess], data_dir: Path
) -> None:
    # given
    emulator_process()

    # when / then
    with pytest.raises(RuntimeError, match="in use"):
        Emulator(data_dir, port=0).start()


def test_a_cancelled_transaction_changes_nothing(emulator: Callable[[], Emulator]) -> None:
    # given
    running = emulator()
    running.start()
    dynamodb = client("dynamodb", running.endpoint_url)
    create_clients_table(dynamodb)
    put_client(dynamodb, "01", "Олена Коваль")
    existing = {"pk": {"S": "CLIENT#01"}, "sk": {"S": "PROFILE"}}

    # when
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "CLIENT#02"}, "sk": {"S": "PROFILE"}}}},
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": existing,
                        "UpdateExpression": "SET #name = :name",
                        "ExpressionAttributeNames": {"#name": "name"},
                        "ExpressionAttributeValues": {":name": {"S": "Renamed"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "PHONE#+380501234567"}, "sk": {"S": "CLIENT#02"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )

    # then
    assert get_item(dynamodb, "CLIENT#02", "PROFILE") is None
    assert client_names(dynamodb) == ["Олена Коваль"]
