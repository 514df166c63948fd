// The Records screen: the failed records with Twenty's message (for a duplicate: the field, the
// value and the Twenty record it collides with) and their actions (Retry, Dismiss after a
// confirmation, Link to the record a duplicate collides with; Retry all), and the search of every
// record. Both lists are read again after every action and, while the screen is shown, after
// every change the agent reports, so a state is never left stale; a row acted on says what
// happened, in the list until the screen is left.
"use strict";

(function () {
  const UI = window.TwentySyncUI;
  const { api } = window.TwentySync;
  const { $, h, fmt, when, say, plural } = UI;

  /** The search below the failed records: `next` is the listing's cursor (`next_before`, no
   *  query), `after` the search's (`next_after`): "More results". */
  const records = { next: null, after: null, loaded: false, pages: 0, seen: new Set() };
  /** Only the failed records of one imported file (the Imports screen's link), until "Show
   *  all" or the screen is left: `{ file, keys }`. */
  let only = null;
  const STATE_LABELS = { synced: "In sync", pending: "Waiting", failed: "Failed", dismissed: "Dismissed", recorded: "Recorded" };
  const STATE_TONES = { synced: "good", pending: "busy", failed: "bad", dismissed: "muted", recorded: "muted" };
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
              row.error ? h("div", { class: `small wrap ${row.state === "dismissed" ? "muted" : "error-text"}` }, row.error) : null,
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

  // ---- the failed records: what a duplicate collides with, and Retry / Dismiss / Link -------
  const FIELD_LABELS = {
    "emails.primaryEmail": "E-mail",
    "domainName.primaryLinkUrl": "Website",
    externalId: "Your id (externalId)",
    name: "Name",
  };
  const failed = {
    /** key → what the person's last action on it did: { tone, text, row, failedAt }. Kept while
     *  the screen is shown, so a record that left the list still says what happened to it. */
    outcomes: new Map(),
    confirming: new Set(), // keys whose Dismiss asks for confirmation
    busy: new Set(), // keys with an action under way
    rows: [], // the parked failures, as last read
    shown: new Map(), // key → [signature, tr] on screen (a row is rebuilt only when it changed)
  };
  const keyOf = (row) => `${row.kind}/${row.external_id}`;
  const holderName = (c) => (c.name ? `“${c.name}”` : "a record without a name");

  function conflictView(row) {
    const c = row.conflict;
    const label = FIELD_LABELS[c.field];
    const other = `another ${row.kind === "person" ? "person" : "company"}`;
    let holder;
    if (!c.twenty_id) {
      holder = h("span", { class: "muted" }, "not found in Twenty");
    } else {
      const name = c.name || "(no name)";
      holder = [
        c.twenty_url
          ? h("a", { href: c.twenty_url, target: "_blank", rel: "noopener noreferrer", class: "conflict-link" }, name, h("span", { class: "visually-hidden" }, " (opens Twenty)"))
          : h("span", {}, name),
        c.in_trash ? h("span", { class: "tag warn" }, "in trash") : null,
        h("div", { class: "mono small muted wrap" }, c.twenty_id),
      ];
    }
    return h("div", { class: "conflict" },
      h("p", { class: "conflict-title" }, h("strong", {}, "Duplicate: "), `${other} in Twenty has this ${label ? label.toLowerCase() : "value"}.`),
      h("dl", { class: "conflict-facts" },
        h("dt", {}, "Field"), h("dd", {}, label ? `${label} ` : null, h("span", { class: "mono small muted" }, c.field)),
        h("dt", {}, "Value"), h("dd", { class: "mono wrap" }, c.value),
        h("dt", {}, "In Twenty"), h("dd", {}, holder),
      ),
      h("p", { class: "small muted" }, conflictAdvice(c)),
    );
  }

  /** What the person can do about a duplicate, in one sentence. */
  function conflictAdvice(c) {
    if (!c.twenty_id) return "The Twenty record that has it was not found: retry to look for it again, or change the value in your data.";
    if (c.in_trash) return "It is in Twenty's trash: restore it or delete it for good there, then retry.";
    if (c.external_id) return `It is already your record ${c.external_id}: change the value in your data and retry, or dismiss the failure.`;
    if (c.linkable) return "It has no externalId yet: link this record to it (the next sync gives it your id and data), change the value and retry, or dismiss the failure.";
    return "This record is already linked to another Twenty record: change the value in your data and retry, or dismiss the failure.";
  }

  function actionButton(label, action, row, onclick, extra) {
    const key = keyOf(row);
    return h("button", {
      type: "button",
      class: "small-button",
      "data-action": action,
      disabled: !UI.reachable || failed.busy.has(key),
      onclick,
      ...extra,
    }, label);
  }

  function actionsCell(row) {
    const key = keyOf(row);
    if (failed.confirming.has(key)) {
      return h("td", { class: "action-cell" },
        h("div", { class: "confirm", role: "group", "aria-label": `Dismiss ${row.external_id}?` },
          h("p", { class: "small" }, "Dismiss this failure? It is not sent again until its data changes."),
          h("div", { class: "row-actions" },
            actionButton("Yes, dismiss", "confirm-dismiss", row, () => dismiss(row), { class: "small-button danger" }),
            actionButton("Keep it", "keep", row, () => {
              failed.confirming.delete(key);
              render();
              focusIn(key, '[data-action="dismiss"]');
            }, { class: "small-button secondary" }),
          ),
        ),
      );
    }
    const c = row.conflict;
    return h("td", { class: "action-cell" },
      h("div", { class: "row-actions" },
        actionButton("Retry", "retry", row, () => retry(row), { class: "small-button secondary", "aria-label": `Retry ${row.external_id}` }),
        actionButton("Dismiss", "dismiss", row, () => {
          failed.confirming.add(key);
          render();
          focusIn(key, '[data-action="confirm-dismiss"]');
        }, { class: "small-button secondary", "aria-label": `Dismiss ${row.external_id}` }),
        c && c.linkable && c.twenty_id
          ? actionButton("Link to this record", "link", row, () => link(row), { "aria-label": `Link to this record: ${row.external_id} becomes the Twenty record ${c.name || c.twenty_id}` })
          : null,
      ),
    );
  }

  function recordCell(row) {
    return h("td", { class: "record-cell" },
      h("div", { class: "mono wrap" }, row.external_id),
      h("div", { class: "small muted" }, `${kindName(row.kind)}${row.name ? " · " + row.name : ""}`),
    );
  }

  function note(outcome) {
    return outcome ? h("p", { class: `row-note ${outcome.tone}-text`, tabindex: "-1" }, outcome.say(outcome.row)) : null;
  }

  /** An agent's refusal as a sentence of its own: capital first, a full stop last. */
  function sentence(text) {
    const trimmed = String(text || "").trim();
    const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
    return /[.!?]$/.test(capital) ? capital : capital + ".";
  }

  /** A parked failure: what Twenty said (for a duplicate, what it collides with) and the actions. */
  function failedRow(row) {
    const key = keyOf(row);
    const said = row.conflict
      ? conflictView(row)
      : [h("span", { class: "error-text" }, row.error || ""), row.error_code ? h("div", { class: "small muted" }, row.error_code) : null];
    return h("tr", { "data-key": key, "data-state": "failed" },
      recordCell(row),
      h("td", { class: "wrap said-cell", "data-label": "Twenty said" }, said, note(failed.outcomes.get(key))),
      h("td", { class: "nowrap", "data-label": "When" }, when(row.failed_at)),
      actionsCell(row),
    );
  }

  /** A record the person acted on that is no longer parked: what happened, and its state now. */
  function resolvedRow(key, outcome) {
    const row = outcome.row;
    return h("tr", { "data-key": key, "data-state": row.state, class: "resolved" },
      recordCell(row),
      h("td", { class: "wrap said-cell", "data-label": "What happened" },
        h("span", { class: `tag ${STATE_TONES[row.state] || ""}` }, STATE_LABELS[row.state] || row.state),
        note(outcome),
        row.twenty_url
          ? h("p", { class: "small" }, h("a", { href: row.twenty_url, target: "_blank", rel: "noopener noreferrer" }, "Open it in Twenty", h("span", { class: "visually-hidden" }, " (opens Twenty)")))
          : null,
      ),
      h("td", { class: "nowrap", "data-label": "When" }, when(outcome.at)),
      h("td", { class: "action-cell" }),
    );
  }

  /** The rows on screen follow `failed.rows` and the outcomes; a row that did not change keeps
   *  its node (and the focus inside it). */
  function render() {
    const body = $("failed-table").tBodies[0];
    const wanted = [];
    const parked = new Set();
    const rows = only ? failed.rows.filter((row) => only.keys.has(keyOf(row))) : failed.rows;
    showOnlyNote(rows.length, failed.rows.length);
    for (const row of rows) {
      const key = keyOf(row);
      parked.add(key);
      const outcome = failed.outcomes.get(key);
      // Parked again since the action: a retry says so; otherwise the new failure speaks alone.
      if (outcome && outcome.failedAt !== row.failed_at) {
        if (outcome.retried && outcome.tone === "ok") {
          failed.outcomes.set(key, { tone: "error", say: () => "Retried, and Twenty refused it again for the reason above.", row, failedAt: row.failed_at, at: outcome.at });
        } else {
          failed.outcomes.delete(key);
        }
      }
      wanted.push([key, { row, outcome: failed.outcomes.get(key), confirming: failed.confirming.has(key), busy: failed.busy.has(key) }, () => failedRow(row)]);
    }
    for (const [key, outcome] of failed.outcomes) {
      if (!parked.has(key)) wanted.push([key, { outcome }, () => resolvedRow(key, outcome)]);
    }
    const shown = new Map();
    const nodes = wanted.map(([key, state, build]) => {
      const signature = JSON.stringify([state, UI.reachable]);
      const old = failed.shown.get(key);
      const node = old && old[0] === signature ? old[1] : build();
      shown.set(key, [signature, node]);
      return node;
    });
    failed.shown = shown;
    let cursor = body.firstChild;
    for (const node of nodes) {
      if (node === cursor) cursor = cursor.nextSibling;
      else body.insertBefore(node, cursor);
    }
    while (cursor) {
      const next = cursor.nextSibling;
      cursor.remove();
      cursor = next;
    }
    $("failed-panel").hidden = nodes.length === 0 && !only;
    const none = failed.rows.length === 0;
    // Retry all would retry every file's records, not only the ones shown.
    $("retry-all").hidden = none || !!only;
    $("failed-intro").hidden = none;
    $("failed-done").hidden = !none;
  }

  /** Says whose failed records are shown while the list is narrowed to one file's. */
  function showOnlyNote(shown, all) {
    $("failed-only").hidden = !only;
    if (!only) return;
    $("failed-only-text").textContent = shown
      ? `The failed ${shown === 1 ? "record" : "records"} of ${only.file}: ${fmt(shown)} of ${plural(all, "failed record", "failed records")}.`
      : `None of the records of ${only.file} fails now (they were retried or changed since).`;
    $("failed-show-all").hidden = all === 0;
  }

  $("failed-show-all").addEventListener("click", () => {
    only = null;
    loadFailed();
  });

  function focusIn(key, selector) {
    const entry = failed.shown.get(key);
    const target = entry && entry[1].querySelector(selector);
    if (target) target.focus();
  }

  /** Runs one action on a failed record; its row then says what happened (or why not). */
  async function act(row, call, says, retried = false) {
    const key = keyOf(row);
    failed.busy.add(key);
    failed.confirming.delete(key);
    render();
    let outcome;
    try {
      const after = await call();
      const now = after && after.state ? after : { ...row, state: "pending" };
      outcome = { tone: "ok", say: says, row: now };
    } catch (error) {
      outcome = { tone: "error", say: () => sentence(error.message), row };
    }
    outcome.failedAt = row.failed_at;
    outcome.at = new Date().toISOString();
    failed.busy.delete(key);
    if (UI.current !== "records") return; // left meanwhile: the list is read afresh on return
    outcome.retried = retried;
    failed.outcomes.set(key, outcome);
    $("failed-announce").textContent = `${row.external_id}: ${outcome.say(outcome.row)}`;
    await refresh();
    focusIn(key, ".row-note");
  }

  // What an action did, said for the record's state now (it moves on after a sync).
  const retry = (row) =>
    act(row, () => api.retry(row.kind, row.external_id), (now) =>
      now.state === "synced" ? "Retried: it is in Twenty now." : "Queued again: it is sent to Twenty shortly.", true);
  const dismiss = (row) =>
    act(row, () => api.dismiss(row.kind, row.external_id), () => "Dismissed: it is not sent again until its data changes.");
  const link = (row) =>
    act(row, () => api.link(row.kind, row.external_id, row.conflict.twenty_id), (now) =>
      now.state === "synced"
        ? `Linked to ${holderName(row.conflict)} in Twenty: that record has your id ${row.external_id} and your data now.`
        : `Linked to ${holderName(row.conflict)} in Twenty: the next sync gives that record your id ${row.external_id} and your data.`);

  /** The states of the records acted on that left the list (In sync after a link, …). */
  async function followOutcomes() {
    const open = [...failed.outcomes].filter(([key]) => !failed.rows.some((r) => keyOf(r) === key));
    await Promise.all(open.map(async ([key, outcome]) => {
      try {
        const page = await api.records({ q: outcome.row.external_id, limit: 10 });
        const now = page.rows.find((r) => keyOf(r) === key);
        if (now && failed.outcomes.get(key) === outcome) outcome.row = { ...now, name: now.name || outcome.row.name };
      } catch (error) {
        /* the state shown stays the last one known */
      }
    }));
  }

  async function loadFailed() {
    try {
      const { total, rows } = await api.failures();
      failed.rows = rows;
      await followOutcomes();
      render();
      const more = $("failed-more");
      more.hidden = total <= rows.length;
      more.textContent = `Showing the first ${fmt(rows.length)} of ${plural(total, "failed record", "failed records")}.`;
    } catch (error) {
      $("failed-panel").hidden = false;
      failed.shown = new Map();
      $("failed-table").tBodies[0].replaceChildren(h("tr", {}, h("td", { colspan: 4, class: "error-text" }, error.message)));
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
    leave() {
      only = null;
      failed.outcomes.clear();
      failed.confirming.clear();
    },
    /** Shows only these failed records (`[{kind, external_id}]`) of `file` the next time the
     *  screen is shown. */
    showOnly(file, rows) {
      only = { file, keys: new Set(rows.map((r) => `${r.kind}/${r.external_id}`)) };
    },
  };
})();
