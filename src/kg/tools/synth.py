"""Synthetic reports to measure on: realistic pages, their sidecars and the facts they plant.

`generate(n, seed, out)` writes `n` report texts (`.txt`) with YAML sidecars and
`planted.jsonl`, one line per report with every fact it planted: each figure's value, kind
(outcome | context), year and qualifier, the indicator whose SKOS label was used, the places
and the partners. `benchmarks/score_synth.py` scores extraction against it.

Everything is drawn from the reference vocabularies (`kg.reference.loader`): publishers, donors and
national NGOs from `data/reference/organisations-*.ttl`, countries from `countries.csv` with
their ISO 3166-2 places, sectors, indicators, qualifiers and partner-role cue phrases by their
SKOS labels, in English and, for about one report in five, French. Pages carry what real pages
carry and the loaders must ignore: navigation lines ("Close this search box."), "Related news"
teasers with dates and numbers, photo credits, programme start years, funding amounts.

The same `(n, seed)` gives byte-identical files: every report has its own
`random.Random(f"kg-synth:{seed}:{index}")`, so report 17 is the same whatever `n` is.

One file: a developer tool: the synthetic corpus generator is one script-like module kept out of
the pipeline's stages.
"""

from __future__ import annotations

import json
import random
import unicodedata
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import SKOS

from kg.reference.loader import Concept, Reference, covered_countries, load_reference

__all__ = ["PlantedFigure", "PlantedPartner", "PlantedReport", "Vocabulary", "generate"]

FRENCH_COUNTRIES = {"ML", "NE", "BF", "SN", "MR", "GN", "CI", "TD", "CM", "CF", "TG", "BJ", "CD"}
PUBLISHER_TYPES = ("InternationalNGO", "UNAgency", "RedCrossRedCrescent")
YEARS = range(2016, 2025)
MONTHS = {
    "en": ["January", "March", "April", "June", "July", "September", "October", "December"],
    "fr": ["janvier", "mars", "avril", "juin", "juillet", "septembre", "octobre", "décembre"],
}
SOURCES = ["OCHA", "UNHCR", "IOM DTM", "UNICEF", "WFP", "the Ministry of Health", "the World Bank"]
QUALIFIER_WORDS = {  # a few cue phrases per qualifier (all are SKOS labels of id:qualifier/…)
    "en": {
        "at-least": ["more than", "over", "at least", "upwards of"],
        "approximately": ["nearly", "about", "around", "approximately", "an estimated"],
        "at-most": ["up to", "less than"],
    },
    "fr": {
        "at-least": ["plus de", "au moins"],
        "approximately": ["près de", "environ"],
        "at-most": ["moins de"],
    },
}
ROLE_CUES = {  # the partner-role cue phrases used (SKOS altLabels of id:role/…)
    "en": {
        "implementing-partner": ["With its local partner", "Through its local partner"],
        "funder": ["funded by", "with funding from"],
    },
    "fr": {
        "implementing-partner": ["Avec son partenaire local", "À travers son partenaire"],
        "funder": ["financé par", "avec le soutien financier de"],
    },
}
LOCAL_NAME_PARTS = {
    "head": ["Association", "Alliance", "Réseau", "Groupe", "Union", "Fondation"],
    "purpose": [
        "pour la Santé Communautaire",
        "pour le Développement Rural",
        "des Femmes Solidaires",
        "pour l'Éducation des Filles",
        "pour la Paix et la Cohésion",
        "d'Appui aux Déplacés",
        "pour l'Eau et l'Assainissement",
        "des Jeunes Volontaires",
    ],
}
BOILERPLATE_TOP = ["Close this search box.", "Skip to content", "Donate", "Menu"]
BOILERPLATE_BOTTOM = ["Share this", "Follow us", "Back to top"]


@dataclass
class PlantedFigure:
    value: float
    kind: str  # outcome | context
    year: int | None
    qualifier: str  # exact | at-least | approximately | at-most
    indicator: str  # IRI of the indicator whose label was written
    text: str  # how the number was written
    place: str | None = None


@dataclass
class PlantedPartner:
    label: str
    acronym: str | None
    iri: str | None  # None: an organisation the reference data does not know
    role: str


