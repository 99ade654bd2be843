/* Shared by the kiosk and gate screens: catalogues, the live stream, the idle reset, masking.
 *
 * Everything the page shows is set with textContent (never innerHTML), so names and scanned text
 * that look like markup are shown as typed. The page is meant to stay open for days: the live
 * stream reconnects by itself, and nothing here keeps more than a bounded number of items. */
"use strict";

const FD = (() => {
  const state = {config: null, catalogs: {}, lang: "zh-Hans", langListeners: []};

  async function getJSON(url) {
    const res = await fetch(url, {cache: "no-store"});
    if (!res.ok) throw new Error(url + ": HTTP " + res.status);
    return res.json();
  }

  async function init() {
    // Retry until the agent answers: Chromium may start before the service at boot.
    for (let delay = 500; ; delay = Math.min(delay * 2, 10000)) {
      try {
        state.config = await getJSON("/api/config");
        for (const lang of state.config.languages) {
          state.catalogs[lang] = await getJSON("/static/i18n/" + lang + ".json");
        }
        break;
      } catch (err) {
        setConn("offline");
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    state.lang = state.config.language;
    const siteName = document.getElementById("site-name");
    if (siteName) siteName.textContent = state.config.site_name || "";
    document.getElementById("lang").addEventListener("click", () => {
      const langs = state.config.languages;
      setLang(langs[(langs.indexOf(state.lang) + 1) % langs.length]);
    });
    applyI18n();
    startClock();
    return state.config;
  }

  // -- messages ---------------------------------------------------------------------------------

  function t(key, params) {
    const catalog = state.catalogs[state.lang] || {};
    let message = catalog[key];
    if (message === undefined) message = key;  // a missing key shows itself rather than nothing
    if (params) {
      message = message.replace(/\{([a-z_]+)\}/g, (whole, name) =>
        params[name] === undefined || params[name] === null ? whole : String(params[name]));
    }
    return message;
  }

  function has(key) {
    return Object.prototype.hasOwnProperty.call(state.catalogs[state.lang] || {}, key);
  }

  function reasonText(code) {
    if (!code) return "";
    return has("reason." + code) ? t("reason." + code) : t("reason.other", {code: code});
  }

  function applyI18n(root) {
    root = root || document;
    for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of root.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
    for (const node of root.querySelectorAll("[data-i18n-aria]")) node.setAttribute("aria-label", t(node.dataset.i18nAria));
    document.documentElement.lang = state.lang;
    const title = document.querySelector("title[data-i18n]");
    if (title) document.title = t(title.dataset.i18n);
  }

  function setLang(lang) {
    if (!state.catalogs[lang] || lang === state.lang) return;
    state.lang = lang;
    applyI18n();
    for (const listener of state.langListeners) listener(lang);
  }

  function onLang(listener) { state.langListeners.push(listener); }

  function formatTime(iso, withDate) {
    if (!iso) return "";
    const when = new Date(iso);
    if (isNaN(when)) return "";
    const opts = {hour: "2-digit", minute: "2-digit", hour12: false, timeZone: (state.config && state.config.tz) || undefined};
    if (withDate) { opts.month = "2-digit"; opts.day = "2-digit"; }
    try {
      return new Intl.DateTimeFormat(state.lang, opts).format(when);
    } catch (err) {
      delete opts.timeZone;
      return new Intl.DateTimeFormat(state.lang, opts).format(when);
    }
  }

  let clockTimer = null;
  function startClock() {
    const node = document.getElementById("clock");
    if (!node || clockTimer) return;
    const tick = () => { node.textContent = formatTime(new Date().toISOString(), true); };
    tick();
    clockTimer = setInterval(tick, 15000);
    onLang(tick);
  }

  // -- personal data ----------------------------------------------------------------------------

  /* The access service's rule (edge/access/decision.py mask_phone): 138****5678; 7 digits or
   * fewer keep the first and last two; 4 or fewer are hidden entirely. */
  function maskPhone(value) {
    const digits = String(value || "").replace(/[\s()-]/g, "");
    if (digits.length <= 4) return "*".repeat(digits.length);
    if (digits.length <= 7) return digits.slice(0, 1) + "*".repeat(digits.length - 3) + digits.slice(-2);
    return digits.slice(0, 3) + "*".repeat(digits.length - 7) + digits.slice(-4);
  }

  // -- connection state -------------------------------------------------------------------------

  function setConn(stateName) {
    const node = document.getElementById("conn");
    if (!node) return;
    node.dataset.state = stateName;
    node.dataset.i18n = "status." + stateName;
    node.textContent = t("status." + stateName);
  }

  /* What scanning depends on: the access service and its camera. A missing camera is said on
   * screen (visitors can still register as walk-ins), not left as a silently dead scanner. */
  let lastStatus = {};
  function showStatus(status) {
    lastStatus = status || {};
    const node = document.getElementById("device-status");
    if (!node) return;
    let key = null;
    if (lastStatus.access === "missing") key = "device.access_missing";
    else if (lastStatus.camera === "missing" || lastStatus.camera === "reconnecting") key = "device.camera_" + lastStatus.camera;
    node.hidden = !key;
    node.textContent = key ? t(key) : "";
    node.dataset.state = key ? key.split(".")[1] : "ok";
  }
  onLang(() => showStatus(lastStatus));

  /* The live stream. EventSource reconnects by itself after an error, but not when a connection
   * silently dies (a suspended Wi-Fi link, a half-open socket): the server sends a ping every
   * heartbeat_s, and after three missed beats the stream is torn down and opened again.
   * Items carry the journal's seq: one already seen is never shown twice. */
  class LiveStream {
    constructor(url, handlers) {
      this.url = url;
      this.handlers = handlers;
      this.lastSeq = 0;
      this.connected = false;
      this.lastMessage = Date.now();
      this.es = null;
      this.reconnects = 0;
      this.misses = 0;
      const beat = (state.config && state.config.heartbeat_s) || 15;
      this.silenceMs = beat * 3000;
      this.watchdog = setInterval(() => this.check(), Math.min(1000, beat * 500));
    }

    open() {
      if (this.es) this.es.close();
      setConn(this.connected ? "offline" : "connecting");
      const es = new EventSource(this.url);
      this.es = es;
      this.lastMessage = Date.now();
      es.addEventListener("snapshot", (ev) => this.snapshot(JSON.parse(ev.data)));
      es.addEventListener("scan", (ev) => this.item(JSON.parse(ev.data), true));
      es.addEventListener("ping", () => { this.lastMessage = Date.now(); this.misses = 0; });
      es.addEventListener("status", (ev) => {
        this.lastMessage = Date.now();
        showStatus(JSON.parse(ev.data));
      });
      es.onerror = () => {
        if (this.es !== es) return;
        this.connected = false;
        setConn("offline");
        if (es.readyState === EventSource.CLOSED) {
          // The browser gave up (e.g. HTTP error): try again ourselves.
          setTimeout(() => { if (this.es === es) this.open(); }, 2000);
        }
      };
    }

    check() {
      // Each reopen that brings nothing doubles the wait before the next (up to 8 beats x 3), so
      // a dead server is not hammered; any message resets it.
      if (Date.now() - this.lastMessage > this.silenceMs * Math.pow(2, Math.min(this.misses, 3))) {
        this.reconnects += 1;
        this.misses += 1;
        this.connected = false;
        this.open();
      }
    }

    snapshot(data) {
      const first = this.boot === undefined;
      if (!first && data.boot !== this.boot) this.lastSeq = 0;  // a new server: its numbers start again
      this.boot = data.boot;
      this.lastMessage = Date.now();
      this.misses = 0;
      this.connected = true;
      setConn("online");
      const items = data.items || [];
      if (this.handlers.snapshot) this.handlers.snapshot(items);
      if (!first) {
        // Scans that happened while we were away: show the fresh ones as if they were live.
        const freshMs = ((state.config && state.config.result_s) || 8) * 1000;
        for (const item of items) {
          if (item.seq > this.lastSeq && Date.now() - Date.parse(item.at) < freshMs) this.item(item, true);
        }
      }
      for (const item of items) this.lastSeq = Math.max(this.lastSeq, item.seq || 0);
      this.lastSeq = Math.max(this.lastSeq, data.head || 0);
      showStatus(data.status || {});
    }

    item(item, live) {
      this.lastMessage = Date.now();
      if (item.seq && item.seq <= this.lastSeq) return;
      this.lastSeq = Math.max(this.lastSeq, item.seq || 0);
      if (this.handlers.item) this.handlers.item(item, live);
    }
  }

  /* Idle reset. While armed, no touch or key for timeout_s shows the warning, which counts down
   * warning_s and then resets the screen; "I need more time" starts the wait again. */
  class Idle {
    constructor(opts) {
      this.opts = opts;
      this.overlay = document.getElementById("idle");
      this.body = document.getElementById("idle-body");
      this.armed = false;
      this.warning = false;
      this.timer = null;
      this.countdown = null;
      this.remaining = 0;
      const poke = () => this.poke();
      for (const type of ["pointerdown", "keydown", "input", "wheel"]) document.addEventListener(type, poke, true);
      document.getElementById("idle-extend").addEventListener("click", (ev) => { ev.stopPropagation(); this.extend(); });
      onLang(() => this.render());
    }

    arm() { this.armed = true; this.restart(); }

    disarm() {
      this.armed = false;
      this.clear();
      this.hide();
    }

    clear() {
      clearTimeout(this.timer);
      clearInterval(this.countdown);
      this.timer = this.countdown = null;
    }

    restart() {
      this.clear();
      if (!this.armed) return;
      this.timer = setTimeout(() => this.warn(), state.config.idle_timeout_s * 1000);
    }

    poke() {
      if (this.armed && !this.warning) this.restart();
    }

    warn() {
      this.warning = true;
      this.remaining = Math.ceil(state.config.idle_warning_s);
      this.overlay.hidden = false;
      this.render();
      document.getElementById("idle-extend").focus();
      this.countdown = setInterval(() => {
        this.remaining -= 1;
        if (this.remaining <= 0) {
          this.disarm();
          this.opts.reset();
        } else {
          this.render();
        }
      }, 1000);
    }

    render() {
      if (this.warning) this.body.textContent = t("idle.body", {seconds: this.remaining});
    }

    hide() {
      this.warning = false;
      this.overlay.hidden = true;
    }

    extend() {
      this.hide();
      this.restart();
      if (this.opts.extended) this.opts.extended();
    }
  }

  // -- the registration form (kiosk and gate) ---------------------------------------------------

  const ERROR_FIELDS = {name: "f-name", phone: "f-phone", unit: "f-unit", purpose: "purposes"};

  class WalkInForm {
    constructor(opts) {
      this.opts = opts;
      this.form = document.getElementById("walkin-form");
      this.name = document.getElementById("f-name");
      this.phone = document.getElementById("f-phone");
      this.phoneShown = document.getElementById("f-phone-shown");
      this.unit = document.getElementById("f-unit");
      this.error = document.getElementById("walkin-error");
      this.submitButton = document.getElementById("walkin-submit");
      this.purposeButtons = Array.from(document.querySelectorAll("#purposes .purpose"));
      this.defaultPurpose = opts.defaultPurpose || null;
      this.errorCode = null;
      this.busy = false;
      this.phone.addEventListener("input", () => this.showPhone());
      for (const button of this.purposeButtons) {
        button.addEventListener("click", () => this.choose(button.dataset.purpose));
      }
      this.form.addEventListener("submit", (ev) => { ev.preventDefault(); this.submit(); });
      onLang(() => this.renderError());
      this.reset();
    }

    showPhone() { this.phoneShown.textContent = maskPhone(this.phone.value); }

    choose(purpose) {
      this.purpose = purpose;
      for (const button of this.purposeButtons) button.setAttribute("aria-pressed", String(button.dataset.purpose === purpose));
      if (this.errorCode && this.errorField === "purpose") this.setError(null);
    }

    reset() {
      this.form.reset();
      this.choose(this.defaultPurpose);
      this.showPhone();
      this.setError(null);
      this.busy = false;
      this.submitButton.disabled = false;
    }

    setError(code, field) {
      this.errorCode = code;
      this.errorField = field || null;
      for (const node of this.form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
      if (code && field && ERROR_FIELDS[field]) {
        const node = document.getElementById(ERROR_FIELDS[field]);
        node.setAttribute("aria-invalid", "true");
        if (node.focus && field !== "purpose") node.focus();
      }
      this.renderError();
    }

    renderError() {
      this.error.textContent = this.errorCode ? t("error." + this.errorCode) : "";
    }

    async submit() {
      if (this.busy) return;
      this.busy = true;
      this.submitButton.disabled = true;
      this.error.textContent = t("walkin.sending");
      const body = {name: this.name.value, phone: this.phone.value, unit: this.unit.value, purpose: this.purpose || "",
                    language: state.lang};
      let res;
      try {
        res = await fetch("/api/visitors", {method: "POST", headers: {"Content-Type": "application/json"},
                                             body: JSON.stringify(body), cache: "no-store"});
      } catch (err) {
        this.busy = false;
        this.submitButton.disabled = false;
        this.setError("network");
        return;
      }
      let data = {};
      try { data = await res.json(); } catch (err) { data = {}; }
      this.busy = false;
      this.submitButton.disabled = false;
      if (res.status === 201) {
        this.setError(null);
        this.opts.registered(data);
        return;
      }
      const code = has("error." + data.error) ? data.error : (res.status === 503 ? "unavailable" : "failed");
      this.setError(code, data.field);
    }
  }

  return {state, init, t, has, reasonText, applyI18n, setLang, onLang, formatTime, maskPhone,
          setConn, LiveStream, Idle, WalkInForm};
})();
