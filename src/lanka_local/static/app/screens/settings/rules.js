// A pipeline's automation rules as a form: when (the trigger), only if (conditions), then
// (actions). The selects are filled from the pipeline's stages and lost reasons, the roles,
// the staff, the message and document templates and the bookable services.

import { api } from "../../api.js";
import { el, clear } from "../../dom.js";
import { t } from "../../i18n.js";
import { staffList } from "../people.js";
import { pipelineChoices } from "./pipelines.js";
import { DOCUMENT_KINDS, messageTemplates } from "./templates.js";
import { ROLES, controls, editableList, group, options, picker, scalar, scope, settingsForm } from "./form.js";

const TRIGGERS = [
  "deal_entered_stage", "deal_in_stage_for", "task_completed", "booking_created", "booking_rescheduled",
  "booking_cancelled", "document_sent", "quote_accepted", "payment_received", "message_received",
];
const ACTIONS = ["create_task", "send_message", "generate_document", "move_deal", "notify", "assign_owner", "set_field", "call_webhook"];
const OPS = ["eq", "ne", "gt", "gte", "lt", "lte", "in", "contains", "exists", "missing"];
const FIELDS = [
  "deal.amount", "deal.currency", "deal.title", "deal.stage", "deal.owner_id", "deal.source_channel",
  "deal.expected_date", "client.name", "client.owner_id", "event.channel",
];
const CHANNELS = ["email", "sms", "telegram", "viber"];

/** What the selects are filled with, read once per pipeline shown. */
async function choices(pipeline) {
  const [templates, people, services] = await Promise.all([
    messageTemplates().catch(() => []),
    staffList().catch(() => []),
    api("/api/booking/services", { query: { limit: 200 } }).then((page) => page.items).catch(() => []),
  ]);
  const active = people.filter((person) => person.active).map((person) => [person.user_id, person.name || person.username]);
  return {
    stages: pipeline.stages.map((stage) => [stage.key, stage.name]),
    lostReasons: pipeline.lost_reasons || [],
    messages: [...new Set(templates.map((item) => item.name))].sort(),
    services: services.map((item) => [item.key || item.id, item.name]),
    users: active,
  };
}

function triggerSpecs(type, lists) {
  switch (type) {
    case "deal_entered_stage":
      return [{ key: "stage", kind: "select", label: t("rule.stage"), options: lists.stages }];
    case "deal_in_stage_for":
      return [
        { key: "stage", kind: "select", label: t("rule.stage"), options: lists.stages },
        { key: "hours", kind: "number", label: t("rule.hours") },
      ];
    case "task_completed":
      return [{ key: "kind", label: t("rule.taskkind"), hint: t("rule.anyhint") }];
    case "booking_created":
    case "booking_rescheduled":
    case "booking_cancelled":
      return [{ key: "service", kind: "select", label: t("rule.service"), blank: t("rule.any"), options: lists.services }];
    case "document_sent":
      return [{ key: "kind", kind: "select", label: t("rule.dockind"), blank: t("rule.any"), options: DOCUMENT_KINDS.map((kind) => [kind, t(`doc.kind.${kind}`)]) }];
    default:
      return [];
  }
}

