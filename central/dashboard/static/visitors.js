// Visitors on site now: the evacuation roll call, from central's visit register (on_site), kept
// current by the live stream
// (visitor.checked_in / checked_out) and printable from the browser.
"use strict";

let visitors = [];

function render() {
  const page = clear(document.getElementById("page"));
  const panel = el("section", {class: "panel"}, el("h2", {text: t("visitors.title")}),
    el("p", {id: "visitor-count", text: t("visitors.count", {n: visitors.length})}),
    el("p", {}, el("button", {class: "secondary", text: t("visitors.print"), onclick: () => window.print()})));
  page.append(panel);
  if (!visitors.length) { panel.append(el("p", {class: "empty", text: t("visitors.none")})); return; }
  const cols = ["visitors.name", "visitors.host", "visitors.phone", "visitors.since", "visitors.post", "visitors.purpose"];
  panel.append(el("table", {class: "wide", id: "visitors"},
    el("thead", {}, el("tr", {}, cols.map((c) => el("th", {text: t(c)})))),
    el("tbody", {}, visitors.map((v) => el("tr", {"data-visit": v.visit_id},
      el("td", {"data-label": t("visitors.name"), text: v.visitor_name || ""}),
      el("td", {"data-label": t("visitors.host"), text: v.host_unit || ""}),
      el("td", {"data-label": t("visitors.phone"), text: v.phone || v.phone_masked || ""}),
      el("td", {"data-label": t("visitors.since"), text: fmtTime(v.checked_in_at, v.tz, true)}),
      el("td", {"data-label": t("visitors.post"), text: v.device || ""}),
      el("td", {"data-label": t("visitors.purpose"), text: v.purpose || ""}))))));
}

async function load() {
  try {
    // Central's visit register, only the visits checked in and not out.
    visitors = items(await api("GET", API.registers("visits"), undefined, {site: siteParam(), on_site: true, limit: 5000}));
    render();
  } catch (err) {
    showMessage(clear(document.getElementById("page")), "error", t("error.load") + ": " + err.message);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  renderHeader("visitors");
  load();
  openLive((item) => {
    const p = item.payload || {};
    if (item.type === "visitor.checked_in") {
      if (!visitors.some((v) => v.visit_id === p.visit_id && v.site === item.site)) {
        visitors.push({visit_id: p.visit_id, site: item.site, device: item.device, tz: item.tz,
                       checked_in_at: item.occurred_at, visitor_name: p.visitor_name, host_unit: p.host_unit,
                       phone: p.phone_masked, purpose: p.purpose});
      }
      render();
    } else if (item.type === "visitor.checked_out") {
      visitors = visitors.filter((v) => !(v.visit_id === p.visit_id && v.site === item.site));
      render();
    }
  }, load);
});