@dataclass
class PlantedReport:
    report_id: str
    file: str
    language: str
    publisher: str
    country: str
    year: int | None  # the sidecar's year, when the page states one
    figures: list[PlantedFigure] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    partners: list[PlantedPartner] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Country:
    code: str
    iri: str
    name: dict[str, str]
    places: list[Concept]  # admin areas and localities with unambiguous names
    national_ngos: list[Concept]


class Vocabulary:
    """What the generator draws from, read once from the reference data."""

    def __init__(self, reference: Reference | None = None) -> None:
        ref = reference or load_reference()
        self.ref = ref
        graph = ref.ontology + ref.reference
        self._labels: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for predicate in (SKOS.prefLabel, SKOS.altLabel):
            for subject, label in graph.subject_objects(predicate):
                if isinstance(subject, URIRef) and isinstance(label, Literal) and label.language:
                    self._labels[str(subject)][label.language].append(str(label))
        for langs in self._labels.values():
            for labels in langs.values():
                labels.sort()
        orgs = ref.organisations
        self.publishers = [
            c for c in orgs.values() if (c.org_type or "").rsplit("#", 1)[-1] in PUBLISHER_TYPES
        ]
        self.donors = [
            c
            for c in orgs.values()
            if (c.org_type or "").rsplit("#", 1)[-1] == "Donor" and c.acronyms
        ]
        self.indicators = {  # (a "people targeted" figure is a target: no figure at all)
            kind: [
                c
                for c in ref.indicators.values()
                if c.figure_kind == kind and not c.iri.endswith("/people-targeted")
            ]
            for kind in ("outcome", "context")
        }
        self.sectors = sorted(ref.sectors.values(), key=lambda c: c.iri)
        common = set(ref.words.get("common-place-name", {}))
        self.countries: list[Country] = []
        for code in covered_countries():
            iri = f"https://w3id.org/humanitarian-kg/id/place/{code.lower()}"
            if iri not in ref.places:
                continue
            places = [c for c in ref.places.values() if c.country == code and c.level]
            names = defaultdict(list)
            for place in places:
                names[place.label.lower()].append(place)
            usable = [
                p
                for p in places
                if len(names[p.label.lower()]) == 1
                and len(p.label) >= 4
                and p.label.lower() not in common
                and p.label.replace(" ", "").replace("-", "").isalpha()
                and p.level in (1, 2)
            ]
            if len(usable) < 3:
                continue
            ngos = [
                c
                for c in orgs.values()
                if c.country == code
                and (c.org_type or "").endswith(("NationalNGO", "CommunityOrganisation"))
            ]
            country_name = ref.places[iri].label
            self.countries.append(
                Country(
                    code,
                    iri,
                    {"en": country_name, "fr": self.label(iri, "fr", country_name)},
                    sorted(usable, key=lambda c: c.iri),
                    ngos,
                )
            )

    def label(self, iri: str, lang: str, default: str | None = None) -> str:
        labels = self._labels.get(iri, {}).get(lang)
        return labels[0] if labels else (default if default is not None else iri)

    def labels(self, iri: str, lang: str) -> list[str]:
        """prefLabels and altLabels of one language (prefLabels first is not guaranteed)."""
        return list(self._labels.get(iri, {}).get(lang, []))


# --- numbers -----------------------------------------------------------------------------

_EN_UNITS = "zero one two three four five six seven eight nine ten eleven twelve".split()
_FR_UNITS = "zéro un deux trois quatre cinq six sept huit neuf dix onze douze".split()


def _group(value: int, sep: str) -> str:
    return f"{value:,}".replace(",", sep)


SMALL_COUNTS = {  # indicators counting things, not people: tens to a few thousand
    "health-facilities-supported",
    "mobile-clinics",
    "schools-supported",
    "classrooms",
    "water-points",
    "latrines",
    "schools-closed",
    "shelters-provided",
}
LARGE_COUNTS = {  # situation figures that run into millions
    "population",
    "people-in-need",
    "idps",
    "refugees",
    "food-insecure-people",
    "people-affected",
    "people-targeted",
}


