// What the end-to-end stories share: starting the fake Twenty and the real `twenty-sync run` on
// an empty data directory, a fresh headless Chromium (Debian's, never a downloaded one), bounded
// waits, screenshots into tests/e2e/artifacts/, and stopping everything afterwards.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const artifacts = join(here, "artifacts");
export const STEP_MS = 30_000; // every wait is bounded
export const WIDE = { width: 1024, height: 768 };
export const NARROW = { width: 420, height: 800 };
export const CSV_HEADER = "type,external_id,name,email,website,company_external_id";

/** One story's world: its fake Twenty, its agent, its browser page. */
export class World {
  constructor(name) {
    this.name = name;
    this.children = [];
    this.work = mkdtempSync(join(tmpdir(), `twenty-sync-e2e-${name}-`));
    this.dataDir = join(this.work, "data");
    this.shots = 0;
  }

  /** Starts a process and resolves with the first stdout lines matching `patterns`. */
  spawn(cmd, args, env, patterns, what) {
    return new Promise((resolve, reject) => {
      const base = { ...process.env };
      for (const name of Object.keys(base)) {
        if (name.startsWith("TWENTY_CRM_") || name.startsWith("TWENTY_SYNC_")) delete base[name];
      }
      const child = spawn(cmd, args, { env: { ...base, ...env }, stdio: ["ignore", "pipe", "pipe"] });
      this.children.push(child);
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

  async startFake() {
    const bin = process.env.FAKE_TWENTY_BIN;
    assert.ok(bin, "set FAKE_TWENTY_BIN (scripts/test-e2e.sh does)");
    const { found } = await this.spawn(bin, ["--port", "0"], {}, {
      url: /FAKE_TWENTY_URL=(\S+)/,
      control: /FAKE_TWENTY_CONTROL_URL=(\S+)/,
      key: /FAKE_TWENTY_API_KEY=(\S+)/,
    }, "fake-twenty");
    this.fake = found;
  }

  /** `twenty-sync run` on this world's data directory; `port` 0 picks a free one. */
  async startAgent(port = 0) {
    const bin = process.env.TWENTY_SYNC_BIN;
    assert.ok(bin, "set TWENTY_SYNC_BIN (scripts/test-e2e.sh does)");
    const { child, found } = await this.spawn(bin, ["run"], {
      TWENTY_SYNC_DATA_DIR: this.dataDir,
      TWENTY_SYNC_UI_PORT: String(port),
      TWENTY_SYNC_STABILITY_DELAY_MS: "300",
      TWENTY_SYNC_SECRET_STORE: "file",
      RUST_LOG: "info",
    }, { ui: /^UI: (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)$/m }, "twenty-sync run");
    this.agent = child;
    this.uiUrl = found.ui;
    this.uiPort = Number(new URL(found.ui).port);
    child.removeAllListeners("exit");
  }

  /** Stops the agent and waits until it is gone; `SIGKILL` kills it mid-work (a crash). */
  async stopAgent(signal = "SIGTERM") {
    const child = this.agent;
    if (!child || child.exitCode !== null) return;
    const gone = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await gone;
    clearTimeout(timer);
  }

  async openBrowser() {
    mkdirSync(artifacts, { recursive: true });
    this.browser = await chromium.launchPersistentContext(join(this.work, "chromium"), {
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      args: [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ],
      viewport: WIDE,
      timeout: STEP_MS,
    });
    const page = this.browser.pages()[0] || (await this.browser.newPage());
    page.setDefaultTimeout(STEP_MS);
    page.external = [];
    page.errors = [];
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (url.hostname !== "127.0.0.1" && url.protocol !== "data:") page.external.push(request.url());
    });
    page.on("pageerror", (error) => {
      page.errors.push(error.message);
      console.error("page error:", error.message);
    });
    // Every dialog would block a person: there must be none.
    page.on("dialog", (dialog) => {
      page.errors.push(`dialog: ${dialog.message()}`);
      dialog.dismiss().catch(() => {});
    });
    this.page = page;
    return page;
  }

  /** A full-page screenshot, numbered in the order taken. */
  async shot(name) {
    await this.page.evaluate(() => window.scrollTo(0, 0));
    await this.page.waitForTimeout(300); // let the last paint land
    this.shots += 1;
    const file = `${this.name}-${String(this.shots).padStart(2, "0")}-${name}.png`;
    await this.page.screenshot({ path: join(artifacts, file), fullPage: true });
  }

  /** Goes to a screen by clicking its tab. */
  async screen(name) {
    await this.page.click(`.tabs a[data-screen="${name}"]`);
    await this.page.waitForSelector(`#screen-${name}:not([hidden])`);
  }

  /** The fake's REST API, as a person's script would call it. */
  async twenty(path, init = {}) {
    const response = await fetch(this.fake.url + path, {
      ...init,
      headers: { Authorization: `Bearer ${this.fake.key}`, "Content-Type": "application/json", ...(init.headers || {}) },
    });
    assert.ok(response.ok, `fake ${path}: ${response.status}`);
    return response.status === 204 ? null : response.json().catch(() => null);
  }

  async control(path, body) {
    const response = await fetch(this.fake.control + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    assert.ok(response.ok, `fake control ${path}: ${response.status}`);
    return response.json();
  }

  /** The fake's whole state (`GET /__fake/state`): every record, trashed ones too. */
  async fakeState() {
    const response = await fetch(this.fake.control + "/__fake/state");
    assert.ok(response.ok, `fake state: ${response.status}`);
    return response.json();
  }

  async close() {
    if (this.browser) await this.browser.close().catch(() => {});
    for (const child of this.children) if (child.exitCode === null) child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    for (const child of this.children) if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(this.work, { recursive: true, force: true });
  }
}

/** Chooses a file in Imports (its columns → fields table opens) and imports it as shown. */
export async function importFile(page, file) {
  await page.setInputFiles("#file-input", file);
  await page.waitForSelector("#mapping-panel:not([hidden])");
  await page.click("#mapping-import");
}

/** The text of an element, trimmed. */
export const text = async (page, selector) => ((await page.textContent(selector)) || "").trim();

/** Waits until `selector`'s text matches `pattern`. */
export async function waitForText(page, selector, pattern, timeout = STEP_MS) {
  await page.waitForFunction(
    ([sel, source, flags]) => {
      const node = document.querySelector(sel);
      return !!node && new RegExp(source, flags).test(node.textContent);
    },
    [selector, pattern.source, pattern.flags],
    { timeout },
  );
}

/** The rendered words of `selector` split over two lines (like "duplica te"); a piece of a word
 *  up to a hyphen counts as a word (a break after "globex-" is where CSS may wrap). */
export function brokenWords(page, selector) {
  return page.evaluate((sel) => {
    const broken = [];
    for (const root of document.querySelectorAll(sel)) {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const re = /[^\s-]+-?/g;
        for (let m = re.exec(node.textContent); m; m = re.exec(node.textContent)) {
          const range = document.createRange();
          range.setStart(node, m.index);
          range.setEnd(node, m.index + m[0].length);
          const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
          if (lines.size > 1) broken.push(m[0]);
        }
      }
    }
    return broken;
  }, selector);
}
