// Settings for the admin: the company's requisites, pipelines (stage names and times),
// document templates (edit with a preview), message templates, and the staff (deactivate
// someone who leaves, handing his work over). Every form keeps what was typed when the API
// refuses it and shows the refusal beside the field it is about.

import { api, ApiError } from "../api.js";
import { el, clear, field } from "../dom.js";
import { t } from "../i18n.js";
import { session } from "../session.js";
import { heading, loading, fail, notify, showErrors, formError, button } from "../ui.js";
import { stageName } from "./board.js";
import { staffList } from "./people.js";

const SECTIONS = ["company", "pipelines", "documents", "messages", "staff"];
const DOCUMENT_KINDS = ["invoice", "quote", "contract", "act"];

function conflictOr(form, failure) {
  showErrors(form, failure);
  if (failure.status === 409) {
    const summary = form.querySelector(".form-error");
    summary.textContent = t("settings.conflict");
    summary.hidden = false;
  }
}

// ------------------------------------------------------------------------------ company

const COMPANY_FIELDS = [
  ["name", { required: true, maxlength: 200 }],
  ["edrpou", { required: true, inputmode: "numeric", maxlength: 8 }],
  ["iban", { required: true, maxlength: 34 }],
  ["bank", { maxlength: 200 }],
  ["address", { required: true, maxlength: 300 }],
  ["phone", { maxlength: 40, type: "tel" }],
  ["email", { maxlength: 254, type: "email" }],
  ["director", { maxlength: 200 }],
];

async function company(box) {
  let current = await api("/api/deals/settings/company");
  const inputs = Object.fromEntries(COMPANY_FIELDS.map(([name, attrs]) => [name, el("input", { name, value: current[name] || "", ...attrs })]));
  const vat = el("input", { name: "vat_payer", type: "checkbox", checked: current.vat_payer });
  const form = el(
    "form",
    { class: "settings-form", "aria-label": t("settings.company"), novalidate: true },
    COMPANY_FIELDS.map(([name]) => field(t(`company.${name}`), inputs[name])),
    el("div", { class: "field check" }, el("label", {}, vat, ` ${t("company.vat_payer")}`)),
    formError(),
    el("button", { type: "submit", class: "primary" }, t("save")),
  );
  vat.dataset.field = "vat_payer";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = Object.fromEntries(Object.entries(inputs).map(([name, input]) => [name, input.value.trim()]));
    try {
      current = await api("/api/deals/settings/company", { method: "PUT", body: { ...body, vat_payer: vat.checked, version: current.version } });
      showErrors(form, null);
      notify(t("saved"));
    } catch (failure) {
      conflictOr(form, failure);
    }
  });
  clear(box, form);
}

// ------------------------------------------------------------------------------ pipelines

function pipelineForm(pipeline, onSaved) {
  const rows = pipeline.stages.map((stage, index) => {
    const name = el("input", { name: `stages.${index}.name`, value: stage.name, required: true, maxlength: 80, "aria-label": t("pipeline.nameof", { key: stage.key }) });
    const nameEn = el("input", { name: `stages.${index}.name_en`, value: stage.name_en || "", maxlength: 80, "aria-label": t("pipeline.nameenof", { key: stage.key }) });
    const sla = el("input", { name: `stages.${index}.sla_hours`, type: "number", min: 1, max: 2160, value: stage.sla_hours ?? "", inputmode: "numeric", "aria-label": t("pipeline.slaof", { key: stage.key }) });
    for (const input of [name, nameEn, sla]) {
      input.id = `${pipeline.id}-${input.name.replace(/\./g, "-")}`;
      input.dataset.field = input.name;
      input.setAttribute("aria-describedby", `${input.id}-error`);
    }
    const cell = (input) => el("td", {}, input, el("p", { class: "field-error", id: `${input.id}-error`, hidden: true }));
    return { stage, name, nameEn, sla, row: el("tr", {}, el("th", { scope: "row" }, stage.key), el("td", {}, t(`stagekind.${stage.kind}`)), cell(name), cell(nameEn), cell(sla)) };
  });
  const form = el(
    "form",
    { class: "settings-form", "aria-label": t("pipeline.stagesof", { name: pipeline.name }), novalidate: true },
    el(
      "table",
      {},
      el("caption", {}, t("pipeline.stagesof", { name: pipeline.name })),
      el("thead", {}, el("tr", {}, [t("pipeline.key"), t("pipeline.kind"), t("pipeline.name"), t("pipeline.name_en"), t("pipeline.sla")].map((text) => el("th", { scope: "col" }, text)))),
      el("tbody", {}, rows.map((item) => item.row)),
    ),
    formError(),
    el("button", { type: "submit", class: "primary" }, t("save")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const stages = rows.map(({ stage, name, nameEn, sla }) => ({
      ...stage,
      name: name.value.trim(),
      name_en: nameEn.value.trim() || null,
      sla_hours: sla.value === "" ? null : Number(sla.value),
    }));
    const bad = rows.find(({ sla }) => sla.value !== "" && !Number.isInteger(Number(sla.value)));
    if (bad) {
      showErrors(form, new ApiError(422, { errors: [{ field: bad.sla.name, message: t("pipeline.badsla") }] }));
      return;
    }
    const body = { id: pipeline.id, version: pipeline.version, name: pipeline.name, stages, lost_reasons: pipeline.lost_reasons, distribution: pipeline.distribution, is_default: pipeline.is_default };
    try {
      await api(`/api/deals/pipelines/${pipeline.id}`, { method: "PUT", body });
      notify(t("saved"));
      onSaved();
    } catch (failure) {
      conflictOr(form, failure);
    }
  });
  return form;
}

