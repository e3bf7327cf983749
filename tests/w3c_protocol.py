"""The W3C SPARQL 1.1 Protocol test suite (tests/w3c/protocol/manifest.ttl), run over HTTP.

Reads every test of the manifest — its requests in order (method, path, headers, body in its
declared encoding) and every expectation of each response: the status class
(`mf:expectedStatus`), the kind of result (`mf:expectedFormat`: "boolean", "tabular", "RDF",
checked by parsing the body in the format its Content-Type names) and the ASK answer
(`mf:expectedBoolean`) — loads the graphs the tests name (`ut:graphData`) into a store, and
runs the tests against a server on that store:

    python tests/w3c_protocol.py [--server kg|oxigraph|both]

prints a Markdown table (docs/sparql-endpoint.md keeps one). `kg` is `kg serve` (its
/sparql endpoint), `oxigraph` is `oxigraph serve-read-only` (the `oxigraph` command of the
test extra; /query and /update). tests/test_w3c_protocol.py runs the same against `kg serve`.

Update tests (`update_*`) expect a writable endpoint. A read-only endpoint passes one when it
refuses each of its update requests with 403 and a message saying it is read-only (the ASK
requests that would check the update's effect are then not sent); `read_only=False` holds
them to the manifest instead.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDFS, Graph, Namespace, URIRef
from rdflib.collection import Collection

from server_support import stop

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "w3c" / "protocol" / "manifest.ttl"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
RESULT_KINDS = {"boolean", "tabular", "RDF"}


@dataclass(frozen=True)
class Expectation:
    statuses: frozenset[int]  # status classes: 2 for 2xx…
    result: str | None = None  # "boolean", "tabular", "RDF"
    boolean: bool | None = None


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    expect: Expectation

    @property
    def content_type(self) -> str:
        return next((v for k, v in self.headers if k.lower() == "content-type"), "")

    @property
    def is_update(self) -> bool:
        """An update operation of the protocol (direct, form-encoded or in the URL)."""
        text = (self.body or b"").decode("utf-8", "replace") + self.path
        return self.content_type.startswith("application/sparql-update") or bool(
            re.search(r"(^|[?&])update=", text)
        )


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    title: str
    requests: tuple[Request, ...]
    graphs: tuple[tuple[Path, str], ...] = ()

    @property
    def kind(self) -> str:
        """query, update, or bad-request (the bad_query_* and bad_update_* tests)."""
        if self.name.startswith("bad_"):
            return "bad-request"
        return "update" if self.name.startswith("update_") else "query"


@dataclass
class Outcome:
    test: ProtocolTest
    passed: bool
    detail: str
    statuses: list[int] = field(default_factory=list)


def load_manifest(path: Path = MANIFEST) -> list[ProtocolTest]:
    """Every test of the manifest, in its order (`mf:entries`)."""
    graph = Graph()
    graph.parse(path, format="turtle", publicID=path.as_uri())
    manifest = next(graph.subjects(MF.entries, None))
    entries = Collection(graph, graph.value(manifest, MF.entries))
    tests = []
    for entry in entries:
        action = graph.value(entry, MF.action)
        requests = tuple(
            _request(graph, node) for node in Collection(graph, graph.value(action, HT.requests))
        )
        graphs = tuple(
            (
                Path(str(graph.value(data, UT.graph)).removeprefix("file://")),
                str(graph.value(data, RDFS.label)),
            )
            for data in graph.objects(entry, UT.graphData)
        )
        name = str(entry).rsplit("#", 1)[-1]
        tests.append(ProtocolTest(name, str(graph.value(entry, MF.name)), requests, graphs))
    return tests


def _request(graph: Graph, node: URIRef) -> Request:
    headers = []
    header_list = graph.value(node, HT.headers)
    if header_list is not None:
        for header in Collection(graph, header_list):
            headers.append(
                (str(graph.value(header, HT.fieldName)), str(graph.value(header, HT.fieldValue)))
            )
    body = None
    body_node = graph.value(node, HT.body)
    if body_node is not None:
        encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(body_node, CNT.chars)).encode(encoding)
    response = graph.value(node, HT.resp)
    statuses = frozenset(
        int(m.group(1))
        for status in graph.objects(response, MF.expectedStatus)
        if (m := re.search(r"StatusCode([1-5])xx$", str(status)))
    )
    result = graph.value(response, MF.expectedFormat)
    boolean = graph.value(response, MF.expectedBoolean)
    if result is not None and str(result) not in RESULT_KINDS:
        raise ValueError(f"unknown mf:expectedFormat {result}")
    return Request(
        method=str(graph.value(node, HT.methodName)),
        path=str(graph.value(node, HT.absolutePath)),
        headers=tuple(headers),
        body=body,
        expect=Expectation(
            statuses,
            str(result) if result is not None else None,
            None if boolean is None else bool(boolean.toPython()),
        ),
    )


# --- running ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A server under test: where its query (and update) operations are."""

    name: str
    url: str  # http://host:port
    query_path: str
    update_path: str
    read_only: bool = True


