/* The small toolkit the desk dashboard (central) and the kiosk and gate screens (edge) share,
 * served by both apps from one folder (frontdesk/web/static): the map of every HTTP endpoint a
 * page calls, translations, time formatting, and the live stream (Server-Sent Events) with its
 * reconnect watchdog.
 *
 * A plain script, no build step: it defines one global, `Toolkit`, and touches no element of
 * the page (each app decides what to show). Values from a server are never parsed as markup:
 * pages build their elements with `el()`, which puts every value on the page as text. */
"use strict";

const Toolkit = (() => {
  const enc = encodeURIComponent;

  // -- the API map ------------------------------------------------------------------------------
  // Every endpoint a page calls, in one place: central's API for the dashboard, the post's own
  // small app for the screens.
  const API = Object.freeze({
    central: Object.freeze({
      me: "/api/v1/auth/me",
      login: "/api/v1/auth/login",
      logout: "/api/v1/auth/logout",
      tickets: "/api/v1/tickets",
      ticket: (id) => "/api/v1/tickets/" + enc(id),
      callTicket: (callId) => "/api/v1/calls/" + enc(callId) + "/ticket",
      workOrder: (id) => "/api/v1/tickets/" + enc(id) + "/work-order",
      unitTickets: (site, unit) => "/api/v1/sites/" + enc(site) + "/units/" + enc(unit) + "/tickets",
      registers: (name) => "/api/v1/registers/" + enc(name),
      stats: "/api/v1/stats/monthly",
      statsPng: "/api/v1/stats/monthly.png",
      commands: "/api/v1/commands",
      siteCommands: (site) => "/api/v1/sites/" + enc(site) + "/commands",
      command: (id) => "/api/v1/commands/" + enc(id),
      live: "/api/v1/dashboard/live",
      // the technician's phone: the slip's claim address, their orders, photos and signatures
      claimLink: (token) => "/api/v1/claim-links/" + enc(token),
      myWorkOrders: "/api/v1/work-orders/mine",
      // the desk's ticket screens (desk home, new ticket, ticket page, board)
      attention: "/api/v1/desk/attention",
      staff: "/api/v1/staff",
      units: (site) => "/api/v1/sites/" + enc(site) + "/units",
      ticketSearch: "/api/v1/tickets/search",
      ticketAction: (id, action) => "/api/v1/tickets/" + enc(id) + "/" + enc(action),
      photos: (id) => "/api/v1/tickets/" + enc(id) + "/photos",
      attachments: (id) => "/api/v1/tickets/" + enc(id) + "/attachments",
      attachment: (id, aid) => "/api/v1/tickets/" + enc(id) + "/attachments/" + enc(aid),
      // the desk's residents panel: sign-in codes it reads out, passes it issues for a resident
      residentCodes: (site) => "/api/v1/sites/" + enc(site) + "/resident-codes",
      invitations: (site) => "/api/v1/sites/" + enc(site) + "/invitations",
      passCaps: "/api/v1/passes/caps",
      invitationCancel: (site, id) => "/api/v1/sites/" + enc(site) + "/invitations/" + enc(id) + "/cancel",
      visitorQr: (token) => "/api/v1/visitor-links/" + enc(token) + "/qr.svg",
    }),
    screens: Object.freeze({
      config: "/api/config",
      catalog: (lang) => "/static/i18n/" + enc(lang) + ".json",
      stream: "/api/stream",
      visitors: "/api/visitors",
      phoneMask: "/api/phone-mask",
      present: "/api/present",
      checkOut: (visitId) => "/api/present/" + enc(visitId) + "/checkout",
    }),
  });

  // -- translations -----------------------------------------------------------------------------
  /* Messages per language ({lang: {key: message}}), `{name}` placeholders filled from params.
   * A key the current language lacks comes from `fallback`; a key nobody has shows itself
   * (rather than nothing), and a placeholder without a value stays as written. */
  class Translations {
    constructor(catalogs, lang, fallback) {
      this.catalogs = catalogs;
      this.fallback = fallback || null;
      this.lang = catalogs[lang] ? lang : (this.fallback || Object.keys(catalogs)[0]);
      this.listeners = [];
      this.t = this.t.bind(this);
    }

    t(key, params) {
      let message = (this.catalogs[this.lang] || {})[key];
      if (message === undefined && this.fallback) message = (this.catalogs[this.fallback] || {})[key];
      if (message === undefined) message = key;
      if (params) {
        message = message.replace(/\{([a-z_]+)\}/g, (whole, name) =>
          params[name] === undefined || params[name] === null ? whole : String(params[name]));
      }
      return message;
    }

    has(key) {
      return Object.prototype.hasOwnProperty.call(this.catalogs[this.lang] || {}, key);
    }

    setLang(lang) {
      if (!this.catalogs[lang] || lang === this.lang) return false;
      this.lang = lang;
      for (const listener of this.listeners) listener(lang);
      return true;
    }

    onLang(listener) { this.listeners.push(listener); }
  }

  // -- time -------------------------------------------------------------------------------------
  /* "09:24" (or "11/23 09:24" withDate) in the site's zone `tz`, in the page's language; the
   * browser's own zone if it does not know `tz`; "" for no or an unreadable time. */
  function formatTime(iso, {lang, tz, withDate} = {}) {
    if (!iso) return "";
    const when = new Date(iso);
    if (isNaN(when)) return "";
    const opts = {hour: "2-digit", minute: "2-digit", hour12: false};
    if (withDate) { opts.month = "2-digit"; opts.day = "2-digit"; }
    try {
      return new Intl.DateTimeFormat(lang, {...opts, timeZone: tz || undefined}).format(when);
    } catch (err) {
      return new Intl.DateTimeFormat(lang, opts).format(when);
    }
  }

  // -- the live stream --------------------------------------------------------------------------
  /* A Server-Sent Events stream that stays up for days. `handlers` maps event names to
   * functions taking the parsed JSON data. EventSource reconnects by itself after an error, but
   * not when a connection silently dies (a suspended Wi-Fi link, a half-open socket): the
   * server sends a `ping` at least every heartbeat, and after three missed beats the stream is
   * torn down and opened again, each fruitless reopen waiting twice as long (up to 8 times). A
   * stream the browser gave up on (an HTTP error) is reopened after `retryMs`.
   * `onState` hears "connecting", "online" (the first message after opening) and "offline". */
  class LiveStream {
    constructor(url, handlers, {heartbeatS = 15, retryMs = 2000, onState = null} = {}) {
      this.url = url;
      this.handlers = handlers;
      this.retryMs = retryMs;
      this.onState = onState;
      this.online = false;
      this.reconnects = 0;
      this.misses = 0;
      this.es = null;
      this.watchdog = null;
      this.lastMessage = Date.now();
      this.heartbeat(heartbeatS);
    }

    /* The server's heartbeat interval in seconds (a server may say it in its first message). */
    heartbeat(seconds) {
      this.silenceMs = seconds * 3000;
      clearInterval(this.watchdog);
      this.watchdog = setInterval(() => this.check(), Math.min(1000, seconds * 500));
    }

    open() {
      if (this.es) this.es.close();
      this.online = false;
      this.state("connecting");
      const es = new EventSource(this.url);
      this.es = es;
      this.lastMessage = Date.now();
      for (const name of new Set([...Object.keys(this.handlers), "ping"])) {
        es.addEventListener(name, (ev) => this.message(es, name, ev));
      }
      es.onerror = () => {
        if (this.es !== es) return;
        this.online = false;
        this.state("offline");
        if (es.readyState === EventSource.CLOSED) {
          setTimeout(() => { if (this.es === es) this.open(); }, this.retryMs);
        }
      };
      return this;
    }

    message(es, name, ev) {
      if (this.es !== es) return;
      this.lastMessage = Date.now();
      this.misses = 0;
      if (!this.online) { this.online = true; this.state("online"); }
      const handler = this.handlers[name];
      if (!handler) return;
      let data;
      try { data = JSON.parse(ev.data); } catch (err) { return; }  // a garbled message is that message's loss
      handler(data);
    }

    check() {
      if (!this.es) return;
      if (Date.now() - this.lastMessage > this.silenceMs * Math.pow(2, Math.min(this.misses, 3))) {
        this.reconnects += 1;
        this.misses += 1;
        this.open();
      }
    }

    state(name) { if (this.onState) this.onState(name); }

    close() {
      clearInterval(this.watchdog);
      if (this.es) this.es.close();
      this.es = null;
    }
  }

  // -- safe DOM building ---------------------------------------------------------------------------
  // el("p", {class: "x", text: value, onclick: f}, child, ...): attributes set one by one, text
  // only ever as textContent or text nodes, so a value from a server is never markup.
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

  // -- answers from a server ---------------------------------------------------------------------
  // An HTTP answer other than 2xx: its status, the server's `detail` as text (an object's JSON;
  // the object itself in `body`) and the seconds its Retry-After asks for (0 if none).
  class HttpError extends Error {
    constructor(status, detail, retryAfter, body) {
      super(detail);
      this.status = status;
      this.retryAfter = retryAfter || 0;
      this.body = body;
    }
  }

  // The JSON of a fetch() answer (its text when it is not JSON, null when empty); an HttpError
  // for anything but 2xx.
  async function readJson(res) {
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
    if (res.ok) return data;
    const body = data && data.detail !== undefined ? data.detail : data;
    const detail = typeof body === "string" ? body : JSON.stringify(body);
    throw new HttpError(res.status, detail || res.statusText, Number(res.headers.get("Retry-After")) || 0, body);
  }

  return Object.freeze({API, Translations, formatTime, LiveStream, el, clear, HttpError, readJson});
})();
