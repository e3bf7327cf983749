"""Partnerships and presences: who works with whom, and who works where on what.

One file: partners and presences are read from the same cues, lists and sentence ownership; one
file keeps the list parsing they share in one place.
"""

from __future__ import annotations

import re

from kg.extract.entities import (
    OrgMention,
    PlaceMention,
    is_public_body,
    name_at,
    place_ref,
    remit_named,
)
from kg.extract.figures import Context, _cue_in, _sentence_bounds, _sentence_year
from kg.extract.lexicons import Lexicons
from kg.extract.numbers import NumberMention
from kg.extract.text import Document, fold
from kg.model import Figure, Named, Partner, PlaceRef, Presence
from kg.namespaces import entity, slugify

GOVERNMENT = "https://w3id.org/humanitarian-kg/ontology#GovernmentBody"
DONOR = "https://w3id.org/humanitarian-kg/ontology#Donor"
ROLE = "https://w3id.org/humanitarian-kg/id/role/"


_ACRONYM_AFTER = re.compile(r"\s*(\([A-Z][A-Za-z0-9&\-]{1,14}\))")
# an acronym's full name in parentheses after it: "AECID (Agence espagnole pour la …)"
_EXPANSION_AFTER = re.compile(r"\s*\(([A-ZÀ-Ý][^()\n]{8,140}?)\)")
_OF_THE_GOVERNMENT = re.compile(
    r"\s+(?:del\s+Gobierno|du\s+[Gg]ouvernement|of\s+the\s+Government)$", re.IGNORECASE
)


