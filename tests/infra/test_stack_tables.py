"""Each service's DynamoDB table, as resources.py declares it and as production needs it."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match
from synthesized_stack import SynthesizedStack

from lanka_platform import resources

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

SERVICES = pytest.mark.parametrize("service", resources.SERVICES, ids=lambda service: service.name)


@SERVICES
def test_table_has_the_declared_keys_and_indexes(stack: SynthesizedStack, service: resources.Service) -> None:
    # given
    table = service.table

    # when / then
    stack.assertions.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": table.name,
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [
                {"AttributeName": table.partition_key, "KeyType": "HASH"},
                {"AttributeName": table.sort_key, "KeyType": "RANGE"},
            ],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": index.name,
                    "KeySchema": [
                        {"AttributeName": index.partition_key, "KeyType": "HASH"},
                        {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
                for index in table.indexes
            ]
            or Match.absent(),
            "TimeToLiveSpecification": {"AttributeName": table.ttl_attribute, "Enabled": True},
        },
    )


@SERVICES
def test_table_keys_are_strings(stack: SynthesizedStack, service: resources.Service) -> None:
    # given
    table = service.table
    keys = {table.partition_key, table.sort_key}
    keys |= {key for index in table.indexes for key in (index.partition_key, index.sort_key)}

    # when
    definition = stack.template["Resources"][stack.table_id(service)]

    # then
    assert {
        attribute["AttributeName"]: attribute["AttributeType"]
        for attribute in definition["Properties"]["AttributeDefinitions"]
    } == dict.fromkeys(keys, "S")


@SERVICES
def test_table_can_be_restored_to_any_point_in_time(
    stack: SynthesizedStack, service: resources.Service
) -> None:
    stack.assertions.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": service.table.name,
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        },
    )


@SERVICES
def test_table_is_encrypted_with_the_aws_managed_key(
    stack: SynthesizedStack, service: resources.Service
) -> None:
    stack.assertions.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": service.table.name,
            # SSEEnabled without a key id is KMS with the AWS-managed aws/dynamodb key (without
            # it, DynamoDB would use an AWS-owned key that the account cannot audit).
            "SSESpecification": {"SSEEnabled": True, "KMSMasterKeyId": Match.absent()},
        },
    )


@SERVICES
def test_table_outlives_the_stack(stack: SynthesizedStack, service: resources.Service) -> None:
    # given
    definition = stack.template["Resources"][stack.table_id(service)]

    # then: deleting or replacing the stack keeps the data, and the table refuses deletion
    assert definition["DeletionPolicy"] == "Retain"
    assert definition["UpdateReplacePolicy"] == "Retain"
    assert definition["Properties"]["DeletionProtectionEnabled"] is True
