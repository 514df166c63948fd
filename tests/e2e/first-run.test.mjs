// A new user's first run in a real browser, by clicks and typing only: from an empty data
// directory through the setup (server, key, a test whose skipped checks say "not run", Create
// field, drop folder, Start syncing) to "In sync" with the records in the fake Twenty; then a
// failure fixed and retried (the lists follow), a refused file, an outage, a narrow window, and
// the agent stopping (every screen says so and every action is off) and coming back.
// Screenshots of every screen, wide and 420 px, go to tests/e2e/artifacts/.
//
//   TWENTY_SYNC_BIN=… FAKE_TWENTY_BIN=… node --test first-run.test.mjs   (scripts/test-e2e.sh)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { World, STEP_MS, WIDE, NARROW, CSV_HEADER, text, waitForText, importFile, brokenWords as harnessBrokenWords } from "./harness.mjs";

const world = new World("first-run");
let page;

const SCREENS = ["status", "activity", "records", "imports", "settings"];

before(async () => {
  await world.startFake();
  await world.startAgent();
  page = await world.openBrowser();
});

after(() => world.close());

/** Companies in the fake Twenty with this externalId. */
async function companiesIn(externalId) {
  const filter = encodeURIComponent(`externalId[eq]:"${externalId}"`);
  const list = await world.twenty(`/rest/companies?filter=${filter}`);
  return list.data.companies;
}

/** The rendered words of `selector` split over two lines (like "duplica te"). */
const brokenWords = (selector) => harnessBrokenWords(page, selector);

async function upload(name, content) {
  await world.screen("imports");
  await importFile(page, { name, mimeType: "text/csv", buffer: Buffer.from(content) });
}

