"""The S3 buckets: private, encrypted, reachable only over TLS."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match
from synthesized_stack import SynthesizedStack

from lanka_platform import resources

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

BUCKETS = pytest.mark.parametrize("bucket", resources.BUCKETS, ids=lambda bucket: bucket.name)


def _bucket_id(stack: SynthesizedStack, bucket: resources.Bucket) -> str:
    """Bucket names end with the account and region (S3 names are global), so match the prefix."""
    found = [
        logical_id
        for logical_id, definition in stack.resources("AWS::S3::Bucket").items()
        if definition["Properties"]["BucketName"]["Fn::Join"][1][0] == f"{bucket.name}-"
    ]
    assert len(found) == 1, found
    return found[0]


@BUCKETS
def test_bucket_blocks_all_public_access(stack: SynthesizedStack, bucket: resources.Bucket) -> None:
    # when
    definition = stack.template["Resources"][_bucket_id(stack, bucket)]

    # then
    assert definition["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }


@BUCKETS
def test_bucket_encrypts_objects(stack: SynthesizedStack, bucket: resources.Bucket) -> None:
    # when
    definition = stack.template["Resources"][_bucket_id(stack, bucket)]

    # then
    rules = definition["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert [rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] for rule in rules] == ["AES256"]


@BUCKETS
def test_bucket_refuses_requests_without_tls(stack: SynthesizedStack, bucket: resources.Bucket) -> None:
    stack.assertions.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": _bucket_id(stack, bucket)},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                        )
                    ]
                )
            },
        },
    )


def test_documents_keep_earlier_versions(stack: SynthesizedStack) -> None:
    # given
    documents = next(bucket for bucket in resources.BUCKETS if bucket.name == f"{resources.PREFIX}-documents")

    # when
    definition = stack.template["Resources"][_bucket_id(stack, documents)]

    # then
    assert definition["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}


@BUCKETS
def test_bucket_outlives_the_stack(stack: SynthesizedStack, bucket: resources.Bucket) -> None:
    assert stack.template["Resources"][_bucket_id(stack, bucket)]["DeletionPolicy"] == "Retain"


def test_widgets_are_deployed_to_the_web_bucket(stack: SynthesizedStack) -> None:
    # when
    web = _bucket_id(stack, next(b for b in resources.BUCKETS if b.name.endswith("-web")))
    # then
    stack.assertions.has_resource_properties(
        "Custom::CDKBucketDeployment",
        {"DestinationBucketName": {"Ref": web}, "DestinationBucketKeyPrefix": "widgets/"},
    )
