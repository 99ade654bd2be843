/* The gate-post screen: the access service's allow/deny for each card or pass, with the reason,
 * the direction and the last scans; and a keyboard-first registration form for the guard. */
"use strict";

(async () => {
  const config = await FD.init();
  const panel = document.getElementById("decision");
  const list = document.getElementById("recent");
  const empty = document.getElementById("recent-empty");
  const okLine = document.getElementById("walkin-ok");
  let recent = [];            // newest first, never longer than config.recent_scans
  let current = null;         // what the big panel shows
  let panelTimer = null;
  let lastRegistered = null;
  const shownIds = [];

  function remember(item) {
    if (!item.event_id) return;
    shownIds.push(item.event_id);
    if (shownIds.length > 20) shownIds.shift();
  }

  function who(item) {
    const parts = [];
    if (item.name) parts.push(item.name);
    else if (item.holder) parts.push(FD.t("holder." + item.holder));
    if (item.unit) parts.push(item.unit);
    if (item.phone_masked) parts.push(item.phone_masked);
    return parts.join(" · ");
  }

  function kindLabel(item) {
    const key = "kind." + (item.via || item.kind);
    return FD.has(key) ? FD.t(key) : FD.t("kind." + item.kind);
  }

  function directionOf(item) { return item.direction || config.direction; }

  function renderPanel() {
    const item = current;
    const word = document.getElementById("decision-word");
    const dir = document.getElementById("decision-direction");
    if (!item) {
      panel.dataset.state = "ready";
      word.textContent = FD.t("gate.ready");
      dir.hidden = true;
      for (const id of ["decision-reason", "decision-who", "decision-when"]) document.getElementById(id).textContent = "";
      return;
    }
    panel.dataset.state = item.decision;
    word.textContent = FD.t(item.decision === "allow" ? "gate.allow" : "gate.deny");
    dir.hidden = false;
    dir.dataset.direction = directionOf(item);
    dir.textContent = FD.t("direction." + directionOf(item));
    document.getElementById("decision-reason").textContent =
      item.decision === "allow" ? kindLabel(item) : FD.reasonText(item.reason);
    document.getElementById("decision-who").textContent = who(item);
    document.getElementById("decision-when").textContent = FD.formatTime(item.at);
  }

  function showDecision(item) {
    current = item;
    renderPanel();
    clearTimeout(panelTimer);
    panelTimer = setTimeout(() => { current = null; renderPanel(); }, config.result_s * 1000);
  }

  function row(item) {
    const li = document.createElement("li");
    li.className = "recent-row";
    li.dataset.decision = item.decision;
    const cells = [
      ["recent-time", FD.formatTime(item.at)],
      ["recent-dir", FD.t("direction." + directionOf(item))],
      ["recent-word", FD.t(item.decision === "allow" ? "gate.allow" : "gate.deny")],
      ["recent-what", item.decision === "allow" ? kindLabel(item) : FD.reasonText(item.reason)],
      ["recent-who", who(item)],
    ];
    for (const [cls, text] of cells) {
      const span = document.createElement("span");
      span.className = cls;
      span.textContent = text;
      li.appendChild(span);
    }
    return li;
  }

  function renderList() {
    // Rebuilt from the bounded array each time: the list can never grow past recent_scans rows.
    list.replaceChildren(...recent.map(row));
    empty.hidden = recent.length > 0;
  }

  function addRecent(item) {
    if (recent.some((r) => r.event_id && r.event_id === item.event_id)) return;
    recent.unshift(item);
    recent.sort((a, b) => (b.seq || 0) - (a.seq || 0));
    recent = recent.slice(0, config.recent_scans);
    renderList();
  }

  function renderOk() {
    okLine.textContent = lastRegistered ? FD.t("gate.registered", {name: lastRegistered.name, unit: lastRegistered.unit}) : "";
  }

  // -- visitors in: who is in the building through this post, with a manual check-out ------------

  const presentList = document.getElementById("present");
  const presentError = document.getElementById("present-error");
  const tabs = {recent: document.getElementById("tab-recent"), present: document.getElementById("tab-present")};
  let present = [];
  let presentMore = 0;
  let presentTab = false;
  let presentLoading = null;

  function showTab(which) {
    presentTab = which === "present";
    tabs.recent.setAttribute("aria-selected", String(!presentTab));
    tabs.present.setAttribute("aria-selected", String(presentTab));
    document.getElementById("panel-recent").hidden = presentTab;
    document.getElementById("panel-present").hidden = !presentTab;
    if (presentTab) loadPresent();
  }
  tabs.recent.addEventListener("click", () => showTab("recent"));
  tabs.present.addEventListener("click", () => showTab("present"));

  function presentRow(visitor) {
    const li = document.createElement("li");
    li.className = "present-row";
    const who = document.createElement("span");
    who.className = "present-who";
    who.textContent = [visitor.name, visitor.unit].filter(Boolean).join(" · ");
    const since = document.createElement("span");
    since.className = "present-since";
    since.textContent = [FD.t("gate.since", {time: FD.formatTime(visitor.since)}), visitor.phone_masked].filter(Boolean).join(" · ");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn";
    button.textContent = FD.t("gate.checkout");
    // Two taps: the first asks "sure?", so a slip of the finger does not check the wrong visitor out.
    let armed = null;
    button.addEventListener("click", () => {
      if (armed) { clearTimeout(armed); checkOut(visitor.visit_id, button); return; }
      button.textContent = FD.t("gate.checkout_confirm");
      button.dataset.armed = "true";
      armed = setTimeout(() => { armed = null; delete button.dataset.armed; button.textContent = FD.t("gate.checkout"); }, 4000);
    });
    li.append(who, since, button);
    return li;
  }

  function renderPresent() {
    tabs.present.textContent = FD.t("gate.present", {count: present.length + presentMore});
    presentList.replaceChildren(...present.map(presentRow));
    document.getElementById("present-empty").hidden = present.length > 0;
    if (presentMore) {
      const li = document.createElement("li");
      li.className = "hint";
      li.textContent = FD.t("gate.present_more", {count: presentMore});
      presentList.appendChild(li);
    }
  }

  async function loadPresent() {
    if (presentLoading) return presentLoading;
    presentLoading = (async () => {
      try {
        const res = await fetch(FD.API.present, {cache: "no-store"});
        const data = await res.json();
        if (res.ok) {
          present = data.visitors || [];
          presentMore = data.more || 0;
          presentError.textContent = "";
        } else {
          presentError.textContent = FD.errorText(data, res.status);
        }
      } catch (err) {
        presentError.textContent = FD.t("error.network");
      } finally {
        presentLoading = null;
      }
      renderPresent();
    })();
    return presentLoading;
  }

  async function checkOut(visitId, button) {
    button.disabled = true;
    let problem = "";
    try {
      const res = await fetch(FD.API.checkOut(visitId), {method: "POST", cache: "no-store"});
      const data = await res.json();
      if (res.ok) {
        remember(data);
        showDecision(data);
        addRecent(data);
      } else {
        problem = FD.errorText(data, res.status);
      }
    } catch (err) {
      problem = FD.t("error.network");
    }
    // The list is read again either way; a refusal is said after it, or the reload would wipe it.
    await loadPresent();
    if (problem) presentError.textContent = problem;
  }

  FD.onLang(() => { renderPanel(); renderList(); renderOk(); renderPresent(); });

  const idle = new FD.Idle({reset: () => { form.reset(); lastRegistered = null; renderOk(); form.name.focus(); }});

  const form = new FD.WalkInForm({
    defaultPurpose: "visit",
    registered: (item) => {
      remember(item);
      showDecision(item);
      addRecent(item);
      lastRegistered = item;
      form.reset();
      renderOk();
      idle.disarm();
      form.name.focus();
    },
  });

  // The guard's keyboard: Esc clears the form, 1-5 pick the purpose when the purpose row has focus,
  // Alt+1-5 from anywhere, Enter submits from any field (the browser's implicit submission).
  document.addEventListener("keydown", (ev) => {
    if (!document.getElementById("idle").hidden) return;
    if (ev.key === "Escape") {
      form.reset();
      lastRegistered = null;
      renderOk();
      idle.disarm();
      form.name.focus();
      ev.preventDefault();
      return;
    }
    const inPurposes = ev.target.closest && ev.target.closest("#purposes");
    if (/^[1-5]$/.test(ev.key) && (inPurposes || ev.altKey)) {
      const button = document.querySelector('#purposes [data-shortcut="' + ev.key + '"]');
      form.choose(button.dataset.purpose);
      button.focus();
      ev.preventDefault();
    } else if (ev.key === "Enter" && inPurposes) {
      ev.preventDefault();
      form.form.requestSubmit();
    }
  });
  // Typing into the form arms the idle reset, so a half-typed visitor record does not stay on screen.
  form.form.addEventListener("input", () => { idle.arm(); lastRegistered = null; renderOk(); });

  const stream = new FD.ScanStream({
    snapshot: (items) => {
      recent = items.slice().sort((a, b) => (b.seq || 0) - (a.seq || 0)).slice(0, config.recent_scans);
      renderList();
    },
    item: (item, live) => {
      addRecent(item);
      if (live && !shownIds.includes(item.event_id)) { remember(item); showDecision(item); }
      if (item.kind === "checked_in" || item.kind === "checked_out") loadPresent();
    },
  });
  stream.open();
  window.gateStream = stream;
  loadPresent();
  renderPanel();
  renderList();
  form.name.focus();
  document.body.dataset.ready = "true";
})();
