/* The lobby kiosk: visitors scan a pass, register as walk-ins, and check out with their badge.
 * Scans are decided by the access service on the agent; this page shows what it journaled. */
"use strict";

(async () => {
  const config = await FD.init();
  const screens = Array.from(document.querySelectorAll(".screen"));
  let current = "home";
  let resultTimer = null;
  let shown = null;           // the item the result screen shows, re-rendered on language change
  const shownIds = [];        // event ids already shown (a registration's answer, then its stream echo)

  function show(name) {
    current = name;
    clearTimeout(resultTimer);
    for (const screen of screens) screen.hidden = screen.dataset.screen !== name;
    document.body.dataset.current = name;
    if (name === "walkin" || name === "checkout") idle.arm(); else idle.disarm();
    if (["welcome", "goodbye", "rejected"].includes(name)) {
      resultTimer = setTimeout(home, config.result_s * 1000);
    }
  }

  function home() {
    form.reset();
    shown = null;
    FD.setLang(config.language);  // the next visitor starts in the site's language
    show("home");
  }

  const idle = new FD.Idle({reset: home});

  const form = new FD.WalkInForm({
    registered: (item) => { remember(item); present(item); },
  });

  // The on-screen keys type into the field last used: letters for the name, digits for the
  // phone and unit fields.
  const keypad = document.getElementById("keypad");
  let keypadTarget = form.name;
  for (const input of [form.name, form.phone, form.unit]) {
    input.addEventListener("focus", () => {
      keypadTarget = input;
      keypad.dataset.mode = input === form.name ? "letters" : "digits";
    });
  }
  keypad.addEventListener("click", (ev) => {
    const key = ev.target.closest("[data-key]");
    if (!key) return;
    const input = keypadTarget;
    if (key.dataset.key === "back") input.value = input.value.slice(0, -1);
    else if (input.value.length < input.maxLength) input.value += key.dataset.key;
    input.dispatchEvent(new Event("input", {bubbles: true}));
    input.focus({preventScroll: true});
  });

  document.getElementById("go-walkin").addEventListener("click", () => {
    form.reset();
    show("walkin");
    form.name.focus();
  });
  document.getElementById("go-checkout").addEventListener("click", () => show("checkout"));
  document.getElementById("walkin-cancel").addEventListener("click", home);
  for (const button of document.querySelectorAll("[data-action=home]")) button.addEventListener("click", home);

  function remember(item) {
    if (!item.event_id) return;
    shownIds.push(item.event_id);
    if (shownIds.length > 20) shownIds.shift();
  }

  function present(item) {
    shown = item;
    render(item);
    if (item.kind === "checked_in" || (item.kind === "card" && item.decision === "allow")) show("welcome");
    else if (item.kind === "checked_out") show("goodbye");
    else show("rejected");
  }

  function render(item) {
    const name = item.name || FD.t("holder." + (item.holder || "visitor"));
    if (item.kind === "checked_out") {
      document.getElementById("goodbye-title").textContent = FD.t("goodbye.title", {name: name});
      document.getElementById("goodbye-body").textContent = FD.t("goodbye.body", {time: FD.formatTime(item.at)});
    } else if (item.decision === "allow") {
      document.getElementById("welcome-title").textContent = FD.t("welcome.title", {name: name});
      document.getElementById("welcome-host").textContent =
        item.host_notified && item.unit ? FD.t("welcome.host_notified", {unit: item.unit}) : "";
      document.getElementById("welcome-badge").textContent = item.badge_requested ? FD.t("welcome.badge")
        : item.badge_refused ? FD.both("welcome.badge_refused") : "";
      const extra = [];
      if (item.valid_until) extra.push(FD.t("welcome.valid_until", {time: FD.formatTime(item.valid_until, true)}));
      if (item.phone_masked) extra.push(FD.t("welcome.phone", {phone: item.phone_masked}));
      document.getElementById("welcome-extra").textContent = extra.join(" · ");
    } else {
      document.getElementById("rejected-reason").textContent = FD.reasonText(item.reason);
    }
  }

  FD.onLang(() => { if (shown) render(shown); });

  const stream = new FD.ScanStream({
    item: (item, live) => {
      if (!live || shownIds.includes(item.event_id)) return;
      remember(item);
      // A scan always wins: the person in front of the camera is the one using the kiosk now.
      present(item);
    },
  });
  stream.open();
  window.kioskStream = stream;  // for diagnostics from the devtools console
  show("home");
  document.body.dataset.ready = "true";
})();
