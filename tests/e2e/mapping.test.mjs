// The Imports screen's columns → fields table drives an import, in a real browser against the
// real agent and the fake Twenty with a directory owner's custom fields (category select, tags
// multi-select, Listing URL links): a chosen CSV shows what each column fills and how its first
// values read; a column is given another field (Sector → Category) and its wrong select value is
// marked with its problem; Save mapping keeps the choice as an override; Import this file
// imports it, and the intents recorded carry the mapped values. Screenshots wide and 420 px go
// to tests/e2e/artifacts/.
//
//   TWENTY_SYNC_BIN=… FAKE_TWENTY_BIN=… node --test mapping.test.mjs   (scripts/test-e2e.sh)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { World, WIDE, NARROW, text, waitForText, brokenWords } from "./harness.mjs";

const world = new World("mapping");
let page;

before(async () => {
  await world.startFake();
  await world.control("/__fake/config", { external_id_fields: true, directory_fields: true });
  await world.startAgent();
  page = await world.openBrowser();
});

after(() => world.close());

const CSV = [
  "Name,ID,Town,LinkedIn,Employees,Sector,Tags,Listing URL",
  'Acme,d-1,Lyon,linkedin.com/company/acme,12,Agency,"Agency, Fintech",https://dir.example/acme',
  "Bolt,d-2,Paris,linkedin.com/company/bolt,40,Fintek,Fintech,https://dir.example/bolt",
  "Café Crème,d-3,Nantes,linkedin.com/company/creme,7,café,Café,https://dir.example/creme",
].join("\n") + "\n";

const column = (name) => `#mapping-table tr[data-column="${name}"]`;
const target = (name) => page.getAttribute(column(name), "data-target");

/** The agent's events of `kind` (newest first), through the local API as the UI reads them. */
async function events(categories) {
  const { rows } = await page.evaluate((c) => window.TwentySync.api.events({ categories: c, limit: 200 }), categories);
  return rows;
}

