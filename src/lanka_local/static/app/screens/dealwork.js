// What the deal card needs to carry an order to the end: its documents (make one, open the
// PDF, send it to the client), its payments (what is paid and still owed, record one), its
// calls (log one) and the next open task.

import { api, newKey } from "../api.js";
import { el, clear, field } from "../dom.js";
import { t } from "../i18n.js";
import { session } from "../session.js";
import { when, money, fail, notify, showErrors, formError, button } from "../ui.js";
import { toMinor } from "./client.js";

const KINDS = ["invoice", "quote", "contract", "act"];
const CHANNELS = ["", "email", "sms", "telegram", "viber"];

/** The open task that falls due first (or the first open one without a due time). */
export function nextTask(tasks) {
  const open = tasks.filter((task) => task.status === "open");
  open.sort((a, b) => (a.due_at || "9999").localeCompare(b.due_at || "9999"));
  return open[0] || null;
}

export function nextTaskLine(tasks) {
  const task = nextTask(tasks);
  return el(
    "p",
    { class: "next-task card" },
    el("strong", {}, `${t("deal.next")}: `),
    task ? [task.title, task.due_at ? ` · ${t("task.due")}: ${when(task.due_at)}` : ""] : t("deal.nonext"),
  );
}

function section(id, title, ...children) {
  return el("section", { "aria-labelledby": id }, el("h2", { id }, title), ...children);
}

// ------------------------------------------------------------------------------ documents

function documentRow(deal, doc) {
  const place = el("span", { class: "doc-link" });
  const open = button(t("doc.open"), async () => {
    try {
      const link = await api(`/api/deals/deals/${deal.id}/documents/${doc.id}/download`);
      clear(place, el("a", { href: link.url, target: "_blank", rel: "noopener", class: "pdf" }, t("doc.pdf", { number: doc.number })));
      place.querySelector("a").focus();
    } catch (error) {
      fail(error);
    }
  }, { "aria-label": t("doc.openof", { number: doc.number }) });
  const send = button(t("doc.send"), async () => {
    try {
      const sent = await api(`/api/deals/deals/${deal.id}/documents/${doc.id}/send`, { method: "POST", body: { channel: channel.value || null } });
      notify(t("doc.sent", { number: doc.number, channel: sent.channel ? t(`channel.${sent.channel}`) : "—" }));
    } catch (error) {
      fail(error);
    }
  }, { "aria-label": t("doc.sendof", { number: doc.number }) });
  const channel = el(
    "select",
    { "aria-label": t("doc.channelof", { number: doc.number }) },
    CHANNELS.map((name) => el("option", { value: name }, name ? t(`channel.${name}`) : t("doc.preferred"))),
  );
  return el(
    "tr",
    { dataset: { id: doc.id } },
    el("th", { scope: "row" }, doc.number),
    el("td", {}, t(`doc.kind.${doc.kind}`)),
    el("td", {}, when(doc.issued_at, false)),
    el("td", { class: "num" }, money(doc.amount, doc.currency)),
    el("td", { class: "num" }, doc.kind === "invoice" ? money(doc.paid, doc.currency) : "—"),
    el("td", { class: "num" }, doc.kind === "invoice" ? money(doc.balance, doc.currency) : "—"),
    el("td", {}, el("div", { class: "actions" }, open, place, channel, send)),
  );
}

function documentForm(deal, onMade) {
  const kind = el("select", { name: "kind" }, KINDS.map((name) => el("option", { value: name }, t(`doc.kind.${name}`))));
  const error = formError();
  const form = el("form", { class: "inline", "aria-label": t("doc.make") }, field(t("doc.kindlabel"), kind), el("button", { type: "submit" }, t("doc.make")), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const made = await api(`/api/deals/deals/${deal.id}/documents`, { method: "POST", body: { kind: kind.value } });
      notify(t("doc.made", { number: made.number }));
      onMade();
    } catch (failure) {
      showErrors(form, failure);
    }
  });
  return form;
}

export function documentsSection(deal, documents, refresh) {
  const header = [t("doc.number"), t("doc.kindlabel"), t("doc.issued"), t("deal.amount"), t("pay.paid"), t("pay.balance"), t("doc.actions")];
  return section(
    "deal-documents",
    t("deal.documents"),
    documents.length
      ? el(
          "table",
          { class: "documents" },
          el("caption", { class: "visually-hidden" }, t("deal.documents")),
          el("thead", {}, el("tr", {}, header.map((text) => el("th", { scope: "col" }, text)))),
          el("tbody", {}, documents.map((doc) => documentRow(deal, doc))),
        )
      : el("p", { class: "empty" }, t("doc.none")),
    documentForm(deal, refresh),
  );
}

