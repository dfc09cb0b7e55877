// Requests inbox: new deals nobody owns yet, newest first. Anyone of the office takes one
// with one button (it becomes his deal); the head and admins also give one to a member of
// staff chosen by name; a manager takes the contact tasks of his role's queue below.

import { api } from "../api.js";
import { el, clear, field } from "../dom.js";
import { t } from "../i18n.js";
import { session } from "../session.js";
import { heading, loading, when, money, fail, notify, button, showErrors, formError } from "../ui.js";
import { staffList } from "./people.js";

const OFFICE = ["manager", "head", "admin"];

/** Who a request can go to: active office staff, managers first, by name. */
function assignees(people) {
  const office = people.filter((person) => person.active !== false && person.roles.some((role) => OFFICE.includes(role)));
  const rank = (person) => (person.roles.includes("manager") ? 0 : 1);
  return office.sort((a, b) => rank(a) - rank(b) || (a.name || a.username).localeCompare(b.name || b.username, "uk"));
}

function assignForm(deal, people, onAssigned) {
  const owner = el(
    "select",
    { name: "owner_id", required: true },
    el("option", { value: "" }, t("inbox.choose")),
    assignees(people).map((person) =>
      el("option", { value: person.user_id }, `${person.name || person.username} (${person.roles.map((role) => t(`role.${role}`)).join(", ")})`),
    ),
  );
  const error = formError();
  const form = el(
    "form",
    { class: "inline", hidden: true, "aria-label": t("inbox.assignof", { title: deal.title }), novalidate: true },
    field(t("inbox.who"), owner),
    error,
    el("button", { type: "submit" }, t("inbox.assign")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!owner.value) {
      showErrors(form, { status: 422, fields: { owner_id: t("inbox.choosefirst") } });
      return;
    }
    try {
      await api(`/api/deals/deals/${deal.id}/owner`, { method: "PUT", body: { owner_id: owner.value, version: deal.version ?? null } });
      onAssigned(t("inbox.assigned"));
    } catch (failure) {
      showErrors(form, failure);
    }
  });
  return form;
}

function dealRow(deal, people, refresh) {
  const done = (text) => {
    notify(text);
    refresh();
  };
  const actions = [
    button(t("inbox.take"), async () => {
      try {
        await api(`/api/deals/deals/${deal.id}/take`, { method: "POST" });
        done(t("inbox.taken"));
      } catch (failure) {
        if (failure.status === 409) done(t("inbox.takenbyother"));
        else fail(failure);
      }
    }, { class: "primary", "aria-label": t("inbox.takeof", { title: deal.title }) }),
  ];
  if (session.supervisor) {
    const form = assignForm(deal, people, done);
    const toggle = button(t("inbox.assignto"), () => {
      form.hidden = !form.hidden;
      toggle.setAttribute("aria-expanded", String(!form.hidden));
      if (!form.hidden) form.querySelector("select").focus();
    }, { "aria-expanded": "false" });
    actions.push(toggle, form);
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
  // The staff names for "assign" (head and admin only); without them a request can still be taken.
  const people = await staffList().catch(() => []);
  const load = async (cursor) => {
    try {
      const page = await api("/api/deals/deals", { query: { owner: "unassigned", limit: 25, cursor } });
      if (!cursor) {
        clear(view, heading(t("nav.inbox")), el("p", { class: "muted" }, t("inbox.about")), list, more, queue);
        clear(list);
      }
      for (const deal of page.items) list.append(dealRow(deal, people, () => load()));
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
