// The one place settings forms are made: controls described as data (text, number, select,
// check, list), read back into the API's shape, a form that saves and keeps what was typed
// on any refusal, refusals shown beside the field they name, and the "pick one, edit it"
// layout several sections share.

import { ApiError } from "../../api.js";
import { el, clear, uid } from "../../dom.js";
import { t } from "../../i18n.js";
import { loading, fail, notify, formError, describe } from "../../ui.js";

export const ROLES = ["admin", "head", "manager", "measurer", "designer", "production", "installer"];

/** A typed value as the API takes it: a whole or decimal number, yes/no, empty (null), or the text. */
export function scalar(text) {
  const value = String(text ?? "").trim();
  if (value === "") return null;
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (value === "true" || value === "false") return value === "true";
  return value;
}

/** Options for a select from [value, label] pairs or plain values (label = value). */
export function options(items, labelOf = (value) => value) {
  return items.map((item) => (Array.isArray(item) ? item : [item, labelOf(item)]));
}

function control(spec, value, path) {
  const attrs = { name: path, ...(spec.attrs || {}) };
  let node;
  if (spec.kind === "select") {
    node = el("select", attrs, (spec.blank !== undefined ? [["", spec.blank]] : []).concat(options(spec.options)).map(([key, label]) => el("option", { value: key, selected: String(value ?? "") === String(key) }, label)));
    if (value !== undefined && value !== null && ![...node.options].some((option) => option.value === String(value))) {
      // A value the lists do not know (set over the API) stays choosable.
      node.append(el("option", { value: String(value), selected: true }, String(value)));
    }
  } else if (spec.kind === "check") {
    node = el("input", { ...attrs, type: "checkbox", checked: Boolean(value) });
  } else if (spec.kind === "textarea") {
    node = el("textarea", { rows: 3, ...attrs, value: value ?? "" });
  } else if (spec.kind === "number" || spec.kind === "money") {
    const shown = value === null || value === undefined ? "" : spec.kind === "money" ? String(value / 100) : String(value);
    node = el("input", { ...attrs, type: "text", inputmode: spec.kind === "money" ? "decimal" : "numeric", value: shown });
  } else if (spec.kind === "list") {
    node = el("input", { ...attrs, value: (Array.isArray(value) ? value : []).join(", ") });
  } else if (spec.kind === "scalar") {
    node = el("input", { ...attrs, value: Array.isArray(value) ? value.join(", ") : value ?? "" });
  } else {
    node = el("input", { type: spec.type || "text", ...attrs, value: value ?? "" });
  }
  node.id = uid("set");
  node.dataset.field = path;
  node.dataset.kind = spec.kind || "text";
  node.dataset.key = spec.key;
  node.setAttribute("aria-describedby", `${node.id}-error`);
  return node;
}

/**
 * Labelled controls for `specs` filled from `values`, named `prefix` + key (the path the
 * API's field errors use). Returns the nodes and read(), which gives the values back.
 */
export function controls(specs, values = {}, prefix = "") {
  const made = specs.map((spec) => ({ spec, node: control(spec, values?.[spec.key], `${prefix}${spec.key}`) }));
  const nodes = made.map(({ spec, node }) => {
    const error = el("p", { class: "field-error", id: `${node.id}-error`, hidden: true });
    const hint = spec.hint ? el("small", {}, spec.hint) : null;
    if (spec.kind === "check") {
      return el("div", { class: "field check" }, el("label", { for: node.id }, node, ` ${spec.label}`), hint, error);
    }
    return el("div", { class: "field" }, el("label", { for: node.id }, spec.label), hint, node, error);
  });
  const read = () => Object.fromEntries(made.map(({ spec, node }) => [spec.key, valueOf(spec, node)]));
  return { nodes, read, inputs: Object.fromEntries(made.map(({ spec, node }) => [spec.key, node])) };
}