def write_number(rng: random.Random, lang: str, size: str = "medium") -> tuple[float, str]:
    """A value and how a page writes it (the formats the loaders must read).

    `size`: "small" (things: 2 to 4,999), "medium" (people reached: up to 999,999) or "large"
    (situation figures, millions possible)."""
    style = rng.random()
    if size == "small":
        value = rng.randint(2, rng.choice([50, 400, 4999]))
        if value < 13 and rng.random() < 0.5:
            return float(value), (_EN_UNITS if lang == "en" else _FR_UNITS)[value]
        return float(value), (_group(value, ",") if lang == "en" else _group(value, " "))
    if style < 0.08:  # a round number in words: "two thousand", "deux mille", "twelve"
        unit = rng.randint(2, 12)
        if rng.random() < 0.5:
            return float(unit), (_EN_UNITS if lang == "en" else _FR_UNITS)[unit]
        unit = rng.randint(2, 9)
        scale = rng.choice([(100, "hundred", "cents"), (1000, "thousand", "mille")])
        word = (_EN_UNITS if lang == "en" else _FR_UNITS)[unit]
        text = f"{word} {scale[1]}" if lang == "en" else f"{word} {scale[2]}"
        return float(unit * scale[0]), text
    if style < 0.18 and size == "large":  # millions: 1.5 million, 3,5 millions, 1.2 M
        whole, tenth = rng.randint(1, 9), rng.randint(1, 9)
        value = (whole * 10 + tenth) * 100_000
        if lang == "fr":
            return float(value), f"{whole},{tenth} millions"
        return float(value), rng.choice([f"{whole}.{tenth} million", f"{whole}.{tenth} M"])
    magnitude = rng.choice([2, 3, 3, 4, 4, 5, 5, 6] if size != "large" else [4, 5, 5, 6, 6])
    value = rng.randint(10 ** (magnitude - 1) + 1, 10**magnitude - 1)
    if value < 1000:
        return float(value), str(value)
    if lang == "fr":
        sep = rng.choice([" ", "\u00a0", "\u202f", "."])
        return float(value), _group(value, sep)
    return float(value), _group(value, rng.choice([",", ",", ",", " "]))


# --- one report --------------------------------------------------------------------------


@dataclass
class _Page:
    lang: str
    lines: list[str] = field(default_factory=list)

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def text(self) -> str:
        return "\n".join(self.lines).rstrip() + "\n"


