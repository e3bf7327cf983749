"""Numbers as reports write them: `154,399`, `843.827`, `12 345`, `3,5 millions`, `1.5 M`,
`half a million`, `five`, `cinq`, percentages, money, years and the numbers inside dates.

Every run of digits in the text comes out of `find_numbers` with a role, so the caller can say
why a number became no figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Literal

Role = Literal["figure", "year", "date", "ordinal", "code"]
Unit = Literal["count", "percent", "money"]

_DIGITS = re.compile(
    r"(?<![\w.,/\-])"
    # thousands grouped by a comma, a dot, a space or (Swiss usage) an apostrophe: "22’400"
    r"(?P<int>\d{1,3}(?:(?P<sep>[,.\u00a0\u202f '’])\d{3}(?![\d]))(?:(?P=sep)\d{3}(?!\d))*|\d+)"
    r"(?P<dec>[.,]\d+(?![.,]?\d))?"
)
_ANY_DIGITS = re.compile(r"\d+")
_NUMERIC_DATE = re.compile(
    r"(?<![\d.,/\-])(?:[0-3]?\d[./][01]?\d[./](?:19|20)\d\d|(?:19|20)\d\d-[01]\d-[0-3]\d)"
    r"(?![\d./\-])"
)
# "5-liter bottles", "46-bed hospital", "20 kg bags": a size that describes what is counted
_MEASURE_AFTER = re.compile(
    r"(?:-|\s)(?:lit(?:re|er)s?|l|kg|kilos?|kilograms?|g|grams?|tonnes?|tons?|mt|m3|m²|km|"
    r"meters?|metres?|gallons?|beds?|pieces?|piece)\b(?!\s+(?:of|de)\b)",
    re.IGNORECASE,
)
# a number that names a phase, level or item rather than counting: "IPC Phase 3", "fase 4",
# "niveau 2", "No. 12", "n° 5", "Situation Report #7"
_LABEL_BEFORE = re.compile(
    r"\b(?:phases?|fases?|level|levels|niveau|niveaux|nivel|niveles|grade|category|"
    r"categorie|categoria|no\.|nos\.|n°|nº|number|numero|report|rapport|informe|"
    r"sitrep|bulletin|boletin|update|version|article|articulo|chapter|chapitre)"
    r"(?:\s+(?:and|et|y|to|à|a|of|de))?\s*[#(]?\s*$"
)
_RANGE_AFTER = re.compile(r"\s*(?:à|a|to|-|–)\s*\d+\s*(?:mois|months?|ans|years?|jours|days?)\b")
_NON_COUNT_UNIT = re.compile(r"\s?(?:mo|ko|go|mb|kb|gb|px|pdf)\b")
_ORDINAL_SUFFIX = re.compile(r"(?:st|nd|rd|th|er|ère|e|ème|eme)(?![a-zà-ÿ])", re.IGNORECASE)
_WORD = re.compile(r"[a-zà-ÿœæ]+(?:'[a-z]+)?", re.IGNORECASE)
_WORD_OR_ELISION = re.compile(r"\b[dlj]'(?=[a-z])|[a-zà-ÿœæ]+(?:'[a-z]+)?", re.IGNORECASE)


@dataclass(frozen=True)
class NumberMention:
    start: int
    end: int
    value: float
    text: str
    unit: Unit = "count"
    role: Role = "figure"
    written: bool = False
    approximate: bool = False  # "une dizaine", "un centenar": a round number, about


@dataclass(frozen=True)
class NumberLexicon:
    """The word lists numbers need, from `data/lexicon/` (see `kg.reference.loader`)."""

    words: dict[str, tuple[float, str]]  # number words: value, kind
    scales: dict[str, float]
    percent: tuple[str, ...]
    currency: tuple[str, ...]
    months: frozenset[str]
    count_nouns: frozenset[str]
    # ISO 4217 codes, matched in capitals beside a number: "60,000.00 LKR", "XOF 5 000 000"
    currency_codes: frozenset[str] = frozenset()


def parse_digits(token: str) -> float:
    """Value of a digit token: a separator before exactly three digits groups thousands;
    otherwise the last `.` or `,` is the decimal mark (`2,4` is 2.4; `843.827` is 843827)."""
    token = token.replace("\u00a0", " ").replace("\u202f", " ").strip()
    m = _DIGITS.fullmatch(token)
    if m is None:
        digits = re.sub(r"[^\d.,]", "", token)
        return float(digits.replace(",", ".")) if digits else 0.0
    integer = re.sub(r"[,. '’]", "", m.group("int"))
    decimal = m.group("dec")
    value = float(integer)
    if decimal:
        value = float(f"{integer}.{decimal[1:]}")
    return value


def find_numbers(text: str, folded: str, lex: NumberLexicon) -> list[NumberMention]:
    """Every number in the text, digits or words, with its role."""
    found: list[NumberMention] = []
    covered: list[tuple[int, int]] = []
    for m in _NUMERIC_DATE.finditer(text):  # "24.05.2016", "31/03/2024", "2024-03-31"
        for part in _ANY_DIGITS.finditer(text, m.start(), m.end()):
            found.append(
                NumberMention(
                    part.start(), part.end(), float(part.group(0)), part.group(0), role="date"
                )
            )
        covered.append((m.start(), m.end()))
    for m in _DIGITS.finditer(text):
        if any(s <= m.start() < e for s, e in covered):
            continue
        mention = _digit_mention(text, folded, m, lex)
        found.append(mention)
        covered.append((mention.start, max(mention.end, m.end())))
    for m in _ANY_DIGITS.finditer(text):
        if any(s <= m.start() < e for s, e in covered):
            continue
        found.append(NumberMention(m.start(), m.end(), float(m.group(0)), m.group(0), role="code"))
    found.extend(_word_numbers(text, folded, lex, covered))
    found.sort(key=lambda n: (n.start, n.end))
    return found


def _digit_mention(text: str, folded: str, m: re.Match[str], lex: NumberLexicon) -> NumberMention:
    start, end = m.start(), m.end()
    raw = m.group(0)
    value = parse_digits(raw)
    after = folded[end : end + 40]
    # glued to letters: an ordinal (1st, 2e) or a code (COVID-19 is caught by the look-behind)
    if _ORDINAL_SUFFIX.match(after) and not _glued_noun(after, lex):
        return NumberMention(start, end, value, raw, role="ordinal")
    if _LABEL_BEFORE.search(folded[max(0, start - 24) : start]):
        return NumberMention(start, end, value, raw, role="code")  # "IPC Phase 3", "n° 12"
    before = text[start - 1] if start > 0 else ""
    # "#2,250 cooked food parcels" in a list is a count; "#12" glued to a word is a code
    hash_code = before == "#" and start >= 2 and text[start - 2].isalnum()
    if before and (before.isalpha() or before in "-_/@" or hash_code):
        return NumberMention(start, end, value, raw, role="code")
    unit: Unit = "count"
    scale_end = end
    scale = _scale_after(after, lex)
    if scale is not None:
        factor, length = scale
        value = float(Decimal(str(value)) * Decimal(str(factor)))  # 4.1 million is 4100000
        scale_end = end + length
        rest = _SMALLER_PART.match(folded, scale_end)
        smaller = _scale_after(folded[rest.end(1) : rest.end(1) + 20], lex) if rest else None
        if rest and smaller is not None and smaller[0] < factor:
            # "7 million 500 thousand": one number written in two parts
            value += int(rest.group(1)) * smaller[0]
            scale_end = rest.end(1) + smaller[1]
    pct = _percent_after(folded[scale_end : scale_end + 12], lex)
    if pct:
        unit = "percent"
        scale_end += pct
    if _currency_near(folded, start, scale_end, lex) or _currency_code_near(
        text, start, scale_end, lex.currency_codes
    ):
        unit = "money"
    span_text = text[start:scale_end]
    is_plain = m.group("sep") is None and m.group("dec") is None and scale is None
    if is_plain and unit == "count" and len(raw) == 4 and 1900 <= value <= 2100:
        next_word = _next_word(folded, end)
        if next_word not in lex.count_nouns:
            role: Role = "date" if _month_near(folded, start, end, lex) else "year"
            return NumberMention(start, end, value, raw, role=role)
    if is_plain and unit == "count" and value <= 31 and _month_near(folded, start, end, lex):
        return NumberMention(start, end, value, raw, role="date")
    if _RANGE_AFTER.match(folded, scale_end) or _NON_COUNT_UNIT.match(folded, scale_end):
        return NumberMention(start, end, value, raw, role="code")  # "6 à 59 mois", "3,2 Mo"
    if text[scale_end : scale_end + 1] == "-" and _MEASURE_AFTER.match(folded, scale_end):
        return NumberMention(start, end, value, raw, role="code")  # "5-liter water bottles"
    return NumberMention(start, scale_end, value, span_text, unit=unit)


_SMALLER_PART = re.compile(r"\s+(?:and\s+|et\s+|y\s+)?([1-9]\d{0,2})(?=\s?[a-zà-ÿ])")


def _glued_noun(after: str, lex: NumberLexicon) -> bool:
    word = _WORD.match(after)
    return bool(word and len(word.group(0)) > 3)


def _scale_after(after: str, lex: NumberLexicon) -> tuple[float, int] | None:
    m = re.match(r"(\s?)([a-zà-ÿ]+)(?![a-zà-ÿ])", after)
    if not m:
        return None
    word = m.group(2)
    if word not in lex.scales:
        return None
    if len(word) <= 2 and word not in {"m", "k", "bn", "mn"}:
        return None
    return lex.scales[word], m.end()


def _percent_after(after: str, lex: NumberLexicon) -> int:
    m = _percent_pattern(lex.percent).match(after)
    return m.end() if m else 0


@cache
def _percent_pattern(percent: tuple[str, ...]) -> re.Pattern[str]:
    forms = sorted(percent, key=len, reverse=True)
    alts = "|".join(re.escape(f) + (r"(?![a-z])" if f[-1].isalpha() else "") for f in forms)
    return re.compile(rf"\s?(?:{alts})")


def _currency_near(folded: str, start: int, end: int, lex: NumberLexicon) -> bool:
    before_re, after_re = _currency_patterns(lex.currency)
    return bool(
        before_re.search(folded, max(0, start - 8), start)
        or after_re.match(folded, end, min(len(folded), end + 14))
    )


_CODE_BEFORE = re.compile(r"(?<![\w])([A-Z]{3})\s?$")
_CODE_AFTER = re.compile(r"\s?([A-Z]{3})(?![\w])")


def _currency_code_near(text: str, start: int, end: int, codes: frozenset[str]) -> bool:
    before = _CODE_BEFORE.search(text, max(0, start - 4), start)
    after = _CODE_AFTER.match(text, end, min(len(text), end + 4))
    return bool(before and before.group(1) in codes or after and after.group(1) in codes)


@cache
def _currency_patterns(currency: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A currency word or sign just before the number, or just after it."""
    forms = sorted(currency, key=len, reverse=True)
    alts = "|".join(re.escape(c) + (r"(?![a-z])" if c[-1].isalpha() else "") for c in forms)
    lead = "|".join((r"(?<![a-z])" if c[0].isalpha() else "") + re.escape(c) for c in forms)
    return re.compile(rf"(?:{lead})\s*$"), re.compile(rf"\s*(?:{alts})")


