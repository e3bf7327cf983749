"""The embedded Oxigraph store: built off to the side, swapped in whole, opened read-only.

Neither `write_store` nor `update_store` modifies a store in place. `write_store` bulk-loads a
new store into a sibling temporary directory (`store.tmp-<pid>`), optimises and closes it, then
swaps it in: the old store is renamed to `store.old-<pid>`, the new one renamed to `store`, the
old one deleted. `update_store` (an incremental build: a few report graphs replaced) starts the
temporary store as a RocksDB checkpoint of the current one — hard links to its immutable files,
so it costs milliseconds whatever the store's size — applies the changes to that copy and swaps
it in the same way (docs/decisions/0001-incremental-store-updates.md says why).
If anything fails before the swap, the temporary directory is removed and the previous store
is left exactly as it was. (Between the two renames there is a moment with no store at
`path`; a reader that opens it then gets `StoreNotFoundError`, never a half-built store.)
A reader that has the old store open keeps reading it, unchanged, until it reopens.

A store may carry a build manifest, `kg-build.json` inside its directory (RocksDB ignores files
it did not write): what `kg build` built it from (`read_manifest`). It is written before the
swap, so it always describes the store it sits in.

Everything lives in named graphs (see docs/data-model.md): queries run with the default graph
as the union of the named graphs, so triples put in the store's own default graph would be
invisible, and `write_store` refuses them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import pyoxigraph as ox
from rdflib import Dataset, Graph
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID, ConjunctiveGraph

from kg.namespaces import ID
from kg.query import load_query, run_query

DEFAULT_STORE = Path("build/store")
MANIFEST_NAME = "kg-build.json"

REPORT_GRAPH_PREFIX = str(ID["graph/report/"])

# A graph to load: (graph IRI, rdflib graph), or an already-built pyoxigraph quad.
GraphPair: TypeAlias = tuple[Any, Graph]
Source: TypeAlias = (
    ConjunctiveGraph | bytes | str | os.PathLike[str] | Iterable[GraphPair | ox.Quad]
)

ManifestWriter: TypeAlias = Callable[[ox.Store, int, int], bytes]
"""Makes the manifest from the new store (still open), its quad count and graph count."""

_ROCKSDB_MARKER = "CURRENT"  # every Oxigraph (RocksDB) store directory has one


class StoreError(Exception):
    """The store could not be written or read."""


class StoreNotFoundError(StoreError, FileNotFoundError):
    """No store at the given path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"no store at {path}: run `kg build` first")


@dataclass(frozen=True)
class StoreStats:
    """What `write_store` loaded."""

    path: Path
    quads: int
    graphs: int
    seconds: float

    @property
    def quads_per_second(self) -> float:
        return self.quads / self.seconds if self.seconds > 0 else float("inf")


def write_store(
    path: Path,
    source: Source,
    *,
    optimize: bool = True,
    manifest: bytes | ManifestWriter | None = None,
    more: Iterable[ox.Quad] = (),
) -> StoreStats:
    """Build a new store at `path` from `source` and swap it in atomically.

    `source` is one of:
    - an rdflib `Dataset` (or `ConjunctiveGraph`): its named graphs;
    - an iterable of `(graph_iri, rdflib.Graph)` pairs and/or pyoxigraph `Quad`s;
    - N-Quads as `bytes`;
    - a path (`str` or `os.PathLike`) to an N-Quads or TriG file (format from the extension).

    `more`: quads loaded after `source`, as they are (blank node labels kept: the loaders of
    N-Quads files rename them). The caller's graphs are only read. `manifest` (bytes, or a
    function making them from the new store) is written into the new store's directory as
    `kg-build.json`. Raises `StoreError` when the data puts triples in the default graph, and
    whatever the parser or loader raised on bad data; in every failure the previous store at
    `path` is untouched and no temporary directory is left.
    """
    path = Path(path)
    _check_replaceable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return _replace(
        path, lambda tmp: _build(tmp, source, optimize=optimize, manifest=manifest, more=more)
    )


