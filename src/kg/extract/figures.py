"""Figures: a number, what was counted, whether it is the publisher's work or the situation,
its qualifier, year, places, sector and indicator — or the reason it is no figure.

One file: the rules that decide a figure's kind, year, qualifier and places read one another's
verdicts (a year rule asks whether the sentence is the publisher's, a kind rule asks for the
sentence's year), so they share one Context and one file rather than import each other in a
cycle.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field

from kg.extract.dates import Period, find_periods, month_only
from kg.extract.entities import OrgMention, PlaceMention, place_ref
from kg.extract.lexicons import Lexicons
from kg.extract.matcher import Match
from kg.extract.numbers import NumberMention
from kg.extract.text import BULLET_RE, FOOTNOTE_MARKS, Document, Sentence, fold, is_number_only
from kg.model import Figure, Named, PlaceRef, Unclassified
from kg.namespaces import entity

MAX_COUNTED_WORDS = 10
_CUT_WORDS = {
    "by",
    "due",
    "during",
    "since",
    "as",
    "although",
    "while",
    "which",
    "who",
    "whom",
    "that",
    "because",
    "thanks",
    "when",
    "where",
    "whereas",
    "but",
    "despite",
    "until",
    "between",
    "to",
    "dont",
    "qui",
    "que",
    "grace",
    "depuis",
    "pendant",
    "lorsque",
    "car",
    "mais",
    "quien",
    "quienes",
    "cuando",
    "donde",
    "gracias",
    "desde",
    "durante",
    "mientras",
    "pero",
    "aunque",
    "debido",
    "porque",
    "hasta",
}
_WORD_RE = re.compile(r"[\w'’\-]+|[^\w\s]")


@dataclass
class Context:
    """What the figure finder needs to know about the report beyond its text."""

    doc: Document
    lex: Lexicons
    publisher_iri: str | None
    publisher_mentions: list[OrgMention]
    places: list[PlaceMention]
    numbers: list[NumberMention]
    section_years: dict[int, int | None] = field(default_factory=dict)
    section_kinds: dict[int, str | None] = field(default_factory=dict)
    section_sectors: dict[int, str | None] = field(default_factory=dict)
    periods: list[Period] = field(default_factory=list)
    datelines: list[tuple[int, int]] = field(default_factory=list)  # (offset, year) of news items
    _sentence_index: dict[int, int] = field(default_factory=dict)
    _owned_cache: dict[int, bool] = field(default_factory=dict)
    _block_owned: dict[int, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        years = {n.start for n in self.numbers if n.role in ("year", "date") and n.value >= 1900}
        # a bare year counts only where the number finder saw a year ("2020 people" is a count)
        self.periods = [
            p
            for p in find_periods(self.doc.folded)
            if p.first is None or p.first[1] is not None or p.kind == "range" or p.start in years
        ]
        self._sentence_index = {s.start: i for i, s in enumerate(self.doc.sentences)}

    def cues_between(self, kind: str, start: int, end: int) -> list[Match]:
        """Cue matches of one kind lying within [start, end) (found once per document)."""
        matcher = self.lex.cues.get(kind)
        return self.doc.found(matcher, start, end) if matcher else []

    def periods_between(self, start: int, end: int) -> list[Period]:
        lo = bisect_left(self.periods, start, key=lambda p: p.start)
        hi = bisect_left(self.periods, end, key=lambda p: p.start)
        return self.periods[lo:hi]


def _cue_in(ctx: Context, kind: str, start: int, end: int) -> bool:
    return bool(ctx.cues_between(kind, start, end))


def _excluded_year(ctx: Context, p: Period) -> bool:
    """A year that dates no figure: "founded in 1998", "Début de la mission : 2016"."""
    return _cue_in(ctx, "year-exclusion", max(0, p.start - 24), p.start)


def annotate_sections(ctx: Context) -> None:
    """Year, whose-figures and sector carried by each section heading."""
    doc = ctx.doc
    for index, section in enumerate(doc.sections):
        s, e = section.start, section.start + len(section.heading)
        years = [p.year for p in ctx.periods_between(s, e) if p.year is not None]
        ctx.section_years[index] = years[-1] if years else None
        kind = None
        if section.heading:
            context_hit = ctx.cues_between("context-heading", s, e)
            outcome_hit = ctx.cues_between("outcome-heading", s, e)
            owned = _cue_in(ctx, "ownership", s, e) or any(
                s <= m.start < e for m in ctx.publisher_mentions
            )
            if ctx.cues_between("target-heading", s, e):
                kind = "target"
            elif ctx.cues_between("funding-heading", s, e):
                kind = "funding"
            elif outcome_hit and (owned or not context_hit):
                kind = "outcome"
            elif context_hit:
                kind = "context"
            elif owned:
                kind = "outcome"
            elif index > 0 and ctx.section_kinds.get(index - 1) in ("outcome", "target"):
                # a sub-heading ("Nutrition") under "Our activities in 2023" keeps its kind
                kind = ctx.section_kinds[index - 1]
                if ctx.section_years[index] is None:
                    ctx.section_years[index] = ctx.section_years.get(index - 1)
        ctx.section_kinds[index] = kind
        sectors = doc.found(ctx.lex.sectors, s, e) if section.heading else []
        ctx.section_sectors[index] = sectors[0].iri if sectors else None


@dataclass(frozen=True)
class PageYear:
    """The year a page gives its figures: of its data ("document") or its date ("publication")."""

    year: int
    source: str  # "document" | "publication"


_RESULTS_OF = re.compile(
    r"\b(?:results?|achievements|activities|highlights|review|annual report|bilan|resultats|"
    r"realisations|activites|rapport annuel|resultados|logros|actividades|informe anual|memoria)"
    r"\b[^.;:\n]{0,30}?\b(?:of|for|in|de|del|en|pour|para)\s+(?:the\s+year\s+|l'annee\s+|"
    r"el\s+ano\s+|ano\s+|annee\s+|year\s+)?((?:19|20)\d\d)\b"
)


def results_year(ctx: Context) -> int | None:
    """ "se presentaron los resultados y logros del año 2022", "our results for 2023": the
    year an opening sentence says the page's results are of."""
    for sentence in ctx.doc.sentences[:4]:
        m = _RESULTS_OF.search(ctx.doc.folded, sentence.start, sentence.end)
        if m and not ctx.doc.is_boilerplate(sentence.start):
            return int(m.group(1))
    return None


def page_year(ctx: Context, stated: int | None = None) -> PageYear | None:
    """The sidecar's year, else the year the page says its data are of (a line such as "Data
    from … Activity Report 2023", a reporting period, "as of 31 March 2024", a year in its
    title), else the date the page was published or updated (a dateline, "date 2022-10-20")."""
    if stated:
        return PageYear(stated, "document")
    year = document_year(ctx) or title_year(ctx) or results_year(ctx)
    if year is not None:
        return PageYear(year, "document")
    published = publication_year(ctx)
    return PageYear(published, "publication") if published is not None else None


