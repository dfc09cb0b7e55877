// What can be booked and when: the bookable services, each specialist's and resource's
// weekly hours, breaks, days off, vacations and one-day changes, the districts with travel
// minutes between them, and the booking policy (how late a visitor may change, reminders).

import { api } from "../../api.js";
import { el } from "../../dom.js";
import { t } from "../../i18n.js";
import { staffList } from "../people.js";
import { controls, editableList, group, picker, refuse, scope, settingsForm } from "./form.js";

const NEW = "__new";
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

// ------------------------------------------------------------------------------ services

function serviceSpecs(isNew) {
  return [
    isNew ? { key: "key", label: t("svc.key"), hint: t("svc.keyhint"), attrs: { maxlength: 40 } } : null,
    { key: "name", label: t("svc.name"), attrs: { maxlength: 120 } },
    { key: "name_en", label: t("svc.name_en"), attrs: { maxlength: 120 } },
    { key: "description", kind: "textarea", label: t("svc.description"), attrs: { maxlength: 1000 } },
    { key: "description_en", kind: "textarea", label: t("svc.description_en"), attrs: { maxlength: 1000 } },
    { key: "duration_minutes", kind: "number", label: t("svc.duration"), hint: t("svc.quarters") },
    { key: "price", kind: "money", label: t("svc.price"), hint: t("svc.pricehint") },
    { key: "at_client_address", kind: "check", label: t("svc.onsite") },
    { key: "required_skills", kind: "list", label: t("svc.skills"), hint: t("svc.skillshint") },
    { key: "required_resource_kinds", kind: "list", label: t("svc.resources"), hint: t("svc.resourceshint") },
    { key: "seats", kind: "number", label: t("svc.seats"), hint: t("svc.seatshint") },
    { key: "allows_staff_choice", kind: "check", label: t("svc.choice") },
    { key: "slot_step_minutes", kind: "number", label: t("svc.step") },
    { key: "buffer_before_minutes", kind: "number", label: t("svc.before") },
    { key: "buffer_after_minutes", kind: "number", label: t("svc.after") },
    { key: "min_notice_minutes", kind: "number", label: t("svc.notice") },
    { key: "horizon_days", kind: "number", label: t("svc.horizon") },
  ].filter(Boolean);
}

const BLANK_SERVICE = {
  duration_minutes: 60, slot_step_minutes: 30, buffer_before_minutes: 0, buffer_after_minutes: 0,
  min_notice_minutes: 120, horizon_days: 60, seats: 1, allows_staff_choice: true, required_skills: [], required_resource_kinds: [],
};

function serviceForm(offering, again) {
  const isNew = !offering.id;
  const values = { ...offering, price: offering.price?.amount ?? null };
  const { nodes, read } = controls(serviceSpecs(isNew), values);
  return settingsForm({
    label: isNew ? t("svc.new") : t("svc.editof", { name: offering.name }),
    parts: [el("div", { class: "row" }, nodes)],
    save: async () => {
      const typed = read();
      const body = { ...typed, key: isNew ? typed.key : offering.key, price: typed.price === null ? null : { amount: typed.price, currency: offering.price?.currency || "UAH" } };
      if (isNew) return api("/api/booking/services", { method: "POST", body });
      return api(`/api/booking/services/${encodeURIComponent(offering.id)}`, { method: "PUT", body });
    },
    saved: () => again(),
  });
}

export async function services(box) {
  const all = (await api("/api/booking/services", { query: { limit: 200 } })).items;
  await picker(box, {
    label: t("svc.choose"),
    items: [...all.map((item) => [item.id, item.name]), [NEW, t("svc.new")]],
    draw: async (id) => (id === NEW ? serviceForm({ ...BLANK_SERVICE }, () => services(box)) : serviceForm(await api(`/api/booking/services/${encodeURIComponent(id)}`), () => services(box))),
  });
}

// ------------------------------------------------------------------------------ working hours

const RANGE = /^(\d{1,2}):(\d{2})\s*[-–—]\s*(\d{1,2}):(\d{2})$/;

function rangesText(ranges) {
  return (ranges || []).map((range) => `${range.start}–${range.end}`).join(", ");
}

