// The technician's phone page: log in once per phone, the work orders (mine and those nobody
// has claimed yet), and one order with ONE big button for the next step: 签收 (claim) -> 到场
// (on site) -> 完工 (done, with notes and photos) -> the resident signs on the screen.
//
// The slip's QR code opens /w/<token>, which central sends on to this page as ?claim=<token>.
// Every action goes through the outbox (tech-outbox.js) so that nothing tapped with no signal
// is lost; the service worker (sw.js) keeps the page itself so that it opens with no signal.
"use strict";

// Roles that may work on an order (central/auth/roles.py, tickets.work); a guard only looks.
const CAN_WORK = new Set(["desk", "technician", "manager", "admin"]);
// Who used the phone last (name and role only): the page opens with no signal.
const ME_KEY = "frontdesk.tech.me";
const CSRF_KEY = "frontdesk.csrf";
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{16,200}$/;
const enc = encodeURIComponent;

let me = null;              // {username, display_name, role}
let csrf = sessionStorage.getItem(CSRF_KEY) || "";
let offline = !navigator.onLine;
let queue = [];             // this account's outbox items, oldest first
let notices = [];           // [{kind, text}] newest first: what became of the actions sent
let current = null;         // the order on screen (GET /tickets/{id})
let actionsKey = "";        // what the action panel was drawn for (redrawn only when it changes)
let retryRoute = false;     // the view failed for want of signal: open it again when online

class NetError extends Error {}

const sender = new Sender({
  user: () => (me ? me.username : null),
  csrf: () => csrf,
  refreshCsrf: async () => { try { setMe(await call("GET", API.me)); return true; } catch (err) { return false; } },
  sent: (item, answer) => afterSend(item, answer),
});

// -- talking to central ----------------------------------------------------------------------

async function call(method, url, body) {
  const headers = {"Accept": "application/json"};
  if (method !== "GET") { headers["Content-Type"] = "application/json"; if (csrf) headers["X-CSRF-Token"] = csrf; }
  let res;
  try {
    res = await fetch(url, {method, headers, credentials: "same-origin",
                            body: body === undefined ? undefined : JSON.stringify(body)});
  } catch (err) {
    setOffline(true);
    throw new NetError(t("tech.offline"));
  }
  setOffline(false);
  return Toolkit.readJson(res);
}

function setMe(who) {
  me = {username: who.username, display_name: who.display_name || who.username, role: who.role};
  localStorage.setItem(ME_KEY, JSON.stringify(me));
  if (who.csrf_token) { csrf = who.csrf_token; sessionStorage.setItem(CSRF_KEY, csrf); }
  renderWho();
}

function savedMe() {
  try { return JSON.parse(localStorage.getItem(ME_KEY) || "null"); } catch (err) { return null; }
}

function setOffline(value) {
  if (offline === value) return;
  offline = value;
  renderNet();
}

// A view's loading failed: no signal (try again when back), the session ended (log in), or an answer to show.
function failed(err, where) {
  if (err instanceof NetError) { retryRoute = true; showProblem(where, t("tech.offline_view")); return; }
  if (err.status === 401) { needLogin(t("tech.session_ended")); return; }
  showProblem(where, err.status === 403 ? t("tech.not_allowed") : err.status === 404 ? t("tech.no_order")
    : t("error.load") + ": " + err.message);
}

function needLogin(why) {
  me = null;
  renderWho();
  renderLogin(why);
}

// -- the frame: header, connection line, what became of the actions ---------------------------

function renderFrame() {
  document.documentElement.lang = LANG;
  document.title = t("tech.title") + " · " + t("app.title");
  const other = LANG === "en" ? "zh-Hans" : "en";
  const header = el("header", {class: "tech-top"},
    el("h1", {text: t("tech.title")}),
    el("span", {id: "who"}),
    el("button", {type: "button", id: "lang", class: "secondary", lang: other, text: LANGS[other], onclick: () => {
      const q = new URLSearchParams(location.search);
      q.set("lang", other);
      location.search = q.toString();
    }}),
    el("button", {type: "button", id: "logout", class: "secondary", hidden: true, text: t("nav.logout"), onclick: logout}));
  document.body.prepend(header);
  renderNet();
}

