// A pipeline's stages: their names (Ukrainian and English) and how long a deal may stay.

import { api } from "../../api.js";
import { el } from "../../dom.js";
import { t } from "../../i18n.js";
import { stageName } from "../board.js";
import { picker, refuse, settingsForm } from "./form.js";

function stagesForm(pipeline, onSaved) {
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
  const table = el(
    "table",
    {},
    el("caption", {}, t("pipeline.stagesof", { name: pipeline.name })),
    el("thead", {}, el("tr", {}, [t("pipeline.key"), t("pipeline.kind"), t("pipeline.name"), t("pipeline.name_en"), t("pipeline.sla")].map((text) => el("th", { scope: "col" }, text)))),
    el("tbody", {}, rows.map((item) => item.row)),
  );
  const form = settingsForm({
    label: t("pipeline.stagesof", { name: pipeline.name }),
    parts: [table],
    save: async () => {
      const bad = rows.find(({ sla }) => sla.value !== "" && !Number.isInteger(Number(sla.value)));
      if (bad) {
        refuse(form, bad.sla.name, t("pipeline.badsla"));
        return undefined;
      }
      const stages = rows.map(({ stage, name, nameEn, sla }) => ({
        ...stage,
        name: name.value.trim(),
        name_en: nameEn.value.trim() || null,
        sla_hours: sla.value === "" ? null : Number(sla.value),
      }));
      const body = { id: pipeline.id, version: pipeline.version, name: pipeline.name, stages, lost_reasons: pipeline.lost_reasons, distribution: pipeline.distribution, is_default: pipeline.is_default };
      return api(`/api/deals/pipelines/${pipeline.id}`, { method: "PUT", body });
    },
    saved: onSaved,
  });
  return form;
}

/** The pipelines as [id, name] pairs for a picker. */
export async function pipelineChoices() {
  return (await api("/api/deals/pipelines")).items.map((item) => [item.id, item.name]);
}

export async function pipelines(box) {
  await picker(box, {
    label: t("board.pipeline"),
    items: await pipelineChoices(),
    draw: async (id, again) => {
      const pipeline = await api(`/api/deals/pipelines/${id}`);
      return el("div", {}, el("p", { class: "muted" }, t("pipeline.about"), " ", pipeline.stages.map(stageName).join(" → ")), stagesForm(pipeline, again));
    },
  });
}
