"""Places and organisations named in a report: resolved against the reference data.

Places: a name may mean several places (Timbuktu the region, the cercle and the town); the
word beside it ("region", "district", "cercle") or beside the list it stands in decides, and
otherwise the largest one is meant. Organisations: labels and acronyms of the reference data,
and names the reference does not know, found after a partner cue or defined with an acronym.

One file: place and organisation names are scanned together because they must not overlap (an
organisation's name is no place, a place inside a name is none), and both resolve through the
same name scanner.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kg.extract.lexicons import Lexicons
from kg.extract.matcher import Match
from kg.extract.text import Document, fold
from kg.model import PlaceKind, PlaceRef
from kg.namespaces import entity, slugify
from kg.reference.gazetteer import TOWN_LEVEL, Gazetteer, GazetteerMatch, Place, Token, key, words


@dataclass(frozen=True)
class PlaceMention:
    start: int
    end: int
    iri: str
    label: str
    level: int | None
    parent: str | None
    place: Place | None = None  # the gazetteer's record (None: a place the text introduces)
    surface: str = ""  # the name as written, with a place-type word beside it ("Arua District")
    new: bool = False  # not in any gazetteer: minted from the text ("… refugee camp")
    camp: bool = False  # a camp, site or settlement of displaced people
    aliases: tuple[str, ...] = ()  # other forms of its name in the text ("Farchana")


@dataclass(frozen=True)
class UnknownPlace:
    start: int
    end: int
    name: str
    level: int | None = None  # from a place-type word beside it
    camp: bool = False
    bare: str = ""  # the name without the place-type words ("Farchana" of "Farchana refugee camp")


_LIST_GAP = re.compile(r"^(?:\s*,\s*(?:and\s+|et\s+|y\s+)?|\s+and\s+|\s+et\s+|\s+y\s+|\s*/\s*)$")
_TYPE_AFTER = re.compile(r"^\s+([a-zé]+)")
_TYPE_BEFORE = re.compile(r"([a-zé]+)\s+(?:of\s+|de\s+|du\s+|del\s+|d')?(?:the\s+|l'|la\s+)?$")
_PLACE_PREPOSITION = re.compile(
    r"(?:\b(?:in|at|from|to|near|across|around|throughout|into|towards|between|and|of|"
    r"à|a|au|aux|dans|vers|de|du|des|en|y|el|la|los|las|hacia|desde|entre)\s+"
    r"(?:the\s+|l['’]\s*)?|,\s*)$"
)


_ARABIC_ARTICLE = re.compile(r"(?<![\w'’])(?:Al|El|Ad|Ar|As|Ash|An|Az)[ -]$")


def find_places(
    doc: Document,
    lex: Lexicons,
    country: str | None,
    skip: list[tuple[int, int]] | None = None,
) -> list[PlaceMention]:
    """Places of the report's country named outside page furniture (and outside `skip`, the
    spans of organisation names), each resolved to one gazetteer entry.

    A name must be written as a name (capitalised); a name that is also a common word or very
    short ("Bor", "Mission") needs a sign that it is a place: a place-type word beside it, a
    preposition of place before it, or other places listed with it."""
    if country is None:
        return []
    gazetteer = lex.gazetteer
    blocked = skip or []
    country_place = gazetteer.world.countries.get(country)
    own_names = {key(n) for n in country_place.names} if country_place else set()
    found: list[GazetteerMatch] = []
    for m in gazetteer.find(doc.text, doc.folded, country, doc_words(doc)):
        surface = doc.text[m.start : m.end]
        if doc.is_boilerplate(m.start) or not _CAPITALISED.search(surface):
            continue  # a name is written as a name ("cercle d'Ansongo" has one)
        if any(s <= m.start < e or s < m.end <= e for s, e in blocked):
            continue
        article = _ARABIC_ARTICLE.search(doc.text, max(0, m.start - 4), m.start)
        if article:  # "Al Gedaref" where the gazetteer says "Gedaref": the name as written
            m = dataclasses.replace(m, start=article.start())
        found.append(m)
    spans = [(m.start, m.end) for m in found]
    # lists of names: "the Gao, Douentza and Timbuktu regions", "regions of Bougouni, San and Ségou"
    lists: list[list[int]] = []
    for i, (start, _) in enumerate(spans):
        if lists and _LIST_GAP.match(doc.folded[spans[lists[-1][-1]][1] : start] or "x"):
            lists[-1].append(i)
        else:
            lists.append([i])
    out: list[PlaceMention] = []
    for members in lists:
        hint = _level_hint(doc, lex, spans[members[0]][0], spans[members[-1]][1])
        strong_list = sum(1 for i in members if not found[i].weak) >= 2
        for i in members:
            m = found[i]
            surface = doc.text[m.start : m.end]
            if (fold(surface) in lex.common_place_names or key(surface) in own_names) and (
                hint is None and len(members) == 1
            ):
                continue  # "Centre", or "Guatemala" meaning the country, not its department
            if (m.weak or m.loose) and not (
                hint is not None or strong_list or _after_preposition(doc, m.start)
            ):
                continue
            if m.weak and hint is None and _sentence_initial_word(doc.text, m.start):
                continue  # "Sale of…" opens a sentence; "North-West and South-West Regions" is fine
            chosen = _choose(list(m.places), hint)
            typed = _with_type_word(doc, lex, m.start, m.end)
            if hint is not None and hint < TOWN_LEVEL and chosen.level >= TOWN_LEVEL:
                # "Lalitpur district": an area the gazetteer lacks, not its town ("Pātan")
                bare = " ".join(surface.split())
                out.append(
                    PlaceMention(
                        m.start,
                        m.end,
                        str(entity("place", f"{country.lower()}-{slugify(bare)}")),
                        bare,
                        hint,
                        str(entity("place", country.lower())),
                        None,
                        typed or bare,
                        new=True,
                        aliases=(bare,),
                    )
                )
                continue
            out.append(
                PlaceMention(
                    m.start,
                    m.end,
                    chosen.iri,
                    chosen.label,
                    chosen.level,
                    chosen.parent,
                    chosen,
                    typed or surface,
                    aliases=(" ".join(surface.split()),) if typed else (),
                )
            )
    return out + _shared_qualifiers(doc, lex, country, out)


_SHARED = re.compile(
    r"\b(?P<first>[A-ZÀ-Ý][a-zé]+)(?P<more>(?:\s*,\s*[A-ZÀ-Ý][a-zé]+)*)\s+(?:and|et|y)\s+"
    r"(?P<last>[A-ZÀ-Ý][a-zé]+)(?P<joint>[\s-]+)(?P<name>[A-ZÀ-Ý][\w'’-]+)"
)


def _shared_qualifiers(
    doc: Document, lex: Lexicons, country: str, found: list[PlaceMention]
) -> list[PlaceMention]:
    """ "North, Central and South Darfur", "Nord et Sud-Kivu": the qualifiers before the last
    one share its name, each naming an area of its own ("North Darfur", "Nord-Kivu")."""
    out: list[PlaceMention] = []
    qualifiers = lex.place_qualifiers
    for m in _SHARED.finditer(doc.text):
        if doc.is_boilerplate(m.start()) or fold(m.group("last")) not in qualifiers:
            continue
        words = [(m.start("first"), m.group("first"))] + [
            (m.start("more") + w.start(), w.group(0))
            for w in re.finditer(r"[A-ZÀ-Ý][a-zé]+", m.group("more"))
        ]
        for start, word in words:
            if fold(word) not in qualifiers or any(f.start <= start < f.end for f in found):
                continue
            name = f"{word}{m.group('joint').strip() or ' '}{m.group('name')}"
            whole = [
                g
                for g in lex.gazetteer.find(name, fold(name), country)
                if g.start == 0 and g.end == len(name)
            ]
            if not whole:
                continue
            chosen = _choose(list(whole[0].places), None)
            out.append(
                PlaceMention(
                    start,
                    start + len(word),
                    chosen.iri,
                    chosen.label,
                    chosen.level,
                    chosen.parent,
                    chosen,
                    name,
                )
            )
    return out


def place_ref(mention: PlaceMention) -> PlaceRef:
    """The fact-level reference to a mentioned place, with what a graph needs to describe a
    place the reference data does not hold (a GeoNames town, a place the text introduces)."""
    place = mention.place
    names = tuple(dict.fromkeys(n for n in (mention.surface, mention.label, *mention.aliases) if n))
    if place is None:
        kind: PlaceKind = "camp" if mention.camp else "new"
        return PlaceRef(mention.label, mention.iri, mention.level, mention.parent, kind, names)
    if place.kind == "town":
        return PlaceRef(
            place.label,
            place.iri,
            place.level,
            place.parent,
            "town",
            names,
            place.geonames,
            place.lat,
            place.lon,
        )
    return PlaceRef(place.label, place.iri, place.level, place.parent, "reference", names)


def new_place(
    unknown: UnknownPlace, doc: Document, country: str, near: list[PlaceMention]
) -> PlaceMention:
    """A place the text names that no gazetteer holds, minted under the report's country: a
    camp or settlement part of the nearest known place of its sentence, anything else part of
    the country (its level from the place-type word, a locality when none)."""
    level = unknown.level if unknown.level is not None else TOWN_LEVEL
    name = unknown.name
    label = name
    if unknown.camp and not re.search(
        r"\b(?:camps?|settlements?|sites?|campamentos?|asentamientos?)\b", name, re.IGNORECASE
    ):
        label = f"{name} camp"
    slug = slugify(label)
    parent = str(entity("place", country.lower()))
    sentence = doc.sentence_at(unknown.start)
    if sentence is not None and unknown.camp:
        inside = [
            p for p in near if sentence.start <= p.start < sentence.end and (p.level or 4) < 4
        ]
        if inside:
            parent = max(inside, key=lambda p: (p.level or 0, -abs(p.start - unknown.start))).iri
    iri = str(entity("place", f"{country.lower()}-{slug}"))
    surface = " ".join(doc.text[unknown.start : unknown.end].split())
    return PlaceMention(
        unknown.start,
        unknown.end,
        iri,
        label,
        level,
        parent,
        None,
        surface,
        new=True,
        camp=unknown.camp,
        aliases=(unknown.bare,) if unknown.bare and unknown.bare != surface else (),
    )


_CAPITALISED = re.compile(r"(?:^|[\s'’\-])[^\W\d_a-zß-ÿ]|(?:^|\s)\d")


_ORIGIN = re.compile(
    r"\b(?:refugees?|asylum[- ]seekers?|fled|fleeing|returnees?|arrivals?|migrants?|"
    r"r[eé]fugi[eé]s?|rapatri[eé]s|venus|arriv[eé]s|refugiados?|migrantes|procedentes|"
    r"provenientes|originarios)\b[^.;\n]{0,30}?\b(?:from|de|du|des|desde|d['’])\s*"
    r"(?:the\s+|la\s+|le\s+|l['’]|los\s+)?$",
    re.IGNORECASE,
)


def origin_only(doc: Document, mention: PlaceMention) -> bool:
    """ "refugees from Khartoum", "réfugiés venus de Diffa": where people came from, not a
    place of the publisher's work."""
    return bool(_ORIGIN.search(doc.text[max(0, mention.start - 60) : mention.start]))


