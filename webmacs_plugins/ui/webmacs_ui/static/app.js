// The live page: sign in, then show the newest value of every event as datapoints stream in.
"use strict";
const $ = (id) => document.getElementById(id);
const api = async (path, options = {}) => {
  const token = localStorage.getItem("access_token");
  const headers = { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) };
  const resp = await fetch(path, { ...options, headers });
  if (resp.status === 401) { localStorage.removeItem("access_token"); showLogin(); throw new Error("signed out"); }
  return resp.json();
};
const events = new Map();
const rows = new Map();

function render(dp) {
  let row = rows.get(dp.event_public_id);
  if (!row) {
    row = document.createElement("tr");
    row.innerHTML = "<td></td><td class='value'></td><td></td><td class='muted'></td>";
    const ev = events.get(dp.event_public_id) || { name: dp.event_public_id, unit: "" };
    row.cells[0].textContent = ev.name;
    row.cells[2].textContent = ev.unit;
    rows.set(dp.event_public_id, row);
    $("values").appendChild(row);
  }
  row.cells[1].textContent = Number(dp.value).toFixed(3);
  row.cells[3].textContent = new Date(dp.timestamp).toLocaleTimeString();
}

function showLogin() { $("login").hidden = false; $("live").hidden = true; }

async function loadEvents() {
  for (let page = 1; ; page++) {
    const body = await api(`/api/v1/events?page=${page}&page_size=100`);
    body.data.forEach((ev) => events.set(ev.public_id, ev));
    if (page * body.page_size >= body.total) break;
  }
}

function stream(token, delay = 1000) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/ws/datapoints/stream?token=${encodeURIComponent(token)}`);
  const ping = setInterval(() => ws.readyState === 1 && ws.send(JSON.stringify({ type: "ping" })), 25000);
  ws.onopen = () => { $("status").textContent = "live"; delay = 1000; };
  ws.onmessage = (msg) => {
    const frame = JSON.parse(msg.data);
    if (frame.type === "datapoints_batch") frame.datapoints.forEach(render);
  };
  ws.onclose = (ev) => {
    clearInterval(ping);
    $("status").textContent = "reconnecting…";
    if (ev.code === 1008) { localStorage.removeItem("access_token"); showLogin(); return; }
    setTimeout(() => stream(token, Math.min(delay * 2, 30000)), delay);
  };
}

async function start() {
  const token = localStorage.getItem("access_token");
  if (!token) return showLogin();
  const me = await api("/api/v1/auth/me");
  $("who").textContent = `${me.username} (${me.role})`;
  const menu = await api("/api/v1/ui/menu");
  $("menu").innerHTML = "";
  menu.forEach((item) => {
    const a = document.createElement("a");
    a.href = item.href; a.textContent = item.label; $("menu").appendChild(a);
  });
  $("login").hidden = true; $("live").hidden = false;
  await loadEvents();
  (await api("/api/v1/datapoints/latest")).forEach(render);
  stream(token);
}

$("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const resp = await fetch("/api/v1/auth/login", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: $("email").value, password: $("password").value }),
  });
  const body = await resp.json();
  if (!resp.ok) { $("login-error").textContent = typeof body.detail === "string" ? body.detail : "Sign-in failed."; return; }
  localStorage.setItem("access_token", body.access_token);
  start();
});
$("logout").addEventListener("click", async () => {
  await api("/api/v1/auth/logout", { method: "POST" }).catch(() => {});
  localStorage.removeItem("access_token");
  showLogin();
});
start().catch(() => showLogin());
