"""The ontology as editors and tools see it: documentation of every term, header, alignment,
the RDF/XML export for Protégé (kept in sync with the Turtle files), the catalog, `kg docs`."""

from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from typer.testing import CliRunner

from kg.cli import app
from kg.namespaces import HKG
from kg.tools.ontology_docs import (
    default_owl_path,
    export_owl,
    ontology_graph,
    owl_in_sync,
    write_html,
)

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_IRI = URIRef("https://w3id.org/humanitarian-kg/ontology")
CATALOG = ROOT / "ontology" / "catalog-v001.xml"

# Properties that deliberately have no rdfs:domain (their definitions say why).
NO_DOMAIN = {
    HKG.acronym,
    HKG.newlyDetected,
    HKG.contentHash,  # contentHash: on graph names
    HKG.within,
    HKG.key,
}  # places and concepts; anything named

runner = CliRunner()


@pytest.fixture(scope="module")
def onto() -> Graph:
    return ontology_graph()


def _languages(graph: Graph, node: URIRef, predicate: URIRef) -> set[str | None]:
    return {o.language for o in graph.objects(node, predicate) if isinstance(o, Literal)}


def _terms(graph: Graph, *kinds: URIRef) -> list[URIRef]:
    return sorted(
        {
            s
            for kind in kinds
            for s in graph.subjects(RDF.type, kind)
            if isinstance(s, URIRef) and str(s).startswith(str(HKG))
        }
    )


def test_header_has_version_and_dcterms(onto: Graph) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in onto
    for predicate in (
        OWL.versionIRI,
        OWL.versionInfo,
        DCTERMS.license,
        DCTERMS.creator,
        DCTERMS.created,
    ):
        assert onto.value(ONTOLOGY_IRI, predicate) is not None, predicate
    for predicate in (DCTERMS.title, DCTERMS.description):
        assert "en" in _languages(onto, ONTOLOGY_IRI, predicate), predicate
    version = str(onto.value(ONTOLOGY_IRI, OWL.versionInfo))
    assert str(onto.value(ONTOLOGY_IRI, OWL.versionIRI)).endswith("/" + version)


def test_every_class_and_property_is_labelled_and_defined(onto: Graph) -> None:
    terms = _terms(
        onto, OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty
    )
    assert len(terms) > 50
    problems = []
    for term in terms:
        labels = _languages(onto, term, RDFS.label)
        if not {"en", "fr"} <= labels:
            problems.append(f"{term}: rdfs:label in en and fr, has {labels}")
        if "en" not in _languages(onto, term, SKOS.definition):
            problems.append(f"{term}: no English skos:definition")
    assert problems == []


def test_properties_have_domain_and_range(onto: Graph) -> None:
    problems = []
    for prop in _terms(onto, OWL.ObjectProperty, OWL.DatatypeProperty):
        if onto.value(prop, RDFS.range) is None:
            problems.append(f"{prop}: no rdfs:range")
        if onto.value(prop, RDFS.domain) is None and prop not in NO_DOMAIN:
            problems.append(f"{prop}: no rdfs:domain")
    assert problems == []


def test_every_concept_and_scheme_is_labelled_and_defined(onto: Graph) -> None:
    concepts = sorted(s for s in onto.subjects(RDF.type, SKOS.Concept) if isinstance(s, URIRef))
    assert len(concepts) > 50
    problems = []
    for concept in concepts:
        if len(list(onto.objects(concept, RDFS.label))) != 1:
            problems.append(f"{concept}: exactly one rdfs:label")
        if not {"en", "fr"} <= _languages(onto, concept, SKOS.prefLabel):
            problems.append(f"{concept}: skos:prefLabel in en and fr")
        if "en" not in _languages(onto, concept, SKOS.definition):
            problems.append(f"{concept}: no English skos:definition")
    for scheme in onto.subjects(RDF.type, SKOS.ConceptScheme):
        if not {"en", "fr"} <= _languages(onto, scheme, SKOS.prefLabel):
            problems.append(f"{scheme}: skos:prefLabel in en and fr")
    assert problems == []


def test_alignment_and_humanitarian_codes(onto: Graph) -> None:
    org = URIRef("http://www.w3.org/ns/org#Organization")
    prov = "http://www.w3.org/ns/prov#"
    assert (HKG.Organisation, RDFS.subClassOf, org) in onto
    assert (
        HKG.Figure,
        RDFS.subClassOf,
        URIRef("http://purl.org/linked-data/cube#Observation"),
    ) in onto
    assert (HKG.Sector, RDFS.subClassOf, SKOS.Concept) in onto
    assert (HKG.evidence, RDFS.subPropertyOf, URIRef(prov + "wasDerivedFrom")) in onto
    assert (HKG.hasPart, OWL.inverseOf, HKG.partOf) in onto
    assert (SKOS.narrower, OWL.inverseOf, SKOS.broader) in onto
    sectors = list(onto.subjects(RDF.type, HKG.Sector))
    assert sectors and all(onto.value(s, HKG.clusterCode) is not None for s in sectors)
    assert all(onto.value(s, HKG.hxlHashtag) is not None for s in sectors)
    hashtags = {str(o) for o in onto.objects(None, HKG.hxlHashtag)}
    assert {"#org", "#sector", "#adm1", "#reached", "#country"} <= hashtags


