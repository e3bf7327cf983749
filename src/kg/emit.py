"""Facts to RDF: one graph per report. Every IRI is minted through `kg.namespaces`.

Blank nodes are never used, so the same facts always give the same triples and a sorted
N-Quads dump of the store is byte-identical between builds.
"""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from kg.geo import add_coordinates, decimal_text
from kg.model import Extraction, Figure, Partner, PlaceRef
from kg.namespaces import (
    HKG,
    OA,
    PREFIXES,
    entity,
    figure_iri,
    partnership_iri,
    presence_iri,
    report_iri,
    selector_iri,
    span_iri,
)

_FIGURE_CLASS = {"outcome": HKG.Outcome, "context": HKG.ContextFigure}


def new_graph() -> Graph:
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def _year(value: int) -> Literal:
    return Literal(f"{value:04d}", datatype=XSD.gYear)


def emit_report(extraction: Extraction, known_organisations: set[str] | None = None) -> Graph:
    """The triples of one report's named graph."""
    known = known_organisations or set()
    graph = new_graph()
    meta = extraction.meta
    rid = meta.report_id
    report = report_iri(rid)
    graph.add((report, RDF.type, HKG.Report))
    graph.add((report, RDFS.label, Literal(rid)))
    graph.add((report, HKG.fileName, Literal(meta.path.replace("\\", "/").rsplit("/", 1)[-1])))
    graph.add((report, HKG.sha256, Literal(meta.sha256)))
    if meta.language:
        graph.add((report, DCTERMS.language, Literal(meta.language)))
    if meta.year:
        graph.add((report, HKG.year, _year(meta.year)))
    if meta.url:
        graph.add((report, HKG.sourceURL, Literal(meta.url, datatype=XSD.anyURI)))
    publisher = URIRef(extraction.publisher.iri) if extraction.publisher else None
    if publisher is not None and extraction.publisher is not None:
        graph.add((report, DCTERMS.publisher, publisher))
        if str(publisher) not in known:
            _new_org(graph, publisher, extraction.publisher.label, None)
    if extraction.country:
        graph.add((report, HKG.country, URIRef(extraction.country.iri)))
    described: set[str] = set()
    for place in [p for f in extraction.figures() for p in f.places] + [
        p.place for p in extraction.presences
    ]:
        if place.kind != "reference" and place.iri not in described:
            described.add(place.iri)
            _place(graph, place, meta.language)
    by_start = {fig.start: fig for fig in extraction.figures()}
    for fig in extraction.figures():
        _figure(graph, rid, report, publisher, fig)
        whole = by_start.get(fig.part_of) if fig.part_of is not None else None
        if whole is not None:
            graph.add(
                (
                    figure_iri(fig.kind, rid, fig.start, fig.end),
                    HKG.breakdownOf,
                    figure_iri(whole.kind, rid, whole.start, whole.end),
                )
            )
    for presence in extraction.presences:
        iri = presence_iri(
            rid, presence.organisation.iri, presence.sector.iri, presence.place.iri, presence.year
        )
        graph.add((iri, RDF.type, HKG.Presence))
        graph.add((iri, HKG.organisation, URIRef(presence.organisation.iri)))
        graph.add((iri, HKG.sector, URIRef(presence.sector.iri)))
        graph.add((iri, HKG.place, URIRef(presence.place.iri)))
        if presence.year:
            graph.add((iri, HKG.year, _year(presence.year)))
        graph.add(
            (
                iri,
                HKG.evidence,
                _span(graph, rid, report, presence.start, presence.end, presence.quote),
            )
        )
        graph.add((iri, PROV.wasDerivedFrom, report))
    for partner in extraction.partners:
        _partnership(graph, rid, report, publisher, partner, known)
    return graph


def _figure(graph: Graph, rid: str, report: URIRef, publisher: URIRef | None, fig: Figure) -> None:
    iri = figure_iri(fig.kind, rid, fig.start, fig.end)
    graph.add((iri, RDF.type, _FIGURE_CLASS[fig.kind]))
    if publisher is not None:
        graph.add((iri, HKG.reportedBy, publisher))
    graph.add((iri, HKG.value, Literal(decimal_text(fig.value), datatype=XSD.decimal)))
    graph.add((iri, HKG.qualifier, entity("qualifier", fig.qualifier)))
    graph.add((iri, HKG.counted, Literal(fig.counted)))
    graph.add((iri, HKG.unit, Literal(fig.unit)))
    graph.add((iri, HKG.yearSource, Literal(fig.year_source)))
    if fig.indicator:
        graph.add((iri, HKG.indicator, URIRef(fig.indicator.iri)))
    if fig.sector:
        graph.add((iri, HKG.sector, URIRef(fig.sector.iri)))
    if fig.year is not None:
        graph.add((iri, HKG.year, _year(fig.year)))
    for place in fig.places:
        graph.add((iri, HKG.place, URIRef(place.iri)))
    if fig.cited_source:
        graph.add((iri, HKG.citedSource, Literal(fig.cited_source)))
    graph.add((iri, HKG.evidence, _span(graph, rid, report, fig.start, fig.end, fig.quote)))
    graph.add((iri, PROV.wasDerivedFrom, report))