/** A control's value in the API's shape; a number that is not one is sent as typed (the API names it). */
export function valueOf(spec, node) {
  const text = node.value.trim();
  switch (spec.kind) {
    case "check":
      return node.checked;
    case "number":
      if (text === "") return spec.empty ?? null;
      return /^-?\d+$/.test(text) ? Number(text) : text;
    case "money": {
      if (text === "") return spec.empty ?? null;
      const amount = Number(text.replace(",", ".").replace(/\s/g, ""));
      return Number.isFinite(amount) ? Math.round(amount * 100) : text;
    }
    case "list": {
      const items = text.split(/[,\n]/).map((item) => item.trim()).filter(Boolean);
      return spec.of === "number" ? items.map((item) => (/^-?\d+$/.test(item) ? Number(item) : item)) : items;
    }
    case "select":
      return text === "" ? spec.empty ?? null : text;
    case "scalar":
      return scalar(text);
    default:
      return text === "" ? spec.empty ?? null : text;
  }
}

// Pydantic's messages, said in plain words by their code; a rule's own message is kept.
const PLAIN = {
  missing: "form.missing",
  string_too_short: "form.missing",
  string_type: "form.missing",
  too_short: "form.tooshort",
  string_too_long: "form.toolong",
  too_long: "form.toomany",
  string_pattern_mismatch: "form.pattern",
  int_parsing: "form.integer",
  int_type: "form.integer",
  int_from_float: "form.integer",
  float_parsing: "form.number",
  greater_than: "form.range",
  greater_than_equal: "form.range",
  less_than: "form.range",
  less_than_equal: "form.range",
  literal_error: "form.choose",
  enum: "form.choose",
  extra_forbidden: "form.unknown",
  date_from_datetime_parsing: "form.date",
  date_parsing: "form.date",
  date_type: "form.date",
  union_tag_invalid: "form.choose",
  bool_parsing: "form.choose",
};

