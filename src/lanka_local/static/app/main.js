// The staff app's shell: sign-in first, then the screens the user's roles allow, chosen by
// the address (#/clients/…); the language switch and the unread feed count live here.

import { api, onApiError } from "./api.js";
import { el, clear, field } from "./dom.js";
import { t, lang, setLang } from "./i18n.js";
import { session } from "./session.js";
import { notify, formError, showErrors } from "./ui.js";
import { unreadCount } from "./screens/feed.js";

// Screens: which roles see them, and the module that draws them (loaded on first use).
const SCREENS = [
  { path: "inbox", label: "nav.inbox", office: true, load: () => import("./screens/inbox.js") },
  { path: "clients", label: "nav.clients", office: true, load: () => import("./screens/clients.js") },
  { path: "board", label: "nav.board", office: true, load: () => import("./screens/board.js") },
  { path: "tasks", label: "nav.tasks", load: () => import("./screens/tasks.js") },
  { path: "feed", label: "nav.feed", load: () => import("./screens/feed.js") },
  // Reports and settings (issue 8, part 2).
  { path: "reports", label: "nav.reports", office: true, load: () => import("./screens/reports.js") },
  { path: "settings", label: "nav.settings", roles: ["admin"], load: () => import("./screens/settings.js") },
  // Calendar and conversations (issue 8, second part).
  { path: "calendar", label: "nav.calendar", load: () => import("./screens/calendar.js") },
  { path: "conversations", label: "nav.conversations", office: true, load: () => import("./screens/conversations.js") },
];
const DETAILS = {
  clients: () => import("./screens/client.js"),
  deals: () => import("./screens/deal.js"),
};

const app = document.getElementById("app");
let feedTimer;

function allowed(screen) {
  return (!screen.office || session.office) && (!screen.roles || session.has(...screen.roles));
}

function home() {
  return session.office ? "inbox" : "tasks";
}

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  return parts.length ? parts : [home()];
}

function signInScreen() {
  document.title = `${t("signin.title")} · Lanka CRM`;
  const username = el("input", { name: "username", autocomplete: "username", required: true });
  const password = el("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const error = formError();
  const form = el(
    "form",
    { class: "signin card", novalidate: true },
    el("h1", {}, "Lanka CRM"),
    el("p", {}, t("signin.title")),
    field(t("signin.username"), username),
    field(t("signin.password"), password),
    error,
    el("button", { type: "submit", class: "primary" }, t("signin.submit")),
    langSwitch(),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!username.value || !password.value) {
      error.textContent = t("signin.missing");
      error.hidden = false;
      return;
    }
    try {
      const tokens = await api("/api/clients/auth/login", { method: "POST", body: { username: username.value, password: password.value } });
      session.signIn(tokens.id_token);
      render();
    } catch (failure) {
      if (String(failure.problem?.type || "").endsWith("/password-change-required")) {
        firstPasswordScreen(username.value, password.value);
        return;
      }
      showErrors(form, null);
      error.textContent = failure.network ? t("err.network") : t("signin.wrong");
      error.hidden = false;
      password.focus();
    }
  });
  clear(app, el("div", { id: "notice", class: "notice", role: "status", hidden: true }), el("main", { id: "view", tabindex: "-1" }, form));
  username.focus();
}

