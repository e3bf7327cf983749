"""One report through the pipeline: read, extract, emit, validate, infer, serialise.

`kg.build.run` runs `ReportPipeline.process` for every new or changed report, in worker processes
(each builds one pipeline: lexicons, shapes and reference index are prepared once per worker).
The result, `ReportOutput`, is plain data (N-Quads bytes and counts), cheap to send between
processes and to cache under `build/cache/`.

Validation, per report (`ReportValidator`). A report's graph is validated on its own with a
small context: the `rdfs:subClassOf` triples of the ontology and the *interface* of every
reference entity it names — what shapes read of it when they check a report's nodes:
`rdf:type` (for `sh:class`), `skos:inScheme` (for `sh:node` of qualifier and role concepts) and
`hkg:figureKind` (the indicator-kind rule). Only the shapes that can target the report's own
nodes run, and results are kept for those nodes (figures, spans, selectors, presences,
partnerships, the report). Reference entities are validated once, on their own (`kg validate
--reference`); the organisations a report mints (`hkg:newlyDetected`, an IRI other reports may
mint too) are validated once on the union of every report's triples about them
(`validate_shared`). `tests/test_pipeline.py` checks that this gives, for a report's nodes,
exactly the results of validating the report merged with all the ontology and reference data,
at a fraction of the cost: merged with all of it, pySHACL also re-checks the reference data
(its vocabularies' duplicate-label rules over every concept…) for every report (0.8 s or more
a report, against 30–90 ms). pyshacl parses its SPARQL again on every run; `PreparedQueryGraph`
keeps the parsed queries of one pipeline (about 40% of a small report's validation time). The
shapes pySHACL gets have their property shapes hoisted to top-level shapes with their node
shape's targets (`hoist_property_shapes`: the same results, checked against pySHACL on the
original shapes by `tests/test_pipeline.py`), and one pySHACL `ShapesGraph` per shape selection
serves every call: together about 1.6× less validation time (docs/decisions/0002). The shapes
whose targets are SPARQL queries run only when Oxigraph finds a node for them (`TargetScreen`):
another 1.8× (docs/decisions/0003).

Inference, per report (`kg.reason.materialise.ReportReasoner`): the rules of `queries/inference/`
over the report's graph, the ontology and the reference entities it names with what they point to
(`ReferenceIndex.closure`: a place's ancestors, an indicator's sector…), less what the
reference data alone gives and what is stated. The store's inferred graph is what the reference
data gives plus the union of the reports' inferred triples, so one report can be replaced
without running the rules over the whole store.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pyshacl
from pyshacl.errors import ValidationFailure
from pyshacl.graph_abstraction import DataGraph
from pyshacl.shapes_graph import ShapesGraph
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD
from rdflib.plugins.stores.memory import SimpleMemory

from kg.emit import emit_report
from kg.extract import extract_report
from kg.extract.lexicons import Lexicons, default_lexicons
from kg.model import Extraction
from kg.namespaces import HKG, ID, SH, report_graph
from kg.reason.materialise import ReportReasoner
from kg.reference.loader import Reference
from kg.reports import ReportError, read_report, sidecar_path
from kg.store import oxigraph_triples
from kg.validate.engine import (
    PreparedQueryGraph,
    ShapesError,
    ValidationReport,
    Violation,
    shapes_graph,
)
from kg.validate.engine import _report as _validation_report  # noqa: PLC2701 - the typed report

__all__ = [
    "INTERFACE_PREDICATES",
    "LOCAL_KINDS",
    "PreparedReference",
    "ReferenceIndex",
    "ReportOutput",
    "ReportPipeline",
    "ReportValidator",
    "TargetScreen",
    "hoist_property_shapes",
    "input_sha256",
    "is_local",
    "term_value",
]

INTERFACE_PREDICATES = (RDF.type, SKOS.inScheme, HKG.figureKind)
"""What the shapes read of a reference entity when they check a report's nodes."""

LOCAL_KINDS = frozenset({"report", "outcome", "context", "span", "presence", "partnership"})
"""IRI kinds minted per report (`id:{kind}/{report-id}/…`, see `kg.namespaces`)."""

_ID = str(ID)
_NOT_FOLLOWED = frozenset(
    str(p) for p in (RDF.type, SKOS.inScheme, SKOS.topConceptOf, SKOS.hasTopConcept)
)


def term_value(term: Any) -> str:
    """An IRI or blank node label (a quoted triple as text)."""
    return term.value if isinstance(term, ox.NamedNode | ox.BlankNode) else str(term)


