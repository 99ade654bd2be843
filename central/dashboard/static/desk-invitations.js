// Passes the desk issues for a resident, from the residents panel of the desk home
// (desk-residents.js). The invite dialog asks for the unit (the directory's type-ahead of the
// new-ticket form), the visitor's name and phone, and the window, which defaults to now to +4 h.
// It then shows the visitor link, to read out or send, and the pass's QR code. Below, today's
// invitations of the site can be cancelled, which revokes the pass at the site's kiosks and gates.
"use strict";

const INVITE_HOURS = 4;
const CANCELLABLE = ["upcoming", "used"];

// Whether an invitation belongs to today (this browser's day): its window touches today, or it was
// made today.
function isToday(inv) {
  const start = new Date();
  start.setHours(0, 0, 0, 0);
  const end = new Date(start.getTime());
  end.setDate(end.getDate() + 1);
  const from = new Date(inv.valid_from), until = new Date(inv.valid_until), made = new Date(inv.created_at);
  return (from < end && until > start) || (made >= start && made < end);
}

// The token at the end of a visitor link (<base>/r/v/<token>). The QR is fetched from this server,
// whatever base the link carries. Anything else in that place gives no QR.
function linkToken(link) {
  const m = /\/r\/v\/([A-Za-z0-9_-]{1,64})$/.exec(String(link || ""));
  return m ? m[1] : null;
}

function windowText(inv) { return fmtTime(inv.valid_from, null, true) + " – " + fmtTime(inv.valid_until, null, true); }

function madeByText(inv) {
  return inv.made_by_kind === "desk" ? t("res.by_desk", {who: inv.made_by}) : t("res.by_resident");
}

// -- the invitation just made -----------------------------------------------------------------------

function invitationResult(box, made) {
  const token = linkToken(made.link);
  const web = /^https?:\/\//.test(String(made.link || ""));  // only a web address becomes a link
  const copied = el("span", {role: "status", class: "muted", id: "res-copied"});
  const copy = el("button", {type: "button", class: "secondary", id: "res-copy", text: t("res.copy"), onclick: async () => {
    try { await navigator.clipboard.writeText(made.link); copied.textContent = t("res.copied"); }
    catch (e) { copied.textContent = t("res.copy_by_hand"); }
  }});
  const heading = el("h3", {id: "res-result-title", tabindex: "-1", text: t("res.made", {name: made.visitor_name, unit: made.unit})});
  clear(box).append(heading,
    el("p", {class: "res-link-line"}, el("span", {class: "muted", text: t("res.link") + " "}),
       web ? el("a", {id: "res-link", href: made.link, target: "_blank", rel: "noopener", text: made.link})
           : el("span", {id: "res-link", text: made.link || ""})),
    el("p", {class: "actions"}, copy, copied),
    token ? el("img", {id: "res-qr", class: "qr", src: API.visitorQr(token), "data-invitation": made.id,
                       alt: t("res.qr_alt", {name: made.visitor_name}), width: 280, height: 280}) : null,
    el("p", {class: "muted", id: "res-window", text: windowText(made)}));
  box.hidden = false;
  heading.focus();
}

// -- today's invitations ----------------------------------------------------------------------------

function invitationRow(inv) {
  const actions = el("span", {class: "actions"});
  if (CANCELLABLE.includes(inv.state)) {
    // Two steps: a cancelled pass cannot be brought back.
    const cancel = el("button", {type: "button", class: "secondary res-cancel", text: t("res.cancel"),
                                 "aria-label": t("res.cancel_for", {name: inv.visitor_name})});
    const confirm = el("button", {type: "button", class: "res-cancel-confirm", text: t("res.cancel_confirm"),
                                  onclick: () => cancelInvitation(inv)});
    const keep = el("button", {type: "button", class: "secondary res-cancel-keep", text: t("res.keep"),
                               onclick: () => { clear(actions).append(cancel); cancel.focus(); }});
    cancel.addEventListener("click", () => { clear(actions).append(confirm, keep); confirm.focus(); });
    actions.append(cancel);
  }
  return el("li", {"data-invitation": inv.id, "data-state": inv.state},
    el("strong", {class: "visitor", text: inv.visitor_name}), " · ", el("span", {class: "unit", text: inv.unit}), " ",
    el("span", {class: "badge res-state", text: t("res.state." + inv.state)}), " ",
    el("span", {class: "muted", text: windowText(inv) + " · " + madeByText(inv)}), " ", actions);
}

async function loadInvitations() {
  const box = document.getElementById("res-invitations");
  if (!box) return;
  try {
    const rows = items(await api("GET", API.invitations(resPanel.site()))).filter(isToday);
    if (!box.isConnected) return;  // the dialog was closed meanwhile
    document.getElementById("res-today-count").textContent = String(rows.length);
    clear(box).append(rows.length ? el("ul", {class: "attention", id: "res-invitation-list"}, rows.map(invitationRow))
                                  : el("p", {class: "empty", id: "res-no-invitations", text: t("res.none_today")}));
  } catch (err) {
    showMessage(box, "error", t("error.load") + ": " + resReason(err));
  }
}

async function cancelInvitation(inv) {
  const msg = document.getElementById("res-list-message");
  try {
    const done = await api("POST", API.invitationCancel(resPanel.site(), inv.id), {});
    const posts = done.revoked_at || [];
    showMessage(msg, posts.length ? "ok" : "warn", posts.length
      ? t("res.revoked", {name: done.visitor_name, posts: posts.join(", ")})
      : t("res.revoked_nowhere", {name: done.visitor_name}));
    // The pass shown above, if it is this one, opens nothing any more (its QR is gone too: 410).
    const qr = document.getElementById("res-qr");
    if (qr && qr.dataset.invitation === inv.id) qr.replaceWith(el("p", {class: "late", id: "res-qr-cancelled", text: t("res.state.cancelled")}));
  } catch (err) {
    showMessage(msg, "error", t("res.cancel_failed", {why: resReason(err)}));
  }
  await loadInvitations();
  const close = document.getElementById("res-invite-close");
  if (close) close.focus();  // the row's buttons were redrawn
}