function renderWho() {
  const who = document.getElementById("who");
  if (who) who.textContent = me ? me.display_name : "";
  const out = document.getElementById("logout");
  if (out) out.hidden = !me;
}

function renderNet() {
  const box = clear(document.getElementById("net"));
  if (offline) box.append(el("p", {class: "net offline", id: "offline", text: t("tech.offline_banner")}));
  if (queue.length) box.append(el("p", {class: "net queued-count", id: "queued-count", text: t("tech.queued_count", {n: queue.length})}));
}

// The newest answer, and a refusal before it (a refusal stays until something else goes wrong or
// the view changes: "sent" after it must not hide why an earlier photo was refused).
function notice(kind, text) {
  notices = [{kind, text}, ...notices.filter((n) => n.kind === "error")].slice(0, 2);
  const box = clear(document.getElementById("notices"));
  for (const n of notices) box.append(el("div", {class: "message " + n.kind, role: n.kind === "error" ? "alert" : "status", text: n.text}));
}

function clearNotices() { notices = []; clear(document.getElementById("notices")); }

function showProblem(where, text) {
  clear(where).append(el("div", {class: "message error problem", role: "alert", id: "problem", text}));
}

async function logout() {
  try { await call("POST", API.logout, {}); } catch (err) { /* gone already, or no signal: forget it here anyway */ }
  localStorage.removeItem(ME_KEY);
  sessionStorage.removeItem(CSRF_KEY);
  csrf = "";
  needLogin("");
}

// -- routes: ?claim=<token> (the slip's QR), ?ticket=<id>, else the list ----------------------

function main() { return document.getElementById("tech"); }

async function route() {
  retryRoute = false;
  actionsKey = "";
  current = null;
  if (!me) { renderLogin(""); return; }
  const q = new URLSearchParams(location.search);
  if (q.get("claim") !== null) return openClaim(q.get("claim"));
  if (q.get("ticket")) return openTicket(q.get("ticket"));
  return openList();
}

function go(query) {
  history.pushState(null, "", "/dashboard/tech" + query);
  clearNotices();
  route();
}

function renderLogin(why) {
  const page = clear(main());
  const msg = el("div", {id: "login-message"});
  const form = el("form", {class: "tech-login", id: "login-form"},
    el("h2", {text: t("login.title")}),
    why ? el("p", {class: "message error", role: "alert", text: why}) : null,
    new URLSearchParams(location.search).get("claim") !== null ? el("p", {id: "login-claim", text: t("tech.login_then_order")}) : null,
    el("label", {for: "username", text: t("login.user")}),
    el("input", {id: "username", name: "username", autocomplete: "username", required: true, maxlength: 64, autocapitalize: "none"}),
    el("label", {for: "password", text: t("login.password")}),
    el("input", {id: "password", name: "password", type: "password", autocomplete: "current-password", required: true}),
    el("p", {class: "muted", text: t("tech.login_remember")}),
    el("button", {type: "submit", id: "login-submit", class: "big", text: t("login.submit")}), msg);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      setMe(await call("POST", API.login, {username: form.username.value, password: form.password.value, remember: true}));
    } catch (err) {
      if (err instanceof NetError) showMessage(msg, "error", t("tech.offline"));
      else showLoginFailure(msg, err);
      return;
    }
    await refreshQueue();
    route();
    sender.flush();
  });
  page.append(form);
}

// -- the list ---------------------------------------------------------------------------------

