// The technician page's outbox: every action tapped on the phone (claim, on site, done, pause,
// resume, photo, confirmation) is written to IndexedDB first, with the event id made at the tap,
// and only then sent. With no signal it waits there ("待发送 / queued") and is sent when the
// phone is back online; central keeps one event per id, so sending an action twice (a reload in
// the middle of a send, a retry after a lost answer) changes nothing.
"use strict";

// A UUIDv7 (RFC 9562) as frontdesk/ids.py new_id makes it: 48 bits of Unix milliseconds, the
// version, 74 random bits. Ids made later sort later, so the outbox sends in the order tapped.
function uuidv7() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  let ms = Date.now();
  for (let i = 5; i >= 0; i--) { b[i] = ms % 256; ms = Math.floor(ms / 256); }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
}

const Outbox = (() => {
  const DB = "frontdesk-tech", STORE = "outbox";
  let opened = null;

  function db() {
    if (!opened) {
      opened = new Promise((resolve, reject) => {
        const req = indexedDB.open(DB, 1);
        req.onupgradeneeded = () => req.result.createObjectStore(STORE, {keyPath: "event_id"});
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    }
    return opened;
  }

  async function run(mode, work) {
    const conn = await db();
    return new Promise((resolve, reject) => {
      const tx = conn.transaction(STORE, mode);
      const req = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req ? req.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  return {
    add: (item) => run("readwrite", (s) => s.put(item)),
    remove: (eventId) => run("readwrite", (s) => s.delete(eventId)),
    // Oldest first: the keys are UUIDv7s.
    all: () => run("readonly", (s) => s.getAll()),
  };
})();

// What the phone sends for each action: its URL and body (JSON, or a form for a photo).
function actionRequest(item) {
  const base = API.ticket(item.ticket_id);
  if (item.action === "photo") {
    const form = new FormData();
    form.append("photo", item.blob, item.filename || "photo.jpg");
    form.append("event_id", item.event_id);
    if (item.body && item.body.note) form.append("note", item.body.note);
    return {url: base + "/photos", form};
  }
  const path = {claim: "/claim", transition: "/transition", pause: "/pause", resume: "/resume", confirm: "/confirm"};
  return {url: base + path[item.action], json: {...(item.body || {}), event_id: item.event_id}};
}

// Why central refused an action, in words for the person holding the phone.
function refusal(item, status, detail) {
  if (status === 409 && detail && typeof detail === "object" && detail.holder) {
    return t("tech.held_by", {holder: detail.holder});
  }
  if (status === 413) return t("tech.photo_too_big");
  if (status === 415) return t("tech.photo_not_image") + (typeof detail === "string" ? " (" + detail + ")" : "");
  if (status === 403) return t("tech.not_allowed");
  if (status === 404) return t("tech.no_order");
  const text = detail && typeof detail === "object" ? (detail.message || JSON.stringify(detail)) : (detail || "");
  return t("tech.refused", {status, why: text});
}

// Sends one item. The answer is one of: {ok, ticket} sent; {refused, reason} central said no
// (the item is done with); {later} keep it (no signal, central unwell, the session ended).
async function deliver(item, csrf) {
  const req = actionRequest(item);
  const headers = {"Accept": "application/json"};
  if (csrf) headers["X-CSRF-Token"] = csrf;
  if (req.json) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(req.url, {method: "POST", headers, credentials: "same-origin",
                                body: req.form || JSON.stringify(req.json)});
  } catch (err) {
    return {later: "offline"};
  }
  let data = null;
  try { data = await res.json(); } catch (err) { data = null; }
  if (res.ok) return {ok: true, ticket: data};
  const detail = data && data.detail !== undefined ? data.detail : null;
  if (res.status === 401) return {later: "login"};
  if (res.status === 403 && typeof detail === "string" && detail.includes("CSRF")) return {later: "csrf"};
  if (res.status >= 500 || res.status === 408 || res.status === 429) return {later: "server"};
  return {refused: true, status: res.status, reason: refusal(item, res.status, detail)};
}

// Sends what waits in the outbox, oldest first, one at a time; a flush asked for while one runs
// runs again after it. An item that must wait stops the run, so a later action of the same order
// (on site) never overtakes an earlier one (the claim). `hooks`: csrf() the session's token,
// user() whose items to send, refreshCsrf() after a stale token, sent(item, answer) after each.
class Sender {
  constructor(hooks) {
    this.hooks = hooks;
    this.running = null;
    this.again = false;
  }

  flush() {
    if (this.running) { this.again = true; return this.running; }
    this.running = (async () => {
      try {
        do { this.again = false; await this.once(); } while (this.again);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  async once() {
    const user = this.hooks.user();
    if (!user) return;
    for (const item of await Outbox.all()) {
      if (item.user !== user) continue;  // someone else's, from before they logged out: theirs to send
      let answer = await deliver(item, this.hooks.csrf());
      if (answer.later === "csrf" && await this.hooks.refreshCsrf()) answer = await deliver(item, this.hooks.csrf());
      if (answer.later) { this.hooks.sent(item, answer); return; }
      await Outbox.remove(item.event_id);
      this.hooks.sent(item, answer);
    }
  }
}
