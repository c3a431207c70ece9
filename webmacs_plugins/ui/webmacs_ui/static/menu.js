// The main menu on a narrow screen: folded behind the "Menu" button, which says whether it is open
// (aria-expanded) and closes with Escape. Loaded right after the header, so a phone never shows
// the whole menu first; without scripts the menu simply stays open. Wide screens never fold it.
"use strict";
(() => {
  const toggle = document.getElementById("menu-toggle");
  const menu = document.getElementById("top-menu");
  if (!toggle || !menu) return;
  const header = toggle.closest("header");

  function setOpen(open) {
    toggle.setAttribute("aria-expanded", String(open));
    header.classList.toggle("menu-open", open);
  }

  header.classList.add("menu-folds");
  toggle.hidden = false;
  toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || toggle.getAttribute("aria-expanded") !== "true") return;
    const inside = menu.contains(document.activeElement);
    setOpen(false);
    if (inside) toggle.focus();
  });
})();
