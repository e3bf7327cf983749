"""OWL reasoning with HermiT (through owlready2) over the ontology and the reference data.

`check_graphs` writes the graphs it is given to a temporary N-Triples file, loads it into a
private owlready2 `World` (never the shared `default_world`) and runs HermiT on it. It reports
whether the whole is consistent and which named classes are unsatisfiable (equivalent to
owl:Nothing), by IRI.

HermiT only says *that* an ontology is inconsistent, not why. So when it is, `check_graphs`
localises the fault (ontology alone, then with the reference data, then with the report data)
and `find_culprits` names the individuals responsible with a few structural checks of its own:
an individual that belongs to two disjoint classes (through its stated types, the domains and
ranges of the properties it is used with, and rdfs:subClassOf), an individual used with a
property whose domain is a union of classes all disjoint with it, and a functional property
with two different values.

This is for the ontology and the reference data (a few seconds), and optionally one store's
report data; bulk inference for SPARQL consumers is `kg.reason.materialise`, not this.

One file: the HermiT check, its Java discovery and its explanation of an inconsistency are one
command's work.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from kg.validate.engine import (
    DEFAULT_MAX_BYTES,
    compact,
    load_rdf,
    repository_graphs,
    store_data_graphs,
)

__all__ = [
    "Finding",
    "ReasonerError",
    "ReasoningResult",
    "check_graphs",
    "check_repository",
    "find_culprits",
    "run_hermit",
]


class ReasonerError(Exception):
    """The reasoner could not run (no Java, HermiT refused its input): nothing was checked."""


@dataclass(frozen=True)
class Finding:
    """One named reason for an inconsistency, found by `find_culprits`.

    `kind` is ``disjoint-types`` (an individual in two disjoint classes), ``domain-union`` (an
    individual used with a property whose domain is a union of classes all disjoint with it)
    or ``functional`` (a functional property with two different values). `subject` is the
    individual's IRI; `classes` the classes (or property) involved, as IRIs.
    """

    kind: str
    subject: str
    classes: tuple[str, ...]
    message: str


@dataclass
class ReasoningResult:
    """What HermiT said about the graphs, with the culprits named when it is inconsistent."""

    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)
    culprits: list[Finding] = field(default_factory=list)
    located_in: str | None = None
    """When inconsistent: the first scope that is ("ontology", "reference data", "data")."""
    scopes: list[str] = field(default_factory=list)
    triples: int = 0
    seconds: float = 0.0
    reasoner_runs: int = 0

    @property
    def ok(self) -> bool:
        """Consistent and without unsatisfiable classes: `kg ontology check` exits 0."""
        return self.consistent and not self.unsatisfiable

    def text(self) -> str:
        """A report for people: one line per problem, then a summary line."""
        lines: list[str] = []
        if not self.consistent:
            where = f" (already in the {self.located_in})" if self.located_in else ""
            lines.append(f"inconsistent: {' + '.join(self.scopes)} has no model{where}")
            lines.extend(f"  {finding.message}" for finding in self.culprits)
            if not self.culprits:
                lines.append(
                    "  no culprit found by the structural checks (disjoint classes, domains "
                    "and ranges, functional properties); remove individuals to narrow it down"
                )
        for iri in self.unsatisfiable:
            lines.append(f"unsatisfiable class: {compact(iri)} ({iri}) can have no instance")
        status = "ok" if self.ok else "FAILED"
        lines.append(
            f"{status}: {' + '.join(self.scopes)}, {self.triples} triples; "
            f"{'consistent' if self.consistent else 'inconsistent'}, "
            f"{len(self.unsatisfiable)} unsatisfiable class(es); "
            f"HermiT ran {self.reasoner_runs} time(s), {self.seconds:.1f} s"
        )
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "consistent": self.consistent,
            "unsatisfiable": self.unsatisfiable,
            "located_in": self.located_in,
            "culprits": [
                {
                    "kind": f.kind,
                    "subject": f.subject,
                    "classes": list(f.classes),
                    "message": f.message,
                }
                for f in self.culprits
            ],
            "scopes": self.scopes,
            "triples": self.triples,
            "seconds": round(self.seconds, 3),
            "reasoner_runs": self.reasoner_runs,
        }


# --- the graphs -----------------------------------------------------------------------------


def check_repository(
    files: Iterable[Path] = (),
    *,
    store: Path | None = None,
    reference: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ReasoningResult:
    """`kg ontology check`: the checkout's ontology, its reference data (unless `reference` is
    false), the given RDF files and the report graphs of the store at `store` (when given).

    Raises `RDFParseError` for a file that cannot be used, `kg.store.StoreError` for a missing
    store and `ReasonerError` when HermiT cannot run.
    """
    ontology, reference_graph = repository_graphs()
    ontology, reference_graph = _copy(ontology), _copy(reference_graph)  # cached: do not share
    data: Graph | None = None
    paths = list(files)
    if paths or store is not None:
        data = Graph()
        for path in paths:
            data += _triples(load_rdf(path, max_bytes=max_bytes))
        if store is not None:
            from kg.store import open_store  # the store is only needed with --data

            for graph in store_data_graphs(open_store(store)).values():
                data += graph
    return check_graphs(ontology, reference_graph if reference else None, data)


def _copy(graph: Graph) -> Graph:
    copy = Graph()
    copy += graph
    return copy


def _triples(dataset: Graph) -> Graph:
    graph = Graph()
    graph += dataset.triples((None, None, None))
    return graph


# --- HermiT ---------------------------------------------------------------------------------


def run_hermit(graph: Graph) -> tuple[bool, list[str]]:
    """Run HermiT on `graph` in a private owlready2 World: (consistent, unsatisfiable IRIs).

    Datatypes HermiT does not support (xsd:gYear) are ignored rather than refused. Raises
    `ReasonerError` when Java is missing or HermiT fails for another reason.
    """
    import owlready2  # imported here: it is slow to import and only this module needs it

    if shutil.which(owlready2.JAVA_EXE) is None:
        raise ReasonerError(
            f"Java is needed to run HermiT and {owlready2.JAVA_EXE!r} is not on the PATH; "
            "install a Java runtime, 11 or later, from your system's packages (Debian and "
            "Ubuntu: `sudo apt-get install default-jre-headless`), then run the command again"
        )
    with tempfile.TemporaryDirectory(prefix="kg-reason-") as directory:
        path = Path(directory) / "graph.nt"
        graph.serialize(path, format="nt", encoding="utf-8")
        world = owlready2.World()
        try:
            world.get_ontology(path.as_uri()).load()
            try:
                owlready2.sync_reasoner(
                    world,
                    infer_property_values=False,
                    debug=0,
                    ignore_unsupported_datatypes=True,
                )
            except owlready2.OwlReadyInconsistentOntologyError:
                return False, []
            except owlready2.OwlReadyJavaError as exc:
                raise ReasonerError(f"HermiT failed: {_first_lines(str(exc))}") from exc
            unsatisfiable = sorted(
                {
                    cls.iri
                    for cls in world.inconsistent_classes()
                    if getattr(cls, "iri", None) and cls.iri != str(OWL.Nothing)
                }
            )
            return True, unsatisfiable
        finally:
            world.close()


def _first_lines(text: str, count: int = 5) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return " | ".join(lines[:count])


def check_graphs(
    ontology: Graph,
    reference: Graph | None = None,
    data: Graph | None = None,
) -> ReasoningResult:
    """Check the ontology, with the reference data and report data when given.

    None of the graphs is modified. When the union is inconsistent, HermiT runs again on the
    smaller unions to say where the fault first appears (`located_in`), `find_culprits` names
    the individuals, and the unsatisfiable classes come from the ontology alone when it is
    consistent.
    """
    started = time.perf_counter()
    layers: list[tuple[str, Graph]] = [("ontology", ontology)]
    if reference is not None:
        layers.append(("reference data", reference))
    if data is not None:
        layers.append(("data", data))
    union = Graph()
    for _name, graph in layers:
        union += graph
    result = ReasoningResult(
        consistent=True, scopes=[name for name, _ in layers], triples=len(union)
    )
    consistent, unsatisfiable = run_hermit(union)
    result.reasoner_runs = 1
    if consistent:
        result.unsatisfiable = unsatisfiable
    else:
        result.consistent = False
        result.located_in, result.unsatisfiable, runs = _localise(layers)
        result.reasoner_runs += runs
        result.culprits = find_culprits(union)
    result.seconds = time.perf_counter() - started
    return result


def _localise(layers: list[tuple[str, Graph]]) -> tuple[str, list[str], int]:
    """The first layer whose union with the ones before is inconsistent, the unsatisfiable
    classes of the ontology alone (when consistent), and how many reasoner runs it took."""
    prefix = Graph()
    unsatisfiable: list[str] = []
    runs = 0
    for index, (name, graph) in enumerate(layers[:-1]):
        prefix += graph
        consistent, found = run_hermit(prefix)
        runs += 1
        if index == 0 and consistent:
            unsatisfiable = found
        if not consistent:
            return name, unsatisfiable, runs
    return layers[-1][0], unsatisfiable, runs


# --- naming the culprits --------------------------------------------------------------------

_NOT_A_CLASS = {OWL.NamedIndividual, OWL.Thing, RDFS.Resource}


class _Ontology:
    """The parts of a graph the structural checks need: class hierarchy, disjointness, domains."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.parents: dict[Node, set[Node]] = defaultdict(set)
        for sub, sup in graph.subject_objects(RDFS.subClassOf):
            self.parents[sub].add(sup)
        for a, b in graph.subject_objects(OWL.equivalentClass):
            self.parents[a].add(b)
            self.parents[b].add(a)
        self.disjoint: set[frozenset[Node]] = set()
        for a, b in graph.subject_objects(OWL.disjointWith):
            self.disjoint.add(frozenset((a, b)))
        for predicate, subject_type in (
            (OWL.members, OWL.AllDisjointClasses),
            (OWL.disjointUnionOf, None),
        ):
            for node, members in graph.subject_objects(predicate):
                if subject_type is not None and (node, RDF.type, subject_type) not in graph:
                    continue
                items = list(graph.items(members))
                self.disjoint.update(
                    frozenset((a, b)) for i, a in enumerate(items) for b in items[i + 1 :]
                )
        self.different: set[frozenset[Node]] = set()
        for a, b in graph.subject_objects(OWL.differentFrom):
            self.different.add(frozenset((a, b)))
        for node in graph.subjects(RDF.type, OWL.AllDifferent):
            for members in (
                *graph.objects(node, OWL.distinctMembers),
                *graph.objects(node, OWL.members),
            ):
                items = list(graph.items(members))
                self.different.update(
                    frozenset((a, b)) for i, a in enumerate(items) for b in items[i + 1 :]
                )
        self.super_properties: dict[Node, set[Node]] = defaultdict(set)
        for sub, sup in graph.subject_objects(RDFS.subPropertyOf):
            self.super_properties[sub].add(sup)
        semantic = set(graph.subjects(RDF.type, OWL.ObjectProperty)) | set(
            graph.subjects(RDF.type, OWL.DatatypeProperty)
        )
        self.domains = {p: list(graph.objects(p, RDFS.domain)) for p in semantic}
        self.ranges = {
            p: list(graph.objects(p, RDFS.range))
            for p in graph.subjects(RDF.type, OWL.ObjectProperty)
        }
        self.functional = set(graph.subjects(RDF.type, OWL.FunctionalProperty))
        self._closure: dict[Node, frozenset[Node]] = {}
        self._properties: dict[Node, frozenset[Node]] = {}

    def superclasses(self, cls: Node) -> frozenset[Node]:
        """`cls` and every named class above it (rdfs:subClassOf*, owl:equivalentClass)."""
        if cls not in self._closure:
            seen: set[Node] = set()
            todo = [cls]
            while todo:
                current = todo.pop()
                if current in seen:
                    continue
                seen.add(current)
                todo.extend(self.parents.get(current, ()))
            self._closure[cls] = frozenset(c for c in seen if isinstance(c, URIRef))
        return self._closure[cls]

    def properties(self, predicate: Node) -> frozenset[Node]:
        """`predicate` and its super-properties."""
        if predicate not in self._properties:
            seen: set[Node] = set()
            todo = [predicate]
            while todo:
                current = todo.pop()
                if current not in seen:
                    seen.add(current)
                    todo.extend(self.super_properties.get(current, ()))
            self._properties[predicate] = frozenset(seen)
        return self._properties[predicate]

    def union_members(self, node: Node) -> list[Node] | None:
        members = self.graph.value(node, OWL.unionOf)
        return None if members is None else list(self.graph.items(members))

    def disjoint_sets(self, a: frozenset[Node], b: frozenset[Node]) -> tuple[Node, Node] | None:
        for x in a:
            for y in b:
                if frozenset((x, y)) in self.disjoint:
                    return x, y
        return None