def is_local(iri: str, report_id: str) -> bool:
    """Whether `iri` was minted for report `report_id` (and no other report can mint it)."""
    if not iri.startswith(_ID):
        return False
    parts = iri[len(_ID) :].split("#", 1)[0].split("/")
    return len(parts) >= 2 and parts[0] in LOCAL_KINDS and parts[1] == report_id


def input_sha256(path: Path) -> str:
    """Digest of what a report's graph is built from: its file name, text and sidecar bytes."""
    digest = hashlib.sha256(b"kg-report-input-1\0")
    digest.update(path.name.encode("utf-8") + b"\0")
    digest.update(path.read_bytes())
    side = sidecar_path(path)
    digest.update(b"\0sidecar\0")
    if side.is_file():
        digest.update(side.read_bytes())
    return digest.hexdigest()


# --- what a report needs of the reference data ------------------------------------------------


class ReferenceIndex:
    """The ontology and reference data, indexed for the per-report contexts."""

    def __init__(self, reference: Reference, triples: list[ox.Triple] | None = None) -> None:
        self.subclass: list[tuple[Any, Any, Any]] = []
        self.interface: dict[Any, list[tuple[Any, Any, Any]]] = defaultdict(list)
        for graph in (reference.ontology, reference.reference):
            for s, p, o in graph:
                if p == RDFS.subClassOf:
                    self.subclass.append((s, p, o))
                if isinstance(s, URIRef) and p in INTERFACE_PREDICATES:
                    self.interface[s].append((s, p, o))
        self.subclass.sort()
        # for inference, as Oxigraph triples: subject IRI -> its triples
        self.described: dict[str, list[ox.Triple]] = defaultdict(list)
        if triples is None:
            triples = oxigraph_triples(reference.ontology) + oxigraph_triples(reference.reference)
        for triple in triples:
            subject = triple.subject
            if isinstance(subject, ox.NamedNode) and subject.value.startswith(_ID):
                self.described[subject.value].append(triple)

    def context(self, graph: Graph) -> list[tuple[Any, Any, Any]]:
        """For validation: the subclass triples and the interface of every IRI `graph`
        mentions."""
        out = list(self.subclass)
        seen: set[Any] = set()
        for s, _, o in graph:
            for node in (s, o):
                if node in seen or not isinstance(node, URIRef):
                    continue
                seen.add(node)
                out.extend(self.interface.get(node, ()))
        return out

    def closure(self, triples: Iterable[ox.Triple]) -> list[ox.Triple]:
        """For inference: every triple about the reference entities `triples` mention and,
        recursively, about the entities those triples point to (a place's ancestors, an
        indicator's sector and its broader sectors…), except through `skos:inScheme` and
        the scheme's top concepts (a scheme would bring in every concept)."""
        out: list[ox.Triple] = []
        seen: set[str] = set()
        todo = [
            node.value
            for t in triples
            for node in (t.subject, t.object)
            if isinstance(node, ox.NamedNode)
        ]
        while todo:
            iri = todo.pop()
            if iri in seen:
                continue
            seen.add(iri)
            for triple in self.described.get(iri, ()):
                out.append(triple)
                if isinstance(triple.object, ox.NamedNode) and (
                    triple.predicate.value not in _NOT_FOLLOWED
                ):
                    todo.append(triple.object.value)
        return out


# --- validation ---------------------------------------------------------------------------------


_PYSHACL_OPTIONS: dict[str, Any] = {
    "inference": "none",
    "advanced": True,  # SHACL-AF: the shapes' SPARQL targets
    "inplace": True,  # the data graph is our own
    "allow_warnings": True,
    "allow_infos": True,
}
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)


