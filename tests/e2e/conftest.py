"""The local stack as a user runs it: `lanka up` in a subprocess, spoken to over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e
LANKA = Path(sys.executable).parent / "lanka"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningStack:
    process: subprocess.Popen[str]
    url: str
    data_dir: Path
    log: Path

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def sign_in(self, username: str) -> str:
        passwords = json.loads((self.data_dir / "demo-users.json").read_text())
        status, tokens = self.request(
            "POST", "/api/clients/auth/login", {"username": username, "password": passwords[username]}
        )
        assert status == 200, tokens
        return str(tokens["id_token"])


class StackRunner:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.emulator_port = free_port()
        self.running: RunningStack | None = None
        self.starts = 0

    def start(self, timeout: float = 120.0, *, blocked: frozenset[int] = frozenset()) -> RunningStack:
        """`blocked`: signals the process inherits blocked, as some parents hand them down."""
        self.starts += 1
        log = self.data_dir.parent / f"lanka-{self.starts}.log"
        process = subprocess.Popen(
            [
                str(LANKA),
                "up",
                "--port",
                str(self.port),
                "--emulator-port",
                str(self.emulator_port),
                "--data-dir",
                str(self.data_dir),
            ],
            stdout=subprocess.PIPE,
            stderr=log.open("w"),
            text=True,
            start_new_session=True,
            preexec_fn=(lambda: signal.pthread_sigmask(signal.SIG_BLOCK, blocked)) if blocked else None,
            env={key: value for key, value in os.environ.items() if not key.startswith("AWS_")},
        )
        deadline = time.monotonic() + timeout
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if line.startswith("READY "):
                self.running = RunningStack(process, line.split()[1], self.data_dir, log)
                return self.running
            if not line and process.poll() is not None:
                break
        process.kill()
        raise AssertionError(f"lanka up did not start:\n{log.read_text()[-4000:]}")

    def kill_hard(self) -> None:
        assert self.running is not None
        os.killpg(self.running.process.pid, signal.SIGKILL)
        self.running.process.wait(timeout=30)
        self.running = None

    def stop(self) -> int:
        assert self.running is not None
        running = self.running
        running.process.send_signal(signal.SIGINT)
        try:
            code = running.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            # Name what it waits for: every thread's stack goes to the log, then the stack dies.
            running.process.send_signal(signal.SIGUSR1)
            time.sleep(2)
            self.kill_hard()
            stacks = running.log.read_text()[-8000:]
            raise AssertionError(f"lanka up did not stop in 60 s:\n{stacks}") from None
        self.running = None
        return code


@pytest.fixture
def stack_runner(tmp_path: Path) -> Iterator[StackRunner]:
    runner = StackRunner(tmp_path / "data")
    yield runner
    if runner.running is not None:
        runner.kill_hard()


CHROMIUM = Path(os.environ.get("LANKA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def wait_for(probe: Callable[[], Any], seconds: float = 30.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(0.25)
    return probe()


@pytest.fixture(scope="session")
def running_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """One local stack per test worker, shared by the browser and widget tests as one
    install is shared by a company's staff and its website's visitors; it is looked at once
    the demo requests have become deals. A test that needs a stack of its own (a restart, a
    crash) starts one with `stack_runner`."""
    runner = StackRunner(tmp_path_factory.mktemp("stack") / "data")
    running = runner.start()
    token = running.sign_in("head")
    queue = "/api/deals/deals?owner=unassigned&limit=50"
    assert wait_for(lambda: len(running.request("GET", queue, token=token)[1]["items"]) >= 5, 60)
    yield running
    if runner.running is not None:
        runner.kill_hard()


@pytest.fixture(scope="session")
def stack(running_stack: RunningStack) -> RunningStack:
    return running_stack


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, one per test worker (a page's context is the test's own)."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (`make browser` installs it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        yield launched
        launched.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The local stack runs in a process of its own, on the machine's clock: so do its tests."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.real_time)