class _Writer:
    """Writes one report; every fact it states is appended to `planted`."""

    def __init__(self, vocab: Vocabulary, rng: random.Random, report_id: str) -> None:
        self.vocab = vocab
        self.rng = rng
        self.country = rng.choice(vocab.countries)
        french = self.country.code in FRENCH_COUNTRIES and rng.random() < 0.45
        self.lang = "fr" if french else "en"
        self.publisher = rng.choice(vocab.publishers)
        self.year = rng.choice(YEARS)
        self.sidecar_year = rng.random() < 0.5
        self.page = _Page(self.lang)
        self.planted = PlantedReport(
            report_id=report_id,
            file=f"{report_id}.txt",
            language=self.lang,
            publisher=self.publisher.iri,
            country=self.country.iri,
            year=self.year if self.sidecar_year else None,
        )
        self.pub_name = (
            self.publisher.acronyms[0] if self.publisher.acronyms else self.publisher.label
        )
        places = list(self.country.places)
        rng.shuffle(places)
        self.places = places[: rng.randint(2, 5)]

    # -- pieces

    def place_phrase(self, place: Concept) -> str:
        kind = {1: ("region", "région"), 2: ("district", "district")}[place.level or 1]
        if self.lang == "fr":
            return (
                f"dans la {kind[1]} de {place.label}"
                if place.level == 1
                else (f"dans le district de {place.label}")
            )
        return f"in the {place.label} {kind[0]}"

    def qualifier(self) -> tuple[str, str]:
        if self.rng.random() < 0.55:
            return "exact", ""
        kind = self.rng.choice(sorted(QUALIFIER_WORDS[self.lang]))
        return kind, self.rng.choice(QUALIFIER_WORDS[self.lang][kind])

    def indicator_words(self, concept: Concept) -> str:
        labels = [
            label
            for label in self.vocab.labels(concept.iri, self.lang)
            if len(label.split()) >= 2 and label.upper() != label
        ]
        if not labels:
            labels = self.vocab.labels(concept.iri, self.lang) or [concept.label]
        return self.rng.choice(sorted(labels))

    def number(self, concept: Concept) -> tuple[float, str]:
        slug = concept.iri.rsplit("/", 1)[-1]
        size = "small" if slug in SMALL_COUNTS else "large" if slug in LARGE_COUNTS else "medium"
        return write_number(self.rng, self.lang, size)

    def plant(self, **fields: object) -> None:
        self.planted.figures.append(PlantedFigure(**fields))  # type: ignore[arg-type]

    # -- sections

    def header(self) -> None:
        rng, country = self.rng, self.country.name[self.lang]
        self.page.add(*rng.sample(BOILERPLATE_TOP, 2))
        if self.lang == "fr":
            self.page.add(f"{self.publisher.label} au {country}", "")
            self.page.add(f"Début du programme : {rng.randint(1995, 2015)}", "")
        else:
            self.page.add(f"{self.publisher.label} in {country}", "")
            self.page.add(f"Start of program : {rng.randint(1995, 2015)}", "")

    def key_figures(self) -> None:
        """A bulleted list of outcomes under a heading, with the year in the heading."""
        rng = self.rng
        heading = f"Key figures {self.year}" if self.lang == "en" else f"Chiffres clés {self.year}"
        self.page.add(heading, "")
        chosen = rng.sample(self.vocab.indicators["outcome"], rng.randint(2, 5))
        for concept in chosen:
            value, text = self.number(concept)
            self.page.add(f"  • {text} {self.indicator_words(concept)}")
            self.plant(
                value=value,
                kind="outcome",
                year=self.year,
                qualifier="exact",
                indicator=concept.iri,
                text=text,
            )
        self.page.add("")

    def outcome_sentences(self) -> None:
        rng = self.rng
        title = "Our response" if self.lang == "en" else "Notre réponse"
        self.page.add(title, "")
        for place in self.places:
            concept = rng.choice(self.vocab.indicators["outcome"])
            value, text = self.number(concept)
            qualifier, words = self.qualifier()
            year = self.year if rng.random() < 0.7 else self.year - 1
            figure = f"{words} {text}".strip()
            label = self.indicator_words(concept)
            where = self.place_phrase(place)
            if self.lang == "fr":
                sentence = rng.choice(
                    [
                        f"En {year}, nos équipes ont fourni {figure} {label} {where}.",
                        f"En {year}, {self.pub_name} a soutenu {figure} {label} {where}.",
                    ]
                )
            else:
                sentence = rng.choice(
                    [
                        f"In {year}, our teams provided {figure} {label} {where}.",
                        f"In {year}, {self.pub_name} supported {figure} {label} {where}.",
                        f"{where[0].upper()}{where[1:]}, we reached {figure} {label} in {year}.",
                    ]
                )
            self.page.add(sentence, "")
            self.plant(
                value=value,
                kind="outcome",
                year=year,
                qualifier=qualifier,
                indicator=concept.iri,
                text=text,
                place=place.iri,
            )
            self.planted.places.append(place.iri)

    def presence(self) -> None:
        sector = self.rng.choice(self.vocab.sectors)
        place = self.places[0]
        name = self.vocab.label(sector.iri, self.lang, sector.label)
        if self.lang == "fr":
            self.page.add(f"Nos équipes travaillent en {name} {self.place_phrase(place)}.", "")
        else:
            self.page.add(f"Our teams work in {name} {self.place_phrase(place)}.", "")

    def context(self) -> None:
        rng = self.rng
        title = "Humanitarian context" if self.lang == "en" else "Contexte humanitaire"
        self.page.add(title, "")
        country = self.country.name[self.lang]
        notes: list[str] = []
        for concept in rng.sample(self.vocab.indicators["context"], rng.randint(1, 3)):
            value, text = self.number(concept)
            qualifier, words = self.qualifier()
            year = self.year - rng.choice([0, 0, 1])
            month = rng.choice(MONTHS[self.lang])
            figure = f"{words} {text}".strip()
            label = self.indicator_words(concept)
            mark = "¹²³"[len(notes)]
            source = rng.choice(SOURCES)
            if self.lang == "fr":
                sentence = f"En {month} {year}, on comptait {figure} {label} au {country}{mark}."
                notes.append(f"{mark} {source}, {month} {year}")
            else:
                sentence = f"In {month} {year}, there were {figure} {label} in {country}{mark}."
                notes.append(f"{mark} {source}, {month} {year}")
            self.page.add(sentence, "")
            self.plant(
                value=value,
                kind="context",
                year=year,
                qualifier=qualifier,
                indicator=concept.iri,
                text=text,
            )
        self.context_notes = notes

    def partners(self) -> None:
        rng = self.rng
        lines: list[str] = []
        if rng.random() < 0.6:
            partner = self.local_partner()
            cue = rng.choice(ROLE_CUES[self.lang]["implementing-partner"])
            name = f"{partner.label} ({partner.acronym})" if partner.acronym else partner.label
            if self.lang == "fr":
                lines.append(f"{cue} {name}, {self.pub_name} apporte une aide aux communautés.")
            else:
                lines.append(f"{cue} {name}, {self.pub_name} supports the communities.")
            self.planted.partners.append(partner)
        if rng.random() < 0.5:
            donor = rng.choice(self.vocab.donors)
            cue = rng.choice(ROLE_CUES[self.lang]["funder"])
            acronym = donor.acronyms[-1]
            if self.lang == "fr":
                lines.append(f"Ce projet est {cue} {acronym}.")
            else:
                lines.append(f"This project is {cue} {acronym}.")
            self.planted.partners.append(PlantedPartner(donor.label, acronym, donor.iri, "funder"))
        for line in lines:
            self.page.add(line, "")

    def local_partner(self) -> PlantedPartner:
        """A national NGO of the reference data, or one it does not know (the same few names
        recur across reports, as local partners do)."""
        rng = self.rng
        known = self.country.national_ngos
        if known and rng.random() < 0.3:
            org = rng.choice(known)
            acronym = org.acronyms[0] if org.acronyms else None
            return PlantedPartner(org.label, acronym, org.iri, "implementing-partner")
        name, acronym = _local_partners(self.country.code)[rng.randint(0, 24)]
        return PlantedPartner(name, acronym, None, "implementing-partner")

    def funding_and_teasers(self) -> None:
        """Numbers that are no figures: a budget, photo credits, dated news teasers."""
        rng = self.rng
        budget = _group(rng.randint(100, 900) * 10_000, ",")
        if self.lang == "fr":
            self.page.add(f"Budget du programme : {budget} EUR", "")
            self.page.add(
                f"© {rng.choice(['Seyba Keita', 'A. Diallo', 'M. Traoré'])} / {self.pub_name}"
            )
        else:
            self.page.add(f"Programme budget: USD {budget}", "")
            self.page.add(
                f"© {rng.choice(['Seyba Keita', 'J. Smith', 'A. Okello'])} / {self.pub_name}"
            )
        self.page.add("")
        for note in getattr(self, "context_notes", []):
            self.page.add(note)
        self.page.add("")
        self.page.add("Related news" if self.lang == "en" else "Articles liés")
        for _ in range(rng.randint(1, 3)):
            month = rng.choice(MONTHS[self.lang])
            day = rng.randint(1, 28)
            year = self.year + 1
            number = _group(rng.randint(2, 90) * 1000, "," if self.lang == "en" else " ")
            country = self.country.name[self.lang]
            if self.lang == "fr":
                self.page.add(
                    f"Reportage {day} {month} {year}",
                    f"{country} : les inondations touchent {number} personnes…",
                    "Lire la suite",
                )
            else:
                self.page.add(
                    f"Story {month} {day:02d}, {year}",
                    f"{country} floods affect {number} people as more rains are forecast…",
                    "Read more",
                )
        self.page.add(*self.rng.sample(BOILERPLATE_BOTTOM, 1))

    def write(self) -> tuple[str, dict[str, object], PlantedReport]:
        self.header()
        self.key_figures()
        self.outcome_sentences()
        self.presence()
        self.context()
        self.partners()
        self.funding_and_teasers()
        self.planted.places = sorted(set(self.planted.places))
        sidecar: dict[str, object] = {
            "publisher": self.pub_name,
            "country": self.country.code if self.rng.random() < 0.5 else self.country.name["en"],
            "language": self.lang,
            "title": f"{self.publisher.label} – {self.country.name[self.lang]} {self.year}",
        }
        if self.sidecar_year:
            sidecar["year"] = self.year
        return self.page.text(), sidecar, self.planted


