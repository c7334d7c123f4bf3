// The selection matrix of a review (data from json_script elements; no inline script,
// so the page passes the Content Security Policy).
document.addEventListener("DOMContentLoaded", () => {
  const el = document.getElementById("matrix-data");
  if (!el || !window.openkamQuadrantChart) return;
  const th = JSON.parse(document.getElementById("matrix-thresholds").textContent);
  const points = JSON.parse(el.textContent).map((p) => ({...p, group: p.current === "key" ? "key" : "other"}));
  openkamQuadrantChart(document.getElementById("matrix"), {
    points,
    groups: [
      {key: "key", label: "Key account now", color: "rgba(47,79,216,.55)"},
      {key: "other", label: "Not key now", color: "rgba(152,162,179,.45)"},
    ],
    thresholds: {x: th.a, y: th.s},
    corners: {topLeft: "Maintenance", topRight: "Key", bottomLeft: "Opportunistic", bottomRight: "Key development"},
    axes: {x: {title: "Customer attractiveness", min: 0, max: 10}, y: {title: "Our relative strength", min: 0, max: 10}},
    tooltip: (p) => `${p.name || p.id}: ${p.x.toFixed(1)} / ${p.y.toFixed(1)} → ${p.decision === "key" ? "key" : "not key"}`,
  });
});