CountryMention = tuple[int, int, tuple[str, ...], str]


def countries_in(doc: Document, gazetteer: Gazetteer) -> list[CountryMention]:
    """The countries a document names (found once per document)."""
    result: list[CountryMention] = doc.memo(
        "countries", lambda: gazetteer.find_countries(doc.text, doc.folded, doc_words(doc))
    )
    return result


def doc_words(doc: Document) -> list[Token]:
    """The document's words as the gazetteer keys them (split once per document)."""
    result: list[Token] = doc.memo("words", lambda: words(doc.folded))
    return result


def _after_preposition(doc: Document, start: int) -> bool:
    return bool(_PLACE_PREPOSITION.search(doc.folded[max(0, start - 20) : start]))


def _with_type_word(doc: Document, lex: Lexicons, start: int, end: int) -> str | None:
    """ "Arua District", "Upper Nile state": the name with the place-type word after it;
    "Región de Tarapacá", "Province of Kandahar": with a capitalised one before it."""
    after = _TYPE_AFTER.match(doc.folded[end : end + 20])
    if after and after.group(1) in lex.place_types:
        stop = end + after.end()
        return " ".join(doc.text[start:stop].split())
    before = _TYPE_BEFORE.search(doc.folded[max(0, start - 25) : start])
    if (
        before
        and before.group(1) in lex.place_types
        and doc.text[before.start(1) + max(0, start - 25)].isupper()
    ):
        return " ".join(doc.text[before.start(1) + max(0, start - 25) : end].split())
    return None