def find_partners(ctx: Context, orgs: list[OrgMention], country: str | None) -> list[Partner]:
    """Partners after a role cue ("with its local partner X", "funded by Y"), government bodies
    named in the publisher's own sentences, and organisations named beside the publisher."""
    doc, lex = ctx.doc, ctx.lex
    found: dict[tuple[str, str], Partner] = {}
    named_at: dict[tuple[str, str], tuple[int, int]] = {}  # where each partner is named

    def add(
        mention: OrgMention, role: str, start: int, end: int, written: str | None = None
    ) -> None:
        if mention.iri == ctx.publisher_iri:
            return
        if mention.org_type == GOVERNMENT and not role.endswith("/funder"):
            role = ROLE + "government-counterpart"
        if mention.org_type == DONOR and role.endswith("/partner"):
            role = ROLE + "funder"
        key = (mention.iri, role)
        surface = written or " ".join(doc.text[mention.start : mention.end].split())
        defined = _ACRONYM_AFTER.match(doc.text, mention.end)
        forms = [surface, f"{surface} {defined.group(1)}"] if defined else [surface]
        spelt = _EXPANSION_AFTER.match(doc.text, mention.end)
        if spelt and (mention.acronym is not None or surface.isupper()):
            forms.append(" ".join(spelt.group(1).split()))  # "l'AECID (Agence espagnole …)"
        plain = _OF_THE_GOVERNMENT.sub("", surface)
        if plain != surface:
            forms.append(plain)  # "Ministerio de Sanidad del Gobierno": the ministry
        if key not in found:
            named_at[key] = (mention.start, mention.end)
            found[key] = Partner(
                label=mention.names[0] if mention.names else mention.label,
                iri=mention.iri,
                role=role.rsplit("/", 1)[-1],
                quote=doc.text[start:end],
                start=start,
                end=end,
                acronym=mention.acronym,
                new=mention.new,
                # as written, with the acronym the text gives after it: "… Réfugiés (DRC)"
                names=tuple(dict.fromkeys([*forms, mention.label, *mention.names])),
            )

    for cue in doc.found(lex.roles):
        if doc.is_boilerplate(cue.start):
            continue
        mention = name_at(
            doc, lex, _skip_space(doc.text, cue.end), country, cued=True
        ) or _country_donor(ctx, _skip_space(doc.text, cue.end))
        if mention is None:  # the cue ran into the name: "in partnership with the Ministry…"
            for word in re.finditer(r"[A-ZÀ-Ý][\w’']*", doc.text[cue.start : cue.end]):
                mention = name_at(doc, lex, cue.start + word.start(), country)
                if mention is not None and mention.new and fold(mention.label) in lex.org_words:
                    mention = None  # "L'ONG fournit…": the word for an NGO, not a name
                if mention is not None:
                    break
        if mention is not None:
            add(mention, cue.iri, cue.start, mention.end)
            for more in _listed_after(doc, lex, mention, country):  # "funded by A, B and C"
                add(more, cue.iri, more.start, more.end)
            continue
        after = _skip_space(doc.text, cue.end)
        example = _SUCH_AS.match(doc.text, after) or _KINDS_SUCH_AS.match(doc.text, after)
        if example is not None:  # "along with the public authorities such as AFAD, UMKE and…"
            public = re.search(
                r"\b(?:authorit|autorit|autoridad|government|gouvernement|gobierno|ministr|"
                r"public bod|services? publics?|state (?:agencies|bodies))",
                doc.folded[cue.end : example.end()],
            )
            others = re.search(
                r"\b(?:organi[sz]ation|organisme|organizaci|ngo|ong|partner|partenaire|socio|"
                r"agencies|agences|agencias|societ|soci[eé]t)",
                doc.folded[cue.end : example.end()],
            )
            for listed_org in _list_items(doc, lex, example.end(), country):
                role = cue.iri
                if public and (not others or is_public_body(listed_org.label, lex)):
                    role = ROLE + "government-counterpart"  # "authorities and organizations"
                add(listed_org, role, listed_org.start, listed_org.end)
            continue
        before = _named_just_before(doc.text, orgs, cue.start)  # "Plan, its implementing partner"
        if before is not None:
            add(before, cue.iri, before.start, cue.end)
    for m in orgs:  # "the two UK Aid funded programmes", "an ECHO-funded project"
        funded = _FUNDED_AFTER.match(doc.text, m.end)
        if funded and not doc.is_boilerplate(m.start):
            add(m, ROLE + "funder", m.start, funded.end())
    for line_start, line_end, role in _listed_lines(ctx):  # "Donors\nCanada, ECHO, Germany…"
        taken = line_start  # where the last name found ends: "Bosnia and Herzegovina" is one
        for item in _LIST_ITEM.finditer(doc.text[line_start:line_end]):
            pos = _skip_space(doc.text, line_start + item.start())
            if pos < taken:
                continue
            article = _ITEM_ARTICLE.match(doc.text, pos)
            if article:  # "… and the National Disaster Management Agency"
                pos = article.end()
            listed = _listed_name(doc, pos, line_start + item.end(), country)
            mention = name_at(doc, lex, pos, country) or _country_donor(ctx, pos)
            if mention is None or (mention.new and listed and listed.end > mention.end):
                mention = listed  # "Union des municipalités de Zahrani", not "Union"
            if mention is not None and mention.end <= line_end:
                add(mention, ROLE + role, mention.start, mention.end)
                taken = mention.end
    for sentence in doc.sentences:
        if doc.is_boilerplate(sentence.start):
            continue
        lead = _WITH_LEAD.match(doc.text, sentence.start, sentence.end)
        if lead:  # "Avec le PAM, l'UNICEF a acheminé…": working together
            for m in orgs:
                if lead.start(1) <= m.start < lead.end(1):
                    add(m, ROLE + "partner", sentence.start, lead.end(1))
        in_sentence = [m for m in orgs if sentence.start <= m.start < sentence.end]
        publisher_here = [
            m for m in ctx.publisher_mentions if sentence.start <= m.start < sentence.end
        ]
        owned = (
            bool(publisher_here)
            or _cue_in(ctx, "ownership", sentence.start, sentence.end)
            or ctx.section_kinds.get(sentence.section) == "outcome"
        )
        listed_with = _listed_with(doc.text, in_sentence, ctx.publisher_iri)
        for m in in_sentence:
            if m.iri == ctx.publisher_iri:
                continue
            joined = any(_joined(doc.text, p, m) for p in publisher_here) or m in listed_with
            if joined:
                add(
                    m,
                    ROLE + "partner",
                    min(m.start, publisher_here[0].start),
                    max(m.end, publisher_here[0].end),
                )
            elif owned and m.org_type == GOVERNMENT:
                add(m, ROLE + "government-counterpart", m.start, m.end)
        if owned:
            for gov in _government_names(ctx, sentence.start, sentence.end, country):
                add(gov, ROLE + "government-counterpart", gov.start, gov.end)
        for m, start, end in _acting_with_publisher(ctx, sentence.start, sentence.end, country):
            add(m, ROLE + "partner", start, end)
        for m in in_sentence:  # "the USAID project", "ACF … supported our staff"
            if m.iri == ctx.publisher_iri:
                continue
            programme = _ITS_PROGRAMME.search(
                doc.text, max(sentence.start, m.start - 8), m.end + 40
            )
            supported = _SUPPORTED_US.match(doc.text, m.end, sentence.end)
            given = _GAVE_US.search(doc.text, sentence.start, m.start)
            if (
                (programme and programme.start(1) == m.start and programme.end(1) == m.end)
                or supported
                or (owned and given and given.end() == m.start)
            ):
                add(m, ROLE + "partner", sentence.start, sentence.end)
    if _in_the_movement(ctx):  # an IFRC page: the national societies it names work with it
        for mention, name in _movement_members(ctx):
            add(mention, ROLE + "partner", mention.start, mention.end, name)
    # "Ministry of Interior" inside "the Libyan Ministry of Interior" named by a cue
    for (iri, role), (start, end) in list(named_at.items()):
        if any(
            other != iri and s <= start and end <= e and (e - s) > (end - start)
            for (other, _), (s, e) in named_at.items()
        ):
            del found[(iri, role)]
    specific = {iri for iri, role in found if not role.endswith("/partner")}
    funders = {iri for iri, role in found if role.endswith("/funder")}
    partners = [
        p
        for (iri, role), p in found.items()
        if (iri not in specific or not role.endswith("/partner"))
        # "thanks to the support of the Government of Japan": a donor, not a counterpart
        and (iri not in funders or not role.endswith("/government-counterpart"))
    ]
    return sorted(partners, key=lambda p: (p.start, p.iri, p.role))