def _next_word(folded: str, end: int) -> str:
    m = _WORD.match(folded, end) or re.match(r"\s+([a-zà-ÿ]+)", folded[end : end + 30])
    if m is None:
        return ""
    return m.group(1) if m.lastindex else m.group(0)


_BEFORE_RE = re.compile(r"([A-Za-z]+)\.?[\s,]*(?:\d{1,2}(?:st|nd|rd|th)?[\s,]*)?$")
_AFTER_RE = re.compile(
    r"[\s,]*(?:\d{1,2}(?:st|nd|rd|th|er)?[\s,]+)?(?:(?:de|of|del)\s+)?([A-Za-z]+)"
)  # "30 June", "30 de junio", "1er mars", "the 3rd of May"


def _month_near(folded: str, start: int, end: int, lex: NumberLexicon) -> bool:
    """Is the number part of a date: a month name just before or just after it?"""
    before = _BEFORE_RE.search(folded[max(0, start - 24) : start])
    after = _AFTER_RE.match(folded, end)
    return bool(
        (before and before.group(1).lower() in lex.months)
        or (after and after.group(1).lower() in lex.months)
    )


_STOP_AFTER_WORD_NUMBER = {
    "of",
    "to",
    "in",
    "on",
    "the",
    "at",
    "who",
    "which",
    "that",
    "or",
    "and",
    "is",
    "was",
    "de",
    "des",
    "du",
    "d",
    "l",
    "la",
    "le",
    "les",
    "qui",
    "que",
    "et",
    "ou",
    "a",
    "an",
    "by",
    "for",
    "from",
    "with",
    "than",
    "day",
    "year",
    "years",
    "time",
    "way",
}


