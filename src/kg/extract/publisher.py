"""Who published a report: from the sidecar, else from the evidence the page gives of itself.

Never "the organisation mentioned most": partners, ministries and funders are named often. The
evidence, each kind weighed: the page describes the organisation ("X is an international NGO"),
speaks as it ("At X, we…", "X's teams"), names it in its title or in "About X", gives its
e-mail or web address, or credits its photos; its outcome sentences have it as their subject.
Being named after "funded by" or "in partnership with" counts against. An organisation the
reference data does not know can be the publisher when the page describes or speaks as it.
The result says how strong the evidence was, so a weak guess is never silently trusted.

One file: every piece of evidence for who published a page is weighed in one place, so the
weights can be read and compared side by side.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Literal

from kg.extract.entities import (
    _SMALL,
    GOVERNMENT,
    OrgMention,
    _proper_name_end,
    _spelt_by,
    countries_in,
    for_country,
)
from kg.extract.lexicons import Lexicons
from kg.extract.text import Document, Line, fold
from kg.model import Named
from kg.namespaces import entity, slugify

Confidence = Literal["given", "high", "medium", "low", "none"]
DONOR = "https://w3id.org/humanitarian-kg/ontology#Donor"
HIGH, MEDIUM = 6.0, 3.0


@dataclass
class Candidate:
    iri: str
    label: str
    known: bool
    score: float = 0.0
    evidence: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)
    capped: dict[str, float] = field(default_factory=dict)

    def add(self, kind: str, weight: float, quote: str, cap: float | None = None) -> None:
        """Count one piece of evidence (at most `cap` in all for its kind)."""
        if cap is not None:
            room = cap - self.capped.get(kind, 0.0)
            if room <= 0:
                return
            weight = min(weight, room) if weight > 0 else weight
            self.capped[kind] = self.capped.get(kind, 0.0) + weight
        self.score += weight
        self.evidence.append(f"{kind}: {' '.join(quote.split())[:80]!r}")


@dataclass
class Publisher:
    """The publisher found, how sure, and why (the JSON's publisher_confidence/_evidence)."""

    named: Named | None
    confidence: Confidence
    evidence: list[str]
    spans: list[tuple[int, int]]  # where the text names it


_ORG_NOUN = (
    r"(?:organi[sz]ations?|organisme|organización|NGO|ONG|charity|agency|agence|agencia|"
    r"movement|mouvement|movimiento|association|asociación|foundation|fondation|fundación|"
    r"network|réseau|red|society|société|sociedad|federation|fédération|federación|"
    r"institution|non-profit|nonprofit|sans but lucratif|sin fines de lucro)"
)
_SELF = re.compile(
    r"\s*(?:\([^)]{1,20}\)\s*)?,?\s*(?:is|was|has been|est|était|es|fue|se define como|"
    r"is a leading|,\s*(?:an?|une?|una))\s+(?:(?:an?|une?|una|the|la|le|el|one of the)\s+)?"
    r"(?:[\w’'-]+\s+){0,5}?" + _ORG_NOUN + r"\b",
    re.IGNORECASE,
)
_ABOUT = re.compile(
    r"(?:^|\n)\s*(?:about|à propos de|a propos de|acerca de|sobre|quiénes somos|qui sommes-nous)"
    r"\s*:?\s+(?:the\s+|la\s+|el\s+|l['’])?(?=[A-ZÀ-Ý])",
    re.IGNORECASE,
)
_AT_WE = re.compile(
    r"(?:^|[.!?\n,]\s*)(?i:at|in|chez|à|en)\s+(?i:the\s+|la\s+|el\s+|l['’])?"
    r"(?P<name>[A-ZÀ-Ý].{1,60}?)"
    r",?\s+(?i:we|nous|nosotros|sabemos|creemos|hemos|trabajamos|queremos|our|notre|nuestro)\b"
)
_TEAM_AFTER = re.compile(
    r"^(?:['’]s?\s+|\s+)(?:teams?|staff|department|programmes?|programs?|operations?|"
    r"response|work|activities|projects?|clinics?|hospitals?|volunteers|personnel|"
    r"mission|offices?|(?:provincial\s+|regional\s+|local\s+|district\s+)?branch(?:es)?)\b",
    re.IGNORECASE,
)
_TEAM_BEFORE = re.compile(
    r"\b(?:équipes?|equipos?|personnel|volontaires|voluntarios|projets?|proyectos?|"
    r"programmes?|programas?|opérations|operaciones)\s+(?:de\s+|d['’]|del\s+)(?:la\s+|l['’]|el\s+)?$",
    re.IGNORECASE,
)
_ABOUT_BEFORE = re.compile(
    r"(?:^|\n)\s*(?:about|à propos de|a propos de|acerca de|sobre)\s*:?\s+"
    r"(?:the\s+|la\s+|el\s+|l['’])?$",
    re.IGNORECASE,
)
_FIRST_PERSON_AFTER = re.compile(
    r"\s*(?:\([^)]{1,12}\)\s*)?,?\s*(?:we|nous|nosotros|trabajamos|hemos|estamos|somos|"
    r"brindamos|atendimos|nous avons|nous sommes|intervenons|travaillons)\b",
    re.IGNORECASE,
)
_ACRONYM = re.compile(r"(?<![\w/])[A-Z][A-Z0-9&]{2,7}(?![\w])")
_OWN_THINGS = re.compile(
    r"(?<![\w])(?P<name>[A-ZÀ-Ý][\w-]+(?:\s+[A-ZÀ-Ý][\w-]+){0,3})['’]s?\s+"
    # "Street Child’s ‘Family Business for Education’ initiative": a quoted title between
    r"(?:[A-Z][a-z]+\s+|[‘'\"“][^’'\"”\n]{1,60}[’'\"”]\s+)?"
    r"(?:teams?|staff|department|programmes?|programs?|operations?|"
    r"response|mission|volunteers|initiatives?|appeals?|projects?)\b"
)
_TITLE_NAME = re.compile(
    r"\s*(?P<name>[A-ZÀ-Ý][\w-]+(?:\s+[A-ZÀ-Ý][\w-]+){0,3}?)\s+"
    r"(?:(?:Flood|Emergency|Humanitarian|Earthquake|Relief|Monthly|Weekly)\s+)*"
    r"(?:Response|Update|Operations?|Situation\s+Report|Sitrep|Appeal|News|Annual\s+Report)\b"
)
_TITLE_OF = re.compile(  # "Respuesta de Aldeas Infantiles SOS Nicaragua ante …"
    r"\s*(?:Respuesta|Réponse|Intervention|Intervención|Acción|Action|Informe|Rapport)\s+"
    r"(?:de\s+la\s+|de\s+l['’]|del\s+|du\s+|de\s+|d['’])(?P<name>[A-ZÀ-Ý].{1,70}?)\s+"
    r"(?:ante|frente|face|pour|para|en|au|aux|à|a|tras|après|despues|después)\b"
)
# "La Cruz Roja Dominicana informó que …": a press release speaks of its publisher so
_REPORTS = re.compile(
    r"\s+(?:informó|informa|anunció|reportó|indicó|reported|announced|reports|announces|"
    r"a\s+annoncé|annonce|a\s+indiqué|indique|rapporte)\s+(?:que|that|qu['’])",
    re.IGNORECASE,
)
_CLAUSE_START = re.compile(r"(?:^|[.!?\n–—:])\s*(?:(?:La|El|The|Le|Les|Los|L['’])\s*)?(?=[A-ZÀ-Ý])")
_CLAUSE_BEFORE = re.compile(r"[.!?\n–—:]\s*(?:(?:la|el|the|le|les|los|l['’])\s*)?$", re.IGNORECASE)
# "… avec la Croix-Rouge suédoise": whom the page works with is not who wrote it
_WITH_BEFORE = re.compile(
    r"\b(?:with|avec|con|alongside|aux\s+côtés\s+d[eu]|junto\s+a)\s+"
    r"(?:the\s+|le\s+|la\s+|les\s+|l['’]\s*|el\s+|los\s+|las\s+)?$",
    re.IGNORECASE,
)
_PROGRAMME_ACRONYM = re.compile(
    r"\b(?:Programme|Program|Programa|Projet|Project|Proyecto|Initiative|Iniciativa)\b"
    r"[^.\n()]{0,160}\(([A-Z][A-Z0-9&]{2,7})\)"
)
# "mis en œuvre par X", "implemented by X", "ejecutado por X": whose work the page describes
_IMPLEMENTED_BY = re.compile(
    r"\b(?:mis\s+en\s+(?:œ|oe)uvre|mise\s+en\s+(?:œ|oe)uvre|implemented|implementado|"
    r"implementada|ejecutado|ejecutada)\s+(?:par|by|por)\s+(?:the\s+|la\s+|le\s+|l['’]|el\s+)?",
    re.IGNORECASE,
)
_IMPLEMENTED_JUST_BEFORE = re.compile(_IMPLEMENTED_BY.pattern + "$", re.IGNORECASE)
# "OCHA/Naomi Frerotte", "©UNICEF/UN0594/Dejongh": a photo credit, the organisation first
_SLASH_CREDIT = re.compile(r"/\s?(?:UN\d+|[A-ZÀ-Ý][a-zà-ÿ]+(?:[ -][A-ZÀ-Ý][\w'’-]+){1,2}\b)")
_DOMAIN = re.compile(r"(?:https?://|www\.|[\w.+-]+@)([\w-]+(?:\.[\w-]+)+)", re.IGNORECASE)
_CREDIT = re.compile(r"(?:©|\(c\)|copyright|photo\s*:)\s*[^\n/]{0,60}?/\s*$", re.IGNORECASE)
_GENERIC = {"the organization", "the organisation", "l'organisation", "la organización"}


def find_publisher(
    stated: str | None,
    doc: Document,
    orgs: list[OrgMention],
    lex: Lexicons,
    places: list[tuple[int, int]] | None = None,
    country: str | None = None,
) -> Publisher:
    """The sidecar's publisher (resolved to the reference data; a name several national bodies
    share, to the report country's), else the best-evidenced one."""
    if stated:
        iris = lex.organisations.iris(stated, case_sensitive=True) or lex.organisations.iris(stated)
        iris = set(for_country(lex, iris, country))
        if iris:
            iri = sorted(iris)[0]
            named = Named(lex.reference.organisations[iri].label, iri)
        else:
            named = Named(stated, str(entity("org", slugify(stated))))
        spans = [(m.start, m.end) for m in orgs if m.iri == named.iri]
        return Publisher(named, "given", ["sidecar"], spans)
    candidates = _candidates(doc, orgs, lex, places or [])
    if not candidates:
        return Publisher(None, "none", [], [])
    for cand in candidates.values():
        _weigh(cand, doc, lex)
    best = max(candidates.values(), key=lambda c: (c.score, -c.spans[0][0], c.iri))
    best.evidence.append(f"named {len(best.spans)} times")
    if best.score <= 0:
        only = _only_organisation(candidates, doc, lex)
        if only is None:
            return Publisher(None, "none", [], [])
        return Publisher(Named(only.label, only.iri), "low", only.evidence, sorted(only.spans))
    confidence: Confidence = (
        "high" if best.score >= HIGH else "medium" if best.score >= MEDIUM else "low"
    )
    return Publisher(Named(best.label, best.iri), confidence, best.evidence, sorted(best.spans))


def _only_organisation(
    candidates: dict[str, Candidate], doc: Document, lex: Lexicons
) -> Candidate | None:
    """A page that speaks as "we" ("hemos dado formación…") and names one organisation that
    is neither a government body nor a donor: that organisation is who speaks."""
    we = len(doc.found(lex.cues["ownership"]))
    agencies = [
        c
        for c in candidates.values()
        if c.known
        and (concept := lex.reference.organisations.get(c.iri)) is not None
        and concept.org_type not in (GOVERNMENT, DONOR)
        and not c.iri.endswith("/un")
        and not _partner_of_we(c, doc, lex)
    ]
    if we < 2 or len(agencies) != 1:
        return None
    agencies[0].evidence.append(f"the one organisation a page in the first person names ({we})")
    return agencies[0]


def _partner_of_we(cand: Candidate, doc: Document, lex: Lexicons) -> bool:
    """ "nos équipes ont réhabilité … en complémentarité avec la Croix-Rouge suédoise": named as
    a partner in a sentence where "we" act, so not "we"."""
    partnered = any(e.startswith("named as") for e in cand.evidence)
    for start, _end in cand.spans:
        sentence = doc.sentence_at(start)
        if (
            partnered
            and sentence is not None
            and doc.found(lex.cues["ownership"], sentence.start, sentence.end)
        ):
            return True
    return False


def _candidates(
    doc: Document, orgs: list[OrgMention], lex: Lexicons, places: list[tuple[int, int]]
) -> dict[str, Candidate]:
    """Known organisations named outside page furniture, and names the page describes or
    speaks as (an organisation the reference data does not know)."""
    out: dict[str, Candidate] = {}
    for mention in orgs:
        if mention.new:
            continue  # a ministry of the report's country is no publisher candidate
        cand = out.setdefault(mention.iri, Candidate(mention.iri, mention.label, True))
        cand.spans.append((mention.start, mention.end))
    text = doc.text
    found: list[tuple[int, int, str]] = []

    def keep(span: tuple[int, int, str] | None) -> None:
        if span is not None:
            found.append(span)

    for sentence in doc.sentences:
        span = _name_at(doc, lex, sentence.start, sentence.end)
        if span and _SELF.match(text, span[1], sentence.end):
            keep(span)
    for m in _ABOUT.finditer(text):
        keep(_name_at(doc, lex, m.end(), min(len(text), m.end() + 80)))
    for m in _AT_WE.finditer(text):
        keep(_name_at(doc, lex, m.start("name"), m.end("name")))
    for m in _OWN_THINGS.finditer(text):  # "Nile Hope's Nutrition department"
        keep(_name_at(doc, lex, m.start("name"), m.end("name")))
    verbs = lex.cues["outcome-verb"]
    presence = lex.cues["presence"]
    programmes = {
        d.group(1) for d in _PROGRAMME_ACRONYM.finditer(text)
    }  # "Programme transfrontalier sur les Solutions Durables … (SOLID)": a programme's name
    for m in _ACRONYM.finditer(text):  # "FUSAL benefició a…", "HEKS is implementing", "BRAC team"
        if m.group(0) in programmes:
            continue
        after = m.end()
        window = min(len(text), after + 25)
        acts = doc.found(verbs, after, window) or doc.found(presence, after, window)
        if (acts and not re.search(r"[.;:\n,]", text[after : acts[0].start])) or _TEAM_AFTER.match(
            text[after : after + 30]
        ):
            keep((m.start(), m.end(), m.group(0)))
    for line in [line for line in doc.lines if line.text.strip()][:3]:
        title = _TITLE_NAME.match(text, line.start, line.end)  # "Sarvodaya Response to …"
        if title:
            keep((title.start("name"), title.end("name"), title.group("name")))
        of = _TITLE_OF.match(text, line.start, line.end)
        if of:
            keep(_name_at(doc, lex, of.start("name"), of.end("name")))
    for m in _IMPLEMENTED_BY.finditer(text):  # "Le projet, mis en œuvre par APROSPEN en …"
        keep(_name_at(doc, lex, m.end(), min(len(text), m.end() + 80)))
    for m in _CLAUSE_START.finditer(text):  # "… – La Cruz Roja Dominicana informó que…"
        span = _name_at(doc, lex, m.end(), min(len(text), m.end() + 80))
        if span and _REPORTS.match(text, span[1]):
            keep(span)
    for line in _source_field_names(doc):  # "Sources / Cruz Roja Chilena" (ReliefWeb)
        keep(_name_at(doc, lex, line.start, line.end))
    capitalised = _capitalised_names(doc, lex)
    reach = 0
    for span in capitalised:  # "Cruz Roja Chilena ha entregado…", "un equipo de Cruz Roja…"
        if span[0] >= reach and _acting_organisation(doc, lex, span):
            keep(span)  # a whole name, not its tail ("Primera Infancia de FUSAL")
        reach = max(reach, span[1])
    for m in _DOMAIN.finditer(text):
        parts = [p for p in m.group(1).lower().split(".") if len(p) >= 4 and p not in {"www"}]
        for span in capitalised:
            squashed = re.sub(r"[^a-z0-9]", "", fold(span[2]))
            if len(squashed) >= 4 and any(squashed in part for part in parts):
                keep(span)
    acting: dict[str, int] = {}
    # "Enfants du Mékong gère directement ces programmes…": a name that acts twice, or acts and
    # is named again on a page that speaks as "we"
    for span in capitalised:
        if _QUOTED.search(text, max(0, span[0] - 40), span[0]):
            continue  # "‘Count Me In’ UK Aid supported programme": a programme's title
        if _acts_after(doc, lex, span[1]) and not _is_org_named(span[2], lex):
            acting[span[2]] = acting.get(span[2], 0) + 1
    speaks = bool(doc.found(lex.cues["ownership"]))  # "nos centres", "our teams"
    for span in capitalised:
        times = acting.get(span[2], 0)
        if len(span[2].split()) >= 2 and (
            times >= 2 or (times == 1 and speaks and text.count(span[2]) >= 2)
        ):
            keep(span)
    names = {name for _, _, name in found}
    countries = countries_in(doc, lex.gazetteer)
    common = _common_acronyms(text)
    for start, _end, name in found:
        if fold(name) in _GENERIC or any(o.start <= start < o.end for o in orgs):
            continue
        if name in common:
            continue  # "people with specific needs (PSN)", "803 PSNs": people, not a body
        if " " not in name and fold(name) in lex.common_words:
            continue  # "Latest Update": a heading's word, not a name
        if any(s <= start and start + len(name) <= e for s, e in places):
            continue  # "San Pedro Sula", a place
        if any(s <= start < e for s, e, _, _ in countries):
            continue  # "In Colombia, we help…": a country
        if fold(name).split()[0] in lex.numbers.months:
            continue  # "In January, we…"
        if any(name != other and name in other for other in names):
            continue  # "Panzi" inside "Fondation Panzi": the longer name
        iri = str(entity("org", slugify(name)))
        cand = out.setdefault(iri, Candidate(iri, name, False))
        for occurrence in re.finditer(re.escape(name), text):
            if (occurrence.start(), occurrence.end()) not in cand.spans:
                cand.spans.append((occurrence.start(), occurrence.end()))
    _short_movement_names(out, lex)
    for cand in out.values():
        cand.spans.sort()
    return out


def _short_movement_names(out: dict[str, Candidate], lex: Lexicons) -> None:
    """ "La Cruz Roja Americana abrió… La Cruz Roja envía personal…": the bare "Cruz Roja" is
    the one society the page names in full, not an organisation of its own."""
    for iri, cand in list(out.items()):
        short = fold(cand.label)
        if cand.known or short not in lex.movement_short_names:
            continue
        full = [
            other
            for other in out.values()
            if other.known
            and any(
                short in fold(term.text) for term in lex.reference.organisations[other.iri].terms
            )
        ]
        if len(full) != 1:
            continue  # the ICRC and a national society both named: no telling which
        inside = full[0].spans
        full[0].spans.extend(
            span for span in cand.spans if not any(s <= span[0] < e for s, e in inside)
        )
        del out[iri]


_LOWER_DEFINITION = re.compile(
    r"(?<![\w-])([a-z][\w-]*(?:\s+[a-z][\w-]*){1,7})\s*\(([A-Z][A-Z0-9&]{1,7})s?\)"
)
_PLURAL_ACRONYM = re.compile(r"(?<![\w/])([A-Z][A-Z0-9&]{1,7})s(?![\w])")


def _common_acronyms(text: str) -> set[str]:
    """Acronyms of common nouns: defined by words in lower case ("people with specific needs
    (PSN)", "internally displaced persons (IDPs)") or counted in the plural ("803 PSNs")."""
    common = {m.group(1) for m in _PLURAL_ACRONYM.finditer(text)}
    for m in _LOWER_DEFINITION.finditer(text):
        words = [w.upper() for w in m.group(1).split() if w not in _SMALL]
        acronym = m.group(2)
        if any(_spelt_by(acronym, words[i:]) for i in range(len(words))):
            common.add(acronym)
    return common


def _name_at(doc: Document, lex: Lexicons, start: int, limit: int) -> tuple[int, int, str] | None:
    """A capitalised name (with joiners: "Ayuda en Acción") starting at `start`."""
    text = doc.text
    while start < limit and text[start] in " \t\n\"'“«":
        start += 1
    skipped = re.match(r"(?:The|La|Le|El|Les|Los|L['’])\s*", text[start:limit])
    if skipped:
        start += skipped.end()
    if start >= limit or not text[start].isupper():
        return None
    end = _proper_name_end(text, start, min(limit, start + 80), lex)
    if end is None:
        return None
    name = re.sub(r"['’]s?$", "", text[start:end].strip(" ,.")).strip()
    if len(name) < 3 or len(name.split()) > 7:
        return None
    return start, start + len(name), name


_PROGRAMME_WORDS = {"programme", "program", "programa", "project", "projet", "proyecto"}
# a page's "Source(s)" field, its value on the next line (ReliefWeb's report pages)
_SOURCE_FIELD = re.compile(r"(?:sources?|fuentes?|source\(s\)|origine)\s*:?", re.IGNORECASE)


def _source_field_names(doc: Document) -> list[Line]:
    """The line after a "Sources" field label among the page's first lines: who published it."""
    lines = [line for line in doc.lines if line.text.strip()][:20]
    out = []
    for line, after in itertools.pairwise(lines):
        if _SOURCE_FIELD.fullmatch(line.text.strip()) and len(after.text.strip()) <= 80:
            out.append(after)
    return out


def _acting_organisation(doc: Document, lex: Lexicons, span: tuple[int, int, str]) -> bool:
    """A name with an organisation's word ("Cruz Roja Chilena", "Fondation X") that does the
    page's work ("… ha entregado 56 kits") or has its team there ("un equipo de …"); a
    government body is the page's counterpart, not its author."""
    start, end, name = span
    words = re.findall(r"\w+", fold(name))
    own = [w for w in words if w not in lex.org_words and w not in lex.name_joiners]
    if (
        not own  # "Red Cross": which one?
        or not any(w in lex.org_words for w in words)
        or words[0] in _PROGRAMME_WORDS  # "Programa de Primera Infancia de FUSAL"
        or any(w in lex.government_words for w in words)
    ):
        return False
    text = doc.text
    if _acts_after(doc, lex, end, commas=False):
        return True
    if _WORKS_BEFORE.search(doc.folded[max(0, start - 30) : start]):
        return True  # "donde trabaja la Fundación Vicente Ferrer", "où intervient l'Association"
    return bool(
        _TEAM_BEFORE.search(text[max(0, start - 30) : start])
        or _TEAM_AFTER.match(text[end : end + 30])
    )


# an opening quote not closed before the end of the window: inside a quoted title
_QUOTED = re.compile(r"[‘“«][^’”»\n]*$")
_WORKS_BEFORE = re.compile(
    r"\b(?:donde|where|ou|en la que|dans laquelle)\s+(?:(?:ya\s+|deja\s+)?\w+\s+)?"
    r"(?:trabaja|trabajan|interviene|opera|travaille|intervient|opere|works|operates)\s+"
    r"(?:la\s+|el\s+|le\s+|l['’]|the\s+)?$"
)


def _acts_after(doc: Document, lex: Lexicons, end: int, commas: bool = True) -> bool:
    """A verb of work or presence follows the name closely ("… gère directement", "… a
    successivement ouvert"), with no break (nor, unless `commas`, a comma) between."""
    window = min(len(doc.text), end + 30)
    acts = doc.found(lex.cues["outcome-verb"], end, window) or doc.found(
        lex.cues["presence"], end, window
    )
    stops = r"[.;:\n,]" if not commas else r"[.;:\n]"
    return bool(acts) and not re.search(stops, doc.text[end : acts[0].start])


def _is_org_named(name: str, lex: Lexicons) -> bool:
    return any(w in lex.org_words for w in re.findall(r"\w+", fold(name)))


def _capitalised_names(doc: Document, lex: Lexicons) -> list[tuple[int, int, str]]:
    out = []
    for m in re.finditer(r"(?<![\w])[A-ZÀ-Ý][\w’'-]+", doc.text):
        if re.search(r"\d[\d,.]*\s+$", doc.text[max(0, m.start() - 12) : m.start()]):
            continue  # "10 Red Crescent Helicopters are operating": things counted, not a name
        name = _name_at(doc, lex, m.start(), min(len(doc.text), m.start() + 80))
        if name:
            out.append(name)
    return out


def _weigh(cand: Candidate, doc: Document, lex: Lexicons) -> None:
    text, folded = doc.text, doc.folded
    # the title: the first line when it is short, and the first heading
    # ("Page archivée: …" above "Libéria : les activités du CICR en mars 2007" is furniture)
    first_lines = [line for line in doc.lines if line.text.strip() and not line.boilerplate][:1]
    head_end = first_lines[0].end if first_lines and len(first_lines[0].text) <= 120 else 0
    headings = [s for s in doc.sections if s.heading][:1]
    concept = lex.reference.organisations.get(cand.iri)
    for start, end in cand.spans:
        quote = text[max(0, start - 30) : end + 50]
        sentence = doc.sentence_at(start)
        s_end = sentence.end if sentence else min(len(text), end + 200)
        if _SELF.match(text, end, s_end):
            cand.add("describes itself", 6, text[start:s_end], cap=6)
        if start < head_end or any(h.start <= start < h.start + len(h.heading) for h in headings):
            cand.add("named in the title", 3, text[start : end + 40], cap=3)
        if _ABOUT_BEFORE.search(text[max(0, start - 30) : start]):
            cand.add("'About'", 5, quote, cap=5)
        at_we = re.search(
            r"(?:^|[.!?\n,]\s*)(?:at|in|chez|à|en)\s+(?:the\s+|la\s+|el\s+|l['’])?$",
            text[max(0, start - 12) : start],
            re.IGNORECASE,
        )
        if at_we and re.match(
            r",?\s+(?:we|nous|nosotros|sabemos|creemos|hemos|trabajamos|our|notre|nuestro)\b",
            text[end : end + 20],
            re.IGNORECASE,
        ):
            cand.add("speaks as it", 5, quote, cap=5)
        elif _FIRST_PERSON_AFTER.match(text, end):
            cand.add("speaks as it", 5, quote, cap=5)  # "Médicos Sin Fronteras (MSF) trabajamos"
        if _TEAM_AFTER.match(text[end : end + 30]) or _TEAM_BEFORE.search(
            text[max(0, start - 30) : start]
        ):
            cand.add("its teams or programmes", 2, quote, cap=6)
        opens = _CLAUSE_BEFORE.search(text[max(0, start - 12) : start])
        if _REPORTS.match(text, end, s_end) and (opens or start == 0):
            cand.add("reports as it", 3, quote, cap=3)
        implements = bool(_IMPLEMENTED_JUST_BEFORE.search(text[max(0, start - 40) : start]))
        if implements:
            cand.add("the work is implemented by it", 2, quote, cap=2)
        if _WITH_BEFORE.search(text[max(0, start - 40) : start]):
            cand.add("named as working with it", -3, quote)
        if _CREDIT.search(text[max(0, start - 70) : start]) or _SLASH_CREDIT.match(text, end):
            cand.add("photo credit", 1.5, quote, cap=3)
        if _acts_after(doc, lex, end):  # "the ICRC helps…", "Le CICR fournit une assistance"
            cand.add("subject of its work", 1.5, quote, cap=4.5)
        if sentence is not None and doc.found(lex.cues["ownership"], sentence.start, sentence.end):
            cand.add("with 'we'/'our'", 1, quote, cap=3)
        roles = doc.found(lex.roles, max(0, start - 45), start)
        if (
            roles
            and not implements
            and re.fullmatch(  # the cue names it: "funded by the X", "avec l'appui du X"
                r"\s*(?:the\s+|le\s+|la\s+|les\s+|l['’]\s*|el\s+|los\s+|du\s+|des\s+|del\s+)?",
                folded[roles[-1].end : start],
            )
        ):
            cand.add("named as a partner or funder", -4, quote)
        cand.score += 0.3 if len(cand.spans) <= 5 else 0
    for line in _source_field_names(doc):
        if any(line.start <= s < line.end for s, _ in cand.spans):
            cand.add("the page's source", 6, line.text, cap=6)
    for m in _DOMAIN.finditer(text):
        parts = m.group(1).lower().split(".")
        keys = {re.sub(r"[^a-z0-9]", "", fold(n)) for n in _names(cand, concept)}
        if any(len(k) >= 3 and any(k in part for part in parts) for k in keys):
            cand.add("its web or e-mail address", 4, m.group(0), cap=4)
    if concept is not None:
        if concept.org_type == GOVERNMENT:
            cand.add("a government body", -3, cand.label)
        elif concept.org_type == DONOR:
            cand.add("a donor", -2, cand.label)
        if cand.iri.endswith("/un"):
            cand.add("the UN as a whole", -2, cand.label)


def _names(cand: Candidate, concept: object) -> list[str]:
    names = [cand.label]
    if concept is not None:
        names += list(getattr(concept, "acronyms", []))
    return names
