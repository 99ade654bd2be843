// Shared by every dashboard page: the header, API calls, safe DOM building, time formatting
// and the live event stream. Data is only ever put on the page as text (el(), textContent).
"use strict";

// Central's HTTP API as the dashboard uses it; one place to see every endpoint a screen calls.
const API = {
  me: "/api/v1/auth/me",
  login: "/api/v1/auth/login",
  logout: "/api/v1/auth/logout",
  tickets: "/api/v1/tickets",
  ticket: (id) => "/api/v1/tickets/" + encodeURIComponent(id),
  workOrder: (id) => "/api/v1/tickets/" + encodeURIComponent(id) + "/work-order",
  callTicket: (callId) => "/api/v1/calls/" + encodeURIComponent(callId) + "/ticket",
  unitTickets: (site, unit) => "/api/v1/sites/" + encodeURIComponent(site) + "/units/" + encodeURIComponent(unit) + "/tickets",
  registers: (name) => "/api/v1/registers/" + encodeURIComponent(name),
  stats: "/api/v1/stats/monthly",
  statsPng: "/api/v1/stats/monthly.png",
  commands: "/api/v1/commands",
  siteCommands: (site) => "/api/v1/sites/" + encodeURIComponent(site) + "/commands",
  command: (id) => "/api/v1/commands/" + encodeURIComponent(id),
  live: "/api/v1/dashboard/live",
};

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

class ApiError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

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
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
  if (!res.ok) {
    let detail = data && data.detail !== undefined ? data.detail : data;
    if (typeof detail !== "string") detail = JSON.stringify(detail);
    if (res.status === 401 && !location.pathname.endsWith("/login")) {
      location.href = "/dashboard/login?next=" + encodeURIComponent(location.pathname + location.search);
    }
    throw new ApiError(res.status, detail || res.statusText);
  }
  return data;
}

// Lists come back either as a bare array or as {items: [...]}; screens take both.
function items(data, key) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data[key || "items"])) return data[key || "items"];
  if (data && Array.isArray(data.items)) return data.items;
  return [];
}

function fmtTime(iso, tz, withDate) {
  if (!iso) return "";
  const d = new Date(iso);
  if (isNaN(d)) return String(iso);
  const opts = {hour: "2-digit", minute: "2-digit", hour12: false};
  if (withDate) Object.assign(opts, {month: "2-digit", day: "2-digit"});
  try { return d.toLocaleString(LANG, {...opts, timeZone: tz || undefined}); }
  catch (e) { return d.toLocaleString(LANG, opts); }
}

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
    ["desk", "board", "visitors", "registers", "stats", "commands"].map((p) =>
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

// The live stream (Server-Sent Events). `onEvent` gets each committed event; `onResync` is
// called after a gap (reconnect or dropped items), when the page reloads its state over HTTP.
function openLive(onEvent, onResync) {
  const badge = document.getElementById("live-state");
  const q = siteParam() ? "?site=" + encodeURIComponent(siteParam()) : "";
  let first = true, checking = false;
  const source = new EventSource(API.live + q);
  source.addEventListener("hello", () => {
    if (badge) { badge.textContent = t("live.on"); badge.className = "on"; }
    if (!first && onResync) onResync();
    first = false;
  });
  source.addEventListener("event", (m) => {
    let item;
    try { item = JSON.parse(m.data); } catch (e) { return; }
    onEvent(item);
  });
  source.addEventListener("resync", () => { if (onResync) onResync(); });
  source.onerror = () => {
    if (badge) { badge.textContent = t("live.off"); badge.className = "off"; }
    // EventSource retries by itself; if the session ended, api() sends the page to the login.
    if (!checking) { checking = true; whoAmIFresh().finally(() => setTimeout(() => { checking = false; }, 5000)); }
  };
  window.frontdeskLive = source;
  return source;
}

function hideLiveBadge() {
  const badge = document.getElementById("live-state");
  if (badge) badge.hidden = true;
}
