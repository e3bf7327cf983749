"""Every namespace and IRI pattern of the project, minted in one place.

A test keeps the `HKG` terms used in code in step with `ontology/hkg.ttl`.
"""

from __future__ import annotations

import re
import unicodedata

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

HKG = Namespace("https://w3id.org/humanitarian-kg/ontology#")
ID = Namespace("https://w3id.org/humanitarian-kg/id/")
ORG = Namespace("http://www.w3.org/ns/org#")
QB = Namespace("http://purl.org/linked-data/cube#")
OA = Namespace("http://www.w3.org/ns/oa#")
SH = Namespace("http://www.w3.org/ns/shacl#")
# W3C Basic Geo (WGS84) vocabulary: a place's latitude and longitude, for maps.
GEO = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")

PREFIXES: dict[str, Namespace | type] = {
    "hkg": HKG,
    "id": ID,
    "org": ORG,
    "qb": QB,
    "oa": OA,
    "prov": PROV,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "rdfs": RDFS,
    "rdf": RDF,
    "owl": OWL,
    "xsd": XSD,
    "sh": SH,
    "geo": GEO,
}

GRAPH_ONTOLOGY = ID["graph/ontology"]
GRAPH_REFERENCE = ID["graph/reference"]
GRAPH_INFERRED = ID["graph/inferred"]

_SLUG_RE = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """Lower-case ASCII slug: accents folded, runs of other characters become one hyphen."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _SLUG_RE.sub("-", folded.lower()).strip("-")
    return slug or "x"


def entity(kind: str, slug: str) -> URIRef:
    """IRI of a named thing: `id/{kind}/{slug}` (org, place, sector, indicator, qualifier, role)."""
    return ID[f"{kind}/{slug}"]


def report_iri(report_id: str) -> URIRef:
    return ID[f"report/{report_id}"]


def report_graph(report_id: str) -> URIRef:
    return ID[f"graph/report/{report_id}"]


def figure_iri(kind: str, report_id: str, start: int, end: int) -> URIRef:
    """Figures are named by report and character offsets, so rebuilds keep their IRIs."""
    return ID[f"{kind}/{report_id}/{start}-{end}"]


def span_iri(report_id: str, start: int, end: int) -> URIRef:
    return ID[f"span/{report_id}/{start}-{end}"]


def selector_iri(span: URIRef, kind: str) -> URIRef:
    return URIRef(f"{span}#{kind}")


def presence_iri(report_id: str, org: str, sector: str, place: str, year: int | None) -> URIRef:
    parts = [report_id, _tail(org), _tail(sector), _tail(place), str(year or "any")]
    return ID["presence/" + "/".join(parts)]


def partnership_iri(report_id: str, org: str, partner: str, role: str) -> URIRef:
    return ID["partnership/" + "/".join([report_id, _tail(org), _tail(partner), _tail(role)])]


def _tail(iri: str) -> str:
    return slugify(iri.rsplit("/", 1)[-1]) if iri else "none"