def document_year(ctx: Context) -> int | None:
    """The year a line such as "Data from … Activity Report 2023" gives all the page's data."""
    doc = ctx.doc
    for line in doc.lines:
        if not line.text.strip() or line.footnote:
            continue
        period = _PERIOD_RE.search(doc.folded[line.start : line.end])
        if period and (
            _cue_in(ctx, "funding", line.start, line.end)
            or _cue_in(ctx, "target", line.start, line.end)
        ):
            period = None  # "funding requirements (January–June 2024)" dates a need, not data
        if line.boilerplate and not period:
            continue
        if not period and (
            len(line.text) > 120 or not _cue_in(ctx, "document-year", line.start, line.end)
        ):
            continue  # a document line is short: "Data from … Activity Report 2023"
        years = [
            p.year
            for p in ctx.periods_between(line.start, line.end)
            if p.year is not None and p.kind != "since" and not _excluded_year(ctx, p)
        ]
        if years:
            return years[-1]
    return _year_in_review(ctx)


# "En 2024, Médicos Sin Fronteras respondimos…", "In 2023, we reached…", "Durante 2022, …"
_REVIEW_LEAD = re.compile(
    r"(?:in|en|during|durante|throughout|over|au cours de|a lo largo de)\s+"
    r"(?:l['’]ann[ée]e\s+|el\s+a[ñn]o\s+|the\s+year\s+)?((?:19|20)\d\d)\s*,",
    re.IGNORECASE,
)


def _year_in_review(ctx: Context) -> int | None:
    """A page that opens by dating the publisher's own work ("En 2024, Médicos Sin Fronteras
    respondimos a múltiples emergencias…") and names no later year reviews that year."""
    first = next((s for s in ctx.doc.sentences if not ctx.doc.is_boilerplate(s.start)), None)
    if first is None or first.lead_in is not None:
        return None
    lead = _REVIEW_LEAD.match(ctx.doc.text, first.start, first.end)
    if lead is None or not _owned(ctx, first):
        return None
    year = int(lead.group(1))
    if any(p.first is not None and p.first[0] > year for p in ctx.periods):
        return None  # "In 2015, CARE opened an office…" on a page that goes on to 2023: history
    return year


_PUBLISHED = re.compile(
    r"^\s*(?:date|dated|published|posted|updated|last\s+updated|publi[eé]e?|mis\s+[aà]\s+jour|"
    r"publicad[oa]|actualizad[oa]|fecha)\b[\s:,-]*(?:on|le|el)?\s*$"
)


def publication_year(ctx: Context) -> int | None:
    """The page's own date near its top: "date 2022-10-20", "Published 3 May 2024", a line that
    is only a date, or a full date in its title."""
    doc = ctx.doc
    lines = [line for line in doc.lines if line.text.strip()][:6]
    for number, line in enumerate(lines):
        for p in ctx.periods_between(line.start, line.end):
            if p.year is None or p.kind == "since" or _excluded_year(ctx, p):
                continue
            lead = doc.folded[line.start : p.start]
            if _PUBLISHED.match(lead) or _is_date_line(ctx, line.start, line.end):
                return p.year
            titled = number == 0 or line.heading or _title_like(line.text)
            if titled and p.first is not None and p.first[1] is not None:
                # a title with a full date: "Country Brief, January 2025", "Gaza Situation
                # Updates 31/12/2008" (below a line of navigation)
                return p.year
    for line in [line for line in doc.lines if line.text.strip()][:16]:
        year = _news_dateline(ctx, line.start, line.end)
        if year is not None:
            return year
    return _written_in(ctx)


# "so far in 2015", "en lo que va de 2015", "depuis le début de l'année 2015": the page is
# written in that year
_SO_FAR_IN = re.compile(
    r"\b(?:so far in|to date in|thus far in|en lo que va de(?:l a[nñ]o)?|en lo que llevamos de|"
    r"depuis le debut de(?: l'annee)?|jusqu'ici en|a ce jour en)\s+((?:19|20)\d\d)\b"
)


def _written_in(ctx: Context) -> int | None:
    """An undated page dated by what it says of its own time: "so far in 2015", or the full
    date of the event its opening sentences report ("an earthquake hit … on Sunday Nov.12,
    2017, killing …") when no later year appears anywhere on the page."""
    doc = ctx.doc
    latest = max((p.year for p in ctx.periods if p.year is not None), default=None)
    for m in _SO_FAR_IN.finditer(doc.folded):
        if not doc.is_boilerplate(m.start()) and int(m.group(1)) == latest:
            return latest
    body = [s for s in doc.sentences if not doc.is_boilerplate(s.start)][:2]
    for sentence in body:
        if not _cue_in(ctx, "context", sentence.start, sentence.end):
            continue  # "Distribution ended on 5 March 2020" is no event the page reports
        for p in ctx.periods_between(sentence.start, sentence.end):
            if p.kind == "point" and p.day is not None and p.year == latest:
                return p.year
    return None


def _title_like(text: str) -> bool:
    """A short line that is no sentence: a title, not a paragraph's first line."""
    text = text.strip()
    return 0 < len(text) <= 90 and not re.search(r"[.!?;:,]\s+\S.*[.!?]$|[.!?]$", text)


# what may stand before a news item's date: its place ("MANILA (", "La Paz / Bolivia, ")
_DATELINE_LEAD = re.compile(r"[^\W\d_][\w .'/-]{0,48}?[,(]?\s*")
# what follows it: the dash, bracket or colon before the story ("… 2007 - UNICEF …")
_DATELINE_TAIL = re.compile(r"\s*\)?\s*[-–—:|]|\s*\)")


def _news_dateline(ctx: Context, start: int, end: int) -> int | None:
    """A news item's dateline opening its first paragraph, "MANILA (September 11, 2015) …",
    "La Paz / Bolivia, 20 de Febrero de 2007 - …": a place, a full date, then the story."""
    folded = ctx.doc.folded
    for p in ctx.periods_between(start, min(end, start + 80)):
        if p.year is None or p.kind != "point" or p.day is None:
            continue
        if _DATELINE_LEAD.fullmatch(folded, start, p.start) and _DATELINE_TAIL.match(
            folded, p.end, end
        ):
            return p.year
        if _PLACE_LEAD.fullmatch(ctx.doc.text, start, p.start) and not folded[p.end : end].strip():
            return p.year  # a line of its own: "CentralAsia, Tajikistan 05.09.2009"
    return None


# a dateline's place alone, every word capitalised ("La Paz / Bolivia, ", "Kabul, Afghanistan "):
# a line that ends with a date after it is a dateline, not a sentence ending "… on 5 March 2020"
_PLACE_LEAD = re.compile(r"(?:[A-ZÀ-Ý][\w'’.-]*[ ,/]*){1,4}")


def _is_date_line(ctx: Context, start: int, end: int) -> bool:
    """A line that is a date and nothing else (a dateline above a news item). A year alone
    on a line is no dateline: it is the value of a field ("début de la mission" / "2006")."""
    periods = ctx.periods_between(start, end)
    if len(periods) != 1 or periods[0].first is None or periods[0].first[1] is None:
        return False
    rest = ctx.doc.folded[start : periods[0].start] + ctx.doc.folded[periods[0].end : end]
    return not re.sub(r"[\W_]|\b(?:date|on|le|el|posted|published)\b", "", rest)


