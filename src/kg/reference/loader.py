"""Reference data: the ontology, SKOS schemes, organisations, places and lexicons, loaded once.

Everything the loaders recognise comes from here: the SKOS labels of `ontology/*.ttl` and
`data/reference/*.ttl`, the ISO 3166 places generated from pycountry, and the cue lists of
`data/lexicon/*.csv`. An editor who adds an altLabel to a `.ttl` file changes what is recognised,
with no code change. The reference graph also carries the organisations' external identifiers
(`data/reference/organisation-identifiers.csv`: IATI organisation identifiers as `org:identifier`,
Wikidata items as `skos:exactMatch`).

One file: every reference data file is parsed here and nowhere else (the house rule: data is
loaded through one module), so the loader grows with the kinds of data.
"""

from __future__ import annotations

import csv
import gettext
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pycountry
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from kg import resources
from kg.geo import add_coordinates
from kg.namespaces import HKG, ORG, PREFIXES, entity, slugify

LABEL_PREDICATES = (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)
IDENTIFIERS_FILE = "organisation-identifiers.csv"
SECTOR_MAPPINGS_FILE = "sectors.sssom.tsv"
# the SSSOM predicates a sector mapping may use, and those that make the code its notation
_MAPPING_PREDICATES = {"skos:exactMatch": SKOS.exactMatch, "skos:closeMatch": SKOS.closeMatch}
_NOTATION_PREFIXES = ("gcg", "hpc")  # the cluster code lists: their code is the sector's
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
    iso: str | None = None  # ISO 3166 code of a place
    pcode: str | None = None  # OCHA P-code of a place (data/gazetteers)


@dataclass
class Reference:
    """The vocabularies and lexicons, as loaded from the data files.

    The two RDF graphs are built on first use: extraction needs only the concepts and word
    lists, which load from the disk cache in a tenth of a second (`kg.reference.diskcache`)."""

    _ontology: Graph | None
    _reference: Graph | None
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
    cache_key: str | None = None

    @property
    def ontology(self) -> Graph:
        if self._ontology is None:
            self._ontology, self._reference = _graphs(self.cache_key)
        return self._ontology

    @property
    def reference(self) -> Graph:
        if self._reference is None:
            self._ontology, self._reference = _graphs(self.cache_key)
        return self._reference

    def without_graphs(self) -> Reference:
        """A copy holding no graphs (they are rebuilt, or read from the cache, when asked)."""
        return replace(self, _ontology=None, _reference=None)

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


def add_sector_mappings(graph: Graph, ontology: Graph, path: Path) -> int:
    """Add the SSSOM mapping set at `path` (sectors to the humanitarian code lists) to `graph`:
    `skos:exactMatch`/`skos:closeMatch` to each code's IRI (expanded with the set's
    `curie_map`), and the cluster code of an exact match to a cluster list as `skos:notation`.
    A row whose subject is no sector of `ontology`, whose predicate is not one of the two or
    whose prefix the `curie_map` lacks cannot be loaded: ValueError with the file and line.
    Returns the mappings added."""
    import yaml

    if not path.is_file():
        return 0
    lines = path.read_text(encoding="utf-8").splitlines()
    header = [line[1:] for line in lines if line.startswith("#")]
    body = [(n, line) for n, line in enumerate(lines, 1) if line and not line.startswith("#")]
    try:
        meta = yaml.safe_load("\n".join(header)) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path.name}: the metadata lines are no YAML: {exc}") from None
    prefixes: dict[str, str] = meta.get("curie_map") or {}
    if not body:
        raise ValueError(f"{path.name}: no column header")
    columns = body[0][1].split("\t")

    def expand(curie: str, where: str) -> URIRef:
        prefix, sep, local = curie.partition(":")
        if not sep or prefix not in prefixes or not local:
            raise ValueError(f"{where}: {curie!r} is no CURIE of the curie_map")
        return URIRef(prefixes[prefix] + local)

    for n, line in body[1:]:
        row = dict(zip(columns, line.split("\t"), strict=False))
        where = f"{path.name}:{n}"
        subject = expand(row.get("subject_id", ""), where)
        if (subject, RDF.type, HKG.Sector) not in ontology:
            raise ValueError(f"{where}: {row.get('subject_id')!r} is no sector of the ontology")
        predicate = _MAPPING_PREDICATES.get(row.get("predicate_id", ""))
        if predicate is None:
            raise ValueError(
                f"{where}: predicate {row.get('predicate_id')!r} (skos:exactMatch or "
                "skos:closeMatch)"
            )
        obj = row.get("object_id", "")
        graph.add((subject, predicate, expand(obj, where)))
        if predicate == SKOS.exactMatch and obj.partition(":")[0] in _NOTATION_PREFIXES:
            graph.add((subject, SKOS.notation, Literal(obj.partition(":")[2])))
    return len(body) - 1


