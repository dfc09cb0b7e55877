"""moto's DynamoDB Query with `lanka_local.moto_patches` gives moto's own answers, page by page."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from lanka_local import moto_patches
from lanka_local.emulator import Emulator

REGION = "eu-central-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
LETTERS = "ab#ц"  # few letters, so that keys share long prefixes
RANGED, NUMBERED, HASHED = "ranged", "numbered", "hashed"
PARTITIONS = {
    RANGED: ["P#big", "P#small", "P#one", "P#heavy", "P#none"],
    NUMBERED: ["N#big", "N#small", "N#none"],
    HASHED: [f"H#{number}" for number in range(0, 40, 3)],
}
MAX_PAGES = 60
EXAMPLES = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _text(chance: random.Random, shortest: int, longest: int) -> str:
    return "".join(chance.choice(LETTERS) for _ in range(chance.randint(shortest, longest)))


def _dataset() -> dict[str, list[dict[str, Any]]]:
    """Partitions of a few hundred, a few and one item; one of items of 95 kB each, so that
    the 1 MB page limit closes pages; string and number sort keys; a table without one."""
    chance = random.Random(20240611)  # noqa: S311 - a fixed dataset, not a secret
    ranged: list[dict[str, Any]] = []
    for pk, count in (("P#big", 250), ("P#small", 6), ("P#one", 1)):
        for sk in {_text(chance, 1, 6) for _ in range(count)}:
            item = {"pk": {"S": pk}, "sk": {"S": sk}, "n": {"N": str(chance.randint(0, 9))}}
            if chance.random() < 0.5:
                item["gsi1pk"] = {"S": chance.choice(["G#1", "G#2"])}
                item["gsi1sk"] = {"S": _text(chance, 1, 3)}
            ranged.append(item)
    for number in range(25):
        ranged.append({"pk": {"S": "P#heavy"}, "sk": {"S": f"h{number:02d}"}, "blob": {"S": "x" * 95_000}})
    numbered = [
        {"pk": {"S": pk}, "sk": {"N": value}, "n": {"N": str(chance.randint(0, 9))}}
        for pk, count in (("N#big", 100), ("N#small", 4))
        for value in {
            chance.choice([str(chance.randint(-60, 60)), f"{chance.uniform(-60, 60):.2f}"])
            for _ in range(count)
        }
    ]
    hashed = [{"pk": {"S": f"H#{number}"}, "n": {"N": str(number)}} for number in range(0, 40, 2)]
    return {RANGED: ranged, NUMBERED: numbered, HASHED: hashed}


def _create_tables(dynamodb: Any) -> None:
    dynamodb.create_table(
        TableName=RANGED,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "gsi1pk", "gsi1sk")
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "gsi1",
                "KeySchema": [
                    {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                    {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    dynamodb.create_table(
        TableName=NUMBERED,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )
    dynamodb.create_table(
        TableName=HASHED,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )


def _client(endpoint_url: str | None = None) -> Any:
    return boto3.client(
        "dynamodb",
        region_name=REGION,
        endpoint_url=endpoint_url,
        config=Config(retries={"max_attempts": 1}),
        **CREDENTIALS,
    )


@pytest.fixture(scope="class")
def dynamodb() -> Iterator[Any]:
    """The dataset in moto under `mock_aws`, for one class: the emulator test below resets
    moto's state, so it must not run while this is alive."""
    uninstall = moto_patches.install()
    try:
        with mock_aws():
            client = _client()
            _create_tables(client)
            for table, items in _dataset().items():
                for item in items:
                    client.put_item(TableName=table, Item=item)
            yield client
    finally:
        uninstall()


def _table_class() -> Any:
    from moto.dynamodb.models.table import Table

    return Table


@contextmanager
def _moto_as_shipped() -> Iterator[None]:
    """moto's own `Table.query` for a while (the patch keeps it as `__wrapped__`)."""
    table = _table_class()
    patched = table.query
    table.query = patched.__wrapped__
    try:
        yield
    finally:
        table.query = patched


def _pages(dynamodb: Any, request: dict[str, Any]) -> list[dict[str, Any]]:
    """Every page of a query, following LastEvaluatedKey; an error ends the list."""
    pages: list[dict[str, Any]] = []
    request = dict(request)
    for _ in range(MAX_PAGES):
        try:
            page = dynamodb.query(**request)
        except ClientError as error:
            pages.append({"error": error.response["Error"]})
            break
        page.pop("ResponseMetadata", None)
        pages.append(page)
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return pages


