"""Text to typed facts: figures, places, sectors, partners and presences, each with its span.

`extract_report` is the one entry point; the submodules are its steps:
text (segmentation) -> numbers -> entities (places, organisations) -> figures -> relations.
"""

from __future__ import annotations

import re
from dataclasses import replace

from kg.extract.entities import (
    OrgMention,
    PlaceMention,
    countries_in,
    find_organisations,
    find_places,
    find_unknown_places,
    new_place,
    origin_only,
    place_ref,
)
from kg.extract.figures import (
    Context,
    annotate_sections,
    dated_outcomes_year,
    datelines,
    extract_figures,
    infer_document_year,
    merge_repeats,
    page_year,
    single_year,
    work_sectors,
)
from kg.extract.lexicons import Lexicons, default_lexicons
from kg.extract.numbers import find_numbers
from kg.extract.publisher import find_publisher
from kg.extract.relations import find_partners, find_presences, national_presences
from kg.extract.text import Document, is_number_only, segment
from kg.model import Extraction, Figure, Mention, Named, PlaceRef, Unclassified
from kg.reference.gazetteer import key
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
    places = find_places(doc, lex, country_code, [(m.start, m.end) for m in orgs])
    found = find_publisher(
        report.meta.publisher, doc, orgs, lex, [(p.start, p.end) for p in places], country_code
    )
    publisher = found.named

    def about_the_work(offset: int) -> bool:
        """Is the sentence at `offset` about the publisher's own work?"""
        sentence = doc.sentence_at(offset)
        if sentence is None or doc.is_boilerplate(offset):
            return False
        s, e = sentence.start, sentence.end
        return bool(
            any(s <= a < e for a, _ in found.spans)
            or doc.found(lex.cues["ownership"], s, e)
            or doc.found(lex.cues["outcome-verb"], s, e)
            or doc.found(lex.cues["presence"], s, e)
        )

    unknown_places = find_unknown_places(
        doc, places, lex, country_code, about_the_work, found.spans
    )
    if country_code is not None:
        # a camp named after a town, or a numbered part of a place, replaces that place
        wider = [(u.start, u.end) for u in unknown_places]
        known = [p for p in places if not any(s <= p.start and p.end < e for s, e in wider)]
        places = sorted(
            known + [new_place(u, doc, country_code, known) for u in unknown_places],
            key=lambda p: (p.start, p.end),
        )
    publisher_mentions = [m for m in orgs if publisher and m.iri == publisher.iri]
    if publisher is not None and not publisher_mentions:  # a publisher the reference lacks
        publisher_mentions = [
            OrgMention(s, e, publisher.iri, publisher.label, new=True) for s, e in found.spans
        ]
    ctx = Context(
        doc, lex, publisher.iri if publisher else None, publisher_mentions, places, numbers
    )
    annotate_sections(ctx)
    page = page_year(ctx, report.meta.year)
    ctx.datelines = datelines(ctx)
    figures, unclassified = extract_figures(ctx, page)
    doc_year = page.year if page is not None else None
    if doc_year is None:
        inferred = infer_document_year(figures, doc)
        if inferred is not None:
            doc_year = inferred
            for fig in figures:
                sentence = doc.sentence_at(fig.start)
                present = sentence is not None and ctx.cues_between(
                    "present", sentence.start, sentence.end
                )
                if fig.year is None and fig.kind == "outcome" and not present:
                    fig.year, fig.year_source = inferred, "document"  # "Today, we run…": undated
    if doc_year is None:
        # a page about one year (it names no other), or whose dated outcomes all state one:
        # its key figures and lists of results are of that year
        only = single_year(ctx) or dated_outcomes_year(figures)
        if only is not None:
            for fig in figures:
                if fig.year is None and fig.kind == "outcome" and _listed(doc, fig):
                    fig.year, fig.year_source = only, "document"
    figures, repeats = merge_repeats(figures, doc.text)
    unclassified.extend(repeats)
    if country_code is None:
        for unknown in unknown_places:
            unclassified.append(
                Unclassified(
                    unknown.name,
                    unknown.start,
                    unknown.end,
                    "a place-like name, but the report's country is not known",
                )
            )
    main_sector = None
    if publisher is not None and publisher.iri in lex.reference.organisations:
        main_sector = lex.reference.organisations[publisher.iri].main_sector
    presences, work_places = find_presences(ctx, publisher, main_sector, doc_year)
    presences += national_presences(figures, presences, publisher, country)
    partners = find_partners(ctx, orgs, country_code)
    named = [
        p
        for p in places
        if p not in work_places and not origin_only(doc, p) and not _situation_only(ctx, p)
    ]
    place_refs: dict[str, PlaceRef] = {}
    for ref in [place_ref(p) for p in work_places + named] + [
        ref for fig in figures if fig.kind == "outcome" for ref in fig.places
    ]:
        seen = place_refs.get(ref.iri)
        place_refs[ref.iri] = (
            ref
            if seen is None
            else replace(seen, names=tuple(dict.fromkeys(seen.names + ref.names)))
        )
    sectors: dict[str, Named] = {}
    for fig in figures:
        if fig.sector and fig.kind == "outcome":
            sectors.setdefault(fig.sector.iri, fig.sector)
    for presence in presences:
        sectors.setdefault(presence.sector.iri, presence.sector)
    for iri in work_sectors(ctx):
        sectors.setdefault(iri, Named(lex.reference.sectors[iri].label, iri))
    if main_sector and any(f.kind == "outcome" for f in figures):
        # an organisation reporting its work works in its main sector (WFP: food security)
        sectors.setdefault(
            main_sector, Named(lex.reference.sectors[main_sector].label, main_sector)
        )
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
        publisher_confidence=found.confidence,
        publisher_evidence=found.evidence,
        mentions=sorted(set(mentions), key=lambda m: (m.start, m.end, m.kind, m.iri)),
    )