def _level_hint(doc: Document, lex: Lexicons, start: int, end: int) -> int | None:
    after = _TYPE_AFTER.match(doc.folded[end : end + 20])
    if after and after.group(1) in lex.place_types:
        return lex.place_types[after.group(1)]
    before = _TYPE_BEFORE.search(doc.folded[max(0, start - 25) : start])
    if before and before.group(1) in lex.place_types:
        return lex.place_types[before.group(1)]
    return None


def _choose(places: list[Place], hint: int | None) -> Place:
    """The place a name means: the level a type word asks for, else the largest unit (a region
    before the town of the same name), else the most populous town."""

    def rank(place: Place) -> tuple[int, int, int, str]:
        distance = abs(place.level - hint) if hint is not None else 0
        return (distance, place.level, -place.population, place.iri)

    return min(places, key=rank)


_NAME = r"((?:[A-ZÀ-Ý][\w'’\-]+)(?:[ \-](?:[A-ZÀ-Ý][\w'’\-]+|N['’][A-Z][\w\-]+|[0-9]{1,2}\b)){0,3})"
# the place-type words a new place may be introduced by (a subset of the lexicon's place types:
# "union", "zone" or "estado" alone say too little)
_TYPE_WORDS = (
    r"(?:health\s+|sanitary\s+|refugee\s+|displacement\s+|idp\s+|IDP\s+|informal\s+)?"
    r"(?P<type>region|district|cercle|commune|province|state|county|prefecture|department|"
    r"governorate|oblast|woreda|payam|upazila|municipality|local\s+government\s+area|LGA|"
    r"camp|site|settlement|health\s+zone|sub-county|village|town)s?\b"
)
_UNKNOWN_AFTER = re.compile(_NAME + r"\s+" + _TYPE_WORDS)
# "the Moissala and Koumra health districts", "Maiduguri, Jere, Konduga and Gwoza LGAs"
_LIST_BEFORE_TYPE = re.compile(
    _NAME
    + r"((?:\s*,\s*(?:and\s+)?|\s+and\s+|\s+et\s+|\s+y\s+)"
    + _NAME[1:-1]
    + r")+\s+"
    + _TYPE_WORDS
)
# "in Kaya, Djibo, Dori, Fada N'Gourma and Ouahigouya": a list of names after "in"
_LIST_AFTER_IN = re.compile(
    r"\b(?:in|at|across|à|dans|en)\s+"
    + _NAME
    + r"((?:\s*,\s*(?:and\s+|y\s+)?|\s+and\s+|\s+et\s+|\s+y\s+)"
    + _NAME[1:-1]
    + r")+"
)
_NAME_RE = re.compile(_NAME)
_UNKNOWN_BEFORE = re.compile(
    r"\b(?P<type>régions?|cercles?|communes?|districts?(?:\s+sanitaires?)?|provinces?|"
    r"préfectures?|villes?|villages?|camps?|sites?|départements?|moughataa|wilaya|"
    r"zones?\s+de\s+santé|territoires?|chefferies?|quartiers?|"
    r"municipios?|departamentos?|provincias?|comunidad(?:es)?|aldeas?|distritos?|"
    r"campamentos?|asentamientos?|campos?|ciudad(?:es)?|localidad(?:es)?|pueblos?|barrios?|"
    r"veredas?|corregimientos?|cantón|cantones|parroquias?|caserío|caseríos|"
    r"localités?|arrondissements?|sous-préfectures?|cantons?|"
    r"(?:commune|district|region|province|town|village|city|camp|county|municipality)\s+of)"
    # "le camp de réfugiés de Mahama", "el campo de refugiados de Kakuma", "site de déplacés de"
    r"(?:\s+(?:de|d['’])\s*(?:réfugiés|refugies|déplacés|deplaces|transit|refugiados|desplazados))?"
    r"\s+(?:de\s+(?:la\s+|l['’])?|du\s+|d['’]|des\s+|del\s+)?" + _NAME
)
_LIST_MORE = re.compile(
    r"(?:\s*,\s*|\s+(?:et|and|y)\s+)(?:de\s+(?:la\s+|l['’])?|du\s+|d['’]|del\s+)?" + _NAME
)
# "In Djibo, our teams…": a capitalised name opening a sentence about the work
_SENTENCE_PLACE = re.compile(
    r"(?:^|(?<=[.!?]\s)|(?<=\n))(?:In|At|Dans|À|En)\s+"
    + _NAME
    + r"(?:\s+(?:and|et|y)\s+"
    + _NAME
    + r")?,"
)
# "a clinic in Turgeau", "mobile clinics in Brooklyn, Bel-Air and Delmas 4": a name after a
# preposition of place in a sentence about the publisher's work (see `find_unknown_places`)
_IN_NAME = re.compile(r"\b(?:in|at|near|à|dans|en)\s+(?!the\b|la\b|le\b|el\b|les\b|los\b)" + _NAME)
# "neighbourhoods of Port-au-Prince, including Brooklyn, Bel-Air and Delmas 4"
_INCLUDING_LIST = re.compile(
    r"\b(?:including|such as|notably|notamment|dont|como|incluidos|incluyendo)\s+"
    + _NAME
    + r"((?:\s*,\s*(?:and\s+|et\s+|y\s+)?|\s+and\s+|\s+et\s+|\s+y\s+)"
    + _NAME[1:-1]
    + r")+"
)
# "Rhino Camp", "Zaatari Camp": a camp whose name ends with the word
_CAMP_NAME = re.compile(
    r"(?<![\w])((?:[A-ZÀ-Ý][\w'’\-]+\s+){1,3}(?P<type>Camp|Settlement|Site|Campamento|Asentamiento))\b"
)
_NOT_A_PLACE = {
    "the",
    "a",
    "our",
    "this",
    "each",
    "every",
    "central",
    "northern",
    "southern",
    "eastern",
    "western",
    "north",
    "south",
    "east",
    "west",
    "regional",
    "same",
    "all",
    "other",
    "several",
    "many",
    "some",
    "both",
    "new",
    "el",
    "la",
    "los",
    "las",
    "le",
    "les",
    "where",
    "when",
    "what",
    "which",
    "while",
    "since",
    "after",
    "before",
    "during",
    "if",
    "as",
    "their",
    "its",
    "his",
    "her",
}
_CAMP_TYPES = {"camp", "site", "settlement", "campamento", "asentamiento"}


