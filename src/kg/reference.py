"""Reference data: the ontology, SKOS schemes, organisations, places and lexicons, loaded once.

Everything the loaders recognise comes from here: the SKOS labels of `ontology/*.ttl` and
`data/reference/*.ttl`, the ISO 3166 places generated from pycountry, and the cue lists of
`data/lexicon/*.csv`. An editor who adds an altLabel to a `.ttl` file changes what is recognised,
with no code change. The reference graph also carries the organisations' external identifiers
(`data/reference/organisation-identifiers.csv`: IATI organisation identifiers as `org:identifier`,
Wikidata items as `skos:exactMatch`).
"""

from __future__ import annotations

import csv
import gettext
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pycountry
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from kg import resources
from kg.namespaces import HKG, ORG, PREFIXES, entity, slugify

LABEL_PREDICATES = (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)
IDENTIFIERS_FILE = "organisation-identifiers.csv"
WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"
PLACE_CLASSES = {
    HKG.Country: 0,
    HKG.AdminArea1: 1,
    HKG.AdminArea2: 2,
    HKG.AdminArea3: 3,
    HKG.Locality: 4,
}


@dataclass(frozen=True)
class Term:
    """One surface form of a named thing: what the text may say, and what it means."""

    text: str
    iri: str
    case_sensitive: bool = False


@dataclass
class Concept:
    """A named thing with its display label and the attributes the loaders use."""

    iri: str
    label: str
    terms: list[Term] = field(default_factory=list)
    broader: list[str] = field(default_factory=list)
    sector: str | None = None
    figure_kind: str | None = None  # "outcome" | "context" for indicators
    org_type: str | None = None
    main_sector: str | None = None
    acronyms: list[str] = field(default_factory=list)
    level: int | None = None
    parent: str | None = None
    country: str | None = None  # alpha-2 code of the country a place lies in


@dataclass
class Reference:
    """The vocabularies and lexicons, as loaded from the data files."""

    ontology: Graph
    reference: Graph
    sectors: dict[str, Concept]
    indicators: dict[str, Concept]
    qualifiers: dict[str, Concept]
    roles: dict[str, Concept]
    organisations: dict[str, Concept]
    places: dict[str, Concept]
    cues: dict[str, list[str]]
    boilerplate: dict[str, list[str]]
    number_words: dict[str, tuple[float, str]]
    words: dict[str, dict[str, str]]

    def concept(self, iri: str) -> Concept | None:
        for table in (
            self.places,
            self.organisations,
            self.sectors,
            self.indicators,
            self.qualifiers,
            self.roles,
        ):
            if iri in table:
                return table[iri]
        return None

    def sector_ancestors(self, iri: str) -> list[str]:
        """The sector and every broader sector, nearest first."""
        seen: list[str] = []
        todo = [iri]
        while todo:
            current = todo.pop(0)
            if current in seen:
                continue
            seen.append(current)
            concept = self.sectors.get(current)
            if concept:
                todo.extend(concept.broader)
        return seen