def covered_countries() -> list[str]:
    """The countries synthetic corpora are about (`countries.csv`); the loaders know every
    country and its subdivisions whatever this list says."""
    return [
        row["alpha2"].upper()
        for row in read_csv(resources.asset_dir("reference") / "countries.csv")
    ]


def country_names() -> dict[str, list[tuple[str, str, str]]]:
    """alpha-2 code -> [(language, name, kind)]: the generated names of `country-names.csv`
    (OCHA's taxonomy) then the curated `country-aliases.csv`; an ambiguous alias is listed
    under each country it may mean."""
    folder = resources.asset_dir("reference")
    out: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for row in read_csv(folder / "country-names.csv"):
        out[row["alpha2"].upper()].append((row["lang"], row["name"], row["kind"]))
    for row in read_csv(folder / "country-aliases.csv"):
        for code in row["alpha2"].upper().split(";"):
            out[code].append((row["lang"], row["name"], row["kind"]))
    return dict(out)


def world_places_graph() -> Graph:
    """Every ISO 3166-1 country (with its alpha-2, alpha-3 and M49 codes) and every ISO 3166-2
    subdivision, from pycountry, named in English, French and Spanish.

    Country names come from OCHA's taxonomy (`country-names.csv`) and the curated aliases;
    subdivision names from pycountry's translation catalogues and the English names of the
    `iso3166-2` package (an exonym such as "Aleppo" beside ISO's "Ḩalab"), with the
    generic ones ("North", "Centre") left out. Nothing is downloaded."""
    graph = Graph()
    names = country_names()
    translate = {lang: _translator("iso3166-1", lang) for lang in ("fr", "es")}
    for country in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        code = country.alpha_2
        iri = entity("place", code.lower())
        known = names.get(code, [])
        short = {lang: n for lang, n, kind in reversed(known) if kind == "short"}
        english = short.get("en") or getattr(country, "common_name", None) or country.name
        graph.add((iri, RDF.type, HKG.Country))
        graph.add((iri, RDFS.label, Literal(english)))
        preferred = {
            "en": english,
            "fr": short.get("fr") or translate["fr"](country.name),
            "es": short.get("es") or translate["es"](country.name),
        }
        for lang, name in preferred.items():
            graph.add((iri, SKOS.prefLabel, Literal(name, lang=lang)))
        others = {(lang, n) for lang, n, kind in known if kind not in {"demonym", "ambiguous"}}
        for other in {country.name, getattr(country, "official_name", country.name)}:
            others.add(("en", other))
        for lang, name in sorted(others):
            if name != preferred.get(lang) and not name.isupper():
                graph.add((iri, SKOS.altLabel, Literal(name, lang=lang)))
        for _, name, kind in known:
            if kind == "alias" and name.isupper() and len(name) <= 5:
                graph.add((iri, HKG.acronym, Literal(name)))  # DRC, RCA: capitals only
        graph.add((iri, HKG.iso3166Code, Literal(code)))
        # pycountry's ISO 3166-1 alpha-3 and numeric codes (the numeric code of a country is
        # its UN M49 code): how HDX, HAPI and the UN statistics name countries
        graph.add((iri, HKG.iso3166Alpha3, Literal(country.alpha_3)))
        graph.add((iri, HKG.m49Code, Literal(country.numeric)))
        graph.add((iri, HKG.adminLevel, Literal(0, datatype=XSD.integer)))
    _world_subdivisions(graph)
    return graph


