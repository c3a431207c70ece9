// Shared behaviour of every page: API calls with the session's CSRF token, forms and action
// buttons that call the JSON API, file uploads with progress, flash messages that survive the reload after an action.
"use strict";
const WM = (() => {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const FLASH = "wm-flash";

  async function api(method, path, body) {
    const options = { method, credentials: "same-origin", headers: { "X-CSRF-Token": csrf } };
    if (body instanceof FormData) options.body = body;
    else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const resp = await fetch(path, options);
    const text = await resp.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = text; }
    if (!resp.ok) throw new Error(describe(data) || `${resp.status} ${resp.statusText}`);
    return data;
  }

  function describe(data) {
    const detail = data && data.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) return detail.map((e) => `${(e.loc || []).slice(1).join(".")}: ${e.msg}`).join("; ");
    return "";
  }

  function flash(message, kind = "ok") {
    const box = document.getElementById("flash");
    if (!box) return;
    box.textContent = message;
    box.className = `flash ${kind}`;
    box.hidden = false;
    box.focus();
  }

  function flashAfterReload(message, target) {
    sessionStorage.setItem(FLASH, message);
    if (target) location.assign(target); else location.reload();
  }

  function setPath(out, name, value) {
    const keys = name.split(".");
    let node = out;
    keys.slice(0, -1).forEach((k) => { node = node[k] = node[k] || {}; });
    node[keys[keys.length - 1]] = value;
  }

  // A form's fields as the JSON body the API expects: numbers as numbers, checkboxes as
  // booleans, empty optional fields left out, dotted names as nested objects.
  function formBody(form) {
    const out = {};
    for (const el of form.elements) {
      if (!el.name || el.disabled || el.name === "csrf_token") continue;
      let value;
      if (el.type === "checkbox" && "list" in el.dataset) { // a group of checkboxes: the checked values
        const list = out[el.name] || (out[el.name] = []);
        if (el.checked) list.push(el.value);
        continue;
      }
      if (el.type === "checkbox") value = el.checked;
      else if (el.tagName === "SELECT" && el.multiple) value = [...el.selectedOptions].map((o) => o.value);
      else if (el.value === "") { if (el.dataset.empty === "null") value = null; else continue; }
      else if (el.type === "number" || el.dataset.type === "number") value = Number(el.value);
      else if (el.dataset.type === "json") value = JSON.parse(el.value);
      else if (el.type === "datetime-local") value = new Date(el.value).toISOString();
      else value = el.value;
      setPath(out, el.name, value);
    }
    return out;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (_, key) => encodeURIComponent(values[key] ?? ""));
  }

  async function submitForm(event) {
    const form = event.target.closest("form[data-api]");
    if (!form) return;
    event.preventDefault();
    const error = form.querySelector(".form-error");
    if (error) error.textContent = "";
    const [method, path] = form.dataset.api.split(" ");
    try {
      const body = formBody(form);
      const result = await api(method, fill(path, body), method === "DELETE" ? undefined : body);
      const message = form.dataset.success || (result && result.message) || "Saved.";
      if (form.dataset.reveal) { // a secret shown once (a new API token): no reload, or it is gone
        const box = form.querySelector(".reveal");
        box.hidden = false;
        box.querySelector("output").textContent = result[form.dataset.reveal];
        flash(message);
        box.querySelector("output").focus();
      }
      else flashAfterReload(message, form.dataset.redirect ? fill(form.dataset.redirect, result || {}) : "");
    } catch (exc) {
      if (error) { error.textContent = exc.message; error.focus(); } else flash(exc.message, "bad");
    }
  }

  async function clickAction(event) {
    const button = event.target.closest("button[data-api]");
    if (!button) return;
    if (button.dataset.confirm && !confirm(button.dataset.confirm)) return;
    const [method, path] = button.dataset.api.split(" ");
    button.disabled = true;
    try {
      const body = button.dataset.body ? JSON.parse(button.dataset.body) : (method === "DELETE" || method === "GET" ? undefined : {});
      const result = await api(method, path, body);
      flashAfterReload(button.dataset.success || (result && result.message) || "Done.", button.dataset.redirect || "");
    } catch (exc) {
      button.disabled = false;
      flash(exc.message, "bad");
    }
  }

  // A file upload whose <progress> fills as the file goes out (fetch cannot report that); the
  // API's detail is shown when the file is refused.
  function uploadForm(event) {
    const form = event.target.closest("form[data-upload]");
    if (!form) return;
    event.preventDefault();
    const bar = form.querySelector("progress");
    const error = form.querySelector(".form-error");
    error.textContent = "";
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    bar.hidden = false;
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100); };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status < 300) flashAfterReload(body.message || form.dataset.success || "Uploaded.");
      else { error.textContent = typeof body.detail === "string" ? body.detail : `Upload failed (${xhr.status}).`; error.focus(); }
    };
    xhr.onerror = () => { error.textContent = "Upload failed: the connection broke."; error.focus(); };
    xhr.send(new FormData(form));
  }

  document.addEventListener("submit", submitForm);
  document.addEventListener("submit", uploadForm);
  document.addEventListener("click", clickAction);

  // After the session ends, where the server said (the identity provider's sign-out, say).
  document.getElementById("sign-out")?.addEventListener("click", async (event) => {
    const next = event.currentTarget.dataset.next || "/signin";
    try { await api("POST", "/api/v1/auth/logout"); } catch { /* signed out already */ }
    location.assign(next);
  });

  const signin = document.getElementById("signin");
  signin?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = signin.querySelector(".form-error");
    error.textContent = "";
    try {
      await api("POST", "/api/v1/auth/session", { email: signin.email.value, password: signin.password.value });
      location.assign(signin.dataset.next || "/");
    } catch (exc) {
      error.textContent = exc.message;
      error.focus();
    }
  });

  const pending = sessionStorage.getItem(FLASH);
  if (pending) {
    sessionStorage.removeItem(FLASH);
    flash(pending);
    // Pages that build widgets while loading can take the focus; give it back once they are done.
    window.addEventListener("load", () => document.getElementById("flash")?.focus());
  }

  return { api, flash, flashAfterReload, formBody, csrf };
})();
