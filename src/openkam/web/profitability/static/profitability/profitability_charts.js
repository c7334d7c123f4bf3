// The Profitability page's price-cost matrix and whale curve (data from json_script
// elements; no inline script, so the page passes the Content Security Policy).
document.addEventListener("DOMContentLoaded", () => {
  const matrix = document.getElementById("price-cost-data");
  if (matrix && window.openkamQuadrantChart) {
    const m = JSON.parse(matrix.textContent);
    const colors = {carriage_trade: "rgba(47,79,216,.5)", passive: "rgba(18,128,92,.5)", bargain_basement: "rgba(152,162,179,.55)", aggressive: "rgba(192,54,44,.5)"};
    const unit = document.getElementById("price-cost-chart").dataset.currency || "";
    const fmt = (v) => `${Math.round(v).toLocaleString()} ${unit}`.trim();
    openkamQuadrantChart(document.getElementById("price-cost-chart"), {
      points: m.points,
      groups: Object.keys(colors).map((key) => ({key, label: m.labels[key], color: colors[key]})),
      thresholds: m.thresholds,
      corners: {topLeft: m.labels.passive, topRight: m.labels.carriage_trade, bottomLeft: m.labels.bargain_basement, bottomRight: m.labels.aggressive},
      axes: {x: {...m.axes.x, title: "Cost to serve, % of net sales"}, y: {...m.axes.y, title: "Net price, % of list price"}},
      tooltip: (p) => `${p.name}: pays ${p.y.toFixed(1)} % of list, costs ${p.x.toFixed(1)} % to serve; net sales ${fmt(p.value)}, contribution ${fmt(p.contribution)}`,
    });
  }
  const el = document.getElementById("whale-data");
  if (!el || !window.Chart) return;
  const pts = JSON.parse(el.textContent).map(([x, y]) => ({x, y}));
  new Chart(document.getElementById("whale"), {
    type: "line",
    data: {datasets: [
      {label: "Cumulative contribution (% of total)", data: pts, borderColor: "#2f4fd8", backgroundColor: "rgba(47,79,216,.08)", fill: true, pointRadius: 0, tension: 0.1},
      {label: "100 %", data: [{x: 0, y: 100}, {x: 100, y: 100}], borderColor: "#98a2b3", borderDash: [4, 4], pointRadius: 0},
    ]},
    options: {maintainAspectRatio: false, animation: false, parsing: false,
      scales: {x: {type: "linear", min: 0, max: 100, title: {display: true, text: "% of accounts, most profitable first"}},
               y: {title: {display: true, text: "% of total net contribution"}}},
      plugins: {legend: {display: false}}}
  });
});
