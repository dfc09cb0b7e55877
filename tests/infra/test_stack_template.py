"""The synthesized template as a whole: valid CloudFormation, outputs, packages, failures."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from synthesized_stack import STACK_NAME, Synthesis, SynthesizedStack, synthesize

from lanka_platform import resources

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

SERVICES = pytest.mark.parametrize("service", resources.SERVICES, ids=lambda service: service.name)
CFN_LINT = Path(sys.executable).with_name("cfn-lint")


def test_template_passes_cfn_lint(synthesis: Synthesis) -> None:
    # when: no rule is ignored; cfn-lint also expands the SAM resources Chalice generates
    result = subprocess.run(
        [
            str(CFN_LINT),
            "--regions",
            "eu-central-1",
            "--format",
            "parseable",
            "--",
            str(synthesis.template_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    # then
    assert result.returncode == 0, result.stdout + result.stderr


def test_stack_outputs_what_clients_of_the_deployment_need(stack: SynthesizedStack) -> None:
    # when
    outputs = stack.template["Outputs"]

    # then
    assert outputs["UserPoolId"]["Value"] == {
        "Ref": stack.logical_id("AWS::Cognito::UserPool", UserPoolName=resources.USER_POOL)
    }
    assert outputs["UserPoolClientId"]["Value"] == {
        "Ref": stack.logical_id("AWS::Cognito::UserPoolClient", ClientName=resources.USER_POOL_CLIENT)
    }
    assert outputs["EventBusName"]["Value"] == {
        "Ref": stack.logical_id("AWS::Events::EventBus", Name=resources.EVENT_BUS)
    }


@SERVICES
def test_stack_outputs_each_services_api_url(stack: SynthesizedStack, service: resources.Service) -> None:
    # when
    url = stack.template["Outputs"][f"{service.name.title()}ApiUrl"]["Value"]

    # then
    (api,) = stack.rest_api_ids(service)
    assert url == {"Fn::Sub": f"https://${{{api}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/api/"}


@SERVICES
def test_deployment_package_holds_the_app_and_the_shared_package_only(
    synthesis: Synthesis, stack: SynthesizedStack, service: resources.Service
) -> None:
    # given
    (code_key,) = {function["Properties"]["CodeUri"]["Key"] for function in stack.functions(service).values()}

    # when
    with zipfile.ZipFile(synthesis.outdir / f"asset.{code_key}") as package:
        top_level = {name.split("/", 1)[0] for name in package.namelist()}

    # then: third-party packages come from the layer; Chalice adds its own runtime module
    assert top_level == {"app.py", "chalicelib", "lanka_platform", "chalice"}


@SERVICES
def test_deployment_package_ships_bytecode_for_a_faster_cold_start(
    synthesis: Synthesis, stack: SynthesizedStack, service: resources.Service
) -> None:
    # given
    (code_key,) = {function["Properties"]["CodeUri"]["Key"] for function in stack.functions(service).values()}
    tag = sys.implementation.cache_tag

    # when
    with zipfile.ZipFile(synthesis.outdir / f"asset.{code_key}") as package:
        names = set(package.namelist())

    # then
    assert f"lanka_platform/__pycache__/api.{tag}.pyc" in names
    assert any(
        name.startswith(f"chalicelib/{service.name}/") and name.endswith(f".{tag}.pyc") for name in names
    )


def test_synthesis_without_the_layer_says_how_to_build_it(tmp_path: Path) -> None:
    # when
    result = synthesize(
        tmp_path / "cdk.out",
        {"stackName": STACK_NAME, "layerDir": str(tmp_path / "missing"), "buildDir": str(tmp_path / "build")},
    )

    # then
    assert result.returncode != 0
    assert "make layer" in result.stderr
    assert not (tmp_path / "build").exists()
