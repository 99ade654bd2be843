// Shared by every dashboard page: the header, API calls, safe DOM building, and the dashboard's
// use of the toolkit it shares with the kiosk screens (/dashboard/shared/toolkit.js: the API
// map, time formatting, the live stream). Data is only ever put on the page as text (el(),
// textContent).
"use strict";

// Central's HTTP API as the dashboard uses it: the toolkit's map of every endpoint a screen calls.
const API = Toolkit.API.central;

// Safe DOM building (every value as text): the toolkit's.
const {el, clear} = Toolkit;

// An answer other than 2xx (status, detail): the toolkit's.
const ApiError = Toolkit.HttpError;

// Every call sends the session cookie (HttpOnly, set by login); state-changing ones also send the
// session's CSRF token, which login and /auth/me hand to the page, as central's auth asks.
async function api(method, url, body, params) {
  if (params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") q.set(k, v);
    const qs = q.toString();
    if (qs) url += (url.includes("?") ? "&" : "?") + qs;
  }
  const headers = {"Accept": "application/json"};
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    const csrf = sessionStorage.getItem("frontdesk.csrf");
    if (csrf) headers["X-CSRF-Token"] = csrf;
  }
  const res = await fetch(url, {method, headers, credentials: "same-origin",
                                body: body === undefined ? undefined : JSON.stringify(body)});
  if (res.status === 401 && !location.pathname.endsWith("/login")) {
    location.href = "/dashboard/login?next=" + encodeURIComponent(location.pathname + location.search);
  }
  return Toolkit.readJson(res);
}

// Lists come back either as a bare array or as {items: [...]}; screens take both.
function items(data, key) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data[key || "items"])) return data[key || "items"];
  if (data && Array.isArray(data.items)) return data.items;
  return [];
}

// "11/23 09:24" in the site's zone, in the page's language (the toolkit's one time format).
function fmtTime(iso, tz, withDate) { return Toolkit.formatTime(iso, {lang: LANG, tz, withDate}); }

function fmtSpan(ms) {
  const s = Math.floor(Math.abs(ms) / 1000);
  if (s < 60) return t("time.s", {n: s});
  const m = Math.floor(s / 60);
  if (m < 60) return t("time.min", {n: m}) + " " + t("time.s", {n: s % 60});
  const h = Math.floor(m / 60);
  if (h < 48) return t("time.h", {n: h}) + " " + t("time.min", {n: m % 60});
  return t("time.d", {n: Math.floor(h / 24)}) + " " + t("time.h", {n: h % 24});
}

function kindName(kind) { return kind ? t("kind." + kind) : ""; }
function stateName(state) { return state ? t("st." + state) : ""; }

function siteParam() { return new URLSearchParams(location.search).get("site") || ""; }

function showMessage(where, kind, text) {
  clear(where).append(el("div", {class: "message " + kind, role: kind === "error" ? "alert" : "status", text}));
}

// A refused login said on the page (login.html and the technician's page): wrong credentials, or
// (429) the wait central gave in Retry-After, then that the wait is over. The form stays usable
// throughout: a try before the end is answered with the wait that is left.
let loginWait = null;
function showLoginFailure(where, err) {
  clearTimeout(loginWait);
  if (err.status !== 429) {
    showMessage(where, "error", err.status === 401 || err.status === 403 ? t("login.failed") : err.message);
    return;
  }
  const seconds = Math.max(1, err.retryAfter || 1);
  showMessage(where, "error", t("login.locked", {n: seconds}));
  loginWait = setTimeout(() => showMessage(where, "ok", t("login.locked_over")), seconds * 1000);
}

// The header: navigation, language switch, live state and the account.
function renderHeader(page) {
  document.documentElement.lang = LANG;
  document.title = t("nav." + page) + " · " + t("app.title");
  const keep = (p) => {
    const q = new URLSearchParams();
    if (siteParam()) q.set("site", siteParam());
    const qs = q.toString();
    return "/dashboard/" + p + (qs ? "?" + qs : "");
  };
  const nav = el("nav", {"aria-label": "main"},
    ["desk", "ticket-new", "board", "visitors", "registers", "stats", "commands"].map((p) =>
      el("a", {href: keep(p), class: p === page ? "here" : null, id: "nav-" + p, text: t("nav." + p)})));
  const langSel = el("select", {id: "lang", "aria-label": t("lang"), onchange: (e) => {
    localStorage.setItem("frontdesk.lang", e.target.value);
    const q = new URLSearchParams(location.search); q.set("lang", e.target.value);
    location.search = q.toString();
  }}, Object.entries(LANGS).map(([k, v]) => el("option", {value: k, selected: k === LANG}, v)));
  const who = el("span", {id: "who", class: "muted"});
  const out = el("button", {class: "secondary", id: "logout", hidden: true, text: t("nav.logout"), onclick: async () => {
    try { await api("POST", API.logout, {}); } catch (e) { /* already gone */ }
    location.href = "/dashboard/login";
  }});
  const header = el("header", {class: "top"}, el("h1", {text: t("app.title")}), nav,
    el("div", {class: "tools"}, el("span", {id: "live-state", text: t("live.connecting")}), who, out, langSel));
  document.body.prepend(header);
  if (page !== "login") {
    whoAmI().then((me) => {
      if (me) {
        if (me.csrf_token) sessionStorage.setItem("frontdesk.csrf", me.csrf_token);
        who.textContent = (me.display_name || me.username || "") + (me.role ? " · " + me.role : "");
        out.hidden = false;
      }
    }).catch(() => { /* no accounts API, or not logged in: the pages say so themselves */ });
  }
}

