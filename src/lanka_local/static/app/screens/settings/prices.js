// The price book: the current version's items and fees edited and published as a new
// version (quotes keep the version they were priced with); any older version can be looked at.

import { api } from "../../api.js";
import { el, clear, uid } from "../../dom.js";
import { t } from "../../i18n.js";
import { money, when, fail } from "../../ui.js";
import { controls, editableList, group, settingsForm } from "./form.js";

const UNITS = ["piece", "m2", "running_m", "m3", "hour"];

function bandEntry(band) {
  const made = controls(
    [
      { key: "up_to", kind: "scalar", label: t("price.upto"), hint: t("price.uptohint") },
      { key: "unit_price", kind: "money", label: t("price.unitprice"), hint: t("price.uahhint") },
    ],
    band,
  );
  return { node: group(t("price.band"), "", el("div", { class: "row" }, made.nodes)), read: made.read };
}

function promoEntry(promo) {
  const made = controls(
    [
      { key: "code", label: t("price.code"), attrs: { maxlength: 40 } },
      { key: "percent", kind: "number", label: t("price.percent"), hint: t("price.percenthint") },
      { key: "amount", kind: "money", label: t("price.off"), hint: t("price.uahhint") },
      { key: "valid_from", label: t("price.from"), hint: t("price.whenhint") },
      { key: "valid_until", label: t("price.until"), hint: t("price.whenhint") },
    ],
    promo,
  );
  return { node: group(t("price.promo"), "", el("div", { class: "row" }, made.nodes)), read: made.read };
}

const INPUTS = ["width", "height", "depth", "quantity", "hours"];
const KINDS = ["multiply", "fixed", "per_unit"];

// A size input the visitor types (width, height, depth in mm; pieces; hours) with its limits.
function inputEntry(limit) {
  const made = controls(
    [
      { key: "key", kind: "select", label: t("price.input.key"), options: INPUTS.map((key) => [key, t(`price.input.${key}`)]) },
      { key: "name", label: t("price.input.name"), attrs: { maxlength: 80 } },
      { key: "name_en", label: t("price.input.name_en"), attrs: { maxlength: 80 } },
      { key: "min", kind: "number", label: t("price.input.min"), hint: t("price.input.mmhint") },
      { key: "max", kind: "number", label: t("price.input.max"), hint: t("price.input.mmhint") },
      { key: "default", kind: "number", label: t("price.input.default"), hint: t("price.input.defaulthint") },
    ],
    limit,
  );
  return { node: group(t("price.input"), "", el("div", { class: "row" }, made.nodes)), read: made.read };
}

// An option: multiplies the price, adds a fixed sum per piece, or adds a sum per unit; may
// need other options or rule them out (by their keys).
function optionEntry(option) {
  const made = controls(
    [
      { key: "key", label: t("price.option.key"), hint: t("svc.keyhint"), attrs: { maxlength: 40 } },
      { key: "name", label: t("price.option.name"), attrs: { maxlength: 120 } },
      { key: "name_en", label: t("price.option.name_en"), attrs: { maxlength: 120 } },
      { key: "kind", kind: "select", label: t("price.option.kind"), options: KINDS.map((kind) => [kind, t(`price.option.${kind}`)]) },
      { key: "factor", kind: "scalar", label: t("price.option.factor"), hint: t("price.option.factorhint") },
      { key: "amount", kind: "money", label: t("price.option.amount"), hint: t("price.uahhint") },
      { key: "per", kind: "select", label: t("price.option.per"), blank: "—", options: UNITS.map((unit) => [unit, t(`price.unit.${unit}`)]) },
      { key: "requires", kind: "list", label: t("price.option.requires"), hint: t("price.option.keyshint") },
      { key: "excludes", kind: "list", label: t("price.option.excludes"), hint: t("price.option.keyshint") },
    ],
    option,
  );
  // What does not apply to the kind chosen is not sent (the API would refuse or ignore it).
  const read = () => {
    const value = made.read();
    if (value.kind !== "multiply") value.factor = null;
    if (value.kind === "multiply") value.amount = null;
    if (value.kind !== "per_unit") value.per = null;
    return value;
  };
  return { node: group(t("price.option", { name: option.name || t("price.newoption") }), "", el("div", { class: "row" }, made.nodes)), read };
}

// A discount from a number of pieces up.
function tierEntry(tier) {
  const made = controls(
    [
      { key: "min_quantity", kind: "number", label: t("price.tier.min") },
      { key: "percent", kind: "number", label: t("price.tier.percent") },
    ],
    tier,
  );
  return { node: group(t("price.tier"), "", el("div", { class: "row" }, made.nodes)), read: made.read };
}