def datelines(ctx: Context) -> list[tuple[int, int]]:
    """(offset, year) of every line of the body that is only a date: the date of the news item
    or update below it."""
    out = []
    for line in ctx.doc.lines[6:]:
        if line.text.strip() and _is_date_line(ctx, line.start, line.end):
            year = ctx.periods_between(line.start, line.end)[0].year
            if year is not None:
                out.append((line.start, year))
    return out


# "January – March 2024", "janvier-juin 2023": a reporting period, not a publication date
_PERIOD_RE = re.compile(r"\b[a-z]{3,9}\.?\s*(?:[-–—]|to|à|au)\s*[a-z]{3,9}\.?\s+(?:19|20)\d\d\b")


def _sentence_bounds(sentence: Sentence) -> list[tuple[int, int]]:
    bounds = [(sentence.start, sentence.end)]
    if sentence.lead_in:
        bounds.append(sentence.lead_in)
    return bounds


def _sentence_year(ctx: Context, sentence: Sentence, number: NumberMention) -> int | None:
    period = sentence_period(ctx, sentence, number)
    return period.year if period is not None else None


def sentence_period(ctx: Context, sentence: Sentence, number: NumberMention) -> Period | None:
    """The date or period of the figure's sentence (or its list's lead-in) that dates it."""
    candidates = []
    for s, e in _sentence_bounds(sentence):
        for p in ctx.periods_between(s, e):
            if p.kind != "since" and _cue_in(ctx, "year-exclusion", max(s, p.start - 16), p.start):
                continue  # "founded in 1998"
            if _in_cited_title(ctx, p):
                continue
            candidates.append(p)
    if not candidates:
        return None
    before = [p for p in candidates if p.end <= number.start]
    after = [p for p in candidates if p.start >= number.end]
    if after:
        between = ctx.doc.text[number.end : after[0].start]
        others = [
            f for f in ctx.numbers if f.role == "figure" and number.end <= f.start < after[0].start
        ]
        # "11,200…, up from 7,850 in 2021": that year is the other figure's
        if not others or (not before and not _COMPARISON.search(between)):
            return after[0]
    if before:
        return before[-1]
    return None


_COMPARISON = re.compile(
    r"\b(?:up from|down from|compared (?:to|with)|against|versus|vs\.?|contre|par rapport à|"
    r"from\s+[\d,.\s]+\s+to)\b",
    re.IGNORECASE,
)


def paragraph_year(ctx: Context, sentence: Sentence) -> int | None:
    """A year stated by an earlier sentence of the same paragraph carries on ("In 2024, we
    trained… In addition, we trained 30 volunteers")."""
    doc = ctx.doc
    index = ctx._sentence_index[sentence.start]
    # "Our teams also distributed…", a paragraph opening "In addition, …": a continuation
    # carries the year across the paragraph break
    continues = _cue_in(ctx, "continuation", sentence.start, sentence.end)
    current = sentence
    for back, earlier in enumerate(reversed(doc.sentences[max(0, index - 12) : index]), 1):
        if earlier.block != current.block:
            opening = next(s for s in doc.sentences if s.block == current.block)
            opens = opening is not sentence and _cue_in(
                ctx, "continuation", opening.start, opening.end
            )
            across = (continues and back <= 3) or opens
            if earlier.section != sentence.section or not across:
                return None
            continues, current = False, earlier
        period = sentence_period(ctx, earlier, NumberMention(earlier.end, earlier.end, 0, ""))
        if period is not None and period.year is not None:
            return period.year
    return None


def relative_year(ctx: Context, sentence: Sentence) -> int | None:
    """A sentence dated only relative to a year ("by the end of the year", "para junio") takes
    the nearest year its paragraph names, before or after it."""
    doc = ctx.doc
    if not (
        _cue_in(ctx, "relative-year", sentence.start, sentence.end)
        or month_only(doc.folded, sentence.start, sentence.end)
    ):
        return None
    block = [s for s in doc.sentences if s.block == sentence.block and s is not sentence]
    block.sort(key=lambda s: (abs(s.start - sentence.start), s.start > sentence.start))
    for other in block:
        period = sentence_period(ctx, other, NumberMention(other.end, other.end, 0, ""))
        if period is not None and period.year is not None and period.kind != "since":
            return period.year
    return None


def _in_cited_title(ctx: Context, year: Period) -> bool:
    """ "Humanitarian Needs Overview 2023": a year that is part of a document's title."""
    before = ctx.doc.text[max(0, year.start - 30) : year.start]
    return bool(re.search(r"(?:Report|Overview|Plan|Survey|Rapport|Aperçu)\s+$", before))


_OUT_OF = re.compile(
    r"\s+(?:out\s+of|of\s+a\s+total\s+of|sur\s+(?:un\s+total\s+de\s+)?|"
    r"de\s+un\s+total\s+de|sobre)\s+(?:the\s+)?",
    re.IGNORECASE,
)
_RANGE_GAP = re.compile(r"\s*(?:-|–|—|to|à|a|y|and|et)\s*", re.IGNORECASE)
_RANGE_START = re.compile(r"(?:between|entre|from|de|desde)\s+$", re.IGNORECASE)


def _range_role(ctx: Context, number: NumberMention) -> str | None:
    """ "10,000–12,000 people", "between 10 and 20 villages": "lower" for the first number of a
    range (no figure of its own), "upper" for the second (the figure, at most)."""
    numbers = [n for n in ctx.numbers if n.role == "figure"]
    index = numbers.index(number)
    text = ctx.doc.text
    if index + 1 < len(numbers):
        nxt = numbers[index + 1]
        if _RANGE_GAP.fullmatch(text[number.end : nxt.start]) and nxt.value > number.value:
            joined = text[number.end : nxt.start].strip().lower()
            if joined not in {"and", "et", "y", "a", "à"} or _RANGE_START.search(
                text[max(0, number.start - 12) : number.start]
            ):
                return "lower"
    if index > 0:
        prev = numbers[index - 1]
        if _RANGE_GAP.fullmatch(text[prev.end : number.start]) and number.value > prev.value:
            joined = text[prev.end : number.start].strip().lower()
            if joined not in {"and", "et", "y", "a", "à"} or _RANGE_START.search(
                text[max(0, prev.start - 12) : prev.start]
            ):
                return "upper"
    return None


