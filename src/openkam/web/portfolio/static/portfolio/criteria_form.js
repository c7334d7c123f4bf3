// Criteria form: each weight's share of its axis, updated as weights, axes or removals change.
document.addEventListener("DOMContentLoaded", () => {
  const rows = [...document.querySelectorAll(".criteria-table .criterion-row")];
  if (!rows.length) return;
  const field = (row, name) => row.querySelector(`[name$="-${name}"]`);
  const update = () => {
    const totals = {};
    const live = rows.map((row) => {
      const key = field(row, "key").value.trim();
      const removed = field(row, "DELETE") && field(row, "DELETE").checked;
      const weight = parseFloat(field(row, "weight").value) || 0;
      const axis = field(row, "axis").value;
      const counts = key && !removed;
      if (counts) totals[axis] = (totals[axis] || 0) + weight;
      return {row, weight, axis, counts};
    });
    for (const {row, weight, axis, counts} of live) {
      const cell = row.querySelector("[data-share]");
      cell.textContent = counts && totals[axis] > 0 ? `${Math.round((100 * weight) / totals[axis])} %` : "";
    }
  };
  document.querySelector(".criteria-table").addEventListener("input", update);
  document.querySelector(".criteria-table").addEventListener("change", update);
  update();
});
