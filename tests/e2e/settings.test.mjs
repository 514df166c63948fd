// The Settings screen and the Status actions in a real browser, from an empty data directory:
// Sync now and Pause say why nothing happens while sync is off; Save stores only what was
// changed (a URL and a key turn direct sync on by themselves); a bare host gets https://, in the
// form and in the agent; changes not saved survive a switch of screens; checks that were not
// run say so; the drop folder is checked before saving; the secrets-in-a-file warning shows.
//
//   TWENTY_SYNC_BIN=… FAKE_TWENTY_BIN=… node --test settings.test.mjs   (scripts/test-e2e.sh)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { World, text, waitForText } from "./harness.mjs";

const world = new World("settings");
let page;

before(async () => {
  await world.startFake();
  await world.startAgent();
  page = await world.openBrowser();
});

after(() => world.close());

const settingsView = () => page.evaluate(() => window.TwentySync.api.settings());

test("settings store only what the person changed, and say what they do", async (t) => {
  await t.test("Sync now and Pause say why nothing happens while sync is off", async () => {
    await page.goto(world.uiUrl);
    await waitForText(page, "#hero-title", /Not set up yet/);
    await page.click("#sync-now");
    await waitForText(page, "#action-message", /Nothing was sent: sync is off; finish the setup first/);
    await world.shot("status-sync-now-while-off");
    await page.click("#pause-toggle");
    await waitForText(page, "#action-message", /^Paused; sync is off anyway: finish the setup first/);
    await waitForText(page, "#pause-toggle", /Resume sync/);
    await page.click("#pause-toggle");
    await waitForText(page, "#action-message", /^Resumed, but nothing is sent: sync is off/);
  });

  await t.test("Save stores the server and key only: direct sync follows by itself", async () => {
    await world.screen("settings");
    await page.fill("#s-base_url", world.fake.url);
    await page.fill("#s-api_key", world.fake.key);
    await page.click("#save-settings");
    await waitForText(page, "#settings-message", /^Saved/);
    const [change] = (await page.evaluate(() => window.TwentySync.api.events({ category: "config", limit: 1 }))).rows;
    assert.match(change.summary, /settings changed by ui: base_url, api_key$/, "only what was typed is stored");
    const { settings } = await settingsView();
    assert.equal(settings.base_url.source, "stored");
    assert.equal(settings.api_key.source, "stored");
    for (const name of ["sync_mode", "rate_limit", "batch_size", "drop_dir", "relay_port"]) {
      assert.equal(settings[name].source, "default", `${name} was not changed, so it is not stored`);
    }
    assert.equal(settings.sync_mode.value, "direct_crm");
    await world.screen("status");
    await page.waitForFunction(() => !/Not set up|Sync is off/.test(document.querySelector("#hero-title").textContent));
  });

  await t.test("the secrets-in-a-file warning is on the Settings screen", async () => {
    await world.screen("settings");
    await page.waitForSelector("#secrets-warning:not([hidden])");
    assert.match(await text(page, "#secrets-warning"), /secrets\.json/);
    await world.shot("settings-secrets-warning");
  });

  await t.test("Pause and Resume say what they did", async () => {
    await world.screen("status");
    await page.click("#pause-toggle");
    await waitForText(page, "#action-message", /^Paused/);
    await waitForText(page, "#hero-title", /^Paused$/);
    await page.click("#sync-now");
    await waitForText(page, "#action-message", /sync is paused; press Resume sync/);
    await page.click("#pause-toggle");
    await waitForText(page, "#action-message", /^Resumed/);
    await page.click("#sync-now");
    await waitForText(page, "#action-message", /Nothing is waiting/);
  });

  await t.test("a bare host gets https://, in the form and in the agent", async () => {
    await world.screen("settings");
    await page.fill("#s-base_url", "crm.example.com");
    await page.press("#s-base_url", "Tab");
    assert.equal(await page.inputValue("#s-base_url"), "https://crm.example.com");
    // The agent completes it too (the CLI and scripts send what was typed).
    const saved = await page.evaluate(() => window.TwentySync.api.saveSettings({ base_url: "other.example.com" }));
    assert.equal(saved.settings.base_url.value, "https://other.example.com");
    const back = await page.evaluate((url) => window.TwentySync.api.saveSettings({ base_url: url }), world.fake.url);
    assert.equal(back.settings.base_url.value, world.fake.url);
    await page.click("#discard-changes");
    await page.waitForFunction((url) => document.querySelector("#s-base_url").value === url, world.fake.url);
  });

  await t.test("changes not saved survive a switch of screens, until discarded", async () => {
    await world.screen("status");
    await world.screen("settings");
    await page.fill("#s-rate_limit", "250");
    await world.screen("status");
    await page.waitForSelector("#unsaved-banner:not([hidden])");
    assert.ok(await page.isVisible("#settings-dirty-mark"));
    await world.shot("status-unsaved-settings");
    await world.screen("settings");
    assert.equal(await page.inputValue("#s-rate_limit"), "250");
    await page.click("#discard-changes");
    await page.waitForFunction(() => document.querySelector("#s-rate_limit").value === "100");
    assert.ok(await page.isHidden("#settings-dirty-mark"));
  });

  await t.test("a server that does not answer: the other checks are not run, not failed", async () => {
    await page.fill("#s-base_url", "http://127.0.0.1:9");
    await page.click("#test-connection");
    await page.waitForSelector('#connection-checks li[data-check="reachable"][data-state="failed"]');
    const states = await page.$$eval("#connection-checks li", (items) => items.map((li) => [li.dataset.check, li.dataset.state, li.querySelector(".check-state").textContent]));
    assert.deepEqual(states.slice(1).map(([, state, word]) => [state, word]), Array(5).fill(["not_run", "Not run"]));
    await world.shot("settings-not-run-checks");
    await page.click("#discard-changes");
  });

  await t.test("a wrong value is refused beside its field, nothing is saved", async () => {
    await page.fill("#s-rate_limit", "0");
    await page.click("#save-settings");
    await page.waitForFunction(() => document.querySelector("#e-rate_limit").textContent.length > 0);
    await world.shot("settings-validation");
    await page.fill("#s-rate_limit", "600");
    await page.click("#save-settings");
    await waitForText(page, "#settings-message", /^Saved/);
    assert.equal(await text(page, "#e-rate_limit"), "");
    assert.equal((await settingsView()).settings.rate_limit.value, 600);
  });

  await t.test("a drop folder is checked before it is saved", async () => {
    await page.fill("#s-drop_dir", "/etc");
    await waitForText(page, "#e-drop_dir", /system folder/);
    const docs = join(world.work, "Documents");
    mkdirSync(docs, { recursive: true });
    for (const name of ["report.pdf", "notes.txt", "passwd", "people.csv"]) writeFileSync(join(docs, name), "x");
    await page.fill("#s-drop_dir", docs);
    await waitForText(page, "#w-drop_dir", /3 entries/);
    assert.match(await text(page, "#w-drop_dir"), /1 import file .* imported now/);
    assert.equal(await text(page, "#e-drop_dir"), "");
    await world.shot("settings-drop-folder-check");
    await page.click("#discard-changes");
    await page.waitForFunction(() => document.querySelector("#w-drop_dir").textContent === "");
  });

  await t.test("no external request, no dialog, no script error", async () => {
    assert.deepEqual(page.external, []);
    assert.deepEqual(page.errors, []);
  });
});