# "the USAID project", "le programme … de l'UNICEF" is the first kind only: an organisation's
# project named by the publisher is one it takes part in
_ITS_PROGRAMME = re.compile(
    r"\b(?:[Tt]he|[Aa]n?|[Tt]his|[Oo]ur)[ \t]+(\S.*?)[ \t]+(?:[a-z]+[ \t]+)?"
    r"(?:projects?|programmes?|programs?|grants?|partnership|consortium)\b"
)
# "ACF was particularly generous and supported our finance staff": it helped the publisher
_SUPPORTED_US = re.compile(
    r"[^.;:\n]{0,60}?\b(?:supported|funded|financed|helped|trained)[ \t]+(?:us|our)\b"
    r"|[^.;:\n]{0,60}?\b(?:a (?:soutenu|financé|appuyé)|nous a (?:soutenus|aidés|formés)|"
    r"ha (?:apoyado|financiado)|nos (?:apoyó|ha apoyado))\b"
)
# "received 3,000 jerry cans … from UNHCR", "reçu … de la part du HCR": what the publisher
# received, from whom
_GAVE_US = re.compile(
    r"\b(?:received|receives|obtained|a reçu|ont reçu|recibió|recibieron)\b[^.;:\n]{0,120}?"
    r"\b(?:from|de la part d[eu](?:s|[ \t]+la|[ \t]+l['’])?|por parte de(?:l|[ \t]+la)?)"
    r"[ \t]+(?:the[ \t]+|la[ \t]+|le[ \t]+|l['’]|el[ \t]+)?"
)
# "WFP and the National Institute of Social Action (INAS) signed an agreement": the publisher
# and a body named beside it as the subject of one joint act
_AND_THEN = re.compile(r"[ \t]+(?:and|et|y)[ \t]+")
_JOINT_ACT = re.compile(
    r"(?:[ \t]*\([^()\n]{1,20}\))?[ \t]+(?:have[ \t]+|has[ \t]+|jointly[ \t]+|ont[ \t]+|"
    r"conjointement[ \t]+)?(?:signed|launched|co-?organi[sz]ed|organi[sz]ed|conducted|co-led|"
    r"co-chaired|co-chair|lead|led|jointly|signé|lancé|organisé|conduit|firmaron|lanzaron|"
    r"organizaron|realizaron)\b"
)


def _acting_with_publisher(
    ctx: Context, start: int, end: int, country: str | None
) -> list[tuple[OrgMention, int, int]]:
    """Bodies named with "and" right after the publisher as the subject of one act."""
    out = []
    for p in ctx.publisher_mentions:
        if not start <= p.start < end:
            continue
        gap = _AND_THEN.match(ctx.doc.text, p.end, end)
        if gap is None:
            continue
        other = name_at(ctx.doc, ctx.lex, gap.end(), country, cued=True)
        if other is not None and _JOINT_ACT.match(ctx.doc.text, other.end, end):
            out.append((other, p.start, other.end))
    return out


# a name used as an adjective of funding: "ECHO-funded", "UK Aid funded programmes" (a bare
# "X funded 12 schools" is X's own work, so without the hyphen a programme word must follow)
_FUNDED_AFTER = re.compile(
    r"(?:[ \t]?[-‐–][ \t]?(?:funded|financed|sponsored|supported)\b|"
    r"[ \t]+(?:funded|financed|sponsored)[ \t]+(?:[a-z]+[ \t]+)?"
    r"(?:projects?|programmes?|programs?|interventions?|responses?|initiatives?|appeals?|"
    r"activities|activity|operations?|grants?)\b)"
)


# ", its implementing partner" or "(partenaire de mise en œuvre du PAM)" after a name
_APPOSITION = re.compile(
    r"(?:,\s*(?:its|our|their|his|her|son|sa|notre|leur|su|sus|nuestro|nuestra)|"
    r"\s*\((?:(?:its|our|their|son|sa|notre|leur|su|nuestro|nuestra)\s+)?)\s*$",
    re.IGNORECASE,
)


