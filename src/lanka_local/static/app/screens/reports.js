// Reports: the head's "now" view, the funnel, revenue and every manager's KPIs for a date
// range, a manager and a pipeline (a manager sees only his own figures: the API enforces
// it), each as a chart (Chart.js) with its table beside it, and each as a CSV file for Excel.

import { api, ApiError } from "../api.js";
import { el, clear, field } from "../dom.js";
import { t, lang } from "../i18n.js";
import { session } from "../session.js";
import { heading, loading, money, fail, notify, showErrors, formError, ZONE } from "../ui.js";
import { stageName } from "./board.js";
import { staffList, nameOf } from "./people.js";
import { chartBeside, destroyCharts, COLOURS } from "./charts.js";

const GROUPS = ["month", "week", "day", "manager", "source"];

function today() {
  // The company's calendar day (yyyy-mm-dd), whatever the browser's zone.
  return new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

function locale() {
  return lang() === "uk" ? "uk-UA" : "en-GB";
}

function percent(value) {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 1 }).format(value);
}

function number(value, digits = 1) {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
}

function day(iso) {
  // A report's day (yyyy-mm-dd, already company time) shown the local way.
  const [year, month, date] = iso.split("-").map(Number);
  return new Intl.DateTimeFormat(locale(), { timeZone: "UTC", day: "2-digit", month: "2-digit", year: "numeric" })
    .format(new Date(Date.UTC(year, month - 1, date)));
}

let people = [];

function person(id) {
  if (!id || id === "-") return t("board.unassigned");
  return id === session.userId ? t("client.me") : nameOf(people, id);
}

function lineKey(key, groupBy) {
  if (groupBy === "manager") return person(key);
  if (groupBy === "source") return key === "-" || !key ? "—" : t(`channel.${key}`);
  if (groupBy === "day") return day(key);
  return key;
}

/** What a chart shows, in words: its name and each label with its value. */
function summary(name, labels, values, format = String) {
  if (!labels.length) return t("reports.chartempty", { name });
  return t("reports.chartof", { name, items: labels.map((label, index) => `${label} — ${format(values[index])}`).join("; ") });
}

/** Money for a chart's axis: whole units of the currency, as the table shows them. */
function major(minor) {
  return (Number(minor) || 0) / 100;
}

function moneyAxis(currency) {
  return { beginAtZero: true, ticks: { callback: (value) => money(Math.round(value * 100), currency) } };
}

function table(caption, header, rows) {
  return el(
    "table",
    {},
    el("caption", {}, caption),
    el("thead", {}, el("tr", {}, header.map((text) => el("th", { scope: "col" }, text)))),
    el("tbody", {}, rows.length ? rows : el("tr", {}, el("td", { colspan: header.length, class: "empty" }, t("reports.nodata")))),
  );
}

/** Fetch a report as CSV with the user's token and hand it to the browser as a download. */
async function downloadCsv(path, query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...query, format: "csv" })) {
    if (value !== undefined && value !== null && value !== "") params.set(key, value);
  }
  let response;
  try {
    response = await fetch(`${path}?${params}`, { headers: { Authorization: `Bearer ${session.token}`, Accept: "text/csv, application/problem+json" } });
  } catch {
    throw new ApiError(0, null, true);
  }
  if (!response.ok) {
    let problem = null;
    try {
      problem = await response.json();
    } catch {
      problem = null;
    }
    throw new ApiError(response.status, problem);
  }
  const disposition = response.headers.get("Content-Disposition") || "";
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] || "report.csv";
  const url = URL.createObjectURL(await response.blob());
  const link = el("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function csvButton(label, path, query) {
  return el(
    "button",
    {
      type: "button",
      class: "csv",
      onclick: async () => {
        try {
          await downloadCsv(path, query);
          notify(t("reports.downloaded"));
        } catch (error) {
          fail(error);
        }
      },
    },
    label,
  );
}

function section(id, title, ...children) {
  return el("section", { class: "report", "aria-labelledby": id }, el("h2", { id }, title), ...children);
}

function nowView(now, query) {
  const items = [
    ["reports.overdue", now.overdue_tasks],
    ["reports.pastsla", now.deals_past_sla],
    ["reports.unassigned", now.unassigned_requests],
  ];
  return section(
    "report-now",
    t("reports.now"),
    el("dl", { class: "figures" }, items.map(([key, value]) => el("div", { class: value ? "figure alert" : "figure" }, el("dt", {}, t(key)), el("dd", {}, String(value))))),
    csvButton(t("reports.csvof", { name: t("reports.now") }), "/api/deals/reports/now", { pipeline: query.pipeline, manager: query.manager }),
  );
}

