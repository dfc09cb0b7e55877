"""Cold start: importing a service's app module, against importing boto3 + pydantic.

Each sample is a fresh interpreter, as a new Lambda sandbox is; the kinds of samples are
interleaved so that whatever else the machine does weighs on all alike. The service's
modules are compiled first, as the deployment package ships them (infra/lanka_infra/
staging.py): a machine with PYTHONDONTWRITEBYTECODE would otherwise compile them anew in
every sample, which no Lambda does.

Figures:
* `cold_start_ratio.<service>`: the app's import over boto3 + pydantic's (target 1.3);
* `cold_start_ms.<service>`: the app's import minus a bare interpreter's start;
* `first_request_ms.<service>`: the import and the first request of a staff route (turned
  away for want of a token, so no AWS call), minus a bare start: what a cold start costs
  once the route's module, the model layer and the request machinery are in.
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


BARE = "pass"


def _app_import(service: str) -> str:
    return f"import sys; sys.path.insert(0, {str(REPO / 'services' / service)!r}); import app"


def _first_request(service: str) -> str:
    """The app imported, then one staff route of its table called as Lambda calls it (the
    first GET without path parameters): its module and the request machinery come in."""
    return (
        _app_import(service)
        + f"\nfrom chalicelib.{service}.routes import ROUTES"
        + "\npath = next(p for m, p, _, public, _ in ROUTES if m == 'GET' and not public and '{' not in p)"
        + "\nclass Context:"
        + "\n    function_name, memory_limit_in_mb, aws_request_id = 'api', 512, 'cold'"
        + "\n    invoked_function_arn = 'arn:aws:lambda:eu-central-1:123456789012:function:api'"
        + "\nevent = {'resource': path, 'path': path, 'httpMethod': 'GET', 'headers': {}, 'body': None,"
        + "\n    'multiValueHeaders': {}, 'multiValueQueryStringParameters': None, 'pathParameters': None,"
        + "\n    'stageVariables': None, 'isBase64Encoded': False, 'requestContext': {'resourcePath': path,"
        + "\n    'httpMethod': 'GET', 'path': path, 'stage': 'api', 'identity': {'sourceIp': '127.0.0.1'}}}"
        + "\nassert app.app(event, Context())['statusCode'] == 401"
    )


def _run(code: str) -> float:
    environment = {
        **os.environ,
        "LANKA_SERVICE": "x",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_REGION": "eu-central-1",
    }
    started = time.perf_counter()
    subprocess.run([sys.executable, "-W", "ignore", "-c", code], check=True, env=environment)
    return time.perf_counter() - started


def _compile(services: list[str]) -> None:
    # Timestamp-checked, as Python writes them itself: an edit made after a bench run is
    # still seen (the deployment zip uses unchecked hashes: its files never change).
    directories = [REPO / "src" / "lanka_platform"] + [REPO / "services" / s / "chalicelib" for s in services]
    for directory in directories:
        compileall.compile_dir(directory, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)


def measure(services: list[str], samples: int = 15) -> dict[str, float]:
    _compile(services)
    bare: list[float] = []
    baseline: list[float] = []
    apps: dict[str, list[float]] = {service: [] for service in services}
    firsts: dict[str, list[float]] = {service: [] for service in services}
    _run(BASELINE)  # warm the file cache once, for every kind alike
    for service in services:
        _run(_first_request(service))
    for _ in range(samples):
        bare.append(_run(BARE))
        baseline.append(_run(BASELINE))
        for service in services:
            apps[service].append(_run(_app_import(service)))
            firsts[service].append(_run(_first_request(service)))
    base = statistics.median(baseline)
    start = statistics.median(bare)
    figures = {"cold_start_seconds.baseline_boto3_pydantic": round(base, 4)}
    for service, times in apps.items():
        figures[f"cold_start_seconds.{service}"] = round(statistics.median(times), 4)
        figures[f"cold_start_ratio.{service}"] = round(statistics.median(times) / base, 3)
        figures[f"cold_start_ms.{service}"] = round((statistics.median(times) - start) * 1000, 1)
        figures[f"first_request_ms.{service}"] = round((statistics.median(firsts[service]) - start) * 1000, 1)
    return figures
