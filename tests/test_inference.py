"""The materialised inferences (kg.reason.materialise, queries/inference/*.rq) on a tiny store."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.namespace import OWL

from kg.namespaces import GRAPH_INFERRED, HKG, ID
from kg.reason.materialise import inference_rules, materialise
from kg.validate.engine import repository_graphs

FIXTURE = Path(__file__).parent / "fixtures" / "inference" / "tiny.trig"

HKG_NS = str(HKG)
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def _quads(path: Path = FIXTURE) -> list[ox.Quad]:
    return list(ox.parse(path.read_bytes(), ox.RdfFormat.TRIG))


def _triples(quads: list[ox.Quad]) -> set[tuple[str, str, str]]:
    return {(q.subject.value, q.predicate.value, q.object.value) for q in quads}


@pytest.fixture(scope="module")
def inferred() -> set[tuple[str, str, str]]:
    quads = materialise(_quads())
    assert {q.graph_name.value for q in quads} == {str(GRAPH_INFERRED)}
    return _triples(quads)


def iri(kind: str, slug: str) -> str:
    return str(ID[f"{kind}/{slug}"])


def test_types_through_subclass_of(inferred: set[tuple[str, str, str]]) -> None:
    msf = iri("org", "msf")
    assert (msf, RDF_TYPE, HKG_NS + "Organisation") in inferred
    assert (msf, RDF_TYPE, "http://www.w3.org/ns/org#Organization") in inferred


def test_part_of_closure_and_has_part(inferred: set[tuple[str, str, str]]) -> None:
    town, koro, mopti, mali = (iri("place", p) for p in ("ml-koro-town", "ml-koro", "ml-5", "ml"))
    for place, ancestor in ((town, mopti), (town, mali), (koro, mali)):
        assert (place, HKG_NS + "partOf", ancestor) in inferred
        assert (ancestor, HKG_NS + "hasPart", place) in inferred
    assert (koro, HKG_NS + "hasPart", town) in inferred  # inverse of a stated triple


def test_broader_closure_and_inverses(inferred: set[tuple[str, str, str]]) -> None:
    case, gbv, protection = (iri("sector", s) for s in ("gbv-case-management", "gbv", "protection"))
    assert (case, SKOS + "broaderTransitive", protection) in inferred
    assert (case, SKOS + "broaderTransitive", gbv) in inferred
    assert (protection, SKOS + "narrowerTransitive", case) in inferred
    assert (gbv, SKOS + "narrower", case) in inferred
    assert (iri("scheme", "sectors"), SKOS + "hasTopConcept", protection) in inferred


def test_nothing_stated_is_repeated_and_nothing_else_is_added(
    inferred: set[tuple[str, str, str]],
) -> None:
    stated = _triples(_quads())
    assert not inferred & stated
    # the whole answer: 2 types, 6 partOf/hasPart closure + 3 stated-inverse hasPart,
    # 3 broaderTransitive + 3 narrowerTransitive + 2 narrower, 1 hasTopConcept; and hkg:within
    # (test below): 4 places and 3 sectors within themselves and hkg:everything, 6 + 3 above
    within = {t for t in inferred if t[1] == HKG_NS + "within"}
    assert len(inferred - within) == 2 + 6 + 3 + 3 + 3 + 2 + 1
    assert len(within) == 7 * 2 + 6 + 3


def test_within_is_self_ancestors_and_everything(inferred: set[tuple[str, str, str]]) -> None:
    town, koro, mopti, mali = (iri("place", p) for p in ("ml-koro-town", "ml-koro", "ml-5", "ml"))
    within = {(s, o) for s, p, o in inferred if p == HKG_NS + "within"}
    assert {o for s, o in within if s == town} == {town, koro, mopti, mali, HKG_NS + "everything"}
    assert {o for s, o in within if s == mali} == {mali, HKG_NS + "everything"}
    case = iri("sector", "gbv-case-management")
    assert {o for s, o in within if s == case} == {
        case,
        iri("sector", "gbv"),
        iri("sector", "protection"),
        HKG_NS + "everything",
    }


def test_keys_are_names_lower_cased_and_the_iri() -> None:
    msf = ox.NamedNode(iri("org", "msf"))
    graph = ox.NamedNode(str(ID["graph/reference"]))
    names = [
        (
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
            ox.Literal("Médecins Sans Frontières", language="fr"),
        ),
        (ox.NamedNode(HKG_NS + "acronym"), ox.Literal("MSF")),
        (ox.NamedNode(SKOS + "altLabel"), ox.Literal("ÉQUIPE")),
    ]
    quads = [ox.Quad(msf, p, o, graph) for p, o in names]
    keys = {o for s, p, o in _triples(materialise(quads)) if p == HKG_NS + "key"}
    assert keys == {"médecins sans frontières", "msf", "équipe", msf.value}


def _rule_counts(quads: list[ox.Quad]) -> dict[str, int]:
    """How many triples each rule constructs on its own."""
    store = ox.Store()
    store.bulk_extend(quads)
    return {
        name: len(list(store.query(query, use_default_graph_as_union=True)))  # type: ignore[arg-type]
        for name, query in inference_rules()
    }


def test_rule_files() -> None:
    assert [name for name, _ in inference_rules()] == [
        "broader-closure",
        "inverse-properties",
        "name-keys",
        "part-of-closure",
        "subclass-types",
        "within",
    ]
    assert all(
        query.lstrip().startswith("#") and "CONSTRUCT" in query for _, query in inference_rules()
    )


@pytest.mark.slow
def test_every_inverse_the_ontology_declares_is_materialised() -> None:
    ontology, _ = repository_graphs()
    pairs = [(p, q) for p, q in ontology.subject_objects(OWL.inverseOf)]
    assert len(pairs) >= 4
    graph = ox.NamedNode(str(ID["graph/report/r"]))
    a, b = ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/b")
    onto = ox.NamedNode(str(ID["graph/ontology"]))
    for p, q in pairs:
        for stated, inverse in ((p, q), (q, p)):
            quads = [
                ox.Quad(
                    ox.NamedNode(str(p)),
                    ox.NamedNode(str(OWL.inverseOf)),
                    ox.NamedNode(str(q)),
                    onto,
                ),
                ox.Quad(a, ox.NamedNode(str(stated)), b, graph),
            ]
            assert ("http://example.org/b", str(inverse), "http://example.org/a") in _triples(
                materialise(quads)
            ), (stated, inverse)


@pytest.mark.slow
def test_rules_run_on_the_shipped_ontology() -> None:
    ontology, reference = repository_graphs()
    union = Graph()
    union += ontology
    union += reference
    data = union.serialize(format="nt", encoding="utf-8")
    name = ox.NamedNode(str(ID["graph/reference"]))
    quads = [
        ox.Quad(t.subject, t.predicate, t.object, name)
        for t in ox.parse(data, ox.RdfFormat.N_TRIPLES)
    ]
    counts = _rule_counts(quads)
    assert counts["part-of-closure"] > 1000  # ISO regions and the gazetteer, both directions
    assert counts["broader-closure"] > 10
    assert counts["inverse-properties"] > 500
    assert len(materialise(quads)) > 2000
