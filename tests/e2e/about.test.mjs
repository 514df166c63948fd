// The About screen and the desktop-only settings in a real browser, from an empty data
// directory: the version (the binary's own), the data and log folders (the log folder's path,
// with no button a browser cannot honour), no server until one is set, then the server with
// what the agent detected of it once a file is synced; Start at login says it is the desktop app's setting and
// the setup does not ask it.
//
//   TWENTY_SYNC_BIN=… FAKE_TWENTY_BIN=… node --test about.test.mjs   (scripts/test-e2e.sh)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { CSV_HEADER, World, importFile, text, waitForText } from "./harness.mjs";

const world = new World("about");
let page;

before(async () => {
  await world.startFake();
  await world.startAgent();
  page = await world.openBrowser();
});

after(() => world.close());

test("About names the version, the folders and the server; desktop settings say whose they are", async (t) => {
  await t.test("version and folders, no server yet", async () => {
    await page.goto(world.uiUrl);
    await waitForText(page, "#hero-title", /Not set up yet/);
    await world.screen("about");
    const version = execFileSync(process.env.TWENTY_SYNC_BIN, ["--version"]).toString().trim().split(" ").pop();
    await waitForText(page, "#about-version", new RegExp(`^${version.replace(/\./g, "\\.")}$`));
    assert.equal(await text(page, "#about-data-dir"), world.dataDir);
    assert.equal(await text(page, "#about-log-dir"), join(world.dataDir, "logs"));
    assert.equal(await page.isHidden("#about-open-logs"), true, "a browser cannot open a folder");
    assert.match(await text(page, "#about-logs-hint"), /file manager/);
    await page.waitForSelector("#about-no-server:not([hidden])");
    await world.shot("about-no-server");
  });

  await t.test("once a file is synced, the server and what was detected of it", async () => {
    await world.screen("settings");
    await page.fill("#s-base_url", world.fake.url);
    await page.fill("#s-api_key", world.fake.key);
    await page.click("#save-settings");
    await waitForText(page, "#settings-message", /^Saved/);
    // What the agent learns of a server it learns while pushing: sync one file.
    await world.screen("imports");
    await importFile(page, { name: "about.csv", mimeType: "text/csv", buffer: Buffer.from(`${CSV_HEADER}\ncompany,a-1,Acme,,acme.example,\n`) });
    await world.screen("status");
    await waitForText(page, "#n-synced", /^1$/, 60_000);
    await world.screen("about");
    await waitForText(page, "#about-server-url", new RegExp(world.fake.url.replace(/[.:/]/g, "\\$&")));
    await waitForText(page, "#about-server-flavour", /Twenty/);
    assert.doesNotMatch(await text(page, "#about-server-flavour"), /not detected/);
    assert.match(await text(page, "#about-server-details"), /externalId field found on companies/);
    await world.shot("about-server");
  });

  await t.test("Start at login is the desktop app's setting; the setup does not ask it", async () => {
    await world.screen("settings");
    assert.equal(await page.isDisabled("#s-autostart"), true);
    assert.match(await text(page, "#h-autostart"), /setting of the desktop app/);
    await page.goto(world.uiUrl.split("?")[0] + "#setup");
    await page.waitForSelector("#screen-setup:not([hidden])");
    assert.equal(await page.isHidden("#setup-autostart-row"), true);
    assert.deepEqual(page.errors, [], "no page error");
  });
});
