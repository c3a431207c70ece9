// A delivery's attempts, loaded when its "attempts" disclosure is opened.
"use strict";
document.querySelectorAll("details.attempts").forEach((box) => {
  box.addEventListener("toggle", async () => {
    if (!box.open || box.dataset.loaded) return;
    const list = box.querySelector("ol");
    try {
      const attempts = await WM.api("GET", box.dataset.url);
      list.innerHTML = "";
      attempts.forEach((a) => {
        const li = document.createElement("li");
        const outcome = a.error ? `error: ${a.error}` : `HTTP ${a.response_code}`;
        li.textContent = `${a.started_on}: ${outcome} in ${a.duration_ms} ms`;
        list.appendChild(li);
      });
      box.dataset.loaded = "1";
    } catch (exc) { list.textContent = exc.message; }
  });
});