_LEVEL_CLASS = {1: HKG.AdminArea1, 2: HKG.AdminArea2, 3: HKG.AdminArea3}


def _place(graph: Graph, place: PlaceRef, language: str | None) -> None:
    """A place the reference graph does not hold, described in the report's graph: a GeoNames
    town, or a place the text names that no gazetteer has (flagged hkg:newlyDetected)."""
    iri = URIRef(place.iri)
    level = place.level if place.level is not None else 4
    graph.add((iri, RDF.type, _LEVEL_CLASS.get(level, HKG.Locality)))
    if place.kind == "camp":
        graph.add((iri, RDF.type, HKG.Camp))
    graph.add((iri, RDFS.label, Literal(place.label)))
    lang = language if language in {"en", "fr", "es"} else "en"
    graph.add((iri, SKOS.prefLabel, Literal(place.label, lang=lang)))
    for name in place.names:
        if name != place.label:
            graph.add((iri, SKOS.altLabel, Literal(name, lang=lang)))
    graph.add((iri, HKG.adminLevel, Literal(level, datatype=XSD.integer)))
    if place.parent:
        graph.add((iri, HKG.partOf, URIRef(place.parent)))
    if place.geonames is not None:
        graph.add((iri, HKG.geonamesId, Literal(place.geonames, datatype=XSD.integer)))
    add_coordinates(graph, iri, place.lat, place.lon)
    if place.kind in {"new", "camp"}:
        graph.add((iri, HKG.newlyDetected, Literal(True)))


def _span(graph: Graph, rid: str, report: URIRef, start: int, end: int, quote: str) -> URIRef:
    span = span_iri(rid, start, end)
    quote_sel, position = selector_iri(span, "quote"), selector_iri(span, "position")
    graph.add((span, RDF.type, OA.SpecificResource))
    graph.add((span, OA.hasSource, report))
    graph.add((span, OA.hasSelector, quote_sel))
    graph.add((span, OA.hasSelector, position))
    graph.add((quote_sel, RDF.type, OA.TextQuoteSelector))
    graph.add((quote_sel, OA.exact, Literal(quote)))
    graph.add((position, RDF.type, OA.TextPositionSelector))
    graph.add((position, OA.start, Literal(start, datatype=XSD.integer)))
    graph.add((position, OA.end, Literal(end, datatype=XSD.integer)))
    return span


def _partnership(
    graph: Graph,
    rid: str,
    report: URIRef,
    publisher: URIRef | None,
    partner: Partner,
    known: set[str],
) -> None:
    if publisher is None:
        return
    role = entity("role", partner.role)
    iri = partnership_iri(rid, str(publisher), partner.iri, str(role))
    graph.add((iri, RDF.type, HKG.Partnership))
    graph.add((iri, HKG.organisation, publisher))
    graph.add((iri, HKG.partner, URIRef(partner.iri)))
    graph.add((iri, HKG.role, role))
    graph.add(
        (iri, HKG.evidence, _span(graph, rid, report, partner.start, partner.end, partner.quote))
    )
    graph.add((iri, PROV.wasDerivedFrom, report))
    if partner.iri not in known:
        _new_org(
            graph,
            URIRef(partner.iri),
            partner.label,
            partner.acronym,
            government=partner.role == "government-counterpart",
        )


def _new_org(
    graph: Graph, iri: URIRef, label: str, acronym: str | None, government: bool = False
) -> None:
    graph.add((iri, RDF.type, HKG.GovernmentBody if government else HKG.Organisation))
    if government:
        graph.add((iri, RDF.type, HKG.Organisation))
    graph.set((iri, RDFS.label, Literal(label)))
    graph.set((iri, SKOS.prefLabel, Literal(label, lang="en")))
    if acronym:
        graph.add((iri, HKG.acronym, Literal(acronym)))
    graph.add((iri, HKG.newlyDetected, Literal(True)))
