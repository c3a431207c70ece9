// The history chart: /series for the chosen events and range (20 minutes to 10 days), aligned on
// one time axis; uPlot's drag-to-zoom, double-click to reset.
"use strict";
(() => {
  const form = document.getElementById("history-form");
  const box = document.getElementById("history-chart");
  const status = document.getElementById("history-status");
  const palette = ["#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#ad1457", "#4e342e"];
  let chart = null;

  async function show() {
    const picked = [...form.events.selectedOptions];
    if (!picked.length) { status.textContent = "Pick at least one event."; return; }
    if (!window.uPlot) { status.textContent = "Charts are unavailable in this installation."; return; }
    status.textContent = "Loading…";
    const ids = picked.slice(0, 20).map((o) => o.value);
    const series = await WM.api("POST", "/api/v1/datapoints/series",
      { event_public_ids: ids, minutes: Number(form.minutes.value), max_points: 1000 });
    const times = [...new Set(ids.flatMap((id) => (series[id] || []).map((p) => Date.parse(p.timestamp) / 1000)))].sort((a, b) => a - b);
    const index = new Map(times.map((t, i) => [t, i]));
    const columns = ids.map((id) => {
      const col = new Array(times.length).fill(null);
      (series[id] || []).forEach((p) => { col[index.get(Date.parse(p.timestamp) / 1000)] = p.value; });
      return col;
    });
    if (chart) chart.destroy();
    chart = new uPlot({
      width: Math.max(280, box.clientWidth), height: 320, cursor: { drag: { x: true, y: false } },
      series: [{}, ...picked.slice(0, 20).map((o, i) => ({ label: o.textContent, stroke: palette[i % palette.length], width: 1.5, spanGaps: true }))],
    }, [times, ...columns], box);
    status.textContent = `${times.length} points of ${ids.length} event${ids.length === 1 ? "" : "s"}.`;
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); show().catch((exc) => { status.textContent = exc.message; }); });
  window.addEventListener("resize", () => chart && chart.setSize({ width: Math.max(280, box.clientWidth), height: 320 }));
  show().catch((exc) => { status.textContent = exc.message; });
})();
