// What every screen shares: formatting (company time, money), errors in plain words,
// the notice line, field errors beside the fields.

import { el, clear } from "./dom.js";
import { t, lang } from "./i18n.js";

export const ZONE = "Europe/Kyiv";

export function money(minor, currency = "UAH") {
  return new Intl.NumberFormat(lang() === "uk" ? "uk-UA" : "en-GB", { style: "currency", currency })
    .format((Number(minor) || 0) / 100);
}

export function when(iso, withTime = true) {
  if (!iso) return "—";
  const options = { timeZone: ZONE, day: "2-digit", month: "2-digit", year: "numeric" };
  if (withTime) Object.assign(options, { hour: "2-digit", minute: "2-digit" });
  return new Intl.DateTimeFormat(lang() === "uk" ? "uk-UA" : "en-GB", options).format(new Date(iso));
}

export function duration(seconds) {
  const hours = Math.floor(seconds / 3600);
  if (hours >= 48) return t("days", { n: Math.floor(hours / 24) });
  if (hours >= 1) return t("hours", { n: hours });
  return t("minutes", { n: Math.max(0, Math.floor(seconds / 60)) });
}

/** An API failure said in plain words. */
export function describe(error) {
  if (error?.network) return t("err.network");
  const status = error?.status;
  if (status === 401) return t("err.401");
  if (status === 403) return t("err.403");
  if (status === 404) return t("err.404");
  if (status === 409) return t("err.409");
  if (status === 413) return t("err.413");
  if (status === 422 || status === 400) return t("err.422");
  if (status === 429) return t("err.429");
  if (status >= 500) return t("err.500");
  return t("err.other");
}

let noticeTimer;
/** A message in the live region at the top of the screen (errors stay until replaced). */
export function notify(text, kind = "info") {
  const box = document.getElementById("notice");
  if (!box) return;
  clearTimeout(noticeTimer);
  box.className = `notice ${kind}`;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  clear(box, el("span", {}, text), el("button", { type: "button", class: "link", onclick: () => notify("") , "aria-label": t("close") }, "×"));
  box.hidden = !text;
  if (text && kind !== "error") noticeTimer = setTimeout(() => notify(""), 6000);
}

export function fail(error) {
  if (error?.name === "AbortError") return;
  notify(describe(error), "error");
}

/** Show a failed submit beside the form's fields; nothing typed is cleared. */
export function showErrors(form, error) {
  for (const node of form.querySelectorAll(".field-error")) {
    node.hidden = true;
    node.textContent = "";
  }
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  const summary = form.querySelector(".form-error");
  if (!error) {
    if (summary) summary.hidden = true;
    return;
  }
  const fields = error.fields || {};
  let first = null;
  for (const control of form.querySelectorAll("[data-field]")) {
    const message = fields[control.dataset.field];
    if (!message || !control.dataset.field) continue;
    const box = document.getElementById(`${control.id}-error`);
    if (box) {
      box.textContent = message;
      box.hidden = false;
    }
    control.setAttribute("aria-invalid", "true");
    first = first || control;
  }
  if (summary) {
    summary.textContent = describe(error);
    summary.hidden = false;
  }
  (first || summary)?.focus?.();
}

export function formError() {
  return el("p", { class: "form-error", role: "alert", tabindex: "-1", hidden: true });
}

export function loading() {
  return el("p", { class: "muted", role: "status" }, t("loading"));
}

export function heading(text) {
  return el("h1", { tabindex: "-1", class: "screen-title" }, text);
}

export function button(text, onclick, attrs = {}) {
  return el("button", { type: "button", onclick, ...attrs }, text);
}
