"""The Lanka stack: one company's whole CRM, built from `lanka_platform.resources.STACK`."""

from __future__ import annotations

import sys

from aws_cdk import Aws, CfnOutput, Duration, RemovalPolicy, Stack, Tags
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from aws_cdk import aws_ses_actions as ses_actions
from constructs import Construct

from lanka_infra import staging
from lanka_infra.config import REPO_ROOT, SynthConfig
from lanka_infra.service import DeployedService, SharedResources
from lanka_infra.web import WebDistribution
from lanka_platform import resources

# The embeddable widgets, the same files the local stack serves at /widgets/.
WIDGETS_DIR = REPO_ROOT / "src" / "lanka_local" / "static" / "widgets"
# Noncurrent versions of documents are kept this long after being overwritten or deleted.
NONCURRENT_VERSION_DAYS = 90


class LankaStack(Stack):
    """The bus, buckets, staff pool, layer and cursor secret, then one DeployedService per service."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: SynthConfig,
        spec: resources.Stack = resources.STACK,
    ) -> None:
        super().__init__(scope, construct_id, description="Lanka CRM: the four services and what they share")
        for key, value in spec.tags.items():
            Tags.of(self).add(key, value)
        staging.clear_packages(config.build_dir)
        bus = events.EventBus(self, "Bus", event_bus_name=spec.bus)
        user_pool, client = self._staff(spec)
        shared = SharedResources(
            bus=bus,
            buckets={bucket.name: self._bucket(bucket) for bucket in spec.buckets},
            user_pool=user_pool,
            user_pool_client=client,
            layer=self._dependencies_layer(config),
            cursor_secret=secretsmanager.Secret(
                self,
                "CursorSecret",
                description="Signs the pagination cursors of every Lanka API (LANKA_CURSOR_SECRET)",
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    exclude_punctuation=True, password_length=48
                ),
            ),
            link_secret=secretsmanager.Secret(
                self,
                "LinkSecret",
                description="Signs the links sent to clients, e.g. unsubscribe (LANKA_LINK_SECRET)",
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    exclude_punctuation=True, password_length=48
                ),
            ),
        )
        self._deploy_widgets(shared)
        self.services = [
            DeployedService(
                self,
                service.name.title(),
                service=service,
                shared=shared,
                source_dir=config.services_dir / service.name,
                build_dir=config.build_dir,
            )
            for service in spec.services
        ]
        by_name = {service.service.name: service for service in self.services}
        self.feeds = [self._feed(feed, by_name[feed.service], shared) for feed in spec.feeds]
        self._mail(shared)
        apis: dict[str, str] = {}
        for deployed, service in zip(self.services, spec.services, strict=True):
            if deployed.api_url is not None:
                CfnOutput(self, f"{deployed.node.id}ApiUrl", value=deployed.api_url)
                apis[service.name] = deployed.api_url
        # The staff app and the widgets, served with the APIs from one origin.
        self.web = WebDistribution(self, "Web", bucket=shared.buckets[f"{resources.PREFIX}-web"], apis=apis)
        CfnOutput(self, "UserPoolId", value=user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=client.user_pool_client_id)
        CfnOutput(self, "EventBusName", value=bus.event_bus_name)

    def _feed(
        self, feed: resources.Feed, service: DeployedService, shared: SharedResources
    ) -> events.CfnRule:
        """A rule on the account's default bus (where SES and S3 put their events) that hands
        them, reshaped into a Lanka envelope, to one service's inbox."""
        bucket_name = shared.buckets[feed.bucket].bucket_name if feed.bucket else None
        rule = events.CfnRule(
            self,
            f"Feed{''.join(part.title() for part in feed.name.split('-'))}",
            name=feed.name,
            event_bus_name="default",
            event_pattern=feed.event_pattern(bucket_name),
            state="ENABLED",
            targets=[
                events.CfnRule.TargetProperty(
                    id="inbox",
                    arn=service.inbox.queue_arn,
                    input_transformer=events.CfnRule.InputTransformerProperty(
                        input_paths_map=feed.input_paths, input_template=feed.input_template
                    ),
                )
            ],
        )
        service.inbox.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"From{rule.node.id}",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[service.inbox.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": rule.attr_arn}},
            )
        )
        return rule

    def _mail(self, shared: SharedResources) -> None:
        """E-mail in: a receipt rule set whose rule stores each e-mail in the inbound mail
        bucket (the bucket's notification then starts the parse, see `_feed`). E-mail out: the
        configuration set every e-mail is sent with, reporting deliveries, bounces and
        complaints to the default bus."""
        inbound = shared.buckets[f"{resources.PREFIX}-inbound-mail"]
        self.receipt_rules = ses.ReceiptRuleSet(
            self,
            "InboundMail",
            receipt_rule_set_name=resources.SES_RECEIPT_RULE_SET,
            rules=[
                ses.ReceiptRuleOptions(
                    receipt_rule_name=f"{resources.PREFIX}-store-inbound-mail",
                    scan_enabled=True,
                    tls_policy=ses.TlsPolicy.REQUIRE,
                    actions=[ses_actions.S3(bucket=inbound, object_key_prefix=resources.INBOUND_MAIL_PREFIX)],
                )
            ],
        )
        configuration_set = ses.CfnConfigurationSet(
            self, "MailConfigurationSet", name=resources.SES_CONFIGURATION_SET
        )
        destination = ses.CfnConfigurationSetEventDestination(
            self,
            "MailEventsToBus",
            configuration_set_name=resources.SES_CONFIGURATION_SET,
            event_destination=ses.CfnConfigurationSetEventDestination.EventDestinationProperty(
                name="default-bus",
                enabled=True,
                matching_event_types=["DELIVERY", "BOUNCE", "COMPLAINT"],
                event_bridge_destination=ses.CfnConfigurationSetEventDestination.EventBridgeDestinationProperty(
                    event_bus_arn=f"arn:{Aws.PARTITION}:events:{Aws.REGION}:{Aws.ACCOUNT_ID}:event-bus/default"
                ),
            ),
        )
        destination.add_dependency(configuration_set)

    def _staff(self, spec: resources.Stack) -> tuple[cognito.UserPool, cognito.UserPoolClient]:
        """Staff accounts: created by an admin (no self sign-up), signed in by username or e-mail."""
        pool = cognito.UserPool(
            self,
            "StaffPool",
            user_pool_name=spec.user_pool,
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            # Lite has everything Lanka uses (passwords, groups); no advanced security.
            feature_plan=cognito.FeaturePlan.LITE,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        client = pool.add_client(
            "StaffApp",
            user_pool_client_name=spec.user_pool_client,
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),
            generate_secret=False,
            # The staff app signs in through the API, not the hosted UI.
            disable_o_auth=True,
            prevent_user_existence_errors=True,
        )
        for precedence, group in enumerate(spec.groups):
            # STAFF_GROUPS is ordered by rank: a user in several groups gets the first one's role.
            cognito.CfnUserPoolGroup(
                self,
                f"Group{group.title()}",
                group_name=group,
                user_pool_id=pool.user_pool_id,
                precedence=precedence,
            )
        return pool, client

    def _bucket(self, bucket: resources.Bucket) -> s3.Bucket:
        versioned = bucket.versioned
        lifecycle_rules = []
        if versioned:
            lifecycle_rules.append(
                s3.LifecycleRule(noncurrent_version_expiration=Duration.days(NONCURRENT_VERSION_DAYS))
            )
        if bucket.expire_after_days is not None:
            lifecycle_rules.append(s3.LifecycleRule(expiration=Duration.days(bucket.expire_after_days)))
        created = s3.Bucket(
            self,
            f"{bucket.name.removeprefix(resources.PREFIX + '-').title()}Bucket",
            # Bucket names are global across AWS: the account and region keep them unique.
            bucket_name=f"{bucket.name}-{Aws.ACCOUNT_ID}-{Aws.REGION}",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=versioned,
            lifecycle_rules=lifecycle_rules or None,
            removal_policy=RemovalPolicy.RETAIN,
        )
        if bucket.notifies_bus:
            # Set on the bucket itself: `event_bridge_enabled` would add a custom-resource Lambda.
            cfn = created.node.default_child
            assert isinstance(cfn, s3.CfnBucket)
            cfn.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
                event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(
                    event_bridge_enabled=True
                )
            )
        return created

    def _deploy_widgets(self, shared: SharedResources) -> None:
        """Copy the widget files to the web bucket under `widgets/` on every deployment."""
        s3_deployment.BucketDeployment(
            self,
            "Widgets",
            sources=[s3_deployment.Source.asset(str(WIDGETS_DIR))],
            destination_bucket=shared.buckets[f"{resources.PREFIX}-web"],
            destination_key_prefix="widgets/",
            cache_control=[s3_deployment.CacheControl.from_string("public, max-age=300")],
        )
        # CDK's copy function names its role both in `Role` and in `DependsOn` (cfn-lint
        # W3005); only its policy needs the explicit dependency.
        for child in self.node.children:
            if child.node.id.startswith("Custom::CDKBucketDeployment"):
                function = child.node.default_child
                role = child.node.try_find_child("ServiceRole")
                if isinstance(function, lambda_.CfnFunction) and role is not None:
                    policy = role.node.find_child("DefaultPolicy").node.default_child
                    function.add_override("DependsOn", [self.get_logical_id(policy)])

    def _dependencies_layer(self, config: SynthConfig) -> lambda_.LayerVersion:
        # Chalice picks the Lambda runtime from the interpreter that packages the apps.
        runtime = lambda_.Runtime(f"python{sys.version_info.major}.{sys.version_info.minor}")
        return lambda_.LayerVersion(
            self,
            "Dependencies",
            code=lambda_.Code.from_asset(str(config.layer_dir)),
            compatible_runtimes=[runtime],
            compatible_architectures=[lambda_.Architecture.X86_64],
            description="Third-party packages of every Lanka service (make layer)",
        )
