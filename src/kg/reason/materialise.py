"""The few inferences SPARQL consumers without a reasoner need, materialised by CONSTRUCT.

Each rule is a `.rq` file under `queries/inference/` (types through rdfs:subClassOf, the
hkg:partOf and skos:broader closures, inverses). The result goes to the `id:graph/inferred`
named graph. Full OWL reasoning is left to `kg ontology check` (HermiT), which is for the
ontology and reference data.

Two ways to run the rules, giving the same inferred graph for a build:
- `materialise(quads)`: every rule once over all the data (an in-memory Oxigraph store);
- `ReportReasoner`: the rules once over the ontology and reference data (`reference_inferred`),
  then per report over the report's graph and the part of the reference data it names
  (`infer`), keeping only what the reference data alone does not give. `kg build` uses this
  one, in its worker processes, so that replacing one report re-runs the rules on that report
  alone. It relies on what the rules are: each conclusion follows from one report's triples and
  the reference data (types through subclasses, closures of reference hierarchies, inverses),
  never from two reports together; `tests/test_pipeline.py` checks the two agree on the seeds.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import Graph

from kg import resources
from kg.namespaces import GRAPH_INFERRED, ID
from kg.store import oxigraph_triples

_ID = str(ID)

__all__ = ["ReportReasoner", "inference_rules", "materialise"]


def inference_rules() -> list[tuple[str, str]]:
    """(name, CONSTRUCT query) for every rule file, in name order."""
    return [
        (path.stem, path.read_text(encoding="utf-8"))
        for path in resources.asset_files("queries", "inference/*.rq")
    ]


def _run_rules(store: ox.Store, rules: list[tuple[str, str]]) -> set[ox.Triple]:
    inferred: set[ox.Triple] = set()
    for _name, query in rules:
        result = store.query(query, use_default_graph_as_union=True)
        for triple in result:  # type: ignore[union-attr]
            inferred.add(triple)
    return inferred


def materialise(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """The inferred triples (not already stated anywhere), as quads of the inferred graph."""
    store = ox.Store()
    store.bulk_extend(quads)
    graph = ox.NamedNode(str(GRAPH_INFERRED))
    inferred = _run_rules(store, inference_rules())
    stated = {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, None)
    }
    new = sorted(inferred - stated, key=str)
    return [ox.Quad(t.subject, t.predicate, t.object, graph) for t in new]


def _quads(graph: Graph | list[ox.Triple], name: ox.NamedNode) -> list[ox.Quad]:
    triples = oxigraph_triples(graph) if isinstance(graph, Graph) else graph
    return [ox.Quad(t.subject, t.predicate, t.object, name) for t in triples]


class ReportReasoner:
    """The rules, run once on the reference data and then per report (see the module doc)."""

    def __init__(
        self,
        ontology: Graph | list[ox.Triple],
        reference: Graph | list[ox.Triple],
        reference_inferred: set[ox.Triple] | None = None,
    ) -> None:
        """`reference_inferred`: what the rules give from `ontology` and `reference` alone, when
        known (kg.build.run caches it: running the rules over the reference data is 0.1–0.2 s of
        every new process)."""
        self.rules = inference_rules()
        quads = _quads(ontology, ox.NamedNode("urn:kg:ontology"))
        quads += _quads(reference, ox.NamedNode("urn:kg:reference"))
        self.reference_stated = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
        if reference_inferred is None:
            store = ox.Store()
            store.bulk_extend(quads)
            reference_inferred = _run_rules(store, self.rules)
        self.reference_inferred = reference_inferred - self.reference_stated
        # what reports are reasoned with: the ontology's structure (no literals, no concepts of
        # the SKOS schemes: those a report names come with its context), in a fresh store each
        # time (a store that quads are added to and removed from slows down as it is reused)
        self._ontology = [
            q
            for q in _quads(ontology, ox.NamedNode("urn:kg:ontology"))
            if not isinstance(q.object, ox.Literal) and not str(q.subject).startswith(f"<{_ID}")
        ]
        self._graph = ox.NamedNode("urn:kg:report")

    def infer(
        self, report: Iterable[ox.Triple], context: Iterable[ox.Triple] = ()
    ) -> list[ox.Triple]:
        """The report's inferred triples: the rules over the report, the ontology and `context`
        (the reference entities it names, see `kg.validate.per_report.ReferenceIndex.closure`),
        minus what is stated or the reference data alone gives."""
        stated = list(report)
        graph = self._graph
        store = ox.Store()
        store.extend(self._ontology)
        store.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in stated)
        store.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in context)
        found = _run_rules(store, self.rules)
        found -= self.reference_inferred
        found -= self.reference_stated
        found.difference_update(stated)
        return sorted(found, key=str)

    def inferred_quads(self, triples: Iterable[ox.Triple]) -> Iterable[ox.Quad]:
        graph = ox.NamedNode(str(GRAPH_INFERRED))
        return (ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
