// End-to-end test of the web UI in a real browser: Debian's Chromium driven by playwright-core,
// against the real `twenty-sync run` binary and the fake Twenty (`fake-twenty`). What a person
// does: open the printed URL, test the connection (and create the missing field), save the
// settings, drop a CSV, watch the status and the chart reach "In sync", see a failed row with
// Twenty's message, retry it after fixing the data in Twenty, and see the offline banner come and
// go. Screenshots of every screen go to tests/e2e/artifacts/.
//
//   TWENTY_SYNC_BIN=… FAKE_TWENTY_BIN=… node --test e2e.test.mjs   (scripts/test-e2e.sh does it)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const artifacts = join(here, "artifacts");
const BIN = process.env.TWENTY_SYNC_BIN;
const FAKE_BIN = process.env.FAKE_TWENTY_BIN;
const STEP_MS = 30_000; // every wait is bounded

let fake, agent, browser, page, work, fakeInfo, uiUrl;
const children = [];

/** Starts a process and resolves with the first stdout lines matching `patterns`. */
function start(cmd, args, env, patterns, what) {
  return new Promise((resolve, reject) => {
    const base = { ...process.env };
    for (const name of Object.keys(base)) if (name.startsWith("TWENTY_CRM_")) delete base[name];
    const child = spawn(cmd, args, { env: { ...base, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let out = "";
    let err = "";
    const found = {};
    const timer = setTimeout(() => reject(new Error(`${what} did not start in time:\n${out}\n${err}`)), STEP_MS);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      for (const [name, re] of Object.entries(patterns)) {
        const m = out.match(re);
        if (m) found[name] = m[1];
      }
      if (Object.keys(found).length === Object.keys(patterns).length) {
        clearTimeout(timer);
        resolve({ child, found });
      }
    });
    child.stderr.on("data", (chunk) => {
      err += chunk;
      if (err.length > 200_000) err = err.slice(-100_000);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}:\n${out}\n${err}`));
    });
  });
}

async function control(path, body) {
  const response = await fetch(fakeInfo.control + path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.ok(response.ok, `fake control ${path}: ${response.status}`);
  return response.json();
}

async function shot(name) {
  await page.waitForTimeout(300); // let the last paint land
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

async function screen(name) {
  await page.click(`.tabs a[data-screen="${name}"]`);
  await page.waitForSelector(`#screen-${name}:not([hidden])`, { timeout: STEP_MS });
}

const stateTitle = () => page.textContent("#hero-title");

before(async () => {
  assert.ok(BIN && FAKE_BIN, "set TWENTY_SYNC_BIN and FAKE_TWENTY_BIN (scripts/test-e2e.sh does)");
  mkdirSync(artifacts, { recursive: true });
  work = mkdtempSync(join(tmpdir(), "twenty-sync-e2e-"));
  const f = await start(FAKE_BIN, ["--port", "0"], {}, {
    url: /FAKE_TWENTY_URL=(\S+)/,
    control: /FAKE_TWENTY_CONTROL_URL=(\S+)/,
    key: /FAKE_TWENTY_API_KEY=(\S+)/,
  }, "fake-twenty");
  fake = f.child;
  fakeInfo = f.found;
  const a = await start(BIN, ["run"], {
    TWENTY_SYNC_DATA_DIR: join(work, "data"),
    TWENTY_SYNC_UI_PORT: "0",
    TWENTY_SYNC_STABILITY_DELAY_MS: "300",
    TWENTY_SYNC_SECRET_STORE: "file",
    RUST_LOG: "info",
  }, { ui: /^UI: (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)$/m }, "twenty-sync run");
  agent = a.child;
  uiUrl = a.found.ui;
  // A fresh profile in the test's own temporary folder.
  browser = await chromium.launchPersistentContext(join(work, "chromium"), {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
    viewport: { width: 1024, height: 768 },
    timeout: STEP_MS,
  });
  page = browser.pages()[0] || (await browser.newPage());
  page.setDefaultTimeout(STEP_MS);
  const external = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.hostname !== "127.0.0.1" && url.protocol !== "data:") external.push(request.url());
  });
  page.on("pageerror", (error) => console.error("page error:", error.message));
  page.external = external;
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  for (const child of children) {
    if (child.exitCode === null) child.kill("SIGTERM");
  }
  await new Promise((r) => setTimeout(r, 500));
  for (const child of children) {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

test("a person sets up, imports, fixes a failure and rides out an outage", async (t) => {
  await t.test("the printed URL opens the Status screen", async () => {
    await page.goto(uiUrl);
    await page.waitForFunction(() => document.querySelector("#hero-title").textContent !== "Connecting…");
    assert.equal(await stateTitle(), "Sync is off");
    assert.ok(!page.url().includes("token="), "the token is removed from the address bar");
    await shot("01-status-first-start");
  });

  await t.test("test the connection, create the field, save the settings", async () => {
    await screen("settings");
    await page.fill("#s-base_url", fakeInfo.url);
    await page.fill("#s-api_key", fakeInfo.key);
    await page.click("#test-connection");
    await page.waitForSelector("#connection-checks li", { timeout: STEP_MS });
    await shot("02-settings-test-connection");
    assert.ok(await page.isVisible("#create-field"), "the fake starts without externalId: offer to create it");
    await page.click("#create-field");
    await page.waitForSelector('#connection-result[data-ok="yes"]');
    const checks = await page.$$eval("#connection-checks li.ok", (items) => items.length);
    assert.equal(checks, 6);
    // A wrong value is refused beside its field, and nothing is saved.
    await page.fill("#s-rate_limit", "0");
    await page.click("#save-settings");
    await page.waitForFunction(() => document.querySelector("#e-rate_limit").textContent.length > 0);
    await shot("03-settings-validation");
    await page.fill("#s-rate_limit", "600");
    await page.selectOption("#s-sync_mode", "direct_crm");
    await page.check("#s-enabled");
    await page.click("#save-settings");
    await page.waitForFunction(() => document.querySelector("#settings-message").textContent.startsWith("Saved"));
    assert.equal(await page.textContent("#e-rate_limit"), "");
    await shot("04-settings-saved");
  });

  await t.test("a drop folder is checked before it is saved", async () => {
    await page.fill("#s-drop_dir", "/etc");
    await page.waitForFunction(() => document.querySelector("#e-drop_dir").textContent.includes("system folder"));
    const docs = join(work, "Documents");
    mkdirSync(docs, { recursive: true });
    for (const name of ["report.pdf", "notes.txt", "passwd", "people.csv"]) writeFileSync(join(docs, name), "x");
    await page.fill("#s-drop_dir", docs);
    await page.waitForFunction(() => document.querySelector("#w-drop_dir").textContent.includes("3 entries"));
    assert.match(await page.textContent("#w-drop_dir"), /1 import file .* imported now/);
    assert.equal(await page.textContent("#e-drop_dir"), "");
    await shot("04b-settings-drop-folder-check");
    // Back to the default without saving: the rest of the story uses the default folder.
    await page.fill("#s-drop_dir", "");
    await page.waitForFunction(() => document.querySelector("#w-drop_dir").textContent === "");
  });

  await t.test("a dropped CSV is imported and synced; the chart shows it", async () => {
    await screen("imports");
    const csv = [
      "type,external_id,name,email,website,company_external_id",
      "company,acme,Acme Inc,,acme.example,",
      "company,globex,Globex,,globex.example,",
      "company,globex-copy,Globex Copy,,globex.example,",
      "person,ada,Ada Lovelace,ada@example.com,,acme",
      "person,bad-row,No Email,not-an-email,,acme",
    ].join("\n") + "\n";
    await page.setInputFiles("#file-input", { name: "companies-and-people.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.waitForFunction(() => document.querySelector("#upload-message").textContent.includes("drop folder"));
    await page.waitForSelector("#imports-table tbody tr", { timeout: STEP_MS });
    await page.waitForFunction(() => document.querySelector("#imports-table tbody").textContent.includes("companies-and-people.csv"));
    await shot("05-imports");
    await screen("status");
    // globex-copy shares globex's domain: Twenty refuses it, so the state is "needs attention".
    await page.waitForFunction(() => document.querySelector("#n-synced").textContent === "3", null, { timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector("#n-failed").textContent === "1");
    await page.waitForSelector("#chart .bar");
    await shot("06-status-after-import");
  });

  await t.test("a failed record shows Twenty's message and is retried after the fix", async () => {
    await screen("records");
    await page.waitForSelector("#failed-panel:not([hidden]) #failed-table tbody tr");
    const message = await page.textContent("#failed-table tbody tr");
    assert.match(message, /globex-copy/);
    assert.match(message, /[Dd]uplicate/);
    await page.waitForSelector("#records-table tbody tr");
    await shot("07-records-failed");
    // Fix the data in Twenty: the first Globex goes away.
    const list = await fetch(`${fakeInfo.url}/rest/companies?filter=${encodeURIComponent('externalId[eq]:"globex"')}`, {
      headers: { Authorization: `Bearer ${fakeInfo.key}` },
    }).then((r) => r.json());
    const id = list.data.companies[0].id;
    const deleted = await fetch(`${fakeInfo.url}/rest/companies/${id}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${fakeInfo.key}` },
    });
    assert.ok(deleted.ok, `delete in the fake: ${deleted.status}`);
    await page.click('#failed-table button[aria-label="Retry globex-copy"]');
    await page.waitForSelector("#failed-panel", { state: "hidden", timeout: STEP_MS });
    await screen("status");
    await page.waitForFunction(() => document.querySelector("#hero-title").textContent === "In sync", null, { timeout: 60_000 });
    assert.equal(await page.textContent("#n-failed"), "0");
    assert.equal(await page.textContent("#state-pill-text"), "In sync");
    await shot("08-status-in-sync");
  });

  await t.test("the offline banner comes and goes with Twenty", async () => {
    await control("/__fake/faults", { down: true });
    // A new change makes the engine notice.
    await screen("imports");
    await page.setInputFiles("#file-input", {
      name: "companies-2.csv",
      mimeType: "text/csv",
      buffer: Buffer.from("type,external_id,name,email,website,company_external_id\ncompany,initech,Initech,,initech.example,\n"),
    });
    await page.waitForSelector("#offline-banner:not([hidden])", { timeout: 60_000 });
    assert.match(await page.textContent("#offline-banner"), /Since/);
    await screen("status");
    assert.equal(await stateTitle(), "Offline");
    await shot("09-status-offline");
    await control("/__fake/faults", { down: false });
    await page.click("#offline-retry");
    await page.waitForSelector("#offline-banner", { state: "hidden", timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector("#hero-title").textContent === "In sync", null, { timeout: 60_000 });
    await shot("10-status-back-online");
  });

  await t.test("the activity log pages and filters", async () => {
    await screen("activity");
    await page.waitForSelector("#activity-table tbody tr");
    await page.uncheck('input[name="category"][value="intents"]');
    await page.uncheck('input[name="category"][value="pushes"]');
    await page.uncheck('input[name="category"][value="imports"]');
    await page.uncheck('input[name="category"][value="config"]');
    await page.waitForFunction(() => [...document.querySelectorAll("#activity-table tbody tr")].every((r) => /Failed|Retry/.test(r.textContent)));
    await shot("11-activity-failures");
    await page.check('input[name="category"][value="intents"]');
    await page.check('input[name="category"][value="pushes"]');
    await page.check('input[name="category"][value="imports"]');
    await page.check('input[name="category"][value="config"]');
    await page.waitForSelector("#activity-table tbody tr");
    await shot("12-activity");
  });

  await t.test("narrow window, keyboard, no external requests", async () => {
    await page.setViewportSize({ width: 420, height: 800 });
    await screen("status");
    await shot("13-status-narrow");
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => document.activeElement && document.activeElement.tagName);
    assert.ok(["A", "BUTTON"].includes(focused), `keyboard focus lands on a control, got ${focused}`);
    assert.deepEqual(page.external, []);
  });
});