@cache
def _local_partners(country: str) -> list[tuple[str, str]]:
    """25 local organisations of a country the reference data does not know: (name, acronym),
    acronyms unique (the loaders mint an organisation's IRI from its acronym)."""
    pick = random.Random(f"kg-synth-partners:{country}")  # noqa: S311 - not for secrets
    names = sorted(
        {f"{h} {p}" for h in LOCAL_NAME_PARTS["head"] for p in LOCAL_NAME_PARTS["purpose"]}
    )
    pick.shuffle(names)
    out: list[tuple[str, str]] = []
    used: set[str] = set()
    for name in names[:25]:
        words = [w for w in name.replace("'", " ").split() if w[0].isupper()]
        letters = "".join(w[0] for w in words)
        letters = unicodedata.normalize("NFKD", letters).encode("ascii", "ignore").decode().upper()
        acronym, n = f"{letters}-{country}", 2
        while acronym in used:
            acronym, n = f"{letters}{n}-{country}", n + 1
        used.add(acronym)
        out.append((name, acronym))
    return out


def synth_report(
    vocab: Vocabulary, seed: int, index: int
) -> tuple[str, dict[str, object], PlantedReport]:
    """Report number `index` of the corpus of `seed`: (text, sidecar, planted facts)."""
    rng = random.Random(f"kg-synth:{seed}:{index}")  # noqa: S311 - not for secrets
    return _Writer(vocab, rng, f"synth-{seed}-{index:06d}").write()


