"""Real SPARQL clients, unmodified, against `kg serve`: SPARQLWrapper and rdflib's
SPARQLStore run every named query and get the rows `kg query` gives (kg.query.run_query).

A named query's parameters travel as request parameters `$param_<name>=<N-Triples term>`
(the endpoint binds them; nothing is pasted into the query text). Both clients pass extra
request parameters through their own documented options: SPARQLWrapper's `addParameter`,
and the keyword arguments of rdflib's SPARQLStore (`params=`), which it adds to each request.
The `?param_…` columns a named query projects come back unbound and are dropped, as
`kg query` drops them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore

from kg.query import NamedQuery, run_query
from kg.store import open_store
from server_support import (
    Running,
    bindings_for,
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
    assert {"who-what-where", "organisations-in", "overlaps", "gaps", "outcomes", "totals",
            "partnerships", "provenance", "context"} <= names


@pytest.mark.parametrize(("query", "method"), cases("GET", "POST"))
def test_sparqlwrapper_gets_the_rows_of_kg_query(
    server: Running, store: ox.Store, kg_query_rows: dict, query: NamedQuery, method: str  # type: ignore[type-arg]
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
        got = [tuple(b[c]["value"] if c in b else None for c in got_columns)
               for b in data["results"]["bindings"]]
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
                    t.data for t in node.childNodes if t.nodeType == t.TEXT_NODE)
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
    server: Running, store: ox.Store, kg_query_rows: dict, query: NamedQuery, method: str  # type: ignore[type-arg]
) -> None:
    columns, rows = expected(kg_query_rows, store, query)
    remote = SPARQLStore(server.sparql, method=method,
                         params=bindings_for(query, params_for(query)))
    result = remote.query(query.text)
    got_columns = [str(v) for v in result.vars or [] if not str(v).startswith("param_")]
    got = [tuple(_text(row[c]) for c in got_columns) for row in result]  # type: ignore[index]
    assert got_columns == columns
    assert got == rows


def test_rdflib_sparqlstore_construct(server: Running, store: ox.Store) -> None:
    query = ("PREFIX hkg: <https://w3id.org/humanitarian-kg/ontology#> "
             "CONSTRUCT { ?o hkg:acronym ?a } WHERE { ?o hkg:acronym ?a }")
    remote = SPARQLStore(server.sparql, returnFormat="xml")
    graph = remote.query(query).graph
    assert graph is not None
    local = {(str(t.subject.value), str(t.object.value))
             for t in store.query(query, use_default_graph_as_union=True)}
    assert {(str(s), str(o)) for s, _p, o in graph} == local
