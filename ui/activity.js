// The Activity screen: the event log newest first, filtered by category and record, page by
// page; new events are shown at once while the first page is on screen. An import's notes show
// every warning of the file.
"use strict";

(function () {
  const UI = window.TwentySyncUI;
  const { api } = window.TwentySync;
  const { $, h, fmt, when } = UI;

  const KIND_LABELS = {
    IntentRecorded: "Change asked",
    PushSucceeded: "Sent to Twenty",
    PushSkipped: "Unchanged",
    PushFailed: "Failed",
    RetryRequested: "Retry asked",
    MappingInvalidated: "Gone from Twenty",
    ImportCompleted: "Import",
    ImportProgress: "Import progress",
    ImportNoted: "Import started",
    ConfigChanged: "Settings",
    ForwardedToRelay: "Sent to relay",
    DropEntryLeftAlone: "Left alone",
    ServerLearned: "Learned",
    ConflictFound: "Duplicate",
    FailureDismissed: "Dismissed",
    RecordLinked: "Linked",
    RecordAdopted: "Adopted",
  };
  const KIND_TONES = { PushSucceeded: "good", PushFailed: "bad", RetryRequested: "busy", MappingInvalidated: "warn" };
  const activity = { next: null, newest: 0, atTop: true, loading: false };

  /** An import's notes: "Import warning" with every warning listed (the summary names only the
   *  first), "Import resumed", or "Import started". */
  function noted(row) {
    const warnings = (row.details && row.details.warnings) || [];
    const resumed = row.details && row.details.resumed_after_row !== null && row.details.resumed_after_row !== undefined;
    const label = warnings.length ? (warnings.length === 1 ? "Import warning" : "Import warnings") : resumed ? "Import resumed" : "Import started";
    const tone = warnings.length ? "warn" : "";
    const details = warnings.length > 1
      ? [row.summary.replace(/: \d+ warnings: .*$/, `: ${warnings.length} warnings:`), h("ul", { class: "warnings small" }, ...warnings.map((w) => h("li", {}, w)))]
      : [row.summary];
    return { label, tone, details };
  }

  function query(before) {
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

  async function load(reset) {
    if (activity.loading) return;
    activity.loading = true;
    const body = $("activity-table").tBodies[0];
    try {
      const q = query(reset ? undefined : activity.next);
      let page;
      if (q.category === "none") page = { rows: [], next_before: null, newest_seq: activity.newest, scanned: 0 };
      else page = await api.events(q);
      if (reset) body.replaceChildren();
      for (const row of page.rows) {
        const shown = row.kind === "ImportNoted"
          ? noted(row)
          : { label: KIND_LABELS[row.kind] || row.kind, tone: KIND_TONES[row.kind] || "", details: [row.summary] };
        body.append(
          h("tr", { "data-kind": row.kind },
            h("td", { class: "nowrap", "data-label": "When" }, h("time", { datetime: row.recorded_at, title: row.recorded_at }, when(row.recorded_at))),
            h("td", { "data-label": "What" }, h("span", { class: `tag ${shown.tone}` }, shown.label)),
            h("td", { class: "wrap", "data-label": "Details" }, ...shown.details),
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
    load(true);
  });
  $("activity-filters").addEventListener("change", (event) => {
    if (event.target.name === "category") load(true);
  });
  $("activity-more").addEventListener("click", () => load(false));
  $("activity-refresh").addEventListener("click", () => load(true));

  UI.screens.activity = {
    show: () => load(true),
    update(update) {
      if (update.newest_seq <= activity.newest || activity.newest === 0) return;
      if (activity.atTop) load(true);
      else $("activity-new").hidden = false;
    },
  };
})();
