// The calendar: a specialist's (or a resource's) bookings and blocks by day or by week,
// in company time (Europe/Kyiv). A field worker sees his own; the office picks anyone,
// books a client into a free slot, moves and cancels bookings, and blocks time.
// The address #/calendar/client=<id>&deal=<id> opens the booking form for that client;
// date=YYYY-MM-DD and owner=<id> open a given day of a given calendar.

import { api, newKey } from "../api.js";
import { el, clear, field } from "../dom.js";
import { t, lang } from "../i18n.js";
import { session } from "../session.js";
import { ZONE, heading, loading, fail, notify, showErrors, formError, button, describe } from "../ui.js";

const DAY = 86400000;

/** Today's date in company time, as YYYY-MM-DD. */
export function today() {
  return isoDate(new Date());
}

function isoDate(instant) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit" }).format(instant);
}

function addDays(date, days) {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d) + days * DAY).toISOString().slice(0, 10);
}

/** Monday of the week a date is in. */
function monday(date) {
  const [y, m, d] = date.split("-").map(Number);
  const weekday = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
  return addDays(date, -weekday);
}

/** How far company time is ahead of UTC at an instant, in ms. */
function zoneOffset(instant) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone: ZONE, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" })
      .formatToParts(instant)
      .map((part) => [part.type, part.value]),
  );
  const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** A wall-clock date and time in company time ("2026-11-27", "14:30") as an ISO instant. */
export function zonedIso(date, time) {
  const [y, m, d] = date.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let instant = wall - zoneOffset(wall);
  instant = wall - zoneOffset(instant);
  return new Date(instant).toISOString();
}

function locale() {
  return lang() === "uk" ? "uk-UA" : "en-GB";
}