def run_test(test: ProtocolTest, target: Target) -> Outcome:
    statuses = []
    for number, req in enumerate(test.requests, 1):
        path = req.path.replace(
            "/sparql/", target.update_path if req.is_update else target.query_path, 1
        )
        status, content_type, body = send(target.url, req.method, path, req.headers, req.body)
        statuses.append(status)
        where = f"request {number} ({req.method} {path[:60]})"
        if test.kind == "update" and target.read_only and req.is_update:
            text = body.decode("utf-8", "replace")
            if status != 403 or "read-only" not in text:
                return Outcome(
                    test,
                    False,
                    f"{where}: {status} {text.strip()[:120]!r}, "
                    "expected 403 saying the endpoint is read-only",
                    statuses,
                )
            return Outcome(test, True, "refused: 403, read-only", statuses)
        if status // 100 not in req.expect.statuses:
            wanted = "/".join(f"{c}xx" for c in sorted(req.expect.statuses))
            return Outcome(
                test,
                False,
                f"{where}: status {status}, expected {wanted}: "
                f"{body.decode('utf-8', 'replace').strip()[:160]}",
                statuses,
            )
        problem = check_result(req.expect, content_type, body)
        if problem:
            return Outcome(test, False, f"{where}: {problem}", statuses)
    return Outcome(test, True, "", statuses)


