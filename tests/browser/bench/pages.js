// make bench's page figures: per citizen page, the bytes a phone transfers (HTML, CSS,
// JS, compressed as the edge sends them) on a first visit and a repeat visit, and
// Lighthouse's mobile performance and accessibility scores. Prints a table and writes
// target/bench/pages.json. Run by tests/browser/bench.sh against its own devstack.
//
// Compressed means gzip at level 6 of each body (what CloudFront's Compress does; it
// also offers Brotli, a little smaller). Map tiles come from the tile server, not from
// Sigap, and are counted apart. The repeat visit counts only what reached the network
// (the content-hashed assets are immutable and come from the browser's cache).
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");
const { execFileSync } = require("child_process");
const { chromium } = require("@playwright/test");

const base = process.env.SIGAP_URL;
const out = path.join(__dirname, "..", "..", "..", "target", "bench");
const resolver = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1";
// The target, for pages without the map.
const LIMIT_KB = 50;

async function api(method, url, token, body) {
  const headers = { "content-type": "application/json" };
  if (token) { headers.authorization = `Bearer ${token}`; }
  const response = await fetch(`${base}${url}`, { method, headers, body: body && JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

/** A verified report with a follow-up, so its page shows what a citizen sees. */
async function sampleReport() {
  const made = await api("POST", "/reports", null, {
    title: "Jalan berlubang di depan SMA 1",
    description: "Lubang besar di depan sekolah, bahaya untuk motor, sudah dua minggu.",
    category: "jalan-rusak",
    location: { lat: -6.8915, lon: 107.6107, kecamatan: "Coblong" },
  });
  const id = made.json.tracking_id;
  for (let i = 0; i < 100; i++) {
    const seen = await api("GET", `/staff/reports/${id}`, process.env.ADMIN_TOKEN);
    if (seen.json.status === "pending_verification") { break; }
    await new Promise((r) => setTimeout(r, 200));
  }
  await api("POST", `/staff/reports/${id}/dispatch`, process.env.ADMIN_TOKEN, { agencies: ["dsdabm"] });
  await api("POST", `/staff/reports/${id}/follow-up`, process.env.DSDABM_TOKEN, { text: "Lubang sudah ditambal." });
  // The record's roll-up, so the agency pages have figures.
  await fetch(`${base}/_devstack/clock`, { method: "POST", body: JSON.stringify({ advance_seconds: 0 }) });
  return id;
}

/** One visit: what reached the network, by kind, compressed. */
async function visit(page, cdp, url) {
  const seen = new Map();
  // Chromium says a request was served from its cache before it reports the response.
  const onResponse = (e) => seen.set(e.requestId, {
    url: e.response.url, type: e.type,
    cached: Boolean(seen.get(e.requestId)?.cached || e.response.fromDiskCache || e.response.fromPrefetchCache),
  });
  const onCache = (e) => { const r = seen.get(e.requestId); if (r) { r.cached = true; } else { seen.set(e.requestId, { cached: true }); } };
  const finished = [];
  const onFinished = (e) => finished.push(e.requestId);
  cdp.on("Network.responseReceived", onResponse);
  cdp.on("Network.requestServedFromCache", onCache);
  cdp.on("Network.loadingFinished", onFinished);
  await page.goto(url, { waitUntil: "networkidle" });
  cdp.off("Network.responseReceived", onResponse);
  cdp.off("Network.requestServedFromCache", onCache);
  cdp.off("Network.loadingFinished", onFinished);
  const bytes = { html: 0, css: 0, js: 0, other: 0, tiles: 0, requests: 0 };
  for (const id of finished) {
    const r = seen.get(id);
    if (!r || r.cached || !r.url) { continue; }
    if (!r.url.startsWith(base)) { bytes.tiles += 1; continue; }
    const body = await cdp.send("Network.getResponseBody", { requestId: id }).catch(() => null);
    if (!body) { continue; }
    const raw = Buffer.from(body.body, body.base64Encoded ? "base64" : "utf8");
    const size = zlib.gzipSync(raw, { level: 6 }).length;
    const kind = { Document: "html", Stylesheet: "css", Script: "js" }[r.type] || "other";
    bytes[kind] += size;
    bytes.requests += 1;
  }
  bytes.total = bytes.html + bytes.css + bytes.js + bytes.other;
  return bytes;
}

function lighthouse(url, name) {
  const file = path.join(out, `lighthouse-${name}.json`);
  execFileSync("npx", ["lighthouse", url, "--quiet", "--output=json", `--output-path=${file}`,
    "--only-categories=performance,accessibility",
    `--chrome-flags=--headless=new --no-sandbox ${resolver}`], {
    cwd: __dirname, env: { ...process.env, CHROME_PATH: process.env.CHROMIUM || "/usr/bin/chromium" }, stdio: "ignore",
  });
  const report = JSON.parse(fs.readFileSync(file, "utf8"));
  const score = (c) => Math.round(report.categories[c].score * 100);
  return { performance: score("performance"), accessibility: score("accessibility") };
}

(async () => {
  fs.mkdirSync(out, { recursive: true });
  const id = await sampleReport();
  const pages = [
    ["home", "/", false], ["report form", "/lapor", true], ["track form", "/lacak", false],
    ["report page", `/laporan/${id}`, false], ["nearby (map)", "/sekitar", true],
    ["agency record", "/instansi", false], ["one agency", "/instansi/dsdabm", false],
  ];
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: [resolver] });
  const rows = [];
  for (const [name, url, map] of pages) {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    const first = await visit(page, cdp, `${base}${url}`);
    const repeat = await visit(page, cdp, `${base}${url}`);
    await context.close();
    const scores = lighthouse(`${base}${url}`, name.replace(/\W+/g, "-"));
    rows.push({ name, url: url.replace(id, "{id}"), map, first, repeat, ...scores });
  }
  await browser.close();
  const kb = (b) => (b / 1024).toFixed(1);
  const line = (cells) => console.log(cells.map((c, i) => String(c).padEnd([16, 7, 6, 6, 7, 8, 9, 6, 6][i] || 8)).join(" "));
  console.log("\nCitizen pages at 360 × 740 (KB gzip; first visit, then a repeat visit; Lighthouse mobile)");
  line(["page", "HTML", "CSS", "JS", "first", "repeat", "<50 KB", "perf", "a11y"]);
  for (const r of rows) {
    const target = r.map ? "(map)" : r.first.total < LIMIT_KB * 1024 ? "yes" : "NO";
    line([r.name, kb(r.first.html), kb(r.first.css), kb(r.first.js), kb(r.first.total), kb(r.repeat.total),
      target, r.performance, r.accessibility]);
  }
  console.log("Map tiles are the tile server's (not counted; the bench answers none). Performance is");
  console.log("sensitive to load on this machine: a figure, never a test.");
  fs.writeFileSync(path.join(out, "pages.json"), JSON.stringify(rows, null, 2));
  const failed = rows.filter((r) => r.accessibility < 100 || (!r.map && r.first.total >= LIMIT_KB * 1024));
  if (failed.length) {
    console.log(`pages: ${failed.map((r) => r.name).join(", ")} miss the size or accessibility target`);
    process.exitCode = 1;
  }
})().catch((e) => { console.error(e); process.exit(1); });