def test_no_imports_and_the_catalog_resolves_locally(onto: Graph) -> None:
    assert list(onto.objects(None, OWL.imports)) == []
    root = ET.parse(CATALOG).getroot()  # noqa: S314 - our own file
    namespace = "{urn:oasis:names:tc:entity:xmlns:xml:catalog}"
    entries = list(root.iter(f"{namespace}uri"))
    names = {entry.get("name") for entry in entries}
    assert str(ONTOLOGY_IRI) in names
    assert str(onto.value(ONTOLOGY_IRI, OWL.versionIRI)) in names
    for entry in entries:
        assert (CATALOG.parent / entry.get("uri", "")).is_file(), entry.get("uri")


# --- the RDF/XML export ---------------------------------------------------------------------


@pytest.mark.slow
def test_shipped_owl_export_is_in_sync_with_the_turtle_files(onto: Graph) -> None:
    """Fails when ontology/*.ttl changed without `kg ontology export`."""
    shipped = Graph().parse(default_owl_path(), format="xml")
    assert isomorphic(shipped, onto), "run `kg ontology export` and commit ontology/hkg.owl"
    assert owl_in_sync()


@pytest.mark.slow
def test_export_is_deterministic_and_round_trips(tmp_path: Path, onto: Graph) -> None:
    first = export_owl(tmp_path / "a.owl").read_bytes()
    second = export_owl(tmp_path / "b.owl").read_bytes()
    assert first == second
    assert first.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<!-- Generated by')
    assert isomorphic(Graph().parse(tmp_path / "a.owl", format="xml"), onto)
    (tmp_path / "stale.owl").write_text(first.decode().replace("Sector", "Sektor"))
    assert not owl_in_sync(tmp_path / "stale.owl")
    assert not owl_in_sync(tmp_path / "missing.owl")


@pytest.mark.slow
def test_export_command_and_check(tmp_path: Path) -> None:
    target = tmp_path / "hkg.owl"
    result = runner.invoke(app, ["ontology", "export", "--check", "-o", str(target)])
    assert result.exit_code == 1 and "kg ontology export" in result.stderr
    result = runner.invoke(app, ["ontology", "export", "-o", str(target)])
    assert result.exit_code == 0 and target.is_file()
    result = runner.invoke(app, ["ontology", "export", "--check", "-o", str(target)])
    assert result.exit_code == 0 and "up to date" in result.stdout


# --- HTML documentation ---------------------------------------------------------------------


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in ("href", "src") and value:
                self.hrefs.append(value)


def test_docs_document_every_term_and_scheme(tmp_path: Path, onto: Graph) -> None:
    [index] = write_html(tmp_path)
    parser = _Collect()
    parser.feed(index.read_text(encoding="utf-8"))
    for term in _terms(onto, OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        assert "hkg-" + str(term)[len(str(HKG)) :] in parser.ids, term
    assert {
        "id-scheme-sectors",
        "id-scheme-indicators",
        "id-sector-health",
        "id-indicator-consultations",
    } <= parser.ids
    assert not {"script", "link", "img", "iframe"} & parser.tags  # self-contained, no fetches
    internal = [h[1:] for h in parser.hrefs if h.startswith("#")]
    assert internal and set(internal) <= parser.ids
    text = index.read_text(encoding="utf-8")
    assert "Humanitarian operations knowledge graph ontology" in text
    assert "ONG internationale" in text and "HEA" in text


def test_docs_command(tmp_path: Path) -> None:
    result = runner.invoke(app, ["docs", "-o", str(tmp_path / "docs")])
    assert result.exit_code == 0
    assert (tmp_path / "docs" / "index.html").is_file()
    result = runner.invoke(app, ["docs", "-o", str(tmp_path), "--engine", "other"])
    assert result.exit_code == 2


@pytest.mark.skipif(importlib.util.find_spec("pylode") is None, reason="pyLODE not installed")
def test_docs_with_pylode(tmp_path: Path) -> None:
    written = write_html(tmp_path, engine="pylode")
    page = (tmp_path / "ontology.html").read_text(encoding="utf-8")
    assert tmp_path / "ontology.html" in written
    assert "<title>Humanitarian operations knowledge graph ontology" in page


@pytest.mark.skipif(importlib.util.find_spec("pylode") is not None, reason="pyLODE installed")
def test_docs_without_pylode_says_how_to_install(tmp_path: Path) -> None:
    result = runner.invoke(app, ["docs", "-o", str(tmp_path), "--engine", "pylode"])
    assert result.exit_code == 2
    assert "pylode" in result.stderr.lower()
