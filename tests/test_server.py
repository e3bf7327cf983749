"""`kg serve`: the SPARQL 1.1 Protocol over HTTP, the linked-data pages and the limits.

The test names follow the W3C SPARQL 1.1 Protocol test cases that apply to a read-only
endpoint (docs/sparql-endpoint.md lists them); the data is the seed corpus, built once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pyoxigraph as ox
import pytest

from kg.query.named import run_query
from kg.store import open_store
from server_support import Response, Running, request, running_server, seed_store

ID = "https://w3id.org/humanitarian-kg/id/"
HKG = "https://w3id.org/humanitarian-kg/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
G_ONTOLOGY = ID + "graph/ontology"
G_REFERENCE = ID + "graph/reference"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DIRECT = {"Content-Type": "application/sparql-query"}
# Never ends on its own: a cartesian product of every triple with every triple, thrice.
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_store(tmp_path_factory)


@pytest.fixture(scope="module")
def server(store_path: Path) -> Iterator[Running]:
    with running_server(store_path, timeout=20.0, workers=2) as running:
        yield running


@pytest.fixture(scope="module")
def strict(store_path: Path) -> Iterator[Running]:
    """A server with small limits: 1.5 s per query, 25 results."""
    with running_server(store_path, timeout=1.5, max_results=25, workers=2) as running:
        yield running


@pytest.fixture(scope="module")
def store(store_path: Path) -> ox.Store:
    return open_store(store_path)


def get(server: Running, query: str, accept: str | None = None, **params: str) -> Response:
    qs = urlencode({"query": query, **params})
    return request(f"{server.sparql}?{qs}", headers={"Accept": accept} if accept else {})


def post_form(
    server: Running, fields: list[tuple[str, str]], accept: str | None = None, url_params: str = ""
) -> Response:
    headers = dict(FORM, **({"Accept": accept} if accept else {}))
    return request(server.sparql + url_params, "POST", urlencode(fields).encode(), headers)


def post_direct(
    server: Running, query: str, url_params: str = "", headers: dict[str, str] | None = None
) -> Response:
    return request(
        server.sparql + url_params, "POST", query.encode(), {**DIRECT, **(headers or {})}
    )


def boolean(resp: Response) -> bool:
    assert resp.status == 200, resp.text
    fmt = ox.QueryResultsFormat.from_media_type(resp.media_type)
    assert fmt is not None, resp.media_type
    value = ox.parse_query_results(resp.body, fmt)
    assert isinstance(value, ox.QueryBoolean)
    return bool(value)


def solutions(resp: Response) -> list[dict[str, str]]:
    """Rows as {variable: value}; unbound variables left out."""
    assert resp.status == 200, resp.text
    if resp.media_type == "text/csv":  # lossy (no term kinds), so Oxigraph will not parse it
        import csv
        import io

        return [
            {k: v for k, v in row.items() if v != ""}
            for row in csv.DictReader(io.StringIO(resp.text, newline=""))
        ]
    fmt = ox.QueryResultsFormat.from_media_type(resp.media_type)
    assert fmt is not None, resp.media_type
    result = ox.parse_query_results(resp.body, fmt)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: str(s[n].value) for n in names if s[n] is not None} for s in result]


def graph(resp: Response) -> set[ox.Triple]:
    assert resp.status == 200, resp.text
    fmt = ox.RdfFormat.from_media_type(resp.media_type)
    assert fmt is not None, resp.media_type
    return {ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(resp.body, fmt)}


# --- W3C SPARQL 1.1 Protocol: positive query tests ----------------------------------------


@pytest.mark.slow
def test_query_get(server: Running) -> None:
    assert boolean(get(server, "ASK {}"))


def test_query_post_form(server: Running) -> None:
    assert boolean(post_form(server, [("query", "ASK {}")]))


def test_query_post_direct(server: Running) -> None:
    assert boolean(post_direct(server, "ASK {}"))


def test_query_dataset_default_graph(server: Running) -> None:
    org = f"ASK {{ <{ID}org/msf> ?p ?o }}"
    sector = f"ASK {{ <{ID}sector/health> a ?type }}"
    params = "?" + urlencode({"default-graph-uri": G_REFERENCE})
    assert boolean(post_direct(server, org, params))
    # sectors live in the ontology (the reference graph only holds their code-list mappings)
    assert not boolean(post_direct(server, sector, params))


def test_query_dataset_default_graphs_get(server: Running) -> None:
    query = f"ASK {{ <{ID}org/msf> ?p ?o . <{ID}sector/health> ?q ?r }}"
    resp = request(
        f"{server.sparql}?"
        + urlencode(
            [
                ("query", query),
                ("default-graph-uri", G_REFERENCE),
                ("default-graph-uri", G_ONTOLOGY),
            ]
        )
    )
    assert boolean(resp)


def test_query_dataset_default_graphs_post(server: Running) -> None:
    query = f"ASK {{ <{ID}org/msf> ?p ?o . <{ID}sector/health> ?q ?r }}"
    resp = post_form(
        server,
        [("query", query), ("default-graph-uri", G_REFERENCE), ("default-graph-uri", G_ONTOLOGY)],
    )
    assert boolean(resp)


def test_query_dataset_named_graphs_post(server: Running) -> None:
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    resp = post_form(
        server,
        [("query", query), ("named-graph-uri", G_REFERENCE), ("named-graph-uri", G_ONTOLOGY)],
    )
    assert {r["g"] for r in solutions(resp)} == {G_REFERENCE, G_ONTOLOGY}


def test_query_dataset_named_graphs_get(server: Running) -> None:
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    resp = request(
        f"{server.sparql}?" + urlencode([("query", query), ("named-graph-uri", G_ONTOLOGY)])
    )
    assert {r["g"] for r in solutions(resp)} == {G_ONTOLOGY}


def test_query_dataset_full(server: Running) -> None:
    query = f"SELECT DISTINCT ?g WHERE {{ <{ID}sector/health> ?y ?o GRAPH ?g {{ ?s ?p ?o2 }} }}"
    params = "?" + urlencode([("default-graph-uri", G_ONTOLOGY), ("named-graph-uri", G_REFERENCE)])
    assert {r["g"] for r in solutions(post_direct(server, query, params))} == {G_REFERENCE}


def test_query_multiple_dataset(server: Running) -> None:
    """The protocol's dataset wins over the query's FROM."""
    query = f"ASK FROM <{G_ONTOLOGY}> {{ <{ID}org/msf> ?p ?o }}"
    assert not boolean(post_direct(server, query))  # the query's own dataset: the ontology
    assert boolean(post_direct(server, query, "?" + urlencode({"default-graph-uri": G_REFERENCE})))


def test_from_is_honoured_instead_of_the_union(server: Running) -> None:
    query = f"SELECT (COUNT(*) AS ?n) FROM <{G_ONTOLOGY}> WHERE {{ ?s ?p ?o }}"  # noqa: S608
    union = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    in_ontology = int(solutions(get(server, query))[0]["n"])
    assert 0 < in_ontology < int(solutions(get(server, union))[0]["n"])


def test_query_content_type_select(server: Running) -> None:
    resp = post_direct(server, "SELECT (1 AS ?value) {}")
    assert resp.media_type == "application/sparql-results+json"
    assert solutions(resp) == [{"value": "1"}]


def test_query_content_type_ask(server: Running) -> None:
    resp = post_direct(server, "ASK {}")
    assert resp.media_type in ("application/sparql-results+json", "application/sparql-results+xml")


def test_query_content_type_describe(server: Running) -> None:
    resp = post_direct(server, f"DESCRIBE <{ID}org/msf>")
    assert resp.media_type == "text/turtle"
    assert ox.Triple(
        ox.NamedNode(ID + "org/msf"), ox.NamedNode(HKG + "acronym"), ox.Literal("MSF")
    ) in graph(resp)


def test_query_content_type_construct(server: Running) -> None:
    """The W3C text as it is: relative IRIs resolve against the request's URL (issue 20: they
    had no base and gave 400; an earlier test had rewritten them as absolute IRIs)."""
    resp = post_direct(server, "CONSTRUCT { <s> <p> 1 } WHERE {}")
    assert resp.status == 200, resp.text
    assert resp.media_type == "text/turtle"
    base = server.url + "/"
    assert graph(resp) == {
        ox.Triple(
            ox.NamedNode(base + "s"),
            ox.NamedNode(base + "p"),
            ox.Literal("1", datatype=ox.NamedNode(XSD + "integer")),
        )
    }
    resp = post_direct(server, "SELECT ?x WHERE { BIND(<x> AS ?x) }", "?format=json")
    assert solutions(resp) == [{"x": base + "x"}]


def test_a_query_base_wins_over_the_request_url(server: Running) -> None:
    resp = post_direct(server, "BASE <http://example.org/a/> SELECT ?x WHERE { BIND(<x> AS ?x) }")
    assert solutions(resp) == [{"x": "http://example.org/a/x"}]


# --- content negotiation -------------------------------------------------------------------

SELECT_SECTORS = (
    "PREFIX hkg: <https://w3id.org/humanitarian-kg/ontology#> "
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    "SELECT ?sector ?label WHERE { ?sector a hkg:Sector ; rdfs:label ?label } ORDER BY ?sector"
)
CONSTRUCT_ORGS = (
    "PREFIX hkg: <https://w3id.org/humanitarian-kg/ontology#> "
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    "CONSTRUCT { ?o rdfs:label ?l ; hkg:acronym ?a } "
    "WHERE { ?o a hkg:Organisation ; rdfs:label ?l . OPTIONAL { ?o hkg:acronym ?a } }"
)


@pytest.mark.parametrize(
    "media",
    [
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ],
)
def test_select_results_in_each_format(server: Running, store: ox.Store, media: str) -> None:
    resp = get(server, SELECT_SECTORS, accept=media)
    assert resp.media_type == media
    assert resp.headers.get("vary") == "Accept"
    expected = run_query(store, SELECT_SECTORS).records()
    assert solutions(resp) == [{k: v for k, v in r.items() if v is not None} for r in expected]


@pytest.mark.parametrize(
    "media", ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"]
)
def test_construct_results_in_each_format(server: Running, store: ox.Store, media: str) -> None:
    resp = post_direct(server, CONSTRUCT_ORGS, headers={"Accept": media})
    assert resp.media_type == media
    expected = set(store.query(CONSTRUCT_ORGS, use_default_graph_as_union=True))
    assert graph(resp) == expected


@pytest.mark.parametrize(
    ("name", "media"),
    [
        ("csv", "text/csv"),
        ("xml", "application/sparql-results+xml"),
        ("tsv", "text/tab-separated-values"),
    ],
)
def test_format_parameter_overrides_accept(server: Running, name: str, media: str) -> None:
    resp = get(server, SELECT_SECTORS, accept="application/sparql-results+json", format=name)
    assert resp.media_type == media


def test_browser_accept_gets_results_not_an_error(server: Running) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert get(server, "ASK {}", accept=browser).status == 200
    assert get(server, f"DESCRIBE <{ID}org/msf>", accept=browser).status == 200


@pytest.mark.parametrize(
    ("query", "formats", "media"),
    [
        (SELECT_SECTORS, ["tsv", "text/tab-separated-values"], "text/tab-separated-values"),
        (SELECT_SECTORS, ["csv", "text/csv"], "text/csv"),
        (CONSTRUCT_ORGS, ["rdf+xml", "application/rdf+xml"], "application/rdf+xml"),
        (CONSTRUCT_ORGS, ["json-ld", "application/ld+json"], "application/ld+json"),
        (CONSTRUCT_ORGS, ["turtle", "turtle"], "text/turtle"),
    ],
)
def test_format_given_twice_as_sparqlwrapper_does(
    server: Running, query: str, formats: list[str], media: str
) -> None:
    """Issue 20: SPARQLWrapper sends `format=tsv&format=text/tab-separated-values`; that was
    400 "format given 2 times"."""
    fields = [("query", query)] + [("format", f) for f in formats] + [("output", formats[0])]
    resp = post_form(server, fields)
    assert resp.status == 200, resp.text
    assert resp.media_type == media


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        ("ASK {}", "image/png"),
        (SELECT_SECTORS, "text/turtle"),
        (CONSTRUCT_ORGS, "application/sparql-results+json"),
        (CONSTRUCT_ORGS, "text/csv, text/html"),
    ],
)
def test_accept_that_matches_nothing_is_406(server: Running, query: str, accept: str) -> None:
    """Issue 20: it fell back to a default format instead."""
    resp = get(server, query, accept=accept)
    assert resp.status == 406
    assert resp.media_type == "text/plain"
    assert "format=" in resp.text and accept.split(",")[0] in resp.text
    assert get(server, query, accept=accept + ", */*;q=0.1").status == 200
    assert request(server.url + "/id/org/msf", headers={"Accept": "image/png"}).status == 406


def test_csv_of_a_named_query_matches_kg_query(server: Running, store: ox.Store) -> None:
    from kg.query.named import load_query

    query = load_query("who-what-where")
    resp = get(server, query.text, accept="text/csv")
    rows = solutions(resp)
    expected = run_query(store, query).records()
    assert [{k: v for k, v in r.items() if not k.startswith("param_")} for r in rows] == [
        {k: v for k, v in r.items() if v is not None} for r in expected
    ]


# --- W3C SPARQL 1.1 Protocol: negative tests -------------------------------------------------


def test_bad_query_method(server: Running) -> None:
    resp = request(f"{server.sparql}?query=ASK%20%7B%7D", "PUT", b"")
    assert resp.status == 405
    assert "GET" in resp.headers["allow"]


def test_bad_multiple_queries(server: Running) -> None:
    resp = request(f"{server.sparql}?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D")
    assert resp.status == 400


def test_bad_query_wrong_media_type(server: Running) -> None:
    resp = request(server.sparql, "POST", b"ASK {}", {"Content-Type": "text/plain"})
    assert resp.status == 415


def test_bad_query_missing_form_type(server: Running) -> None:
    import http.client

    conn = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=30)
    conn.putrequest("POST", "/sparql", skip_accept_encoding=True)
    body = b"query=ASK%20%7B%7D"
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    assert conn.getresponse().status == 415
    conn.close()


def test_bad_query_missing_direct_type(server: Running) -> None:
    import http.client

    conn = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=30)
    conn.putrequest("POST", "/sparql", skip_accept_encoding=True)
    body = b"ASK {}"
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    assert conn.getresponse().status == 415
    conn.close()


def test_bad_query_non_utf8(server: Running) -> None:
    resp = request(
        server.sparql,
        "POST",
        "ASK {}".encode("utf-16"),
        {"Content-Type": "application/sparql-query; charset=UTF-16"},
    )
    assert resp.status == 415
    resp = request(server.sparql, "POST", "ASK { ?s ?p 'é' }".encode("latin-1"), DIRECT)
    assert resp.status == 400


def test_bad_query_syntax(server: Running) -> None:
    resp = request(f"{server.sparql}?query=ASK%20%7B")
    assert resp.status == 400
    assert resp.text.startswith("malformed query: error at 1:")  # the parser's own message


@pytest.mark.parametrize(
    "req",
    [
        pytest.param(("GET", "?update=CLEAR%20ALL", None, {}), id="bad_update_get"),
        pytest.param(
            ("POST", "", b"update=CLEAR%20NAMED&update=CLEAR%20DEFAULT", FORM),
            id="bad_multiple_updates",
        ),
        pytest.param(
            ("POST", "", b"CLEAR NAMED", {"Content-Type": "text/plain"}),
            id="bad_update_wrong_media_type",
        ),
        pytest.param(("POST", "", b"update=CLEAR%20NAMED", {}), id="bad_update_missing_form_type"),
        pytest.param(
            (
                "POST",
                "",
                "CLEAR NAMED".encode("utf-16"),
                {"Content-Type": "application/sparql-update; charset=UTF-16"},
            ),
            id="bad_update_non_utf8",
        ),
        pytest.param(("POST", "", b"update=CLEAR%20XYZ", FORM), id="bad_update_syntax"),
        pytest.param(
            (
                "POST",
                "",
                b"using-named-graph-uri=http%3A%2F%2Fexample%2Fpeople&update="
                b"WITH%20%3Chttp%3A%2F%2Fexample%2Fa%3E%20DELETE%20%7B%20%3Fs%20%3Fp%20%3Fo"
                b"%20%7D%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D",
                FORM,
            ),
            id="bad_update_dataset_conflict",
        ),
        pytest.param(("POST", "", b"update=CLEAR%20ALL", FORM), id="update_post_form"),
        pytest.param(
            ("POST", "", b"CLEAR ALL", {"Content-Type": "application/sparql-update"}),
            id="update_post_direct",
        ),
    ],
)
def test_updates_are_refused(server: Running, store: ox.Store, req: tuple) -> None:  # type: ignore[type-arg]
    method, params, body, headers = req
    before = len(store)
    resp = request(server.sparql + params, method, body, headers)
    assert 400 <= resp.status < 500
    assert len(store) == before


@pytest.mark.parametrize(
    "query",
    [
        "INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }",
        "LOAD <http://127.0.0.1:9/data.ttl>",
        "PREFIX ex: <http://example.org/> DELETE WHERE { ?s ?p ?o }",
    ],
)
def test_updates_sent_as_queries_are_refused_with_a_clear_message(
    server: Running, query: str
) -> None:
    resp = get(server, query)
    assert resp.status == 400
    assert "read-only" in resp.text


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p 1SERVICE <http://127.0.0.1:9/sparql> { } }",
        "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    ],
)
def test_service_is_refused(server: Running, query: str) -> None:
    for resp in (
        get(server, query),
        post_form(server, [("query", query)]),
        post_direct(server, query),
    ):
        assert resp.status in (400, 403)  # 400: rdflib cannot parse it, so it is not run
        assert "SERVICE" in resp.text


# --- limits --------------------------------------------------------------------------------


@pytest.mark.slow
def test_timeout_is_an_error_status_and_does_not_stall_others(strict: Running) -> None:
    statuses: list[int] = []
    slow = threading.Thread(target=lambda: statuses.append(get(strict, SLOW).status))
    started = time.perf_counter()
    slow.start()
    time.sleep(0.2)
    quick = [get(strict, "ASK { ?s ?p ?o }") for _ in range(20)]  # meanwhile, on the other worker
    quick_done = time.perf_counter() - started
    slow.join(timeout=30)
    assert statuses == [504]
    assert all(r.status == 200 for r in quick)
    assert quick_done < 1.5, "quick queries waited for the slow one"
    assert strict.server.pool.stats.timeouts >= 1
    resp = get(strict, "ASK { ?s ?p ?o }")  # still serving (a fresh worker replaced the killed one)
    assert resp.status == 200


@pytest.mark.slow
def test_timeout_message_says_what_happened(strict: Running) -> None:
    resp = post_direct(strict, SLOW)
    assert resp.status == 504
    assert "1.5 s" in resp.text


def test_result_cap_is_an_error_status(strict: Running) -> None:
    resp = get(strict, "SELECT * WHERE { ?s ?p ?o }")
    assert resp.status == 422
    assert "25" in resp.text and "LIMIT" in resp.text
    assert get(strict, "SELECT * WHERE { ?s ?p ?o } LIMIT 25").status == 200
    constructed = post_direct(strict, "CONSTRUCT WHERE { ?s ?p ?o }")
    assert constructed.status == 422
    assert "more than 25 triples" in constructed.text  # issue 20: it said "rows"
    assert "more than 25 rows" in resp.text


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status  # a zombie waiting for init is gone for our purpose


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_do_not_outlive_a_killed_server(store_path: Path) -> None:
    script = textwrap.dedent(f"""
        import threading, time
        from pathlib import Path
        from kg.server.pool import WorkerPool
        from kg.server.worker import Job
        pool = WorkerPool(Path({str(store_path)!r}), 2)
        print(" ".join(str(w.process.pid) for w in pool._workers), flush=True)
        threading.Thread(target=pool.run, args=(Job({SLOW!r}), 600.0), daemon=True).start()
        time.sleep(600)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    pids = [int(p) for p in proc.stdout.readline().split()]
    assert len(pids) == 2 and all(_alive(p) for p in pids)
    time.sleep(0.5)  # one worker is deep in the query that never ends
    proc.kill()  # SIGKILL: the server gets no chance to stop its workers
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids)