def parse_turtle_files(paths: list[Path]) -> Graph:
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a lexicon CSV; lines starting with '#' are comments."""
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if not line.lstrip().startswith("#")]
    return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(lines)]


def add_organisation_identifiers(graph: Graph, path: Path) -> int:
    """Add the external identifiers listed in `path` to the organisations of `graph`.

    Each row names an organisation by the slug of its IRI, a scheme and an identifier: `iati`
    becomes `org:identifier "XM-DAC-41114"`, `wikidata` becomes `skos:exactMatch
    <http://www.wikidata.org/entity/Q…>`. Whether an identifier is well formed is the shapes'
    business (shapes/organisations.ttl); a row naming an organisation `graph` does not type, or
    another scheme, cannot be loaded at all and raises ValueError. Returns the rows added.
    """
    if not path.is_file():
        return 0
    rows = read_csv(path)
    for row in rows:
        org = entity("org", row.get("organisation", ""))
        scheme, identifier = row.get("scheme", ""), row.get("identifier", "")
        where = f"{path.name}: {row.get('organisation')!r} {scheme} {identifier!r}"
        if (org, RDF.type, None) not in graph:
            raise ValueError(f"{where}: no reference organisation {org}")
        if scheme == "iati":
            graph.add((org, ORG.identifier, Literal(identifier)))
        elif scheme == "wikidata":
            graph.add((org, SKOS.exactMatch, URIRef(WIKIDATA_ENTITY + identifier)))
        else:
            raise ValueError(f"{where}: unknown scheme {scheme!r} (iati or wikidata)")
    return len(rows)


def covered_countries() -> list[str]:
    return [
        row["alpha2"].upper()
        for row in read_csv(resources.asset_dir("reference") / "countries.csv")
    ]


def iso_places_graph(alpha2_codes: list[str]) -> Graph:
    """Countries (all of ISO 3166-1) and the subdivisions of the covered countries, from pycountry.

    French names come from pycountry's own translation catalogues, so nothing is downloaded.
    """
    graph = Graph()
    fr_countries = _translator("iso3166-1")
    fr_subdivisions = _translator("iso3166-2")
    for country in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        iri = entity("place", country.alpha_2.lower())
        name = getattr(country, "common_name", None) or country.name
        graph.add((iri, RDF.type, HKG.Country))
        graph.add((iri, RDFS.label, Literal(name)))
        graph.add((iri, SKOS.prefLabel, Literal(name, lang="en")))
        graph.add((iri, SKOS.prefLabel, Literal(fr_countries(country.name), lang="fr")))
        for other in {country.name, getattr(country, "official_name", country.name)} - {name}:
            graph.add((iri, SKOS.altLabel, Literal(other, lang="en")))
        graph.add((iri, HKG.iso3166Code, Literal(country.alpha_2)))
        graph.add((iri, HKG.adminLevel, Literal(0, datatype=XSD.integer)))
    for alpha2 in alpha2_codes:
        subdivisions = pycountry.subdivisions.get(country_code=alpha2) or []
        by_code = {s.code: s for s in subdivisions}
        for sub in sorted(subdivisions, key=lambda s: s.code):
            level = 1
            parent_code = sub.parent_code
            while parent_code and parent_code in by_code and level < 3:
                level += 1
                parent_code = by_code[parent_code].parent_code
            iri = entity("place", sub.code.lower())
            parent = (
                entity("place", sub.parent_code.lower())
                if sub.parent_code
                else entity("place", alpha2.lower())
            )
            graph.add((iri, RDF.type, HKG[f"AdminArea{level}"]))
            graph.add((iri, RDFS.label, Literal(sub.name)))
            graph.add((iri, SKOS.prefLabel, Literal(sub.name, lang="fr")))
            translated = fr_subdivisions(sub.name)
            if translated != sub.name:
                graph.add((iri, SKOS.altLabel, Literal(translated, lang="fr")))
            graph.add((iri, HKG.iso3166Code, Literal(sub.code)))
            graph.add((iri, HKG.adminLevel, Literal(level, datatype=XSD.integer)))
            graph.add((iri, HKG.partOf, parent))
    return graph


def _translator(domain: str) -> Callable[[str], str]:
    try:
        return gettext.translation(domain, pycountry.LOCALES_DIR, languages=["fr"]).gettext
    except OSError:  # catalogue missing: keep the ISO names
        return lambda text: text


_LOADED: dict[tuple[str, str, str], Reference] = {}
"""The reference data built (or adopted) in this process, per data directories."""


def _data_dirs() -> tuple[str, str, str]:
    return (
        str(resources.asset_dir("ontology")),
        str(resources.asset_dir("reference")),
        str(resources.asset_dir("lexicon")),
    )


def load_reference() -> Reference:
    """The reference data of the current checkout (cached per data directory)."""
    key = _data_dirs()
    if key not in _LOADED:
        _LOADED[key] = build_reference()
    return _LOADED[key]


def forget_reference() -> None:
    """Drop what `load_reference` holds (after the data files changed in this process)."""
    _LOADED.clear()


def adopt_reference(reference: Reference) -> None:
    """Make `load_reference` return `reference` in this process: one this checkout built
    before (kg.build keeps it in its cache, keyed by the pipeline fingerprint), so that a
    process making one report's graph need not parse and generate it all again."""
    _LOADED[_data_dirs()] = reference


def reference_graph() -> Graph:
    """The reference named graph: curated files plus generated ISO places."""
    return load_reference().reference


