"""The HTTP server: routing, the SPARQL 1.1 Protocol, static files, CORS.

Standard library only (`http.server.ThreadingHTTPServer`): one thread per connection reads
the request and waits for a query worker (kg.server.pool); the queries themselves run in the
worker processes, so a slow query never holds the GIL or a thread of this process for longer
than its time limit. Connections are bounded here: at most `max_connections` at once (and
`client_connections` per client address), each waiting at most `idle_timeout` seconds for
its next request, `header_timeout` seconds for a request's line and headers and
`request_timeout` seconds for the rest; past those the connection is answered 408 (or
closed, when idle) and its thread ends. A connection over a cap gets a one-line 503 without a
thread. With `ServerConfig.endpoint` (`kg serve --endpoint URL`) the same requests,
checked the same way, are answered by a remote SPARQL endpoint instead (kg.server.proxy);
`kg.query.backends.open_backend` picks which.

Routes:
    /                     the query page (kg/web/index.html)
    /static/NAME          files of kg/web/ (and the .rq files of queries/web/)
    /sparql               SPARQL 1.1 Protocol (GET, POST form, POST sparql-query), and the
                          Service Description when GET has no query
    /api/queries          the named queries (name, title, description, parameters, text) as JSON
    /api/queries/NAME     one named query run with ?param=value (kg.server.named)
    /id/PATH              the resource https://w3id.org/humanitarian-kg/id/PATH
    /where?place=&sector=&year=   who does what where (kg.server.where): a page per state
    /ontology             the ontology graph
    /void, /.well-known/void   the VoID description of the dataset

One file: routing and the connection limits live on the one request handler class `http.server`
calls; the pages, the pool and the proxy are their own modules.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import re
import signal
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from kg import __version__
from kg.query.backends import Endpoint, RemoteBackend, open_backend
from kg.query.named import list_queries
from kg.resources import asset_dir
from kg.server.guard import QueryRefused, check_query, check_variable
from kg.server.named import run_named
from kg.server.pages import LinkedData, ServiceLimits, where_page
from kg.server.pool import (
    PoolBusy,
    PoolError,
    PoolRefused,
    QueryTimeout,
    WorkerPool,
    default_workers,
)
from kg.server.proxy import RemoteRunner
from kg.server.worker import Answer, Job, error
from kg.store import DEFAULT_STORE

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".rq": "application/sparql-query; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
_STATIC_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_HOST_RE = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")
ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


@dataclass(frozen=True)
class ServerConfig:
    """What `kg serve` serves and its limits. `store` (the embedded store, by default
    build/store) or `endpoint` (a remote SPARQL endpoint, URL or `kg.query.backends.Endpoint`; its
    timeout becomes `timeout`): not both. `workers`: query worker processes (None: sized to
    the machine, kg.server.pool.default_workers); with an endpoint, how many requests go to
    it at once (None: 2). The sharing rules (`slow_after`, `max_slow`, `client_slow`,
    `per_client`) are kg.server.pool's; the connection bounds are this module's. `cors`:
    `*` (any origin), `none`, or a comma-separated list of origins. `client_header`: a
    request header naming the client (`X-Forwarded-For` behind a proxy; its last address is
    taken), else the connection's address is the client."""

    store: Path | None = None
    endpoint: Endpoint | str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    timeout: float = 10.0
    max_results: int = 10_000
    workers: int | None = None
    max_body: int = 1_000_000
    queue_timeout: float = 5.0  # how long a request may wait for a free worker (then 503)
    slow_after: float | None = 1.0  # a query running longer is long (lowest CPU priority)
    max_slow: int | None = None  # long queries at once (None: half the workers)
    client_slow: int = 1  # long queries at once per client
    per_client: int = 8  # requests running or waiting per client (then 429)
    max_connections: int = 256
    client_connections: int = 64
    idle_timeout: float = 15.0  # between requests on a keep-alive connection
    header_timeout: float = 10.0  # request line and headers, from their first byte
    request_timeout: float = 30.0  # the body; also how long an answer may take to send
    cors: str = "*"
    client_header: str | None = None
    quiet: bool = False

    def worker_count(self) -> int:
        if self.workers is not None:
            return self.workers
        return 2 if self.endpoint is not None else default_workers()


class KGServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, config: ServerConfig) -> None:
        if config.store is not None and config.endpoint is not None:
            raise ValueError("serve a store or an endpoint, not both")
        self.config = config
        self.pool: WorkerPool | None = None
        self.checker: WorkerPool | None = None
        self.remote: RemoteRunner | None = None
        self.cors = parse_cors(config.cors)
        self._connections: Counter[str] = Counter()
        self._connections_lock = threading.Lock()
        self.current = threading.local()  # .client: the client of the request a thread answers
        workers = config.worker_count()
        endpoint = config.endpoint
        if endpoint is not None:  # the client gives up at the time limit; nothing is retried
            endpoint = Endpoint(endpoint) if isinstance(endpoint, str) else endpoint
            endpoint = dataclasses.replace(endpoint, timeout=config.timeout, retries=0)
        # the embedded backend opens the store once: a clear StoreNotFoundError before anything
        backend = open_backend(endpoint=endpoint, store=config.store)
        if isinstance(backend, RemoteBackend):
            try:  # the remote runs the queries; a worker (no store) checks them for SERVICE
                self.checker = WorkerPool(None, max(1, min(2, workers)))
            except BaseException:
                backend.close()
                raise
            self.remote = RemoteRunner(
                backend, workers, config.queue_timeout, check=self._check_remote
            )
        else:
            backend.close()
            del backend  # the workers open their own, read-only
            self.pool = WorkerPool(
                config.store or DEFAULT_STORE,
                workers,
                slow_after=config.slow_after,
                max_slow=config.max_slow,
                client_slow=config.client_slow,
                per_client=config.per_client,
            )
        try:
            super().__init__((config.host, config.port), Handler)
        except BaseException:
            self._close_runner()
            raise
        self.pages = LinkedData(self.run_job, ServiceLimits(config.timeout, config.max_results))
        self.queries_json = json.dumps(
            [
                {
                    "name": q.name,
                    "title": q.title,
                    "description": q.description,
                    "params": [
                        {"name": p.name, "required": p.required, "type": p.type, "doc": p.doc}
                        for p in q.params
                    ],
                    "text": q.text,
                }
                for q in list_queries()
            ],
            ensure_ascii=False,
        ).encode("utf-8")
        self.named_queries = {q.name: q for q in list_queries()}

    @property
    def source(self) -> str:
        """What the server answers from, for its log: the store or the remote endpoint."""
        if self.remote is not None:
            return f"remote endpoint {self.remote.label}"
        return f"store {self.config.store or DEFAULT_STORE}"

    def check_source(self) -> list[str]:
        """Warnings for the start-up log (a remote endpoint that does not answer, or whose
        default graph is not the union of its graphs); the server serves anyway."""
        return self.remote.check() if self.remote is not None else []

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = str(host)
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}"

    @property
    def client(self) -> str:
        """The client of the request the calling thread answers ("" outside a request)."""
        return str(getattr(self.current, "client", ""))

    def run_job(self, job: Job, timeout: float | None = None) -> Answer:
        """Run a job on the pool (or the remote endpoint); time-outs, a busy pool, the sharing
        rules and a failing remote become error answers."""
        limit = self.config.timeout if timeout is None else timeout
        if self.remote is not None:
            return self.remote.run(job, limit)
        return self._on_pool(self.pool, job, limit)

    def _on_pool(self, pool: WorkerPool | None, job: Job, limit: float) -> Answer:
        if pool is None:
            return error(500, "the server is closed")
        try:
            return pool.run(job, limit, wait=self.config.queue_timeout, client=self.client)
        except QueryTimeout as exc:
            return error(504, str(exc))
        except PoolBusy as exc:
            return error(503, str(exc), **{"Retry-After": "1"})
        except PoolRefused as exc:
            return error(exc.status, str(exc), **{"Retry-After": "2"})
        except PoolError as exc:
            return error(500, str(exc))

    def _check_remote(self, job: Job) -> Answer:
        """The SERVICE check of a query bound for the remote endpoint, on a checker worker."""
        return self._on_pool(self.checker, Job(job.query, check_only=True), self.config.timeout)

    # --- connections -----------------------------------------------------------------------

    def process_request(self, request: Any, client_address: Any) -> None:
        """Start a thread for the connection, or answer 503 at once when a cap is reached."""
        client = str(client_address[0]) if isinstance(client_address, tuple) else ""
        with self._connections_lock:
            total = sum(self._connections.values())
            over = total >= self.config.max_connections or (
                self._connections[client] >= self.config.client_connections
            )
            if not over:
                self._connections[client] += 1
        if over:
            _refuse_connection(request, self.cors)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            client = str(client_address[0]) if isinstance(client_address, tuple) else ""
            with self._connections_lock:
                self._connections[client] -= 1
                if self._connections[client] <= 0:
                    del self._connections[client]

    def open_connections(self) -> int:
        with self._connections_lock:
            return sum(self._connections.values())

    def _close_runner(self) -> None:
        if self.pool is not None:
            self.pool.close()
        if self.checker is not None:
            self.checker.close()
        if self.remote is not None:
            self.remote.close()

    def server_close(self) -> None:
        super().server_close()
        self._close_runner()