@dataclass(frozen=True)
class _Membership:
    cls: Node  # a named class, or a blank node owl:unionOf
    why: str


def find_culprits(graph: Graph) -> list[Finding]:
    """Individuals that make `graph` inconsistent, found without a reasoner.

    Catches the usual faults of reference and report data: two disjoint types (stated, or
    implied by rdfs:domain and rdfs:range through rdfs:subClassOf), a domain that is a union of
    classes all disjoint with the individual's type, and two different values of a functional
    property. Findings are sorted by subject; each message names the node, the classes or
    property involved and where each type came from.
    """
    onto = _Ontology(graph)
    memberships = _memberships(graph, onto)
    findings: list[Finding] = []
    for subject in sorted(memberships, key=str):
        # stated types first, so the messages name them rather than what a domain implies
        ordered = sorted(
            memberships[subject], key=lambda m: (not m.why.startswith("stated"), str(m.cls), m.why)
        )
        findings.extend(_disjoint_findings(subject, ordered, onto))
    findings.extend(_functional_findings(graph, onto))
    return sorted(set(findings), key=lambda f: (f.subject, f.kind, f.classes, f.message))


def _memberships(graph: Graph, onto: _Ontology) -> dict[Node, list[_Membership]]:
    out: dict[Node, list[_Membership]] = defaultdict(list)
    for s, p, o in graph:
        if p == RDF.type:
            if isinstance(o, URIRef) and o not in _NOT_A_CLASS and isinstance(s, URIRef):
                out[s].append(_Membership(o, f"stated type {compact(str(o))}"))
            continue
        for prop in onto.properties(p):
            for domain in onto.domains.get(prop, ()):
                if isinstance(s, URIRef):
                    out[s].append(
                        _Membership(
                            domain,
                            f"subject of {compact(str(p))}, whose rdfs:domain is "
                            f"{_class_text(onto, domain)}",
                        )
                    )
            if isinstance(o, URIRef):
                for range_ in onto.ranges.get(prop, ()):
                    out[o].append(
                        _Membership(
                            range_,
                            f"object of {compact(str(p))}, whose rdfs:range is "
                            f"{_class_text(onto, range_)}",
                        )
                    )
    return out


