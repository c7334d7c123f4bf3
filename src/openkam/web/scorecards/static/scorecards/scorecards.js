// Charts of the scorecard pages (Chart.js, vendored). Each canvas names the json_script
// element holding its data in a data attribute; no inline scripts (strict CSP).
(function () {
  const fmt = (v) => (v === null || v === undefined ? "—" : Math.round(v).toLocaleString());
  const data = (id) => JSON.parse(document.getElementById(id).textContent);
  const green = "#12805c", red = "#c0362c", grey = "#b8c0cc", blue = "#2f4fd8", amber = "#b54708";

  function sizeByRows() {
    // Horizontal bar charts grow with their rows (CSSOM, allowed under the CSP).
    for (const box of document.querySelectorAll(".sc-chart[data-rows]")) {
      const rows = parseInt(box.dataset.rows, 10) || 1;
      box.style.height = `${Math.max(160, 60 + rows * 34)}px`;
    }
  }

  function draw() {
    sizeByRows();
    // Period selectors submit on change.
    for (const select of document.querySelectorAll("select[data-autosubmit]")) {
      select.addEventListener("change", () => select.form.submit());
    }
    if (!window.Chart) return;
    for (const canvas of document.querySelectorAll("canvas[data-kam-bars]")) {
      const t = data(canvas.dataset.kamBars);
      new Chart(canvas, {
        type: "bar",
        data: {labels: t.labels, datasets: [
          {label: "net contribution", data: t.contribution, backgroundColor: t.contribution.map((v) => (v < 0 ? red : green))},
          {label: "net sales (beside)", data: t.sales, backgroundColor: grey},
        ]},
        options: {indexAxis: "y", maintainAspectRatio: false, animation: false,
          scales: {x: {ticks: {callback: fmt}}},
          plugins: {legend: {position: "bottom"}, tooltip: {callbacks: {label: (c) => `${c.dataset.label}: ${fmt(c.raw)}`}}}},
      });
    }
    for (const canvas of document.querySelectorAll("canvas[data-account-bars]")) {
      const t = data(canvas.dataset.accountBars);
      new Chart(canvas, {
        type: "bar",
        data: {labels: t.labels, datasets: [
          {label: "net contribution", data: t.contribution, backgroundColor: t.contribution.map((v) => (v < 0 ? red : green))},
        ]},
        options: {indexAxis: "y", maintainAspectRatio: false, animation: false,
          scales: {x: {ticks: {callback: fmt}}},
          plugins: {legend: {display: false}, tooltip: {callbacks: {label: (c) => `${fmt(c.raw)} (net sales ${fmt(t.sales[c.dataIndex])})`}}}},
      });
    }
    for (const canvas of document.querySelectorAll("canvas[data-trend-chart]")) {
      const t = data(canvas.dataset.trendChart);
      new Chart(canvas, {
        data: {labels: t.labels, datasets: [
          {type: "line", label: "net contribution", data: t.contribution, borderColor: green, backgroundColor: green, yAxisID: "y", tension: 0.2},
          {type: "line", label: "cost to serve, % of net sales", data: t.cts_pct, borderColor: amber, backgroundColor: amber, borderDash: [4, 3], yAxisID: "pct", tension: 0.2},
        ]},
        options: {maintainAspectRatio: false, animation: false,
          scales: {y: {ticks: {callback: fmt}}, pct: {position: "right", grid: {drawOnChartArea: false}, ticks: {callback: (v) => `${Number(v.toFixed(1))} %`}}},
          plugins: {legend: {position: "bottom"}}},
      });
    }
    for (const canvas of document.querySelectorAll("canvas[data-history-chart]")) {
      const t = data(canvas.dataset.historyChart);
      new Chart(canvas, {
        type: "line",
        data: {labels: t.labels, datasets: [{label: "score", data: t.score, borderColor: blue, backgroundColor: blue}]},
        options: {maintainAspectRatio: false, animation: false, scales: {y: {min: 0, max: 100}}, plugins: {legend: {display: false}}},
      });
    }
    for (const canvas of document.querySelectorAll("canvas[data-shares-chart]")) {
      const t = data(canvas.dataset.sharesChart).shares;
      const values = [t.revenue, t.contribution, t.clv];
      new Chart(canvas, {
        type: "bar",
        data: {labels: ["revenue", "net contribution", "lifetime value"], datasets: [
          {label: "key accounts' share", data: values, backgroundColor: [grey, green, blue]},
        ]},
        options: {maintainAspectRatio: false, animation: false,
          scales: {y: {ticks: {callback: (v) => `${Number(v.toFixed(1))} %`}}},
          plugins: {legend: {display: false}, tooltip: {callbacks: {label: (c) => (c.raw === null ? "—" : `${c.raw.toFixed(1)} %`)}}}},
      });
    }
    for (const canvas of document.querySelectorAll("canvas[data-spark]")) {
      const values = JSON.parse(canvas.dataset.spark);
      new Chart(canvas, {
        type: "line",
        data: {labels: values.map((_, i) => i + 1), datasets: [{data: values, borderColor: red, borderWidth: 1.5, pointRadius: 0, tension: 0.2}]},
        options: {maintainAspectRatio: false, animation: false, events: [],
          scales: {x: {display: false}, y: {display: false}}, plugins: {legend: {display: false}, tooltip: {enabled: false}}},
      });
    }
    for (const canvas of document.querySelectorAll("canvas[data-whale-chart]")) {
      const w = data(canvas.dataset.whaleChart).whale;
      const labels = w.curve.map((_, i) => i + 1);
      const marks = new Array(w.curve.length).fill(null);
      for (const k of w.key_accounts) marks[k.rank - 1] = k.cumulative_pct;
      const names = Object.fromEntries(w.key_accounts.map((k) => [k.rank, k.name || k.account_id]));
      new Chart(canvas, {
        data: {labels, datasets: [
          {type: "line", label: "cumulative contribution, % of total", data: w.curve, borderColor: grey, pointRadius: 0, tension: 0},
          {type: "scatter", label: "key accounts", data: marks, backgroundColor: blue, pointRadius: 5},
        ]},
        options: {maintainAspectRatio: false, animation: false,
          scales: {x: {title: {display: true, text: "accounts by net contribution, highest first"}, ticks: {maxTicksLimit: 12}}, y: {ticks: {callback: (v) => `${Number(v.toFixed(1))} %`}}},
          plugins: {legend: {position: "bottom"}, tooltip: {callbacks: {label: (c) => `${c.datasetIndex === 1 ? `${names[c.dataIndex + 1]}: ` : ""}${c.raw === null ? "—" : c.raw.toFixed(1)} %`}}}},
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