class _DeadlineReader(io.RawIOBase):
    """The connection's input with a deadline: each read may wait only until `deadline`
    (time.monotonic()), so a client sending a byte now and then cannot hold the thread past
    it (a socket timeout alone restarts at every byte)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.deadline: float | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.deadline is not None:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("deadline passed")
            self.sock.settimeout(remaining)
        return self.sock.recv_into(buffer)


class Handler(BaseHTTPRequestHandler):
    server: KGServer
    protocol_version = "HTTP/1.1"
    server_version = f"humanitarian-kg/{__version__}"
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and
    # the client's delayed ACK add about 40 ms to every keep-alive answer (measured).
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        self._reader = _DeadlineReader(self.connection)
        self._buffer = io.BufferedReader(self._reader, 1 << 16)
        self.rfile = self._buffer
        self._phase = "idle"

    # --- one request, with deadlines ------------------------------------------------------

    def handle_one_request(self) -> None:
        """http.server's loop body, with the idle, header and request deadlines, and 405
        (not 501) for a method this server does not know."""
        config = self.server.config
        self.command = None  # type: ignore[assignment]
        self.requestline, self.request_version = "", "HTTP/1.1"  # until a request line is read
        self.server.current.client = ""
        try:
            self._phase = "idle"
            self._reader.deadline = time.monotonic() + config.idle_timeout
            if not self._buffer.peek(1):  # the client closed the connection
                self.close_connection = True
                return
            self._phase = "headers"
            self._reader.deadline = time.monotonic() + config.header_timeout
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.requestline = self.request_version = self.command = ""
                self.send_error(414, "the request line is longer than 65,536 bytes")
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():  # it answered the error itself (send_error)
                return
            if self.request_version == "HTTP/0.9":  # no headers to answer with: refuse it
                self.send_error(400, "HTTP/0.9 requests are not supported")
                return
            self._phase = "body"
            self._reader.deadline = time.monotonic() + config.request_timeout
            self.server.current.client = self._client()
            method = getattr(self, "do_" + self.command, None)
            if method is None:
                self._not_allowed()
            else:
                method()
            self.wfile.flush()
        except TimeoutError:
            self.close_connection = True
            if self._phase != "idle":
                limit = (
                    config.header_timeout if self._phase == "headers" else (config.request_timeout)
                )
                self._try_send(error(408, f"the request did not arrive within {limit:g} s"))
        except (ConnectionError, OSError):
            self.close_connection = True
        finally:
            self._reader.deadline = None
            self.server.current.client = ""

    def _client(self) -> str:
        header = self.server.config.client_header
        if header:
            value = self.headers.get(header, "")
            last = value.split(",")[-1].strip()
            if last:
                return last
        return str(self.client_address[0])

    def _try_send(self, answer: Answer) -> None:
        try:
            self._send(answer)
        except OSError:
            pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (bad request line, 414, 431, 505…) as one plain-text
        line with the usual headers, never its HTML page."""
        short, _long = self.responses.get(code, ("error", ""))
        if self.request_version == "HTTP/0.9":  # unparsed yet: a status line all the same
            self.request_version = "HTTP/1.0"
        text = message or short
        if explain and explain not in text:
            text = f"{text}: {explain}"
        self.close_connection = True
        self._send(error(code, text), head=self.command == "HEAD")

    # --- methods ---------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._handle("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._handle("HEAD")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_OPTIONS(self) -> None:  # noqa: N802
        headers = [("Allow", ALLOWED_METHODS)]
        if self.server.cors is not None:
            headers += [
                ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
                (
                    "Access-Control-Allow-Headers",
                    self.headers.get("Access-Control-Request-Headers") or "Accept, Content-Type",
                ),
                ("Access-Control-Max-Age", "86400"),
            ]
        self._send(Answer(204, "text/plain; charset=utf-8", b"", headers=tuple(headers)))

    def _not_allowed(self) -> None:
        self._drain()
        self._send(
            error(
                405, f"{self.command} is not supported here: use GET or POST", Allow=ALLOWED_METHODS
            ),
            head=self.command == "HEAD",
        )

    # --- dispatch --------------------------------------------------------------------------

    def _handle(self, method: str) -> None:
        try:
            answer = self._route(method)
        except QueryRefused as exc:
            answer = error(exc.status, str(exc))
        except Exception:
            log.exception("error answering %s %s", method, self.path)
            answer = error(500, "internal server error (see the server's log)")
        self._send(answer, head=method == "HEAD")

    def _route(self, method: str) -> Answer:
        url = urlsplit(self.path)
        path = url.path
        if path == "/sparql" or path == "/sparql/":
            return self._sparql(method, url.query, path)
        if method == "POST":
            self._drain()
            return error(
                405, f"POST is only accepted at /sparql, not {path}", Allow="GET, HEAD, OPTIONS"
            )
        params = parse_qs(url.query)
        accept = self.headers.get("Accept")
        requested = tuple(params.get("format", ()))
        if path in ("/", "/index.html"):
            return self._static("index.html")
        if path.startswith("/static/"):
            return self._static(path[len("/static/") :])
        if path.startswith("/id/"):
            return self.server.pages.resource(unquote(path[len("/id/") :]), accept, requested)
        if path in ("/where", "/where/"):
            return where_page(self.server.pages.rows, params)
        if path in ("/ontology", "/ontology/"):
            return self.server.pages.ontology(accept, requested)
        if path in ("/void", "/.well-known/void"):
            return self.server.pages.void(self._base(), accept, requested)
        if path == "/api/queries":
            return Answer(200, "application/json; charset=utf-8", self.server.queries_json)
        if path.startswith("/api/queries/"):
            return run_named(
                self.server.run_job,
                self.server.named_queries,
                unquote(path[len("/api/queries/") :]),
                _parse_form(url.query),
                self.server.config.max_results,
            )
        if path == "/favicon.ico":
            return Answer(204, "image/x-icon", b"")
        return error(404, f"nothing at {path}: see / for the query page, /sparql for SPARQL")

    # --- SPARQL 1.1 Protocol ---------------------------------------------------------------

    def _sparql(self, method: str, query_string: str, path: str) -> Answer:
        params = _parse_form(query_string)
        if method == "POST":
            media, charset = _content_type(self.headers.get("Content-Type"))
            if media == "application/sparql-update":
                self._drain()
                raise QueryRefused("this endpoint is read-only: SPARQL Update is refused", 403)
            if media not in ("application/x-www-form-urlencoded", "application/sparql-query"):
                self._drain()
                raise QueryRefused(
                    f"unsupported Content-Type {media or '(none)'}: POST a query as "
                    "application/x-www-form-urlencoded (query=…) or application/sparql-query",
                    415,
                )
            if charset not in ("utf-8", "utf8"):
                self._drain()
                raise QueryRefused(f"unsupported charset {charset}: send UTF-8", 415)
            body = self._read_body()
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise QueryRefused(f"the request body is not UTF-8: {exc}", 400) from None
            if media == "application/sparql-query":
                params.setdefault("query", []).append(text)
            else:
                for key, values in _parse_form(text).items():
                    params.setdefault(key, []).extend(values)
        if "update" in params:
            raise QueryRefused("this endpoint is read-only: SPARQL Update is refused", 403)
        queries = params.get("query", [])
        accept = self.headers.get("Accept")
        requested = tuple(params.get("format", ()))
        if not queries:
            if method == "POST":
                raise QueryRefused(
                    "no query: send query=… or a body of application/sparql-query", 400
                )
            return self.server.pages.service_description(self._base(), accept, requested)
        if len(queries) > 1:
            raise QueryRefused(f"{len(queries)} queries in one request: send exactly one", 400)
        inspection = check_query(queries[0])
        default_graphs = params.get("default-graph-uri")
        named_graphs = params.get("named-graph-uri")
        dataset_given = default_graphs is not None or named_graphs is not None
        bindings = []
        for key, values in params.items():
            if key.startswith("$"):
                if len(values) != 1:
                    raise QueryRefused(f"{key} given {len(values)} times: give it once", 400)
                bindings.append((check_variable(key[1:]), values[0]))
        job = Job(
            query=queries[0],
            accept=accept,
            formats=requested,
            union=not inspection.has_from,
            default_graphs=tuple(default_graphs or ()) if dataset_given else None,
            named_graphs=tuple(named_graphs or ()) if dataset_given else None,
            bindings=tuple(bindings),
            max_results=self.server.config.max_results,
            base_iri=self._base() + path,  # relative IRIs resolve against the request's URL
        )
        answer = self.server.run_job(job)
        return Answer(
            answer.status,
            answer.content_type,
            answer.body,
            answer.count,
            (*answer.headers, ("Vary", "Accept")),
        )

    # --- helpers ---------------------------------------------------------------------------

    def _static(self, name: str) -> Answer:
        # the page's own SPARQL lives with the rest of the SPARQL, in queries/web/
        folder = asset_dir("queries") / "web" if name.endswith(".rq") else WEB_DIR
        file = folder / name
        if not _STATIC_NAME_RE.match(name) or not file.is_file():
            return error(404, f"no file {name}")
        kind = STATIC_TYPES.get(file.suffix, "application/octet-stream")
        return Answer(200, kind, file.read_bytes(), headers=(("Cache-Control", "no-cache"),))

    def _base(self) -> str:
        host = self.headers.get("Host", "")
        return f"http://{host}" if _HOST_RE.match(host) else self.server.url

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            raise QueryRefused("chunked request bodies are not supported: send Content-Length", 411)
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            self.close_connection = True
            raise QueryRefused("bad Content-Length", 400) from None
        if length > self.server.config.max_body:
            self._drain()  # so the client reads our answer instead of a reset connection
            raise QueryRefused(
                f"the request body is larger than {self.server.config.max_body} bytes", 413
            )
        return self.rfile.read(length) if length > 0 else b""

    def _drain(self) -> None:
        """Read and drop a body we will not use, so the connection can serve the next request."""
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except (ValueError, AttributeError):
            length = -1
        if 0 < length <= 16 * self.server.config.max_body:
            while length > 0:
                chunk = self.rfile.read(min(length, 1 << 16))
                if not chunk:  # the client went away
                    self.close_connection = True
                    break
                length -= len(chunk)
        elif length != 0:
            self.close_connection = True

    def _send(self, answer: Answer, head: bool = False) -> None:
        self.connection.settimeout(self.server.config.request_timeout)  # a slow reader
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        origin = getattr(self, "headers", None) and self.headers.get("Origin")
        headers = [*cors_headers(self.server.cors, origin), ("X-Content-Type-Options", "nosniff")]
        if answer.content_type.startswith("text/html"):
            headers += [("Content-Security-Policy", CSP), ("Referrer-Policy", "no-referrer")]
        headers += answer.headers
        vary = list(dict.fromkeys(v for name, v in headers if name.lower() == "vary"))
        for name, value in headers:
            if name.lower() != "vary":
                self.send_header(name, value)
        if vary:
            self.send_header("Vary", ", ".join(vary))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head and answer.body:
            self.wfile.write(answer.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        if self.server.config.quiet:
            return
        sys.stderr.write(f"{self.address_string()} {format % args}\n"[:400])


EXPOSED_HEADERS = "Content-Type, Content-Length, Link, Retry-After, Vary"


def parse_cors(setting: str) -> tuple[str, ...] | None:
    """`--cors`: `*` (any origin), `none` (no CORS headers) or a comma-separated list of
    origins (`https://a.example,https://b.example`). None means none."""
    value = setting.strip()
    if value.lower() in ("", "none", "off"):
        return None
    if value == "*":
        return ("*",)
    origins = tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())
    for origin in origins:
        if not re.match(r"^https?://[^/\s]+$", origin):
            raise ValueError(
                f"--cors: {origin!r} is not an origin (scheme://host[:port]), '*' or 'none'"
            )
    return origins