_IN_A_NAME = re.compile(
    r"\b(?:fundacion|foundation|fondation|fund|fondo|fonds|association|asociacion|"
    r"institute|instituto|institut|university|universidad|universite|hospital|hopital|"
    r"church|iglesia|eglise|banco|bank|banque)\s+(?:de\s+|of\s+|del\s+)?$"
)


def _situation_only(ctx: Context, place: PlaceMention) -> bool:
    """A place named only to describe the situation: its sentence (or section) is about needs,
    displacement or disease, not about anyone's work ("57 health zones in Kwango are in
    nutrition alert"); such a place is no place of the publisher's work."""
    doc = ctx.doc
    sentence = doc.sentence_at(place.start)
    if sentence is None:
        return False
    s, e = sentence.start, sentence.end
    if ctx.section_kinds.get(sentence.section) == "context":
        return True
    working = (
        ctx.cues_between("outcome-verb", s, e)
        or ctx.cues_between("ownership", s, e)
        or ctx.cues_between("presence", s, e)
        or any(s <= m.start < e for m in ctx.publisher_mentions)
    )
    return bool(ctx.cues_between("context", s, e)) and not working


def _listed(doc: Document, fig: Figure) -> bool:
    """A figure in a list or a key-figures box: a bullet, a number alone on its line, or a
    short line of its own ("44,157 people benefited from our education programme")."""
    line = doc.line_at(fig.start)
    if line is None:
        return False
    text = line.text.strip()
    return line.bullet or is_number_only(text) or (len(text) <= 100 and fig.start - line.start <= 3)


def _country(name: str | None, doc: Document, lex: Lexicons) -> Named | None:
    """The sidecar's country (a name in any language or an ISO code), else the country the text
    is about: the one its names, its demonyms and the names of its provinces and large towns
    point to most, names near the top of the page counting double."""
    gazetteer = lex.gazetteer
    world = gazetteer.world
    if name:
        codes = world.country_names.get(key(name)) or world.acronyms.get(name.strip())
        if not codes and name.strip().upper() in world.countries:
            codes = (name.strip().upper(),)
        if codes:
            place = world.countries[codes[0]]
            return Named(place.label, place.iri)
        return None
    weights = {"name": 3.0, "acronym": 3.0, "place": 1.0, "demonym": 0.5}
    scores: dict[str, float] = {}
    first: dict[str, int] = {}
    for start, _, codes, kind in countries_in(doc, gazetteer):
        if doc.is_boilerplate(start):
            continue
        if kind == "place" and _IN_A_NAME.search(doc.folded[max(0, start - 25) : start]):
            continue  # "Fundación Poma": a foundation's name, not the town
        weight = weights[kind] * (2.0 if start < 300 else 1.0) / len(codes)
        for rank, code in enumerate(codes):
            # an ambiguous name ("Congo"): its first country wins ties
            scores[code] = scores.get(code, 0.0) + weight - 0.01 * rank
            first.setdefault(code, start)
    if not scores:
        return None
    code = min(scores, key=lambda c: (-scores[c], first[c], c))
    place = world.countries[code]
    return Named(place.label, place.iri)
