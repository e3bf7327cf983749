"""Real SPARQL clients, unmodified, against `kg serve`: SPARQLWrapper and rdflib's
SPARQLStore run every named query and get the rows `kg query` gives (kg.query.named.run_query);
and, against `kg serve` running as its own process, SPARQLWrapper in every return format,
rdflib's SPARQLStore over the result cap (with the documented paging), and curl's content
negotiation.

A named query's parameters travel as request parameters `$param_<name>=<N-Triples term>`
(the endpoint binds them; nothing is pasted into the query text). Both clients pass extra
request parameters through their own documented options: SPARQLWrapper's `addParameter`,
and the keyword arguments of rdflib's SPARQLStore (`params=`), which it adds to each request.
The `?param_…` columns a named query projects come back unbound and are dropped, as
`kg query` drops them.
"""

from __future__ import annotations

import shutil
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore

from kg.query.named import NamedQuery, run_query
from kg.store import open_store
from server_support import (
    Running,
    bindings_for,
    kg_serve_process,
    params_for,
    runnable_queries,
    running_server,
    seed_store,
)

SPARQLWrapper = pytest.importorskip("SPARQLWrapper")

QUERIES = runnable_queries()
# Each client also runs these with its other request method (cheap queries: the file stays fast).
BOTH_METHODS = {"who-what-where", "organisations-in", "partnerships"}
Rows = list[tuple[str | None, ...]]


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_store(tmp_path_factory)


@pytest.fixture(scope="module")
def server(store_path: Path) -> Iterator[Running]:
    with running_server(store_path, timeout=30.0, workers=2) as running:
        yield running


@pytest.fixture(scope="module")
def store(store_path: Path) -> ox.Store:
    return open_store(store_path)


@pytest.fixture(scope="module")
def kg_query_rows(store: ox.Store) -> dict[str, tuple[list[str], Rows]]:
    """What `kg query NAME` gives, computed once per query (on demand)."""
    return {}


def expected(
    cache: dict[str, tuple[list[str], Rows]], store: ox.Store, query: NamedQuery
) -> tuple[list[str], Rows]:
    if query.name not in cache:
        result = run_query(store, query, params_for(query))
        cache[query.name] = (result.columns, result.rows)
    return cache[query.name]


def cases(default: str, other: str) -> list[object]:
    return [
        pytest.param(q, method, id=f"{q.name}-{method}")
        for q in QUERIES
        for method in ([default, other] if q.name in BOTH_METHODS else [default])
    ]


def test_every_competency_question_has_a_named_query() -> None:
    names = {q.name for q in QUERIES}
    assert {
        "who-what-where",
        "organisations-in",
        "overlaps",
        "gaps",
        "outcomes",
        "totals",
        "partnerships",
        "provenance",
        "context",
    } <= names


@pytest.mark.parametrize(("query", "method"), cases("GET", "POST"))
def test_sparqlwrapper_gets_the_rows_of_kg_query(
    server: Running,
    store: ox.Store,
    kg_query_rows: dict,
    query: NamedQuery,
    method: str,  # type: ignore[type-arg]
) -> None:
    columns, rows = expected(kg_query_rows, store, query)
    client = SPARQLWrapper.SPARQLWrapper(server.sparql)
    client.setQuery(query.text)
    client.setMethod(SPARQLWrapper.POST if method == "POST" else SPARQLWrapper.GET)
    client.setReturnFormat(SPARQLWrapper.JSON if method == "GET" else SPARQLWrapper.XML)
    for name, term in bindings_for(query, params_for(query)).items():
        client.addParameter(name, term)
    result = client.query()
    if method == "GET":
        data = result.convert()
        assert isinstance(data, dict)
        got_columns = [v for v in data["head"]["vars"] if not v.startswith("param_")]
        got = [
            tuple(b[c]["value"] if c in b else None for c in got_columns)
            for b in data["results"]["bindings"]
        ]
    else:  # SPARQL XML results, read with SPARQLWrapper's own DOM parser
        document = result.convert()
        names = [v.getAttribute("name") for v in document.getElementsByTagName("variable")]
        got_columns = [n for n in names if not n.startswith("param_")]
        got = []
        for solution in document.getElementsByTagName("result"):
            values: dict[str, str] = {}
            for binding in solution.getElementsByTagName("binding"):
                node = next(n for n in binding.childNodes if n.nodeType == n.ELEMENT_NODE)
                values[binding.getAttribute("name")] = "".join(
                    t.data for t in node.childNodes if t.nodeType == t.TEXT_NODE
                )
            got.append(tuple(values.get(c) for c in got_columns))
    assert got_columns == columns
    assert got == rows


