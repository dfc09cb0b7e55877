"""Each service's route table (what a cold start declares to Chalice) is what its route
modules declare, and a cold start imports none of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lanka_local import routes
from lanka_platform import resources

NAMES = [service.name for service in resources.SERVICES]
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", NAMES)
def test_the_route_table_is_what_the_route_modules_declare(name):
    # given the table written in the repository, and the one the modules declare now
    written = routes.path_of(name).read_text()
    # when / then (after adding or changing a route: `make routes`)
    assert written == routes.source_of(name, routes.service_of(name)), "stale route table: run `make routes`"


@pytest.mark.parametrize("name", NAMES)
def test_a_cold_start_imports_no_route_module_and_the_first_request_only_its_own(name):
    # given a fresh interpreter, as a new Lambda sandbox is
    probe = f"""
import json, sys
sys.path.insert(0, {str(REPO / "services" / name)!r})
import app
layers = ("chalicelib.{name}.api", "chalicelib.{name}.store")
before = sorted(m for m in sys.modules if m.startswith(layers))
modules = ("pynamodb.models", "pydantic.main", "lanka_platform.api", "lanka_platform.storage")
heavy = sorted(m for m in modules if m in sys.modules)
from chalice.test import Client
with Client(app.app) as client:
    answer = client.http.get("/health")
after = sorted(m for m in sys.modules if m.startswith("chalicelib.{name}.api."))
print(json.dumps({{"before": before, "heavy": heavy, "status": answer.status_code, "after": after}}))
"""
    environment = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "true", "AWS_REGION": "eu-central-1"}
    # when it imports the app, then answers one request
    finished = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=environment, check=True
    )
    seen = json.loads(finished.stdout.strip().splitlines()[-1])
    # then the import brought no route module, store, model layer or request machinery
    assert (seen["before"], seen["heavy"]) == ([], [])
    # and the platform's own route needed none of the service's modules either
    assert (seen["status"], seen["after"]) == (200, [])


def test_a_route_module_is_imported_by_its_routes_first_request():
    # given a fresh interpreter with the deals app imported
    probe = f"""
import json, sys
sys.path.insert(0, {str(REPO / "services" / "deals")!r})
import app
from chalice.test import Client
with Client(app.app) as client:
    answer = client.http.get("/deals")
loaded = sorted(m for m in sys.modules if m.startswith("chalicelib.deals.api."))
print(json.dumps({{"status": answer.status_code, "loaded": loaded}}))
"""
    environment = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "true", "AWS_REGION": "eu-central-1"}
    # when a staff route is called (without a token: Chalice's test client runs no authorizer)
    finished = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=environment, check=True
    )
    seen = json.loads(finished.stdout.strip().splitlines()[-1])
    # then its module, and only it, was imported to answer (401: nobody signed in)
    assert seen == {"status": 401, "loaded": ["chalicelib.deals.api.deals"]}
