// The live desk view: the line ringing now with caller ID, the resident's unit, that unit's
// recent tickets, the transcript as it arrives, and a work order in two clicks
// ("Make work order" on the call, then "Create and print").
"use strict";

const calls = new Map();      // call_id -> summary (same folding rules as central/dashboard/desk_state.py)
let selected = null;          // call_id shown on the right

function foldCall(call, type, p, when) {
  for (const k of ["number", "name", "unit", "resident_name", "number_absent_reason"]) if (p[k]) call[k] = p[k];
  if (type === "call.ringing") {
    call.started_at = call.started_at || when;
    if (call.state !== "answered" && call.state !== "ended") call.state = "ringing";
    call.ring = p.ring; call.blocked = !!p.blocked;
  } else if (type === "call.answered") {
    if (call.state !== "ended") call.state = "answered";
    call.answered_by = p.by;
  } else if (type === "call.missed") {
    call.missed = true;
  } else if (type === "call.message_recorded") {
    call.message = {duration_s: p.duration_s, menu_choice: p.menu_choice};
  } else if (type === "call.ended") {
    call.state = "ended"; call.outcome = p.outcome; call.ended_at = when;
  } else if (type === "call.transcribed" || type === "note.transcribed") {
    (call.transcripts = call.transcripts || []).push({kind: type === "call.transcribed" ? "call" : "note",
      text: p.text || "", outcome: p.outcome, confidence: p.confidence, category: p.category, language: p.language});
  } else if (type === "transcript.failed") {
    call.transcript_failed = p.reason;
  }
}

function callerLine(c) {
  if (c.number) return c.number;
  if (c.number_absent_reason) return t("call." + c.number_absent_reason);
  return t("call.unknown");
}

function renderCalls() {
  const box = clear(document.getElementById("calls"));
  const list = [...calls.values()].sort((a, b) => (b.started_at || "").localeCompare(a.started_at || ""));
  if (!list.length) { box.append(el("p", {class: "empty", id: "no-calls", text: t("desk.none")})); return; }
  if (!selected || !calls.has(selected)) selected = (list.find((c) => c.state === "ringing") || list[0]).call_id;
  for (const c of list.slice(0, 20)) {
    const state = c.state === "ended" && c.missed ? "missed" : c.state;
    const badges = [el("span", {class: "badge " + state, text: t("call." + state)})];
    if (c.state === "ringing" && c.ring) badges.push(el("span", {class: "badge", text: t("call.ring", {n: c.ring})}));
    if (c.answered_by) badges.push(el("span", {class: "badge", text: t("call.by." + c.answered_by)}));
    if (c.blocked) badges.push(el("span", {class: "badge late", text: t("call.blocked")}));
    if (c.message) badges.push(el("span", {class: "badge", text: t("call.message")}));
    const transcripts = (c.transcripts || []).map((tr) =>
      el("div", {class: "transcript", "data-kind": tr.kind},
        tr.category ? el("span", {class: "badge", text: kindName(tr.category === "other" ? "other" : tr.category)}) : null,
        tr.text));
    if (c.message && !transcripts.length) {
      transcripts.push(el("div", {class: "muted", text: c.transcript_failed ? t("desk.transcript_failed")
                                                                         : t("desk.waiting_transcript")}));
    }
    const card = el("article", {class: "call " + c.state + (c.call_id === selected ? " selected" : ""),
                                "data-call": c.call_id, onclick: () => { selected = c.call_id; renderCalls(); loadUnit(); }},
      el("div", {}, badges),
      el("div", {class: "who", text: callerLine(c)}),
      c.name ? el("div", {class: "muted", text: c.name}) : null,
      el("div", {class: "unit", text: c.unit ? c.unit + (c.resident_name ? " · " + c.resident_name : "") : t("desk.no_unit")}),
      el("div", {class: "muted", text: t("call.started") + " " + fmtTime(c.started_at, c.tz, true)}),
      transcripts,
      c.workOrder ? workOrderLine(c.workOrder) : null,
      el("p", {}, el("button", {class: "make-wo", "data-call": c.call_id, text: t("wo.make"),
                                onclick: (e) => { e.stopPropagation(); openWorkOrder(c); }})));
    box.append(card);
  }
}

// A unit's recent tickets. A unit name with a "/" cannot travel in the URL path (it would split
// it), so that one asks the board for the unit's tickets, closed ones included, instead.
async function recentTickets(site, unit, limit) {
  if (unit.includes("/")) {
    return items(await api("GET", API.tickets, undefined, {site, unit, include_closed: true, limit}));
  }
  return items(await api("GET", API.unitTickets(site, unit), undefined, {limit}));
}

