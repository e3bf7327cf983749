"""Validate graphs against the project's SHACL shapes and return a typed report.

`validate_graph` checks a report's graph (or any graph) against `shapes/*.ttl`. It validates a
private copy of the data merged with a *context*: the ontology and the reference data. The
merge matters: `sh:class hkg:Organisation` accepts an `hkg:InternationalNGO` only because the
ontology's `rdfs:subClassOf` triples are in the data graph, and `sh:class hkg:Place` accepts
`id:place/ml` only because the reference places are. No RDFS inference is run.

pyshacl runs in advanced (SHACL-AF) mode: each SPARQL rule of the shapes has a SPARQL target
that finds its offenders in one query over the whole graph, so a clean graph costs one query
per rule instead of one per node (validating the reference data went from minutes to seconds).

`load_rdf` is the one place that parses RDF files: it picks the format from the extension,
refuses oversized files, RDF/XML with DTDs (entity expansion) and JSON-LD with remote contexts
(network access), and turns every parser error into an `RDFParseError` naming file and line.

One file: safe RDF loading, the context merge and the pySHACL call are validation's one entry
point; per-report verdicts and rendering live beside it (`per_report`, `run`).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import xml.parsers.expat
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax import SAXParseException

import pyoxigraph as ox
import pyshacl
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import ConjunctiveGraph
from rdflib.namespace import RDF
from rdflib.plugins.parsers.nquads import NQuadsParser
from rdflib.plugins.parsers.ntriples import W3CNTriplesParser
from rdflib.plugins.sparql import prepareQuery
from rdflib.term import Node

from kg.namespaces import GRAPH_INFERRED, GRAPH_ONTOLOGY, GRAPH_REFERENCE, PREFIXES, SH
from kg.resources import asset_files

__all__ = [
    "CONTEXT_GRAPHS",
    "DEFAULT_MAX_BYTES",
    "FORMATS",
    "SEVERITIES",
    "RDFParseError",
    "ContextValidator",
    "ShapesError",
    "ValidationReport",
    "Violation",
    "combine_reports",
    "compact",
    "context_graph",
    "default_workers",
    "keep_results",
    "load_rdf",
    "repository_graphs",
    "shapes_graph",
    "store_data_graphs",
    "validate_graph",
    "validate_graphs",
]

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
"""Files larger than this are refused by `load_rdf` unless the caller raises the limit."""

FORMATS: Mapping[str, str] = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".nq": "nquads",
    ".trig": "trig",
    ".jsonld": "json-ld",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
}
"""rdflib parser name for each file extension `load_rdf` accepts."""

SEVERITIES = ("Violation", "Warning", "Info")
"""SHACL severities, most severe first (the order reports are sorted in)."""

_LINE_RE = re.compile(r"\bat line (\d+)")
_BAD_SYNTAX_RE = re.compile(r"Bad syntax \((.*?)\) at \^ in:", re.DOTALL)
_NT_LINE_RE = re.compile(r"([^\r\n]*)(?:\r\n|\r|\n|$)")  # N-Triples lines end in CRLF, CR or LF
_PLACEHOLDER_RE = re.compile(r"\{[$?](\w+)\}")
_MESSAGE_MAX = 300


# --- loading --------------------------------------------------------------------------------


class RDFParseError(Exception):
    """An RDF file could not be read, was refused, or does not parse.

    `str()` gives ``path:line: message`` (``path: message`` when the line is unknown).
    """

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


def load_rdf(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Dataset:
    """Parse one RDF file, choosing the parser from its extension (see `FORMATS`).

    Triples of triple formats (Turtle, N-Triples, JSON-LD without graphs, RDF/XML) land in the
    default graph; TriG and N-Quads keep their named graphs. The dataset is returned with
    ``default_union=True``, so iterating it yields the triples of all its graphs.

    Raises `RDFParseError` when the file cannot be read, has an unknown extension, is larger
    than `max_bytes`, is RDF/XML with a DOCTYPE or ENTITY declaration, is JSON-LD naming a
    remote context (nothing is fetched), or does not parse.
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise RDFParseError(
            path, None, f"unknown RDF file extension {path.suffix!r}; expected {known}"
        )
    raw = _read_limited(path, max_bytes)
    if fmt == "xml":
        _refuse_xml_declarations(path, raw)
    elif fmt == "json-ld":
        _refuse_remote_contexts(path, raw)
    dataset = Dataset(default_union=True)
    try:
        dataset.parse(data=raw, format=fmt, publicID=path.resolve().as_uri())
    except Exception as exc:  # every parser has its own exception types; all become one
        raise _translate_parse_error(path, raw, fmt, exc) from exc
    return dataset