def _both_answers(dynamodb: Any, request: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    assert hasattr(_table_class().query, "__wrapped__"), "the patch is not in force"
    patched = _pages(dynamodb, request)
    with _moto_as_shipped():
        shipped = _pages(dynamodb, request)
    return patched, shipped


# Texts of the dataset's letters, and keys around the pages of the heavy partition.
_operand_text = st.one_of(
    st.text(alphabet=LETTERS, min_size=1, max_size=5),
    st.sampled_from(["h0", "h05", "h09", "h1", "h15", "h2"]),
)
_operand_number = st.one_of(
    st.integers(-70, 70).map(str),
    st.decimals(-70, 70, places=2, allow_nan=False, allow_infinity=False).map(str),
)


def _heavy_request(condition: str, sk: str, *, forward: bool) -> dict[str, Any]:
    return {
        "TableName": RANGED,
        "KeyConditionExpression": f"pk = :pk AND {condition}",
        "ExpressionAttributeValues": {":pk": {"S": "P#heavy"}, ":sk": {"S": sk}},
        "ScanIndexForward": forward,
    }


@st.composite
def _queries(draw: st.DrawFn) -> dict[str, Any]:
    table = draw(st.sampled_from([RANGED, RANGED, NUMBERED, HASHED]))
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": draw(st.sampled_from(PARTITIONS[table]))}},
        "ScanIndexForward": draw(st.booleans()),
    }
    values = request["ExpressionAttributeValues"]
    if table != HASHED:
        kind, operand = ("S", _operand_text) if table == RANGED else ("N", _operand_number)
        operators = ["=", "<", "<=", ">", ">=", "between", *(["begins_with"] if kind == "S" else []), None]
        operator = draw(st.sampled_from(operators))
        if operator == "between":
            values[":low"], values[":high"] = {kind: draw(operand)}, {kind: draw(operand)}
            request["KeyConditionExpression"] += " AND sk BETWEEN :low AND :high"
        elif operator == "begins_with":
            values[":sk"] = {kind: draw(operand)}
            request["KeyConditionExpression"] += " AND begins_with(sk, :sk)"
        elif operator is not None:
            values[":sk"] = {kind: draw(operand)}
            request["KeyConditionExpression"] += f" AND sk {operator} :sk"
        if draw(st.booleans()):
            pk = values[":pk"]
            request["ExclusiveStartKey"] = {"pk": pk, "sk": {kind: draw(operand)}}
    elif draw(st.booleans()):
        request["ExclusiveStartKey"] = {"pk": {"S": draw(st.sampled_from(PARTITIONS[HASHED]))}}
    if draw(st.booleans()):
        request["Limit"] = draw(st.integers(1, 30))
    if table != HASHED and draw(st.booleans()):
        request["FilterExpression"] = "n > :n"
        values[":n"] = {"N": str(draw(st.integers(0, 9)))}
    if draw(st.integers(0, 4)) == 0:
        request["ProjectionExpression"] = "sk, n"
    return request


_partition_numbers = itertools.count()


