// The new-ticket form, for a request at the counter, by phone or by WeChat (/dashboard/ticket-new)
// and for a ringing call's work order on the desk home (the same form in a dialog, prefilled from
// the call). The unit is a combobox over the resident directory: arrow keys move, Enter picks
// (filling in the resident's name and phone), Esc closes the list. Photos are uploaded once the
// ticket exists; a photo that is refused says why, and the rest go on.
"use strict";

const FORM_KINDS = ["repair", "complaint", "help_request", "inquiry", "paid_service", "mail", "visit"];
const CALL_KINDS = ["repair", "complaint", "help_request", "inquiry", "paid_service"];
const GUARD_KINDS = ["mail", "visit", "help_request"];
const SOURCES = ["counter", "phone", "wechat"];
let PHOTO_MAX_MB = 12;     // [tickets] photo_max_mb as GET /sla says (its default until then); central checks again
const PRINTER_KEY = "frontdesk.printer";

function field(id, labelKey, control) {
  return [el("label", {for: id, id: id + "-label", text: t(labelKey)}), control];
}

// The unit combobox (WAI-ARIA 1.2 combobox with a listbox popup). `idPrefix` starts the ids of its
// options, so that two forms on one page (a work order and an invitation) keep them apart.
class UnitCombo {
  constructor(input, list, {siteOf, onPick, idPrefix}) {
    this.input = input; this.list = list; this.siteOf = siteOf; this.onPick = onPick;
    this.idPrefix = idPrefix || "wo-unit";
    this.options = []; this.active = -1; this.timer = null; this.asked = 0;
    input.addEventListener("input", () => { clearTimeout(this.timer); this.timer = setTimeout(() => this.lookup(), 150); });
    input.addEventListener("keydown", (e) => this.key(e));
    input.addEventListener("blur", () => setTimeout(() => this.close(), 150));
  }

  async lookup() {
    const q = this.input.value.trim();
    const site = this.siteOf();
    if (!q || !site) { this.close(); return; }
    const mine = ++this.asked;
    let found;
    try { found = items(await api("GET", API.units(site), undefined, {q, limit: 10})); } catch (err) { this.close(); return; }
    if (mine !== this.asked) return;  // a later keystroke asked again meanwhile
    this.options = [];
    for (const u of found) {
      const residents = u.residents && u.residents.length ? u.residents : [null];
      for (const r of residents) this.options.push({unit: u.unit, name: r && r.resident_name, phone: r && r.phone});
    }
    this.render();
  }

  render() {
    clear(this.list);
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
    if (!this.options.length) {
      this.list.append(el("li", {class: "muted", role: "option", "aria-disabled": "true", id: this.idPrefix + "-none",
                                 text: t("tf.no_unit_found")}));
    }
    this.options.forEach((o, i) => {
      this.list.append(el("li", {role: "option", id: this.idPrefix + "-opt-" + i, "aria-selected": "false", "data-unit": o.unit,
                                 onmousedown: (e) => { e.preventDefault(); this.pick(i); }},
        el("strong", {text: o.unit}), o.name ? " · " + o.name : "", o.phone ? " · " + o.phone : ""));
    });
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  }

  move(step) {
    if (!this.options.length) return;
    this.active = (this.active + step + this.options.length) % this.options.length;
    this.list.querySelectorAll("[role=option]").forEach((li, i) => li.setAttribute("aria-selected", String(i === this.active)));
    const li = document.getElementById(this.idPrefix + "-opt-" + this.active);
    this.input.setAttribute("aria-activedescendant", li.id);
    li.scrollIntoView({block: "nearest"});
  }

  key(e) {
    const open = !this.list.hidden;
    if (e.key === "ArrowDown") { e.preventDefault(); if (!open) this.lookup(); else this.move(1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); if (open) this.move(-1); }
    else if (e.key === "Enter" && open && this.active >= 0) { e.preventDefault(); this.pick(this.active); }
    else if (e.key === "Escape" && open) { e.preventDefault(); e.stopPropagation(); this.close(); }
  }

  pick(i) {
    const o = this.options[i];
    if (!o) return;
    this.input.value = o.unit;
    this.close();
    this.onPick(o);
  }

  close() {
    this.list.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  }
}

