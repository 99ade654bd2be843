// Staff login: central sets the session cookie (and the CSRF cookie); back to where we came from.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  renderHeader("login");
  hideLiveBadge();
  const msg = el("div", {id: "login-message"});
  const form = el("form", {class: "stack", id: "login-form"},
    el("label", {for: "username", text: t("login.user")}),
    el("input", {id: "username", name: "username", autocomplete: "username", required: true, maxlength: 64}),
    el("label", {for: "password", text: t("login.password")}),
    el("input", {id: "password", name: "password", type: "password", autocomplete: "current-password", required: true}),
    el("p", {}, el("button", {type: "submit", id: "login-submit", text: t("login.submit")})), msg);
  const page = document.getElementById("page");
  page.append(el("section", {class: "panel login-box"}, el("h2", {text: t("login.title")}), form));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const res = await api("POST", API.login, {username: form.username.value, password: form.password.value});
      if (res && res.csrf_token) sessionStorage.setItem("frontdesk.csrf", res.csrf_token);
      showMessage(msg, "ok", t("login.ok"));
      const next = new URLSearchParams(location.search).get("next");
      // Only ever go back inside the dashboard (no open redirect).
      location.href = next && /^\/dashboard\/[a-z]+/.test(next) && !next.startsWith("//") ? next : "/dashboard/desk";
    } catch (err) {
      showLoginFailure(msg, err);
    }
  });
});
