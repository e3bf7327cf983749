"""Report text as the loaders see it: a folded copy with the same offsets, lines, sentences,
sections and the page furniture to ignore.

Folding (lower case, accents off, typographic apostrophes and spaces made plain) keeps one
character per character, so an offset found in the folded text is an offset in the original.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Any

from kg.folding import fold

BULLET_RE = re.compile(r"^\s*(?:[-•*▶►▪◦‣–—]\s*)+")
SENTENCE_END_RE = re.compile(r"(?<=[.!?])[\"')\]»]*\s+(?=[\"'(«]?[A-Z0-9À-Ý])")
YEAR_RE = re.compile(r"(?<![\d.,])(?:19[5-9]\d|20\d\d)(?![\d])")
FOOTNOTE_MARKS = "¹²³⁴⁵⁶⁷⁸⁹⁰"


@dataclass
class Line:
    start: int
    end: int
    text: str
    bullet: bool = False
    heading: bool = False
    boilerplate: bool = False
    footnote: str | None = None  # the marker, when the line is a footnote ("¹ World Bank 2022")


@dataclass
class Sentence:
    start: int
    end: int
    section: int  # index into Document.sections
    lead_in: tuple[int, int] | None = None  # the line introducing a bullet list
    block: int = 0  # sentences of one paragraph share a block number


@dataclass
class Section:
    heading: str
    start: int
    end: int


@dataclass
class Document:
    text: str
    folded: str
    lines: list[Line]
    sentences: list[Sentence] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    footnotes: dict[str, str] = field(default_factory=dict)
    _found: dict[int, list[Any]] = field(default_factory=dict)
    _memo: dict[Any, Any] = field(default_factory=dict)

    def found(self, matcher: Any, start: int = 0, end: int | None = None) -> list[Any]:
        """A lexicon's matches in [start, end), looked up once per document and per lexicon."""
        key = id(matcher)
        if key not in self._found:
            self._found[key] = matcher.find(self.text, self.folded)
        matches = self._found[key]
        end = len(self.text) if end is None else end
        lo = bisect_left(matches, start, key=lambda m: m.start)
        out = []
        for m in matches[lo:]:
            if m.start >= end:
                break
            if m.end <= end:
                out.append(m)
        return out

    def memo(self, key: Any, compute: Any) -> Any:
        """A value computed once per document (`compute()`), kept under `key`."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def is_boilerplate(self, offset: int) -> bool:
        line = self.line_at(offset)
        return line is not None and line.boilerplate

    def line_at(self, offset: int) -> Line | None:
        """The line holding offset (its end, the newline position, included)."""
        index = bisect_right(self.lines, offset, key=lambda line: line.start) - 1
        if index >= 0 and offset <= self.lines[index].end:
            return self.lines[index]
        return None

    def sentence_at(self, offset: int) -> Sentence | None:
        index = bisect_right(self.sentences, offset, key=lambda sentence: sentence.start) - 1
        if index >= 0 and offset < self.sentences[index].end:
            return self.sentences[index]
        return None


def _split_lines(text: str) -> list[Line]:
    lines = []
    pos = 0
    for raw in text.split("\n"):
        end = pos + len(raw)
        stripped = raw.rstrip("\r")
        lines.append(Line(pos, pos + len(stripped), stripped))
        pos = end + 1
    return lines


def _starts_with(folded_line: str, cues: list[str]) -> bool:
    return folded_line.startswith(tuple(cues))


_NUMBER_ONLY_RE = re.compile(
    # "more than 2,300", "plus de 1 250", "más de 2.300": a qualifier may open the line
    r"^\s*(?:(?:more\s+than|over|nearly|almost|about|around|some|up\s+to|approximately|"
    r"plus\s+d['’e]|près\s+d['’e]|environ|jusqu['’]à|más\s+de|casi|cerca\s+de|unos|unas|"
    r"alrededor\s+de|hasta|~|>|<)\s*)?"
    r"[\s\d.,\u00a0\u202f%+]*\d[\s\d.,\u00a0\u202f%+]*"
    r"(?:\s?(?:[MmKk]|bn|mn|million|millions|milliards?|billion|thousand|mille|%))?\s*$"
)


def is_number_only(text: str) -> bool:
    return bool(_NUMBER_ONLY_RE.match(text))


def _is_heading(line: Line, previous: Line | None, following: Line | None) -> bool:
    text = BULLET_RE.sub("", line.text).strip()
    if not text or line.bullet or len(text) > 80 or is_number_only(text):
        return False
    if previous is not None and is_number_only(previous.text.strip()):
        return False  # the label of a figure on the line above
    if text[-1] in ".,;!?" or not (text[0].isupper() or text[0] in "*#"):
        return False
    if re.search(r"\d", re.sub(r"(?<!\d)(?:19|20)\d\d(?!\d)", "", text)):
        return False  # a figure with its label, not a heading (years are fine: "In 2020")
    if text.endswith(":") and following is not None and not following.text.strip():
        return False
    words = text.split()
    return len(words) <= 10


def segment(
    text: str, boilerplate: dict[str, list[str]], months: frozenset[str] | set[str]
) -> Document:
    """Lines, headings, page furniture, sections and sentences of a report."""
    folded = fold(text)
    lines = _split_lines(text)
    for line in lines:
        line.bullet = bool(BULLET_RE.match(line.text)) and bool(line.text.strip("-•*▶►▪◦ \t"))
    _mark_boilerplate(lines, folded, boilerplate, months)
    nonempty = [i for i, line in enumerate(lines) if line.text.strip()]
    for pos, index in enumerate(nonempty):
        previous = lines[nonempty[pos - 1]] if pos > 0 else None
        following = lines[index + 1] if index + 1 < len(lines) else None
        lines[index].heading = _is_heading(lines[index], previous, following)
    doc = Document(text=text, folded=folded, lines=lines)
    _collect_footnotes(doc)
    _sections_and_sentences(doc)
    return doc


_TEASER_DATE_RE = re.compile(
    r"\b\d{1,2}\s+[a-z]{3,9}\.?\s+\d{4}\s*$|\b[a-z]{3,9}\.?\s+\d{1,2},\s+\d{4}\s*$"
)


def _mark_boilerplate(
    lines: list[Line], folded: str, cues: dict[str, list[str]], months: frozenset[str] | set[str]
) -> None:
    cues = {kind: [fold(c) for c in forms] for kind, forms in cues.items()}
    zone_start: int | None = None
    for i, line in enumerate(lines):
        text = folded[line.start : line.end].strip()
        text = BULLET_RE.sub("", text)
        if not text:
            continue
        if (_starts_with(text, cues.get("zone", [])) and line.start > len(folded) // 4) or (
            _is_url_line(text) and line.start > len(folded) // 2
        ):
            # a footer; "Actualités" or a contact address high on the page is a menu's tab
            zone_start = i
            break
        if _starts_with(text, cues.get("teaser", [])) and _TEASER_DATE_RE.search(text):
            zone_start = _teaser_block_start(lines, folded, i)
            break
    for i, line in enumerate(lines):
        text = BULLET_RE.sub("", folded[line.start : line.end].strip())
        if zone_start is not None and i >= zone_start:
            line.boilerplate = True
        elif text and (
            _starts_with(text, cues.get("line", []))
            # a photo credit on a line of its own (a long paragraph may end with one)
            or (len(text) < 200 and any(cue in text for cue in cues.get("credit", [])))
        ):
            line.boilerplate = True
            if any(cue in text for cue in cues.get("credit", [])):
                _mark_caption(lines, i)
        elif text and (
            _is_dateline(text, months) or (len(text) < 160 and _ADDRESS_RE.search(text))
        ):
            # a date on its own, a postal address or a phone number (an address is a short line:
            # "2017-2019, Street Child ran…" in a paragraph is no "2019, Street")
            line.boilerplate = True


_ADDRESS_RE = re.compile(
    r"\b\d+,?\s+(?:rue|avenue|av|boulevard|bd|chemin|route|allee)\b|\b\d+\s+(?:street|st|road|rd)\b"
    r"|\b(?:p\.?o\.? box|b\.?p\.?|cedex|tel|tél|phone|fax)\b[\s.:]*\+?\d"
)


def _is_url_line(text: str) -> bool:
    return bool(re.fullmatch(r"(?:https?://|www\.)\S+|\S+@\S+\.\S+", text))


def _is_dateline(text: str, months: frozenset[str] | set[str]) -> bool:
    """A line that is only a date ("August 2025", "19 November 2020")."""
    words = re.findall(r"[a-z]+|\d+", text)
    return (
        bool(words)
        and len(words) <= 4
        and any(w in months for w in words)
        and all(w in months or w.isdigit() for w in words)
    )


def _mark_caption(lines: list[Line], credit_index: int) -> None:
    for j in range(credit_index - 1, max(credit_index - 3, -1), -1):
        if lines[j].text.strip():
            if len(lines[j].text) < 80 and not lines[j].text.rstrip().endswith("."):
                lines[j].boilerplate = True
            return


def _teaser_block_start(lines: list[Line], folded: str, index: int) -> int:
    """Walk back over the short title lines that belong to the first teaser."""
    start = index
    j = index - 1
    while j >= 0:
        text = lines[j].text.strip()
        if not text:
            j -= 1
            continue
        if len(text) < 90 and not text.endswith("."):
            start = j
            j -= 1
            continue
        break
    return start


def _collect_footnotes(doc: Document) -> None:
    for line in doc.lines:
        text = line.text.strip()
        if text and text[0] in FOOTNOTE_MARKS:
            marker = text[0]
            doc.footnotes.setdefault(marker, text[1:].strip())
            line.footnote = marker


_JOIN_NEXT_RE = re.compile(r"[a-z,(\-]$")


def _bullet_follows(lines: list[Line], i: int) -> bool:
    following = next((line for line in lines[i + 1 :] if line.text.strip()), None)
    return following is not None and following.bullet


def _sections_and_sentences(doc: Document) -> None:
    doc.sections.append(Section("", 0, len(doc.text)))
    lines = doc.lines
    lead_in: tuple[int, int] | None = None
    block = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        text = line.text.strip()
        if not text or line.footnote:
            i += 1
            continue
        if line.heading and not line.boilerplate:
            doc.sections[-1].end = line.start
            doc.sections.append(Section(text, line.start, len(doc.text)))
            lead_in = None
            i += 1
            continue
        # a block: this line, plus following lines that continue it
        start_index = i
        while True:
            nxt = _next_continuation(lines, i)
            if nxt is None:
                break
            i = nxt
        block_start, block_end = lines[start_index].start, lines[i].end
        if not line.bullet:
            # "Key figures:" or a short sentence right above a list ("Below are some key
            # figures from our activities in 2022.") introduces it
            introduces = text.endswith(":") or (
                len(text) < 200 and text.endswith(".") and _bullet_follows(lines, i)
            )
            lead_in = (block_start, block_end) if introduces else None
        block += 1
        for s, e in _split_sentences(doc.text, block_start, block_end):
            doc.sentences.append(
                Sentence(s, e, len(doc.sections) - 1, lead_in if line.bullet else None, block)
            )
        i += 1


def _next_continuation(lines: list[Line], i: int) -> int | None:
    """Index of the line continuing line i's sentence, across a page break's blank lines."""
    if i + 1 < len(lines) and _continues(lines[i], lines[i + 1]):
        return i + 1
    cur = lines[i].text.strip()
    if cur and is_number_only(cur):  # "37,600" / (blank line) / "emergency room consultations"
        j = i + 1
        while j < len(lines) and j <= i + 2 and not lines[j].text.strip():
            j += 1
        label = lines[j].text.strip() if j < len(lines) else ""
        if (
            j > i + 1
            and label
            and not lines[j].bullet
            and not re.search(r"\d", label)
            and len(label.split()) <= 10
            and not label.endswith(":")
        ):
            return j
    if not cur or not re.search(r"[a-z]$", cur):
        return None
    j = i + 1
    while j < len(lines) and j <= i + 5 and not lines[j].text.strip():
        j += 1
    if j < len(lines) and j > i + 1 and lines[j].text.strip()[:1].islower() and not lines[j].bullet:
        return j
    return None


def _continues(current: Line, following: Line) -> bool:
    """Does the next line belong to the same sentence (a figure above its label, a wrapped line)?"""
    nxt = following.text.strip()
    cur = current.text.strip()
    if not nxt or following.bullet or following.footnote:
        return False
    if is_number_only(BULLET_RE.sub("", cur)):  # "• 2 460" / "personnes de retour …"
        return True
    if is_number_only(nxt):
        return bool(_JOIN_NEXT_RE.search(cur)) or cur.lower().endswith(" of")
    if cur.endswith((",", "(")) and len(cur) > 60:  # a wrapped list: "(WFP, WHO,\nUNICEF…"
        return True
    return bool(_JOIN_NEXT_RE.search(cur)) and nxt[:1].islower()


def _split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    pos = start
    chunk = text[start:end]
    for match in SENTENCE_END_RE.finditer(chunk):
        cut = start + match.start()
        if _abbreviation_before(text, cut):
            continue
        out.append((pos, cut))
        pos = start + match.end()
    out.append((pos, end))
    return [(s, e) for s, e in out if text[s:e].strip()]


def _abbreviation_before(text: str, cut: int) -> bool:
    word = re.search(r"(\w+)\.$", text[max(0, cut - 6) : cut])
    return bool(word and word.group(1) in {"Dr", "Mr", "Mrs", "Ms", "St", "No", "vs", "etc", "Inc"})
