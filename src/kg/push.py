"""Publish the embedded store to a remote store, one named graph at a time (`kg push`).

Each named graph is sent with the Graph Store Protocol's PUT, which replaces the graph on the
remote: pushing twice never duplicates, and the remote holds either the old or the new version
of each graph (never a mix), whatever fails when. Only graphs that changed are sent: the
remote keeps, in the graph `id:graph/push-metadata`, one triple per pushed graph

    <graph> hkg:contentHash "sha256 hex of the graph's sorted, canonical N-Triples" .

read back with a SELECT before pushing. A graph's hash is recorded only after its PUT
succeeded, so the metadata may lag (a graph then gets sent again next time, harmlessly) but
never claims a version the remote does not have. The metadata graph is written after each
graph pushed, at most once per `metadata_interval` seconds (so a push of thousands of graphs
does not rewrite it thousands of times), and always at the end or on failure.

Graphs recorded in the metadata that the local store no longer has (a report removed) are
deleted from the remote (`prune`), so the remote answers queries as the local store does.
Graphs the metadata does not list are never touched.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.namespaces import HKG
from kg.query.backends import METADATA_GRAPH, RemoteError, SparqlClient, bind_values
from kg.resources import internal_query

CONTENT_HASH = str(HKG["contentHash"])

# progress(stage, graph IRI, done, total): stage is "hash", "put", "skip" or "delete"
ProgressCallback = Callable[[str, str, int, int], None]


class PushError(RemoteError):
    """The push stopped: the message (one line) names the endpoint and the graph; `cause` is
    the `RemoteError` of the failed request, `result` what had been sent until then."""

    def __init__(self, message: str, result: PushResult, cause: RemoteError) -> None:
        super().__init__(message)
        self.result = result
        self.cause = cause


@dataclass(frozen=True)
class LocalGraph:
    iri: str
    triples: int
    sha256: str
    data: bytes  # sorted N-Triples (blank nodes canonically labelled)


@dataclass
class PushResult:
    endpoint: str
    graph_store: str
    graphs: int = 0  # named graphs in the local store
    sent: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    triples_sent: int = 0
    bytes_sent: int = 0
    seconds: float = 0.0  # time spent sending graphs (PUT), for the rate
    dry_run: bool = False

    @property
    def triples_per_second(self) -> float:
        return self.triples_sent / self.seconds if self.seconds > 0 else 0.0


def graph_content(store: ox.Store, graph: str) -> LocalGraph:
    """A graph's N-Triples, sorted, and their SHA-256.

    Blank nodes get canonical labels first (RDF canonicalisation by pyoxigraph), so the same
    graph hashes the same in every build of the store. (pyoxigraph's algorithm may change
    between its versions: after an upgrade a graph with blank nodes may be sent once more.)
    """
    name = ox.NamedNode(graph)
    quads = list(store.quads_for_pattern(None, None, None, name))
    if any(
        isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) for q in quads
    ):
        dataset = ox.Dataset(quads)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
        quads = list(dataset.quads_for_graph_name(name))
    lines = sorted({f"{q.subject} {q.predicate} {q.object} .\n" for q in quads})
    data = "".join(lines).encode("utf-8")
    return LocalGraph(graph, len(lines), hashlib.sha256(data).hexdigest(), data)


def remote_hashes(client: SparqlClient) -> dict[str, str]:
    """The remote's metadata: graph IRI -> content hash of the version it holds."""
    text = bind_values(
        internal_query("pushed-hashes"),
        {ox.Variable("metadataGraph"): ox.NamedNode(METADATA_GRAPH)},
    )
    _vars, rows = client.select(text)
    out: dict[str, str] = {}
    for row in rows:
        graph, value = row.get("graph"), row.get("hash")
        if isinstance(graph, ox.NamedNode) and isinstance(value, ox.Literal):
            out[graph.value] = value.value
    return out


def metadata_ntriples(hashes: dict[str, str]) -> bytes:
    predicate = ox.NamedNode(CONTENT_HASH)
    lines = [
        f"{ox.NamedNode(graph)} {predicate} {ox.Literal(value)} .\n"
        for graph, value in sorted(hashes.items())
    ]
    return "".join(lines).encode("utf-8")


def push(
    store: ox.Store,
    client: SparqlClient,
    *,
    force: bool = False,
    prune: bool = True,
    dry_run: bool = False,
    metadata_interval: float = 1.0,
    progress: ProgressCallback | None = None,
) -> PushResult:
    """Push every named graph of `store` that differs from the remote's version.

    `force` sends every graph whatever the metadata says. Raises `PushError` (a
    `RemoteError`) naming the endpoint and the graph when a request fails after its retries;
    the graphs pushed until then are recorded in the remote's metadata when it can be written.
    """
    endpoint = client.endpoint
    result = PushResult(endpoint.query_url, endpoint.graph_store(), dry_run=dry_run)
    try:
        known = remote_hashes(client)
    except RemoteError as exc:
        raise PushError(f"cannot read the push metadata: {exc}", result, exc) from None
    if not dry_run:
        try:
            client.authenticate()
        except RemoteError as exc:
            raise PushError(f"cannot log in to the Graph Store: {exc}", result, exc) from None
    graphs = sorted(g.value for g in store.named_graphs() if g.value != METADATA_GRAPH)
    result.graphs = len(graphs)
    stale = sorted(set(known) - set(graphs)) if prune else []
    total = len(graphs) + len(stale)
    recorded = dict(known)  # what the remote holds, as far as we know
    written = dict(known)  # what the remote metadata graph says
    last_write = time.monotonic()

    def write_metadata(final: bool = False) -> None:
        nonlocal written, last_write
        if dry_run or recorded == written:
            return
        if not final and time.monotonic() - last_write < metadata_interval:
            return
        client.put_graph(METADATA_GRAPH, metadata_ntriples(recorded))
        written = dict(recorded)
        last_write = time.monotonic()

    done = 0
    current = ""
    try:
        for graph in graphs:
            current = graph
            local = graph_content(store, graph)
            if not force and known.get(graph) == local.sha256:
                result.unchanged.append(graph)
                done += 1
                if progress:
                    progress("skip", graph, done, total)
                continue
            if not dry_run:
                started = time.perf_counter()
                client.put_graph(graph, local.data)
                result.seconds += time.perf_counter() - started
                recorded[graph] = local.sha256
            result.sent.append(graph)
            result.triples_sent += local.triples
            result.bytes_sent += len(local.data)
            done += 1
            if progress:
                progress("put", graph, done, total)
            write_metadata()
        for graph in stale:
            current = graph
            if not dry_run:
                client.delete_graph(graph)
                recorded.pop(graph, None)
            result.deleted.append(graph)
            done += 1
            if progress:
                progress("delete", graph, done, total)
            write_metadata()
        current = METADATA_GRAPH
        write_metadata(final=True)
    except RemoteError as exc:
        if current != METADATA_GRAPH:
            try:  # record what did get through, so it is not sent again
                write_metadata(final=True)
            except RemoteError:
                pass
        raise PushError(f"push stopped at graph <{current}>: {exc}", result, exc) from None
    return result


__all__ = [
    "CONTENT_HASH",
    "METADATA_GRAPH",
    "LocalGraph",
    "PushError",
    "PushResult",
    "graph_content",
    "metadata_ntriples",
    "push",
    "remote_hashes",
]