// The form in `host`. opts: mode "new" (counter, phone, WeChat) or "call" (a ringing call's work
// order), me (GET /auth/me), site, call (the desk's call summary), parent (a parent ticket id),
// prefill {unit, kind}, onDone(ticket, command, notes), onCancel.
function ticketForm(host, opts) {
  const me = opts.me || {};
  const call = opts.call || null;
  const kinds = (call ? CALL_KINDS : FORM_KINDS).filter((k) => me.role !== "guard" || GUARD_KINDS.includes(k));
  const sites = (me.sites || []).filter((s) => s !== "*");
  const siteControl = opts.site ? null
    : sites.length ? el("select", {id: "wo-site"}, sites.map((s) => el("option", {value: s, text: s})))
      : el("input", {id: "wo-site", maxlength: 64, required: true});
  const unit = el("input", {id: "wo-unit", name: "unit", maxlength: 32, autocomplete: "off", role: "combobox",
                            "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": "wo-unit-list"});
  const list = el("ul", {id: "wo-unit-list", role: "listbox", class: "combo-list", hidden: true,
                         "aria-label": t("tf.units")});
  const name = el("input", {id: "wo-name", name: "contact_name", maxlength: 120, autocomplete: "off"});
  const phone = el("input", {id: "wo-phone", name: "contact_phone", type: "tel", maxlength: 40, autocomplete: "off"});
  const kind = el("select", {id: "wo-kind", name: "kind"}, kinds.map((k) => el("option", {value: k, text: kindName(k)})));
  const source = el("select", {id: "wo-source", name: "source"}, SOURCES.map((s) => el("option", {value: s, text: t("source." + s)})));
  const content = el("textarea", {id: "wo-content", name: "content", maxlength: 2000});
  const appointment = el("input", {id: "wo-appointment", name: "appointment", type: "datetime-local"});
  const printer = el("input", {id: "wo-printer", name: "printer", maxlength: 64, list: "wo-printers", autocomplete: "off"});
  const printers = el("datalist", {id: "wo-printers"});
  const photos = el("input", {id: "wo-photos", name: "photos", type: "file", accept: "image/*", multiple: true});
  const photoNotes = el("ul", {id: "wo-photo-notes", class: "notes", "aria-live": "polite"});
  const error = el("div", {id: "wo-error", "aria-live": "assertive"});
  const printBtn = el("button", {id: "wo-submit", type: "submit", value: "print", text: t(call ? "wo.submit" : "tf.save_print")});
  const saveBtn = call ? null : el("button", {id: "wo-save", type: "submit", value: "save", class: "secondary", text: t("tf.save")});
  const cancel = el("button", {id: "wo-cancel", type: "button", class: "secondary", text: t("wo.cancel"),
                               onclick: () => opts.onCancel && opts.onCancel()});
  const form = el("form", {id: "wo-form", class: "stack ticket-form", novalidate: true},
    el("h2", {id: "wo-heading", text: t(call ? "wo.title" : opts.parent ? "tf.child_title" : "tf.title")}),
    opts.parent ? el("p", {class: "muted", id: "wo-parent", text: t("tf.parent", {id: opts.parentNumber || opts.parent})}) : null,
    siteControl ? field("wo-site", "site", siteControl) : null,
    el("div", {class: "combo"}, field("wo-unit", "wo.unit", unit), list),
    field("wo-name", "tf.contact", name), field("wo-phone", "wo.phone", phone),
    field("wo-kind", "wo.kind", kind), call ? null : field("wo-source", "tf.source", source),
    field("wo-content", "wo.content", content), field("wo-appointment", "wo.appointment", appointment),
    field("wo-printer", "wo.printer", printer), printers,
    field("wo-photos", "tf.photos", photos), photoNotes,
    // Enter in a field submits with the first button: saving at the counter, printing for a call.
    el("p", {class: "actions"}, saveBtn, printBtn, cancel), error);
  clear(host).append(form);

  const siteOf = () => opts.site || (siteControl ? siteControl.value.trim() : "");
  const personal = (v) => v && !v.includes("*");  // a masked value is no contact detail
  new UnitCombo(unit, list, {siteOf, onPick: (o) => {
    if (personal(o.name)) name.value = o.name;
    if (personal(o.phone)) phone.value = o.phone;
  }});
  const showPrint = () => { printBtn.hidden = !call && kind.value !== "repair"; };
  kind.addEventListener("change", showPrint);
  photos.addEventListener("change", () => checkPhotos(photos, photoNotes));

  const prefill = opts.prefill || {};
  if (call) {
    const suggested = (call.transcripts || []).map((x) => x.category).find((x) => kinds.includes(x));
    kind.value = suggested || "repair";
    unit.value = call.unit || "";
    phone.value = call.number || "";
    name.value = call.resident_name || "";
    content.value = (call.transcripts || []).map((x) => x.text).join("\n");
  } else {
    if (prefill.kind && kinds.includes(prefill.kind)) kind.value = prefill.kind;
    unit.value = prefill.unit || "";
    source.value = "counter";
  }
  showPrint();
  fillPrinters(printer, printers, call ? call.device : null);
  api("GET", "/api/v1/sla").then((sla) => { if (sla && sla.photo_max_mb) PHOTO_MAX_MB = sla.photo_max_mb; },
                                 () => { /* the default stands */ });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const print = !e.submitter || e.submitter.value === "print" ? !printBtn.hidden : false;
    const buttons = [printBtn, saveBtn].filter(Boolean);
    clear(error);
    const site = siteOf();
    if (!site) { showMessage(error, "error", t("tf.need_site")); return; }
    if (print && !printer.value.trim()) { showMessage(error, "error", t("tf.need_printer")); printer.focus(); return; }
    const text = content.value.trim();
    const fields = {
      title: (text.split("\n")[0] || kindName(kind.value)).slice(0, 60),
      details: text || null,
      unit: unit.value.trim() || null,
      contact_name: name.value.trim() || null,
      contact_phone: phone.value.trim() || null,
      appointment_at: appointment.value ? new Date(appointment.value).toISOString() : null,
    };
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const ticket = call
        ? await api("PUT", API.callTicket(call.call_id), {kind: kind.value, ...fields})
        : await api("POST", API.tickets, {site, kind: kind.value, source: source.value, parent_id: opts.parent || null, ...fields});
      const notes = [];
      let command = null;
      if (printer.value.trim()) localStorage.setItem(PRINTER_KEY, printer.value.trim());
      if (print) {
        try {
          const made = await api("POST", API.workOrder(ticket.id), {device: printer.value.trim(), language: LANG === "en" ? "en" : "zh"});
          command = made.command;
        } catch (err) {
          notes.push(t("wo.failed", {why: err.message}));
        }
      }
      notes.push(...await uploadPhotos(ticket.id, photos));
      opts.onDone(ticket, command, notes);
    } catch (err) {
      showMessage(error, "error", t("wo.failed", {why: err.message}));
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
  return {form, focus: () => (call ? content : unit).focus()};
}