function actionSpecs(type, lists) {
  const roles = options(ROLES, (role) => t(`role.${role}`));
  switch (type) {
    case "create_task":
      return [
        { key: "title", label: t("rule.tasktitle"), attrs: { maxlength: 200 } },
        { key: "kind", label: t("rule.taskkind"), hint: t("rule.kindhint"), attrs: { maxlength: 40 } },
        { key: "assignee", kind: "select", label: t("rule.assignee"), blank: t("rule.nobody"), options: [["owner", t("rule.owner")], ["booking_staff", t("rule.bookingstaff")], ...lists.users] },
        { key: "assignee_role", kind: "select", label: t("rule.assigneerole"), blank: t("rule.norole"), options: roles },
        { key: "due_in_minutes", kind: "number", label: t("rule.due"), hint: t("rule.duehint") },
        { key: "due_at_booking_start", kind: "check", label: t("rule.duebooking") },
        { key: "priority", kind: "select", label: t("rule.priority"), options: ["low", "normal", "high"].map((name) => [name, t(`rule.priority.${name}`)]) },
        { key: "reminders", kind: "list", of: "number", label: t("rule.reminders"), hint: t("rule.remindershint") },
      ];
    case "send_message":
      return [
        { key: "template", kind: "select", label: t("rule.message"), options: lists.messages },
        { key: "channel", kind: "select", label: t("rule.channel"), blank: t("rule.ownchannel"), options: CHANNELS.map((name) => [name, t(`channel.${name}`)]) },
      ];
    case "generate_document":
      return [
        { key: "template", kind: "select", label: t("rule.document"), options: DOCUMENT_KINDS.map((kind) => [kind, t(`doc.kind.${kind}`)]) },
        { key: "send", kind: "check", label: t("rule.send") },
      ];
    case "move_deal":
      return [
        { key: "to_stage", kind: "select", label: t("rule.tostage"), options: lists.stages },
        { key: "lost_reason", kind: "select", label: t("rule.lostreason"), blank: "—", options: lists.lostReasons },
      ];
    case "notify":
      return [
        { key: "text", kind: "textarea", label: t("rule.text"), attrs: { maxlength: 500 } },
        { key: "user_id", kind: "select", label: t("rule.whom"), blank: "—", options: [["owner", t("rule.owner")], ...lists.users] },
        { key: "role", kind: "select", label: t("rule.whomrole"), blank: "—", options: roles },
      ];
    case "assign_owner":
      return [{ key: "user_id", kind: "select", label: t("rule.newowner"), options: [["distribution", t("rule.distribution")], ...lists.users] }];
    case "set_field":
      return [
        { key: "field", label: t("rule.setfield"), hint: t("rule.setfieldhint") },
        { key: "value", kind: "scalar", label: t("rule.value") },
      ];
    case "call_webhook":
      return [
        { key: "url", label: t("rule.url"), type: "url" },
        { key: "secret_ref", label: t("rule.secret") },
      ];
    default:
      return [];
  }
}

/**
 * A part with a kind chosen from a select (a trigger, an action): switching the kind
 * redraws its fields, keeping what was typed in the fields both kinds share.
 */
function typed({ label, kinds, kindLabel, value, specsOf }) {
  const select = controls([{ key: "type", kind: "select", label, options: kinds.map((kind) => [kind, kindLabel(kind)]) }], value);
  const slot = el("div", { class: "typed-fields" });
  let current;
  const draw = (values) => {
    current = controls(specsOf(select.inputs.type.value), values);
    clear(slot, current.nodes);
  };
  draw(value);
  select.inputs.type.addEventListener("change", () => draw(current.read()));
  return { nodes: [...select.nodes, slot], read: () => ({ type: select.inputs.type.value, ...current.read() }) };
}

function conditionEntry(condition) {
  const made = controls(
    [
      { key: "field", label: t("rule.field"), hint: t("rule.fieldhint"), attrs: { list: "rule-fields" } },
      { key: "op", kind: "select", label: t("rule.op"), options: OPS.map((op) => [op, t(`rule.op.${op}`)]) },
      { key: "value", kind: "scalar", label: t("rule.value"), hint: t("rule.valuehint") },
    ],
    condition,
  );
  const read = () => {
    const { field, op } = made.read();
    const text = made.inputs.value.value;
    let value = scalar(text);
    if (op === "exists" || op === "missing") value = null;
    else if (op === "in") value = text.split(",").map(scalar).filter((item) => item !== null);
    return { field, op, value };
  };
  return { node: group(t("rule.condition"), "", el("div", { class: "row" }, made.nodes)), read };
}

function actionEntry(action, lists) {
  const made = typed({ label: t("rule.actiontype"), kinds: ACTIONS, kindLabel: (kind) => t(`rule.action.${kind}`), value: action, specsOf: (type) => actionSpecs(type, lists) });
  return { node: group(t("rule.actionlegend"), "", made.nodes), read: made.read };
}

