// The Records screen's failed records in a real browser, against the real agent (set never to
// adopt by e-mail) and the fake Twenty holding people without an externalId whose e-mails our
// people collide with: a
// duplicate shows the field, the value and the Twenty record it collides with (name, id, a link
// into Twenty); Link adopts that record (the row says pending, then the fake's record carries
// our externalId); Dismiss asks in the page, the record leaves the list and Activity says so;
// a Retry that Twenty refuses again says so; a refused action says why in its row; with the
// agent stopped every action is off; 420 px stacks the rows with whole words and whole buttons.
// Screenshots wide and 420 px in tests/e2e/artifacts/.
//
//   TWENTY_SYNC_BIN=… FAKE_TWENTY_BIN=… node --test records.test.mjs   (scripts/test-e2e.sh)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { World, STEP_MS, WIDE, NARROW, CSV_HEADER, text, waitForText, brokenWords } from "./harness.mjs";

const world = new World("records");
let page;
/** The people in the fake Twenty our people collide with: e-mail → Twenty id. */
const holders = {};

before(async () => {
  await world.startFake();
  await world.control("/__fake/config", { external_id_fields: true });
  await world.startAgent();
  page = await world.openBrowser();
});

after(() => world.close());

const row = (externalId) => `#failed-table tr[data-key="person/${externalId}"]`;
const api = (call, ...args) => page.evaluate(([name, rest]) => window.TwentySync.api[name](...rest), [call, args]);

/** A person in the fake Twenty, made there by hand: no externalId. */
async function holder(firstName, lastName, email) {
  const created = await world.twenty("/rest/people", {
    method: "POST",
    body: JSON.stringify({ name: { firstName, lastName }, emails: { primaryEmail: email } }),
  });
  holders[email] = created.data.createPerson.id;
}

/** The fake's person `id`, wherever it is. */
async function personInTwenty(id) {
  const state = await world.fakeState();
  return state.objects.people.records.find((record) => record.id === id);
}

/** Every button of the failed records is inside the window and inside the table's box. */
async function buttonsWhole() {
  const boxes = await page.evaluate(() => {
    const wrap = document.querySelector("#failed-panel .table-wrap").getBoundingClientRect();
    return [...document.querySelectorAll("#failed-table button")].map((button) => {
      const box = button.getBoundingClientRect();
      return { label: button.textContent, left: box.left, right: box.right, wrapLeft: wrap.left, wrapRight: wrap.right, width: window.innerWidth };
    });
  });
  assert.ok(boxes.length > 0);
  for (const box of boxes) {
    assert.ok(box.left >= box.wrapLeft && box.right <= box.wrapRight && box.right <= box.width, `${box.label} is whole: ${JSON.stringify(box)}`);
  }
}

