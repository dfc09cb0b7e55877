"""The AWS emulator behind `make run`: moto in server mode, with its state kept on disk.

moto keeps everything in memory. This module makes it durable: every write that moto
acknowledged survives a clean restart and a `kill -9` of the process.

How it is kept
--------------
* **Write-ahead log.** A WSGI middleware in front of moto's own WSGI app classifies each
  request by service and action. A request that changes state is run through moto, and
  only if moto answered 2xx is the raw request (method, path, query, headers, body in
  base64) appended as one JSON line to `wal.<generation>.jsonl`, with one `os.write`,
  *before* the response goes back. Writes and their log appends are serialized under one
  lock, so the log order is the commit order. Reads are not journaled and run in parallel.
  An action counts as a read only by its name (Get*, List*, Describe*, Query, Scan,
  Receive*, ...) or, for REST APIs, its method; anything else is journaled, since a
  journaled read costs a line and a missed write loses data. Cognito's InitiateAuth and
  RespondToAuthChallenge are journaled too: they open the sessions that later password
  changes refer to, and the refresh tokens that keep staff signed in.
* **Same ids on replay.** moto draws every id it invents (Cognito `sub`, app-client
  secrets, SQS message ids, S3 version ids, auth sessions) from one random source. Each
  journaled request runs with that source seeded from a per-request seed kept in its log
  line, so replaying the request re-creates the very same ids. JWTs also embed the time
  they were issued, so for the Cognito calls that issue tokens the log line keeps the
  tokens handed out and the replay re-labels the fresh ones with them.
* **Snapshot.** On `stop()`, on `snapshot()` and every `snapshot_every_seconds` while the
  log grew, the state of DynamoDB, S3, SQS, EventBridge, Cognito and SES is read from
  moto's in-process backends and written to `snapshot.json` (temp file, fsync,
  `os.replace`). S3 object bodies go to content-addressed files under `blobs/`, so an
  unchanged object is never rewritten. The log is rotated under the write lock at the
  moment of the snapshot, and the snapshot names the last generation it contains: on
  start the snapshot is loaded and only newer generations are replayed, so a crash at any
  point between rotation, snapshot and deletion of old generations neither loses nor
  double-applies a write. Snapshot restore calls moto's backends directly (fast); each
  service's use of moto internals lives in one `_export_<service>` / `_import_<service>`
  pair. Writes wait while a snapshot reads and serializes the state (about a second for
  30k items); reads do not.
* **Requests the snapshot does not model** (other services; S3 bucket settings such as
  CORS or lifecycle; rare actions of the modelled services) are kept verbatim inside the
  snapshot as `carried_requests` and replayed after it, so nothing acknowledged is lost
  at compaction. Bucket settings keep only the last request per bucket and setting.

* **TransactWriteItems at scale.** moto 5.2.5 deep-copies a whole table before each item
  of a transaction (to undo it if cancelled), so each transaction costs O(table) and the
  outbox pattern of DESIGN.md would slow every write as data grows. While the emulator
  runs, transactions keep copies of only the items they touch
  (`dynamodb_transactions_roll_back_by_item`, put in force by `moto_patches.install()`).
* **Query at scale.** moto 5.2.5 answers a Query by walking every item of the table, so a
  Query costs O(table) however narrow its key condition. While the emulator runs, a table
  Query reads only the queried partition and finds the sort-key range by bisection, with
  moto's answer to the item (`lanka_local.moto_patches`).

Files in `data_dir`: `snapshot.json`, `wal.<generation>.jsonl`, `blobs/<sha256>`,
`emulator.lock` (an exclusive `flock`, so two emulators never share a data dir).

Durability and its limits
-------------------------
* The log is written with `os.write` and not fsynced by default: the data is then in the
  kernel's page cache, which survives a crash or `kill -9` of this process (the failure a
  developer machine sees), while an fsync per write would serialize every write behind a
  disk flush. `Emulator(..., fsync_writes=True)` adds the fsync for power-loss safety.
  Snapshots are always fsynced before the log generations they replace are deleted.
* SQS `DeleteMessage` and `ChangeMessageVisibility` are not journaled (receipt handles
  differ on every receive). After a crash, messages received and deleted since the last
  snapshot are delivered again; consumers are idempotent by `event_id`, so that is
  acceptable. A deletion makes the next periodic snapshot run, so at most
  `snapshot_every_seconds` of consumption is redelivered. A snapshot has exactly the
  undeleted messages; restored messages are visible at once (their receipt handles died
  with the process) and keep their receive count.
* Receive counts and dead-letter moves made by `ReceiveMessage` are likewise only as
  fresh as the last snapshot. moto moves a message to its dead-letter queue outside any
  lock; the snapshot reads source queues before their dead-letter queues, so a message
  caught mid-move is at worst kept twice.
* Not restored from a snapshot: DynamoDB stream records (the stream ARN is kept), S3
  object ACLs and unfinished multipart uploads, headers of `CreateBucket` other than its
  region (ACL, object lock), EventBridge bus policies, archives and connections (these
  are carried as requests), moto's IAM/KMS state of the modelled services.
* One emulator per process: moto's state is process-global. `start()` resets it, so a
  test can run several emulators one after another.
* S3 requests are expected in path style (`http://host:port/bucket/key`), which is what
  boto3 sends to an IP endpoint.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import datetime
import fcntl
import functools
import hashlib
import importlib
import io
import json
import logging
import os
import random
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wsgi import get_input_stream

from lanka_local import moto_patches

log = logging.getLogger(__name__)

REGION = "eu-central-1"

_SNAPSHOT_FILE = "snapshot.json"
_SNAPSHOT_FORMAT = 1
_WAL_PREFIX = "wal."
_WAL_SUFFIX = ".jsonl"
_BLOB_DIR = "blobs"
_LOCK_FILE = "emulator.lock"
_ENTRY_VERSION = 1

# Ids derived from names: the pool and app-client ids stay the same across restarts and
# across fresh data dirs, so local configuration can rely on them.
_MOTO_ID_STRATEGIES = {
    "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
    "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY": "HASH",
}

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class RestoreReport:
    """What `Emulator.start()` brought back, and how long it took.

    `snapshot_items` counts records (DynamoDB items, S3 object versions, SQS messages,
    Cognito users, sent SES e-mails); `wal_requests` the logged requests replayed after it."""

    snapshot_items: int
    wal_requests: int
    seconds: float


class CorruptWalError(RuntimeError):
    """A complete line in the middle of a write-ahead log does not parse: the file was damaged."""


class Emulator:
    """moto served on `host:port`, restored from and persisted to `data_dir`."""

    def __init__(
        self,
        data_dir: Path,
        host: str = "127.0.0.1",
        port: int = 4566,
        snapshot_every_seconds: float = 60.0,
        *,
        fsync_writes: bool = False,
    ) -> None:
        """`port=0` picks a free port (see `endpoint_url` after `start()`);
        `snapshot_every_seconds <= 0` snapshots only on `stop()` and `snapshot()`."""
        self._data_dir = Path(data_dir)
        self._host = host
        self._port = port
        self._snapshot_every = snapshot_every_seconds
        self._wal = _WriteAheadLog(self._data_dir, fsync=fsync_writes)
        self._blobs = _BlobStore(self._data_dir / _BLOB_DIR)
        self._carried = _CarriedRequests()
        self._commit_lock = threading.Lock()
        self._snapshot_lock = threading.Lock()
        self._stopping = threading.Event()
        self._state = "new"
        self._closed = False
        self._writes_since_snapshot = 0
        self._consumed_since_snapshot = False
        self._moto: _Moto | None = None
        self._server: BaseWSGIServer | None = None
        self._threads: list[threading.Thread] = []
        self._lock_fd: int | None = None
        self._uninstall: Callable[[], None] | None = None
        self._saved_environment: dict[str, str | None] = {}

    @property
    def endpoint_url(self) -> str:
        port = self._server.server_port if self._server is not None else self._port
        return f"http://{self._host}:{port}"

    def start(self) -> RestoreReport:
        """Restore the snapshot and the newer log generations, then serve."""
        if self._state != "new":
            raise RuntimeError("an Emulator starts once; create a new one to start again")
        began = time.perf_counter()
        _claim_process(self)
        started = False
        try:
            self._data_dir.mkdir(parents=True, exist_ok=True)
            self._lock_fd = _lock_data_dir(self._data_dir)
            self._saved_environment = {name: os.environ.get(name) for name in _MOTO_ID_STRATEGIES}
            for name, value in _MOTO_ID_STRATEGIES.items():
                os.environ.setdefault(name, value)
            _RANDOMNESS.install()
            # Queries that read their partition, transactions that copy what they write.
            self._uninstall = moto_patches.install()
            self._moto = _Moto()
            self._moto.reset()
            snapshot_items, wal_requests = self._restore()
            self._server = make_server(
                self._host,
                self._port,
                self._journaling_app,
                threaded=True,
                request_handler=_request_handler(),
            )
            self._spawn("aws-emulator", self._serve)
            if self._snapshot_every > 0:
                self._spawn("aws-emulator-snapshots", self._snapshot_periodically)
            self._state = "running"
            started = True
        finally:
            if not started:
                self._release()
        report = RestoreReport(snapshot_items, wal_requests, time.perf_counter() - began)
        log.info(
            "AWS emulator at %s: %d records from the snapshot, %d logged requests replayed in %.2f s",
            self.endpoint_url,
            report.snapshot_items,
            report.wal_requests,
            report.seconds,
        )
        return report

    def stop(self) -> None:
        """Stop serving, snapshot and truncate the log. Safe to call more than once."""
        if self._state != "running":
            return
        self._shut_down()
        try:
            self._write_snapshot()
        finally:
            self._release()

    def snapshot(self) -> None:
        """Write the whole state to `snapshot.json` and drop the log it makes redundant."""
        if self._state != "running":
            raise RuntimeError("the emulator is not running")
        self._write_snapshot()

    # -- serving ---------------------------------------------------------------------------

    def _journaling_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        moto = self._moto
        assert moto is not None
        body = _read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        backend_app, service = moto.backend_app(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        call = _classify(service, environ, body)
        if not call.journaled:
            result = backend_app(environ, start_response)
            if call.unjournaled_change:
                # Not replayable, so let the next periodic snapshot keep it (flagged once
                # applied, so that a snapshot taken meanwhile cannot clear the flag early).
                self._consumed_since_snapshot = True
            return result
        recorded = _recordable_environ(environ)
        encoded_body = base64.b64encode(body).decode("ascii")
        seed = secrets.randbits(63)
        with self._commit_lock:
            if self._closed:
                response = _Response.unavailable()
            else:
                with _RANDOMNESS.seeded(seed):
                    response = _Moto.call(backend_app, environ)
                if response.ok:
                    entry: dict[str, Any] = {
                        "v": _ENTRY_VERSION,
                        "service": call.service,
                        "action": call.action,
                        "seed": seed,
                        "environ": recorded,
                        "body": encoded_body,
                    }
                    pins = _pins(call, response.body)
                    if pins:
                        entry["pins"] = pins
                    self._wal.append(_encode_line(entry))
                    self._carried.note(entry)
                    self._writes_since_snapshot += 1
        start_response(response.status, response.headers)
        return [response.body]

    def _serve(self) -> None:
        assert self._server is not None
        self._server.serve_forever(poll_interval=0.1)

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _shut_down(self) -> None:
        self._state = "stopping"
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join()
        # A keep-alive connection may still carry a request after shutdown(): refuse it,
        # since nothing journaled after the final snapshot would be replayed.
        with self._commit_lock:
            self._closed = True

    def _release(self) -> None:
        self._wal.close()
        if self._uninstall is not None:
            self._uninstall()
            self._uninstall = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_environment = {}
        self._state = "stopped"
        _release_process(self)

    # -- restore ---------------------------------------------------------------------------

    def _restore(self) -> tuple[int, int]:
        covered = 0
        snapshot_items = 0
        snapshot_path = self._data_dir / _SNAPSHOT_FILE
        if snapshot_path.exists():
            document = json.loads(snapshot_path.read_bytes())
            if document.get("format") != _SNAPSHOT_FORMAT:
                raise RuntimeError(
                    f"{snapshot_path} has format {document.get('format')!r}, not {_SNAPSHOT_FORMAT}"
                )
            if document.get("moto_version") != _moto_version():
                log.warning(
                    "snapshot written with moto %s, running moto %s",
                    document.get("moto_version"),
                    _moto_version(),
                )
            covered = int(document["wal_generation"])
            snapshot_items = _import_state(document, self._blobs)
            self._carried = _CarriedRequests(document.get("carried_requests", []))
            for entry in self._carried.entries():
                self._replay(entry, note=False)
        generations = self._wal.generations()
        replayed = 0
        for generation in generations:
            if generation <= covered:
                continue
            for entry in self._wal.read(generation):
                self._replay(entry, note=True)
                replayed += 1
        # Old generations left by a crash between snapshot and cleanup.
        self._wal.discard_up_to(covered)
        # Always continue in a fresh file: the last one may end in a torn line.
        self._wal.open_generation(max([covered, *generations]) + 1)
        self._writes_since_snapshot = replayed
        return snapshot_items, replayed

    def _replay(self, entry: Mapping[str, Any], *, note: bool) -> None:
        moto = self._moto
        assert moto is not None
        body = base64.b64decode(entry["body"])
        environ = _environ_for(entry["environ"], body)
        backend_app = moto.app_for(entry["service"], environ)
        environ["wsgi.input"] = io.BytesIO(body)
        with _RANDOMNESS.seeded(int(entry["seed"])):
            response = _Moto.call(backend_app, environ)
        if not response.ok:
            log.warning(
                "replayed %s %s was refused with %s: %s",
                entry.get("service"),
                entry.get("action") or entry["environ"].get("PATH_INFO"),
                response.status,
                response.body[:300],
            )
            return
        if entry.get("pins"):
            _adopt_pins(entry["pins"], response.body)
        if note:
            self._carried.note(entry)

    # -- snapshot --------------------------------------------------------------------------

    def _snapshot_periodically(self) -> None:
        while not self._stopping.wait(self._snapshot_every):
            if self._writes_since_snapshot or self._consumed_since_snapshot:
                try:
                    self._write_snapshot()
                except OSError:
                    log.exception("periodic snapshot failed; the write-ahead log still holds every write")

    def _write_snapshot(self) -> None:
        with self._snapshot_lock:
            blobs: dict[str, bytes] = {}
            with self._commit_lock:
                # Serialized under the lock: the exported structures share objects with moto.
                covered = self._wal.rotate()
                included = self._writes_since_snapshot
                self._consumed_since_snapshot = False
                document = {
                    "format": _SNAPSHOT_FORMAT,
                    "moto_version": _moto_version(),
                    "wal_generation": covered,
                    "written_at": datetime.datetime.now(datetime.UTC).isoformat(),
                    **_export_state(blobs),
                    "carried_requests": self._carried.entries(),
                }
                payload = json.dumps(document, separators=(",", ":"), default=_json_default).encode()
            for digest, data in blobs.items():
                self._blobs.write(digest, data)
            _write_durably(self._data_dir / _SNAPSHOT_FILE, payload)
            self._wal.discard_up_to(covered)
            self._blobs.keep_only(set(blobs))
            with self._commit_lock:
                self._writes_since_snapshot -= included
            log.info("snapshot of the AWS emulator: %d bytes, log generation %d", len(payload), covered)


# -- process-wide state ------------------------------------------------------------------------

_PROCESS_LOCK = threading.Lock()
_running: list[Emulator] = []


def _claim_process(emulator: Emulator) -> None:
    with _PROCESS_LOCK:
        if _running:
            raise RuntimeError("another Emulator is running in this process; moto's state is process-global")
        _running.append(emulator)


def _release_process(emulator: Emulator) -> None:
    with _PROCESS_LOCK:
        if emulator in _running:
            _running.remove(emulator)


def _lock_data_dir(data_dir: Path) -> int:
    fd = os.open(data_dir / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise RuntimeError(f"{data_dir} is in use by another emulator") from None
    return fd


def _moto(module: str) -> Any:
    """A moto module, loaded when first needed (importing moto is slow) and typed `Any`:
    what the emulator uses of moto is its internals, which carry no stable types."""
    return importlib.import_module(module)


def _moto_version() -> str:
    return str(_moto("moto").__version__)


class _ReplayableRandomness:
    """Lets a request draw moto's random ids from a seeded stream of its own thread.

    moto's `mock_random` is one process-wide `random.Random`; every method of it ends in
    `getrandbits()` or `random()`. Those two are redirected to a thread-local generator
    while a journaled request runs, and to the shared state otherwise.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._installed = False

    def install(self) -> None:
        if self._installed:
            return
        mock_random = _moto("moto.moto_api._internal").mock_random

        shared_getrandbits = mock_random.getrandbits
        shared_random = mock_random.random
        local = self._local

        def getrandbits(bits: int) -> int:
            own = getattr(local, "generator", None)
            return int(own.getrandbits(bits)) if own is not None else int(shared_getrandbits(bits))

        def random_float() -> float:
            own = getattr(local, "generator", None)
            return float(own.random()) if own is not None else float(shared_random())

        mock_random.getrandbits = getrandbits
        mock_random.random = random_float
        self._installed = True

    @contextlib.contextmanager
    def seeded(self, seed: int) -> Iterator[None]:
        # Reproducible ids for an emulator, not secrets: a seeded PRNG is the point.
        self._local.generator = random.Random(seed)  # noqa: S311
        try:
            yield
        finally:
            self._local.generator = None


