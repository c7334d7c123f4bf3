// Charts of the account page's profitability panel (Chart.js, vendored).
(function () {
  function draw() {
    if (!window.Chart) return;
    const fmt = (v) => Math.round(v).toLocaleString();
    // Every money axis and tooltip names its currency: the canvas's data-currency (ISO 4217).
    const unitOf = (canvas) => (canvas && canvas.dataset.currency) || "";
    const money = (v, unit) => (unit ? `${fmt(v)} ${unit}` : fmt(v));
    const yAxis = (unit, extra) => ({...extra, title: {display: !!unit, text: unit}, ticks: {callback: fmt}});
    const wf = document.getElementById("waterfall-data");
    if (wf) {
      const bars = JSON.parse(wf.textContent);
      const canvas = document.getElementById("waterfall-chart");
      const unit = unitOf(canvas);
      new Chart(canvas, {
        type: "bar",
        data: {
          labels: bars.map((b) => b.label),
          datasets: [{
            data: bars.map((b) => [b.from, b.to]),
            backgroundColor: bars.map((b) => b.total ? (b.to < 0 ? "#c0362c" : "#12805c") : b.sub ? "#5b6b9a" : (b.value < 0 ? "#f4a19a" : "#8ea2ff")),
            borderSkipped: false,
          }],
        },
        options: {
          maintainAspectRatio: false, animation: false,
          plugins: {legend: {display: false}, tooltip: {callbacks: {label: (c) => money(bars[c.dataIndex].value, unit)}}},
          scales: {y: yAxis(unit)},
        },
      });
    }
    const cts = document.getElementById("cts-data");
    if (cts) {
      const t = JSON.parse(cts.textContent);
      const palette = ["#2f4fd8", "#12805c", "#b54708", "#5b3cc4", "#c0362c", "#0e7490", "#a16207", "#be185d", "#4d7c0f", "#475467", "#7c3aed"];
      const canvas = document.getElementById("cts-chart");
      const unit = unitOf(canvas);
      new Chart(canvas, {
        type: "bar",
        data: {labels: t.labels, datasets: t.series.map((s, i) => ({label: s.label ?? s.pool, data: s.values, backgroundColor: palette[(s.colour ?? i) % palette.length]}))},
        options: {
          maintainAspectRatio: false, animation: false,
          scales: {x: {stacked: true}, y: yAxis(unit, {stacked: true})},
          plugins: {legend: {position: "bottom", labels: {boxWidth: 10, font: {size: 10}}},
            tooltip: {callbacks: {label: (c) => `${c.dataset.label}: ${money(c.raw, unit)}`}}},
        },
      });
    }
    // Net contribution per period: every canvas that names its data (account and portfolio).
    for (const canvas of document.querySelectorAll("canvas[data-trend]")) {
      const t = JSON.parse(document.getElementById(canvas.dataset.trend).textContent);
      const unit = unitOf(canvas);
      new Chart(canvas, {
        type: "bar",
        data: {labels: t.labels, datasets: [{label: "net contribution", data: t.contribution,
          backgroundColor: t.contribution.map((v) => (v < 0 ? "#f4a19a" : "#7fc8a9"))}]},
        options: {
          maintainAspectRatio: false, animation: false,
          scales: {y: yAxis(unit)},
          plugins: {legend: {display: false}, tooltip: {callbacks: {label: (c) => {
            const m = t.margin_pct[c.dataIndex];
            return `${money(c.raw, unit)}${m === null ? "" : ` (${m.toFixed(1)} % of net sales)`}`;
          }}}},
        },
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
