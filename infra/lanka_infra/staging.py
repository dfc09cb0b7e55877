"""The copy of a service that Chalice packages: its code, the shared package, no dependencies.

`services/<name>/` is never written to during a synthesis. Each synthesis copies it to
`<buildDir>/<name>/`, puts `src/lanka_platform` under `vendor/` (Chalice ships `vendor/` at the
top of the deployment zip), and empties `requirements.txt` (third-party packages come from the
shared layer).
"""

from __future__ import annotations

import compileall
import os
import py_compile
import shutil
import sys
from collections.abc import Iterator
from contextlib import chdir, contextmanager
from pathlib import Path

import botocore.session

from lanka_infra.config import REPO_ROOT

SHARED_PACKAGE = REPO_ROOT / "src" / "lanka_platform"
# Chalice imports these by name: a previously imported one would shadow the app being packaged.
_APP_MODULES = ("app", "chalicelib")


def _ignored(directory: str, names: list[str]) -> set[str]:
    """Caches anywhere; local Chalice state; a vendor/ a developer may have made by hand."""
    ignored = {name for name in names if name in {"__pycache__", ".pytest_cache"} or name.endswith(".pyc")}
    if Path(directory).name == ".chalice":
        ignored |= {"deployments", "deployed"} & set(names)
    return ignored


class ServiceMissingError(RuntimeError):
    """resources.py declares a service that has no Chalice project under services/."""


def stage_service(source: Path, target: Path) -> Path:
    """Make `target` a fresh, packageable copy of the Chalice project in `source`."""
    if not (source / "app.py").is_file() or not (source / ".chalice" / "config.json").is_file():
        raise ServiceMissingError(
            f"{source} is not a Chalice project (app.py and .chalice/config.json are required); "
            "every service in lanka_platform.resources.SERVICES needs one."
        )
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=_ignored)
    shutil.rmtree(target / "vendor", ignore_errors=True)
    shutil.copytree(SHARED_PACKAGE, target / "vendor" / SHARED_PACKAGE.name, ignore=_ignored)
    (target / "requirements.txt").write_text("")
    ship_bytecode(target / "chalicelib", target / "vendor")
    return target


def ship_bytecode(*directories: Path) -> None:
    """Compile the service's modules into the package, so a cold start does not compile them.

    Lambda's file system is read-only: without bytecode in the zip, every new sandbox
    compiles every module of the service again. Hash-based (unchecked) .pyc files stay valid
    whatever timestamps the zip carries; Chalice packages for the Python that synthesizes.
    """
    for directory in directories:
        if directory.is_dir():
            compileall.compile_dir(
                directory, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
            )


@contextmanager
def packaging(build_dir: Path) -> Iterator[None]:
    """Let Chalice package one app in this process without leaking into the next one.

    Chalice imports `app` (and through it `chalicelib`) by module name, puts the project on
    sys.path, copies the stage's environment variables into os.environ and writes
    `./chalice.out`. Four apps in one process would otherwise all get the first app's
    modules, and a test process would keep a service's environment.
    """
    saved_path = list(sys.path)
    saved_environ = dict(os.environ)
    shadowing = {name: sys.modules.pop(name) for name in list(sys.modules) if _is_app_module(name)}
    build_dir.mkdir(parents=True, exist_ok=True)
    if botocore.session.get_session().get_config_variable("region") is None:
        # Chalice asks botocore for a region only to spell service principals
        # (apigateway.amazonaws.com); synthesis never calls AWS, so any region of the partition
        # will do when none is configured (as on a CI machine).
        os.environ["AWS_DEFAULT_REGION"] = os.environ.get("CDK_DEFAULT_REGION", "us-east-1")
    try:
        with chdir(build_dir):
            yield
    finally:
        sys.path[:] = saved_path
        os.environ.clear()
        os.environ.update(saved_environ)
        _forget_modules_under(build_dir)
        sys.modules.update(shadowing)


def clear_packages(build_dir: Path) -> None:
    """Drop earlier syntheses' packages: Chalice writes a new, uniquely named one every time."""
    shutil.rmtree(build_dir / "chalice.out", ignore_errors=True)


def _is_app_module(name: str) -> bool:
    return name.split(".", 1)[0] in _APP_MODULES


def _forget_modules_under(directory: Path) -> None:
    root = str(directory.resolve())
    for name, module in list(sys.modules.items()):
        origin = getattr(module, "__file__", None)
        staged = origin is not None and str(Path(origin).resolve()).startswith(root + os.sep)
        if staged or _is_app_module(name):
            del sys.modules[name]