async function openList() {
  const page = clear(main());
  page.append(el("p", {class: "muted", text: t("loading")}));
  if (!CAN_WORK.has(me.role)) { showProblem(page, t("tech.role_cannot", {role: me.role})); return; }
  let data;
  try {
    data = await call("GET", API.myWorkOrders);
  } catch (err) {
    failed(err, page);
    renderQueuedAll(page);
    return;
  }
  clear(page);
  page.append(orderList("mine", t("tech.mine"), t("tech.mine_none"), items(data, "mine")),
              orderList("unclaimed", t("tech.unclaimed"), t("tech.unclaimed_none"), items(data, "unclaimed")));
  renderQueuedAll(page);
  tick();
}

function orderList(id, title, none, rows) {
  const section = el("section", {class: "orders", id: "list-" + id, "aria-labelledby": id + "-title"},
    el("h2", {id: id + "-title", text: title + " (" + rows.length + ")"}));
  if (!rows.length) { section.append(el("p", {class: "empty", text: none})); return section; }
  section.append(el("ul", {class: "cards"}, rows.map((tk) => el("li", {},
    el("a", {class: "order-card", href: "/dashboard/tech?ticket=" + enc(tk.id), "data-ticket": tk.id,
             onclick: (e) => { e.preventDefault(); go("?ticket=" + enc(tk.id)); }},
      el("span", {class: "card-top"}, el("span", {class: "number", text: tk.number || tk.id}),
         el("span", {class: "badge state", text: stateName(tk.state)})),
      el("span", {class: "unit", text: tk.unit || t("tech.no_unit")}),
      el("span", {class: "title", text: tk.title || ""}),
      dueLine(tk))))));
  return section;
}

// Everything still waiting to be sent, on the list (with no signal the list itself cannot load).
function renderQueuedAll(page) {
  if (!queue.length) return;
  page.append(el("section", {class: "orders", id: "list-queued", "aria-labelledby": "queued-title"},
    el("h2", {id: "queued-title", text: t("tech.queued_title")}), queuedList(queue)));
}

function dueLine(tk) {
  const line = el("span", {class: "due"});
  if (tk.paused) { line.textContent = t("board.paused"); return line; }
  if (!tk.next_due_at) return line;
  line.dataset.due = tk.next_due_at;
  line.dataset.timer = tk.next_due_timer || "";
  return line;
}

// Time left (or over) on each order's next timer, every second.
function tick() {
  const now = Date.now();
  for (const line of document.querySelectorAll(".due[data-due]")) {
    const left = new Date(line.dataset.due).getTime() - now;
    const timer = line.dataset.timer ? t("tech.timer." + line.dataset.timer) + " · " : "";
    line.textContent = timer + (left < 0 ? t("board.overdue", {t: fmtSpan(left)}) : t("board.in", {t: fmtSpan(left)}));
    line.className = "due" + (left < 0 ? " late" : left < 2 * 60000 ? " soon" : "");
  }
}

// -- one order ----------------------------------------------------------------------------------

// The slip's address: central checks it (forged, expired, no such order), then the order opens.
async function openClaim(token) {
  const page = clear(main());
  if (!TOKEN_SHAPE.test(token)) { showProblem(page, t("tech.link_forged")); backLink(page); return; }
  page.append(el("p", {class: "muted", text: t("loading")}));
  let data;
  try {
    data = await call("GET", API.claimLink(token));
  } catch (err) {
    if (err instanceof ApiError && [400, 404, 410].includes(err.status)) {
      showProblem(page, t({400: "tech.link_forged", 404: "tech.no_order", 410: "tech.link_expired"}[err.status]));
      backLink(page);
    } else {
      failed(err, page);
    }
    return;
  }
  history.replaceState(null, "", "/dashboard/tech?ticket=" + enc(data.id));
  return openTicket(data.id);
}

function backLink(page) {
  page.prepend(el("a", {href: "/dashboard/tech", class: "back", id: "back", text: "‹ " + t("tech.all_orders"),
                        onclick: (e) => { e.preventDefault(); go(""); }}));
}