def _class_text(onto: _Ontology, cls: Node) -> str:
    members = onto.union_members(cls) if isinstance(cls, BNode) else None
    if members is not None:
        return "one of " + ", ".join(compact(str(m)) for m in members)
    return compact(str(cls))


def _disjoint_findings(
    subject: Node, memberships: list[_Membership], onto: _Ontology
) -> Iterator[Finding]:
    named = [m for m in memberships if isinstance(m.cls, URIRef)]
    unions = [
        (m, members)
        for m in memberships
        if isinstance(m.cls, BNode) and (members := onto.union_members(m.cls)) is not None
    ]
    reported: set[frozenset[Node]] = set()
    for i, first in enumerate(named):
        for second in named[i + 1 :]:
            pair = onto.disjoint_sets(onto.superclasses(first.cls), onto.superclasses(second.cls))
            if pair is None or frozenset(pair) in reported:
                continue
            reported.add(frozenset(pair))
            a, b = pair if str(pair[0]) <= str(pair[1]) else (pair[1], pair[0])
            yield Finding(
                kind="disjoint-types",
                subject=str(subject),
                classes=(str(a), str(b)),
                message=(
                    f"{compact(str(subject))} is a {compact(str(first.cls))} ({first.why}) and "
                    f"a {compact(str(second.cls))} ({second.why}), but "
                    f"{compact(str(a))} and {compact(str(b))} are disjoint"
                ),
            )
    for union, members in unions:
        for membership in named:
            types = onto.superclasses(membership.cls)
            if members and all(onto.disjoint_sets(types, onto.superclasses(m)) for m in members):
                yield Finding(
                    kind="domain-union",
                    subject=str(subject),
                    classes=(str(membership.cls), *sorted(str(m) for m in members)),
                    message=(
                        f"{compact(str(subject))} is a {compact(str(membership.cls))} "
                        f"({membership.why}) but is the {union.why}, and each of these is "
                        f"disjoint with {compact(str(membership.cls))}"
                    ),
                )


