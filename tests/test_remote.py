"""kg.query.backends and kg.push without a real engine: binding parameters with VALUES blocks, and
the failure modes of the HTTP client against tiny stub servers on loopback.

The real engines (Oxigraph server, Virtuoso) are in tests/test_remote_engines.py.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib.plugins.sparql.parser import parseQuery

from kg.push import (
    CONTENT_HASH,
    METADATA_GRAPH,
    PushError,
    graph_content,
    metadata_ntriples,
    push,
)
from kg.query.backends import (
    EmbeddedBackend,
    Endpoint,
    QueryBackend,
    RemoteAuthError,
    RemoteBackend,
    RemoteConnectionError,
    RemoteHTTPError,
    RemoteTimeoutError,
    SparqlClient,
    bind_values,
    derive_graph_store_url,
    query_form,
    term_from_json,
)
from kg.query.named import list_queries, parse_query, run_query

FIXTURE = Path(__file__).parent / "fixtures" / "store" / "mini.trig"
XSD = "http://www.w3.org/2001/XMLSchema#"

# one value per parameter name, for running every named query with each parameter
PARAM_VALUES = {
    "place": "Mopti",
    "country": "Mali",
    "year": "2023",
    "sector": "Protection",
    "organisation": "MSF",
    "indicator": "people reached",
    "role": "implementing partner",
    "report": "msf-mali-2023",
    "source": "OCHA",
    "figure": "https://w3id.org/humanitarian-kg/id/outcome/msf-mali-2023/1460-1467",
}


def param_cases(query: Any) -> list[dict[str, str]]:
    """The required parameters alone, then each optional one added in turn."""
    required = {p.name: PARAM_VALUES[p.name] for p in query.params if p.required}
    cases = [required]
    cases += [{**required, p.name: PARAM_VALUES[p.name]} for p in query.params if not p.required]
    return cases


@pytest.fixture(scope="module")
def mini_store() -> ox.Store:
    store = ox.Store()
    store.load(path=str(FIXTURE))
    return store


# --- VALUES binding --------------------------------------------------------------------------


def lit(text: str) -> ox.Literal:
    return ox.Literal(text)


def test_values_block_escapes_through_term_serialisation() -> None:
    text = "SELECT ?param_x WHERE { ?s ?p ?o FILTER(?o = ?param_x) }"
    nasty = 'a "quoted" \\ back\nslash } # not a comment'
    out = bind_values(text, {ox.Variable("param_x"): lit(nasty)})
    assert out.count("VALUES") == 1
    # a simple literal: Virtuoso 7.2 does not join a typed xsd:string with itself
    assert '("a \\"quoted\\" \\\\ back\\nslash } # not a comment")' in out
    parseQuery(out)  # still SPARQL
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), lit(nasty)))
    assert len(list(store.query(out))) == 1


def test_values_go_into_each_group_that_uses_the_parameter() -> None:
    text = """
    PREFIX ex: <http://e/#>
    SELECT ?a ?param_x WHERE {
      # a comment with { braces } and ?param_x
      { SELECT ?a ?param_x WHERE {
          { ?a ex:p "}{" FILTER(?a = ?param_x) } UNION { BIND(1 AS ?z) FILTER(BOUND(?param_x)) }
      } }
      OPTIONAL { ?a ex:q ?b FILTER EXISTS { ?b ex:r ?param_x } }
      VALUES ?c { 1 2 }
      FILTER(?a != ?param_x)
    }"""
    out = bind_values(text, {ox.Variable("param_x"): ox.NamedNode("http://e/x")})
    parseQuery(out)
    # the outer WHERE (its FILTER), the two UNION branches, the OPTIONAL (its EXISTS counts
    # for it); not the sub-select's WHERE (it only projects it: its branches bind it), the
    # sub-select's wrapper, the EXISTS block, the data block, comments or strings
    assert out.count("VALUES (?param_x) { (<http://e/x>) }") == 4
    assert '"}{"' in out and "<http://e/#>" in out


def test_a_projected_parameter_is_bound_once_on_each_path() -> None:
    """Regression: VALUES in a sub-select's WHERE because it projects the parameter, and again
    in the UNION branches that use it, gave no rows on Virtuoso 7.2 (typed literals); an
    expression of the projection or HAVING still needs it in the WHERE."""
    text = """SELECT ?s ?param_x WHERE {
      { SELECT ?s ?param_x WHERE { { ?s ?p ?param_x } UNION { ?s ?q ?param_x } } }
    }"""
    out = bind_values(text, {ox.Variable("param_x"): lit("v")})
    assert out.count("VALUES") == 2  # the two branches only
    assert "WHERE { VALUES" not in out
    text = "SELECT ?s (CONCAT(?param_x, ?o) AS ?t) WHERE { ?s ?p ?o } GROUP BY ?s ?param_x ?o"
    out = bind_values(text, {ox.Variable("param_x"): lit("v")})
    assert "WHERE { VALUES (?param_x)" in out
    parseQuery(out)


def test_unused_and_unbound_parameters_leave_the_text_alone() -> None:
    text = "SELECT * WHERE { ?s ?p ?o }"
    assert bind_values(text, {}) == text
    assert bind_values(text, {ox.Variable("param_x"): lit("x")}) == text


def test_construct_template_is_not_a_group() -> None:
    text = "CONSTRUCT { ?s <http://e/p> ?param_x } WHERE { ?s ?p ?param_x }"
    out = bind_values(text, {ox.Variable("param_x"): lit("v")})
    assert out.startswith("CONSTRUCT { ?s <http://e/p> ?param_x } WHERE { VALUES")
    assert query_form(out) == "CONSTRUCT"


@pytest.mark.slow
@pytest.mark.parametrize("query", list_queries(), ids=lambda q: q.name)
def test_values_binding_gives_the_rows_of_substitutions(mini_store: ox.Store, query: Any) -> None:
    """What is sent to a remote endpoint gives, on the embedded store, the same rows."""
    backend = RemoteBackend("http://127.0.0.1:9/query")  # never contacted
    for params in param_cases(query):
        expected = run_query(mini_store, query, params)
        text = backend.prepare(query, params)
        parseQuery(text)
        bound = run_query(mini_store, dataclasses.replace(query, text=text, params=[]))
        assert (bound.columns, bound.rows) == (expected.columns, expected.rows), params


def test_backends_share_the_protocol(mini_store: ox.Store) -> None:
    assert isinstance(EmbeddedBackend(mini_store), QueryBackend)
    assert isinstance(RemoteBackend("http://127.0.0.1:9/sparql"), QueryBackend)
    rows = EmbeddedBackend(mini_store).run("partnerships").rows
    assert rows == run_query(mini_store, "partnerships").rows


def test_graph_store_urls_of_known_engines() -> None:
    assert derive_graph_store_url("http://h:7878/query") == "http://h:7878/store"
    assert derive_graph_store_url("http://h:8890/sparql") == "http://h:8890/sparql-graph-crud-auth"
    assert derive_graph_store_url("http://h/ds/endpoint") is None


def test_terms_from_sparql_json() -> None:
    assert term_from_json({"type": "uri", "value": "http://e/x"}) == ox.NamedNode("http://e/x")
    assert term_from_json(
        {"type": "typed-literal", "datatype": XSD + "gYear", "value": "2023"}
    ) == ox.Literal("2023", datatype=ox.NamedNode(XSD + "gYear"))
    assert term_from_json({"type": "literal", "xml:lang": "fr", "value": "Santé"}) == ox.Literal(
        "Santé", language="fr"
    )
    assert isinstance(term_from_json({"type": "bnode", "value": "nodeID://b1"}), ox.BlankNode)


def test_graph_hash_ignores_blank_node_labels() -> None:
    def store_with(label: str) -> ox.Store:
        store = ox.Store()
        g = ox.NamedNode("http://e/g")
        b = ox.BlankNode(label)
        store.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), b, g))
        store.add(ox.Quad(b, ox.NamedNode("http://e/q"), ox.Literal("x"), g))
        return store

    one = graph_content(store_with("a1"), "http://e/g")
    two = graph_content(store_with("zz"), "http://e/g")
    assert one.sha256 == two.sha256 and one.triples == 2
    meta = metadata_ntriples({"http://e/g": one.sha256}).decode()
    assert meta == f'<http://e/g> <{CONTENT_HASH}> "{one.sha256}" .\n'


# --- stub servers ----------------------------------------------------------------------------

Behaviour = Callable[[BaseHTTPRequestHandler, bytes], tuple[int, bytes]]


class Stub:
    """A Graph Store + query endpoint on loopback whose answers the test scripts."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.requests: list[tuple[str, str]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                stub.requests.append((self.command, self.path))
                status, payload = behaviour(self, body)
                self.send_response(status)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def puts(self) -> list[str]:
        return [path for method, path in self.requests if method == "PUT"]


