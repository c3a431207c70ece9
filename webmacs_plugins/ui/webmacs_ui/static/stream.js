// The live datapoint stream for any page: one WebSocket with a heartbeat every second, so a dead
// server or network is noticed within 3 s, and reconnection every second until it is back.
"use strict";
window.WMStream = (() => {
  const HEARTBEAT_MS = 1000;
  const DEAD_AFTER_MS = 2500;
  const RETRY_MS = 1000;

  // onBatch(datapoints, live): every batch; onStatus(text, kind): "live" / "disconnected…";
  // onOpen(): after each (re)connection, to fetch what was missed.
  function connect({ onBatch, onStatus, onOpen }) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws/datapoints/stream`);
    let heard = Date.now();
    let opened = false;
    const down = () => onStatus("disconnected, reconnecting…", "bad");
    const beat = setInterval(() => {
      if (Date.now() - heard > DEAD_AFTER_MS) { down(); ws.close(); return; }
      if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"ping"}');
    }, HEARTBEAT_MS);
    ws.onopen = async () => {
      heard = Date.now();
      opened = true;
      onStatus("live", "ok");
      if (onOpen) { try { await onOpen(); } catch { /* the next batch still arrives */ } }
    };
    ws.onmessage = (msg) => {
      heard = Date.now();
      const frame = JSON.parse(msg.data);
      if (frame.type === "datapoints_batch") onBatch(frame.datapoints, true);
    };
    ws.onclose = (ev) => {
      clearInterval(beat);
      if (ev.code === 1008) { location.assign(`/signin?next=${encodeURIComponent(location.pathname)}`); return; }
      down();
      setTimeout(() => connect({ onBatch, onStatus, onOpen }), opened ? 0 : RETRY_MS);
    };
  }

  return { connect };
})();
