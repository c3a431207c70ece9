// Driver settings forms generated from each driver's JSON schema.
"use strict";
(() => {
  const drivers = JSON.parse(document.getElementById("drivers")?.textContent || "[]");
  const byId = new Map(drivers.map((d) => [d.id, d]));
  let seq = 0;

  function resolve(schema, prop) {
    if (prop.$ref) return schema.$defs?.[prop.$ref.split("/").pop()] || prop;
    if (prop.allOf?.length === 1) return resolve(schema, prop.allOf[0]);
    if (prop.anyOf) return prop.anyOf.find((p) => p.type !== "null") || prop;
    return prop;
  }

  // One labelled input per top-level property, ordered by ui_order, typed from the schema.
  function render(fieldset, driver, current) {
    fieldset.querySelectorAll(".field").forEach((el) => el.remove());
    const schema = driver?.config_schema;
    const hint = fieldset.querySelector("p");
    if (hint) hint.remove();
    if (!schema || !schema.properties) return;
    const props = Object.entries(schema.properties).sort((a, b) => (a[1].ui_order ?? 999) - (b[1].ui_order ?? 999));
    for (const [name, raw] of props) {
      const prop = { ...resolve(schema, raw), ...raw };
      const id = `cfg-${++seq}`;
      const wrap = document.createElement("div");
      wrap.className = prop.type === "boolean" ? "field inline" : "field";
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = prop.title || name;
      let input;
      if (prop.enum) {
        input = document.createElement("select");
        prop.enum.forEach((v) => { const o = document.createElement("option"); o.value = o.textContent = v; input.appendChild(o); });
      } else {
        input = document.createElement("input");
        input.type = prop.type === "boolean" ? "checkbox" : (prop.type === "number" || prop.type === "integer") ? "number" : "text";
        if (input.type === "number") input.step = prop.type === "integer" ? "1" : "any";
      }
      input.id = id;
      input.dataset.key = name;
      input.dataset.kind = prop.type || "string";
      const value = current[name] ?? prop.default;
      if (input.type === "checkbox") input.checked = Boolean(value);
      else if (value !== undefined && value !== null && typeof value !== "object") input.value = value;
      if (prop.description) input.title = prop.description;
      if (input.type === "checkbox") wrap.append(input, label); else wrap.append(label, input);
      fieldset.appendChild(wrap);
    }
  }

  function collect(form) {
    const out = {};
    form.querySelectorAll("[data-key]").forEach((el) => {
      if (el.type === "checkbox") out[el.dataset.key] = el.checked;
      else if (el.value === "") return;
      else out[el.dataset.key] = el.dataset.kind === "number" || el.dataset.kind === "integer" ? Number(el.value) : el.value;
    });
    form.querySelector("[data-config]").value = JSON.stringify(out);
  }

  const create = document.getElementById("instance-create");
  if (create) {
    const select = create.querySelector("#f-plugin-id");
    const show = () => render(document.getElementById("config-fields"), byId.get(select.value), {});
    select.addEventListener("change", show);
    show();
    create.addEventListener("submit", () => collect(create), true);
  }
  document.querySelectorAll("form.instance-config").forEach((form) => {
    let current = {};
    try { current = JSON.parse(form.dataset.current); } catch { /* shown with defaults */ }
    render(form.querySelector(".config-fields"), byId.get(form.dataset.plugin), current);
    form.addEventListener("submit", () => collect(form), true);
  });
})();
