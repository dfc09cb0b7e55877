// Requests inbox: new deals nobody owns yet, newest first. The head and admins take one or
// give it to a manager; a manager opens them and takes the contact tasks of his role's queue.

import { api } from "../api.js";
import { el, clear, field } from "../dom.js";
import { t } from "../i18n.js";
import { session } from "../session.js";
import { heading, loading, when, money, fail, notify, button, showErrors, formError } from "../ui.js";

function assignForm(deal, onAssigned) {
  const owner = el("input", { name: "owner_id", required: true, autocomplete: "off" });
  const error = formError();
  const form = el(
    "form",
    { class: "inline", hidden: true },
    field(t("inbox.owner"), owner, t("inbox.ownerhint")),
    error,
    el("button", { type: "submit" }, t("inbox.assign")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api(`/api/deals/deals/${deal.id}/owner`, { method: "PUT", body: { owner_id: owner.value.trim(), version: deal.version ?? null } });
      onAssigned(t("inbox.assigned"));
    } catch (failure) {
      showErrors(form, failure);
    }
  });
  return form;
}

function dealRow(deal, refresh) {
  const done = (text) => {
    notify(text);
    refresh();
  };
  const actions = [];
  if (session.supervisor) {
    const form = assignForm(deal, done);
    actions.push(
      button(t("inbox.take"), async () => {
        try {
          await api(`/api/deals/deals/${deal.id}/owner`, { method: "PUT", body: { owner_id: session.userId, version: deal.version ?? null } });
          done(t("inbox.taken"));
        } catch (failure) {
          fail(failure);
        }
      }, { class: "primary" }),
      button(t("inbox.assignto"), () => { form.hidden = !form.hidden; form.querySelector("input").focus(); }),
      form,
    );
  }
  return el(
    "li",
    { class: "card" },
    el("h3", {}, el("a", { href: `#/deals/${deal.id}` }, deal.title)),
    el(
      "p",
      { class: "muted" },
      el("a", { href: `#/clients/${deal.client_id}` }, deal.client_name || t("client.noname")),
      ` · ${money(deal.amount, deal.currency)}`,
      deal.source_channel ? ` · ${t(`channel.${deal.source_channel}`)}` : "",
      ` · ${when(deal.updated_at)}`,
    ),
    el("div", { class: "actions" }, actions),
  );
}

export async function render(view) {
  const list = el("ul", { class: "cards" });
  const more = el("div");
  const queue = el("section");
  clear(view, heading(t("nav.inbox")), el("p", { class: "muted" }, t("inbox.about")), loading());
  const load = async (cursor) => {
    try {
      const page = await api("/api/deals/deals", { query: { owner: "unassigned", limit: 25, cursor } });
      if (!cursor) {
        clear(view, heading(t("nav.inbox")), el("p", { class: "muted" }, t("inbox.about")), list, more, queue);
        clear(list);
      }
      for (const deal of page.items) list.append(dealRow(deal, () => load()));
      if (!list.children.length) list.append(el("li", { class: "empty" }, t("inbox.empty")));
      clear(more, page.next_cursor ? button(t("more"), () => load(page.next_cursor)) : null);
    } catch (error) {
      fail(error);
      clear(view, heading(t("nav.inbox")), el("p", { class: "empty" }, t("err.loadfailed")));
    }
  };
  await load();
  if (session.has("manager")) {
    try {
      const tasks = await api("/api/deals/tasks/queue", { query: { role: "manager", limit: 25 } });
      clear(
        queue,
        el("h2", {}, t("inbox.queue")),
        tasks.items.length
          ? el(
              "ul",
              { class: "cards" },
              tasks.items.map((task) =>
                el(
                  "li",
                  { class: "card" },
                  el("h3", {}, task.title),
                  el("p", { class: "muted" }, task.due_at ? `${t("task.due")}: ${when(task.due_at)}` : t("task.nodue")),
                  button(t("task.take"), async (event) => {
                    try {
                      await api(`/api/deals/tasks/${task.id}/take`, { method: "POST" });
                      notify(t("task.taken"));
                      event.target.closest("li").remove();
                    } catch (failure) {
                      fail(failure);
                    }
                  }),
                ),
              ),
            )
          : el("p", { class: "empty" }, t("tasks.none")),
      );
    } catch (error) {
      fail(error);
    }
  }
}