function itemEntry(item) {
  const made = controls(
    [
      { key: "key", label: t("price.key"), hint: t("svc.keyhint"), attrs: { maxlength: 40 } },
      { key: "name", label: t("price.name"), attrs: { maxlength: 120 } },
      { key: "name_en", label: t("price.name_en"), attrs: { maxlength: 120 } },
      { key: "unit", kind: "select", label: t("price.unit"), options: UNITS.map((unit) => [unit, t(`price.unit.${unit}`)]) },
      { key: "unit_price", kind: "money", label: t("price.unitprice"), hint: t("price.bandshint") },
      { key: "description", kind: "textarea", label: t("price.description"), attrs: { maxlength: 500 } },
    ],
    item,
  );
  const bands = editableList({ list: "bands", items: item.bands || [], make: bandEntry, addLabel: t("price.addband"), removeLabel: t("price.removeband"), blank: { up_to: null, unit_price: null } });
  const inputs = editableList({ list: "inputs", items: item.inputs || [], make: inputEntry, addLabel: t("price.addinput"), removeLabel: t("price.removeinput"), blank: { key: "width", name: "", name_en: "", min: null, max: null, default: null } });
  const opts = editableList({ list: "options", items: item.options || [], make: optionEntry, addLabel: t("price.addoption"), removeLabel: t("price.removeoption"), blank: { key: "", name: "", name_en: "", kind: "fixed", factor: null, amount: null, per: null, requires: [], excludes: [] } });
  const tiers = editableList({ list: "tiers", items: item.tiers || [], make: tierEntry, addLabel: t("price.addtier"), removeLabel: t("price.removetier"), blank: { min_quantity: null, percent: null } });
  // Fields this form does not show (the English description) go back as they were.
  const read = () => ({ ...item, ...made.read(), bands: bands.read(), inputs: inputs.read(), options: opts.read(), tiers: tiers.read() });
  const part = (summary, list) => el("details", {}, el("summary", {}, summary), list.node);
  return {
    node: group(
      item.name || t("price.newitem"),
      "",
      el("div", { class: "row" }, made.nodes),
      part(t("price.bands", { n: (item.bands || []).length }), bands),
      part(t("price.inputs", { n: (item.inputs || []).length }), inputs),
      part(t("price.options", { n: (item.options || []).length }), opts),
      part(t("price.tiers", { n: (item.tiers || []).length }), tiers),
    ),
    read,
  };
}

function feeEntry(fee) {
  const made = controls(
    [
      { key: "key", label: t("price.key"), attrs: { maxlength: 40 } },
      { key: "name", label: t("price.name"), attrs: { maxlength: 120 } },
      { key: "name_en", label: t("price.name_en"), attrs: { maxlength: 120 } },
      { key: "amount", kind: "money", label: t("price.amount"), hint: t("price.uahhint") },
      { key: "optional", kind: "check", label: t("price.optional") },
    ],
    fee,
  );
  return { node: group(t("price.fee"), "", el("div", { class: "row" }, made.nodes)), read: () => ({ ...fee, ...made.read() }) };
}

function bookForm(book, again) {
  const head = controls(
    [
      { key: "vat_mode", kind: "select", label: t("price.vat"), options: ["none", "included", "added"].map((mode) => [mode, t(`price.vat.${mode}`)]) },
      { key: "rounding", kind: "money", label: t("price.rounding"), hint: t("price.uahhint") },
      { key: "minimum_order", kind: "money", label: t("price.minimum"), hint: t("price.uahhint"), empty: 0 },
    ],
    book,
  );
  const items = editableList({ list: "items", items: book.items || [], make: itemEntry, addLabel: t("price.additem"), removeLabel: t("price.removeitem"), blank: { key: "", name: "", name_en: "", unit: "piece", unit_price: null, bands: [], inputs: [], options: [], tiers: [] } });
  const promos = editableList({ list: "promo_codes", items: book.promo_codes || [], make: promoEntry, addLabel: t("price.addpromo"), removeLabel: t("price.removepromo"), blank: { code: "", percent: null, amount: null, valid_from: null, valid_until: null } });
  const fees = editableList({ list: "fees", items: book.fees || [], make: feeEntry, addLabel: t("price.addfee"), removeLabel: t("price.removefee"), blank: { key: "", name: "", name_en: "", amount: 0, optional: false } });
  return settingsForm({
    label: t("price.edit"),
    submit: t("price.publish"),
    parts: [
      el("div", { class: "row" }, head.nodes),
      el("h3", {}, t("price.items")),
      items.node,
      el("h3", {}, t("price.fees")),
      fees.node,
      el("h3", {}, t("price.promos")),
      promos.node,
    ],
    save: () => api("/api/booking/price-book", {
      method: "PUT",
      body: { currency: book.currency || "UAH", ...head.read(), items: items.read(), fees: fees.read(), promo_codes: promos.read(), version: book.version || 0 },
    }),
    saved: again,
  });
}

function versionTable(book) {
  return el(
    "table",
    {},
    el("caption", {}, t("price.versionof", { n: book.version, at: when(book.saved_at) })),
    el("thead", {}, el("tr", {}, [t("price.name"), t("price.unit"), t("price.unitprice")].map((text) => el("th", { scope: "col" }, text)))),
    el("tbody", {}, book.items.map((item) => el("tr", {}, el("th", { scope: "row" }, item.name), el("td", {}, t(`price.unit.${item.unit}`)), el("td", {}, item.unit_price === null || item.unit_price === undefined ? t("price.banded") : money(item.unit_price, book.currency))))),
  );
}

export async function prices(box) {
  let book;
  try {
    book = await api("/api/booking/price-book");
  } catch (error) {
    if (error.status !== 404) throw error;
    book = { version: 0, currency: "UAH", vat_mode: "none", rounding: 100, minimum_order: 0, items: [], fees: [], promo_codes: [] };
  }
  const again = () => prices(box);
  const parts = [el("p", { class: "muted" }, book.version ? t("price.current", { n: book.version, at: when(book.saved_at) }) : t("price.nobook")), bookForm(book, again)];
  if (book.version > 1) {
    const pick = el("select", { id: uid("version") }, Array.from({ length: book.version - 1 }, (_, index) => book.version - 1 - index).map((n) => el("option", { value: n }, t("template.version", { n }))));
    const place = el("div");
    const show = async () => {
      try {
        clear(place, versionTable(await api(`/api/booking/price-book/versions/${pick.value}`)));
      } catch (error) {
        fail(error);
      }
    };
    pick.addEventListener("change", show);
    parts.push(el("h3", {}, t("price.older")), el("div", { class: "toolbar" }, el("label", { for: pick.id }, t("price.pickversion")), pick), place);
    await show();
  }
  clear(box, parts);
}
