// One ticket (/dashboard/ticket?id=<id>): its number, kind, state, unit and contact (in full for
// the desk, masked for others, as the API gives them), its SLA timers counting down, the
// timeline (who did what when, notes, photos), child tickets, and the actions the viewer's role
// allows in the ticket's state. The same rules are checked by central (a hidden button's request
// is refused there too: central/tickets/actions.py).
"use strict";

const TICKET_ID = new URLSearchParams(location.search).get("id") || "";
const ISSUED = "work_order_issued";
const PAUSE_REASONS = ["waiting_resident", "appointment"];
let ticket = null, me = null, attachments = [], printCommand = null, reloadTimer = null;

function rankOf(state) { return ticket.states.indexOf(state); }
function isClosed(tk) { return tk.state === "closed" || (tk.kind === "mail" && tk.state === "returned"); }

// Why the desk may not do `action` now (as central/tickets/actions.py says it), or null.
function refusal(tk, action) {
  const closed = isClosed(tk), done = !!tk.done_at;
  if (action === "reopen") return closed || done ? null : "reopen";
  if (closed) return "closed";
  if (action === "workorder") return tk.states.includes(ISSUED) && rankOf(tk.state) < rankOf(ISSUED) ? null : "issued";
  if (action === "complaint" && tk.kind !== "complaint") return "kind";
  if (action === "callback") {
    if (!tk.states.includes("callback") || !done) return "not done";
    if (rankOf(tk.state) >= rankOf("callback")) return "called back";
  }
  if (action === "pause" && tk.paused) return "paused";
  if (action === "resume" && !tk.paused) return "not paused";
  if (action === "move" && !laterStates(tk).length) return "last";
  return null;
}

// The states a ticket may move on to by hand (the work order, callback and close have their own buttons).
function laterStates(tk) {
  const own = new Set([ISSUED, "callback", "closed"]);
  return tk.states.slice(rankOf(tk.state) + 1).filter((s) => !own.has(s));
}

// The timer label in the page's language ("派工单 3 分钟 / work order in 3 min").
function timerLabel(label, name) {
  const parts = (label || name).split(" / ");
  return LANG === "en" && parts[1] ? parts[1] : parts[0];
}

function row(labelKey, value, id) {
  return value === null || value === undefined || value === "" ? null
    : el("div", {class: "field"}, el("dt", {text: t(labelKey)}), el("dd", {id, text: String(value)}));
}

function renderHead() {
  const tk = ticket;
  const head = clear(document.getElementById("ticket-head"));
  document.title = (tk.number || tk.id) + " · " + t("app.title");
  // el() leaves out absent parts; a bare append() would write them as "null".
  head.append(...[
    el("h2", {id: "ticket-number"}, el("span", {class: "number", text: tk.number || tk.id}), " ",
       el("span", {id: "ticket-title", text: tk.title})),
    el("p", {},
      el("span", {class: "badge", id: "ticket-kind", text: kindName(tk.kind)}),
      el("span", {class: "badge" + (tk.any_breach ? " late" : ""), id: "ticket-state", "data-state": tk.state,
                  text: stateName(tk.state)}),
      tk.paused ? el("span", {class: "badge pending", id: "ticket-paused", text: t("board.paused")}) : null,
      tk.complaint_class ? el("span", {class: "badge", id: "ticket-class",
                                       text: t("complaint.class", {n: tk.complaint_class})}) : null,
      tk.complaint_valid === true || tk.complaint_valid === false
        ? el("span", {class: "badge", id: "ticket-valid", text: t(tk.complaint_valid ? "complaint.valid" : "complaint.invalid")}) : null),
    el("dl", {class: "fields"},
      row("wo.unit", tk.unit, "ticket-unit"), row("tf.contact", tk.contact_name, "ticket-contact-name"),
      row("wo.phone", tk.contact_phone, "ticket-contact-phone"),
      row("tf.source", tk.source ? t("source." + tk.source) : "", "ticket-source"),
      row("board.owner", tk.owner, "ticket-owner"), row("ticket.assignee", tk.assignee, "ticket-assignee"),
      row("wo.appointment", fmtTime(tk.appointment_at, tk.tz, true), "ticket-appointment"),
      row("ticket.created", fmtTime(tk.created_at, tk.tz, true), "ticket-created"),
      row("ticket.callback", tk.callback_reached === null || tk.callback_reached === undefined ? ""
        : t(tk.callback_reached ? "callback.reached" : "callback.not_reached") +
          (tk.satisfied === true ? " · " + t("callback.satisfied") : tk.satisfied === false ? " · " + t("callback.unsatisfied") : ""),
          "ticket-callback")),
    tk.details ? el("p", {class: "details", id: "ticket-details", text: tk.details}) : null,
    tk.parent_id ? el("p", {}, el("a", {href: ticketHref(tk.parent_id), id: "ticket-parent", text: t("ticket.parent")})) : null,
    printCommand ? el("p", {class: "wo-print", id: "ticket-print"},
      el("span", {class: "badge " + printCommand.state, "data-state": printCommand.state,
                  text: t("wo.print_sent", {state: t("state." + printCommand.state)})})) : null].filter(Boolean));
}

