"""The staff app in the CDK app: its files in the web bucket, served by CloudFront on the
same origin as the APIs (`/api/<service>/*` to that service's REST API)."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from synthesized_stack import SynthesizedStack

from lanka_platform import resources

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

WEB = f"{resources.PREFIX}-web"


def _web_bucket(stack: SynthesizedStack) -> str:
    (found,) = [
        logical_id
        for logical_id, definition in stack.resources("AWS::S3::Bucket").items()
        if definition["Properties"]["BucketName"]["Fn::Join"][1][0] == f"{WEB}-"
    ]
    return found


def _distribution(stack: SynthesizedStack) -> dict[str, Any]:
    (config,) = [item["DistributionConfig"] for item in stack.properties("AWS::CloudFront::Distribution")]
    return dict(config)


def _origin(config: dict[str, Any], origin_id: str) -> dict[str, Any]:
    return next(origin for origin in config["Origins"] if origin["Id"] == origin_id)


def test_the_apps_files_are_deployed_to_the_root_of_the_web_bucket(stack: SynthesizedStack) -> None:
    # when
    deployments = stack.properties("Custom::CDKBucketDeployment")
    # then
    (app,) = [item for item in deployments if "DestinationBucketKeyPrefix" not in item]
    assert app["DestinationBucketName"] == {"Ref": _web_bucket(stack)}
    assert "widgets/*" in app["Exclude"]


def test_the_distribution_serves_the_web_bucket_by_default_through_an_origin_access_control(
    stack: SynthesizedStack,
) -> None:
    # when
    config = _distribution(stack)
    origin = _origin(config, config["DefaultCacheBehavior"]["TargetOriginId"])
    # then
    assert origin["DomainName"] == {"Fn::GetAtt": [_web_bucket(stack), "RegionalDomainName"]}
    assert "OriginAccessControlId" in origin
    assert config["DefaultRootObject"] == "index.html"
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"


def test_every_services_api_is_behind_the_same_distribution_under_api(stack: SynthesizedStack) -> None:
    # when
    config = _distribution(stack)
    behaviours = {item["PathPattern"]: item for item in config["CacheBehaviors"]}
    # then
    with_routes = [service.name for service in resources.SERVICES if stack.rest_api_ids(service)]
    assert sorted(behaviours) == sorted(f"/api/{name}/*" for name in with_routes)
    for name in with_routes:
        behaviour = behaviours[f"/api/{name}/*"]
        origin = _origin(config, behaviour["TargetOriginId"])
        (rest_api,) = stack.rest_api_ids(next(s for s in resources.SERVICES if s.name == name))
        assert rest_api in str(origin["DomainName"]), (name, origin["DomainName"])
        assert "POST" in behaviour["AllowedMethods"] and "DELETE" in behaviour["AllowedMethods"]
        assert behaviour["FunctionAssociations"][0]["EventType"] == "viewer-request"


def test_api_answers_are_never_cached(stack: SynthesizedStack) -> None:
    # given: CloudFront's managed CachingDisabled policy
    caching_disabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    # when
    behaviours = _distribution(stack)["CacheBehaviors"]
    # then
    assert {item["CachePolicyId"] for item in behaviours} == {caching_disabled}


@pytest.mark.parametrize(
    ("asked", "forwarded"),
    [
        ("/api/deals/deals/01J", "/api/deals/01J"),
        ("/api/booking/public/slots", "/api/public/slots"),
        ("/api/clients/", "/api/"),
    ],
)
def test_the_path_function_drops_the_services_name_for_its_rest_api(
    stack: SynthesizedStack, asked: str, forwarded: str
) -> None:
    # given: the function's code as CloudFront runs it
    (function,) = stack.properties("AWS::CloudFront::Function")
    program = (
        function["FunctionCode"] + f"console.log(handler({{request: {{uri: {json.dumps(asked)}}}}}).uri);"
    )
    # when
    result = subprocess.run(["node", "-e", program], capture_output=True, text=True, timeout=60, check=True)
    # then
    assert result.stdout.strip() == forwarded
