// Settings for the admin, one module per area under settings/: the company's requisites,
// pipelines (stage names and times), automation rules, bookable services, working hours,
// zones and the booking policy, the price book, document and message templates, custom
// fields, the widgets' allowed sites, and the staff with their roles. Every form keeps what was typed when the API refuses it and shows the refusal
// beside the field it is about (settings/form.js).

import { el, clear } from "../dom.js";
import { t } from "../i18n.js";
import { heading, loading, fail } from "../ui.js";
import { company } from "./settings/company.js";
import { pipelines } from "./settings/pipelines.js";
import { rules } from "./settings/rules.js";
import { services, hours, booking } from "./settings/booking.js";
import { prices } from "./settings/prices.js";
import { fields, widgets } from "./settings/fields.js";
import { documents, messages } from "./settings/templates.js";
import { staff } from "./settings/staff.js";

const DRAW = { company, pipelines, rules, services, hours, booking, prices, documents, messages, fields, widgets, staff };
const SECTIONS = Object.keys(DRAW);

export async function render(view, section) {
  const current = SECTIONS.includes(section) ? section : SECTIONS[0];
  const nav = el(
    "nav",
    { class: "tabs", "aria-label": t("settings.sections") },
    SECTIONS.map((name) => el("a", { href: `#/settings/${name}`, class: "tab", "aria-current": name === current ? "page" : null }, t(`settings.${name}`))),
  );
  const box = el("section", { "aria-labelledby": "settings-section" }, el("h2", { id: "settings-section" }, t(`settings.${current}`)), loading());
  clear(view, heading(t("nav.settings")), nav, box);
  const inner = el("div");
  try {
    await DRAW[current](inner);
    clear(box, el("h2", { id: "settings-section" }, t(`settings.${current}`)), inner);
  } catch (error) {
    fail(error);
    clear(box, el("h2", { id: "settings-section" }, t(`settings.${current}`)), el("p", { class: "empty" }, t("err.loadfailed")));
  }
}
