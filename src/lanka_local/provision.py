"""Creates every AWS resource of `lanka_platform.resources` in the emulator, idempotently.

The CDK app reads the same definitions (see infra/), and tests/infra compares the two.
"""

from __future__ import annotations

import gzip
import json
import secrets
import string
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from lanka_platform import resources
from lanka_platform.resources import Stack

DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("admin", "admin", "Адміністратор"),
    ("head", "head", "Керівник"),
    ("manager1", "manager", "Менеджер Олена"),
    ("manager2", "manager", "Менеджер Андрій"),
    ("measurer", "measurer", "Замірник Іван"),
    ("designer", "designer", "Дизайнер Марія"),
    ("production", "production", "Цех"),
    ("installer", "installer", "Монтажник Петро"),
)


@dataclass(frozen=True)
class Provisioned:
    user_pool_id: str
    user_pool_client_id: str
    queue_urls: dict[str, str]


class Provisioner:
    def __init__(self, clients: Any, stack: Stack = resources.STACK) -> None:
        """`clients(name)` returns a boto3 client of the emulator."""
        self.client = clients
        self.stack = stack

    def provision(self) -> Provisioned:
        self._tables()
        queue_urls = self._queues()
        self._bus_and_rules()
        self._feeds()
        self._buckets()
        pool_id, client_id = self._user_pool()
        return Provisioned(pool_id, client_id, queue_urls)

    def _tables(self) -> None:
        dynamodb = self.client("dynamodb")
        existing = set(dynamodb.list_tables()["TableNames"])
        for service in self.stack.services:
            table = service.table
            if table.name in existing:
                continue
            dynamodb.create_table(**create_table_request(table))
            dynamodb.update_time_to_live(
                TableName=table.name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )

    def _queues(self) -> dict[str, str]:
        sqs = self.client("sqs")
        urls = {}
        for service in self.stack.services:
            dlq_url = sqs.create_queue(
                QueueName=service.dead_letter_queue,
                Attributes={"MessageRetentionPeriod": str(resources.DLQ_RETENTION_SECONDS)},
            )["QueueUrl"]
            dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            urls[service.name] = sqs.create_queue(
                QueueName=service.queue,
                Attributes={
                    "VisibilityTimeout": str(resources.VISIBILITY_TIMEOUT_SECONDS),
                    "RedrivePolicy": json.dumps(
                        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(resources.MAX_RECEIVE_COUNT)}
                    ),
                },
            )["QueueUrl"]
        return urls

    def _bus_and_rules(self) -> None:
        events = self.client("events")
        sqs = self.client("sqs")
        try:
            events.create_event_bus(Name=self.stack.bus)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceAlreadyExistsException":
                raise
        for service in self.stack.services:
            if not service.has_inbox_rule:
                continue
            events.put_rule(
                Name=service.rule,
                EventBusName=self.stack.bus,
                EventPattern=json.dumps(service.event_pattern()),
                State="ENABLED",
            )
            url = sqs.get_queue_url(QueueName=service.queue)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            events.put_targets(
                Rule=service.rule, EventBusName=self.stack.bus, Targets=[{"Id": "inbox", "Arn": arn}]
            )

    @staticmethod
    def _notify_bus(s3: Any, bucket: resources.Bucket) -> None:
        """New objects of the bucket go to the default bus (idempotent: set on every start)."""
        if bucket.notifies_bus:
            s3.put_bucket_notification_configuration(
                Bucket=bucket.name, NotificationConfiguration={"EventBridgeConfiguration": {}}
            )

    def _feeds(self) -> None:
        """Rules on the default bus that bring AWS services' events (SES's) to an inbox."""
        events = self.client("events")
        sqs = self.client("sqs")
        for feed in self.stack.feeds:
            events.put_rule(Name=feed.name, EventPattern=json.dumps(feed.event_pattern()), State="ENABLED")
            url = sqs.get_queue_url(QueueName=resources.service(feed.service).queue)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            events.put_targets(
                Rule=feed.name,
                Targets=[
                    {
                        "Id": "inbox",
                        "Arn": arn,
                        "InputTransformer": {
                            "InputPathsMap": feed.input_paths,
                            "InputTemplate": feed.input_template,
                        },
                    }
                ],
            )

    def _buckets(self) -> None:
        s3 = self.client("s3")
        existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
        for bucket in self.stack.buckets:
            if bucket.name in existing:
                self._notify_bus(s3, bucket)
                continue
            s3.create_bucket(
                Bucket=bucket.name, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
            )
            self._notify_bus(s3, bucket)
            if bucket.versioned:
                s3.put_bucket_versioning(Bucket=bucket.name, VersioningConfiguration={"Status": "Enabled"})
            if bucket.expire_after_days is not None:
                s3.put_bucket_lifecycle_configuration(
                    Bucket=bucket.name,
                    LifecycleConfiguration={
                        "Rules": [
                            {
                                "ID": "expire",
                                "Status": "Enabled",
                                "Filter": {"Prefix": ""},
                                "Expiration": {"Days": bucket.expire_after_days},
                            }
                        ]
                    },
                )

    def _user_pool(self) -> tuple[str, str]:
        cognito = self.client("cognito-idp")
        pools = cognito.list_user_pools(MaxResults=60)["UserPools"]
        pool_id = next((pool["Id"] for pool in pools if pool["Name"] == self.stack.user_pool), None)
        if pool_id is None:
            pool_id = cognito.create_user_pool(
                PoolName=self.stack.user_pool,
                AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
                UsernameAttributes=[],
                Policies={
                    "PasswordPolicy": {
                        "MinimumLength": 12,
                        "RequireUppercase": True,
                        "RequireLowercase": True,
                        "RequireNumbers": True,
                        "RequireSymbols": False,
                    }
                },
            )["UserPool"]["Id"]
        app_clients = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
        client_id = next(
            (item["ClientId"] for item in app_clients if item["ClientName"] == self.stack.user_pool_client),
            None,
        )
        if client_id is None:
            client_id = cognito.create_user_pool_client(
                UserPoolId=pool_id,
                ClientName=self.stack.user_pool_client,
                GenerateSecret=False,
                ExplicitAuthFlows=[
                    "ALLOW_USER_PASSWORD_AUTH",
                    "ALLOW_USER_SRP_AUTH",
                    "ALLOW_REFRESH_TOKEN_AUTH",
                ],
            )["UserPoolClient"]["ClientId"]
        groups = {group["GroupName"] for group in cognito.list_groups(UserPoolId=pool_id)["Groups"]}
        for group in self.stack.groups:
            if group not in groups:
                cognito.create_group(UserPoolId=pool_id, GroupName=group)
        return pool_id, client_id