def _read_limited(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise RDFParseError(
                path, None, f"file has {size} bytes, more than the limit of {max_bytes}"
            )
        with path.open("rb") as stream:
            raw = stream.read(max_bytes + 1)  # the size may lie (pipes, growing files)
    except OSError as exc:
        raise RDFParseError(path, None, f"cannot read file: {exc.strerror or exc}") from exc
    if len(raw) > max_bytes:
        raise RDFParseError(path, None, f"file has more than the limit of {max_bytes} bytes")
    return raw


class _DeclarationFound(Exception):
    """Raised from the expat handlers to stop at the first DTD declaration."""


def _refuse_xml_declarations(path: Path, raw: bytes) -> None:
    """Refuse XML with a DOCTYPE or ENTITY declaration before any parser expands entities.

    expat is given handlers that stop at the start of a DOCTYPE, so no entity is ever expanded
    (billion laughs) and no external entity resolved. It reads the encoding declaration, so a
    UTF-16 file cannot hide its DOCTYPE from the check.
    """
    parser = xml.parsers.expat.ParserCreate()

    def refuse(*_args: object) -> None:
        raise _DeclarationFound

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(raw, True)
    except _DeclarationFound:
        raise RDFParseError(
            path,
            parser.CurrentLineNumber,
            "RDF/XML with a DOCTYPE or ENTITY declaration is refused (entity expansion)",
        ) from None
    except xml.parsers.expat.ExpatError as exc:
        reason = xml.parsers.expat.ErrorString(exc.code) if exc.code else str(exc)
        raise RDFParseError(
            path, exc.lineno, f"malformed XML: {reason} (column {exc.offset + 1})"
        ) from exc


def _refuse_remote_contexts(path: Path, raw: bytes) -> None:
    """Refuse JSON-LD whose @context or @import names a document: loading it is network access."""
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RDFParseError(
            path, exc.lineno, f"malformed JSON: {exc.msg} (column {exc.colno})"
        ) from exc
    except UnicodeDecodeError as exc:
        raise RDFParseError(path, None, f"JSON-LD is not UTF-8: {exc.reason}") from exc
    for reference in _context_references(document):
        raise RDFParseError(
            path, None, f"remote JSON-LD context {reference!r} is refused (no network access)"
        )


def _context_references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("@context", "@import"):
                items = value if isinstance(value, list) else [value]
                yield from (item for item in items if isinstance(item, str))
            yield from _context_references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _context_references(item)


def _translate_parse_error(path: Path, raw: bytes, fmt: str, exc: Exception) -> RDFParseError:
    """An `RDFParseError` with the line the parser reported (or that we can find)."""
    text = str(exc)
    line: int | None = None
    if isinstance(exc, SAXParseException):
        line = exc.getLineNumber()
        text = exc.getMessage()
    elif isinstance(exc, json.JSONDecodeError):
        line = exc.lineno
    elif (match := _LINE_RE.search(text)) is not None:  # notation3's BadSyntax: "at line N of"
        line = int(match.group(1))
        if (why := _BAD_SYNTAX_RE.search(text)) is not None:
            text = f"bad syntax ({why.group(1)})"
            near = _physical_line(raw, line)
            if near:
                text += f" near {near!r}"
    elif fmt in ("nt", "nquads"):
        line = _first_bad_line(raw, fmt)
    message = " ".join(text.split())
    if len(message) > _MESSAGE_MAX:
        message = message[: _MESSAGE_MAX - 1] + "…"
    return RDFParseError(path, line, f"{type(exc).__name__}: {message}")


def _physical_line(raw: bytes, line: int) -> str:
    lines = raw.decode("utf-8", errors="replace").splitlines()
    if 1 <= line <= len(lines):
        return lines[line - 1].strip()[:80]
    return ""


class _NullSink:
    """Accepts and forgets what the N-Triples/N-Quads line parsers produce."""

    def triple(self, *_triple: Node) -> None:
        return None

    def add(self, _triple: object) -> None:
        return None

    def get_context(self, _identifier: object) -> _NullSink:
        return self

    @property
    def default_context(self) -> _NullSink:
        return self


def _first_bad_line(raw: bytes, fmt: str) -> int | None:
    """The 1-based number of the first line the line-based parser rejects.

    rdflib's N-Triples and N-Quads errors quote the bad line but not its number, so the file is
    scanned again, one line at a time, only after a failure.
    """
    parser: W3CNTriplesParser = NQuadsParser() if fmt == "nquads" else W3CNTriplesParser()
    parser.sink = _NullSink()  # type: ignore[assignment]
    text = raw.decode("utf-8", errors="replace")
    for number, match in enumerate(_NT_LINE_RE.finditer(text), start=1):
        if match.start() == len(text):
            break
        parser.line = match.group(1)
        try:
            parser.parseline(bnode_context={})
        except Exception:  # noqa: BLE001 - any failure on this line is the answer
            return number
    return None


# --- the graphs validation needs ------------------------------------------------------------


def _add_all(target: Graph, source: Graph) -> None:
    """Add every triple of `source` (of all its graphs, for a dataset) to `target`."""
    if isinstance(source, ConjunctiveGraph):
        target.addN((s, p, o, target) for s, p, o, _ in source.quads((None, None, None, None)))
    else:
        target.addN((s, p, o, target) for s, p, o in source)


def _load_all(paths: Iterable[Path], max_bytes: int = DEFAULT_MAX_BYTES) -> Graph:
    graph = Graph()
    for path in paths:
        _add_all(graph, load_rdf(path, max_bytes=max_bytes))
    return graph


CONTEXT_GRAPHS = (str(GRAPH_ONTOLOGY), str(GRAPH_REFERENCE), str(GRAPH_INFERRED))
"""Named graphs of the store that are context (or derived), not data to validate."""


def store_data_graphs(store: ox.Store) -> dict[str, Graph]:
    """The store's data graphs (every named graph but the ontology, reference and inferred
    ones) by graph IRI, each as its own rdflib graph, in IRI order."""
    graphs: dict[str, Graph] = {}
    for name in sorted(store.named_graphs(), key=lambda n: n.value):
        if not isinstance(name, ox.NamedNode) or name.value in CONTEXT_GRAPHS:
            continue
        graph = Graph()
        data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=name)
        if data:
            graph.parse(data=data, format="nt")
        graphs[name.value] = graph
    return graphs


