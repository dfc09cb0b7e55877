"""Cold start: importing a service's app module, against importing boto3 + pydantic.

Each sample is a fresh interpreter, as a new Lambda sandbox is; the two kinds of samples
are interleaved so that whatever else the machine does weighs on both alike. The service's
modules are compiled first, as the deployment package ships them (infra/lanka_infra/
staging.py): a machine with PYTHONDONTWRITEBYTECODE would otherwise compile them anew in
every sample, which no Lambda does.
"""

from __future__ import annotations

import compileall
import os
import py_compile
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASELINE = "import boto3, pydantic"


def _app_import(service: str) -> str:
    return f"import sys; sys.path.insert(0, {str(REPO / 'services' / service)!r}); import app"


def _run(code: str) -> float:
    environment = {
        **os.environ,
        "LANKA_SERVICE": "x",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_REGION": "eu-central-1",
    }
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=environment)
    return time.perf_counter() - started


def _compile(services: list[str]) -> None:
    # Timestamp-checked, as Python writes them itself: an edit made after a bench run is
    # still seen (the deployment zip uses unchecked hashes: its files never change).
    directories = [REPO / "src" / "lanka_platform"] + [REPO / "services" / s / "chalicelib" for s in services]
    for directory in directories:
        compileall.compile_dir(directory, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)


def measure(services: list[str], samples: int = 15) -> dict[str, float]:
    _compile(services)
    baseline: list[float] = []
    apps: dict[str, list[float]] = {service: [] for service in services}
    _run(BASELINE)  # warm the file cache once, for both kinds alike
    for service in services:
        _run(_app_import(service))
    for _ in range(samples):
        baseline.append(_run(BASELINE))
        for service in services:
            apps[service].append(_run(_app_import(service)))
    base = statistics.median(baseline)
    figures = {"cold_start_seconds.baseline_boto3_pydantic": round(base, 4)}
    for service, times in apps.items():
        figures[f"cold_start_seconds.{service}"] = round(statistics.median(times), 4)
        figures[f"cold_start_ratio.{service}"] = round(statistics.median(times) / base, 3)
    return figures
