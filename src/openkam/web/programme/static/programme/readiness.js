// The readiness progress chart: each step's status (not met 0, partly 1, met 2) over time.
document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("readiness-progress");
  const source = document.getElementById("readiness-progress-data");
  if (!window.Chart || !canvas || !source) return;
  const data = JSON.parse(source.textContent);
  const level = {not_met: 0, partly: 1, met: 2};
  const colours = ["#2f4fd8", "#12b76a", "#f79009", "#7a5af8", "#ee46bc", "#0ba5ec", "#475467"];
  const labels = data.points.map((p) => p.at.replace("T", " ").slice(0, 16));
  const datasets = data.steps.map((s, i) => ({
    label: `${s.step}. ${s.name}`,
    // A small offset per step keeps lines that share a status from hiding each other.
    data: data.points.map((p) => level[p.statuses[String(s.step)]] + (i - 3) * 0.04),
    borderColor: colours[i % colours.length],
    backgroundColor: colours[i % colours.length],
    stepped: true,
    pointRadius: 2,
  }));
  new Chart(canvas, {
    type: "line",
    data: {labels, datasets},
    options: {
      maintainAspectRatio: false, animation: false,
      scales: {
        y: {min: -0.3, max: 2.3, ticks: {stepSize: 1, callback: (v) => ({0: "not met", 1: "partly", 2: "met"})[v] ?? ""}},
        x: {ticks: {maxTicksLimit: 10}},
      },
      plugins: {tooltip: {callbacks: {label: (c) => `${c.dataset.label}: ${["not met", "partly", "met"][Math.round(c.parsed.y)]}`}}},
    },
  });
});
