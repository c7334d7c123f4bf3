// A bubble chart cut into four quadrants by two threshold lines (Chart.js, vendored): the
// selection matrix and the customer profitability matrix are drawn with it.
//
// spec = {
//   points: [{x, y, value, id, name, group, ...}]  value sizes the bubble (area ∝ value);
//   groups: [{key, label, color}]                  one legend entry and colour per group;
//   thresholds: {x, y}                             where the dashed lines cut the axes;
//   corners: {topLeft, topRight, bottomLeft, bottomRight}   quadrant names;
//   axes: {x: {title, min, max, type}, y: {title, min, max, type}}  type "logarithmic" for
//                                                  ratios spread over orders of magnitude;
//   tooltip: (point) => text                       point carries its true x and y;
// }
// Points outside an axis's min and max are drawn on its edge (hollow), so that a few extreme
// accounts do not squeeze all the others into a corner; the tooltip gives their true values.
// Clicking a bubble opens the account.
window.openkamQuadrantChart = function (canvas, spec) {
  if (!canvas || !window.Chart) return null;
  const {points, groups, thresholds, corners, axes} = spec;
  const maxValue = Math.max(1, ...points.map((p) => Math.abs(p.value || 0)));
  const radius = (v) => 4 + 18 * Math.sqrt(Math.max(v || 0, 0) / maxValue);
  const clamp = (v, axis) => Math.min(axis.max ?? v, Math.max(axis.min ?? v, v));
  const datasets = groups.map((g) => ({
    label: g.label,
    // Hollow where a point lies beyond an axis; the legend (no point) shows the colour.
    backgroundColor: (c) => (c.raw && c.raw.clamped ? "rgba(255,255,255,0)" : g.color),
    borderColor: g.color.replace(/[\d.]+\)$/, "1)"),
    data: points.filter((p) => p.group === g.key).map((p) => {
      const x = clamp(p.x, axes.x), y = clamp(p.y, axes.y);
      return {...p, x, y, r: radius(p.value), trueX: p.x, trueY: p.y, clamped: x !== p.x || y !== p.y};
    }),
    pointStyle: "circle",
    clip: false, // a bubble on an axis's edge is drawn whole, not cut in half
  }));
  // Drawn over the bubbles, on a see-through plate: readable where accounts crowd a corner.
  const lines = {id: "quadrants", afterDatasetsDraw(chart) {
    const {ctx, chartArea: a, scales: {x, y}} = chart;
    ctx.save(); ctx.strokeStyle = "#98a2b3"; ctx.setLineDash([4, 4]);
    ctx.beginPath();
    ctx.moveTo(x.getPixelForValue(thresholds.x), a.top); ctx.lineTo(x.getPixelForValue(thresholds.x), a.bottom);
    ctx.moveTo(a.left, y.getPixelForValue(thresholds.y)); ctx.lineTo(a.right, y.getPixelForValue(thresholds.y));
    ctx.stroke(); ctx.setLineDash([]);
    ctx.font = "600 12px sans-serif"; ctx.textBaseline = "middle";
    // Each name on a light plate, so that it stays readable over the bubbles.
    const label = (text, x0, y0, right) => {
      const w = ctx.measureText(text).width + 8, left = right ? x0 - w : x0;
      ctx.fillStyle = "rgba(255,255,255,.7)"; ctx.fillRect(left, y0 - 9, w, 18);
      ctx.fillStyle = "#475467"; ctx.fillText(text, left + 4, y0);
    };
    label(corners.topLeft, a.left + 4, a.top + 12, false); label(corners.bottomLeft, a.left + 4, a.bottom - 12, false);
    label(corners.topRight, a.right - 4, a.top + 12, true); label(corners.bottomRight, a.right - 4, a.bottom - 12, true);
    ctx.restore();
  }};
  const axis = (a) => ({type: a.type || "linear", min: a.min, max: a.max, title: {display: true, text: a.title}});
  const chart = new Chart(canvas, {
    type: "bubble",
    data: {datasets},
    options: {maintainAspectRatio: false, animation: false, layout: {padding: 12},
      scales: {x: axis(axes.x), y: axis(axes.y)},
      plugins: {tooltip: {callbacks: {label: (c) => spec.tooltip({...c.raw, x: c.raw.trueX, y: c.raw.trueY})}}},
      onClick: (evt, items) => {
        if (!items.length) return;
        const d = chart.data.datasets[items[0].datasetIndex].data[items[0].index];
        window.location = "/accounts/" + encodeURIComponent(d.id) + "/";
      },
    },
    plugins: [lines],
  });
  return chart;
};
