// A resident's invitations: upcoming, used, cancelled and expired, newest first; cancelling one
// (after a second tap to confirm) revokes its pass at the site's posts.
"use strict";

function invitationItem(inv, me, msg, reload) {
  const state = el("span", {class: "badge " + inv.state, text: t("state." + inv.state)});
  const li = el("li", {"data-id": inv.id, "data-state": inv.state},
    el("div", {class: "who"}, el("span", {class: "visitor-name", text: inv.visitor_name}), state),
    el("p", {}, el("span", {class: "muted", text: t("list.unit") + " "}), inv.unit),
    el("p", {}, el("span", {class: "muted", text: t("list.window") + " "}),
       fmtWindow(inv.valid_from, inv.valid_until, me.tz)),
    inv.made_by_kind === "desk" ? el("p", {class: "muted", text: t("list.by_desk")}) : null);
  if (inv.state === "upcoming" || inv.state === "used") {
    const actions = el("div", {class: "actions"});
    const ask = el("button", {type: "button", class: "secondary cancel", text: t("list.cancel")});
    ask.addEventListener("click", () => {
      const yes = el("button", {type: "button", class: "danger confirm", text: t("list.confirm"), onclick: async () => {
        try {
          await api("POST", RESIDENT_API.cancel(inv.id));
          showMessage(msg, "ok", t("list.cancelled_ok"));
          reload();
        } catch (err) { showMessage(msg, "error", err.message); }
      }});
      const no = el("button", {type: "button", class: "secondary", text: t("list.keep"),
                               onclick: () => { clear(actions).append(ask); ask.focus(); }});
      clear(actions).append(yes, no);
      yes.focus();
    });
    actions.append(ask);
    li.append(actions);
  }
  return li;
}

document.addEventListener("DOMContentLoaded", async () => {
  const main = renderHeader("list.title");
  const site = siteOfPage();
  const msg = el("div", {id: "list-message", "aria-live": "polite"});
  const list = el("ul", {class: "invitations", id: "invitations", "aria-label": t("list.title")});
  const units = el("p", {class: "muted", id: "units"});
  const out = el("button", {type: "button", class: "secondary", id: "signout", text: t("list.signout"),
                            onclick: async () => {
    try { await api("POST", RESIDENT_API.signout); } catch (err) { /* already gone */ }
    sessionStorage.removeItem(CSRF_KEY);
    location.href = "/r/" + encodeURIComponent(site) + "/signin";
  }});
  main.append(units, el("div", {class: "actions"},
    el("a", {class: "button", id: "new-invitation", href: "/r/" + encodeURIComponent(site) + "/invite",
             text: t("list.new")}), out), msg, list);
  let me;
  try { me = await whoAmI(); } catch (err) { showMessage(msg, "error", err.message); return; }
  units.textContent = t("list.units", {units: me.units.join(", ")});
  async function reload() {
    try {
      const rows = await api("GET", RESIDENT_API.invitations);
      clear(list);
      if (!rows.length) list.append(el("li", {class: "empty muted", text: t("list.none")}));
      for (const inv of rows) list.append(invitationItem(inv, me, msg, reload));
      pageReady();
    } catch (err) { showMessage(msg, "error", err.message); }
  }
  await reload();
});