// The printers the desk has used (this browser's last one first), and the edge a call came in on.
async function fillPrinters(input, datalist, preferred) {
  const seen = new Set([preferred, localStorage.getItem(PRINTER_KEY)].filter(Boolean));
  input.value = [...seen][0] || "";
  try {
    const sent = items(await api("GET", API.commands, undefined, {site: siteParam(), type: "print.slip", limit: 50}));
    for (const c of sent) seen.add(c.device);
  } catch (err) { /* no command list for this account: typing a printer still works */ }
  clear(datalist).append(...[...seen].map((d) => el("option", {value: d})));
  if (!input.value && seen.size) input.value = [...seen][0];
}

function photoTooBig(file) { return file.size > PHOTO_MAX_MB * 1024 * 1024; }

// Say at once which chosen photos will not be sent (too large, not an image); central checks the rest.
function checkPhotos(input, notes) {
  clear(notes);
  for (const f of input.files) {
    let why = null;
    if (photoTooBig(f)) why = t("tf.photo_too_big", {mb: (f.size / 1048576).toFixed(1), max: PHOTO_MAX_MB});
    else if (f.type && !f.type.startsWith("image/")) why = t("tf.photo_not_image");
    notes.append(el("li", {class: why ? "refused" : "ok", text: f.name + (why ? ": " + why : "")}));
  }
}

// Upload each chosen photo to the new ticket; the reasons for those refused (here or by central).
async function uploadPhotos(ticketId, input) {
  const notes = [];
  for (const f of input.files) {
    if (photoTooBig(f)) { notes.push(t("tf.photo_refused", {name: f.name, why: t("tf.photo_too_big", {mb: (f.size / 1048576).toFixed(1), max: PHOTO_MAX_MB})})); continue; }
    if (f.type && !f.type.startsWith("image/")) { notes.push(t("tf.photo_refused", {name: f.name, why: t("tf.photo_not_image")})); continue; }
    const body = new FormData();
    body.append("photo", f, f.name);
    try {
      await apiUpload(API.photos(ticketId), body);
    } catch (err) {
      notes.push(t("tf.photo_refused", {name: f.name, why: err.message}));
    }
  }
  return notes;
}