function funnelView(funnel, query) {
  const rows = funnel.stages.map((stage) =>
    el(
      "tr",
      {},
      el("th", { scope: "row" }, stageName(stage)),
      el("td", { class: "num" }, String(stage.entered)),
      el("td", { class: "num" }, percent(stage.conversion_to_next)),
    ),
  );
  const labels = funnel.stages.map((stage) => stageName(stage));
  const entered = funnel.stages.map((stage) => stage.entered);
  const chart = {
    type: "bar",
    data: { labels, datasets: [{ label: t("reports.entered"), data: entered, backgroundColor: COLOURS[0] }] },
    options: {
      indexAxis: "y",
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            afterLabel: (item) => `${t("reports.conversion")}: ${percent(funnel.stages[item.dataIndex].conversion_to_next)}`,
          },
        },
      },
    },
  };
  return section(
    "report-funnel",
    t("reports.funnel"),
    chartBeside(
      table(t("reports.funnelcaption"), [t("deal.stage"), t("reports.entered"), t("reports.conversion")], rows),
      summary(t("reports.funnel"), labels, entered),
      chart,
      Math.max(10, 2.2 * labels.length + 3),
    ),
    el("p", {}, `${t("reports.wonrate")}: `, el("strong", {}, percent(funnel.won_rate))),
    csvButton(t("reports.csvof", { name: t("reports.funnel") }), "/api/deals/reports/funnel", query),
  );
}