class ReportValidator:
    """Validates report graphs one at a time (see the module's docstring).

    Only the shapes that can have one of the report's own nodes as a focus node run: those
    targeting a class (or a superclass of a class) the report's nodes are typed with, and every
    shape with another kind of target (SPARQL targets, target nodes…). The shapes of reference
    classes — places, sectors, vocabularies, organisations — are for the reference validation
    and the shared check; the report's results would not include their focus nodes anyway.
    """

    def __init__(self, index: ReferenceIndex, shapes: Graph | None = None) -> None:
        self.index = index
        self._shapes = Graph()
        for triple in shapes if shapes is not None else shapes_graph():
            self._shapes.add(triple)
        self._prepared: dict[Any, Any] = {}
        self._supers: dict[Any, set[Any]] = defaultdict(set)
        for sub, _, sup in index.subclass:
            self._supers[sub].add(sup)
        self._targets: list[tuple[str, frozenset[Any] | None]] | None = []
        for shape in sorted(set(self._shapes.subjects(None, None)), key=str):
            predicates = {p for p in self._shapes.predicates(shape) if p in _TARGETS}
            if not predicates:
                continue
            if not isinstance(shape, URIRef):  # cannot be named in use_shapes: run all
                self._targets = None
                break
            classes = frozenset(self._shapes.objects(shape, SH.targetClass))
            self._targets.append((str(shape), classes if predicates == {SH.targetClass} else None))
        self._chosen: dict[frozenset[Any], list[str] | None] = {}
        self.screen = TargetScreen(self._shapes)
        self._pruned: dict[tuple[str, ...] | None, Graph] = {}
        self._harvested: dict[tuple[str, ...] | None, ShapesGraph] = {}

    def _closure(self, classes: set[Any]) -> set[Any]:
        seen: set[Any] = set()
        todo = list(classes)
        while todo:
            cls = todo.pop()
            if cls not in seen:
                seen.add(cls)
                todo.extend(self._supers.get(cls, ()))
        return seen

    def shapes_for(self, types: frozenset[Any]) -> list[str] | None:
        """The shapes that can target nodes of these types (None: all of them)."""
        if self._targets is None:
            return None
        if types not in self._chosen:
            classes = self._closure(set(types))
            self._chosen[types] = [
                shape for shape, targets in self._targets if targets is None or targets & classes
            ]
        return self._chosen[types]

    def shapes_graph(self, shapes: list[str] | None) -> Graph:
        """The shapes graph pySHACL gets for `shapes` (None: all), made once per selection.

        Only `shapes` and what they refer to (their property shapes, nested shapes, lists, the
        prefix declarations of their SPARQL) are kept (pyshacl's own `use_shapes` option loses
        results of nested property shapes), their property shapes are hoisted
        (`hoist_property_shapes`), and the graph is held in rdflib's context-free store (pySHACL
        reads the shapes graph on every step of every shape, so lookups there matter)."""
        key = None if shapes is None else tuple(shapes)
        if key not in self._pruned:
            self._pruned[key] = hoist_property_shapes(self._select(shapes))
        return self._pruned[key]

    def _select(self, shapes: list[str] | None) -> Graph:
        if shapes is None:
            return self._shapes
        selected = Graph()
        seen: set[Any] = set()
        todo: list[Any] = [URIRef(shape) for shape in shapes]
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            for s_, p_, o_ in self._shapes.triples((node, None, None)):
                selected.add((s_, p_, o_))
                if not isinstance(o_, Literal) and p_ != RDF.type and p_ not in _TARGETS[:1]:
                    todo.append(o_)
        return selected

    def run(
        self, data: Iterable[tuple[Any, Any, Any]], shapes: list[str] | None = None
    ) -> ValidationReport:
        """pySHACL on `data` (already holding its context), with `shapes` (None: all).

        What `pyshacl.validate` does, less loading: one `pyshacl.Validator` per call, given the
        `ShapesGraph` of the first call with these shapes, so the shapes are found and read once
        (their `Shape` objects hold only what the shapes graph says)."""
        graph = PreparedQueryGraph(self._prepared)
        graph.addN((s, p, o, graph) for s, p, o in data)
        key = None if shapes is None else tuple(shapes)
        validator = pyshacl.Validator(
            DataGraph.from_rdflib(graph),
            shacl_graph=self.shapes_graph(shapes),
            options=dict(_PYSHACL_OPTIONS),
        )
        if key in self._harvested:
            validator.shacl_graph = self._harvested[key]
        else:
            self._harvested[key] = validator.shacl_graph
        try:
            _, results, _ = validator.run()
        except ValidationFailure as failure:
            raise ShapesError(f"the shapes graph cannot be used: {failure}") from failure
        return _validation_report(results)

    def validate(
        self,
        graph: Graph,
        keep: set[str] | None = None,
        triples: list[ox.Triple] | None = None,
    ) -> list[Violation]:
        """Results for the nodes in `keep` (default: every subject of `graph`).

        `triples` are `graph`'s triples for Oxigraph, when the caller has them already (the
        shapes with SPARQL targets are screened there, see `TargetScreen`)."""
        if keep is None:
            keep = {str(s) for s in graph.subjects()}
        types = frozenset(o for s, o in graph.subject_objects(RDF.type) if str(s) in keep)
        shapes = self.shapes_for(types)
        if shapes == []:
            return []
        context = self.index.context(graph)
        if shapes is not None and self.screen.shapes.intersection(shapes):
            if triples is None:
                triples = _triples(graph.serialize(format="nt", encoding="utf-8"))
            shapes = self.screen.keep(shapes, triples, context)
            if not shapes:
                return []
        report = self.run([*graph, *context], shapes)
        return [v for v in report.violations if v.focus_node in keep]


