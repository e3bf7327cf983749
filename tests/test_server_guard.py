"""What the endpoint checks before a query runs (kg.server.guard), the network sandbox of the
query workers (kg.server.sandbox), and content negotiation (kg.server.formats). No server
here: these are plain functions and subprocesses.

The SERVICE check is tested against Oxigraph itself: a store with a few triples runs each
query, and a query that made Oxigraph attempt a SERVICE call (to 127.0.0.1 port 9, which
Oxigraph refuses to contact, so nothing leaves the machine) must have been refused.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import threading

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.server.formats import HTML, RDF_FORMATS, RESULTS_FORMATS, choose, negotiate
from kg.server.guard import (
    QueryRefused,
    ServiceCheck,
    check_query,
    inspect,
    may_spell_service,
    parse_term,
)
from kg.server.sandbox import deny_network

TARGET = "<http://127.0.0.1:9/sparql>"
XSD = "http://www.w3.org/2001/XMLSchema#"
LINUX = sys.platform.startswith("linux")


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
        ox.Literal('"'),
        ox.Literal("'"),
        ox.Literal("x", language="en"),
        ox.NamedNode("http://example.org/o"),
        ox.NamedNode("http://example.org/a#"),
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


def refused(query: str) -> QueryRefused | None:
    """What the endpoint's SERVICE check says (a fresh check each time: no cached verdict)."""
    try:
        ServiceCheck()(query)
    except QueryRefused as exc:
        return exc
    return None


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
    f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE {TARGET} {{ ?a ?b ?c }} }} }} }}",
    # issue 20: the text guard decoded `\u` escapes before blanking strings, so "\u0022"
    # closed a string for it (not for Oxigraph) and SERVICE looked like string content...
    'SELECT * WHERE { ?s ?p "\\u0022" . SERVICE ' + TARGET + ' { } ?s ?p "\\u0022" }',
    "SELECT * WHERE { ?s ?p '\\u0027' . SERVICE " + TARGET + " { } ?s ?p '\\u0027' }",
    # ... and took the escaped `\#` of a prefixed name for the start of a comment.
    "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ?p ex:a\\# . SERVICE "
    + TARGET
    + " { } }",
]
# Refused too, although Oxigraph would not run them (conservative on purpose).
ALSO_REFUSED = [
    f"SELECT * WHERE {{ SERVICE SILENT {TARGET} {{ }} }}",
    f"SELECT * WHERE {{ \\u0053ERVICE {TARGET} {{ }} }}",
    "SELECT * WHERE { BIND(<http://127.0.0.1:9/> AS ?x) SERVICE ?x { } }",
    # Oxigraph may call out here, but the filter swallows the error, so the probe cannot tell
    f"SELECT * WHERE {{ ?s ?p ?o FILTER NOT EXISTS {{ SERVICE {TARGET} {{ ?s ?p ?x }} }} }}",
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
    'SELECT * WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?o), "health services")) }',
]


@pytest.mark.parametrize("query", SERVICE_QUERIES)
def test_service_queries_are_run_by_oxigraph_and_refused(probe_store: ox.Store, query: str) -> None:
    assert attempts_service(probe_store, query), "the probe no longer reaches SERVICE"
    verdict = refused(query)
    assert verdict is not None, query
    assert verdict.status in (400, 403)  # 400: rdflib cannot parse it, so it cannot run
    assert "SERVICE" in str(verdict)


@pytest.mark.parametrize("query", ALSO_REFUSED)
def test_service_lookalikes_are_refused(query: str) -> None:
    assert refused(query) is not None


@pytest.mark.parametrize("query", SAFE_QUERIES)
def test_words_that_are_not_the_keyword_pass(probe_store: ox.Store, query: str) -> None:
    assert refused(query) is None
    assert not attempts_service(probe_store, query)
    check_query(query)


def test_a_service_clause_is_refused_as_such() -> None:
    verdict = refused(f"SELECT * WHERE {{ ?s ?p ?o SERVICE {TARGET} {{ ?a ?b ?c }} }}")
    assert verdict is not None and verdict.status == 403
    assert "refuses every SERVICE clause" in str(verdict)


