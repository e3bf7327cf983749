"""Places and organisations named in a report: resolved against the reference data.

Places: a name may mean several places (Timbuktu the region, the cercle and the town); the
word beside it ("region", "district", "cercle") or beside the list it stands in decides, and
otherwise the largest one is meant. Organisations: labels and acronyms of the reference data,
and names the reference does not know, found after a partner cue or defined with an acronym.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.extract.lexicons import Lexicons
from kg.extract.matcher import Match
from kg.extract.text import Document, fold
from kg.namespaces import entity, slugify


@dataclass(frozen=True)
class PlaceMention:
    start: int
    end: int
    iri: str
    label: str
    level: int | None
    parent: str | None


@dataclass(frozen=True)
class UnknownPlace:
    start: int
    end: int
    name: str


_LIST_GAP = re.compile(r"^(?:\s*,\s*(?:and\s+|et\s+)?|\s+and\s+|\s+et\s+|\s*/\s*)$")
_TYPE_AFTER = re.compile(r"^\s+([a-zé]+)")
_TYPE_BEFORE = re.compile(r"([a-zé]+)\s+(?:of\s+|de\s+|du\s+|d')?(?:the\s+|l')?$")


def find_places(doc: Document, lex: Lexicons, country: str | None) -> list[PlaceMention]:
    """Place mentions outside page furniture, each resolved to one gazetteer entry."""
    matcher = lex.places_matcher(country)
    groups: dict[tuple[int, int], list[Match]] = {}
    for m in doc.found(matcher):
        if doc.is_boilerplate(m.start):
            continue
        groups.setdefault((m.start, m.end), []).append(m)
    spans = sorted(groups)
    # lists of names: "the Gao, Douentza and Timbuktu regions", "regions of Bougouni, San and Ségou"
    lists: list[list[tuple[int, int]]] = []
    for span in spans:
        if lists and _LIST_GAP.match(doc.folded[lists[-1][-1][1] : span[0]] or "x"):
            lists[-1].append(span)
        else:
            lists.append([span])
    out: list[PlaceMention] = []
    for members in lists:
        hint = _level_hint(doc, lex, members[0][0], members[-1][1])
        for span in members:
            surface = doc.text[span[0] : span[1]]
            if fold(surface) in lex.common_place_names and (
                not surface[:1].isupper() or (hint is None and len(members) == 1)
            ):
                continue
            chosen = _choose(lex, [m.iri for m in groups[span]], hint)
            place = lex.reference.places[chosen]
            out.append(
                PlaceMention(span[0], span[1], chosen, place.label, place.level, place.parent)
            )
    return out


def _level_hint(doc: Document, lex: Lexicons, start: int, end: int) -> int | None:
    after = _TYPE_AFTER.match(doc.folded[end : end + 20])
    if after and after.group(1) in lex.place_types:
        return lex.place_types[after.group(1)]
    before = _TYPE_BEFORE.search(doc.folded[max(0, start - 25) : start])
    if before and before.group(1) in lex.place_types:
        return lex.place_types[before.group(1)]
    return None


def _choose(lex: Lexicons, iris: list[str], hint: int | None) -> str:
    places = lex.reference.places

    def key(iri: str) -> tuple[int, int, str]:
        level = places[iri].level or 0
        distance = abs(level - hint) if hint is not None else 0
        return (distance, level, iri)

    return min(iris, key=key)


_NAME = r"((?:[A-ZÀ-Ý][\w'’\-]+)(?:[ \-](?:[A-ZÀ-Ý][\w'’\-]+|N['’][A-Z][\w\-]+)){0,3})"
_TYPES_AFTER = (
    r"\s+(?:health\s+|sanitary\s+|refugee\s+|displacement\s+)?"
    r"(?:region|district|cercle|commune|province|state|county|prefecture|department|"
    r"local\s+government\s+area|LGA|camp|site|settlement|health\s+zone)s?\b"
)
_UNKNOWN_AFTER = re.compile(_NAME + _TYPES_AFTER)
# "the Moissala and Koumra health districts", "Maiduguri, Jere, Konduga and Gwoza LGAs"
_LIST_BEFORE_TYPE = re.compile(
    _NAME + r"((?:\s*,\s*(?:and\s+)?|\s+and\s+|\s+et\s+)" + _NAME[1:-1] + r")+" + _TYPES_AFTER
)
# "in Kaya, Djibo, Dori, Fada N'Gourma and Ouahigouya": a list of names after "in"
_LIST_AFTER_IN = re.compile(
    r"\b(?:in|at|across|à|dans)\s+"
    + _NAME
    + r"((?:\s*,\s*(?:and\s+)?|\s+and\s+|\s+et\s+)"
    + _NAME[1:-1]
    + r")+"
)
_NAME_RE = re.compile(_NAME)
_UNKNOWN_BEFORE = re.compile(
    r"\b(?:régions?|cercles?|communes?|districts?(?:\s+sanitaires?)?|provinces?|préfectures?|"
    r"villes?|villages?|camps?|sites?|départements?|moughataa|wilaya|zones?\s+de\s+santé|"
    r"(?:commune|district|region|province|town|village|city|camp)\s+of)\s+"
    r"(?:de\s+(?:la\s+|l['’])?|du\s+|d['’]|des\s+)?" + _NAME
)
_LIST_MORE = re.compile(
    r"(?:\s*,\s*|\s+(?:et|and)\s+)(?:de\s+(?:la\s+|l['’])?|du\s+|d['’])?" + _NAME
)
# "In Djibo, our teams…": a capitalised name opening a sentence about the work
_SENTENCE_PLACE = re.compile(
    r"(?:^|(?<=[.!?]\s)|(?<=\n))(?:In|At|Dans|À)\s+"
    + _NAME
    + r"(?:\s+(?:and|et)\s+"
    + _NAME
    + r")?,"
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
}


def find_unknown_places(
    doc: Document, known: list[PlaceMention], lex: Lexicons
) -> list[UnknownPlace]:
    """Capitalised names beside "region", "district", "cercle"… that the gazetteer lacks."""
    out = []
    covered = [(p.start, p.end) for p in known]
    candidates: list[tuple[int, int, str]] = []
    for regex in (_UNKNOWN_AFTER, _UNKNOWN_BEFORE, _SENTENCE_PLACE):
        for m in regex.finditer(doc.text):
            for group in range(1, (m.lastindex or 1) + 1):
                if m.group(group):
                    candidates.append((m.start(group), m.end(group), m.group(group)))
            if regex is _UNKNOWN_BEFORE:  # "districts sanitaires de Kaya et de Bogandé"
                pos = m.end()
                while (more := _LIST_MORE.match(doc.text, pos)) is not None:
                    candidates.append((more.start(1), more.end(1), more.group(1)))
                    pos = more.end()
    for regex in (_LIST_BEFORE_TYPE, _LIST_AFTER_IN):
        for m in regex.finditer(doc.text):
            start = m.start(1)
            for found in _NAME_RE.finditer(doc.text, start, m.end()):
                if found.group(1).lower() in {"and", "et"}:
                    continue
                candidates.append((found.start(1), found.end(1), found.group(1)))
    for place in known:  # "Assamaka, in the Agadez region"
        before = re.search(
            _NAME + r",\s+in\s+(?:the\s+)?$", doc.text[max(0, place.start - 60) : place.start]
        )
        if before:
            offset = max(0, place.start - 60)
            candidates.append((offset + before.start(1), offset + before.end(1), before.group(1)))
    for s, e, name in candidates:
        if fold(name) in lex.numbers.months or fold(name) in lex.time_units:
            continue
        if doc.is_boilerplate(s) or name.lower() in _NOT_A_PLACE or name.isupper():
            continue
        if doc.text[max(0, s - 1) : s] == "(":
            continue
        if any(cs < e and s < ce for cs, ce in covered):
            continue
        if (
            doc.found(lex.organisations, s, e)
            or doc.found(lex.countries, s, e)
            or doc.found(lex.sectors, s, e)
        ):
            continue
        if _sentence_initial_word(doc.text, s) and " " not in name:
            continue
        out.append(UnknownPlace(s, e, name))
    return sorted(set(out), key=lambda u: (u.start, u.end))


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


# a capitalised word, or a word that starts a public body's name even in lower case
_CAP_WORD = re.compile(
    r"[A-ZÀ-Ý][\w'’\-]*|[A-Z]{2,}[\w\-]*|(?:ministère|ministry|délégation|direction)\b"
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
    for m in doc.found(lex.organisations):
        if doc.is_boilerplate(m.start):
            continue
        out.append(_known(lex, m.start, m.end, m.iri, doc.text[m.start : m.end], country))
    return out


def _known(
    lex: Lexicons, start: int, end: int, iri: str, surface: str, country: str | None
) -> OrgMention:
    """A reference organisation, except that a national body of another country named by a
    generic name ("Ministry of Health") means the report country's own body."""
    concept = lex.reference.organisations[iri]
    if concept.country and country and concept.country != country:
        slug = f"{country.lower()}-{slugify(surface)}"
        return OrgMention(
            start, end, str(entity("org", slug)), surface, new=True, org_type=concept.org_type
        )
    return OrgMention(start, end, iri, concept.label, org_type=concept.org_type)


