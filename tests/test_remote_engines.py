"""kg push and kg query --endpoint against real engines that the tests start on loopback:
the Oxigraph server (the `oxigraph` binary of the PyPI package `oxigraph`) and Virtuoso Open
Source 7 (Debian's `virtuoso-t`, with `isql-vt` to create the push user). Each runs with a
throwaway database in a temporary directory and is stopped at the end. A test whose engine is
not installed is skipped, saying so; CI installs both (see .ci/run).
"""

from __future__ import annotations

import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from kg.build.run import build
from kg.cli import app
from kg.push import METADATA_GRAPH, PushError, graph_content, push, remote_hashes
from kg.query.backends import (
    Endpoint,
    RemoteAuthError,
    RemoteBackend,
    RemoteConnectionError,
    RemoteHTTPError,
    SparqlClient,
)
from kg.query.named import list_queries, run_query
from kg.store import open_store
from test_remote import FIXTURE, PARAM_VALUES

REPORTS = Path(__file__).resolve().parent.parent / "data" / "reports"
REPORT = "https://w3id.org/humanitarian-kg/id/graph/report/"
# Known gap (issue 21): one TCP socket of a remote-engine test is left for the garbage
# collector to close; its source is not yet found (urllib's HTTPError answers are closed now).
# Only that warning is ignored, and only in this module.
pytestmark = [
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
    ),
    pytest.mark.slow,  # Virtuoso and Oxigraph servers
]


def _binary(name: str) -> str | None:
    beside = Path(sys.executable).parent / name  # the venv's bin: the oxigraph wheel's binary
    return str(beside) if beside.is_file() else shutil.which(name)