function renderTimers() {
  const box = clear(document.getElementById("ticket-timers"));
  const timers = ticket.timers || [];
  if (!timers.length) { box.append(el("p", {class: "empty", text: t("ticket.no_timers")})); return; }
  box.append(el("table", {id: "timers"}, el("tbody", {}, timers.map((tm) => el("tr", {"data-timer": tm.name},
    el("th", {scope: "row", text: timerLabel(tm.label, tm.name)}),
    timerCell(tm))))));
}

function timerCell(tm) {
  if (tm.met_at) {
    return el("td", {class: tm.met_in_time === false ? "late" : "ok",
                     text: t(tm.met_in_time === false ? "timer.met_late" : "timer.met", {at: fmtTime(tm.met_at, ticket.tz, true)})});
  }
  if (tm.paused) return el("td", {text: t("board.paused")});
  return el("td", {class: "due", "data-due": tm.due_at || null});
}

function tick() { tickDue("#page td.due[data-due]"); }

function historyText(h) {
  const d = h.detail || {};
  switch (h.type) {
    case "ticket.opened": return t("tl.opened", {kind: kindName(d.kind), source: d.source ? t("source." + d.source) : ""});
    case "ticket.transitioned": return t("tl.moved", {state: stateName(d.to_state)});
    case "ticket.assigned": return t("tl.assigned", {who: d.assignee || ""});
    case "ticket.updated": return t("tl.updated", {fields: (d.fields || []).map((f) => t("field." + f)).join(", ")});
    case "ticket.paused": return t("tl.paused", {reason: t("pause." + d.reason)});
    case "ticket.resumed": return t("tl.resumed");
    case "ticket.reopened": return t("tl.reopened");
    case "ticket.callback_recorded":
      return t(d.reached ? "callback.reached" : "callback.not_reached") +
        (d.satisfied === true ? " · " + t("callback.satisfied") : d.satisfied === false ? " · " + t("callback.unsatisfied") : "");
    case "ticket.sla_breached": return t("tl.breached", {timer: d.timer || ""});
    case "note.transcribed": return t("tl.note") + " " + (d.text || "");
    case "ticket.attachment_added": return t(d.kind === "signature" ? "tl.signature" : "tl.photo");
    default: return h.type;
  }
}

function thumb(aid, n) {
  return el("a", {href: API.attachment(TICKET_ID, aid), class: "thumb", target: "_blank", rel: "noopener"},
    el("img", {src: API.attachment(TICKET_ID, aid), alt: t("ticket.photo_n", {n}), loading: "lazy", width: 96, height: 96}));
}