def _counted(ctx: Context, number: NumberMention, sentence: Sentence) -> tuple[str, int, int]:
    """The words for what was counted, after the number (or before it, "Consultations: 530")."""
    text = ctx.doc.text
    limit = sentence.end
    next_numbers = [n for n in ctx.numbers if n.start >= number.end and n.role == "figure"]
    start = number.end
    if next_numbers:
        total = _OUT_OF.match(text, number.end, next_numbers[0].start)
        if total and total.end() == next_numbers[0].start:
            # "1,200 out of 1,500 children": what was counted follows the total
            start = next_numbers[0].end
            next_numbers = next_numbers[1:]
    if next_numbers:
        limit = min(limit, next_numbers[0].start)
    words: list[tuple[int, int]] = []
    for m in _WORD_RE.finditer(text, start, limit):
        token = m.group(0)
        if all(c in FOOTNOTE_MARKS for c in token):
            continue
        if not token[0].isalnum():
            if token in {"-", "'", "’", "%"}:
                continue
            break
        low = token.lower()
        if words and low in _CUT_WORDS:
            break
        if (
            words
            and low in {"in", "en", "dans", "à", "au"}
            and _looks_like_when_or_where(text, m.end())
        ):
            break
        if words and low in {"and", "et", "y"} and _clause_follows(ctx, m.end(), limit):
            break
        words.append((m.start(), m.end()))
        if len(words) >= MAX_COUNTED_WORDS:
            break
    while words and text[words[0][0] : words[0][1]].lower() in {
        "of",
        "de",
        "d'",
        "d’",
        "des",
        "del",
    }:
        words.pop(0)
    if words and re.match(r"[dl]['’]", text[words[0][0] : words[0][0] + 2], re.IGNORECASE):
        words[0] = (words[0][0] + 2, words[0][1])  # "1,7 million d'enfants"
    while words and text[words[-1][0] : words[-1][1]].lower() in {
        "and",
        "or",
        "of",
        "the",
        "in",
        "with",
        "to",
        "for",
        "a",
        "et",
        "de",
        "des",
        "du",
        "la",
        "le",
        "les",
        "ou",
        "en",
        "au",
        "aux",
        "more",
        "over",
        "nearly",
        "almost",
        "about",
        "y",
        "o",
        "del",
        "el",
        "los",
        "las",
        "con",
        "para",
        "por",
        "al",
    }:
        words.pop()
    if words:
        s, e = words[0][0], words[-1][1]
        while e > s and text[e - 1] in FOOTNOTE_MARKS:
            e -= 1
        return re.sub(r"\s+", " ", text[s:e]).strip(" -"), s, e
    # nothing after: "Consultations: 530,000" or a label before the number on its line
    line = ctx.doc.line_at(number.start)
    if line is not None:
        label = _table_label(ctx, line.start, number)
        if label is not None:
            return label
        earlier = [n.end for n in ctx.numbers if sentence.start <= n.end <= number.start]
        begin = _clause_start(text, max([line.start, sentence.start, *earlier]), number.start)
        before = text[begin : number.start].strip(" :-–\t")
        before = re.split(r"\s(?:and|et|while|whereas|alors que)\s", before)[-1]
        words_before = before.split()
        if before and not re.search(r"\d", before) and len(words_before) <= 10:
            s = text.index(before, begin)
            return before, s, s + len(before)
    return "", number.end, number.end


def _table_label(
    ctx: Context, line_start: int, number: NumberMention
) -> tuple[str, int, int] | None:
    """ "Refugees and asylum-seekers: 484,600": the label before a colon on the figure's line."""
    text = ctx.doc.text
    earlier = [
        n.end for n in ctx.numbers if line_start <= n.end <= number.start and n.role == "figure"
    ]
    begin = max([line_start, *earlier])
    segment = text[begin : number.start]
    if not re.search(r"(?:[:=|]|\t)\s*$", segment):
        return None
    label = segment.rstrip(" :=|\t").lstrip(" |\t")
    label = BULLET_RE.sub("", label).lstrip(" ;,")
    cleaned = re.sub(r"\([^)]*\)", "", label)
    cleaned = "".join(c for c in cleaned if c not in FOOTNOTE_MARKS).strip()
    if not cleaned or re.search(r"\d", cleaned) or len(cleaned.split()) > 10:
        return None
    start = text.index(label, begin)
    return re.sub(r"\s+", " ", cleaned), start, start + len(label)


def _looks_like_when_or_where(text: str, pos: int) -> bool:
    rest = text[pos : pos + 30]
    return bool(
        re.match(
            r"\s+(?:(?:19|20)\d\d\b|[A-ZÀ-Ý]|(?:the|la|le|el|les|los|las|l['’])\s*[A-ZÀ-Ý]|"
            r"all\b|each\b|tout|toda|todo|[a-z]+\s+(?:19|20)\d\d\b)",
            rest,
        )
    )


def _clause_follows(ctx: Context, pos: int, limit: int) -> bool:
    """After "and"/"et": does a new clause start (a verb, a pronoun, another figure)?"""
    text = ctx.doc.text
    rest = text[pos:limit]
    m = re.match(r"\s+([\w'’]+)", rest)
    if not m:
        return False
    word = m.group(1).lower()
    if word.endswith("ed") or word in {"we", "our", "they", "it", "nous", "ils", "elles"}:
        return True
    word_start = pos + m.start(1)
    hit = ctx.cues_between("outcome-verb", word_start, limit)
    if hit and hit[0].start == word_start:
        return True
    ahead = ctx.doc.folded[word_start : min(limit, word_start + 40)]
    if re.match(r"(?:\S+\s+){0,2}\d", ahead):
        return True
    quals = ctx.lex.qualifiers.find(text, ctx.doc.folded, word_start, min(limit, word_start + 40))
    return bool(quals and quals[0].start - word_start <= 20)


def _qualifier(ctx: Context, number: NumberMention) -> str:
    doc = ctx.doc
    start = max(0, number.start - 40)
    for m in reversed(doc.found(ctx.lex.qualifiers, start, number.start)):
        gap = doc.folded[m.end : number.start]
        if gap.strip() == "" and "\n\n" not in gap:
            return m.iri.rsplit("/", 1)[-1]
    sign = doc.text[max(0, number.start - 3) : number.start].replace("#", "").strip()
    if sign.endswith(("~", "≈", "±", "+/-")):
        return "approximately"  # "~ #2,250 parcels"
    if sign.endswith((">", "≥")) or doc.text[number.end : number.end + 1] == "+":
        return "at-least"  # "> 500", "12,000+"
    if sign.endswith(("<", "≤")):
        return "at-most"
    return "approximately" if number.approximate else "exact"


def _cited_source(ctx: Context, number: NumberMention, sentence: Sentence) -> str | None:
    text = ctx.doc.text
    for pos in range(number.end, sentence.end):
        if text[pos] in FOOTNOTE_MARKS and text[pos] in ctx.doc.footnotes:
            return ctx.doc.footnotes[text[pos]]
    m = re.search(
        r"(?:according to|selon|d'après|source\s*:)\s*([^,.;]+)",
        text[sentence.start : sentence.end],
        re.IGNORECASE,
    )
    if m:
        return m.group(1).strip()
    m = re.match(
        r"\s*((?:The\s+)?[A-Z][\w\- ]{1,60}?)\s+(?:estimates|estimated|reports|reported|says)\b",
        text[sentence.start : number.start],
    )
    return m.group(1).strip() if m else None


