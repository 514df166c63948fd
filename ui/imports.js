// The Imports screen: drop or choose a file to copy it into the drop folder, then follow it
// until the history shows what became of it (imported, already imported, refused: the message
// under the drop zone says so); the history with counts, durations and error reports.
"use strict";

(function () {
  const UI = window.TwentySyncUI;
  const { api } = window.TwentySync;
  const { $, h, fmt, when, duration, say, plural } = UI;

  const RESULT_LABELS = { imported: "Imported", duplicate: "Already imported", failed: "Refused" };
  const RESULT_TONES = { imported: "good", duplicate: "muted", failed: "bad" };

  /** The file last uploaded, until the history shows its outcome. */
  let awaited = null;
  let lastImports = null;

  function reportCell(row) {
    if (!row.report) return h("span", { class: "muted" }, row.status === "failed" && row.message ? row.message : "—");
    const label = row.status === "failed" ? "Why" : "Error report";
    const href = api.reportHref(row.report);
    if (href) return h("a", { href, download: "" }, label);
    return h("button", { type: "button", class: "link", onclick: () => api.downloadReport(row.report) }, label);
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
    if (row.invalid > 0) {
      text += `, ${plural(row.invalid, "row was", "rows were")} invalid (see its error report below)`;
      return [text + ". The recorded rows are sent to Twenty shortly.", "warn"];
    }
    return [text + "; they are sent to Twenty shortly.", "ok"];
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
          h("tr", {},
            h("td", { class: "nowrap", "data-label": "When" }, when(row.at)),
            h("td", { class: "wrap file-cell", "data-label": "File" }, row.file_name, row.status === "failed" && row.message ? h("div", { class: "small error-text" }, row.message) : null),
            h("td", { "data-label": "Result" }, h("span", { class: `tag ${RESULT_TONES[row.status] || ""}` }, RESULT_LABELS[row.status] || row.status)),
            h("td", { class: "num", "data-label": "Rows" }, fmt(row.rows_read)),
            h("td", { class: "num", "data-label": "Recorded" }, fmt(row.recorded)),
            h("td", { class: `num ${row.invalid > 0 ? "error-text" : ""}`, "data-label": "Invalid" }, fmt(row.invalid)),
            h("td", { class: "num nowrap", "data-label": "Took" }, row.seq ? duration(row.duration_ms) : "—"),
            h("td", { "data-label": "Errors" }, reportCell(row)),
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
   *  so no live update announces it. */
  function follow(name) {
    if (awaited) clearTimeout(awaited.timer);
    awaited = { name, since: Date.now() - 5000, tries: 0, timer: null };
    const tick = () => {
      if (!awaited) return;
      awaited.tries += 1;
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
    if (!UI.reachable) return;
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) upload(file);
  });

  UI.screens.imports = {
    show: load,
    update(update) {
      const count = update.status.imports;
      if (count !== lastImports && lastImports !== null) load();
      lastImports = count;
    },
  };
})();