function ruleEntry(rule, lists) {
  const head = controls(
    [
      { key: "name", label: t("rule.name"), attrs: { maxlength: 120 } },
      { key: "id", label: t("rule.id"), hint: t("rule.idhint"), attrs: { maxlength: 64 } },
      { key: "enabled", kind: "check", label: t("rule.enabled") },
    ],
    rule,
  );
  const trigger = typed({ label: t("rule.when"), kinds: TRIGGERS, kindLabel: (kind) => t(`rule.trigger.${kind}`), value: rule.trigger, specsOf: (type) => triggerSpecs(type, lists) });
  const conditions = editableList({
    list: "conditions",
    items: rule.conditions || [],
    make: conditionEntry,
    addLabel: t("rule.addcondition"),
    removeLabel: t("rule.removecondition"),
    blank: { field: "deal.amount", op: "gte", value: null },
  });
  const actions = editableList({
    list: "actions",
    items: rule.actions || [],
    make: (action) => actionEntry(action, lists),
    addLabel: t("rule.addaction"),
    removeLabel: t("rule.removeaction"),
    blank: { type: "create_task", assignee: "owner", priority: "normal", reminders: [] },
  });
  const summary = el("summary", {}, rule.name || t("rule.new"), rule.enabled === false ? ` · ${t("rule.off")}` : "");
  head.inputs.name.addEventListener("input", () => { summary.firstChild.textContent = head.inputs.name.value || t("rule.new"); });
  const node = el(
    "details",
    { class: "rule", open: !rule.name },
    summary,
    group(
      t("rule.legend", { name: rule.name || t("rule.new") }),
      "",
      head.nodes,
      el("h4", {}, t("rule.whenhead")),
      scope("trigger", trigger.nodes),
      el("h4", {}, t("rule.ifhead")),
      conditions.node,
      el("h4", {}, t("rule.thenhead")),
      actions.node,
    ),
  );
  const read = () => ({ ...head.read(), trigger: trigger.read(), conditions: conditions.read(), actions: actions.read() });
  return { node, read };
}

function rulesForm(pipeline, ruleSet, lists, again) {
  const grace = controls([{ key: "escalation_grace_minutes", kind: "number", label: t("rule.grace"), hint: t("rule.gracehint") }], ruleSet);
  let count = ruleSet.rules.length;
  const rules = editableList({
    list: "rules",
    items: ruleSet.rules,
    make: (rule) => ruleEntry(rule, lists),
    addLabel: t("rule.add"),
    removeLabel: t("rule.remove"),
    blank: () => {
      count += 1;
      return { id: `rule_${count}`, name: "", enabled: true, trigger: { type: "deal_entered_stage", stage: lists.stages[0]?.[0] }, conditions: [], actions: [{ type: "create_task", assignee: "owner", priority: "normal", reminders: [] }] };
    },
  });
  let version = ruleSet.version;
  return settingsForm({
    label: t("rule.formof", { name: pipeline.name }),
    parts: [
      el("datalist", { id: "rule-fields" }, FIELDS.map((name) => el("option", { value: name }))),
      el("p", { class: "muted" }, ruleSet.rules.length ? t("rule.count", { n: ruleSet.rules.length, v: version }) : t("rule.none")),
      grace.nodes,
      rules.node,
    ],
    save: async () => {
      const saved = await api(`/api/deals/pipelines/${pipeline.id}/rules`, {
        method: "PUT",
        body: { version, ...grace.read(), rules: rules.read() },
      });
      version = saved.version;
      return saved;
    },
    saved: again,
  });
}

export async function rules(box) {
  await picker(box, {
    label: t("board.pipeline"),
    items: await pipelineChoices(),
    draw: async (id, again) => {
      const [pipeline, ruleSet] = await Promise.all([api(`/api/deals/pipelines/${id}`), api(`/api/deals/pipelines/${id}/rules`)]);
      return rulesForm(pipeline, ruleSet, await choices(pipeline), again);
    },
  });
}
