"""Synthesizes the CDK app once per session, offline, into a temporary directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from synthesized_stack import STACK_NAME, Synthesis, SynthesizedStack, synthesize


@pytest.fixture(scope="session")
def layer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in for `make layer`'s output: the stack only needs the directory to exist."""
    layer = tmp_path_factory.mktemp("layer")
    (layer / "python").mkdir()
    (layer / "python" / "README").write_text("placeholder for the dependencies layer\n")
    return layer


@pytest.fixture(scope="session")
def synthesis(tmp_path_factory: pytest.TempPathFactory, layer_dir: Path) -> Synthesis:
    work = tmp_path_factory.mktemp("synth")
    context = {"stackName": STACK_NAME, "layerDir": str(layer_dir), "buildDir": str(work / "build")}
    result = synthesize(work / "cdk.out", context)
    if result.returncode != 0:
        pytest.fail(f"synthesis failed ({result.returncode}):\n{result.stderr[-4000:]}", pytrace=False)
    return Synthesis(work / "cdk.out")


@pytest.fixture(scope="session")
def stack(synthesis: Synthesis) -> SynthesizedStack:
    return SynthesizedStack(synthesis.template())