def _world_subdivisions(graph: Graph) -> None:
    translate = {lang: _translator("iso3166-2", lang) for lang in ("fr", "es")}
    english_names, positions = _iso3166_2_data()
    by_code = {s.code: s for s in pycountry.subdivisions}
    for sub in sorted(pycountry.subdivisions, key=lambda s: s.code):
        level = 1
        parent_code = sub.parent_code
        while parent_code and parent_code in by_code and level < 3:
            level += 1
            parent_code = by_code[parent_code].parent_code
        iri = entity("place", sub.code.lower())
        parent = (
            entity("place", sub.parent_code.lower())
            if sub.parent_code and sub.parent_code in by_code
            else entity("place", sub.country_code.lower())
        )
        name = _clean_subdivision_name(sub.name)
        graph.add((iri, RDF.type, HKG[f"AdminArea{level}"]))
        graph.add((iri, RDFS.label, Literal(name)))
        english = english_names.get(sub.code, [])
        preferred = {
            "en": english[0] if len(english) == 1 else name,
            "fr": _clean_subdivision_name(translate["fr"](sub.name)),
            "es": _clean_subdivision_name(translate["es"](sub.name)),
        }
        for lang, label in preferred.items():
            graph.add((iri, SKOS.prefLabel, Literal(label, lang=lang)))
        alternates = {("en", n) for n in english} | {("en", name)}
        bare = _TYPE_WORDS.sub("", name).strip(" -")
        if bare and bare != name:
            alternates.add(("en", bare))  # "Vinnytska oblast" is also "Vinnytska"
        for lang, label in sorted(alternates):
            if label != preferred[lang]:
                graph.add((iri, SKOS.altLabel, Literal(label, lang=lang)))
        graph.add((iri, HKG.iso3166Code, Literal(sub.code)))
        graph.add((iri, HKG.adminLevel, Literal(level, datatype=XSD.integer)))
        graph.add((iri, HKG.partOf, parent))
        add_coordinates(graph, iri, *positions.get(sub.code, (None, None)))


_TYPE_WORDS = re.compile(
    r"\s+(?:oblast|governorate|province|region|district|state|county|department)$",
    re.IGNORECASE,
)


def _clean_subdivision_name(name: str) -> str:
    """ "Amānat al ‘Āşimah [city]" -> "Amānat al ‘Āşimah" (ISO's bracketed notes)."""
    return re.sub(r"\s*\[[^\]]*\]", "", name).strip()


def _iso3166_2_data() -> tuple[dict[str, list[str]], dict[str, tuple[float, float]]]:
    """From the `iso3166-2` package: subdivision code -> its English names in `localOtherName`
    ("Damascus (eng)"), without generic or descriptive ones ("North", "City of Humans"); and
    subdivision code -> (latitude, longitude) of its `latLng`, for maps."""
    # a dependency: a broken install (iso3166-2 1.8.0 imports `requests` without declaring
    # it) fails here, loudly, rather than building a graph without exonyms or coordinates
    from iso3166_2 import Subdivisions

    common = _common_words()
    out: dict[str, list[str]] = {}
    positions: dict[str, tuple[float, float]] = {}
    data = Subdivisions()
    for alpha2 in sorted({s.country_code for s in pycountry.subdivisions}):
        try:
            subdivisions = data[alpha2]
        except (KeyError, ValueError):
            continue
        if not isinstance(subdivisions, Mapping):
            continue
        for code, info in sorted(subdivisions.items()):
            position = info.get("latLng")
            if isinstance(position, list) and len(position) == 2:
                positions[code] = (float(position[0]), float(position[1]))
            names = []
            for part in (info.get("localOtherName") or "").split(", "):
                m = re.fullmatch(r"(.+?)\s*\(eng\)", part.strip())
                if not m:
                    continue
                english = m.group(1).strip()
                words = re.findall(r"[a-z]+", english.lower())
                if not words or all(w in common for w in words) or len(words) > 3:
                    continue  # "New Flower", "Eastern gate of Ukraine", "North"
                names.append(english)
            if names:
                out[code] = sorted(dict.fromkeys(names))
    return out, positions


def currency_codes() -> frozenset[str]:
    """The ISO 4217 currency codes, from pycountry's data: a number beside one is money."""
    return frozenset(c.alpha_3 for c in pycountry.currencies)


def _common_words() -> frozenset[str]:
    """The most frequent words of English, French and Spanish (`data/lexicon/common-words.csv`)."""
    path = resources.asset_dir("lexicon") / "common-words.csv"
    return frozenset(row["word"] for row in read_csv(path))


def _translator(domain: str, language: str = "fr") -> Callable[[str], str]:
    try:
        return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language]).gettext
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
    """The reference data of the current checkout: held per data directory in this process, and
    on disk between processes (`kg.reference.diskcache`)."""
    key = _data_dirs()
    if key not in _LOADED:
        from kg.reference import diskcache

        cache_key = reference_key()
        _LOADED[key] = diskcache.load_or_build(
            "reference", cache_key, lambda: build_reference().without_graphs()
        )
        _LOADED[key].cache_key = cache_key
    return _LOADED[key]


_SOURCE_KINDS = (("ontology", "*.ttl"), ("reference", "*"), ("lexicon", "*"), ("gazetteers", "*"))
_SOURCE_PACKAGES = ("rdflib", "pycountry", "iso3166-2")