test("the mapping table drives one import", async (t) => {
  await t.test("set up: the server and the key", async () => {
    await page.goto(world.uiUrl);
    await page.evaluate(([url, key]) => window.TwentySync.api.saveSettings({ base_url: url, api_key: key }), [world.fake.url, world.fake.key]);
    await page.reload();
    await waitForText(page, "#hero-title", /^In sync$/);
  });

  await t.test("a chosen file shows each column's field and its first values", async () => {
    await world.screen("imports");
    await page.setInputFiles("#file-input", { name: "companies-directory.csv", mimeType: "text/csv", buffer: Buffer.from(CSV) });
    await page.waitForSelector(`${column("Listing URL")}`);
    assert.equal(await text(page, "#mapping-file"), "companies-directory.csv");
    assert.match(await text(page, "#mapping-summary"), /^CSV \(,\), the file name says companies; 3 rows; matched against the fields of http/);
    assert.equal(await target("Name"), "name");
    assert.equal(await target("ID"), "external_id");
    assert.equal(await target("LinkedIn"), "linkedinLink.primaryLinkUrl");
    assert.equal(await target("Employees"), "employees");
    assert.equal(await target("Tags"), "tags");
    assert.equal(await target("Listing URL"), "listingUrl.primaryLinkUrl");
    // Town is the address's city, by a usual name of the city.
    assert.equal(await target("Town"), "address.addressCity");
    assert.match(await text(page, `${column("Town")} .mapping-target`), /a usual name of the field/);
    // Sector matches no field: not imported, and the screen says so.
    assert.equal(await target("Sector"), "ignore");
    assert.match(await text(page, "#mapping-findings"), /column 'Sector' matches no field/);
    assert.match(await text(page, `${column("Sector")} .mapping-target`), /no matching field: not imported/);
    // The select says what each choice is, by label.
    const selected = await page.$eval(`${column("Listing URL")} select`, (s) => s.selectedOptions[0].textContent);
    assert.ok(selected.startsWith("Listing URL › "), selected);
    // Each select has its label: keyboard and screen-reader users know which column it is.
    const label = await page.$eval(`${column("Sector")} select`, (s) => s.labels[0].textContent);
    assert.equal(label, "Import column Sector as");
    assert.match(await text(page, `${column("Name")} .mapping-values`), /Acme\s*Bolt\s*Café Crème/);
    assert.match(await text(page, `${column("Town")} .mapping-values`), /Lyon\s*Paris\s*Nantes/);
    assert.equal(await page.$$eval("#mapping-table li.bad", (items) => items.length), 0);
    assert.match(await text(page, `${column("Employees")} .mapping-count`), /the first 3 values read well/);
    assert.ok(await page.isDisabled("#mapping-save"), "nothing to save yet");
  });

  await t.test("a column given another field is read again for it, its wrong value marked", async () => {
    await page.focus(`${column("Sector")} select`);
    await page.selectOption(`${column("Sector")} select`, "category");
    await page.waitForSelector(`${column("Sector")}[data-target="category"].changed`);
    assert.match(await text(page, `${column("Sector")} .mapping-target`), /changed, not saved yet/);
    assert.doesNotMatch(await text(page, "#mapping-findings"), /'Sector'/);
    assert.equal(await text(page, "#mapping-save"), "Save mapping (1 change)");
    // Fintek is not an option of Category; café is Café.
    const bad = await page.$$eval(`${column("Sector")} li.bad`, (items) => items.map((li) => li.textContent));
    assert.equal(bad.length, 1, bad.join(" | "));
    assert.match(bad[0], /row 2: .*Fintek.*Agency/);
    assert.match(await page.getAttribute(`${column("Sector")} li.bad`, "title"), /Fintek/);
    assert.match(await text(page, `${column("Sector")} .mapping-count`), /1 value of the first 3 rows cannot be sent/);
    // Another choice, marked at once, then taken back: no longer a change.
    await page.selectOption(`${column("Employees")} select`, "category");
    await page.waitForSelector(`${column("Employees")}[data-target="category"] li.bad`);
    assert.equal(await page.$$eval(`${column("Employees")} li.bad`, (items) => items.length), 3);
    assert.match(await text(page, "#mapping-findings"), /columns 'Employees' and 'Sector' all fill category/);
    assert.equal(await text(page, "#mapping-save"), "Save mapping (2 changes)");
    await page.selectOption(`${column("Employees")} select`, "employees");
    await page.waitForSelector(`${column("Employees")}[data-target="employees"]:not(.changed)`);
    assert.equal(await text(page, "#mapping-save"), "Save mapping (1 change)");
    await world.shot("mapping-table");
  });

  await t.test("at 420 px every column reads as a card, nothing cut", async () => {
    await page.setViewportSize(NARROW);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the window`);
    const widths = await page.$$eval("#mapping-table select", (selects) => selects.map((s) => s.getBoundingClientRect().right));
    assert.ok(widths.every((right) => right <= 420), `a select leaves the window: ${widths}`);
    assert.deepEqual(await brokenWords(page, "#mapping-table .mapping-problem"), []);
    await world.shot("mapping-narrow");
    await page.setViewportSize(WIDE);
  });

  await t.test("Save mapping keeps the choice for every companies file", async () => {
    await page.click("#mapping-save");
    await waitForText(page, "#mapping-message", /^Saved: 'Sector' is imported as chosen from now on, for every companies file\.$/);
    await page.waitForSelector(`${column("Sector")}[data-target="category"]:not(.changed)`);
    assert.match(await text(page, `${column("Sector")} .mapping-target`), /saved mapping/);
    assert.ok(await page.isDisabled("#mapping-save"));
    const config = await events(["config"]);
    const saved = config.find((row) => row.details && row.details.values && "mapping:company:Sector" in row.details.values);
    assert.ok(saved, JSON.stringify(config.map((row) => row.details)));
    assert.equal(saved.details.values["mapping:company:Sector"], "category");
  });

  await t.test("Import this file copies it into the drop folder, where it is imported", async () => {
    await page.click("#mapping-import");
    assert.ok(await page.isHidden("#mapping-panel"));
    await waitForText(page, "#upload-message", /companies-directory\.csv (is imported|was refused)/, 60_000);
    await page.waitForSelector('#imports-table tr[data-file="companies-directory.csv"]');
    await world.shot("mapping-imported");
    assert.deepEqual(page.errors, []);
    assert.deepEqual(page.external, []);
  });

  // Needs the import to map every column with the saved overrides (the import pipeline's part
  // of issue 15).
  await t.test("the intents recorded carry the mapped values; the wrong select value is a row error", async () => {
    assert.match(await text(page, "#upload-message"), /^companies-directory\.csv is imported: 2 rows recorded, 1 row was invalid/);
    const intents = await events(["intents"]);
    const of = (id) => intents.find((row) => row.kind === "IntentRecorded" && row.external_id === id);
    const acme = of("d-1");
    assert.ok(acme, JSON.stringify(intents.map((row) => row.summary)));
    const values = acme.details.values;
    assert.equal(values.address.addressCity, "Lyon", JSON.stringify(values));
    assert.equal(values.employees, 12);
    assert.equal(values.category, "AGENCY");
    assert.deepEqual(values.tags, ["AGENCY", "FINTECH"]);
    assert.match(values.linkedinLink.primaryLinkUrl, /linkedin\.com\/company\/acme/);
    assert.match(values.listingUrl.primaryLinkUrl, /dir\.example\/acme/);
    assert.equal(of("d-3").details.values.category, "CAFE");
    assert.equal(of("d-2"), undefined, "the Fintek row is a row error, not an intent");
  });

  await t.test("a JSON file dropped on the screen shows its keys with the saved mapping", async () => {
    const json = JSON.stringify([
      { ID: "d-4", Name: "Dune", Sector: "Retail", Tags: ["Fintech", "Agency"] },
      { ID: "d-5", Name: "Echo", Sector: "In progress", Tags: ["Nope"] },
    ]);
    const dataTransfer = await page.evaluateHandle((content) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([content], "companies-more.json", { type: "application/json" }));
      return transfer;
    }, json);
    await page.dispatchEvent("#h-imports", "drop", { dataTransfer });
    await page.waitForSelector(`${column("Tags")}`);
    assert.equal(await text(page, "#mapping-file"), "companies-more.json");
    assert.match(await text(page, "#mapping-summary"), /^JSON, the file name says companies; 2 rows;/);
    const headers = await page.$$eval("#mapping-table tbody tr", (rows) => rows.map((r) => r.dataset.column));
    assert.deepEqual(headers, ["ID", "Name", "Sector", "Tags"]);
    assert.equal(await target("Sector"), "category");
    assert.match(await text(page, `${column("Sector")} .mapping-target`), /saved mapping/);
    // Retail is no option of this workspace's Category; a list comes as a list.
    assert.match(await text(page, `${column("Sector")} li.bad`), /Retail/);
    assert.match(await text(page, `${column("Tags")} .mapping-values`), /Fintech, Agency/);
    assert.match(await text(page, `${column("Tags")} li.bad`), /Nope/);
    await page.click("#mapping-close");
    assert.ok(await page.isHidden("#mapping-panel"));
    assert.equal(await page.evaluate(() => document.activeElement.id), "file-input");
    assert.deepEqual(page.errors, []);
  });
});