_RANDOMNESS = _ReplayableRandomness()


# -- moto, in-process --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Response:
    status: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def ok(self) -> bool:
        return self.status[:1] == "2"

    @classmethod
    def unavailable(cls) -> _Response:
        return cls("503 SERVICE UNAVAILABLE", [("Content-Type", "text/plain")], b"the emulator is stopping")


class _Moto:
    """moto's own WSGI application (`DomainDispatcherApplication`), called without sockets."""

    def __init__(self) -> None:
        DomainDispatcherApplication = _moto("moto.server").DomainDispatcherApplication
        create_backend_app = _moto("moto.server").create_backend_app

        self._dispatcher = DomainDispatcherApplication(create_backend_app)

    def backend_app(self, environ: dict[str, Any]) -> tuple[WSGIApp, str]:
        """moto's routing decision: the per-service app and its service name."""
        app = self._dispatcher.get_application(environ)
        return app, str(app.service)

    def app_for(self, service: str, environ: dict[str, Any]) -> WSGIApp:
        """The app of a service routed to before, without routing again (replay is hot)."""
        app: WSGIApp | None = self._dispatcher.app_instances.get(service)
        return app if app is not None else self.backend_app(environ)[0]

    @staticmethod
    def call(app: WSGIApp, environ: dict[str, Any]) -> _Response:
        captured: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], Any]:
            captured["status"] = status
            captured["headers"] = list(headers)
            return lambda _data: None

        chunks = app(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return _Response(captured["status"], captured["headers"], body)

    def reset(self) -> None:
        """Empty every moto backend: the in-process `POST /moto-api/reset`."""
        environ = _environ_for({"REQUEST_METHOD": "POST", "PATH_INFO": "/moto-api/reset"}, b"")
        app, _ = self.backend_app(environ)
        response = self.call(app, environ)
        if not response.ok:
            raise RuntimeError(f"moto refused to reset: {response.status}")


@functools.cache
def _request_handler() -> type:
    """moto's request handler (it keeps S3 metadata headers with underscores), minus the
    access-log line per request."""
    moto_handler = _moto("moto.moto_server.werkzeug_app").MotoRequestHandler
    return type("QuietMotoRequestHandler", (moto_handler,), {"log_request": _no_access_log})


def _no_access_log(handler: Any, code: int | str = "-", size: int | str = "-") -> None:
    return


def _read_body(environ: dict[str, Any]) -> bytes:
    data: bytes = get_input_stream(environ, safe_fallback=True).read()
    return data


# Transport and telemetry headers: not needed to re-dispatch a request.
_UNRECORDED = frozenset(
    {
        "REMOTE_ADDR",
        "REMOTE_PORT",
        "SERVER_SOFTWARE",
        "CONTENT_LENGTH",
        "HTTP_AMZ_SDK_INVOCATION_ID",
        "HTTP_AMZ_SDK_REQUEST",
        "HTTP_ACCEPT_ENCODING",
        "HTTP_CONNECTION",
        "HTTP_EXPECT",
    }
)
_PRESERVED_HEADER_NAMES = "moto.preserved_header_names"


def _recordable_environ(environ: Mapping[str, Any]) -> dict[str, Any]:
    """The CGI variables and headers of a request (what moto routes and parses on)."""
    recorded: dict[str, Any] = {
        key: value
        for key, value in environ.items()
        if isinstance(value, str) and key == key.upper() and key not in _UNRECORDED
    }
    preserved = environ.get(_PRESERVED_HEADER_NAMES)
    if preserved:
        recorded[_PRESERVED_HEADER_NAMES] = dict(preserved)
    return recorded


def _environ_for(recorded: Mapping[str, Any], body: bytes) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "0",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "REMOTE_ADDR": "127.0.0.1",
    }
    environ.update(recorded)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["wsgi.input_terminated"] = True
    environ["CONTENT_LENGTH"] = str(len(body))
    return environ


