// Shared by the resident and visitor pages: safe DOM building (every server value goes on the
// page as text), calls to central's resident API with the session's CSRF token, the header with
// the language switch, and times in the site's zone (the toolkit's formatTime).
"use strict";

const RESIDENT_API = Object.freeze({
  code: (site) => "/api/v1/sites/" + encodeURIComponent(site) + "/resident/code",
  session: (site) => "/api/v1/sites/" + encodeURIComponent(site) + "/resident/session",
  me: "/api/v1/resident/me",
  signout: "/api/v1/resident/signout",
  invitations: "/api/v1/resident/invitations",
  cancel: (id) => "/api/v1/resident/invitations/" + encodeURIComponent(id) + "/cancel",
  visit: (token) => "/api/v1/visitor-links/" + encodeURIComponent(token),
  qr: (token) => "/api/v1/visitor-links/" + encodeURIComponent(token) + "/qr.svg",
});
const CSRF_KEY = "frontdesk.resident.csrf";

// Safe DOM building (every value as text): the toolkit's.
const {el, clear} = Toolkit;

// An answer other than 2xx (status, detail, retryAfter): the toolkit's.
const ApiError = Toolkit.HttpError;

async function api(method, url, body) {
  const headers = {"Accept": "application/json"};
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    const csrf = sessionStorage.getItem(CSRF_KEY);
    if (csrf) headers["X-CSRF-Token"] = csrf;
  }
  let res;
  try {
    res = await fetch(url, {method, headers, credentials: "same-origin",
                            body: body === undefined ? undefined : JSON.stringify(body)});
  } catch (err) {
    throw new ApiError(0, t("error.network"));
  }
  return Toolkit.readJson(res);
}

// The site a resident page belongs to: /r/<site>/<page>.
function siteOfPage() { return decodeURIComponent(location.pathname.split("/")[2] || ""); }

function fmtTime(iso, tz) { return Toolkit.formatTime(iso, {lang: LANG, tz, withDate: true}); }

function fmtWindow(from, until, tz) { return t("window", {from: fmtTime(from, tz), until: fmtTime(until, tz)}); }

function showMessage(where, kind, text) {
  clear(where).append(el("p", {class: "message " + kind, role: kind === "error" ? "alert" : "status", text}));
}

// The page's header: its title and the language switch (reloads the page in the other language).
function renderHeader(titleKey) {
  document.documentElement.lang = LANG;
  document.title = t(titleKey) + " · " + t("app.title");
  const other = LANG === "en" ? "zh-Hans" : "en";
  const sw = el("button", {type: "button", id: "lang", class: "secondary", lang: other, text: t("lang.switch"),
                           onclick: () => {
    const q = new URLSearchParams(location.search); q.set("lang", other);
    location.search = q.toString();
  }});
  document.body.prepend(el("header", {class: "top"}, el("span", {class: "app", text: t("app.title")}), sw));
  const main = document.getElementById("page");
  main.prepend(el("h1", {text: t(titleKey)}));
  return main;
}

// A signed-in resident, or off to the sign-in page.
async function whoAmI() {
  try {
    const me = await api("GET", RESIDENT_API.me);
    sessionStorage.setItem(CSRF_KEY, me.csrf_token);
    return me;
  } catch (err) {
    if (err.status === 401) location.href = "/r/" + encodeURIComponent(siteOfPage()) + "/signin";
    throw err;
  }
}

function pageReady() { document.body.dataset.ready = "true"; }
