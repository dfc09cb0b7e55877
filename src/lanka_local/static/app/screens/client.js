// The client card: contacts, owner, tags, custom fields, the timeline a page at a time,
// and the quick actions: call (dial, log), message, book a visit, add a note, open a deal.

import { api, newKey } from "../api.js";
import { el, clear, field } from "../dom.js";
import { t, lang } from "../i18n.js";
import { session } from "../session.js";
import { heading, loading, when, fail, notify, showErrors, formError, button } from "../ui.js";
import { bookLink, callForm, dialLinks, messageForm } from "./actions.js";

function noteForm(client, onAdded) {
  // onAdded(text): the timeline shows the note at once; its entry comes through events.
  const text = el("textarea", { name: "text", rows: 3, maxlength: 4000, required: true });
  const error = formError();
  const form = el("form", { class: "quick" }, field(t("client.note"), text), error, el("button", { type: "submit", class: "primary" }, t("client.addnote")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api(`/api/clients/clients/${client.id}/notes`, { method: "POST", body: { text: text.value } });
      const added = text.value;
      text.value = "";
      showErrors(form, null);
      notify(t("client.noteadded"));
      onAdded(added);
    } catch (failure) {
      showErrors(form, failure);
    }
  });
  return form;
}

/** Hryvnias as typed ("1 250,50") to kopiyky; NaN when it is not a sum. */
export function toMinor(text) {
  const clean = String(text).replace(/\s/g, "").replace(",", ".");
  if (!clean) return 0;
  if (!/^\d+(\.\d{1,2})?$/.test(clean)) return Number.NaN;
  return Math.round(Number(clean) * 100);
}

function dealForm(client) {
  const title = el("input", { name: "title", required: true, maxlength: 200 });
  const amount = el("input", { name: "amount", inputmode: "decimal", autocomplete: "off" });
  const error = formError();
  const form = el(
    "form",
    { class: "quick" },
    field(t("deal.name"), title),
    field(t("deal.amountuah"), amount),
    error,
    el("button", { type: "submit", class: "primary" }, t("client.opendeal")),
  );
  let key = newKey();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const minor = toMinor(amount.value);
    if (Number.isNaN(minor)) {
      showErrors(form, { status: 422, fields: { amount: t("deal.badamount") } });
      return;
    }
    try {
      const deal = await api("/api/deals/deals", { method: "POST", body: { client_id: client.id, title: title.value, amount: minor }, idempotencyKey: key });
      key = newKey();
      notify(t("client.dealopened"));
      location.hash = `#/deals/${deal.id}`;
    } catch (failure) {
      showErrors(form, failure);
    }
  });
  return form;
}

function ownerForm(client, onSaved) {
  const owner = el("input", { name: "owner_id", value: client.owner_id || "", autocomplete: "off" });
  const error = formError();
  const form = el(
    "form",
    { class: "inline" },
    field(t("client.owner"), owner, t("inbox.ownerhint")),
    error,
    el("button", { type: "submit" }, t("save")),
    button(t("inbox.take"), () => {
      owner.value = session.userId;
      form.requestSubmit();
    }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api(`/api/clients/clients/${client.id}/owner`, { method: "PUT", body: { owner_id: owner.value.trim() || null, version: client.version } });
      notify(t("saved"));
      onSaved();
    } catch (failure) {
      showErrors(form, failure);
    }
  });
  return form;
}

function summary(entry) {
  const detail = entry.detail || {};
  const text = detail.text || detail.title || detail.subject || detail.message || detail.to_stage || "";
  return `${t(`kind.${entry.kind}`)}${text ? `: ${text}` : ""}`;
}

