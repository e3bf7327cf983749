"""`kg serve --endpoint`: the server in front of a remote SPARQL endpoint (kg.server.proxy).

Most tests use a fake remote: the loopback stub of tests/test_remote.py answering SPARQL from
an in-memory pyoxigraph store holding tests/fixtures/store/mini.trig (the union of its named
graphs as the default graph, as `oxigraph serve --union-default-graph` does), beside an
embedded server on the same data. The last two run against real engines, an Oxigraph
server and Virtuoso (the fixtures of tests/test_remote_engines.py; skipped without them).
"""

from __future__ import annotations

import dataclasses
import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.push import push
from kg.query.backends import Endpoint
from kg.query.named import list_queries, run_query
from kg.server.app import ServerConfig, make_server
from kg.store import write_store
from server_support import Response, Running, request, running_server
from test_remote import FIXTURE, Stub, param_cases
from test_remote_engines import Engine, oxigraph_server, virtuoso_server  # noqa: F401

NT = "application/n-triples"
SRJ = "application/sparql-results+json"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ID = "https://w3id.org/humanitarian-kg/id/"


# --- a fake remote endpoint ------------------------------------------------------------------


def sparql_over(store: ox.Store) -> Callable[[BaseHTTPRequestHandler, bytes], tuple[int, bytes]]:
    """A stub behaviour: the SPARQL 1.1 Protocol (form POST) over `store`."""

    def behaviour(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes]:
        form = parse_qs(body.decode("utf-8"))
        dataset: dict[str, Any] = {"use_default_graph_as_union": True}
        if "default-graph-uri" in form or "named-graph-uri" in form:
            dataset = {
                "default_graph": [ox.NamedNode(g) for g in form.get("default-graph-uri", [])],
                "named_graphs": [ox.NamedNode(g) for g in form.get("named-graph-uri", [])],
            }
        try:
            result = store.query(form["query"][0], **dataset)
        except SyntaxError as exc:
            return 400, f"Parser error: {exc}".encode()
        if isinstance(result, ox.QueryTriples):
            return 200, result.serialize(format=ox.RdfFormat.N_TRIPLES) or b""
        return 200, result.serialize(format=ox.QueryResultsFormat.JSON) or b""

    return behaviour


@pytest.fixture(scope="module")
def quads() -> list[ox.Quad]:
    store = ox.Store()
    store.load(path=str(FIXTURE))
    return list(store)


@pytest.fixture(scope="module")
def remote(quads: list[ox.Quad]) -> Iterator[Stub]:
    store = ox.Store()
    store.bulk_extend(quads)
    stub = Stub(sparql_over(store))
    yield stub
    stub.close()


def serving(**options: Any) -> Any:
    """A `kg serve` server in this process: `store=` or `endpoint=` among the options."""
    return running_server(options.pop("store", None), **options)


