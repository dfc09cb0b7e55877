"""Running the CDK app offline and reading what it synthesized.

The app runs in a subprocess, as the cdk CLI runs it (context in CDK_CONTEXT_JSON, output
directory in CDK_OUTDIR): Chalice imports each service's app.py while packaging it, and none
of that should leak into the test process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

# Importing aws_cdk starts node; on Node 20 jsii prints an end-of-life banner straight to the
# terminal. Synthesis works on it, so keep the test output readable.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk.assertions import Template

from lanka_platform import resources
from lanka_platform.resources import Service

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA_DIR = REPO_ROOT / "infra"
STACK_NAME = "LankaTest"
SYNTH_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class Synthesis:
    outdir: Path

    @property
    def template_path(self) -> Path:
        return self.outdir / f"{STACK_NAME}.template.json"

    def template(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.template_path.read_text())
        return loaded


def synthesize(outdir: Path, context: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run infra/app.py as the cdk CLI would, with no way to reach a real AWS account."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "CDK_"))}
    environment |= {
        "CDK_CONTEXT_JSON": json.dumps(context),
        "CDK_OUTDIR": str(outdir),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_DEFAULT_REGION": "eu-central-1",
        # Node 20 works for synthesis; the banner about its end of life is noise here.
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    return subprocess.run(
        [sys.executable, "app.py"],
        cwd=INFRA_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=SYNTH_TIMEOUT_SECONDS,
        check=False,
    )


class SynthesizedStack:
    """The synthesized template, with the look-ups the tests share."""

    def __init__(self, template: dict[str, Any]) -> None:
        self.template = template

    @cached_property
    def assertions(self) -> Template:
        return Template.from_json(self.template)

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: definition
            for logical_id, definition in self.template["Resources"].items()
            if definition["Type"] == resource_type
        }

    def properties(self, resource_type: str) -> list[dict[str, Any]]:
        return [definition["Properties"] for definition in self.resources(resource_type).values()]

    def logical_id(self, resource_type: str, **properties: Any) -> str:
        """The one resource of that type whose properties include these values."""
        found = [
            logical_id
            for logical_id, definition in self.resources(resource_type).items()
            if all(definition["Properties"].get(key) == value for key, value in properties.items())
        ]
        assert len(found) == 1, f"{len(found)} {resource_type} with {properties}"
        return found[0]

    def table_id(self, service: Service) -> str:
        return self.logical_id("AWS::DynamoDB::Table", TableName=service.table.name)

    def queue_id(self, queue_name: str) -> str:
        return self.logical_id("AWS::SQS::Queue", QueueName=queue_name)

    def functions(self, service: Service) -> dict[str, dict[str, Any]]:
        """The service's Lambda functions (named `lanka-<service>-<function>`)."""
        prefix = f"{resources.PREFIX}-{service.name}-"
        return {
            logical_id: definition
            for logical_id, definition in self.resources("AWS::Serverless::Function").items()
            if definition["Properties"]["FunctionName"].startswith(prefix)
        }

    def rest_api_ids(self, service: Service) -> set[str]:
        """The service's REST APIs (Chalice lets API Gateway invoke the handler through a permission)."""
        functions = self.functions(service)
        return {
            permission["Properties"]["SourceArn"]["Fn::Sub"][1]["RestAPIId"]["Ref"]
            for permission in self.resources("AWS::Lambda::Permission").values()
            if permission["Properties"]["FunctionName"]["Ref"] in functions
        }

    def role_ids(self, service: Service) -> set[str]:
        """The roles the service's functions run as."""
        return {
            function["Properties"]["Role"]["Fn::GetAtt"][0] for function in self.functions(service).values()
        }

    def policy_statements(self, role_id: str) -> list[dict[str, Any]]:
        """Every statement granted to the role, inline or through a separate policy."""
        role = self.template["Resources"][role_id]
        documents = [policy["PolicyDocument"] for policy in role["Properties"].get("Policies", [])]
        documents += [
            policy["Properties"]["PolicyDocument"]
            for policy in self.resources("AWS::IAM::Policy").values()
            if {"Ref": role_id} in policy["Properties"].get("Roles", [])
        ]
        return [statement for document in documents for statement in document["Statement"]]