def _text(term: object) -> str | None:
    if term is None:
        return None
    if isinstance(term, BNode):
        return f"_:{term}"
    assert isinstance(term, URIRef | Literal)
    return str(term)


@pytest.mark.parametrize(("query", "method"), cases("POST_FORM", "GET"))
def test_rdflib_sparqlstore_gets_the_rows_of_kg_query(
    server: Running,
    store: ox.Store,
    kg_query_rows: dict,
    query: NamedQuery,
    method: str,  # type: ignore[type-arg]
) -> None:
    columns, rows = expected(kg_query_rows, store, query)
    remote = SPARQLStore(
        server.sparql, method=method, params=bindings_for(query, params_for(query))
    )
    result = remote.query(query.text)
    got_columns = [str(v) for v in result.vars or [] if not str(v).startswith("param_")]
    got = [tuple(_text(row[c]) for c in got_columns) for row in result]  # type: ignore[index]
    assert got_columns == columns
    assert got == rows


def test_rdflib_sparqlstore_construct(server: Running, store: ox.Store) -> None:
    query = (
        "PREFIX hkg: <https://w3id.org/humanitarian-kg/ontology#> "
        "CONSTRUCT { ?o hkg:acronym ?a } WHERE { ?o hkg:acronym ?a }"
    )
    remote = SPARQLStore(server.sparql, returnFormat="xml")
    graph = remote.query(query).graph
    assert graph is not None
    local = {
        (str(t.subject.value), str(t.object.value))
        for t in store.query(query, use_default_graph_as_union=True)
    }
    assert {(str(s), str(o)) for s, _p, o in graph} == local


# --- against `kg serve` running as its own process ---------------------------------------------

CAP = 1000
HKG = "https://w3id.org/humanitarian-kg/ontology#"
SELECT = f"SELECT ?s ?label WHERE {{ ?s a <{HKG}Sector> ; <http://www.w3.org/2000/01/rdf-schema#label> ?label }} ORDER BY ?s"  # noqa: E501
ASK = f"ASK {{ ?s a <{HKG}Organisation> }}"
CONSTRUCT = f"CONSTRUCT {{ ?o <{HKG}acronym> ?a }} WHERE {{ ?o <{HKG}acronym> ?a }}"
DESCRIBE = "DESCRIBE <https://w3id.org/humanitarian-kg/id/org/msf>"


@pytest.fixture(scope="module")
def process(store_path: Path) -> Iterator[str]:
    """`kg serve --max-results 1000` as users run it: its SPARQL endpoint's URL."""
    with kg_serve_process(store_path, "--max-results", str(CAP), "--workers", "2") as url:
        yield url + "/sparql"


def _wrapper(url: str, query: str, fmt: str) -> tuple[str, object]:
    client = SPARQLWrapper.SPARQLWrapper(url)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # its note on sending Accept: */*
        result = client.query()
        media = str(result.info()["content-type"]).split(";")[0]
        return media, result.convert()


@pytest.mark.parametrize(
    ("name", "media"),
    [
        ("JSON", "application/sparql-results+json"),
        ("XML", "application/sparql-results+xml"),
        ("CSV", "text/csv"),
        ("TSV", "text/tab-separated-values"),
    ],
)
def test_sparqlwrapper_select_and_ask_in_every_format(
    process: str, store: ox.Store, name: str, media: str
) -> None:
    """Issue 20: TSV (and RDF/XML, JSON-LD below) failed: SPARQLWrapper sends `format` twice."""
    fmt = getattr(SPARQLWrapper, name)
    got_media, converted = _wrapper(process, SELECT, fmt)
    assert got_media == media
    labels = {str(r["label"].value) for r in store.query(SELECT, use_default_graph_as_union=True)}
    text = (
        converted.toxml()
        if name == "XML"
        else (  # type: ignore[attr-defined]
            converted if isinstance(converted, bytes) else str(converted).encode()
        ).decode()
    )
    assert all(label in text for label in labels)
    ask_media, answer = _wrapper(process, ASK, fmt)
    assert ask_media == media
    if name == "JSON":
        assert answer == {"head": {}, "boolean": True}