def _named_just_before(text: str, orgs: list[OrgMention], cue_start: int) -> OrgMention | None:
    """An organisation named right before ", its <role>" (an apposition)."""
    for mention in reversed(orgs):
        if mention.end <= cue_start and cue_start - mention.end <= 12:
            if _APPOSITION.match(text[mention.end : cue_start]) or _APPOSITION.search(
                text[mention.end : cue_start]
            ):
                return mention
        if mention.end < cue_start - 12:
            break
    return None


_WITH_LEAD = re.compile(
    r"(?:With|Together with|Alongside|Avec|Aux côtés d[eu]|En lien avec)\s+"
    r"(?:the\s+|le\s+|la\s+|les\s+|l['’])?([^,.;\n]{2,80}),"
)


# an item of a listed line: up to a comma, semicolon, slash or a final "and" ("…, World Vision
# Swaziland and the National Disaster Management Agency")
_LIST_ITEM = re.compile(r"(?:(?!\s+(?:and|et|y)\s)[^,;/])+")
_ITEM_ARTICLE = re.compile(r"(?:and\s+|et\s+|y\s+)?(?:(?:the|la|le|les|el|los|las)\s+|l['’])")


def _listed_lines(ctx: Context) -> list[tuple[int, int, str]]:
    """Lines listing partners under a heading or after a label: "Donors\nCanada, ECHO…" and
    "Financé par : DEVCO / AXA" (funders), "Partenaires locaux : SLWE, …" (partners)."""
    out = [(s, e, "funder") for s, e in _donor_lists(ctx)]
    doc = ctx.doc
    for line in doc.lines:
        folded = doc.folded[line.start : line.end].strip()
        heading, colon, rest = folded.partition(":")
        if colon and rest.strip() and heading.strip() in ctx.lex.partner_headings:
            colon_at = line.start + doc.folded[line.start : line.end].index(":") + 1
            out.append((colon_at, line.end, "implementing-partner"))
    return out


def _donor_lists(ctx: Context) -> list[tuple[int, int]]:
    """The line after a "Donors" / "Bailleurs" heading: every organisation on it is a funder."""
    lines = [line for line in ctx.doc.lines if line.text.strip()]
    out = []
    for line, following in zip(lines, [*lines[1:], None], strict=False):
        folded = ctx.doc.folded[line.start : line.end].strip()
        heading, colon, rest = folded.partition(":")
        if heading.strip() not in ctx.lex.donor_headings:
            continue
        if colon and rest.strip():  # "Bailleurs : UNICEF, PAM, Ambassade de France"
            out.append(
                (line.start + ctx.doc.folded[line.start : line.end].index(":") + 1, line.end)
            )
        elif following is not None and not following.boilerplate:
            out.append((following.start, following.end))
    return out


def _listed_after(
    doc: Document, lex: Lexicons, first: OrgMention, country: str | None
) -> list[OrgMention]:
    out: list[OrgMention] = []
    current = first
    for _ in range(6):
        gap = re.match(
            # "de la Suisse, de l'Union européenne et de la Norvège": "de" repeated per item
            # "the German Federal Foreign Ministry (1,88 million EUR), the European Union…"
            r"(?:\s*\([^()\n]{0,40}\d[^()\n]{0,40}\))?"
            r"\s*(?:,|and|et|y|e|&|as well as|ainsi que|así como)\s*(?:and\s+|et\s+|y\s+)?"
            r"(?:the\s+(?=[A-Z]))?"
            r"(?:de\s+(?=l['’]|la\s|las\s|los\s|[A-ZÀ-Ý])|d['’](?=[A-ZÀ-Ý])|del\s+)?",
            doc.text[current.end :],
        )
        if not gap or not gap.group(0).strip():
            break
        following = name_at(doc, lex, current.end + gap.end(), country, cued=True)
        if following is None:  # "funded by ECHO and Germany"
            following = _country_donor_at(doc, lex, current.end + gap.end())
        if following is None:
            break
        out.append(following)
        current = following
    return out


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\n":
        pos += 1
    return pos


_JOINED_GAP = re.compile(
    r"\s*(?:and|/|&|et|with|avec|y|con)\s*(?:the\s+|le\s+|la\s+|l['’]|el\s+|les\s+|los\s+)?",
    re.IGNORECASE,
)


def _joined(text: str, a: OrgMention, b: OrgMention) -> bool:
    """ "ALIMA and AMCP-SP", "ALIMA/AMCP-SP": two names side by side as one actor."""
    first, second = (a, b) if a.start < b.start else (b, a)
    gap = text[first.end : second.start]
    return bool(_JOINED_GAP.fullmatch(gap))