function clock(iso) {
  return new Intl.DateTimeFormat(locale(), { timeZone: ZONE, hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
}

function dayTitle(date) {
  const [y, m, d] = date.split("-").map(Number);
  return new Intl.DateTimeFormat(locale(), { timeZone: "UTC", weekday: "long", day: "numeric", month: "long" }).format(new Date(Date.UTC(y, m - 1, d)));
}

function serviceName(offering) {
  return lang() === "en" && offering.name_en ? offering.name_en : offering.name;
}

/** Free starts of a visit on one day, from the availability route. */
async function freeSlots(services, date, staffId) {
  const answer = await api("/api/booking/public/slots", { query: { services: services.join(","), from: date, days: 1, staff_id: staffId || undefined, lang: lang() } });
  return answer.days.flatMap((day) => day.slots);
}

/** A select of free times (filled by `fill`), with its status line. */
function slotPicker(label) {
  const select = el("select", { name: "start", required: true }, el("option", { value: "" }, t("cal.pickday")));
  const status = el("p", { class: "muted", role: "status" });
  let asked = 0;
  return {
    select,
    status,
    node: el("div", {}, field(label, select), status),
    async fill(services, date, staffId) {
      // Only the answer to the latest question is shown, and a time chosen stays chosen.
      asked += 1;
      const question = asked;
      const chosen = select.value;
      status.textContent = t("loading");
      try {
        const slots = await freeSlots(services, date, staffId);
        if (question !== asked) return;
        clear(
          select,
          slots.length ? null : el("option", { value: "" }, t("cal.noslots")),
          slots.map((slot) => el("option", { value: slot.start, dataset: { staff: slot.staff_ids[0] || "" } }, `${clock(slot.start)}–${clock(slot.end)}`)),
        );
        if (slots.some((slot) => slot.start === chosen)) select.value = chosen;
        status.textContent = slots.length ? t("cal.slotsfound", { n: slots.length }) : t("cal.noslots");
      } catch (error) {
        if (question !== asked) return;
        clear(select, el("option", { value: "" }, "—"));
        status.textContent = describe(error);
      }
    },
    staff() {
      return select.selectedOptions[0]?.dataset.staff || null;
    },
  };
}

/** A 409 on a booking said in plain words. */
function taken(form, error) {
  if (error.status !== 409) {
    showErrors(form, error);
    return;
  }
  const summary = form.querySelector(".form-error");
  summary.textContent = t("cal.taken");
  summary.hidden = false;
  summary.focus();
}

function bookForm(ctx, prefill, onBooked) {
  const clientId = el("input", { name: "client_id", type: "hidden", value: prefill.client || "" });
  const clientName = el("input", { name: "client", autocomplete: "off", required: true, placeholder: t("clients.searchhint") });
  const matches = el("ul", { class: "rows", "aria-label": t("clients.results"), hidden: true });
  const service = el("select", { name: "services", required: true }, ctx.offerings.map((offering) => el("option", { value: offering.key }, serviceName(offering))));
  const specialist = el("select", { name: "staff_id" });
  const date = el("input", { name: "date", type: "date", value: ctx.date, min: today(), required: true });
  const picker = slotPicker(t("cal.time"));
  const address = el("input", { name: "address", maxlength: 300, autocomplete: "off" });
  const note = el("textarea", { name: "note", rows: 2, maxlength: 2000 });
  const error = formError();
  const form = el(
    "form",
    { class: "booking-form", "aria-label": t("cal.book"), novalidate: true },
    field(t("cal.client"), clientName),
    matches,
    clientId,
    field(t("cal.service"), service),
    field(t("cal.specialist"), specialist),
    field(t("cal.date"), date),
    button(t("cal.showslots"), () => refresh()),
    picker.node,
    field(t("cal.address"), address),
    field(t("cal.note"), note),
    error,
    el("button", { type: "submit", class: "primary" }, t("cal.dobook")),
  );
  const offering = () => ctx.offerings.find((item) => item.key === service.value);
  const fillSpecialists = () => {
    const skills = offering()?.required_skills || [];
    const able = ctx.staff.filter((member) => member.active && skills.every((skill) => member.skills.includes(skill)));
    const chosen = specialist.value || ctx.owner;
    clear(specialist, el("option", { value: "" }, t("cal.anyone")), able.map((member) => el("option", { value: member.id, selected: member.id === chosen }, member.name)));
  };
  const refresh = () => (service.value && date.value ? picker.fill([service.value], date.value, specialist.value) : null);
  service.addEventListener("change", () => { fillSpecialists(); refresh(); });
  specialist.addEventListener("change", refresh);
  date.addEventListener("change", refresh);
  let searching = null;
  clientName.addEventListener("input", async () => {
    clientId.value = "";
    const q = clientName.value.trim();
    searching?.abort();
    if (q.length < 2) {
      matches.hidden = true;
      return;
    }
    searching = new AbortController();
    try {
      const found = await api("/api/clients/clients/search", { query: { q, limit: 8 }, signal: searching.signal });
      matches.hidden = false;
      clear(
        matches,
        found.items.length
          ? found.items.map((hit) =>
              el("li", { class: "row" }, button(hit.name || t("client.noname"), () => choose(hit.id, hit.name), { class: "link" }), hit.phone_hint ? el("span", { class: "muted" }, `…${hit.phone_hint}`) : null),
            )
          : el("li", { class: "empty" }, t("clients.nothing")),
      );
    } catch (failure) {
      if (failure.name !== "AbortError") fail(failure);
    }
  });
  const choose = async (id, name) => {
    clientId.value = id;
    clientName.value = name || "";
    matches.hidden = true;
    try {
      const client = await api(`/api/clients/clients/${encodeURIComponent(id)}`);
      clientName.value = client.name;
      const first = client.addresses?.[0];
      if (first && !address.value) address.value = [first.line, first.city].filter(Boolean).join(", ");
    } catch (failure) {
      fail(failure);
    }
  };
  fillSpecialists();
  if (prefill.client) choose(prefill.client, "");
  let key = newKey();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const problems = {};
    if (!clientId.value) problems.client = t("cal.chooseclient");
    if (!picker.select.value) problems.start = t("cal.choosetime");
    if (offering()?.at_client_address && !address.value.trim()) problems.address = t("cal.needaddress");
    if (Object.keys(problems).length) {
      showErrors(form, { status: 422, fields: problems });
      return;
    }
    const body = { services: [service.value], start: picker.select.value, client_id: clientId.value, staff_id: specialist.value || picker.staff() };
    if (prefill.deal) body.deal_id = prefill.deal;
    if (address.value.trim()) body.address = address.value.trim();
    if (note.value.trim()) body.note = note.value.trim();
    try {
      const booking = await api("/api/booking/bookings", { method: "POST", body, idempotencyKey: key });
      key = newKey();
      showErrors(form, null);
      notify(t("cal.booked", { when: `${dayTitle(isoDate(new Date(booking.starts_at)))} ${clock(booking.starts_at)}` }));
      onBooked(booking);
    } catch (failure) {
      key = newKey();
      taken(form, failure);
      if (failure.status === 409) refresh();
    }
  });
  return form;
}