@dataclass(frozen=True)
class StoreChanges:
    """What `update_store` does to a copy of the store, in this order."""

    remove_graphs: list[str]  # named graphs (IRIs) to drop whole
    remove_quads: list[ox.Quad]  # single quads to drop (an inferred triple no report gives)
    add_quads: list[ox.Quad]


def update_store(
    path: Path,
    changes: StoreChanges,
    *,
    manifest: bytes | ManifestWriter | None = None,
    quads_before: int | None = None,
    graphs_before: int | None = None,
) -> StoreStats:
    """Apply `changes` to a checkpoint copy of the store at `path` and swap the copy in.

    The previous store is only read (a checkpoint is hard links to its immutable files); on
    any failure it is left as it was and the copy is removed. `manifest` replaces the
    store's `kg-build.json`. `quads_before`, when the caller knows it, spares counting every
    quad of a large store (the result's `quads` is then that number plus the changes);
    `graphs_before` likewise spares listing every named graph (0.08 s at 10,000 reports).
    Raises `StoreNotFoundError` when there is no store to update.
    """
    path = Path(path)
    if not (path / _ROCKSDB_MARKER).is_file():
        raise StoreNotFoundError(path)

    def apply(tmp: Path) -> tuple[int, int]:
        current = ox.Store.read_only(str(path))
        current.backup(str(tmp))
        del current
        store = ox.Store(str(tmp))
        try:
            if any(isinstance(q.graph_name, ox.DefaultGraph) for q in changes.add_quads):
                raise StoreError("the update puts triples in the default graph")
            delta = graph_delta = 0
            for graph in changes.remove_graphs:
                name = ox.NamedNode(graph)
                if store.contains_named_graph(name):
                    graph_delta -= 1
                delta -= sum(1 for _ in store.quads_for_pattern(None, None, None, name))
                store.remove_graph(name)
            for quad in changes.remove_quads:
                if quad in store:
                    delta -= 1
                    store.remove(quad)
            new = {quad for quad in changes.add_quads if quad not in store}
            graph_delta += sum(
                1
                for name in {quad.graph_name for quad in new}
                if not store.contains_named_graph(name)
            )
            delta += len(new)
            store.extend(new)
            store.flush()
            quads = quads_before + delta if quads_before is not None else len(store)
            if graphs_before is not None:
                graphs = graphs_before + graph_delta
            else:
                graphs = sum(1 for _ in store.named_graphs())
            _write_manifest(tmp, store, quads, graphs, manifest)
            return quads, graphs
        finally:
            del store

    return _replace(path, apply)


