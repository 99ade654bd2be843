// Resident sign-in: the phone number, "get a code" (the same answer whether or not the number is
// registered), then the code; a right code sets the resident session cookie.
"use strict";

function signInError(err) {
  if (err.status === 429 && err.retryAfter) {
    const until = new Date(Date.now() + err.retryAfter * 1000).toISOString();
    return t("signin.locked", {time: Toolkit.formatTime(until, {lang: LANG})});
  }
  if (err.status === 401) return t("signin.wrong");
  if (err.status === 422) return t("signin.bad_phone");
  return err.message;
}

document.addEventListener("DOMContentLoaded", () => {
  const main = renderHeader("signin.title");
  const site = siteOfPage();
  const msg = el("div", {id: "signin-message", "aria-live": "polite"});
  const phone = el("input", {id: "phone", name: "phone", type: "tel", inputmode: "tel", autocomplete: "tel",
                             required: true, maxlength: 40});
  const code = el("input", {id: "code", name: "code", inputmode: "numeric", autocomplete: "one-time-code",
                            pattern: "[0-9]{6}", maxlength: 6});
  const getCode = el("button", {type: "button", id: "get-code", class: "secondary", text: t("signin.get_code")});
  const form = el("form", {id: "signin-form", novalidate: true},
    el("label", {for: "phone", text: t("signin.phone")}), phone,
    el("div", {class: "actions"}, getCode),
    el("label", {for: "code", text: t("signin.code")}), code,
    el("div", {class: "actions"}, el("button", {type: "submit", id: "signin-submit", text: t("signin.submit")})),
    msg);
  main.append(el("p", {class: "muted", text: t("signin.lead")}), el("section", {class: "panel"}, form));

  getCode.addEventListener("click", async () => {
    if (!phone.value.trim()) { showMessage(msg, "error", t("signin.bad_phone")); phone.focus(); return; }
    try {
      await api("POST", RESIDENT_API.code(site), {phone: phone.value});
      showMessage(msg, "info", t("signin.sent"));
      code.focus();
    } catch (err) {
      showMessage(msg, "error", err.status === 429 ? t("signin.too_many", {n: Math.ceil((err.retryAfter || 60) / 60)})
                                                    : signInError(err));
    }
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!phone.value.trim()) { showMessage(msg, "error", t("signin.bad_phone")); return; }
    if (!/^[0-9]{6}$/.test(code.value.trim())) { showMessage(msg, "error", t("signin.need_code")); return; }
    try {
      const me = await api("POST", RESIDENT_API.session(site), {phone: phone.value, code: code.value.trim()});
      sessionStorage.setItem(CSRF_KEY, me.csrf_token);
      location.href = "/r/" + encodeURIComponent(site) + "/invitations";
    } catch (err) {
      showMessage(msg, "error", signInError(err));
    }
  });
  pageReady();
});
