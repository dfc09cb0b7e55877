"""The layers of every service, read from their imports: the domain depends on the shared
package's ports and on its own protocols only, and no route module imports another."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "services"
NAMES = sorted(folder.name for folder in SERVICES.iterdir() if (folder / "chalicelib").is_dir())
# What a business rule must never reach for: the database, AWS, HTTP, the environment, or
# the layers above it (its stores, routes, adapters and service wiring).
FORBIDDEN_IN_DOMAIN = (
    "boto3",
    "botocore",
    "pynamodb",
    "chalice",
    "os",
    "requests",
    "urllib.request",
    "lanka_platform.aws",
    "lanka_platform.api",
    "lanka_platform.consumer",
    "lanka_platform.publisher",
    "lanka_platform.service",
    "lanka_platform.storage",
    "lanka_platform.throttle",
)


def imports(path: Path) -> set[str]:
    """Every module `path` imports, at the top, in functions or for type checking alone."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def reaches(module: str, forbidden: str) -> bool:
    return module == forbidden or module.startswith(forbidden + ".")


@pytest.mark.parametrize("service", NAMES)
def test_the_domain_imports_no_store_no_aws_and_no_layer_above_it(service):
    # given the service's domain modules
    domain = SERVICES / service / "chalicelib" / service / "domain"
    above = [f"chalicelib.{service}.{layer}" for layer in ("store", "api", "service", "channels", "desk")]
    # when their imports are read
    offending = {
        path.name: sorted(
            module
            for module in imports(path)
            if any(reaches(module, forbidden) for forbidden in (*FORBIDDEN_IN_DOMAIN, *above))
        )
        for path in sorted(domain.glob("*.py"))
    }
    # then none reaches for what its ports stand for
    assert {name: modules for name, modules in offending.items() if modules} == {}


@pytest.mark.parametrize("service", NAMES)
def test_no_route_module_imports_another(service):
    # given the service's route and handler modules
    api = SERVICES / service / "chalicelib" / service / "api"
    package = f"chalicelib.{service}.api"
    # when their imports are read
    offending = {
        path.name: sorted(
            module for module in imports(path) if reaches(module, package) and module != package
        )
        for path in sorted(api.glob("*.py"))
    }
    # then what two of them share lives below them (the domain, or the service's wiring)
    assert {name: modules for name, modules in offending.items() if modules} == {}


def test_the_rule_sees_a_forbidden_import_where_it_is(tmp_path):
    # given a module that hides a store behind TYPE_CHECKING, and one that imports in a function
    hidden = tmp_path / "hidden.py"
    hidden.write_text("if TYPE_CHECKING:\n    from chalicelib.deals.store import DealStore\n")
    late = tmp_path / "late.py"
    late.write_text("def f():\n    import boto3\n")
    # when / then
    assert any(reaches(module, "chalicelib.deals.store") for module in imports(hidden))
    assert any(reaches(module, "boto3") for module in imports(late))
    assert not reaches("lanka_platform.storage_x", "lanka_platform.storage")