def _replace(path: Path, fill: Callable[[Path], tuple[int, int]]) -> StoreStats:
    """`fill` a new store in a temporary directory beside `path` (giving its quads and
    graphs), then swap it in; on any failure the temporary directory is removed and the store
    at `path` is left as it was."""
    pid = os.getpid()
    tmp = path.with_name(f"{path.name}.tmp-{pid}")
    backup = path.with_name(f"{path.name}.old-{pid}")
    if tmp.exists():
        shutil.rmtree(tmp)
    started = time.perf_counter()
    try:
        quads, graphs = fill(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    seconds = time.perf_counter() - started
    _swap_in(tmp, path, backup)
    return StoreStats(path=path, quads=quads, graphs=graphs, seconds=seconds)


def _write_manifest(
    directory: Path,
    store: ox.Store,
    quads: int,
    graphs: int,
    manifest: bytes | ManifestWriter | None,
) -> None:
    if manifest is None:
        return
    data = manifest(store, quads, graphs) if callable(manifest) else manifest
    (directory / MANIFEST_NAME).write_bytes(data)


def oxigraph_triples(graph: Graph) -> list[ox.Triple]:
    """An rdflib graph's triples as Oxigraph triples, with stable blank node labels.

    Parsers label blank nodes at random (rdflib) or rename them (Oxigraph's loaders), so the
    ontology's `owl:unionOf` lists would get new labels on every build. Here each blank node is
    labelled by a digest of what it says (its triples, nested blank nodes included) and where
    it hangs (the triples pointing to it): the same graph gives the same labels. Two blank
    nodes alike in both are interchangeable and become one.
    """
    data = graph.serialize(format="nt", encoding="utf-8")
    triples = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(data, ox.RdfFormat.N_TRIPLES, rename_blank_nodes=False)
    ]
    outgoing: dict[str, list[ox.Triple]] = {}
    incoming: dict[str, list[ox.Triple]] = {}
    for t in triples:
        if isinstance(t.subject, ox.BlankNode):
            outgoing.setdefault(t.subject.value, []).append(t)
        if isinstance(t.object, ox.BlankNode):
            incoming.setdefault(t.object.value, []).append(t)
    if not outgoing and not incoming:
        return triples
    content_memo: dict[str, str] = {}

    def content(node: str, depth: int = 0) -> str:
        if node in content_memo:
            return content_memo[node]
        parts = []
        for t in outgoing.get(node, ()):
            o = t.object
            inner = (
                content(o.value, depth + 1)
                if isinstance(o, ox.BlankNode) and depth < 32
                else str(o)
            )
            parts.append(f"{t.predicate} {inner}")
        text = "[" + " ".join(sorted(parts)) + "]"
        content_memo[node] = text
        return text

    def context(node: str, depth: int = 0) -> str:
        parts = []
        for t in incoming.get(node, ()):
            s = t.subject
            where = (
                context(s.value, depth + 1) + content(s.value)
                if isinstance(s, ox.BlankNode) and depth < 32
                else str(s)
            )
            parts.append(f"{where} {t.predicate}")
        return " ".join(sorted(parts))

    labels = {
        node: ox.BlankNode(
            "b" + hashlib.sha256(f"{content(node)}|{context(node)}".encode()).hexdigest()[:32]
        )
        for node in sorted(set(outgoing) | set(incoming))
    }

    def relabel(term: Any) -> Any:
        return labels[term.value] if isinstance(term, ox.BlankNode) else term

    return [ox.Triple(relabel(t.subject), t.predicate, relabel(t.object)) for t in triples]


def read_manifest(path: Path) -> bytes | None:
    """The `kg-build.json` of the store at `path`, or None when there is none."""
    try:
        return (Path(path) / MANIFEST_NAME).read_bytes()
    except OSError:
        return None


def dump_sorted(store: ox.Store) -> bytes:
    """Every quad of the store as sorted N-Quads lines: byte-identical for the same content."""
    lines = sorted(f"{quad} .\n" for quad in store)
    return "".join(lines).encode("utf-8")


def open_store(path: Path = DEFAULT_STORE, read_only: bool = True) -> ox.Store:
    """Open the store at `path` (read-only by default: several readers may share it)."""
    path = Path(path)
    if not (path / _ROCKSDB_MARKER).is_file():
        raise StoreNotFoundError(path)
    try:
        return ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
    except OSError as exc:
        raise StoreError(f"cannot open the store at {path}: {exc}") from exc


def stats(store: ox.Store) -> dict[str, Any]:
    """Counts for `kg stats`: quads, named graphs, instances per hkg class, figures per report.

    Returns `{"quads": n, "graphs": n, "classes": {class_iri: n},
    "reports": {graph_iri: {"report", "triples", "outcomes", "context_figures",
    "presences", "partnerships"}}}`.
    """
    classes: dict[str, int] = {}
    for row in run_query(store, load_query("stats-classes")).records():
        classes[str(row["class"])] = int(row["instances"] or 0)
    reports: dict[str, dict[str, Any]] = {}
    for row in run_query(store, load_query("stats-by-report")).records():
        graph = str(row.pop("graph"))
        reports[graph] = {
            key: (value if key == "report" else int(value or 0)) for key, value in row.items()
        }
    return {
        "quads": len(store),
        "graphs": sum(1 for _ in store.named_graphs()),
        "classes": classes,
        "reports": reports,
    }


# --- building ------------------------------------------------------------------------------


