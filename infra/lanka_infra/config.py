"""What one synthesis needs to know beyond resources.py, read from CDK context."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from constructs import Node

INFRA_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = INFRA_DIR.parent

DEFAULT_STACK_NAME = "Lanka"
# `make layer` installs the runtime dependencies here (relative to the repository root).
DEFAULT_LAYER_DIR = "build/layer"
# Staging copies of the services and Chalice's packaging output (relative to infra/).
DEFAULT_BUILD_DIR = "build"


class LayerMissingError(RuntimeError):
    """The shared dependencies layer has not been built, so there is nothing to deploy."""


@dataclass(frozen=True)
class SynthConfig:
    """Context values, resolved to absolute paths.

    Relative `layerDir` is taken from the repository root (where `make layer` writes it),
    relative `buildDir` from `infra/`, so the result does not depend on the current directory.
    """

    stack_name: str
    layer_dir: Path
    build_dir: Path
    services_dir: Path

    @classmethod
    def from_context(cls, node: Node) -> SynthConfig:
        config = cls(
            stack_name=str(node.try_get_context("stackName") or DEFAULT_STACK_NAME),
            layer_dir=_absolute(node.try_get_context("layerDir") or DEFAULT_LAYER_DIR, REPO_ROOT),
            build_dir=_absolute(node.try_get_context("buildDir") or DEFAULT_BUILD_DIR, INFRA_DIR),
            services_dir=_absolute(node.try_get_context("servicesDir") or "services", REPO_ROOT),
        )
        config.check_layer()
        return config

    def check_layer(self) -> None:
        """Fail before any packaging work when the layer is missing or laid out wrongly."""
        if not self.layer_dir.is_dir():
            raise LayerMissingError(
                f"The dependencies layer directory {self.layer_dir} does not exist. "
                "Build it with `make layer` (from the repository root), "
                "or pass another one with `-c layerDir=/path/to/layer`."
            )
        if not (self.layer_dir / "python").is_dir():
            raise LayerMissingError(
                f"{self.layer_dir} has no python/ directory: Lambda only puts <layer>/python "
                "on sys.path. Rebuild it with `make layer`."
            )


def _absolute(value: object, base: Path) -> Path:
    path = Path(str(value)).expanduser()
    return path if path.is_absolute() else (base / path).resolve()