async function pipelines(box) {
  const all = (await api("/api/deals/pipelines")).items;
  const pick = el("select", { id: "settings-pipeline" }, all.map((item) => el("option", { value: item.id }, item.name)));
  const place = el("div");
  const show = async () => {
    clear(place, loading());
    try {
      const pipeline = await api(`/api/deals/pipelines/${pick.value}`);
      clear(place, el("p", { class: "muted" }, t("pipeline.about"), " ", pipeline.stages.map(stageName).join(" → ")), pipelineForm(pipeline, show));
    } catch (error) {
      fail(error);
      clear(place, el("p", { class: "empty" }, t("err.loadfailed")));
    }
  };
  pick.addEventListener("change", show);
  clear(box, el("div", { class: "toolbar" }, el("label", { for: "settings-pipeline" }, t("board.pipeline")), pick), place);
  await show();
}

// ------------------------------------------------------------------------------ document templates

async function documents(box) {
  const kind = el("select", { id: "doc-kind", name: "kind" }, DOCUMENT_KINDS.map((name) => el("option", { value: name }, t(`doc.kind.${name}`))));
  const place = el("div");
  let template;
  const show = async () => {
    clear(place, loading());
    try {
      template = await api(`/api/deals/documents/templates/${kind.value}`);
    } catch (error) {
      fail(error);
      clear(place, el("p", { class: "empty" }, t("err.loadfailed")));
      return;
    }
    const body = el("textarea", { name: "body", rows: 16, class: "code", spellcheck: "false", value: template.body });
    const frame = el("iframe", { title: t("template.previewof", { name: t(`doc.kind.${kind.value}`) }), sandbox: "", class: "preview", hidden: true });
    const form = el(
      "form",
      { class: "settings-form", "aria-label": t("template.editof", { name: t(`doc.kind.${kind.value}`) }), novalidate: true },
      el("p", { class: "muted" }, template.version ? t("template.version", { n: template.version }) : t("template.builtin")),
      field(t("template.body"), body, t("template.bodyhint")),
      el("details", {}, el("summary", {}, t("template.variables")), el("dl", { class: "facts" }, Object.entries(template.variables || {}).map(([name, about]) => [el("dt", {}, name), el("dd", {}, about)]))),
      formError(),
      el(
        "div",
        { class: "actions" },
        button(t("template.preview"), async () => {
          try {
            const made = await api(`/api/deals/documents/templates/${kind.value}/preview`, { method: "POST", body: { body: body.value } });
            showErrors(form, null);
            frame.srcdoc = made.html;
            frame.hidden = false;
          } catch (failure) {
            showErrors(form, failure);
          }
        }),
        el("button", { type: "submit", class: "primary" }, t("save")),
      ),
      frame,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        template = await api(`/api/deals/documents/templates/${kind.value}`, { method: "PUT", body: { body: body.value, version: template.version } });
        showErrors(form, null);
        form.querySelector("p.muted").textContent = t("template.version", { n: template.version });
        notify(t("saved"));
      } catch (failure) {
        conflictOr(form, failure);
      }
    });
    clear(place, form);
  };
  kind.addEventListener("change", show);
  clear(box, el("div", { class: "toolbar" }, el("label", { for: "doc-kind" }, t("doc.kindlabel")), kind), place);
  await show();
}

// ------------------------------------------------------------------------------ message templates