class TargetScreen:
    """Runs the shapes' SPARQL targets (SHACL-AF `sh:SPARQLTarget`) in Oxigraph first.

    Our SPARQL-target shapes select the offenders (`shapes/*.ttl`: "one query over the whole
    graph finds the offenders"), so on a good report they have no focus node and cannot report
    anything; pySHACL would still run each target through rdflib's SPARQL engine, about 45% of
    a report's validation time. A shape is dropped from a run only when Oxigraph answers its
    targets with no node; a shape with another kind of target too, a parameterised target, or a
    query Oxigraph cannot run stays in, so the results are pySHACL's own either way
    (`tests/test_pipeline.py` compares them with and without the screen).
    """

    def __init__(self, shapes: Graph) -> None:
        self.queries: dict[str, list[str]] = {}
        for shape in sorted({s for s in shapes.subjects(SH.target, None)}, key=str):
            if not isinstance(shape, URIRef):
                continue
            if any(p in _TARGETS and p != SH.target for p in shapes.predicates(shape)):
                continue
            queries = [_target_query(shapes, t) for t in shapes.objects(shape, SH.target)]
            if all(q is not None for q in queries):
                self.queries[str(shape)] = [q for q in queries if q is not None]
        self.shapes = frozenset(self.queries)
        self._terms: dict[Any, Any] = {}  # reference terms, converted once

    def keep(
        self,
        shapes: list[str],
        triples: list[ox.Triple],
        context: Iterable[tuple[Any, Any, Any]],
    ) -> list[str]:
        """`shapes` less those whose SPARQL targets select no node of `triples` + `context`."""
        store = ox.Store()
        store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
        store.extend(ox.Quad(*self._triple(t)) for t in context)
        return [s for s in shapes if s not in self.queries or self._selects(store, s)]

    def _selects(self, store: ox.Store, shape: str) -> bool:
        for query in self.queries[shape]:
            try:
                if next(iter(store.query(query)), None) is not None:  # type: ignore[arg-type]
                    return True
            except (SyntaxError, OSError, ValueError):  # not for Oxigraph: let pySHACL run it
                return True
        return False

    def _triple(self, triple: tuple[Any, Any, Any]) -> tuple[Any, Any, Any]:
        return (self._term(triple[0]), self._term(triple[1]), self._term(triple[2]))

    def _term(self, term: Any) -> Any:
        found = self._terms.get(term)
        if found is None:
            if isinstance(term, URIRef):
                found = ox.NamedNode(str(term))
            elif isinstance(term, Literal):
                if term.language:
                    found = ox.Literal(str(term), language=term.language)
                else:
                    found = ox.Literal(
                        str(term), datatype=ox.NamedNode(str(term.datatype or XSD.string))
                    )
            else:  # a blank node of the reference data: its own label space
                found = ox.BlankNode(f"ref{term}")
            self._terms[term] = found
        return found


def _target_query(shapes: Graph, target: Any) -> str | None:
    """A `sh:SPARQLTarget`'s query with its `sh:prefixes` declared, or None (another kind)."""
    if (target, RDF.type, SH.SPARQLTarget) not in shapes:
        return None
    select = shapes.value(target, SH.select)
    if select is None or any(True for _ in shapes.objects(target, SH.parameter)):
        return None
    lines = []
    for source in shapes.objects(target, SH.prefixes):
        for declared in shapes.objects(source, SH.declare):
            prefix = shapes.value(declared, SH.prefix)
            namespace = shapes.value(declared, SH.namespace)
            if prefix is not None and namespace is not None:
                lines.append(f"PREFIX {prefix}: <{namespace}>\n")
    return "".join(sorted(set(lines))) + str(select)


_IMPLICIT_TARGET_TYPES = (RDFS.Class, OWL.Class)


