"""Coordinates as the graph states them: one home for the places of reports (`kg.emit`) and of
the reference data (`kg.reference`), so both write the same literals for the same point."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from kg.namespaces import GEO


def add_coordinates(graph: Graph, iri: URIRef, lat: float | None, lon: float | None) -> None:
    """geo:lat and geo:long as xsd:decimal, when a cited source gave both (GeoNames, ISO
    3166-2 via the iso3166-2 package): what the who-does-what-where map draws."""
    if lat is None or lon is None:
        return
    graph.add((iri, GEO.lat, Literal(decimal_text(round(lat, 4)), datatype=XSD.decimal)))
    graph.add((iri, GEO.long, Literal(decimal_text(round(lon, 4)), datatype=XSD.decimal)))


def decimal_text(value: float) -> str:
    """A number as an xsd:decimal lexical form: "12" for 12.0, the shortest repr otherwise."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))
