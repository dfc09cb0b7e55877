// Charts of the reports screen, drawn by Chart.js (vendor/chart.umd.min.js, MIT, loaded the
// first time a chart is drawn). A chart is a picture for the eye: its canvas is one image
// with a summary for screen readers, and the table beside it stays the source of truth.

import { el } from "../dom.js";

const VENDOR = new URL("../vendor/chart.umd.min.js", import.meta.url).href;

// Colours with at least 3:1 contrast on white (WCAG's non-text contrast).
export const COLOURS = ["#1f4fa3", "#b54708", "#1d6b32", "#6941c6", "#a4161a"];

let loading = null;

/** Chart.js, loaded once: its UMD build puts `Chart` on the window. */
export function chartLibrary() {
  if (!loading) {
    loading = import(VENDOR).then(() => {
      const { Chart } = globalThis;
      if (!Chart) throw new Error("Chart.js did not load");
      Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
      Chart.defaults.color = "#1d2430";
      return Chart;
    });
    loading.catch(() => {
      loading = null;
    });
  }
  return loading;
}

/** Every chart drawn inside `root` let go (before its canvas is thrown away or re-drawn). */
export function destroyCharts(root) {
  const { Chart } = globalThis;
  if (!Chart) return;
  for (const canvas of root.querySelectorAll("canvas")) Chart.getChart(canvas)?.destroy();
}

/**
 * A chart beside its table: `config` is Chart.js's ({type, data, options}); `summary` says in
 * words what the picture shows. The chart is drawn once the library is in; if it cannot be
 * loaded, the table alone stays, which is all a screen reader uses anyway.
 */
export function chartBeside(tableNode, summary, config, height = 16) {
  const canvas = el("canvas", { role: "img", "aria-label": summary });
  const frame = el("div", { class: "chart", style: `height: ${height}rem` }, canvas);
  const figure = el("figure", { class: "chart-figure" }, frame);
  chartLibrary()
    .then((Chart) => {
      // Filters sent again before the library came: this picture was already replaced.
      if (!canvas.isConnected) return;
      // Charts of a reports screen the user has left since: let them go.
      for (const chart of Object.values(Chart.instances)) if (!chart.canvas?.isConnected) chart.destroy();
      const options = {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { position: "bottom" } },
        ...config.options,
      };
      new Chart(canvas, { ...config, options });
    })
    .catch(() => {
      figure.hidden = true;
    });
  const label = tableNode.querySelector("caption")?.textContent || summary;
  return el("div", { class: "chart-table" }, figure, el("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": label }, tableNode));
}
