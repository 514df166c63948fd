// Imports that explain themselves, in a real browser against the real agent and the fake Twenty:
// each file's outcome in Twenty (created, updated, unchanged, failed) with a link that opens
// the Records screen showing only that file's failed records; a file's warnings in Imports and
// in Activity; a big file (60,000 rows) with a live progress bar that counts rows; a dry run
// of `twenty-sync import` beside the agent shown with its step in words; an import killed
// halfway and resumed by the restarted agent, shown with its whole duration and marked
// resumed. Screenshots wide and 420 px go to tests/e2e/artifacts/.
//
//   TWENTY_SYNC_BIN=… FAKE_TWENTY_BIN=… node --test imports.test.mjs   (scripts/test-e2e.sh)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { World, STEP_MS, WIDE, NARROW, CSV_HEADER, text, waitForText, importFile, brokenWords } from "./harness.mjs";

const world = new World("imports");
let page;

/** "60,000" in whatever digit grouping the browser's locale uses. */
const n = (digits) => digits.replace(/\B(?=(\d{3})+$)/g, "[,.\\s\\u202f\\u00a0]?");

before(async () => {
  await world.startFake();
  // The workspace already has the externalId fields: this story is about imports.
  await world.control("/__fake/config", { external_id_fields: true });
  await world.startAgent();
  page = await world.openBrowser();
});

after(() => world.close());

async function upload(name, content) {
  await world.screen("imports");
  await importFile(page, { name, mimeType: "text/csv", buffer: Buffer.from(content) });
}

/** A CSV of `rows` companies `prefix-0` …, with long names: reading a file goes by its bytes
 *  until its rows are counted, and that step must last longer than the agent's live updates
 *  (one at most every half second) to be seen at all. */
function bigCsv(prefix, rows) {
  const lines = [CSV_HEADER];
  const long = " of the directory".repeat(12);
  for (let i = 0; i < rows; i += 1) lines.push(`company,${prefix}-${i},${prefix} company ${i}${long},,${prefix}${i}.example,`);
  return lines.join("\n") + "\n";
}

const row = (file) => `#imports-table tr[data-file="${file}"]`;

/** The history's row of `file` as the agent answers it. */
async function history(file) {
  const { rows } = await page.evaluate(() => window.TwentySync.api.imports());
  return rows.find((r) => r.file_name === file);
}

/** Waits until `file` is being read with at least `rows` rows of its last step done. */
async function readingAtLeast(file, rows, step) {
  await page.waitForFunction(
    ([name, least, wanted]) => {
      const item = [...document.querySelectorAll("#reading-list li")].find((li) => li.querySelector(".reading-file").textContent === name);
      if (!item || item.dataset.step !== wanted) return false;
      const done = Number(item.querySelector(".reading-rows").textContent.split(" of ")[0].replace(/\D/g, ""));
      return done >= least;
    },
    [file, rows, step],
    { timeout: 60_000 },
  );
}

/** Keeps every text the progress panel shows, to look at afterwards. */
async function watchReading() {
  await page.evaluate(() => {
    window.__reading = [];
    const note = () => {
      for (const li of document.querySelectorAll("#reading-list li")) {
        const seen = `${li.querySelector(".reading-file").textContent} | ${li.dataset.step} | ${li.querySelector(".reading-step").textContent} | ${li.querySelector(".reading-rows").textContent} | ${li.querySelector(".meter").getAttribute("aria-valuenow")}`;
        if (window.__reading[window.__reading.length - 1] !== seen) window.__reading.push(seen);
      }
    };
    new MutationObserver(note).observe(document.querySelector("#reading-list"), { subtree: true, childList: true, characterData: true, attributes: true });
  });
}
const readingSeen = () => page.evaluate(() => window.__reading);