def reference_key() -> str:
    """Digest of everything the reference data is built from: data files, code, packages."""
    from kg.reference import diskcache

    files = [Path(__file__), Path(__file__).parent.parent / "geo.py"]  # add_coordinates
    for kind, pattern in _SOURCE_KINDS:
        files += resources.asset_files(kind, pattern)
    return diskcache.digest(files, _SOURCE_PACKAGES, extra="reference 1")


def _graphs(cache_key: str | None) -> tuple[Graph, Graph]:
    """The ontology and reference graphs: from the disk cache (N-Triples) or built anew."""
    from kg.reference import diskcache

    def build() -> tuple[bytes, bytes]:
        ontology, reference = build_graphs()
        return (
            ontology.serialize(format="nt", encoding="utf-8"),
            reference.serialize(format="nt", encoding="utf-8"),
        )

    if cache_key is None:
        return build_graphs()
    ontology_nt, reference_nt = diskcache.load_or_build("reference-graphs", cache_key, build)
    out = []
    for data in (ontology_nt, reference_nt):
        graph = Graph()
        for prefix, namespace in PREFIXES.items():
            graph.bind(prefix, namespace)
        graph.parse(data=data, format="nt")
        out.append(graph)
    return out[0], out[1]


def forget_reference() -> None:
    """Drop what `load_reference` holds (after the data files changed in this process)."""
    _LOADED.clear()


def adopt_reference(reference: Reference) -> None:
    """Make `load_reference` return `reference` in this process: one this checkout built
    before (kg.build.run keeps it in its cache, keyed by the pipeline fingerprint), so that a
    process making one report's graph need not parse and generate it all again."""
    _LOADED[_data_dirs()] = reference


class GazetteerError(Exception):
    """A P-code gazetteer that cannot be read; str() names the file and line."""


_ADMIN_COLUMN = re.compile(r"^admin([0-4])(Pcode|Name_([a-z]{2}))$", re.IGNORECASE)


def cod_places_graph(reference: Graph) -> Graph:
    """The places of the OCHA P-code tables in `data/gazetteers/*.csv` (HDX "tabular data" of
    administrative boundaries: `admin1Name_en`, `admin1Pcode`, `admin2Name_en`, `admin2Pcode`…).

    A first-level unit that ISO 3166-2 already has (same name, any language) gets its P-code;
    the others, and every unit below, become places of their own, `id:place/<p-code>`, each
    part of its parent. The COD edition (`hkg:pcodeGeneration`) is the file's `date` or
    `validOn` column, or its name: P-codes are never invented or guessed."""
    graph = Graph()
    iso_by_name: dict[tuple[str, str], URIRef] = {}
    for node in reference.subjects(RDF.type, HKG.AdminArea1):
        code = reference.value(node, HKG.iso3166Code)
        if not isinstance(node, URIRef) or code is None:
            continue
        for predicate in (RDFS.label, *LABEL_PREDICATES):
            for name in reference.objects(node, predicate):
                iso_by_name[(str(code)[:2], _name_key(str(name)))] = node
    for path in resources.asset_files("gazetteers", "*.csv"):
        _cod_file(path, graph, iso_by_name)
    return graph


def _name_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.findall(r"[a-z0-9]+", plain))


def _cod_file(path: Path, graph: Graph, iso_by_name: dict[tuple[str, str], URIRef]) -> None:
    try:
        rows = read_csv(path)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise GazetteerError(f"{path}: cannot be read as UTF-8 CSV ({err})") from None
    columns = set(rows[0]) if rows else set()
    levels = sorted(
        {
            int(m.group(1))
            for c in columns
            if (m := _ADMIN_COLUMN.match(c)) and m.group(2).lower() == "pcode"
        }
        - {0, 4}
    )
    if not levels:
        raise GazetteerError(
            f"{path}:1: no admin1Pcode/admin2Pcode… column: not an OCHA P-code table"
        )
    edition = next((row[c] for row in rows for c in ("date", "validOn") if row.get(c)), path.stem)
    generation = Literal(f"{path.stem} {edition}" if edition != path.stem else path.stem)
    for number, row in enumerate(rows, start=2):
        country = (row.get("admin0Pcode") or "").strip().upper()
        first = (row.get("admin1Pcode") or "").strip().upper()
        if not country:
            country = first[:2]
        if len(country) != 2 or not country.isalpha():
            raise GazetteerError(
                f"{path}:{number}: no country: admin0Pcode {row.get('admin0Pcode')!r} and "
                f"admin1Pcode {row.get('admin1Pcode')!r} give no ISO alpha-2 code"
            )
        parent: URIRef = entity("place", country.lower())
        for level in levels:
            pcode = (row.get(f"admin{level}Pcode") or "").strip().upper()
            if not pcode:
                break
            names = {
                lang: (row.get(f"admin{level}Name_{lang}") or "").strip()
                for lang in ("en", "fr", "es", "pt", "ar")
            }
            names = {lang: n for lang, n in names.items() if n}
            if not names:
                raise GazetteerError(f"{path}:{number}: P-code {pcode} has no admin{level}Name_*")
            iri = None
            if level == 1:
                iri = next(
                    (
                        iso_by_name[(country, _name_key(n))]
                        for n in names.values()
                        if (country, _name_key(n)) in iso_by_name
                    ),
                    None,
                )
            if iri is None:
                iri = entity("place", pcode.lower())
                graph.add((iri, RDF.type, HKG[f"AdminArea{level}"]))
                graph.set((iri, RDFS.label, Literal(names.get("en") or next(iter(names.values())))))
                for lang, name in sorted(names.items()):
                    graph.add((iri, SKOS.prefLabel, Literal(name, lang=lang)))
                graph.set((iri, HKG.adminLevel, Literal(level, datatype=XSD.integer)))
                graph.set((iri, HKG.partOf, parent))
            graph.set((iri, HKG.pcode, Literal(pcode)))
            graph.set((iri, HKG.pcodeGeneration, generation))
            parent = iri


