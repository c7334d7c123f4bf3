// Charts of the Lifetime value page (Chart.js, vendored).
document.addEventListener("DOMContentLoaded", () => {
  if (!window.Chart) return;
  const read = (id) => { const el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; };
  const hist = read("clv-hist-data");
  if (hist && hist.labels.length) {
    const canvas = document.getElementById("clv-hist");
    new Chart(canvas, {
      type: "bar",
      data: {labels: hist.labels, datasets: [{label: "accounts", data: hist.counts, backgroundColor: "#8ea2ff"}]},
      options: {maintainAspectRatio: false, animation: false, plugins: {legend: {display: false}},
        scales: {x: {title: {display: true, text: "CLV on contribution (bin start, " + (hist.currency || "EUR") + ")"}}, y: {title: {display: true, text: "accounts"}}}},
    });
  }
  const h = read("clv-holdout-data");
  if (h && h.by_frequency) {
    const f = h.by_frequency;
    new Chart(document.getElementById("clv-by-freq"), {
      type: "bar",
      data: {labels: f.map((r) => r.frequency), datasets: [
        {label: "actual", data: f.map((r) => r.actual_mean), backgroundColor: "#98a2b3"},
        {label: "predicted", data: f.map((r) => r.predicted_mean), backgroundColor: "#2f4fd8"}]},
      options: {maintainAspectRatio: false, animation: false,
        scales: {x: {title: {display: true, text: "repeat orders in calibration"}}, y: {title: {display: true, text: "mean repeat orders in holdout"}}}},
    });
  }
  if (h && h.tracking) {
    const t = h.tracking;
    new Chart(document.getElementById("clv-tracking"), {
      type: "line",
      data: {labels: t.period_end, datasets: [
        {label: "actual", data: t.actual_cumulative, borderColor: "#475467", pointRadius: 0},
        {label: "predicted", data: t.predicted_cumulative, borderColor: "#2f4fd8", borderDash: [5, 4], pointRadius: 0}]},
      options: {maintainAspectRatio: false, animation: false, scales: {x: {title: {display: true, text: "end of period (calibration, then holdout)"}, ticks: {maxTicksLimit: 12}}}},
    });
  }
});