async function openTicket(id) {
  const page = clear(main());
  page.append(el("p", {class: "muted", text: t("loading")}));
  let ticket;
  try {
    ticket = await call("GET", API.ticket(id));
  } catch (err) {
    failed(err, page);
    backLink(page);
    if (queue.some((q) => q.ticket_id === id)) page.append(queuedList(queue.filter((q) => q.ticket_id === id)));
    return;
  }
  current = ticket;
  clear(page);
  backLink(page);
  page.append(el("article", {class: "order", id: "order", "data-ticket": ticket.id},
    el("div", {id: "order-facts"}), el("div", {id: "order-queue"}), el("div", {id: "order-actions"}),
    el("div", {id: "order-photos"})));
  renderOrder();
  loadAttachments(ticket.id);
}

// The state the order will be in once what waits in the outbox is sent (for the next button).
function effective(tk) {
  const states = tk.states || [];
  const later = (a, b) => (states.indexOf(b) > states.indexOf(a) ? b : a);
  let state = tk.state, paused = !!tk.paused, assignee = tk.assignee || null;
  const pending = queue.filter((q) => q.ticket_id === tk.id);
  for (const q of pending) {
    if (q.action === "claim") { state = later(state, "claimed"); assignee = assignee || me.username; }
    else if (q.action === "transition") state = later(state, q.body.to_state);
    else if (q.action === "confirm") state = later(state, "confirmed");
    else if (q.action === "pause") paused = true;
    else if (q.action === "resume") paused = false;
  }
  return {state, paused, assignee, pending};
}

function renderOrder() {
  const tk = current;
  if (!tk || !document.getElementById("order")) return;
  const eff = effective(tk);
  renderFacts(tk, eff);
  clear(document.getElementById("order-queue")).append(eff.pending.length ? queuedList(eff.pending) : "");
  const key = [eff.state, eff.paused, eff.assignee, me && me.role].join("|");
  if (key !== actionsKey) {
    actionsKey = key;
    renderActions(tk, eff);
  }
  tick();
}

function fact(label, value, id) {
  if (value === null || value === undefined || value === "") return null;
  return el("div", {class: "fact"}, el("dt", {text: label}), el("dd", {id, text: value}));
}

function renderFacts(tk, eff) {
  const contact = [tk.contact_name, tk.contact_phone].filter(Boolean).join(" ");
  clear(document.getElementById("order-facts")).append(
    el("h2", {id: "order-number", text: tk.number || tk.id}),
    el("p", {class: "order-state"}, el("span", {class: "badge", text: kindName(tk.kind)}),
       el("span", {class: "badge state", id: "order-state", text: stateName(eff.state)}),
       eff.pending.length ? el("span", {class: "badge queued", text: t("tech.queued")}) : null),
    tk.is_open === false ? null : dueLine({...tk, paused: eff.paused}),
    el("dl", {class: "facts"},
      fact(t("wo.unit"), tk.unit, "order-unit"),
      fact(t("wo.content"), [tk.title, tk.details].filter(Boolean).join("\n"), "order-content"),
      fact(t("wo.appointment"), tk.appointment_at ? fmtTime(tk.appointment_at, tk.tz, true) : "", "order-appointment"),
      fact(t("tech.contact"), contact, "order-contact"),
      fact(t("tech.holder"), eff.assignee, "order-holder")));
}

function queuedList(pending) {
  return el("ul", {class: "queued", id: "queued"}, pending.map((q) => el("li", {"data-event": q.event_id},
    el("span", {class: "badge queued", text: t("tech.queued")}),
    " " + t("tech.do." + q.label) + " · " + fmtTime(q.queued_at, current && current.tz, false) +
    (current && current.id === q.ticket_id ? "" : " · " + (q.number || "")))));
}