def shapes_graph() -> Graph:
    """All SHACL shapes of the project (`shapes/*.ttl`) in one graph."""
    paths = asset_files("shapes", "*.ttl")
    if not paths:
        raise FileNotFoundError("no shapes/*.ttl found: validation would accept anything")
    return _load_all(paths)


def repository_graphs() -> tuple[Graph, Graph]:
    """(ontology, reference data) of the checkout, as `kg build` puts them in the store.

    The reference data includes the ISO 3166 places generated from pycountry. Raises
    `RDFParseError` naming the file and line when a file does not parse.
    """
    from kg.reference.loader import load_reference  # reference data is only needed here

    try:
        reference = load_reference()
    except Exception:
        for path in [*asset_files("ontology", "*.ttl"), *asset_files("reference", "*.ttl")]:
            load_rdf(path)  # raises an RDFParseError naming the broken file
        raise
    return reference.ontology, reference.reference


def context_graph(extra: Graph | None = None) -> Graph:
    """The ontology (`ontology/*.ttl`) and reference data (`data/reference/*.ttl`) in one graph.

    `extra` is added too: the places generated from pycountry are not files, so whoever
    builds them passes them here.
    """
    graph = _load_all([*asset_files("ontology", "*.ttl"), *asset_files("reference", "*.ttl")])
    if extra is not None:
        _add_all(graph, extra)
    return graph


