// The ticket board: open tickets ordered by what falls due first, the due time counting down
// every second. Filters (kind, state, assignee, overdue only) live in the URL; each row's number
// is a link to the ticket's page; a ticket event updates and re-sorts the rows it names without
// reloading the board; "Export CSV" saves exactly the rows and columns shown.
//
// Up to 5000 rows: they are built off-document in one DocumentFragment and inserted at once
// (one layout, not one per row); the time it takes is measured (performance.measure) and left in
// window.fdBoardRenderMs for the benches.
"use strict";

const BOARD_LIMIT = 5000;
const COLUMNS = ["board.id", "board.kind", "board.unit", "board.summary", "board.state", "board.owner",
                 "ticket.assignee", "board.due"];
let tickets = [];
let rowsById = new Map();      // ticket id -> its <tr> (kept across live updates)
let lifecycles = {};
let pendingIds = new Set(), liveTimer = null;

function filters() {
  const q = new URLSearchParams(location.search);
  return {kind: q.get("kind") || "", state: q.get("state") || "", assignee: q.get("assignee") || "",
          overdue: q.get("overdue") === "1", q: q.get("q") || ""};
}

// Filters into the URL (kept on reload, shareable), without reloading the page.
function setFilters(next) {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(next)) {
    if (v === "" || v === false || v === null) q.delete(k); else q.set(k, v === true ? "1" : v);
  }
  history.replaceState(null, "", location.pathname + (q.toString() ? "?" + q.toString() : ""));
  load();
}

function boardParams(f, extra) {
  return {site: siteParam(), kind: f.kind, state: f.state, assignee: f.assignee, overdue: f.overdue ? "true" : "",
          limit: BOARD_LIMIT, ...extra};
}

// The texts of a row's cells, as shown and as exported.
function cellTexts(tk) {
  return [tk.number || tk.id, kindName(tk.kind), tk.unit || "", tk.title || "", stateName(tk.state), tk.owner || "",
          tk.assignee || "", tk.paused ? t("board.paused") : dueText(tk.next_due_at)];
}

// One row made by cloning a template (its cells, labels, link and badge already in place): far
// cheaper than building each element of 5000 rows one by one.
function rowTemplate(labels) {
  const tr = document.createElement("tr");
  tr.setAttribute("role", "row");
  labels.forEach((label, i) => {
    const td = document.createElement("td");
    td.setAttribute("role", "cell");
    td.dataset.label = label;
    if (i === 0) { td.className = "number"; td.append(document.createElement("a")); }
    if (i === 4) { const b = document.createElement("span"); b.className = "badge"; td.append(b); }
    if (i === labels.length - 1) td.className = "due";
    tr.append(td);
  });
  return tr;
}

function buildRow(tk, template) {
  const texts = cellTexts(tk);
  const tr = template.cloneNode(true);
  tr.dataset.ticket = tk.id;
  const cells = tr.children;
  const a = cells[0].firstChild;
  a.href = ticketHref(tk.id);
  a.textContent = texts[0];
  const badge = cells[4].firstChild;
  badge.textContent = texts[4];
  if (tk.any_breach) badge.className = "badge late";
  for (const i of [1, 2, 3, 5, 6, 7]) cells[i].textContent = texts[i];
  if (tk.next_due_at && !tk.paused) cells[7].dataset.due = tk.next_due_at;
  return tr;
}

function tick() { tickDue("td.due[data-due]"); }

// Soonest due first, then those without a running timer, newest first (as central orders them).
function byDue(a, b) {
  if (a.next_due_at && b.next_due_at) return a.next_due_at < b.next_due_at ? -1 : a.next_due_at > b.next_due_at ? 1 : 0;
  if (a.next_due_at || b.next_due_at) return a.next_due_at ? -1 : 1;
  return (b.created_at || "").localeCompare(a.created_at || "");
}

