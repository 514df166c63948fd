// The one way the screens talk to the agent. Inside the desktop app: Tauri `invoke` and events.
// In a browser (served by `twenty-sync run`): `fetch` on /api/ with the session token, and
// Server-Sent Events for live updates. Same calls, same results, same errors.
"use strict";

(function () {
  /** An error the screens can show: `message`, and `fields` (setting → message) when a form
   *  value was refused, `status` (HTTP status, 0 for the desktop app). */
  class ApiError extends Error {
    constructor(message, fields, status) {
      super(message);
      this.fields = fields || {};
      this.status = status || 0;
    }
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
    async function call(command, args, options) {
      try {
        return await tauri.core.invoke(command, args, options);
      } catch (error) {
        if (error && typeof error === "object") {
          throw new ApiError(error.message || String(error), error.fields, 0);
        }
        throw new ApiError(String(error), {}, 0);
      }
    }
    return {
      kind: "desktop",
      live: () => call("live"),
      status: () => call("status"),
      events: (p) => call("events", { query: p || {} }),
      records: (p) => call("records", { query: p || {} }),
      failed: () => call("failed_records"),
      retry: (kind, externalId) => call("retry_record", { kind, externalId }),
      retryAll: () => call("retry_all"),
      imports: () => call("imports"),
      downloadReport: async (path) => {
        const text = await call("import_report", { path });
        const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
        const link = document.createElement("a");
        link.href = url;
        link.download = path.split("/").pop();
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
      },
      reportHref: () => null,
      upload: async (file) => {
        const bytes = new Uint8Array(await file.arrayBuffer());
        return call("upload_file", bytes, {
          headers: { "x-file-name": encodeURIComponent(file.name) },
        });
      },
      settings: () => call("settings"),
      saveSettings: (update) => call("save_settings", { update }),
      checkDropDir: (path) => call("check_drop_dir", { path }),
      testConnection: (request) => call("test_connection", { request: request || {} }),
      createField: (request) => call("create_field", { request: request || {} }),
      syncNow: () => call("sync_now"),
      setPaused: (paused) => call("set_paused", { paused }),
      subscribe(onUpdate, onConnection) {
        let stop = null;
        tauri.event
          .listen("live-update", (event) => onUpdate(event.payload))
          .then((unlisten) => {
            stop = unlisten;
            onConnection(true);
          })
          .catch(() => onConnection(false));
        call("live").then(onUpdate).catch(() => {});
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
          "The Twenty Sync agent does not answer. Is `twenty-sync run` still running?",
          {},
          0,
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
    const get = (path) => request("GET", path);
    const post = (path, body) => request("POST", path, body === undefined ? {} : body);

    return {
      kind: "browser",
      live: () => get("/api/live"),
      status: () => get("/api/status"),
      events: (p) => get("/api/events" + query(p)),
      records: (p) => get("/api/records" + query(p)),
      failed: () => get("/api/records/failed"),
      retry: (kind, externalId) => post("/api/records/retry", { kind, external_id: externalId }),
      retryAll: () => post("/api/records/retry-all"),
      imports: () => get("/api/imports"),
      downloadReport: null,
      reportHref: (path) => "/api/imports/report" + query({ path }),
      upload: (file) =>
        request("POST", "/api/imports/upload" + query({ name: file.name }), undefined, file),
      settings: () => get("/api/settings"),
      saveSettings: (update) => request("PUT", "/api/settings", update),
      checkDropDir: (path) => get("/api/settings/drop-dir" + query({ path })),
      testConnection: (req) => post("/api/settings/test-connection", req || {}),
      createField: (req) => post("/api/settings/create-field", req || {}),
      syncNow: () => post("/api/sync-now"),
      setPaused: (paused) => post(paused ? "/api/pause" : "/api/resume"),
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