function blockForm(ctx, onBlocked) {
  const date = el("input", { name: "date", type: "date", value: ctx.date, required: true });
  const from = el("input", { name: "start", type: "time", value: "13:00", required: true });
  const to = el("input", { name: "end", type: "time", value: "14:00", required: true });
  const note = el("input", { name: "note", maxlength: 300, autocomplete: "off" });
  const error = formError();
  const form = el(
    "form",
    { class: "inline", "aria-label": t("cal.block") },
    field(t("cal.date"), date),
    field(t("cal.from"), from),
    field(t("cal.to"), to),
    field(t("cal.reason"), note),
    error,
    el("button", { type: "submit" }, t("cal.doblock")),
  );
  let key = newKey();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!date.value || !from.value || !to.value || to.value <= from.value) {
      showErrors(form, { status: 422, fields: { end: t("cal.badrange") } });
      return;
    }
    try {
      const body = { owner_id: ctx.owner, start: zonedIso(date.value, from.value), end: zonedIso(date.value, to.value) };
      if (note.value.trim()) body.note = note.value.trim();
      await api("/api/booking/blocks", { method: "POST", body, idempotencyKey: key });
      key = newKey();
      showErrors(form, null);
      notify(t("cal.blocked"));
      onBlocked(date.value);
    } catch (failure) {
      key = newKey();
      taken(form, failure);
    }
  });
  return form;
}

function moveForm(ctx, entry, onMoved) {
  const date = el("input", { name: "date", type: "date", value: isoDate(new Date(entry.starts_at)), min: today(), required: true });
  const picker = slotPicker(t("cal.newtime"));
  const error = formError();
  const form = el(
    "form",
    { class: "inline", "aria-label": t("cal.moveof", { title: entry.title }) },
    field(t("cal.date"), date),
    picker.node,
    error,
    el("button", { type: "submit", class: "primary" }, t("cal.domove")),
  );
  const refresh = () => date.value && picker.fill(entry.services, date.value, entry.staff_id);
  date.addEventListener("change", refresh);
  refresh();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!picker.select.value) {
      showErrors(form, { status: 422, fields: { start: t("cal.choosetime") } });
      return;
    }
    try {
      const current = await api(`/api/booking/bookings/${entry.booking_id}`);
      await api(`/api/booking/bookings/${entry.booking_id}/move`, { method: "POST", body: { start: picker.select.value, staff_id: entry.staff_id, version: current.version } });
      notify(t("cal.moved"));
      onMoved(date.value);
    } catch (failure) {
      taken(form, failure);
      if (failure.status === 409) refresh();
    }
  });
  return form;
}

function cancelControl(entry, onCancelled) {
  const box = el("div", { class: "actions" });
  const ask = button(entry.kind === "block" ? t("cal.unblock") : t("cal.cancel"), () => {
    clear(
      box,
      el("span", { role: "alert" }, t("cal.cancelsure")),
      button(t("cal.yescancel"), confirm, { class: "primary" }),
      button(t("cal.keep"), () => clear(box, ask)),
    );
    box.querySelector("button.primary").focus();
  });
  const confirm = async () => {
    try {
      const current = await api(`/api/booking/bookings/${entry.booking_id}`);
      await api(`/api/booking/bookings/${entry.booking_id}/cancel`, { method: "POST", body: { version: current.version } });
      notify(entry.kind === "block" ? t("cal.unblocked") : t("cal.cancelled"));
      onCancelled();
    } catch (failure) {
      fail(failure);
    }
  };
  return clear(box, ask);
}

