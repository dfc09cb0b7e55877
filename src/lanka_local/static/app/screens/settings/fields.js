// The custom fields every client card has, and the sites allowed to embed the widgets.

import { api } from "../../api.js";
import { el, clear } from "../../dom.js";
import { t } from "../../i18n.js";
import { controls, editableList, group, settingsForm } from "./form.js";

const TYPES = ["text", "number", "date", "select"];

function fieldEntry(item) {
  const made = controls(
    [
      { key: "label", label: t("cf.label"), attrs: { maxlength: 80 } },
      { key: "label_en", label: t("cf.label_en"), attrs: { maxlength: 80 } },
      { key: "key", label: t("cf.key"), hint: t("svc.keyhint"), attrs: { maxlength: 40 } },
      { key: "type", kind: "select", label: t("cf.type"), options: TYPES.map((type) => [type, t(`cf.type.${type}`)]) },
      { key: "options", kind: "list", label: t("cf.options"), hint: t("cf.optionshint") },
    ],
    item,
  );
  return { node: group(item.label || t("cf.new"), "", el("div", { class: "row" }, made.nodes)), read: made.read };
}

export async function fields(box) {
  const current = await api("/api/clients/custom-fields");
  const list = editableList({ list: "fields", items: current.fields, make: fieldEntry, addLabel: t("cf.add"), removeLabel: t("cf.remove"), blank: { key: "", label: "", type: "text", options: [] } });
  const form = settingsForm({
    label: t("settings.fields"),
    parts: [el("p", { class: "muted" }, t("cf.about")), list.node],
    save: () => api("/api/clients/custom-fields", { method: "PUT", body: { fields: list.read(), version: current.version } }),
    saved: () => fields(box),
  });
  clear(box, form);
}

function originEntry(origin) {
  const made = controls([{ key: "origin", label: t("widget.origin"), type: "url", attrs: { placeholder: "https://mebli.example.com" } }], { origin });
  // The entry is the origin itself: its errors come as allowed_origins.N.
  made.inputs.origin.dataset.key = "";
  return { node: made.nodes, read: () => made.read().origin };
}

export async function widgets(box) {
  const current = await api("/api/booking/widget-settings");
  const origins = editableList({ list: "allowed_origins", items: current.allowed_origins, make: originEntry, addLabel: t("widget.add"), removeLabel: t("widget.remove"), blank: "" });
  const head = controls([{ key: "quote_valid_days", kind: "number", label: t("widget.days") }], current);
  const form = settingsForm({
    label: t("settings.widgets"),
    parts: [el("p", { class: "muted" }, t("widget.about")), group(t("widget.origins"), "allowed_origins", origins.node), head.nodes],
    save: () => api("/api/booking/widget-settings", { method: "PUT", body: { ...head.read(), allowed_origins: origins.read() } }),
    saved: () => widgets(box),
  });
  clear(box, form);
}