# between two items of one enumeration: "WFP, WHO", "IOM), non-governmental organizations (MSF"
_ENUMERATION_GAP = re.compile(
    r"(?=[^\w]*[,;()/&]|\s+(?:and|et|y|as well as|ainsi que|así como)\s)"
    r"(?:[\s,;()/&]|\b(?:and|et|y|as well as|ainsi que|así como)\b)*"
    r"(?:(?:the|le|la|les|l['’]|el|los|las)\s*)?"
    r"(?:[a-z][\w-]*(?:\s+[a-z][\w-]*){0,2}\s*\(\s*(?:the\s+)?)?"
)


def _listed_with(text: str, mentions: list[OrgMention], publisher: str | None) -> list[OrgMention]:
    """The organisations of an enumeration that names the publisher among them ("a substantial
    effort of United Nations agencies (WFP, World Health Organization, …), non-governmental
    organizations (Médecins Sans Frontières, …)"): they acted together."""
    ordered = sorted(mentions, key=lambda m: m.start)
    groups: list[list[OrgMention]] = []
    for m in ordered:
        if groups and _ENUMERATION_GAP.fullmatch(text, groups[-1][-1].end, m.start):
            groups[-1].append(m)
        else:
            groups.append([m])
    return [
        m
        for group in groups
        if len(group) > 1 and any(g.iri == publisher for g in group)
        for m in group
        if m.iri != publisher
    ]


_GOVERNMENT_START = re.compile(
    r"\b(?:Ministry|Ministries|Minister of|Ministère|Ministerio|Government|Gouvernement|"
    r"Gobierno|Secretaría|Alcaldía|Gobernación|Mairie|Municipalit[yé]|Municipalidad|"
    r"Préfecture|Prefecture|Governorate|National\s+[A-Z]\w+\s+(?:Management\s+)?Authority|"
    r"Direction\s+(?:régionale|générale|nationale|départementale)|Directorate|"
    r"Délégation\s+(?:régionale|générale)|Division\s+provinciale|"
    r"Union\s+des\s+municipalités)\b"
    r"|\b(?:government|gouvernement|gobierno|ministry|ministère|ministerio)"
    r"(?=\s+(?:of|du|de\s+la|de|del|d['’])\s*(?:the\s+)?[A-ZÀ-Ý])"
)


_ADJECTIVE = (
    r"(?!(?:des|les|ses|ces|nos|vos|aux|dans|sous|plus|sus|las|los|mas|más)\b)[a-zà-ÿ-]{3,}s\b"
)
# "the Sudanese authorities", "local and national authorities", "autorités sanitaires",
# "autoridades nacionales y departamentales": public bodies named by what they are
_AUTHORITIES = re.compile(
    r"((?:(?:[A-Z][a-z]+(?:an|ese|i|sh|ic|ch)|(?i:local|national|regional|provincial|state|"
    r"district|municipal|county|federal|health|government|governmental|public|civil|"
    r"traditional|customary|camp|education|relevant|competent|sub-national|de facto))"
    r"(?:\s+and\s+|,\s*|\s+)){1,4}authorities"
    r"|(?:autorit[ée]s|autoridades)\s+(?:de\s+salud\s+)?"
    + _ADJECTIVE
    + r"(?:\s+(?:et|y)\s+"
    + _ADJECTIVE
    + r")?)"
)


def _authorities(ctx: Context, start: int, end: int, country: str | None) -> list[OrgMention]:
    """ "the local authorities": a public body the reader cannot name better, one per country
    and wording."""
    out: list[OrgMention] = []
    folded = ctx.doc.folded
    if not any(folded.find(stem, start, end) >= 0 for stem in ("authorit", "autorit", "autoridad")):
        return out
    for m in _AUTHORITIES.finditer(ctx.doc.text, start, end):
        if _SUCH_AS.match(ctx.doc.text, m.end(1), min(end, m.end(1) + 20)):
            continue  # "public authorities such as AFAD, UMKE…": the list names them
        label = " ".join(m.group(1).split())
        slug = f"{country.lower()}-{slugify(label)}" if country else slugify(label)
        out.append(
            OrgMention(
                m.start(1),
                m.end(1),
                str(entity("org", slug)),
                label,
                new=True,
                org_type=GOVERNMENT,
            )
        )
    return out


_GENERIC_BODY = re.compile(
    r"\w+(?:\s+\w+)?(?:\s+(?:de|du|des|of|del|de la|de los|de las)\s+(?:la\s+|l['’]|the\s+)?"
    r"[\wÀ-ÿ’'-]+){0,2}"
)


