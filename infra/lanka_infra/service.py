"""One Lanka service in the cloud: its table, its inbox, its bus rule, its Chalice app and its rights."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from aws_cdk import CfnResource, Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from chalice.cdk import Chalice
from constructs import Construct

from lanka_infra import staging
from lanka_platform import resources

METRICS_NAMESPACE = "Lanka"
# API Gateway gives up on an integration after 29 s; event and schedule handlers get the
# 60 s that resources.VISIBILITY_TIMEOUT_SECONDS is sized for.
API_TIMEOUT_SECONDS = 30
HANDLER_TIMEOUT_SECONDS = 60
# pydantic, powertools and boto3 make a 128 MB function's cold start several seconds long.
MEMORY_MB = 512
LOG_RETENTION = logs.RetentionDays.THREE_MONTHS
# Chalice's fixed name for the function that serves every route.
API_FUNCTION = "APIHandler"
MAX_FUNCTION_NAME = 64
# What a service with `manages_staff_accounts` may do (disable a manager who leaves).
STAFF_ACCOUNT_ACTIONS = (
    "cognito-idp:AdminGetUser",
    "cognito-idp:AdminDisableUser",
    "cognito-idp:AdminEnableUser",
    "cognito-idp:AdminUserGlobalSignOut",
)
# Everything a request path may do (design: GetItem, Query, BatchGet, TransactWrite). Scan is
# left out on purpose; TransactWriteItems/TransactGetItems are authorised per item through
# these same actions.
TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
)
# What the SQS event source mapping needs to poll the inbox on the function's behalf.
INBOX_ACTIONS = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
)
BUCKET_OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
# X-Ray has no resource-level permissions: AWS requires "*" for these two. Metrics need no
# cloudwatch:PutMetricData: powertools writes them as embedded-metric-format log lines.
TRACE_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")


@dataclass(frozen=True)
class SharedResources:
    """What the services share: the bus, the buckets, the staff pool, the layer, the signing keys."""

    bus: events.EventBus
    buckets: dict[str, s3.Bucket]
    user_pool: cognito.UserPool
    user_pool_client: cognito.UserPoolClient
    layer: lambda_.LayerVersion
    cursor_secret: secretsmanager.Secret
    link_secret: secretsmanager.Secret


def bucket_environment_variable(bucket_name: str) -> str:
    """`lanka-documents` -> `LANKA_DOCUMENTS_BUCKET`: where a function finds a bucket's real name."""
    suffix = bucket_name.removeprefix(f"{resources.PREFIX}-")
    return f"{resources.PREFIX}_{suffix}_bucket".upper().replace("-", "_")


