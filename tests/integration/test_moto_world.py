"""The tests' moto world: what one test leaves behind, the next one never sees."""

from __future__ import annotations

import json

import boto3
from moto_world import MotoWorld

from lanka_local import provision
from lanka_platform import resources

BUS = resources.STACK.bus


def leave_everything_behind(world: MotoWorld) -> None:
    """Data in every kind of resource, and resources no provisioning made."""
    dynamodb = boto3.client("dynamodb")
    for service in resources.SERVICES:
        dynamodb.put_item(TableName=service.table.name, Item={"pk": {"S": "LEFT"}, "sk": {"S": "BEHIND"}})
    dynamodb.create_table(
        **provision.create_table_request(resources.SERVICES[0].table) | {"TableName": "extra"}
    )
    sqs = boto3.client("sqs")
    for service in resources.SERVICES:
        for name in (service.queue, service.dead_letter_queue):
            sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"], MessageBody="left")
    sqs.create_queue(QueueName="lanka-test-tap")
    events = boto3.client("events")
    events.put_rule(Name="lanka-test-tap", EventBusName=BUS, EventPattern=json.dumps({"source": ["x"]}))
    s3 = boto3.client("s3")
    for bucket in resources.STACK.buckets:
        s3.put_object(Bucket=bucket.name, Key="left/behind.txt", Body=b"left")
    cognito = boto3.client("cognito-idp")
    pool = world.provisioned.user_pool_id  # type: ignore[union-attr]
    cognito.admin_create_user(UserPoolId=pool, Username="leftover", MessageAction="SUPPRESS")
    cognito.admin_add_user_to_group(UserPoolId=pool, Username="leftover", GroupName="manager")
    cognito.delete_group(UserPoolId=pool, GroupName="measurer")
    cognito.create_group(UserPoolId=pool, GroupName="extra")
    boto3.client("sesv2").create_email_identity(EmailIdentity="left.example")


def test_a_reset_world_holds_what_provisioning_made_and_nothing_a_test_left(moto_world):
    # given a test that left data and resources of its own everywhere
    with moto_world.active():
        leave_everything_behind(moto_world)
    provisions = moto_world.provisions
    # when the next test starts
    with moto_world.active() as provisioned:
        dynamodb = boto3.client("dynamodb")
        sqs = boto3.client("sqs")
        cognito = boto3.client("cognito-idp")
        tables = dynamodb.list_tables()["TableNames"]
        items = [dynamodb.scan(TableName=name)["Items"] for name in tables]
        queues = sorted(url.rsplit("/", 1)[1] for url in sqs.list_queues().get("QueueUrls", []))
        waiting = [
            sqs.get_queue_attributes(
                QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"], AttributeNames=["All"]
            )["Attributes"]["ApproximateNumberOfMessages"]
            for name in queues
        ]
        rules = {rule["Name"] for rule in boto3.client("events").list_rules(EventBusName=BUS)["Rules"]}
        s3 = boto3.client("s3")
        objects = [
            s3.list_objects_v2(Bucket=bucket.name).get("KeyCount", 0) for bucket in resources.STACK.buckets
        ]
        users = cognito.list_users(UserPoolId=provisioned.user_pool_id)["Users"]
        groups = {
            group["GroupName"] for group in cognito.list_groups(UserPoolId=provisioned.user_pool_id)["Groups"]
        }
        identities = boto3.client("sesv2").list_email_identities()["EmailIdentities"]
    # then it finds the provisioned world, empty, without provisioning it again
    assert moto_world.provisions == provisions
    assert sorted(tables) == sorted(service.table.name for service in resources.SERVICES)
    assert items == [[] for _ in tables]
    assert queues == sorted(
        name for service in resources.SERVICES for name in (service.queue, service.dead_letter_queue)
    )
    assert set(waiting) == {"0"}
    assert rules == {service.rule for service in resources.SERVICES if service.has_inbox_rule}
    assert objects == [0 for _ in resources.STACK.buckets]
    assert (users, groups) == ([], set(resources.STACK.groups))
    assert identities == []


def test_a_world_moto_lost_meanwhile_is_provisioned_again(moto_world):
    # given a test that reset moto itself (as one running its own mock_aws() does)
    with moto_world.active():
        from moto.core.base_backend import BackendDict

        BackendDict.reset()
    provisions = moto_world.provisions
    # when the next test starts
    with moto_world.active() as provisioned:
        tables = boto3.client("dynamodb").list_tables()["TableNames"]
        pools = boto3.client("cognito-idp").list_user_pools(MaxResults=10)["UserPools"]
    # then the world is there again
    assert moto_world.provisions == provisions + 1
    assert len(tables) == len(resources.SERVICES)
    assert [pool["Id"] for pool in pools] == [provisioned.user_pool_id]


def test_a_fresh_world_is_provisioned_anew_however_clean_the_last_one_was(moto_world):
    # given a world that a test left as it found it
    with moto_world.active():
        pass
    provisions = moto_world.provisions
    # when a test asks for a fresh one (`@pytest.mark.fresh_world`)
    with moto_world.active(fresh=True):
        pass
    # then it is provisioned again
    assert moto_world.provisions == provisions + 1
