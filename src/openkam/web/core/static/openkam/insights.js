// Charts of the account page's profitability panel (Chart.js, vendored).
(function () {
  function draw() {
    if (!window.Chart) return;
    const fmt = (v) => Math.round(v).toLocaleString();
    const wf = document.getElementById("waterfall-data");
    if (wf) {
      const bars = JSON.parse(wf.textContent);
      new Chart(document.getElementById("waterfall-chart"), {
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
          plugins: {legend: {display: false}, tooltip: {callbacks: {label: (c) => fmt(bars[c.dataIndex].value)}}},
          scales: {y: {ticks: {callback: fmt}}},
        },
      });
    }
    const cts = document.getElementById("cts-data");
    if (cts) {
      const t = JSON.parse(cts.textContent);
      const palette = ["#2f4fd8", "#12805c", "#b54708", "#5b3cc4", "#c0362c", "#0e7490", "#a16207", "#be185d", "#4d7c0f", "#475467", "#7c3aed"];
      new Chart(document.getElementById("cts-chart"), {
        type: "bar",
        data: {labels: t.labels, datasets: t.series.map((s, i) => ({label: s.label ?? s.pool, data: s.values, backgroundColor: palette[(s.colour ?? i) % palette.length]}))},
        options: {
          maintainAspectRatio: false, animation: false,
          scales: {x: {stacked: true}, y: {stacked: true, ticks: {callback: fmt}}},
          plugins: {legend: {position: "bottom", labels: {boxWidth: 10, font: {size: 10}}}},
        },
      });
    }
    // Net contribution per period: every canvas that names its data (account and portfolio).
    for (const canvas of document.querySelectorAll("canvas[data-trend]")) {
      const t = JSON.parse(document.getElementById(canvas.dataset.trend).textContent);
      new Chart(canvas, {
        type: "bar",
        data: {labels: t.labels, datasets: [{label: "net contribution", data: t.contribution,
          backgroundColor: t.contribution.map((v) => (v < 0 ? "#f4a19a" : "#7fc8a9"))}]},
        options: {
          maintainAspectRatio: false, animation: false,
          scales: {y: {ticks: {callback: fmt}}},
          plugins: {legend: {display: false}, tooltip: {callbacks: {label: (c) => {
            const m = t.margin_pct[c.dataIndex];
            return `${fmt(c.raw)}${m === null ? "" : ` (${m.toFixed(1)} % of net sales)`}`;
          }}}},
        },
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