# --- the report ---------------------------------------------------------------------------


class ShapesError(Exception):
    """The shapes graph is not valid SHACL (pyshacl refused it), so nothing was validated."""


@dataclass(frozen=True)
class Violation:
    """One SHACL validation result (of any severity, despite the name).

    Nodes are given as full IRIs (``_:id`` for blank nodes); `value` is an IRI or a literal in
    N3 form (``"2023"^^xsd:gYear``). `shape` is the IRI of the shape that produced the result,
    or None when that shape is a blank node.
    """

    focus_node: str
    path: str | None
    value: str | None
    message: str
    severity: str
    shape: str | None

    def sort_key(self) -> tuple[int, str, str, str, str, str]:
        rank = SEVERITIES.index(self.severity) if self.severity in SEVERITIES else len(SEVERITIES)
        return (
            rank,
            self.focus_node,
            self.path or "",
            self.shape or "",
            self.value or "",
            self.message,
        )


@dataclass
class ValidationReport:
    """The outcome of `validate_graph`: conforms when no result has severity Violation."""

    conforms: bool
    violations: list[Violation]
    report_graph: Graph

    def count(self, severity: str = "Violation") -> int:
        """How many results have this severity ("Violation", "Warning" or "Info")."""
        return sum(1 for violation in self.violations if violation.severity == severity)

    def text(self) -> str:
        """One line per result: ``Violation: <focus> <path>: <message>`` with compact IRIs."""
        lines = []
        for v in self.violations:
            where = compact(v.focus_node)
            if v.path is not None:
                where += f" {compact(v.path)}"
            lines.append(f"{v.severity}: {where}: {v.message}")
        return "\n".join(lines)


def validate_graph(
    data: Graph,
    *,
    context: Graph | None = None,
    shapes: Graph | None = None,
    only_data_nodes: bool = False,
) -> ValidationReport:
    """Validate `data` merged with `context` against `shapes`.

    `context` defaults to `context_graph()` (pass ``Graph()`` to validate the data alone) and
    `shapes` to `shapes_graph()`. None of the graphs given is modified: pyshacl runs on a private
    union of `data` and `context`, without inference, and on a private copy of `shapes`.
    With `only_data_nodes`, only the subjects of `data` are validated as focus nodes (the
    context is assumed valid: check it once with ``validate_graph(context, context=Graph())``);
    this is much faster for a small graph in a large context. Results are sorted by severity,
    focus node, path, shape, value and message.
    """
    validator = ContextValidator(context if context is not None else context_graph(), shapes)
    return validator.validate(data, only_data_nodes=only_data_nodes)