def find_unknown_places(
    doc: Document,
    known: list[PlaceMention],
    lex: Lexicons,
    country: str | None = None,
    work: Callable[[int], bool] | None = None,
    skip: list[tuple[int, int]] | None = None,
) -> list[UnknownPlace]:
    """Capitalised names the gazetteer lacks that the text marks as places: beside a place-type
    word ("Rhino Camp settlement", "Arua district", "zone de santé de Nyangezi"), listed after
    "in" with others, or opening a sentence ("In Ganyliel, our teams…")."""
    out = []
    covered = [(p.start, p.end) for p in known]
    common = lex.common_words
    candidates: list[tuple[int, int, str, str | None, int]] = []

    def type_of(m: re.Match[str]) -> str | None:
        return m.group("type") if "type" in m.re.groupindex else None

    for regex in (_CAMP_NAME, _UNKNOWN_AFTER, _UNKNOWN_BEFORE, _SENTENCE_PLACE):
        for m in regex.finditer(doc.text):
            kind = type_of(m)
            for group in range(1, (m.lastindex or 1) + 1):
                if m.group(group) and group != m.re.groupindex.get("type"):
                    after = m.end() if regex is _UNKNOWN_AFTER else m.end(group)
                    candidates.append((m.start(group), m.end(group), m.group(group), kind, after))
            if regex is _UNKNOWN_BEFORE:  # "districts sanitaires de Kaya et de Bogandé"
                pos = m.end()
                while (more := _LIST_MORE.match(doc.text, pos)) is not None:
                    candidates.append(
                        (more.start(1), more.end(1), more.group(1), kind, more.end(1))
                    )
                    pos = more.end()
    in_name: set[int] = set()  # candidates found only after a preposition: weaker evidence
    for m in _IN_NAME.finditer(doc.text):  # only in sentences about the publisher's work
        if (
            work is not None
            and work(m.start())
            and _plain_name(m.group(1), lex.common_words)
            and doc.text[m.end(1) : m.end(1) + 2] not in {"'s", "’s"}
        ):
            candidates.append((m.start(1), m.end(1), m.group(1), None, m.end(1)))
            in_name.add(m.start(1))
    for m in _INCLUDING_LIST.finditer(doc.text):  # a list of places after a place or place type
        lead = doc.folded[max(0, m.start() - 60) : m.start()]
        if any(k.start < m.start() <= k.end + 60 for k in known) or any(
            w in lex.place_types or w.rstrip("s") in lex.place_types
            for w in re.findall(r"[a-z]+", lead)
        ):
            for found in _NAME_RE.finditer(doc.text, m.start(1), m.end()):
                if found.group(1).lower() not in {"and", "et", "y"}:
                    candidates.append(
                        (found.start(1), found.end(1), found.group(1), None, found.end(1))
                    )
    for regex in (_LIST_BEFORE_TYPE, _LIST_AFTER_IN):
        for m in regex.finditer(doc.text):
            kind = type_of(m)
            stop = m.start("type") if kind else m.end()
            items = [
                f
                for f in _NAME_RE.finditer(doc.text, m.start(1), stop)
                if f.group(1).lower() not in {"and", "et", "y"}
            ]
            if regex is _LIST_AFTER_IN and any(_is_common(fold(f.group(1)), common) for f in items):
                continue  # "diplomas en Humanidades, Empresariales y Educación": subjects
            for found in items:
                candidates.append(
                    (found.start(1), found.end(1), found.group(1), kind, found.end(1))
                )
    for place in known:  # "Assamaka, in the Agadez region"
        before = re.search(
            _NAME + r",\s+in\s+(?:the\s+)?$", doc.text[max(0, place.start - 60) : place.start]
        )
        if before:
            offset = max(0, place.start - 60)
            candidates.append(
                (
                    offset + before.start(1),
                    offset + before.end(1),
                    before.group(1),
                    None,
                    offset + before.end(1),
                )
            )
    orgs = doc.found(lex.organisations)
    countries = (
        [(s, e) for s, e, _, _ in countries_in(doc, lex.gazetteer)] if country is not None else []
    )
    for s, e, name, kind, full_end in candidates:
        type_word = fold(kind).split()[-1] if kind else None
        if type_word and type_word.endswith("s") and type_word not in lex.place_types:
            type_word = type_word[:-1]
        camp = type_word in _CAMP_TYPES if type_word else False
        name_end = e
        if camp and full_end > e:  # "Kakuma refugee camp": the camp, not the town it is named after
            e, name = full_end, " ".join(doc.text[s:full_end].split())
        if fold(name) in lex.numbers.months or fold(name) in lex.time_units:
            continue
        if fold(name) in lex.place_types:
            continue  # "en Colchane, Región de Tarapacá": a type word, not a name
        if doc.is_boilerplate(s) or name.lower() in _NOT_A_PLACE or name.isupper():
            continue
        if name.split()[0].lower() in _NOT_A_PLACE:
            continue
        if doc.text[max(0, s - 1) : s] == "(":
            continue
        numbered = [  # "Delmas 4": a numbered part of a known place is a place of its own
            (cs, ce)
            for cs, ce in covered
            if cs == s and ce < e and re.fullmatch(r"\s+\d{1,3}", doc.text[ce:e])
        ]
        if not camp and not numbered and any(cs < e and s < ce for cs, ce in covered):
            continue
        if (
            any(o.start < e and s < o.end for o in orgs)
            or any(os < e and s < oe for os, oe in skip or [])
            or any(cs < e and s < ce for cs, ce in countries)
        ):
            continue
        if doc.found(lex.sectors, s, name_end) or doc.found(lex.indicators, s, name_end):
            continue
        if _sentence_initial_word(doc.text, s) and " " not in name and kind is None:
            continue
        word = fold(name)
        if s in in_name and " " not in name and _is_common(word, common):
            continue  # "in English", "en Fases", "in Emergencies": ordinary words, no place
        if any(w in lex.org_words for w in re.findall(r"[a-zà-ÿ]+", word)):
            continue  # "Fondation Exemple": an organisation
        level = lex.place_types.get(type_word) if type_word else None
        bare = " ".join(doc.text[s:name_end].split())
        out.append(UnknownPlace(s, e, name, level, camp, bare))
    best: dict[tuple[int, int], UnknownPlace] = {}
    for u in out:  # the same name found by two patterns: the one that knows its type
        if (u.start, u.end) not in best or best[(u.start, u.end)].level is None:
            best[(u.start, u.end)] = u
    kept: list[UnknownPlace] = []  # "Zaatari camp" rather than "Zaatari" inside it
    for u in sorted(best.values(), key=lambda u: (-(u.end - u.start), u.start)):
        if not any(k.start < u.end and u.start < k.end for k in kept):
            kept.append(u)
    return sorted(kept, key=lambda u: (u.start, u.end))


