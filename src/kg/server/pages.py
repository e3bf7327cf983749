"""Linked-data views: resource pages (`/id/…`), the ontology, VoID and the service description.

Each view answers with HTML for browsers and RDF (Turtle, JSON-LD, N-Triples, RDF/XML) by
content negotiation or `?format=`. The data comes from the query workers through `run`
(queries in `queries/server/*.rq`, values bound, never pasted in); only VoID and the
service description are assembled here, as triples, and cached for `cache_seconds`.

One file: the HTML pages share one template, one escaping helper and one set of table renderers.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import pyoxigraph as ox

from kg import __version__
from kg.query.named import load_query
from kg.resources import query_text
from kg.server.formats import HTML, RDF_FORMATS, RESULTS_FORMATS, Format, choose, not_acceptable
from kg.server.render import (
    ID_BASE,
    ONTOLOGY_BASE,
    compact,
    esc,
    iri_html,
    page,
    table,
    term_html,
)
from kg.server.worker import Answer, Job, error, serialize_triples

Runner = Callable[[Job, float | None], Answer]
Requested = str | tuple[str, ...] | None  # the `format` request parameter(s)
Term = dict[str, Any]
Row = dict[str, Term]

GRAPH_ONTOLOGY = ID_BASE + "graph/ontology"

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OWL = "http://www.w3.org/2002/07/owl#"
OA = "http://www.w3.org/ns/oa#"
HKG_EVIDENCE = ONTOLOGY_BASE + "evidence"
VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"
DCTERMS = "http://purl.org/dc/terms/"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
FORMATS_NS = "http://www.w3.org/ns/formats/"

# /id/… and /ontology: Turtle for `*/*` (curl), HTML when a browser asks for it.
PAGE_FORMATS: tuple[Format, ...] = (RDF_FORMATS[0], HTML, *RDF_FORMATS[1:])
_FORMAT_IRIS = {
    "json": "SPARQL_Results_JSON",
    "xml": "SPARQL_Results_XML",
    "csv": "SPARQL_Results_CSV",
    "tsv": "SPARQL_Results_TSV",
    "ttl": "Turtle",
    "nt": "N-Triples",
    "jsonld": "JSON-LD",
    "rdfxml": "RDF_XML",
}
_FORBIDDEN_IRI_CHARS = set('<>"{}|^`\\ ')
INTERNAL_MAX_RESULTS = 500_000


@cache
def server_query(name: str) -> str:
    return query_text("server", name)


class PageError(Exception):
    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.body.decode("utf-8", "replace"))
        self.answer = answer


@dataclass(frozen=True)
class ServiceLimits:
    timeout: float
    max_results: int


def iri_term(iri: str) -> str:
    return f"<{iri}>"


def literal_term(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid N-Triples literal


class LinkedData:
    def __init__(self, run: Runner, limits: ServiceLimits, cache_seconds: float = 300.0):
        self._run = run
        self.limits = limits
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    # --- running queries -------------------------------------------------------------------

    def rows(
        self, text: str, bindings: Iterable[tuple[str, str]] = (), timeout: float | None = None
    ) -> list[Row]:
        job = Job(
            text, formats=("json",), bindings=tuple(bindings), max_results=INTERNAL_MAX_RESULTS
        )
        answer = self._run(job, timeout)
        if not answer.ok:
            raise PageError(answer)
        return list(json.loads(answer.body)["results"]["bindings"])

    def _cached(self, key: str, compute: Callable[[], Any]) -> Any:
        with self._lock:
            hit = self._cache.get(key)
            if hit and time.monotonic() - hit[0] < self.cache_seconds:
                return hit[1]
            value = compute()  # under the lock: one computation at a time
            self._cache[key] = (time.monotonic(), value)
            return value

    # --- /id/… -----------------------------------------------------------------------------

    def resource(self, path: str, accept: str | None, requested: Requested) -> Answer:
        iri = ID_BASE + path
        if not path or any(c in _FORBIDDEN_IRI_CHARS or ord(c) < 0x20 for c in path):
            return error(404, f"no resource /id/{path}")
        try:
            ox.NamedNode(iri)
        except ValueError:  # not an IRI at all, so nothing is known about it
            return error(404, f"no resource /id/{path}: <{iri}> is not a valid IRI")
        fmt = choose(accept, requested, PAGE_FORMATS)
        if fmt is None:
            return not_acceptable(accept, requested, PAGE_FORMATS)
        alternates = _alternates(f"/id/{path}")
        binding = [("this", iri_term(iri))]
        if fmt is not HTML:
            answer = self._run(
                Job(
                    server_query("describe"),
                    formats=(fmt.name,),
                    bindings=tuple(binding),
                    max_results=INTERNAL_MAX_RESULTS,
                ),
                None,
            )
            if answer.ok and answer.count == 0:
                return error(404, f"nothing is known about <{iri}>")
            return _with_headers(answer, alternates)
        try:
            rows = self.rows(server_query("describe-rows"), binding)
            if not rows:
                return _html(
                    404,
                    f"Not found: {compact(iri)}",
                    f"<p>Nothing is known about <code>{esc(iri)}</code>.</p>",
                )
            evidence = []
            if any(
                r["predicate"]["value"] == HKG_EVIDENCE and r["direction"]["value"] == "out"
                for r in rows
            ):
                evidence = self.rows(
                    load_query("provenance").text, [("param_figure", literal_term(iri))]
                )
        except PageError as exc:
            return exc.answer
        title, body = resource_body(iri, rows, evidence)
        return _with_headers(
            Answer(200, HTML.content_type, page(title, body, alternates)), alternates
        )

    # --- /ontology -------------------------------------------------------------------------

    def ontology(self, accept: str | None, requested: Requested) -> Answer:
        fmt = choose(accept, requested, PAGE_FORMATS)
        if fmt is None:
            return not_acceptable(accept, requested, PAGE_FORMATS)
        alternates = _alternates("/ontology")
        binding = (("graph", iri_term(GRAPH_ONTOLOGY)),)
        if fmt is not HTML:
            answer = self._run(
                Job(
                    server_query("graph"),
                    formats=(fmt.name,),
                    bindings=binding,
                    max_results=INTERNAL_MAX_RESULTS,
                ),
                None,
            )
            return _with_headers(answer, alternates)
        try:
            rows = self.rows(server_query("graph-rows"), binding)
        except PageError as exc:
            return exc.answer
        body = ontology_body(rows)
        return _with_headers(
            Answer(200, HTML.content_type, page("Ontology and vocabularies", body, alternates)),
            alternates,
        )

    # --- /void -----------------------------------------------------------------------------

    def void_data(self) -> dict[str, list[Row]]:
        def compute() -> dict[str, list[Row]]:
            slow = max(self.limits.timeout, 120.0)  # counts over the whole store
            return {
                name: self.rows(server_query(f"void-{name}"), timeout=slow)
                for name in ("totals", "graphs", "classes", "predicates")
            }

        data: dict[str, list[Row]] = self._cached("void", compute)
        return data

    def void(self, base: str, accept: str | None, requested: Requested) -> Answer:
        fmt = choose(accept, requested, PAGE_FORMATS)
        if fmt is None:
            return not_acceptable(accept, requested, PAGE_FORMATS)
        alternates = _alternates("/void")
        try:
            data = self.void_data()
        except PageError as exc:
            return exc.answer
        triples = void_triples(base, data)
        if fmt is not HTML:
            return _with_headers(_serialize(triples, fmt), alternates)
        body = void_body(base, data, triples)
        return _with_headers(
            Answer(200, HTML.content_type, page("Dataset description (VoID)", body, alternates)),
            alternates,
        )

    # --- GET /sparql without a query --------------------------------------------------------

    def service_description(self, base: str, accept: str | None, requested: Requested) -> Answer:
        fmt = choose(accept, requested, PAGE_FORMATS)
        if fmt is None:
            return not_acceptable(accept, requested, PAGE_FORMATS)
        try:
            graphs = self._cached("graphs", lambda: self.rows(server_query("graphs")))
        except PageError as exc:
            return exc.answer
        triples = service_triples(base, [g["graph"]["value"] for g in graphs], self.limits)
        alternates = _alternates("/sparql")
        if fmt is not HTML:
            return _with_headers(_serialize(triples, fmt), alternates)
        turtle = serialize_triples(triples, RDF_FORMATS[0])
        body = (
            f"<p>The SPARQL 1.1 endpoint is <code>{esc(base)}/sparql</code>: send a query with "
            "GET <code>?query=</code>, a form POST or a POST of "
            '<code>application/sparql-query</code>. The <a href="/">query page</a> has '
            "examples. This is its SPARQL 1.1 Service Description:</p>"
            f"<pre>{esc(turtle.decode('utf-8'))}</pre>"
        )
        return _with_headers(
            Answer(200, HTML.content_type, page("SPARQL endpoint", body, alternates)), alternates
        )


# --- building blocks -----------------------------------------------------------------------


def where_page(rows: Callable[..., list[Row]], params: dict[str, list[str]]) -> Answer:
    """`/where?place=…&sector=…&year=…`: who does what where (kg.server.where), its state in the
    address; 404 with the closest place names when the place matches nothing."""
    from kg.server.where import ViewState, gather, render, title

    try:
        view = gather(rows, ViewState.from_query(params))
    except PageError as exc:
        return exc.answer
    return _html(404 if view.problem else 200, title(view), render(view))


def _alternates(path: str) -> list[tuple[str, str, str]]:
    return [
        (f.name if f is not HTML else "HTML", f"{path}?format={f.name}", f.media_type)
        for f in PAGE_FORMATS
    ]


def _with_headers(answer: Answer, alternates: list[tuple[str, str, str]]) -> Answer:
    if not answer.ok:
        return answer
    link = ", ".join(f'<{href}>; rel="alternate"; type="{media}"' for _l, href, media in alternates)
    return Answer(
        answer.status,
        answer.content_type,
        answer.body,
        answer.count,
        (*answer.headers, ("Link", link), ("Vary", "Accept")),
    )


def _html(status: int, title: str, body: str) -> Answer:
    return Answer(status, HTML.content_type, page(title, body))


def _serialize(triples: list[ox.Triple], fmt: Format) -> Answer:
    return Answer(200, fmt.content_type, serialize_triples(triples, fmt), len(triples))


def _value(row: Row, name: str) -> str | None:
    term = row.get(name)
    return str(term["value"]) if term else None


def _int(row: Row, name: str) -> int:
    value = _value(row, name)
    return int(value) if value else 0


def _graph_name(iri: str | None) -> str:
    if not iri:
        return ""
    return iri[len(ID_BASE + "graph/") :] if iri.startswith(ID_BASE + "graph/") else iri


def _term_key(term: Term) -> str:
    return json.dumps(term, sort_keys=True)


def _predicate_order(iri: str) -> tuple[int, str]:
    first = {RDFS_LABEL: 0, SKOS + "prefLabel": 1, RDF_TYPE: 2, RDFS_COMMENT: 3}
    return (first.get(iri, 9), compact(iri))


def collect_labels(rows: list[Row]) -> dict[str, str]:
    """One display label per IRI from the ?xLabel columns: no language tag, else English."""

    def rank(term: Term) -> int:
        lang = str(term.get("xml:lang", "")).lower()
        return 0 if not lang else 1 if lang.startswith("en") else 2

    best: dict[str, tuple[int, str]] = {}
    for row in rows:
        pairs = [
            (row.get(key), row.get(key + "Label")) for key in ("subject", "predicate", "object")
        ]
        if row.get("predicate", {}).get("value") == RDFS_LABEL:
            pairs.append((row.get("subject"), row.get("object")))
        for term, label in pairs:
            if term and label and term.get("type") == "uri":
                candidate = (rank(label), str(label["value"]))
                iri = str(term["value"])
                if iri not in best or candidate < best[iri]:
                    best[iri] = candidate
    return {iri: label for iri, (_rank, label) in best.items()}


def _property_table(rows: list[Row], labels: dict[str, str]) -> str:
    """Rows (one triple each, with ?graph) grouped by predicate."""
    values: dict[str, dict[str, tuple[Term, set[str]]]] = defaultdict(dict)
    for row in rows:
        obj = row["object"]
        entry = values[row["predicate"]["value"]].setdefault(_term_key(obj), (obj, set()))
        if row.get("graph"):
            entry[1].add(_graph_name(_value(row, "graph")))
    out = []
    for p in sorted(values, key=_predicate_order):
        cells = []
        for obj, graphs in sorted(values[p].values(), key=lambda v: str(v[0]["value"])):
            where = (
                f' <span class="graph">{esc(", ".join(sorted(graphs)))}</span>' if graphs else ""
            )
            cells.append(f"<li>{term_html(obj, labels.get(str(obj['value'])))}{where}</li>")
        out.append((iri_html(p, labels.get(p)), f'<ul class="values">{"".join(cells)}</ul>'))
    return table(["property", "value (graph)"], out, "properties")


def resource_body(iri: str, rows: list[Row], evidence: list[Row]) -> tuple[str, str]:
    out = [r for r in rows if r["direction"]["value"] == "out"]
    incoming = [r for r in rows if r["direction"]["value"] == "in"]
    parts = [r for r in rows if r["direction"]["value"] == "part"]
    label = next(
        (_value(r, "object") for r in out if r["predicate"]["value"] == RDFS_LABEL), None
    ) or next(
        (_value(r, "object") for r in out if r["predicate"]["value"] == SKOS + "prefLabel"), None
    )
    labels = collect_labels(rows)
    types = sorted({_value(r, "object") or "" for r in out if r["predicate"]["value"] == RDF_TYPE})
    html = [f'<p class="iri"><code>{esc(iri)}</code></p>']
    if types:
        html.append(
            '<p class="types">'
            + " ".join(f'<span class="badge">{iri_html(t, labels.get(t))}</span>' for t in types)
            + "</p>"
        )
    quote_rows = _quotes(iri, parts, evidence)
    if quote_rows:
        html.append("<h2>Source words</h2>" + "".join(quote_rows))
    if out:
        html.append("<h2>Description</h2>" + _property_table(out, labels))
    by_part: dict[str, list[Row]] = defaultdict(list)
    for r in parts:
        by_part[r["subject"]["value"]].append(r)
    for part, prow in sorted(by_part.items()):
        html.append(f'<h3 id="{esc(part.rsplit("#", 1)[-1])}">{esc(compact(part))}</h3>')
        html.append(_property_table(prow, labels))
    if incoming:
        seen: dict[tuple[str, str], tuple[Term, str, set[str]]] = {}
        for r in incoming:
            key = (r["subject"]["value"], r["predicate"]["value"])
            entry = seen.setdefault(key, (r["subject"], key[1], set()))
            entry[2].add(_graph_name(_value(r, "graph")))

        def name(term: Term) -> str:
            return labels.get(str(term["value"])) or str(term["value"])

        cells = [
            (
                term_html(s, labels.get(str(s["value"]))),
                iri_html(p, labels.get(p)),
                f'<span class="graph">{esc(", ".join(sorted(g)))}</span>',
            )
            for s, p, g in sorted(seen.values(), key=lambda v: (name(v[0]), v[1]))
        ]
        more = ", from the first 500 triples" if len(incoming) >= 500 else ""
        html.append(f"<h2>Referenced by ({len(cells)}{more})</h2>")
        html.append(table(["subject", "property", "graph"], cells, "incoming"))
    return (label or compact(iri)), "".join(html)


def _quotes(iri: str, parts: list[Row], evidence: list[Row]) -> list[str]:
    """The exact words behind a figure (via the provenance query) or a span (its selectors)."""
    boxes = []
    for r in evidence:
        report = _value(r, "report") or ""
        boxes.append(
            f'<figure class="quote"><blockquote>{esc(_value(r, "quote") or "")}</blockquote>'
            f"<figcaption>report {iri_html(ID_BASE + 'report/' + report, report)}, characters "
            f"{esc(_value(r, 'start') or '?')}–{esc(_value(r, 'end') or '?')}</figcaption></figure>"
        )
    if not evidence and parts:
        found = {r["predicate"]["value"]: _value(r, "object") for r in parts}
        if OA + "exact" in found:
            boxes.append(
                f'<figure class="quote"><blockquote>{esc(found[OA + "exact"] or "")}</blockquote>'
                f"<figcaption>characters {esc(found.get(OA + 'start') or '?')}–"
                f"{esc(found.get(OA + 'end') or '?')}</figcaption></figure>"
            )
    return boxes


_ONTOLOGY_SECTIONS = (
    (OWL + "Ontology", "Ontology"),
    (OWL + "Class", "Classes"),
    (OWL + "ObjectProperty", "Object properties"),
    (OWL + "DatatypeProperty", "Datatype properties"),
    (OWL + "AnnotationProperty", "Annotation properties"),
    (SKOS + "ConceptScheme", "Concept schemes"),
    (SKOS + "Concept", "Concepts"),
)


def ontology_body(rows: list[Row]) -> str:
    labels = collect_labels(rows)
    by_subject: dict[str, list[Row]] = defaultdict(list)
    blank = 0
    rows = [{k: v for k, v in r.items() if k != "graph"} for r in rows]  # all one graph
    for r in rows:
        if r["subject"]["type"] != "uri":
            blank += 1
            continue
        by_subject[r["subject"]["value"]].append(r)
    types = {
        s: {r["object"]["value"] for r in rs if r["predicate"]["value"] == RDF_TYPE}
        for s, rs in by_subject.items()
    }
    placed: set[str] = set()
    html = [
        '<nav class="toc">'
        + " · ".join(
            f'<a href="#section-{i}">{esc(title)}</a>'
            for i, (_c, title) in enumerate(_ONTOLOGY_SECTIONS)
        )
        + "</nav>"
    ]
    for i, (cls, title) in enumerate(_ONTOLOGY_SECTIONS):
        members = sorted(
            (s for s in by_subject if cls in types[s] and s not in placed),
            key=lambda s: compact(s).lower(),
        )
        if not members:
            continue
        html.append(f'<h2 id="section-{i}">{esc(title)} ({len(members)})</h2>')
        for s in members:
            placed.add(s)
            html.append(_term_section(s, by_subject[s], labels))
    rest = sorted(s for s in by_subject if s not in placed)
    if rest:
        html.append(f"<h2>Other terms ({len(rest)})</h2>")
        html.extend(_term_section(s, by_subject[s], labels) for s in rest)
    if blank:
        html.append(
            f"<p>{blank} further statements about blank nodes (OWL axioms, lists) are "
            'in the <a href="/ontology?format=ttl">Turtle</a>.</p>'
        )
    return "".join(html)


def _term_section(iri: str, rows: list[Row], labels: dict[str, str]) -> str:
    anchor = iri[len(ONTOLOGY_BASE) :] if iri.startswith(ONTOLOGY_BASE) else compact(iri)
    label = labels.get(iri, "")
    heading = f"{compact(iri)}" + (f" — {label}" if label else "")
    link = iri_html(iri, "page") if iri.startswith(ID_BASE) else ""
    return (
        f'<section class="term" id="{esc(anchor)}"><h3>{esc(heading)} {link}</h3>'
        f"{_property_table(rows, labels)}</section>"
    )


def _namespace(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1] if cut > 0 else iri


def void_triples(base: str, data: dict[str, list[Row]]) -> list[ox.Triple]:
    def n(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    def count(value: int) -> ox.Literal:
        return ox.Literal(str(value), datatype=n(XSD_INTEGER))

    dataset = n(f"{base}/void#humanitarian-kg")
    triples = [
        ox.Triple(dataset, n(RDF_TYPE), n(VOID + "Dataset")),
        ox.Triple(dataset, n(DCTERMS + "title"), ox.Literal("humanitarian-kg")),
        ox.Triple(
            dataset,
            n(DCTERMS + "description"),
            ox.Literal(
                "A knowledge graph of humanitarian operations (who does what where, outcomes, "
                "partnerships, context figures) read from the narrative reports aid organisations "
                "publish, each fact with the words it was read from."
            ),
        ),
        ox.Triple(dataset, n(VOID + "sparqlEndpoint"), n(f"{base}/sparql")),
        ox.Triple(dataset, n(VOID + "uriSpace"), ox.Literal(ID_BASE)),
        ox.Triple(dataset, n(VOID + "uriLookupEndpoint"), n(f"{base}/id/")),
        ox.Triple(dataset, n(VOID + "feature"), n(FORMATS_NS + "Turtle")),
        ox.Triple(dataset, n(VOID + "feature"), n(FORMATS_NS + "JSON-LD")),
    ]
    totals = data["totals"][0] if data["totals"] else {}
    triples += [
        ox.Triple(dataset, n(VOID + "triples"), count(_int(totals, "triples"))),
        ox.Triple(dataset, n(VOID + "distinctSubjects"), count(_int(totals, "subjects"))),
        ox.Triple(dataset, n(VOID + "entities"), count(_int(totals, "entities"))),
        ox.Triple(dataset, n(VOID + "classes"), count(len(data["classes"]))),
        ox.Triple(dataset, n(VOID + "properties"), count(len(data["predicates"]))),
    ]
    vocabularies = sorted(
        {_namespace(_value(r, "predicate") or "") for r in data["predicates"]}
        | {_namespace(_value(r, "class") or "") for r in data["classes"]}
    )
    triples += [ox.Triple(dataset, n(VOID + "vocabulary"), n(v)) for v in vocabularies if v]
    for r in data["classes"]:
        part = ox.BlankNode()
        cls = _value(r, "class") or ""
        triples += [
            ox.Triple(dataset, n(VOID + "classPartition"), part),
            ox.Triple(part, n(VOID + "class"), n(cls)),
            ox.Triple(part, n(VOID + "entities"), count(_int(r, "entities"))),
        ]
        example = _value(r, "example")
        if example and example.startswith(ID_BASE) and cls.startswith(ONTOLOGY_BASE):
            triples.append(ox.Triple(dataset, n(VOID + "exampleResource"), n(example)))
    for r in data["predicates"]:
        part = ox.BlankNode()
        triples += [
            ox.Triple(dataset, n(VOID + "propertyPartition"), part),
            ox.Triple(part, n(VOID + "property"), n(_value(r, "predicate") or "")),
            ox.Triple(part, n(VOID + "triples"), count(_int(r, "triples"))),
        ]
    for r in data["graphs"]:
        graph = _value(r, "graph") or ""
        subset = ox.BlankNode()
        triples += [
            ox.Triple(dataset, n(VOID + "subset"), subset),
            ox.Triple(subset, n(RDF_TYPE), n(VOID + "Dataset")),
            ox.Triple(subset, n(SD + "name"), n(graph)),
            ox.Triple(subset, n(DCTERMS + "title"), ox.Literal(_graph_name(graph))),
            ox.Triple(subset, n(VOID + "triples"), count(_int(r, "triples"))),
        ]
    return triples


def void_body(base: str, data: dict[str, list[Row]], triples: list[ox.Triple]) -> str:
    totals = data["totals"][0] if data["totals"] else {}
    html = [
        f"<p>{_int(totals, 'triples'):,} distinct triples, {_int(totals, 'entities'):,} "
        f"entities (IRIs under <code>{esc(ID_BASE)}</code>), {len(data['graphs'])} named graphs. "
        f'SPARQL endpoint: <a href="/sparql"><code>{esc(base)}/sparql</code></a>.</p>',
        "<h2>Named graphs</h2>",
        table(
            ["graph", "triples"],
            [
                (esc(_graph_name(_value(r, "graph"))), f"{_int(r, 'triples'):,}")
                for r in data["graphs"]
            ],
        ),
        "<h2>Classes</h2>",
        table(
            ["class", "entities", "example"],
            [
                (
                    iri_html(_value(r, "class") or ""),
                    f"{_int(r, 'entities'):,}",
                    iri_html(_value(r, "example") or "")
                    if (_value(r, "example") or "").startswith(("http://", "https://"))
                    else esc(_value(r, "example") or ""),
                )
                for r in data["classes"]
            ],
        ),
        "<h2>Vocabularies</h2><ul>",
    ]
    html += [
        f"<li>{iri_html(t.object.value, t.object.value)}</li>"
        for t in triples
        if t.predicate.value == VOID + "vocabulary" and isinstance(t.object, ox.NamedNode)
    ]
    html.append("</ul>")
    return "".join(html)


def service_triples(base: str, graphs: list[str], limits: ServiceLimits) -> list[ox.Triple]:
    def n(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    service = n(f"{base}/sparql")
    dataset, default_graph = ox.BlankNode(), ox.BlankNode()
    triples = [
        ox.Triple(service, n(RDF_TYPE), n(SD + "Service")),
        ox.Triple(service, n(SD + "endpoint"), service),
        ox.Triple(service, n(SD + "supportedLanguage"), n(SD + "SPARQL11Query")),
        ox.Triple(service, n(SD + "feature"), n(SD + "UnionDefaultGraph")),
        ox.Triple(
            service, n(SD + "defaultEntailmentRegime"), n("http://www.w3.org/ns/entailment/Simple")
        ),
        ox.Triple(service, n(DCTERMS + "title"), ox.Literal("humanitarian-kg SPARQL endpoint")),
        ox.Triple(
            service,
            n(RDFS_COMMENT),
            ox.Literal(
                f"Read-only (humanitarian-kg {__version__}). SPARQL Update, LOAD and every SERVICE "
                f"clause are refused. Queries stop after {limits.timeout:g} s (HTTP 504) and "
                f"results are capped at {limits.max_results} rows or triples (HTTP 422). The "
                "default graph is the union of the named graphs unless the query (FROM) or the "
                "request (default-graph-uri, named-graph-uri) names a dataset. Variables can be "
                "bound with request parameters $name=<N-Triples term>.",
                language="en",
            ),
        ),
        ox.Triple(service, n(VOID + "dataset"), n(f"{base}/void#humanitarian-kg")),
        ox.Triple(service, n(SD + "defaultDataset"), dataset),
        ox.Triple(dataset, n(RDF_TYPE), n(SD + "Dataset")),
        ox.Triple(dataset, n(SD + "defaultGraph"), default_graph),
        ox.Triple(default_graph, n(RDF_TYPE), n(SD + "Graph")),
    ]
    for fmt in (*RESULTS_FORMATS, *RDF_FORMATS):
        triples.append(
            ox.Triple(service, n(SD + "resultFormat"), n(FORMATS_NS + _FORMAT_IRIS[fmt.name]))
        )
    for graph in graphs:
        named = ox.BlankNode()
        triples += [
            ox.Triple(dataset, n(SD + "namedGraph"), named),
            ox.Triple(named, n(RDF_TYPE), n(SD + "NamedGraph")),
            ox.Triple(named, n(SD + "name"), n(graph)),
        ]
    return triples


__all__ = [
    "PAGE_FORMATS",
    "LinkedData",
    "PageError",
    "ServiceLimits",
    "ontology_body",
    "resource_body",
    "server_query",
    "service_triples",
    "void_triples",
]
