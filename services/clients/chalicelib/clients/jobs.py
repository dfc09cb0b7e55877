"""The clients service's long jobs, by name: each runs one bounded chunk per
`ClientsJobAdvanced` event (see `api/events.py`), and the modules that own a job register
it here (`@job("import")`), so that no route module imports another."""

from __future__ import annotations

from collections.abc import Callable

from lanka_platform.contracts import clients as events
from lanka_platform.ports import UnitOfWork

Job = Callable[[events.ClientsJobAdvanced, UnitOfWork], None]
JOBS: dict[str, Job] = {}


def job(name: str) -> Callable[[Job], Job]:
    def register(function: Job) -> Job:
        JOBS[name] = function
        return function

    return register