def test_only_queries_that_could_spell_the_keyword_are_parsed() -> None:
    assert not may_spell_service("SELECT * WHERE { ?s ?p ?o }")
    for text in (
        "SERVICE",
        "sErViCe",
        "\\u0053ERVICE",
        "\\U00000053ervice",
        "SERV\u0131CE",
        "\u017fervice",
    ):
        assert may_spell_service(f"SELECT * WHERE {{ {text} <x> {{}} }}"), text


def test_verdicts_are_remembered() -> None:
    check = ServiceCheck(size=2)
    query = f"SELECT * WHERE {{ SERVICE {TARGET} {{ }} }}"
    for _ in range(3):
        with pytest.raises(QueryRefused):
            check(query)
    check("SELECT ?service WHERE { ?service ?p ?o }")
    check("SELECT ?Service WHERE { ?Service ?p ?o }")
    assert len(check._verdicts) == 2  # the oldest went


# --- property-based: escapes, comments, IRIs, strings around the keyword --------------------

# Fragments that read differently to a lexer that decodes escapes first, that treats `#`
# as a comment wherever it appears, or that ends strings and IRIs in the wrong place.
_PIECES = [
    "",
    " ",
    "\n",
    ".",
    " . ",
    ";",
    "?s ?p ?o .",
    "?s ?p ",
    "?o",
    "1",
    "true",
    "[]",
    "}",
    "{",
    '"x"',
    "'x'",
    '"\\u0022"',
    "'\\u0027'",
    '"\\""',
    "'\\''",
    '"""',
    "'''",
    '"',
    "'",
    '"\\u0022\\u0022"',
    '"""\\u0022"""',
    "\\u0022",
    "\\u0027",
    "\\u0023",
    "\\u000A",
    "\\u003C",
    "\\u003E",
    "\\u007B",
    "\\u007D",
    "#",
    "# c\n",
    "#\\u000A",
    "\\#",
    "ex:a\\#",
    "ex:a\\#b",
    "ex:a\\#\n",
    "?s ?p ex:a\\# .",
    "?s ex:a\\# ?o .",
    "ex:\\#",
    "<http://example.org/a#>",
    "<http://example.org/\\u003E>",
    "<#>",
    '<http://x/#">',
    "<",
    ">",
    "\\",
    "\\\\",
    "\\u005C",
]
_KEYWORD = st.sampled_from(["SERVICE", "service", "SeRvIcE", "\\u0053ERVICE", "SERVICE SILENT"])
_TAIL = st.sampled_from(
    [
        "",
        " ?s ?p ?o",
        ' ?s ?p "\\u0022"',
        " ?s ?p '\\u0027'",
        "\n",
        " # c",
        ' ?s ?p "x" ',
        ' ?s ?p """x"""',
        " ex:a\\# .",
    ]
)


@settings(
    max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    before=st.lists(st.sampled_from(_PIECES), max_size=4),
    keyword=_KEYWORD,
    after=st.lists(st.sampled_from(_PIECES), max_size=3),
    tail=_TAIL,
)
def test_whatever_oxigraph_runs_as_service_is_refused(
    probe_store: ox.Store, before: list[str], keyword: str, after: list[str], tail: str
) -> None:
    query = (
        "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ?p ?o . "
        f"{''.join(before)} {keyword} {TARGET} {{ }} {''.join(after)}{tail} }}"
    )
    if attempts_service(probe_store, query):
        assert refused(query) is not None, query


_BEFORE = st.sampled_from(
    [
        "",
        "?o",
        "?o ",
        "1",
        "1.",
        "+1",
        "-1",
        "1.0",
        "1e0",
        "true",
        "false",
        '"x"',
        '"x"@en',
        "<http://example.org/o>",
        "[]",
        "_:b",
        ")",
        "}",
        ".",
        ";",
        ",",
        "?o .",
        "?o ;",
    ]
)
_SEP = st.sampled_from(["", " ", "\t", "\n", ".", " . ", "#c\n", ";"])
_LEFT = st.sampled_from(["?s ?p ", "?s ?p ?o . ?s ?p ", "OPTIONAL { ?s ?p ?o } ", ""])


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(left=_LEFT, before=_BEFORE, sep=_SEP, keyword=_KEYWORD)
def test_keyword_glued_to_any_term_is_refused(
    probe_store: ox.Store, left: str, before: str, sep: str, keyword: str
) -> None:
    query = f"SELECT * WHERE {{ {left}{before}{sep}{keyword} {TARGET} {{ }} }}"
    if attempts_service(probe_store, query):
        assert refused(query) is not None, query


