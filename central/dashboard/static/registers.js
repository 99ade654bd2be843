// The registers (来电 / 来访 / 邮件 / 夜班登记) as filtered tables with CSV and Excel export links.
"use strict";

const REGISTERS = ["calls", "visits", "mail", "night"];
// Columns shown per register (the export files carry every column).
const COLUMNS = {
  calls: [["started_at", "call.started"], ["number", "wo.phone"], ["unit", "wo.unit"], ["outcome", "board.state"],
         ["category", "wo.kind"], ["transcript", "wo.content"], ["ticket_id", "board.id"]],
  visits: [["checked_in_at", "visitors.since"], ["visitor_name", "visitors.name"], ["host_unit", "visitors.host"],
          ["phone", "visitors.phone"], ["purpose", "visitors.purpose"], ["checked_out_at", "call.ended"]],
  mail: [["created_at", "call.started"], ["unit", "wo.unit"], ["title", "wo.content"], ["state", "board.state"]],
  night: [["at", "call.started"], ["what", "wo.kind"], ["number", "wo.phone"], ["unit", "wo.unit"],
          ["outcome", "board.state"], ["transcript", "wo.content"]],
};
const TIME_KEYS = new Set(["at", "started_at", "checked_in_at", "checked_out_at", "created_at", "ended_at"]);

function params() {
  const q = new URLSearchParams(location.search);
  const today = new Date();
  const first = new Date(today.getFullYear(), today.getMonth(), 1);
  const iso = (d) => d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  return {name: REGISTERS.includes(q.get("register")) ? q.get("register") : "calls",
          from: q.get("from") || iso(first), to: q.get("to") || iso(today), site: siteParam()};
}

// The register's query for central: local midnight of "from" up to the end of "to".
function query(p) {
  const since = new Date(p.from + "T00:00"), until = new Date(p.to + "T00:00");
  until.setDate(until.getDate() + 1);
  const q = {since: isNaN(since) ? "" : since.toISOString(), until: isNaN(until) ? "" : until.toISOString()};
  if (p.site) q.site = p.site;
  return q;
}

function exportHref(p, format) {
  const q = new URLSearchParams({...query(p), format, limit: 100000});
  return API.registers(p.name) + "?" + q.toString();
}

async function load() {
  const p = params();
  const page = clear(document.getElementById("page"));
  const tabs = el("nav", {class: "filters"}, REGISTERS.map((r) => {
    const q = new URLSearchParams(location.search); q.set("register", r);
    return el("a", {class: "button" + (r === p.name ? "" : " secondary"), id: "reg-" + r, href: "?" + q.toString(), text: t("registers." + r)});
  }));
  const form = el("form", {class: "filters", method: "get"},
    el("input", {type: "hidden", name: "register", value: p.name}),
    p.site ? el("input", {type: "hidden", name: "site", value: p.site}) : null,
    el("div", {}, el("label", {for: "from", text: t("registers.from")}), el("input", {type: "date", id: "from", name: "from", value: p.from})),
    el("div", {}, el("label", {for: "to", text: t("registers.to")}), el("input", {type: "date", id: "to", name: "to", value: p.to})),
    el("button", {type: "submit", text: t("refresh")}),
    el("a", {class: "button secondary", id: "export-csv", href: exportHref(p, "csv"), text: t("registers.export_csv")}),
    el("a", {class: "button secondary", id: "export-xlsx", href: exportHref(p, "xlsx"), text: t("registers.export_xlsx")}));
  const panel = el("section", {class: "panel"}, el("h2", {text: t("registers." + p.name)}), tabs, form);
  const body = el("div", {}, el("p", {class: "muted", text: t("loading")}));
  panel.append(body);
  page.append(panel);
  try {
    const rows = items(await api("GET", API.registers(p.name), undefined, {...query(p), limit: 500}));
    clear(body);
    if (!rows.length) { body.append(el("p", {class: "empty", text: t("registers.none")})); return; }
    const cols = COLUMNS[p.name];
    body.append(el("table", {class: "wide", id: "register"},
      el("thead", {}, el("tr", {}, cols.map(([, label]) => el("th", {text: t(label)})))),
      el("tbody", {}, rows.map((r) => el("tr", {}, cols.map(([key, label]) => el("td", {"data-label": t(label),
        text: TIME_KEYS.has(key) ? fmtTime(r[key], r.tz, true) : key === "outcome" ? (r[key] ? t("outcome." + r[key]) : "") : key === "state" ? stateName(r[key]) :
              key === "category" ? kindName(r[key]) : key === "what" ? t("registers." + (r[key] === "visit" ? "visits" : "calls")) : (r[key] === null || r[key] === undefined ? "" : r[key])})))))));
  } catch (err) {
    showMessage(body, "error", t("error.load") + ": " + err.message);
  }
}

document.addEventListener("DOMContentLoaded", () => { renderHeader("registers"); hideLiveBadge(); load(); });
