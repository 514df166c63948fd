// The Records screen: the failed records with Twenty's message (Retry, Retry all) and the search
// of every record. Both lists are read again after every action and, while the screen is
// shown, after every change the agent reports, so a state is never left stale.
"use strict";

(function () {
  const UI = window.TwentySyncUI;
  const { api } = window.TwentySync;
  const { $, h, when, say, plural } = UI;

  /** The search below the failed records: `next` is the listing's cursor (`next_before`, no
   *  query), `after` the search's (`next_after`): "More results". */
  const records = { next: null, after: null, loaded: false, pages: 0, seen: new Set() };
  const STATE_LABELS = { synced: "In sync", pending: "Waiting", failed: "Failed", recorded: "Recorded" };
  const STATE_TONES = { synced: "good", pending: "busy", failed: "bad", recorded: "muted" };
  const kindName = (kind) => (kind === "person" ? "Person" : "Company");

  function twentyCell(row) {
    if (!row.twenty_id) return h("span", { class: "muted" }, "not yet");
    const short = row.twenty_id.slice(0, 8) + "…";
    if (row.twenty_url) {
      return h("a", { href: row.twenty_url, target: "_blank", rel: "noopener noreferrer", title: row.twenty_id, class: "mono" }, short, h("span", { class: "visually-hidden" }, " (opens Twenty)"));
    }
    return h("span", { class: "mono", title: row.twenty_id }, short);
  }

  async function search(reset) {
    const body = $("records-table").tBodies[0];
    const q = $("records-q").value.trim();
    try {
      const page = await api.records(reset ? { q, limit: 50 } : { q, before: records.next || undefined, after: records.after || undefined, limit: 50 });
      if (reset) {
        body.replaceChildren();
        records.seen = new Set();
        records.pages = 0;
      }
      records.pages += 1;
      for (const row of page.rows) {
        const key = `${row.kind}/${row.external_id}`;
        if (records.seen.has(key)) continue;
        records.seen.add(key);
        body.append(
          h("tr", { "data-key": key },
            h("td", { "data-label": "Kind" }, kindName(row.kind)),
            h("td", { "data-label": "Your id" }, h("span", { class: "mono" }, row.external_id)),
            h("td", { "data-label": "Name" }, row.name || h("span", { class: "muted" }, "—")),
            h("td", { "data-label": "In Twenty" }, twentyCell(row)),
            h("td", { class: "nowrap", "data-label": "Last pushed" }, row.last_pushed_at ? when(row.last_pushed_at) : h("span", { class: "muted" }, "never")),
            h("td", { "data-label": "State" },
              h("span", { class: `tag ${STATE_TONES[row.state] || ""}` }, STATE_LABELS[row.state] || row.state),
              row.error ? h("div", { class: "small error-text wrap" }, row.error) : null,
            ),
          ),
        );
      }
      records.next = page.next_after ? null : page.next_before;
      records.after = page.next_after || null;
      records.loaded = true;
      // A search goes on through its cursor; the listing of every record, further back.
      const more = $("records-more");
      more.textContent = records.after ? "More results" : "Search further back";
      more.hidden = !records.after && !records.next;
      // What the agent says of this search: nothing matches, or the index is still being built.
      const note = $("records-note");
      note.textContent = page.message || "";
      note.hidden = !page.message;
      $("records-empty").hidden = body.rows.length > 0 || !more.hidden || !!page.message;
    } catch (error) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: 6, class: "error-text" }, error.message)));
    }
  }

  $("records-search").addEventListener("submit", (event) => {
    event.preventDefault();
    search(true);
  });
  $("records-more").addEventListener("click", () => search(false));

  function retryButton(row) {
    return h("button", {
      type: "button",
      class: "secondary small-button",
      "aria-label": `Retry ${row.external_id}`,
      onclick: async (event) => {
        const button = event.currentTarget;
        button.disabled = true;
        try {
          await api.retry(row.kind, row.external_id);
          button.textContent = "Queued";
          say($("records-message"), `${row.external_id} is queued again and will be sent shortly.`, "ok");
        } catch (error) {
          button.disabled = false;
          UI.showError($("records-message"), error);
        }
        refresh();
      },
    }, "Retry");
  }

  async function loadFailed() {
    const body = $("failed-table").tBodies[0];
    try {
      const { rows } = await api.failed();
      $("failed-panel").hidden = rows.length === 0;
      body.replaceChildren(
        ...rows.map((row) =>
          h("tr", { "data-key": `${row.kind}/${row.external_id}` },
            h("td", { class: "record-cell" },
              h("div", { class: "mono" }, row.external_id),
              h("div", { class: "small muted" }, `${kindName(row.kind)}${row.name ? " · " + row.name : ""}`),
            ),
            h("td", { class: "wrap", "data-label": "Twenty said" }, h("span", { class: "error-text" }, row.error || ""), row.error_code ? h("div", { class: "small muted" }, row.error_code) : null),
            h("td", { class: "nowrap", "data-label": "When" }, when(row.failed_at)),
            h("td", { class: "action-cell" }, retryButton(row)),
          ),
        ),
      );
    } catch (error) {
      $("failed-panel").hidden = false;
      body.replaceChildren(h("tr", {}, h("td", { colspan: 4, class: "error-text" }, error.message)));
    }
  }

  /** Both lists again: the failed ones and the first page of the search (unless the person
   *  paged further back, which a reload would undo). */
  function refresh() {
    const reads = [loadFailed()];
    if (records.pages <= 1) reads.push(search(true));
    return Promise.all(reads);
  }

  // While the screen is shown, both lists follow the agent: read again at most every 2 s after
  // a change in the counts (a busy agent reports every second).
  let refreshTimer = null;
  let lastCounts = "";
  function refreshSoon(update) {
    const s = update.status;
    const counts = [s.intents, s.pending, s.failed, s.synced, s.skipped_unchanged].join("/");
    if (counts === lastCounts || refreshTimer) return;
    lastCounts = counts;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      if (UI.current === "records") refresh();
    }, 2000);
  }

  $("retry-all").addEventListener("click", async () => {
    const button = $("retry-all");
    button.disabled = true;
    try {
      const { queued } = await api.retryAll();
      say($("records-message"), `${plural(queued, "record is", "records are")} queued again and will be sent shortly.`, "ok");
    } catch (error) {
      UI.showError($("records-message"), error);
    } finally {
      button.disabled = !UI.reachable;
      refresh();
    }
  });

  UI.screens.records = {
    show() {
      say($("records-message"), "");
      return refresh();
    },
    update: refreshSoon,
  };
})();