async function clientNames(entries) {
  // Office staff read the card; a field worker the visit card of his own job.
  const ids = [...new Set(entries.map((entry) => entry.client_id).filter(Boolean))];
  const names = new Map();
  await Promise.all(
    ids.map(async (id) => {
      const path = session.office ? `/api/clients/clients/${id}` : `/api/clients/clients/${id}/visit-card`;
      try {
        const card = await api(path);
        names.set(id, card);
      } catch {
        names.set(id, null);
      }
    }),
  );
  return names;
}

function entryItem(ctx, entry, card, redraw) {
  const actions = el("div", { class: "actions" });
  const item = el(
    "li",
    { class: `booking ${entry.kind}`, dataset: { booking: entry.booking_id } },
    el("p", { class: "when" }, el("strong", {}, `${clock(entry.starts_at)}–${clock(entry.ends_at)}`)),
    entry.kind === "block"
      ? el("p", {}, t("cal.blockedtime"), entry.title ? `: ${entry.title}` : "")
      : [
          el("p", {}, el("strong", {}, entry.title)),
          entry.client_id
            ? el("p", {}, `${t("cal.client")}: `, card ? (session.office ? el("a", { href: `#/clients/${entry.client_id}` }, card.name) : card.name) : t("client.noname"))
            : null,
          card?.phones?.[0] ? el("p", {}, el("a", { href: `tel:${card.phones[0].number}` }, card.phones[0].number)) : null,
          entry.address ? el("p", {}, `${t("cal.address")}: ${entry.address}`) : null,
          entry.deal_id && session.office ? el("p", {}, el("a", { href: `#/deals/${entry.deal_id}` }, t("deal.open"))) : null,
        ],
    actions,
  );
  if (session.office) {
    const moving = el("div");
    append(actions, entry.kind === "booking"
      ? button(t("cal.move"), () => {
          if (moving.childElementCount) clear(moving);
          else clear(moving, moveForm(ctx, entry, redraw)).querySelector("input")?.focus();
        }, { "aria-label": t("cal.moveof", { title: entry.title }) })
      : null, cancelControl(entry, () => redraw()));
    item.append(moving);
  }
  return item;
}

function append(node, ...children) {
  for (const child of children) if (child) node.append(child);
}