export async function render(view, clientId) {
  clear(view, heading(t("client.title")), loading());
  let client;
  let custom = { fields: [] };
  try {
    [client, custom] = await Promise.all([
      api(`/api/clients/clients/${encodeURIComponent(clientId)}`),
      api("/api/clients/custom-fields").catch(() => ({ fields: [] })),
    ]);
  } catch (error) {
    fail(error);
    clear(view, heading(t("client.title")), el("p", { class: "empty" }, t("err.loadfailed")));
    return;
  }
  const timeline = el("ol", { class: "timeline" });
  const more = el("div");
  // A call is logged on a deal: the client's deals as the timeline has shown them.
  const deals = new Map();
  const callBox = el("div");
  const drawCall = () =>
    clear(
      callBox,
      dialLinks(client.phones),
      deals.size
        ? callForm([...deals].map(([id, title]) => ({ id, title })), (logged) => addLine(`${t("kind.call")}${logged.result ? `: ${logged.result}` : ""}`))
        : el("p", { class: "muted" }, t("client.nodeal")),
    );
  const addLine = (text) => {
    timeline.querySelector(".empty")?.remove();
    timeline.prepend(el("li", {}, el("span", {}, text), el("small", { class: "muted" }, ` · ${when(new Date().toISOString())}`)));
  };
  const loadTimeline = async (cursor) => {
    try {
      const page = await api(`/api/clients/clients/${client.id}/timeline`, { query: { cursor, limit: 20 } });
      if (!cursor) clear(timeline);
      const before = deals.size;
      for (const entry of page.items) {
        const detail = entry.detail || {};
        if (entry.kind === "deal" && detail.deal_id && detail.title && !deals.has(detail.deal_id)) deals.set(detail.deal_id, detail.title);
      }
      if (deals.size !== before || !callBox.childElementCount) drawCall();
      for (const entry of page.items) timeline.append(el("li", {}, el("span", {}, summary(entry)), el("small", { class: "muted" }, ` · ${when(entry.occurred_at)}`)));
      if (!timeline.children.length) timeline.append(el("li", { class: "empty" }, t("client.notimeline")));
      clear(more, page.next_cursor ? button(t("more"), () => loadTimeline(page.next_cursor)) : null);
    } catch (error) {
      fail(error);
    }
  };
  const labels = new Map(custom.fields.map((item) => [item.key, lang() === "en" && item.label_en ? item.label_en : item.label]));
  const facts = el("dl", { class: "facts" });
  const fact = (label, ...value) => facts.append(el("dt", {}, label), el("dd", {}, ...value));
  fact(t("client.phones"), client.phones.length ? client.phones.map((phone, i) => [i ? ", " : "", el("a", { href: `tel:${phone.number}` }, phone.number)]) : "—");
  fact(t("client.emails"), client.emails.length ? client.emails.map((mail, i) => [i ? ", " : "", el("a", { href: `mailto:${mail.address}` }, mail.address)]) : "—");
  if (client.telegram) fact("Telegram", client.telegram);
  if (client.viber) fact("Viber", client.viber);
  if (client.addresses.length) fact(t("client.addresses"), client.addresses.map((address) => el("div", {}, [address.line, address.city].filter(Boolean).join(", "))));
  if (client.contacts.length) fact(t("client.contacts"), client.contacts.map((person) => el("div", {}, person.name, person.position ? ` (${person.position})` : "", person.phones.map((phone) => ` · ${phone.number}`))));
  fact(t("client.owner"), client.owner_id === session.userId ? t("client.me") : client.owner_id || t("board.unassigned"));
  fact(t("client.tags"), client.tags.length ? client.tags.map((tag) => el("span", { class: "tag" }, tag)) : "—");
  if (client.source_channel) fact(t("deal.source"), t(`channel.${client.source_channel}`));
  for (const [key, value] of Object.entries(client.custom || {})) fact(labels.get(key) || key, String(value ?? "—"));
  clear(
    view,
    heading(client.name),
    facts,
    session.supervisor ? ownerForm(client, () => render(view, clientId)) : null,
    el(
      "section",
      { class: "quick-actions", "aria-labelledby": "quick" },
      el("h2", { id: "quick" }, t("client.actions")),
      el("p", { class: "actions" }, bookLink(client.id), el("a", { class: "button", href: `#/conversations/${client.id}` }, t("client.conversation"))),
      el("details", {}, el("summary", {}, t("client.call")), callBox),
      el("details", {}, el("summary", {}, t("client.message")), messageForm(client, (entry) => addLine(`${t("kind.message")}: ${entry.text}`))),
      el("details", { open: true }, el("summary", {}, t("client.addnote")), noteForm(client, (added) => addLine(`${t("kind.note")}: ${added}`))),
      el("details", {}, el("summary", {}, t("client.opendeal")), dealForm(client)),
    ),
    el("section", { "aria-labelledby": "timeline-title" }, el("h2", { id: "timeline-title" }, t("client.timeline")), timeline, more),
  );
  await loadTimeline();
}