EMPTY_SELECT = json.dumps({"head": {"vars": ["graph", "hash"]}, "results": {"bindings": []}})


@pytest.fixture()
def stub_factory() -> Iterator[Callable[[Behaviour], Stub]]:
    stubs: list[Stub] = []

    def make(behaviour: Behaviour) -> Stub:
        stubs.append(Stub(behaviour))
        return stubs[-1]

    yield make
    for stub in stubs:
        stub.close()


def one_graph_store() -> ox.Store:
    store = ox.Store()
    store.add(
        ox.Quad(
            ox.NamedNode("http://e/s"),
            ox.NamedNode("http://e/p"),
            ox.Literal("x"),
            ox.NamedNode("https://w3id.org/humanitarian-kg/id/graph/report/r1"),
        )
    )
    return store


def fast(url: str, **kw: Any) -> SparqlClient:
    options = {"timeout": 2.0, "retries": 3, "backoff": 0.01, **kw}
    return SparqlClient(Endpoint(url + "/query", **options))


def test_5xx_is_retried_then_the_push_goes_through(stub_factory: Any) -> None:
    answers = iter([500, 503])

    def behaviour(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes]:
        if handler.command == "POST":
            return 200, EMPTY_SELECT.encode()
        if "push-metadata" in handler.path:
            return 204, b""
        return next(answers, 201), b""

    stub = stub_factory(behaviour)
    result = push(one_graph_store(), fast(stub.url))
    graph_puts = [p for p in stub.puts() if "push-metadata" not in p]
    assert len(graph_puts) == 3  # 500, 503, then 201
    assert len(result.sent) == 1 and result.triples_sent == 1
    assert any("push-metadata" in p for p in stub.puts())  # recorded after the success