export async function render(view, arg) {
  const prefill = Object.fromEntries(new URLSearchParams(arg || ""));
  clear(view, heading(t("nav.calendar")), loading());
  const ctx = { staff: [], resources: [], offerings: [], owner: "", date: today(), days: 1 };
  try {
    const [staff, offerings, resources] = await Promise.all([
      api("/api/booking/staff"),
      api("/api/booking/services", { query: { limit: 100 } }),
      session.office ? api("/api/booking/resources").catch(() => ({ items: [] })) : { items: [] },
    ]);
    ctx.staff = staff.items;
    ctx.offerings = offerings.items;
    ctx.resources = resources.items.filter((resource) => resource.active !== false);
  } catch (error) {
    fail(error);
    clear(view, heading(t("nav.calendar")), el("p", { class: "empty" }, t("err.loadfailed")));
    return;
  }
  const mine = ctx.staff.filter((member) => member.user_id && member.user_id === session.userId);
  const visible = session.office ? ctx.staff.filter((member) => member.active) : mine;
  if (!visible.length && !ctx.resources.length) {
    clear(view, heading(t("nav.calendar")), el("p", { class: "empty" }, t("cal.nocalendar")));
    return;
  }
  const known = [...visible, ...ctx.resources].some((item) => item.id === prefill.owner);
  ctx.owner = known ? prefill.owner : (mine[0] || visible[0] || ctx.resources[0]).id;
  if (/^\d{4}-\d{2}-\d{2}$/.test(prefill.date || "")) ctx.date = prefill.date;
  const picker = el(
    "select",
    { id: "cal-owner", name: "owner_id" },
    el("optgroup", { label: t("cal.specialists") }, visible.map((member) => el("option", { value: member.id }, member.name))),
    ctx.resources.length ? el("optgroup", { label: t("cal.resources") }, ctx.resources.map((resource) => el("option", { value: resource.id }, resource.name))) : null,
  );
  picker.value = ctx.owner;
  const range = el("p", { class: "range", "aria-live": "polite" });
  const days = el("div", { class: "calendar-days" });
  const dayButton = button(t("cal.day"), () => setDays(1), { "aria-pressed": "true" });
  const weekButton = button(t("cal.week"), () => setDays(7), { "aria-pressed": "false" });
  const setDays = (count) => {
    ctx.days = count;
    if (count === 7) ctx.date = monday(ctx.date);
    dayButton.setAttribute("aria-pressed", String(count === 1));
    weekButton.setAttribute("aria-pressed", String(count === 7));
    draw();
  };
  const shift = (sign) => {
    ctx.date = addDays(ctx.date, sign * ctx.days);
    draw();
  };
  async function draw() {
    clear(days, loading());
    range.textContent = ctx.days === 1 ? dayTitle(ctx.date) : `${dayTitle(ctx.date)} — ${dayTitle(addDays(ctx.date, 6))}`;
    try {
      const answer = await api("/api/booking/calendar", { query: { owner_id: ctx.owner, from: ctx.date, days: ctx.days } });
      const entries = answer.items.filter((entry) => entry.kind === "block" || entry.client_id || entry.title).sort((a, b) => a.starts_at.localeCompare(b.starts_at));
      const cards = await clientNames(entries);
      const redraw = (date) => {
        if (date && (date < ctx.date || date >= addDays(ctx.date, ctx.days))) ctx.date = ctx.days === 7 ? monday(date) : date;
        draw();
      };
      clear(days);
      for (let index = 0; index < ctx.days; index += 1) {
        const date = addDays(ctx.date, index);
        const ofDay = entries.filter((entry) => isoDate(new Date(entry.starts_at)) === date);
        const titleId = `day-${date}`;
        days.append(
          el(
            "section",
            { class: "day", "aria-labelledby": titleId },
            el("h2", { id: titleId }, dayTitle(date)),
            el("ul", { class: "bookings" }, ofDay.length ? ofDay.map((entry) => entryItem(ctx, entry, cards.get(entry.client_id), redraw)) : el("li", { class: "empty" }, t("cal.free"))),
          ),
        );
      }
    } catch (error) {
      fail(error);
      clear(days, el("p", { class: "empty" }, t("err.loadfailed")));
    }
  }
  picker.addEventListener("change", () => {
    ctx.owner = picker.value;
    draw();
  });
  const onBooked = (booking) => {
    if (booking.staff_id) {
      ctx.owner = booking.staff_id;
      picker.value = booking.staff_id;
    }
    const date = isoDate(new Date(booking.starts_at));
    ctx.date = ctx.days === 7 ? monday(date) : date;
    draw();
  };
  clear(
    view,
    heading(t("nav.calendar")),
    el(
      "div",
      { class: "toolbar" },
      el("label", { for: "cal-owner" }, t("cal.whose")),
      picker,
      el("div", { role: "group", "aria-label": t("cal.view"), class: "actions" }, dayButton, weekButton),
      el("div", { role: "group", "aria-label": t("cal.move.range"), class: "actions" }, button(t("prev"), () => shift(-1)), button(t("cal.today"), () => { ctx.date = ctx.days === 7 ? monday(today()) : today(); draw(); }), button(t("next"), () => shift(1))),
    ),
    range,
    days,
    session.office && ctx.offerings.length ? el("details", { class: "tool", open: Boolean(prefill.client) }, el("summary", {}, t("cal.book")), bookForm(ctx, prefill, onBooked)) : null,
    session.office ? el("details", { class: "tool" }, el("summary", {}, t("cal.block")), blockForm(ctx, (date) => { ctx.date = ctx.days === 7 ? monday(date) : date; draw(); })) : null,
  );
  await draw();
}
