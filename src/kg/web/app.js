// The query page: a SPARQL client of this server's /sparql, nothing fetched from elsewhere.
"use strict";

const ID_BASE = "https://w3id.org/humanitarian-kg/id/";
const ONTOLOGY_BASE = "https://w3id.org/humanitarian-kg/ontology#";
const XSD = "http://www.w3.org/2001/XMLSchema#";
const PARAM_PREFIX = "param_";

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// --- talking to /sparql ------------------------------------------------------------------

class QueryFailed extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// An N-Triples literal: what the endpoint's $name=… parameters take.
function ntLiteral(value, datatype) {
  const escaped = String(value)
    .replace(/\\/g, "\\\\").replace(/"/g, '\\"')
    .replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t");
  return datatype ? `"${escaped}"^^<${datatype}>` : `"${escaped}"`;
}

function sparqlForm(query, bindings) {
  const form = new URLSearchParams();
  form.set("query", query);
  for (const [name, term] of Object.entries(bindings || {})) form.set("$" + name, term);
  return form;
}

async function sparql(query, bindings) {
  const response = await fetch("/sparql", {
    method: "POST",
    headers: { "Accept": "application/sparql-results+json" },
    body: sparqlForm(query, bindings),
  });
  if (!response.ok) {
    throw new QueryFailed(response.status, (await response.text()).trim());
  }
  return response.json();
}

// --- showing terms -------------------------------------------------------------------------

function localHref(iri) {
  if (iri.startsWith(ID_BASE)) return "/id/" + iri.slice(ID_BASE.length);
  if (iri.startsWith(ONTOLOGY_BASE)) return "/ontology#" + iri.slice(ONTOLOGY_BASE.length);
  return null;
}

function shortIri(iri) {
  if (iri.startsWith(ID_BASE)) return iri.slice(ID_BASE.length);
  if (iri.startsWith(ONTOLOGY_BASE)) return "hkg:" + iri.slice(ONTOLOGY_BASE.length);
  return iri;
}

function termNode(term) {
  if (!term) return document.createTextNode("");
  if (term.type === "uri") {
    const href = localHref(term.value);
    return href ? el("a", { href, title: term.value }, shortIri(term.value))
      : el("span", { class: "iri", title: term.value }, term.value);
  }
  if (term.type === "bnode") return el("span", { class: "bnode" }, "_:" + term.value);
  const node = el("span", { class: "literal" }, term.value);
  if (term.datatype && !term.datatype.startsWith(XSD)) node.title = term.datatype;
  return node;
}

function renderTable(container, data) {
  container.replaceChildren();
  if (data.boolean !== undefined) {
    container.append(el("p", { class: "boolean" }, `ASK: ${data.boolean}`));
    return 1;
  }
  const vars = data.head.vars.filter((v) => !v.startsWith(PARAM_PREFIX));
  const rows = data.results.bindings;
  const head = el("tr", {}, ...vars.map((v) => el("th", { scope: "col" }, v)));
  const body = el("tbody");
  for (const row of rows) {
    body.append(el("tr", {}, ...vars.map((v) => el("td", {}, termNode(row[v])))));
  }
  container.append(el("table", { class: "results" }, el("thead", {}, head), body));
  return rows.length;
}

// --- the query editor ----------------------------------------------------------------------

let namedQueries = [];

function currentExample() {
  return namedQueries.find((q) => q.name === $("example-select").value) || null;
}

function showParams(query) {
  const box = $("params");
  box.replaceChildren();
  $("example-description").textContent = query ? query.description : "";
  if (!query) return;
  for (const p of query.params) {
    const id = "param-" + p.name;
    const input = el("input", {
      id, name: p.name, type: "text",
      placeholder: p.type === "gYear" ? "e.g. 2023" : (p.required ? "required" : "optional"),
    });
    input.dataset.type = p.type;
    if (p.required) input.required = true;
    box.append(el("div", { class: "param" },
      el("label", { htmlFor: id }, `${p.name}${p.required ? " *" : ""}`), input,
      el("span", { class: "doc" }, p.doc)));
  }
  const first = box.querySelector("input");
  const defaults = { place: "Mopti", country: "Mali" };
  for (const input of box.querySelectorAll("input[required]")) {
    if (defaults[input.name]) input.value = defaults[input.name];
  }
  if (first) first.setAttribute("aria-describedby", "example-description");
}

function paramBindings(text) {
  const bindings = {};
  for (const input of $("params").querySelectorAll("input")) {
    const value = input.value.trim();
    if (!value) continue;
    const variable = PARAM_PREFIX + input.name;
    if (!new RegExp("[?$]" + variable + "\\b").test(text)) continue;
    const type = input.dataset.type;
    bindings[variable] = type === "gYear" ? ntLiteral(value, XSD + "gYear")
      : type === "integer" ? ntLiteral(value, XSD + "integer") : ntLiteral(value);
  }
  return bindings;
}

function updateDownloadLink() {
  const text = $("query-text").value;
  const form = sparqlForm(text, paramBindings(text));
  form.set("format", "csv");
  $("download-csv").href = "/sparql?" + form.toString();
}

async function runQuery() {
  const text = $("query-text").value;
  const status = $("query-status");
  const button = $("run-query");
  button.disabled = true;
  status.className = "status";
  status.textContent = "running…";
  const started = performance.now();
  try {
    const data = await sparql(text, paramBindings(text));
    const count = renderTable($("results"), data);
    const ms = Math.round(performance.now() - started);
    status.textContent = `${count} row${count === 1 ? "" : "s"} in ${ms} ms`;
  } catch (error) {
    $("results").replaceChildren();
    status.className = "status error";
    status.textContent = error instanceof QueryFailed
      ? `HTTP ${error.status}: ${error.message}` : String(error);
  } finally {
    button.disabled = false;
    updateDownloadLink();
  }
}

async function loadExamples() {
  const response = await fetch("/api/queries");
  namedQueries = await response.json();
  const select = $("example-select");
  for (const q of namedQueries) {
    select.append(el("option", { value: q.name }, `${q.name} — ${q.title}`));
  }
  select.addEventListener("change", () => {
    const query = currentExample();
    if (query) $("query-text").value = query.text;
    showParams(query);
    updateDownloadLink();
  });
}

// --- who does what where -------------------------------------------------------------------
// The view itself is the server's /where page (kg.where): its state is its address. Here the
// place picker only fills in the form that goes there.

const LEVEL_GROUPS = ["Countries", "Regions (admin 1)", "Districts (admin 2)",
  "Communes (admin 3)", "Towns, villages and camps"];

async function loadPlaces() {
  const placesText = await fetch("/static/places.rq").then((r) => r.text());
  const data = await sparql(placesText);
  const select = $("place-select");
  select.replaceChildren(el("option", { value: "" }, "— choose a place —"));
  const seen = new Set();
  const groups = new Map();
  for (const row of data.results.bindings) {
    if (seen.has(row.place.value)) continue;
    seen.add(row.place.value);
    const level = Math.min(Number(row.level ? row.level.value : 9), 4);
    if (!groups.has(level)) {
      groups.set(level, el("optgroup", { label: LEVEL_GROUPS[level] }));
      select.append(groups.get(level));
    }
    const n = row.organisations ? row.organisations.value : "?";
    groups.get(level).append(el("option", { value: row.place.value },
      `${row.label.value} (${n} organisation${n === "1" ? "" : "s"})`));
  }
  select.addEventListener("change", () => { if (select.value) $("wdww-form").submit(); });
}

// --- start ---------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("endpoint-url").textContent = new URL("/sparql", window.location.href).href;
  $("run-query").addEventListener("click", runQuery);
  $("query-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) runQuery();
  });
  $("query-text").addEventListener("input", updateDownloadLink);
  updateDownloadLink();
  loadExamples().catch((error) => {
    $("query-status").textContent = "could not load the named queries: " + error;
  });
  loadPlaces().catch((error) => {
    $("wdww-status").textContent = "could not load the places: " + error;
  });
});