def _plain_name(name: str, common: frozenset[str]) -> bool:
    """One word, or up to three capitalised words not all of them common words ("Baga Sola",
    "Dar Zaghawa"; not "Human Rights")."""
    words = name.split()
    if len(words) == 1:
        return True
    return len(words) <= 3 and not all(fold(w) in common for w in words)


def _is_common(word: str, common: frozenset[str]) -> bool:
    """A common word, or the plural of one ("emergencies", "fases")."""
    forms = {word, word[:-1], word[:-2], word[:-3] + "y"} if len(word) > 3 else {word}
    return bool(forms & common)


def _sentence_initial_word(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?\n:"


# --- organisations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgMention:
    start: int
    end: int
    iri: str
    label: str
    acronym: str | None = None
    new: bool = False
    org_type: str | None = None
    names: tuple[str, ...] = ()  # other names to show ("Government of Canada" for "Canada")


# a capitalised word, or a word that starts a public body's name even in lower case
_CAP_WORD = re.compile(
    r"[A-ZÀ-Ý][\w'’\-]*|[A-Z]{2,}[\w\-]*|"
    r"(?:ministère|ministry|ministerio|délégation|direction|gouvernement|government|gobierno)\b"
)
_ACRONYM_DEF = re.compile(r"\s*\(([A-Z][A-Za-z0-9&\-]{1,14})\)")
_ARTICLE = re.compile(
    r"^(?:(?:the|its|their|our|his|her|le|la|les|son|sa|ses|leur|leurs|notre|nos)\s+|l['’]\s*)",
    re.IGNORECASE,
)


GOVERNMENT = "https://w3id.org/humanitarian-kg/ontology#GovernmentBody"


def find_organisations(doc: Document, lex: Lexicons, country: str | None) -> list[OrgMention]:
    """Reference organisations named in the text, outside page furniture."""
    out = []
    for m in _resolved(doc.found(lex.organisations), lex, country):
        if doc.is_boilerplate(m.start):
            continue
        out.append(_known(lex, m.start, m.end, m.iri, doc.text[m.start : m.end], country))
    return out


def for_country(lex: Lexicons, iris: Iterable[str], country: str | None) -> list[str]:
    """A name several national bodies share (IRCS: the Iranian, Iraqi and Indian societies)
    means the report country's own body, and none in a report about another country."""
    found = sorted(set(iris))
    if len(found) < 2:
        return found
    local = [i for i in found if lex.reference.organisations[i].country == country]
    return local if len(local) == 1 else []


def _resolved(matches: list[Match], lex: Lexicons, country: str | None) -> list[Match]:
    """Matches of the organisations lexicon, a shared name kept only for the report's country."""
    spans: dict[tuple[int, int], list[Match]] = {}
    for m in matches:
        spans.setdefault((m.start, m.end), []).append(m)
    keep = {
        span: set(for_country(lex, (m.iri for m in group), country))
        for span, group in spans.items()
    }
    return [m for m in matches if m.iri in keep[(m.start, m.end)]]


def _known(
    lex: Lexicons, start: int, end: int, iri: str, surface: str, country: str | None
) -> OrgMention:
    """A reference organisation, except that a national body of another country named by a
    generic name ("Ministry of Health") means the report country's own body."""
    concept = lex.reference.organisations[iri]
    if country and concept.country not in (None, country) and concept.org_type == GOVERNMENT:
        slug = f"{country.lower()}-{slugify(surface)}"
        return OrgMention(
            start, end, str(entity("org", slug)), surface, new=True, org_type=concept.org_type
        )
    return OrgMention(start, end, iri, concept.label, org_type=concept.org_type)


def name_at(
    doc: Document, lex: Lexicons, start: int, country: str | None, cued: bool = False
) -> OrgMention | None:
    """The organisation named at `start` (after a cue): a reference one or a new one. Right
    after a partner cue (`cued`), a name of two capitalised words or more is one even without
    a word such as "Association" ("de la mano de Agua Rural de Nigeria")."""
    text = doc.text
    limit = min(len(text), start + 160)
    start = _skip_punctuation(text, start)  # "avec son partenaire local, l'Association…"
    skipped = _ARTICLE.match(text[start:limit])
    pos = start + (skipped.end() if skipped else 0)
    found = _name_here(doc, lex, pos, limit, country)
    described = _DESCRIPTOR.match(text, pos, limit)
    bare_ngo = found is not None and found.new and re.match(r"(?:NGO|ONG)\s", found.label)
    if described and (found is None or found.end <= described.end() or bare_ngo):
        # "the local organisation Association …", "l'ONG Tassaght", "l'ONG nationale DEMTOU"
        # (not the bare word "ONG")
        found = (
            _name_here(doc, lex, described.end(), limit, country)
            or _acronym_name(text, described.end(), lex)
            or _bare_name(doc, lex, described.end(), limit, least=1)
            or found
        )
    if found is None and cued:
        found = _bare_name(doc, lex, pos, limit) or _acronym_name(text, pos, lex)
    if found is None:  # "avec notre partenaire de mise en œuvre, le Réseau …"
        aside = re.match(
            r"[^,.;:\n(]{1,60},\s*(?:in particular|notably|especially|including|notamment|"
            r"en particulier)?\s*",
            text[pos:limit],
        )
        if aside and not text[pos : pos + 1].isupper():
            after = pos + aside.end()
            article = _ARTICLE.match(text[after:limit])
            found = _name_here(doc, lex, after + (article.end() if article else 0), limit, country)
    return found


def _acronym_name(text: str, pos: int, lex: Lexicons) -> OrgMention | None:
    """ "l'ONG nationale DEMTOU": a name in capitals after a word that says it is an NGO;
    "SAHF – Salvadoran American Humanitarian Foundation": with the full name after a dash."""
    m = re.match(r"[A-Z][A-Z0-9&]{2,11}(?![\w’'-])", text[pos:])
    if m is None:
        return None
    acronym = m.group(0)
    end = pos + len(acronym)
    after = re.match(r"\s+([a-zà-ÿ]+)", text[end : end + 20])
    if after and after.group(1) in _NOT_AN_ORGANISATION_AFTER:
        return None  # "as part of the AIRE project": a project's name, no partner
    dash = re.match(r"[ \t]+[–—-][ \t]+(?=[A-ZÀ-Ý])", text[end:])
    if dash:
        full_end = _proper_name_end(text, end + dash.end(), min(len(text), end + 120), lex)
        full = text[end + dash.end() : full_end] if full_end else ""
        if any(w in lex.org_words for w in re.findall(r"\w+", fold(full))):
            iri = str(entity("org", slugify(full)))
            return OrgMention(pos, end + dash.end() + len(full), iri, full, acronym, new=True)
    return OrgMention(pos, end, str(entity("org", slugify(acronym))), acronym, acronym, new=True)


# words that may follow an organisation's name: the sentence goes on, the name is whole
_AFTER_A_NAME = frozenset(
    "to for in and or on with at from who which that since during is are was were has have "
    "y e o para por en con que a al de del desde durante es son ha han "
    "et ou pour dans avec à au aux de du des qui depuis pendant est sont a ont".split()
)


# words after which a public body's name has ended: "… de Maradi pour …", "… with …"
_NAME_STOPS = frozenset(
    "pour para for to afin dans in en à a au aux avec with con qui que who which that et and y "
    "ou or o sur on dont whose lors during durante pendant".split()
)


_AND_CAPITAL = re.compile(r"\s+(?:and|et|y|e|&)\s+(?:the\s+|las?\s+|los\s+|les\s+)?[A-ZÀ-Ý]")


def _whole_country_name(doc: Document, lex: Lexicons, pos: int, end: int, limit: int) -> int:
    """ "Government of Trinidad and Tobago", "Red Cross Society of Bosnia and Herzegovina":
    a name that stops at the "and" inside a country's name goes on to its end."""
    if not _AND_CAPITAL.match(doc.text, end, limit):
        return end
    for s, e, _, kind in lex.gazetteer.find_countries(doc.text[pos:limit], doc.folded[pos:limit]):
        if kind == "name" and s < end - pos < e:
            return pos + e
    return end


# the endings of the adjectives a public body's name may go on with in French and Spanish
# ("régionale", "burundais", "tunisien", "sanitaire", "chileno", "departamental")
_ADJECTIVE_END = re.compile(
    r"(?:al|ale|ales|aux|ais|aise|ien|ienne|ique|ica|ico|aire|ano|ana|eno|ena|ino|ina|ois|"
    r"oise|ain|aine|ense)$"
)


def _public_body_end(text: str, end: int, limit: int, lex: Lexicons) -> int:
    """ "Direction régionale de la santé de Maradi", "ministère de la santé publique": a public
    body's name goes on in lower case, with a joiner or an adjective, up to a word that starts
    the rest of the sentence."""
    cursor, best, extra = end, end, 0
    while extra < 8:
        word = re.match(r"[ \t]+([^\W\d_][\w'’-]*)", text[cursor:limit])
        if word is None:
            break
        folded = fold(word.group(1)).rstrip("'’")
        if folded in _NAME_STOPS:
            break
        if extra == 0 and folded not in lex.name_joiners and not _ADJECTIVE_END.search(folded):
            break  # "Government agencies continue", "el Gobierno tiene": the sentence goes on
        cursor += word.end()
        extra += 1
        if folded not in lex.name_joiners and not word.group(1).endswith(("'", "’")):
            best = cursor  # a name ends on a word, not on "de la"
    return best


# nouns after a name in capitals that make it a project's or a campaign's, not a body's
_NOT_AN_ORGANISATION_AFTER = frozenset(
    "project projects projet projets proyecto proyectos programme programmes program programs "
    "programa programas initiative initiatives iniciativa campaign campagne campaña approach "
    "approche enfoque model modèle modelo method méthode método month mois mes week semaine "
    "semana day jour día fund fonds fondo appeal appel llamamiento".split()
)


def _bare_name(
    doc: Document, lex: Lexicons, pos: int, limit: int, least: int = 2
) -> OrgMention | None:
    """A capitalised name nothing else knows: of `least` capitalised words or more (one is
    enough when a word before it said it is an organisation: "l'ONG Caritas")."""
    text = doc.text
    end = _proper_name_end(text, pos, limit, lex)
    if end is None:
        return None
    end = _first_of_two(text, pos, end, lex)
    nationality = _NATIONALITY_AFTER.match(text, end, limit)
    if nationality:  # "grâce au financement de la Coopération suisse"
        end = nationality.end()
    name = text[pos:end]
    two = re.fullmatch(r"([A-Z][A-Z0-9&]{1,11})\s+(?:and|et|y|e)\s+[A-Z][A-Z0-9&]{1,11}", name)
    if two:  # "through its partners ALDEF and WASDA": the first; the list gives the rest
        name, end = two.group(1), pos + len(two.group(1))
    capitalised = re.findall(r"(?<![\w’'])[A-ZÀ-Ý][\w’'-]*", name)
    if len(capitalised) < (1 if nationality or two else least) or "\n" in name:
        return None
    after = re.match(r"\s+([a-zà-ÿ]+)", text[end : end + 20])
    if after and after.group(1) not in _AFTER_A_NAME:
        return None  # "as part of World Vaccination month": a name inside a phrase
    if any(
        s == 0 and kind != "demonym"  # "Libyan Coast Guard" is a name
        for s, _e, _c, kind in lex.gazetteer.find_countries(name, fold(name))
    ):
        return None  # "Nigeria and Niger": countries, the donor rule's business
    return OrgMention(pos, end, str(entity("org", slugify(name))), name, new=True)


_DESCRIPTOR = re.compile(
    r"(?:[\w'’-]+\s+){0,2}?(?:organisation|organization|NGO|ONG|association|charity|network|"
    r"partner|partenaire|asociaci[oó]n|organizaci[oó]n)(?:s|es)?"
    # "l'ONG nationale DEMTOU", "la ONG local X": an adjective after the noun
    r"(?:\s+(?:nationale?|locale?|internationale?|nacional|internacional|communautaire|"
    r"comunitaria|partenaire|socia))?"
    r"\s*,?\s+(?:the\s+|le\s+|la\s+|l['’])?(?=[A-ZÀ-Ý])"
)
_PAREN_ACRONYM = re.compile(r"\(([A-Z][A-Za-z0-9&\-]{1,14})\)")


def _name_here(
    doc: Document, lex: Lexicons, pos: int, limit: int, country: str | None
) -> OrgMention | None:
    text = doc.text
    # "the European Union's humanitarian aid department (ECHO)": a known acronym in parentheses
    # closing the name decides, whatever the words before it
    paren = _PAREN_ACRONYM.search(text, pos, limit)
    if (
        paren
        and text[pos : pos + 1].isupper()
        and not re.search(r"[.;:!?\n,]", text[pos : paren.start()])
    ):
        for iri in for_country(lex, lex.organisations.iris(paren.group(1), True), country):
            concept = lex.reference.organisations[iri]
            return OrgMention(
                pos, paren.end(), iri, concept.label, paren.group(1), org_type=concept.org_type
            )
    known = [
        m
        for m in _resolved(doc.found(lex.organisations, pos, limit), lex, country)
        if m.start == pos
    ]
    if known:
        best = max(known, key=lambda m: m.end - m.start)
        mention = _known(lex, best.start, best.end, best.iri, best.text, country)
        longer = _proper_name_end(text, pos, limit, lex)
        if longer is None or longer <= mention.end:
            return mention
        tail = re.match(r"\s+(?:and|et|y|&)\s+", text[mention.end : longer])
        if tail and (
            doc.found(lex.organisations, mention.end + tail.end(), longer)
            or lex.gazetteer.find_countries(
                text[mention.end + tail.end() : longer],
                doc.folded[mention.end + tail.end() : longer],
            )
        ):
            return mention  # "ECHO and Germany": two names, not one
        if not mention.new:  # "Ministry of Health and Social Development": the same body
            return OrgMention(pos, longer, mention.iri, mention.label, org_type=mention.org_type)
        surface = text[pos:longer]  # "Ministère de la Santé Publique" of another country
        slug = f"{country.lower()}-{slugify(surface)}" if country else slugify(surface)
        return OrgMention(
            pos, longer, str(entity("org", slug)), surface, new=True, org_type=mention.org_type
        )
    defined = _defined_name(text, pos, limit)
    if defined is not None:
        pos, name_end = defined
    else:
        name_end = _proper_name_end(text, pos, limit, lex)  # type: ignore[assignment]
    if name_end is None:
        return None
    name_end = _first_of_two(text, pos, name_end, lex)
    head = fold(text[pos:name_end]).split()
    if len(head) == 1 and head[0] in lex.government_words:
        # only the head is capitalised or a government word: "Direction régionale de la santé"
        name_end = _public_body_end(text, name_end, limit, lex)
    name_end = _whole_country_name(doc, lex, pos, name_end, limit)
    nationality = _NATIONALITY_AFTER.match(text, name_end, limit)
    if nationality and any(
        w in lex.org_words for w in re.findall(r"\w+", fold(text[pos:name_end]))
    ):
        name_end = nationality.end()  # "Croix-Rouge suédoise", "Cruz Roja chilena"
    name = text[pos:name_end]
    acronym = None
    end = name_end
    definition = _ACRONYM_DEF.match(text, name_end)
    if definition:
        acronym = definition.group(1)
        end = definition.end()
        for iri in for_country(lex, lex.organisations.iris(acronym, True), country):
            concept = lex.reference.organisations[iri]
            return OrgMention(pos, end, iri, concept.label, acronym, org_type=concept.org_type)
    words = [fold(w) for w in re.findall(r"[\w]+", name)]
    government = bool(words) and (
        words[0] in lex.government_words
        or (len(words) > 1 and words[0] in {"the", "la", "le"} and words[1] in lex.government_words)
        or any(w in lex.public_body_nouns for w in words)
    )
    if not acronym and not government and not any(w in lex.org_words for w in words):
        return None
    slug = slugify(acronym) if acronym else slugify(name)
    if government and country:
        slug = f"{country.lower()}-{slug}"
    org_type = GOVERNMENT if government else None
    return OrgMention(
        pos, end, str(entity("org", slug)), name, acronym, new=True, org_type=org_type
    )


# a lower-case adjective of nationality closing a French or Spanish name
_NATIONALITY_AFTER = re.compile(
    r"\s+[a-zà-ÿ]{3,}(?:ais|aise|ain|aine|ien|ienne|enne|ois|oise|ique|ole|ano|ana|eño|eña|"
    r"ena|eno|ense|eca|ino|ina|és|esa)\b"
)


# an article after "and" starts a second name: "… y la Agencia …", "… and the Ministry …"
_ARTICLE_THEN_NAME = re.compile(r"(?:the|la|le|les|el|los|las)\s+[A-ZÀ-Ý]|l['’][A-ZÀ-Ý]")


def _first_of_two(text: str, pos: int, end: int, lex: Lexicons) -> int:
    """ "Fundación Poma y Focus Central America Foundation": two names, each with a word that
    makes it an organisation's, joined by "and"; "Ministerio de Salud y Deportes" is one."""
    for joint in re.finditer(r"\s+(?:and|et|y|e|&)\s+", text[pos:end]):
        if _ARTICLE_THEN_NAME.match(text, pos + joint.end(), end):
            return pos + joint.start()  # "Agua Rural de Nigeria y la Agencia de Saneamiento"
        before = re.findall(r"\w+", fold(text[pos : pos + joint.start()]))
        after = re.findall(r"\w+", fold(text[pos + joint.end() : end]))
        if any(w in lex.org_words for w in before) and any(w in lex.org_words for w in after):
            return pos + joint.start()
    return end


def remit_named(label: str, lex: Lexicons) -> bool:
    """ "Ministry of Labour", "Oficina de …": a body named by what it is in charge of."""
    words = re.findall(r"\w+", fold(label))
    return len(words) > 1 and words[0] in lex.remit_nouns and words[1] in lex.remit_prepositions


def is_public_body(label: str, lex: Lexicons) -> bool:
    """Does the name itself say a public body: "Ministry of Health", "Department of Social
    Welfare", "National Disaster Management Agency" (not "National Red Cross Society")?"""
    words = re.findall(r"\w+", fold(label))
    return bool(words) and (
        words[0] in lex.public_body_nouns
        or remit_named(label, lex)
        or (
            words[0] in lex.government_words
            and (words[-1] in lex.public_body_nouns or words[-1] in lex.remit_nouns)
        )
    )


def _skip_punctuation(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " ,:\t\n":
        pos += 1
    return pos


def _defined_name(text: str, pos: int, limit: int) -> tuple[int, int] | None:
    """ "Association pour la Promotion de l'Eau et de l'Hygiène au Sahel (APEHS)": a name whose
    acronym follows in parentheses runs up to the parenthesis when the acronym's letters are the
    initials of its capitalised words, in order (a leading qualifier such as "UK's" or "Together
    with its partner" is left out)."""
    m = _PAREN_ACRONYM.search(text, pos, limit)
    if m is None or not text[pos : pos + 1].isupper():
        return None
    name = text[pos : m.start()].rstrip()
    if re.search(r"[.;:!?\n]", name):
        return None
    words = list(re.finditer(r"[A-ZÀ-Ý][\w’']*", name))
    letters = [c for c in m.group(1) if c.isalpha() and c.isupper()]
    if not letters or not words:
        return None
    for first in range(min(len(words), 8)):
        if words[first].group(0)[0] != letters[0]:
            continue
        initials = iter(w.group(0)[0] for w in words[first:])
        if all(any(c == i for i in initials) for c in letters[1:]):
            return pos + words[first].start(), pos + len(name)
    # "Institut national de l'action sociale (INAS)": French and Spanish names keep their
    # other words in lower case, so every word but the small ones gives a letter, exactly
    content = [w for w in re.finditer(r"[^\W\d_][\w-]*", name) if w.group(0).lower() not in _SMALL]
    for first in range(min(len(content), 8)):
        if not content[first].group(0)[0].isupper():
            continue
        if _spelt_by("".join(letters), [w.group(0).upper() for w in content[first:]]):
            return pos + content[first].start(), pos + len(name)
    return None


def _spelt_by(acronym: str, words: list[str]) -> bool:
    """Whether the acronym is the start of every word in turn, one to three letters each:
    "COMAR" from "Comisión mexicana de ayuda a refugiados"."""
    if not words:
        return not acronym
    return any(
        acronym.startswith(words[0][:k]) and _spelt_by(acronym[k:], words[1:])
        for k in range(1, min(3, len(words[0])) + 1)
    )


# the small words of a name that its acronym skips
_SMALL = frozenset(
    "a al and au aux con d de del des du el en et for in l la las le les los of on pour the to "
    "with y".split()
)


def _another_organisation(text: str, pos: int, limit: int, lex: Lexicons) -> bool:
    """ "y UNICEF", "and the WFP": a conjunction at `pos` followed by a known organisation."""
    m = re.match(r"(?:and|et|y|&)\s+(?:the\s+|le\s+|la\s+|el\s+|l['’])?", text[pos:limit])
    if m is None:
        return False
    after = pos + m.end()
    rest = text[after : min(limit, after + 80)]
    return any(found.start == 0 for found in lex.organisations.find(rest, fold(rest)))


def _proper_name_end(text: str, pos: int, limit: int, lex: Lexicons) -> int | None:
    """End of a run of capitalised words (with up to two joiners such as "pour le" inside)."""
    end = None
    cursor = pos
    joiners = 0
    while cursor < limit:
        word = _CAP_WORD.match(text, cursor)
        if word:
            end = word.end()
            cursor = end
            joiners = 0
        else:
            joiner = re.match(r"[a-zé]+['’]?", text[cursor:limit])
            if joiner and re.match(r"(?:and|et)\s+(?:the|le|la|les|l['’])\b", text[cursor:limit]):
                break
            if joiner and _another_organisation(text, cursor, limit, lex):
                break  # "el Ministerio de Sanidad del Gobierno y UNICEF": two bodies
            if (
                end is not None
                and joiner
                and fold(joiner.group(0)).rstrip("'") in lex.name_joiners
                and joiners < 3
            ):
                cursor += joiner.end()
                joiners += 1
                if joiner.group(0)[-1] in "'’":
                    continue  # "d'Aide": the next word follows at once
            else:
                break
        space = re.match(r"[ \-]", text[cursor : cursor + 1])
        if not space:
            break
        cursor += 1
    return end
