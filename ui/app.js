// The screens of Twenty Sync: Status, Activity, Records, Imports, Settings. Talks to the agent
// only through `TwentySync.api` (transport.js), so it runs the same in the desktop app and in a
// browser. Plain DOM, no framework; text is always set with textContent (never parsed as HTML).
"use strict";

(function () {
  const { api } = window.TwentySync;
  const Chart = window.TwentySyncChart;
  const $ = (id) => document.getElementById(id);

  // ---- small helpers ------------------------------------------------------------------------
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const number = new Intl.NumberFormat();
  const fmt = (n) => (n === undefined || n === null ? "–" : number.format(n));

  function when(iso) {
    if (!iso) return "";
    const date = new Date(iso);
    const today = new Date();
    const sameDay = date.toDateString() === today.toDateString();
    return sameDay
      ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })
      : date.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
  }

  function ago(iso) {
    if (!iso) return "";
    const seconds = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
    if (seconds < 5) return "just now";
    if (seconds < 60) return `${seconds} seconds ago`;
    const minutes = Math.round(seconds / 60);
    if (minutes < 60) return minutes === 1 ? "1 minute ago" : `${minutes} minutes ago`;
    const hours = Math.round(minutes / 60);
    if (hours < 48) return hours === 1 ? "1 hour ago" : `${hours} hours ago`;
    return `${Math.round(hours / 24)} days ago`;
  }

  function inFuture(iso) {
    if (!iso) return "";
    const seconds = Math.max(0, Math.round((new Date(iso).getTime() - Date.now()) / 1000));
    if (seconds < 2) return "now";
    if (seconds < 60) return `in ${seconds} seconds`;
    return `in ${Math.round(seconds / 60)} minutes`;
  }

  function duration(ms) {
    if (ms < 1000) return `${ms} ms`;
    if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
    return `${Math.round(ms / 60000)} min`;
  }

  function showError(target, error) {
    target.textContent = error && error.message ? error.message : String(error);
    target.className = "error-text";
  }

  // ---- state in words and colour -------------------------------------------------------------
  const STATES = {
    idle: { title: "In sync", tone: "good", detail: "Everything recorded is in Twenty." },
    pending: { title: "Waiting to sync", tone: "busy", detail: "Changes are recorded and will be sent shortly." },
    syncing: { title: "Syncing…", tone: "busy", detail: "Sending changes to Twenty." },
    offline: { title: "Offline", tone: "warn", detail: "Twenty cannot be reached. Changes are kept safely and sent when it is back." },
    paused: { title: "Paused", tone: "muted", detail: "Sending is paused. Changes are still recorded." },
    disabled: { title: "Sync is off", tone: "muted", detail: "The sync mode is “record only”: nothing is sent to Twenty." },
    "needs-attention": { title: "Needs attention", tone: "bad", detail: "Something needs you: see below." },
  };

  let latest = null; // the newest LiveUpdate

  function renderStatus(update) {
    latest = update;
    const s = update.status;
    const info = STATES[s.state] || { title: s.state, tone: "muted", detail: "" };
    const pill = $("state-pill");
    pill.dataset.tone = info.tone;
    $("state-pill-text").textContent = info.title;
    const hero = $("hero");
    hero.dataset.tone = info.tone;
    hero.dataset.state = s.state;
    $("hero-title").textContent = info.title;
    let detail = info.detail;
    if (s.state === "needs-attention") {
      detail = s.last_error
        ? s.last_error
        : s.failed > 0
          ? `${fmt(s.failed)} record${s.failed === 1 ? "" : "s"} failed: open Records to see why and retry.`
          : info.detail;
    }
    if (s.since && s.state !== "idle") detail += ` (since ${when(s.since)})`;
    $("hero-detail").textContent = detail;

    $("n-pending").textContent = fmt(s.pending);
    $("n-synced").textContent = fmt(s.synced);
    $("n-skipped").textContent = fmt(s.skipped_unchanged);
    $("n-failed").textContent = fmt(s.failed);
    $("n-failed").parentElement.dataset.alert = s.failed > 0 ? "yes" : "no";
    $("failed-link").hidden = !(s.failed > 0);
    const badge = $("failed-badge");
    badge.hidden = !(s.failed > 0);
    badge.textContent = s.failed > 0 ? `${fmt(s.failed)} failed` : "";

    if (s.rate_limit) {
      const used = s.requests_last_minute || 0;
      $("budget-text").textContent = `${fmt(used)} of ${fmt(s.rate_limit)} requests in the last minute`;
      $("budget-fill").style.width = `${Math.min(100, (100 * used) / s.rate_limit)}%`;
    } else {
      $("budget-text").textContent = "Not sending right now.";
      $("budget-fill").style.width = "0%";
    }
    $("last-push").textContent = s.last_push_at ? ago(s.last_push_at) : "Never";
    $("last-push-abs").textContent = s.last_push_at ? when(s.last_push_at) : "Nothing has been sent to Twenty yet.";

    const paused = update.enabled === false;
    $("pause-toggle").textContent = paused ? "Resume sync" : "Pause sync";
    $("pause-toggle").dataset.paused = paused ? "yes" : "no";

    const banner = $("offline-banner");
    banner.hidden = s.state !== "offline";
    if (s.state === "offline") {
      const parts = [];
      if (s.since) parts.push(`Since ${when(s.since)}.`);
      parts.push("Your changes are kept safely and will be sent when it is back.");
      if (s.next_retry_at) parts.push(`Next try ${inFuture(s.next_retry_at)}.`);
      $("offline-text").textContent = parts.join(" ");
    }

    if (update.chart) {
      Chart.draw($("chart"), update.chart.points);
      $("chart-summary").textContent = Chart.summary(update.chart.points);
    }
    if (current === "activity" && update.newest_seq > activity.newest && activity.newest > 0) {
      if (activity.atTop) loadActivity(true);
    }
    if (current === "records") refreshFailedSoon();
    if (current === "imports" && s.imports !== lastImports) loadImports();
    lastImports = s.imports;
  }
  let lastImports = null;

  // ---- navigation -----------------------------------------------------------------------------
  const SCREENS = ["status", "activity", "records", "imports", "settings"];
  let current = null;

  function show(screen) {
    if (!SCREENS.includes(screen)) screen = "status";
    const first = current === null;
    current = screen;
    for (const name of SCREENS) {
      $(`screen-${name}`).hidden = name !== screen;
      const link = document.querySelector(`.tabs a[data-screen="${name}"]`);
      if (name === screen) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    if (screen === "activity") loadActivity(true);
    if (screen === "records") {
      loadFailed();
      if (!records.loaded) searchRecords(true);
    }
    if (screen === "imports") loadImports();
    if (screen === "settings") loadSettings();
    if (!first) $("main").focus({ preventScroll: true });
  }

  window.addEventListener("hashchange", () => show(location.hash.slice(1)));

  // ---- Activity -------------------------------------------------------------------------------
  const KIND_LABELS = {
    IntentRecorded: "Change asked",
    PushSucceeded: "Sent to Twenty",
    PushSkipped: "Unchanged",
    PushFailed: "Failed",
    RetryRequested: "Retry asked",
    MappingInvalidated: "Gone from Twenty",
    ImportCompleted: "Import",
    ImportProgress: "Import progress",
    ConfigChanged: "Settings",
    ForwardedToRelay: "Sent to relay",
    DropEntryLeftAlone: "Left alone",
    ServerLearned: "Learned",
  };
  const KIND_TONES = { PushSucceeded: "good", PushFailed: "bad", RetryRequested: "busy", MappingInvalidated: "warn" };
  const activity = { next: null, newest: 0, atTop: true, loading: false };

  function activityQuery(before) {
    const form = $("activity-filters");
    const boxes = [...form.querySelectorAll('input[name="category"]')];
    const checked = boxes.filter((b) => b.checked).map((b) => b.value);
    return {
      before,
      limit: 50,
      category: checked.length === boxes.length ? "" : checked.join(",") || "none",
      record: $("activity-record").value.trim(),
    };
  }

  async function loadActivity(reset) {
    if (activity.loading) return;
    activity.loading = true;
    const body = $("activity-table").tBodies[0];
    try {
      const query = activityQuery(reset ? undefined : activity.next);
      let page;
      if (query.category === "none") page = { rows: [], next_before: null, newest_seq: activity.newest, scanned: 0 };
      else page = await api.events(query);
      if (reset) body.replaceChildren();
      for (const row of page.rows) {
        const tone = KIND_TONES[row.kind] || "";
        body.append(
          h("tr", {},
            h("td", { class: "nowrap" }, h("time", { datetime: row.recorded_at, title: row.recorded_at }, when(row.recorded_at))),
            h("td", {}, h("span", { class: `tag ${tone}` }, KIND_LABELS[row.kind] || row.kind)),
            h("td", { class: "wrap" }, row.summary),
          ),
        );
      }
      activity.next = page.next_before;
      if (reset) {
        activity.newest = page.newest_seq;
        activity.atTop = true;
      } else {
        activity.atTop = false;
      }
      $("activity-more").hidden = !page.next_before;
      $("activity-empty").hidden = body.rows.length > 0 || !!page.next_before;
      $("activity-scan").textContent =
        page.rows.length === 0 && page.next_before
          ? `Nothing matching in the ${fmt(page.scanned)} events read so far.`
          : "";
      $("activity-new").hidden = true;
    } catch (error) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: 3, class: "error-text" }, error.message)));
    } finally {
      activity.loading = false;
    }
  }

  $("activity-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    loadActivity(true);
  });
  $("activity-filters").addEventListener("change", (event) => {
    if (event.target.name === "category") loadActivity(true);
  });
  $("activity-more").addEventListener("click", () => loadActivity(false));
  $("activity-refresh").addEventListener("click", () => loadActivity(true));

  // ---- Records --------------------------------------------------------------------------------
  const records = { next: null, loaded: false, seen: new Set() };
  const STATE_LABELS = { synced: "In sync", pending: "Waiting", failed: "Failed", recorded: "Recorded" };
  const STATE_TONES = { synced: "good", pending: "busy", failed: "bad", recorded: "muted" };

  function twentyCell(row) {
    if (!row.twenty_id) return h("span", { class: "muted" }, "not yet");
    const short = row.twenty_id.slice(0, 8) + "…";
    if (row.twenty_url) {
      return h("a", { href: row.twenty_url, target: "_blank", rel: "noopener noreferrer", title: row.twenty_id, class: "mono" }, short, h("span", { class: "visually-hidden" }, " (opens Twenty)"));
    }
    return h("span", { class: "mono", title: row.twenty_id }, short);
  }

  async function searchRecords(reset) {
    const body = $("records-table").tBodies[0];
    const q = $("records-q").value.trim();
    try {
      const page = await api.records({ q, before: reset ? undefined : records.next, limit: 50 });
      if (reset) {
        body.replaceChildren();
        records.seen = new Set();
      }
      for (const row of page.rows) {
        const key = `${row.kind}/${row.external_id}`;
        if (records.seen.has(key)) continue;
        records.seen.add(key);
        body.append(
          h("tr", {},
            h("td", {}, row.kind === "person" ? "Person" : "Company"),
            h("td", { class: "mono" }, row.external_id),
            h("td", {}, row.name || h("span", { class: "muted" }, "—")),
            h("td", {}, twentyCell(row)),
            h("td", { class: "nowrap" }, row.last_pushed_at ? when(row.last_pushed_at) : h("span", { class: "muted" }, "never")),
            h("td", {},
              h("span", { class: `tag ${STATE_TONES[row.state] || ""}` }, STATE_LABELS[row.state] || row.state),
              row.error ? h("div", { class: "small error-text" }, row.error) : null,
            ),
          ),
        );
      }
      records.next = page.next_before;
      records.loaded = true;
      $("records-more").hidden = !page.next_before;
      $("records-empty").hidden = body.rows.length > 0 || !!page.next_before;
    } catch (error) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: 6, class: "error-text" }, error.message)));
    }
  }

  $("records-search").addEventListener("submit", (event) => {
    event.preventDefault();
    searchRecords(true);
  });
  $("records-more").addEventListener("click", () => searchRecords(false));

  let failedTimer = null;
  function refreshFailedSoon() {
    if (failedTimer) return;
    failedTimer = setTimeout(() => {
      failedTimer = null;
      if (current === "records") loadFailed();
    }, 1500);
  }

  async function loadFailed() {
    const body = $("failed-table").tBodies[0];
    try {
      const { rows } = await api.failed();
      $("failed-panel").hidden = rows.length === 0;
      body.replaceChildren(
        ...rows.map((row) =>
          h("tr", { "data-key": `${row.kind}/${row.external_id}` },
            h("td", {},
              h("div", { class: "mono" }, row.external_id),
              h("div", { class: "small muted" }, `${row.kind === "person" ? "Person" : "Company"}${row.name ? " · " + row.name : ""}`),
            ),
            h("td", { class: "wrap" }, h("span", { class: "error-text" }, row.error || ""), row.error_code ? h("div", { class: "small muted" }, row.error_code) : null),
            h("td", { class: "nowrap" }, when(row.failed_at)),
            h("td", {},
              h("button", {
                type: "button",
                class: "secondary small-button",
                "aria-label": `Retry ${row.external_id}`,
                onclick: async (event) => {
                  const button = event.currentTarget;
                  button.disabled = true;
                  try {
                    await api.retry(row.kind, row.external_id);
                    button.textContent = "Queued";
                  } catch (error) {
                    button.disabled = false;
                    button.textContent = "Retry";
                    alert(error.message);
                  }
                  loadFailed();
                },
              }, "Retry"),
            ),
          ),
        ),
      );
    } catch (error) {
      $("failed-panel").hidden = false;
      body.replaceChildren(h("tr", {}, h("td", { colspan: 4, class: "error-text" }, error.message)));
    }
  }

  $("retry-all").addEventListener("click", async () => {
    const button = $("retry-all");
    button.disabled = true;
    try {
      await api.retryAll();
    } catch (error) {
      alert(error.message);
    } finally {
      button.disabled = false;
      loadFailed();
    }
  });

  // ---- Imports --------------------------------------------------------------------------------
  const RESULT_LABELS = { imported: "Imported", duplicate: "Already imported", failed: "Refused" };
  const RESULT_TONES = { imported: "good", duplicate: "muted", failed: "bad" };

  function reportCell(row) {
    if (!row.report) return h("span", { class: "muted" }, row.status === "failed" && row.message ? row.message : "—");
    const label = row.status === "failed" ? "Why" : "Error report";
    const href = api.reportHref(row.report);
    if (href) return h("a", { href, download: "" }, label);
    return h("button", { type: "button", class: "link", onclick: () => api.downloadReport(row.report) }, label);
  }

  async function loadImports() {
    const body = $("imports-table").tBodies[0];
    try {
      const { rows, drop_dir } = await api.imports();
      $("drop-dir").textContent = drop_dir;
      body.replaceChildren(
        ...rows.map((row) =>
          h("tr", {},
            h("td", { class: "nowrap" }, when(row.at)),
            h("td", { class: "wrap" }, row.file_name, row.status === "failed" && row.message ? h("div", { class: "small error-text" }, row.message) : null),
            h("td", {}, h("span", { class: `tag ${RESULT_TONES[row.status] || ""}` }, RESULT_LABELS[row.status] || row.status)),
            h("td", { class: "num" }, fmt(row.rows_read)),
            h("td", { class: "num" }, fmt(row.recorded)),
            h("td", { class: `num ${row.invalid > 0 ? "error-text" : ""}` }, fmt(row.invalid)),
            h("td", { class: "num nowrap" }, row.seq ? duration(row.duration_ms) : "—"),
            h("td", {}, reportCell(row)),
          ),
        ),
      );
      $("imports-empty").hidden = rows.length > 0;
    } catch (error) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: 8, class: "error-text" }, error.message)));
    }
  }

  async function upload(file) {
    const message = $("upload-message");
    message.className = "";
    message.textContent = `Copying ${file.name}…`;
    try {
      const reply = await api.upload(file);
      message.className = "ok-text";
      message.textContent = `${reply.file_name} is in the drop folder; it will be imported in a few seconds.`;
      setTimeout(loadImports, 3000);
    } catch (error) {
      showError(message, error);
    }
  }

  $("file-input").addEventListener("change", (event) => {
    const file = event.target.files && event.target.files[0];
    if (file) upload(file);
    event.target.value = "";
  });
  const zone = $("dropzone");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) upload(file);
  });

  // ---- Settings -------------------------------------------------------------------------------
  const FIELDS = ["base_url", "api_key", "enabled", "sync_mode", "rate_limit", "batch_size", "drop_dir", "ui_port", "relay_port", "platform_url", "platform_token"];
  const SECRET_FIELDS = ["api_key", "platform_token"];
  let shown = {}; // the settings view: name → { value, source }

  function clearFieldErrors() {
    for (const name of FIELDS) {
      const error = $(`e-${name}`);
      if (error) error.textContent = "";
      const input = $(`s-${name}`);
      if (input) input.removeAttribute("aria-invalid");
    }
  }

  function showFieldErrors(fields) {
    let first = null;
    for (const [name, message] of Object.entries(fields || {})) {
      const error = $(`e-${name}`);
      const input = $(`s-${name}`);
      if (error) error.textContent = message;
      if (input) {
        input.setAttribute("aria-invalid", "true");
        first = first || input;
      }
    }
    if (first) first.focus();
    return first !== null;
  }

  async function loadSettings() {
    clearFieldErrors();
    $("settings-message").textContent = "";
    try {
      const view = await api.settings();
      shown = view.settings || {};
      for (const name of FIELDS) {
        const input = $(`s-${name}`);
        if (!input) continue;
        const entry = shown[name];
        const wrapper = input.closest(".field");
        if (!entry) {
          input.disabled = true;
          continue;
        }
        input.disabled = false;
        if (SECRET_FIELDS.includes(name)) {
          input.value = "";
          input.placeholder = entry.value ? `Saved (${entry.value}) — type a new one to replace it` : "Not set";
        } else if (input.type === "checkbox") {
          input.checked = entry.value === true;
        } else if (name === "drop_dir") {
          input.value = entry.value || "";
          input.placeholder = view.drop_dir || "";
        } else {
          input.value = entry.value === null || entry.value === undefined ? "" : entry.value;
        }
        let source = wrapper.querySelector(".source");
        if (!source) {
          source = h("p", { class: "source" });
          wrapper.append(source);
        }
        source.textContent = entry.source && entry.source !== "default" ? `Currently set by: ${entry.source}` : "";
      }
      const platform = ["platform_url", "platform_token"].some((n) => shown[n]);
      $("platform-unavailable").hidden = platform;
      checkDropDir();
    } catch (error) {
      showError($("settings-message"), error);
    }
  }

  // The drop folder is checked as it is typed, before saving: refused (why), or how many files
  // will be imported now and how many left alone.
  let dropCheckTimer = null;
  let dropCheckSeq = 0;
  async function checkDropDir() {
    const input = $("s-drop_dir");
    if (!input || !api.checkDropDir) return;
    const seq = ++dropCheckSeq;
    const error = $("e-drop_dir");
    const warnings = $("w-drop_dir");
    try {
      const check = await api.checkDropDir(input.value.trim());
      if (seq !== dropCheckSeq) return;
      error.textContent = check.refused || "";
      if (check.refused) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
      warnings.replaceChildren(...(check.warnings || []).map((text) => h("li", {}, text)));
    } catch (failure) {
      if (seq !== dropCheckSeq) return;
      warnings.replaceChildren();
    }
  }
  $("s-drop_dir").addEventListener("input", () => {
    clearTimeout(dropCheckTimer);
    dropCheckTimer = setTimeout(checkDropDir, 300);
  });

  function collectUpdate() {
    const update = {};
    for (const name of FIELDS) {
      const input = $(`s-${name}`);
      if (!input || !shown[name]) continue;
      if (input.type === "checkbox") update[name] = input.checked;
      else if (input.type === "number") {
        // Ports apply at the next start: sent only when changed, so saving the form never
        // stores a port that came from a flag or the environment.
        const port = name === "ui_port" || name === "relay_port";
        if (port && String(shown[name].value) === input.value.trim()) continue;
        if (input.value.trim() !== "") update[name] = Number(input.value);
      } else if (SECRET_FIELDS.includes(name)) {
        if (input.value.trim() !== "") update[name] = input.value.trim();
      } else update[name] = input.value.trim();
    }
    return update;
  }

  $("settings-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors();
    const message = $("settings-message");
    message.className = "";
    message.textContent = "Saving…";
    try {
      await api.saveSettings(collectUpdate());
      message.className = "ok-text";
      message.textContent = "Saved. The agent uses the new settings now.";
      await loadSettings();
      message.className = "ok-text";
      message.textContent = "Saved. The agent uses the new settings now.";
    } catch (error) {
      const named = showFieldErrors(error.fields);
      message.className = "error-text";
      message.textContent = named ? "Nothing was saved: fix the fields marked below." : error.message;
    }
  });

  const CHECK_LABELS = {
    reachable: "Server reachable",
    authenticated: "API key accepted",
    read_companies: "Can read companies",
    read_people: "Can read people",
    external_id_companies: "Companies have the externalId field",
    external_id_people: "People have the externalId field",
  };

  function formConnection() {
    return { base_url: $("s-base_url").value.trim(), api_key: $("s-api_key").value.trim() };
  }

  function renderConnection(view) {
    $("connection-result").hidden = false;
    $("connection-result").dataset.ok = view.ok ? "yes" : "no";
    $("connection-message").textContent = `${view.message} (${view.latency_ms} ms)`;
    $("connection-checks").replaceChildren(
      ...view.checks.map((check) =>
        h("li", { class: check.ok ? "ok" : "fail" },
          h("span", { class: "check-mark", "aria-hidden": "true" }, check.ok ? "✓" : "✗"),
          h("span", { class: "visually-hidden" }, check.ok ? "Passed: " : "Failed: "),
          h("strong", {}, CHECK_LABELS[check.name] || check.name),
          h("span", { class: "check-detail" }, check.detail),
        ),
      ),
    );
    $("create-field").hidden = !view.can_create_field;
  }

  async function runConnection(button, call) {
    clearFieldErrors();
    button.disabled = true;
    const label = button.textContent;
    button.textContent = "Testing…";
    $("connection-result").hidden = false;
    $("connection-message").textContent = "Asking Twenty…";
    $("connection-checks").replaceChildren();
    try {
      renderConnection(await call(formConnection()));
    } catch (error) {
      showFieldErrors(error.fields);
      $("connection-result").dataset.ok = "no";
      $("connection-message").textContent = error.message;
      $("create-field").hidden = true;
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  }

  $("test-connection").addEventListener("click", (event) => runConnection(event.currentTarget, api.testConnection));
  $("create-field").addEventListener("click", (event) => runConnection(event.currentTarget, api.createField));

  // ---- actions --------------------------------------------------------------------------------
  $("sync-now").addEventListener("click", async () => {
    try {
      await api.syncNow();
    } catch (error) {
      alert(error.message);
    }
  });
  $("offline-retry").addEventListener("click", () => api.syncNow().catch(() => {}));
  $("pause-toggle").addEventListener("click", async () => {
    const paused = $("pause-toggle").dataset.paused === "yes";
    try {
      await api.setPaused(!paused);
    } catch (error) {
      alert(error.message);
    }
  });

  // ---- live updates -------------------------------------------------------------------------
  function connection(ok) {
    $("lost-banner").hidden = ok;
    if (!ok) {
      const pill = $("state-pill");
      pill.dataset.tone = "muted";
      $("state-pill-text").textContent = "Agent not answering";
    }
  }

  // Times shown as "… ago" / "in …" are refreshed every few seconds without asking the agent.
  setInterval(() => {
    if (latest) {
      const s = latest.status;
      $("last-push").textContent = s.last_push_at ? ago(s.last_push_at) : "Never";
      if (s.state === "offline" && s.next_retry_at) {
        const parts = [];
        if (s.since) parts.push(`Since ${when(s.since)}.`);
        parts.push("Your changes are kept safely and will be sent when it is back.");
        parts.push(`Next try ${inFuture(s.next_retry_at)}.`);
        $("offline-text").textContent = parts.join(" ");
      }
    }
  }, 5000);

  async function start() {
    show(location.hash.slice(1) || "status");
    try {
      renderStatus(await api.live());
      connection(true);
    } catch (error) {
      if (error.status === 401) {
        $("lost-banner").hidden = false;
        $("lost-banner").querySelector("strong").textContent = "This page needs its access link.";
        $("lost-text").textContent = "Open the address printed by `twenty-sync run` (it ends with ?token=…).";
        return;
      }
      connection(false);
    }
    api.subscribe(renderStatus, connection);
  }

  start();
})();