// The services' own messages (English), said in the user's language; {what} is the part they name.
const MESSAGES = [
  [/^must be a multiple of 15 minutes$/, "msg.quarters"],
  [/^times must be on a quarter of an hour$/, "msg.quarterclock"],
  [/^start must be before end$/, "msg.order"],
  [/^first must not be after last$/, "msg.dates"],
  [/^A select needs its options\.$/, "msg.needoptions"],
  [/^Only a select has options\.$/, "msg.nooptions"],
  [/^Two fields have the same key\.$/, "msg.twofields"],
  [/^These rules would move a deal round in a loop: (.+)\.$/, "msg.loop"],
  [/^Name an assignee/, "msg.assignee"],
  [/^Reminders need a due time/, "msg.reminders"],
  [/^Name either a user_id/, "msg.recipient"],
  [/^Only a booking trigger has a booking start\.$/, "msg.bookingstart"],
  [/^Only a booking trigger has a booked member of staff\.$/, "msg.bookingstaff"],
  [/^Two rules have the id/, "msg.tworules"],
  [/^No stage '(.+)' in this pipeline\.$/, "msg.nostage"],
  [/^The rules on this trigger do too much at once/, "msg.crowded"],
  [/^A webhook URL must be https/, "msg.webhook"],
  [/^A site must be https/, "msg.site"],
  [/^An origin is https/, "msg.origin"],
  [/^Use upper- and lowercase letters\.$/, "msg.cases"],
  [/^Use at least one digit\.$/, "msg.digit"],
  [/^Use at least 12 characters\.$/, "msg.length"],
  [/^Choose a password other than the old one\.$/, "msg.sameold"],
  [/^You cannot take the admin role from yourself\.$/, "msg.selfadmin"],
  [/^Choose one of: (.+)\.$/, "msg.oneof"],
  [/^Unknown zone\.$/, "msg.zone"],
  [/^travel names a zone that is not listed$/, "msg.travel"],
  [/^zone keys must be unique lowercase keys$/, "msg.zonekeys"],
  [/^'(.+)' appears twice\.$/, "msg.twice"],
  [/^Give either unit_price or bands\.$/, "msg.priceorbands"],
  [/^Only the last band may be open-ended\.$/, "msg.openband"],
  [/^Bands must grow/, "msg.bandsgrow"],
  [/^Give either percent or amount\.$/, "msg.percentoramount"],
  [/^valid_until must be after valid_from\.$/, "msg.validrange"],
  [/^min must not exceed max\.$/, "msg.minmax"],
  [/^The default must be within min and max\.$/, "msg.defaultrange"],
  [/^A measured input must be at least 1\.$/, "msg.measuredmin"],
  [/^An item priced per \S+ needs the input '(.+)'\.$/, "msg.needinput"],
  [/^A multiplying option needs a factor\.$/, "msg.needfactor"],
  [/^This option needs an amount\.$/, "msg.needamount"],
  [/^Say what the amount is per\.$/, "msg.needper"],
  [/^Per \S+ needs the item's input '(.+)'\.$/, "msg.perinput"],
  [/^Unknown option '(.+)' in requires\/excludes\.$/, "msg.unknownoption"],
  [/^Tiers must grow by min_quantity\.$/, "msg.tiersgrow"],
];

export function plain(item) {
  const key = PLAIN[item.code];
  if (key) return t(key);
  const message = String(item.message || "").replace(/^(Value|Assertion) error, /, "");
  for (const [pattern, known] of MESSAGES) {
    const found = message.match(pattern);
    if (found) return t(known, { what: found[1] ?? "" });
  }
  return message;
}

/** The API path of a control or group: the scopes and list entries around it, then its key. */
function pathOf(node, form) {
  const parts = node.dataset.key ? [node.dataset.key] : [];
  for (let up = node.parentElement; up && up !== form; up = up.parentElement) {
    if (up.classList.contains("list-entry")) {
      const list = up.parentElement;
      parts.unshift(`${list.dataset.list}.${[...list.children].indexOf(up)}`);
    } else if (up.dataset.seg) {
      parts.unshift(up.dataset.seg);
    }
  }
  return parts.join(".");
}

/** Name every control and group by where it stands now (entries may have been removed). */
function stamp(form) {
  for (const node of form.querySelectorAll("[data-key]")) node.dataset.field = pathOf(node, form);
}

/** Where an error path lands: the control of that path, else (dropping a union's tag or
 * the path's tail) the nearest group that has an error place. */
function target(form, path) {
  const fields = new Map([...form.querySelectorAll("[data-field]")].map((node) => [node.dataset.field, node]));
  const usable = (name) => {
    const node = fields.get(name);
    return node && document.getElementById(`${node.id}-error`) ? node : null;
  };
  const parts = path.split(".");
  // A union's tag sits in the path (rules.0.actions.1.create_task.title): try without each part.
  const candidates = [parts, ...parts.map((_, index) => parts.filter((__, other) => other !== index)).slice(1)];
  for (const candidate of candidates) {
    const found = usable(candidate.join("."));
    if (found) return found;
  }
  for (const candidate of candidates) {
    for (let end = candidate.length - 1; end > 0; end -= 1) {
      const found = usable(candidate.slice(0, end).join("."));
      if (found) return found;
    }
  }
  return null;
}

/** Show a refusal: each field error beside its field, what it means on top; nothing typed is touched. */
export function showProblem(form, failure) {
  for (const node of form.querySelectorAll(".field-error")) {
    node.hidden = true;
    node.textContent = "";
  }
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  const summary = form.querySelector(":scope > .form-error, .form-error");
  if (!failure) {
    if (summary) summary.hidden = true;
    return;
  }
  stamp(form);
  let first = null;
  const unplaced = [];
  for (const item of failure.problem?.errors || []) {
    const found = target(form, String(item.field || ""));
    if (!found) {
      unplaced.push(plain(item));
      continue;
    }
    const box = document.getElementById(`${found.id}-error`);
    box.textContent = box.textContent ? `${box.textContent} ${plain(item)}` : plain(item);
    box.hidden = false;
    found.setAttribute("aria-invalid", "true");
    for (let up = found.closest("details"); up; up = up.parentElement?.closest("details")) up.open = true;
    first = first || found;
  }
  if (summary) {
    const said = failure.status === 409 ? t("settings.conflict") : describe(failure);
    summary.textContent = [said, ...unplaced].join(" ");
    summary.hidden = false;
  }
  (first || summary)?.focus?.();
}

/** A refusal made here, before sending (a check the browser can do), shown the same way. */
export function refuse(form, field, message) {
  showProblem(form, new ApiError(422, { errors: [{ field, message }] }));
}

/**
 * A settings form: `parts` inside, a save button, and `save()` run on submit. Whatever
 * save throws is shown beside the fields; on success `saved(result)` runs.
 */
export function settingsForm({ label, parts, save, saved, submit = t("save"), extra = [] }) {
  const form = el("form", { class: "settings-form", "aria-label": label, novalidate: true }, parts, formError(), el("div", { class: "actions" }, extra, el("button", { type: "submit", class: "primary" }, submit)));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const result = await save();
      if (result === undefined) return;
      showProblem(form, null);
      notify(t("saved"));
      if (saved) await saved(result);
    } catch (failure) {
      if (!(failure instanceof ApiError)) throw failure;
      showProblem(form, failure);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

/** Controls whose paths start with `seg` (an object inside the body, e.g. a rule's trigger). */
export function scope(seg, ...children) {
  return el("div", { "data-seg": seg }, children);
}

/** A group of controls with a place for errors about the group as a whole (a rule, an item);
 * `path` is its key inside its scope ("" for a list entry itself). */
export function group(legend, path, ...children) {
  const id = uid("grp");
  return el("fieldset", { class: "group", id, "data-key": path, "aria-describedby": `${id}-error` }, el("legend", {}, legend), el("p", { class: "field-error", id: `${id}-error`, hidden: true }), children);
}

/** "Pick one, then edit it": a labelled select and the place where `draw(value)` puts its form. */
export async function picker(box, { label, items, draw }) {
  const pick = el("select", { id: uid("pick") }, items.map(([value, text]) => el("option", { value }, text)));
  const place = el("div");
  const show = async () => {
    clear(place, loading());
    try {
      clear(place, await draw(pick.value, show));
    } catch (error) {
      fail(error);
      clear(place, el("p", { class: "empty" }, t("err.loadfailed")));
    }
  };
  pick.addEventListener("change", show);
  clear(box, el("div", { class: "toolbar" }, el("label", { for: pick.id }, label), pick), place);
  await show();
}

/** A list the user grows and shrinks: `make(item)` draws one entry as {node, read}; the
 * list's read() gives the entries' values in their order. */
export function editableList({ list, items, make, addLabel, blank, removeLabel }) {
  const box = el("div", { class: "list-editor", "data-list": list });
  const entries = [];
  const add = (item) => {
    const made = make(item);
    const entry = { read: made.read };
    const remove = el("button", { type: "button", class: "link remove" }, removeLabel);
    remove.addEventListener("click", () => {
      entries.splice(entries.indexOf(entry), 1);
      entry.wrap.remove();
      more.focus();
    });
    entry.wrap = el("div", { class: "list-entry" }, made.node, remove);
    entries.push(entry);
    box.append(entry.wrap);
    return entry;
  };
  const more = el("button", { type: "button" }, addLabel);
  items.forEach(add);
  more.addEventListener("click", () => {
    const entry = add(typeof blank === "function" ? blank() : structuredClone(blank));
    entry.wrap.querySelector("input, select, textarea")?.focus();
  });
  return { node: el("div", {}, box, more), read: () => entries.map((entry) => entry.read()) };
}