def hoist_property_shapes(shapes: Graph) -> Graph:
    """A copy of `shapes` in which the property shapes of top-level node shapes carry their
    node shape's targets themselves, instead of being reached through `sh:property`.

    Why: pySHACL validates a node shape's property shapes once per focus node, each time
    re-reading the shape's parameters and rebuilding its constraint components (about 300
    calls for one report's figures and spans, most of validation's cost). A property shape
    with targets of its own is validated once, for all its focus nodes.

    Same results: a property shape P reached as ``N sh:property P`` is validated with each
    focus node of N as its focus node, and its results name P as source shape, with P's own
    path, severity and messages; nothing of N enters them. With N's targets, P gets the same
    focus nodes. The move is made only when that holds exactly: N has explicit targets, is not
    deactivated, is not an implicit class target (typed rdfs:Class or owl:Class) and no other
    shape refers to it (else it is also validated as a nested shape, with other focus nodes);
    P has no targets of its own and no other triple refers to it (a property shape shared by
    two node shapes would lose a duplicate result, or gain focus nodes if one is nested).
    `tests/test_pipeline.py` compares the results with pySHACL on the original shapes.
    """
    out = Graph(store=SimpleMemory())
    for prefix, namespace in shapes.namespaces():
        out.bind(prefix, namespace)
    for triple in shapes:
        out.add(triple)
    for node in sorted(set(out.subjects(SH.property, None)), key=str):
        targets = [(p, o) for p in _TARGETS for o in out.objects(node, p)]
        if (
            not targets
            or (node, SH.deactivated, None) in out
            or (None, None, node) in out
            or any((node, RDF.type, cls) in out for cls in _IMPLICIT_TARGET_TYPES)
        ):
            continue
        for prop in sorted(set(out.objects(node, SH.property)), key=str):
            referrers = list(out.subject_predicates(prop))
            if referrers != [(node, SH.property)] or any((prop, p, None) in out for p in _TARGETS):
                continue
            out.remove((node, SH.property, prop))
            for p, o in targets:
                out.add((prop, p, o))
    return out


# --- one report ---------------------------------------------------------------------------------

STAGES = ("read", "extract", "emit", "validate", "reason", "serialise")


@dataclass
class ReportOutput:
    """What one report gives: counts, N-Quads, and results; plain data (picklable)."""

    path: str
    input_sha: str
    report_id: str | None = None
    error: str | None = None
    facts: int = 0
    triples: int = 0
    nquads: bytes = b""  # the report's graph (sorted N-Quads, graph id:graph/report/{id})
    inferred: bytes = b""  # its inferred triples (sorted N-Triples)
    shared: bytes = b""  # its triples about IRIs other reports may mint too (N-Triples)
    violations: list[Violation] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # CPU seconds per stage
    warnings: list[str] = field(default_factory=list)  # e.g. a publisher found on weak evidence

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class PreparedReference:
    """What every pipeline derives from the ontology and reference data alone, as N-Triples:
    their triples for Oxigraph, in order and with `oxigraph_triples`' stable blank node labels,
    and what the inference rules give from them. Making it is 0.2–0.3 s of a new process (a
    one-report build takes about a second), so `kg.build.run` keeps it in its cache."""

    ontology: bytes
    reference: bytes
    inferred: bytes


