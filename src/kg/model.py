"""Typed facts the loaders produce: plain data with source spans, no rdflib.

Everything the extractor finds is one of these; `emit` turns them into triples and
`kg extract --format json` prints them (the JSON is a public contract, see README).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Qualifier = Literal["exact", "at-least", "approximately", "at-most"]
FigureKind = Literal["outcome", "context"]
YearSource = Literal["sentence", "section", "document", "publication", "none"]
Unit = Literal["count", "percent"]


@dataclass(frozen=True)
class Named:
    """Something with a display label and an IRI (organisation, place, sector, indicator)."""

    label: str
    iri: str


PlaceKind = Literal["reference", "town", "new", "camp"]


@dataclass(frozen=True)
class PlaceRef(Named):
    """A place a fact is about. `kind`: "reference" (a country, administrative area or curated
    place of the reference data), "town" (GeoNames, with its id and coordinates), "new" or
    "camp" (named by the text as a place but in no gazetteer: minted from the report).
    `names`: the forms the text uses ("Arua District")."""

    level: int | None = None
    parent: str | None = None
    kind: PlaceKind = "reference"
    names: tuple[str, ...] = ()
    geonames: int | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass
class Figure:
    """A number with what was counted, from an exact span of the report text."""

    kind: FigureKind
    value: float
    qualifier: Qualifier
    counted: str
    quote: str
    start: int
    end: int
    indicator: Named | None = None
    sector: Named | None = None
    year: int | None = None
    year_source: YearSource = "none"
    period_start: str | None = None  # ISO year, year-month or date the figure's period starts
    period_end: str | None = None  # … and ends (None: open, e.g. "since November 2015")
    places: list[PlaceRef] = field(default_factory=list)
    unit: Unit = "count"
    cited_source: str | None = None
    part_of: int | None = None  # start offset of the figure this one breaks down ("of whom")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["value"] = _number(self.value)
        return data


@dataclass
class Partner:
    """An organisation the publisher works with, and in which role."""

    label: str
    iri: str
    role: str
    quote: str
    start: int
    end: int
    acronym: str | None = None
    new: bool = False
    names: tuple[str, ...] = ()  # the names the text uses for it


@dataclass
class Presence:
    """Who does what where: the publisher works in a sector in a place (in a year)."""

    organisation: Named
    sector: Named
    place: PlaceRef
    year: int | None
    quote: str
    start: int
    end: int


@dataclass
class Unclassified:
    """A number (or place-like name) that became no figure, with the reason why."""

    text: str
    start: int
    end: int
    reason: str
    value: float | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["value"] = None if self.value is None else _number(self.value)
        return data


@dataclass(frozen=True)
class Mention:
    """Where a place, sector or organisation is named (for curators' highlighted view)."""

    kind: Literal["place", "sector", "organisation"]
    label: str
    iri: str
    start: int
    end: int


@dataclass
class ReportMeta:
    """What is known about a report before reading it: file, hash and sidecar metadata."""

    report_id: str
    path: str
    sha256: str
    publisher: str | None = None
    country: str | None = None
    language: str | None = None
    year: int | None = None
    url: str | None = None


@dataclass
class Extraction:
    """All facts found in one report."""

    meta: ReportMeta
    publisher: Named | None
    country: Named | None
    outcomes: list[Figure] = field(default_factory=list)
    context_figures: list[Figure] = field(default_factory=list)
    partners: list[Partner] = field(default_factory=list)
    places: list[PlaceRef] = field(default_factory=list)
    sectors: list[Named] = field(default_factory=list)
    presences: list[Presence] = field(default_factory=list)
    unclassified: list[Unclassified] = field(default_factory=list)
    new_organisations: list[Partner] = field(default_factory=list)
    document_year: int | None = None
    mentions: list[Mention] = field(default_factory=list)
    publisher_confidence: str = "none"  # given | high | medium | low | none
    publisher_evidence: list[str] = field(default_factory=list)

    def figures(self) -> list[Figure]:
        return self.outcomes + self.context_figures

    def fact_count(self) -> int:
        return (
            len(self.outcomes)
            + len(self.context_figures)
            + len(self.partners)
            + len(self.presences)
        )

    def to_json(self) -> dict[str, Any]:
        """The public JSON contract of `kg extract --format json`."""
        return {
            "report": self.meta.path,
            "report_id": self.meta.report_id,
            "sha256": self.meta.sha256,
            "language": self.meta.language,
            "publisher": None if self.publisher is None else asdict(self.publisher),
            "publisher_confidence": self.publisher_confidence,
            "publisher_evidence": self.publisher_evidence,
            "country": None if self.country is None else asdict(self.country),
            "document_year": self.document_year,
            "outcomes": [f.to_json() for f in self.outcomes],
            "context_figures": [f.to_json() for f in self.context_figures],
            "partners": [asdict(p) for p in self.partners],
            "places": [asdict(p) for p in self.places],
            "sectors": [asdict(s) for s in self.sectors],
            "presences": [asdict(p) for p in self.presences],
            "unclassified": [u.to_json() for u in self.unclassified],
        }


def _number(value: float) -> int | float:
    """Whole numbers print as integers in JSON (154399, not 154399.0)."""
    return int(value) if float(value).is_integer() else value