let mePromise = null;
// The logged-in account ({username, role, sites, csrf_token}), or null.
function whoAmI() {
  if (!mePromise) mePromise = api("GET", API.me).catch(() => null);
  return mePromise;
}

function whoAmIFresh() { return api("GET", API.me).catch(() => null); }

// The site a page shows: ?site=..., else the account's only site, else none (all its sites).
async function pageSite() {
  if (siteParam()) return siteParam();
  const me = await whoAmI();
  return me && me.sites && me.sites.length === 1 && me.sites[0] !== "*" ? me.sites[0] : "";
}

// The live stream (Server-Sent Events, the toolkit's LiveStream: it reconnects by itself, also
// when a connection dies silently). `onEvent` gets each committed event; `onResync` is called
// after a gap (reconnect or dropped items), when the page reloads its state over HTTP.
function openLive(onEvent, onResync) {
  const badge = document.getElementById("live-state");
  const q = siteParam() ? "?site=" + encodeURIComponent(siteParam()) : "";
  let first = true, checking = false;
  const live = new Toolkit.LiveStream(API.live + q, {
    hello: (data) => {
      if (data && data.heartbeat_s) live.heartbeat(data.heartbeat_s);
      if (!first && onResync) onResync();
      first = false;
    },
    event: onEvent,
    resync: () => { if (onResync) onResync(); },
  }, {onState: (state) => {
    if (state === "online" && badge) { badge.textContent = t("live.on"); badge.className = "on"; }
    if (state !== "offline") return;
    if (badge) { badge.textContent = t("live.off"); badge.className = "off"; }
    // The stream is reopened by itself; if the session ended, api() sends the page to the login.
    if (!checking) { checking = true; whoAmIFresh().finally(() => setTimeout(() => { checking = false; }, 5000)); }
  }});
  window.frontdeskLive = live.open();
  return live;
}

function hideLiveBadge() {
  const badge = document.getElementById("live-state");
  if (badge) badge.hidden = true;
}

// -- the desk's ticket screens (desk home, new ticket, ticket page, board) ------------------------

// Whether the account may do `permission` (GET /auth/me lists them); the API checks each request anyway.
function can(me, permission) { return !!(me && Array.isArray(me.permissions) && me.permissions.includes(permission)); }

// A file upload (multipart form), with the session's CSRF token; errors as api() reports them.
async function apiUpload(url, form) {
  const headers = {"Accept": "application/json"};
  const csrf = sessionStorage.getItem("frontdesk.csrf");
  if (csrf) headers["X-CSRF-Token"] = csrf;
  let res;
  try {
    res = await fetch(url, {method: "POST", headers, credentials: "same-origin", body: form});
  } catch (err) {
    throw new ApiError(0, t("error.network"));
  }
  try {
    return await Toolkit.readJson(res);
  } catch (err) {
    // A refusal that explains itself ({message, ...}) is shown by its message.
    if (err.body && typeof err.body === "object" && err.body.message) err.message = err.body.message;
    throw err;
  }
}

// Where a ticket's page is (the site filter travels along).
function ticketHref(id) {
  const q = new URLSearchParams({id});
  if (siteParam()) q.set("site", siteParam());
  return "/dashboard/ticket?" + q.toString();
}

function newTicketHref(extra) {
  const q = new URLSearchParams(extra || {});
  if (siteParam()) q.set("site", siteParam());
  const qs = q.toString();
  return "/dashboard/ticket-new" + (qs ? "?" + qs : "");
}

// Messages a page leaves for the next one (a photo the ticket page should say was refused).
function leaveNotes(notes) { if (notes && notes.length) sessionStorage.setItem("frontdesk.notes", JSON.stringify(notes)); }
function takeNotes() {
  const kept = sessionStorage.getItem("frontdesk.notes");
  sessionStorage.removeItem("frontdesk.notes");
  try { return kept ? JSON.parse(kept) : []; } catch (e) { return []; }
}

// Keys of the desk and the board: N opens a new ticket, / goes to the search box; not while
// typing in a field or with a dialog open.
function deskKeys(focusSearch) {
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    const target = e.target || {};
    if (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName)) return;
    if (document.querySelector("dialog[open]")) return;
    if (e.key === "n" || e.key === "N") { e.preventDefault(); location.href = newTicketHref(); }
    else if (e.key === "/") { e.preventDefault(); focusSearch(); }
  });
}

function openModal(dlg) { if (dlg.showModal) dlg.showModal(); else dlg.setAttribute("open", ""); }
function closeModal(dlg) { if (dlg.close) dlg.close(); else dlg.removeAttribute("open"); }

// Due in / overdue by, for a timer or a ticket's next due time ("" without one).
function dueText(iso) {
  if (!iso) return "";
  const left = new Date(iso).getTime() - Date.now();
  return left < 0 ? t("board.overdue", {t: fmtSpan(left)}) : t("board.in", {t: fmtSpan(left)});
}

// Counts down the due cells matching `selector` (each with data-due): the time left or overdue,
// "soon" inside five minutes, "late" once past.
function tickDue(selector) {
  const now = Date.now();
  for (const cell of document.querySelectorAll(selector)) {
    const left = new Date(cell.dataset.due).getTime() - now;
    cell.textContent = dueText(cell.dataset.due);
    cell.className = "due" + (left < 0 ? " late" : left < 5 * 60000 ? " soon" : "");
  }
}