function messageForm(template, onSaved) {
  const subject = template.channel === "email" ? el("input", { name: "subject", maxlength: 200, value: template.subject || "" }) : null;
  const body = el("textarea", { name: "body", rows: 6, maxlength: 4000, value: template.body });
  const shown = el("pre", { class: "preview-text", hidden: true, "aria-live": "polite" });
  const form = el(
    "form",
    { class: "settings-form", "aria-label": t("template.editof", { name: template.id }), novalidate: true },
    el("h3", {}, template.id, template.edited ? ` · ${t("template.edited")}` : ` · ${t("template.builtin")}`),
    subject ? field(t("template.subject"), subject) : null,
    field(t("template.body"), body),
    el("p", { class: "muted" }, t("template.uses"), " ", Object.keys(template.variables || {}).map((name) => el("code", {}, `{{ ${name} }}`)).flatMap((code) => [code, " "])),
    formError(),
    el(
      "div",
      { class: "actions" },
      button(t("template.preview"), async () => {
        try {
          const made = await api("/api/notifications/templates/preview", { method: "POST", body: { channel: template.channel, locale: template.locale, subject: subject?.value || null, body: body.value } });
          showErrors(form, null);
          shown.textContent = made.subject ? `${made.subject}\n\n${made.text}` : made.text;
          shown.hidden = false;
        } catch (failure) {
          showErrors(form, failure);
        }
      }),
      el("button", { type: "submit", class: "primary" }, t("save")),
    ),
    el("p", { class: "muted" }, t("template.previewtitle")),
    shown,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api(`/api/notifications/templates/${encodeURIComponent(template.id)}`, { method: "PUT", body: { subject: subject ? subject.value : null, body: body.value } });
      notify(t("saved"));
      onSaved();
    } catch (failure) {
      conflictOr(form, failure);
    }
  });
  return form;
}

async function messages(box) {
  const all = (await api("/api/notifications/templates")).items;
  const pick = el("select", { id: "message-template" }, all.map((item) => el("option", { value: item.id }, `${item.id}${item.edited ? " ✎" : ""}`)));
  const place = el("div");
  const show = async () => {
    clear(place, loading());
    try {
      const template = await api(`/api/notifications/templates/${encodeURIComponent(pick.value)}`);
      clear(place, messageForm(template, show));
    } catch (error) {
      fail(error);
      clear(place, el("p", { class: "empty" }, t("err.loadfailed")));
    }
  };
  pick.addEventListener("change", show);
  clear(box, el("div", { class: "toolbar" }, el("label", { for: "message-template" }, t("template.choose")), pick), place);
  await show();
}

// ------------------------------------------------------------------------------ staff

function deactivateForm(person, heirs, onDone) {
  const heir = el(
    "select",
    { name: "hand_over_to" },
    el("option", { value: "" }, t("staff.nobody")),
    heirs.map((other) => el("option", { value: other.username }, other.name || other.username)),
  );
  const form = el(
    "form",
    { class: "inline", hidden: true, "aria-label": t("staff.deactivateof", { name: person.name || person.username }), novalidate: true },
    field(t("staff.handover"), heir),
    el("button", { type: "submit", class: "danger" }, t("staff.confirm")),
    formError(),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api(`/api/clients/staff/${encodeURIComponent(person.username)}/deactivate`, { method: "POST", body: { hand_over_to: heir.value || null } });
      notify(t("staff.deactivated", { name: person.name || person.username }));
      onDone();
    } catch (failure) {
      showErrors(form, failure);
    }
  });
  return form;
}

async function staff(box) {
  const people = await staffList(true);
  const active = people.filter((person) => person.active);
  const rows = people.map((person) => {
    const name = person.name || person.username;
    const form = person.active && person.user_id !== session.userId
      ? deactivateForm(person, active.filter((other) => other.user_id !== person.user_id), () => staff(box))
      : null;
    const toggle = form
      ? button(t("staff.deactivate"), () => { form.hidden = !form.hidden; if (!form.hidden) form.querySelector("select").focus(); }, { "aria-label": t("staff.deactivateof", { name }) })
      : null;
    return el(
      "tr",
      { class: person.active ? "" : "muted" },
      el("th", { scope: "row" }, name),
      el("td", {}, person.username),
      el("td", {}, person.roles.map((role) => t(`role.${role}`)).join(", ")),
      el("td", {}, person.active ? t("staff.active") : t("staff.inactive")),
      el("td", {}, toggle, form),
    );
  });
  clear(
    box,
    el(
      "table",
      {},
      el("caption", {}, t("settings.staff")),
      el("thead", {}, el("tr", {}, [t("staff.name"), t("signin.username"), t("staff.roles"), t("staff.state"), t("doc.actions")].map((text) => el("th", { scope: "col" }, text)))),
      el("tbody", {}, rows),
    ),
  );
}

const DRAW = { company, pipelines, documents, messages, staff };

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
