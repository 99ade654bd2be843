// A new invitation: the unit (a choice when the resident has several), the visitor's name and
// phone, and the window (now to +4 h unless changed); central signs a single-use pass and answers
// with the link the resident sends to the visitor.
"use strict";

// A Date as the value of a datetime-local input (the browser's own zone, to the minute).
function localValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:` +
    pad(date.getMinutes());
}

function linkPanel(link, site) {
  const copied = el("span", {role: "status", class: "muted"});
  const copy = el("button", {type: "button", id: "copy-link", text: t("invite.copy"), onclick: async () => {
    try { await navigator.clipboard.writeText(link); copied.textContent = t("invite.copied"); }
    catch (err) { copied.textContent = link; }
  }});
  const actions = el("div", {class: "actions"}, copy);
  if (navigator.share) {
    actions.append(el("button", {type: "button", class: "secondary", text: t("invite.share"),
                                 onclick: () => navigator.share({url: link}).catch(() => {})}));
  }
  actions.append(el("a", {class: "button secondary", id: "back", href: "/r/" + encodeURIComponent(site) + "/invitations",
                          text: t("invite.back")}));
  return el("section", {class: "panel", id: "done"},
    el("p", {class: "message ok", role: "status", text: t("invite.done")}),
    el("p", {class: "link"}, el("a", {id: "visitor-link", href: link, text: link})), actions, copied);
}

document.addEventListener("DOMContentLoaded", async () => {
  const main = renderHeader("invite.title");
  const site = siteOfPage();
  const msg = el("div", {id: "invite-message", "aria-live": "polite"});
  let me;
  try { me = await whoAmI(); } catch (err) { main.append(msg); showMessage(msg, "error", err.message); return; }
  const now = new Date();
  const unit = el("select", {id: "unit", name: "unit"}, me.units.map((u) => el("option", {value: u, text: u})));
  const form = el("form", {id: "invite-form", novalidate: true},
    el("label", {for: "unit", text: t("invite.unit")}), unit,
    el("label", {for: "visitor-name", text: t("invite.name")}),
    el("input", {id: "visitor-name", name: "visitor_name", required: true, maxlength: 32, autocomplete: "off"}),
    el("label", {for: "visitor-phone", text: t("invite.phone")}),
    el("input", {id: "visitor-phone", name: "visitor_phone", type: "tel", inputmode: "tel", maxlength: 32,
                 autocomplete: "off"}),
    el("label", {for: "valid-from", text: t("invite.from")}),
    el("input", {id: "valid-from", name: "valid_from", type: "datetime-local", required: true, value: localValue(now)}),
    el("label", {for: "valid-until", text: t("invite.until")}),
    el("input", {id: "valid-until", name: "valid_until", type: "datetime-local", required: true,
                 value: localValue(new Date(now.getTime() + 4 * 3600 * 1000))}),
    el("p", {class: "muted", text: t("invite.hint")}),
    el("div", {class: "actions"}, el("button", {type: "submit", id: "invite-submit", text: t("invite.submit")}),
       el("a", {class: "button secondary", href: "/r/" + encodeURIComponent(site) + "/invitations",
                text: t("invite.back")})),
    msg);
  main.append(el("section", {class: "panel"}, form));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const from = new Date(form.valid_from.value), until = new Date(form.valid_until.value);
    if (isNaN(from) || isNaN(until)) { showMessage(msg, "error", t("invite.failed", {why: t("invite.from")})); return; }
    try {
      const made = await api("POST", RESIDENT_API.invitations, {
        unit: unit.value, visitor_name: form.visitor_name.value, visitor_phone: form.visitor_phone.value || null,
        valid_from: from.toISOString(), valid_until: until.toISOString()});
      form.parentNode.replaceWith(linkPanel(made.link, site));
      document.getElementById("copy-link").focus();
    } catch (err) {
      showMessage(msg, "error", t("invite.failed", {why: err.message}));
    }
  });
  pageReady();
});
