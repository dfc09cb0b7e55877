"""A Lanka service: a Chalice app with the platform's parts attached, the same in all four.

Each service's `chalicelib/<name>/service.py` creates one `LankaService` with its route table
and its route modules, and `app.py` hands Lambda its handlers. The service brings `/health`,
`/openapi.json`, the observability middleware, the inbox consumer (`on_sqs_message` on the
service's queue), the outbox sweep and the service's own schedules, and it builds settings,
the table binding and AWS clients lazily, on first use.

What a cold start imports is this module, `routing` and the route table: a route module is
imported by the first request of one of its routes, every one of them by the first inbox
batch or the OpenAPI document (`load`), and a schedule's module by its first run.
"""

from __future__ import annotations

import importlib
import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from chalice.app import Chalice, CognitoUserPoolAuthorizer, ConvertToMiddleware, Rate, Request, Response

from lanka_platform import resources
from lanka_platform.routing import Api, CorsPolicy, RouteEntry

if TYPE_CHECKING:
    from lanka_platform import publisher
    from lanka_platform.clock import Clock
    from lanka_platform.consumer import Consumer, Handler
    from lanka_platform.events import Contract
    from lanka_platform.ports import UnitOfWork
    from lanka_platform.settings import Settings
    from lanka_platform.storage import Store

C = TypeVar("C", bound="Contract")
T = TypeVar("T")
STAFF_DEACTIVATED = "StaffDeactivated"
# Chalice's schedules run every minute; a table entry: name, minutes, module, function.
ScheduleEntry = tuple[str, int, str, str]

# Chalice needs the pool ARN when routes are declared; the CDK app overrides it in the
# template with the real pool's ARN, and the local gateway verifies tokens itself.
_POOL_ARN = os.environ.get(
    "LANKA_USER_POOL_ARN", "arn:aws:cognito-idp:eu-central-1:000000000000:userpool/eu-central-1_local"
)
_CORRELATION = re.compile(r"^[A-Za-z0-9\-_.:]{1,64}$")


class _App(Chalice):
    """A Chalice app whose request (and Lambda context) in hand is the calling thread's.

    Chalice keeps the request it answers in `app.current_request`, one per app: right in
    Lambda, where an instance answers one request at a time, but where one process answers
    several at once (the local gateway, serving a browser's parallel requests the way many
    Lambda instances would) each request would read the others'. With one per thread,
    concurrent requests stay concurrent, as they are on AWS, and each sees its own."""

    def __init__(self, app_name: str) -> None:
        self._in_hand = threading.local()
        super().__init__(app_name=app_name)

    @property
    def current_request(self) -> Request | None:
        return getattr(self._in_hand, "request", None)

    @current_request.setter
    def current_request(self, request: Request | None) -> None:
        self._in_hand.request = request

    @property
    def lambda_context(self) -> Any:
        return getattr(self._in_hand, "context", None)

    @lambda_context.setter
    def lambda_context(self, context: Any) -> None:
        self._in_hand.context = context


class _Built:
    """A middleware made on its first call (Powertools' is not needed to declare routes)."""

    def __init__(self, build: Callable[[], Callable[[Any, Any], Any]]) -> None:
        self._build = build
        self._made: Callable[[Any, Any], Any] | None = None

    def __call__(self, event: Any, get_response: Any) -> Any:
        if self._made is None:
            self._made = self._build()
        return self._made(event, get_response)


