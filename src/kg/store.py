"""The embedded Oxigraph store: built off to the side, swapped in whole, opened read-only.

Neither `write_store` nor `update_store` modifies a store in place. `write_store` bulk-loads a
new store into a sibling temporary directory (`store.tmp-<pid>`), optimises and closes it, then
swaps it in. `update_store` (an incremental build: a few report graphs replaced) starts the
temporary store as a RocksDB checkpoint of the current one — hard links to its immutable files,
so it costs milliseconds whatever the store's size — applies the changes to that copy and swaps
it in the same way (docs/decisions/0001-incremental-store-updates.md says why).

The swap is one system call: `renameat2(RENAME_EXCHANGE)` exchanges the new directory and the
store atomically, so the path always holds a whole store, old or new, whenever the process
dies; the previous store, now under the temporary name, is then deleted. Where the exchange is
not available (not Linux, or a file system without it) the swap falls back to renames that can
be recovered: the finished copy is first renamed `store.new-<pid>` (complete), the store
`store.old-<pid>`, then the copy `store`. A process killed between those renames leaves no
directory at `path`; `open_store` then opens the complete copy (`locate_store`) and the next
writer renames it into place. docs/decisions/0004-no-data-loss-in-builds.md says why the store
is not a symbolic link to versioned directories.

Writers take a lock first (`lock_store`: `fcntl.flock` on `store.lock` beside the store, a file
that lives only while a writer holds it), so two builds of one store never interleave, and
the one holding the lock restores and removes what killed writers left (`store.tmp-*`,
`store.new-*`, `store.old-*`, `store.load-*.nq`): no live writer can be using them. If
anything fails before the swap, the temporary directory is removed and the previous store is
left exactly as it was. A reader that has the old store open keeps reading it, unchanged,
until it reopens.

A store may carry a build manifest, `kg-build.json` inside its directory (RocksDB ignores files
it did not write): what `kg build` built it from (`read_manifest`). It is written before the
swap, so it always describes the store it sits in.

Everything lives in named graphs (see docs/data-model.md): queries run with the default graph
as the union of the named graphs, so triples put in the store's own default graph would be
invisible, and `write_store` refuses them.

One file: the swap, the writer lock and the manifest are one crash-safety argument
(docs/decisions/0004): each step is correct only given the others, so they are read together.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import pyoxigraph as ox
from rdflib import Dataset, Graph
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID, ConjunctiveGraph

from kg.namespaces import ID

try:  # POSIX; elsewhere writers are not serialised (see `lock_store`)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

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
_LEFTOVER = re.compile(r"\.(tmp|new|old)-(\d+)|\.load-(\d+)\.nq")
"""What writers leave beside the store `<name>` when they are killed: `<name>` followed by
this (a temporary copy, a complete copy not yet swapped in, a displaced store, a load file)."""


class StoreError(Exception):
    """The store could not be written or read."""


class StoreNotFoundError(StoreError, FileNotFoundError):
    """No store at the given path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"no store at {path}: run `kg build` first")


class StoreBusyError(StoreError):
    """Another process is writing the store (it holds the lock)."""

    def __init__(self, path: Path, holder: int | None) -> None:
        self.path = path
        self.holder = holder
        who = f"process {holder}" if holder else "another process"
        super().__init__(
            f"{path}: {who} is already writing this store (kg build); nothing was done: "
            "run again when it has finished"
        )


