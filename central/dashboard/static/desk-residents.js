// The residents panel of the desk home. It lists the residents waiting for a sign-in code. Until a
// site has SMS the desk reads the code out, so the panel offers "make code" for each of them and
// for a number typed in (a resident on the phone or at the counter). It also issues a pass for a
// resident: the invite dialog, with today's invitations and their cancelling (= revoking the pass
// at the kiosks and gates). The panel shows for roles with `residents.codes`; the API checks
// every request anyway.
//
// A code exists only in its open dialog: it is never kept in a variable outside it, in storage or
// in the console, and closing the dialog removes it from the page.
"use strict";

const RES_REFRESH_MS = 15000;   // no event announces a request, so the list is asked again this often
const RES_TICK_MS = 5000;       // "how long ago" moves on between refreshes
const resPanel = {site: () => "", mayInvite: false, timer: null, asked: 0, shown: null};

// -- small pieces -----------------------------------------------------------------------------------

// A datetime-local value (the browser's zone, to the minute) for a Date.
function resLocalValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

// An API refusal as one readable line: FastAPI's validation errors come as a list of {loc, msg}.
function resReason(err) {
  let parsed = null;
  try { parsed = JSON.parse(err.message); } catch (e) { /* a plain sentence */ }
  if (Array.isArray(parsed)) {
    return parsed.map((d) => (d && d.loc ? String(d.loc[d.loc.length - 1]) + ": " : "") + (d && d.msg ? d.msg : "")).join("; ");
  }
  return err.message;
}

function resDialog(id, wide) {
  let dlg = document.getElementById(id);
  if (!dlg) {
    dlg = el("dialog", {id, class: "res-dialog" + (wide ? " wide" : ""), "aria-labelledby": id + "-heading"});
    // Esc or the close button: whatever the dialog showed is taken off the page. Focus goes back
    // where it was, or to the panel's first button if that is gone (an answered request's row).
    dlg.addEventListener("close", () => {
      clearInterval(dlg.ticker);
      clear(dlg);
      setTimeout(() => {
        const back = document.getElementById("res-code-new");
        if (back && (!document.activeElement || document.activeElement === document.body)) back.focus();
      }, 0);
    });
    document.body.append(dlg);
  }
  clearInterval(dlg.ticker);
  return clear(dlg);
}

function resClose(dlg) { closeModal(dlg); clearInterval(dlg.ticker); clear(dlg); }

function agoText(iso) { return t("res.ago", {t: fmtSpan(Date.now() - new Date(iso).getTime())}); }

function tickAgo() {
  for (const cell of document.querySelectorAll("#res-waiting .ago[data-at]")) cell.textContent = agoText(cell.dataset.at);
}

// -- residents waiting for a code ------------------------------------------------------------------

function waitingRow(r) {
  const masked = r.phone_masked || "";
  return el("li", {"data-request": r.id},
    el("span", {class: "phone", text: masked}), " · ",
    el("span", {class: "units", text: (r.units || []).join(", ")}), " · ",
    el("span", {class: "ago muted", "data-at": r.requested_at, text: agoText(r.requested_at)}), " ",
    // The full number stays in this closure: it is what the code is made for, and is not shown.
    el("button", {type: "button", class: "secondary res-make-code", text: t("res.make_code"),
                  "aria-label": t("res.make_code_for", {phone: masked}),
                  onclick: () => openCodeDialog(r.phone)}));
}

async function loadWaiting() {
  const box = document.getElementById("res-waiting");
  const site = resPanel.site();
  if (!box) return;
  if (!site) { resPanel.shown = null; showMessage(box, "error", t("res.need_site")); return; }
  const mine = ++resPanel.asked;
  try {
    const rows = items(await api("GET", API.residentCodes(site)));
    if (mine !== resPanel.asked) return;  // a later refresh (or another site) answered meanwhile
    showWaiting(box, rows);
  } catch (err) {
    if (mine === resPanel.asked) { resPanel.shown = null; showMessage(box, "error", t("error.load") + ": " + resReason(err)); }
  }
}

// The list is redrawn only when it changed, so that a clerk's focus on a row's button survives the
// refreshes; screen readers hear the count when it changes, not every refresh of "how long ago".
function showWaiting(box, rows) {
  const shown = resPanel.site() + "|" + rows.map((r) => r.id + "@" + r.requested_at).join(",");
  if (shown === resPanel.shown) { tickAgo(); return; }
  const countChanged = resPanel.shown === null || rows.length !== Number(document.getElementById("res-waiting-count").textContent);
  resPanel.shown = shown;
  const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("li[data-request]");
  document.getElementById("res-waiting-count").textContent = String(rows.length);
  if (countChanged) document.getElementById("res-waiting-status").textContent = t("res.waiting_count", {n: rows.length});
  clear(box).append(rows.length ? el("ul", {class: "attention", id: "res-waiting-list"}, rows.map(waitingRow))
                                : el("p", {class: "empty", id: "res-none", text: t("res.none_waiting")}));
  const again = focused && box.querySelector(`li[data-request="${CSS.escape(focused.dataset.request)}"] button`);
  if (again) again.focus();
}

// -- the code dialog --------------------------------------------------------------------------------

