"""The few inferences SPARQL consumers without a reasoner need, materialised by CONSTRUCT.

Each rule is a `.rq` file under `queries/inference/` (types through rdfs:subClassOf, the
hkg:partOf and skos:broader closures, inverses). They run on an in-memory Oxigraph store holding
every graph; the result goes to the `id:graph/inferred` named graph. Full OWL reasoning is
left to `kg ontology check` (HermiT), which is for the ontology and reference data.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from kg import resources
from kg.namespaces import GRAPH_INFERRED


def inference_rules() -> list[tuple[str, str]]:
    """(name, CONSTRUCT query) for every rule file, in name order."""
    return [
        (path.stem, path.read_text(encoding="utf-8"))
        for path in resources.asset_files("queries", "inference/*.rq")
    ]


def materialise(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """The inferred triples (not already stated anywhere), as quads of the inferred graph."""
    store = ox.Store()
    store.bulk_extend(quads)
    graph = ox.NamedNode(str(GRAPH_INFERRED))
    inferred: set[ox.Triple] = set()
    for _name, query in inference_rules():
        result = store.query(query, use_default_graph_as_union=True)
        for triple in result:  # type: ignore[union-attr]
            inferred.add(triple)
    stated = {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, None)
    }
    new = sorted(inferred - stated, key=str)
    return [ox.Quad(t.subject, t.predicate, t.object, graph) for t in new]