def _government_names(ctx: Context, start: int, end: int, country: str | None) -> list[OrgMention]:
    """Public bodies named in a sentence: ministries, governments, municipalities, national
    authorities ("the National Disaster Management Authority", "le gouvernement du Niger")."""
    out = []
    for m in _GOVERNMENT_START.finditer(ctx.doc.text, start, end):
        before = re.search(
            r"(?:[A-ZÀ-Ý][\w'’-]*\s+){1,3}$", ctx.doc.text[max(start, m.start() - 40) : m.start()]
        )
        if before and m.group(0) == "Government":
            continue  # "Turkana County Government": named from its first word on
        mention = name_at(ctx.doc, ctx.lex, m.start(), country)
        if mention is None:  # "la Division provinciale de la santé"
            named = _GENERIC_BODY.match(ctx.doc.text, m.start(), end)
            word = named.group(0) if named else m.group(0)
            slug = f"{country.lower()}-{slugify(word)}" if country else slugify(word)
            mention = OrgMention(
                m.start(),
                m.start() + len(word),
                str(entity("org", slug)),
                word,
                new=True,
                org_type=GOVERNMENT,
            )
        elif mention.org_type != GOVERNMENT and mention.new:
            mention = OrgMention(
                mention.start,
                mention.end,
                mention.iri,
                mention.label,
                mention.acronym,
                True,
                GOVERNMENT,
            )
        out.append(mention)
    out.extend(_authorities(ctx, start, end, country))
    # "Turkana County Government": the whole name, not "Government" inside it
    return [
        m
        for m in out
        if not any(
            o is not m
            and o.start <= m.start
            and m.end <= o.end
            and (o.end - o.start) > (m.end - m.start)
            for o in out
        )
    ]


_EXAMPLES = (
    r"\b(?:such as|including|notably|namely|like|notamment|comme|"
    r"tels que|telles que|como|tales como|entre ellos|entre ellas|incluidos)\s+"
)
_SUCH_AS = re.compile(r"[^.;:!?\n]{0,50}?" + _EXAMPLES, re.IGNORECASE)
# a longer way to the examples when it names the kind of body they are: "with the governmental
# and local authorities and organizations dealing with … in Serbia, like X, Y and Z"
_KINDS_SUCH_AS = re.compile(
    r"[^.;:!?\n]{0,40}?\b(?:authorit|organi[sz]ation|institution|agenc|partner|actor|"
    r"ministr|autorit|organisme|acteur|partenaire|autoridad|organizaci|instituci|actores|socios)"
    r"[^.;:!?\n]{0,110}?" + _EXAMPLES,
    re.IGNORECASE,
)


# "and" splits a list only before a capitalised item: "Commissariat for refugees and migrations"
# is one name, "… Social Policy, and Serbian Red Cross" two
_ITEM_AND = re.compile(
    r"\s+(?:and|et|y|&)\s+(?=(?:the\s+|la\s+|le\s+|les\s+|el\s+|l['’])?[A-ZÀ-Ý])"
)


def _list_items(doc: Document, lex: Lexicons, start: int, country: str | None) -> list[OrgMention]:
    """The organisations of a list: "AFAD, UMKE, 112 Emergency, Fire Brigade and Gendarmerie"
    (known ones by name, others as the capitalised items they are). An item that is no
    organisation on its own continues the name before it: "Ministry of Labour, Employment,
    Veteran and Social Policy" is one ministry."""
    text = doc.text
    stop = re.compile(r"[.;:!?\n]").search(text, start)
    end = stop.start() if stop else len(text)
    pieces: list[tuple[int, int]] = []
    for item in re.finditer(r"[^,]+", text[start:end]):
        part = re.sub(r"^\s*(?:and|et|y|&)\s+", "", item.group(0))
        pos = start + item.start() + (len(item.group(0)) - len(part))
        for piece in _ITEM_AND.split(part.strip()):
            at = text.find(piece, pos)
            if at < 0 or not piece:
                continue
            pieces.append((at, at + len(piece)))
            pos = at + len(piece)
    out: list[OrgMention] = []
    for at, stop_at in pieces:
        mention = name_at(doc, lex, at, country)
        if mention is None or mention.end > stop_at:
            mention = _listed_name(doc, at, stop_at, country)
        if mention is None:
            continue
        words = [fold(w) for w in re.findall(r"[\w’'-]+", mention.label)]
        bare = (
            mention.new
            and not any(w in lex.org_words for w in words)
            and not any(w.isupper() and len(w) > 1 for w in mention.label.split())
        )
        previous = out[-1] if out else None
        if (
            bare
            and previous is not None
            and remit_named(previous.label, lex)
            and re.fullmatch(r",\s*|\s+(?:and|et|y|&)\s+", text[previous.end : mention.start])
        ):
            label = " ".join(text[previous.start : mention.end].split())
            out[-1] = OrgMention(
                previous.start,
                mention.end,
                str(entity("org", slugify(label))),
                label,
                new=True,
                org_type=previous.org_type,
            )
            continue
        out.append(mention)
    return out


