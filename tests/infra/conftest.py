"""Synthesizes the CDK app once per session, offline, into a temporary directory.

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
from pathlib import Path
from typing import Any

import pytest

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
    """Run infra/app.py with nothing from the caller's AWS setup, so no real account is reachable."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "CDK_"))}
    environment |= {
        "CDK_CONTEXT_JSON": json.dumps(context),
        "CDK_OUTDIR": str(outdir),
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
def template_json(synthesis: Synthesis) -> dict[str, Any]:
    return synthesis.template()