def _children(pid: int) -> list[int]:
    """The child processes of `pid` (Linux; [] elsewhere). Threads come and go meanwhile."""
    if not sys.platform.startswith("linux"):
        return []
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(p) for p in (task / "children").read_text().split()]
        except OSError:  # the thread ended between the listing and the read
            continue
    return out


@pytest.mark.slow
def test_kg_serve_command(store_path: Path, tmp_path: Path) -> None:
    """`kg serve` as users run it: prints its URL, answers, stops on SIGTERM with its workers."""
    import re
    import signal

    kg = Path(sys.executable).with_name("kg")
    command = [str(kg)] if kg.exists() else [sys.executable, "-c", "from kg.cli import app; app()"]
    proc = subprocess.Popen(
        [
            *command,
            "serve",
            "--port",
            "0",
            "--store",
            str(store_path),
            "--timeout",
            "5",
            "--workers",
            "2",
            "--max-results",
            "100",
            "--quiet",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    try:
        line = proc.stderr.readline()
        match = re.search(r"serving (http://127\.0\.0\.1:[0-9]+)/", line)
        assert match, line
        url = match.group(1)
        assert request(url + "/sparql?query=ASK%7B%7D").status == 200
        assert request(url + "/sparql?query=SELECT%20*%20%7B%3Fs%20%3Fp%20%3Fo%7D").status == 422
        children = _children(proc.pid)
        assert len(children) == 2 or not sys.platform.startswith("linux")  # the two workers
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(p) for p in children)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    missing = subprocess.run(
        [*command, "serve", "--store", str(tmp_path / "none"), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2
    assert "kg build" in missing.stderr


def test_request_body_too_large(server: Running) -> None:
    resp = post_direct(server, "ASK {}" + " " * 1_100_000)
    assert resp.status == 413


# --- bindings ------------------------------------------------------------------------------


def test_bindings_bind_projected_variables(server: Running) -> None:
    query = "SELECT ?x ?param_place WHERE { BIND(STR(?param_place) AS ?x) }"
    rows = solutions(post_form(server, [("query", query), ("$param_place", '"Mopti"')]))
    assert rows == [{"x": "Mopti", "param_place": "Mopti"}]


def test_bad_bindings_are_bad_requests(server: Running) -> None:
    query = "SELECT ?param_place WHERE { }"
    assert post_form(server, [("query", query), ("$param_place", "Mopti")]).status == 400
    assert post_form(server, [("query", query), ("$bad-name", '"x"')]).status == 400
    assert post_form(server, [("query", query), ("$unprojected", '"x"')]).status == 400


# --- CORS ----------------------------------------------------------------------------------


def test_options_preflight(server: Running) -> None:
    resp = request(
        server.sparql,
        "OPTIONS",
        None,
        {
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert resp.status == 204
    assert resp.headers["access-control-allow-origin"] == "*"
    assert "POST" in resp.headers["access-control-allow-methods"]
    assert "content-type" in resp.headers["access-control-allow-headers"].lower()


def test_cors_on_answers_and_errors(server: Running) -> None:
    assert get(server, "ASK {}").headers["access-control-allow-origin"] == "*"
    assert get(server, "ASK {").headers["access-control-allow-origin"] == "*"


# --- service description, VoID, linked data -------------------------------------------------

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"


def test_service_description(server: Running) -> None:
    resp = request(server.sparql)
    assert resp.status == 200 and resp.media_type == "text/turtle"
    triples = graph(resp)
    endpoint = ox.NamedNode(server.sparql)
    assert ox.Triple(endpoint, ox.NamedNode(SD + "endpoint"), endpoint) in triples
    assert (
        ox.Triple(endpoint, ox.NamedNode(SD + "feature"), ox.NamedNode(SD + "UnionDefaultGraph"))
        in triples
    )
    names = {t.object.value for t in triples if t.predicate.value == SD + "name"}
    assert {G_ONTOLOGY, G_REFERENCE} <= names
    assert request(server.sparql, headers={"Accept": "application/ld+json"}).media_type == (
        "application/ld+json"
    )


@pytest.mark.slow
def test_void(server: Running, store: ox.Store) -> None:
    for path in ("/void", "/.well-known/void"):
        resp = request(server.url + path, headers={"Accept": "text/turtle"})
        triples = graph(resp)
        counts = {
            t.predicate.value: t.object.value
            for t in triples
            if t.subject.value.endswith("#humanitarian-kg")
        }
        distinct = len({(q.subject, q.predicate, q.object) for q in store})
        assert int(counts[VOID + "triples"]) == distinct
        assert int(counts[VOID + "entities"]) > 0
        vocabularies = {t.object.value for t in triples if t.predicate.value == VOID + "vocabulary"}
        assert {HKG, "http://www.w3.org/ns/prov#", "http://www.w3.org/ns/oa#"} <= vocabularies
        examples = {
            t.object.value for t in triples if t.predicate.value == VOID + "exampleResource"
        }
        assert any("/outcome/" in e for e in examples)
    html = request(server.url + "/void", headers={"Accept": "text/html"})
    assert html.media_type == "text/html" and "Named graphs" in html.text


def test_resource_turtle_by_default(server: Running) -> None:
    resp = request(server.url + "/id/org/msf")
    assert resp.status == 200 and resp.media_type == "text/turtle"
    assert resp.headers["vary"] == "Accept"
    assert 'rel="alternate"' in resp.headers["link"]
    triples = graph(resp)
    msf = ox.NamedNode(ID + "org/msf")
    assert ox.Triple(msf, ox.NamedNode(HKG + "acronym"), ox.Literal("MSF")) in triples
    assert any(t.object == msf for t in triples)  # the triples pointing at it, too


def test_resource_json_ld(server: Running) -> None:
    resp = request(server.url + "/id/org/msf", headers={"Accept": "application/ld+json"})
    assert resp.media_type == "application/ld+json"
    assert isinstance(json.loads(resp.body), list)
    assert graph(resp) == graph(request(server.url + "/id/org/msf?format=ttl"))


def test_resource_html_for_browsers(server: Running, store: ox.Store) -> None:
    outcome = next(
        iter(
            store.query(
                f"SELECT ?o WHERE {{ ?o a <{HKG}Outcome> ; <{HKG}evidence> ?e }} LIMIT 1",
                use_default_graph_as_union=True,
            )
        )
    )["o"].value
    path = outcome.removeprefix(ID)
    quote_words = next(
        iter(
            store.query(
                f"SELECT ?q WHERE {{ <{outcome}> <{HKG}evidence>/<http://www.w3.org/ns/oa#hasSelector>"
                "/<http://www.w3.org/ns/oa#exact> ?q }",
                use_default_graph_as_union=True,
            )
        )
    )["q"].value
    resp = request(
        f"{server.url}/id/{path}",
        headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
    )
    assert resp.status == 200 and resp.media_type == "text/html"
    assert "Source words" in resp.text
    import html as html_module

    assert html_module.escape(quote_words.split("\n")[0]) in resp.text
    assert "default-src 'self'" in resp.headers["content-security-policy"]


def test_span_with_hash_selectors(server: Running, store: ox.Store) -> None:
    span = next(
        iter(
            store.query(
                "SELECT ?s WHERE { ?s a <http://www.w3.org/ns/oa#SpecificResource> } LIMIT 1",
                use_default_graph_as_union=True,
            )
        )
    )["s"].value
    triples = graph(request(server.url + "/id/" + span.removeprefix(ID)))
    assert any(t.subject.value == span + "#quote" for t in triples)


def test_unknown_resource_is_404(server: Running) -> None:
    assert request(server.url + "/id/org/no-such-organisation").status == 404
    html = request(server.url + "/id/org/no-such-organisation", headers={"Accept": "text/html"})
    assert html.status == 404 and html.media_type == "text/html"
    assert request(server.url + "/id/" + quote("org/<bad>")).status == 404


@pytest.mark.parametrize("path", ["org/a%25", "org/%25ZZ", "org/%5Bx%5D", "a%2", "a#b#c"])
def test_malformed_id_iris_are_404(server: Running, path: str) -> None:
    """Issue 20: an /id/ path that makes no IRI was 400 (the binding failed); nothing can be
    known about it, so 404."""
    for accept in ("text/turtle", "text/html"):
        resp = request(f"{server.url}/id/{path}", headers={"Accept": accept})
        assert resp.status == 404, (path, resp.status, resp.text)


def test_ontology(server: Running, store: ox.Store) -> None:
    resp = request(server.url + "/ontology")
    assert resp.media_type == "text/turtle"
    expected = {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(G_ONTOLOGY))
    }
    assert graph(resp) == expected
    html = request(server.url + "/ontology", headers={"Accept": "text/html"})
    assert 'id="Outcome"' in html.text  # hkg:Outcome's IRI ends in #Outcome


# --- pages and files -----------------------------------------------------------------------


def test_index_and_static_files(server: Running) -> None:
    index = request(server.url + "/")
    assert index.status == 200 and index.media_type == "text/html"
    for name in ("app.js", "style.css", "places.rq", "place-matrix.rq"):
        assert request(f"{server.url}/static/{name}").status == 200
    assert request(server.url + "/static/..%2Fserver%2Fapp.py").status == 404
    assert request(server.url + "/static/../kg/__init__.py").status == 404
    assert request(server.url + "/nowhere").status == 404


def test_web_assets_load_nothing_from_elsewhere() -> None:
    import re

    web = Path(__file__).resolve().parent.parent / "src" / "kg" / "web"
    for file in web.iterdir():
        text = file.read_text(encoding="utf-8")
        for url in re.findall(r"(?:src|href|url)\s*[=(]\s*[\"']?(https?:)?//", text):
            pytest.fail(f"{file.name} loads something from another host ({url})")
        assert "@import" not in text and 'fetch("http' not in text


def test_named_queries_api(server: Running) -> None:
    data = json.loads(request(server.url + "/api/queries").body)
    names = {q["name"] for q in data}
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
    gaps = next(q for q in data if q["name"] == "gaps")
    assert {"name": "country", "required": True}.items() <= next(
        p for p in gaps["params"] if p["name"] == "country"
    ).items()


def test_named_query_run_by_name(server: Running, store: ox.Store) -> None:
    """/api/queries/NAME?param=… gives what `kg query NAME --param … --format json` prints."""
    resp = request(server.url + "/api/queries/organisations-in?place=Timbuktu")
    assert resp.status == 200 and resp.media_type == "application/json"
    expected = run_query(store, "organisations-in", {"place": "Timbuktu"})
    assert resp.text == expected.to_json() + "\n" and "Timbuktu" in resp.text
    csv = request(server.url + "/api/queries/outcomes?year=2023&format=csv")
    assert csv.status == 200 and csv.text == run_query(store, "outcomes", {"year": "2023"}).to_csv()
    assert request(server.url + "/api/queries/organisations-in").status == 400  # place missing
    assert request(server.url + "/api/queries/nothing").status == 404
    unknown = request(server.url + "/api/queries/organisations-in?place=Tombouctouu")
    assert unknown.status == 404 and unknown.media_type == "application/json"
    [miss] = json.loads(unknown.body)["unmatched"]
    assert miss["param"] == "place" and "Tombouctou" in miss["suggestions"]


def test_head(server: Running) -> None:
    resp = request(server.url + "/", "HEAD")
    assert resp.status == 200 and resp.body == b""
    assert int(resp.headers["content-length"]) > 0