def _build(
    tmp: Path,
    source: Source,
    *,
    optimize: bool,
    manifest: bytes | ManifestWriter | None,
    more: Iterable[ox.Quad] = (),
) -> tuple[int, int]:
    store = ox.Store(str(tmp))
    try:
        _load(store, source)
        store.bulk_extend(more)
        if next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None):
            raise StoreError(
                "the data puts triples in the default graph, which queries never see "
                "(they read the union of the named graphs): put them in a named graph"
            )
        if optimize:
            store.optimize()
        store.flush()
        quads, graphs = len(store), sum(1 for _ in store.named_graphs())
        _write_manifest(tmp, store, quads, graphs, manifest)
        return quads, graphs
    finally:
        # Drop the only reference so RocksDB closes its files before the directory moves.
        del store


def _load(store: ox.Store, source: Source) -> None:
    if isinstance(source, bytes):
        store.bulk_load(source, ox.RdfFormat.N_QUADS)
    elif isinstance(source, str | os.PathLike):
        file = Path(source)
        fmt = ox.RdfFormat.from_extension(file.suffix.lstrip("."))
        if fmt is None or not fmt.supports_datasets:
            raise StoreError(f"{file}: expected an N-Quads (.nq) or TriG (.trig) file")
        store.bulk_load(path=str(file), format=fmt)
    elif isinstance(source, Dataset):
        store.bulk_extend(_quads_from_pairs((g.identifier, g) for g in source.graphs()))
    elif isinstance(source, ConjunctiveGraph):
        store.bulk_extend(_quads_from_pairs((g.identifier, g) for g in source.contexts()))
    else:
        store.bulk_extend(_quads_from_pairs(source))


def _quads_from_pairs(items: Iterable[GraphPair | ox.Quad]) -> Iterator[ox.Quad]:
    """Stream quads: each rdflib graph is serialised as N-Triples and parsed by Oxigraph.

    Measured (800k quads, 2 cores): about as fast as one big N-Quads `bulk_load` and faster
    than converting rdflib terms one by one in Python, without holding the whole dataset as
    text; rdflib's serialiser handles escapes, language tags and datatypes. (Oxigraph then
    stores numbers canonically: `"010"^^xsd:nonNegativeInteger` comes back `"10"^^xsd:integer`.)
    """
    for item in items:
        if isinstance(item, ox.Quad):
            yield item
            continue
        graph_iri, graph = item
        if len(graph) == 0:
            continue
        if graph_iri is None or str(graph_iri) == str(DATASET_DEFAULT_GRAPH_ID):
            graph_name: ox.NamedNode | ox.DefaultGraph = ox.DefaultGraph()
        else:
            graph_name = ox.NamedNode(str(graph_iri))
        data = graph.serialize(format="nt", encoding="utf-8")
        for triple in ox.parse(data, ox.RdfFormat.N_TRIPLES):
            yield ox.Quad(triple.subject, triple.predicate, triple.object, graph_name)


# --- swapping ------------------------------------------------------------------------------


def _check_replaceable(path: Path) -> None:
    """Refuse to replace a directory that is not an Oxigraph store (say `--store ~`)."""
    if path.exists() and not (
        (path / _ROCKSDB_MARKER).is_file() or (path.is_dir() and not any(path.iterdir()))
    ):
        raise StoreError(f"{path} exists and is not an Oxigraph store: not replacing it")


def _swap_in(new: Path, path: Path, backup: Path) -> None:
    if backup.exists():
        shutil.rmtree(backup)
    had_old = path.exists()
    if had_old:
        os.replace(path, backup)
    try:
        os.replace(new, path)
    except BaseException:
        if had_old:
            os.replace(backup, path)
        shutil.rmtree(new, ignore_errors=True)
        raise
    if had_old:
        shutil.rmtree(backup, ignore_errors=True)


__all__ = [
    "DEFAULT_STORE",
    "MANIFEST_NAME",
    "ManifestWriter",
    "REPORT_GRAPH_PREFIX",
    "StoreChanges",
    "StoreError",
    "StoreNotFoundError",
    "StoreStats",
    "dump_sorted",
    "open_store",
    "oxigraph_triples",
    "read_manifest",
    "stats",
    "update_store",
    "write_store",
]
