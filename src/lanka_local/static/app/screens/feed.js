// Notifications feed: the user's alerts (and the head's, for the head), newest first; what
// is newer than the last visit counts as unread (kept in this browser).

import { api } from "../api.js";
import { el, clear } from "../dom.js";
import { t } from "../i18n.js";
import { session } from "../session.js";
import { heading, loading, when, fail, button } from "../ui.js";

function seenKey() {
  return `lanka.feed.seen.${session.userId}`;
}

function audiences() {
  return session.has("head") ? [undefined, "head"] : [undefined];
}

async function newest(limit, cursors = {}) {
  const pages = await Promise.all(
    audiences().map((role) => api("/api/notifications/alerts", { query: { role, limit, cursor: cursors[role || "me"] } })),
  );
  const items = pages.flatMap((page) => page.items);
  items.sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  const next = {};
  audiences().forEach((role, index) => {
    if (pages[index].next_cursor) next[role || "me"] = pages[index].next_cursor;
  });
  return { items, next };
}

export async function unreadCount() {
  const seen = localStorage.getItem(seenKey()) || "";
  const { items } = await newest(30);
  return items.filter((item) => item.created_at > seen).length;
}

export async function render(view) {
  const list = el("ol", { class: "feed", "aria-label": t("nav.feed") });
  const more = el("div");
  clear(view, heading(t("nav.feed")), loading());
  const seen = localStorage.getItem(seenKey()) || "";
  let cursors = {};
  const load = async (first) => {
    try {
      const page = await newest(30, first ? {} : cursors);
      cursors = page.next;
      if (first) clear(view, heading(t("nav.feed")), list, more);
      if (first && page.items.length) {
        localStorage.setItem(seenKey(), page.items[0].created_at);
        window.dispatchEvent(new Event("lanka:unread"));
      }
      if (first && !page.items.length) list.replaceWith(el("p", { class: "empty" }, t("feed.empty")));
      for (const item of page.items) {
        list.append(
          el(
            "li",
            { class: item.created_at > seen ? "unread" : "" },
            el("p", {}, item.created_at > seen ? el("strong", { class: "new" }, `${t("feed.new")} `) : null, item.text),
            el("small", { class: "muted" }, when(item.created_at)),
            item.data?.deal_id ? el("a", { href: `#/deals/${item.data.deal_id}` }, ` ${t("deal.open")}`) : null,
          ),
        );
      }
      clear(more, Object.keys(cursors).length ? button(t("more"), () => load(false)) : null);
    } catch (error) {
      fail(error);
      if (first) clear(view, heading(t("nav.feed")), el("p", { class: "empty" }, t("err.loadfailed")));
    }
  };
  await load(true);
}