def _listed_name(doc: Document, start: int, end: int, country: str | None) -> OrgMention | None:
    """An item of a partner or donor list ("SLWE (service public…)", "Alter & Care"): any
    capitalised name is an organisation there."""
    item = re.sub(r"\s*\([^)]*\)?", "", doc.text[start:end]).strip(" .-–\t")
    if not item[:1].isupper() or len(item.split()) > 8 or re.search(r"\d{3}", item):
        return None
    stop = start + len(item)
    slug = slugify(item)
    return OrgMention(start, stop, str(entity("org", slug)), item, new=True)


_COUNTRY_ARTICLE = re.compile(r"(?:the|la|le|les|el|los|las)\s+(?=[A-ZÀ-Ý])|l['’](?=[A-ZÀ-Ý])")


def _country_donor(ctx: Context, pos: int) -> OrgMention | None:
    """A country named as a funder ("contributions from ECHO and Canada"): its government."""
    return _country_donor_at(ctx.doc, ctx.lex, pos)


def _country_donor_at(doc: Document, lex: Lexicons, pos: int) -> OrgMention | None:
    text = doc.text
    article = _COUNTRY_ARTICLE.match(text, pos)  # "avec le soutien financier de la Suisse"
    if article:
        pos = article.end()
    if not text[pos : pos + 1].isupper():
        return None
    for start, end, codes, kind in lex.gazetteer.find_countries(
        text[pos : pos + 60], doc.folded[pos : pos + 60]
    ):
        if start != 0 or kind not in {"name", "acronym"} or len(codes) != 1:
            return None
        country = lex.gazetteer.world.countries[codes[0]]
        return OrgMention(
            pos,
            pos + end,
            str(entity("org", f"{codes[0].lower()}-government")),
            text[pos : pos + end],
            new=True,
            org_type=GOVERNMENT,
            names=(f"Government of {country.label}",),
        )
    return None


def find_presences(
    ctx: Context,
    publisher: Named | None,
    main_sector: str | None,
    doc_year: int | None,
) -> tuple[list[Presence], list[PlaceMention]]:
    """Publisher × sector × place (× year) from sentences about the publisher's own work."""
    if publisher is None:
        return [], []
    doc, lex = ctx.doc, ctx.lex
    presences: dict[tuple[str, str, int | None], Presence] = {}
    work_places: list[PlaceMention] = []
    for sentence in doc.sentences:
        places = [p for s, e in _sentence_bounds(sentence) for p in ctx.places if s <= p.start < e]
        if not places or doc.is_boilerplate(sentence.start):
            continue
        s, e = sentence.start, sentence.end
        owned = _cue_in(ctx, "ownership", s, e) or any(
            s <= m.start < e for m in ctx.publisher_mentions
        )
        working = _cue_in(ctx, "presence", s, e) or _cue_in(ctx, "outcome-verb", s, e)
        if not owned and not (working and ctx.section_kinds.get(sentence.section) == "outcome"):
            continue
        if not owned and not working:
            continue
        work_places.extend(places)
        sectors = [m.iri for m in doc.found(lex.sectors, s, e)]
        heading_sector = ctx.section_sectors.get(sentence.section)
        if not sectors and heading_sector:
            sectors = [heading_sector]
        if not sectors and main_sector:
            sectors = [main_sector]
        year = _sentence_year(ctx, sentence, _anchor(s))
        if year is None:
            year = ctx.section_years.get(sentence.section) or doc_year
        for sector in dict.fromkeys(sectors):
            for place in places:
                key = (sector, place.iri, year)
                if key in presences:
                    continue
                concept = lex.reference.concept(sector)
                presences[key] = Presence(
                    organisation=publisher,
                    sector=Named(concept.label if concept else sector, sector),
                    place=place_ref(place),
                    year=year,
                    quote=doc.text[s:e],
                    start=s,
                    end=e,
                )
    return list(presences.values()), work_places


def _anchor(offset: int) -> NumberMention:
    return NumberMention(offset, offset, 0, "")


def national_presences(
    figures: list[Figure],
    presences: list[Presence],
    publisher: Named | None,
    country: Named | None,
) -> list[Presence]:
    """An outcome with a sector but no named place is work in the country as a whole."""
    if publisher is None or country is None:
        return []
    seen = {(p.sector.iri, p.place.iri, p.year) for p in presences}
    out = []
    for fig in figures:
        if fig.kind != "outcome" or fig.sector is None or fig.places:
            continue
        key = (fig.sector.iri, country.iri, fig.year)
        if key in seen:
            continue
        seen.add(key)
        out.append(
            Presence(
                organisation=publisher,
                sector=fig.sector,
                place=PlaceRef(country.label, country.iri, 0, None),
                year=fig.year,
                quote=fig.quote,
                start=fig.start,
                end=fig.end,
            )
        )
    return out


