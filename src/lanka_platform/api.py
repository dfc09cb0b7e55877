"""Answering a route's request: authorization, parsing into the route's pydantic models,
the view, the commit, idempotent replays, problems, and the OpenAPI document.

Routes are declared with `lanka_platform.routing` (light: it is what a cold start imports);
this module is imported by a service's first request. The view gets its input already
parsed into the models it declared and returns a model; the same declarations generate the
service's OpenAPI 3.1 document, so the spec can never disagree with the code.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chalice.app import Request, Response
from pydantic import BaseModel, ValidationError
from pydantic_core import to_json
from pynamodb.exceptions import DoesNotExist

from lanka_platform import access, observability
from lanka_platform.auth import Principal, principal_from_request_context
from lanka_platform.problems import PROBLEM_CONTENT_TYPE, Problem
from lanka_platform.routing import Api, CorsPolicy, RouteSpec
from lanka_platform.storage import ATTEMPTS, IdempotencyRecord, Store, UnitOfWork, commit_retrying

if TYPE_CHECKING:
    from lanka_platform.service import LankaService

__all__ = ["Api", "Call", "CorsPolicy", "RouteSpec", "invoke", "json_response", "problem_response"]

JSON = "application/json"
IDEMPOTENCY_HEADER = "Idempotency-Key"
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_\-:.]{8,128}$")
_PATH_PARAM = re.compile(r"{(\w+)}")


@dataclass
class Call:
    """What a view receives besides its parsed input."""

    service: LankaService
    request: Request
    principal: Principal | None
    path_params: dict[str, str]
    _unit: UnitOfWork | None = field(default=None)

    @property
    def store(self) -> Store:
        return self.service.store

    @property
    def user(self) -> Principal:
        if self.principal is None:
            raise Problem.unauthorized()
        return self.principal

    @property
    def unit(self) -> UnitOfWork:
        """The writes of this request, committed in one transaction when the view returns."""
        if self._unit is None:
            self._unit = self.store.unit_of_work()
        return self._unit


def invoke(api: Api, spec: RouteSpec, path_params: dict[str, str]) -> Response:
    """Answer one request of a route: authorize, parse, run the view, commit, answer."""
    request = api.service.app.current_request
    assert request is not None
    try:
        response = _respond(api, spec, request, path_params)
    except Problem as problem:
        response = problem_response(problem, request.path)
    if spec.public and api.cors is not None:
        response.headers["Vary"] = "Origin"
        response.headers.update(api.cors_headers(request))
    return response


def _respond(api: Api, spec: RouteSpec, request: Request, path_params: dict[str, str]) -> Response:
    principal = None if spec.public else principal_from_request_context(request.context)
    if principal is not None:
        access.refuse_revoked(api.service.store, principal)
        if spec.roles is not None:
            principal.require(*spec.roles)
    observability.set_actor(principal.user_id if principal else None)
    kwargs: dict[str, Any] = {}
    if spec.body is not None:
        kwargs["body"] = _parse_body(api, spec.body, request)
    if spec.query is not None:
        kwargs["query"] = _parse(spec.query, dict(request.query_params or {}), "query")

    def attempt(unit: UnitOfWork) -> Response | tuple[int, Any]:
        call = Call(api.service, request, principal, path_params, unit)
        claim = _idempotency_claim(api, spec, call, request)
        if isinstance(claim, Response):
            return claim
        result = spec.view(call, **path_params, **kwargs)
        if isinstance(result, Response):
            # A page or a file (a report as CSV): what the view wrote still commits.
            return result
        status, body = _dump(spec, result)
        if claim is not None and not unit.is_empty:
            unit.put(
                claim.record(api.service, status, body),
                condition=claim.condition(api.service),
                on_conflict=lambda: Problem.conflict(
                    "Another request with this Idempotency-Key got there first; retry to get its answer."
                ),
            )
        return status, body

    answer, unit = commit_retrying(
        api.service.store.unit_of_work, attempt, spec.retried, attempts=ATTEMPTS if spec.retried else 1
    )
    api.service.relay(unit.events)
    return answer if isinstance(answer, Response) else json_response(answer[1], answer[0])


def _parse_body(api: Api, model: type[BaseModel], request: Request) -> BaseModel:
    raw = _raw_body(request)
    limit = api.service.settings.max_body_bytes
    if len(raw) > limit:
        raise Problem.too_large(limit)
    content_type = (request.headers.get("content-type") or JSON).split(";")[0].strip().lower()
    if content_type != JSON and not content_type.endswith("+json"):
        raise Problem.unsupported_media_type()
    try:
        return model.model_validate_json(raw or b"null")
    except ValidationError as error:
        raise Problem.from_validation_error(error) from error


def _idempotency_claim(
    api: Api, spec: RouteSpec, call: Call, request: Request
) -> IdempotencyClaim | Response | None:
    key = request.headers.get(IDEMPOTENCY_HEADER.lower())
    if not spec.idempotent or key is None:
        return None
    if not _IDEMPOTENCY_KEY.match(key):
        raise Problem.bad_request(
            "Idempotency-Key must be 8 to 128 letters, digits or -_:.", field=IDEMPOTENCY_HEADER
        )
    # A public route's keys are the visitors' own random ones (a widget's UUID).
    owner = "public" if spec.public else call.user.user_id
    claim = IdempotencyClaim(
        pk=f"IDEMPOTENCY#{owner}#{key}",
        answer_id=spec.answer_id,
        request_hash=hashlib.sha256(
            f"{spec.method} {request.path}\n".encode() + _raw_body(request)
        ).hexdigest(),
    )
    model = api.service.store.model(IdempotencyRecord)
    try:
        previous = model.get(claim.pk, "IDEMPOTENCY")
    except DoesNotExist:
        return claim
    if previous.request_hash != claim.request_hash:
        raise Problem(
            422,
            "Idempotency key reused",
            "This Idempotency-Key was already used with a different request.",
            kind="idempotency-key-reused",
        )
    replay = json_response(json.loads(previous.body), int(previous.status))
    replay.headers["Idempotent-Replayed"] = "true"
    return replay


@dataclass(frozen=True)
class IdempotencyClaim:
    """A create request's key, and the field of its answer that names what it made (so that
    erasing a person can find the copies of their data kept for replays)."""

    pk: str
    answer_id: str
    request_hash: str

    def record(self, service: LankaService, status: int, body: Any) -> IdempotencyRecord:
        store = service.store
        model = store.model(IdempotencyRecord)
        subject = body.get(self.answer_id) if isinstance(body, dict) else None
        return model(
            pk=self.pk,
            sk="IDEMPOTENCY",
            gsi1pk=replay_key(subject) if subject else None,
            gsi1sk=self.pk if subject else None,
            request_hash=self.request_hash,
            status=status,
            body=json.dumps(body, ensure_ascii=False),
            expires_at=store.clock() + timedelta(hours=store.settings.idempotency_ttl_hours),
        )

    def condition(self, service: LankaService) -> Any:
        model = service.store.model(IdempotencyRecord)
        return model.pk.does_not_exist()


def replay_key(subject_id: str) -> str:
    """The index key of the idempotency answers that are about `subject_id`."""
    return f"REPLAY#{subject_id}"


def _raw_body(request: Request) -> bytes:
    raw = request.raw_body or b""
    return raw.encode() if isinstance(raw, str) else raw


def _parse(model: type[BaseModel], data: Any, location: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise Problem.from_validation_error(error, location=location) from error


def _dump(spec: RouteSpec, result: Any) -> tuple[int, Any]:
    if result is None:
        return (204 if spec.status == 200 else spec.status), None
    if isinstance(result, BaseModel):
        return spec.status, result.model_dump(mode="json", by_alias=True)
    return spec.status, result


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    all_headers: dict[str, str | list[str]] = {
        "Content-Type": JSON,
        observability.CORRELATION_HEADER: observability.correlation_id(),
    }
    all_headers.update(headers or {})
    # pydantic-core writes JSON some five times faster than `json.dumps` (a month of free
    # slots is 100 kB and more); the body is JSON data already (a model dumped in JSON mode).
    payload = "" if body is None else to_json(body).decode()
    return Response(body=payload, status_code=status, headers=all_headers)


def problem_response(problem: Problem, instance: str | None = None) -> Response:
    headers: dict[str, str | list[str]] = {
        "Content-Type": PROBLEM_CONTENT_TYPE,
        observability.CORRELATION_HEADER: observability.correlation_id(),
        **problem.headers,
    }
    return Response(body=problem.to_json(instance), status_code=problem.status, headers=headers)


# ---------------------------------------------------------------------------- OpenAPI 3.1

_PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "code": {"type": "string"},
                    "in": {"type": "string"},
                },
            },
        },
    },
}
_PROBLEM_TITLES = {
    400: "Malformed request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    413: "Body too large",
    415: "Not JSON",
    422: "Invalid fields",
}


def openapi_document(service: LankaService, specs: list[RouteSpec], version: str = "0.1.0") -> dict[str, Any]:
    from pydantic.json_schema import models_json_schema

    models: list[tuple[type[BaseModel], Any]] = []
    for spec in specs:
        if spec.body is not None:
            models.append((spec.body, "validation"))
        if spec.response is not None:
            models.append((spec.response, "serialization"))
    keyed, definitions = models_json_schema(models, ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = dict(definitions.get("$defs", {}))
    schemas["Problem"] = _PROBLEM_SCHEMA
    paths: dict[str, dict[str, Any]] = {}
    for spec in specs:
        operation: dict[str, Any] = {
            "operationId": spec.operation_id,
            "summary": spec.summary,
            "tags": list(spec.tags),
            "parameters": _parameters(spec),
            "responses": _responses(spec, keyed),
        }
        if spec.public:
            operation["security"] = []
        if spec.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {JSON: {"schema": keyed[(spec.body, "validation")]}},
            }
        paths.setdefault(spec.path, {})[spec.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": f"Lanka {service.name} API", "version": version},
        "servers": [{"url": f"/api/{service.name}"}],
        "security": [{"staff": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "staff": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "Cognito ID token of a staff user",
                }
            },
        },
    }


def _parameters(spec: RouteSpec) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAM.findall(spec.path)
    ]
    if spec.query is not None:
        query_schema = spec.query.model_json_schema()
        required = set(query_schema.get("required", []))
        for name, schema in query_schema.get("properties", {}).items():
            parameters.append({"name": name, "in": "query", "required": name in required, "schema": schema})
    if spec.idempotent:
        parameters.append(
            {
                "name": IDEMPOTENCY_HEADER,
                "in": "header",
                "required": False,
                "description": "Retry-safe create: the same key returns the first answer",
                "schema": {"type": "string", "minLength": 8, "maxLength": 128},
            }
        )
    return parameters


def _responses(spec: RouteSpec, keyed: dict[Any, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if spec.response is not None:
        responses[str(spec.status)] = {
            "description": "OK",
            "content": {JSON: {"schema": keyed[(spec.response, "serialization")]}},
        }
    else:
        responses[str(spec.status if spec.status != 200 else 204)] = {"description": "Done"}
    statuses = set(spec.problems)
    if not spec.public:
        statuses |= {401, 403}
    if spec.body is not None:
        statuses |= {400, 413, 415, 422}
    if spec.query is not None:
        statuses.add(422)
    if _PATH_PARAM.search(spec.path):
        statuses.add(404)
    for status in sorted(statuses):
        responses[str(status)] = {
            "description": _PROBLEM_TITLES.get(status, "Problem"),
            "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    return responses
