// Document templates (HTML edited with a preview of the document) and message templates
// (per channel and language, with a preview of what the client reads).

import { api } from "../../api.js";
import { el, field } from "../../dom.js";
import { t } from "../../i18n.js";
import { button } from "../../ui.js";
import { picker, settingsForm, showProblem } from "./form.js";

export const DOCUMENT_KINDS = ["invoice", "quote", "contract", "act"];

function documentForm(kind) {
  return async () => {
    let template = await api(`/api/deals/documents/templates/${kind}`);
    const name = t(`doc.kind.${kind}`);
    const body = el("textarea", { name: "body", rows: 16, class: "code", spellcheck: "false", value: template.body });
    const frame = el("iframe", { title: t("template.previewof", { name }), sandbox: "", class: "preview", hidden: true });
    const version = el("p", { class: "muted" }, template.version ? t("template.version", { n: template.version }) : t("template.builtin"));
    const preview = button(t("template.preview"), async () => {
      try {
        const made = await api(`/api/deals/documents/templates/${kind}/preview`, { method: "POST", body: { body: body.value } });
        showProblem(form, null);
        frame.srcdoc = made.html;
        frame.hidden = false;
      } catch (failure) {
        showProblem(form, failure);
      }
    });
    const form = settingsForm({
      label: t("template.editof", { name }),
      parts: [
        version,
        field(t("template.body"), body, t("template.bodyhint")),
        el("details", {}, el("summary", {}, t("template.variables")), el("dl", { class: "facts" }, Object.entries(template.variables || {}).map(([key, about]) => [el("dt", {}, key), el("dd", {}, about)]))),
      ],
      extra: [preview],
      save: async () => {
        template = await api(`/api/deals/documents/templates/${kind}`, { method: "PUT", body: { body: body.value, version: template.version } });
        version.textContent = t("template.version", { n: template.version });
        return template;
      },
    });
    return el("div", {}, form, frame);
  };
}

export async function documents(box) {
  await picker(box, {
    label: t("doc.kindlabel"),
    items: DOCUMENT_KINDS.map((kind) => [kind, t(`doc.kind.${kind}`)]),
    draw: (kind) => documentForm(kind)(),
  });
}

function messageForm(template, onSaved) {
  const subject = template.channel === "email" ? el("input", { name: "subject", maxlength: 200, value: template.subject || "" }) : null;
  const body = el("textarea", { name: "body", rows: 6, maxlength: 4000, value: template.body });
  const shown = el("pre", { class: "preview-text", hidden: true, "aria-live": "polite" });
  const preview = button(t("template.preview"), async () => {
    try {
      const made = await api("/api/notifications/templates/preview", { method: "POST", body: { channel: template.channel, locale: template.locale, subject: subject?.value || null, body: body.value } });
      showProblem(form, null);
      shown.textContent = made.subject ? `${made.subject}\n\n${made.text}` : made.text;
      shown.hidden = false;
    } catch (failure) {
      showProblem(form, failure);
    }
  });
  const form = settingsForm({
    label: t("template.editof", { name: template.id }),
    parts: [
      el("h3", {}, template.id, template.edited ? ` · ${t("template.edited")}` : ` · ${t("template.builtin")}`),
      subject ? field(t("template.subject"), subject) : null,
      field(t("template.body"), body),
      el("p", { class: "muted" }, t("template.uses"), " ", Object.keys(template.variables || {}).map((name) => el("code", {}, `{{ ${name} }}`)).flatMap((code) => [code, " "])),
    ],
    extra: [preview],
    save: () => api(`/api/notifications/templates/${encodeURIComponent(template.id)}`, { method: "PUT", body: { subject: subject ? subject.value : null, body: body.value } }),
    saved: onSaved,
  });
  return el("div", {}, form, el("p", { class: "muted" }, t("template.previewtitle")), shown);
}

/** Every message template (name x channel x language). */
export async function messageTemplates() {
  return (await api("/api/notifications/templates")).items;
}

export async function messages(box) {
  const all = await messageTemplates();
  await picker(box, {
    label: t("template.choose"),
    items: all.map((item) => [item.id, `${item.id}${item.edited ? " ✎" : ""}`]),
    draw: async (id, again) => messageForm(await api(`/api/notifications/templates/${encodeURIComponent(id)}`), again),
  });
}
