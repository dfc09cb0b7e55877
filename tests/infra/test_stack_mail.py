"""E-mail in and out: SES's receipt rule stores mail for the parse, its configuration set
reports what became of what we sent, and the feeds' rules may write to the inbox."""

from __future__ import annotations

import pytest
from synthesized_stack import SynthesizedStack

from lanka_platform import resources

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]


def test_the_receipt_rule_stores_each_email_in_the_inbound_mail_bucket(stack: SynthesizedStack) -> None:
    # when
    rule_sets = stack.properties("AWS::SES::ReceiptRuleSet")
    rules = [rule["Rule"] for rule in stack.properties("AWS::SES::ReceiptRule")]

    # then
    assert [rule_set["RuleSetName"] for rule_set in rule_sets] == [resources.SES_RECEIPT_RULE_SET]
    assert len(rules) == 1 and rules[0]["Enabled"] and rules[0]["ScanEnabled"]
    (action,) = rules[0]["Actions"]
    assert action["S3Action"]["ObjectKeyPrefix"] == resources.INBOUND_MAIL_PREFIX
    bucket_id = action["S3Action"]["BucketName"]["Ref"]
    name = stack.template["Resources"][bucket_id]["Properties"]["BucketName"]["Fn::Join"][1][0]
    assert name == f"{resources.PREFIX}-inbound-mail-"


def test_ses_may_write_to_the_inbound_mail_bucket_only_for_this_account(stack: SynthesizedStack) -> None:
    # when
    statements = [
        statement
        for policy in stack.properties("AWS::S3::BucketPolicy")
        for statement in policy["PolicyDocument"]["Statement"]
        if statement.get("Principal", {}).get("Service") == "ses.amazonaws.com"
    ]

    # then
    assert len(statements) == 1
    assert statements[0]["Action"] == "s3:PutObject"
    assert statements[0]["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


def test_sent_email_reports_deliveries_bounces_and_complaints_to_the_default_bus(
    stack: SynthesizedStack,
) -> None:
    # when
    (configuration_set,) = stack.properties("AWS::SES::ConfigurationSet")
    (destination,) = stack.properties("AWS::SES::ConfigurationSetEventDestination")
    functions = stack.functions(resources.service("notifications"))

    # then
    assert configuration_set["Name"] == resources.SES_CONFIGURATION_SET
    event_destination = destination["EventDestination"]
    assert event_destination["Enabled"] is True
    assert sorted(event_destination["MatchingEventTypes"]) == ["BOUNCE", "COMPLAINT", "DELIVERY"]
    assert "event-bus/default" in str(event_destination["EventBridgeDestination"]["EventBusArn"])
    assert {
        function["Properties"]["Environment"]["Variables"]["LANKA_SES_CONFIGURATION_SET"]
        for function in functions.values()
    } == {resources.SES_CONFIGURATION_SET}


def test_only_each_feeds_rule_may_send_to_its_inbox(stack: SynthesizedStack) -> None:
    # given
    rules = {
        logical_id: definition["Properties"]["Name"]
        for logical_id, definition in stack.resources("AWS::Events::Rule").items()
    }

    # when
    allowed = {
        rules[statement["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::GetAtt"][0]]
        for policy in stack.properties("AWS::SQS::QueuePolicy")
        for statement in policy["PolicyDocument"]["Statement"]
        if statement.get("Principal", {}).get("Service") == "events.amazonaws.com"
        and statement["Action"] == "sqs:SendMessage"
    }

    # then
    assert {feed.name for feed in resources.FEEDS} <= allowed
