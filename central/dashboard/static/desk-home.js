// The desk home: what needs the clerk now. Ringing calls (desk.js), tickets falling due within
// 30 minutes, overdue tickets, callbacks due, visitors on site and mail waiting
// (GET /desk/attention), refreshed on the live stream. N opens a new ticket, / finds one.
"use strict";

// The due cells of the desk home's panels, counted down every second.
const ATTENTION_DUE = ".attention .due[data-due]";

let attentionTimer = null;

function dueRow(tk) {
  return el("li", {"data-ticket": tk.id},
    el("a", {href: ticketHref(tk.id), class: "number", text: tk.number || tk.id}), " ",
    el("span", {text: (tk.unit ? tk.unit + " · " : "") + tk.title}), " ",
    el("span", {class: "badge", text: stateName(tk.state)}), " ",
    el("span", {class: "due", "data-due": tk.next_due_at || null}));
}

function listPanel(id, titleKey, rows, more, emptyKey) {
  const panel = clear(document.getElementById(id));
  panel.append(el("h2", {}, t(titleKey), " ", el("span", {class: "badge" + (rows.length && id === "panel-overdue" ? " late" : ""),
                                                          id: id + "-count", text: String(rows.length) + (more ? "+" : "")})));
  if (!rows.length) { panel.append(el("p", {class: "empty", text: t(emptyKey)})); return; }
  panel.append(el("ul", {class: "attention", id: id + "-list"}, rows.map(dueRow)));
}

function countsPanel(a) {
  const panel = clear(document.getElementById("panel-counts"));
  const link = (href, id, key, n) => el("a", {href, id, class: "figure"},
    el("span", {class: "value", text: String(n)}), el("span", {class: "label", text: t(key)}));
  const site = siteParam() ? "?site=" + encodeURIComponent(siteParam()) : "";
  panel.append(el("h2", {text: t("home.counts")}), el("div", {class: "figures"},
    link("/dashboard/visitors" + site, "count-visitors", "home.visitors", a.visitors_on_site),
    link("/dashboard/registers" + (site ? site + "&" : "?") + "register=mail", "count-mail", "home.mail", a.mail_waiting)));
}

async function loadAttention() {
  try {
    const a = await api("GET", API.attention, undefined, {site: siteParam()});
    listPanel("panel-overdue", "home.overdue", a.overdue, a.overdue_more, "home.none_overdue");
    listPanel("panel-due", "home.due_soon", a.due_soon, a.due_soon_more, "home.none_due");
    listPanel("panel-callbacks", "home.callbacks", a.callbacks, a.callbacks_more, "home.none_callbacks");
    countsPanel(a);
    tickDue(ATTENTION_DUE);
  } catch (err) {
    showMessage(clear(document.getElementById("panel-overdue")), "error", t("error.load") + ": " + err.message);
  }
}

// The tools above the panels: a new ticket (N) and finding one by number, unit, phone or name (/).
function deskTools() {
  const box = clear(document.getElementById("desk-tools"));
  const input = el("input", {id: "desk-q", type: "search", maxlength: 64, autocomplete: "off",
                             placeholder: t("board.search_hint"), "aria-label": t("board.search")});
  const found = el("div", {id: "desk-found", "aria-live": "polite"});
  const form = el("form", {class: "search", role: "search", id: "desk-search"}, input,
    el("button", {type: "submit", text: t("board.search")}));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const q = input.value.trim();
    if (!q) return;
    try {
      const rows = items(await api("GET", API.ticketSearch, undefined, {site: siteParam(), q, limit: 20}));
      if (rows.length === 1) { location.href = ticketHref(rows[0].id); return; }
      clear(found).append(rows.length ? el("ul", {class: "attention", id: "desk-found-list"}, rows.map(dueRow))
                                      : el("p", {class: "empty", id: "desk-nothing", text: t("board.nothing")}));
      tickDue(ATTENTION_DUE);
    } catch (err) {
      showMessage(found, "error", err.message);
    }
  });
  box.append(el("div", {class: "toolbar"},
    el("a", {class: "button", id: "new-ticket", href: newTicketHref(), "aria-keyshortcuts": "N", text: t("home.new")}),
    form, el("span", {class: "muted keys", text: t("home.keys")})), found);
  return input;
}

function onHomeLive(item) {
  onLive(item);  // the calls (desk.js)
  if (item.type.startsWith("ticket.") || item.type.startsWith("visitor.")) {
    clearTimeout(attentionTimer);
    attentionTimer = setTimeout(loadAttention, 300);  // a burst of events: one reload
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  renderHeader("desk");
  const me = await whoAmI();
  // Technicians work from their phone page.
  if (me && me.role === "technician") { location.replace("/dashboard/tech"); return; }
  const search = deskTools();
  deskKeys(() => search.focus());
  startCalls();
  loadAttention();
  setInterval(() => tickDue(ATTENTION_DUE), 1000);
  setInterval(loadAttention, 60000);  // tickets move into "falling due" as time passes
  openLive(onHomeLive, () => { loadCalls(); loadAttention(); });
});