@dataclass(frozen=True)
class StoreLock:
    """Proof that this process holds the store's writer lock (`lock_store`), and what taking
    it restored or removed of killed writers' leftovers."""

    path: Path
    recovered: list[str] = field(default_factory=list)


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
    lock: StoreLock | None = None,
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
    `path` is untouched and no temporary directory is left. `lock`: the caller already holds
    `lock_store(path)` (else it is taken here; `StoreBusyError` when another writer has it).
    """
    path = Path(path)
    with _locked(path, lock):
        _check_replaceable(path)
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
    lock: StoreLock | None = None,
) -> StoreStats:
    """Apply `changes` to a checkpoint copy of the store at `path` and swap the copy in.

    The previous store is only read (a checkpoint is hard links to its immutable files); on
    any failure it is left as it was and the copy is removed. `manifest` replaces the
    store's `kg-build.json`. `quads_before`, when the caller knows it, spares counting every
    quad of a large store (the result's `quads` is then that number plus the changes);
    `graphs_before` likewise spares listing every named graph (0.08 s at 10,000 reports).
    `lock` as for `write_store`. Raises `StoreNotFoundError` when there is no store to update.
    """
    path = Path(path)
    with _locked(path, lock):
        if not _is_store(path):
            raise StoreNotFoundError(path)
        return _replace(
            path, lambda tmp: _apply(path, tmp, changes, manifest, quads_before, graphs_before)
        )


def _apply(
    path: Path,
    tmp: Path,
    changes: StoreChanges,
    manifest: bytes | ManifestWriter | None,
    quads_before: int | None,
    graphs_before: int | None,
) -> tuple[int, int]:
    """`update_store`'s work on the checkpoint copy `tmp`: its quads and graphs."""
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
            1 for name in {quad.graph_name for quad in new} if not store.contains_named_graph(name)
        )
        delta += len(new)
        store.extend(new)
        store.flush()
        quads = quads_before + delta if quads_before is not None else len(store)
        if graphs_before is not None:
            graphs = graphs_before + graph_delta
        else:
            graphs = sum(1 for _ in store.named_graphs())
        _step("filling")
        _write_manifest(tmp, store, quads, graphs, manifest)
        return quads, graphs
    finally:
        del store


def _replace(path: Path, fill: Callable[[Path], tuple[int, int]]) -> StoreStats:
    """`fill` a new store in a temporary directory beside `path` (giving its quads and
    graphs), then swap it in; on any failure the temporary directory is removed and the store
    at `path` is left as it was."""
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    _remove_tree(tmp)
    started = time.perf_counter()
    try:
        quads, graphs = fill(tmp)
    except BaseException:
        _remove_tree(tmp)
        raise
    seconds = time.perf_counter() - started
    _step("filled")
    _swap_in(tmp, path)
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
    """The `kg-build.json` of the store at `path` (or where `locate_store` finds it), or None
    when there is none."""
    try:
        where = locate_store(Path(path))
    except StoreNotFoundError:
        where = Path(path)
    try:
        return (where / MANIFEST_NAME).read_bytes()
    except OSError:
        return None


def dump_sorted(store: ox.Store) -> bytes:
    """Every quad of the store as sorted N-Quads lines: byte-identical for the same content."""
    lines = sorted(f"{quad} .\n" for quad in store)
    return "".join(lines).encode("utf-8")


def open_store(path: Path = DEFAULT_STORE, read_only: bool = True) -> ox.Store:
    """Open the store at `path` (read-only by default: several readers may share it).

    Read-only, a store that a killed build left beside `path` is opened where it is
    (`locate_store`); writable, only the store at `path` itself."""
    path = Path(path)
    for attempt in range(3):
        where = locate_store(path)
        if not read_only and where != path:
            raise StoreError(
                f"no store at {path}, but an interrupted build left one at {where}: "
                "run `kg build` to put it back"
            )
        try:
            return ox.Store.read_only(str(where)) if read_only else ox.Store(str(where))
        except OSError as exc:
            if where != path and attempt < 2:  # a writer just moved it into place: look again
                continue
            raise StoreError(f"cannot open the store at {where}: {exc}") from exc
    raise StoreNotFoundError(path)  # pragma: no cover - the loop returns or raises