// The one next step, big; with what it needs (a note, photos, the signature pad).
function renderActions(tk, eff) {
  const box = clear(document.getElementById("order-actions"));
  const states = tk.states || [];
  const rank = (s) => states.indexOf(s);
  const now = rank(eff.state);
  if (!CAN_WORK.has(me.role)) { box.append(el("p", {class: "message error", id: "cannot-claim", text: t("tech.role_cannot", {role: me.role})})); return; }
  if (rank("claimed") >= 0 && now < rank("claimed")) { box.append(bigButton("claim", t("tech.claim"), () => act("claim", "claim", {}))); return; }
  if (eff.assignee && eff.assignee !== me.username && tk.is_open !== false) {
    box.append(el("p", {class: "message error held", id: "held", text: t("tech.held_by", {holder: eff.assignee})}));
    return;
  }
  if (rank("on_site") >= 0 && now < rank("on_site")) {
    box.append(noteField(), bigButton("on-site", t("tech.on_site"), () => act("transition", "on_site", {to_state: "on_site", note: takeNote()})), pauseButton(eff));
  } else if (rank("done") >= 0 && now < rank("done")) {
    box.append(photoField(), noteField(), bigButton("done", t("tech.done"), () => act("transition", "done", {to_state: "done", note: takeNote()})), pauseButton(eff));
  } else if (eff.state === "done" && rank("confirmed") >= 0) {
    box.append(photoField(), signatureField());
  } else {
    box.append(el("p", {class: "message ok", id: "finished", text: t("tech.finished", {state: stateName(eff.state)})}));
  }
}

function bigButton(id, text, onclick) {
  return el("button", {type: "button", class: "big", id, text, onclick: (e) => { e.currentTarget.disabled = true; onclick(); }});
}

function noteField() {
  return el("div", {class: "field"}, el("label", {for: "note", text: t("tech.note")}),
    el("textarea", {id: "note", maxlength: 2000, rows: 2}));
}

function takeNote() {
  const box = document.getElementById("note");
  const note = box ? box.value.trim() : "";
  if (box) box.value = "";
  return note || null;
}

function pauseButton(eff) {
  return eff.paused
    ? el("button", {type: "button", class: "secondary wide", id: "resume", text: t("tech.resume"), onclick: () => act("resume", "resume", {note: null})})
    : el("button", {type: "button", class: "secondary wide", id: "pause", text: t("tech.pause"),
                    onclick: () => act("pause", "pause", {reason: "waiting_resident", note: takeNote()})});
}

function photoField() {
  const input = el("input", {type: "file", id: "photo-input", accept: "image/*", capture: "environment", multiple: true});
  input.addEventListener("change", async () => {
    const files = Array.from(input.files || []);
    input.value = "";
    for (const file of files) await addPhoto(file);
  });
  return el("div", {class: "field photo-field"}, el("label", {for: "photo-input", text: t("tech.photo_add")}), input);
}

async function addPhoto(file) {
  const small = await shrinkPhoto(file);
  const name = small ? "photo.jpg" : (file.name || "photo").replace(/[^A-Za-z0-9_.-]/g, "_").slice(-80);
  await act("photo", "photo", {note: null}, {blob: small || file, filename: name});
}

function signatureField() {
  const canvas = el("canvas", {id: "signature", class: "signature", role: "img", "aria-label": t("tech.sign_here")});
  const send = el("button", {type: "button", class: "big", id: "confirm", disabled: true, text: t("tech.confirm")});
  const pad = new SignaturePad(canvas, (drawn) => { send.disabled = !drawn; });
  send.addEventListener("click", () => {
    if (!pad.drawn) return;
    send.disabled = true;
    act("confirm", "confirm", {method: "signature", signature_png: pad.png(), note: takeNote()});
  });
  const field = el("section", {class: "field sign", "aria-labelledby": "sign-title"},
    el("h3", {id: "sign-title", text: t("tech.resident_signs")}),
    el("p", {class: "muted", id: "sign-hint", text: t("tech.sign_here")}), canvas,
    el("div", {class: "row"}, el("button", {type: "button", class: "secondary", id: "sign-clear", text: t("tech.sign_clear"), onclick: () => pad.clear()})),
    noteField(), send);
  requestAnimationFrame(() => pad.fit());
  return field;
}

