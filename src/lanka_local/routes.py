"""`lanka routes`: each service's route table, written from its route modules.

A service declares its routes and schedules to Chalice from `chalicelib/<name>/routes.py`
at import, before any route module is (see `lanka_platform.routing`). This writes that
table from what the modules themselves declare; `tests/contracts/test_route_tables.py`
fails while a table differs from its modules.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

from lanka_local.services import SERVICES_DIR
from lanka_platform import resources

HEADER = '''"""The {name} service's route table: written by `lanka routes` (make routes) from the
route modules; tests/contracts/test_route_tables.py fails when it is stale. Each route is
declared to Chalice from here and its module imported by its first request."""

'''


def service_of(name: str, services_dir: Path = SERVICES_DIR) -> Any:
    """The service object with every route module imported (not its app.py: a stale table
    may name a schedule app.py cannot find yet)."""
    directory = str(services_dir / name)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    service = importlib.import_module(f"chalicelib.{name}.service").service
    service.load()
    return service


def table_of(service: Any) -> tuple[list[tuple[str, str, str, bool, str]], list[tuple[str, int, str, str]]]:
    """The routes (method, path, view, public, module) and the schedules (name, minutes,
    module, function) the service's modules declare, in a stable order."""
    service.load()
    routes = sorted(
        {spec.entry for spec in service.api.specs if spec.view.__module__ != "lanka_platform.service"},
        key=lambda entry: (entry[4], entry[1], entry[0]),
    )
    return routes, service.schedule_table


def source_of(name: str, service: Any) -> str:
    routes, schedules = table_of(service)
    return (
        HEADER.format(name=name)
        + "ROUTES: tuple[tuple[str, str, str, bool, str], ...] = (\n"
        + "".join(f"    {_literal(entry)},\n" for entry in routes)
        + ")\n"
        + "SCHEDULES: tuple[tuple[str, int, str, str], ...] = (\n"
        + "".join(f"    {_literal(entry)},\n" for entry in schedules)
        + ")\n"
    )


def _literal(entry: tuple[Any, ...]) -> str:
    return "(" + ", ".join(json.dumps(item) if isinstance(item, str) else repr(item) for item in entry) + ")"


def path_of(name: str, services_dir: Path = SERVICES_DIR) -> Path:
    return services_dir / name / "chalicelib" / name / "routes.py"


def write_all(services_dir: Path = SERVICES_DIR) -> list[Path]:
    written = []
    for definition in resources.SERVICES:
        path = path_of(definition.name, services_dir)
        path.write_text(source_of(definition.name, service_of(definition.name, services_dir)))
        written.append(path)
    return written