/** The first sign-in of a new user: the password the admin gave is replaced by his own. */
function firstPasswordScreen(username, given) {
  document.title = `${t("password.title")} · Lanka CRM`;
  const fresh = el("input", { name: "new_password", type: "password", autocomplete: "new-password", required: true });
  const again = el("input", { name: "repeat", type: "password", autocomplete: "new-password", required: true });
  const error = formError();
  const form = el(
    "form",
    { class: "signin card", novalidate: true, "aria-label": t("password.title") },
    el("h1", {}, t("password.title")),
    el("p", {}, t("password.why")),
    field(t("password.new"), fresh, t("password.hint")),
    field(t("password.repeat"), again),
    error,
    el("button", { type: "submit", class: "primary" }, t("password.submit")),
  );
  const refuse = (control, messages) => {
    showErrors(form, null);
    const box = document.getElementById(`${control.id}-error`);
    box.textContent = messages.join(" ");
    box.hidden = false;
    control.setAttribute("aria-invalid", "true");
    control.focus();
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (fresh.value !== again.value) {
      refuse(again, [t("password.mismatch")]);
      return;
    }
    try {
      const tokens = await api("/api/clients/auth/change-password", { method: "POST", body: { username, old_password: given, new_password: fresh.value } });
      session.signIn(tokens.id_token);
      render();
    } catch (failure) {
      if (failure.status === 422) {
        const { plain } = await import("./screens/settings/form.js");
        refuse(fresh, (failure.problem.errors || []).map(plain));
        return;
      }
      showErrors(form, null);
      error.textContent = failure.network ? t("err.network") : t("signin.wrong");
      error.hidden = false;
    }
  });
  clear(app, el("div", { id: "notice", class: "notice", role: "status", hidden: true }), el("main", { id: "view", tabindex: "-1" }, form));
  fresh.focus();
}

function langSwitch() {
  const other = lang() === "uk" ? "en" : "uk";
  return el(
    "button",
    { type: "button", class: "link lang", lang: other, onclick: () => { setLang(other); render(); } },
    other === "en" ? "English" : "Українська",
  );
}

function shell(current) {
  const nav = el(
    "nav",
    { "aria-label": t("nav.label") },
    el(
      "ul",
      {},
      SCREENS.filter(allowed).map((screen) =>
        el(
          "li",
          {},
          el(
            "a",
            { href: `#/${screen.path}`, "aria-current": screen.path === current ? "page" : null },
            t(screen.label),
            screen.path === "feed" ? el("span", { class: "badge", id: "unread", hidden: true }) : null,
          ),
        ),
      ),
    ),
  );
  const header = el(
    "header",
    { class: "top" },
    el("a", { class: "brand", href: `#/${home()}` }, "Lanka CRM"),
    nav,
    el(
      "div",
      { class: "who" },
      el("span", { class: "muted" }, `${session.username} · ${session.roles.map((role) => t(`role.${role}`)).join(", ")}`),
      langSwitch(),
      el("button", { type: "button", class: "link", onclick: signOut }, t("signout")),
    ),
  );
  const notice = el("div", { id: "notice", class: "notice", role: "status", hidden: true });
  const view = el("main", { id: "view", tabindex: "-1" });
  clear(app, header, notice, view);
  return view;
}

function signOut() {
  session.signOut();
  clearInterval(feedTimer);
  location.hash = "";
  render();
}

async function refreshUnread() {
  const badge = document.getElementById("unread");
  if (!badge) return;
  try {
    const count = await unreadCount();
    badge.textContent = String(count);
    badge.hidden = count === 0;
    badge.setAttribute("aria-label", t("feed.unread", { n: count }));
  } catch {
    // The count is a hint; the feed screen itself reports a failure.
  }
}

async function render() {
  document.documentElement.lang = lang();
  if (!session.valid) {
    session.signOut();
    signInScreen();
    return;
  }
  const [first, id] = route();
  const screen = SCREENS.find((item) => item.path === first);
  const view = shell(screen ? first : null);
  let module;
  try {
    if (id && DETAILS[first] && session.office) module = await DETAILS[first]();
    else if (screen && allowed(screen)) module = await screen.load();
  } catch {
    notify(t("err.network"), "error");
    return;
  }
  if (!module) {
    clear(view, el("h1", {}, t("err.404")), el("a", { href: `#/${home()}` }, t("nav.home")));
    return;
  }
  await module.render(view, id);
  // For the browser bench: when this screen stood drawn with its data.
  performance.mark(`lanka:${first}`);
  view.querySelector("h1")?.focus();
  refreshUnread();
}

onApiError((error) => {
  if (error.status === 401 && session.token) {
    // The session ran out: back to sign-in, at the same address.
    session.signOut();
    render();
    notify(t("err.401"), "error");
  }
});

window.addEventListener("hashchange", render);
window.addEventListener("lanka:unread", refreshUnread);
feedTimer = setInterval(() => session.valid && refreshUnread(), 30000);
render();
