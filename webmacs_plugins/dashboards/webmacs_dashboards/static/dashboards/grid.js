// A dashboard's widgets on a 12-column grid (one column on a phone), fed by the live stream:
// line charts (last 20 minutes from /series, then live), gauges, stat cards, actuator toggles.
"use strict";
(() => {
  const grid = document.getElementById("widgets");
  if (!grid) return;
  const canOperate = grid.dataset.canOperate === "true";
  const widgets = [...grid.querySelectorAll(".widget")];
  const byEvent = new Map();
  const events = new Map();

  function place(el) {
    el.style.setProperty("--x", Number(el.dataset.x) + 1);
    el.style.setProperty("--w", Math.min(12, Number(el.dataset.w)));
    el.style.setProperty("--y", Number(el.dataset.y) + 1);
    el.style.setProperty("--h", Number(el.dataset.h));
  }

  function fmt(v) { return Number(v).toFixed(2); }

  const renderers = {
    stat_card(el, ev) {
      el.body.innerHTML = `<p class="stat"><output aria-live="polite">–</output> <span class="unit"></span></p>`;
      el.body.querySelector(".unit").textContent = ev.unit || "";
      return (dp) => { el.body.querySelector("output").textContent = fmt(dp.value); };
    },
    gauge(el, ev) {
      el.body.innerHTML = `<meter min="${ev.min_value}" max="${ev.max_value}"></meter><p><output aria-live="polite">–</output> <span class="unit"></span></p>`;
      el.body.querySelector("meter").setAttribute("aria-label", `${ev.name} gauge`);
      el.body.querySelector(".unit").textContent = ev.unit || "";
      return (dp) => { el.body.querySelector("meter").value = dp.value; el.body.querySelector("output").textContent = fmt(dp.value); };
    },
    actuator_toggle(el, ev) {
      el.body.innerHTML = `<label class="toggle"><input type="checkbox"${canOperate ? "" : " disabled"}> <span>On</span></label><p class="muted">value <output>–</output></p>`;
      const box = el.body.querySelector("input");
      box.setAttribute("aria-label", `${ev.name} on`);
      box.addEventListener("change", async () => {
        try { await WM.api("POST", "/api/v1/datapoints", { value: box.checked ? ev.max_value : ev.min_value, event_public_id: ev.public_id }); }
        catch (exc) { WM.flash(exc.message, "bad"); box.checked = !box.checked; }
      });
      return (dp) => { box.checked = dp.value > ev.min_value; el.body.querySelector("output").textContent = fmt(dp.value); };
    },
    line_chart(el, ev) {
      if (!window.uPlot) { el.body.innerHTML = `<p class="notice">Charts are unavailable in this installation.</p>`; return () => {}; }
      el.body.innerHTML = "";
      el.body.setAttribute("role", "img");
      el.body.setAttribute("aria-label", `${ev.name} over time`);
      const data = [[], []];
      const plot = new uPlot({ width: Math.max(240, el.body.clientWidth), height: 180, legend: { show: false },
        series: [{}, { label: ev.name, stroke: "#1565c0", width: 1.5 }] }, data, el.body);
      WM.api("POST", "/api/v1/datapoints/series", { event_public_ids: [ev.public_id], minutes: 20, max_points: 500 })
        .then((series) => {
          const points = series[ev.public_id] || [];
          data[0].unshift(...points.map((p) => Date.parse(p.timestamp) / 1000));
          data[1].unshift(...points.map((p) => p.value));
          plot.setData(data);
        }).catch(() => {});
      return (dp) => {
        data[0].push(Date.parse(dp.timestamp) / 1000); data[1].push(dp.value);
        if (data[0].length > 2000) { data[0].shift(); data[1].shift(); }
        plot.setData(data);
      };
    },
  };

  async function loadEvents() {
    for (let page = 1; ; page++) {
      const body = await WM.api("GET", `/api/v1/events?page=${page}&page_size=100`);
      body.data.forEach((ev) => events.set(ev.public_id, ev));
      if (page * body.page_size >= body.total) break;
    }
  }

  function feed(dps) {
    dps.forEach((dp) => (byEvent.get(dp.event_public_id) || []).forEach((update) => update(dp)));
  }

  async function start() {
    widgets.forEach(place);
    await loadEvents();
    widgets.forEach((el) => {
      el.body = el.querySelector(".widget-body");
      const ev = events.get(el.dataset.event);
      const render = renderers[el.dataset.type];
      if (!ev || !render) return;
      const update = render(el, ev);
      byEvent.set(ev.public_id, [...(byEvent.get(ev.public_id) || []), update]);
    });
    const latest = async () => feed(await WM.api("GET", "/api/v1/datapoints/latest"));
    const conn = document.getElementById("conn");
    WMStream.connect({ onBatch: feed, onOpen: latest,
      onStatus: (text, kind) => { conn.textContent = text; conn.className = `badge ${kind}`; } });
  }

  start().catch((exc) => WM.flash(exc.message, "bad"));
})();
