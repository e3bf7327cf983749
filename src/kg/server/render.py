"""Small HTML helpers for the linked-data pages: every value goes through `esc`.

Terms arrive in the SPARQL JSON results shape (`{"type": "uri", "value": …}`). IRIs of the
project are linked to this server (`/id/…`, `/ontology#…`) so a browser can follow them;
other IRIs are shown as links to themselves.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from kg import __version__
from kg.server.worker import PREFIXES

ID_BASE = "https://w3id.org/humanitarian-kg/id/"
ONTOLOGY_BASE = "https://w3id.org/humanitarian-kg/ontology#"
ONTOLOGY_IRI = "https://w3id.org/humanitarian-kg/ontology"
XSD = "http://www.w3.org/2001/XMLSchema#"

Term = dict[str, Any]


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def local_href(iri: str) -> str | None:
    """Where this server shows `iri`, if it is one of the project's."""
    if iri.startswith(ID_BASE):
        return "/id/" + iri[len(ID_BASE) :]
    if iri.startswith(ONTOLOGY_BASE):
        return "/ontology#" + iri[len(ONTOLOGY_BASE) :]
    if iri == ONTOLOGY_IRI:
        return "/ontology"
    return None


def compact(iri: str) -> str:
    """`prefix:local` when a known prefix fits and the local part is plain, else the IRI."""
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            local = iri[len(namespace) :]
            if local and all(c.isalnum() or c in "-_" for c in local):
                best = prefix
    if best:
        return f"{best}:{iri[len(PREFIXES[best]) :]}"
    if iri.startswith(ID_BASE):
        return "id:" + iri[len(ID_BASE) :]
    return iri


def iri_html(iri: str, label: str | None = None) -> str:
    """A link to the IRI's page here, or to the IRI itself if it is http(s); else text."""
    href = local_href(iri) or (iri if iri.startswith(("http://", "https://")) else None)
    text = label or compact(iri)
    if href is None:
        return f'<span class="iri" title="{esc(iri)}">{esc(text)}</span>'
    return f'<a href="{esc(href)}" title="{esc(iri)}">{esc(text)}</a>'


def term_html(term: Term | None, label: str | None = None) -> str:
    if term is None:
        return ""
    kind, value = term.get("type"), str(term.get("value", ""))
    if kind == "uri":
        return iri_html(value, label)
    if kind == "bnode":
        return f'<span class="bnode">_:{esc(value)}</span>'
    if kind == "triple":
        parts = term["value"]
        inner = " ".join(term_html(parts[k]) for k in ("subject", "predicate", "object"))
        return f'<span class="triple">&lt;&lt; {inner} &gt;&gt;</span>'
    note = ""
    if term.get("xml:lang"):
        note = f'<span class="lang">@{esc(term["xml:lang"])}</span>'
    elif term.get("datatype"):
        datatype = str(term["datatype"])
        short = "xsd:" + datatype[len(XSD) :] if datatype.startswith(XSD) else compact(datatype)
        note = f'<span class="datatype">^^{esc(short)}</span>'
    return f'<span class="literal">{esc(value)}</span>{note}'


def table(headers: Iterable[str], rows: Iterable[Iterable[str]], css: str = "") -> str:
    """A table; `rows` cells are already HTML."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    cls = f' class="{esc(css)}"' if css else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def page(title: str, body: str, alternates: Iterable[tuple[str, str, str]] = ()) -> bytes:
    """A whole page. `alternates` are (label, href, media type) of the other formats."""
    alt_links = "".join(
        f'<link rel="alternate" type="{esc(t)}" href="{esc(h)}">' for _label, h, t in alternates
    )
    alt_list = " · ".join(f'<a href="{esc(h)}">{esc(label)}</a>' for label, h, _t in alternates)
    formats = f'<p class="formats">Also as: {alt_list}</p>' if alt_list else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · humanitarian-kg</title>"
        '<link rel="stylesheet" href="/static/style.css">'
        f"{alt_links}</head><body>"
        '<header><a class="brand" href="/">humanitarian-kg</a><nav>'
        '<a href="/">Query</a><a href="/where">Who does what where</a>'
        '<a href="/ontology">Ontology</a><a href="/void">Dataset (VoID)</a>'
        '<a href="/sparql">Service description</a></nav></header>'
        f"<main><h1>{esc(title)}</h1>{formats}{body}</main>"
        f"<footer>humanitarian-kg {esc(__version__)}</footer>"
        "</body></html>\n"
    ).encode()


__all__ = [
    "ID_BASE",
    "ONTOLOGY_BASE",
    "ONTOLOGY_IRI",
    "compact",
    "esc",
    "iri_html",
    "local_href",
    "page",
    "table",
    "term_html",
]
