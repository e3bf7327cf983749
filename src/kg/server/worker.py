"""What runs in a query worker process: one read-only store, one query at a time.

A worker receives a `Job`, checks it for SERVICE (kg.server.guard.ServiceCheck), runs it,
and sends back an `Answer`: the serialised result with its status and media type. Rows (or
triples) are counted as they come and the worker stops at `max_results`, so a runaway result
never reaches the HTTP side. A worker never gets more than one job at a time; the pool
(kg.server.pool) kills it when it takes too long. Before anything else a worker gives up the
network (kg.server.sandbox), so the engine cannot call another host even if asked to.

Without a store (`-` as its store argument) a worker only checks queries (`Job.check_only`),
for `kg serve --endpoint`, whose queries run elsewhere.

This module is imported by every worker process: keep its imports light (rdflib is imported
only when a query needs the parsed SERVICE check).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import pyoxigraph as ox

from kg.server.formats import RDF_FORMATS, RESULTS_FORMATS, Format, choose, not_acceptable
from kg.server.guard import SERVICE_REFUSED, QueryRefused, ServiceCheck, parse_term
from kg.server.sandbox import deny_network, is_network_denied

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# Prefixes for Turtle and RDF/XML output (IRIs whose local part has a `/` stay in full).
_HKG = "https://w3id.org/humanitarian-kg/"
PREFIXES: dict[str, str] = {
    "hkg": _HKG + "ontology#",
    **{
        f"id{kind}": f"{_HKG}id/{kind}/"
        for kind in (
            "org",
            "place",
            "sector",
            "indicator",
            "qualifier",
            "role",
            "report",
            "scheme",
            "graph",
        )
    },
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "qb": "http://purl.org/linked-data/cube#",
    "oa": "http://www.w3.org/ns/oa#",
    "dcterms": "http://purl.org/dc/terms/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "void": "http://rdfs.org/ns/void#",
}


@dataclass(frozen=True)
class Job:
    """A query to run. `bindings` are (variable, N-Triples term) pairs; `union` makes the
    default graph the union of the named graphs (ignored when a dataset is given); `formats`
    are the `format` request parameters, in order (the first one offered wins over Accept);
    `base_iri` resolves the query's relative IRIs (the request's URL); `check_only`: only the
    SERVICE check, no store needed."""

    query: str
    accept: str | None = None
    formats: tuple[str, ...] = ()
    union: bool = True
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    bindings: tuple[tuple[str, str], ...] = ()
    max_results: int = 10_000
    base_iri: str | None = None
    check_only: bool = False


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    count: int = 0  # rows or triples written
    headers: tuple[tuple[str, str], ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.status == 200


class ResultTooLarge(Exception):
    pass


def error(status: int, message: str, **headers: str) -> Answer:
    return Answer(
        status,
        "text/plain; charset=utf-8",
        (message.rstrip() + "\n").encode(),
        headers=tuple(headers.items()),
    )


CHECKED = Answer(204, "text/plain; charset=utf-8", b"")


def execute(store: ox.Store | None, job: Job, check: ServiceCheck | None = None) -> Answer:
    """Run one job on `store`. Never raises for a bad query: the Answer says what went wrong.

    `check` refuses SERVICE clauses (403) before anything runs; a job with `check_only` gets
    `CHECKED` when its query passes."""
    try:
        (check or ServiceCheck(size=0))(job.query)
    except QueryRefused as exc:
        return error(exc.status, str(exc))
    if job.check_only:
        return CHECKED
    if store is None:
        return error(500, "this worker has no store: it only checks queries")
    kwargs: dict[str, Any] = {}
    if job.base_iri is not None:
        kwargs["base_iri"] = job.base_iri
    try:
        if job.default_graphs is not None or job.named_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs or ()]
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs or ()]
        elif job.union:
            kwargs["use_default_graph_as_union"] = True
        substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
            ox.Variable(name): parse_term(term) for name, term in job.bindings
        }
    except (ValueError, QueryRefused) as exc:
        return error(400, str(exc))
    try:
        result = store.query(job.query, substitutions=substitutions or None, **kwargs)
        return render(result, job)
    except SyntaxError as exc:
        return error(400, f"malformed query: {exc}")
    except RuntimeError as exc:  # evaluation errors, e.g. a binding not in the projection
        return error(400, f"query evaluation failed: {exc}")
    except OSError as exc:
        if is_network_denied(exc):  # the engine tried to call out (a SERVICE clause)
            return error(403, SERVICE_REFUSED)
        return error(500, f"the store could not be read: {exc}")


def render(
    result: ox.QueryBoolean | ox.QuerySolutions | ox.QueryTriples | Iterable[ox.Triple],
    job: Job,
) -> Answer:
    """A query result in the format the job negotiated, counted against `job.max_results`.

    Shared by the workers and the remote proxy (kg.server.proxy), so that both answer the same
    formats with the same cap. `result` may also be any iterable of triples (a parsed
    CONSTRUCT answer). Iterating a result may raise (SyntaxError, RuntimeError, OSError) as
    its rows are read: the caller says what that means.
    """
    tabular = isinstance(result, ox.QueryBoolean | ox.QuerySolutions)
    offers = RESULTS_FORMATS if tabular else RDF_FORMATS
    fmt = choose(job.accept, job.formats, offers)
    if fmt is None:
        return not_acceptable(job.accept, job.formats, offers)
    try:
        if isinstance(result, ox.QueryBoolean):
            return Answer(
                200, fmt.content_type, _bytes(result.serialize(format=_results_format(fmt))), 1
            )
        if isinstance(result, ox.QuerySolutions):
            return _solutions(result, fmt, job)
        return _triples(result, fmt, job)
    except ResultTooLarge as exc:
        what = exc.args[0] if exc.args else "rows"
        return error(
            422,
            f"the result has more than {job.max_results} {what}: this endpoint answers at most "
            f"{job.max_results} (add a LIMIT, or page with ORDER BY and LIMIT/OFFSET; "
            "see /sparql's service description)",
        )


def _solutions(result: ox.QuerySolutions, fmt: Format, job: Job) -> Answer:
    names = [v.value for v in result.variables]
    rows = []
    for n, solution in enumerate(result):
        if n >= job.max_results:
            raise ResultTooLarge("rows")
        row = {}
        for i, name in enumerate(names):
            term = solution[i]
            if term is not None:
                row[name] = term_json(term)
        rows.append(row)
    data = json.dumps(
        {"head": {"vars": names}, "results": {"bindings": rows}}, ensure_ascii=False
    ).encode()
    if fmt.results is not ox.QueryResultsFormat.JSON:
        data = _bytes(
            ox.parse_query_results(data, ox.QueryResultsFormat.JSON).serialize(
                format=_results_format(fmt)
            )
        )
    return Answer(200, fmt.content_type, data, len(rows))


def _triples(result: ox.QueryTriples | Iterable[ox.Triple], fmt: Format, job: Job) -> Answer:
    triples = []
    for n, triple in enumerate(result):
        if n >= job.max_results:
            raise ResultTooLarge("triples")
        triples.append(triple)
    unique = list(dict.fromkeys(triples))  # the union default graph repeats triples
    return Answer(200, fmt.content_type, serialize_triples(unique, fmt), len(unique))


def serialize_triples(triples: list[ox.Triple], fmt: Format) -> bytes:
    if fmt.rdf is None:
        raise TypeError(f"{fmt.name} is not an RDF format")
    return _bytes(ox.serialize(triples, format=fmt.rdf, prefixes=prefixes_for(triples, fmt.rdf)))


def _results_format(fmt: Format) -> ox.QueryResultsFormat:
    if fmt.results is None:
        raise TypeError(f"{fmt.name} is not a query results format")
    return fmt.results


def _bytes(data: bytes | None) -> bytes:
    return data if data is not None else b""


def prefixes_for(triples: list[ox.Triple], fmt: ox.RdfFormat) -> dict[str, str] | None:
    """The PREFIXES the triples use, for the formats that abbreviate IRIs."""
    if fmt not in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML):
        return None
    iris = {t.value for triple in triples for t in triple if isinstance(t, ox.NamedNode)}
    return {p: ns for p, ns in PREFIXES.items() if any(i.startswith(ns) for i in iris)}


def term_json(term: Any) -> dict[str, Any]:
    """A term in the SPARQL 1.1 Query Results JSON Format (with RDF-star triples)."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value not in (XSD_STRING, RDF_LANG_STRING):
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": term_json(term.subject),
                "predicate": term_json(term.predicate),
                "object": term_json(term.object),
            },
        }
    raise TypeError(f"not an RDF term: {term!r}")


