// The citizen pages against a running devstack (tests/browser/run.sh starts one).
// Debian's Chromium, never a downloaded browser; no request leaves 127.0.0.1.
const { defineConfig } = require("@playwright/test");

module.exports = defineConfig({
  testDir: "./specs",
  outputDir: "../../target/browser/results",
  // One devstack, one moto: the specs share them, one worker keeps the order plain.
  workers: 1,
  timeout: 60_000,
  reporter: [["list"], ["json", { outputFile: "../../target/browser/results.json" }]],
  use: {
    baseURL: process.env.SIGAP_URL || "http://127.0.0.1:3000",
    viewport: { width: 360, height: 740 },
    locale: "id-ID",
    timezoneId: "Asia/Jakarta",
    launchOptions: {
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      args: ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
    },
  },
});
