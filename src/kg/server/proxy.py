"""`kg serve --endpoint`: the server's queries answered by a remote SPARQL endpoint.

The HTTP side (kg.server.app) is the same as for the embedded store: it checks every request
(read-only, body size: kg.server.guard and the handler) and turns it into a `Job`. The SERVICE
check (kg.server.guard.ServiceCheck) runs on a checker worker process of the server before
anything is sent: the remote engine may well run SERVICE clauses itself.
Here a `Job` goes to the remote endpoint through `kg.query.backends.RemoteBackend` instead of a
worker process:

- the query's base IRI (the request's URL) is set with a leading `BASE`;
- `$name` bindings are bound with VALUES blocks (`kg.query.backends.bind_values`, as
  `kg query --endpoint` binds a named query's parameters), never pasted in;
- the remote is asked for SPARQL JSON (SELECT, ASK) or N-Triples (CONSTRUCT, DESCRIBE), and
  the answer is parsed, counted against `--max-results` and written in the format the client
  negotiated by the same code as the workers' (`kg.server.worker.render`): the same formats,
  the same cap, the same status codes;
- the time limit is the HTTP client's: no answer (no byte) for `--timeout` seconds is a 504
  naming the endpoint (the remote may go on running the query: it is the remote's to stop);
- at most `--workers` requests go to the remote at once; a request that waits
  `queue_timeout` seconds for its turn gets 503, as with busy workers;
- the remote's failures are the gateway's: connection refused, 401/403 (this server's
  credentials), 404, 5xx and unparsable answers are 502, a timeout is 504, each with one line
  naming the endpoint. A 400 from the remote (the engine could not parse or run the query) is
  passed on as 400 with the engine's message. Nothing is retried: a client is waiting.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

import pyoxigraph as ox

from kg.query.backends import (
    N_TRIPLES,
    SPARQL_JSON,
    Endpoint,
    RemoteAuthError,
    RemoteBackend,
    RemoteError,
    RemoteHTTPError,
    RemoteTimeoutError,
    bind_values,
    query_form,
)
from kg.query.named import QueryError
from kg.server.guard import QueryRefused, may_spell_service, parse_term
from kg.server.worker import CHECKED, Answer, Job, error, render


class RemoteRunner:
    """Runs the server's jobs on a remote endpoint (see the module docstring)."""

    def __init__(
        self,
        backend: RemoteBackend,
        concurrency: int = 2,
        queue_timeout: float = 30.0,
        check: Callable[[Job], Answer] | None = None,
    ) -> None:
        """`check` answers `CHECKED` for a query that may go to the remote (the SERVICE check,
        for queries that could spell it), anything else is the answer to the client. Without
        it, a query that could spell SERVICE is refused unchecked."""
        if concurrency < 1:
            raise ValueError("a remote runner needs a concurrency of at least 1")
        self.backend = backend
        self.queue_timeout = queue_timeout
        self.service_check = check
        self._slots = threading.BoundedSemaphore(concurrency)
        self._by_timeout: dict[float, RemoteBackend] = {backend.client.endpoint.timeout: backend}
        self._lock = threading.Lock()

    @property
    def label(self) -> str:
        return self.backend.label

    def _backend(self, timeout: float | None) -> RemoteBackend:
        """A backend whose client waits `timeout` seconds (the VoID counts wait longer)."""
        if timeout is None:
            return self.backend
        with self._lock:
            backend = self._by_timeout.get(timeout)
            if backend is None:
                endpoint = dataclasses.replace(self.backend.client.endpoint, timeout=timeout)
                backend = self._by_timeout[timeout] = RemoteBackend(endpoint)
            return backend

    def run(self, job: Job, timeout: float | None = None) -> Answer:
        """The job's answer from the remote; never raises for the remote's failures."""
        if may_spell_service(job.query):
            if self.service_check is None:
                return error(403, "this server cannot check queries that mention SERVICE")
            verdict = self.service_check(job)
            if verdict.status != CHECKED.status:
                return verdict
        try:
            text = bind_values(job.query, _substitutions(job))
            form = query_form(text)
            if job.base_iri is not None:
                text = f"BASE <{job.base_iri}>\n{text}"
        except QueryRefused as exc:
            return error(exc.status, str(exc))
        except QueryError as exc:  # unbalanced braces, no query form, a blank node binding
            return error(400, f"bad query or binding: {exc}")
        if not self._slots.acquire(timeout=self.queue_timeout):
            return error(
                503,
                f"every connection to {self.label} stayed busy for "
                f"{self.queue_timeout:g} s: try again later",
                **{"Retry-After": "1"},
            )
        try:
            return self._ask(self._backend(timeout), job, text, form)
        finally:
            self._slots.release()

    def _ask(self, backend: RemoteBackend, job: Job, text: str, form: str) -> Answer:
        try:
            response = backend.raw(
                text,
                accept=N_TRIPLES if form in ("CONSTRUCT", "DESCRIBE") else SPARQL_JSON,
                default_graphs=job.default_graphs or (),
                named_graphs=job.named_graphs or (),
            )
        except RemoteError as exc:
            return remote_error(exc, backend.client.endpoint)
        try:
            if form in ("CONSTRUCT", "DESCRIBE"):
                quads = ox.parse(response.body, ox.RdfFormat.N_TRIPLES)
                return render((q.triple for q in quads), job)
            return render(ox.parse_query_results(response.body, ox.QueryResultsFormat.JSON), job)
        except (SyntaxError, ValueError, OSError) as exc:
            kind = "N-Triples" if form in ("CONSTRUCT", "DESCRIBE") else "SPARQL JSON results"
            return error(
                502,
                f"{self.label}: the remote endpoint's answer is not {kind} "
                f"({response.content_type or 'no content type'}): {exc}",
            )

    def check(self, timeout: float = 5.0) -> list[str]:
        """Problems with the remote, for the start-up log: unreachable, or its default graph
        is not the union of its named graphs (the named queries would find nothing). Empty
        when all is well; never raises (the server starts anyway)."""
        probe = self._backend(min(timeout, self.backend.client.endpoint.timeout))
        try:
            union = probe.union_default_graph()
        except RemoteError as exc:
            return [f"{exc}: serving anyway; queries answer 502 until the endpoint answers"]
        if union is False:
            return [
                f"{self.label}: its default graph is not the union of its named graphs, so "
                "the named queries find nothing (Oxigraph server: start it with "
                "--union-default-graph; see docs/scaling.md)"
            ]
        if union is None:
            return [
                f"{self.label}: the endpoint holds no data in named graphs yet "
                "(kg push publishes the store there)"
            ]
        return []

    def close(self) -> None:
        for backend in self._by_timeout.values():
            backend.close()


def _substitutions(job: Job) -> dict[ox.Variable, Any]:
    return {ox.Variable(name): parse_term(term) for name, term in job.bindings}


def remote_error(exc: RemoteError, endpoint: Endpoint) -> Answer:
    """The answer to a client when the remote endpoint failed: one line naming it."""
    message = str(exc)
    if endpoint.query_url not in message:
        message = f"{endpoint.query_url}: {message}"
    if isinstance(exc, RemoteTimeoutError):
        return error(
            504,
            f"{message}: the remote endpoint gave no answer within "
            f"{endpoint.timeout:g} s (the limit is the server's --timeout)",
        )
    if isinstance(exc, RemoteAuthError):
        return error(502, f"the remote endpoint refused this server's credentials: {message}")
    if isinstance(exc, RemoteHTTPError) and exc.status == 400:
        return error(400, f"the remote endpoint could not run the query: {message}")
    return error(502, f"the remote endpoint failed: {message}")


__all__ = ["RemoteRunner", "remote_error"]
