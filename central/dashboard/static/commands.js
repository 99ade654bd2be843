// Commands to the edges with their delivery state (pending until the edge acknowledges,
// then delivered or rejected), refreshed live when a command.applied event arrives.
"use strict";

async function load() {
  const page = document.getElementById("page");
  try {
    const site = await pageSite();
    const rows = items(await api("GET", site ? API.siteCommands(site) : API.commands, undefined, {limit: 200}));
    const panel = el("section", {class: "panel"}, el("h2", {text: t("commands.title")}));
    clear(page).append(panel);
    if (!rows.length) { panel.append(el("p", {class: "empty", text: t("commands.none")})); return; }
    const cols = ["commands.created", "commands.type", "commands.device", "commands.state", "commands.attempts", "commands.acked"];
    panel.append(el("table", {class: "wide", id: "commands"},
      el("thead", {}, el("tr", {}, cols.map((c) => el("th", {text: t(c)})))),
      el("tbody", {}, rows.map((c) => el("tr", {"data-command": c.id},
        el("td", {"data-label": t("commands.created"), text: fmtTime(c.created_at, null, true)}),
        el("td", {"data-label": t("commands.type"), text: c.type}),
        el("td", {"data-label": t("commands.device"), text: c.site + "/" + c.device}),
        el("td", {"data-label": t("commands.state")},
          el("span", {class: "badge " + c.state, text: t("state." + c.state)}), c.detail ? " " + c.detail : ""),
        el("td", {"data-label": t("commands.attempts"), text: c.attempts}),
        el("td", {"data-label": t("commands.acked"), text: fmtTime(c.acked_at, null, true)}))))));
  } catch (err) {
    showMessage(clear(page), "error", t("error.load") + ": " + err.message);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  renderHeader("commands");
  load();
  openLive((item) => { if (item.type === "command.applied") load(); }, load);
});