@pytest.mark.parametrize(
    ("name", "media"),
    [
        ("TURTLE", "text/turtle"),
        ("N3", "text/turtle"),
        ("RDF", "application/rdf+xml"),
        ("RDFXML", "application/rdf+xml"),
        ("XML", "application/rdf+xml"),
        ("JSONLD", "application/ld+json"),
        ("JSON", "application/ld+json"),
    ],
)
def test_sparqlwrapper_construct_and_describe_in_every_format(
    process: str, store: ox.Store, name: str, media: str
) -> None:
    fmt = getattr(SPARQLWrapper, name)
    expected = {
        (str(t.subject.value), str(t.object.value))
        for t in store.query(CONSTRUCT, use_default_graph_as_union=True)
    }
    for query in (CONSTRUCT, DESCRIBE):
        got_media, converted = _wrapper(process, query, fmt)
        assert got_media == media, (query, name)
        graph = (
            converted
            if isinstance(converted, Graph)
            else Graph().parse(data=converted, format="turtle")
        )  # type: ignore[arg-type]
        if query is CONSTRUCT:
            assert {(str(s), str(o)) for s, _p, o in graph} == expected
        else:
            assert (
                URIRef("https://w3id.org/humanitarian-kg/id/org/msf"),
                URIRef(HKG + "acronym"),
                Literal("MSF"),
            ) in graph


@pytest.mark.slow
def test_rdflib_sparqlstore_pages_past_the_result_cap(process: str, store: ox.Store) -> None:
    """Issue 20: `g.triples((None, None, None))` over SPARQLStore meets the cap (422), which
    rdflib reports as a ValueError or an AttributeError. The documented workaround (paging
    with `graph.LIMIT` / `graph.OFFSET`, docs/sparql-endpoint.md) gets every triple."""
    graph = Graph(SPARQLStore(process))
    with pytest.raises((ValueError, AttributeError)):
        list(graph.triples((None, None, None)))
    # the documented workaround, as written there (on rdf:type triples: each page is sorted)
    pattern = (None, RDF.type, None)
    triples = []
    page, offset = CAP, 0
    while True:
        graph.LIMIT, graph.OFFSET = page, offset  # type: ignore[attr-defined]
        batch = list(graph.triples(pattern))
        triples += batch
        if len(batch) < page:
            break
        offset += page
    del graph.LIMIT, graph.OFFSET  # type: ignore[attr-defined]
    expected = len(
        list(store.query("SELECT ?s ?o WHERE { ?s a ?o }", use_default_graph_as_union=True))
    )
    assert len(triples) == expected > CAP


CURL = shutil.which("curl")


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
@pytest.mark.parametrize(
    ("accept", "query", "status", "media"),
    [
        (None, SELECT, 200, "application/sparql-results+json"),
        ("*/*", CONSTRUCT, 200, "text/turtle"),
        ("text/csv", SELECT, 200, "text/csv"),
        ("text/tab-separated-values", ASK, 200, "text/tab-separated-values"),
        (
            "application/sparql-results+xml;q=0.5, application/sparql-results+json",
            SELECT,
            200,
            "application/sparql-results+json",
        ),
        ("application/n-triples", CONSTRUCT, 200, "application/n-triples"),
        ("application/ld+json", DESCRIBE, 200, "application/ld+json"),
        ("text/turtle", SELECT, 406, "text/plain"),
        ("image/png", CONSTRUCT, 406, "text/plain"),
    ],
)
def test_curl_content_negotiation(
    process: str, accept: str | None, query: str, status: int, media: str
) -> None:
    command = [
        CURL or "curl",
        "-s",
        "-o",
        "-",
        "-w",
        "\n%{http_code} %{content_type}",
        "--data-urlencode",
        f"query={query}",
        process,
    ]
    if accept is not None:
        command[1:1] = ["-H", f"Accept: {accept}"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    body, _, last = out.stdout.rpartition("\n")
    code, _, content_type = last.partition(" ")
    assert int(code) == status, body
    assert content_type.split(";")[0] == media