class ReportPipeline:
    """Everything a worker needs to process reports, prepared once."""

    def __init__(
        self,
        lexicons: Lexicons | None = None,
        shapes: Graph | None = None,
        prepared: PreparedReference | None = None,
    ) -> None:
        """`prepared`: `self.prepared()` of an earlier pipeline with the same ontology,
        reference data and rules (kg.build.run keeps it in its cache, by fingerprint)."""
        self.lex = lexicons or default_lexicons()
        reference = self.lex.reference
        self.known = set(reference.organisations)
        inferred = None
        if prepared is None:
            self.ontology_triples = oxigraph_triples(reference.ontology)
            self.reference_triples = oxigraph_triples(reference.reference)
        else:
            self.ontology_triples = _triples(prepared.ontology)
            self.reference_triples = _triples(prepared.reference)
            inferred = set(_triples(prepared.inferred))
        self.index = ReferenceIndex(reference, self.ontology_triples + self.reference_triples)
        self.validator = ReportValidator(self.index, shapes)
        self.reasoner = ReportReasoner(self.ontology_triples, self.reference_triples, inferred)

    def prepared(self) -> PreparedReference:
        """What this pipeline derived from the ontology and reference data alone."""
        return PreparedReference(
            ontology="".join(f"{t} .\n" for t in self.ontology_triples).encode("utf-8"),
            reference="".join(f"{t} .\n" for t in self.reference_triples).encode("utf-8"),
            inferred=_sorted_lines(self.reasoner.reference_inferred),
        )

    def process(self, path: Path, input_sha: str = "") -> ReportOutput:
        """Read, extract, emit, validate and infer one report; errors are recorded, not raised."""
        out = ReportOutput(str(path), input_sha)
        clock = _Clock(out.seconds)
        try:
            with clock("read"):
                report = read_report(path)
            with clock("extract"):
                extraction = extract_report(report, self.lex)
            with clock("emit"):
                graph = emit_report(extraction, self.known)
        except ReportError as err:
            out.error = str(err)
            return out
        except Exception as exc:  # noqa: BLE001 - a loader bug: name the report, build the rest
            out.error = f"{path}: the loaders failed on this report ({type(exc).__name__}: {exc})"
            return out
        if extraction.publisher is None:  # nobody to credit the figures to: say so, build the rest
            out.error = (
                f"{path}: no publisher: the text never says who published it "
                "(give `publisher:` in a sidecar, see README 'Reports and sidecars')"
            )
            return out
        rid = report.meta.report_id
        out.report_id = rid
        out.warnings = extraction_warnings(extraction)
        out.facts = extraction.fact_count()
        out.triples = len(graph)
        local = {str(s) for s in graph.subjects() if is_local(str(s), rid)}
        with clock("serialise"):
            triples = _triples(graph.serialize(format="nt", encoding="utf-8"))
        with clock("validate"):
            out.violations = self.validator.validate(graph, keep=local, triples=triples)
        with clock("serialise"):
            name = ox.NamedNode(str(report_graph(rid)))
            out.nquads = _sorted_lines(
                ox.Quad(t.subject, t.predicate, t.object, name) for t in triples
            )
            out.shared = _sorted_lines(
                t for t in triples if not is_local(term_value(t.subject), rid)
            )
        with clock("reason"):
            context = self.index.closure(triples)
            out.inferred = _sorted_lines(self.reasoner.infer(triples, context))
        return out

    def inferred_for(self, triples: list[ox.Triple]) -> set[ox.Triple]:
        """A stored report graph's inferred triples (for the incremental update)."""
        return set(self.reasoner.infer(triples, self.index.closure(triples)))

    def validate_shared(self, data: bytes) -> list[Violation]:
        """Results for the minted organisations: the union of every report's triples about
        them (`ReportOutput.shared`), checked once."""
        if not data.strip():
            return []
        graph = Graph()
        graph.parse(data=data, format="nt")
        return self.validator.validate(graph)


def extraction_warnings(extraction: Extraction) -> list[str]:
    """What a user should check in a report's extraction: a publisher found on weak evidence,
    whose figures may be credited to the wrong organisation (no publisher at all fails the
    report instead)."""
    path = extraction.meta.path
    if extraction.publisher is None:
        return [f"{path}: no publisher found in the text (give `publisher:` in a sidecar)"]
    if extraction.publisher_confidence != "low":
        return []
    return [
        f"{path}: publisher {extraction.publisher.label!r} found on weak evidence "
        f"({'; '.join(extraction.publisher_evidence) or 'named only'}); check it or give "
        "`publisher:` in a sidecar"
    ]


class _Clock:
    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds = seconds

    def __call__(self, stage: str) -> _Timer:
        return _Timer(self.seconds, stage)


class _Timer:
    def __init__(self, seconds: dict[str, float], stage: str) -> None:
        self.seconds, self.stage = seconds, stage

    def __enter__(self) -> None:
        self.started = time.process_time()

    def __exit__(self, *_exc: object) -> None:
        self.seconds[self.stage] = self.seconds.get(self.stage, 0.0) + (
            time.process_time() - self.started
        )


def _sorted_lines(items: Iterable[ox.Quad | ox.Triple]) -> bytes:
    """Sorted, de-duplicated N-Triples / N-Quads lines (byte-identical for the same input)."""
    lines = sorted({f"{item} .\n" for item in items})
    return "".join(lines).encode("utf-8")


def _triples(data: bytes) -> list[ox.Triple]:
    """N-Triples bytes as Oxigraph triples, in order, blank node labels kept."""
    return [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(data, ox.RdfFormat.N_TRIPLES, rename_blank_nodes=False)
    ]


def parse_lines(data: bytes, quads: bool = False) -> Iterator[Any]:
    """Quads (N-Quads) or triples (N-Triples) back from `_sorted_lines` bytes."""
    if not data:
        return iter(())
    if quads:
        return iter(ox.parse(data, ox.RdfFormat.N_QUADS))
    return iter(_triples(data))
