// Placeholder UI logic: shows the app version when running inside Tauri, a note in a plain browser.
"use strict";

(function () {
  const status = document.getElementById("version");
  const tauri = window.__TAURI__;

  if (!tauri || !tauri.core) {
    status.textContent = "Opened in a plain browser: run the Twenty Sync desktop app to see its version.";
    return;
  }

  tauri.core
    .invoke("app_version")
    .then((version) => {
      status.textContent = `Version ${version}`;
    })
    .catch((err) => {
      status.textContent = `Could not read the app version: ${err}`;
    });
})();