function revenueView(revenue, query) {
  const currency = revenue.currency;
  const cells = (line) => [
    el("td", { class: "num" }, String(line.won_deals)),
    el("td", { class: "num" }, money(line.won_amount, currency)),
    el("td", { class: "num" }, line.average_deal === null ? "—" : money(line.average_deal, currency)),
    el("td", { class: "num" }, number(line.average_cycle_days)),
    el("td", { class: "num" }, String(line.payments)),
    el("td", { class: "num" }, money(line.paid_amount, currency)),
  ];
  const rows = revenue.lines.map((line) =>
    el("tr", {}, el("th", { scope: "row" }, lineKey(line.key, revenue.group_by)), cells(line)),
  );
  if (revenue.lines.length) rows.push(el("tr", { class: "total" }, el("th", { scope: "row" }, t("reports.total")), cells(revenue.total)));
  const header = [
    t(`reports.by.${revenue.group_by}`),
    t("reports.wondeals"),
    t("reports.wonamount"),
    t("reports.average"),
    t("reports.cycle"),
    t("reports.payments"),
    t("reports.paid"),
  ];
  const labels = revenue.lines.map((line) => lineKey(line.key, revenue.group_by));
  const won = revenue.lines.map((line) => major(line.won_amount));
  const paid = revenue.lines.map((line) => major(line.paid_amount));
  // Periods read left to right as a line; managers and sources side by side as bars.
  const overTime = ["day", "week", "month"].includes(revenue.group_by);
  const chart = {
    type: overTime && labels.length > 1 ? "line" : "bar",
    data: {
      labels,
      datasets: [
        { label: t("reports.wonamount"), data: won, backgroundColor: COLOURS[0], borderColor: COLOURS[0] },
        { label: t("reports.paid"), data: paid, backgroundColor: COLOURS[1], borderColor: COLOURS[1] },
      ],
    },
    options: {
      scales: { y: moneyAxis(currency) },
      plugins: { tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${money(Math.round(item.parsed.y * 100), currency)}` } } },
    },
  };
  return section(
    "report-revenue",
    t("reports.revenue"),
    chartBeside(
      table(t("reports.revenuecaption"), header, rows),
      summary(t("reports.wonamount"), labels, revenue.lines.map((line) => line.won_amount), (value) => money(value, currency)),
      chart,
    ),
    csvButton(t("reports.csvof", { name: t("reports.revenue") }), "/api/deals/reports/revenue", { ...query, group_by: revenue.group_by }),
  );
}

function kpiView(kpi, query) {
  const rows = kpi.rows.map((row) =>
    el(
      "tr",
      {},
      el("th", { scope: "row" }, person(row.manager_id)),
      el("td", { class: "num" }, String(row.new_requests)),
      el("td", { class: "num" }, String(row.won)),
      el("td", { class: "num" }, String(row.lost)),
      el("td", { class: "num" }, percent(row.win_rate)),
      el("td", { class: "num" }, money(row.won_amount, kpi.currency)),
      el("td", { class: "num" }, String(row.calls)),
      el("td", { class: "num" }, String(row.tasks_on_time)),
      el("td", { class: "num" }, String(row.tasks_late)),
      el("td", { class: "num" }, String(row.tasks_overdue)),
      el("td", { class: "num" }, number(row.average_first_response_minutes)),
    ),
  );
  const header = [
    t("reports.manager"),
    t("reports.newrequests"),
    t("reports.won"),
    t("reports.lost"),
    t("reports.winrate"),
    t("reports.wonamount"),
    t("reports.calls"),
    t("reports.ontime"),
    t("reports.late"),
    t("reports.overduetasks"),
    t("reports.firstresponse"),
  ];
  const labels = kpi.rows.map((row) => person(row.manager_id));
  const series = [
    ["reports.newrequests", "new_requests"],
    ["reports.won", "won"],
    ["reports.lost", "lost"],
    ["reports.calls", "calls"],
  ];
  const chart = {
    type: "bar",
    data: {
      labels,
      datasets: series.map(([key, name], index) => ({ label: t(key), data: kpi.rows.map((row) => row[name]), backgroundColor: COLOURS[index] })),
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  };
  const won = kpi.rows.map((row) => row.won);
  return section(
    "report-kpi",
    t("reports.kpi"),
    chartBeside(table(t("reports.kpicaption"), header, rows), summary(t("reports.won"), labels, won), chart),
    csvButton(t("reports.csvof", { name: t("reports.kpi") }), "/api/deals/reports/kpi", query),
  );
}

export async function render(view) {
  clear(view, heading(t("nav.reports")), loading());
  let pipelines;
  try {
    [pipelines, people] = await Promise.all([
      api("/api/deals/pipelines").then((answer) => answer.items),
      // Names beside the ids are a help, not a must: the figures show without them.
      staffList().catch(() => []),
    ]);
  } catch (error) {
    fail(error);
    clear(view, heading(t("nav.reports")), el("p", { class: "empty" }, t("err.loadfailed")));
    return;
  }
  const end = today();
  const from = el("input", { name: "from", type: "date", value: `${end.slice(0, 8)}01`, required: true });
  const to = el("input", { name: "to", type: "date", value: end, required: true });
  const pipeline = el(
    "select",
    { name: "pipeline" },
    pipelines.map((item) => el("option", { value: item.id, selected: item.is_default }, item.name)),
  );
  const managers = new Set(people.filter((item) => item.roles.includes("manager")).map((item) => item.user_id));
  const manager = el("select", { name: "manager" });
  const fillManagers = (chosen) => {
    const options = session.supervisor
      ? [["", t("board.everyone")], ["me", t("board.mine")], ["unassigned", t("board.unassigned")], ...[...managers].filter((id) => id !== session.userId).map((id) => [id, person(id)])]
      : [["me", t("board.mine")]];
    clear(manager, options.map(([value, label]) => el("option", { value, selected: value === chosen }, label)));
  };
  fillManagers("");
  const groupBy = el("select", { name: "group_by" }, GROUPS.map((name) => el("option", { value: name }, t(`reports.by.${name}`))));
  const error = formError();
  const filters = el(
    "form",
    { class: "inline filters", "aria-label": t("reports.filters"), novalidate: true },
    field(t("reports.from"), from),
    field(t("reports.to"), to),
    field(t("reports.pipeline"), pipeline),
    field(t("reports.manager"), manager),
    field(t("reports.groupby"), groupBy),
    el("button", { type: "submit", class: "primary" }, t("reports.show")),
    error,
  );
  const results = el("div", { class: "reports", "aria-live": "polite" });
  clear(view, heading(t("nav.reports")), filters, results);

  async function show() {
    if (!from.value || !to.value) {
      showErrors(filters, new ApiError(422, { errors: [!from.value ? { field: "from", message: t("reports.needdate") } : { field: "to", message: t("reports.needdate") }] }));
      return;
    }
    const query = { from: from.value, to: to.value, pipeline: pipeline.value, manager: manager.value };
    destroyCharts(results);
    clear(results, loading());
    try {
      const [now, funnel, revenue, kpi] = await Promise.all([
        api("/api/deals/reports/now", { query: { pipeline: query.pipeline, manager: query.manager } }),
        api("/api/deals/reports/funnel", { query }),
        api("/api/deals/reports/revenue", { query: { ...query, group_by: groupBy.value } }),
        api("/api/deals/reports/kpi", { query }),
      ]);
      showErrors(filters, null);
      const before = managers.size;
      for (const row of kpi.rows) if (row.manager_id && row.manager_id !== "-") managers.add(row.manager_id);
      if (managers.size !== before) fillManagers(manager.value);
      clear(results, nowView(now, query), funnelView(funnel, query), revenueView(revenue, query), kpiView(kpi, query));
    } catch (failure) {
      clear(results);
      showErrors(filters, failure);
      if (failure.status !== 422) fail(failure);
    }
  }
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    show();
  });
  await show();
}