/** "09:00-13:00, 14:00-18:00" as time ranges; null when a part is not a range. */
function parseRanges(text) {
  const parts = text.split(",").map((part) => part.trim()).filter(Boolean);
  const ranges = [];
  for (const part of parts) {
    const found = part.match(RANGE);
    if (!found) return null;
    const pad = (value) => value.padStart(2, "0");
    ranges.push({ start: `${pad(found[1])}:${found[2]}`, end: `${pad(found[3])}:${found[4]}` });
  }
  return ranges;
}

function weekControls(kind, plan) {
  const specs = WEEKDAYS.map((day) => ({ key: day, label: t(`day.${day}`), attrs: { placeholder: kind === "weekly" ? "09:00–18:00" : "13:00–14:00" } }));
  const made = controls(specs, Object.fromEntries(WEEKDAYS.map((day) => [day, rangesText(plan?.[day])])));
  return { node: scope(kind, el("div", { class: "row" }, made.nodes)), inputs: made.inputs };
}

function vacationEntry(vacation) {
  const made = controls(
    [
      { key: "first", label: t("hours.first"), type: "date" },
      { key: "last", label: t("hours.last"), type: "date" },
    ],
    vacation,
  );
  return { node: group(t("hours.vacation"), "", el("div", { class: "row" }, made.nodes)), read: made.read };
}

// A date with other hours than the week says: the hours typed as on a weekday, empty = off.
function overrideEntry(change) {
  const made = controls(
    [
      { key: "date", label: t("hours.overridedate"), type: "date" },
      { key: "hours", label: t("hours.overridehours"), hint: t("hours.overridehint"), attrs: { placeholder: "10:00–14:00" } },
    ],
    { date: change.date, hours: rangesText(change.hours) },
  );
  return { node: group(t("hours.override"), "", el("div", { class: "row" }, made.nodes)), read: made.read };
}

const BLANK_HOURS = { time_zone: "Europe/Kyiv", weekly: {}, breaks: {}, days_off: [], vacations: [], overrides: [] };

/**
 * The working-hours part of a form (a specialist's or a resource's): the week, breaks, days
 * off, vacations and one-day changes, under the body's `hours`. read(form) gives the hours
 * in the API's shape, or undefined after showing what is not a time range beside it.
 */
function hoursEditor(hours) {
  const weekly = weekControls("weekly", hours.weekly);
  const breaks = weekControls("breaks", hours.breaks);
  const daysOff = controls([{ key: "days_off", kind: "list", label: t("hours.daysoff"), hint: t("hours.daysoffhint") }], hours);
  const vacations = editableList({ list: "vacations", items: hours.vacations || [], make: vacationEntry, addLabel: t("hours.addvacation"), removeLabel: t("hours.removevacation"), blank: { first: "", last: "" } });
  const overrides = editableList({ list: "overrides", items: hours.overrides || [], make: overrideEntry, addLabel: t("hours.addoverride"), removeLabel: t("hours.removeoverride"), blank: { date: "", hours: [] } });
  const node = scope(
    "hours",
    group(t("hours.weekly"), "weekly", el("small", {}, t("hours.rangehint")), weekly.node),
    group(t("hours.breaks"), "breaks", breaks.node),
    daysOff.nodes,
    group(t("hours.vacations"), "vacations", vacations.node),
    group(t("hours.overrides"), "overrides", el("small", {}, t("hours.overrideshint")), overrides.node),
  );
  const read = (form) => {
    const plan = {};
    for (const [kind, part] of [["weekly", weekly], ["breaks", breaks]]) {
      plan[kind] = {};
      for (const day of WEEKDAYS) {
        const ranges = parseRanges(part.inputs[day].value);
        if (ranges === null) {
          refuse(form, `hours.${kind}.${day}`, t("hours.badrange"));
          return undefined;
        }
        if (ranges.length) plan[kind][day] = ranges;
      }
    }
    const changes = [];
    const seen = new Set();
    for (const [index, typed] of overrides.read().entries()) {
      const ranges = parseRanges(typed.hours ?? "");
      if (ranges === null) {
        refuse(form, `hours.overrides.${index}.hours`, t("hours.badrange"));
        return undefined;
      }
      if (typed.date && seen.has(typed.date)) {
        refuse(form, `hours.overrides.${index}.date`, t("hours.twodates"));
        return undefined;
      }
      seen.add(typed.date);
      changes.push({ date: typed.date, hours: ranges });
    }
    return { ...BLANK_HOURS, ...hours, ...plan, days_off: daysOff.read().days_off, vacations: vacations.read(), overrides: changes };
  };
  return { node, read };
}