function renderTimeline() {
  const list = clear(document.getElementById("ticket-timeline"));
  const shown = new Set();
  for (const h of ticket.history || []) {
    const d = h.detail || {};
    const li = el("li", {"data-type": h.type, "data-outcome": h.outcome},
      el("time", {datetime: h.at, text: fmtTime(h.at, ticket.tz, true)}), " ",
      el("span", {class: "by", text: h.by}), " ", el("span", {class: "what", text: historyText(h)}),
      h.outcome !== "applied" ? el("span", {class: "badge late", text: t("outcome." + h.outcome) + (d.reason ? ": " + d.reason : "")}) : null,
      d.note ? el("div", {class: "note", text: d.note}) : null);
    if (d.attachment_id) { shown.add(d.attachment_id); li.append(el("div", {class: "thumbs"}, thumb(d.attachment_id, shown.size))); }
    list.append(li);
  }
  const rest = attachments.filter((a) => !shown.has(a.id));
  if (rest.length) {
    list.append(el("li", {"data-type": "attachments"}, el("span", {class: "what", text: t("ticket.photos")}),
      el("div", {class: "thumbs", id: "ticket-thumbs"}, rest.map((a, i) => thumb(a.id, shown.size + i + 1)))));
  }
}

function renderChildren() {
  const box = clear(document.getElementById("ticket-children"));
  const kids = ticket.children || [];
  if (!kids.length) box.append(el("p", {class: "empty", text: t("ticket.no_children")}));
  else {
    box.append(el("ul", {id: "children"}, kids.map((c) => el("li", {"data-ticket": c.id},
      el("a", {href: ticketHref(c.id), text: (c.number || c.id) + " · " + c.title}), " ",
      el("span", {class: "badge", text: stateName(c.state)})))));
  }
  if (can(me, "tickets.change")) {
    box.append(el("p", {}, el("a", {class: "button secondary", id: "child-new", text: t("ticket.child_new"),
      href: newTicketHref({parent: ticket.id, unit: ticket.unit || ""})})));
  }
}

// -- actions ------------------------------------------------------------------------------------

const ACTIONS = ["workorder", "assign", "move", "pause", "resume", "complaint", "callback", "reopen", "close"];

function renderActions() {
  const panel = document.getElementById("ticket-actions-panel");
  const box = clear(document.getElementById("ticket-actions"));
  // Only the desk's roles change tickets here; technicians work from their phone page.
  if (!can(me, "tickets.change")) { panel.hidden = true; return; }
  panel.hidden = false;
  for (const action of ACTIONS) {
    if (refusal(ticket, action) !== null) continue;
    const label = action === "move" ? t("act.move_to", {state: stateName(laterStates(ticket)[0])}) : t("act." + action);
    box.append(el("button", {type: "button", id: "act-" + action, "data-action": action, text: label,
                             class: action === "workorder" ? null : "secondary", onclick: () => openAction(action)}));
  }
}

function radios(name, options, legendKey, checked) {
  return el("fieldset", {class: "choices"}, el("legend", {text: t(legendKey)}),
    options.map(([value, key]) => el("label", {class: "choice"},
      el("input", {type: "radio", name, value, id: "act-" + name + "-" + value, checked: value === checked}), " ", t(key))));
}

function noteField() {
  return [el("label", {for: "act-note", text: t("act.note")}), el("textarea", {id: "act-note", name: "note", maxlength: 2000})];
}

async function technicianSelect(withNone) {
  const sel = el("select", {id: "act-assignee", name: "assignee", required: !withNone},
    withNone ? el("option", {value: "", text: t("act.nobody")}) : null);
  try {
    const people = items(await api("GET", API.staff, undefined, {site: ticket.site, role: "technician"}));
    for (const p of people) sel.append(el("option", {value: p.username, text: p.display_name + " (" + p.username + ")"}));
    if (ticket.assignee) sel.value = ticket.assignee;
  } catch (err) { /* the select stays empty; the dialog says so on submit */ }
  return [el("label", {for: "act-assignee", text: t("ticket.assignee")}), sel];
}

