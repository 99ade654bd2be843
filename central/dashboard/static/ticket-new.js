// A new ticket at the counter, by phone or by WeChat (the form is ticketform.js); saving goes
// straight to the ticket's page, which offers "issue and print the work order" for a repair.
// ?parent=<ticket id> opens a child ticket of that one; ?unit= and ?kind= prefill.
"use strict";

document.addEventListener("DOMContentLoaded", async () => {
  renderHeader("ticket-new");
  hideLiveBadge();
  const host = document.getElementById("page");
  const me = await whoAmI();
  if (!me) return;  // api() sent the page to the login
  if (!can(me, "tickets.create")) { showMessage(host, "error", t("error.forbidden")); return; }
  const q = new URLSearchParams(location.search);
  let parent = q.get("parent"), parentNumber = null, site = await pageSite();
  if (parent) {
    try {
      const p = await api("GET", API.ticket(parent));
      parentNumber = p.number; site = p.site;
    } catch (err) {
      showMessage(host, "error", t("ticket.none")); return;
    }
  }
  const form = ticketForm(host, {
    mode: "new", me, site, parent, parentNumber, prefill: {unit: q.get("unit"), kind: q.get("kind")},
    onDone: (ticket, command, notes) => {
      leaveNotes(notes);
      location.href = ticketHref(ticket.id) + (command ? "&printed=" + encodeURIComponent(command.id) : "");
    },
    onCancel: () => { history.length > 1 ? history.back() : (location.href = "/dashboard/desk"); },
  });
  form.focus();
});