// ------------------------------------------------------------------------------ payments

function paymentForm(deal, ledger, invoices, onPaid) {
  const amount = el("input", { name: "amount", inputmode: "decimal", autocomplete: "off", value: ledger.balance ? String(ledger.balance / 100).replace(".", ",") : "" });
  const reference = el("input", { name: "reference", maxlength: 100, autocomplete: "off" });
  const invoice = el(
    "select",
    { name: "document_id" },
    el("option", { value: "" }, t("pay.newestunpaid")),
    invoices.map((doc) => el("option", { value: doc.id }, `${doc.number} · ${money(doc.balance, doc.currency)}`)),
  );
  const error = formError();
  const form = el(
    "form",
    { class: "inline", "aria-label": t("pay.record"), novalidate: true },
    field(t("pay.amount"), amount),
    field(t("pay.reference"), reference),
    invoices.length ? field(t("pay.invoice"), invoice) : null,
    el("button", { type: "submit", class: "primary" }, t("pay.record")),
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const minor = toMinor(amount.value);
    if (!minor || Number.isNaN(minor)) {
      showErrors(form, { status: 422, fields: { amount: t("deal.badamount") } });
      return;
    }
    const body = { amount: minor, currency: ledger.currency };
    if (reference.value.trim()) body.reference = reference.value.trim();
    if (invoice.value) body.document_id = invoice.value;
    try {
      await api(`/api/deals/deals/${deal.id}/payments`, { method: "POST", body });
      notify(t("pay.recorded", { sum: money(minor, ledger.currency) }));
      onPaid();
    } catch (failure) {
      showErrors(form, failure.status === 409 ? { status: 422, fields: { reference: t("pay.duplicate") } } : failure);
    }
  });
  return form;
}

export function paymentsSection(deal, ledger, documents, refresh) {
  const invoices = documents.filter((doc) => doc.kind === "invoice" && doc.balance > 0);
  const canRecord = session.has("admin", "head", "manager");
  return section(
    "deal-payments",
    t("deal.payments"),
    el(
      "dl",
      { class: "figures" },
      el("div", { class: "figure" }, el("dt", {}, t("deal.amount")), el("dd", {}, money(ledger.amount, ledger.currency))),
      el("div", { class: "figure" }, el("dt", {}, t("pay.paid")), el("dd", { id: "deal-paid" }, money(ledger.paid, ledger.currency))),
      el("div", { class: ledger.balance ? "figure alert" : "figure" }, el("dt", {}, t("pay.balance")), el("dd", { id: "deal-balance" }, money(ledger.balance, ledger.currency))),
    ),
    ledger.items.length
      ? el(
          "ul",
          { class: "rows payments" },
          ledger.items.map((item) =>
            el("li", {}, el("strong", {}, money(item.amount, item.currency)), ` · ${when(item.paid_at)} · ${t(`pay.source.${item.source}`)}`, item.reference ? ` · ${item.reference}` : ""),
          ),
        )
      : el("p", { class: "empty" }, t("pay.none")),
    canRecord ? paymentForm(deal, ledger, invoices, refresh) : null,
  );
}

// ------------------------------------------------------------------------------ calls

function callForm(deal, onLogged) {
  const direction = el("select", { name: "direction" }, el("option", { value: "out" }, t("call.out")), el("option", { value: "in" }, t("call.in")));
  const answered = el("input", { name: "answered", type: "checkbox", checked: true });
  const minutes = el("input", { name: "duration_seconds", type: "number", min: 0, max: 1440, value: "5", inputmode: "numeric" });
  const result = el("textarea", { name: "result", rows: 2, maxlength: 2000 });
  const error = formError();
  const form = el(
    "form",
    { class: "inline", "aria-label": t("call.log"), novalidate: true },
    field(t("call.direction"), direction),
    el("div", { class: "field check" }, el("label", {}, answered, ` ${t("call.answered")}`)),
    field(t("call.minutes"), minutes),
    field(t("call.result"), result),
    el("button", { type: "submit" }, t("call.log")),
    error,
  );
  let key = newKey();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const count = Number(minutes.value || 0);
    if (!Number.isInteger(count) || count < 0 || count > 1440) {
      showErrors(form, { status: 422, fields: { duration_seconds: t("call.badminutes") } });
      return;
    }
    try {
      await api(`/api/deals/deals/${deal.id}/calls`, {
        method: "POST",
        body: { direction: direction.value, answered: answered.checked, duration_seconds: count * 60, result: result.value.trim() || null },
        idempotencyKey: key,
      });
      key = newKey();
      notify(t("call.logged"));
      onLogged();
    } catch (failure) {
      showErrors(form, failure);
    }
  });
  return form;
}