// Each action's dialog fields, and the request its form makes.
const ACTION_FORMS = {
  workorder: {
    fields: async () => [el("label", {for: "act-printer", text: t("wo.printer")}),
      el("input", {id: "act-printer", name: "printer", maxlength: 64, list: "act-printers", required: true, autocomplete: "off"}),
      el("datalist", {id: "act-printers"}), ...await technicianSelect(true)],
    after: () => fillPrinters(document.getElementById("act-printer"), document.getElementById("act-printers"), null),
    send: async (f) => {
      localStorage.setItem(PRINTER_KEY, f.printer.value.trim());
      const made = await api("POST", API.workOrder(ticket.id), {device: f.printer.value.trim(), assignee: f.assignee.value || null,
                                                                language: LANG === "en" ? "en" : "zh"});
      printCommand = made.command;
    },
  },
  assign: {
    fields: async () => [...await technicianSelect(false), ...noteField()],
    send: (f) => api("POST", API.ticketAction(ticket.id, "assign"), {assignee: f.assignee.value, note: f.note.value || null}),
  },
  move: {
    fields: async () => [el("label", {for: "act-state", text: t("act.state")}),
      el("select", {id: "act-state", name: "to_state"}, laterStates(ticket).map((s) => el("option", {value: s, text: stateName(s)}))),
      ...noteField()],
    send: (f) => api("POST", API.ticketAction(ticket.id, "transition"), {to_state: f.to_state.value, note: f.note.value || null}),
  },
  pause: {
    fields: async () => [el("label", {for: "act-reason", text: t("act.reason")}),
      el("select", {id: "act-reason", name: "reason"}, PAUSE_REASONS.map((r) => el("option", {value: r, text: t("pause." + r)}))),
      el("label", {for: "act-appointment", text: t("wo.appointment")}),
      el("input", {id: "act-appointment", name: "appointment", type: "datetime-local"}), ...noteField()],
    send: (f) => api("POST", API.ticketAction(ticket.id, "pause"), {reason: f.reason.value, note: f.note.value || null,
      appointment_at: f.appointment.value ? new Date(f.appointment.value).toISOString() : null}),
  },
  resume: {fields: async () => noteField(),
           send: (f) => api("POST", API.ticketAction(ticket.id, "resume"), {note: f.note.value || null})},
  complaint: {
    fields: async () => [radios("complaint_class", [["1", "complaint.class1"], ["2", "complaint.class2"], ["3", "complaint.class3"]],
                                "act.class", String(ticket.complaint_class || "")),
      radios("complaint_valid", [["true", "complaint.valid"], ["false", "complaint.invalid"]], "act.validity",
             ticket.complaint_valid === null || ticket.complaint_valid === undefined ? "" : String(ticket.complaint_valid)),
      ...noteField()],
    send: (f) => {
      const body = {note: f.note.value || null};
      if (f.complaint_class.value) body.complaint_class = Number(f.complaint_class.value);
      if (f.complaint_valid.value) body.complaint_valid = f.complaint_valid.value === "true";
      if (body.complaint_class === undefined && body.complaint_valid === undefined) throw new Error(t("act.choose"));
      return api("PATCH", API.ticket(ticket.id), body);
    },
  },
  callback: {
    fields: async () => [radios("reached", [["true", "callback.reached"], ["false", "callback.not_reached"]], "act.reached", "true"),
      radios("satisfied", [["true", "callback.satisfied"], ["false", "callback.unsatisfied"], ["", "callback.unknown"]],
             "act.satisfied", "true"), ...noteField()],
    send: (f) => api("POST", API.ticketAction(ticket.id, "callback"), {reached: f.reached.value === "true",
      satisfied: f.satisfied.value === "" ? null : f.satisfied.value === "true", note: f.note.value || null}),
  },
  reopen: {fields: async () => noteField(),
           send: (f) => api("POST", API.ticketAction(ticket.id, "reopen"), {note: f.note.value || null})},
  close: {fields: async () => noteField(),
          send: (f) => api("POST", API.ticketAction(ticket.id, "transition"), {to_state: "closed", note: f.note.value || null})},
};

let currentAction = null;

