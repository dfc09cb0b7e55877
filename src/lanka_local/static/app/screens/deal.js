// The deal card: what it is, whose, its stage with the move menu, the stage history with
// the time spent in each, its next task and tasks (add one, complete one), its documents,
// payments and calls (see dealwork.js), its bookings, quotes and the client's latest
// messages (dealmore.js, each loaded on its own), and the quick actions: dial the client, message the
// client, book a visit for this deal.

import { api, newKey } from "../api.js";
import { el, clear, field } from "../dom.js";
import { t } from "../i18n.js";
import { session } from "../session.js";
import { heading, loading, when, money, duration, fail, notify, showErrors, formError } from "../ui.js";
import { stageName, askLostReason } from "./board.js";
import { nextTaskLine, documentsSection, paymentsSection, callsSection, loadWork, taskActions, editForm } from "./dealwork.js";
import { bookLink, dialLinks, messageForm } from "./actions.js";
import { bookingsSection, quotesSection, messagesSection } from "./dealmore.js";

function taskForm(deal, onAdded) {
  const title = el("input", { name: "title", required: true, maxlength: 200 });
  const due = el("input", { name: "due_at", type: "datetime-local" });
  const error = formError();
  const form = el("form", { class: "inline" }, field(t("task.title"), title), field(t("task.due"), due), error, el("button", { type: "submit" }, t("task.add")));
  const key = newKey();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const body = { title: title.value, deal_id: deal.id, client_id: deal.client_id };
      if (due.value) body.due_at = new Date(due.value).toISOString();
      await api("/api/deals/tasks", { method: "POST", body, idempotencyKey: key });
      notify(t("task.added"));
      onAdded();
    } catch (failure) {
      showErrors(form, failure);
    }
  });
  return form;
}

export async function render(view, dealId) {
  clear(view, heading(t("deal.title")), loading());
  let deal;
  let pipeline;
  let tasks;
  let work;
  let client;
  try {
    deal = await api(`/api/deals/deals/${encodeURIComponent(dealId)}`);
    [pipeline, tasks, work, client] = await Promise.all([
      api(`/api/deals/pipelines/${deal.pipeline_id}`),
      api(`/api/deals/deals/${deal.id}/tasks`),
      loadWork(deal),
      // The client's phones for the quick actions (null when the card is out of sight).
      api(`/api/clients/clients/${deal.client_id}`).catch(() => null),
    ]);
  } catch (error) {
    fail(error);
    clear(view, heading(t("deal.title")), el("p", { class: "empty" }, t("err.loadfailed")));
    return;
  }
  const stageOf = (key) => pipeline.stages.find((stage) => stage.key === key) || { key, name: key };
  const target = el(
    "select",
    { id: "deal-stage", name: "to_stage" },
    pipeline.stages.map((stage) => el("option", { value: stage.key, selected: stage.key === deal.stage }, stageName(stage))),
  );
  const moveError = formError();
  const moveForm = el(
    "form",
    { class: "inline", "aria-label": t("board.move") },
    el("label", { for: "deal-stage" }, t("deal.stage")),
    target,
    el("button", { type: "submit", class: "primary" }, t("board.move")),
    moveError,
  );
  moveForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (target.value === deal.stage) return;
    const stage = stageOf(target.value);
    let lostReason = null;
    if (stage.kind === "lost" && pipeline.lost_reasons?.length) {
      lostReason = await askLostReason(pipeline.lost_reasons);
      if (lostReason === null) return;
    }
    try {
      await api(`/api/deals/deals/${deal.id}/move`, { method: "POST", body: { to_stage: target.value, version: deal.version, lost_reason: lostReason } });
      notify(t("board.moved", { title: deal.title, stage: stageName(stage) }));
      render(view, dealId);
    } catch (error) {
      if (error.status === 409) {
        moveError.textContent = t("deal.conflict");
        moveError.hidden = false;
        moveError.focus();
      } else {
        showErrors(moveForm, error);
      }
    }
  });
  const history = el(
    "ol",
    { class: "history" },
    deal.history.map((visit) =>
      el(
        "li",
        {},
        el("strong", {}, stageName(stageOf(visit.stage))),
        ` · ${when(visit.entered_at)}`,
        visit.left_at ? ` — ${when(visit.left_at)}` : ` — ${t("deal.now")}`,
        deal.seconds_in_stage?.[visit.stage] !== undefined ? el("span", { class: "muted" }, ` (${duration(deal.seconds_in_stage[visit.stage])})`) : null,
      ),
    ),
  );
  const taskList = el(
    "ul",
    { class: "tasks" },
    tasks.items.length
      ? tasks.items.map((task) =>
          el(
            "li",
            { class: task.status === "open" ? "" : "muted" },
            el("strong", {}, task.title),
            ` · ${t(`status.${task.status}`)}`,
            task.due_at ? ` · ${t("task.due")}: ${when(task.due_at)}` : "",
            task.result ? el("p", {}, `${t("task.result")}: ${task.result}`) : null,
            taskActions(task, () => render(view, dealId)),
          ),
        )
      : el("li", { class: "empty" }, t("tasks.none")),
  );
  clear(
    view,
    heading(deal.title),
    el(
      "dl",
      { class: "facts" },
      el("dt", {}, t("deal.client")), el("dd", {}, el("a", { href: `#/clients/${deal.client_id}` }, deal.client_name || t("client.noname"))),
      el("dt", {}, t("deal.amount")), el("dd", {}, money(deal.amount, deal.currency)),
      el("dt", {}, t("deal.stage")), el("dd", {}, stageName(stageOf(deal.stage)), deal.outcome ? ` (${t(`outcome.${deal.outcome}`)})` : ""),
      el("dt", {}, t("deal.owner")), el("dd", {}, deal.owner_id === session.userId ? t("client.me") : deal.owner_id || t("board.unassigned")),
      el("dt", {}, t("deal.source")), el("dd", {}, deal.source_channel ? t(`channel.${deal.source_channel}`) : "—"),
      el("dt", {}, t("deal.created")), el("dd", {}, when(deal.created_at)),
    ),
    moveForm,
    editForm(deal, () => render(view, dealId)),
    nextTaskLine(tasks.items),
    el(
      "section",
      { class: "quick-actions", "aria-labelledby": "deal-quick" },
      el("h2", { id: "deal-quick" }, t("client.actions")),
      el("p", { class: "actions" }, bookLink(deal.client_id, deal.id), el("a", { class: "button", href: `#/conversations/${deal.client_id}` }, t("client.conversation"))),
      // Logging a call is in the calls section below.
      client ? el("details", {}, el("summary", {}, t("client.call")), dialLinks(client.phones)) : null,
      client ? el("details", {}, el("summary", {}, t("client.message")), messageForm(client)) : null,
    ),
    el("section", { "aria-labelledby": "deal-tasks" }, el("h2", { id: "deal-tasks" }, t("deal.tasks")), taskList, taskForm(deal, () => render(view, dealId))),
    documentsSection(deal, work.documents, () => render(view, dealId)),
    paymentsSection(deal, work.ledger, work.documents, () => render(view, dealId)),
    callsSection(deal, work.calls, () => render(view, dealId)),
    bookingsSection(deal),
    quotesSection(deal),
    messagesSection(deal),
    el("section", { "aria-labelledby": "deal-history" }, el("h2", { id: "deal-history" }, t("deal.history")), history),
  );
}