def verify_sender(sesv2: Any, sender: str) -> str:
    """Verify the domain of the address mail is sent from, so that SES (moto's) accepts
    what the local stack sends; idempotent. The domain verified."""
    domain = parseaddr(sender)[1].rpartition("@")[2].casefold()
    if not domain:
        raise ValueError(f"not an e-mail address: {sender!r}")
    known = {i["IdentityName"].casefold() for i in sesv2.list_email_identities().get("EmailIdentities", [])}
    if domain not in known:
        sesv2.create_email_identity(EmailIdentity=domain)
    return domain


def create_table_request(table: resources.Table) -> dict[str, Any]:
    """The CreateTable call for a table declared in `resources` (string keys, on demand)."""
    attributes = {table.partition_key, table.sort_key}
    for index in table.indexes:
        attributes |= {index.partition_key, index.sort_key}
    request: dict[str, Any] = {
        "TableName": table.name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"} for name in sorted(attributes)
        ],
        "KeySchema": [
            {"AttributeName": table.partition_key, "KeyType": "HASH"},
            {"AttributeName": table.sort_key, "KeyType": "RANGE"},
        ],
    }
    if table.indexes:
        request["GlobalSecondaryIndexes"] = [
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
    return request


def ensure_demo_users(cognito: Any, pool_id: str, known: dict[str, str]) -> dict[str, str]:
    """Create the demo staff (one per role) with strong random passwords; returns them all."""
    passwords = dict(known)
    for username, group, full_name in DEMO_USERS:
        try:
            cognito.admin_get_user(UserPoolId=pool_id, Username=username)
            if username in passwords:
                continue
        except ClientError as error:
            if error.response["Error"]["Code"] != "UserNotFoundException":
                raise
            cognito.admin_create_user(
                UserPoolId=pool_id,
                Username=username,
                UserAttributes=[
                    {"Name": "name", "Value": full_name},
                    {"Name": "email", "Value": f"{username}@demo.lanka.local"},
                    {"Name": "email_verified", "Value": "true"},
                ],
                MessageAction="SUPPRESS",
            )
            cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
        password = new_password()
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=username, Password=password, Permanent=True
        )
        passwords[username] = password
    return passwords


def new_password() -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(16))
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
        ):
            return candidate


def moto_jwks(url: str = "") -> dict[str, Any]:
    """The keys the emulator signs Cognito tokens with: what its JWKS endpoint serves.

    For in-process use under `mock_aws`, where there is no HTTP endpoint to fetch from.
    """
    import moto

    path = Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-public.json.gz"
    document: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes()))
    return document
