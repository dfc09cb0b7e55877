"""Synthesize the Lanka stack: `python infra/app.py` or `cd infra && npx cdk synth`."""

from __future__ import annotations

import os
import sys

import aws_cdk as cdk
from lanka_infra.config import INFRA_DIR, LayerMissingError, SynthConfig
from lanka_infra.stack import LankaStack


def main() -> None:
    # The cdk CLI says where to write through CDK_OUTDIR; run directly, write next to this file.
    outdir = None if "CDK_OUTDIR" in os.environ else str(INFRA_DIR / "cdk.out")
    app = cdk.App(outdir=outdir)
    try:
        config = SynthConfig.from_context(app.node)
    except LayerMissingError as missing:
        sys.exit(f"error: {missing}")
    LankaStack(app, config.stack_name, config=config)
    app.synth()


if __name__ == "__main__":
    main()
