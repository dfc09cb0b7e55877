// The pipeline board: every stage with its count and sum, a page of cards per column (more
// on demand, so thousands of deals stay light), drag and drop or the "move" menu to change
// a deal's stage with the version the user saw; a conflict is said plainly and the card
// returns. Filters act on the cards loaded.

import { api } from "../api.js";
import { el, clear } from "../dom.js";
import { t, lang } from "../i18n.js";
import { session } from "../session.js";
import { heading, loading, money, fail, notify, button } from "../ui.js";

const PAGE = 20;
const CHANNELS = ["website", "widget", "calculator", "telegram", "viber", "email", "phone", "manual"];

export function stageName(stage) {
  return lang() === "en" && stage.name_en ? stage.name_en : stage.name;
}

/** Ask for the reason a deal is lost (the pipeline's list); null when cancelled. */
export function askLostReason(reasons) {
  return new Promise((resolve) => {
    const select = el("select", { id: "lost-reason", name: "lost_reason" }, reasons.map((reason) => el("option", { value: reason }, reason)));
    const dialog = el(
      "dialog",
      { "aria-labelledby": "lost-title" },
      el(
        "form",
        { method: "dialog" },
        el("h2", { id: "lost-title" }, t("board.lostwhy")),
        el("label", { for: "lost-reason" }, t("board.reason")),
        select,
        el("div", { class: "actions" }, el("button", { value: "ok", class: "primary" }, t("ok")), el("button", { value: "cancel" }, t("cancel"))),
      ),
    );
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok" ? select.value : null);
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

export async function render(view) {
  clear(view, heading(t("nav.board")), loading());
  let pipelines;
  try {
    pipelines = (await api("/api/deals/pipelines")).items;
  } catch (error) {
    fail(error);
    clear(view, heading(t("nav.board")), el("p", { class: "empty" }, t("err.loadfailed")));
    return;
  }
  const chosen = sessionStorage.getItem("lanka.board.pipeline");
  let pipeline = pipelines.find((item) => item.id === chosen) || pipelines.find((item) => item.is_default) || pipelines[0];
  if (!pipeline) {
    clear(view, heading(t("nav.board")), el("p", { class: "empty" }, t("board.nopipeline")));
    return;
  }
  const filters = { owner: "", source: "" };
  const pick = el(
    "select",
    { id: "board-pipeline", onchange: (event) => { sessionStorage.setItem("lanka.board.pipeline", event.target.value); render(view); } },
    pipelines.map((item) => el("option", { value: item.id, selected: item.id === pipeline.id }, item.name)),
  );
  const ownerFilter = el(
    "select",
    { id: "board-owner", onchange: (event) => { filters.owner = event.target.value; applyFilters(); } },
    el("option", { value: "" }, t("board.everyone")),
    el("option", { value: "me" }, t("board.mine")),
    el("option", { value: "none" }, t("board.unassigned")),
  );
  const sourceFilter = el(
    "select",
    { id: "board-source", onchange: (event) => { filters.source = event.target.value; applyFilters(); } },
    el("option", { value: "" }, t("board.anysource")),
    CHANNELS.map((channel) => el("option", { value: channel }, t(`channel.${channel}`))),
  );
  const toolbar = el(
    "div",
    { class: "toolbar" },
    pipelines.length > 1 ? [el("label", { for: "board-pipeline" }, t("board.pipeline")), pick] : null,
    el("label", { for: "board-owner" }, t("board.owner")),
    ownerFilter,
    el("label", { for: "board-source" }, t("board.source")),
    sourceFilter,
    el("small", { class: "muted" }, t("board.filternote")),
  );
  const columnsBox = el("div", { class: "board", role: "list", "aria-label": t("nav.board") });
  let board;
  try {
    board = await api(`/api/deals/pipelines/${pipeline.id}/board`, { query: { limit: PAGE } });
  } catch (error) {
    fail(error);
    clear(view, heading(t("nav.board")), el("p", { class: "empty" }, t("err.loadfailed")));
    return;
  }
  const stages = new Map(pipeline.stages.map((stage) => [stage.key, stage]));
  const columns = new Map();
  let dragged = null;

  function cardVisible(card) {
    if (filters.owner === "me" && card.owner_id !== session.userId) return false;
    if (filters.owner === "none" && card.owner_id) return false;
    if (filters.source && card.source_channel !== filters.source) return false;
    return true;
  }

  function applyFilters() {
    for (const column of columns.values()) {
      for (const node of column.list.children) node.hidden = !cardVisible(node.card);
    }
  }

  function setTotals(column) {
    column.title.textContent = `${stageName(column.stage)}`;
    column.totals.textContent = `${column.count} · ${money(column.sum)}`;
    column.totals.setAttribute("aria-label", t("board.totals", { n: column.count, sum: money(column.sum) }));
  }

  async function move(node, toKey) {
    const card = node.card;
    const from = columns.get(node.stage);
    const to = columns.get(toKey);
    if (!to || from === to) return;
    let lostReason = null;
    if (to.stage.kind === "lost" && pipeline.lost_reasons?.length) {
      lostReason = await askLostReason(pipeline.lost_reasons);
      if (lostReason === null) return;
    }
    let version = card.version;
    const place = node.nextSibling;
    // Shown moved at once; put back if the server says no.
    to.list.prepend(node);
    node.stage = toKey;
    from.count -= 1;
    from.sum -= card.amount;
    to.count += 1;
    to.sum += card.amount;
    setTotals(from);
    setTotals(to);
    node.classList.add("pending");
    try {
      if (!version) version = (await api(`/api/deals/deals/${card.id}`)).version;
      const moved = await api(`/api/deals/deals/${card.id}/move`, { method: "POST", body: { to_stage: toKey, version, lost_reason: lostReason } });
      card.version = moved.version;
      notify(t("board.moved", { title: card.title, stage: stageName(to.stage) }));
    } catch (error) {
      from.list.insertBefore(node, place && place.parentNode === from.list ? place : null);
      node.stage = from.stage.key;
      from.count += 1;
      from.sum += card.amount;
      to.count -= 1;
      to.sum -= card.amount;
      setTotals(from);
      setTotals(to);
      if (error.status === 409) {
        notify(t("board.conflict", { title: card.title }), "error");
        refreshCard(node);
      } else if (error.status === 422) {
        notify(error.problem?.errors?.[0]?.message || t("err.422"), "error");
      } else {
        fail(error);
      }
    } finally {
      node.classList.remove("pending");
      node.querySelector(".move-toggle")?.focus();
    }
  }

  /** After a conflict: the card as the deal now is (amount, title, version), in place. */
  async function refreshCard(node) {
    try {
      const deal = await api(`/api/deals/deals/${node.card.id}`);
      const column = columns.get(node.stage);
      if (deal.stage !== node.stage || !column) {
        node.card.version = deal.version;
        return;
      }
      const fresh = cardNode({ ...node.card, title: deal.title, amount: deal.amount, version: deal.version, owner_id: deal.owner_id }, node.stage);
      column.sum += deal.amount - node.card.amount;
      setTotals(column);
      node.replaceWith(fresh);
    } catch {
      node.card.version = null; // read the deal afresh on the next move
    }
  }

  function moveMenu(node) {
    const menu = el("ul", { class: "menu", role: "menu", hidden: true });
    const toggle = el(
      "button",
      { type: "button", class: "move-toggle", "aria-haspopup": "menu", "aria-expanded": "false", "aria-label": t("board.moveof", { title: node.card.title }) },
      t("board.move"),
    );
    const close = () => {
      menu.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
    };
    toggle.addEventListener("click", () => {
      clear(
        menu,
        pipeline.stages
          .filter((stage) => stage.key !== node.stage)
          .map((stage) =>
            el("li", { role: "none" }, el("button", { type: "button", role: "menuitem", onclick: () => { close(); move(node, stage.key); } }, stageName(stage))),
          ),
      );
      menu.hidden = !menu.hidden;
      toggle.setAttribute("aria-expanded", String(!menu.hidden));
      if (!menu.hidden) menu.querySelector("button")?.focus();
    });
    menu.addEventListener("keydown", (event) => {
      const items = [...menu.querySelectorAll("button")];
      const index = items.indexOf(document.activeElement);
      if (event.key === "Escape") {
        close();
        toggle.focus();
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        items[(index + step + items.length) % items.length]?.focus();
      }
    });
    return [toggle, menu];
  }

  function cardNode(card, stageKey) {
    const node = el(
      "li",
      { class: "deal-card", draggable: "true", dataset: { id: card.id } },
      el("a", { href: `#/deals/${card.id}`, class: "title" }, card.title),
      el("span", { class: "muted" }, card.client_name || ""),
      el("span", { class: "amount" }, money(card.amount, card.currency)),
      card.owner_id ? null : el("span", { class: "tag" }, t("board.unassigned")),
    );
    node.card = card;
    node.stage = stageKey;
    node.append(...moveMenu(node));
    node.hidden = !cardVisible(card);
    node.addEventListener("dragstart", (event) => {
      dragged = node;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.id);
      node.classList.add("dragging");
    });
    node.addEventListener("dragend", () => node.classList.remove("dragging"));
    return node;
  }

  for (const data of board.columns) {
    const stage = stages.get(data.stage) || { key: data.stage, name: data.name, kind: data.kind };
    const title = el("h2", { id: `col-${data.stage}` });
    const totals = el("p", { class: "totals" });
    const list = el("ul", { class: "column-cards", "aria-labelledby": `col-${data.stage}`, dataset: { stage: data.stage } });
    const more = el("div");
    const column = { stage, count: data.count, sum: data.sum, title, totals, list, cursor: data.next_cursor };
    columns.set(data.stage, column);
    for (const card of data.cards) list.append(cardNode(card, data.stage));
    const loadMore = async () => {
      try {
        const page = await api(`/api/deals/pipelines/${pipeline.id}/stages/${data.stage}/deals`, { query: { cursor: column.cursor, limit: 50 } });
        const known = new Set([...list.children].map((node) => node.card.id));
        for (const card of page.items) if (!known.has(card.id)) list.append(cardNode(card, data.stage));
        column.cursor = page.next_cursor;
        clear(more, column.cursor ? button(t("more"), loadMore, { class: "more" }) : null);
      } catch (error) {
        fail(error);
      }
    };
    clear(more, column.cursor ? button(t("more"), loadMore, { class: "more" }) : null);
    const section = el("section", { class: `column ${stage.kind}`, role: "listitem", dataset: { stage: data.stage } }, title, totals, list, more);
    section.addEventListener("dragover", (event) => {
      if (!dragged) return;
      event.preventDefault();
      section.classList.add("over");
    });
    section.addEventListener("dragleave", () => section.classList.remove("over"));
    section.addEventListener("drop", (event) => {
      event.preventDefault();
      section.classList.remove("over");
      const node = dragged;
      dragged = null;
      if (node) move(node, data.stage);
    });
    setTotals(column);
    columnsBox.append(section);
  }
  clear(view, heading(`${t("nav.board")}: ${board.name}`), toolbar, columnsBox);
}
