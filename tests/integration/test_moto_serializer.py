"""moto's answers with `lanka_local.moto_serializer` are moto's own answers, for items of
every attribute type, nested, read by GetItem, Query, BatchGetItem and TransactGetItems."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from lanka_local import moto_serializer

REGION = "eu-central-1"
TABLE = "serialized"
EXAMPLES = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

_text = st.text(min_size=0, max_size=8)
_number = st.one_of(st.integers(-(10**12), 10**12).map(str), st.decimals(-1000, 1000, places=3).map(str))
_binary = st.binary(min_size=1, max_size=12)
_scalars = st.one_of(
    _text.map(lambda value: {"S": value}),
    _number.map(lambda value: {"N": value}),
    _binary.map(lambda value: {"B": value}),
    st.booleans().map(lambda value: {"BOOL": value}),
    st.just({"NULL": True}),
    st.sets(st.text(min_size=1, max_size=5), min_size=1, max_size=4).map(lambda value: {"SS": sorted(value)}),
    st.sets(st.integers(-99, 99).map(str), min_size=1, max_size=4).map(lambda value: {"NS": sorted(value)}),
    st.sets(_binary, min_size=1, max_size=3).map(lambda value: {"BS": sorted(value)}),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda value: {"L": value}),
        st.dictionaries(st.text(min_size=1, max_size=6), inner, max_size=4).map(lambda value: {"M": value}),
    ),
    max_leaves=12,
)
_items = st.dictionaries(
    st.text(alphabet="abcdefghij", min_size=1, max_size=6).filter(lambda name: name not in ("pk", "sk")),
    _values,
    min_size=1,
    max_size=8,
)


@contextmanager
def _table() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client(
            "dynamodb", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def _answers(client: Any) -> list[Any]:
    key = {"pk": {"S": "P"}, "sk": {"S": "1"}}
    answers = [
        client.get_item(TableName=TABLE, Key=key),
        client.query(
            TableName=TABLE,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "P"}},
        ),
        client.batch_get_item(RequestItems={TABLE: {"Keys": [key]}}),
        client.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE, "Key": key}}]),
    ]
    for answer in answers:
        answer.pop("ResponseMetadata")
    return answers


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[Any]:
    with _table() as client:
        yield client


@EXAMPLES
@given(item=_items)
def test_an_item_of_any_attribute_types_reads_back_as_moto_writes_it(dynamodb, item):
    # given
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "P"}, "sk": {"S": "1"}, **item})
    moto_own = _answers(dynamodb)
    # when
    restore = moto_serializer.patch()
    try:
        direct = _answers(dynamodb)
    finally:
        restore()
    # then
    assert direct == moto_own
    assert direct[0]["Item"] == {"pk": {"S": "P"}, "sk": {"S": "1"}, **item}


def test_taking_the_writer_back_restores_moto_own(dynamodb):
    # given
    from moto.core.serialize import BaseJSONSerializer

    before = BaseJSONSerializer._serialize_type_structure
    # when
    moto_serializer.patch()()
    # then
    assert BaseJSONSerializer._serialize_type_structure is before