// Put the rows in the table: new ones built, known ones moved, all in one insertion.
function renderRows(rebuild) {
  const body = document.getElementById("board-body");
  if (!body) return;
  performance.mark("fd-board-start");
  const template = rowTemplate(COLUMNS.map((c) => t(c)));
  if (rebuild) rowsById = new Map();
  const fragment = document.createDocumentFragment();
  for (const tk of tickets) {
    let tr = rowsById.get(tk.id);
    if (!tr || tr.dataset.version !== String(tk.version)) {
      tr = buildRow(tk, template);
      tr.dataset.version = String(tk.version);
      rowsById.set(tk.id, tr);
    }
    fragment.append(tr);
  }
  const keep = new Set(tickets.map((tk) => tk.id));
  for (const id of [...rowsById.keys()]) if (!keep.has(id)) rowsById.delete(id);
  body.replaceChildren(fragment);
  document.getElementById("board-count").textContent = t("board.count", {n: tickets.length});
  document.getElementById("board-empty").hidden = tickets.length > 0;
  void body.offsetHeight;  // one layout for the whole table, inside the measurement
  performance.mark("fd-board-end");
  const m = performance.measure("fd-board-render", "fd-board-start", "fd-board-end");
  window.fdBoardRenderMs = m.duration;
  window.fdBoardRows = tickets.length;
}

function option(value, text, selected) { return el("option", {value, selected: value === selected, text}); }

function statesFor(kind) {
  const all = kind && lifecycles[kind] ? lifecycles[kind] : Object.values(lifecycles).flat();
  return [...new Set(all)];
}

// The search box, the filters, the count and the export: built once; the rows change below them.
function renderFrame() {
  const f = filters();
  const page = clear(document.getElementById("page"));
  const input = el("input", {id: "board-q", type: "search", maxlength: "64", value: f.q, autocomplete: "off",
                             placeholder: t("board.search_hint"), "aria-label": t("board.search")});
  const search = el("form", {class: "search", role: "search", id: "board-search"}, input,
    el("button", {type: "submit", text: t("board.search")}),
    f.q ? el("button", {type: "button", id: "board-clear", text: t("board.clear"), onclick: () => setFilters({q: ""})}) : null);
  search.addEventListener("submit", (e) => { e.preventDefault(); setFilters({q: input.value.trim()}); });
  const kind = el("select", {id: "f-kind"}, option("", t("board.any"), f.kind),
    Object.keys(lifecycles).map((k) => option(k, kindName(k), f.kind)));
  const state = el("select", {id: "f-state"}, option("", t("board.any"), f.state),
    statesFor(f.kind).map((s) => option(s, stateName(s), f.state)));
  const assignee = el("input", {id: "f-assignee", value: f.assignee, maxlength: 64, list: "f-assignees", autocomplete: "off"});
  const overdue = el("input", {id: "f-overdue", type: "checkbox", checked: f.overdue});
  kind.addEventListener("change", () => setFilters({kind: kind.value, state: ""}));
  state.addEventListener("change", () => setFilters({state: state.value}));
  assignee.addEventListener("change", () => setFilters({assignee: assignee.value.trim()}));
  overdue.addEventListener("change", () => setFilters({overdue: overdue.checked}));
  const filterBox = el("div", {class: "filters", id: "board-filters", role: "group", "aria-label": t("board.filters")},
    el("div", {}, el("label", {for: "f-kind", text: t("board.kind")}), kind),
    el("div", {}, el("label", {for: "f-state", text: t("board.state")}), state),
    el("div", {}, el("label", {for: "f-assignee", text: t("ticket.assignee")}), assignee, el("datalist", {id: "f-assignees"})),
    el("div", {class: "check"}, overdue, el("label", {for: "f-overdue", text: t("board.overdue_only")})),
    el("button", {type: "button", id: "board-csv", class: "secondary", text: t("registers.export_csv"), onclick: exportCsv}),
    el("a", {class: "button", id: "new-ticket", href: newTicketHref(), "aria-keyshortcuts": "N", text: t("home.new")}));
  // Explicit roles: the rows are laid out as grids (see app.css), which must not hide the table.
  const table = el("table", {class: "wide", id: "board", role: "table", "aria-label": t("board.title")},
    el("thead", {role: "rowgroup"}, el("tr", {role: "row"},
      COLUMNS.map((c) => el("th", {scope: "col", role: "columnheader", text: t(c)})))),
    el("tbody", {id: "board-body", role: "rowgroup"}));
  page.append(el("section", {class: "panel"},
    el("h2", {text: f.q ? t("board.found", {q: f.q}) : t("board.title")}), search, f.q ? null : filterBox,
    el("p", {class: "muted", id: "board-count", "aria-live": "polite"}),
    el("p", {class: "empty", id: "board-empty", hidden: true, text: f.q ? t("board.nothing") : t("board.none")}),
    table));
  rowsById = new Map();
  fillAssignees();
}

