"""Issue 17: the SKOS schemes speak English, French and Spanish, and no label is ambiguous.

The loaders match report text against every SKOS label whatever its language, folded (case and
accents ignored, a hyphen or line break matching a space): a report in any of the three
languages is read with the same lexicon, so a label two concepts of one scheme share would make
the match ambiguous.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from kg.extract import extract_text
from kg.extract.lexicons import default_lexicons
from kg.extract.text import fold
from kg.namespaces import HKG
from kg.tools.ontology_docs import ontology_graph

LANGUAGES = ("en", "fr", "es")
ID = "https://w3id.org/humanitarian-kg/id/"


@pytest.fixture(scope="module")
def onto() -> Graph:
    return ontology_graph()


def _schemes(graph: Graph) -> list[URIRef]:
    return sorted(s for s in graph.subjects(RDF.type, SKOS.ConceptScheme) if isinstance(s, URIRef))


def _concepts(graph: Graph, scheme: URIRef) -> list[URIRef]:
    return sorted(c for c in graph.subjects(SKOS.inScheme, scheme) if isinstance(c, URIRef))


def _matched_as(label: str) -> str:
    """The form the loaders compare (kg.extract.matcher): folded, spaces and hyphens as one."""
    return re.sub(r"[\s\-]+", " ", fold(label.strip()))


def test_every_scheme_has_concepts(onto: Graph) -> None:
    schemes = _schemes(onto)
    assert {str(s).rsplit("/", 1)[-1] for s in schemes} >= {
        "sectors",
        "indicators",
        "qualifiers",
        "roles",
        "population-statuses",
    }
    for scheme in schemes:
        assert _concepts(onto, scheme), f"{scheme}: no concept"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_scheme_and_concept_has_one_preflabel_per_language(onto: Graph, lang: str) -> None:
    problems = []
    for scheme in _schemes(onto):
        for node in [scheme, *_concepts(onto, scheme)]:
            labels = [
                str(o)
                for o in onto.objects(node, SKOS.prefLabel)
                if isinstance(o, Literal) and o.language == lang
            ]
            if len(labels) != 1:
                problems.append(f"{node}: {len(labels)} skos:prefLabel@{lang} {labels}")
    assert problems == []


def test_no_label_is_shared_by_two_concepts_of_a_scheme(onto: Graph) -> None:
    problems = []
    for scheme in _schemes(onto):
        owners: dict[str, set[str]] = defaultdict(set)
        acronyms: dict[str, set[str]] = defaultdict(set)
        for concept in _concepts(onto, scheme):
            for predicate in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel):
                for label in onto.objects(concept, predicate):
                    owners[_matched_as(str(label))].add(str(concept))
            for acronym in onto.objects(concept, HKG.acronym):  # matched case-sensitively
                acronyms[str(acronym).strip()].add(str(concept))
        for form, concepts in sorted(owners.items()) + sorted(acronyms.items()):
            if len(concepts) > 1:
                problems.append(f"{scheme}: {form!r} is a label of {sorted(concepts)}")
    assert problems == []


def test_spanish_labels_are_read_by_the_loaders() -> None:
    text = (
        "Informe 2023\n\n"
        "En 2023, el MSF realizó más de 12.000 consultas médicas en Mopti. "
        "Con el apoyo de ECHO distribuimos 4.500 kits de higiene a unas 900 familias."
    )
    found = extract_text(text, publisher="MSF", country="Mali", language="es")
    figures = {f.value: f for f in found.outcomes}
    assert figures[12_000].qualifier == "at-least"
    assert figures[12_000].indicator is not None
    assert figures[12_000].indicator.iri == ID + "indicator/consultations"
    assert figures[4_500].indicator is not None
    assert figures[4_500].indicator.iri == ID + "indicator/hygiene-kits"
    assert figures[900].qualifier == "approximately"
    assert [(p.label, p.role) for p in found.partners if p.iri == ID + "org/echo"] == [
        ("DG ECHO", "funder")
    ]


def test_an_acronym_that_is_a_word_elsewhere_matches_case_sensitively() -> None:
    sectors = default_lexicons().sectors
    text = "Programa de ASH en Gao. Volcanic ash fell on the town."
    hits = [(m.text, m.iri) for m in sectors.find(text, fold(text))]
    assert hits == [("ASH", ID + "sector/wash")]
