// The ticket board: open tickets ordered by what falls due first, the due time counting down
// every second, refreshed live when ticket events arrive.
"use strict";

let tickets = [];
let reloadTimer = null;
let query = "";   // what the search box found tickets for ("" = the board of open tickets)

function dueCell(tk) {
  const cell = el("td", {class: "due", "data-label": t("board.due")});
  const due = tk.next_due_at;
  if (tk.paused) { cell.textContent = t("board.paused"); return cell; }
  if (!due) return cell;
  cell.dataset.due = due;
  return cell;
}

function tick() {
  const now = Date.now();
  for (const cell of document.querySelectorAll("td.due[data-due]")) {
    const left = new Date(cell.dataset.due).getTime() - now;
    cell.textContent = left < 0 ? t("board.overdue", {t: fmtSpan(left)}) : t("board.in", {t: fmtSpan(left)});
    cell.className = "due" + (left < 0 ? " late" : left < 5 * 60000 ? " soon" : "");
  }
}

// Find a ticket by its number (BX-20261129-007, typed any way), unit, phone digits or name.
function searchForm() {
  const input = el("input", {id: "board-q", type: "search", maxlength: "64", value: query, autocomplete: "off",
                             placeholder: t("board.search_hint"), "aria-label": t("board.search")});
  const form = el("form", {class: "search", role: "search", id: "board-search"}, input,
    el("button", {type: "submit", text: t("board.search")}),
    query ? el("button", {type: "button", id: "board-clear", text: t("board.clear"),
                          onclick: () => { query = ""; load(); }}) : null);
  form.addEventListener("submit", (e) => { e.preventDefault(); query = input.value.trim(); load(); });
  return form;
}

function render() {
  const page = clear(document.getElementById("page"));
  const panel = el("section", {class: "panel"},
    el("h2", {text: query ? t("board.found", {q: query}) : t("board.title")}), searchForm());
  page.append(panel);
  if (!tickets.length) {
    panel.append(el("p", {class: "empty", id: "board-empty", text: query ? t("board.nothing") : t("board.none")}));
    return;
  }
  const cols = ["board.id", "board.kind", "board.unit", "board.summary", "board.state", "board.owner", "board.due"];
  panel.append(el("table", {class: "wide", id: "board"},
    el("thead", {}, el("tr", {}, cols.map((c) => el("th", {text: t(c)})))),
    el("tbody", {}, tickets.map((tk) => el("tr", {"data-ticket": tk.id},
      el("td", {"data-label": t("board.id"), class: "number", text: tk.number || tk.id}),
      el("td", {"data-label": t("board.kind"), text: kindName(tk.kind)}),
      el("td", {"data-label": t("board.unit"), text: tk.unit || ""}),
      el("td", {"data-label": t("board.summary"), text: tk.title || ""}),
      el("td", {"data-label": t("board.state")}, el("span", {class: "badge" + (tk.any_breach ? " late" : ""), text: stateName(tk.state)})),
      el("td", {"data-label": t("board.owner"), text: tk.owner || ""}),
      dueCell(tk))))));
  tick();
}

async function load() {
  try {
    tickets = items(query ? await api("GET", API.tickets + "/search", undefined, {site: siteParam(), q: query})
                          : await api("GET", API.tickets, undefined, {site: siteParam(), limit: 200}));
    render();
  } catch (err) {
    showMessage(clear(document.getElementById("page")), "error", t("error.load") + ": " + err.message);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  renderHeader("board");
  load();
  setInterval(tick, 1000);
  openLive((item) => {
    if (!item.type.startsWith("ticket.") || query) return;  // search results stay until cleared
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(load, 300);  // a burst of ticket events: one reload
  }, load);
});
