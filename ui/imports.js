// The Imports screen: drop or choose a file to see its columns → fields table (the proposed
// field of each column, a choice of every field and part, the first values read and checked;
// changes saved as the mapping), import it to copy it into the drop folder, then follow it
// until the history shows what became of it (imported, already imported, refused: the message
// under the drop zone says so); a progress bar for every file being read (live updates carry
// them); the history with counts, warnings, durations (a resumed import's whole duration),
// each file's outcome in Twenty (with a link to its failed records) and error reports.
"use strict";

(function () {
  const UI = window.TwentySyncUI;
  const { api } = window.TwentySync;
  const { $, h, fmt, when, duration, size, say, plural } = UI;

  const RESULT_LABELS = { imported: "Imported", duplicate: "Already imported", failed: "Refused" };
  const RESULT_TONES = { imported: "good", duplicate: "muted", failed: "bad" };

  /** The file last uploaded, until the history shows its outcome. */
  let awaited = null;
  /** What the history was last read for (imports, and the counts that move outcomes). */
  let lastCounts = null;
  /** The files being read, as last shown. */
  let reading = [];

  // ---- files being read ------------------------------------------------------------------------
  /** Each step of the reading in plain words (a file is read three times). */
  const STEPS = {
    checking: "Step 1 of 3: checking the file",
    validating: "Step 2 of 3: checking every row",
    recording: "Step 3 of 3: recording the rows",
    comparing: "Step 3 of 3: comparing the rows with what Twenty has",
  };
  const ORIGINS = { drop_folder: "from the drop folder", command: "from the command line" };

  /** How far a file got, in words: rows once counted, else rows so far and bytes. */
  function progressText(file) {
    if (file.rows_total !== null && file.rows_total !== undefined && (file.step === "recording" || file.step === "comparing")) {
      return `${fmt(file.rows_done)} of ${plural(file.rows_total, "row", "rows")}`;
    }
    const bytes = `${size(file.bytes_done)} of ${size(file.bytes_total)}`;
    if (file.step === "validating") return `${plural(file.rows_done, "row", "rows")} so far (${bytes})`;
    return `${bytes} read`;
  }

  function readingItem(file) {
    const name = h("strong", { class: "wrap reading-file" }, file.file);
    const fill = h("div", { class: "meter-fill" });
    const meter = h("div", {
      class: "meter",
      role: "progressbar",
      "aria-valuemin": 0,
      "aria-valuemax": 100,
      "aria-label": `Reading ${file.file}`,
    }, fill);
    const item = h("li", { class: "reading" },
      h("div", { class: "reading-head" },
        name,
        file.dry_run ? h("span", { class: "tag busy" }, "Dry run") : null,
        h("span", { class: "muted small reading-origin" }, `${ORIGINS[file.origin] || file.origin}, since ${when(file.started_at)}`),
      ),
      h("div", { class: "reading-bar" }, meter, h("span", { class: "reading-percent" })),
      h("p", { class: "small reading-step" }),
      h("p", { class: "reading-rows" }),
    );
    return item;
  }

  /** Shows the files being read (reusing each file's item, so the bar moves smoothly). */
  function showReading(files) {
    const list = $("reading-list");
    const items = new Map([...list.children].map((li) => [li.dataset.key, li]));
    const shown = files.map((file) => {
      const key = `${file.path}|${file.started_at}`;
      const item = items.get(key) || readingItem(file);
      item.dataset.key = key;
      item.dataset.step = file.step;
      const meter = item.querySelector(".meter");
      meter.setAttribute("aria-valuenow", String(file.percent));
      meter.setAttribute("aria-valuetext", `${STEPS[file.step] || file.step}: ${progressText(file)}`);
      item.querySelector(".meter-fill").style.width = `${file.percent}%`;
      item.querySelector(".reading-percent").textContent = `${file.percent} %`;
      item.querySelector(".reading-step").textContent = STEPS[file.step] || file.step;
      item.querySelector(".reading-rows").textContent = progressText(file);
      return item;
    });
    list.replaceChildren(...shown);
    $("reading-panel").hidden = files.length === 0;
    const ended = reading.some((before) => !files.some((now) => now.path === before.path && now.started_at === before.started_at));
    reading = files;
    // A file was read to its end (or refused): the history shows what became of it.
    if (ended) load();
  }

  async function loadReading() {
    try {
      const { files } = await api.readingImports();
      showReading(files);
    } catch (error) {
      /* the next live update shows them */
    }
  }

  // ---- the history -------------------------------------------------------------------------------
  /** The invalid rows: how many, and the error report (for a refused file: why). */
  function invalidCell(row) {
    const cell = h("td", { class: `num invalid-cell ${row.invalid > 0 ? "error-text" : ""}`, "data-label": "Invalid" },
      row.status === "failed" ? "—" : fmt(row.invalid));
    if (!row.report) return cell;
    const label = row.status === "failed" ? "Why" : "Error report";
    const href = api.reportHref(row.report);
    const link = href
      ? h("a", { href, download: "", class: "report-link" }, label)
      : h("button", { type: "button", class: "link report-link", onclick: () => api.downloadReport(row.report) }, label);
    cell.append(" ", link);
    return cell;
  }

  function fileCell(row) {
    const after = row.resumed_after_row === null || row.resumed_after_row === undefined ? "" : ` after row ${fmt(row.resumed_after_row)}`;
    return h("td", { class: "wrap file-cell", "data-label": "File" },
      h("span", { class: "file-name" }, row.file_name),
      row.status === "failed" && row.message ? h("div", { class: "small error-text" }, row.message) : null,
      row.resumed
        ? h("div", { class: "small muted resumed-note" }, `Stopped${after} and resumed there; `, h("span", { class: "nowrap" }, duration(row.duration_ms)), " in all.")
        : null,
      row.warnings && row.warnings.length
        ? h("ul", { class: "warnings small", "aria-label": `Warnings about ${row.file_name}` },
          ...row.warnings.map((warning) => h("li", {}, warning)))
        : null,
    );
  }

  function tookCell(row) {
    if (!row.seq) return h("td", { class: "num nowrap", "data-label": "Took" }, "—");
    if (!row.resumed) return h("td", { class: "num nowrap", "data-label": "Took" }, duration(row.duration_ms));
    return h("td", { class: "num took-cell", "data-label": "Took", title: "The whole import: from when its first part began to its end, the time it stood still included" },
      h("span", { class: "nowrap" }, duration(row.duration_ms)),
      " ",
      h("span", { class: "tag busy resumed" }, "Resumed"),
    );
  }

  /** What the file's records became in Twenty: the counts, and its failed records. */
  function outcomeCell(row) {
    const cell = h("td", { class: "outcome-cell", "data-label": "In Twenty" });
    const o = row.outcome;
    if (!o) {
      cell.append(h("span", { class: "muted" }, "—"));
      return cell;
    }
    let tag;
    if (o.waiting > 0) tag = h("span", { class: "tag busy" }, "Waiting");
    else if (o.failed > 0) tag = h("span", { class: "tag bad" }, "Needs attention");
    else if (o.forwarded > 0 && o.created + o.updated + o.unchanged === 0) tag = h("span", { class: "tag good" }, "Sent to the relay");
    else tag = h("span", { class: "tag good" }, "In Twenty");
    cell.dataset.pushed = o.pushed ? "yes" : "no";
    const counts = [
      [o.created, "created"],
      [o.updated, "updated"],
      [o.unchanged, "unchanged"],
      [o.failed, "failed"],
      [o.waiting, "waiting"],
      [o.replaced, "replaced by a newer change"],
      [o.forwarded, "sent to the relay"],
    ].filter(([count]) => count > 0);
    // Each count stays whole on its line, the separator at its end.
    const parts = counts.map(([count, word], i) => [
      i ? " " : "",
      h("span", { class: "count" }, `${fmt(count)} ${word}`, i < counts.length - 1 ? " ·" : ""),
    ]);
    cell.append(tag);
    if (parts.length) cell.append(h("div", { class: "small outcome-counts" }, ...parts));
    else if (o.pushed) cell.append(h("div", { class: "small muted" }, "nothing to send"));
    if (o.failed_records && o.failed_records.length) cell.append(failedLink(row, o));
    return cell;
  }

  /** A link to the Records screen showing only this file's failed records. */
  function failedLink(row, o) {
    const listed = o.failed_records.length;
    const label = listed < o.failed
      ? `See the first ${fmt(listed)} of ${fmt(o.failed)} failed records`
      : listed === 1 ? "See the failed record" : `See the ${fmt(listed)} failed records`;
    return h("div", {},
      h("a", {
        href: "#records",
        class: "failed-records-link",
        onclick: () => UI.screens.records.showOnly(row.file_name, o.failed_records),
      }, label),
    );
  }

  /** When the recorded rows go to Twenty, as the last live update says. */
  let sending = { state: "", enabled: true };
  function whenSent() {
    if (sending.state === "disabled") return "nothing is sent to Twenty while sync is off";
    if (!sending.enabled) return "they wait while sync is paused";
    return "they are sent to Twenty shortly";
  }

  /** What became of an uploaded file, in one sentence, with its tone. */
  function outcome(row) {
    const name = row.file_name;
    if (row.status === "failed") {
      return [`${name} was refused: ${row.message || "see Why in the history below"}. Nothing was recorded.`, "error"];
    }
    if (row.status === "duplicate") {
      return [`${name} was imported before with the same content: nothing new was recorded.`, ""];
    }
    let text = `${name} is imported: ${plural(row.recorded, "row", "rows")} recorded`;
    const warned = row.warnings && row.warnings.length
      ? `; ${plural(row.warnings.length, "warning", "warnings")} below`
      : "";
    if (row.invalid > 0) {
      text += `, ${plural(row.invalid, "row was", "rows were")} invalid (see its error report below)${warned}`;
      return [`${text}; ${whenSent()}.`, "warn"];
    }
    return [`${text}${warned}; ${whenSent()}.`, warned ? "warn" : "ok"];
  }

  function settle(rows) {
    if (!awaited) return;
    const row = rows.find((r) => r.file_name === awaited.name && Date.parse(r.at) >= awaited.since);
    if (!row) return;
    clearTimeout(awaited.timer);
    awaited = null;
    const [text, tone] = outcome(row);
    say($("upload-message"), text, tone);
  }

  async function load() {
    const body = $("imports-table").tBodies[0];
    try {
      const { rows, drop_dir } = await api.imports();
      $("drop-dir").textContent = drop_dir;
      body.replaceChildren(
        ...rows.map((row) =>
          h("tr", { "data-file": row.file_name, "data-status": row.status },
            h("td", { class: "nowrap", "data-label": "When" }, when(row.at)),
            fileCell(row),
            h("td", { "data-label": "Result" }, h("span", { class: `tag ${RESULT_TONES[row.status] || ""}` }, RESULT_LABELS[row.status] || row.status)),
            h("td", { class: "num", "data-label": "Rows" }, fmt(row.rows_read)),
            h("td", { class: "num", "data-label": "Recorded" }, fmt(row.recorded)),
            invalidCell(row),
            tookCell(row),
            outcomeCell(row),
          ),
        ),
      );
      $("imports-empty").hidden = rows.length > 0;
      settle(rows);
    } catch (error) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: 8, class: "error-text" }, error.message)));
    }
  }

  /** Looks at the history every 1.5 s for a while after an upload: a refused file adds no event,
   *  so no live update announces it. While the file is being read, the wait does not count. */
  function follow(name) {
    if (awaited) clearTimeout(awaited.timer);
    awaited = { name, since: Date.now() - 5000, tries: 0, timer: null };
    const tick = () => {
      if (!awaited) return;
      if (!reading.some((file) => file.file === name)) awaited.tries += 1;
      if (awaited.tries > 30) {
        say($("upload-message"), `${name} is in the drop folder and not imported yet (a large file takes a while); the history below shows it when it is done.`, "");
        awaited.timer = null;
        return;
      }
      load().then(() => {
        if (awaited) awaited.timer = setTimeout(tick, 1500);
      });
    };
    awaited.timer = setTimeout(tick, 1000);
  }

  async function upload(file) {
    const message = $("upload-message");
    say(message, `Copying ${file.name}…`, "");
    try {
      const reply = await api.upload(file);
      say(message, `${reply.file_name} is in the drop folder; importing it…`, "");
      follow(reply.file_name);
    } catch (error) {
      UI.showError(message, error);
    }
  }

  // ---- the mapping table of a chosen or dropped file ----------------------------------------------
  /** How much of a file the preview reads (the agent takes at most 256 KiB). */
  const PREVIEW_BYTES = 250 * 1024;
  /** The values shown per column, and the invalid ones shown beyond them. */
  const SHOWN_VALUES = 5;
  const MORE_INVALID = 3;
  const MATCHED = {
    Override: "saved mapping",
    RecordColumn: "the record's own column",
    FieldName: "same name as the field",
    FieldPart: "field and part named",
    Alias: "a usual name of the field",
    PartName: "the part's name",
  };

  /** The file shown: { file, text, complete, kind, choices (unsaved: column → target), proposed
   *  (what each column fills without them), reply }. */
  let chosen = null;

  async function choose(file) {
    say($("upload-message"), "", "");
    let text = "";
    try {
      text = await file.slice(0, PREVIEW_BYTES).text();
    } catch (error) {
      /* shown as a file that cannot be read */
    }
    chosen = { file, text, complete: file.size <= PREVIEW_BYTES, kind: null, choices: new Map(), proposed: new Map(), reply: null };
    $("mapping-file").textContent = file.name;
    $("mapping-panel").hidden = false;
    say($("mapping-message"), "", "");
    await preview(true);
    $("h-mapping").focus();
  }

  function close() {
    chosen = null;
    $("mapping-panel").hidden = true;
    $("mapping-table").tBodies[0].replaceChildren();
  }

  /** Asks the agent for the table with the unsaved choices applied. */
  async function preview(first) {
    if (!chosen) return;
    const asked = chosen;
    try {
      const reply = await api.importPreview({
        file_name: asked.file.name,
        text: asked.text,
        complete: asked.complete,
        kind: asked.kind,
        overrides: [...asked.choices].map(([column, target]) => ({ column, target })),
        read_data_model: first === true,
      });
      if (chosen !== asked) return;
      asked.reply = reply;
      render(reply);
    } catch (error) {
      if (chosen !== asked) return;
      asked.reply = null;
      $("mapping-summary").textContent = "";
      $("mapping-findings").replaceChildren();
      $("mapping-kind-row").hidden = true;
      $("mapping-table").tBodies[0].replaceChildren();
      say($("mapping-message"), `The columns cannot be shown: ${error.message}. Import this file anyway to see what the import says.`, "error");
      updateButtons();
    }
  }

  function targetSelect(column, reply, index) {
    const id = `mapping-target-${index}`;
    const current = column.target || "ignore";
    const groups = [
      ["ignore", null],
      ["record", "The record"],
      ["field", reply.kind === "person" ? "Person fields" : "Company fields"],
    ];
    const option = (target) => h("option", { value: target.value, selected: target.value === current }, target.label);
    const select = h("select", {
      id,
      class: "mapping-select",
      "data-column": column.header,
      "aria-describedby": `mapping-how-${index}`,
      onchange: (event) => choice(column.header, event.target.value),
    });
    for (const [group, label] of groups) {
      const targets = reply.targets.filter((t) => t.group === group);
      if (!label) select.append(...targets.map(option));
      else select.append(h("optgroup", { label }, ...targets.map(option)));
    }
    if (!reply.targets.some((t) => t.value === current)) select.append(h("option", { value: current, selected: true }, current));
    return [
      h("label", { class: "visually-hidden", for: id }, `Import column ${column.header} as`),
      select,
    ];
  }

  /** How the column's target was found, in words. */
  function how(column) {
    if (chosen && chosen.choices.has(column.header)) return "changed, not saved yet";
    if (!column.target) return column.saved === "ignore" ? "saved: not imported" : "no matching field: not imported";
    return MATCHED[column.matched_by] || "";
  }

  function valueItem(cell, number) {
    const shown = cell.value === "" ? h("span", { class: "muted" }, "(empty)") : h("span", { class: "mapping-value" }, cell.value);
    if (cell.valid) return h("li", { class: "ok" }, shown);
    const problem = cell.problem || "cannot be sent";
    return h("li", { class: "bad", title: problem, "data-row": number },
      h("span", { class: "mapping-mark", "aria-hidden": "true" }, "✗ "),
      h("span", { class: "visually-hidden" }, "Invalid: "),
      shown,
      h("span", { class: "mapping-problem" }, `row ${number}: ${problem}`),
    );
  }

  function valuesCell(reply, index) {
    const cells = reply.rows.map((row) => [row.cells[index], row.number]);
    const invalid = cells.filter(([cell]) => !cell.valid);
    const first = cells.slice(0, SHOWN_VALUES);
    const beyond = invalid.filter(([, n]) => !first.some(([, m]) => m === n)).slice(0, MORE_INVALID);
    const items = [...first, ...beyond].map(([cell, number]) => valueItem(cell, number));
    const td = h("td", { class: "mapping-values-cell", "data-label": "First values" },
      h("ul", { class: "mapping-values", "aria-label": `First values of ${reply.columns[index].header}` }, ...items));
    if (invalid.length) {
      td.append(h("p", { class: "small error-text mapping-count" },
        `${plural(invalid.length, "value", "values")} of the first ${plural(cells.length, "row", "rows")} cannot be sent`));
    } else if (cells.length && reply.columns[index].target) {
      td.append(h("p", { class: "small ok-text mapping-count" }, `the first ${plural(cells.length, "value reads", "values read")} well`));
    }
    return td;
  }

  function render(reply) {
    for (const column of reply.columns) {
      if (!chosen.choices.has(column.header)) chosen.proposed.set(column.header, column.target || "ignore");
    }
    const model = reply.model_from ? `the fields of ${reply.model_from}` : "Twenty's standard fields (the workspace's own are read once it is connected)";
    const rows = reply.rows_read > reply.rows.length
      ? `the first ${fmt(reply.rows.length)} of ${plural(reply.rows_read, "row", "rows")} read`
      : plural(reply.rows.length, "row", "rows");
    $("mapping-summary").textContent = `${reply.format.toUpperCase()}, ${reply.kind_note}; ${rows}${reply.partial ? " from the beginning of the file" : ""}; matched against ${model}.`;
    const kindRow = $("mapping-kind-row");
    kindRow.hidden = reply.kinds.length < 2;
    const kindSelect = $("mapping-kind");
    kindSelect.replaceChildren(...reply.kinds.map((k) => h("option", { value: k, selected: k === reply.kind }, k === "person" ? "people" : "companies")));
    $("mapping-findings").replaceChildren(...reply.findings.map((finding) => h("li", {}, finding)));
    $("mapping-table").tBodies[0].replaceChildren(...reply.columns.map((column, index) =>
      h("tr", { "data-column": column.header, "data-target": column.target || "ignore", class: chosen.choices.has(column.header) ? "changed" : "" },
        h("td", { class: "wrap mapping-header", "data-label": "Column" }, h("strong", {}, column.header)),
        h("td", { class: "mapping-target", "data-label": "Imported as" },
          ...targetSelect(column, reply, index),
          h("div", { class: "small muted", id: `mapping-how-${index}` }, how(column)),
          column.error ? h("div", { class: "small error-text mapping-error" }, column.error) : null,
        ),
        valuesCell(reply, index),
      )));
    updateButtons();
  }

  function updateButtons() {
    const unsaved = chosen ? chosen.choices.size : 0;
    const save = $("mapping-save");
    save.disabled = unsaved === 0 || !chosen.reply;
    save.textContent = unsaved ? `Save mapping (${plural(unsaved, "change", "changes")})` : "Save mapping";
  }

  /** A select changed: the choice is kept (until saved) and the table asked again. */
  function choice(column, target) {
    if (chosen.proposed.get(column) === target) chosen.choices.delete(column);
    else chosen.choices.set(column, target);
    say($("mapping-message"), "", "");
    preview();
  }

  /** Keeps the unsaved choices as the mapping of the kind shown; true when all were kept. */
  async function save() {
    if (!chosen || !chosen.reply) return true;
    const kind = chosen.reply.kind;
    const kept = [];
    try {
      for (const [column, target] of [...chosen.choices]) {
        await api.mappingSet(kind, column, target);
        chosen.choices.delete(column);
        kept.push(column);
      }
    } catch (error) {
      say($("mapping-message"), `Not saved: ${error.message}`, "error");
      await preview();
      return false;
    }
    say($("mapping-message"), `Saved: ${kept.map((c) => `'${c}'`).join(", ")} ${kept.length === 1 ? "is" : "are"} imported as chosen from now on, for every ${kind === "person" ? "people" : "companies"} file.`, "ok");
    await preview();
    return true;
  }

  async function importChosen() {
    if (!chosen) return;
    if (chosen.choices.size && !(await save())) return;
    const file = chosen.file;
    close();
    await upload(file);
  }

  $("mapping-save").addEventListener("click", () => save());
  $("mapping-import").addEventListener("click", () => importChosen());
  $("mapping-close").addEventListener("click", () => {
    close();
    $("file-input").focus();
  });
  $("mapping-kind").addEventListener("change", (event) => {
    if (!chosen) return;
    chosen.kind = event.target.value;
    chosen.choices.clear();
    chosen.proposed.clear();
    preview();
  });

  $("file-input").addEventListener("change", (event) => {
    const file = event.target.files && event.target.files[0];
    if (file) choose(file);
    event.target.value = "";
  });
  // A file dropped anywhere on the Imports screen is taken (the drop zone lights up).
  const zone = $("dropzone");
  const screen = $("screen-imports");
  screen.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  screen.addEventListener("dragleave", (event) => {
    if (!event.relatedTarget || !screen.contains(event.relatedTarget)) zone.classList.remove("over");
  });
  screen.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    if (!UI.reachable) return;
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) choose(file);
  });

  // The history follows the agent: read again after every import, and (at most every 2 s)
  // when records were pushed, so each file's outcome in Twenty stays current.
  let loadTimer = null;
  function loadSoon(update) {
    const s = update.status;
    const counts = [s.imports, s.pending, s.failed, s.synced, s.skipped_unchanged].join("/");
    if (counts === lastCounts) return;
    if (lastCounts === null) {
      lastCounts = counts;
      return;
    }
    const imported = lastCounts.split("/")[0] !== String(s.imports);
    lastCounts = counts;
    if (imported) {
      clearTimeout(loadTimer);
      loadTimer = null;
      load();
      return;
    }
    if (loadTimer) return;
    loadTimer = setTimeout(() => {
      loadTimer = null;
      if (UI.current === "imports") load();
    }, 2000);
  }

  UI.screens.imports = {
    show() {
      loadReading();
      return load();
    },
    update(update) {
      sending = { state: update.status.state, enabled: update.enabled !== false };
      if (update.reading) showReading(update.reading);
      loadSoon(update);
    },
  };
})();
