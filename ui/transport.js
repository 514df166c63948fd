// The one way the screens talk to the agent. Every operation is one entry of OPERATIONS: the
// name of an `app::ops` request and how the screen's arguments become its fields. Inside the
// desktop app it travels through Tauri's `rpc` command, in a browser (served by `twenty-sync
// run`) as `POST /api/rpc` with the session token: same requests, same replies, same errors.
// Only what is not JSON differs: a file's bytes (upload), an error report (download) and live
// updates (Tauri events, or Server-Sent Events); and what only the desktop app has: Start at
// login (Tauri's autostart plugin) and opening the log folder (`autostart`, `openLogFolder`: null
// in a browser).
"use strict";

(function () {
  /** An error the screens can show: `message`, and `fields` (setting → message) when a form
   *  value was refused, `status` (HTTP status, 0 for the desktop app), `unreachable`. */
  class ApiError extends Error {
    constructor(message, fields, status, unreachable) {
      super(message);
      this.fields = fields || {};
      this.status = status || 0;
      /** The agent did not answer at all (the browser could not reach it). */
      this.unreachable = !!unreachable;
    }
  }

  /** screen call → [operation, (arguments) → request fields] */
  const OPERATIONS = {
    live: ["live_status"],
    status: ["status"],
    events: ["events", (query) => query],
    records: ["records", (query) => query],
    failed: ["failed_records"],
    failures: ["list_failures", (limit) => ({ limit })],
    dismiss: ["dismiss_failure", (kind, externalId) => ({ kind, external_id: externalId })],
    link: ["link_record", (kind, externalId, twentyId) => ({ kind, external_id: externalId, twenty_id: twentyId })],
    retry: ["retry_record", (kind, externalId) => ({ kind, external_id: externalId })],
    retryAll: ["retry_all"],
    imports: ["imports"],
    readingImports: ["reading_imports"],
    importPreview: ["import_preview", (request) => request],
    mappingSet: ["mapping_set", (kind, column, target) => ({ kind, column, target })],
    settings: ["show_settings"],
    saveSettings: ["save_settings", (update) => update],
    checkDropDir: ["check_drop_dir", (path) => ({ path })],
    testConnection: ["test_connection", (form) => form],
    createField: ["create_field", (form) => form],
    syncNow: ["sync_now"],
    setPaused: ["set_paused", (paused) => ({ paused })],
    about: ["about"],
  };

  /** The screens' calls over one `call(request)` of a transport. */
  function operations(call) {
    const api = {};
    for (const [name, [op, fields]] of Object.entries(OPERATIONS)) {
      api[name] = (...args) => {
        const given = fields ? fields(...args) : {};
        const request = { op };
        for (const [key, value] of Object.entries(given || {})) {
          if (value !== undefined && value !== null && value !== "") request[key] = value;
        }
        return call(request);
      };
    }
    return api;
  }

  const tauri = window.__TAURI__ && window.__TAURI__.core ? window.__TAURI__ : null;

  function query(params) {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params || {})) {
      if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
    }
    const text = search.toString();
    return text ? "?" + text : "";
  }

  // ---- desktop app: invoke + events -------------------------------------------------------
  function desktop() {
    async function invoke(command, args, options) {
      try {
        return await tauri.core.invoke(command, args, options);
      } catch (error) {
        if (error && typeof error === "object") {
          throw new ApiError(error.error || error.message || String(error), error.fields, 0);
        }
        throw new ApiError(String(error), {}, 0);
      }
    }
    return {
      kind: "desktop",
      ...operations((request) => invoke("rpc", { request })),
      downloadReport: async (path) => {
        const report = await invoke("rpc", { request: { op: "import_report", path } });
        const url = URL.createObjectURL(new Blob([report.text], { type: "text/csv" }));
        const link = document.createElement("a");
        link.href = url;
        link.download = report.file_name;
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
      },
      reportHref: () => null,
      /** Start at login: an autostart entry of the desktop session (~/.config/autostart). */
      autostart: {
        enabled: () => invoke("plugin:autostart|is_enabled"),
        set: (on) => invoke(on ? "plugin:autostart|enable" : "plugin:autostart|disable"),
      },
      openLogFolder: () => invoke("open_log_folder"),
      upload: async (file) => {
        const bytes = new Uint8Array(await file.arrayBuffer());
        return invoke("upload_file", bytes, {
          headers: { "x-file-name": encodeURIComponent(file.name) },
        });
      },
      subscribe(onUpdate, onConnection) {
        let stop = null;
        tauri.event
          .listen("live-update", (event) => onUpdate(event.payload))
          .then((unlisten) => {
            stop = unlisten;
            onConnection(true);
          })
          .catch(() => onConnection(false));
        invoke("rpc", { request: { op: "live_status" } }).then(onUpdate).catch(() => {});
        return () => stop && stop();
      },
    };
  }

  // ---- browser: fetch + Server-Sent Events ---------------------------------------------------
  function browser() {
    const KEY = "twenty-sync-token";
    const url = new URL(window.location.href);
    const fromUrl = url.searchParams.get("token");
    if (fromUrl) {
      sessionStorage.setItem(KEY, fromUrl);
      url.searchParams.delete("token");
      history.replaceState(null, "", url.pathname + url.search + url.hash);
    }
    const token = () => sessionStorage.getItem(KEY) || "";

    async function request(method, path, body, rawBody) {
      const headers = {};
      if (token()) headers.Authorization = "Bearer " + token();
      const init = { method, headers, credentials: "same-origin", cache: "no-store" };
      if (rawBody !== undefined) {
        init.body = rawBody;
        headers["Content-Type"] = "application/octet-stream";
      } else if (body !== undefined) {
        init.body = JSON.stringify(body);
        headers["Content-Type"] = "application/json";
      }
      let response;
      try {
        response = await fetch(path, init);
      } catch (error) {
        throw new ApiError(
          "The Twenty Sync agent does not answer: start it again (the desktop app, or `twenty-sync run`).",
          {},
          0,
          true,
        );
      }
      let data = null;
      try {
        data = await response.json();
      } catch (error) {
        data = null;
      }
      if (!response.ok) {
        const message =
          (data && data.error) || "The agent answered " + response.status + " " + response.statusText;
        throw new ApiError(message, data && data.fields, response.status);
      }
      return data;
    }
    const post = (path, body) => request("POST", path, body === undefined ? {} : body);

    return {
      kind: "browser",
      ...operations((request) => post("/api/rpc", request)),
      downloadReport: null,
      reportHref: (path) => "/api/imports/report" + query({ path }),
      autostart: null,
      openLogFolder: null,
      upload: (file) =>
        request("POST", "/api/imports/upload" + query({ name: file.name }), undefined, file),
      subscribe(onUpdate, onConnection) {
        // EventSource cannot send headers: the stream is authorised by the page's cookie.
        let source = null;
        let closed = false;
        let retryTimer = null;
        const open = () => {
          source = new EventSource("/api/events/stream", { withCredentials: true });
          source.addEventListener("update", (event) => {
            onConnection(true);
            try {
              onUpdate(JSON.parse(event.data));
            } catch (error) {
              /* a malformed update is skipped */
            }
          });
          source.onerror = () => {
            onConnection(false);
            source.close();
            if (!closed) retryTimer = setTimeout(open, 3000);
          };
        };
        open();
        return () => {
          closed = true;
          clearTimeout(retryTimer);
          if (source) source.close();
        };
      },
    };
  }

  window.TwentySync = { api: tauri ? desktop() : browser(), ApiError };
})();
