// Clients: search as you type (debounced, the previous search cancelled), the list a page
// at a time (cursor pages, so 100,000 clients cost what 50 do), and the tools: duplicates
// and merge (head, admin), CSV import with progress and its error report, export (admin).

import { api, newKey } from "../api.js";
import { el, clear, field, debounce } from "../dom.js";
import { t } from "../i18n.js";
import { session } from "../session.js";
import { heading, when, fail, notify, button, describe } from "../ui.js";

const PAGE = 50;

function clientLink(client, extra) {
  return el(
    "li",
    { class: "row" },
    el("a", { href: `#/clients/${client.id}` }, client.name || t("client.noname")),
    el("span", { class: "muted" }, extra),
  );
}

function searchBox(results) {
  const input = el("input", { type: "search", name: "q", autocomplete: "off", "aria-controls": "search-results", placeholder: t("clients.searchhint") });
  const status = el("p", { class: "muted", role: "status" });
  let running = null;
  const run = debounce(async () => {
    const q = input.value.trim();
    running?.abort();
    if (q.length < 2) {
      clear(results);
      status.textContent = "";
      results.hidden = true;
      return;
    }
    running = new AbortController();
    try {
      const found = await api("/api/clients/clients/search", { query: { q, limit: 20 }, signal: running.signal });
      results.hidden = false;
      clear(
        results,
        found.items.map((hit) => clientLink(hit, [hit.phone_hint ? ` · …${hit.phone_hint}` : "", hit.email_hint ? ` · ${hit.email_hint}` : ""].join(""))),
      );
      status.textContent = found.items.length ? t("clients.found", { n: found.items.length }) : t("clients.nothing");
    } catch (error) {
      if (error.name === "AbortError") return;
      status.textContent = error.status === 422 ? error.fields.q || describe(error) : describe(error);
    }
  }, 300);
  input.addEventListener("input", run);
  return el("search", {}, field(t("clients.search"), input), status);
}

function duplicatesTool() {
  const list = el("ul", { class: "rows" });
  const more = el("div");
  // The finder reads the base a page at a time: pages without a pair are passed over
  // (a few at a go) so that "show more" always shows something when there is more.
  const load = async (cursor, first = !cursor) => {
    try {
      let page = await api("/api/clients/clients/duplicates", { query: { cursor, limit: 25 } });
      for (let skipped = 0; !page.items.length && page.next_cursor && skipped < 20; skipped += 1) {
        page = await api("/api/clients/clients/duplicates", { query: { cursor: page.next_cursor, limit: 25 } });
      }
      if (first) clear(list);
      for (const pair of page.items) {
        const row = el(
          "li",
          { class: "row" },
          el("a", { href: `#/clients/${pair.client_id}` }, pair.name),
          " ⇄ ",
          el("a", { href: `#/clients/${pair.other_id}` }, pair.other_name),
          el("span", { class: "muted" }, ` · ${pair.reason}`),
          button(t("dup.merge", { name: pair.name }), async () => {
            try {
              await api(`/api/clients/clients/${pair.client_id}/merge`, { method: "POST", body: { other_id: pair.other_id } });
              notify(t("dup.merged"));
              row.remove();
            } catch (error) {
              fail(error);
            }
          }),
        );
        list.append(row);
      }
      if (!list.children.length) list.append(el("li", { class: "empty" }, t("dup.none")));
      clear(more, page.next_cursor ? button(t("more"), () => load(page.next_cursor, false)) : null);
    } catch (error) {
      fail(error);
    }
  };
  const details = el("details", { class: "tool" }, el("summary", {}, t("dup.title")), el("p", { class: "muted" }, t("dup.about")), list, more);
  details.addEventListener("toggle", () => details.open && load());
  return details;
}

