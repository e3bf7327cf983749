"""Text to typed facts: figures, places, sectors, partners and presences, each with its span.

`extract_report` is the one entry point; the submodules are its steps:
text (segmentation) -> numbers -> entities (places, organisations) -> figures -> relations.
"""

from __future__ import annotations

from collections import Counter

from kg.extract.entities import (
    OrgMention,
    find_organisations,
    find_places,
    find_unknown_places,
)
from kg.extract.figures import (
    Context,
    annotate_sections,
    document_year,
    extract_figures,
    infer_document_year,
    merge_repeats,
    title_year,
)
from kg.extract.lexicons import Lexicons, default_lexicons
from kg.extract.numbers import find_numbers
from kg.extract.relations import find_partners, find_presences, national_presences
from kg.extract.text import Document, segment
from kg.model import Extraction, Mention, Named, PlaceRef, Unclassified
from kg.namespaces import entity, slugify
from kg.reports import Report

__all__ = ["extract_report", "extract_text"]


def extract_text(text: str, report_id: str = "report", **meta: object) -> Extraction:
    """Extract from a string (tests, notebooks): `meta` as in a sidecar (publisher, country…)."""
    import hashlib

    from kg.model import ReportMeta

    info = ReportMeta(
        report_id=report_id,
        path=report_id,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        publisher=meta.get("publisher"),  # type: ignore[arg-type]
        country=meta.get("country"),  # type: ignore[arg-type]
        language=meta.get("language"),  # type: ignore[arg-type]
        year=meta.get("year"),  # type: ignore[arg-type]
    )
    return extract_report(Report(info, text))


def extract_report(report: Report, lex: Lexicons | None = None) -> Extraction:
    """Every fact the loaders find in one report."""
    lex = lex or default_lexicons()
    text = report.text
    doc = segment(text, lex.reference.boilerplate, lex.numbers.months)
    numbers = find_numbers(text, doc.folded, lex.numbers)
    country = _country(report.meta.country, doc, lex)
    country_code = country.iri.rsplit("/", 1)[-1].upper() if country else None
    orgs = find_organisations(doc, lex, country_code)
    publisher = _publisher(report.meta.publisher, orgs, lex)
    places = find_places(doc, lex, country_code)
    publisher_mentions = [m for m in orgs if publisher and m.iri == publisher.iri]
    ctx = Context(
        doc, lex, publisher.iri if publisher else None, publisher_mentions, places, numbers
    )
    annotate_sections(ctx)
    doc_year = report.meta.year or document_year(ctx) or title_year(ctx)
    figures, unclassified = extract_figures(ctx, doc_year)
    if doc_year is None:
        inferred = infer_document_year(figures)
        if inferred is not None:
            doc_year = inferred
            for fig in figures:
                sentence = doc.sentence_at(fig.start)
                present = sentence is not None and ctx.cues_between(
                    "present", sentence.start, sentence.end
                )
                if fig.year is None and fig.kind == "outcome" and not present:
                    fig.year, fig.year_source = (
                        inferred,
                        "document",
                    )  # "Today, we run…" stays undated
    figures, repeats = merge_repeats(figures)
    unclassified.extend(repeats)
    for unknown in find_unknown_places(doc, places, lex):
        unclassified.append(
            Unclassified(
                unknown.name,
                unknown.start,
                unknown.end,
                "a place-like name the gazetteer does not know",
            )
        )
    main_sector = None
    if publisher is not None and publisher.iri in lex.reference.organisations:
        main_sector = lex.reference.organisations[publisher.iri].main_sector
    presences, work_places = find_presences(ctx, publisher, main_sector, doc_year)
    presences += national_presences(figures, presences, publisher, country)
    partners = find_partners(ctx, orgs, country_code)
    place_refs: dict[str, PlaceRef] = {}
    for p in work_places:
        place_refs.setdefault(p.iri, PlaceRef(p.label, p.iri, p.level, p.parent))
    for fig in figures:
        for ref in fig.places if fig.kind == "outcome" else []:
            place_refs.setdefault(ref.iri, ref)
    sectors: dict[str, Named] = {}
    for fig in figures:
        if fig.sector:
            sectors.setdefault(fig.sector.iri, fig.sector)
    for presence in presences:
        sectors.setdefault(presence.sector.iri, presence.sector)
    unclassified.sort(key=lambda u: (u.start, u.end))
    mentions = [Mention("place", p.label, p.iri, p.start, p.end) for p in work_places]
    mentions += [Mention("organisation", m.label, m.iri, m.start, m.end) for m in orgs]
    for m in doc.found(lex.sectors):
        if not doc.is_boilerplate(m.start):
            concept = lex.reference.sectors[m.iri]
            mentions.append(Mention("sector", concept.label, m.iri, m.start, m.end))
    return Extraction(
        meta=report.meta,
        publisher=publisher,
        country=country,
        outcomes=[f for f in figures if f.kind == "outcome"],
        context_figures=[f for f in figures if f.kind == "context"],
        partners=partners,
        places=sorted(place_refs.values(), key=lambda p: p.iri),
        sectors=sorted(sectors.values(), key=lambda s: s.iri),
        presences=presences,
        unclassified=unclassified,
        new_organisations=[p for p in partners if p.new],
        document_year=doc_year,
        mentions=sorted(set(mentions), key=lambda m: (m.start, m.end, m.kind, m.iri)),
    )


def _publisher(name: str | None, orgs: list[OrgMention], lex: Lexicons) -> Named | None:
    """The sidecar's publisher resolved to the reference data, else the most-named organisation."""
    if name:
        iris = lex.organisations.iris(name, case_sensitive=True) or lex.organisations.iris(name)
        if iris:
            iri = sorted(iris)[0]
            return Named(lex.reference.organisations[iri].label, iri)
        return Named(name, str(entity("org", slugify(name))))
    if not orgs:
        return None
    counts = Counter(m.iri for m in orgs)
    first = {m.iri: m.start for m in reversed(orgs)}
    iri = min(counts, key=lambda i: (-counts[i], first[i]))
    return Named(lex.reference.organisations[iri].label, iri)


def _country(name: str | None, doc: Document, lex: Lexicons) -> Named | None:
    """The sidecar's country, else the country the text names most often."""
    places = lex.reference.places
    if name:
        iris = lex.countries.iris(name) or lex.countries.iris(name, case_sensitive=True)
        if not iris and len(name) == 2:
            iris = {str(entity("place", name.lower()))} & set(places)
        if iris:
            iri = sorted(iris)[0]
            return Named(places[iri].label, iri)
        return None
    hits = [m for m in doc.found(lex.countries) if not doc.is_boilerplate(m.start)]
    if not hits:
        return None
    counts = Counter(m.iri for m in hits)
    iri = min(counts, key=lambda i: (-counts[i], i))
    return Named(places[iri].label, iri)