def cors_headers(cors: tuple[str, ...] | None, origin: str | None) -> list[tuple[str, str]]:
    """The CORS headers of an answer to a request from `origin` (its Origin header)."""
    if cors is None:
        return []
    if cors == ("*",):
        allowed = "*"
    elif origin and origin.rstrip("/") in cors:
        allowed = origin
    else:
        return [("Vary", "Origin")]
    headers = [
        ("Access-Control-Allow-Origin", allowed),
        ("Access-Control-Expose-Headers", EXPOSED_HEADERS),
    ]
    if allowed != "*":
        headers.append(("Vary", "Origin"))
    return headers


def _refuse_connection(request: Any, cors: tuple[str, ...] | None) -> None:
    """A one-line 503 to a connection over a cap, written without reading the request."""
    body = b"too many open connections: try again later\n"
    headers = "".join(f"{name}: {value}\r\n" for name, value in cors_headers(cors, None))
    head = (
        f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nRetry-After: 1\r\n{headers}"
        "Connection: close\r\n\r\n"
    ).encode()
    try:
        request.settimeout(1.0)
        request.sendall(head + body)
    except OSError:
        pass


def _parse_form(text: str) -> dict[str, list[str]]:
    try:
        return parse_qs(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise QueryRefused(f"the request parameters are not UTF-8: {exc}", 400) from None


def _content_type(header: str | None) -> tuple[str, str]:
    """(media type, charset) of a Content-Type header, lower-cased; charset defaults to utf-8."""
    if not header:
        return "", "utf-8"
    media, *params = (part.strip() for part in header.split(";"))
    charset = "utf-8"
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.lower(), charset


def make_server(config: ServerConfig) -> KGServer:
    """A server bound to config.host:config.port (port 0: a free one), not yet serving."""
    return KGServer(config)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(config: ServerConfig, ready: Callable[[KGServer], None] | None = None) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM), then stop the workers."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    server = make_server(config)
    try:
        if ready is not None:
            ready(server)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


__all__ = ["KGServer", "ServerConfig", "make_server", "serve"]