function importTool() {
  const file = el("input", { type: "file", name: "file", accept: ".csv,text/csv" });
  const onDuplicate = el("select", { name: "on_duplicate" }, el("option", { value: "skip" }, t("import.skip")), el("option", { value: "link" }, t("import.link")));
  const progress = el("progress", { max: 100, value: 0, hidden: true, "aria-label": t("import.progress") });
  const state = el("p", { role: "status" });
  const mappingBox = el("div");
  const errors = el("div");
  const startButton = el("button", { type: "button", class: "primary", hidden: true }, t("import.start"));
  let importId = null;
  let fields = [];

  async function upload() {
    clear(errors);
    clear(mappingBox);
    startButton.hidden = true;
    const chosen = file.files[0];
    if (!chosen) {
      state.textContent = t("import.choose");
      return;
    }
    try {
      state.textContent = t("import.uploading");
      const created = await api("/api/clients/imports", { method: "POST", body: { file_name: chosen.name, size: chosen.size } });
      importId = created.import_id;
      let put;
      try {
        put = await fetch(created.upload_url, { method: "PUT", body: chosen });
      } catch {
        throw Object.assign(new Error("network"), { network: true });
      }
      if (!put.ok) throw Object.assign(new Error("upload"), { status: put.status });
      const preview = await api(`/api/clients/imports/${importId}/preview`, { method: "POST" });
      fields = preview.fields;
      state.textContent = t("import.preview", { n: preview.row_count });
      clear(
        mappingBox,
        el(
          "table",
          { class: "mapping" },
          el("caption", {}, t("import.mapping")),
          el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("import.column")), el("th", { scope: "col" }, t("import.example")), el("th", { scope: "col" }, t("import.field")))),
          el(
            "tbody",
            {},
            preview.header.map((name, index) =>
              el(
                "tr",
                {},
                el("th", { scope: "row" }, name),
                el("td", {}, preview.sample[0]?.[index] || ""),
                el(
                  "td",
                  {},
                  el(
                    "select",
                    { "aria-label": t("import.fieldof", { column: name }), dataset: { column: String(index) } },
                    el("option", { value: "" }, t("import.ignore")),
                    fields.map((name2) => el("option", { value: name2, selected: preview.mapping[String(index)] === name2 }, t(`field.${name2}`))),
                  ),
                ),
              ),
            ),
          ),
        ),
      );
      startButton.hidden = false;
    } catch (error) {
      state.textContent = error.status === 413 ? t("err.413") : describe(error);
    }
  }

  async function start() {
    const mapping = {};
    for (const select of mappingBox.querySelectorAll("select")) if (select.value) mapping[select.dataset.column] = select.value;
    try {
      await api(`/api/clients/imports/${importId}/start`, { method: "POST", body: { mapping, on_duplicate: onDuplicate.value } });
      startButton.hidden = true;
      progress.hidden = false;
      follow();
    } catch (error) {
      state.textContent = error.status === 422 ? (error.problem.errors || []).map((item) => item.message).join(" ") || describe(error) : describe(error);
    }
  }

  async function follow() {
    try {
      const job = await api(`/api/clients/imports/${importId}`);
      progress.value = job.percent;
      progress.textContent = `${job.percent}%`;
      state.textContent = t("import.state", { done: job.rows_done, all: job.row_count ?? "?", created: job.created, linked: job.linked, skipped: job.skipped, failed: job.failed });
      if (job.status === "done" || job.status === "failed") {
        if (job.error) state.textContent += ` ${job.error}`;
        if (job.failed) await report();
        return;
      }
      setTimeout(follow, 700);
    } catch (error) {
      state.textContent = describe(error);
    }
  }

  async function report() {
    const page = await api(`/api/clients/imports/${importId}/errors`, { query: { limit: 500 } });
    clear(
      errors,
      el(
        "table",
        { class: "errors" },
        el("caption", {}, t("import.errors")),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("import.line")), el("th", { scope: "col" }, t("import.field")), el("th", { scope: "col" }, t("import.problem")))),
        el("tbody", {}, page.items.map((row) => el("tr", {}, el("td", {}, row.line), el("td", {}, row.field || "—"), el("td", {}, row.message)))),
      ),
    );
  }

  startButton.addEventListener("click", start);
  return el(
    "details",
    { class: "tool" },
    el("summary", {}, t("import.title")),
    field(t("import.file"), file),
    field(t("import.duplicates"), onDuplicate),
    button(t("import.upload"), upload),
    state,
    progress,
    mappingBox,
    startButton,
    errors,
  );
}

function exportTool() {
  const state = el("p", { role: "status" });
  const link = el("p");
  const follow = async (id) => {
    try {
      const job = await api(`/api/clients/exports/${id}`);
      state.textContent = t("export.state", { n: job.client_count });
      if (job.status === "done") {
        clear(link, el("a", { href: job.download_url, download: "clients.csv" }, t("export.download")));
      } else if (job.status === "failed") {
        state.textContent = t("export.failed");
      } else {
        setTimeout(() => follow(id), 700);
      }
    } catch (error) {
      state.textContent = describe(error);
    }
  };
  return el(
    "details",
    { class: "tool" },
    el("summary", {}, t("export.title")),
    el("p", { class: "muted" }, t("export.about")),
    button(t("export.start"), async () => {
      try {
        const queued = await api("/api/clients/exports", { method: "POST", body: {}, idempotencyKey: newKey() });
        follow(queued.export_id);
      } catch (error) {
        state.textContent = describe(error);
      }
    }),
    state,
    link,
  );
}

export async function render(view) {
  const results = el("ul", { id: "search-results", class: "rows", "aria-label": t("clients.results"), hidden: true });
  const list = el("ul", { class: "rows", "aria-label": t("clients.list") });
  const pager = el("nav", { class: "pager", "aria-label": t("pages") });
  const owner = el(
    "select",
    { id: "clients-owner", name: "owner" },
    session.supervisor ? el("option", { value: "all" }, t("board.everyone")) : null,
    el("option", { value: "me" }, t("clients.mine")),
    el("option", { value: "unassigned" }, t("board.unassigned")),
  );
  const cursors = [null];
  let index = 0;
  const load = async () => {
    try {
      const page = await api("/api/clients/clients", { query: { owner: owner.value, limit: PAGE, cursor: cursors[index] } });
      clear(list, page.items.map((client) => clientLink(client, [client.tags.length ? ` · ${client.tags.join(", ")}` : "", ` · ${when(client.updated_at, false)}`].join(""))));
      if (!page.items.length) list.append(el("li", { class: "empty" }, t("clients.none")));
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
    heading(t("nav.clients")),
    searchBox(results),
    results,
    el("div", { class: "toolbar" }, el("label", { for: "clients-owner" }, t("clients.whose")), owner),
    list,
    pager,
    el("section", { class: "tools", "aria-label": t("clients.tools") }, session.supervisor ? duplicatesTool() : null, importTool(), session.has("admin") ? exportTool() : null),
  );
  await load();
}