def _functional_findings(graph: Graph, onto: _Ontology) -> Iterable[Finding]:
    for prop in sorted(onto.functional, key=str):
        values: dict[Node, set[Node]] = defaultdict(set)
        for s, o in graph.subject_objects(prop):
            values[s].add(o)
        for subject, objects in sorted(values.items(), key=lambda item: str(item[0])):
            distinct = _distinct_values(objects, onto)
            if distinct is None:
                continue
            first, second = distinct
            yield Finding(
                kind="functional",
                subject=str(subject),
                classes=(str(prop),),
                message=(
                    f"{compact(str(subject))} has two values of the functional property "
                    f"{compact(str(prop))}: {_node_text(first)} and {_node_text(second)}"
                ),
            )


def _distinct_values(objects: set[Node], onto: _Ontology) -> tuple[Node, Node] | None:
    """Two values that cannot be the same thing: different literal values, or individuals
    declared different (OWL has no unique name assumption: two IRIs may name one thing)."""
    items = sorted(objects, key=str)
    for i, a in enumerate(items):
        for b in items[i + 1 :]:
            if isinstance(a, Literal) and isinstance(b, Literal):
                if not a.eq(b):
                    return a, b
            elif frozenset((a, b)) in onto.different:
                return a, b
    return None


def _node_text(node: Node) -> str:
    if isinstance(node, Literal):
        return node.n3()
    return compact(str(node))
