// Quick actions the client card and the deal card share: call (a tel: link and the call
// log), message (a reply on the client's channel), and book (the calendar's booking form,
// opened with the client and the deal filled in).

import { api, newKey } from "../api.js";
import { el, field } from "../dom.js";
import { t } from "../i18n.js";
import { notify, showErrors, formError } from "../ui.js";

const CHANNELS = ["email", "sms", "telegram", "viber"];

/** Compose and send a message to the client (the conversations' reply route). */
export function messageForm(client, onSent, id = "msg") {
  const text = el("textarea", { name: "text", rows: 3, maxlength: 4000, required: true });
  const channel = el(
    "select",
    { name: "channel" },
    el("option", { value: "" }, t("msg.lastchannel")),
    CHANNELS.map((name) => el("option", { value: name }, t(`channel.${name}`))),
  );
  const error = formError();
  const form = el(
    "form",
    { class: "quick", "aria-label": t("msg.compose") },
    field(t("msg.text"), text),
    field(t("msg.channel"), channel),
    error,
    el("button", { type: "submit", class: "primary", id: `${id}-send` }, t("msg.send")),
  );
  let key = newKey();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!text.value.trim()) {
      showErrors(form, { status: 422, fields: { text: t("msg.empty") } });
      return;
    }
    try {
      const body = { text: text.value };
      if (channel.value) body.channel = channel.value;
      const entry = await api(`/api/notifications/conversations/${client.id}/replies`, { method: "POST", body, idempotencyKey: key });
      key = newKey();
      text.value = "";
      showErrors(form, null);
      notify(t("msg.sent", { channel: t(`channel.${entry.channel}`) }));
      onSent?.(entry);
    } catch (failure) {
      // The text stays; a second try with the same key cannot send it twice.
      showErrors(form, failure);
    }
  });
  return form;
}

/** Log a call on a deal: direction, answered, how long, what was agreed. `deals` is a list of
 * {id, title}; with one deal there is nothing to choose. */
export function callForm(deals, onLogged) {
  const deal = el("select", { name: "deal_id", required: true }, deals.map((item) => el("option", { value: item.id }, item.title)));
  const direction = el("select", { name: "direction" }, el("option", { value: "out" }, t("call.out")), el("option", { value: "in" }, t("call.in")));
  const answered = el("input", { type: "checkbox", name: "answered", checked: true });
  const minutes = el("input", { name: "duration_seconds", type: "number", min: 0, max: 1440, step: 1, inputmode: "numeric", value: "" });
  const result = el("textarea", { name: "result", rows: 2, maxlength: 2000 });
  const error = formError();
  const form = el(
    "form",
    { class: "quick", "aria-label": t("call.log") },
    deals.length > 1 ? field(t("call.deal"), deal) : null,
    field(t("call.direction"), direction),
    el("div", { class: "field check" }, answered, el("label", { for: "call-answered" }, t("call.answered"))),
    field(t("call.minutes"), minutes),
    field(t("call.result"), result),
    error,
    el("button", { type: "submit", class: "primary" }, t("call.log")),
  );
  answered.id = "call-answered";
  let key = newKey();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const count = minutes.value === "" ? 0 : Number(minutes.value);
    if (!Number.isInteger(count) || count < 0 || count > 1440) {
      showErrors(form, { status: 422, fields: { duration_seconds: t("call.badminutes") } });
      return;
    }
    const dealId = deals.length > 1 ? deal.value : deals[0].id;
    try {
      const body = { direction: direction.value, answered: answered.checked, duration_seconds: count * 60 };
      if (result.value.trim()) body.result = result.value.trim();
      const logged = await api(`/api/deals/deals/${dealId}/calls`, { method: "POST", body, idempotencyKey: key });
      key = newKey();
      result.value = "";
      minutes.value = "";
      showErrors(form, null);
      notify(t("call.logged"));
      onLogged?.(logged);
    } catch (failure) {
      showErrors(form, failure);
    }
  });
  return form;
}

/** The client's phones as tel: links (a phone in the browser starts the call). */
export function dialLinks(phones) {
  if (!phones?.length) return el("p", { class: "muted" }, t("call.nophone"));
  return el(
    "p",
    { class: "actions" },
    phones.map((phone) => el("a", { class: "button", href: `tel:${phone.number}`, "aria-label": t("call.dial", { number: phone.number }) }, `📞 ${phone.number}`)),
  );
}

/** The calendar's booking form with the client (and the deal) filled in. */
export function bookLink(clientId, dealId) {
  const params = new URLSearchParams({ client: clientId });
  if (dealId) params.set("deal", dealId);
  return el("a", { class: "button", href: `#/calendar/${params.toString()}` }, t("client.book"));
}
