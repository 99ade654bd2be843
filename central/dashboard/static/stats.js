// The month's figures per site and kind: timeliness, first-time fix, satisfaction (targets from
// the service rules: each ≥ 85 %, satisfaction ≥ 90 %), complaints by class, with bar plots
// drawn as SVG in the page (no plotting library to download).
"use strict";

const RATES = [["timeliness_rate", "stats.timeliness", 0.85], ["first_time_fix_rate", "stats.first_fix", 0.85],
               ["satisfaction_rate", "stats.satisfaction", 0.90]];
const SVGNS = "http://www.w3.org/2000/svg";

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function pct(v) { return v === null || v === undefined ? "–" : (Math.round(v * 1000) / 10) + " %"; }

// Grouped bars: one group per kind, one bar per rate, a dashed line at each target.
function ratePlot(kinds) {
  const names = Object.keys(kinds);
  const W = 640, H = 260, left = 40, bottom = 40, top = 20;
  const plotH = H - bottom - top, groupW = (W - left - 10) / Math.max(names.length, 1);
  const colors = ["#0b6bcb", "#2b8a3e", "#e67700"];
  const root = svg("svg", {viewBox: `0 0 ${W} ${H}`, class: "plot", id: "rate-plot", role: "img"});
  root.append(svg("title", {}, t("stats.by_kind")));
  for (const v of [0, 0.5, 1]) {
    const y = top + plotH * (1 - v);
    root.append(svg("line", {x1: left, x2: W - 10, y1: y, y2: y, stroke: "#d8dee5"}));
    root.append(svg("text", {x: 4, y: y + 4}, Math.round(v * 100) + "%"));
  }
  const target = top + plotH * (1 - 0.85);
  root.append(svg("line", {x1: left, x2: W - 10, y1: target, y2: target, stroke: "#c92a2a", "stroke-dasharray": "4 3"}));
  names.forEach((kind, i) => {
    const x0 = left + i * groupW;
    RATES.forEach(([key], j) => {
      const v = kinds[kind][key];
      if (v === null || v === undefined) return;
      const bw = groupW / (RATES.length + 1), h = plotH * Math.max(0, Math.min(1, v));
      const bar = svg("rect", {x: x0 + bw * (j + 0.5), y: top + plotH - h, width: bw * 0.9, height: h, fill: colors[j]});
      bar.append(svg("title", {}, kindName(kind) + " " + t(RATES[j][1]) + " " + pct(v)));
      root.append(bar);
    });
    root.append(svg("text", {x: x0 + groupW / 2, y: H - bottom + 16, "text-anchor": "middle"}, kindName(kind)));
  });
  RATES.forEach(([, label], j) => {
    root.append(svg("rect", {x: left + j * 150, y: H - 14, width: 10, height: 10, fill: colors[j]}));
    root.append(svg("text", {x: left + j * 150 + 14, y: H - 5}, t(label)));
  });
  return root;
}

function monthParam() {
  const m = new URLSearchParams(location.search).get("month");
  if (m && /^\d{4}-\d{2}$/.test(m)) return m;
  const d = new Date();
  return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0");
}

async function load() {
  const month = monthParam();
  const site = await pageSite();
  const page = clear(document.getElementById("page"));
  const form = el("form", {class: "filters", method: "get"},
    el("div", {}, el("label", {for: "site", text: t("site")}),
       el("input", {id: "site", name: "site", value: site, required: true, maxlength: 64, pattern: "[A-Za-z0-9][A-Za-z0-9_.-]*"})),
    el("div", {}, el("label", {for: "month", text: t("stats.month")}), el("input", {type: "month", id: "month", name: "month", value: month})),
    el("button", {type: "submit", text: t("refresh")}));
  const body = el("div", {id: "stats-body"}, el("p", {class: "muted", text: t("loading")}));
  page.append(el("section", {class: "panel"}, el("h2", {text: t("stats.title")}), form, body));
  if (!site) { clear(body); return; }
  try {
    const data = await api("GET", API.stats, undefined, {site, month});
    render(body, data);
    const png = API.statsPng + "?" + new URLSearchParams({site, month}).toString();
    body.append(el("p", {}, el("a", {href: png, id: "stats-png", class: "button secondary", target: "_blank", text: "PNG"})));
  } catch (err) {
    showMessage(body, "error", t("error.load") + ": " + err.message);
  }
}

function render(body, data) {
  clear(body);
  const totals = data.totals || {};
  // kinds: [{kind, opened, closed, ..., timeliness_rate, first_time_fix_rate, satisfaction_rate}]
  const kinds = {};
  for (const k of data.kinds || []) if (k.opened) kinds[k.kind] = k;
  const targets = data.targets || {};
  if (!totals.opened) {
    body.append(el("p", {class: "empty", id: "stats-empty", text: t("stats.none")}));
  }
  const figures = el("div", {class: "figures", id: "figures"},
    el("div", {class: "figure"}, el("div", {class: "muted", text: t("stats.tickets")}),
       el("div", {class: "value", id: "fig-tickets", text: totals.opened ?? 0})),
    RATES.map(([key, label, fallback]) => { const target = targets[key] ?? fallback; return el("div", {class: "figure"},
      el("div", {class: "muted", text: t(label)}),
      el("div", {class: "value" + (totals[key] !== null && totals[key] !== undefined && totals[key] < target ? " bad" : ""),
                 id: "fig-" + key, text: pct(totals[key])}),
      el("div", {class: "muted", text: t("stats.target", {n: Math.round(target * 100) + " %"})})); }));
  body.append(figures);
  const complaints = data.complaints_by_class || {};
  body.append(el("h3", {text: t("stats.complaints")}),
    el("div", {class: "figures", id: "complaints"}, ["1", "2", "3"].map((c) => el("div", {class: "figure"},
      el("div", {class: "muted", text: t("stats.class", {n: c})}),
      el("div", {class: "value", id: "complaints-" + c, text: complaints[c] ?? 0})))));
  if (Object.keys(kinds).length) {
    body.append(el("h3", {text: t("stats.by_kind")}), ratePlot(kinds));
    const cols = ["board.kind", "stats.tickets", ...RATES.map((r) => r[1])];
    body.append(el("table", {class: "wide", id: "stats-table"},
      el("thead", {}, el("tr", {}, cols.map((c) => el("th", {text: t(c)})))),
      el("tbody", {}, Object.entries(kinds).map(([kind, k]) => el("tr", {},
        el("td", {"data-label": t("board.kind"), text: kindName(kind)}),
        el("td", {"data-label": t("stats.tickets"), text: k.opened ?? 0}),
        RATES.map(([key, label]) => el("td", {"data-label": t(label), text: pct(k[key])})))))));
  }
}

document.addEventListener("DOMContentLoaded", () => { renderHeader("stats"); hideLiveBadge(); load(); });
