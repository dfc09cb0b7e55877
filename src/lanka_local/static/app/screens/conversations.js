// Conversations: the inbox of the latest conversation per client (mine, unassigned, and for
// head and admin everyone's), and one client's thread across channels with a reply box.
// A conversation whose last word is the client's waits for an answer: that is its unread mark.

import { api } from "../api.js";
import { el, clear } from "../dom.js";
import { t } from "../i18n.js";
import { session } from "../session.js";
import { heading, loading, when, fail, button } from "../ui.js";
import { messageForm } from "./actions.js";

const PAGE = 30;

function channelName(channel) {
  return t(`channel.${channel}`);
}

function inboxRow(line) {
  const waiting = line.last_direction === "in";
  return el(
    "li",
    { class: `row conversation${waiting ? " unread" : ""}` },
    el("a", { href: `#/conversations/${line.client_id}` }, line.client_name || t("client.noname")),
    waiting ? el("span", { class: "tag waiting" }, t("conv.waiting")) : null,
    el("span", { class: "muted" }, ` · ${channelName(line.last_channel)} · ${when(line.last_at)}`),
    el("p", { class: "preview" }, waiting ? "" : `${t("conv.you")}: `, line.preview || "—"),
  );
}

async function inbox(view) {
  const owner = el(
    "select",
    { id: "conv-owner", name: "owner" },
    el("option", { value: "mine" }, t("clients.mine")),
    el("option", { value: "unassigned" }, t("board.unassigned")),
    session.supervisor ? el("option", { value: "all" }, t("board.everyone")) : null,
  );
  const list = el("ul", { class: "rows", "aria-label": t("nav.conversations") });
  const pager = el("nav", { class: "pager", "aria-label": t("pages") });
  const cursors = [null];
  let index = 0;
  const load = async () => {
    clear(list, el("li", {}, loading()));
    try {
      const page = await api("/api/notifications/conversations", { query: { owner: owner.value, limit: PAGE, cursor: cursors[index] } });
      clear(list, page.items.length ? page.items.map(inboxRow) : el("li", { class: "empty" }, t("conv.none")));
      cursors[index + 1] = page.next_cursor;
      clear(
        pager,
        button(t("prev"), () => { index -= 1; load(); }, { disabled: index === 0 }),
        el("span", {}, t("page", { n: index + 1 })),
        button(t("next"), () => { index += 1; load(); }, { disabled: !page.next_cursor }),
      );
    } catch (error) {
      fail(error);
      clear(list, el("li", { class: "empty" }, t("err.loadfailed")));
    }
  };
  owner.addEventListener("change", () => {
    cursors.length = 1;
    index = 0;
    load();
  });
  clear(
    view,
    heading(t("nav.conversations")),
    el("p", { class: "muted" }, t("conv.about")),
    el("div", { class: "toolbar" }, el("label", { for: "conv-owner" }, t("conv.whose")), owner),
    list,
    pager,
  );
  await load();
}

/** One message or call of a thread (the deal card shows the latest too). */
export function entryItem(entry) {
  const kind = entry.kind === "call" ? t("kind.call") : entry.direction === "in" ? t("conv.from") : t("conv.to");
  const call = entry.call;
  return el(
    "li",
    { class: `message ${entry.direction}`, dataset: { entry: entry.id } },
    el(
      "p",
      { class: "meta" },
      el("strong", {}, kind),
      ` · ${channelName(entry.channel)} · ${when(entry.at)}`,
      entry.status ? el("span", { class: "muted" }, ` · ${t(`conv.status.${entry.status}`)}`) : null,
    ),
    entry.subject ? el("p", {}, el("strong", {}, entry.subject)) : null,
    entry.text ? el("p", { class: "text" }, entry.text) : null,
    call ? el("p", { class: "muted" }, call.answered === false ? t("conv.missed") : t("conv.answered")) : null,
    entry.attachments?.length ? el("p", { class: "muted" }, `${t("conv.attachments")}: ${entry.attachments.map((item) => item.name).join(", ")}`) : null,
  );
}

async function thread(view, clientId) {
  clear(view, heading(t("conv.title")), loading());
  let client;
  let page;
  try {
    [client, page] = await Promise.all([
      api(`/api/clients/clients/${encodeURIComponent(clientId)}`),
      api(`/api/notifications/conversations/${encodeURIComponent(clientId)}`, { query: { limit: PAGE } }),
    ]);
  } catch (error) {
    fail(error);
    clear(view, heading(t("conv.title")), el("p", { class: "empty" }, t("err.loadfailed")));
    return;
  }
  // The API gives newest first; the thread reads oldest to newest, earlier pages on demand.
  const messages = el("ol", { class: "thread", "aria-label": t("conv.thread") });
  const earlier = el("div");
  const show = (items, older) => {
    messages.querySelector(".empty")?.remove();
    const nodes = [...items].reverse().map(entryItem);
    if (older) messages.prepend(...nodes);
    else messages.append(...nodes);
    if (!messages.children.length) messages.append(el("li", { class: "empty" }, t("conv.nomessages")));
  };
  const more = (cursor) =>
    clear(
      earlier,
      cursor
        ? button(t("conv.earlier"), async () => {
            try {
              const next = await api(`/api/notifications/conversations/${encodeURIComponent(clientId)}`, { query: { limit: PAGE, cursor } });
              show(next.items, true);
              more(next.next_cursor);
            } catch (error) {
              fail(error);
            }
          })
        : null,
    );
  show(page.items, false);
  more(page.next_cursor);
  const lastIn = page.items.find((entry) => entry.direction === "in");
  clear(
    view,
    heading(t("conv.with", { name: client.name })),
    el("p", {}, el("a", { href: `#/clients/${client.id}` }, t("conv.card")), " · ", el("a", { href: "#/conversations" }, t("conv.back"))),
    earlier,
    messages,
    el(
      "section",
      { "aria-labelledby": "reply-title" },
      el("h2", { id: "reply-title" }, t("conv.reply")),
      lastIn ? el("p", { class: "muted" }, t("conv.replyon", { channel: channelName(lastIn.channel) })) : null,
      messageForm(client, (entry) => show([entry], false), "reply"),
    ),
  );
}

export async function render(view, clientId) {
  if (clientId) await thread(view, clientId);
  else await inbox(view);
}