class LankaService:
    def __init__(
        self,
        name: str,
        *,
        modules: Sequence[str] = (),
        routes: Sequence[RouteEntry] = (),
        schedules: Sequence[ScheduleEntry] = (),
        cors: CorsPolicy | None = None,
    ) -> None:
        """`modules`: the service's route and handler modules, in the order their handlers
        of one event run; `routes` and `schedules`: its route table (`lanka routes` writes
        it from the modules); `cors`: which origins the public routes answer (the widgets'
        hosts)."""
        self.name = name
        self.definition = resources.service(name)
        self.app: Chalice = _App(app_name=f"{resources.PREFIX}-{name}")
        self.authorizer = CognitoUserPoolAuthorizer(
            "staff", provider_arns=[_POOL_ARN], header="Authorization"
        )
        self.api = Api(self, cors)
        self.modules = tuple(modules)
        self._handlers: dict[str, Handler] = {}
        self._jobs: dict[str, Callable[[Any], Any]] = {}
        self._job_modules: dict[str, str] = {}
        self.schedules: dict[str, Any] = {}
        self._bus: publisher.EventBus | None = None
        self._loaded = False
        self._loading = threading.Lock()
        self._attach_observability()
        self._declare_platform_routes()
        self._declare_inbox()
        for entry in routes:
            self.api.declare(entry)
        for schedule in schedules:
            self._declare_schedule(*schedule)
        if STAFF_DEACTIVATED in self.definition.consumes:
            self._handlers[STAFF_DEACTIVATED] = self._end_access

    # ------------------------------------------------------------------ lazily built parts

    @cached_property
    def settings(self) -> Settings:
        # pydantic-settings is imported on first use, not at cold start.
        from lanka_platform.settings import Settings

        return Settings(service=self.name)

    @cached_property
    def store(self) -> Store:
        from lanka_platform.storage import Store

        return Store(self.settings, ())

    @property
    def bus(self) -> publisher.EventBus:
        if self._bus is None:
            from lanka_platform import publisher

            self._bus = publisher.EventBridgeBus(self.settings)
        return self._bus

    def use(self, *, bus: publisher.EventBus | None = None, clock: Clock | None = None) -> None:
        """Rebuild the cached parts (new settings, table binding, clients), with the given
        bus or clock instead of the real ones: tests use it to change the world around."""
        from lanka_platform.storage import Store

        self._bus = bus
        self.__dict__.pop("settings", None)
        self.__dict__.pop("store", None)
        if clock is not None:
            self.__dict__["store"] = Store(self.settings, (), clock=clock)

    def load(self) -> None:
        """Import every route and handler module (in `modules` order): the inbox, the OpenAPI
        document and the local stack need all of them."""
        if self._loaded:
            return
        with self._loading:
            for module in self.modules:
                importlib.import_module(module)
            self._loaded = True

    def relay(self, envelopes: Sequence[Any]) -> None:
        from lanka_platform import publisher

        publisher.relay(self.bus, envelopes, self.name)

    def commit(
        self,
        build: Callable[[UnitOfWork], T],
        retried: Iterable[str] = (),
        *,
        attempts: int | None = None,
        exhausted: Callable[[], Exception] | None = None,
    ) -> T:
        """Build a unit of work, commit it (again from fresh reads while a `retried` write
        finds its reads changed: `storage.commit_retrying`), then publish its events: what
        a route does for its view, for work done outside one (an event's side job, a
        webhook's payment)."""
        from lanka_platform.storage import ATTEMPTS, commit_retrying

        result, unit = commit_retrying(
            self.store.unit_of_work, build, retried, attempts=attempts or ATTEMPTS, exhausted=exhausted
        )
        self.relay(unit.events)
        return result

    # ------------------------------------------------------------------ declarations

    def route(
        self, path: str, method: str = "GET", **options: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.api.route(path, method, **options)

    def handles(self, contract: type[C]) -> Callable[[Callable[..., None]], Callable[..., None]]:
        """Register a handler of one event contract, applied once per event id.

        A detail-type may have several handlers (the board counters, the automation rules,
        the reports, the outgoing webhooks each keep their own): they run in the order they
        were declared, in one unit of work, so the event has all its effects or none.
        """
        if contract.detail_type not in self.definition.consumes:
            raise ValueError(f"{self.name} does not consume {contract.detail_type}: add it to resources.py")

        def register(handler: Callable[..., None]) -> Callable[..., None]:
            self._chain(contract.detail_type, handler)
            return handler

        return register

    def every_minute(self, name: str) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
        """Register a job run every minute as the schedule `name` (Lambda finds it as
        `app.<name>`: `service.schedules[name]`)."""

        def register(job: Callable[[Any], Any]) -> Callable[[Any], Any]:
            self._jobs[name] = job
            if name not in self.schedules:
                self._declare_schedule(name, 1, job.__module__, job.__name__)
            return job

        return register

    def _declare_schedule(self, name: str, minutes: int, module: str, function: str) -> None:
        self._job_modules[name] = module

        def run(event: Any) -> Any:
            job = self._jobs.get(name)
            if job is None:
                importlib.import_module(module)
                job = self._jobs[name]
            return job(event)

        run.__name__ = function
        self.schedules[name] = self.app.schedule(Rate(minutes, unit=Rate.MINUTES), name=name)(run)

    @property
    def schedule_table(self) -> list[ScheduleEntry]:
        """The service's own schedules as its route table lists them (all modules loaded)."""
        self.load()
        return sorted((name, 1, job.__module__, job.__name__) for name, job in self._jobs.items())

    def _chain(self, detail_type: str, handler: Callable[..., None]) -> None:
        earlier = self._handlers.get(detail_type)
        if earlier is None:
            self._handlers[detail_type] = handler
            return

        def both(event: Any, unit: Any) -> None:
            earlier(event, unit)
            handler(event, unit)

        self._handlers[detail_type] = both

    def _end_access(self, event: Any, unit: Any) -> None:
        from lanka_platform import access

        data = event.data
        access.revoke(self.store, unit, data.user_id, data.deactivated_at, data.hand_over_to)

    @property
    def handled_detail_types(self) -> frozenset[str]:
        self.load()
        return frozenset(self._handlers)

    def consumer(self) -> Consumer:
        from lanka_platform.consumer import Consumer

        self.load()
        return Consumer(self.name, lambda: self.store, self._handlers, lambda: self.bus)

    def _declare_platform_routes(self) -> None:
        @self.api.route("/health", public=True, tags=["platform"])
        def health(call: Any) -> dict[str, str]:
            """Liveness of the service."""
            return {"status": "ok", "service": self.name}

        @self.app.route("/openapi.json", methods=["GET"], content_types=["*/*"])
        def openapi() -> Response:
            from lanka_platform.api import json_response, openapi_document

            self.load()
            return json_response(openapi_document(self, self.api.specs))

    def _declare_inbox(self) -> None:
        # Lambda finds these as `app.inbox` and `app.outbox_sweep`: each app.py re-exports them.
        def inbox(event: Any) -> dict[str, list[dict[str, str]]]:
            return self.consumer().handle_batch(event.to_dict())

        def outbox_sweep(event: Any) -> dict[str, int]:
            from lanka_platform import publisher

            return {"republished": publisher.sweep(self.store, self.bus)}

        self.inbox = self.app.on_sqs_message(queue=self.definition.queue, batch_size=10, name="inbox")(inbox)
        self.outbox_sweep = self.app.schedule(Rate(1, unit=Rate.MINUTES), name="outbox_sweep")(outbox_sweep)

    def _attach_observability(self) -> None:
        name = self.name

        def lambda_context() -> Callable[[Any, Any], Any]:
            from lanka_platform import observability

            return ConvertToMiddleware(observability.logger(name).inject_lambda_context(clear_state=True))

        def metrics() -> Callable[[Any, Any], Any]:
            from lanka_platform import observability

            return ConvertToMiddleware(observability.metrics(name).log_metrics(raise_on_empty_metrics=False))

        def tracing() -> Callable[[Any, Any], Any]:
            from lanka_platform import observability

            return ConvertToMiddleware(observability.tracer(name).capture_lambda_handler)

        self.app.register_middleware(_Built(lambda_context))
        self.app.register_middleware(_Built(metrics))
        if os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() not in ("1", "true"):
            self.app.register_middleware(_Built(tracing))

        @self.app.middleware("http")
        def correlate(request: Request, get_response: Callable[[Request], Response]) -> Response:
            from lanka_platform import observability
            from lanka_platform.api import problem_response
            from lanka_platform.problems import Problem

            log = observability.logger(name)
            incoming = request.headers.get(observability.CORRELATION_HEADER.lower(), "")
            correlation = incoming if _CORRELATION.match(incoming) else None
            with observability.correlated(name, correlation):
                log.append_keys(method=request.method, path=request.context.get("resourcePath"))
                try:
                    response = get_response(request)
                except Problem as problem:
                    response = problem_response(problem, request.path)
                finally:
                    log.remove_keys(["method", "path"])
                response = _as_problem(response, request.path)
                response.headers.setdefault(observability.CORRELATION_HEADER, observability.correlation_id())
                if response.status_code >= 500:
                    log.error("Request failed", extra={"status": response.status_code})
                return response


def _as_problem(response: Response, path: str) -> Response:
    """Chalice's own errors (415, 500 ...) as problem+json, like everything else."""
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or "Code" not in body:
        return response
    from lanka_platform.api import problem_response
    from lanka_platform.problems import Problem

    status = response.status_code
    title = "Internal error" if status >= 500 else str(body.get("Code"))
    detail = "Something went wrong on our side." if status >= 500 else str(body.get("Message", ""))
    return problem_response(Problem(status, title, detail), path)