def build_reference() -> Reference:
    ontology = parse_turtle_files(resources.asset_files("ontology", "*.ttl"))
    reference = parse_turtle_files(resources.asset_files("reference", "*.ttl"))
    add_organisation_identifiers(reference, resources.asset_dir("reference") / IDENTIFIERS_FILE)
    curated_english = {
        s: str(o)
        for s, o in reference.subject_objects(SKOS.prefLabel)
        if isinstance(o, Literal) and o.language == "en"
    }
    for s, p, o in iso_places_graph(covered_countries()):
        if p == RDFS.label and s in curated_english:
            o = Literal(curated_english[s])  # the curated English name is the display name
        reference.add((s, p, o))
    both = ontology + reference
    lexicon = resources.asset_dir("lexicon")
    cues: dict[str, list[str]] = defaultdict(list)
    for row in read_csv(lexicon / "cues.csv"):
        cues[row["kind"]].append(row["cue"])
    boilerplate: dict[str, list[str]] = defaultdict(list)
    for row in read_csv(lexicon / "boilerplate.csv"):
        boilerplate[row["kind"]].append(row["cue"])
    number_words = {
        row["word"]: (float(row["value"]), row["kind"])
        for row in read_csv(lexicon / "number-words.csv")
    }
    words: dict[str, dict[str, str]] = defaultdict(dict)
    for row in read_csv(lexicon / "words.csv"):
        words[row["kind"]][row["word"]] = row["value"]
    places = _places(both)
    return Reference(
        ontology=ontology,
        reference=reference,
        sectors=_concepts(both, HKG.Sector),
        indicators=_concepts(both, HKG.Indicator),
        qualifiers=_concepts(both, HKG.Qualifier),
        roles=_concepts(both, HKG.PartnerRole),
        organisations=_organisations(both),
        places=places,
        cues=dict(cues),
        boilerplate=dict(boilerplate),
        number_words=number_words,
        words=dict(words),
    )


def _label(graph: Graph, node: URIRef) -> str:
    label = graph.value(node, RDFS.label)
    if label is None:
        label = graph.value(node, SKOS.prefLabel)
    return str(label) if label is not None else node.rsplit("/", 1)[-1]


def _terms(graph: Graph, node: URIRef) -> Iterator[Term]:
    for predicate in LABEL_PREDICATES:
        for literal in graph.objects(node, predicate):
            yield Term(str(literal), str(node))
    for acronym in graph.objects(node, HKG.acronym):
        yield Term(str(acronym), str(node), case_sensitive=True)


def _instances(graph: Graph, cls: URIRef) -> list[URIRef]:
    classes = {cls, *graph.transitive_subjects(RDFS.subClassOf, cls)}
    found = {s for c in classes for s in graph.subjects(RDF.type, c) if isinstance(s, URIRef)}
    return sorted(found)


def _concepts(graph: Graph, cls: URIRef) -> dict[str, Concept]:
    out: dict[str, Concept] = {}
    for node in _instances(graph, cls):
        kind = graph.value(node, HKG.figureKind)
        out[str(node)] = Concept(
            iri=str(node),
            label=_label(graph, node),
            terms=sorted(set(_terms(graph, node)), key=lambda t: t.text),
            broader=sorted(str(b) for b in graph.objects(node, SKOS.broader)),
            sector=_str(graph.value(node, HKG.sector)),
            figure_kind=None
            if kind is None
            else ("context" if kind == HKG.ContextFigure else "outcome"),
        )
    return out


def _organisations(graph: Graph) -> dict[str, Concept]:
    out: dict[str, Concept] = {}
    for node in _instances(graph, HKG.Organisation):
        types = sorted(str(t) for t in graph.objects(node, RDF.type) if t != HKG.Organisation)
        out[str(node)] = Concept(
            iri=str(node),
            label=_label(graph, node),
            terms=sorted(set(_terms(graph, node)), key=lambda t: t.text),
            org_type=types[0] if types else str(HKG.Organisation),
            main_sector=_str(graph.value(node, HKG.mainSector)),
            acronyms=sorted(str(a) for a in graph.objects(node, HKG.acronym)),
            country=_country_code(graph.value(node, HKG.country)),
        )
    return out


def _places(graph: Graph) -> dict[str, Concept]:
    out: dict[str, Concept] = {}
    for cls, default_level in PLACE_CLASSES.items():
        for node in graph.subjects(RDF.type, cls):
            if not isinstance(node, URIRef) or str(node) in out:
                continue
            level = graph.value(node, HKG.adminLevel)
            out[str(node)] = Concept(
                iri=str(node),
                label=_label(graph, node),
                terms=sorted(set(_terms(graph, node)), key=lambda t: t.text),
                level=int(str(level)) if level is not None else default_level,
                parent=_str(graph.value(node, HKG.partOf)),
            )
    for concept in out.values():
        concept.country = _country_of(concept, out)
    return dict(sorted(out.items()))


def _country_of(place: Concept, places: dict[str, Concept]) -> str | None:
    current: Concept | None = place
    for _ in range(8):
        if current is None:
            return None
        if current.level == 0:
            return current.iri.rsplit("/", 1)[-1].upper()
        current = places.get(current.parent) if current.parent else None
    return None


def _country_code(value: object) -> str | None:
    """`id:place/ml` -> "ML" (national bodies say which country they belong to)."""
    return None if value is None else str(value).rsplit("/", 1)[-1].upper()


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def organisation_slug(name: str, acronym: str | None = None) -> str:
    """Slug for an organisation the reference data does not know."""
    return slugify(acronym or name)