async function loadUnit() {
  const call = calls.get(selected);
  const info = clear(document.getElementById("unit-info"));
  const list = clear(document.getElementById("unit-tickets"));
  if (!call) return;
  if (!call.unit) { info.append(el("p", {class: "empty", text: t("desk.no_unit")})); return; }
  info.append(el("p", {class: "unit", id: "unit-name", text: call.unit + (call.resident_name ? " · " + call.resident_name : "")}));
  list.append(el("p", {class: "muted", text: t("loading")}));
  try {
    const rows = await recentTickets(call.site, call.unit, 5);
    if (call.call_id !== selected) return;  // another call was picked meanwhile
    clear(list);
    if (!rows.length) { list.append(el("p", {class: "empty", text: t("desk.no_tickets")})); return; }
    list.append(el("table", {id: "unit-ticket-table"}, el("tbody", {}, rows.map((tk) => el("tr", {"data-ticket": tk.id},
      el("td", {text: fmtTime(tk.created_at, tk.tz || call.tz, true)}),
      el("td", {text: kindName(tk.kind)}),
      el("td", {text: stateName(tk.state)}),
      el("td", {text: tk.title || ""}))))));
  } catch (err) {
    showMessage(list, "error", t("error.load") + ": " + err.message);
  }
}

// "Make work order" on a call opens the new-ticket form prefilled from the call (unit, phone,
// kind and content from the transcript, the printer of the edge the call came in on); "Create
// and print" opens the call's ticket (or corrects the one central opened from the transcript),
// issues the work order and sends the slip to the printer.
async function openWorkOrder(call) {
  const dlg = document.getElementById("wo-dialog");
  const me = await whoAmI();
  const form = ticketForm(document.getElementById("wo-host"), {
    mode: "call", me, site: call.site, call,
    onDone: (ticket, command, notes) => {
      closeModal(dlg);
      call.ticket_id = ticket.id;
      call.workOrder = {ticket_id: ticket.id, number: ticket.number, command, notes};
      renderCalls();
      loadUnit();
    },
    onCancel: () => closeModal(dlg),
  });
  openModal(dlg);
  form.focus();
}

// The work order's print command is shown pending, and turns delivered (or rejected) when the
// edge's command.applied arrives on the live stream.
function workOrderLine(wo) {
  const cmd = wo.command;
  return el("div", {class: "message ok wo-done", "data-ticket": wo.ticket_id},
    el("a", {href: ticketHref(wo.ticket_id), class: "wo-link", onclick: (e) => e.stopPropagation(),
             text: t("wo.done", {id: wo.number || wo.ticket_id})}), " ",
    (wo.notes || []).map((n) => el("div", {class: "wo-note", text: n})),
    cmd ? el("span", {class: "wo-print"}, el("span", {class: "badge " + cmd.state, "data-state": cmd.state,
                                                      text: t("wo.print_sent", {state: t("state." + cmd.state)})}),
                     cmd.detail ? " " + cmd.detail : "") : null);
}

// A line of central's call register as a desk call summary.
function fromRegister(r) {
  const recent = Date.now() - new Date(r.started_at).getTime() < 3 * 60000;
  const state = r.ended_at ? "ended" : r.answered_at ? "answered" : recent ? "ringing" : "ended";
  return {call_id: r.call_id, site: r.site, device: r.device, tz: r.tz, started_at: r.started_at,
          number: r.number, name: r.caller_name, unit: r.unit, resident_name: r.resident_name, state,
          answered_by: r.answered_by, outcome: r.outcome, missed: r.outcome === "missed", blocked: r.blocked,
          ring: r.rings, ticket_id: r.ticket_id,
          transcripts: r.transcript ? [{kind: "call", text: r.transcript, category: r.category}] : []};
}

async function loadCalls() {
  try {
    const since = new Date(Date.now() - 12 * 3600 * 1000).toISOString();
    const rows = items(await api("GET", API.registers("calls"), undefined, {site: siteParam(), since, limit: 30}));
    // The register wins for calls it knows; calls seen live while it loaded are kept, and so
    // are the work orders made on this page.
    for (const r of rows) {
      const known = calls.get(r.call_id);
      calls.set(r.call_id, {...fromRegister(r), workOrder: known && known.workOrder});
    }
    renderCalls(); loadUnit();
  } catch (err) {
    showMessage(document.getElementById("calls"), "error", t("error.load") + ": " + err.message);
  }
}

function onLive(item) {
  const p = item.payload || {};
  if (p.call_id && (item.type.startsWith("call.") || item.type.startsWith("note.") || item.type === "transcript.failed")) {
    const isNew = !calls.has(p.call_id);
    const call = calls.get(p.call_id) || {call_id: p.call_id, site: item.site, device: item.device, tz: item.tz,
                                           started_at: item.occurred_at, state: "ringing"};
    foldCall(call, item.type, p, item.occurred_at);
    calls.set(p.call_id, call);
    if (isNew && item.type === "call.ringing") selected = p.call_id;
    renderCalls();
    if (isNew || p.call_id === selected) loadUnit();
  } else if (item.type.startsWith("ticket.")) {
    loadUnit();
  } else if (item.type === "command.applied") {
    for (const call of calls.values()) {
      const cmd = call.workOrder && call.workOrder.command;
      if (cmd && cmd.id === p.command_id) {
        call.workOrder.command = {...cmd, state: p.status === "applied" ? "delivered" : "rejected", detail: p.detail};
        renderCalls();
      }
    }
  }
}

// The calls' part of the desk home (desk-home.js starts the page).
function startCalls() {
  document.getElementById("calls-title").textContent = t("desk.calls");
  document.getElementById("unit-title").textContent = t("desk.unit_tickets");
  loadCalls();
}
