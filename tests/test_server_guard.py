"""What the endpoint checks before a query runs (kg.server.guard), and content negotiation
(kg.server.formats). No server here: these are plain functions.

The SERVICE check is tested against Oxigraph itself: a store with a few triples runs each
query, and a query that made Oxigraph attempt a SERVICE call (to 127.0.0.1 port 9, which
Oxigraph refuses to contact, so nothing leaves the machine) must have been flagged.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.server.formats import HTML, RDF_FORMATS, RESULTS_FORMATS, choose, negotiate
from kg.server.guard import QueryRefused, check_query, inspect, parse_term

TARGET = "<http://127.0.0.1:9/sparql>"
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture(scope="module")
def probe_store() -> ox.Store:
    store = ox.Store()
    s, p = ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p")
    for o in (
        ox.Literal("1", datatype=ox.NamedNode(XSD + "integer")),
        ox.Literal("1.0", datatype=ox.NamedNode(XSD + "decimal")),
        ox.Literal("1e0", datatype=ox.NamedNode(XSD + "double")),
        ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")),
        ox.Literal("false", datatype=ox.NamedNode(XSD + "boolean")),
        ox.Literal("x"),
        ox.Literal("x", language="en"),
        ox.NamedNode("http://example.org/o"),
        ox.BlankNode("b"),
    ):
        store.add(ox.Quad(s, p, o, ox.NamedNode("http://example.org/g")))
    return store


def attempts_service(store: ox.Store, query: str) -> bool:
    """Did Oxigraph try to call the SERVICE? (Its HTTP client refuses port 9: OSError.)"""
    try:
        result = store.query(query, use_default_graph_as_union=True)
        if not isinstance(result, ox.QueryBoolean):
            list(result)
    except OSError:
        return True
    except (SyntaxError, RuntimeError):
        return False
    return False


# Measured with pyoxigraph 0.5: each of these runs a SERVICE clause (no space is needed
# between a term and the keyword), so each must be refused.
SERVICE_QUERIES = [
    f"SELECT * WHERE {{ SERVICE {TARGET} {{ }} }}",
    f"select * where {{ service {TARGET} {{ }} }}",
    f"SELECT * WHERE {{ SERVICE{TARGET}{{}} }}",
    f"SELECT * WHERE {{ ?s ?p 1SERVICE {TARGET} {{ }} }}",
    f"SELECT * WHERE {{ ?s ?p trueSERVICE {TARGET} {{ }} }}",
    f"SELECT * WHERE {{ ?s ?p ?o .SERVICE {TARGET} {{ }} }}",
    f"SELECT * WHERE {{ ?s ?p ?o.SERVICE {TARGET} {{ }} }}",
    f'SELECT * WHERE {{ ?s ?p "x"SERVICE {TARGET} {{ }} }}',
    f"SELECT * WHERE {{ ?s ?p <http://example.org/o>SERVICE {TARGET} {{ }} }}",
    f"SELECT * WHERE {{ ?s ?p []SERVICE {TARGET} {{ }} }}",
    f"SELECT * WHERE {{ OPTIONAL{{}}SERVICE {TARGET} {{ }} }}",
    f"SELECT * WHERE {{ ?s ?p ?o FILTER(1)SERVICE {TARGET} {{ }} }}",
    f"SELECT * WHERE {{ ?s ?p +1SERVICE {TARGET} {{ }} }}",
    f"SELECT * WHERE {{ ?s ?p ?o . ?s ?p 1.SERVICE {TARGET} {{ }} }}",
    f"SELECT * WHERE {{ ?s ?p ?o BIND(1 AS ?x)SERVICE {TARGET} {{ }} }}",
    f"SELECT * WHERE {{ ?s ?p ?o ; <http://example.org/p>?o.SERVICE {TARGET} {{ }} }}",
    f"SELECT * WHERE {{ ?s ?p ?o # comment\nSERVICE {TARGET} {{ }} }}",
    f"ASK {{ SERVICE {TARGET} {{ }} }}",
    f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE {TARGET} {{ ?s ?p ?o }} }}",
]
# Refused too, although Oxigraph would not run them (conservative on purpose).
ALSO_REFUSED = [
    f"SELECT * WHERE {{ SERVICE SILENT {TARGET} {{ }} }}",
    f"SELECT * WHERE {{ \\u0053ERVICE {TARGET} {{ }} }}",
    "SELECT * WHERE { BIND(<http://127.0.0.1:9/> AS ?x) SERVICE ?x { } }",
    f"PREFIX ex: <http://example.org/> SELECT * WHERE {{ ex:a.SERVICE {TARGET} {{ }} }}",
]
SAFE_QUERIES = [
    "SELECT ?service WHERE { ?service ?p ?o }",
    "SELECT ?x_service $SERVICE WHERE { ?x_service ?p $SERVICE }",
    "PREFIX service: <http://example.org/> SELECT * WHERE { ?s service:p ?o }",
    "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ex:service ex:healthService }",
    'SELECT * WHERE { ?s ?p "SERVICE <http://127.0.0.1:9/> {}" }',
    "SELECT * WHERE { ?s ?p '''a\nSERVICE <http://127.0.0.1:9/> {}''' }",
    "SELECT * WHERE { ?s ?p <http://example.org/SERVICE> } # SERVICE <x> {}",
    'SELECT * WHERE { ?s ?p "x"@service }',
    "SELECT * WHERE { ?s ?p _:service }",
]


@pytest.mark.parametrize("query", SERVICE_QUERIES)
def test_service_queries_are_run_by_oxigraph_and_refused(probe_store: ox.Store, query: str) -> None:
    assert attempts_service(probe_store, query), "the probe no longer reaches SERVICE"
    assert inspect(query).has_service
    with pytest.raises(QueryRefused) as refused:
        check_query(query)
    assert refused.value.status == 403
    assert "SERVICE" in str(refused.value)


@pytest.mark.parametrize("query", ALSO_REFUSED)
def test_service_lookalikes_are_refused(query: str) -> None:
    assert inspect(query).has_service


@pytest.mark.parametrize("query", SAFE_QUERIES)
def test_words_that_are_not_the_keyword_pass(probe_store: ox.Store, query: str) -> None:
    assert not inspect(query).has_service
    assert not attempts_service(probe_store, query)
    check_query(query)


_BEFORE = st.sampled_from([
    "", "?o", "?o ", "1", "1.", "+1", "-1", "1.0", "1e0", "true", "false", '"x"', '"x"@en',
    "<http://example.org/o>", "[]", "_:b", ")", "}", ".", ";", ",", "?o .", "?o ;",
])
_SEP = st.sampled_from(["", " ", "\t", "\n", ".", " . ", "#c\n", ";"])
_KEYWORD = st.sampled_from(["SERVICE", "service", "Service", "sErViCe"])
_AFTER = st.sampled_from(["", " SILENT"])
_LEFT = st.sampled_from(["?s ?p ", "?s ?p ?o . ?s ?p ", "OPTIONAL { ?s ?p ?o } ", ""])


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(left=_LEFT, before=_BEFORE, sep=_SEP, keyword=_KEYWORD, after=_AFTER)
def test_whatever_oxigraph_runs_as_service_is_flagged(
    probe_store: ox.Store, left: str, before: str, sep: str, keyword: str, after: str
) -> None:
    query = f"SELECT * WHERE {{ {left}{before}{sep}{keyword}{after} {TARGET} {{ }} }}"
    if attempts_service(probe_store, query):
        assert inspect(query).has_service, query


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { <http://a> <http://b> <http://c> }",
        "PREFIX ex: <http://example.org/>\nDELETE WHERE { ?s ex:p ?o }",
        "BASE <http://example.org/> PREFIX : <x#> insert { ?s :p 1 } where { ?s ?p ?o }",
        "# a comment\nLOAD <http://example.org/data.ttl>",
        "CLEAR ALL",
        "DROP GRAPH <http://example.org/g>",
        "CREATE GRAPH <http://example.org/g>",
        "COPY DEFAULT TO <http://example.org/g>",
        "MOVE <http://example.org/a> TO <http://example.org/b>",
        "ADD <http://example.org/a> TO <http://example.org/b>",
        "WITH <http://example.org/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "prefix ex:<http://example.org/>insertdata{}",
    ],
)
def test_updates_are_refused_with_a_clear_message(text: str) -> None:
    assert inspect(text).is_update
    with pytest.raises(QueryRefused) as refused:
        check_query(text)
    assert refused.value.status == 400
    assert "read-only" in str(refused.value)


@pytest.mark.parametrize(
    "text",
    [
        'SELECT * WHERE { ?s ?p "INSERT DATA" }',
        "# DELETE WHERE { ?s ?p ?o }\nASK { }",
        "PREFIX insert: <http://example.org/> SELECT * WHERE { ?s insert:p ?o }",
        "DESCRIBE <http://example.org/load>",
    ],
)
def test_queries_mentioning_update_words_are_queries(text: str) -> None:
    assert not inspect(text).is_update


def test_from_clauses_are_seen() -> None:
    assert inspect("SELECT * FROM <http://g> WHERE { ?s ?p ?o }").has_from
    assert inspect("SELECT * FROM NAMED <http://g> WHERE { GRAPH ?g { ?s ?p ?o } }").has_from
    assert not inspect('SELECT ?from WHERE { ?from ?p "FROM" }').has_from


def test_empty_query_is_a_bad_request() -> None:
    with pytest.raises(QueryRefused) as refused:
        check_query("  \n")
    assert refused.value.status == 400


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"Mopti"', ox.Literal("Mopti")),
        ('"2023"^^<http://www.w3.org/2001/XMLSchema#gYear>',
         ox.Literal("2023", datatype=ox.NamedNode(XSD + "gYear"))),
        ('"Tombouctou"@fr', ox.Literal("Tombouctou", language="fr")),
        ("<https://w3id.org/humanitarian-kg/id/place/ml>",
         ox.NamedNode("https://w3id.org/humanitarian-kg/id/place/ml")),
        ('"say \\"hi\\""', ox.Literal('say "hi"')),
    ],
)
def test_binding_values_are_ntriples_terms(text: str, expected: object) -> None:
    assert parse_term(text) == expected


@pytest.mark.parametrize(
    "text",
    ["Mopti", '"a" . <http://x> <http://y> "b"', "<not an iri", "", '"open'],
)
def test_bad_binding_values_are_refused(text: str) -> None:
    with pytest.raises(QueryRefused):
        parse_term(text)


# --- content negotiation -------------------------------------------------------------------

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
SPARQLWRAPPER_JSON = ("application/sparql-results+json,application/json,text/javascript,"
                      "application/javascript")
RDFLIB_XML = "application/sparql-results+xml, application/rdf+xml"


@pytest.mark.parametrize(
    ("accept", "offers", "expected"),
    [
        (None, RESULTS_FORMATS, "json"),
        ("", RESULTS_FORMATS, "json"),
        ("*/*", RESULTS_FORMATS, "json"),
        ("application/sparql-results+xml", RESULTS_FORMATS, "xml"),
        ("text/csv", RESULTS_FORMATS, "csv"),
        ("text/tab-separated-values", RESULTS_FORMATS, "tsv"),
        ("text/csv;q=0.5, text/tab-separated-values", RESULTS_FORMATS, "tsv"),
        (SPARQLWRAPPER_JSON, RESULTS_FORMATS, "json"),
        (RDFLIB_XML, RESULTS_FORMATS, "xml"),
        (RDFLIB_XML, RDF_FORMATS, "rdfxml"),
        ("text/turtle", RDF_FORMATS, "ttl"),
        ("application/n-triples", RDF_FORMATS, "nt"),
        ("application/ld+json", RDF_FORMATS, "jsonld"),
        ("application/rdf+xml", RDF_FORMATS, "rdfxml"),
        ("text/*", RDF_FORMATS, "ttl"),
        (BROWSER, (RDF_FORMATS[0], HTML, *RDF_FORMATS[1:]), "html"),
        ("*/*", (RDF_FORMATS[0], HTML, *RDF_FORMATS[1:]), "ttl"),
        ("text/html;q=0, */*", (HTML, *RDF_FORMATS), "ttl"),
    ],
)
def test_negotiation(accept: str | None, offers: tuple, expected: str) -> None:  # type: ignore[type-arg]
    fmt = negotiate(accept, offers)
    assert fmt is not None and fmt.name == expected


def test_unacceptable_falls_back_to_the_default_and_format_parameter_wins() -> None:
    assert negotiate("image/png", RESULTS_FORMATS) is None
    assert choose("image/png", None, RESULTS_FORMATS).name == "json"
    assert choose("application/sparql-results+json", "csv", RESULTS_FORMATS).name == "csv"
    assert choose(None, "text/turtle", RDF_FORMATS).name == "ttl"
    assert choose(None, "xml", RDF_FORMATS).name == "rdfxml"
    assert choose(None, "nonsense", RDF_FORMATS).name == "ttl"
