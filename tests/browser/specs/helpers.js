// What the specs share: the axe scan, screenshots, staff steps through the JSON API.
const fs = require("fs");
const path = require("path");
const { expect } = require("@playwright/test");
const AxeBuilder = require("@axe-core/playwright").default;

const target = path.join(__dirname, "..", "..", "..", "target", "browser");

/** Fails on any axe violation on the page as it is now. */
async function expectAccessible(page, what) {
  const results = await new AxeBuilder({ page }).analyze();
  const found = results.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target).join(", ")}`);
  expect(found, `axe on ${what}`).toEqual([]);
}

/** A full-page screenshot under target/browser/screenshots, for a person to look at. */
async function screenshot(page, name) {
  const file = path.join(target, "screenshots", `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  expect(fs.statSync(file).size).toBeGreaterThan(1000);
}

/** Every token a spec saw, so run.sh can prove none reached a log line. */
function remember(token) {
  fs.appendFileSync(path.join(target, "tokens.txt"), `${token}\n`);
}

/** A staff call through the JSON API with a devstack token (`ADMIN_TOKEN`, …). */
async function staff(request, role, method, url, data) {
  const response = await request.fetch(url, {
    method,
    headers: { Authorization: `Bearer ${process.env[`${role}_TOKEN`]}` },
    data,
  });
  expect(response.status(), `${method} ${url} as ${role}`).toBe(200);
  return response.json();
}

/** Waits until triage has moved the report on to verification (the admin's view,
 * which a confidential report has too). */
async function untilTriaged(request, id) {
  const headers = { Authorization: `Bearer ${process.env.ADMIN_TOKEN}` };
  await expect
    .poll(async () => (await (await request.get(`/staff/reports/${id}`, { headers })).json()).status,
      { timeout: 20_000 })
    .toBe("pending_verification");
}

// A 1×1 grey PNG: every map tile in the tests (no tile server is ever reached).
const TILE = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==",
  "base64",
);

/** Answers the map's tile requests with a blank tile. */
async function stubTiles(context) {
  await context.route("https://tile.openstreetmap.org/**", (route) =>
    route.fulfill({ contentType: "image/png", body: TILE }));
}

/** Collects what the page's Content-Security-Policy refused (it must be nothing). */
function policyRefusals(page) {
  const refused = [];
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/.test(message.text())) {
      refused.push(message.text());
    }
  });
  return refused;
}

module.exports = { expectAccessible, screenshot, remember, staff, untilTriaged, stubTiles, policyRefusals };
