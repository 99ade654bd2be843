// The visitor's pass: the QR code (drawn by central), who it is for, the unit and the window; or
// why the link no longer works (cancelled, expired, unknown).
"use strict";

document.addEventListener("DOMContentLoaded", async () => {
  const main = renderHeader("visitor.title");
  const token = decodeURIComponent(location.pathname.split("/")[3] || "");
  const msg = el("div", {id: "visitor-message", "aria-live": "polite"});
  main.append(msg);
  let visit;
  try {
    visit = await api("GET", RESIDENT_API.visit(token));
  } catch (err) {
    showMessage(msg, "error", err.status === 404 ? t("visitor.invalid") : err.message);
    document.body.dataset.state = "invalid";
    pageReady();
    return;
  }
  document.body.dataset.state = visit.state;
  const facts = el("dl", {class: "facts"},
    el("dt", {text: t("visitor.for")}), el("dd", {id: "visitor-name", text: visit.visitor_name}),
    el("dt", {text: t("visitor.unit")}), el("dd", {id: "visitor-unit", text: visit.unit}),
    el("dt", {text: t("visitor.window")}),
    el("dd", {id: "visitor-window", text: fmtWindow(visit.valid_from, visit.valid_until, visit.tz)}));
  if (visit.state === "cancelled" || visit.state === "expired") {
    showMessage(msg, "error", t("visitor." + visit.state));
    main.append(el("section", {class: "panel"}, facts));
    pageReady();
    return;
  }
  const img = el("img", {class: "qr", id: "qr", alt: t("visitor.qr"), src: RESIDENT_API.qr(token),
                         width: 320, height: 320});
  const ready = new Promise((resolve) => { img.onload = resolve; img.onerror = resolve; });
  main.append(el("section", {class: "panel"}, el("p", {text: t("visitor.lead")}), img, facts));
  if (visit.state === "used") showMessage(msg, "info", t("visitor.used"));
  await ready;
  pageReady();
});