export function callsSection(deal, calls, refresh) {
  return section(
    "deal-calls",
    t("deal.calls"),
    calls.length
      ? el(
          "ul",
          { class: "rows calls" },
          calls.map((item) =>
            el(
              "li",
              {},
              el("strong", {}, t(item.direction === "in" ? "call.in" : "call.out")),
              ` · ${when(item.started_at)} · `,
              item.answered ? t("call.minutesof", { n: Math.round(item.duration_seconds / 60) }) : t("call.missed"),
              item.result ? ` · ${item.result}` : "",
            ),
          ),
        )
      : el("p", { class: "empty" }, t("call.none")),
    callForm(deal, refresh),
  );
}

/** The documents, payments and calls of a deal, read together. */
export async function loadWork(deal) {
  const [documents, ledger, calls] = await Promise.all([
    api(`/api/deals/deals/${deal.id}/documents`),
    api(`/api/deals/deals/${deal.id}/payments`),
    api(`/api/deals/deals/${deal.id}/calls`),
  ]);
  return { documents: documents.items, ledger, calls: calls.items };
}

// ------------------------------------------------------------------------------ tasks

/** Take an open task from its role's queue, or complete it with a result, on the card. */
export function taskActions(task, refresh) {
  if (task.status !== "open") return null;
  const actions = [];
  if (!task.assignee_id && task.assignee_role && session.has(task.assignee_role)) {
    actions.push(
      button(t("task.take"), async () => {
        try {
          await api(`/api/deals/tasks/${task.id}/take`, { method: "POST" });
          notify(t("task.taken"));
          refresh();
        } catch (error) {
          fail(error);
        }
      }, { "aria-label": t("task.takeof", { title: task.title }) }),
    );
  }
  const result = el("textarea", { name: "result", rows: 2, maxlength: 2000 });
  const error = formError();
  const form = el(
    "form",
    { class: "complete", hidden: true, "aria-label": t("task.completeof", { title: task.title }) },
    field(t("task.result"), result),
    error,
    el("button", { type: "submit", class: "primary" }, t("task.done")),
  );
  const toggle = button(t("task.complete"), () => {
    form.hidden = false;
    toggle.hidden = true;
    result.focus();
  }, { "aria-label": t("task.completeof", { title: task.title }) });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api(`/api/deals/tasks/${task.id}/complete`, { method: "POST", body: { result: result.value.trim() || null } });
      notify(t("task.completed", { title: task.title }));
      refresh();
    } catch (failure) {
      showErrors(form, failure);
      if (failure.status === 403) {
        error.textContent = failure.problem.detail === "Take the task first." ? t("task.takefirst") : t("err.403");
        error.hidden = false;
      }
    }
  });
  actions.push(toggle, form);
  return el("div", { class: "actions" }, actions);
}

// ------------------------------------------------------------------------------ the deal itself

/** Change the deal's title and amount (the price agreed), with the version the user saw. */
export function editForm(deal, refresh) {
  const title = el("input", { name: "title", required: true, maxlength: 200, value: deal.title });
  const amount = el("input", { name: "amount", inputmode: "decimal", autocomplete: "off", value: String(deal.amount / 100).replace(".", ",") });
  const error = formError();
  const form = el(
    "form",
    { class: "inline", "aria-label": t("deal.edit"), novalidate: true },
    field(t("deal.name"), title),
    field(t("deal.amountuah"), amount),
    el("button", { type: "submit" }, t("save")),
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const minor = toMinor(amount.value);
    if (Number.isNaN(minor)) {
      showErrors(form, { status: 422, fields: { amount: t("deal.badamount") } });
      return;
    }
    try {
      await api(`/api/deals/deals/${deal.id}`, { method: "PATCH", body: { version: deal.version, title: title.value.trim(), amount: minor } });
      notify(t("saved"));
      refresh();
    } catch (failure) {
      showErrors(form, failure);
      if (failure.status === 409) {
        error.textContent = t("deal.conflict");
        error.hidden = false;
      }
    }
  });
  return el("details", { class: "tool" }, el("summary", {}, t("deal.edit")), form);
}
