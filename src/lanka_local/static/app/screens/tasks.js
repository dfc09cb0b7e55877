// My tasks: due today, overdue, upcoming; complete one with a result note. Field workers
// also see their role's queue and take a job from it.

import { api } from "../api.js";
import { el, clear, field } from "../dom.js";
import { t } from "../i18n.js";
import { session } from "../session.js";
import { heading, loading, when, fail, notify, showErrors, formError, button } from "../ui.js";

const FIELD_ROLES = ["measurer", "designer", "production", "installer"];
const VIEWS = ["today", "overdue", "upcoming"];

function endOfToday() {
  // The end of today in company time, as an instant.
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Kyiv", year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date());
  const guess = new Date(`${parts}T23:59:59Z`);
  const offset = new Date(guess.toLocaleString("en-US", { timeZone: "Europe/Kyiv" })) - new Date(guess.toLocaleString("en-US", { timeZone: "UTC" }));
  return new Date(guess.getTime() - offset).toISOString();
}

async function page(viewName, cursor) {
  if (viewName === "upcoming") {
    // Open tasks due after today (or with no due time): the "open" list past today.
    const result = await api("/api/deals/tasks/mine", { query: { view: "open", limit: 100, cursor } });
    const end = endOfToday();
    return { items: result.items.filter((task) => !task.due_at || task.due_at > end), next_cursor: result.next_cursor };
  }
  return api("/api/deals/tasks/mine", { query: { view: viewName, limit: 50, cursor } });
}

function taskItem(task, onDone) {
  const overdue = task.due_at && task.due_at < new Date().toISOString();
  const result = el("textarea", { name: "result", rows: 2, maxlength: 2000 });
  const error = formError();
  const form = el(
    "form",
    { class: "complete", hidden: true },
    field(t("task.result"), result),
    error,
    el("button", { type: "submit", class: "primary" }, t("task.done")),
    button(t("cancel"), () => { form.hidden = true; toggle.hidden = false; toggle.focus(); }),
  );
  const toggle = button(t("task.complete"), () => {
    form.hidden = false;
    toggle.hidden = true;
    result.focus();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api(`/api/deals/tasks/${task.id}/complete`, { method: "POST", body: { result: result.value || null } });
      notify(t("task.completed", { title: task.title }));
      onDone(item);
    } catch (failure) {
      showErrors(form, failure);
    }
  });
  const item = el(
    "li",
    { class: "card task", dataset: { id: task.id } },
    el("h3", {}, task.title),
    el(
      "p",
      { class: "muted" },
      task.due_at ? el("span", { class: overdue ? "overdue" : "" }, `${t("task.due")}: ${when(task.due_at)}`) : t("task.nodue"),
      task.priority && task.priority !== "normal" ? ` · ${t(`priority.${task.priority}`)}` : "",
      task.deal_id && session.office ? [" · ", el("a", { href: `#/deals/${task.deal_id}` }, t("deal.open"))] : null,
    ),
    toggle,
    form,
  );
  return item;
}

function queueItem(task, onTaken) {
  return el(
    "li",
    { class: "card task" },
    el("h3", {}, task.title),
    el("p", { class: "muted" }, task.due_at ? `${t("task.due")}: ${when(task.due_at)}` : t("task.nodue")),
    button(t("task.take"), async (event) => {
      try {
        await api(`/api/deals/tasks/${task.id}/take`, { method: "POST" });
        notify(t("task.taken"));
        onTaken(event.target.closest("li"));
      } catch (failure) {
        fail(failure);
      }
    }),
  );
}

export async function render(view) {
  const roles = FIELD_ROLES.filter((role) => session.has(role));
  let current = "today";
  const list = el("ul", { class: "tasks", "aria-live": "polite" });
  const more = el("div");
  const tabs = el(
    "div",
    { role: "tablist", class: "tabs", "aria-label": t("nav.tasks") },
    VIEWS.map((name) =>
      el("button", { type: "button", role: "tab", id: `tab-${name}`, "aria-selected": String(name === current), "aria-controls": "task-list", onclick: () => show(name) }, t(`tasks.${name}`)),
    ),
  );
  const queue = el("section", { "aria-labelledby": "queue-title" });
  clear(view, heading(t("nav.tasks")), tabs, el("div", { id: "task-list", role: "tabpanel", "aria-labelledby": "tab-today" }, list, more), queue);
  const removeItem = (item) => {
    item.remove();
    if (!list.children.length) list.append(el("li", { class: "empty" }, t("tasks.none")));
  };
  async function show(name, cursor) {
    current = name;
    for (const tab of tabs.children) tab.setAttribute("aria-selected", String(tab.id === `tab-${name}`));
    view.querySelector("#task-list").setAttribute("aria-labelledby", `tab-${name}`);
    if (!cursor) clear(list, el("li", {}, loading()));
    try {
      const result = await page(name, cursor);
      if (!cursor) clear(list);
      for (const task of result.items) list.append(taskItem(task, removeItem));
      if (!list.children.length) list.append(el("li", { class: "empty" }, t("tasks.none")));
      clear(more, result.next_cursor ? button(t("more"), () => show(name, result.next_cursor)) : null);
    } catch (error) {
      fail(error);
      clear(list, el("li", { class: "empty" }, t("err.loadfailed")));
    }
  }
  await show(current);
  for (const role of roles) {
    try {
      const result = await api("/api/deals/tasks/queue", { query: { role, limit: 50 } });
      queue.append(
        el("h2", { id: "queue-title" }, t("tasks.queue", { role: t(`role.${role}`) })),
        result.items.length
          ? el("ul", { class: "tasks" }, result.items.map((task) => queueItem(task, (item) => { item.remove(); show(current); })))
          : el("p", { class: "empty" }, t("tasks.none")),
      );
    } catch (error) {
      fail(error);
    }
  }
}