def reference_graph() -> Graph:
    """The reference named graph: curated files plus generated ISO places."""
    return load_reference().reference


def build_graphs() -> tuple[Graph, Graph]:
    """The ontology graph and the reference graph (curated files, every country and ISO
    subdivision, the P-code gazetteers of `data/gazetteers/`)."""
    ontology = parse_turtle_files(resources.asset_files("ontology", "*.ttl"))
    reference = parse_turtle_files(resources.asset_files("reference", "*.ttl"))
    add_organisation_identifiers(reference, resources.asset_dir("reference") / IDENTIFIERS_FILE)
    mappings = resources.asset_dir("reference") / SECTOR_MAPPINGS_FILE
    add_sector_mappings(reference, ontology, mappings)
    curated = {
        (s, o.language): str(o)
        for s, o in reference.subject_objects(SKOS.prefLabel)
        if isinstance(o, Literal)
    }
    for s, p, o in world_places_graph():
        if p == RDFS.label and (s, "en") in curated:
            o = Literal(curated[(s, "en")])  # the curated English name is the display name
        elif p == SKOS.prefLabel and isinstance(o, Literal) and (s, o.language) in curated:
            if curated[(s, o.language)] == str(o):
                continue
            p = SKOS.altLabel  # the curated file chose another preferred name
        reference.add((s, p, o))
    for triple in cod_places_graph(reference):
        reference.add(triple)
    return ontology, reference


def build_reference() -> Reference:
    """Concepts, places and word lists from the data files (the graphs kept alongside)."""
    ontology, reference = build_graphs()
    both = ontology + reference
    lexicon = resources.asset_dir("lexicon")
    cues: dict[str, list[str]] = defaultdict(list)
    for row in read_csv(lexicon / "cues.csv"):
        for form in inflections(row["cue"], row["lang"]):
            if form not in cues[row["kind"]]:
                cues[row["kind"]].append(form)
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
        _ontology=ontology,
        _reference=reference,
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


def inflections(cue: str, lang: str) -> list[str]:
    """A cue and the other forms of its participle: French "réalisé" is also "réalisée",
    "réalisés", "réalisées" ("pris en charge": "prise(s) en charge"); Spanish "entregado" is
    also "entregada", "entregados", "entregadas". Other cues are as written."""
    words = cue.split()
    if not words:
        return [cue]
    index = 0 if lang == "fr" and len(words) > 1 and words[0] in {"pris", "mis"} else -1
    word = words[index]
    endings: list[str] = []
    if lang == "fr" and len(word) >= 4:
        if word.endswith(("é", "i", "u")):
            endings = ["e", "s", "es"]
        elif word.endswith(("it", "nt", "rt")):
            endings = ["e", "s", "es"]
        elif word in {"pris", "mis"}:
            endings = ["e", "es"]
    elif lang == "es" and word.endswith(("ado", "ido")) and len(word) >= 5:
        word = word[:-1]  # "entregad" + o, a, os, as
        endings = ["o", "a", "os", "as"]
    out = [cue]
    for ending in endings:
        changed = list(words)
        changed[index] = word + ending
        form = " ".join(changed)
        if form not in out:
            out.append(form)
    return out


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
                iso=_str(graph.value(node, HKG.iso3166Code)),
                pcode=_str(graph.value(node, HKG.pcode)),
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