def locate_store(path: Path) -> Path:
    """The directory holding the store at `path`: `path` itself, or, when a build was killed
    between the renames of the fallback swap (no store at `path`), the complete store it left
    beside it: the new one (`<path>.new-<pid>`, finished before the swap began) or else the
    previous one (`<path>.old-<pid>`). The next writer moves it back (`lock_store`)."""
    path = Path(path)
    if _is_store(path):
        return path
    for kind in ("new", "old"):
        found = [
            candidate
            for candidate, (what, _pid) in _leftovers(path)
            if what == kind and _is_store(candidate)
        ]
        if found:
            return max(found, key=_mtime)
    raise StoreNotFoundError(path)


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
        _step("filling")
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


def _is_store(path: Path) -> bool:
    return (path / _ROCKSDB_MARKER).is_file()


def _check_replaceable(path: Path) -> None:
    """Refuse to replace a directory that is not an Oxigraph store (say `--store ~`)."""
    if path.exists() and not (_is_store(path) or (path.is_dir() and not any(path.iterdir()))):
        raise StoreError(f"{path} exists and is not an Oxigraph store: not replacing it")


def _step(name: str) -> None:
    """A named point of a write (`locked`, `filling`, `filled`, `renamed-new`, `displaced`,
    `swapped`, `removing`): nothing happens here; the fault-injection tests replace this
    function in a child process to kill it at each point (tests/test_store_swap.py)."""


def _swap_in(new: Path, path: Path) -> None:
    """Put the finished store `new` at `path`, atomically when the system can; then remove
    the previous store."""
    parent = path.parent
    if not path.exists() or (path.is_dir() and not path.is_symlink() and not any(path.iterdir())):
        os.replace(new, path)  # nothing there (or an empty directory): one rename
        _sync_dir(parent)
        _step("swapped")
        return
    if _exchange(new, path):
        _sync_dir(parent)
        _step("swapped")
        _remove_tree(new)  # the previous store, now under the temporary name
        return
    # The fallback, recoverable at each step (see `locate_store` and `_recover`).
    pid = os.getpid()
    pending = path.with_name(f"{path.name}.new-{pid}")
    backup = path.with_name(f"{path.name}.old-{pid}")
    os.replace(new, pending)  # complete: from here, recovery rolls forward
    _step("renamed-new")
    try:
        os.replace(path, backup)
        _step("displaced")
        os.replace(pending, path)
    except BaseException:
        if not path.exists() and backup.exists():
            os.replace(backup, path)
        _remove_tree(pending)
        raise
    _sync_dir(parent)
    _step("swapped")
    _remove_tree(backup)


_RENAME_EXCHANGE = 2  # linux/fs.h
_NO_EXCHANGE = frozenset({errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV})