test("failed records say what they collide with, and a person can act on them", async (t) => {
  await t.test("three people collide with people made by hand in Twenty", async () => {
    await page.goto(world.uiUrl);
    await waitForText(page, "#hero-title", /Not set up yet/);
    // Never adopt by e-mail (match_existing external_id): each collision is parked for the
    // person to settle, which is what this story is about.
    await api("saveSettings", { base_url: world.fake.url, api_key: world.fake.key, match_existing: "external_id" });
    await holder("Someone", "Else", "taken@example.com");
    await holder("Other", "Person", "other@example.com");
    await holder("Third", "Holder", "third@example.com");
    const inbox = join(world.dataDir, "inbox");
    mkdirSync(inbox, { recursive: true });
    const csv = [
      CSV_HEADER,
      "person,p-bo,Bo Diddley,taken@example.com,,",
      "person,p-cy,Cy Twombly,other@example.com,,",
      "person,p-dy,Dy Moss,third@example.com,,",
    ].join("\n") + "\n";
    writeFileSync(join(inbox, "people.csv.tmp"), csv);
    renameSync(join(inbox, "people.csv.tmp"), join(inbox, "people.csv"));
    await world.screen("records");
    for (const id of ["p-bo", "p-cy", "p-dy"]) {
      await page.waitForSelector(`${row(id)}[data-state="failed"]`, { timeout: 60_000 });
    }
  });

  await t.test("a duplicate shows the field, the value and the Twenty record, with a link", async () => {
    const bo = row("p-bo");
    const said = await text(page, `${bo} .said-cell`);
    assert.match(said, /Duplicate/);
    assert.match(said, /emails\.primaryEmail/);
    assert.match(said, /taken@example\.com/);
    assert.match(said, /Someone Else/);
    assert.ok(said.includes(holders["taken@example.com"]), `the Twenty id is shown: ${said}`);
    assert.equal(
      await page.getAttribute(`${bo} a.conflict-link`, "href"),
      `${world.fake.url}/object/person/${holders["taken@example.com"]}`,
    );
    assert.equal(await page.getAttribute(`${bo} a.conflict-link`, "target"), "_blank");
    for (const action of ["retry", "dismiss", "link"]) {
      assert.ok(await page.isEnabled(`${bo} button[data-action="${action}"]`), `${action} is offered`);
    }
    assert.equal(await text(page, `${bo} button[data-action="link"]`), "Link to this record");
    await world.shot("failed-duplicates");
  });

  await t.test("420 px: the rows stack, words whole, every button visible", async () => {
    await page.setViewportSize(NARROW);
    await page.waitForTimeout(300);
    await buttonsWhole();
    assert.deepEqual(await brokenWords(page, "#failed-panel"), [], "no word is broken over two lines");
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= NARROW.width, "no sideways scrolling");
    await world.shot("failed-duplicates-narrow");
    await page.setViewportSize(WIDE);
  });

  await t.test("the agent stops: every action is off; it comes back: they are on", async () => {
    const port = world.uiPort;
    await world.stopAgent();
    await page.waitForSelector("#lost-banner:not([hidden])", { timeout: STEP_MS });
    assert.ok(await page.isVisible("#screen-records .stale-note"));
    const enabled = await page.$$eval("#failed-panel button", (buttons) => buttons.filter((b) => !b.disabled).map((b) => b.textContent));
    assert.deepEqual(enabled, [], "no action while the agent does not answer");
    await world.shot("failed-agent-stopped");
    await world.startAgent(port);
    await page.waitForSelector("#lost-banner", { state: "hidden", timeout: STEP_MS });
    await page.waitForFunction(() => !document.querySelector('#failed-table button[data-action="link"]').disabled);
    assert.ok(await page.isEnabled("#retry-all"));
  });

  await t.test("Link: the row says pending, then the Twenty record carries our externalId", async () => {
    await api("setPaused", true); // so the pending state can be seen before it is sent
    const bo = row("p-bo");
    await page.click(`${bo} button[data-action="link"]`);
    await page.waitForSelector(`${bo}[data-state="pending"]`);
    assert.match(await text(page, `${bo} .row-note`), /^Linked to “Someone Else” in Twenty: the next sync gives that record your id p-bo/);
    assert.equal(await text(page, `${bo} .tag`), "Waiting");
    assert.equal(await page.$$(`${bo} button`).then((buttons) => buttons.length), 0, "nothing left to do on it");
    assert.equal((await api("failures")).total, 2);
    await world.shot("linked-pending");

    await api("setPaused", false);
    await page.waitForSelector(`${bo}[data-state="synced"]`, { timeout: 60_000 });
    assert.equal(await text(page, `${bo} .tag`), "In sync");
    assert.match(await text(page, `${bo} .row-note`), /that record has your id p-bo and your data now\.$/);
    assert.equal(await page.getAttribute(`${bo} .said-cell a`, "href"), `${world.fake.url}/object/person/${holders["taken@example.com"]}`);
    const adopted = await personInTwenty(holders["taken@example.com"]);
    assert.equal(adopted.externalId, "p-bo", "the record made by hand is ours now");
    assert.deepEqual(adopted.name, { firstName: "Bo", lastName: "Diddley" });
    const people = (await world.fakeState()).objects.people.records;
    assert.equal(people.filter((p) => p.emails.primaryEmail === "taken@example.com").length, 1, "no second record");
  });

  await t.test("Dismiss asks in the page once; the record leaves the list", async () => {
    const cy = row("p-cy");
    await page.click(`${cy} button[data-action="dismiss"]`);
    await page.waitForSelector(`${cy} .confirm`);
    assert.match(await text(page, `${cy} .confirm`), /Dismiss this failure\?/);
    assert.equal(await page.evaluate(() => document.activeElement.dataset.action), "confirm-dismiss", "the confirmation has the focus");
    await world.shot("dismiss-confirm");
    await page.setViewportSize(NARROW);
    await page.waitForTimeout(300);
    await buttonsWhole();
    assert.deepEqual(await brokenWords(page, "#failed-panel"), []);
    await world.shot("dismiss-confirm-narrow");
    await page.setViewportSize(WIDE);

    await page.click(`${cy} button[data-action="keep"]`);
    await page.waitForSelector(`${cy} button[data-action="dismiss"]`);
    assert.equal((await api("failures")).total, 2, "Keep it dismisses nothing");

    await page.click(`${cy} button[data-action="dismiss"]`);
    await page.click(`${cy} button[data-action="confirm-dismiss"]`);
    await page.waitForSelector(`${cy}[data-state="dismissed"]`);
    assert.match(await text(page, `${cy} .row-note`), /^Dismissed: it is not sent again until its data changes\.$/);
    const { total, rows } = await api("failures");
    assert.equal(total, 1);
    assert.deepEqual(rows.map((r) => r.external_id), ["p-dy"]);
    assert.deepEqual(
      await page.$$eval('#failed-table tr[data-state="failed"]', (trs) => trs.map((tr) => tr.dataset.key)),
      ["person/p-dy"],
      "only p-dy is still failed",
    );
    await waitForText(page, '#records-table tr[data-key="person/p-cy"]', /Dismissed/);
  });

  await t.test("Retry: queued again; refused again, the row says so", async () => {
    const dy = row("p-dy");
    await page.click(`${dy} button[data-action="retry"]`);
    await waitForText(page, `${dy} .row-note`, /^Retried, and Twenty refused it again for the reason above\.$/, 60_000);
    assert.equal(await page.getAttribute(dy, "data-state"), "failed");
    assert.match(await text(page, `${dy} .said-cell`), /third@example\.com/);
    assert.ok(await page.isEnabled(`${dy} button[data-action="link"]`), "it can still be linked");
  });

  await t.test("a refused action says why in its row, in one sentence", async () => {
    // Someone else dismisses p-dy just before this page's request reaches the agent.
    await page.route("**/api/rpc", async (route) => {
      const body = JSON.parse(route.request().postData() || "{}");
      if (body.op !== "dismiss_failure") return route.continue();
      await route.fetch();
      return route.fulfill({ response: await route.fetch() });
    });
    const dy = row("p-dy");
    await page.click(`${dy} button[data-action="dismiss"]`);
    await page.click(`${dy} button[data-action="confirm-dismiss"]`);
    await waitForText(page, `${dy} .row-note.error-text`, /not parked/);
    const said = await text(page, `${dy} .row-note`);
    assert.match(said, /^Person p-dy is not parked as failed \(it may have been retried, dismissed or linked already\)\.$/);
    await page.unroute("**/api/rpc");
    await page.waitForSelector(`${dy}[data-state="dismissed"]`);
    assert.ok(await page.isHidden("#retry-all"), "nothing left to retry");
    assert.ok(await page.isVisible("#failed-done"));
    await world.shot("refused-in-row");
    await page.setViewportSize(NARROW);
    await page.waitForTimeout(300);
    assert.deepEqual(await brokenWords(page, "#failed-panel"), []);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= NARROW.width);
    await world.shot("acted-narrow");
    await page.setViewportSize(WIDE);
  });

  await t.test("Activity shows the link and the dismissal", async () => {
    await world.screen("activity");
    await waitForText(page, "#activity-table tbody", /failure of person p-cy dismissed by ui/);
    await waitForText(page, "#activity-table tbody", /person p-bo linked by ui to Twenty record/);
    await world.shot("activity-dismissed");
    // Back on Records, the outcomes are gone and nothing is failed: the panel is away.
    await world.screen("records");
    await page.waitForSelector("#failed-panel", { state: "hidden" });
  });

  await t.test("no external request, no dialog, no script error", async () => {
    assert.deepEqual(page.external, []);
    assert.deepEqual(page.errors, []);
  });
});
