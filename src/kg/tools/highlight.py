"""A report as an HTML page with every extracted span highlighted by kind, for curators.

Outcomes, context figures, places, partners, organisations, sectors and unclassified numbers
each get a colour; the extracted value and reading sit beside the span, so a curator checks a
report at a glance (`kg extract REPORT --format html`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from kg.model import Extraction

KINDS = {
    "outcome": ("#c8f7c5", "Outcome: the publisher's own work"),
    "context": ("#fde2b8", "Context figure: the situation"),
    "place": ("#cfe3ff", "Place of work"),
    "partner": ("#f3d1f4", "Partner"),
    "organisation": ("#eadcf8", "Organisation named"),
    "sector": ("#d9f2f2", "Sector"),
    "unclassified": ("#e6e6e6", "A number that became no figure (hover for the reason)"),
}


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str
    note: str


def spans(extraction: Extraction) -> list[Span]:
    out: list[Span] = []
    for fig in extraction.outcomes + extraction.context_figures:
        value = f"{fig.value:,.0f}" if float(fig.value).is_integer() else str(fig.value)
        note = (
            f"{fig.qualifier} {value}{'%' if fig.unit == 'percent' else ''} — {fig.counted}"
            f" | indicator: {fig.indicator.label if fig.indicator else '—'}"
            f" | sector: {fig.sector.label if fig.sector else '—'}"
            f" | year: {fig.year if fig.year else '—'} ({fig.year_source})"
        )
        if fig.cited_source:
            note += f" | source: {fig.cited_source}"
        out.append(Span(fig.start, fig.end, fig.kind, note))
    for p in extraction.partners:
        out.append(
            Span(p.start, p.end, "partner", f"{p.label}: {p.role}" + (" (new)" if p.new else ""))
        )
    for m in extraction.mentions:
        out.append(Span(m.start, m.end, m.kind, m.label))
    for u in extraction.unclassified:
        out.append(Span(u.start, u.end, "unclassified", u.reason))
    return sorted(out, key=lambda s: (s.start, -(s.end - s.start)))


def render(text: str, extraction: Extraction) -> str:
    """The whole HTML page (self-contained: no scripts, no external resources)."""
    body = _mark(text, spans(extraction))
    legend = "".join(
        f'<span class="k {k}">{html.escape(label)}</span> ' for k, (_, label) in KINDS.items()
    )
    styles = "".join(f".{k}{{background:{colour}}}" for k, (colour, _) in KINDS.items())
    pub = extraction.publisher.label if extraction.publisher else "unknown publisher"
    country = extraction.country.label if extraction.country else "unknown country"
    title = html.escape(f"{extraction.meta.report_id} — {pub}, {country}")
    counts = (
        f"{len(extraction.outcomes)} outcomes, {len(extraction.context_figures)} context figures, "
        f"{len(extraction.partners)} partners, {len(extraction.places)} places, "
        f"{len(extraction.unclassified)} unclassified"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>"
        "body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.6}"
        "pre{white-space:pre-wrap;font-family:inherit}"
        "mark{padding:0 .1em;border-radius:.2em;color:inherit}"
        "mark .v{font-size:.75em;color:#333;background:#fff8;margin-left:.3em;"
        "border:1px solid #aaa;border-radius:.2em;padding:0 .2em}"
        ".k{padding:.1em .4em;border-radius:.2em;margin-right:.3em;font-size:.85em}"
        f"{styles}</style></head><body><h1>{title}</h1><p>{counts}</p><p>{legend}</p>"
        f"<pre>{body}</pre></body></html>\n"
    )


def _mark(text: str, items: list[Span]) -> str:
    """Nest-free highlighting: a span inside an earlier one is shown in the tooltip only."""
    parts: list[str] = []
    pos = 0
    notes_inside: dict[int, list[str]] = {}
    kept: list[Span] = []
    for span in items:
        if kept and span.start < kept[-1].end:
            notes_inside.setdefault(id(kept[-1]), []).append(f"{span.kind}: {span.note}")
            continue
        kept.append(span)
    for span in kept:
        parts.append(html.escape(text[pos : span.start]))
        tooltip = "; ".join([f"{span.kind}: {span.note}", *notes_inside.get(id(span), [])])
        value = span.note if span.kind in ("outcome", "context") else ""
        label = f'<span class="v">{html.escape(value.split(" | ")[0])}</span>' if value else ""
        parts.append(
            f'<mark class="{span.kind}" title="{html.escape(tooltip, quote=True)}">'
            f"{html.escape(text[span.start : span.end])}{label}</mark>"
        )
        pos = span.end
    parts.append(html.escape(text[pos:]))
    return "".join(parts)
