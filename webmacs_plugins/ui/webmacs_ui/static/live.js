// The overview: a card per channel with its newest value, range bar and freshness, actuator
// toggles, and a live chart. Values arrive over the datapoint stream WebSocket; a channel with no
// update for twice its usual interval is marked stale, a dead connection is shown within 3 s
// (stream.js) and the page reconnects by itself. An output (actuator or range channel) gets a value
// only when it is written, so it shows the last value written and when, and never turns stale.
"use strict";
(() => {
  const cardsEl = document.getElementById("cards");
  const connEl = document.getElementById("conn");
  const canOperate = cardsEl.dataset.canOperate === "true";
  const channels = new Map(); // public_id -> {event, card, last, interval, value}
  const WINDOW_S = 600;
  const MIN_INTERVAL_S = 0.5;
  let chart = null;
  let chartData = [[]];
  let order = [];

  function setConn(text, kind) { connEl.textContent = text; connEl.className = `badge ${kind}`; }

  const isOutput = (ev) => ev.type === "actuator" || ev.type === "range";

  function card(ev) {
    const li = document.createElement("li");
    li.className = isOutput(ev) ? "card value-card output" : "card value-card stale";
    li.dataset.event = ev.public_id;
    const id = `v-${ev.public_id}`;
    li.innerHTML = `<h3 class="name"></h3><p class="value"><output id="${id}" aria-live="polite">–</output> <span class="unit"></span></p>
      <div class="range" aria-hidden="true"><div class="fill"></div></div>
      <p class="meta"><span class="range-text"></span> · <span class="fresh"></span></p>`;
    li.querySelector(".name").textContent = ev.name;
    li.querySelector(".unit").textContent = ev.unit || "";
    li.querySelector(".range-text").textContent = `range ${ev.min_value} to ${ev.max_value}`;
    li.querySelector(".fresh").textContent = isOutput(ev) ? "output, not written yet" : "no data";
    if (ev.type === "actuator" && canOperate) {
      const label = document.createElement("label");
      label.className = "toggle";
      label.innerHTML = `<input type="checkbox"> <span>On</span>`;
      label.querySelector("input").setAttribute("aria-label", `${ev.name} on`);
      label.querySelector("input").addEventListener("change", (e) => setActuator(ev, e.target.checked ? ev.max_value : ev.min_value));
      li.appendChild(label);
    }
    if (ev.type === "range" && canOperate) {
      const id = `set-${ev.public_id}`;
      const wrap = document.createElement("div");
      wrap.className = "field";
      wrap.innerHTML = `<label for="${id}"></label><input id="${id}" type="range">`;
      wrap.querySelector("label").textContent = `Set ${ev.name}`;
      const slider = wrap.querySelector("input");
      Object.assign(slider, { min: ev.min_value, max: ev.max_value, step: "any", value: ev.min_value });
      slider.addEventListener("change", () => setActuator(ev, Number(slider.value)));
      li.appendChild(wrap);
    }
    return li;
  }

  async function setActuator(ev, value) {
    try {
      await WM.api("POST", "/api/v1/datapoints", { value, event_public_id: ev.public_id });
      WM.flash(`${ev.name} set to ${value}.`);
    } catch (exc) { WM.flash(exc.message, "bad"); }
  }

  function ensure(publicId) {
    let ch = channels.get(publicId);
    if (!ch) {
      const ev = { public_id: publicId, name: publicId, unit: "", min_value: 0, max_value: 100 };
      ch = { event: ev, card: card(ev), last: 0, interval: 0, value: null };
      channels.set(publicId, ch);
      cardsEl.appendChild(ch.card);
      document.getElementById("no-values").hidden = true;
    }
    return ch;
  }

  function show(dp, live) {
    const ch = ensure(dp.event_public_id);
    const t = Date.parse(dp.timestamp) / 1000;
    if (ch.last && t > ch.last) {
      const gap = t - ch.last;
      ch.interval = ch.interval ? ch.interval * 0.7 + gap * 0.3 : gap;
    }
    if (t >= ch.last) {
      ch.last = t;
      ch.value = dp.value;
      ch.seen = live ? Date.now() / 1000 : t;
      const { min_value: lo, max_value: hi } = ch.event;
      ch.card.querySelector("output").textContent = Number(dp.value).toFixed(2);
      const share = hi > lo ? Math.min(1, Math.max(0, (dp.value - lo) / (hi - lo))) : 0;
      ch.card.querySelector(".fill").style.width = `${(share * 100).toFixed(1)}%`;
      const toggle = ch.card.querySelector(".toggle input");
      if (toggle) toggle.checked = dp.value > lo;
      const slider = ch.card.querySelector('input[type="range"]');
      if (slider && document.activeElement !== slider) slider.value = dp.value;
      freshness(ch);
    }
    if (live) addPoint(dp.event_public_id, t, dp.value);
  }

  // When an output was last written: the time of day, with the date when it was not today.
  function writtenAt(t) {
    const when = new Date(t * 1000);
    return when.toDateString() === new Date().toDateString() ? when.toLocaleTimeString() : when.toLocaleString();
  }

  function freshness(ch) {
    if (isOutput(ch.event)) {
      ch.card.querySelector(".fresh").textContent = ch.last ? `output, set at ${writtenAt(ch.last)}` : "output, not written yet";
      return;
    }
    const age = Date.now() / 1000 - (ch.seen || ch.last);
    const limit = 2 * Math.max(ch.interval || 5, MIN_INTERVAL_S);
    ch.card.dataset.staleAfter = limit.toFixed(2); // seconds: twice the channel's usual interval
    const stale = !ch.last || age > limit;
    ch.card.classList.toggle("stale", stale);
    ch.card.querySelector(".fresh").textContent = !ch.last ? "no data" : stale ? `stale (${Math.round(age)} s old)` : "fresh";
  }

  // ---- chart -------------------------------------------------------------------------------
  const palette = ["#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#ad1457", "#4e342e"];

  function buildChart() {
    const box = document.getElementById("chart");
    if (!box || !window.uPlot) return;
    order = [...channels.keys()];
    const series = [{}, ...order.map((id, i) => ({ label: channels.get(id).event.name, stroke: palette[i % palette.length], width: 1.5 }))];
    chartData = [[], ...order.map(() => [])];
    if (chart) chart.destroy();
    chart = new uPlot({ width: Math.max(280, box.clientWidth), height: 260, series, axes: [{}, {}], legend: { live: false } }, chartData, box);
  }

  let dirty = false;
  function addPoint(id, t, value) {
    if (!chart) return;
    let col = order.indexOf(id) + 1;
    if (col === 0) { buildChart(); col = order.indexOf(id) + 1; if (!chart) return; }
    const xs = chartData[0];
    let row = xs.length - 1;
    if (row < 0 || t > xs[row]) { xs.push(t); chartData.slice(1).forEach((s) => s.push(null)); row = xs.length - 1; }
    else { row = xs.lastIndexOf(t); if (row < 0) return; }
    chartData[col][row] = value;
    while (xs.length && xs[0] < t - WINDOW_S) chartData.forEach((s) => s.shift());
    dirty = true;
  }

  function redraw() {
    if (chart && dirty) {
      chart.setData(chartData);
      chart.root.parentElement.dataset.points = chartData[0].length; // how far the chart has grown
      dirty = false;
    }
    requestAnimationFrame(redraw);
  }

  window.addEventListener("resize", () => chart && chart.setSize({ width: Math.max(280, document.getElementById("chart").clientWidth), height: 260 }));

  async function banners() {
    const box = document.getElementById("banners");
    box.innerHTML = "";
    const add = (text) => { const p = document.createElement("p"); p.className = "banner"; p.textContent = text; box.appendChild(p); };
    try {
      const body = await WM.api("GET", "/api/v1/plugins?page_size=100");
      const instances = body.data || [];
      if (!instances.length) add("No plugin configured: add a device plugin instance on the Plugins page to collect data.");
      instances.filter((i) => i.enabled === false).forEach((i) => add(`Instance "${i.instance_name}" is disabled: its channels send no values.`));
      const demo = instances.filter((i) => i.enabled !== false && (i.demo_mode || i.plugin_id === "simulated"));
      if (demo.length) add(`Demo mode: values of ${demo.map((i) => `"${i.instance_name}"`).join(", ")} are simulated.`);
    } catch { /* the plugins plugin may be absent */ }
  }

  async function loadEvents() {
    for (let page = 1; ; page++) {
      const body = await WM.api("GET", `/api/v1/events?page=${page}&page_size=100`);
      body.data.forEach((ev) => {
        const ch = channels.get(ev.public_id);
        if (ch) { // a value came first: its card gets the event's name, range and unit
          ch.event = ev;
          const fresh = card(ev);
          ch.card.replaceWith(fresh);
          ch.card = fresh;
          if (ch.value !== null) show({ event_public_id: ev.public_id, value: ch.value, timestamp: new Date(ch.last * 1000).toISOString() }, false);
        }
        else { channels.set(ev.public_id, { event: ev, card: card(ev), last: 0, interval: 0, value: null }); cardsEl.appendChild(channels.get(ev.public_id).card); }
      });
      if (page * body.page_size >= body.total) break;
    }
    document.getElementById("no-values").hidden = channels.size > 0;
  }

  async function latest() {
    (await WM.api("GET", "/api/v1/datapoints/latest")).forEach((dp) => show(dp, false));
  }

  async function start() {
    // The newest values, the events and the stream are asked for at once: the first value shows
    // as soon as the slowest of the first two answers.
    const newest = WM.api("GET", "/api/v1/datapoints/latest").catch(() => []);
    let opened = false;
    WMStream.connect({
      onBatch: (dps) => dps.forEach((dp) => show(dp, true)),
      onStatus: setConn,
      onOpen: async () => { if (opened) await latest(); opened = true; }, // after a reconnect: what was missed
    });
    try { await loadEvents(); } catch { /* shown as cards once values arrive */ }
    (await newest).forEach((dp) => show(dp, false));
    banners();
    buildChart();
  }

  setInterval(() => channels.forEach(freshness), 500);
  requestAnimationFrame(redraw);
  start();
})();
