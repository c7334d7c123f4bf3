// The selection matrix of a review: fetches the review's points (assessed accounts only)
// from the canvas's data-url and draws them with the shared quadrant chart.
document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("matrix");
  if (!canvas || !window.openkamQuadrantChart) return;
  fetch(canvas.dataset.url, {credentials: "same-origin"})
    .then((r) => r.json())
    .then(({points}) => {
      // [attractiveness, strength, value, id, name, key now, recommended key]
      const pts = points.map(([x, y, value, id, name, now, rec]) => ({
        x, y, value, id, name, decision: rec ? "key" : "not_key", group: now ? "key" : "other",
      }));
      window.openkamQuadrantChart(canvas, {
        points: pts,
        groups: [
          {key: "key", label: "Key account now", color: "rgba(47,79,216,.55)"},
          {key: "other", label: "Not key now", color: "rgba(152,162,179,.45)"},
        ],
        thresholds: {x: Number(canvas.dataset.thresholdA), y: Number(canvas.dataset.thresholdS)},
        corners: {topLeft: "Maintenance", topRight: "Key", bottomLeft: "Opportunistic", bottomRight: "Key development"},
        axes: {x: {title: "Customer attractiveness", min: 0, max: 10}, y: {title: "Our relative strength", min: 0, max: 10}},
        tooltip: (p) => `${p.name || p.id}: ${p.x.toFixed(1)} / ${p.y.toFixed(1)} → ${p.decision === "key" ? "key" : "not key"}`,
      });
      canvas.dataset.drawn = String(pts.length);
    });
});
