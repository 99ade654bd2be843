/* Shared by the kiosk and gate screens: the catalogues, the connection and device status, the
 * live scans, the idle reset and the registration form. Translations, time formatting, the live
 * stream and the API map are the toolkit shared with the desk dashboard (/shared/toolkit.js).
 *
 * Everything the page shows is set with textContent (never innerHTML), so names and scanned text
 * that look like markup are shown as typed. The page is meant to stay open for days: the live
 * stream reconnects by itself, and nothing here keeps more than a bounded number of items.
 * Personal data arrives masked by the server; this page masks nothing itself. */
"use strict";

const FD = (() => {
  const API = Toolkit.API.screens;
  const state = {config: null, i18n: new Toolkit.Translations({}, "zh-Hans", null)};

  async function getJSON(url) {
    const res = await fetch(url, {cache: "no-store"});
    if (!res.ok) throw new Error(url + ": HTTP " + res.status);
    return res.json();
  }

  async function init() {
    // Retry until the agent answers: Chromium may start before the service at boot.
    const catalogs = {};
    for (let delay = 500; ; delay = Math.min(delay * 2, 10000)) {
      try {
        state.config = await getJSON(API.config);
        for (const lang of state.config.languages) catalogs[lang] = await getJSON(API.catalog(lang));
        break;
      } catch (err) {
        setConn("offline");
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    // The catalogues have the same keys (checked on the server): no fallback language.
    state.i18n = new Toolkit.Translations(catalogs, state.config.language, null);
    state.i18n.onLang((lang) => {
      applyI18n();
      for (const listener of langListeners) listener(lang);
    });
    const siteName = document.getElementById("site-name");
    if (siteName) siteName.textContent = state.config.site_name || "";
    document.getElementById("lang").addEventListener("click", () => {
      const langs = state.config.languages;
      setLang(langs[(langs.indexOf(state.i18n.lang) + 1) % langs.length]);
    });
    applyI18n();
    startClock();
    return state.config;
  }

  // -- messages ---------------------------------------------------------------------------------

  function t(key, params) { return state.i18n.t(key, params); }
  function has(key) { return state.i18n.has(key); }

  /* A message in every language at once ("请到前台办理 / Please ask the desk"): for what sends a
   * visitor to the desk, who may not read the language the screen happens to be in. */
  function both(key, params) {
    const one = new Toolkit.Translations(state.i18n.catalogs, state.i18n.lang, null);
    return state.config.languages.map((lang) => { one.lang = lang; return one.t(key, params); }).join(" / ");
  }

  /* A refusal the app answered (its JSON body) as the screen says it: a failure inside with its
   * reference id, or the rate limit, in both languages; anything else in the screen's language. */
  function errorText(data, status) {
    const code = data && has("error." + data.error) ? data.error : (status === 503 ? "unavailable" : "failed");
    const ref = data && typeof data.reference === "string" ? data.reference.slice(0, 16) : "";
    return code === "internal" || code === "rate_limited" ? both("error." + code, {ref: ref}) : t("error." + code);
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
    document.documentElement.lang = state.i18n.lang;
    const title = document.querySelector("title[data-i18n]");
    if (title) document.title = t(title.dataset.i18n);
  }

  // The page's own listeners, told after the catalogue texts on the page have changed.
  const langListeners = [];
  function setLang(lang) { state.i18n.setLang(lang); }
  function onLang(listener) { langListeners.push(listener); }

  function formatTime(iso, withDate) {
    return Toolkit.formatTime(iso, {lang: state.i18n.lang, tz: state.config && state.config.tz, withDate});
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

  /* The scans, live. Items carry the feed's seq: one already seen is never shown twice; `boot`
   * changes when the agent restarts, and its numbers start again. Each (re)connect begins with a
   * snapshot of the recent scans; those made while the page was away are shown as if live. */
  class ScanStream {
    constructor(handlers) {
      this.handlers = handlers;
      this.lastSeq = 0;
      this.boot = undefined;
      this.live = new Toolkit.LiveStream(API.stream, {
        snapshot: (data) => this.snapshot(data),
        scan: (item) => this.item(item, true),
        status: (status) => showStatus(status),
      }, {heartbeatS: state.config.heartbeat_s || 15, onState: setConn});
    }

    get reconnects() { return this.live.reconnects; }

    open() { this.live.open(); }

    snapshot(data) {
      const first = this.boot === undefined;
      if (!first && data.boot !== this.boot) this.lastSeq = 0;  // a new server: its numbers start again
      this.boot = data.boot;
      const items = data.items || [];
      if (this.handlers.snapshot) this.handlers.snapshot(items);
      if (!first) {
        const freshMs = (state.config.result_s || 8) * 1000;
        for (const item of items) {
          if (item.seq > this.lastSeq && Date.now() - Date.parse(item.at) < freshMs) this.item(item, true);
        }
      }
      for (const item of items) this.lastSeq = Math.max(this.lastSeq, item.seq || 0);
      this.lastSeq = Math.max(this.lastSeq, data.head || 0);
      showStatus(data.status || {});
    }

    item(item, live) {
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
      this.phoneAsked = 0;
      this.phone.addEventListener("input", () => this.showPhone());
      for (const button of this.purposeButtons) {
        button.addEventListener("click", () => this.choose(button.dataset.purpose));
      }
      this.form.addEventListener("submit", (ev) => { ev.preventDefault(); this.submit(); });
      onLang(() => this.renderError());
      this.reset();
    }

    /* Beside the dotted field, the number as the server masks it (frontdesk.masking), so the
     * visitor can check the first and last digits: the answer to the latest keystroke wins. */
    showPhone() {
      const phone = this.phone.value;
      const asked = ++this.phoneAsked;
      const show = (text) => { if (asked === this.phoneAsked) this.phoneShown.textContent = text; };
      if (!phone) { show(""); return; }
      fetch(API.phoneMask, {method: "POST", headers: {"Content-Type": "application/json"},
                            body: JSON.stringify({phone: phone}), cache: "no-store"})
        .then((res) => (res.ok ? res.json() : {}))
        .then((data) => show(data.masked || ""), () => show(""));
    }

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

    setError(code, field, params) {
      this.errorCode = code;
      this.errorParams = params || null;
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
      const code = this.errorCode;
      // Sent to the desk: said in both languages (and a failure's reference id for the desk's log).
      const toDesk = code === "rate_limited" || code === "internal";
      this.error.textContent = !code ? "" : toDesk ? both("error." + code, this.errorParams) : t("error." + code);
    }

    async submit() {
      if (this.busy) return;
      this.busy = true;
      this.submitButton.disabled = true;
      this.error.textContent = t("walkin.sending");
      const body = {name: this.name.value, phone: this.phone.value, unit: this.unit.value, purpose: this.purpose || "",
                    language: state.i18n.lang};
      let res;
      try {
        res = await fetch(API.visitors, {method: "POST", headers: {"Content-Type": "application/json"},
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
      const ref = typeof data.reference === "string" ? data.reference.slice(0, 16) : "";
      this.setError(code, data.field, {ref: ref});
    }
  }

  return {API, init, t, both, errorText, has, reasonText, setLang, onLang, formatTime, ScanStream, Idle, WalkInForm};
})();