@pytest.fixture(scope="module")
def embedded(quads: list[ox.Quad], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    path = tmp_path_factory.mktemp("mini") / "store"
    write_store(path, quads)
    with serving(store=path, workers=1) as running:
        yield running


@pytest.fixture(scope="module")
def proxied(remote: Stub) -> Iterator[Running]:
    with serving(endpoint=remote.url + "/query", timeout=5.0) as running:
        yield running


def scripted(stub_factory: Any, status: int, payload: bytes = b"", delay: float = 0) -> Stub:
    def behaviour(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes]:
        time.sleep(delay)
        return status, payload

    stub: Stub = stub_factory(behaviour)
    return stub


@pytest.fixture()
def stub_factory() -> Iterator[Callable[..., Stub]]:
    stubs: list[Stub] = []

    def make(behaviour: Any) -> Stub:
        stubs.append(Stub(behaviour))
        return stubs[-1]

    yield make
    for stub in stubs:
        stub.close()


def sparql(
    server: Running, query: str, accept: str | None = None, fields: tuple[tuple[str, str], ...] = ()
) -> Response:
    body = urlencode([("query", query), *fields]).encode()
    headers = dict(FORM, **({"Accept": accept} if accept else {}))
    return request(server.sparql, "POST", body, headers)


def named(server: Running, name: str, params: dict[str, str], fmt: str = "json") -> Response:
    qs = urlencode({**params, **({"format": fmt} if fmt != "json" else {})})
    return request(f"{server.url}/api/queries/{quote(name)}?{qs}")


# --- the same answers as the embedded server -------------------------------------------------


@pytest.mark.parametrize("query", list_queries(), ids=lambda q: q.name)
def test_named_queries_give_the_rows_of_the_embedded_server(
    embedded: Running, proxied: Running, quads: list[ox.Quad], query: Any
) -> None:
    store = ox.Store()
    store.bulk_extend(quads)
    for params in param_cases(query):
        local, through = named(embedded, query.name, params), named(proxied, query.name, params)
        assert local.status == through.status, (params, local.text, through.text)
        assert through.body == local.body, params
        expected = run_query(store, query, params)
        if local.status == 404:  # no rows, a parameter naming nothing in this store: said so
            assert expected.rows == [] and json.loads(local.body)["unmatched"], params
            continue
        assert local.status == 200, (params, local.text)
        assert json.loads(through.body) == json.loads(expected.to_json()), params


def test_named_query_api_csv_and_errors(embedded: Running, proxied: Running) -> None:
    params = {"place": "Mopti"}
    for server in (embedded, proxied):
        csv = named(server, "organisations-in", params, fmt="csv")
        assert csv.status == 200 and csv.media_type == "text/csv"
        assert csv.text.splitlines()[0].startswith("organisation")
        assert named(server, "no-such-query", {}).status == 404
        missing = named(server, "organisations-in", {})
        assert missing.status == 400 and "needs parameter 'place'" in missing.text
        assert named(server, "organisations-in", {"nope": "x", **params}).status == 400
        assert named(server, "outcomes", {"year": "twenty"}).status == 400
    assert named(embedded, "..%2F..%2Fetc%2Fpasswd", {}).status == 404


@pytest.mark.parametrize(
    "accept", [SRJ, "application/sparql-results+xml", "text/csv", "text/tab-separated-values"]
)
def test_sparql_select_with_bindings_in_each_format(
    embedded: Running, proxied: Running, accept: str
) -> None:
    query = next(q for q in list_queries() if q.name == "organisations-in")
    fields = (("$param_place", '"Timbuktu"'),)
    local = sparql(embedded, query.text, accept, fields)
    through = sparql(proxied, query.text, accept, fields)
    assert local.status == through.status == 200, through.text
    assert through.headers["content-type"] == local.headers["content-type"]
    assert through.body == local.body
    assert b"Timbuktu" in through.body or accept != SRJ


@pytest.mark.parametrize("accept", ["text/turtle", NT, "application/ld+json"])
def test_sparql_construct_in_each_format(embedded: Running, proxied: Running, accept: str) -> None:
    query = (
        "CONSTRUCT { ?s ?p ?o } WHERE "
        "{ ?s a <https://w3id.org/humanitarian-kg/ontology#Place> ; ?p ?o }"
    )
    local, through = sparql(embedded, query, accept), sparql(proxied, query, accept)
    assert local.status == through.status == 200, through.text
    fmt = ox.RdfFormat.from_media_type(accept)
    assert fmt is not None
    assert set(ox.parse(through.body, fmt)) == set(ox.parse(local.body, fmt))


def test_ask_dataset_and_from(embedded: Running, proxied: Running) -> None:
    ask = "ASK { ?s a <https://w3id.org/humanitarian-kg/ontology#Report> }"
    only_ontology = (("default-graph-uri", ID + "graph/ontology"),)
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    for query, fields in [(ask, ()), (ask, only_ontology), (count, only_ontology)]:
        local, through = sparql(embedded, query, SRJ, fields), sparql(proxied, query, SRJ, fields)
        assert local.status == through.status == 200
        assert json.loads(through.body) == json.loads(local.body), (query, fields)


def test_linked_data_pages(embedded: Running, proxied: Running) -> None:
    for path in ("/id/place/ml-5", "/ontology", "/void", "/sparql"):
        local = request(embedded.url + path, headers={"Accept": NT})
        through = request(proxied.url + path, headers={"Accept": NT})
        assert local.status == through.status, path
        if path in ("/id/place/ml-5", "/ontology"):
            assert set(ox.parse(through.body, ox.RdfFormat.N_TRIPLES)) == set(
                ox.parse(local.body, ox.RdfFormat.N_TRIPLES)
            ), path
    page = request(proxied.url + "/id/place/ml-5", headers={"Accept": "text/html"})
    assert page.status == 200 and page.media_type == "text/html" and "Mopti" in page.text
    assert request(proxied.url + "/id/nothing/here").status == 404
    assert request(proxied.url + "/api/queries").status == 200


# --- the same guards ---------------------------------------------------------------------------


def test_updates_and_service_never_reach_the_remote(remote: Stub, proxied: Running) -> None:
    before = len(remote.requests)
    update = request(
        proxied.sparql,
        "POST",
        b"INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        {"Content-Type": "application/sparql-update"},
    )
    assert update.status == 403 and "read-only" in update.text
    as_query = sparql(proxied, "DELETE WHERE { ?s ?p ?o }")
    assert as_query.status == 400 and "SPARQL Update" in as_query.text
    service = sparql(proxied, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    assert service.status == 403
    assert len(remote.requests) == before


def test_result_cap_and_bad_bindings(remote: Stub) -> None:
    with serving(endpoint=remote.url + "/query", max_results=5) as server:
        capped = sparql(server, "SELECT * WHERE { ?s ?p ?o }")
        assert capped.status == 422 and "more than 5" in capped.text
        triples = sparql(server, "CONSTRUCT WHERE { ?s ?p ?o }")
        assert triples.status == 422
        assert sparql(server, "SELECT * WHERE { ?s ?p ?o } LIMIT 5").status == 200
        bad = sparql(server, "SELECT ?x WHERE { BIND(1 AS ?y) }", fields=(("$x", "not a term"),))
        assert bad.status == 400 and "bad binding" in bad.text
        blank = sparql(server, "SELECT ?x WHERE { ?x ?p ?o }", fields=(("$x", "_:b"),))
        assert blank.status == 400


def test_a_malformed_query_is_the_remote_engines_400(proxied: Running) -> None:
    bad = sparql(proxied, "SELECT * WHERE { ?s ?p }")
    assert bad.status == 400 and "could not run the query" in bad.text
    assert "Parser error" in bad.text


# --- the remote's failures are clear HTTP errors -----------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("status", "expected", "words"),
    [
        (500, 502, "HTTP 500"),
        (503, 502, "HTTP 503"),
        (401, 502, "credentials"),
        (404, 502, "HTTP 404"),
    ],
)
def test_remote_errors_become_gateway_errors(
    stub_factory: Any, status: int, expected: int, words: str
) -> None:
    stub = scripted(stub_factory, status, b"engine trouble")
    with serving(endpoint=stub.url + "/query") as server:
        for resp in (
            sparql(server, "ASK {}"),
            named(server, "partnerships", {}),
            request(server.url + "/id/place/ml-5"),
        ):
            assert resp.status == expected, resp.text
            assert resp.media_type == "text/plain"
            assert stub.url + "/query" in resp.text and words in resp.text
            assert "Traceback" not in resp.text and resp.text.count("\n") == 1
    assert len(stub.requests) == 3  # not retried: a client is waiting


@pytest.mark.slow
def test_a_remote_that_does_not_answer_in_time_is_504(stub_factory: Any) -> None:
    stub = scripted(stub_factory, 200, b"{}", delay=3)
    with serving(endpoint=stub.url + "/query", timeout=0.5) as server:
        started = time.monotonic()
        resp = sparql(server, "ASK {}")
        assert time.monotonic() - started < 2.5
    assert resp.status == 504, resp.text
    assert stub.url + "/query" in resp.text and "0.5 s" in resp.text


@pytest.mark.slow
def test_an_answer_that_is_not_sparql_results_is_502(stub_factory: Any) -> None:
    stub = scripted(stub_factory, 200, b"<html>a login page</html>")
    with serving(endpoint=stub.url + "/query") as server:
        resp = sparql(server, "SELECT * WHERE { ?s ?p ?o }")
    assert resp.status == 502 and "not SPARQL JSON results" in resp.text


@pytest.mark.slow
def test_requests_beyond_the_concurrency_wait_then_get_503(stub_factory: Any) -> None:
    release = threading.Event()

    def slow(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes]:
        release.wait(5)
        return 200, b'{"head": {}, "boolean": true}'

    stub = stub_factory(slow)
    config = {"endpoint": stub.url + "/query", "workers": 1, "queue_timeout": 0.3}
    with serving(**config) as server:
        first: list[Response] = []
        thread = threading.Thread(target=lambda: first.append(sparql(server, "ASK {}")))
        thread.start()
        time.sleep(0.3)
        busy = sparql(server, "ASK {}")
        release.set()
        thread.join(10)
    assert busy.status == 503 and busy.headers.get("retry-after") == "1"
    assert first[0].status == 200


def test_server_starts_with_the_remote_down_and_says_so(free_port: int) -> None:
    url = f"http://127.0.0.1:{free_port}/query"
    with serving(endpoint=url) as server:
        problems = server.server.check_source()
        assert len(problems) == 1 and url in problems[0] and "connection refused" in problems[0]
        resp = sparql(server, "ASK {}")
        assert resp.status == 502 and "connection refused" in resp.text and url in resp.text
        assert request(server.url + "/").status == 200  # the page itself is served


@pytest.mark.slow
def test_start_up_check_of_the_union_default_graph(stub_factory: Any, remote: Stub) -> None:
    def no_union(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes]:
        if b"GRAPH" in body:
            return 200, json.dumps(
                {
                    "head": {"vars": ["s", "p", "o"]},
                    "results": {
                        "bindings": [{k: {"type": "uri", "value": "urn:x"} for k in "spo"}]
                    },
                }
            ).encode()
        return 200, b'{"head": {}, "boolean": false}'

    stub = stub_factory(no_union)
    with serving(endpoint=stub.url + "/query") as server:
        problems = server.server.check_source()
    assert len(problems) == 1 and "--union-default-graph" in problems[0]
    with serving(endpoint=remote.url + "/query") as server:
        assert server.server.check_source() == []


@pytest.fixture()
def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_store_and_endpoint_together_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not both"):
        make_server(ServerConfig(store=tmp_path, endpoint=Endpoint("http://127.0.0.1:9/query")))


# --- the command -----------------------------------------------------------------------------


def test_cli_usage_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    both = runner.invoke(
        app, ["serve", "--store", "build/store", "--endpoint", "http://127.0.0.1:9/query"]
    )
    assert both.exit_code == 2 and "not both" in both.output
    monkeypatch.delenv("KG_TEST_UNSET_VARIABLE", raising=False)
    nopass = runner.invoke(
        app,
        [
            "serve",
            "--endpoint",
            "http://127.0.0.1:9/query",
            "--user",
            "u",
            "--password-env",
            "KG_TEST_UNSET_VARIABLE",
        ],
    )
    assert nopass.exit_code == 2 and "KG_TEST_UNSET_VARIABLE" in nopass.output
    assert runner.invoke(app, ["serve", "--user", "u"]).exit_code == 2


@pytest.mark.slow
def test_kg_serve_endpoint_command(remote: Stub, free_port: int) -> None:
    """`kg serve --endpoint` as users run it: says where it serves from, warns when the remote
    is down, answers, stops on SIGTERM."""
    kg = Path(sys.executable).with_name("kg")
    command = [str(kg)] if kg.exists() else [sys.executable, "-c", "from kg.cli import app; app()"]
    for endpoint, warned in (
        (f"http://127.0.0.1:{free_port}/query", True),
        (remote.url + "/query", False),
    ):
        proc = subprocess.Popen(
            [*command, "serve", "--port", "0", "--endpoint", endpoint, "--timeout", "5", "--quiet"],
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        try:
            line = proc.stderr.readline()
            match = re.search(r"serving (http://127\.0\.0\.1:[0-9]+)/", line)
            assert match and f"proxy to {endpoint}" in line, line
            url = match.group(1)
            if warned:
                warning = proc.stderr.readline()
                assert "warning" in warning and "connection refused" in warning, warning
            expected = 502 if warned else 200
            assert request(url + "/sparql?query=ASK%7B%7D").status == expected
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stderr.close()


# --- a real Oxigraph server --------------------------------------------------------------------


@pytest.mark.slow
def test_oxigraph_server_gives_the_rows_of_the_embedded_server(
    oxigraph_server: Engine,  # noqa: F811 (the fixture imported above)
    quads: list[ox.Quad],
    embedded: Running,
) -> None:
    """`kg serve --endpoint <oxigraph serve --union-default-graph>`: every named query, and a
    bound SPARQL request, give the bytes the embedded server gives for the same data."""
    store = ox.Store()
    store.bulk_extend(quads)
    push(store, oxigraph_server.client(timeout=60))
    with serving(endpoint=oxigraph_server.query_url, timeout=30.0) as server:
        assert server.server.check_source() == []
        for query in list_queries():
            for params in param_cases(query):
                local, through = (
                    named(embedded, query.name, params),
                    named(server, query.name, params),
                )
                # 404: no rows, and a parameter names nothing in this data (said the same way)
                assert through.status == local.status in (200, 404), through.text
                assert through.body == local.body, (query.name, params)
        text = next(q for q in list_queries() if q.name == "who-what-where").text
        fields = (("$param_place", '"Mopti"'),)
        local, through = sparql(embedded, text, SRJ, fields), sparql(server, text, SRJ, fields)
        assert through.status == 200 and through.body == local.body
        page = "/id/place/ml-5"
        assert request(server.url + page).body == request(embedded.url + page).body


@pytest.mark.slow
def test_virtuoso_with_digest_credentials(
    virtuoso_server: Engine,  # noqa: F811 (the fixture imported above)
    quads: list[ox.Quad],
    embedded: Running,
) -> None:
    """`kg serve --endpoint …/sparql-auth --user U`: Digest answered on each query; a query
    Virtuoso answers as the embedded store does gives the same bytes; a wrong password is a
    502 that says so."""
    store = ox.Store()
    store.bulk_extend(quads)
    push(store, virtuoso_server.client(timeout=60))
    auth_url = virtuoso_server.query_url + "-auth"
    good = Endpoint(auth_url, user=virtuoso_server.user, password=virtuoso_server.password)
    with serving(endpoint=good, timeout=30.0) as server:
        assert server.server.check_source() == []
        for name in ("stats-classes", "stats-by-report"):
            local, through = named(embedded, name, {}), named(server, name, {})
            assert through.status == 200, through.text
            if name == "stats-classes":  # stats-by-report: see VIRTUOSO_KNOWN
                assert through.body == local.body
        assert sparql(server, "ASK { ?s ?p ?o }", SRJ).status == 200
    wrong = dataclasses.replace(good, password="wrong")  # noqa: S106
    with serving(endpoint=wrong) as server:
        resp = sparql(server, "ASK {}")
    assert resp.status == 502 and "credentials" in resp.text and auth_url in resp.text