# --- the workers' network sandbox -------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not LINUX, reason="the seccomp filter is Linux's")
def test_a_sandboxed_worker_cannot_open_a_connection() -> None:
    """Even with the SERVICE check out of the way, Oxigraph in a worker reaches nobody: a TCP
    listener on loopback sees no connection, and the answer is a 403."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(3)
    port = listener.getsockname()[1]
    connections: list[object] = []

    def accept() -> None:
        try:
            connections.append(listener.accept())
        except OSError:
            pass

    thread = threading.Thread(target=accept)
    thread.start()
    script = textwrap.dedent(f"""
        import socket, pyoxigraph as ox
        from kg.server.guard import ServiceCheck
        from kg.server.sandbox import deny_network
        from kg.server.worker import Job, execute
        assert deny_network() is None
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=2)
            print("connected")
        except OSError as exc:
            print("socket refused:", exc.errno)
        store = ox.Store()
        store.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"),
                          ox.NamedNode("http://e/o")))

        class NoCheck(ServiceCheck):  # as if a query had got past the check
            def __call__(self, text): return None

        query = "SELECT * WHERE {{ ?s ?p ?o SERVICE <http://127.0.0.1:{port}/q> {{ ?a ?b ?c }} }}"
        answer = execute(store, Job(query), NoCheck())
        print(answer.status, answer.body.decode().strip())
        a, b = socket.socketpair()  # the worker's own channel still works
        a.sendall(b"x"); print("socketpair", b.recv(1))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    listener.close()
    thread.join(timeout=5)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "socket refused: 101"
    assert lines[1].startswith("403 federated queries are not allowed")
    assert lines[2] == "socketpair b'x'"
    assert connections == []


@pytest.mark.skipif(not LINUX, reason="the seccomp filter is Linux's")
def test_the_filter_spares_the_process_that_did_not_ask() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import socket; socket.socket(); print('ok')"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.strip() == "ok"
    assert deny_network.__doc__


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
        (
            '"2023"^^<http://www.w3.org/2001/XMLSchema#gYear>',
            ox.Literal("2023", datatype=ox.NamedNode(XSD + "gYear")),
        ),
        ('"Tombouctou"@fr', ox.Literal("Tombouctou", language="fr")),
        (
            "<https://w3id.org/humanitarian-kg/id/place/ml>",
            ox.NamedNode("https://w3id.org/humanitarian-kg/id/place/ml"),
        ),
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
SPARQLWRAPPER_JSON = (
    "application/sparql-results+json,application/json,text/javascript,application/javascript"
)
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


def _name(fmt: object) -> str | None:
    return getattr(fmt, "name", None)


def test_unacceptable_is_none_and_format_parameter_wins() -> None:
    """Issue 20: an Accept that matches nothing is 406 (None here), not the default."""
    assert negotiate("image/png", RESULTS_FORMATS) is None
    assert choose("image/png", None, RESULTS_FORMATS) is None
    assert _name(choose("application/sparql-results+json", "csv", RESULTS_FORMATS)) == "csv"
    assert _name(choose(None, "text/turtle", RDF_FORMATS)) == "ttl"
    assert _name(choose(None, "xml", RDF_FORMATS)) == "rdfxml"
    assert _name(choose(None, "nonsense", RDF_FORMATS)) == "ttl"  # no Accept: anything goes
    assert choose("image/png", "nonsense", RDF_FORMATS) is None


@pytest.mark.parametrize(
    ("formats", "offers", "expected"),
    [
        (("tsv", "text/tab-separated-values"), RESULTS_FORMATS, "tsv"),
        (("rdf+xml", "application/rdf+xml"), RDF_FORMATS, "rdfxml"),
        (("json-ld", "application/ld+json"), RDF_FORMATS, "jsonld"),
        (("nonsense", "csv"), RESULTS_FORMATS, "csv"),
        (("csv", "json"), RESULTS_FORMATS, "csv"),
    ],
)
def test_repeated_format_values_take_the_first_offered(
    formats: tuple[str, ...],
    offers: tuple,
    expected: str,  # type: ignore[type-arg]
) -> None:
    """Issue 20: SPARQLWrapper sends `format` twice (a short name and a media type)."""
    assert _name(choose("*/*", formats, offers)) == expected