const BLANK_MEMBER = { name: "", skills: [], home_zone: null, active: true, user_id: null, hours: structuredClone(BLANK_HOURS) };

function hoursForm(member, zones, users, again) {
  const isNew = !member.id;
  const head = controls(
    [
      { key: "name", label: t("hours.name"), hint: t("hours.namehint"), attrs: { maxlength: 80 } },
      { key: "user_id", kind: "select", label: t("hours.user"), hint: t("hours.userhint"), blank: "—", options: users },
      { key: "skills", kind: "list", label: t("hours.skills"), hint: t("svc.skillshint") },
      { key: "home_zone", kind: "select", label: t("hours.zone"), blank: "—", options: zones },
      { key: "active", kind: "check", label: t("hours.active") },
    ],
    member,
  );
  const plan = hoursEditor(member.hours || {});
  const form = settingsForm({
    label: isNew ? t("hours.new") : t("hours.of", { name: member.name }),
    parts: [el("div", { class: "row" }, head.nodes), plan.node],
    save: async () => {
      const hours = plan.read(form);
      if (hours === undefined) return undefined;
      const body = { ...head.read(), hours };
      if (isNew) return api("/api/booking/staff", { method: "POST", body });
      return api(`/api/booking/staff/${encodeURIComponent(member.id)}`, { method: "PUT", body: { ...body, version: member.version } });
    },
    saved: again,
  });
  return form;
}

// A resource's own hours (a room open only in the daytime); without them it is free
// whenever it is not booked.
function resourceHoursForm(resource, again) {
  const own = controls([{ key: "own", kind: "check", label: t("res.ownhours") }], { own: Boolean(resource.hours) });
  const plan = hoursEditor(resource.hours || structuredClone(BLANK_HOURS));
  const shown = () => {
    plan.node.hidden = !own.inputs.own.checked;
  };
  own.inputs.own.addEventListener("change", shown);
  shown();
  const form = settingsForm({
    label: t("res.hoursof", { name: resource.name }),
    parts: [own.nodes, plan.node],
    save: async () => {
      let hours = null;
      if (own.read().own) {
        hours = plan.read(form);
        if (hours === undefined) return undefined;
      }
      const body = { name: resource.name, kind: resource.kind, active: resource.active, hours, version: resource.version };
      return api(`/api/booking/resources/${encodeURIComponent(resource.id)}`, { method: "PUT", body });
    },
    saved: again,
  });
  return form;
}

export async function hours(box) {
  const [staff, zones, people, resources] = await Promise.all([api("/api/booking/staff"), api("/api/booking/zones"), staffList(), api("/api/booking/resources")]);
  const users = people.filter((person) => person.active).map((person) => [person.user_id, person.name || person.username]);
  const members = el("div");
  const things = el("div");
  box.replaceChildren(members, el("h3", {}, t("res.hourstitle")), things);
  await picker(members, {
    label: t("hours.choose"),
    items: [...staff.items.map((member) => [member.id, member.name]), [NEW, t("hours.new")]],
    draw: async (id, again) => {
      if (id === NEW) return hoursForm(structuredClone(BLANK_MEMBER), zones.zones, users, () => hours(box));
      return hoursForm(await api(`/api/booking/staff/${encodeURIComponent(id)}`), zones.zones, users, again);
    },
  });
  if (!resources.items.length) {
    things.replaceChildren(el("p", { class: "muted" }, t("res.none")));
    return;
  }
  await picker(things, {
    label: t("res.choose"),
    items: resources.items.map((item) => [item.id, `${item.name} (${item.kind})`]),
    draw: async (id) => {
      // Read afresh: the form sends the version it shows.
      const current = (await api("/api/booking/resources")).items.find((item) => item.id === id);
      return resourceHoursForm(current, () => hours(box));
    },
  });
}

