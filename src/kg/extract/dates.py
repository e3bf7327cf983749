"""Dates and periods as reports write them, in English, French and Spanish.

"2023", "September 2022", "31 March 2024", "March 31, 2024", "2024-03-31", "le 31 août 2022",
"31 de marzo de 2024", "January–June 2024", "2022-2023", "FY 2022/23", "since November 2015",
"depuis 2008", "desde marzo", "as of 31 March 2024", "au 31 août 2022", "al 30 de junio 2020".

Each becomes a `Period`: where it is, its first and last month, and how it relates to the
figures near it. A figure's year is the year its period ends; a period that only starts
("since November 2015") gives no year of its own: the figure is dated by the page, or not at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

PeriodKind = Literal["point", "range", "since", "as-of"]

MONTHS = {
    # English
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
    # French (folded: accents off)
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
    "janv": 1, "fevr": 2, "avr": 4, "juil": 7,
    # Spanish
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11,
    "diciembre": 12, "ene": 1, "abr": 4, "ago": 8, "dic": 12,
}  # fmt: skip


@dataclass(frozen=True)
class Period:
    """A date or period in the text: [start, end) offsets, first and last (year, month)."""

    start: int
    end: int
    kind: PeriodKind
    first: tuple[int, int | None] | None  # (year, month) the period starts in; None: open
    last: tuple[int, int | None] | None  # (year, month) it ends in; None: open ("since …")
    day: int | None = None  # the day of a full date (the last one)

    @property
    def year(self) -> int | None:
        """The year figures of this period are dated by: the year it ends in."""
        return self.last[0] if self.last else None

    def iso(self, which: Literal["first", "last"]) -> str | None:
        part = self.first if which == "first" else self.last
        if part is None:
            return None
        year, month = part
        if month is None:
            return f"{year:04d}"
        if which == "last" and self.day is not None:
            return f"{year:04d}-{month:02d}-{self.day:02d}"
        return f"{year:04d}-{month:02d}"


_MONTH = r"(?P<{name}>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<{name}>(?:19[5-9]\d|20\d\d))(?!\d)"
_DAY = r"(?P<{name}>[0-3]?\d)(?:st|nd|rd|th|er)?"


def _m(name: str) -> str:
    return _MONTH.format(name=name)


def _y(name: str) -> str:
    return _YEAR.format(name=name)


def _d(name: str) -> str:
    return _DAY.format(name=name)


_DE = r"(?:\s+de|\s+del)?"
# one date: "31 March 2024", "March 31, 2024", "31 de marzo de 2024", "marzo de 2024",
# "2024-03-31", "31/03/2024", "March 2024", "2024"
_ONE = (
    rf"(?:{_y('iy')}-(?P<im>[01]\d)(?:-(?P<id>[0-3]\d))?(?![\d-])"
    rf"|(?P<sd>[0-3]?\d)[/.](?P<sm>[01]?\d)[/.]{_y('sy')}"
    rf"|{_d('d1')}{_DE}\s+{_m('m1')}{_DE}[\s,]+{_y('y1')}"
    rf"|{_m('m2')}(?:(?<=\.)\s*|\s+){_d('d2')},?\s+{_y('y2')}"  # "Nov.12, 2017" too
    rf"|{_m('m3')}{_DE}[\s,]+{_y('y3')}"
    rf"|{_y('y4')})"
)
_ONE_RE = re.compile(r"(?<![\w\-/.])" + _ONE + r"(?![\w])")
_MONTH_ONLY_RE = re.compile(r"(?<![\w])" + _m("mo") + r"(?![\w])")
# "January–June 2024", "janvier-juin 2023", "de enero a junio de 2024", "2022-2023", "2022/23"
_RANGE_RE = re.compile(
    r"(?<![\w])(?:(?:from|between|de|du|entre|desde)\s+)?"
    rf"(?:{_m('ma')}|{_d('da')}\s+{_m('mb')})(?:{_DE}\s+{_y('ya')})?"
    r"[ \t]*(?:-|–|—|to|and|au|à|a|al|y|through|until|hasta)[ \t]*"
    rf"(?:{_m('mc')}|{_d('dc')}\s+{_m('md')}){_DE}[\s,]+{_y('yc')}(?![\w])"
    # "2022-2023", "2022/23" on one line (a "-" on the next line is a list's separator)
    rf"|(?<![\w\-/]){_y('ye')}[ \t]*(?:-|–|—|/|to|à|a)[ \t]*(?P<yf>(?:19|20)?\d\d)(?![\w\-/])"
)
_SINCE_RE = re.compile(
    # "since 2015", "since the start of 2022", "since its inception in 2008", "depuis le début
    # de 2020", "desde marzo": a few words may come between, not a clause boundary
    r"\b(?:since|ever\s+since|depuis|desde)\s+(?:[\w'’-]+\s+){0,6}?$"
)
_AS_OF_RE = re.compile(
    r"\b(?:as\s+(?:of|at)|up\s+to|until|by\s+the\s+end\s+of|by|at\s+the\s+end\s+of|"
    r"au|à\s+la\s+date\s+du|jusqu['’]au|fin|al|a\s+fecha\s+de|hasta\s+el|hasta|"
    r"a\s+finales\s+de|corte\s+al)\s+(?:(?:le|el|the)\s+)?$"
)


def find_periods(folded: str) -> list[Period]:
    """Every date and period of a (folded) text, longest first, never overlapping."""
    found: list[Period] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return not any(s < end and start < e for s, e in taken)

    for m in _RANGE_RE.finditer(folded):
        period = _range(m)
        if period is not None and free(m.start(), m.end()):
            found.append(period)
            taken.append((m.start(), m.end()))
    for m in _ONE_RE.finditer(folded):
        if not free(m.start(), m.end()):
            continue
        year, month, day = _parts(m)
        kind: PeriodKind = "point"
        before = folded[max(0, m.start() - 40) : m.start()]
        first: tuple[int, int | None] | None = (year, month)
        last: tuple[int, int | None] | None = (year, month)
        if _SINCE_RE.search(before):
            kind, last = "since", None
        elif _AS_OF_RE.search(before) and (month is not None or day is not None):
            kind, first = "as-of", None
        found.append(Period(m.start(), m.end(), kind, first, last, day))
        taken.append((m.start(), m.end()))
    return sorted(found, key=lambda p: p.start)


def _parts(m: re.Match[str]) -> tuple[int, int | None, int | None]:
    g = m.groupdict()
    if g["iy"]:
        return int(g["iy"]), int(g["im"]), int(g["id"]) if g["id"] else None
    if g["sy"]:
        month = int(g["sm"])
        return int(g["sy"]), month if 1 <= month <= 12 else None, int(g["sd"])
    if g["y1"]:
        return int(g["y1"]), MONTHS[g["m1"]], _day(g["d1"])
    if g["y2"]:
        return int(g["y2"]), MONTHS[g["m2"]], _day(g["d2"])
    if g["y3"]:
        return int(g["y3"]), MONTHS[g["m3"]], None
    return int(g["y4"]), None, None


def _day(text: str | None) -> int | None:
    if not text:
        return None
    value = int(text)
    return value if 1 <= value <= 31 else None


def _range(m: re.Match[str]) -> Period | None:
    g = m.groupdict()
    if g["ye"]:
        first_year = int(g["ye"])
        tail = g["yf"]
        last_year = int(tail) if len(tail) == 4 else first_year // 100 * 100 + int(tail)
        # "2022-14" is no period; "In 2002-2016, UNHCR assisted…" is one when both years are
        # written in full
        if not first_year < last_year <= first_year + (25 if len(tail) == 4 else 10):
            return None
        return Period(m.start(), m.end(), "range", (first_year, None), (last_year, None))
    last_year = int(g["yc"])
    first_year = int(g["ya"]) if g["ya"] else last_year
    first_month = MONTHS[g["ma"] or g["mb"]]
    last_month = MONTHS[g["mc"] or g["md"]]
    if first_year == last_year and first_month > last_month:
        first_year -= 1  # "November–March 2024" starts the year before
    return Period(
        m.start(), m.end(), "range", (first_year, first_month), (last_year, last_month),
        _day(g["dc"]),
    )  # fmt: skip


def month_only(folded: str, start: int, end: int) -> list[int]:
    """Month names with no year in [start, end) ("in September"): they say when within the
    page's year, not which year."""
    return [MONTHS[m.group("mo")] for m in _MONTH_ONLY_RE.finditer(folded, start, end)]