class ContextValidator:
    """Validates data graphs against the shapes with one context, copied once.

    The context and the shapes are copied when the validator is made. Each `validate` call adds
    the data's triples the context lacks, runs pyshacl in place (no inference) and removes them
    again, so many report graphs can be validated in the same context without copying it each
    time. The caller's graphs are never modified. Not thread-safe: one validator per thread or
    process.
    """

    def __init__(
        self,
        context: Graph,
        shapes: Graph | None = None,
        *,
        query_cache: dict[Any, Any] | None = None,
    ) -> None:
        # pyshacl sends the same few SPARQL queries on every run and rdflib parses them each
        # time; `query_cache` keeps them parsed (share one dict between validators to reuse)
        self._cache = query_cache if query_cache is not None else {}
        self._base = PreparedQueryGraph(self._cache)
        _add_all(self._base, context)
        self._shapes = Graph()  # pyshacl adds a few RDFS/OWL triples to the shapes graph
        _add_all(self._shapes, shapes if shapes is not None else shapes_graph())
        # SHACL rules would add triples to the data graph: then validate on a copy each time
        self._copy_each_time = (None, SH.rule, None) in self._shapes

    def validate(
        self, data: Graph, *, only_data_nodes: bool = False, focus: str = "nodes"
    ) -> ValidationReport:
        """Validate `data` in the context (see `validate_graph` for `only_data_nodes`).

        With `only_data_nodes`, `focus` says how the other nodes are left out: ``"nodes"``
        gives pyshacl the data's subjects as focus nodes (best with a large context: the
        context's nodes are never validated); ``"filter"`` validates everything and keeps the
        results about the data's subjects (best with a small context and many subjects:
        pyshacl checks focus nodes against a list, which costs subjects x targets).
        Blank-node subjects cannot be pyshacl focus nodes, so they always mean ``"filter"``.
        """
        if focus not in ("nodes", "filter"):
            raise ValueError(f"focus must be 'nodes' or 'filter', not {focus!r}")
        triples = set(_triples_of(data))
        focus_nodes: list[URIRef | str] | None = None
        keep: set[Node] | None = None
        if only_data_nodes:
            keep = {s for s, _, _ in triples}
            if not keep:
                return ValidationReport(conforms=True, violations=[], report_graph=_empty_report())
            if focus == "nodes" and all(isinstance(subject, URIRef) for subject in keep):
                focus_nodes = sorted(s for s in keep if isinstance(s, URIRef))
                keep = None  # pyshacl restricts the results itself
        added = [t for t in triples if t not in self._base]
        target = self._base
        if self._copy_each_time:
            target = PreparedQueryGraph(self._cache)
            _add_all(target, self._base)
        target.addN((s, p, o, target) for s, p, o in added)
        try:
            _, results, _ = pyshacl.validate(
                target,
                shacl_graph=self._shapes,
                inference="none",
                advanced=True,  # SHACL-AF SPARQL targets: one query per rule, not one per node
                inplace=True,  # `target` is our own graph
                allow_warnings=True,
                allow_infos=True,
                focus_nodes=focus_nodes,
            )
        finally:
            if target is self._base:
                for triple in added:
                    self._base.remove(triple)
        if not isinstance(results, Graph):  # pyshacl returns its exception for unusable shapes
            raise ShapesError(f"the shapes graph cannot be used: {results}")
        return _report(results if keep is None else keep_results(results, keep))


def keep_results(results: Graph, keep: set[Node]) -> Graph:
    """A validation report graph with only the results whose focus node is in `keep`."""
    graph = Graph()
    node = BNode()
    graph.add((node, RDF.type, SH.ValidationReport))
    conforms = True
    for report in results.subjects(RDF.type, SH.ValidationReport):
        for result in results.objects(report, SH.result):
            if results.value(result, SH.focusNode) not in keep:
                continue
            graph.add((node, SH.result, result))
            graph += results.cbd(result)
            if results.value(result, SH.resultSeverity) == SH.Violation:
                conforms = False
    graph.add((node, SH.conforms, Literal(conforms)))
    return graph


