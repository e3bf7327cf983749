"""Media types the endpoint writes, and content negotiation over the `Accept` header."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyoxigraph as ox

if TYPE_CHECKING:
    from kg.server.worker import Answer


@dataclass(frozen=True)
class Format:
    """One output format: a short name (for `?format=`), its media types and its writer."""

    name: str
    media_type: str
    aliases: tuple[str, ...] = ()
    results: ox.QueryResultsFormat | None = None
    rdf: ox.RdfFormat | None = None
    text: bool = True  # add `; charset=utf-8`
    names: tuple[str, ...] = ()  # more short names for `?format=`

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8" if self.text else self.media_type

    def media_types(self) -> tuple[str, ...]:
        return (self.media_type, *self.aliases)


R = ox.QueryResultsFormat
F = ox.RdfFormat

# SELECT and ASK results; the first is the default.
RESULTS_FORMATS: tuple[Format, ...] = (
    Format(
        "json",
        "application/sparql-results+json",
        ("application/json",),
        results=R.JSON,
        names=("srj",),
    ),
    Format(
        "xml",
        "application/sparql-results+xml",
        ("application/xml", "text/xml"),
        results=R.XML,
        names=("srx",),
    ),
    Format("csv", "text/csv", results=R.CSV),
    Format("tsv", "text/tab-separated-values", results=R.TSV),
)
# CONSTRUCT and DESCRIBE results; the first is the default.
RDF_FORMATS: tuple[Format, ...] = (
    Format(
        "ttl",
        "text/turtle",
        ("application/x-turtle", "application/turtle", "text/n3", "text/rdf+n3"),
        rdf=F.TURTLE,
        names=("turtle", "n3"),
    ),
    Format(
        "nt",
        "application/n-triples",
        ("text/plain",),
        rdf=F.N_TRIPLES,
        names=("ntriples", "n-triples"),
    ),
    Format(
        "jsonld",
        "application/ld+json",
        ("application/json",),
        rdf=F.JSON_LD,
        names=("json-ld", "json"),
    ),
    Format(
        "rdfxml",
        "application/rdf+xml",
        ("application/xml", "text/xml"),
        rdf=F.RDF_XML,
        names=("xml", "rdf"),
    ),
)
HTML = Format("html", "text/html", ("application/xhtml+xml",))

_BY_NAME = {f.name: f for f in (*RESULTS_FORMATS, *RDF_FORMATS, HTML)}


@dataclass(frozen=True)
class _Range:
    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int:
        """-1 if this range does not match `media_type`, else 0 (*/*), 1 (x/*) or 2 (x/y)."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*":
            return 0
        if self.type != kind:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def parse_accept(header: str | None) -> list[_Range]:
    ranges = []
    for part in (header or "").split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        kind, _, sub = media.partition("/")
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append(_Range(kind, sub, q))
    return ranges


def quality(ranges: Sequence[_Range], fmt: Format) -> float:
    """The q the client gives `fmt`: the most specific range matching any of its types."""
    best_spec, best_q = -1, 0.0
    for media in fmt.media_types():
        for rng in ranges:
            spec = rng.specificity(media)
            if spec > best_spec or (spec == best_spec and spec >= 0 and rng.q > best_q):
                best_spec, best_q = spec, rng.q
    return best_q if best_spec >= 0 else 0.0


def negotiate(accept: str | None, offers: Sequence[Format]) -> Format | None:
    """The offer the client prefers (ties go to the earlier offer); None if it accepts none.

    No Accept header (or an empty one) accepts anything: the first offer.
    """
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0] if offers else None
    best, best_q = None, 0.0
    for fmt in offers:
        q = quality(ranges, fmt)
        if q > best_q:
            best, best_q = fmt, q
    return best


def by_name(name: str, offers: Sequence[Format]) -> Format | None:
    """A format asked for by short name (`json`, `ttl`…) or media type, among `offers`."""
    wanted = name.strip().lower()
    for fmt in offers:
        if wanted == fmt.name or wanted in fmt.names or wanted in fmt.media_types():
            return fmt
    return None


def choose(
    accept: str | None, requested: str | Sequence[str] | None, offers: Sequence[Format]
) -> Format | None:
    """The first `?format=` value that names an offer, else the offer `Accept` prefers; None
    when neither finds one (the caller answers 406).

    `format` may be given more than once: SPARQLWrapper sends a short name and a media type
    (`format=tsv&format=text/tab-separated-values`). A value naming no offer is passed over,
    so a client's name for a format this endpoint writes under another name still gets the
    negotiated one.
    """
    names = (requested,) if isinstance(requested, str) else tuple(requested or ())
    for name in names:
        fmt = by_name(name, offers)
        if fmt is not None:
            return fmt
    return negotiate(accept, offers)


def not_acceptable(
    accept: str | None, requested: str | Sequence[str] | None, offers: Sequence[Format]
) -> Answer:
    """The 406 answer: what was asked for, and what this endpoint can write instead."""
    from kg.server.worker import error

    names = (requested,) if isinstance(requested, str) else tuple(requested or ())
    asked = "; ".join(
        filter(
            None,
            [
                f"Accept: {accept}" if accept else "",
                f"format={', '.join(names)}" if names else "",
            ],
        )
    )
    offered = ", ".join(f"{f.media_type} (format={f.name})" for f in offers)
    return error(
        406,
        f"none of the formats asked for ({asked}) is one this answer can be written in: {offered}",
    )


def format_named(name: str) -> Format:
    return _BY_NAME[name]


__all__ = [
    "HTML",
    "RDF_FORMATS",
    "RESULTS_FORMATS",
    "Format",
    "by_name",
    "choose",
    "format_named",
    "negotiate",
    "not_acceptable",
    "parse_accept",
    "quality",
]