OXIGRAPH = _binary("oxigraph")
VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (loopback)
                if answer.status == 200:
                    return
        except urllib.error.HTTPError as exc:
            exc.close()  # not ready yet; close the answer (warnings fail the tests)
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{proc.args[0]} did not answer at {url} in {seconds} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@dataclass(frozen=True)
class Engine:
    name: str
    query_url: str
    graph_store_url: str
    user: str | None = None
    password: str | None = None

    def client(self, **options: Any) -> SparqlClient:
        return SparqlClient(
            Endpoint(self.query_url, self.graph_store_url, self.user, self.password, **options)
        )


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    if OXIGRAPH is None:
        pytest.skip("no `oxigraph` binary: pip install oxigraph (CI does)")
    data = tmp_path_factory.mktemp("oxigraph")
    port = free_port()
    log = data / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603
            [
                OXIGRAPH,
                "serve",
                "--location",
                str(data / "db"),
                "--bind",
                f"127.0.0.1:{port}",
                "--union-default-graph",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/query?query=ASK%7B%7D", proc, log, 30)
        yield Engine("oxigraph", f"{base}/query", f"{base}/store")
    finally:
        stop(proc)


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql}
DisableUnixSocket = 1
CaseMode = 2
DirsAllowed = ., {d}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
CheckpointInterval = 60

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {d}
ServerThreads = 4
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 300
"""


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    if VIRTUOSO is None or ISQL is None:
        pytest.skip(
            "no `virtuoso-t`/`isql-vt`: apt-get install virtuoso-opensource-7-bin (CI does)"
        )
    data = tmp_path_factory.mktemp("virtuoso")
    sql, http = free_port(), free_port()
    ini = data / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(d=data, sql=sql, http=http), encoding="utf-8")
    log = data / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603
            [VIRTUOSO, "+foreground", "+configfile", str(ini)],
            cwd=data,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{http}"
    try:
        wait_http(f"{base}/sparql?query=ASK%7B%7D", proc, log, 90)
        user, password = "kgpush", secrets.token_hex(8)
        # a user in SPARQL_UPDATE for the Graph Store; dba gets a password nobody knows
        statements = (
            f"DB.DBA.USER_CREATE('{user}', '{password}'); "
            f'GRANT SPARQL_UPDATE TO "{user}"; '
            f"DB.DBA.RDF_DEFAULT_USER_PERMS_SET('{user}', 3); "
            f"SET PASSWORD dba {secrets.token_hex(8)};"
        )
        subprocess.run(  # noqa: S603
            [ISQL, f"127.0.0.1:{sql}", "dba", "dba", f"exec={statements}"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield Engine("virtuoso", f"{base}/sparql", f"{base}/sparql-graph-crud-auth", user, password)
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory: pytest.TempPathFactory) -> ox.Store:
    """The seed corpus built once into a temporary store."""
    path = tmp_path_factory.mktemp("seed") / "store"
    result = build([REPORTS], path)
    assert result.ok, [r.error for r in result.failed]
    return open_store(path)


ENGINES = ["oxigraph_server", "virtuoso_server"]


@pytest.fixture(params=ENGINES, ids=["oxigraph", "virtuoso"])
def engine(request: pytest.FixtureRequest) -> Engine:
    return request.getfixturevalue(request.param)


class CountingClient(SparqlClient):
    """Records every PUT and DELETE; can fail the n-th graph PUT."""

    def __init__(self, endpoint: Endpoint, fail_at: int | None = None) -> None:
        super().__init__(endpoint)
        self.puts: list[str] = []
        self.deletes: list[str] = []
        self.fail_at = fail_at

    def put_graph(
        self, graph: str, data: bytes, content_type: str = "application/n-triples"
    ) -> Any:
        if graph != METADATA_GRAPH and self.fail_at is not None:
            if sum(g != METADATA_GRAPH for g in self.puts) + 1 == self.fail_at:
                raise RemoteHTTPError(f"{self.endpoint.graph_store()}: injected failure", 503)
        self.puts.append(graph)
        return super().put_graph(graph, data, content_type)

    def delete_graph(self, graph: str) -> bool:
        self.deletes.append(graph)
        return super().delete_graph(graph)


def counting(engine: Engine, fail_at: int | None = None) -> CountingClient:
    return CountingClient(
        Endpoint(
            engine.query_url, engine.graph_store_url, engine.user, engine.password, timeout=120
        ),
        fail_at,
    )


def copy_store(store: ox.Store, drop: str | None = None, add: ox.Quad | None = None) -> ox.Store:
    out = ox.Store()
    out.bulk_extend(q for q in store if not (drop and q.graph_name == ox.NamedNode(drop)))
    if add is not None:
        out.add(add)
    return out


def remote_count(engine: Engine, graph: str) -> int:
    _vars, rows = engine.client().select(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    )
    return int(rows[0]["n"].value) if rows else 0


def remote_graph_hash(engine: Engine, graph: str) -> str:
    response = engine.client().request(
        "GET",
        engine.client().graph_url(graph),
        None,
        {"Accept": "application/n-triples"},
        action="GET",
    )
    store = ox.Store()
    store.load(response.body, ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
    return graph_content(store, graph).sha256


@pytest.fixture()
def seeded(engine: Engine, seed_store: ox.Store) -> Engine:
    """The engine holding exactly the seed store (pushing only what differs)."""
    push(seed_store, engine.client(timeout=120))
    return engine


# --- push ------------------------------------------------------------------------------------


def test_push_repush_change_and_prune(engine: Engine, seed_store: ox.Store) -> None:
    graphs = sorted(g.value for g in seed_store.named_graphs())
    first = push(seed_store, counting(engine), force=True)
    assert first.sent == graphs and first.triples_sent == len(seed_store)
    rate = first.triples_per_second
    print(f"\n{engine.name}: pushed {first.triples_sent} triples at {rate:,.0f} triples/s")
    for graph in graphs:  # PUT replaced, never appended (this was at least the 2nd push)
        assert remote_count(engine, graph) == graph_content(seed_store, graph).triples

    again = counting(engine)
    result = push(seed_store, again)
    assert result.sent == [] and result.unchanged == graphs
    assert again.puts == [] and again.deletes == []  # nothing sent at all

    changed = REPORT + "msf-mali-2023"
    extra = ox.Quad(
        ox.NamedNode("https://w3id.org/humanitarian-kg/id/report/msf-mali-2023"),
        ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
        ox.Literal('ré-édité "v2"\n'),
        ox.NamedNode(changed),
    )
    client = counting(engine)
    result = push(copy_store(seed_store, add=extra), client)
    assert result.sent == [changed] and client.puts == [changed, METADATA_GRAPH]
    assert remote_count(engine, changed) == graph_content(seed_store, changed).triples + 1

    gone = REPORT + "nrc-mali-2023"
    client = counting(engine)
    result = push(copy_store(seed_store, drop=gone), client)
    assert client.deletes == [gone] and remote_count(engine, gone) == 0
    assert set(client.puts) == {changed, METADATA_GRAPH}  # the change is undone too
    assert gone not in remote_hashes(engine.client())

    client = counting(engine)
    push(seed_store, client)
    assert set(client.puts) == {gone, METADATA_GRAPH}


def test_a_failed_push_leaves_each_graph_old_or_new(
    oxigraph_server: Engine, seed_store: ox.Store
) -> None:
    engine = oxigraph_server
    push(seed_store, engine.client())
    old = {g.value: graph_content(seed_store, g.value).sha256 for g in seed_store.named_graphs()}
    marker = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
    new_store = ox.Store()
    new_store.bulk_extend(seed_store)
    for g in seed_store.named_graphs():  # every graph changes
        new_store.add(ox.Quad(ox.NamedNode("http://example.org/x"), marker, ox.Literal("v2"), g))
    new = {g: graph_content(new_store, g).sha256 for g in old}
    with pytest.raises(PushError) as info:
        push(new_store, counting(engine, fail_at=4))
    assert "injected failure" in str(info.value) and "push stopped at graph" in str(info.value)
    recorded = remote_hashes(engine.client())
    states = {g: remote_graph_hash(engine, g) for g in old}
    assert all(states[g] in (old[g], new[g]) for g in old)
    assert sum(states[g] == new[g] for g in old) == 3  # the three that got through
    assert all(recorded[g] == states[g] for g in old)  # the metadata tells the truth
    result = push(new_store, engine.client())  # the next push sends only the rest
    assert len(result.sent) == len(old) - 3
    push(seed_store, engine.client())


def test_wrong_password_is_401_without_retry(virtuoso_server: Engine, seed_store: ox.Store) -> None:
    engine = virtuoso_server
    client = SparqlClient(
        Endpoint(
            engine.query_url,
            engine.graph_store_url,
            engine.user,
            "wrong-password",
            retries=3,
            backoff=1.0,
        )
    )
    started = time.monotonic()
    with pytest.raises(PushError) as info:
        push(seed_store, client)
    assert time.monotonic() - started < 1.0  # no back-off: not retried
    assert isinstance(info.value.cause, RemoteAuthError) and info.value.cause.status == 401
    message = str(info.value)
    assert "\n" not in message and engine.graph_store_url in message and "401" in message


def test_connection_refused_names_endpoint_and_graph(
    oxigraph_server: Engine, seed_store: ox.Store
) -> None:
    push(seed_store, oxigraph_server.client(timeout=120))  # the server holds the seeds: only
    # the changed report's graph is sent below, whatever the tests before this one did
    closed = f"http://127.0.0.1:{free_port()}/store"
    # a refused connection is not retried: with a 5 s backoff, one retry would take 5 s
    client = SparqlClient(Endpoint(oxigraph_server.query_url, closed, retries=3, backoff=5.0))
    changed = copy_store(
        seed_store,
        add=ox.Quad(
            ox.NamedNode("http://example.org/s"),
            ox.NamedNode("http://example.org/p"),
            ox.Literal("new"),
            ox.NamedNode(REPORT + "alima-mali"),
        ),
    )
    started = time.monotonic()
    with pytest.raises(PushError) as info:
        push(changed, client)
    assert time.monotonic() - started < 5.0
    assert isinstance(info.value.cause, RemoteConnectionError)
    message = str(info.value)
    assert closed in message and REPORT + "alima-mali" in message
    assert "connection refused" in message and "\n" not in message


def test_cli_push_and_query_endpoint(
    oxigraph_server: Engine, seed_store: ox.Store, tmp_path: Path
) -> None:
    store_path = tmp_path / "store"
    from kg.store import write_store

    write_store(store_path, list(seed_store))
    runner = CliRunner()
    result = runner.invoke(
        app, ["push", "--endpoint", oxigraph_server.query_url, "--store", str(store_path)]
    )
    assert result.exit_code == 0, result.output
    assert f"of {len(list(seed_store.named_graphs()))} graphs" in result.output

    args = ["query", "organisations-in", "-p", "place=Timbuktu", "--format", "json"]
    local = runner.invoke(app, [*args, "--store", str(store_path)])
    remote = runner.invoke(app, [*args, "--endpoint", oxigraph_server.query_url])
    assert remote.exit_code == 0, remote.output
    assert remote.stdout == local.stdout and "Timbuktu" in local.stdout

    refused = runner.invoke(
        app,
        ["push", "--endpoint", f"http://127.0.0.1:{free_port()}/query", "--store", str(store_path)],
    )
    assert refused.exit_code == 1 and "connection refused" in refused.output
    nopass = runner.invoke(
        app,
        [
            "push",
            "--endpoint",
            oxigraph_server.query_url,
            "--user",
            "u",
            "--password-env",
            "KG_TEST_UNSET_VARIABLE",
        ],
    )
    assert nopass.exit_code == 2 and "KG_TEST_UNSET_VARIABLE" in nopass.output


# --- the named queries give the same rows everywhere -----------------------------------------

ID = "https://w3id.org/humanitarian-kg/id/"
# beyond PARAM_VALUES: accents, IRIs, a code, a name nothing has, two filters together (also
# a figure with its own report and with another), a figure that is not an IRI
MORE_VALUES: list[dict[str, str]] = [
    {"place": "Ségou"},
    {"place": "Tombouctou"},
    {"place": ID + "place/ml-5"},
    {"organisation": "Médecins Sans Frontières"},
    {"organisation": "Nobody by that name"},
    {"sector": ID + "sector/health"},
    {"indicator": "People reached"},
    {"year": "2020"},
    {"country": "ML"},
    {"country": "ml"},
    {"country": ID + "place/ml"},
    {"place": "Mali", "sector": "Health"},
    {"organisation": "IMC", "year": "2023"},
    {"place": "Mali", "organisation": "MSF"},
    {"place": "Mali", "indicator": "people reached"},
    {"place": "Mali", "organisation": "Nobody by that name"},
    {"report": "MSF-Mali-2023", "figure": ID + "outcome/msf-mali-2023/1460-1467"},
    {"report": "alima-mali", "figure": ID + "outcome/msf-mali-2023/1460-1467"},
    {"figure": "not an IRI"},
]


def query_cases(query: Any) -> list[dict[str, str]]:
    """The required parameters alone, with each optional one, and with MORE_VALUES."""
    names = {p.name for p in query.params}
    required = {p.name: PARAM_VALUES[p.name] for p in query.params if p.required}
    cases = [required]
    cases += [{**required, p.name: PARAM_VALUES[p.name]} for p in query.params if not p.required]
    cases += [{**required, **more} for more in MORE_VALUES if set(more) <= names]
    return cases


@pytest.mark.parametrize("query", list_queries(), ids=lambda q: q.name)
def test_named_query_gives_the_same_rows(seeded: Engine, seed_store: ox.Store, query: Any) -> None:
    """The queries are written for both engines (see kg.query.named): no engine-specific copies."""
    backend = RemoteBackend(Endpoint(seeded.query_url, timeout=120))
    for params in query_cases(query):
        expected = run_query(seed_store, query, params)
        got = backend.run(query, params)
        assert got.columns == expected.columns, params
        assert got.rows == expected.rows, params


@pytest.fixture(scope="module")
def query_fixture_store() -> ox.Store:
    """tests/fixtures/store/mini.trig, where every named query finds rows (the seed corpus has
    no two context figures that disagree, for one)."""
    store = ox.Store()
    store.load(path=str(FIXTURE))
    return store


@pytest.mark.parametrize("query", list_queries(), ids=lambda q: q.name)
def test_named_query_gives_the_same_rows_on_the_query_fixture(
    engine: Engine, query_fixture_store: ox.Store, query: Any
) -> None:
    push(query_fixture_store, engine.client(timeout=120))  # prunes the seed graphs
    backend = RemoteBackend(Endpoint(engine.query_url, timeout=120))
    found = 0
    for params in query_cases(query):
        expected = run_query(query_fixture_store, query, params)
        got = backend.run(query, params)
        assert got.columns == expected.columns, params
        assert got.rows == expected.rows, params
        found += len(expected.rows)
    assert found, f"{query.name} finds nothing in the fixture: the comparison would prove little"


def test_parameter_values_reach_the_engine_intact(seeded: Engine) -> None:
    """Quotes, backslashes, newlines, braces, '#' and non-ASCII survive the VALUES binding."""
    from kg.query.named import parse_query

    query = parse_query(
        "# param: v (required) — any text\n"
        # (not STR(): Virtuoso 7.2 garbles the non-ASCII characters of a simple literal's
        # STR(), so the named queries never take it of a string parameter; see kg.query.named)
        'SELECT ?out ?param_v WHERE { BIND(CONCAT(?param_v, "") AS ?out) }'
    )
    backend = RemoteBackend(Endpoint(seeded.query_url))
    for value in ['say "hi" \\o/', "line\nbreak\ttab } { # not a comment", "Ségou – Tombouctou"]:
        assert backend.run(query, {"v": value}).rows == [(value,)]


def test_union_default_graph_is_detected(seeded: Engine) -> None:
    assert RemoteBackend(Endpoint(seeded.query_url)).union_default_graph() is True
