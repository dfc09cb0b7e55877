// What both Lanka widgets share: talking to the booking API, texts, money, styles.

const SCRIPT_ORIGIN = new URL(import.meta.url).origin;

/** The booking API of a widget: its `api` attribute, or where this script came from. */
export function bookingApi(element) {
  const base = (element.getAttribute("api") || SCRIPT_ORIGIN).replace(/\/+$/, "");
  return `${base}/api/booking`;
}

export function langOf(element) {
  return element.getAttribute("lang") === "en" ? "en" : "uk";
}

/** A failed request, with the server's problem+json (field errors, plain-words detail). */
export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
  get fieldErrors() {
    return Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }
}

export async function call(url, { method = "GET", body, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new ApiError(0, null);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (error) {
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** A new Idempotency-Key for each different request, the same one when it is retried. */
export class RetryKey {
  constructor() {
    this.body = null;
    this.key = null;
  }
  for(body) {
    const text = JSON.stringify(body);
    if (text !== this.body) {
      this.body = text;
      this.key = crypto.randomUUID();
    }
    return this.key;
  }
  done() {
    this.body = null;
    this.key = null;
  }
}

export function money(minor, currency, lang) {
  return new Intl.NumberFormat(lang === "en" ? "en-GB" : "uk-UA", {
    style: "currency",
    currency: currency || "UAH",
    minimumFractionDigits: minor % 100 === 0 ? 0 : 2,
  }).format(minor / 100);
}

export function escapeHtml(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** A message for an error the visitor can act on, in plain words. */
export function plainError(error, t) {
  if (error.status === 0) return t.offline;
  if (error.status === 429) return t.tooMany;
  if (error.status >= 500) return t.serverDown;
  return error.message;
}

// Styles inside the shadow root: `.root` resets everything it inherits from the host page,
// so the page's fonts, colours, line heights and `* {}` rules cannot reach the widget.
export const BASE_CSS = `
:host { display: block !important; contain: content; }
:host([hidden]) { display: none !important; }
.root { all: initial; display: block; box-sizing: border-box; max-width: 40rem; padding: 1rem;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1f;
  background: #fff; border: 1px solid #d0d0d7; border-radius: 12px; text-align: left; }
.root *, .root *::before, .root *::after { box-sizing: border-box; }
input, select, textarea, button { font: inherit; }
h2 { font-size: 1.25rem; font-weight: 700; margin: 0 0 .75rem; }
h3 { font-size: 1.05rem; font-weight: 700; margin: 1rem 0 .5rem; }
p { margin: .5rem 0; }
fieldset { border: 1px solid #d0d0d7; border-radius: 8px; margin: 0 0 1rem; padding: .5rem .75rem .75rem; min-width: 0; }
legend { font-weight: 700; padding: 0 .25rem; }
label { display: block; margin: .5rem 0 .25rem; font-weight: 600; }
.choice { display: flex; align-items: flex-start; gap: .5rem; margin: .35rem 0; font-weight: 400; }
.choice input { margin-top: .3rem; flex: none; width: 1.1rem; height: 1.1rem; }
input[type=text], input[type=tel], input[type=email], input[type=number], input[type=date], select, textarea {
  display: block; width: 100%; min-height: 2.75rem; padding: .5rem .65rem; border: 1px solid #767680;
  border-radius: 6px; background: #fff; color: #1b1b1f; }
textarea { min-height: 4.5rem; resize: vertical; }
input[aria-invalid=true], select[aria-invalid=true], textarea[aria-invalid=true] { border: 2px solid #b3261e; }
:focus-visible { outline: 3px solid #1d4ed8 !important; outline-offset: 2px; }
button { display: inline-block; min-height: 2.75rem; padding: .55rem 1.1rem; border: 0; border-radius: 8px;
  background: #1d4ed8; color: #fff; font-weight: 700; cursor: pointer; }
button[disabled] { background: #767680; cursor: not-allowed; }
button.secondary { background: #fff; color: #1d4ed8; border: 2px solid #1d4ed8; }
.hint { font-size: .875rem; color: #4a4a55; font-weight: 400; }
.hint.rule { margin: -.3rem 0 .35rem 1.6rem; }
.error { color: #b3261e; font-size: .9rem; margin: .25rem 0 0; }
.alert { padding: .65rem .8rem; border-radius: 8px; background: #fdecea; color: #5f1410; margin: .5rem 0; }
.success { padding: .8rem; border-radius: 8px; background: #e7f5ea; color: #0f3d1c; margin: .5rem 0; }
.trap { position: absolute !important; left: -10000px !important; width: 1px; height: 1px; overflow: hidden; }
.grid { display: flex; flex-wrap: wrap; gap: .4rem; }
.slot { position: relative; }
.slot input { position: absolute; opacity: 0; width: 1px; height: 1px; }
.slot span { display: inline-block; min-width: 4.5rem; padding: .5rem .6rem; text-align: center; border: 1px solid #767680;
  border-radius: 6px; cursor: pointer; }
.slot input:checked + span { background: #1d4ed8; color: #fff; border-color: #1d4ed8; }
.slot input:focus-visible + span { outline: 3px solid #1d4ed8; outline-offset: 2px; }
table { width: 100%; border-collapse: collapse; margin: .5rem 0; }
th, td { text-align: left; padding: .3rem .25rem; border-bottom: 1px solid #e4e4ea; vertical-align: top; font-weight: 400; }
td.num, th.num { text-align: right; white-space: nowrap; }
.total { font-size: 1.2rem; font-weight: 700; }
a { color: #1d4ed8; text-decoration: underline; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 420px) { .root { padding: .75rem; border-radius: 0; border-left: 0; border-right: 0; } }
`;