# -- which requests are journaled --------------------------------------------------------------

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_READ_ACTION_PREFIXES = (
    "Get",
    "List",
    "Describe",
    "Query",
    "Scan",
    "BatchGet",
    "TransactGet",
    "Receive",
    "Head",
    "Lookup",
    "Search",
    "AdminGet",
    "AdminList",
)
# Acknowledgements by consumers: receipt handles differ on every receive, so a replay
# could not match them. Losing them after a crash means redelivery (see module docs).
_UNJOURNALED_ACTIONS: dict[str, frozenset[str]] = {
    "sqs": frozenset(
        {"DeleteMessage", "DeleteMessageBatch", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch"}
    ),
}
# Cognito calls that hand out tokens: their log line keeps the tokens (see module docs).
_TOKEN_ISSUING_ACTIONS = frozenset(
    {"InitiateAuth", "AdminInitiateAuth", "RespondToAuthChallenge", "AdminRespondToAuthChallenge"}
)
_STREAM_CREATING_ACTIONS = frozenset({"CreateTable", "UpdateTable"})


@dataclass(frozen=True)
class _Call:
    service: str  # moto's backend name: "dynamodb", "s3", "cognitoidp", ...
    action: str | None
    journaled: bool
    unjournaled_change: bool = False  # SQS acknowledgements: only a snapshot keeps them


def _classify(service: str, environ: Mapping[str, Any], body: bytes) -> _Call:
    """Whether a request changes state. Unknown actions count as writes: journaling a read
    costs a log line, missing a write would lose data."""
    method = str(environ.get("REQUEST_METHOD", "GET")).upper()
    action = _action_of(service, environ, body)
    if action is None:
        journaled = method not in _READ_METHODS
    elif action in _UNJOURNALED_ACTIONS.get(service, frozenset()):
        return _Call(service, action, journaled=False, unjournaled_change=True)
    else:
        journaled = not action.startswith(_READ_ACTION_PREFIXES)
    return _Call(service, action, journaled)


def _pins(call: _Call, response_body: bytes) -> dict[str, Any]:
    """What a replay cannot re-create by itself because it depends on the clock, taken
    from the first response: issued JWTs and DynamoDB stream labels."""
    if call.service == "cognitoidp" and call.action in _TOKEN_ISSUING_ACTIONS:
        tokens = _issued_tokens(response_body)
        return {"tokens": tokens} if tokens else {}
    if call.service == "dynamodb" and call.action in _STREAM_CREATING_ACTIONS:
        stream = _stream_label(response_body)
        return {"stream": stream} if stream else {}
    return {}


def _adopt_pins(pins: Mapping[str, Any], replayed_body: bytes) -> None:
    if "tokens" in pins:
        _cognito_adopt_tokens(pins["tokens"], _issued_tokens(replayed_body))
    if "stream" in pins:
        _dynamodb_adopt_stream_label(pins["stream"])


def _action_of(service: str, environ: Mapping[str, Any], body: bytes) -> str | None:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target).rsplit(".", 1)[-1]
    if service == "sesv2":
        return _sesv2_action(str(environ.get("REQUEST_METHOD", "")), str(environ.get("PATH_INFO", "")))
    if str(environ.get("CONTENT_TYPE", "")).startswith("application/x-www-form-urlencoded") and body:
        form_action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if form_action:
            return form_action[0]
    query_action = parse_qs(str(environ.get("QUERY_STRING", ""))).get("Action")
    return query_action[0] if query_action else None


