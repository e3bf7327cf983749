"""Validation of one report's graph on its own, as `kg build` runs it (`ReportValidator`).

A report's graph is validated with a small context: the `rdfs:subClassOf` triples of the
ontology and the *interface* of every reference entity it names (`ReferenceIndex`), by the
shapes that can target its own nodes, their property shapes hoisted (`hoist_property_shapes`),
the SPARQL-targeted ones only when Oxigraph finds a node for them (`TargetScreen`). The
reasons and measurements are in `kg.build.pipeline`'s docstring and docs/decisions/0002-0003.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox
import pyshacl
from pyshacl.errors import ValidationFailure
from pyshacl.graph_abstraction import DataGraph
from pyshacl.shapes_graph import ShapesGraph
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD
from rdflib.plugins.stores.memory import SimpleMemory

from kg.namespaces import HKG, ID, SH
from kg.reference.loader import Reference
from kg.store import oxigraph_triples
from kg.validate.engine import (
    PreparedQueryGraph,
    ShapesError,
    ValidationReport,
    Violation,
    shapes_graph,
)
from kg.validate.engine import _report as _validation_report  # noqa: PLC2701 - the typed report

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
                triples = nt_triples(graph.serialize(format="nt", encoding="utf-8"))
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


def nt_triples(data: bytes) -> list[ox.Triple]:
    """N-Triples bytes as Oxigraph triples, in order, blank node labels kept."""
    return [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(data, ox.RdfFormat.N_TRIPLES, rename_blank_nodes=False)
    ]