def _word_numbers(
    text: str, folded: str, lex: NumberLexicon, covered: list[tuple[int, int]]
) -> list[NumberMention]:
    # "d'une centaine", "l'un": the elided article is a token of its own
    tokens = [(m.start(), m.end(), m.group(0)) for m in _WORD_OR_ELISION.finditer(folded)]
    out: list[NumberMention] = []
    i = 0
    while i < len(tokens):
        run = _number_run(tokens, i, folded, lex)
        if run is None:
            i += 1
            continue
        j, value = run
        start, end = tokens[i][0], tokens[j - 1][1]
        if any(s < end and start < e for s, e in covered):
            i = j
            continue
        following = tokens[j][2] if j < len(tokens) else ""
        if j == i + 1 and tokens[i][2] in {"un", "une", "una", "uno"}:
            i = j  # the French or Spanish article, not the number one
            continue
        gap = folded[end : tokens[j][0]] if j < len(tokens) else ""
        last_kind = lex.words.get(tokens[j - 1][2], (0, ""))[1]
        approximate = last_kind == "approx"
        if (
            approximate
            and j + 1 < len(tokens)
            and following in {"de", "d'", "d"}
            and lex.words.get(tokens[j + 1][2], (0, ""))[1] == "scale"
        ):  # "une dizaine de milliers": about 10,000
            value *= lex.words[tokens[j + 1][2]][0]
            end = tokens[j + 1][1]
            j += 2
            following = tokens[j][2] if j < len(tokens) else ""
            gap = folded[end : tokens[j][0]] if j < len(tokens) else ""
            last_kind = "scale"
        # "un million de personnes", "une dizaine d'enfants", "dos millones de": "of" is fine
        # after a scale or a round number
        of_after = last_kind in {"scale", "approx"} and following in {
            "de",
            "d",
            "d'",
            "of",
            "des",
            "del",
        }
        if (
            following
            and (following not in _STOP_AFTER_WORD_NUMBER or of_after)
            and gap.strip() in {"", "'", "’"}
        ):
            if not text[start].isupper() or start == 0 or _sentence_initial(text, start):
                out.append(
                    NumberMention(
                        start, end, value, text[start:end], written=True, approximate=approximate
                    )
                )
        i = j
    return out


