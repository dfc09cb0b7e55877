"""`lanka`: the command line of the local CRM (`lanka up` is what `make run` runs)."""

from __future__ import annotations

import argparse
import faulthandler
import os
import signal
import threading
from pathlib import Path
from types import FrameType


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lanka", description="Lanka CRM on this machine")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="run the whole CRM until Ctrl-C")
    up.add_argument("--port", type=int, default=int(os.environ.get("LANKA_PORT", "8000")))
    up.add_argument("--host", default=os.environ.get("LANKA_HOST", "127.0.0.1"))
    up.add_argument("--data-dir", type=Path, default=Path(os.environ.get("LANKA_DATA_DIR", "data")))
    up.add_argument("--emulator-port", type=int, default=int(os.environ.get("LANKA_EMULATOR_PORT", "4566")))
    up.add_argument("--verbose", action="store_true", help="service logs and metrics on stdout")
    commands.add_parser("routes", help="write each service's route table from its route modules")
    arguments = parser.parse_args(argv)
    if arguments.command == "routes":
        return _routes()
    return _up(arguments)


def _routes() -> int:
    from lanka_local.routes import write_all

    for path in write_all():
        print(path)
    return 0


def _up(arguments: argparse.Namespace) -> int:
    from lanka_local.stack import Config, LocalStack, log

    stack = LocalStack(
        Config(
            port=arguments.port,
            host=arguments.host,
            data_dir=arguments.data_dir,
            emulator_port=arguments.emulator_port,
            verbose=arguments.verbose,
        )
    )
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    # A parent may hand these signals down blocked (every thread would then keep them
    # pending and Ctrl-C would never arrive): unblock them before any thread starts.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGUSR1})
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    # `kill -USR1` prints every thread's stack to stderr: what a stuck stop is waiting for.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    stack.start()
    log("")
    log(f"Lanka CRM is running at {stack.url}  (Ctrl-C stops it; data in {arguments.data_dir}/)")
    log("Demo users (username / password):")
    for username, password in stack.passwords.items():
        log(f"  {username:<11} {password}")
    print(f"READY {stack.url}", flush=True)
    # Woken twice a second: a signal the kernel gave to another thread is handled on the
    # main thread's next bytecode, which an untimed wait would never reach.
    while not stopping.wait(0.5):
        pass
    log("Stopping: saving a snapshot of the data ...")
    stack.stop()
    log("Stopped.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