def name_at(doc: Document, lex: Lexicons, start: int, country: str | None) -> OrgMention | None:
    """The organisation named at `start` (after a cue): a reference one or a new one."""
    text = doc.text
    limit = min(len(text), start + 160)
    start = _skip_punctuation(text, start)  # "avec son partenaire local, l'Association…"
    skipped = _ARTICLE.match(text[start:limit])
    pos = start + (skipped.end() if skipped else 0)
    found = _name_here(doc, lex, pos, limit, country)
    if found is None:  # "the local organisation Association …", "l'ONG Tassaght"
        described = _DESCRIPTOR.match(text, pos, limit)
        if described:
            found = _name_here(doc, lex, described.end(), limit, country)
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


_DESCRIPTOR = re.compile(
    r"(?:[\w'’-]+\s+){0,2}?(?:organisation|organization|NGO|ONG|association|charity|network|"
    r"partner|partenaire)s?\s*,?\s+(?:the\s+|le\s+|la\s+|l['’])?(?=[A-ZÀ-Ý])"
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
        for iri in sorted(lex.organisations.iris(paren.group(1), case_sensitive=True)):
            concept = lex.reference.organisations[iri]
            return OrgMention(
                pos, paren.end(), iri, concept.label, paren.group(1), org_type=concept.org_type
            )
    known = [m for m in doc.found(lex.organisations, pos, limit) if m.start == pos]
    if known:
        best = max(known, key=lambda m: m.end - m.start)
        mention = _known(lex, best.start, best.end, best.iri, best.text, country)
        longer = _proper_name_end(text, pos, limit, lex)
        if longer is None or longer <= mention.end:
            return mention
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
    name = text[pos:name_end]
    acronym = None
    end = name_end
    definition = _ACRONYM_DEF.match(text, name_end)
    if definition:
        acronym = definition.group(1)
        end = definition.end()
        for iri in sorted(lex.organisations.iris(acronym, case_sensitive=True)):
            concept = lex.reference.organisations[iri]
            return OrgMention(pos, end, iri, concept.label, acronym, org_type=concept.org_type)
    words = [fold(w) for w in re.findall(r"[\w]+", name)]
    government = bool(words) and (
        words[0] in lex.government_words
        or (len(words) > 1 and words[0] in {"the", "la", "le"} and words[1] in lex.government_words)
        or any(
            w in {"ministry", "ministere", "directorate", "commission", "delegation"} for w in words
        )
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
    return None


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
