"""The local API Gateway: one HTTP origin in front of the four Chalice apps.

`/api/<service>/<path>` goes to that service's app as an API Gateway REST proxy event.
Routes that have the Cognito authorizer get the same treatment as in AWS: the ID token in
`Authorization` is verified against the user pool's JWKS (signature, issuer, audience,
expiry) and its claims are passed in `requestContext.authorizer.claims`; an invalid token
never reaches the service. `/api/auth/login` signs a staff user in (what the staff app uses
locally; a user who still has the first password the admin gave is told to change it),
`/api/auth/change-password` sets the user's own password (old and new) and signs him in,
and every other path is a static file of the staff app or the widgets.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chalice.local import RouteMatcher
from werkzeug.wrappers import Request, Response

from lanka_local.lambda_context import LambdaContext
from lanka_local.provision import change_password, sign_in
from lanka_local.services import LoadedService
from lanka_platform.auth import JwksFetcher, TokenVerifier, cognito_issuer
from lanka_platform.problems import PROBLEM_CONTENT_TYPE, Problem

# API Gateway's own payload limit.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024

Authenticate = Callable[[str, str], dict[str, Any]]
ChangePassword = Callable[[str, str, str], dict[str, Any]]
WsgiStartResponse = Callable[..., Any]


class Gateway:
    def __init__(
        self,
        services: Mapping[str, LoadedService],
        verifier: TokenVerifier,
        authenticate: Authenticate | None = None,
        static_dir: Path | None = None,
        change_password: ChangePassword | None = None,
    ) -> None:
        self.services = dict(services)
        self.verifier = verifier
        self.authenticate = authenticate
        self.change_password = change_password
        self.static_dir = static_dir
        self._matchers = {
            name: RouteMatcher(list(loaded.app.routes)) for name, loaded in self.services.items()
        }

    def __call__(self, environ: dict[str, Any], start_response: WsgiStartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except Problem as problem:
            response = problem_response(problem, request.path)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        parts = request.path.split("/", 3)
        if len(parts) >= 3 and parts[1] == "api":
            if parts[2] == "auth":
                return self._auth(request, parts[3] if len(parts) > 3 else "")
            return self._api(request, parts[2], "/" + (parts[3] if len(parts) > 3 else ""))
        if request.path == "/health":
            return json_response({"status": "ok", "services": sorted(self.services)})
        return self._static(request)

    # ------------------------------------------------------------------ API

    def _api(self, request: Request, service_name: str, path: str) -> Response:
        loaded = self.services.get(service_name)
        if loaded is None:
            raise Problem.not_found(f"The service {service_name!r}")
        try:
            match = self._matchers[service_name].match_route(path)
        except ValueError as error:
            raise Problem.not_found(f"The resource {request.path!r}") from error
        methods = loaded.app.routes[match.route]
        if request.method == "OPTIONS" and "OPTIONS" not in methods:
            return Response(status=204, headers={"Allow": ", ".join(sorted(methods))})
        if request.method not in methods:
            raise Problem(405, "Method not allowed", f"Use one of: {', '.join(sorted(methods))}.")
        body = request.get_data(cache=False)
        if len(body) > MAX_PAYLOAD_BYTES:
            raise Problem.too_large(MAX_PAYLOAD_BYTES)
        claims = None
        if methods[request.method].authorizer is not None:
            claims = self._claims(request)
        event = _proxy_event(request, service_name, path, match.route, match.captured, body, claims)
        context = LambdaContext(function_name=f"lanka-{service_name}-api")
        # Concurrent requests stay concurrent, as on many Lambda instances: each thread has
        # its own request in hand (`lanka_platform.service._App`).
        result = loaded.app(event, context)
        return _from_proxy_result(result)

    def _claims(self, request: Request) -> dict[str, str]:
        header = request.headers.get("Authorization", "")
        token = header[7:] if header[:7].lower() == "bearer " else header
        if not token:
            raise Problem.unauthorized()
        claims = self.verifier.verify(token.strip())
        # API Gateway hands claims to the Lambda as strings; groups as "a,b".
        return {
            key: ",".join(value) if isinstance(value, list) else str(value) for key, value in claims.items()
        }

    # ------------------------------------------------------------------ login

    def _auth(self, request: Request, action: str) -> Response:
        if action not in ("login", "change-password") or request.method != "POST":
            raise Problem.not_found(f"The resource {request.path!r}")
        if action == "login":
            if self.authenticate is None:
                raise Problem(501, "Not available", "Sign-in is not configured here.")
            username, password = _credentials(request, "username", "password")
            return json_response(self.authenticate(username, password))
        if self.change_password is None:
            raise Problem(501, "Not available", "Changing passwords is not configured here.")
        username, old, new = _credentials(request, "username", "old_password", "new_password")
        return json_response(self.change_password(username, old, new))

    # ------------------------------------------------------------------ static files

    def _static(self, request: Request) -> Response:
        if self.static_dir is None or request.method not in ("GET", "HEAD"):
            raise Problem.not_found(f"The resource {request.path!r}")
        root = self.static_dir.resolve()
        relative = request.path.lstrip("/") or "index.html"
        target = (root / relative).resolve()
        if target.is_dir():
            target = target / "index.html"
        if (root not in target.parents and target != root) or not target.is_file():
            raise Problem.not_found(f"The resource {request.path!r}")
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return Response(target.read_bytes(), content_type=content_type, headers={"Cache-Control": "no-cache"})


def _proxy_event(
    request: Request,
    service_name: str,
    path: str,
    resource: str,
    path_parameters: dict[str, str],
    body: bytes,
    claims: dict[str, str] | None,
) -> dict[str, Any]:
    headers = {key.lower(): value for key, value in request.headers.items()}
    multi_headers: dict[str, list[str]] = {}
    for key, value in request.headers.items():
        multi_headers.setdefault(key.lower(), []).append(value)
    query = request.args
    request_id = str(uuid.uuid4())
    is_text = _is_text(body)
    context: dict[str, Any] = {
        "resourcePath": resource,
        "httpMethod": request.method,
        "path": f"/api/{service_name}{path}",
        "stage": "api",
        "requestId": request_id,
        "requestTimeEpoch": int(datetime.now(UTC).timestamp() * 1000),
        "identity": {"sourceIp": request.remote_addr or "127.0.0.1", "userAgent": headers.get("user-agent")},
    }
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {key: query.getlist(key)[-1] for key in query} or None,
        "multiValueQueryStringParameters": {key: query.getlist(key) for key in query} or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": context,
        "body": (body.decode() if is_text else base64.b64encode(body).decode()) if body else None,
        "isBase64Encoded": bool(body) and not is_text,
    }


def _credentials(request: Request, *names: str) -> list[str]:
    try:
        sent = json.loads(request.get_data(cache=False) or b"null")
        values = [sent[name] for name in names]
    except (ValueError, KeyError, TypeError) as error:
        shape = ", ".join(f'"{name}": ...' for name in names)
        raise Problem.bad_request(f"Send {{{shape}}}.") from error
    if not all(isinstance(value, str) and 0 < len(value) <= 256 for value in values):
        raise Problem.bad_request("Each of " + ", ".join(names) + " is a non-empty text.")
    return values


def _is_text(body: bytes) -> bool:
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


def _from_proxy_result(result: Mapping[str, Any]) -> Response:
    raw = result.get("body") or ""
    payload = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    response = Response(payload, status=int(result.get("statusCode", 200)))
    response.headers.clear()
    for key, values in (result.get("multiValueHeaders") or {}).items():
        for value in values:
            response.headers.add(key, value)
    for key, value in (result.get("headers") or {}).items():
        if key not in response.headers:
            response.headers[key] = value
    return response


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, content_type="application/json")


def problem_response(problem: Problem, instance: str) -> Response:
    response = Response(problem.to_json(instance), status=problem.status, content_type=PROBLEM_CONTENT_TYPE)
    for key, value in problem.headers.items():
        response.headers[key] = value
    return response


def staff_gateway(
    services: Mapping[str, LoadedService],
    cognito: Any,
    user_pool_id: str,
    user_pool_client_id: str,
    *,
    region: str,
    jwks_url: str | None = None,
    fetch: JwksFetcher | None = None,
    static_dir: Path | None = None,
) -> Gateway:
    """The origin for a provisioned staff pool: tokens checked against its keys, sign-in."""

    options: dict[str, Any] = {"jwks_url": jwks_url}
    if fetch is not None:
        options["fetch"] = fetch
    verifier = TokenVerifier(
        issuer=cognito_issuer(region, user_pool_id), audience=user_pool_client_id, **options
    )
    return Gateway(
        services,
        verifier,
        authenticate=lambda user, password: sign_in(cognito, user_pool_client_id, user, password),
        static_dir=static_dir,
        change_password=lambda user, old, new: change_password(cognito, user_pool_client_id, user, old, new),
    )