def test_5xx_every_time_gives_up_naming_endpoint_and_graph(stub_factory: Any) -> None:
    def behaviour(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes]:
        if handler.command == "POST":
            return 200, EMPTY_SELECT.encode()
        return 500, b"Internal failure: disk full"

    stub = stub_factory(behaviour)
    with pytest.raises(PushError) as info:
        push(one_graph_store(), fast(stub.url, retries=2))
    assert isinstance(info.value.cause, RemoteHTTPError)
    message = str(info.value)
    assert "\n" not in message
    assert stub.url + "/store" in message and "graph/report/r1" in message
    assert "HTTP 500" in message and "after 3 attempts" in message
    assert "disk full" in message
    assert not any("push-metadata" in p for p in stub.puts())  # nothing claimed


@pytest.mark.parametrize("status", [400, 401, 403])
def test_4xx_is_not_retried(stub_factory: Any, status: int) -> None:
    def behaviour(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes]:
        if handler.command == "POST":
            return 200, EMPTY_SELECT.encode()
        return status, b""

    stub = stub_factory(behaviour)
    expected = RemoteAuthError if status in (401, 403) else RemoteHTTPError
    with pytest.raises(PushError) as info:
        push(one_graph_store(), fast(stub.url))
    assert type(info.value.cause) is expected
    assert len(stub.puts()) == 1
    assert f"HTTP {status}" in str(info.value) and "attempts" not in str(info.value)


def test_timeout_is_retried_then_reported(stub_factory: Any) -> None:
    release = threading.Event()

    def behaviour(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes]:
        if handler.command == "POST":
            return 200, EMPTY_SELECT.encode()
        release.wait(3)  # longer than the client waits
        return 201, b""

    stub = stub_factory(behaviour)
    started = time.monotonic()
    with pytest.raises(PushError) as info:
        push(one_graph_store(), fast(stub.url, timeout=0.3, retries=1))
    release.set()
    assert isinstance(info.value.cause, RemoteTimeoutError)
    assert time.monotonic() - started < 3
    assert len(stub.puts()) == 2
    assert "timeout" in str(info.value) and "graph/report/r1" in str(info.value)


def test_connection_refused_is_one_clear_line(free_port: int) -> None:
    client = fast(f"http://127.0.0.1:{free_port}")
    started = time.monotonic()
    with pytest.raises(PushError) as info:
        push(one_graph_store(), client)
    assert isinstance(info.value.cause, RemoteConnectionError)
    assert time.monotonic() - started < 1  # refused: not retried
    message = str(info.value)
    assert "\n" not in message and f"127.0.0.1:{free_port}" in message
    assert "connection refused" in message


def test_query_errors_carry_the_engine_message(stub_factory: Any) -> None:
    def behaviour(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes]:
        return 400, b"SPARQL query:\nSELECT\nVirtuoso 37000 Error SP030: syntax error at line 3"

    stub = stub_factory(behaviour)
    with pytest.raises(RemoteHTTPError) as info:
        RemoteBackend(Endpoint(stub.url + "/sparql")).run("SELECT * WHERE { ?s ?p ?o }")
    assert "Error SP030: syntax error at line 3" in str(info.value)


@pytest.fixture()
def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_metadata_graph_name() -> None:
    assert METADATA_GRAPH == "https://w3id.org/humanitarian-kg/id/graph/push-metadata"
    assert parse_query("SELECT * WHERE { ?s ?p ?o }").params == []