async function fillAssignees() {
  try {
    const people = items(await api("GET", API.staff, undefined, {site: siteParam(), role: "technician"}));
    const list = document.getElementById("f-assignees");
    if (list) list.append(...people.map((p) => el("option", {value: p.username, text: p.display_name})));
  } catch (err) { /* roles that may not list staff type the name */ }
}

async function load() {
  const f = filters();
  try {
    if (!Object.keys(lifecycles).length) lifecycles = (await api("GET", "/api/v1/sla")).lifecycles || {};
    // The rows arrive first, then the board is redrawn at once (never an empty board meanwhile).
    const rows = items(f.q ? await api("GET", API.ticketSearch, undefined, {site: siteParam(), q: f.q})
                           : await api("GET", API.tickets, undefined, boardParams(f)));
    if (JSON.stringify(filters()) !== JSON.stringify(f)) return;  // the filters changed meanwhile
    const focused = document.activeElement && document.activeElement.id;
    renderFrame();
    tickets = rows;
    renderRows(true);
    const again = focused && document.getElementById(focused);
    if (again) again.focus();  // a filter changed from the keyboard keeps the keyboard's place
    tick();
  } catch (err) {
    showMessage(clear(document.getElementById("page")), "error", t("error.load") + ": " + err.message);
  }
}

// A ticket event: ask central for the rows it names (with the board's filters), then update,
// add or drop those rows and re-sort, without reloading the board.
async function refreshIds() {
  const ids = [...pendingIds].slice(0, 100);
  ids.forEach((id) => pendingIds.delete(id));
  if (!ids.length) return;
  const f = filters();
  const q = new URLSearchParams(Object.entries(boardParams(f, {limit: 100})).filter(([, v]) => v !== ""));
  ids.forEach((id) => q.append("id", id));
  try {
    const fresh = items(await api("GET", API.tickets + "?" + q.toString()));
    tickets = tickets.filter((tk) => !ids.includes(tk.id)).concat(fresh);
    tickets.sort(byDue);
    if (tickets.length > BOARD_LIMIT) tickets.length = BOARD_LIMIT;
    renderRows(false);
    tick();
  } catch (err) {
    load();  // could not patch the rows: the whole board again
  }
  if (pendingIds.size) refreshIds();
}

function onBoardLive(item) {
  const id = item.payload && item.payload.ticket_id;
  if (!item.type.startsWith("ticket.") || !id || filters().q) return;  // search results stay until cleared
  pendingIds.add(id);
  clearTimeout(liveTimer);
  liveTimer = setTimeout(refreshIds, 200);  // a burst of events: one request
}

// -- CSV ------------------------------------------------------------------------------------------

// A cell as a spreadsheet will not run it: text starting with = + - @ (or a tab or CR) is a
// formula to Excel and LibreOffice, so it gets a leading apostrophe.
function csvCell(value) {
  let s = String(value === null || value === undefined ? "" : value);
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return '"' + s.replace(/"/g, '""') + '"';
}

function boardCsv() {
  const lines = [COLUMNS.map((c) => csvCell(t(c))).join(",")];
  for (const tk of tickets) lines.push(cellTexts(tk).map(csvCell).join(","));
  return "\ufeff" + lines.join("\r\n") + "\r\n";  // the BOM tells Excel it is UTF-8
}

function exportCsv() {
  const url = URL.createObjectURL(new Blob([boardCsv()], {type: "text/csv;charset=utf-8"}));
  const a = el("a", {href: url, download: "tickets-" + new Date().toISOString().slice(0, 10) + ".csv", hidden: true});
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

document.addEventListener("DOMContentLoaded", () => {
  renderHeader("board");
  deskKeys(() => { const i = document.getElementById("board-q"); if (i) i.focus(); });
  load();
  setInterval(tick, 1000);
  openLive(onBoardLive, load);
});