function codeError(err) {
  if (err.status === 404) return t("res.not_listed");
  if (err.status === 422) return t("res.bad_phone");
  if (err.status === 403) return t("error.forbidden");
  return resReason(err);
}

// The code, large, with its expiry counting down; the clerk reads it out.
function showCode(dlg, box, made) {
  const left = el("span", {id: "res-code-left", "aria-hidden": "true"});  // read once as the time, not every second
  const tick = () => {
    const ms = new Date(made.expires_at).getTime() - Date.now();
    left.textContent = ms > 0 ? t("res.code_left", {t: fmtSpan(ms)}) : t("res.code_expired");
    left.className = ms > 0 ? "" : "late";
  };
  clear(box).append(
    el("p", {text: t("res.read_out")}),
    el("p", {class: "code-big", id: "res-code", text: made.code}),
    el("p", {id: "res-code-expiry"}, t("res.code_until", {time: fmtTime(made.expires_at, null, false)}), " ", left),
    el("p", {class: "muted", id: "res-code-units", text: t("res.code_units", {units: (made.units || []).join(", ")})}));
  tick();
  dlg.ticker = setInterval(tick, 1000);
}

async function makeCode(dlg, box, phone) {
  showMessage(box, "info", t("loading"));
  try {
    const made = await api("POST", API.residentCodes(resPanel.site()), {phone});
    loadWaiting();  // the request it answered leaves the list
    if (!dlg.open || !box.isConnected) return false;  // closed meanwhile: the code is not shown at all
    showCode(dlg, box, made);
    return true;
  } catch (err) {
    showMessage(box, "error", codeError(err));
    return false;
  }
}

// With `phone` (a waiting request): the code at once. Without: a number to type in first.
function openCodeDialog(phone) {
  const dlg = resDialog("res-code-dialog");
  const result = el("div", {id: "res-code-result", "aria-live": "polite"});
  const close = el("button", {type: "button", class: "secondary", id: "res-code-close", text: t("res.close"),
                              onclick: () => resClose(dlg)});
  dlg.append(el("h2", {id: "res-code-dialog-heading", text: t("res.code_title")}));
  if (!phone) {
    const input = el("input", {id: "res-phone", type: "tel", maxlength: 40, autocomplete: "off", inputmode: "tel"});
    const form = el("form", {id: "res-code-form", class: "stack", novalidate: true},
      el("label", {for: "res-phone", text: t("res.phone")}), input,
      el("p", {class: "actions"}, el("button", {type: "submit", id: "res-code-submit", text: t("res.make_code")})));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const typed = input.value.trim();
      if (!typed) { showMessage(result, "error", t("res.bad_phone")); input.focus(); return; }
      if (await makeCode(dlg, result, typed)) { form.remove(); close.focus(); }
    });
    dlg.append(form);
    dlg.append(result, el("p", {class: "actions"}, close));
    openModal(dlg);
    input.focus();
    return;
  }
  dlg.append(result, el("p", {class: "actions"}, close));
  openModal(dlg);
  close.focus();
  makeCode(dlg, result, phone);
}

// -- the panel --------------------------------------------------------------------------------------

// Which site the panel works on: the page's (?site= or the account's only one), else a choice.
function resSiteControl(me) {
  const fixed = siteParam() || (me.sites && me.sites.length === 1 && me.sites[0] !== "*" ? me.sites[0] : "");
  if (fixed) { resPanel.site = () => fixed; return null; }
  const sites = (me.sites || []).filter((s) => s !== "*");
  const control = sites.length
    ? el("select", {id: "res-site"}, sites.map((s) => el("option", {value: s, text: s})))
    : el("input", {id: "res-site", maxlength: 64, autocomplete: "off"});
  control.addEventListener("change", loadWaiting);
  resPanel.site = () => control.value.trim();
  return el("p", {}, el("label", {for: "res-site", text: t("site")}), control);
}

function residentsPanel(me) {
  const panel = clear(document.getElementById("panel-residents"));
  const siteControl = resSiteControl(me);
  panel.append(
    el("h2", {id: "res-title", text: t("res.title")}),
    el("div", {class: "actions"},
      el("button", {type: "button", id: "res-code-new", text: t("res.code_new"), onclick: () => openCodeDialog(null)}),
      resPanel.mayInvite ? el("button", {type: "button", id: "res-invite-new", class: "secondary", text: t("res.invite_new"),
                                         onclick: () => openInviteDialog()}) : null),
    siteControl || [],
    el("h3", {id: "res-waiting-title"}, t("res.waiting"), " ", el("span", {class: "badge", id: "res-waiting-count", text: "0"})),
    el("div", {id: "res-waiting-status", class: "visually-hidden", role: "status"}),
    el("div", {id: "res-waiting"}));
  panel.hidden = false;
}

document.addEventListener("DOMContentLoaded", async () => {
  const me = await whoAmI();
  if (!document.getElementById("panel-residents") || !can(me, "residents.codes")) return;
  resPanel.mayInvite = can(me, "commands.passes");
  residentsPanel(me);
  loadWaiting();
  setInterval(loadWaiting, RES_REFRESH_MS);
  setInterval(tickAgo, RES_TICK_MS);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) loadWaiting(); });
});