class PreparedQueryGraph(Graph):
    """A graph whose SPARQL query strings are parsed once per `cache`."""

    def __init__(self, cache: dict[Any, Any]) -> None:
        super().__init__()
        self._prepared = cache

    def query(self, query_object: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(query_object, str):
            init_ns = kwargs.get("initNs") or (args[2] if len(args) > 2 else None)
            key = (query_object, tuple(sorted((init_ns or {}).items())))
            prepared = self._prepared.get(key)
            if prepared is None:
                prepared = prepareQuery(query_object, initNs=init_ns or dict(self.namespaces()))
                self._prepared[key] = prepared
            query_object = prepared
        return super().query(query_object, *args, **kwargs)


def _report(results: Graph) -> ValidationReport:
    top_level = (  # not the nested results pyshacl attaches with sh:detail
        result
        for report in results.subjects(RDF.type, SH.ValidationReport)
        for result in results.objects(report, SH.result)
    )
    violations = sorted((_violation(results, r) for r in top_level), key=Violation.sort_key)
    conforms = not any(v.severity == "Violation" for v in violations)
    return ValidationReport(conforms=conforms, violations=violations, report_graph=results)


def _empty_report() -> Graph:
    graph = Graph()
    node = BNode()
    graph.add((node, RDF.type, SH.ValidationReport))
    graph.add((node, SH.conforms, Literal(True)))
    return graph


def _triples_of(graph: Graph) -> Iterator[tuple[Node, Node, Node]]:
    if isinstance(graph, ConjunctiveGraph):  # a Dataset: the triples of every graph
        for s, p, o, _ in graph.quads((None, None, None, None)):
            yield s, p, o
    else:
        yield from graph


# --- many graphs, in parallel ---------------------------------------------------------------

PARALLEL_FROM = 8
"""`validate_graphs` uses worker processes from this many graphs on (below, startup costs more
than it saves)."""


def default_workers(count: int) -> int:
    """Worker processes for `count` graphs: up to the CPU count (at most 4), 1 for few graphs."""
    if count < PARALLEL_FROM:
        return 1
    return max(1, min(os.cpu_count() or 1, 4, count))


def validate_graphs(
    graphs: Mapping[str, Graph],
    *,
    context: Graph,
    shapes: Graph | None = None,
    workers: int | None = None,
) -> dict[str, ValidationReport]:
    """Validate each graph on its own in `context`, with only its own subjects as focus nodes.

    For the store's report graphs: each report's graph is checked with the ontology and
    reference data as context, which the shapes allow (a report's facts, spans and minted
    organisations only refer to themselves, their report and reference data). The context
    itself is not re-validated for every graph: check it once (`kg validate --reference`).
    With `workers` > 1 (default: `default_workers`) the graphs are spread over that many
    processes, each holding one copy of the context. Reports come back in the order given.
    """
    count = workers if workers is not None else default_workers(len(graphs))
    if count <= 1 or len(graphs) <= 1:
        validator = ContextValidator(context, shapes)
        return {name: validator.validate(g, only_data_nodes=True) for name, g in graphs.items()}
    shapes_data = _nt(shapes if shapes is not None else shapes_graph())
    items = [(name, _nt(graph)) for name, graph in graphs.items()]
    out: dict[str, ValidationReport] = {}
    with ProcessPoolExecutor(
        max_workers=count,
        mp_context=multiprocessing.get_context("spawn"),  # no fork: the caller may hold threads
        initializer=_init_worker,
        initargs=(_nt(context), shapes_data),
    ) as pool:
        chunk = max(1, len(items) // (count * 4))
        for name, violations, results in pool.map(_validate_in_worker, items, chunksize=chunk):
            graph = Graph()
            graph.parse(data=results, format="nt")
            conforms = not any(v.severity == "Violation" for v in violations)
            out[name] = ValidationReport(conforms, violations, graph)
    return out


def combine_reports(reports: Mapping[str, ValidationReport]) -> ValidationReport:
    """One report for many: every result, sorted, under one sh:ValidationReport node."""
    graph = _empty_report()
    node = next(iter(graph.subjects(RDF.type, SH.ValidationReport)))
    violations: list[Violation] = []
    for report in reports.values():
        violations.extend(report.violations)
        for old in report.report_graph.subjects(RDF.type, SH.ValidationReport):
            for result in report.report_graph.objects(old, SH.result):
                graph.add((node, SH.result, result))
        for s, p, o in report.report_graph:
            if p not in (SH.conforms, SH.result) and (s, RDF.type, SH.ValidationReport) not in (
                report.report_graph
            ):
                graph.add((s, p, o))
    conforms = not any(v.severity == "Violation" for v in violations)
    graph.set((node, SH.conforms, Literal(conforms)))
    return ValidationReport(
        conforms=conforms,
        violations=sorted(violations, key=Violation.sort_key),
        report_graph=graph,
    )


def _nt(graph: Graph) -> bytes:
    out = Graph()
    _add_all(out, graph)
    return out.serialize(format="nt", encoding="utf-8")


_WORKER: dict[str, ContextValidator] = {}
"""The worker process's validator (set by `_init_worker`; one per process, by design)."""


def _init_worker(context: bytes, shapes: bytes) -> None:
    context_graph_ = Graph()
    context_graph_.parse(data=context, format="nt")
    shapes_graph_ = Graph()
    shapes_graph_.parse(data=shapes, format="nt")
    _WORKER["validator"] = ContextValidator(context_graph_, shapes_graph_)


def _validate_in_worker(item: tuple[str, bytes]) -> tuple[str, list[Violation], bytes]:
    name, data = item
    graph = Graph()
    graph.parse(data=data, format="nt")
    report = _WORKER["validator"].validate(graph, only_data_nodes=True)
    return name, report.violations, report.report_graph.serialize(format="nt", encoding="utf-8")


def _violation(results: Graph, result: Node) -> Violation:
    focus = results.value(result, SH.focusNode)
    path = results.value(result, SH.resultPath)
    value = results.value(result, SH.value)
    severity = results.value(result, SH.resultSeverity)
    shape = results.value(result, SH.sourceShape)
    focus_text = _node_text(focus) if focus is not None else ""
    path_text = _path_text(results, path) if path is not None else None
    value_text = _value_text(value) if value is not None else None
    bindings = {
        "this": focus_text,
        "path": path_text or "",
        "value": str(value) if value is not None else "nothing",
    }
    messages = sorted(
        _fill_placeholders(str(m), bindings) for m in results.objects(result, SH.resultMessage)
    )
    return Violation(
        focus_node=focus_text,
        path=path_text,
        value=value_text,
        message="; ".join(messages) or "no message",
        severity=_local_name(severity) if isinstance(severity, URIRef) else "Violation",
        shape=str(shape) if isinstance(shape, URIRef) else None,
    )


def _fill_placeholders(message: str, bindings: Mapping[str, str]) -> str:
    """Fill ``{$this}``, ``{$path}``, ``{$value}`` (pyshacl fills them only for SPARQL results)."""
    return _PLACEHOLDER_RE.sub(lambda m: bindings.get(m.group(1), m.group(0)), message)


def _node_text(node: Node) -> str:
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


def _value_text(node: Node) -> str:
    if not isinstance(node, Literal):
        return _node_text(node)
    lexical = Literal(str(node)).n3()  # quoted and escaped
    if node.language:
        return f"{lexical}@{node.language}"
    if node.datatype is not None:
        datatype = compact(str(node.datatype))
        return f"{lexical}^^{datatype if datatype != str(node.datatype) else f'<{datatype}>'}"
    return lexical


def _path_text(graph: Graph, path: Node) -> str:
    """A SHACL property path as a string: an IRI, or SPARQL path syntax for complex paths."""
    if isinstance(path, URIRef):
        return str(path)
    if (graph.value(path, RDF.first)) is not None:
        return "/".join(_path_part(graph, item) for item in graph.items(path))
    for predicate, template in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = graph.value(path, predicate)
        if inner is not None:
            return template.format(_path_part(graph, inner))
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "|".join(_path_part(graph, item) for item in graph.items(alternatives))
    return _node_text(path)


def _path_part(graph: Graph, path: Node) -> str:
    text = _path_text(graph, path)
    return f"<{text}>" if isinstance(path, URIRef) else f"({text})"


def _local_name(iri: URIRef) -> str:
    return re.split(r"[#/]", str(iri))[-1]


def compact(iri: str) -> str:
    """``id:outcome/…`` for IRIs in a project namespace (for people, not a valid QName)."""
    best = ""
    best_prefix = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(str(namespace)) and len(str(namespace)) > len(best):
            best, best_prefix = str(namespace), prefix
    return f"{best_prefix}:{iri[len(best) :]}" if best else iri