async function openAction(action) {
  const dlg = document.getElementById("act-dialog");
  const spec = ACTION_FORMS[action];
  currentAction = action;
  document.getElementById("act-heading").textContent = action === "move"
    ? t("act.move") : t("act." + action);
  document.getElementById("act-submit").textContent = t("act.submit_" + (action === "workorder" ? "print" : "ok"));
  clear(document.getElementById("act-error"));
  clear(document.getElementById("act-fields")).append(...await spec.fields());
  openModal(dlg);
  if (spec.after) spec.after();
  const first = document.querySelector("#act-fields input, #act-fields select, #act-fields textarea");
  if (first) first.focus();
}

async function submitAction(e) {
  e.preventDefault();
  const dlg = document.getElementById("act-dialog");
  const button = document.getElementById("act-submit");
  const action = currentAction;
  button.disabled = true;
  try {
    await ACTION_FORMS[action].send(document.getElementById("act-form").elements);
    closeModal(dlg);
    showMessage(document.getElementById("ticket-message"), "ok", t("act.done", {what: t("act." + action)}));
    await load();
    const again = document.querySelector("#ticket-actions button");
    if (again) again.focus();
  } catch (err) {
    showMessage(document.getElementById("act-error"), "error", t("act.failed", {why: err.message}));
  } finally {
    button.disabled = false;
  }
}

// -- loading and live updates ---------------------------------------------------------------------

async function load() {
  if (!TICKET_ID) { return notFound(); }
  try {
    ticket = await api("GET", API.ticket(TICKET_ID));
  } catch (err) {
    if (err.status === 404 || err.status === 422) return notFound();
    showMessage(clear(document.getElementById("ticket-head")), "error", t("error.load") + ": " + err.message);
    return;
  }
  try { attachments = items(await api("GET", API.attachments(TICKET_ID))); } catch (err) { attachments = []; }
  renderHead(); renderActions(); renderTimers(); renderChildren(); renderTimeline(); tick();
}

function notFound() {
  for (const id of ["ticket-actions-panel", "ticket-timers-panel", "ticket-children-panel", "ticket-timeline-panel"]) {
    document.getElementById(id).hidden = true;
  }
  const head = clear(document.getElementById("ticket-head"));
  head.append(el("h2", {text: t("ticket.title")}), el("p", {class: "message error", id: "ticket-none", role: "alert", text: t("ticket.none")}),
    el("p", {}, el("a", {href: "/dashboard/board", text: t("board.clear")})));
}

async function loadPrintCommand(id) {
  try { printCommand = await api("GET", API.command(id)); if (ticket) renderHead(); } catch (err) { /* not shown */ }
}

function onLive(item) {
  const p = item.payload || {};
  if (item.type.startsWith("ticket.") || item.type === "note.transcribed") {
    if (p.ticket_id !== TICKET_ID && !(ticket && p.parent_id === ticket.id)) return;
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(load, 200);
  } else if (item.type === "command.applied" && printCommand && p.command_id === printCommand.id) {
    printCommand = {...printCommand, state: p.status === "applied" ? "delivered" : "rejected"};
    renderHead();
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  renderHeader("ticket");
  for (const [id, key] of [["actions-title", "ticket.actions"], ["timers-title", "ticket.timers"],
                           ["children-title", "ticket.children"], ["timeline-title", "ticket.timeline"]]) {
    document.getElementById(id).textContent = t(key);
  }
  document.getElementById("act-cancel").textContent = t("wo.cancel");
  document.getElementById("act-cancel").addEventListener("click", () => closeModal(document.getElementById("act-dialog")));
  document.getElementById("act-form").addEventListener("submit", submitAction);
  me = await whoAmI();
  await load();
  const notes = takeNotes();
  if (notes.length) {
    const box = document.getElementById("ticket-message");
    clear(box).append(el("ul", {class: "message error", id: "ticket-notes", role: "alert"}, notes.map((n) => el("li", {text: n}))));
  }
  const printed = new URLSearchParams(location.search).get("printed");
  if (printed) loadPrintCommand(printed);
  // Saved at the counter: a repair's work order is the next thing to do.
  const wo = document.getElementById("act-workorder");
  if (wo && !printed) wo.focus();
  setInterval(tick, 1000);
  if (can(me, "live.read")) openLive(onLive, load); else hideLiveBadge();
});