MOVEMENT = "https://w3id.org/humanitarian-kg/ontology#RedCrossRedCrescent"
# a national society: "Vanuatu Red Cross", "the Uganda, Swedish, Austrian and German Red Cross
# Societies", "Croix-Rouge suédoise", "Cruz Roja Chilena"
_SOCIETY_EN = re.compile(
    r"(?P<names>[A-Z][\w'’-]+(?:\s*,\s*[A-Z][\w'’-]+)*(?:,?\s+and\s+[A-Z][\w'’-]+)?)\s+"
    r"(?P<head>Red\s+(?:Cross|Crescent))(?P<society>\s+Society)?(?:\s+Societies)?\b"
)
# the ending of a French or Spanish adjective of nationality: "togolaise", "comorien", "Cubana"
_NATIONALITY_ENDING = re.compile(
    r"(?:ais|aise|ain|aine|ien|ienne|ois|oise|ique|ole|ano|ana|eno|ena|ense|eca|ino|ina|esa)$",
    re.IGNORECASE,
)
_SOCIETY_FR_ES = re.compile(
    r"\b(?P<head>Croix-Rouge|Croissant-Rouge|Cruz\s+Roja|Media\s+Luna\s+Roja)\s+"
    r"(?P<names>[A-Za-zÀ-ÿ]{4,}(?:(?:\s*,\s*|\s+(?:et|y)\s+)[A-Za-zÀ-ÿ]{4,})*)"
)
_NOT_A_SOCIETY = {
    "international",
    "the",
    "a",
    "our",
    "regional",
    "national",
    "global",
    "british red",
    "de",
    "del",
    "et",
    "y",
    "en",
    "pour",
    "para",
    "internationale",
    "internacional",
    "and",
}


def _in_the_movement(ctx: Context) -> bool:
    iri = ctx.publisher_iri
    if iri is None:
        return False
    concept = ctx.lex.reference.organisations.get(iri)
    if concept is not None:
        return concept.org_type == MOVEMENT
    label = " ".join(ctx.doc.text[m.start : m.end] for m in ctx.publisher_mentions[:1])
    return bool(re.search(r"Red Cross|Red Crescent|Croix-Rouge|Cruz Roja|Media Luna", label))


def _movement_members(ctx: Context) -> list[tuple[OrgMention, str]]:
    """The national societies a page names, each with its own name, one per qualifier of a
    shared list ("the Uganda, Swedish and German Red Cross Societies")."""
    doc, lex = ctx.doc, ctx.lex
    out: list[tuple[OrgMention, str]] = []
    for regex, english in ((_SOCIETY_EN, True), (_SOCIETY_FR_ES, False)):
        for m in regex.finditer(doc.text):
            if doc.is_boilerplate(m.start()):
                continue
            head = " ".join(m.group("head").split())
            for q in re.finditer(r"[A-Za-zÀ-ÿ][\w'’-]*", m.group("names")):
                word = q.group(0)
                if word.lower() in _NOT_A_SOCIETY or (english and not word[0].isupper()):
                    continue
                single = english and q.group(0) == m.group("names") and m.group("society")
                # "Azerbaijan Red Crescent Society": the name with its last word when one
                name = (
                    f"{word} {head}{' Society' if single else ''}" if english else f"{head} {word}"
                )
                start = m.start("names") + q.start()
                iris = lex.organisations.iris(name) or lex.organisations.iris(
                    f"{word} {head}" if english else name
                )
                if not iris and not (
                    lex.gazetteer.find_countries(word, fold(word))
                    or (not english and _NATIONALITY_ENDING.search(fold(word)))
                ):
                    continue  # "Charity Red Cross": no country's society
                if len(iris) > 1:  # a name two societies share: the one of the named country
                    found = lex.gazetteer.find_countries(word, fold(word))
                    named = {code for f in found for code in f[2]}
                    iris = {i for i in iris if lex.reference.organisations[i].country in named}
                if len(iris) == 1:
                    iri = next(iter(iris))
                    label = lex.reference.organisations[iri].label
                    mention = OrgMention(start, start + len(word), iri, label, org_type=MOVEMENT)
                else:
                    iri = str(entity("org", slugify(name)))
                    mention = OrgMention(
                        start, start + len(word), iri, name, new=True, org_type=MOVEMENT
                    )
                out.append((mention, name))
    return out
