// The deal card's sections from the other services: the deal's bookings (booking), its
// quotes (booking's price calculator) and the client's latest messages (notifications).
// Each is drawn at once with "loading" and fills itself in when its own answer comes: a
// service that is down or refuses shows its own plain-words error, and the rest of the card
// stands.

import { api } from "../api.js";
import { el, clear } from "../dom.js";
import { t } from "../i18n.js";
import { when, money, describe, loading } from "../ui.js";
import { entryItem } from "./conversations.js";

const MESSAGES = 5;

/** A section that loads its own content: `load` answers, `draw` turns the answer into nodes. */
function lazySection(id, title, load, draw) {
  const body = el("div", { class: "lazy-body", "aria-busy": "true" }, loading());
  const box = el("section", { class: "deal-more", "aria-labelledby": id }, el("h2", { id }, title), body);
  load()
    .then((answer) => clear(body, draw(answer)))
    .catch((error) => clear(body, el("p", { class: "section-error" }, t("dealmore.failed", { what: title }), " ", describe(error))))
    .finally(() => body.removeAttribute("aria-busy"));
  return box;
}

function bookingItem(booking) {
  const cancelled = booking.status === "cancelled";
  return el(
    "li",
    { class: cancelled ? "booking cancelled" : "booking" },
    el("p", {}, el("strong", {}, booking.service_names.join(", ") || t("dealmore.visit")), ` · ${when(booking.starts_at)}`),
    el(
      "p",
      { class: "muted" },
      booking.staff_name ? `${t("dealmore.who")}: ${booking.staff_name}` : null,
      booking.address ? ` · ${booking.address}` : null,
      ` · ${t(`dealmore.status.${booking.status}`)}`,
    ),
    // The visit's day in its specialist's calendar (its time is in the company's zone).
    booking.staff_id
      ? el(
          "a",
          { href: `#/calendar/owner=${encodeURIComponent(booking.staff_id)}&date=${booking.starts_at.slice(0, 10)}`, "aria-label": t("dealmore.incalendarof", { when: when(booking.starts_at) }) },
          t("dealmore.incalendar"),
        )
      : null,
  );
}

export function bookingsSection(deal) {
  return lazySection(
    "deal-bookings",
    t("dealmore.bookings"),
    () => api("/api/booking/bookings", { query: { client_id: deal.client_id, deal_id: deal.id } }),
    (answer) => [
      answer.items.length
        ? el("ul", { class: "bookings" }, answer.items.map(bookingItem))
        : el("p", { class: "empty" }, t("dealmore.nobookings")),
      el("p", {}, el("a", { href: `#/calendar` }, t("dealmore.calendar"))),
    ],
  );
}

function quoteItem(quote) {
  const lines = quote.breakdown?.lines || [];
  return el(
    "li",
    {},
    el("strong", {}, quote.subject),
    ` · ${money(quote.total, quote.currency)}`,
    ` · ${t(`dealmore.quote.${quote.status}`)}`,
    el(
      "span",
      { class: "muted" },
      quote.status === "accepted" ? ` · ${when(quote.accepted_at)}` : ` · ${t("dealmore.validuntil")} ${when(quote.valid_until, false)}`,
    ),
    lines.length ? el("p", { class: "muted" }, lines.map((line) => `${line.name}, ${line.dimensions}`).join("; ")) : null,
  );
}

export function quotesSection(deal) {
  return lazySection(
    "deal-quotes",
    t("dealmore.quotes"),
    () => api("/api/booking/quotes", { query: { deal_id: deal.id, limit: 10 } }),
    (answer) =>
      answer.items.length ? el("ul", { class: "rows" }, answer.items.map(quoteItem)) : el("p", { class: "empty" }, t("dealmore.noquotes")),
  );
}

export function messagesSection(deal) {
  const all = `#/conversations/${encodeURIComponent(deal.client_id)}`;
  return lazySection(
    "deal-messages",
    t("dealmore.messages"),
    () => api(`/api/notifications/conversations/${encodeURIComponent(deal.client_id)}`, { query: { limit: MESSAGES } }),
    // Newest first from the API; read oldest to newest, as the thread does.
    (answer) => [
      answer.items.length
        ? el("ol", { class: "thread", "aria-label": t("dealmore.latest") }, [...answer.items].reverse().map(entryItem))
        : el("p", { class: "empty" }, t("conv.nomessages")),
      el("p", {}, el("a", { href: all }, t("dealmore.allmessages"))),
    ],
  );
}