def _sentence_initial(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?:\n-•▶"


def _number_run(
    tokens: list[tuple[int, int, str]], i: int, folded: str, lex: NumberLexicon
) -> tuple[int, float] | None:
    """A maximal run of number words starting at token i: (index after the run, value)."""
    words = lex.words
    first = tokens[i][2]
    if first not in words:
        return None
    kind = words[first][1]
    if kind == "approx":
        return None  # "des centaines", "dizaines de milliers": a vague plural, no figure
    if kind == "scale" and first.endswith("s"):
        return None  # "Millions of its people", "des milliers de familles": no number
    # "une centaine", "un millier", "una decena": an article and a round number (not "a
    # decenas de miles", where "a" is a preposition before a vague plural)
    if (
        kind in {"unit", "article"}
        and words[first][0] == 1
        and i + 1 < len(tokens)
        and words.get(tokens[i + 1][2], (0, ""))[1] == "approx"
        and not tokens[i + 1][2].endswith("s")
    ):
        return i + 2, words[tokens[i + 1][2]][0]
    # "half a million", "a million", "a thousand"
    if kind in {"fraction", "article"}:
        k = i + 1
        factor = words[first][0]
        if (
            kind == "fraction"
            and k < len(tokens)
            and words.get(tokens[k][2], (0, ""))[1] == "article"
        ):
            k += 1
        if k < len(tokens) and words.get(tokens[k][2], (0, ""))[1] == "scale":
            if _hyphen_joined(folded, tokens, i, k + 1):
                return None
            return k + 1, factor * words[tokens[k][2]][0]
        return None
    total = 0.0
    current = 0.0
    j = i
    last_was_number = False
    while j < len(tokens):
        word = tokens[j][2]
        gap = folded[tokens[j - 1][1] : tokens[j][0]] if j > i else ""
        if j > i and gap.strip() not in {"", "-"}:
            break
        if word in {"and", "et", "y"} and last_was_number and j + 1 < len(tokens):
            nxt = words.get(tokens[j + 1][2])
            if nxt and nxt[1] == "unit" and current % 10 == 0 and current:
                j += 1
                last_was_number = False
                continue
            break
        entry = words.get(word)
        if entry is None or entry[1] in {"article", "fraction"}:
            break
        value, kind = entry
        if kind == "unit":
            current += value
        elif kind == "approx":  # "trois centaines", "dos centenares"
            current = (current or 1) * value
            j += 1
            break
        else:
            current = (current or 1) * value
            if value >= 1000:
                total += current
                current = 0
        last_was_number = True
        j += 1
    if j == i:
        return None
    if _hyphen_joined(folded, tokens, i, j):
        return None
    return j, total + current


def _hyphen_joined(folded: str, tokens: list[tuple[int, int, str]], i: int, j: int) -> bool:
    """ "six-year" or "one-third": a number word inside a compound word is no count."""
    end = tokens[j - 1][1]
    return end < len(folded) and folded[end] == "-"