// -- the form ---------------------------------------------------------------------------------------

function roleName(role) { return t("cap.role." + role); }

// Over the user's role's cap ([tickets] pass_caps): the cap and what was asked, in the page's words.
function capRefusal(body) {
  const hours = (h) => String(Math.round(Number(h) * 10) / 10);
  return t("cap.refused", {role: roleName(String(body.role)), cap: hours(body.cap_hours), asked: hours(body.asked_hours)});
}

// The longest pass the signed-in user may issue, said under the form before anything is sent.
async function showCap(line) {
  try {
    const caps = await api("GET", API.passCaps);
    line.textContent = t("cap.yours", {role: roleName(caps.role), hours: String(caps.single_use_hours)});
  } catch (err) {
    line.textContent = "";  // the form still works; a refusal says the cap
  }
}

function inviteError(err, unit) {
  // Central's own words for this one (a 422 also answers a bad window or name, in other words).
  if (err.status === 422 && /not in the site's directory/.test(err.message)) return t("res.unit_unknown", {unit});
  if (err.status === 403 && err.body && err.body.error === "pass_cap") return capRefusal(err.body);
  if (err.status === 403) return t("error.forbidden");
  return t("res.invite_failed", {why: resReason(err)});
}

// What is missing or wrong before anything is sent: [message key, the field to go to], or null.
function inviteProblem(f) {
  if (!f.unit.value.trim()) return ["res.need_unit", f.unit];
  if (!f.name.value.trim()) return ["res.need_name", f.name];
  const start = new Date(f.from.value), end = new Date(f.until.value);
  if (isNaN(start.getTime())) return ["res.need_window", f.from];
  if (isNaN(end.getTime())) return ["res.need_window", f.until];
  if (end <= start) return ["res.window_backwards", f.until];
  return null;
}

function inviteForm(result) {
  const now = new Date();
  const f = {
    unit: el("input", {id: "res-unit", maxlength: 32, autocomplete: "off", role: "combobox", "aria-autocomplete": "list",
                       "aria-expanded": "false", "aria-controls": "res-unit-list"}),
    list: el("ul", {id: "res-unit-list", role: "listbox", class: "combo-list", hidden: true, "aria-label": t("tf.units")}),
    name: el("input", {id: "res-visitor-name", maxlength: 32, autocomplete: "off"}),
    phone: el("input", {id: "res-visitor-phone", type: "tel", maxlength: 32, autocomplete: "off"}),
    from: el("input", {id: "res-from", type: "datetime-local", value: resLocalValue(now)}),
    until: el("input", {id: "res-until", type: "datetime-local", value: resLocalValue(new Date(now.getTime() + INVITE_HOURS * 3600000))}),
  };
  const error = el("div", {id: "res-invite-error", "aria-live": "assertive"});
  const cap = el("p", {id: "res-cap", class: "muted"});
  showCap(cap);
  const submit = el("button", {type: "submit", id: "res-invite-submit", text: t("res.invite")});
  const form = el("form", {id: "res-invite-form", class: "stack ticket-form", novalidate: true},
    el("div", {class: "combo"}, field("res-unit", "wo.unit", f.unit), f.list),
    field("res-visitor-name", "res.visitor_name", f.name), field("res-visitor-phone", "res.visitor_phone", f.phone),
    field("res-from", "res.from", f.from), field("res-until", "res.until", f.until), cap,
    el("p", {class: "actions"}, submit), error);
  new UnitCombo(f.unit, f.list, {siteOf: () => resPanel.site(), idPrefix: "res-unit", onPick: () => f.name.focus()});
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clear(error);
    const problem = inviteProblem(f);
    if (problem) { showMessage(error, "error", t(problem[0])); problem[1].focus(); return; }
    const unit = f.unit.value.trim();
    submit.disabled = true;
    try {
      const made = await api("POST", API.invitations(resPanel.site()), {
        unit, visitor_name: f.name.value.trim(), visitor_phone: f.phone.value.trim() || null,
        valid_from: new Date(f.from.value).toISOString(), valid_until: new Date(f.until.value).toISOString()});
      f.name.value = "";
      f.phone.value = "";
      invitationResult(result, made);
      loadInvitations();
    } catch (err) {
      showMessage(error, "error", inviteError(err, unit));
    } finally {
      submit.disabled = false;
    }
  });
  return {form, focus: () => f.unit.focus()};
}

function openInviteDialog() {
  const dlg = resDialog("res-invite-dialog", true);
  const result = el("section", {id: "res-invite-result", hidden: true});
  const form = inviteForm(result);
  dlg.append(el("h2", {id: "res-invite-dialog-heading", text: t("res.invite_title")}),
    el("div", {class: "res-invite-body"}, form.form, result),
    el("h3", {id: "res-today-title"}, t("res.today"), " ", el("span", {class: "badge", id: "res-today-count", text: "0"})),
    el("div", {id: "res-list-message", "aria-live": "polite"}),
    el("div", {id: "res-invitations"}),
    el("p", {class: "actions"}, el("button", {type: "button", class: "secondary", id: "res-invite-close", text: t("res.close"),
                                              onclick: () => resClose(dlg)})));
  openModal(dlg);
  form.focus();
  loadInvitations();
}