test("imports explain themselves", async (t) => {
  await t.test("set up: the server and the key", async () => {
    await page.goto(world.uiUrl);
    await page.evaluate(([url, key]) => window.TwentySync.api.saveSettings({ base_url: url, api_key: key }), [world.fake.url, world.fake.key]);
    await page.reload();
    await waitForText(page, "#hero-title", /^In sync$/);
  });

  await t.test("a file's outcome in Twenty: created, updated, unchanged, failed", async () => {
    await upload("first.csv", [CSV_HEADER, "company,acme,Acme,,acme.example,", "company,globex,Globex,,globex.example,"].join("\n") + "\n");
    await waitForText(page, `${row("first.csv")} .outcome-cell`, /In Twenty\s*2 created/, 60_000);
    // Hooli uses Acme's domain: Twenty refuses it as a duplicate; a row without a valid e-mail
    // is invalid (its error report is beside the count).
    await upload("other.csv", [CSV_HEADER, "company,hooli,Hooli,,acme.example,", "person,no-mail,No Mail,not-an-email,,acme"].join("\n") + "\n");
    await waitForText(page, `${row("other.csv")} .outcome-cell`, /1 failed/, 60_000);
    assert.match(await text(page, `${row("other.csv")} td[data-label="Invalid"]`), /^1\s*Error report$/);
    // Acme renamed, Globex the same, Initech new, a copy of Globex refused; and a column that
    // is not ours.
    await upload("changes.csv", [
      `${CSV_HEADER},favourite_colour`,
      "company,acme,Acme Corporation,,acme.example,,red",
      "company,globex,Globex,,globex.example,,blue",
      "company,initech,Initech,,initech.example,,green",
      "company,globex-copy,Globex Copy,,globex.example,,blue",
    ].join("\n") + "\n");
    await waitForText(page, "#upload-message", /^changes\.csv is imported: 4 rows recorded; 1 warning below; they are sent to Twenty shortly\.$/);
    await page.waitForSelector(`${row("changes.csv")} .outcome-cell[data-pushed="yes"]`, { timeout: 60_000 });
    const counts = await page.$$eval(`${row("changes.csv")} .outcome-cell .count`, (spans) => spans.map((s) => s.textContent));
    assert.deepEqual(counts, ["1 created ·", "1 updated ·", "1 unchanged ·", "1 failed"]);
    assert.equal(await text(page, `${row("changes.csv")} .outcome-cell .tag`), "Needs attention");
    const { outcome } = await history("changes.csv");
    assert.deepEqual(outcome.failed_records.map((r) => r.external_id), ["globex-copy"]);
    await world.shot("imports-outcome");
  });

  await t.test("the failed-records link opens Records showing only that file's failed records", async () => {
    await world.screen("imports");
    await page.click(`${row("changes.csv")} a.failed-records-link`);
    await page.waitForSelector("#screen-records:not([hidden])");
    await page.waitForSelector('#failed-table tr[data-key="company/globex-copy"]');
    const keys = () => page.$$eval("#failed-table tbody tr", (rows) => rows.map((r) => r.dataset.key));
    assert.deepEqual(await keys(), ["company/globex-copy"], "hooli (of other.csv) is not shown");
    assert.match(await text(page, "#failed-only-text"), /The failed record of changes\.csv: 1 of 2 failed records/);
    assert.match(await text(page, '#failed-table tr[data-key="company/globex-copy"]'), /DUPLICATE|duplicate/i);
    assert.ok(await page.isHidden("#retry-all"), "Retry all (which would retry every file's) is off while narrowed");
    await world.shot("records-failed-of-one-file");
    await page.click("#failed-show-all");
    await page.waitForFunction(() => document.querySelectorAll("#failed-table tbody tr").length === 2);
    assert.ok(await page.isHidden("#failed-only"));
    assert.ok(await page.isVisible("#retry-all"));
    // Leaving the screen forgets the narrowing.
    await world.screen("imports");
    await page.click(`${row("changes.csv")} a.failed-records-link`);
    await page.waitForFunction(() => document.querySelectorAll("#failed-table tbody tr").length === 1);
    await world.screen("status");
    await world.screen("records");
    await page.waitForFunction(() => document.querySelectorAll("#failed-table tbody tr").length === 2);
  });

  await t.test("a file's warning shows in Imports and in Activity", async () => {
    await world.screen("imports");
    assert.match(await text(page, `${row("changes.csv")} .warnings`), /column 'favourite_colour' matches no field and is ignored/);
    assert.equal(await page.$$eval(`${row("first.csv")} .warnings`, (lists) => lists.length), 0, "no warning, no list");
    await world.screen("activity");
    for (const category of ["intents", "pushes", "failures", "config"]) await page.uncheck(`input[name="category"][value="${category}"]`);
    const noted = '#activity-table tr[data-kind="ImportNoted"]';
    await page.waitForFunction((sel) => [...document.querySelectorAll(sel)].some((r) => /favourite_colour/.test(r.textContent)), noted);
    const warned = await page.$$eval(noted, (rows) => rows.filter((r) => /favourite_colour/.test(r.textContent)).map((r) => r.textContent));
    assert.equal(warned.length, 1);
    assert.match(warned[0], /Import warning/);
    assert.match(warned[0], /import of changes\.csv: warning: column 'favourite_colour' matches no field and is ignored/);
    await world.shot("activity-import-warning");
    await page.setViewportSize(NARROW);
    await page.waitForTimeout(300);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= NARROW.width, "Activity fits 420 px");
    assert.deepEqual(await brokenWords(page, "#activity-table"), []);
    await world.shot("activity-import-warning-narrow");
    await page.setViewportSize(WIDE);
    for (const category of ["intents", "pushes", "failures", "config"]) await page.check(`input[name="category"][value="${category}"]`);
  });

  await t.test("a big file: a progress bar that counts the rows, then the history", async () => {
    // Paused, so that 60,000 records do not go to the fake (they wait, and say so).
    await world.screen("status");
    await page.click("#pause-toggle");
    await waitForText(page, "#action-message", /^Paused/);
    await world.screen("imports");
    await watchReading();
    await upload("big.csv", bigCsv("big", 60_000));
    await page.waitForSelector("#reading-panel:not([hidden])", { timeout: 60_000 });
    await waitForText(page, "#reading-list", new RegExp(`of ${n("60000")} rows`), 60_000);
    assert.match(await text(page, "#reading-list .reading-step"), /Step 3 of 3: recording the rows/);
    assert.match(await text(page, "#reading-list .reading-origin"), /from the drop folder/);
    await world.shot("imports-reading-wide");
    await page.setViewportSize(NARROW);
    await page.waitForTimeout(300);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= NARROW.width, "the progress fits 420 px");
    assert.deepEqual(await brokenWords(page, "#reading-panel"), []);
    await world.shot("imports-reading-narrow");
    await page.setViewportSize(WIDE);
    await page.waitForSelector("#reading-panel", { state: "hidden", timeout: 90_000 });
    await page.waitForSelector(row("big.csv"), { timeout: STEP_MS });
    await waitForText(page, "#upload-message", /^big\.csv is imported: 60.000 rows recorded; they wait while sync is paused\.$/);
    assert.match(await text(page, `${row("big.csv")} td[data-label="Recorded"]`), new RegExp(`^${n("60000")}$`));
    assert.match(await text(page, `${row("big.csv")} .outcome-cell`), new RegExp(`${n("60000")} waiting`));
    const seen = await readingSeen();
    // Before the rows are counted the bar goes by bytes; then rows so far of the rows in the file.
    assert.ok(seen.some((s) => / \| (checking|validating) \| .*(read|so far)/.test(s) && /MB/.test(s)), `bytes while rows are unknown:\n${seen.join("\n")}`);
    assert.ok(seen.some((s) => new RegExp(` \\| recording \\| .* of ${n("60000")} rows`).test(s)), seen.join("\n"));
    const percents = seen.map((s) => Number(s.split(" | ").pop()));
    assert.ok(percents.some((p) => p > 0 && p < 100), "the bar moved");
    assert.ok(percents.every((p, i) => i === 0 || p >= percents[i - 1]), `the bar never goes back: ${percents}`);
  });

  await t.test("a dry run of `twenty-sync import` beside the agent shows as one, step in words", async () => {
    const file = join(world.work, "dry.csv");
    writeFileSync(file, bigCsv("dry", 60_000));
    await world.screen("imports");
    await watchReading();
    const done = new Promise((resolve) => {
      execFile(process.env.TWENTY_SYNC_BIN, ["import", "--dry-run", file], { env: { PATH: process.env.PATH, TWENTY_SYNC_DATA_DIR: world.dataDir, TWENTY_SYNC_SECRET_STORE: "file", NO_COLOR: "1" } }, (error, stdout, stderr) => resolve({ error, stdout, stderr }));
    });
    await readingAtLeast("dry.csv", 1, "comparing");
    const item = "#reading-list li";
    assert.match(await text(page, `${item} .reading-head`), /Dry run/);
    assert.match(await text(page, `${item} .reading-origin`), /from the command line/);
    assert.match(await text(page, `${item} .reading-step`), /comparing the rows with what Twenty has/);
    await world.shot("imports-dry-run");
    const { error, stdout, stderr } = await done;
    assert.equal(error, null, `${stdout}\n${stderr}`);
    await page.waitForSelector("#reading-panel", { state: "hidden", timeout: STEP_MS });
    assert.equal(await history("dry.csv"), undefined, "a dry run records nothing");
  });

  await t.test("an import killed halfway is resumed: its whole duration, marked resumed", async () => {
    const port = world.uiPort;
    await world.screen("imports");
    await upload("resume.csv", bigCsv("resume", 60_000));
    await page.waitForSelector("#reading-panel:not([hidden])", { timeout: 60_000 });
    const firstSeen = Date.now();
    await readingAtLeast("resume.csv", 12_000, "recording");
    await world.stopAgent("SIGKILL");
    await page.waitForSelector("#lost-banner:not([hidden])", { timeout: STEP_MS });
    await page.waitForTimeout(2000); // the import stands still a while
    await world.startAgent(port);
    const restarted = Date.now();
    await page.waitForSelector("#lost-banner", { state: "hidden", timeout: STEP_MS });
    await page.waitForSelector(`${row("resume.csv")} .resumed`, { timeout: 90_000 });
    const resumed = await history("resume.csv");
    assert.equal(resumed.resumed, true);
    assert.ok(resumed.resumed_after_row >= 12_000 && resumed.resumed_after_row < 60_000, `resumed after row ${resumed.resumed_after_row}`);
    assert.equal(resumed.recorded, 60_000);
    assert.ok(resumed.duration_ms >= restarted - firstSeen, `the whole import (${resumed.duration_ms} ms), not only its last part`);
    const took = await text(page, `${row("resume.csv")} td[data-label="Took"]`);
    assert.match(took, /Resumed/);
    assert.match(await text(page, `${row("resume.csv")} .resumed-note`), new RegExp(`^Stopped after row ${n(String(resumed.resumed_after_row))} and resumed there; .* in all\\.$`));
    await world.shot("imports-resumed");
    await world.screen("activity");
    await page.fill("#activity-record", "resume.csv");
    await page.click("#activity-filters button[type=submit]");
    // The resumed part's notes come before its checkpoints and intents: a few pages back.
    const resumedNote = new RegExp(`Import resumed.*import of resume\\.csv: resumed after row ${n(String(resumed.resumed_after_row))}`);
    const noteShown = () => page.$$eval('#activity-table tr[data-kind="ImportNoted"]', (rows, source) => rows.some((r) => new RegExp(source).test(r.textContent)), resumedNote.source);
    await page.waitForSelector("#activity-table tbody tr");
    for (let pages = 0; !(await noteShown()) && pages < 40; pages += 1) {
      const events = page.waitForResponse((r) => r.url().endsWith("/api/rpc") && /"op":"events"/.test(r.request().postData() || ""));
      await page.click("#activity-more");
      await (await events).finished();
      await page.waitForTimeout(50);
    }
    assert.ok(await noteShown(), "the resumed part's notes are in Activity");
    await page.fill("#activity-record", "");
    await page.click("#activity-filters button[type=submit]");
  });

  await t.test("rare outcomes render from the op's JSON: a capped list of failed records, the relay", async () => {
    // The history as the `imports` op could answer it, rendered by the real screen.
    await page.evaluate(() => {
      const api = window.TwentySync.api;
      window.__realImports = api.imports;
      const base = { seq: 1, at: new Date().toISOString(), status: "imported", rows_read: 500, recorded: 500, invalid: 0, duplicate_rows: 0, duration_ms: 4200, report: null, message: null, warnings: [], resumed: false, resumed_after_row: null };
      const failed = Array.from({ length: 100 }, (_, i) => ({ kind: "person", external_id: `p-${i}`, error: "INVALID: bad e-mail" }));
      api.imports = async () => ({
        drop_dir: "/fixture/inbox",
        rows: [
          { ...base, file_name: "capped.csv", outcome: { created: 160, updated: 0, unchanged: 0, failed: 340, waiting: 0, replaced: 0, forwarded: 0, pushed: true, failed_records: failed } },
          { ...base, seq: 2, file_name: "relayed.csv", outcome: { created: 0, updated: 0, unchanged: 0, failed: 0, waiting: 0, replaced: 20, forwarded: 480, pushed: true, failed_records: [] } },
        ],
      });
    });
    await world.screen("status");
    await world.screen("imports");
    await waitForText(page, row("capped.csv"), /See the first 100 of 340 failed records/);
    assert.match(await text(page, `${row("relayed.csv")} .outcome-cell`), /Sent to the relay\s*20 replaced by a newer change · 480 sent to the relay$/);
    await world.shot("imports-fixture");
    await page.evaluate(() => {
      window.TwentySync.api.imports = window.__realImports;
    });
    await world.screen("status");
  });

  await t.test("Imports and the failed records of a file, wide and 420 px: stacked rows, no broken words", async () => {
    const fits = async (name) => {
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= NARROW.width, `${name} fits 420 px (${width})`);
      assert.deepEqual(await brokenWords(page, `#screen-${name} table, #screen-${name} .panel`), [], `${name}: no broken words`);
    };
    for (const [size, viewport] of [["wide", WIDE], ["narrow", NARROW]]) {
      await page.setViewportSize(viewport);
      await world.screen("imports");
      await page.waitForTimeout(500);
      if (size === "narrow") await fits("imports");
      await world.shot(`${size}-imports`);
      await world.screen("imports");
      await page.click(`${row("changes.csv")} a.failed-records-link`);
      await page.waitForSelector("#failed-only:not([hidden])");
      await page.fill("#records-q", "globex");
      await page.click("#records-search button[type=submit]");
      await waitForText(page, "#records-table tbody", /globex/);
      if (size === "narrow") await fits("records");
      await world.shot(`${size}-records-failed-of-a-file`);
      await page.fill("#records-q", "");
    }
    await page.setViewportSize(WIDE);
  });

  await t.test("no external request, no dialog, no script error", async () => {
    assert.deepEqual(page.external, []);
    assert.deepEqual(page.errors, []);
  });
});