def _sesv2_action(method: str, path: str) -> str | None:
    if path.startswith("/v2/email/outbound-emails") and method == "POST":
        return "SendEmail"
    if path.startswith("/v2/email/identities"):
        return {"POST": "CreateEmailIdentity", "DELETE": "DeleteEmailIdentity"}.get(method)
    return None


# -- what the snapshot models, and what it carries as requests ----------------------------------

# Journaled actions whose effect the snapshot exports; any other journaled request is
# carried in the snapshot verbatim. `None`: every request of the service.
_EXPORTED_ACTIONS: dict[str, frozenset[str] | None] = {
    "dynamodb": frozenset(
        {
            "CreateTable",
            "UpdateTable",
            "DeleteTable",
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "BatchWriteItem",
            "TransactWriteItems",
            "ExecuteStatement",
            "BatchExecuteStatement",
            "ExecuteTransaction",
            "UpdateTimeToLive",
            "TagResource",
            "UntagResource",
        }
    ),
    "sqs": frozenset(
        {
            "CreateQueue",
            "DeleteQueue",
            "SetQueueAttributes",
            "PurgeQueue",
            "SendMessage",
            "SendMessageBatch",
            "TagQueue",
            "UntagQueue",
        }
    ),
    "events": frozenset(
        {
            "CreateEventBus",
            "UpdateEventBus",
            "DeleteEventBus",
            "PutRule",
            "DeleteRule",
            "EnableRule",
            "DisableRule",
            "PutTargets",
            "RemoveTargets",
            "PutEvents",
            "TagResource",
            "UntagResource",
        }
    ),
    "cognitoidp": frozenset(
        {
            "CreateUserPool",
            "UpdateUserPool",
            "DeleteUserPool",
            "AddCustomAttributes",
            "SetUserPoolMfaConfig",
            "CreateUserPoolClient",
            "UpdateUserPoolClient",
            "DeleteUserPoolClient",
            "CreateUserPoolDomain",
            "UpdateUserPoolDomain",
            "DeleteUserPoolDomain",
            "CreateGroup",
            "UpdateGroup",
            "DeleteGroup",
            "AdminCreateUser",
            "AdminDeleteUser",
            "AdminAddUserToGroup",
            "AdminRemoveUserFromGroup",
            "AdminSetUserPassword",
            "AdminResetUserPassword",
            "AdminConfirmSignUp",
            "AdminUpdateUserAttributes",
            "AdminDeleteUserAttributes",
            "AdminDisableUser",
            "AdminEnableUser",
            "AdminSetUserMFAPreference",
            "AdminUserGlobalSignOut",
            "AdminInitiateAuth",
            "AdminRespondToAuthChallenge",
            "SignUp",
            "ConfirmSignUp",
            "ForgotPassword",
            "ConfirmForgotPassword",
            "ChangePassword",
            "InitiateAuth",
            "RespondToAuthChallenge",
            "GlobalSignOut",
            "RevokeToken",
            "UpdateUserAttributes",
            "DeleteUser",
            "SetUserMFAPreference",
        }
    ),
    "ses": frozenset(
        {
            "VerifyEmailIdentity",
            "VerifyEmailAddress",
            "VerifyDomainIdentity",
            "DeleteIdentity",
            "DeleteVerifiedEmailAddress",
            "CreateTemplate",
            "UpdateTemplate",
            "DeleteTemplate",
            "SendEmail",
            "SendRawEmail",
            "SendTemplatedEmail",
            "SendBulkTemplatedEmail",
        }
    ),
    "sesv2": frozenset({"SendEmail", "CreateEmailIdentity", "DeleteEmailIdentity"}),
    # A reset is reflected by the (then empty) exported state; nothing to carry.
    "moto_api": None,
}
# Query parameters that do not make an S3 request a bucket setting.
_S3_NOT_A_SETTING = frozenset({"delete", "x-id"})


class _CarriedRequests:
    """Journaled requests whose effect the snapshot does not export, kept to be replayed."""

    def __init__(self, entries: Iterable[Mapping[str, Any]] = ()) -> None:
        self._entries: list[Mapping[str, Any]] = list(entries)

    def entries(self) -> list[Mapping[str, Any]]:
        return list(self._entries)

    def note(self, entry: Mapping[str, Any]) -> None:
        service = entry["service"]
        if service == "moto_api":
            if str(entry["environ"].get("PATH_INFO", "")).rstrip("/").endswith("/reset"):
                self._entries.clear()
            return
        if service == "s3":
            self._note_s3(entry)
            return
        exported = _EXPORTED_ACTIONS.get(service, frozenset())
        if exported is None or entry.get("action") in exported:
            return
        self._entries.append(entry)

    def _note_s3(self, entry: Mapping[str, Any]) -> None:
        bucket, setting = _s3_bucket_setting(entry)
        if setting is None:
            if bucket is not None and _is_bucket_deletion(entry):
                self._entries = [kept for kept in self._entries if _s3_bucket_setting(kept)[0] != bucket]
            return
        # A later PUT or DELETE of a bucket setting replaces every earlier one.
        self._entries = [kept for kept in self._entries if _s3_bucket_setting(kept) != (bucket, setting)]
        self._entries.append(entry)