def _die_with_parent(parent: int | None) -> None:
    """Linux: have the kernel SIGKILL this process when the thread that started it ends, so
    a worker deep in a runaway query never outlives the server. Elsewhere: nothing (the
    worker still exits when its socket closes, once its current query ends)."""
    if parent is None or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl: do not linger
        os._exit(1)


NO_STORE = "-"


def main(conn: Connection, store_path: str, parent: int | None = None) -> None:
    """A worker process: give up the network, open the store (`-`: none, checks only), say
    ready (with why the network could not be taken away, if it could not), then answer jobs
    until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us; Ctrl-C is for it
    _die_with_parent(parent)
    network = deny_network()
    store: ox.Store | None = None
    if store_path != NO_STORE:
        try:
            store = ox.Store.read_only(store_path)
        except OSError as exc:
            conn.send(("error", f"cannot open the store at {store_path}: {exc}"))
            return
    conn.send(("ready", network))
    check = ServiceCheck()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the server went away
        if job is None:
            return
        answer = execute(store, job, check)
        if answer.status == 500 and store is not None:  # `kg build` may have swapped the store
            try:
                store = ox.Store.read_only(store_path)
                answer = execute(store, job, check)
            except OSError:
                pass
        try:
            conn.send(answer)
        except (BrokenPipeError, OSError):
            return


__all__ = [
    "CHECKED",
    "NO_STORE",
    "PREFIXES",
    "Answer",
    "Job",
    "execute",
    "main",
    "prefixes_for",
    "render",
    "serialize_triples",
    "term_json",
]

if __name__ == "__main__":  # started by kg.server.pool: `python -m kg.server.worker FD STORE PID`
    from kg.server.worker import main as _main  # the module's classes, not __main__'s

    _main(
        Connection(int(sys.argv[1])), sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else None
    )
