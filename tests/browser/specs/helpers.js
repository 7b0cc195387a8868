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

/** A JPEG of `width` × `height` pixels of noise (large, like a phone's photo), drawn
 * by Chromium itself in a page of its own. */
async function photo(browser, width, height) {
  const context = await browser.newContext({ javaScriptEnabled: true });
  const page = await context.newPage();
  const base64 = await page.evaluate(([w, h]) => {
    const canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(w, h);
    for (let i = 0; i < image.data.length; i += 4) {
      const v = (i * 2654435761) >>> 24;
      image.data[i] = v; image.data[i + 1] = (v * 7) & 255; image.data[i + 2] = (v * 13) & 255; image.data[i + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
    return canvas.toDataURL("image/jpeg", 0.95).split(",")[1];
  }, [width, height]);
  await context.close();
  return { name: "foto-jalan.jpg", mimeType: "image/jpeg", buffer: Buffer.from(base64, "base64") };
}

/** An agency officer's proof photo through the staff API's slot, sent to the bucket
 * as a browser's form would (the fields, then the file). */
async function proofPhoto(request, role, id, file) {
  const slot = await (await request.post(`/staff/reports/${id}/photos`, {
    headers: { Authorization: `Bearer ${process.env[`${role}_TOKEN`]}` },
  })).json();
  const multipart = { ...slot.upload.fields, "Content-Type": file.mimeType, file };
  const sent = await request.post(slot.upload.url, { multipart, maxRedirects: 0 });
  expect(sent.status(), "the proof photo's upload").toBeLessThan(300);
  return slot.photo_id;
}

/** Waits until `media` has processed photo `photoId` of report `id` (as `role` sees it). */
async function untilPhotoReady(request, role, id, photoId) {
  await expect.poll(async () => {
    const view = await (await request.get(`/staff/reports/${id}`, {
      headers: { Authorization: `Bearer ${process.env[`${role}_TOKEN`]}` },
    })).json();
    return (view.photos || []).find((p) => p.id === photoId)?.state;
  }, { timeout: 30_000 }).toBe("ready");
}

/** Registers, for every test of a spec: map tiles stubbed, and nothing refused by the
 * page's Content-Security-Policy. */
function guardEveryPage(test) {
  let refusals = [];
  test.beforeEach(async ({ page, context }) => {
    await stubTiles(context);
    refusals = policyRefusals(page);
  });
  test.afterEach(async () => {
    expect(refusals, "the Content-Security-Policy refused something").toEqual([]);
  });
}

module.exports = {
  guardEveryPage, expectAccessible, screenshot, remember, staff, untilTriaged, stubTiles, policyRefusals, photo, proofPhoto, untilPhotoReady,
};
