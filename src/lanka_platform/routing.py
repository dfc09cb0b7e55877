"""Routes declared on a service: what Chalice (and so API Gateway) knows of each, before the
module that implements it is imported.

A Lambda's cold start is the import of its `app.py`. Importing every route module there
would build every pydantic model and every PynamoDB binding of the service, for a request
that uses a few. So each service ships a route table (`chalicelib/<service>/routes.py`,
written by `lanka routes` from the route modules and checked by a test): the service
declares each route to Chalice from it, and the module that implements a route is imported
by its first request (`Api.route` then records the route's `RouteSpec`). Answering a request
is `lanka_platform.api.invoke`, imported with the first one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalice.app import Request, Response

if TYPE_CHECKING:
    from pydantic import BaseModel

    from lanka_platform.service import LankaService
    from lanka_platform.storage import Store

# Every content type reaches the view, so that a wrong one is answered as a problem.
ANY_CONTENT = ["*/*"]
# What a browser on another origin may send to a public route.
_CORS_REQUEST_HEADERS = "Content-Type, Idempotency-Key, X-Correlation-Id"

CorsPolicy = Callable[["Store", str], bool]
"""Whether a public route answers a page on this `Origin` (e.g. the company's own site)."""

# One entry of a service's route table: method, path, name (the view's), public, module.
RouteEntry = tuple[str, str, str, bool, str]


@dataclass
class RouteSpec:
    path: str
    method: str
    view: Callable[..., Any]
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    roles: frozenset[str] | None
    public: bool
    summary: str
    tags: tuple[str, ...]
    idempotent: bool
    problems: tuple[int, ...]
    answer_id: str = "id"
    retried: frozenset[str] = frozenset()
    # A route answered by a plain Chalice view (a redirect, not JSON): called as it is.
    raw: Callable[..., Response] | None = None

    @property
    def operation_id(self) -> str:
        return self.view.__name__

    @property
    def entry(self) -> RouteEntry:
        return (self.method, self.path, self.view.__name__, self.public, self.view.__module__)


class RouteMissing(LookupError):
    """The route table names a module that does not declare the route (run `lanka routes`)."""


class Api:
    def __init__(self, service: LankaService, cors: CorsPolicy | None = None) -> None:
        self.service = service
        self.specs: list[RouteSpec] = []
        self.cors = cors
        self._preflights: dict[str, set[str]] = {}
        self._declared: dict[tuple[str, str], str] = {}  # (method, path) -> the module
        self._specs: dict[tuple[str, str], RouteSpec] = {}

    def route(
        self,
        path: str,
        method: str = "GET",
        *,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        roles: Iterable[str] | None = None,
        public: bool = False,
        summary: str = "",
        tags: Iterable[str] = (),
        idempotent: bool = False,
        answer_id: str = "id",
        problems: Iterable[int] = (),
        retried: Iterable[str] = (),
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """`retried`: tags of the view's conditional writes that fail when another request
        changed what the view read meanwhile (a version), so that the view runs again from
        fresh reads (at most `storage.ATTEMPTS` times) rather than answering a conflict."""

        def register(view: Callable[..., Any]) -> Callable[..., Any]:
            self.add(
                RouteSpec(
                    path=path,
                    method=method.upper(),
                    view=view,
                    body=body,
                    query=query,
                    response=response,
                    status=status,
                    roles=frozenset(roles) if roles is not None else None,
                    public=public,
                    summary=summary or (view.__doc__ or "").strip().split("\n")[0],
                    tags=tuple(tags) or (self.service.name,),
                    idempotent=idempotent,
                    answer_id=answer_id,
                    problems=tuple(problems),
                    retried=frozenset(retried),
                )
            )
            return view

        return register

    def add(self, spec: RouteSpec) -> None:
        """A route as its module declares it; declared to Chalice now unless the route table
        declared it already."""
        key = (spec.method, spec.path)
        self.specs.append(spec)
        self._specs[key] = spec
        if key not in self._declared:
            self.declare((spec.method, spec.path, spec.view.__name__, spec.public, spec.view.__module__))

    def declare(self, entry: RouteEntry) -> None:
        """Tell Chalice of a route; its module is imported when the route is first called."""
        method, path, name, public, module = entry
        key = (method, path)
        self._declared[key] = module

        def chalice_view(**path_params: str) -> Response:
            spec = self.spec(key)
            if spec.raw is not None:
                return spec.raw(**path_params)
            from lanka_platform.api import invoke

            return invoke(self, spec, path_params)

        chalice_view.__name__ = name
        self.service.app.route(
            path,
            methods=[method],
            authorizer=None if public else self.service.authorizer,
            content_types=ANY_CONTENT,
            name=name,
        )(chalice_view)
        if public and self.cors is not None:
            self._declare_preflight(path, method, name)

    def spec(self, key: tuple[str, str]) -> RouteSpec:
        """The route's spec, its module imported first if it was not yet."""
        spec = self._specs.get(key)
        if spec is None:
            importlib.import_module(self._declared[key])
            spec = self._specs.get(key)
            if spec is None:
                raise RouteMissing(f"{self._declared[key]} declares no {key[0]} {key[1]}: run `lanka routes`")
        return spec

    # ------------------------------------------------------------------ CORS

    def _declare_preflight(self, path: str, method: str, name: str) -> None:
        """An OPTIONS route per public path, answered by the service itself: the allowed
        origins are data (an admin setting), so API Gateway's static CORS cannot answer."""
        methods = self._preflights.get(path)
        if methods is not None:
            methods.add(method)
            return
        methods = self._preflights[path] = {method}

        def preflight(**path_params: str) -> Response:
            request = self.service.app.current_request
            assert request is not None
            headers = self.cors_headers(request)
            if "Access-Control-Allow-Origin" in headers:
                headers["Access-Control-Allow-Methods"] = ", ".join(sorted(methods))
                headers["Access-Control-Allow-Headers"] = _CORS_REQUEST_HEADERS
                headers["Access-Control-Max-Age"] = "600"
            return Response(body="", status_code=204, headers={"Vary": "Origin", **headers})

        preflight.__name__ = f"{name}_preflight"
        self.service.app.route(
            path, methods=["OPTIONS"], authorizer=None, content_types=ANY_CONTENT, name=preflight.__name__
        )(preflight)

    def cors_headers(self, request: Request) -> dict[str, str]:
        origin = request.headers.get("origin")
        if not origin or self.cors is None or not self.cors(self.service.store, origin):
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Expose-Headers": "Retry-After, Idempotent-Replayed",
        }