def _s3_bucket_setting(entry: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(bucket, setting) of an S3 request on a bucket subresource such as `?cors`."""
    if entry.get("service") != "s3":
        return None, None
    environ = entry["environ"]
    path = str(environ.get("PATH_INFO", "")).strip("/")
    bucket, _, key = path.partition("/")
    if not bucket:
        return None, None
    if key:
        return bucket, None
    parameters = (
        set(parse_qs(str(environ.get("QUERY_STRING", "")), keep_blank_values=True)) - _S3_NOT_A_SETTING
    )
    return bucket, ",".join(sorted(parameters)) or None


def _is_bucket_deletion(entry: Mapping[str, Any]) -> bool:
    environ = entry["environ"]
    return (
        environ.get("REQUEST_METHOD") == "DELETE"
        and "/" not in str(environ.get("PATH_INFO", "")).strip("/")
        and not environ.get("QUERY_STRING")
    )


# -- files ---------------------------------------------------------------------------------------


class _WriteAheadLog:
    """The request journal, one file per generation: `wal.<generation>.jsonl`."""

    def __init__(self, data_dir: Path, *, fsync: bool) -> None:
        self._dir = data_dir
        self._fsync = fsync
        self._fd: int | None = None
        self._generation = 0

    def path(self, generation: int) -> Path:
        return self._dir / f"{_WAL_PREFIX}{generation:08d}{_WAL_SUFFIX}"

    def generations(self) -> list[int]:
        found = []
        for path in self._dir.glob(f"{_WAL_PREFIX}*{_WAL_SUFFIX}"):
            number = path.name[len(_WAL_PREFIX) : -len(_WAL_SUFFIX)]
            if number.isdigit():
                found.append(int(number))
        return sorted(found)

    def open_generation(self, generation: int) -> None:
        self.close()
        self._fd = os.open(self.path(generation), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._generation = generation
        _fsync_directory(self._dir)

    def rotate(self) -> int:
        """Close the current generation, open the next one; returns the closed generation."""
        closed = self._generation
        self.open_generation(closed + 1)
        return closed

    def append(self, line: bytes) -> None:
        if self._fd is None:
            raise RuntimeError("the write-ahead log is closed")
        view = memoryview(line)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        if self._fsync:
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def discard_up_to(self, generation: int) -> None:
        for old in self.generations():
            if old <= generation and old != self._generation:
                self.path(old).unlink(missing_ok=True)

    def read(self, generation: int) -> Iterator[dict[str, Any]]:
        """The entries of one generation. A torn last line (a write cut short) is ignored."""
        path = self.path(generation)
        with path.open("rb") as lines:
            for number, raw in enumerate(lines, start=1):
                if not raw.endswith(b"\n"):
                    log.warning("ignoring the torn last line %d of %s", number, path)
                    return
                try:
                    entry = json.loads(raw)
                except ValueError as error:
                    if lines.read(1) == b"":
                        log.warning("ignoring the unreadable last line %d of %s", number, path)
                        return
                    raise CorruptWalError(f"line {number} of {path} is damaged") from error
                yield entry


class _BlobStore:
    """S3 object bodies of the snapshot, one file per content hash."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory

    def write(self, digest: str, data: bytes) -> None:
        target = self._dir / digest
        if target.exists():
            return
        self._dir.mkdir(parents=True, exist_ok=True)
        _write_durably(target, data)

    def read(self, digest: str) -> bytes:
        return (self._dir / digest).read_bytes()

    def keep_only(self, digests: set[str]) -> None:
        if not self._dir.exists():
            return
        for path in self._dir.iterdir():
            if path.name not in digests:
                path.unlink(missing_ok=True)


def _write_durably(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _encode_line(entry: Mapping[str, Any]) -> bytes:
    return json.dumps(entry, separators=(",", ":")).encode() + b"\n"


def _json_default(value: object) -> object:
    if isinstance(value, datetime.datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, bytes):
        return {"__bytes__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"the snapshot cannot hold a {type(value).__name__}")


def _revive(value: Any) -> Any:
    """Undo `_json_default` in a small structure read back from the snapshot."""
    if isinstance(value, dict):
        if len(value) == 1:
            if "__datetime__" in value:
                return datetime.datetime.fromisoformat(value["__datetime__"])
            if "__bytes__" in value:
                return base64.b64decode(value["__bytes__"])
        return {key: _revive(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_revive(item) for item in value]
    return value


# -- state of each service: the only code that knows moto's models ------------------------------


def _backends(backend_dict: Any) -> Iterator[tuple[str, str, Any]]:
    """(account id, region, backend) of every backend moto has created."""
    for account_id, regional in list(backend_dict.items()):
        for region, backend in list(regional.items()):
            yield account_id, region, backend


def _fields(model: Any, *, without: Iterable[str] = ()) -> dict[str, Any]:
    excluded = set(without)
    return {name: value for name, value in vars(model).items() if name not in excluded}


def _rebuilt(model_class: Any, fields: Mapping[str, Any]) -> Any:
    model = model_class.__new__(model_class)
    model.__dict__.update(_revive(dict(fields)))
    return model


def _export_state(blobs: dict[str, bytes]) -> dict[str, Any]:
    return {
        "dynamodb": _export_dynamodb(),
        "s3": _export_s3(blobs),
        "sqs": _export_sqs(),
        "events": _export_events(),
        "cognitoidp": _export_cognito(),
        "ses": _export_ses(),
    }


def _import_state(document: Mapping[str, Any], blobs: _BlobStore) -> int:
    """Load a snapshot into moto; returns how many records (items, objects, messages,
    users, sent e-mails) it held."""
    return (
        _import_dynamodb(document.get("dynamodb", []))
        + _import_s3(document.get("s3", []), blobs)
        + _import_sqs(document.get("sqs", []))
        + _import_events(document.get("events", []))
        + _import_cognito(document.get("cognitoidp", []))
        + _import_ses(document.get("ses", []))
    )


def _export_dynamodb() -> list[dict[str, Any]]:
    dynamodb_backends = _moto("moto.dynamodb.models").dynamodb_backends

    tables = []
    for account_id, region, backend in _backends(dynamodb_backends):
        for table in list(backend.tables.values()):
            stream = table.stream_specification or {}
            tables.append(
                {
                    "account_id": account_id,
                    "region": region,
                    "name": table.name,
                    "schema": table.schema,
                    "attr": table.attr,
                    "billing_mode": table.billing_mode,
                    "throughput": {
                        "ReadCapacityUnits": table.throughput["ReadCapacityUnits"],
                        "WriteCapacityUnits": table.throughput["WriteCapacityUnits"],
                    },
                    "warm_throughput": {k: v for k, v in table.warm_throughput.items() if k != "Status"},
                    "indexes": [index.describe() for index in table.indexes],
                    "global_indexes": [index.describe() for index in table.global_indexes],
                    "streams": stream if stream.get("StreamEnabled") else None,
                    "latest_stream_label": table.latest_stream_label,
                    "sse_specification": table.sse_specification,
                    "tags": table.tags,
                    "deletion_protection_enabled": table.deletion_protection_enabled,
                    "ttl": table.ttl,
                    "created_at": table.created_at,
                    "items": [
                        {name: _stored_attribute(value) for name, value in item.attrs.items()}
                        for item in _items_of(table)
                    ],
                }
            )
    return tables


def _items_of(table: Any) -> Iterator[Any]:
    """Every item of a table, unsorted (`Table.all_items()` sorts them all)."""
    for partition in list(table.items.values()):
        if table.range_key_attr is None:
            yield partition
        else:
            yield from list(partition.values())


def _stored_attribute(value: Any) -> dict[str, Any]:
    """A DynamoDB attribute as moto stores it (`Item.to_json` decodes nested binaries)."""
    if value.is_list():
        return {value.type: [_stored_attribute(member) for member in value.value]}
    if value.is_map():
        return {value.type: {name: _stored_attribute(member) for name, member in value.value.items()}}
    if isinstance(value.value, list):  # a set: SS, NS or BS
        return {value.type: [_as_wire_text(member) for member in value.value]}
    return {value.type: _as_wire_text(value.value)}


def _as_wire_text(value: Any) -> Any:
    # moto holds a binary as base64 text when it came over the wire, as bytes otherwise.
    return base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value


def _stream_label(body: bytes) -> dict[str, str]:
    try:
        table = json.loads(body).get("TableDescription") or {}
    except (ValueError, AttributeError):
        return {}
    if "LatestStreamLabel" not in table:
        return {}
    return {"table_arn": table["TableArn"], "label": table["LatestStreamLabel"]}


def _dynamodb_adopt_stream_label(stream: Mapping[str, str]) -> None:
    """Give a replayed table the stream label (so the stream ARN) it first had."""
    dynamodb_backends = _moto("moto.dynamodb.models").dynamodb_backends

    for _, _, backend in _backends(dynamodb_backends):
        for table in backend.tables.values():
            if table.table_arn == stream["table_arn"]:
                table.latest_stream_label = stream["label"]


def _validated_item(hash_value: Any, range_value: Any, attributes: Mapping[str, Any]) -> Any:
    """An `Item` built as moto's own `Item.__deepcopy__` builds one: `Item()` re-checks the
    400 KB limit on every attribute (quadratic in attributes, 85% of a restore), and these
    items passed that check when they were first written."""
    dynamo = _moto("moto.dynamodb.models.dynamo_type")

    item = dynamo.Item.__new__(dynamo.Item)
    item.hash_key = hash_value
    item.range_key = range_value
    item.attrs = dynamo.LimitedSizeDict.__new__(dynamo.LimitedSizeDict)
    dict.__init__(item.attrs, ((name, dynamo.DynamoType(value)) for name, value in attributes.items()))
    return item


def dynamodb_transactions_roll_back_by_item() -> Callable[[], None]:
    """Make TransactWriteItems cost what it writes, not what the table holds.

    moto 5.2.5 deep-copies the whole table before each item of a transaction, to restore it
    if the transaction is cancelled: every transaction costs O(table size), and writing n
    clients costs O(n^2). While the emulator runs, the copy of a table in moto's DynamoDB
    module is a no-op and this wrapper keeps copies of just the items the transaction
    touches, putting them back (and trimming the table's stream) if it does not commit.
    Returns the function that restores moto as it was."""
    models = _moto("moto.dynamodb").models
    DynamoDBBackend = _moto("moto.dynamodb.models").DynamoDBBackend
    Table = _moto("moto.dynamodb.models.table").Table

    moto_transact_write_items = DynamoDBBackend.transact_write_items
    moto_copy = models.copy

    # DynamoDB applies a transaction atomically; moto checks and writes item by item, so two
    # transactions on other threads could interleave (and a rollback restore an item the
    # other had committed). One at a time, as the conditions assume.
    one_at_a_time = threading.Lock()

    def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
        with one_at_a_time:
            touched = _items_touched_by(backend, transact_items)
            streams = {
                id(t): (t, len(t.stream_shard.items)) for t, *_ in touched if t.stream_shard is not None
            }
            committed = False
            try:
                moto_transact_write_items(backend, transact_items)
                committed = True
            finally:
                if not committed:
                    _put_items_back(touched)
                    for table, length in streams.values():
                        if table.stream_shard is not None:
                            del table.stream_shard.items[length:]

    models.copy = _CopyKeepingTables(Table)
    DynamoDBBackend.transact_write_items = transact_write_items

    def uninstall() -> None:
        models.copy = moto_copy
        DynamoDBBackend.transact_write_items = moto_transact_write_items

    return uninstall


class _CopyKeepingTables:
    """The `copy` module, except that a deep copy of a DynamoDB table is the table itself."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, self._table_type) else copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


_TouchedItem = tuple[Any, Any, Any, Any]  # table, hash key, range key, copy of the item or None


def _items_touched_by(backend: Any, transact_items: list[dict[str, Any]]) -> list[_TouchedItem]:
    DynamoType = _moto("moto.dynamodb.models.dynamo_type").DynamoType

    touched: list[_TouchedItem] = []
    for transact_item in transact_items:
        for operation in transact_item.values():
            if not isinstance(operation, dict):
                continue
            table = backend.tables.get(operation.get("TableName"))
            if table is None:
                continue
            key = operation.get("Key") or operation.get("Item") or {}
            key_values = [key.get(name) for name in table.table_key_attrs]
            # A malformed key fails moto's validation before it writes anything.
            if not all(isinstance(value, dict) and len(value) == 1 for value in key_values):
                continue
            hash_value = DynamoType(key_values[0])
            range_value = DynamoType(key_values[1]) if len(key_values) > 1 else None
            original = table.get_item(hash_value, range_value)
            touched.append((table, hash_value, range_value, copy.deepcopy(original)))
    return touched


def _put_items_back(touched: list[_TouchedItem]) -> None:
    for table, hash_value, range_value, original in reversed(touched):
        if range_value is None:
            if original is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = original
            continue
        partition = table.items[hash_value]
        if original is None:
            partition.pop(range_value, None)
            if not partition:
                table.items.pop(hash_value, None)
        else:
            partition[range_value] = original


def _import_dynamodb(tables: list[dict[str, Any]]) -> int:
    dynamodb = _moto("moto.dynamodb.models")
    DynamoType = _moto("moto.dynamodb.models.dynamo_type").DynamoType

    records = 0
    for saved in tables:
        backend = dynamodb.dynamodb_backends[saved["account_id"]][saved["region"]]
        table = backend.create_table(
            name=saved["name"],
            schema=saved["schema"],
            throughput=saved["throughput"],
            attr=saved["attr"],
            global_indexes=saved["global_indexes"],
            indexes=saved["indexes"],
            streams=saved["streams"],
            billing_mode=saved["billing_mode"],
            sse_specification=saved["sse_specification"],
            tags=saved["tags"],
            deletion_protection_enabled=saved["deletion_protection_enabled"],
            warm_throughput=saved["warm_throughput"],
        )
        table.ttl = saved["ttl"]
        table.created_at = _revive(saved["created_at"])
        if saved["latest_stream_label"]:
            table.latest_stream_label = saved["latest_stream_label"]
        hash_name, range_name = table.hash_key_attr, table.range_key_attr
        for attributes in saved["items"]:
            hash_value = DynamoType(attributes[hash_name])
            if range_name is None:
                table.items[hash_value] = _validated_item(hash_value, None, attributes)
            else:
                range_value = DynamoType(attributes[range_name])
                table.items[hash_value][range_value] = _validated_item(hash_value, range_value, attributes)
        records += len(saved["items"])
    return records


_S3_KEY_FIELDS = (
    "account_id",
    "region_name",
    "encryption",
    "kms_key_id",
    "bucket_key_enabled",
    "lock_mode",
    "lock_legal_status",
    "lock_until",
    "checksum_value",
    "checksum_algorithm",
    "checksum_type",
    "checksum_parts",
    "website_redirect_location",
)


def _export_s3(blobs: dict[str, bytes]) -> list[dict[str, Any]]:
    s3 = _moto("moto.s3.models")

    buckets = []
    for account_id, backend_region, backend in _backends(s3.s3_backends):
        for bucket in list(backend.buckets.values()):
            versions = []
            for name, stored in bucket.keys.lists():
                for version in stored:
                    if isinstance(version, s3.FakeDeleteMarker):
                        versions.append(
                            {
                                "name": name,
                                "delete_marker": True,
                                "version_id": version.version_id,
                                "last_modified": version.last_modified,
                            }
                        )
                        continue
                    value = version.value
                    digest = hashlib.sha256(value).hexdigest()
                    blobs[digest] = value
                    _ = version.etag  # computes and caches the ETag
                    versions.append(
                        {
                            "name": name,
                            "blob": digest,
                            "etag": version._etag,
                            "version_id": version._version_id,
                            "is_versioned": version._is_versioned,
                            "storage": version.storage_class,
                            "metadata": dict(version.metadata),
                            "last_modified": version.last_modified,
                            "tags": backend.tagger.list_tags_for_resource(version.arn)["Tags"],
                            **{field: getattr(version, field) for field in _S3_KEY_FIELDS},
                        }
                    )
            buckets.append(
                {
                    "account_id": account_id,
                    "backend_region": backend_region,
                    "name": bucket.name,
                    "region_name": bucket.region_name,
                    "bucket_namespace": bucket.bucket_namespace,
                    "creation_date": bucket.creation_date,
                    "versions": versions,
                }
            )
    return buckets


def _import_s3(buckets: list[dict[str, Any]], blobs: _BlobStore) -> int:
    s3 = _moto("moto.s3.models")

    records = 0
    for saved in buckets:
        backend = s3.s3_backends[saved["account_id"]][saved["backend_region"]]
        # Built directly: create_bucket() would also emit an EventBridge notification.
        bucket = s3.FakeBucket(
            name=saved["name"],
            account_id=saved["account_id"],
            region_name=saved["region_name"],
            bucket_namespace=saved["bucket_namespace"],
        )
        bucket.creation_date = _revive(saved["creation_date"])
        backend.buckets[bucket.name] = bucket
        by_name: dict[str, list[Any]] = {}
        for version in saved["versions"]:
            stored = by_name.setdefault(version["name"], [])
            if version.get("delete_marker"):
                marker = s3.FakeDeleteMarker.__new__(s3.FakeDeleteMarker)
                marker.key = stored[-1] if stored else None
                marker.name = version["name"]
                marker.last_modified = _revive(version["last_modified"])
                marker._version_id = version["version_id"]
                stored.append(marker)
                continue
            fields = _revive({field: version[field] for field in _S3_KEY_FIELDS})
            key = s3.FakeKey(
                name=version["name"],
                value=blobs.read(version["blob"]),
                account_id=fields["account_id"],
                region_name=fields["region_name"],
                storage=version["storage"],
                etag=version["etag"],
                is_versioned=version["is_versioned"],
                version_id=version["version_id"],
                bucket_name=bucket.name,
                encryption=fields["encryption"],
                kms_key_id=fields["kms_key_id"],
                bucket_key_enabled=fields["bucket_key_enabled"],
                lock_mode=fields["lock_mode"],
                lock_legal_status=fields["lock_legal_status"],
                lock_until=fields["lock_until"],
                checksum_value=fields["checksum_value"],
                checksum_type=fields["checksum_type"],
                checksum_parts=fields["checksum_parts"],
            )
            key.checksum_algorithm = fields["checksum_algorithm"]
            key.website_redirect_location = fields["website_redirect_location"]
            key.last_modified = _revive(version["last_modified"])
            key.metadata.clear()
            key.metadata.update(version["metadata"])
            if version["tags"]:
                backend.tagger.tag_resource(key.arn, version["tags"])
            stored.append(key)
            records += 1
        for name, stored in by_name.items():
            bucket.keys.setlist(name, stored)
    return records


# Attributes SQS computes; everything else in `Queue.attributes` is configuration.
_SQS_DERIVED_ATTRIBUTES = frozenset(
    {
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesDelayed",
        "ApproximateNumberOfMessagesNotVisible",
        "CreatedTimestamp",
        "LastModifiedTimestamp",
        "QueueArn",
    }
)
_SQS_MESSAGE_TRANSIENT = ("receipt_handle", "_old_receipt_handles", "visible_at")


def _export_sqs() -> list[dict[str, Any]]:
    sqs_backends = _moto("moto.sqs.models").sqs_backends

    exported = []
    for account_id, region, backend in _backends(sqs_backends):
        queues = list(backend.queues.values())
        dead_letter_arns = {q.redrive_policy["deadLetterTargetArn"] for q in queues if q.redrive_policy}
        # Sources before their dead-letter queues: a message moving between them while we
        # read is then seen twice at worst, never missed.
        queues.sort(key=lambda q: q.queue_arn in dead_letter_arns)
        for queue in queues:
            exported.append(
                {
                    "account_id": account_id,
                    "region": region,
                    "name": queue.name,
                    "attributes": {
                        name: value
                        for name, value in queue.attributes.items()
                        if name not in _SQS_DERIVED_ATTRIBUTES and value is not None
                    },
                    "tags": dict(queue.tags),
                    "created_timestamp": queue.created_timestamp,
                    "messages": [_fields(m, without=_SQS_MESSAGE_TRANSIENT) for m in list(queue._messages)],
                }
            )
    return exported


def _import_sqs(queues: list[dict[str, Any]]) -> int:
    sqs = _moto("moto.sqs.models")

    records = 0
    redrives = []
    for saved in queues:
        backend = sqs.sqs_backends[saved["account_id"]][saved["region"]]
        attributes = dict(saved["attributes"])
        redrive = attributes.pop("RedrivePolicy", None)
        queue = backend.create_queue(saved["name"], tags=saved["tags"] or None, **attributes)
        queue.created_timestamp = saved["created_timestamp"]
        for fields in saved["messages"]:
            message = sqs.Message(fields["id"], fields["body"])
            message.__dict__.update(_revive(fields))
            message.visible_at = 0.0  # its receipt handle died with the old process
            queue._messages.append(message)
        records += len(saved["messages"])
        if redrive:
            redrives.append((queue, redrive))
    # Dead-letter queues must exist before a redrive policy can point at them.
    for queue, redrive in redrives:
        queue._setup_dlq(redrive)
    return records


def _export_events() -> list[dict[str, Any]]:
    events_backends = _moto("moto.events.models").events_backends

    exported = []
    for account_id, region, backend in _backends(events_backends):
        buses = []
        for bus in list(backend.event_buses.values()):
            rules = [
                {
                    "name": rule.name,
                    "description": rule.description,
                    "event_pattern": rule.event_pattern.dump(),
                    "schedule_expression": rule.scheduled_expression,
                    "role_arn": rule.role_arn,
                    "state": rule.state,
                    "managed_by": rule.managed_by,
                    "targets": rule.targets,
                    "tags": backend.tagger.list_tags_for_resource(rule.arn)["Tags"],
                }
                for rule in list(bus.rules.values())
            ]
            buses.append(
                {
                    "name": bus.name,
                    "description": bus.description,
                    "kms_key_identifier": bus.kms_key_identifier,
                    "dead_letter_config": bus.dead_letter_config,
                    "tags": bus.tags,
                    "rules": rules,
                }
            )
        exported.append({"account_id": account_id, "region": region, "buses": buses})
    return exported


def _import_events(backends: list[dict[str, Any]]) -> int:
    events = _moto("moto.events.models")

    for saved in backends:
        backend = events.events_backends[saved["account_id"]][saved["region"]]
        for saved_bus in saved["buses"]:
            if saved_bus["name"] not in backend.event_buses:
                bus = events.EventBus(
                    saved["account_id"],
                    saved["region"],
                    saved_bus["name"],
                    description=saved_bus["description"],
                    kms_key_identifier=saved_bus["kms_key_identifier"],
                    dead_letter_config=saved_bus["dead_letter_config"],
                    tags=saved_bus["tags"],
                )
                backend.event_buses[bus.name] = bus
                if saved_bus["tags"]:
                    backend.tagger.tag_resource(bus.arn, saved_bus["tags"])
            for rule in saved_bus["rules"]:
                backend.put_rule(
                    rule["name"],
                    description=rule["description"],
                    event_bus_arn=saved_bus["name"],
                    event_pattern=rule["event_pattern"],
                    role_arn=rule["role_arn"],
                    scheduled_expression=rule["schedule_expression"],
                    state=rule["state"],
                    managed_by=rule["managed_by"],
                    tags=rule["tags"] or None,
                )
                if rule["targets"]:
                    backend.put_targets(rule["name"], saved_bus["name"], rule["targets"])
    return 0


_COGNITO_POOL_PARTS = (
    "clients",
    "identity_providers",
    "groups",
    "users",
    "resource_servers",
    "schema_attributes",
    "json_web_key",
)
_COGNITO_TOKEN_STORES = ("access_tokens", "id_tokens", "refresh_tokens")


def _export_cognito() -> list[dict[str, Any]]:
    cognitoidp_backends = _moto("moto.cognitoidp.models").cognitoidp_backends

    exported = []
    for account_id, region, backend in _backends(cognitoidp_backends):
        pools = []
        for pool in list(backend.user_pools.values()):
            pools.append(
                {
                    "pool": _fields(pool, without=_COGNITO_POOL_PARTS),
                    "schema_attributes": [_fields(a) for a in pool.schema_attributes.values()],
                    "clients": [_fields(c) for c in pool.clients.values()],
                    "identity_providers": [_fields(p) for p in pool.identity_providers.values()],
                    "resource_servers": [_fields(s) for s in pool.resource_servers.values()],
                    "groups": [_fields(g, without=("users",)) for g in pool.groups.values()],
                    "users": [
                        {
                            **_fields(u, without=("groups",)),
                            "group_names": sorted(g.group_name for g in u.groups),
                        }
                        for u in pool.users.values()
                    ],
                }
            )
        exported.append(
            {
                "account_id": account_id,
                "region": region,
                "pools": pools,
                "domains": [_fields(d) for d in backend.user_pool_domains.values()],
                "sessions": {
                    session: [username, pool.id]
                    for session, (username, pool) in list(backend.sessions.items())
                },
            }
        )
    return exported


def _import_cognito(backends: list[dict[str, Any]]) -> int:
    cognito = _moto("moto.cognitoidp.models")

    records = 0
    for saved in backends:
        backend = cognito.cognitoidp_backends[saved["account_id"]][saved["region"]]
        for saved_pool in saved["pools"]:
            fields = _revive(saved_pool["pool"])
            # A real constructor for what the snapshot does not hold (the signing key),
            # then the saved fields, the pool id among them.
            pool = cognito.CognitoIdpUserPool(saved["account_id"], saved["region"], fields["name"], {})
            pool.__dict__.update(fields)
            for store in _COGNITO_TOKEN_STORES:
                setattr(
                    pool,
                    store,
                    {
                        token: tuple(owner) if owner else owner
                        for token, owner in getattr(pool, store).items()
                    },
                )
            pool.schema_attributes = {
                a["name"]: _rebuilt(cognito.CognitoIdpUserPoolAttribute, a)
                for a in saved_pool["schema_attributes"]
            }
            pool.clients = {
                c["id"]: _rebuilt(cognito.CognitoIdpUserPoolClient, c) for c in saved_pool["clients"]
            }
            pool.identity_providers = {
                p["name"]: _rebuilt(cognito.CognitoIdpIdentityProvider, p)
                for p in saved_pool["identity_providers"]
            }
            pool.resource_servers = {
                s["identifier"]: _rebuilt(cognito.CognitoResourceServer, s)
                for s in saved_pool["resource_servers"]
            }
            pool.groups = {}
            for group_fields in saved_pool["groups"]:
                group = _rebuilt(cognito.CognitoIdpGroup, group_fields)
                group.users = set()
                pool.groups[group.group_name] = group
            pool.users = {}
            for user_fields in saved_pool["users"]:
                group_names = user_fields["group_names"]
                user = _rebuilt(
                    cognito.CognitoIdpUser, {k: v for k, v in user_fields.items() if k != "group_names"}
                )
                user.status = cognito.UserStatus(user.status)
                user.groups = set()
                for group_name in group_names:
                    group = pool.groups[group_name]
                    group.users.add(user)
                    user.groups.add(group)
                pool.users[user.username] = user
            backend.user_pools[pool.id] = pool
            records += len(saved_pool["users"])
        for domain_fields in saved["domains"]:
            domain = _rebuilt(cognito.CognitoIdpUserPoolDomain, domain_fields)
            backend.user_pool_domains[domain.domain] = domain
        for session, (username, pool_id) in saved["sessions"].items():
            if pool_id in backend.user_pools:
                backend.sessions[session] = (username, backend.user_pools[pool_id])
    return records


_TOKEN_FIELDS = ("AccessToken", "IdToken", "RefreshToken")


def _issued_tokens(body: bytes) -> dict[str, str]:
    """The tokens in a Cognito auth response, if it has any."""
    try:
        result = json.loads(body).get("AuthenticationResult") or {}
    except (ValueError, AttributeError):
        return {}
    return {name: result[name] for name in _TOKEN_FIELDS if name in result}


def _cognito_adopt_tokens(recorded: Mapping[str, str], replayed: Mapping[str, str]) -> None:
    """Re-label the tokens a replayed auth call issued with the ones first handed out.

    A JWT embeds its issue time, so the replay signs different strings; moto keeps issued
    tokens to recognize them later (GetUser, ChangePassword, refresh), so the stores must
    hold the strings the clients have."""
    cognitoidp_backends = _moto("moto.cognitoidp.models").cognitoidp_backends

    renames = {
        replayed[name]: recorded[name]
        for name in _TOKEN_FIELDS
        if name in recorded and name in replayed and recorded[name] != replayed[name]
    }
    if not renames:
        return
    for _, _, backend in _backends(cognitoidp_backends):
        for pool in backend.user_pools.values():
            for store_name in _COGNITO_TOKEN_STORES:
                store = getattr(pool, store_name)
                for fresh, original in renames.items():
                    if fresh in store:
                        store[original] = store.pop(fresh)


def _export_ses() -> list[dict[str, Any]]:
    ses_backends = _moto("moto.ses.models").ses_backends

    exported = []
    for account_id, region, backend in _backends(ses_backends):
        exported.append(
            {
                "account_id": account_id,
                "region": region,
                "email_identities": [_fields(i) for i in backend.email_identities.values()],
                "templates": backend.templates,
                "sent_messages": [
                    {"type": type(message).__name__, "fields": _fields(message)}
                    for message in list(backend.sent_messages)
                ],
                "sent_message_count": backend.sent_message_count,
                "rejected_messages_count": backend.rejected_messages_count,
            }
        )
    return exported


def _import_ses(backends: list[dict[str, Any]]) -> int:
    ses = _moto("moto.ses.models")

    message_types = {
        cls.__name__: cls
        for cls in (ses.Message, ses.TemplateMessage, ses.BulkTemplateMessage, ses.RawMessage)
    }
    records = 0
    for saved in backends:
        backend = ses.ses_backends[saved["account_id"]][saved["region"]]
        for identity_fields in saved["email_identities"]:
            identity = _rebuilt(ses.EmailIdentity, identity_fields)
            backend.email_identities[identity.email_identity] = identity
        backend.templates.update(_revive(saved["templates"]))
        backend.sent_messages.extend(
            _rebuilt(message_types[sent["type"]], sent["fields"]) for sent in saved["sent_messages"]
        )
        backend.sent_message_count = saved["sent_message_count"]
        backend.rejected_messages_count = saved["rejected_messages_count"]
        records += len(saved["sent_messages"])
    return records