def send(
    url: str,
    method: str,
    path: str,
    headers: tuple[tuple[str, str], ...],
    body: bytes | None,
    timeout: float = 60,
) -> tuple[int, str, bytes]:
    """One request exactly as the manifest gives it (no headers added but Host and
    Content-Length); (status, media type, body)."""
    host = url.removeprefix("http://")
    conn = http.client.HTTPConnection(host, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        if body is not None or method in ("POST", "PUT"):
            conn.putheader("Content-Length", str(len(body or b"")))
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        media = (resp.getheader("Content-Type") or "").split(";")[0].strip().lower()
        return resp.status, media, data
    finally:
        conn.close()


def check_result(expect: Expectation, media: str, body: bytes) -> str | None:
    """Why the body is not the result the manifest expects (None: it is)."""
    if expect.result is None and expect.boolean is None:
        return None
    if expect.result == "RDF":
        rdf = ox.RdfFormat.from_media_type(media)
        if rdf is None:
            return f"{media or 'no content type'} is not an RDF format"
        try:
            list(ox.parse(body, rdf))
        except SyntaxError as exc:
            return f"the body is not {rdf.name}: {exc}"
        return None
    if media == "text/csv":  # Oxigraph reads no CSV results: a header line is a table
        rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
        if expect.result == "tabular" and rows:
            return None
        value = rows[0][0].strip().lower() if rows and rows[0] else ""
        if value not in ("true", "false"):
            return f"the CSV body is not a {expect.result} result"
        return _check_boolean(expect, value == "true") if expect.result == "boolean" else None
    fmt = ox.QueryResultsFormat.from_media_type(media)
    if fmt is None or media not in (
        fmt.media_type.split(";")[0],
        "application/json",
        "application/xml",
    ):
        return f"{media or 'no content type'} is not a SPARQL results format"
    try:
        parsed: object = ox.parse_query_results(body, fmt)
    except (SyntaxError, ValueError) as exc:
        return f"the body is not {fmt.name} results: {exc}"
    if expect.result == "boolean" or expect.boolean is not None:
        if not isinstance(parsed, ox.QueryBoolean):
            return f"expected a boolean result, got {type(parsed).__name__}"
        return _check_boolean(expect, bool(parsed))
    if expect.result == "tabular" and not isinstance(parsed, ox.QuerySolutions):
        return f"expected a table of results, got {type(parsed).__name__}"
    return None


def _check_boolean(expect: Expectation, value: bool) -> str | None:
    if expect.boolean is not None and value != expect.boolean:
        return f"the answer is {str(value).lower()}, expected {str(expect.boolean).lower()}"
    return None


def run_all(tests: list[ProtocolTest], target: Target) -> list[Outcome]:
    return [run_test(test, target) for test in tests]


# --- the servers ------------------------------------------------------------------------------


def build_store(tests: list[ProtocolTest], path: Path) -> Path:
    """A store holding every graph the tests name, each in the named graph of its label."""
    store = ox.Store(str(path))
    seen = set()
    for test in tests:
        for file, label in test.graphs:
            if (file, label) in seen:
                continue
            seen.add((file, label))
            store.load(path=str(file), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(label))
    store.flush()
    del store
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def kg_serve(store: Path, workers: int = 2) -> Iterator[Target]:
    """`kg serve` on the store, as users run it (a subprocess)."""
    command = [
        sys.executable,
        "-m",
        "kg",
        "serve",
        "--port",
        "0",
        "--store",
        str(store),
        "--workers",
        str(workers),
        "--quiet",
    ]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)  # noqa: S603
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"serving (http://[0-9.:]+)/", line)
        if not match:
            raise RuntimeError(f"kg serve did not start: {line}{proc.stderr.read()}")
        yield Target("kg serve", match.group(1), "/sparql/", "/sparql/")
    finally:
        stop(proc)


@contextmanager
def oxigraph_serve(store: Path) -> Iterator[Target]:
    """`oxigraph serve-read-only` on the store (the oxigraph command of the test extra)."""
    exe = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    port = free_port()
    proc = subprocess.Popen(
        [
            exe,
            "serve-read-only",
            "--location",
            str(store),  # noqa: S603
            "--bind",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("oxigraph serve-read-only did not start") from None
                time.sleep(0.1)
        yield Target("oxigraph serve-read-only", url, "/query", "/update")
    finally:
        stop(proc)


def table(tests: list[ProtocolTest], results: dict[str, list[Outcome]]) -> str:
    """A Markdown table: one row per test, one column per server."""
    names = list(results)
    lines = ["| test | kind | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for i, test in enumerate(tests):
        cells = []
        for name in names:
            outcome = results[name][i]
            got = ", ".join(map(str, outcome.statuses))
            if outcome.passed:
                cells.append(f"pass ({outcome.detail or got})")
            else:
                cells.append(f"**fail** ({outcome.detail[:90]})".replace("|", "\\|"))
        lines.append(f"| {test.name} | {test.kind} | " + " | ".join(cells) + " |")
    totals = []
    for name in names:
        passed = sum(o.passed for o in results[name])
        totals.append(f"{passed}/{len(results[name])}")
    lines.append("| **passed** | | " + " | ".join(totals) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=["kg", "oxigraph", "both"], default="both")
    args = parser.parse_args(argv)
    tests = load_manifest()
    results: dict[str, list[Outcome]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.server in ("kg", "both"):
            with kg_serve(build_store(tests, Path(tmp) / "kg")) as target:
                results[target.name] = run_all(tests, target)
        if args.server in ("oxigraph", "both"):
            with oxigraph_serve(build_store(tests, Path(tmp) / "oxigraph")) as target:
                results[target.name] = run_all(tests, target)
    print(table(tests, results), end="")
    return 0 if all(o.passed for outcomes in results.values() for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
