// The company's requisites as documents print them.

import { api } from "../../api.js";
import { t } from "../../i18n.js";
import { clear } from "../../dom.js";
import { controls, settingsForm } from "./form.js";

const FIELDS = [
  ["name", { required: true, maxlength: 200 }],
  ["edrpou", { required: true, inputmode: "numeric", maxlength: 8 }],
  ["iban", { required: true, maxlength: 34 }],
  ["bank", { maxlength: 200 }],
  ["address", { required: true, maxlength: 300 }],
  ["phone", { maxlength: 40 }, "tel"],
  ["email", { maxlength: 254 }, "email"],
  ["director", { maxlength: 200 }],
];

export async function company(box) {
  let current = await api("/api/deals/settings/company");
  const specs = [
    ...FIELDS.map(([key, attrs, type]) => ({ key, label: t(`company.${key}`), attrs, type, empty: "" })),
    { key: "vat_payer", kind: "check", label: t("company.vat_payer") },
  ];
  const { nodes, read } = controls(specs, current);
  const form = settingsForm({
    label: t("settings.company"),
    parts: nodes,
    save: async () => {
      current = await api("/api/deals/settings/company", { method: "PUT", body: { ...read(), version: current.version } });
      return current;
    },
  });
  clear(box, form);
}
