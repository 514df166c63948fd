// The Records screen's search in a real browser, from an empty data directory: 5,000 companies
// imported through the Imports screen, then `k-5` is the first row (exact ids before the 110
// other ids that start with it) and "More results" goes on with the op's cursor, each record
// once; `zoe` finds `Zoë Ødegaard`; a search that finds nothing says so. Screenshots wide and
// 420 px.
//
//   TWENTY_SYNC_BIN=… FAKE_TWENTY_BIN=… node --test records-search.test.mjs   (scripts/test-e2e.sh)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { World, STEP_MS, WIDE, NARROW, CSV_HEADER, text, waitForText, importFile } from "./harness.mjs";

const world = new World("records-search");
let page;
const COMPANIES = 5_000;

before(async () => {
  await world.startAgent();
  page = await world.openBrowser();
});

after(() => world.close());

/** The external ids of the rows of the search's table, in order. */
const listedIds = () =>
  page.$$eval("#records-table tbody tr td[data-label='Your id']", (cells) => cells.map((cell) => cell.textContent.trim()));

/** Searches `q` by typing and pressing Search; a search right after an import may find the index
 *  still being built (it says so): the person searches again, as they would. */
async function search(q) {
  await page.fill("#records-q", q);
  const deadline = Date.now() + STEP_MS;
  for (;;) {
    // The table still shows what was listed before until this search's answer is rendered.
    const answered = page.waitForResponse(
      (response) => response.url().endsWith("/api/rpc") && /"op":"records"/.test(response.request().postData() || ""),
    );
    await page.click("#records-search button[type=submit]");
    await answered;
    await page.waitForFunction(
      () => {
        const rows = document.querySelectorAll("#records-table tbody tr").length;
        const note = document.querySelector("#records-note");
        const empty = document.querySelector("#records-empty");
        return rows > 0 || !note.hidden || !empty.hidden;
      },
    );
    const note = await page.$eval("#records-note", (node) => (node.hidden ? "" : node.textContent));
    if (!/still indexing/.test(note)) return note;
    assert.ok(Date.now() < deadline, `the search index did not catch up: ${note}`);
    await page.waitForTimeout(250);
  }
}

test("search finds: an exact id first, accents aside, and says when nothing matches", async (t) => {
  await t.test("5,000 companies and a person imported from the Imports screen", async () => {
    await page.goto(world.uiUrl);
    await world.screen("imports");
    const rows = [CSV_HEADER];
    for (let i = 0; i < COMPANIES; i += 1) rows.push(`company,k-${i},Company ${i},,,`);
    rows.push("person,z-1,Zoë Ødegaard,zoe@example.com,,");
    await importFile(page, {
      name: "directory.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(rows.join("\n") + "\n"),
    });
    await waitForText(page, "#upload-message", /directory\.csv is imported: 5,?001 rows recorded/, 120_000);
  });

  await t.test("k-5 among 5,000 is the first row, and More results goes on with the cursor", async () => {
    await world.screen("records");
    const note = await search("k-5");
    assert.equal(note, "", "a search that finds says nothing more");
    const first = await listedIds();
    assert.equal(first[0], "k-5", "the exact id comes first");
    assert.deepEqual(first.slice(1, 4), ["k-50", "k-500", "k-501"], "then the ids that start with it");
    assert.equal(first.length, 50);
    assert.match(await text(page, "#records-table tbody tr:first-child td[data-label='Name']"), /^Company 5$/);
    assert.equal(await text(page, "#records-more"), "More results");
    await world.shot("records-search-exact-id");
    await page.click("#records-more");
    await page.waitForFunction(() => document.querySelectorAll("#records-table tbody tr").length > 50);
    await page.click("#records-more");
    await page.waitForFunction(() => document.querySelectorAll("#records-table tbody tr").length > 100);
    await page.waitForSelector("#records-more", { state: "hidden" });
    const all = await listedIds();
    assert.equal(all.length, 111, "k-5, k-50…k-59 and k-500…k-599, nothing else");
    assert.equal(new Set(all).size, all.length, "each record once");
    assert.ok(all.every((id) => id.startsWith("k-5")));
  });

  await t.test("zoe finds Zoë, by her name without its accents", async () => {
    await search("zoe");
    assert.deepEqual(await listedIds(), ["z-1"]);
    assert.match(await text(page, "#records-table tbody tr:first-child td[data-label='Name']"), /^Zoë Ødegaard$/);
    await search("ZOË ØDE");
    assert.deepEqual(await listedIds(), ["z-1"], "case aside, ø a letter of its own");
  });

  await t.test("a search that finds nothing says so", async () => {
    const note = await search("nobody-here");
    assert.match(note, /^No record matches 'nobody-here'; try an external id, a Twenty id, an e-mail address or the start of a name\.$/);
    assert.deepEqual(await listedIds(), []);
    assert.ok(await page.isHidden("#records-more"));
    assert.ok(await page.isHidden("#records-empty"), "the note says it, once");
    await world.shot("records-search-nothing");
    await page.setViewportSize(NARROW);
    await search("k-5");
    assert.equal((await listedIds())[0], "k-5");
    await world.shot("records-search-narrow");
    await page.setViewportSize(WIDE);
    assert.deepEqual(page.errors, [], "no page errors or dialogs");
    assert.deepEqual(page.external, [], "nothing requested outside 127.0.0.1");
  });
});
