// The staff: who has access with which roles; add a user, change someone's roles, and
// deactivate someone who leaves, handing his clients, deals and tasks over.

import { api } from "../../api.js";
import { el, clear, field } from "../../dom.js";
import { t } from "../../i18n.js";
import { session } from "../../session.js";
import { notify, formError, button } from "../../ui.js";
import { staffList } from "../people.js";
import { ROLES, controls, group, settingsForm, showProblem } from "./form.js";

/** A checkbox per role, read back as the list of roles ticked; errors about them land on the group. */
function roleBoxes(legend, roles) {
  const made = controls(ROLES.map((role) => ({ key: role, kind: "check", label: t(`role.${role}`) })), Object.fromEntries(roles.map((role) => [role, true])));
  return { node: group(legend, "roles", el("div", { class: "row" }, made.nodes)), read: () => ROLES.filter((role) => made.inputs[role].checked) };
}

function rolesForm(person, onDone) {
  const name = person.name || person.username;
  const boxes = roleBoxes(t("staff.rolesof", { name }), person.roles);
  const form = settingsForm({
    label: t("staff.rolesof", { name }),
    parts: [boxes.node],
    submit: t("staff.saveroles"),
    save: () => api(`/api/clients/staff/${encodeURIComponent(person.username)}/roles`, { method: "PUT", body: { roles: boxes.read() } }),
    saved: onDone,
  });
  form.hidden = true;
  return form;
}

function addForm(onDone) {
  const made = controls([
    { key: "username", label: t("signin.username"), hint: t("staff.usernamehint"), attrs: { maxlength: 40, autocomplete: "off" } },
    { key: "name", label: t("staff.name"), attrs: { maxlength: 120 } },
    { key: "email", label: "E-mail", type: "email", attrs: { maxlength: 254 } },
    { key: "password", label: t("staff.password"), hint: t("staff.passwordhint"), attrs: { maxlength: 128, autocomplete: "new-password" } },
  ]);
  const boxes = roleBoxes(t("staff.roles"), []);
  return settingsForm({
    label: t("staff.add"),
    parts: [el("h3", {}, t("staff.add")), el("div", { class: "row" }, made.nodes), boxes.node],
    submit: t("staff.addsubmit"),
    save: () => api("/api/clients/staff", { method: "POST", body: { ...made.read(), roles: boxes.read() } }),
    saved: (person) => {
      notify(t("staff.added", { name: person.name || person.username }));
      return onDone();
    },
  });
}

function deactivateForm(person, heirs, onDone) {
  const heir = el(
    "select",
    { name: "hand_over_to" },
    el("option", { value: "" }, t("staff.nobody")),
    heirs.map((other) => el("option", { value: other.username }, other.name || other.username)),
  );
  const form = el(
    "form",
    { class: "inline", hidden: true, "aria-label": t("staff.deactivateof", { name: person.name || person.username }), novalidate: true },
    field(t("staff.handover"), heir),
    el("button", { type: "submit", class: "danger" }, t("staff.confirm")),
    formError(),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api(`/api/clients/staff/${encodeURIComponent(person.username)}/deactivate`, { method: "POST", body: { hand_over_to: heir.value || null } });
      notify(t("staff.deactivated", { name: person.name || person.username }));
      onDone();
    } catch (failure) {
      showProblem(form, failure);
    }
  });
  return form;
}

export async function staff(box) {
  const people = await staffList(true);
  const active = people.filter((person) => person.active);
  const rows = people.map((person) => {
    const name = person.name || person.username;
    const form = person.active && person.user_id !== session.userId
      ? deactivateForm(person, active.filter((other) => other.user_id !== person.user_id), () => staff(box))
      : null;
    const toggle = form
      ? button(t("staff.deactivate"), () => { form.hidden = !form.hidden; if (!form.hidden) form.querySelector("select").focus(); }, { "aria-label": t("staff.deactivateof", { name }) })
      : null;
    const roles = person.active ? rolesForm(person, () => staff(box)) : null;
    const change = roles
      ? button(t("staff.changeroles"), () => { roles.hidden = !roles.hidden; if (!roles.hidden) roles.querySelector("input").focus(); }, { "aria-label": t("staff.changerolesof", { name }) })
      : null;
    return el(
      "tr",
      { class: person.active ? "" : "muted" },
      el("th", { scope: "row" }, name),
      el("td", {}, person.username),
      el("td", {}, person.roles.map((role) => t(`role.${role}`)).join(", ")),
      el("td", {}, person.active ? t("staff.active") : t("staff.inactive")),
      el("td", {}, change, toggle, roles, form),
    );
  });
  clear(
    box,
    el(
      "table",
      {},
      el("caption", {}, t("settings.staff")),
      el("thead", {}, el("tr", {}, [t("staff.name"), t("signin.username"), t("staff.roles"), t("staff.state"), t("doc.actions")].map((text) => el("th", { scope: "col" }, text)))),
      el("tbody", {}, rows),
    ),
    addForm(() => staff(box)),
  );
}