async function loadAttachments(id) {
  const box = document.getElementById("order-photos");
  let rows;
  try { rows = items(await call("GET", API.attachments(id)), "attachments"); } catch (err) { return; }
  if (!box || !current || current.id !== id) return;
  clear(box);
  if (!rows.length) return;
  box.append(el("section", {"aria-labelledby": "photos-title"},
    el("h3", {id: "photos-title", text: t("tech.photos", {n: rows.length})}),
    el("div", {class: "thumbs"}, rows.map((a, i) => el("img", {
      src: API.attachment(id, a.id), "data-kind": a.kind, loading: "lazy",
      alt: t(a.kind === "signature" ? "tech.signature_alt" : "tech.photo_alt", {n: i + 1})})))));
}

// -- acting: into the outbox first, then sent -------------------------------------------------

async function act(action, label, body, extra) {
  const tk = current;
  const item = {event_id: uuidv7(), ticket_id: tk.id, number: tk.number || "", action, label, body,
                user: me.username, queued_at: new Date().toISOString(), ...(extra || {})};
  try {
    await Outbox.add(item);
  } catch (err) {
    notice("error", t("tech.not_saved", {why: err && err.message}));
    actionsKey = "";
    renderOrder();
    return;
  }
  await refreshQueue();
  renderOrder();
  sender.flush();
}

async function refreshQueue() {
  try { queue = me ? (await Outbox.all()).filter((q) => q.user === me.username) : []; } catch (err) { queue = []; }
  renderNet();
}

let reloadSoon = null;
async function afterSend(item, answer) {
  const what = t("tech.do." + item.label);
  if (answer.later) {
    if (answer.later === "offline") setOffline(true);
    if (answer.later === "login") needLogin(t("tech.session_ended"));
    await refreshQueue();
    renderOrder();
    return;
  }
  setOffline(false);
  if (answer.ok) notice("ok", t("tech.sent", {what}));
  else notice("error", t("tech.not_sent", {what, why: answer.reason}));
  await refreshQueue();
  if (current && current.id === item.ticket_id) {
    if (!answer.ok) actionsKey = "";  // the refused step's button comes back
    clearTimeout(reloadSoon);
    reloadSoon = setTimeout(() => reloadCurrent(item.ticket_id), 100);
  }
}

async function reloadCurrent(id) {
  if (!current || current.id !== id) return;
  try { current = await call("GET", API.ticket(id)); } catch (err) { /* keep what is shown */ }
  renderOrder();
  loadAttachments(id);
}

// -- start --------------------------------------------------------------------------------------

async function start() {
  renderFrame();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/dashboard/tech-sw.js", {scope: "/dashboard/tech"}).catch(() => { /* no https: no offline shell */ });
  }
  try {
    setMe(await call("GET", API.me));
  } catch (err) {
    const saved = err instanceof NetError ? savedMe() : null;
    if (saved) { me = saved; renderWho(); }
  }
  await refreshQueue();
  await route();
  sender.flush();
}

window.addEventListener("popstate", () => { clearNotices(); route(); });
window.addEventListener("online", () => {
  setOffline(false);
  sender.flush();
  if (retryRoute) route();
});
window.addEventListener("offline", () => setOffline(true));
document.addEventListener("DOMContentLoaded", () => {
  start();
  setInterval(tick, 1000);
  // A retry now and then: the `online` event does not come when the signal was there but central was not.
  setInterval(() => { if (queue.length && me) sender.flush(); else if (retryRoute && navigator.onLine) route(); }, 15000);
});