test("a new user goes from first start to in sync, and the screens stay honest", async (t) => {
  await t.test("first start: not set up, with the way forward", async () => {
    await page.goto(world.uiUrl);
    await waitForText(page, "#hero-title", /Not set up yet/);
    assert.ok(await page.isVisible("#setup-open"), "Set up sync is offered");
    assert.ok(!page.url().includes("token="), "the token is removed from the address bar");
    await world.shot("status-first-start");
  });

  await t.test("setup: server and a wrong key; the checks after the refusal are not run", async () => {
    await page.click("#setup-open");
    await page.waitForSelector("#screen-setup:not([hidden])");
    assert.ok(await page.isDisabled("#setup-start"), "Start syncing waits for a passed test");
    await page.fill("#u-base_url", world.fake.url);
    await page.fill("#u-api_key", "wrong-key-0123456789");
    await page.click("#setup-test");
    await page.waitForSelector('#setup-checks li[data-check="authenticated"][data-state="failed"]');
    for (const name of ["read_people", "external_id_companies", "external_id_people"]) {
      const li = `#setup-checks li[data-check="${name}"]`;
      assert.equal(await page.getAttribute(li, "data-state"), "not_run", name);
      assert.equal(await text(page, `${li} .check-state`), "Not run", name);
    }
    assert.equal(await page.getAttribute('#setup-checks li[data-check="reachable"]', "data-state"), "ok");
    assert.ok(await page.isDisabled("#setup-start"));
    await world.shot("setup-wrong-key");
  });

  await t.test("setup: the right key, Create field, drop folder, Start syncing", async () => {
    await page.fill("#u-api_key", world.fake.key);
    await waitForText(page, "#setup-start-hint", /test the connection again/);
    await page.click("#setup-test");
    await page.waitForSelector("#setup-create-field:not([hidden])");
    assert.equal(await page.getAttribute('#setup-checks li[data-check="external_id_people"]', "data-state"), "missing");
    await world.shot("setup-field-missing");
    await page.click("#setup-create-field");
    await page.waitForSelector('#setup-result[data-ok="yes"]');
    assert.equal(await page.$$eval('#setup-checks li[data-state="ok"]', (items) => items.length), 6);
    assert.equal(await text(page, "#w-u-drop_dir"), "", "the default drop folder needs no warning");
    assert.ok(await page.isEnabled("#setup-start"));
    await world.shot("setup-ready");
    await page.click("#setup-start");
    await page.waitForSelector("#screen-status:not([hidden])");
    await waitForText(page, "#action-message", /Syncing is on/);
    await waitForText(page, "#hero-title", /^In sync$/);
    assert.ok(await page.isHidden("#setup-open"));
    const view = await page.evaluate(() => window.TwentySync.api.settings());
    assert.deepEqual(view.settings.sync_mode, { value: "direct_crm", source: "stored" });
    await world.shot("status-syncing-on");
  });

  await t.test("a dropped file is synced: in sync, with the records in Twenty", async () => {
    const csv = [
      CSV_HEADER,
      "company,acme,Acme Inc,,acme.example,",
      "company,globex,Globex,,globex.example,",
      "person,ada,Ada Lovelace,ada@example.com,,acme",
    ].join("\n") + "\n";
    await upload("first-customers.csv", csv);
    await waitForText(page, "#upload-message", /first-customers\.csv is imported: 3 rows recorded/);
    await world.shot("imports-first-file");
    await world.screen("status");
    await page.waitForFunction(() => document.querySelector("#n-synced").textContent === "3", null, { timeout: 60_000 });
    await waitForText(page, "#hero-title", /^In sync$/, 60_000);
    assert.equal((await companiesIn("acme")).length, 1);
    assert.equal((await companiesIn("globex")).length, 1);
    await page.waitForSelector("#chart .bar");
    await world.shot("status-in-sync");
  });

  await t.test("a refused file says it was refused, not that it will be imported", async () => {
    const binary = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(512, 0)]);
    await world.screen("imports");
    await importFile(page, { name: "photo.csv", mimeType: "text/csv", buffer: binary });
    await waitForText(page, "#upload-message", /photo\.csv was refused/);
    const message = await text(page, "#upload-message");
    assert.doesNotMatch(message, /will be imported|importing/);
    await waitForText(page, "#imports-table tbody", /photo\.csv/);
    await world.shot("imports-refused");
  });

  await t.test("a failure: Twenty's message, a narrow window, Retry all after the fix", async () => {
    await upload("more.csv", [CSV_HEADER, "company,globex-copy,Globex Copy,,globex.example,", "person,bad-row,No Email,not-an-email,,acme"].join("\n") + "\n");
    await waitForText(page, "#upload-message", /more\.csv is imported: 1 row recorded, 1 row was invalid/);
    await world.screen("records");
    await page.waitForSelector("#failed-panel:not([hidden]) #failed-table tbody tr", { timeout: 60_000 });
    assert.match(await text(page, "#failed-table tbody tr"), /globex-copy[\s\S]*[Dd]uplicate/);
    await waitForText(page, '#records-table tr[data-key="company/globex-copy"]', /Failed/);
    await world.shot("records-failed");

    await page.setViewportSize(NARROW);
    await page.waitForTimeout(300);
    // The Retry button is whole: inside the window and not cut off by the table's box.
    const retry = await page.evaluate(() => {
      const button = document.querySelector('#failed-table button[aria-label="Retry globex-copy"]').getBoundingClientRect();
      const box = document.querySelector("#failed-panel .table-wrap").getBoundingClientRect();
      return { left: button.left, right: button.right, boxLeft: box.left, boxRight: box.right };
    });
    assert.ok(retry.left >= retry.boxLeft && retry.right <= retry.boxRight && retry.right <= NARROW.width, `Retry is whole: ${JSON.stringify(retry)}`);
    assert.deepEqual(await brokenWords("#failed-table, #records-table"), [], "no word is broken over two lines");
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= NARROW.width, "no sideways scrolling");
    await world.shot("records-failed-narrow");
    await page.setViewportSize(WIDE);

    // The fix, in Twenty: the first Globex goes away. Then Retry all.
    const [globex] = await companiesIn("globex");
    await world.twenty(`/rest/companies/${globex.id}`, { method: "DELETE" });
    await page.click("#retry-all");
    await waitForText(page, "#records-message", /queued again/);
    await page.waitForSelector("#failed-panel", { state: "hidden" });
    await waitForText(page, '#records-table tr[data-key="company/globex-copy"]', /In sync/, 60_000);
    assert.equal((await companiesIn("globex-copy")).length, 1);
    await world.screen("status");
    await waitForText(page, "#hero-title", /^In sync$/, 60_000);
    assert.equal(await text(page, "#n-failed"), "0");
  });

  await t.test("the offline banner comes and goes with Twenty", async () => {
    await world.control("/__fake/faults", { down: true });
    await upload("companies-2.csv", `${CSV_HEADER}\ncompany,initech,Initech,,initech.example,\n`);
    await page.waitForSelector("#offline-banner:not([hidden])", { timeout: 60_000 });
    assert.match(await text(page, "#offline-banner"), /Since/);
    await world.screen("status");
    assert.equal(await text(page, "#hero-title"), "Offline");
    await world.shot("status-offline");
    await world.control("/__fake/faults", { down: false });
    await page.click("#offline-retry");
    await page.waitForSelector("#offline-banner", { state: "hidden", timeout: 60_000 });
    await waitForText(page, "#hero-title", /^In sync$/, 60_000);
  });

  await t.test("the activity log filters", async () => {
    await world.screen("activity");
    await page.waitForSelector("#activity-table tbody tr");
    for (const category of ["intents", "pushes", "imports", "config"]) await page.uncheck(`input[name="category"][value="${category}"]`);
    await page.waitForFunction(() => [...document.querySelectorAll("#activity-table tbody tr")].every((r) => /Failed|Retry|Duplicate/.test(r.textContent)));
    await world.shot("activity-failures");
    for (const category of ["intents", "pushes", "imports", "config"]) await page.check(`input[name="category"][value="${category}"]`);
    await page.waitForSelector("#activity-table tbody tr");
  });

  await t.test("every screen, wide and 420 px", async () => {
    for (const [size, viewport] of [["wide", WIDE], ["narrow", NARROW]]) {
      await page.setViewportSize(viewport);
      for (const name of SCREENS) {
        await world.screen(name);
        await page.waitForTimeout(400);
        if (size === "narrow") {
          const width = await page.evaluate(() => document.documentElement.scrollWidth);
          assert.ok(width <= NARROW.width, `${name} fits 420 px (${width})`);
          assert.deepEqual(await brokenWords(`#screen-${name} table`), [], `${name}: no broken words`);
        }
        await world.shot(`${size}-${name}`);
      }
      await page.click("#setup-again");
      await page.waitForSelector("#screen-setup:not([hidden])");
      await world.shot(`${size}-setup`);
    }
    await page.setViewportSize(WIDE);
    await world.screen("status");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => document.activeElement && document.activeElement.tagName);
    assert.ok(["A", "BUTTON"].includes(focused), `keyboard focus lands on a control, got ${focused}`);
  });

  await t.test("the agent stops: every screen says so and every action is off; it comes back", async () => {
    const port = world.uiPort;
    await world.stopAgent();
    await page.waitForSelector("#lost-banner:not([hidden])", { timeout: STEP_MS });
    assert.equal(await text(page, "#hero-title"), "Not answering");
    assert.equal(await text(page, "#state-pill-text"), "Agent not answering");
    assert.notEqual(await page.getAttribute("#hero", "data-tone"), "good");
    for (const button of ["#sync-now", "#pause-toggle"]) assert.ok(await page.isDisabled(button), `${button} is off`);
    await world.shot("status-agent-stopped");
    assert.ok(await page.isVisible("#screen-status .stale-note"));
    await world.screen("records");
    assert.ok(await page.isVisible("#screen-records .stale-note"));
    assert.ok(await page.isDisabled("#records-search button[type=submit]"));
    await world.screen("settings");
    assert.ok(await page.isDisabled("#save-settings"));
    assert.ok(await page.isDisabled("#test-connection"));
    await world.screen("imports");
    assert.ok(await page.isDisabled("#file-input"));
    await world.shot("imports-agent-stopped");

    await world.startAgent(port);
    await page.waitForSelector("#lost-banner", { state: "hidden", timeout: STEP_MS });
    await world.screen("status");
    await waitForText(page, "#hero-title", /^In sync$/);
    assert.ok(await page.isEnabled("#sync-now"));
    assert.ok(await page.isHidden("#screen-status .stale-note"));
  });

  await t.test("no external request, no dialog, no script error", async () => {
    assert.deepEqual(page.external, []);
    assert.deepEqual(page.errors, []);
  });
});