def _classify(
    ctx: Context, number: NumberMention, sentence: Sentence, counted_end: int
) -> tuple[str | None, str | None]:
    """("outcome" | "context" | None, reason when None)."""
    doc = ctx.doc
    previous = [n for n in ctx.numbers if n.end <= number.start and n.start >= sentence.start]
    window_start = max([sentence.start] + [n.end for n in previous if n.role == "figure"])
    clause_end = _clause_end(doc.text, counted_end, sentence.end)
    # "600 refugees set to be resettled": a plan told just after what it counts
    target_end = min(clause_end, counted_end + 12)
    following = [n for n in ctx.numbers if n.start >= number.end and n.role == "figure"]
    if following and _OUT_OF.fullmatch(doc.text[number.end : following[0].start]):
        target_end = number.end  # "1,150 out of 1,300 planned deliveries": the total is planned
    if ctx.section_kinds.get(sentence.section) == "target" or _cue_in(
        ctx, "target", sentence.start, target_end
    ):
        return None, "a target or plan, not a result"
    if ctx.section_kinds.get(sentence.section) == "funding":
        return None, "a money amount or budget share (funding)"
    near_start = max(sentence.start, number.start - 25)  # "Funded: 17%", "Budget : 3,5 M"
    near_end = min(clause_end, number.end + 25)
    if number.unit == "money" or _cue_in(ctx, "funding", near_start, near_end):
        return None, "a money amount (funding)"
    if _footnoted(ctx, number, sentence):
        return "context", None
    lead = doc.text[window_start : number.start]
    if number.unit == "percent" and _RESTATES.search(lead):
        # "… ont reçu chacun 75 000 francs CFA. Cela représente 62 % des ménages sinistrés": the
        # share of the work told just before, whatever the words after it describe
        index = ctx._sentence_index.get(sentence.start, 0)
        before = ctx.doc.sentences[index - 1] if index > 0 else None
        if before is not None and _cue_in(ctx, "outcome-verb", before.start, before.end):
            return "outcome", None
    if _NUMBER_OF.search(lead) and _cue_in(ctx, "context", window_start, number.start):
        return "context", None  # "le nombre de réfugiés syriens atteint 1,8 million"
    if _cue_in(ctx, "outcome-verb", window_start, number.start):
        return "outcome", None
    if previous and _coordinated_outcome(ctx, number, sentence, previous):
        return "outcome", None  # "we distributed 1 million tablets and 100 kits"
    verbs_after = ctx.cues_between("outcome-verb", number.end, clause_end)
    status = ctx.cues_between("status-verb", number.end, clause_end)
    if (
        verbs_after
        and status
        and {(m.start, m.end) for m in verbs_after} <= {(m.start, m.end) for m in status}
        and _cue_in(ctx, "context", number.end, verbs_after[0].start)
    ):
        return "context", None  # "4,350 new arrivals registered": a status, not a service
    if verbs_after and (
        _cue_in(ctx, "ownership", number.end, clause_end)
        or any(number.end <= m.start < clause_end for m in ctx.publisher_mentions)
        or _owned_paragraph(ctx, sentence)
        or ctx.section_kinds.get(sentence.section) == "outcome"
        or not _cue_in(ctx, "context", number.end, verbs_after[0].start)
    ):
        return "outcome", None  # "98,500 children were admitted for treatment"
    if _cue_in(ctx, "context", number.end, clause_end) or _cue_in(
        ctx, "context", window_start, number.start
    ):
        return "context", None
    section_kind = ctx.section_kinds.get(sentence.section)
    owned = _owned(ctx, sentence)
    if section_kind == "context" and not owned:
        return "context", None
    if owned or section_kind == "outcome":
        return "outcome", None
    return None, UNCLEAR


UNCLEAR = "not clearly the publisher's work or the situation"
# "Cela représente 62 % des ménages sinistrés", "which represents 40% of", "lo que representa"
_RESTATES = re.compile(
    r"\b(?:represent(?:s|ing)?|repr[ée]sente(?:nt)?|representa(?:n)?|corresponds?\s+to|"
    r"correspond(?:ent)?\s+[àa]|corresponde(?:n)?\s+a|equals?|[ée]quivaut\s+[àa]|"
    r"equivale(?:n)?\s+a)\s+(?:about\s+|environ\s+|alrededor\s+de(?:l)?\s+|"
    r"près\s+de\s+|some\s+|casi\s+|almost\s+|nearly\s+)?$",
    re.IGNORECASE,
)
_DEMONSTRATIVE = re.compile(
    r"\b(?:these|those|ces|estos|estas|esos|esas|dichos|dichas)\s+$",
    re.IGNORECASE,
)
_NUMBER_OF = re.compile(
    r"\b(?:the\s+(?:number|total|count)\s+of|le\s+nombre\s+(?:de|d['’])|"
    r"el\s+n[uú]mero\s+de|la\s+cifra\s+de|le\s+total\s+(?:de|d['’]))\b",
    re.IGNORECASE,
)
_RATIO_AFTER = re.compile(
    r"\s+(?:de\s+cada|out\s+of\s+every|in\s+every|sur\s+(?=\d))\s*", re.IGNORECASE
)

_COORDINATED = re.compile(
    r"^[^.;:!?\n]*?(?:,\s*|\s+(?:and|et|y|as well as|ainsi que|así como|plus)\s+)"
    r"(?:(?:more than|over|nearly|about|plus d['’e]|près d['’e]|más de|casi)\s+)?$",
    re.IGNORECASE,
)


def _coordinated_outcome(
    ctx: Context, number: NumberMention, sentence: Sentence, previous: list[NumberMention]
) -> bool:
    """The number is the next object of the verb before the previous one: "nous avons
    distribué un million de comprimés et plus d'une centaine de kits"."""
    figures = [n for n in previous if n.role == "figure"]
    if not figures:
        return False
    last = figures[-1]
    window_start = max(
        [sentence.start] + [n.end for n in previous if n.role == "figure" and n is not last]
    )
    return bool(
        _cue_in(ctx, "outcome-verb", window_start, last.start)
        and _COORDINATED.match(ctx.doc.text[last.end : number.start])
        and not _cue_in(ctx, "context", last.end, number.start)
    )


def _kind_of_indicator(ctx: Context, phrase: str) -> str | None:
    """With no cue either way, what was counted decides: consultations are work, deaths are not."""
    indicators = ctx.lex.reference.indicators
    matches = ctx.lex.indicators.find(phrase, fold(phrase))
    if not matches:
        return None
    best = min(matches, key=lambda m: (m.start, -(m.end - m.start), m.iri))
    return indicators[best.iri].figure_kind


def _owned(ctx: Context, sentence: Sentence) -> bool:
    if sentence.start not in ctx._owned_cache:
        ctx._owned_cache[sentence.start] = any(
            _cue_in(ctx, "ownership", s, e) or any(s <= m.start < e for m in ctx.publisher_mentions)
            for s, e in _sentence_bounds(sentence)
        )
    return ctx._owned_cache[sentence.start]


def _owned_paragraph(ctx: Context, sentence: Sentence) -> bool:
    """The paragraph speaks of the publisher's work ("ALIMA continued… 133 were trained")."""
    if sentence.block not in ctx._block_owned:
        for other in ctx.doc.sentences:
            ctx._block_owned[other.block] = ctx._block_owned.get(other.block, False) or _owned(
                ctx, other
            )
    return ctx._block_owned.get(sentence.block, False)


def _footnoted(ctx: Context, number: NumberMention, sentence: Sentence) -> bool:
    """A footnote mark after the figure, before the next figure: a cited source."""
    nxt = [n.start for n in ctx.numbers if n.start > number.end and n.role == "figure"]
    end = min([sentence.end, *nxt])
    return any(ctx.doc.text[p] in FOOTNOTE_MARKS for p in range(number.end, end))