class TestAnswersAsMoto:
    """Queries on the dataset of `dynamodb`, answered with the patch and by moto as shipped."""

    @EXAMPLES
    @given(request=_queries())
    # A page ended by 1 MB just as the matching keys end: moto still says where to go on.
    @example(request=_heavy_request("sk <= :sk", "h09", forward=True))
    @example(request=_heavy_request("sk >= :sk", "h15", forward=False))
    def test_a_table_query_is_answered_as_moto_answers_it(
        self, dynamodb: Any, request: dict[str, Any]
    ) -> None:
        # given the dataset of the module fixture
        # when the query is paged through, with the patch and without
        patched, shipped = _both_answers(dynamodb, request)
        # then every page is the same: items, order, counts and LastEvaluatedKey
        assert patched == shipped

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        partition=st.sampled_from(["G#1", "G#2", "G#3"]),
        operator=st.sampled_from([None, "=", "<", "<=", ">", ">=", "between", "begins_with"]),
        operands=st.tuples(_operand_text, _operand_text),
        forward=st.booleans(),
        limit=st.one_of(st.none(), st.integers(1, 30)),
        filtered=st.booleans(),
    )
    def test_an_index_query_is_answered_as_moto_answers_it(
        self,
        dynamodb: Any,
        partition: str,
        operator: str | None,
        operands: tuple[str, str],
        forward: bool,
        limit: int | None,
        filtered: bool,
    ) -> None:
        # given the items of the dataset that carry gsi1 keys
        request: dict[str, Any] = {
            "TableName": RANGED,
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": partition}},
            "ScanIndexForward": forward,
        }
        values = request["ExpressionAttributeValues"]
        if operator == "between":
            request["KeyConditionExpression"] += " AND gsi1sk BETWEEN :low AND :high"
            values[":low"], values[":high"] = {"S": operands[0]}, {"S": operands[1]}
        elif operator == "begins_with":
            request["KeyConditionExpression"] += " AND begins_with(gsi1sk, :sk)"
            values[":sk"] = {"S": operands[0]}
        elif operator is not None:
            request["KeyConditionExpression"] += f" AND gsi1sk {operator} :sk"
            values[":sk"] = {"S": operands[0]}
        if limit is not None:
            request["Limit"] = limit
        if filtered:
            request["FilterExpression"] = "n > :n"
            values[":n"] = {"N": "4"}
        # when the query is paged through, with the patch and without
        patched, shipped = _both_answers(dynamodb, request)
        # then every page is the same
        assert patched == shipped

    @EXAMPLES
    @given(
        writes=st.lists(
            st.tuples(st.sampled_from(["put", "delete"]), st.text(alphabet=LETTERS, min_size=1, max_size=3)),
            max_size=40,
        ),
        prefix=_operand_text,
        forward=st.booleans(),
        limit=st.one_of(st.none(), st.integers(1, 8)),
    )
    def test_a_partition_read_again_after_writes_shows_them(
        self, dynamodb: Any, writes: list[tuple[str, str]], prefix: str, forward: bool, limit: int | None
    ) -> None:
        # given a partition of its own, queried once so that its order is known
        pk = {"S": f"W#{next(_partition_numbers)}"}
        request = {
            "TableName": RANGED,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :sk)",
            "ExpressionAttributeValues": {":pk": pk, ":sk": {"S": prefix}},
            "ScanIndexForward": forward,
            **({"Limit": limit} if limit else {}),
        }
        _pages(dynamodb, request)
        # when items come and go in it
        for action, sk in writes:
            if action == "put":
                dynamodb.put_item(TableName=RANGED, Item={"pk": pk, "sk": {"S": sk}})
            else:
                dynamodb.delete_item(TableName=RANGED, Key={"pk": pk, "sk": {"S": sk}})
        # then the query answers as moto does, and what moto holds is what was written
        patched, shipped = _both_answers(dynamodb, request)
        assert patched == shipped
        kept: set[str] = set()
        for action, sk in writes:
            (kept.add if action == "put" else kept.discard)(sk)
        found = [item["sk"]["S"] for page in patched for item in page["Items"]]
        assert found == sorted((sk for sk in kept if sk.startswith(prefix)), reverse=not forward)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        writes=st.lists(
            st.tuples(
                st.sampled_from(["put", "update", "delete", "transact"]),
                st.integers(0, 5),
                st.sampled_from(["A", "B", None]),
                st.text(alphabet=LETTERS, min_size=1, max_size=2),
            ),
            max_size=30,
        ),
        forward=st.booleans(),
        limit=st.one_of(st.none(), st.integers(1, 4)),
    )
    def test_an_index_read_again_after_writes_shows_them(
        self,
        dynamodb: Any,
        writes: list[tuple[str, int, str | None, str]],
        forward: bool,
        limit: int | None,
    ) -> None:
        # given index partitions of their own, both read once so that their items are grouped
        run = next(_partition_numbers)
        groups = {"A": f"GW#{run}#A", "B": f"GW#{run}#B"}
        pk = {"S": f"GW#{run}"}

        def request(group: str) -> dict[str, Any]:
            return {
                "TableName": RANGED,
                "IndexName": "gsi1",
                "KeyConditionExpression": "gsi1pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": groups[group]}},
                "ScanIndexForward": forward,
                **({"Limit": limit} if limit else {}),
            }

        for group in groups:
            _pages(dynamodb, request(group))
        # when items come, move between the index partitions (in place, by UpdateItem), leave
        # the index, and go — singly and in transactions
        held: dict[int, tuple[str | None, str]] = {}
        for action, number, group, sk in writes:
            key = {"pk": pk, "sk": {"S": f"i{number}"}}
            index_keys = {"gsi1pk": {"S": groups[group]}, "gsi1sk": {"S": sk}} if group else {}
            if action == "put":
                dynamodb.put_item(TableName=RANGED, Item={**key, **index_keys})
                held[number] = (group, sk)
            elif action == "delete":
                dynamodb.delete_item(TableName=RANGED, Key=key)
                held.pop(number, None)
            elif group is None:
                dynamodb.update_item(TableName=RANGED, Key=key, UpdateExpression="REMOVE gsi1pk, gsi1sk")
                held[number] = (None, sk)
            else:
                update = {
                    "TableName": RANGED,
                    "Key": key,
                    "UpdateExpression": "SET gsi1pk = :g, gsi1sk = :s",
                    "ExpressionAttributeValues": {":g": index_keys["gsi1pk"], ":s": index_keys["gsi1sk"]},
                }
                if action == "update":
                    dynamodb.update_item(**update)
                else:
                    dynamodb.transact_write_items(TransactItems=[{"Update": update}])
                held[number] = (group, sk)
        # then each index partition answers as moto does, and holds what was written
        for group in groups:
            patched, shipped = _both_answers(dynamodb, request(group))
            assert patched == shipped
            found = [item["pk"]["S"] + item["sk"]["S"] for page in patched for item in page["Items"]]
            expected = sorted(
                ((sk, f"i{number}") for number, (where, sk) in held.items() if where == group),
                reverse=not forward,
            )
            assert found == [pk["S"] + number for _, number in expected]

    def test_an_index_read_after_writes_does_not_walk_the_table_again(self, dynamodb: Any) -> None:
        # given an index partition read once, so that the index is grouped
        from moto.dynamodb.models import dynamodb_backends

        (table,) = [
            found
            for backend in dynamodb_backends.values()
            for regional in backend.values()
            for name, found in regional.tables.items()
            if name == RANGED
        ]
        request = {
            "TableName": RANGED,
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": "G#moved"}},
        }
        _pages(dynamodb, request)
        walks = table.items.walks
        # when an item is put into it, another moved into it in place, and one deleted
        pk = {"S": "M#walks"}
        dynamodb.put_item(
            TableName=RANGED,
            Item={"pk": pk, "sk": {"S": "a"}, "gsi1pk": {"S": "G#moved"}, "gsi1sk": {"S": "1"}},
        )
        dynamodb.put_item(TableName=RANGED, Item={"pk": pk, "sk": {"S": "b"}})
        dynamodb.update_item(
            TableName=RANGED,
            Key={"pk": pk, "sk": {"S": "b"}},
            UpdateExpression="SET gsi1pk = :g, gsi1sk = :s",
            ExpressionAttributeValues={":g": {"S": "G#moved"}, ":s": {"S": "2"}},
        )
        dynamodb.delete_item(TableName=RANGED, Key={"pk": pk, "sk": {"S": "a"}})
        patched, shipped = _both_answers(dynamodb, request)
        # then the index answers as moto does, without one more walk of the table
        assert patched == shipped
        assert [item["sk"]["S"] for item in patched[0]["Items"]] == ["b"]
        assert table.items.walks == walks

    def test_a_cancelled_transaction_leaves_the_partition_as_it_was(self, dynamodb: Any) -> None:
        # given a partition with two items, read once
        pk = {"S": "T#cancelled"}
        for sk in ("a", "c"):
            dynamodb.put_item(TableName=RANGED, Item={"pk": pk, "sk": {"S": sk}})
        request = {
            "TableName": RANGED,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": pk},
        }
        before = _pages(dynamodb, request)
        # when a transaction that would add an item is cancelled by its second condition
        with pytest.raises(ClientError, match="TransactionCanceled"):
            dynamodb.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": RANGED, "Item": {"pk": pk, "sk": {"S": "b"}}}},
                    {
                        "Put": {
                            "TableName": RANGED,
                            "Item": {"pk": pk, "sk": {"S": "a"}},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        # then the query reads the two items it read before, as moto does
        patched, shipped = _both_answers(dynamodb, request)
        assert patched == shipped == before
        assert [item["sk"]["S"] for item in patched[0]["Items"]] == ["a", "c"]


def test_the_emulator_answers_a_query_from_the_partition_in_sort_order(tmp_path: Path) -> None:
    # given a running emulator holding two partitions with the same sort keys, written out of order
    emulator = Emulator(tmp_path / "aws", port=0, snapshot_every_seconds=0)
    emulator.start()
    try:
        dynamodb = _client(emulator.endpoint_url)
        _create_tables(dynamodb)
        for sk in ("b#2", "a#9", "b#1", "ab", "b", "c"):
            for pk in ("P#1", "P#2"):
                dynamodb.put_item(TableName=RANGED, Item={"pk": {"S": pk}, "sk": {"S": sk}})
        # when a page of one partition is read backwards, from a sort-key prefix
        page = dynamodb.query(
            TableName=RANGED,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
            ExpressionAttributeValues={":pk": {"S": "P#1"}, ":sk": {"S": "b"}},
            ScanIndexForward=False,
            Limit=2,
        )
        # then it holds that partition's last two keys with the prefix, and says where to go on
        assert [(item["pk"]["S"], item["sk"]["S"]) for item in page["Items"]] == [
            ("P#1", "b#2"),
            ("P#1", "b#1"),
        ]
        assert page["ScannedCount"] == 2
        assert page["LastEvaluatedKey"] == {"pk": {"S": "P#1"}, "sk": {"S": "b#1"}}
        assert hasattr(_table_class().query, "__wrapped__"), "the emulator runs moto's Query as shipped"
    finally:
        emulator.stop()
