"""Loading the four Chalice apps into one process, as four Lambdas would each load one.

Each service keeps its code in `chalicelib/<service>/` under a namespace `chalicelib`
package, so that all four can be imported side by side; each `app.py` is loaded under a
unique module name.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from lanka_platform import resources

REPO = Path(__file__).resolve().parents[2]
SERVICES_DIR = REPO / "services"


@dataclass(frozen=True)
class LoadedService:
    name: str
    module: ModuleType

    @property
    def app(self) -> Any:
        return self.module.app

    @property
    def service(self) -> Any:
        return self.module.service


def load(name: str, services_dir: Path = SERVICES_DIR) -> LoadedService:
    module_name = f"lanka_app_{name}"
    if module_name in sys.modules:
        return LoadedService(name, sys.modules[module_name])
    directory = services_dir / name
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
    spec = importlib.util.spec_from_file_location(module_name, directory / "app.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"no app.py in {directory}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return LoadedService(name, module)


def load_all(services_dir: Path = SERVICES_DIR) -> dict[str, LoadedService]:
    """The four apps with every route module imported, as a warm Lambda has them (a cold
    one imports a route module at its first request: see `lanka_platform.routing`)."""
    loaded = {definition.name: load(definition.name, services_dir) for definition in resources.SERVICES}
    for item in loaded.values():
        item.service.load()
    return loaded