class DeployedService(Construct):
    """Everything one entry of `resources.SERVICES` becomes."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service: resources.Service,
        shared: SharedResources,
        source_dir: Path,
        build_dir: Path,
    ) -> None:
        super().__init__(scope, construct_id)
        self.service = service
        self.table = self._table(service.table)
        self.dead_letters, self.inbox = self._inbox(service)
        self.dead_letters_alarm = self._dead_letters_alarm(service)
        self.rule = self._rule(service, shared.bus)
        self.permissions = iam.PolicyDocument(statements=self._statements(service, shared))
        self.role = iam.Role(
            self,
            "FunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Every function of the {service.name} service",
            # Inline, so that the rights exist the moment the role does: an SQS event source
            # mapping is refused when its function's role cannot yet receive from the queue.
            inline_policies={"OwnResources": self.permissions},
        )
        self.app = self._chalice_app(service, shared, source_dir, build_dir)
        self.log_groups: list[logs.LogGroup] = []
        self._adjust_functions(service, shared.user_pool)

    @property
    def api_url(self) -> str | None:
        """The API's base URL, or None for a service without routes."""
        if self.app.sam_template.node.try_find_child("RestAPI") is None:
            return None
        return str(self.app.sam_template.get_output("EndpointURL").value)

    def _table(self, spec: resources.Table) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            "Table",
            table_name=spec.name,
            partition_key=_string_attribute(spec.partition_key),
            sort_key=_string_attribute(spec.sort_key),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=spec.ttl_attribute,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_string_attribute(index.partition_key),
                sort_key=_string_attribute(index.sort_key),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        return table

    def _inbox(self, service: resources.Service) -> tuple[sqs.Queue, sqs.Queue]:
        # SSE-SQS rather than a KMS key: EventBridge cannot send to a queue encrypted with the
        # AWS-managed aws/sqs key, and a customer key would cost more than the whole stack.
        dead_letters = sqs.Queue(
            self,
            "InboxDeadLetters",
            queue_name=service.dead_letter_queue,
            retention_period=Duration.seconds(resources.DLQ_RETENTION_SECONDS),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        inbox = sqs.Queue(
            self,
            "Inbox",
            queue_name=service.queue,
            visibility_timeout=Duration.seconds(resources.VISIBILITY_TIMEOUT_SECONDS),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=resources.MAX_RECEIVE_COUNT, queue=dead_letters
            ),
        )
        return dead_letters, inbox

    def _dead_letters_alarm(self, service: resources.Service) -> cloudwatch.Alarm:
        return cloudwatch.Alarm(
            self,
            "InboxDeadLettersAlarm",
            alarm_name=f"{service.dead_letter_queue}-not-empty",
            alarm_description=(
                f"Events for {service.name} failed {resources.MAX_RECEIVE_COUNT} times and wait in "
                f"{service.dead_letter_queue}: fix the cause, then redrive them to {service.queue}."
            ),
            metric=self.dead_letters.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=resources.DLQ_ALARM_THRESHOLD,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    def _rule(self, service: resources.Service, bus: events.EventBus) -> events.Rule | None:
        pattern = service.event_pattern()
        if not all(pattern.values()):
            # EventBridge rejects a pattern with an empty list ("Empty arrays are not allowed"),
            # and such a pattern would match nothing anyway: a service that neither publishes
            # nor consumes any event has an inbox but no rule feeding it.
            return None
        # The pattern goes in verbatim: its keys are EventPattern's fields, dashes for underscores.
        fields: dict[str, Any] = {key.replace("-", "_"): value for key, value in pattern.items()}
        event_pattern = events.EventPattern(**fields)
        # The SqsQueue target also adds the queue policy letting this rule, and only this rule,
        # send to the inbox (events.amazonaws.com with aws:SourceArn = the rule's ARN).
        return events.Rule(
            self,
            "InboxRule",
            rule_name=service.rule,
            event_bus=bus,
            event_pattern=event_pattern,
            targets=[targets.SqsQueue(self.inbox)],
        )

    def _chalice_app(
        self, service: resources.Service, shared: SharedResources, source_dir: Path, build_dir: Path
    ) -> Chalice:
        project = staging.stage_service(source_dir, build_dir / service.name)
        environment = {
            "LANKA_SERVICE": service.name,
            "LANKA_TABLE_NAME": self.table.table_name,
            "LANKA_EVENT_BUS_NAME": shared.bus.event_bus_name,
            "LANKA_USER_POOL_ID": shared.user_pool.user_pool_id,
            "LANKA_USER_POOL_CLIENT_ID": shared.user_pool_client.user_pool_client_id,
            # Read by the app's CognitoUserPoolAuthorizer when it is imported; the template
            # override in _adjust_functions does not depend on it.
            "LANKA_USER_POOL_ARN": shared.user_pool.user_pool_arn,
            "POWERTOOLS_SERVICE_NAME": service.name,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            # Settings.cursor_secret signs pagination cursors. CloudFormation resolves this
            # dynamic reference at deploy time: the value never enters the template, though it
            # is readable in the function's configuration (which only the account's admins see).
            "LANKA_CURSOR_SECRET": shared.cursor_secret.secret_value.unsafe_unwrap(),
            # Settings.link_secret signs links sent to clients (unsubscribe), resolved the same way.
            "LANKA_LINK_SECRET": shared.link_secret.secret_value.unsafe_unwrap(),
        }
        for bucket in service.buckets:
            environment[bucket_environment_variable(bucket)] = shared.buckets[bucket].bucket_name
        if any(feed.service == service.name and feed.source == "aws.ses" for feed in resources.FEEDS):
            # E-mail goes out with the configuration set that reports what became of it.
            environment["LANKA_SES_CONFIGURATION_SET"] = resources.SES_CONFIGURATION_SET
        stage_config: dict[str, Any] = {
            "api_gateway_endpoint_type": "REGIONAL",
            # Chalice neither guesses the policy from boto3 calls nor makes a role per function
            # (which it does, with a policy file, once autogen_policy is off): every function of
            # the service runs as the CDK-built role above.
            "autogen_policy": False,
            "manage_iam_role": False,
            "iam_role_arn": self.role.role_arn,
            "environment_variables": environment,
            "layers": [shared.layer.layer_version_arn],
            "lambda_timeout": HANDLER_TIMEOUT_SECONDS,
            "lambda_memory_size": MEMORY_MB,
            "xray": True,
        }
        with staging.packaging(build_dir):
            # Four apps share one stack, so their logical ids must not be kept as they are.
            return Chalice(
                self, "Api", source_dir=str(project), stage_config=stage_config, preserve_logical_ids=False
            )

    def _statements(self, service: resources.Service, shared: SharedResources) -> list[iam.PolicyStatement]:
        statements = [
            iam.PolicyStatement(
                sid="OwnTable",
                actions=list(TABLE_ACTIONS),
                resources=[self.table.table_arn, f"{self.table.table_arn}/index/*"],
            ),
            iam.PolicyStatement(
                sid="OwnInbox", actions=list(INBOX_ACTIONS), resources=[self.inbox.queue_arn]
            ),
            iam.PolicyStatement(
                sid="PublishEvents", actions=["events:PutEvents"], resources=[shared.bus.event_bus_arn]
            ),
            iam.PolicyStatement(sid="WriteTraces", actions=list(TRACE_ACTIONS), resources=["*"]),
        ]
        if service.buckets:
            statements.append(
                iam.PolicyStatement(
                    sid="OwnBuckets",
                    actions=list(BUCKET_OBJECT_ACTIONS),
                    resources=[shared.buckets[name].arn_for_objects("*") for name in service.buckets],
                )
            )
        if service.manages_staff_accounts:
            statements.append(
                iam.PolicyStatement(
                    sid="ManageStaffAccounts",
                    actions=list(STAFF_ACCOUNT_ACTIONS),
                    resources=[shared.user_pool.user_pool_arn],
                )
            )
        return statements

    def _adjust_functions(self, service: resources.Service, user_pool: cognito.UserPool) -> None:
        """Fix up what Chalice generated and cannot be told through its configuration."""
        packaged = packaged_template(self.app)
        functions = _resources_of_type(packaged, "AWS::Serverless::Function")
        self.log_groups = [self._name_and_log(service, logical_id) for logical_id in functions]
        self.permissions.add_statements(
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=list(LOG_ACTIONS),
                resources=[log_group.log_group_arn for log_group in self.log_groups],
            )
        )
        for logical_id, definition in functions.items():
            function = self.app.get_resource(logical_id)
            for event_name, event in definition["Properties"].get("Events", {}).items():
                if event["Type"] == "SQS":
                    # Let the handler return the failed message ids, so one bad message is
                    # retried (and dead-lettered) alone instead of with its whole batch.
                    function.add_property_override(
                        f"Events.{event_name}.Properties.FunctionResponseTypes", ["ReportBatchItemFailures"]
                    )
            if logical_id == API_FUNCTION:
                function.add_property_override("Timeout", API_TIMEOUT_SECONDS)
        for logical_id, definition in _resources_of_type(packaged, "AWS::Serverless::Api").items():
            api = self.app.get_resource(logical_id)
            # Chalice's `xray` traces the functions only; trace the requests from the gateway on.
            api.add_property_override("TracingEnabled", True)
            security = definition["Properties"]["DefinitionBody"].get("securityDefinitions", {})
            for authorizer, scheme in security.items():
                if scheme.get("x-amazon-apigateway-authtype") == "cognito_user_pools":
                    # The app was packaged with a placeholder pool ARN; point it at the real pool.
                    api.add_property_override(
                        f"DefinitionBody.securityDefinitions.{authorizer}"
                        ".x-amazon-apigateway-authorizer.providerARNs",
                        [user_pool.user_pool_arn],
                    )

    def _name_and_log(self, service: resources.Service, logical_id: str) -> logs.LogGroup:
        """Give the function a fixed name and create its log group, with a retention, before it.

        Named like every other resource of the service, the function's log group can exist
        before the function does (no log group that Lambda creates on first use, kept forever)
        and the role can be granted exactly that log group.
        """
        name = function_name(service, logical_id)
        function = self.app.get_resource(logical_id)
        function.add_property_override("FunctionName", name)
        log_group = logs.LogGroup(
            self,
            f"{logical_id}Logs",
            log_group_name=f"/aws/lambda/{name}",
            retention=LOG_RETENTION,
            removal_policy=RemovalPolicy.DESTROY,
        )
        function.add_resource_dependency(cast(CfnResource, log_group.node.default_child))
        return log_group


def function_name(service: resources.Service, chalice_name: str) -> str:
    """`deals` + `OutboxSweep` -> `lanka-deals-outbox-sweep` (APIHandler -> `lanka-deals-api`)."""
    words = "api" if chalice_name == API_FUNCTION else re.sub(r"(?<!^)(?=[A-Z])", "-", chalice_name).lower()
    name = f"{resources.PREFIX}-{service.name}-{words}"
    if len(name) > MAX_FUNCTION_NAME:
        raise ValueError(f"Lambda function name {name!r} is longer than {MAX_FUNCTION_NAME} characters")
    return name


def _string_attribute(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


def packaged_template(app: Chalice) -> dict[str, Any]:
    """The SAM template `chalice package` wrote, as plain JSON.

    The typed view CfnInclude offers cannot be read back here (jsii fails to map an SQS event
    onto the union of SAM event types), so the fix-ups read the file Chalice produced. The
    attribute is private to the construct; chalice is pinned in pyproject.toml.
    """
    template: dict[str, Any] = json.loads((Path(app._sam_package_dir) / "sam.json").read_text())
    return template


def _resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: definition
        for logical_id, definition in template["Resources"].items()
        if definition["Type"] == resource_type
    }
