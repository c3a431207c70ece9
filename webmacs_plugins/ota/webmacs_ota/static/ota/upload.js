// Bundle upload with a progress bar; the API's detail is shown when the bundle is refused.
(() => {
  const form = document.getElementById("bundle-upload");
  form?.addEventListener("submit", (event) => {
    event.preventDefault();
    const bar = document.getElementById("bundle-progress");
    const error = form.querySelector(".form-error");
    error.textContent = "";
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRF-Token", WM.csrf);
    bar.hidden = false;
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100); };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status < 300) WM.flashAfterReload(body.message || "Bundle uploaded.");
      else { error.textContent = typeof body.detail === "string" ? body.detail : `Upload failed (${xhr.status}).`; error.focus(); }
    };
    xhr.onerror = () => { error.textContent = "Upload failed: the connection broke."; error.focus(); };
    xhr.send(new FormData(form));
  });
})();