def _clause_start(text: str, start: int, pos: int) -> int:
    """Start of the clause holding pos: after the last comma, semicolon or colon before it."""
    cut = max(text.rfind(c, start, pos) for c in ",;:")
    return cut + 1 if cut >= 0 else start


def _clause_end(text: str, pos: int, limit: int) -> int:
    m = re.compile(r"[,;:.!?\n]").search(text, pos, limit)
    return m.start() if m else limit


def _indicator(ctx: Context, verb_and_counted: str, kind: str) -> str | None:
    matches = ctx.lex.indicators.find(verb_and_counted, fold(verb_and_counted))
    indicators = ctx.lex.reference.indicators
    fitting = [m for m in matches if indicators[m.iri].figure_kind in (kind, None)]
    if fitting:
        best = min(fitting, key=lambda m: (m.start, -(m.end - m.start), m.iri))
        return best.iri
    return None


def _verb_before(ctx: Context, number: NumberMention, sentence: Sentence) -> str:
    start = max(sentence.start, number.start - 40)
    hits = ctx.cues_between("outcome-verb", start, number.start)
    return hits[-1].text if hits else ""


def _places_for(ctx: Context, sentence: Sentence) -> list[PlaceMention]:
    out: list[PlaceMention] = []
    for s, e in _sentence_bounds(sentence):
        out.extend(p for p in ctx.places if s <= p.start < e)
    if not out:  # "Far North Region" as the heading of the section the figure is in
        section = ctx.doc.sections[sentence.section]
        end = section.start + len(section.heading)
        out.extend(p for p in ctx.places if section.start <= p.start < end)
    return out


def _named(ctx: Context, iri: str | None) -> Named | None:
    if iri is None:
        return None
    concept = ctx.lex.reference.concept(iri)
    return Named(concept.label if concept else iri.rsplit("/", 1)[-1], iri)


def _sector(ctx: Context, counted: str, indicator: str | None, sentence: Sentence) -> str | None:
    hits = ctx.lex.sectors.find(counted, fold(counted))
    if hits:
        return hits[0].iri
    if indicator:
        concept = ctx.lex.reference.indicators.get(indicator)
        if concept and concept.sector:
            return concept.sector
    for s, e in _sentence_bounds(sentence):
        hits = ctx.doc.found(ctx.lex.sectors, s, e)
        if hits:
            return hits[0].iri
    return ctx.section_sectors.get(sentence.section)


_AGE_BEFORE = re.compile(
    r"(?:children|child|infants|girls|boys|enfants|filles|garçons|people|personnes)\s+"
    r"(?:under|below|over|aged|of under|under the age of|de moins de|de plus de|âgés de|"
    r"âgées de|de)\s*$",
    re.IGNORECASE,
)

_NON_FIGURE_REASONS = {
    "year": "a year",
    "date": "part of a date",
    "ordinal": "an ordinal",
    "code": "part of a name, code or address",
}