def _exchange(first: Path, second: Path) -> bool:
    """Exchange two paths in one atomic step (Linux `renameat2(RENAME_EXCHANGE)`); False when
    the system or the file system cannot (the caller falls back to renames)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):  # glibc before 2.28, musl before 1.2.? …
        return False
    at_fdcwd = -100
    done = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), _RENAME_EXCHANGE)
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in _NO_EXCHANGE:
        return False
    raise OSError(code, f"cannot exchange {first} and {second}: {os.strerror(code)}")


def _sync_dir(directory: Path) -> None:
    """Make a rename in `directory` durable (a crash of the machine, not only the process)."""
    with suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_tree(path: Path) -> None:
    """Delete a store directory (or a leftover file), its marker first: a half-deleted store is
    never taken for a store."""
    if path.is_symlink() or path.is_file():
        with suppress(OSError):
            path.unlink()
        return
    if not path.exists():
        return
    with suppress(OSError):
        (path / _ROCKSDB_MARKER).unlink()
    _step("removing")
    shutil.rmtree(path, ignore_errors=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _leftovers(path: Path) -> list[tuple[Path, tuple[str, int]]]:
    """What writers of the store at `path` left beside it: (path, (kind, pid)), kind one of
    `tmp`, `new`, `old`, `load`."""
    out: list[tuple[Path, tuple[str, int]]] = []
    prefix = path.name
    try:
        names = sorted(os.listdir(path.parent))
    except OSError:
        return out
    for name in names:
        if not name.startswith(prefix):
            continue
        match = _LEFTOVER.fullmatch(name[len(prefix) :])
        if match is None:
            continue
        if match.group(1):
            out.append((path.with_name(name), (match.group(1), int(match.group(2)))))
        else:
            out.append((path.with_name(name), ("load", int(match.group(3)))))
    return out


@contextmanager
def lock_store(path: Path, *, wait: bool = False) -> Iterator[StoreLock]:
    """Hold the writer lock of the store at `path`, after putting right what killed writers
    left: a store left beside `path` by the fallback swap is moved back, temporary copies,
    displaced stores and load files are deleted (no live writer can be using them: it would
    hold the lock). `wait`: block until the lock is free (else `StoreBusyError` at once).

    The lock is `fcntl.flock` on `<path>.lock`, a file the holder deletes before letting go
    (so nothing is left beside the store); a process that locked a file just deleted tries
    again. Readers take no lock. Without `fcntl` (Windows) writers are not serialised."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fcntl is None:  # pragma: no cover - Windows
        yield StoreLock(path, _recover(path))
        return
    lock_path = path.with_name(f"{path.name}.lock")
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise StoreBusyError(path, holder) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            same = os.stat(lock_path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the previous holder deleted it after we opened it: take the new one
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        lock = StoreLock(path, _recover(path))
        _step("locked")
        yield lock
    finally:
        with suppress(OSError):
            os.unlink(lock_path)
        os.close(fd)


def recover_store(path: Path) -> list[str]:
    """Put right what killed writers left beside the store at `path` now, if no writer is
    running (else nothing: the writer does it): for readers that open the path itself rather
    than through `open_store`, such as `kg serve`'s query workers. What was done, one line
    each; nothing when the lock is held or cannot be taken (no write permission)."""
    path = Path(path)
    if not path.parent.is_dir():
        return []
    try:
        with lock_store(path) as lock:
            return lock.recovered
    except (StoreBusyError, OSError):
        return []


@contextmanager
def _locked(path: Path, lock: StoreLock | None) -> Iterator[None]:
    """The caller's lock (checked to be this store's), or the lock taken for this call."""
    if lock is not None:
        if Path(lock.path) != path:
            raise StoreError(f"the lock held is {lock.path}'s, not {path}'s")
        yield
        return
    with lock_store(path):
        yield


def _read_pid(fd: int) -> int | None:
    with suppress(OSError, ValueError):
        return int(os.pread(fd, 32, 0).decode().strip())
    return None


def _recover(path: Path) -> list[str]:
    """Put right what killed writers left beside `path` (the caller holds the lock): what was
    done, one line each."""
    done: list[str] = []
    if not _is_store(path):
        try:
            found = locate_store(path)
        except StoreNotFoundError:
            found = None
        if found is not None and (not path.exists() or (path.is_dir() and not any(path.iterdir()))):
            os.replace(found, path)
            _sync_dir(path.parent)
            done.append(f"restored {path} from {found.name}, left by a build that was killed")
    keep_stores = not _is_store(path)  # could not restore: keep what could be (never lose data)
    for leftover, (kind, _pid) in _leftovers(path):
        if keep_stores and kind in ("new", "old") and _is_store(leftover):
            continue
        what = {
            "tmp": "an unfinished store",
            "new": "a store that was not swapped in",
            "old": "a replaced store",
            "load": "a load file",
        }[kind]
        _remove_tree(leftover)
        done.append(f"removed {leftover.name}, {what} left by a build that was killed")
    return done


__all__ = [
    "DEFAULT_STORE",
    "MANIFEST_NAME",
    "ManifestWriter",
    "REPORT_GRAPH_PREFIX",
    "StoreBusyError",
    "StoreChanges",
    "StoreError",
    "StoreLock",
    "StoreNotFoundError",
    "StoreStats",
    "dump_sorted",
    "locate_store",
    "lock_store",
    "open_store",
    "oxigraph_triples",
    "read_manifest",
    "recover_store",
    "update_store",
    "write_store",
]