// ------------------------------------------------------------------------------ zones and policy

function travelEntry(zones) {
  return (travel) => {
    const [from, to] = travel.between || [];
    const made = controls(
      [
        { key: "from", kind: "select", label: t("zones.from"), options: zones },
        { key: "to", kind: "select", label: t("zones.to"), options: zones },
        { key: "minutes", kind: "number", label: t("zones.minutes") },
      ],
      { from, to, minutes: travel.minutes },
    );
    const read = () => {
      const value = made.read();
      return { between: [value.from, value.to], minutes: value.minutes };
    };
    return { node: group(t("zones.trip"), "", el("div", { class: "row" }, made.nodes)), read };
  };
}

function zonesForm(current, again) {
  const head = controls(
    [
      { key: "zones", kind: "list", label: t("zones.list"), hint: t("zones.listhint") },
      { key: "default_travel_minutes", kind: "number", label: t("zones.default") },
    ],
    current,
  );
  const travel = editableList({ list: "travel", items: current.travel || [], make: travelEntry(current.zones), addLabel: t("zones.addtrip"), removeLabel: t("zones.removetrip"), blank: () => ({ between: [current.zones[0], current.zones[1] ?? current.zones[0]], minutes: 30 }) });
  return settingsForm({
    label: t("zones.title"),
    parts: [el("h3", {}, t("zones.title")), head.nodes, el("p", { class: "muted" }, t("zones.triphint")), travel.node],
    save: () => api("/api/booking/zones", { method: "PUT", body: { ...head.read(), travel: travel.read(), version: current.version } }),
    saved: again,
  });
}

function policyForm(current, again) {
  const { nodes, read } = controls(
    [
      { key: "change_window_hours", kind: "number", label: t("policy.window"), hint: t("policy.windowhint") },
      { key: "reminder_offsets_minutes", kind: "list", of: "number", label: t("policy.reminders"), hint: t("rule.remindershint") },
      { key: "company_name", label: t("policy.company") },
      { key: "company_email", label: t("policy.email"), type: "email" },
      { key: "public_api_url", label: t("policy.url"), type: "url" },
    ],
    current,
  );
  return settingsForm({
    label: t("policy.title"),
    parts: [el("h3", {}, t("policy.title")), nodes],
    save: () => api("/api/booking/settings", { method: "PUT", body: { ...read(), version: current.version } }),
    saved: again,
  });
}

function resourceForm(resource, again) {
  const isNew = !resource.id;
  const { nodes, read } = controls(
    [
      { key: "name", label: t("res.name"), attrs: { maxlength: 80 } },
      { key: "kind", label: t("res.kind"), hint: t("res.kindhint"), attrs: { maxlength: 40 } },
      { key: "active", kind: "check", label: t("res.active") },
    ],
    resource,
  );
  return settingsForm({
    label: isNew ? t("res.new") : t("res.editof", { name: resource.name }),
    parts: [el("div", { class: "row" }, nodes)],
    save: () => {
      // Hours are kept as they are (set in the working hours area).
      const body = { ...read(), hours: resource.hours ?? null };
      if (isNew) return api("/api/booking/resources", { method: "POST", body });
      return api(`/api/booking/resources/${encodeURIComponent(resource.id)}`, { method: "PUT", body: { ...body, version: resource.version } });
    },
    saved: again,
  });
}

export async function booking(box) {
  const again = () => booking(box);
  const [zones, policy, resources] = await Promise.all([api("/api/booking/zones"), api("/api/booking/settings"), api("/api/booking/resources")]);
  const place = el("div");
  await picker(place, {
    label: t("res.choose"),
    items: [...resources.items.map((item) => [item.id, `${item.name} (${item.kind})`]), [NEW, t("res.new")]],
    draw: (id) => resourceForm(id === NEW ? { name: "", kind: "", active: true } : resources.items.find((item) => item.id === id), again),
  });
  box.replaceChildren(policyForm(policy, again), zonesForm(zones, again), el("h3", {}, t("res.title")), place);
}