@dataclass(frozen=True)
class SynthResult:
    out: Path
    reports: int
    planted: Path


def generate(n: int, seed: int, out: Path, vocab: Vocabulary | None = None) -> SynthResult:
    """Write `n` reports with sidecars and `planted.jsonl` under `out` (created if needed).

    Files already there with other names are left alone; a report of the same name is
    overwritten. Reports go in sub-directories of 1,000 so no directory grows huge.
    """
    if n < 0:
        raise ValueError("the number of reports cannot be negative")
    vocab = vocab or Vocabulary()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    planted_path = out / "planted.jsonl"
    with planted_path.open("w", encoding="utf-8", newline="\n") as planted:
        for index in range(n):
            text, sidecar, facts = synth_report(vocab, seed, index)
            folder = out / f"{index // 1000:03d}"
            folder.mkdir(exist_ok=True)
            facts.file = f"{folder.name}/{facts.file}"
            (folder / f"{facts.report_id}.txt").write_text(text, encoding="utf-8", newline="\n")
            (folder / f"{facts.report_id}.yaml").write_text(
                _yaml(sidecar), encoding="utf-8", newline="\n"
            )
            planted.write(json.dumps(facts.to_json(), ensure_ascii=False, sort_keys=True) + "\n")
    return SynthResult(out, n, planted_path)


def _yaml(data: dict[str, object]) -> str:
    """A flat YAML mapping (json strings are valid YAML scalars)."""
    lines = []
    for key, value in data.items():
        lines.append(
            f"{key}: {value if isinstance(value, int) else json.dumps(value, ensure_ascii=False)}"
        )
    return "\n".join(lines) + "\n"


def read_planted(path: Path) -> list[PlantedReport]:
    """The facts `generate` planted, from its `planted.jsonl`."""
    reports = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        data["figures"] = [PlantedFigure(**f) for f in data["figures"]]
        data["partners"] = [PlantedPartner(**p) for p in data["partners"]]
        reports.append(PlantedReport(**data))
    return reports