def extract_figures(
    ctx: Context, doc_year: PageYear | None
) -> tuple[list[Figure], list[Unclassified]]:
    """Figures and the numbers that became none, each with its reason."""
    doc = ctx.doc
    figures: list[Figure] = []
    unclassified: list[Unclassified] = []
    for number in ctx.numbers:

        def skip(reason: str, n: NumberMention = number) -> None:
            unclassified.append(Unclassified(n.text, n.start, n.end, reason, n.value))

        if doc.is_boilerplate(number.start):
            skip("page furniture (navigation, teaser, caption, contact or footer)")
            continue
        line = doc.line_at(number.start)
        if line is not None and line.footnote:
            skip("in a footnote (" + _NON_FIGURE_REASONS.get(number.role, "a source") + ")")
            continue
        if number.role != "figure":
            skip(_NON_FIGURE_REASONS[number.role])
            continue
        if _AGE_BEFORE.search(doc.text, max(0, number.start - 40), number.start):
            skip("an age (children under five), not a count")
            continue
        sentence = doc.sentence_at(number.start)
        if sentence is None:
            skip("in a heading, not a sentence")
            continue
        earlier = [n for n in ctx.numbers if n.role == "figure" and n.end <= number.start]
        following = [n for n in ctx.numbers if n.role == "figure" and n.start >= number.end]
        if (following and _RATIO_AFTER.fullmatch(doc.text[number.end : following[0].start])) or (
            earlier and _RATIO_AFTER.fullmatch(doc.text[earlier[-1].end : number.start])
        ):
            skip("a proportion ('3 de cada 10', '1 in every 4'), not a count")
            continue
        in_range = _range_role(ctx, number)
        if in_range == "lower":
            skip("the lower end of a range (the upper end is the figure)")
            continue
        if earlier and _OUT_OF.fullmatch(doc.text[earlier[-1].end : number.start]):
            skip("the total another figure is counted against ('out of')")
            continue
        counted, c_start, c_end = _counted(ctx, number, sentence)
        peer = _coordinated(ctx, figures, number, sentence)
        elided = _ELIDED_NOUN.match(doc.text, number.end, max(number.end, c_start))
        if peer is not None and (not counted or _LOCATIVE.match(counted) or elided):
            # "104,873 persons in Sofala, 37,560 in Manica"; "56 kits de alimentos y 50 de
            # abrigo": the second figure counts what the first does
            counted = peer.counted
        if not counted:
            kind, reason = _classify(ctx, number, sentence, number.end)
            skip(reason if kind is None and reason else "nothing counted follows the number")
            continue
        kind, reason = _classify(ctx, number, sentence, c_end)
        verb = _verb_before(ctx, number, sentence)
        whole = _whole_of(ctx, figures, number, sentence)
        if whole is not None:
            kind, reason = whole.kind, None  # "…, of whom 126,575 were Syrian refugees"
        elif peer is not None:
            kind, reason = peer.kind, None  # one verb governs the whole list
        if kind is None and reason == UNCLEAR:
            kind = _kind_of_indicator(ctx, f"{verb} {counted}".strip())
        if kind is None:
            skip(reason or "unclassified")
            continue
        indicator = _indicator(ctx, f"{verb} {counted}".strip(), kind)
        head = counted.split()[0].lower().strip(".,")
        if indicator is None and head in ctx.lex.place_types:
            if _DEMONSTRATIVE.search(doc.text, max(0, number.start - 12), number.start):
                skip("places named before, counted again ('these two departments')")
                continue
            if kind != "outcome":
                skip("a count of places the situation concerns, not of people or services")
                continue
            indicator = str(entity("indicator", "areas-covered"))  # "in 5 states", "15 douars"
        clause_end = _clause_end(doc.text, c_end, sentence.end)
        clause_start = _clause_start(doc.text, sentence.start, number.start)
        explicit = (
            bool(verb)
            or bool(ctx.cues_between("outcome-verb", number.end, clause_end))
            or bool(ctx.cues_between("context", clause_start, clause_end))
            or (ctx.section_kinds.get(sentence.section) == "outcome" and _key_figure(ctx, number))
        )
        if not explicit or not _countable(ctx, counted):
            counted = _of_which(ctx, figures, number, sentence, counted)
        governed = bool(verb) and verb in doc.text[max(0, number.start - 25) : number.start]
        if _staff(ctx, counted) and not governed:  # "trained 200 staff" is work
            skip("a count of the publisher's staff, not of its work")
            continue
        if (
            indicator is None
            and number.unit != "percent"
            and not _countable(ctx, counted, None if explicit else UNCLEAR)
        ):
            skip("what was counted is not recognised: " + counted)
            continue
        sector = _sector(ctx, counted, indicator, sentence)
        period = sentence_period(ctx, sentence, number)
        year = period.year if period is not None else None
        source = "sentence" if year is not None else "none"
        since = period if period is not None and period.kind == "since" else None
        if year is None and kind == "outcome" and since is None:
            year = paragraph_year(ctx, sentence)  # a narrative's year carries to its next sentences
            source = "section" if year is not None else "none"
        if year is None and since is None:
            year = relative_year(ctx, sentence)  # "A finales de año, … habían atendido 7.600 …"
            source = "section" if year is not None else "none"
        if year is None and since is None and ctx.section_years.get(sentence.section) is not None:
            year, source = ctx.section_years[sentence.section], "section"
        cited = _cited_source(ctx, number, sentence) if kind == "context" else None
        if year is None and cited:  # "¹ World Bank 2022": the cited document's year
            cited_years = set(re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", cited))
            if len(cited_years) == 1:
                year, source = int(cited_years.pop()), "document"
        if year is None:
            year, source = _page_year(ctx, number.start, doc_year)
            if cited and source == "publication":
                year, source = None, "none"  # a cited figure: its source's date, not the page's
        start, end = min(number.start, c_start), max(number.end, c_end)
        places = _places_for(ctx, sentence)
        figures.append(
            Figure(
                kind=kind,  # type: ignore[arg-type]
                value=number.value,
                qualifier=_range_qualifier(ctx, number, in_range),  # type: ignore[arg-type]
                counted=counted,
                quote=doc.text[start:end],
                start=start,
                end=end,
                indicator=_named(ctx, indicator),
                sector=_named(ctx, sector),
                year=year,
                year_source=source,  # type: ignore[arg-type]
                period_start=period.iso("first") if period is not None else None,
                period_end=period.iso("last") if period is not None else None,
                places=_unique_places(places),
                unit="percent" if number.unit == "percent" else "count",
                cited_source=cited,
                part_of=whole.start if whole is not None else None,
            )
        )
    return figures, unclassified


_ELIDED_NOUN = re.compile(r"\s+(?:de|del|d['’]|of)\s*$", re.IGNORECASE)
_LOCATIVE = re.compile(r"(?:in|en|à|dans|au|aux|at)\s", re.IGNORECASE)
# what may stand between two figures of one list: the first one's place, then ", " or "and"
_COORDINATED_GAP = re.compile(
    r"(?:\s*\([^()]{1,20}\))?(?:\s+(?:in|en|à|dans|au|aux|at)\s+[^,;.()\d]{1,40}?)?"
    r"(?:\s*[,;]\s*(?:and\s+|et\s+|y\s+|e\s+)?|\s+(?:and|et|y|e)\s+)"
)


def _coordinated(
    ctx: Context, figures: list[Figure], number: NumberMention, sentence: Sentence
) -> Figure | None:
    """The figure this one is listed after in the same sentence, one verb governing both:
    "assisted 104,873 persons in Sofala, 37,560 in Manica and 45,375 in Gaza"."""
    if not figures:
        return None
    last = figures[-1]
    if last.start < sentence.start or last.end > number.start:
        return None
    if _COORDINATED_GAP.fullmatch(ctx.doc.text, last.end, number.start):
        return last
    return None


def _page_year(ctx: Context, offset: int, doc_year: PageYear | None) -> tuple[int | None, str]:
    """The year a page's own dates give a figure: the news item's dateline above it, else the
    year the page says its data are of, else the page's date of publication."""
    above = [year for start, year in ctx.datelines if start < offset]
    if above:
        return above[-1], "publication"
    if doc_year is not None:
        return doc_year.year, doc_year.source
    return None, "none"


def work_sectors(ctx: Context) -> list[str]:
    """The sectors the publisher works in by the text, not only by its figures: sectors and
    counted things (indicators, whose sector the vocabulary gives) named in its own sentences
    and in the headings and lists of its own sections ("we run mobile clinics", "Areas of
    intervention: Nutrition"), never in the context it describes. A sub-sector brings the
    sector above it when the page also names that one ("health" and "vaccination")."""
    doc, lex = ctx.doc, ctx.lex
    found: list[str] = []
    spans: list[tuple[int, int]] = []
    for sentence in doc.sentences:
        if doc.is_boilerplate(sentence.start):
            continue
        kind = ctx.section_kinds.get(sentence.section)
        if kind in ("context", "target", "funding"):
            continue
        owned = _owned(ctx, sentence) or kind == "outcome"
        working = owned or bool(ctx.cues_between("outcome-verb", sentence.start, sentence.end))
        # "IFRC is scaling up water treatment … as refugees stream in": the publisher's own
        # sentence names its work even beside the situation; a sentence with only a verb of
        # work and words of the situation may be about someone else's
        if working and (owned or not ctx.cues_between("context", sentence.start, sentence.end)):
            spans.append((sentence.start, sentence.end))
    for index, section in enumerate(doc.sections):
        if section.heading and ctx.section_kinds.get(index) == "outcome":
            spans.append((section.start, section.start + len(section.heading)))
    for start, end in spans:
        for m in doc.found(lex.sectors, start, end):
            found.append(m.iri)
        for m in doc.found(lex.indicators, start, end):
            concept = lex.reference.indicators.get(m.iri)
            if concept is not None and concept.sector and concept.figure_kind != "context":
                found.append(concept.sector)
    return list(dict.fromkeys(found))


def _key_figure(ctx: Context, number: NumberMention) -> bool:
    """A figure alone on its line, its label on the next: a key-figures box."""
    line = ctx.doc.line_at(number.start)
    return line is not None and is_number_only(line.text)


_OF_WHICH = re.compile(
    r"(?:dont|including|of whom|of which|among them|parmi lesquels|parmi lesquelles|soit)\s*$",
    re.IGNORECASE,
)


def _of_which(
    ctx: Context, figures: list[Figure], number: NumberMention, sentence: Sentence, counted: str
) -> str:
    """ "1.7 million children…, of whom 430,000 severely": the part counts what the whole did."""
    if not _OF_WHICH.search(ctx.doc.text[max(sentence.start, number.start - 30) : number.start]):
        return counted
    whole = [f for f in figures if sentence.start <= f.start < number.start]
    return f"{whole[-1].counted} {counted}".strip() if whole else counted


_PART_CUE = re.compile(
    r"(?:dont|including|incl\.|of whom|of which|among them|among whom|comprising|"
    r"parmi lesquels|parmi lesquelles|parmi eux|parmi elles|y compris|soit|"
    r"de los cuales|de las cuales|entre ellos|entre ellas|incluidos|incluidas|incluyendo)"
    r"[\s:(]*$",
    re.IGNORECASE,
)


def _whole_of(
    ctx: Context, figures: list[Figure], number: NumberMention, sentence: Sentence
) -> Figure | None:
    """The headline figure this one breaks down: "134 patients, of whom 25 former cases and 109
    new ones" (both parts of 134). A part is linked to its whole and never added to it."""
    text = ctx.doc.text
    before = text[max(sentence.start, number.start - 40) : number.start]
    earlier = [f for f in figures if sentence.start <= f.start < number.start]
    if not earlier:
        return None
    if _PART_CUE.search(before):
        return next(
            (f for f in reversed(earlier) if f.part_of is None and f.value > number.value), None
        )
    whole = next((f for f in reversed(earlier) if f.part_of is None), None)
    if (
        whole is not None
        and whole.value > number.value
        and text.count("(", whole.end, number.start) > text.count(")", whole.end, number.start)
    ):
        return whole  # "490 packs distributed (376 in Hanwella; 50 in Thunnana; …)"
    last = earlier[-1]
    gap = text[last.end : number.start]
    if last.part_of is not None and re.fullmatch(r"\s*(?:,|and|et|y|,\s*and|;)\s*", gap):
        whole = next((f for f in earlier if f.start == last.part_of), None)
        if whole is not None and whole.value > number.value:
            return whole  # "… and 109 new ones"
    return None


def _range_qualifier(ctx: Context, number: NumberMention, in_range: str | None) -> str:
    return "at-most" if in_range == "upper" else _qualifier(ctx, number)


def _staff(ctx: Context, counted: str) -> bool:
    """ "116 national staff", "4 Personnel expatrié": the publisher's own staff."""
    words = [w.lower() for w in re.findall(r"[\w'’-]+", counted)[:3]]
    return any(w in ctx.lex.staff_nouns for w in words)


def _countable(ctx: Context, counted: str, reason: str | None = None) -> bool:
    """Is this something counted (people, litres, kits) rather than days of life or a page?"""
    words = [w.lower() for w in re.findall(r"[\w'’-]+", counted)[:4]]
    if not words or words[0] in ctx.lex.time_units:
        return False
    if any(w in ctx.lex.numbers.count_nouns for w in words):
        return True
    return reason != UNCLEAR and words[0].replace("-", "").isalpha()  # a cue said whose it is


def _unique_places(places: list[PlaceMention]) -> list[PlaceRef]:
    seen: dict[str, PlaceRef] = {}
    for p in places:
        seen.setdefault(p.iri, place_ref(p))
    return list(seen.values())


def title_year(ctx: Context) -> int | None:
    """ "INONDATIONS 2024 : LA CROIX-ROUGE…": the year in the page's first heading; or a year
    alone on a line just below the title ("Tanzania - Refugees\n\n2017"), unless the line
    above names what the year is of ("Début de la mission\n2016")."""
    lines = [line for line in ctx.doc.lines if line.text.strip()][:3]
    for above, line in zip(lines, lines[1:], strict=False):
        if re.fullmatch(r"\s*(?:19|20)\d\d\s*", line.text) and not _cue_in(
            ctx, "year-exclusion", above.start, above.end
        ):
            return int(line.text.strip())
    for index, section in enumerate(ctx.doc.sections):
        if section.heading:
            # a year, not a date: "updated March 2024" is when the page was written
            years = {
                p.year
                for p in ctx.periods_between(section.start, section.start + len(section.heading))
                if p.year is not None
                and p.kind in ("point", "range")
                and p.first
                and p.first[1] is None
                and not _excluded_year(ctx, p)
            }
            if index <= 3 and len(years) == 1:
                return int(years.pop())
    return None


def single_year(ctx: Context) -> int | None:
    """The one year a page's text names (twice or more, no other year named): a page about
    that year. Years of founding, of a period's start or in a cited title do not count."""
    years: Counter[int] = Counter()
    for p in ctx.periods:
        if p.year is None or p.kind == "since" or ctx.doc.is_boilerplate(p.start):
            continue
        if _in_cited_title(ctx, p) or _excluded_year(ctx, p):
            continue
        line = ctx.doc.line_at(p.start)
        # a year in a title-like line ("Mapa de proyectos de MSF en Irán en 2024") says what
        # the page is about as plainly as two mentions in its text
        years[p.year] += 2 if line is not None and _title_like(line.text) else 1
    if len(years) == 1:
        year, count = next(iter(years.items()))
        return year if count >= 2 else None
    return None


def dated_outcomes_year(figures: list[Figure]) -> int | None:
    """The one year the page's outcomes state in their own sentences, if they agree."""
    years = {f.year for f in figures if f.kind == "outcome" and f.year_source == "sentence"}
    return years.pop() if len(years) == 1 else None


def infer_document_year(figures: list[Figure], doc: Document) -> int | None:
    """The one year the page's dated outcomes state, when at least two sentences state it and
    none states another: a page of 2022 figures. One dated sentence dates only itself."""
    dated = set()
    for f in figures:
        if f.kind == "outcome" and f.year_source == "sentence":
            sentence = doc.sentence_at(f.start)
            dated.add((f.year, sentence.start if sentence is not None else f.start))
    years = Counter(year for year, _ in dated)
    if len(years) != 1:
        return None
    year, count = next(iter(years.items()))
    return year if count >= 2 else None


def merge_repeats(figures: list[Figure], text: str) -> tuple[list[Figure], list[Unclassified]]:
    """A key-figures box and the body often state the same figure: keep one, say so."""
    kept: list[Figure] = []
    repeats: list[Unclassified] = []
    for fig in figures:
        twin = next(
            (
                k
                for k in kept
                if k.value == fig.value
                and k.kind == fig.kind
                and k.unit == fig.unit
                and not _side_by_side(k, fig, text)
                and (
                    k.indicator == fig.indicator
                    or k.counted.lower() == fig.counted.lower()
                    or fig.value >= 1000  # the same large number twice is one figure
                )
            ),
            None,
        )
        if twin is None:
            kept.append(fig)
            continue
        better, worse = (fig, twin) if _richness(fig) > _richness(twin) else (twin, fig)
        better.cited_source = better.cited_source or worse.cited_source
        better.sector = better.sector or worse.sector
        better.indicator = better.indicator or worse.indicator
        if better is fig:
            kept[kept.index(twin)] = fig
        repeats.append(
            Unclassified(
                worse.quote,
                worse.start,
                worse.end,
                f"repeats the figure at {better.start}-{better.end}",
                worse.value,
            )
        )
    return kept, repeats


def _side_by_side(a: Figure, b: Figure, text: str) -> bool:
    """ "13 deep tube wells and 13 shallow tube wells": two things counted in one clause list,
    no repeat (a page restates a figure in another sentence or line)."""
    first, second = sorted((a, b), key=lambda f: f.start)
    between = text[first.end : second.start]
    return a.counted.lower() != b.counted.lower() and bool(_LIST_JOINT.fullmatch(between))


# what joins two figures of one list: "13 deep tube wells and 13 shallow tube wells"
_LIST_JOINT = re.compile(r"[^.!?;:\n]{0,30}?(?:,|\band\b|\bet\b|\by\b|\be\b)[^.!?;:\n\d]{0,12}")


def _richness(fig: Figure) -> tuple[int, int, int, int]:
    """Which of two statements of one figure says more: a stated year, places, a qualifier."""
    return (
        int(fig.year_source == "sentence") + int(fig.year is not None),
        len(fig.places),
        int(fig.qualifier != "exact"),
        len(fig.counted),
    )
