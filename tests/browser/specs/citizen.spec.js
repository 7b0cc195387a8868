// A citizen on a phone: reports, tracks, answers back, with JavaScript off and on.
const { test, expect } = require("@playwright/test");
const {
  guardEveryPage, expectAccessible, screenshot, remember, staff, untilTriaged, stubTiles, photo, proofPhoto, untilPhotoReady,
} = require("./helpers");

// Every page in every spec: tiles stubbed, and nothing refused by the page's policy.
guardEveryPage(test);

/** Fills the report form the way a person does, by its labels. */
async function fillPothole(page, title) {
  await page.getByLabel("Jenis masalah").selectOption("jalan-rusak");
  await page.getByLabel("Judul singkat").fill(title);
  await page.getByLabel("Ceritakan masalahnya").fill("Lubang besar di depan sekolah, bahaya untuk motor.");
  await page.getByLabel("Alamat atau patokan").fill("Jl. Ir. H. Juanda depan SMA 1");
  await page.getByLabel("Kecamatan", { exact: true }).selectOption({ label: "Coblong" });
  await page.getByLabel("Seberapa besar kerusakannya?").selectOption({ label: "Sedang (30 cm sampai 1 m)" });
}

/** The tracking id and reporter code from the receipt. */
async function receipt(page) {
  await expect(page.getByRole("heading", { name: "Laporan diterima" })).toBeVisible();
  const id = (await page.locator(".tracking-id").textContent()).trim();
  const token = (await page.locator("code.token").textContent()).trim();
  expect(id).toMatch(/^BDG-[A-Z0-9]{6,}$/);
  remember(token);
  return { id, token };
}

// axe runs in the page's JavaScript, so the scans are in the specs with it on: the
// markup is the same either way (the script only shows, hides and fills).
test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the agency record is a chart and a table without JavaScript", async ({ page }) => {
    await page.goto("/instansi");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Rapor instansi");
    await expect(page.getByRole("row", { name: /Dinas Lingkungan Hidup/ })).toBeVisible();
    await page.getByRole("link", { name: "Dinas Lingkungan Hidup" }).click();
    await expect(page.locator("svg.chart")).toBeVisible();
    await expect(page.getByRole("columnheader", { name: "Tepat waktu", exact: true })).toBeVisible();
    await expect(page.getByRole("row")).toHaveCount(7);
    expect((await page.goto("/instansi/tidak-ada")).status()).toBe(404);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  });

  test("a report goes through by plain form posts with a photo, a refused field keeps what was typed", async ({ page, browser }) => {
    await page.goto("/");
    await expect(page.locator(".emergency")).toContainText("112");
    await screenshot(page, "home-phone");
    await page.getByRole("link", { name: "Laporkan masalah" }).first().click();
    await expect(page).toHaveURL(/\/lapor$/);
    await screenshot(page, "report-form-phone");

    // Sent without a title: the form comes back with the problem next to the field.
    await fillPothole(page, "");
    await page.getByRole("button", { name: "Kirim laporan" }).click();
    await expect(page.locator("#galat-title")).toBeVisible();
    await expect(page.getByLabel("Ceritakan masalahnya")).toHaveValue(/Lubang besar/);
    await expect(page.getByLabel("Judul singkat")).toHaveAttribute("aria-invalid", "true");
    await screenshot(page, "report-form-errors-phone");

    await page.getByLabel("Judul singkat").fill("Jalan berlubang tanpa JavaScript");
    const key = await page.locator("input[name=kunci]").inputValue();
    await page.getByRole("button", { name: "Kirim laporan" }).click();
    const { id } = await receipt(page);
    await expect(page.locator(".status")).toContainText(/Laporan diterima|Menunggu verifikasi admin/);
    await screenshot(page, "receipt-phone");

    // A photo by a plain file input: the form goes straight to the bucket, which
    // sends the phone back to the report's page.
    await page.getByRole("button", { name: "Tambah foto" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Tambah foto");
    await screenshot(page, "photo-upload-phone");
    await page.getByLabel("Pilih atau ambil foto").setInputFiles(await photo(browser, 640, 480));
    await page.getByRole("button", { name: "Unggah foto" }).click();
    await expect(page).toHaveURL(new RegExp(`/laporan/${id}\\?terkirim=foto`));
    await expect(page.locator(".notice")).toContainText("Foto terkirim");
    await expect(async () => {
      await page.reload();
      await expect(page.locator(".reporter .photos")).toContainText("Foto diterima", { timeout: 1000 });
    }).toPass({ timeout: 30_000 });

    // The same form sent again (a double tap, a retry after a dropped connection)
    // lands on the same receipt: one report per form key.
    const again = await page.request.post("/lapor", {
      form: {
        kunci: key, category: "jalan-rusak", "q.jalan-rusak.UKURAN": "sedang",
        title: "Jalan berlubang tanpa JavaScript",
        description: "Lubang besar di depan sekolah, bahaya untuk motor.",
        address: "Jl. Ir. H. Juanda depan SMA 1", kecamatan: "32.73.02",
      },
      maxRedirects: 0,
    });
    expect(again.status()).toBe(303);
    expect(again.headers()["location"]).toBe(`/laporan/${id}?diterima=1`);
  });
});

test.describe("with JavaScript", () => {
  test.use({ geolocation: { latitude: -6.8915, longitude: 107.6107 }, permissions: ["geolocation"] });

  test("home, form and a refused form pass axe", async ({ page }) => {
    await page.goto("/");
    await expectAccessible(page, "home");
    await page.goto("/lapor");
    await expectAccessible(page, "report form");
    await page.getByRole("button", { name: "Kirim laporan" }).click();
    await expect(page.locator("#ringkasan-galat")).toBeFocused();
    await expectAccessible(page, "report form with errors");
  });

  test("an emergency description shows the 112 advice at once", async ({ page }) => {
    await page.goto("/lapor");
    const advice = page.locator("#saran-darurat");
    await expect(advice).toBeHidden();
    await page.getByLabel("Ceritakan masalahnya").fill("Ada kebakaran di gang sebelah");
    await expect(advice).toBeVisible();
    await expect(advice).toContainText("112");
    await screenshot(page, "report-form-emergency-phone");
    await expectAccessible(page, "report form with the emergency advice");
  });

  test("the reporter answers a tunda question, sees the follow-up, rates it; another report is disputed", async ({ page, request, browser }) => {
    await page.goto("/lapor");
    await fillPothole(page, "Jalan berlubang di Dago");
    await page.getByRole("button", { name: "Pakai lokasi saya" }).click();
    await expect(page.locator("#status-lokasi")).toContainText("Lokasi ponsel terpasang");
    await expect(page.locator("#lat")).toHaveValue("-6.891500");
    await page.getByRole("button", { name: "Kirim laporan" }).click();
    const { id, token } = await receipt(page);
    await expectAccessible(page, "receipt");

    await untilTriaged(request, id);
    await staff(request, "ADMIN", "POST", `/staff/reports/${id}/request-info`, { question: "Di RT/RW berapa?" });
    await page.goto(`/laporan/${id}`);
    await expect(page.locator(".status")).toContainText("Ditunda");
    await screenshot(page, "track-needs-info-phone");
    await expectAccessible(page, "report page, needs info");
    await page.getByLabel(/Admin meminta informasi tambahan/).fill("RT 05 RW 03");
    await page.getByRole("button", { name: "Kirim", exact: true }).click();
    await expect(page.locator(".notice")).toContainText("Pesan Anda terkirim");
    await expect(page.locator(".status")).toContainText("Menunggu verifikasi admin");

    await staff(request, "ADMIN", "POST", `/staff/reports/${id}/dispatch`, { agencies: ["dsdabm"] });
    await staff(request, "DSDABM", "POST", `/staff/reports/${id}/acknowledge`);
    // The agency's proof of the fix, processed by media before the follow-up is read.
    const proof = await proofPhoto(request, "DSDABM", id, await photo(browser, 800, 600));
    await untilPhotoReady(request, "DSDABM", id, proof);
    await staff(request, "DSDABM", "POST", `/staff/reports/${id}/follow-up`, { text: "Lubang sudah ditambal." });
    await page.reload();
    await expect(page.getByRole("heading", { name: "Tindak lanjut" })).toBeVisible();
    await expect(page.locator(".follow-up")).toContainText("Lubang sudah ditambal.");
    await expect(page.locator(".follow-up .photos img")).toBeVisible();
    // The agency's photo is with its follow-up, not among the reporter's own.
    await expect(page.locator(".reporter .photos")).toHaveCount(0);
    await expect(page.locator(".deadlines")).toContainText("hari kerja");
    await screenshot(page, "track-responded-phone");
    await expectAccessible(page, "report page, responded");
    await page.setViewportSize({ width: 1280, height: 900 });
    await expectAccessible(page, "report page, responded, at desktop size");
    await screenshot(page, "track-responded-desktop");
    await page.setViewportSize({ width: 360, height: 740 });
    await page.getByLabel("4", { exact: true }).check();
    await page.getByLabel("Komentar (tidak wajib)").fill("Cepat, terima kasih");
    await page.getByRole("button", { name: "Kirim penilaian" }).click();
    await expect(page.locator(".notice")).toContainText("penilaian Anda tersimpan");
    await expect(page.getByText("Penilaian pelapor: 4/5")).toBeVisible();

    // The same report from another phone: the public page, no reporter forms,
    // until the private link (its code in the fragment) is opened.
    const other = await browser.newContext({ viewport: { width: 360, height: 740 } });
    const stranger = await other.newPage();
    await stranger.goto(`/laporan/${id}`);
    await expect(stranger.locator(".follow-up")).toContainText("Lubang sudah ditambal.");
    await expect(stranger.getByRole("button", { name: "Kirim penilaian" })).toHaveCount(0);
    await screenshot(stranger, "track-public-phone");
    await expectAccessible(stranger, "report page, public");
    const linked = await other.newPage();
    await linked.goto(`/laporan/${id}#kode=${token}`);
    await expect(linked.getByRole("heading", { name: "Untuk Anda sebagai pelapor" })).toBeVisible();
    expect(linked.url()).not.toContain(token);
    await other.close();

    // A second report, disputed after its follow-up: it reopens.
    await page.goto("/lapor");
    await fillPothole(page, "Lubang kedua di Dago");
    await page.getByRole("button", { name: "Kirim laporan" }).click();
    const second = await receipt(page);
    await untilTriaged(request, second.id);
    await staff(request, "ADMIN", "POST", `/staff/reports/${second.id}/dispatch`, { agencies: ["dsdabm"] });
    await staff(request, "DSDABM", "POST", `/staff/reports/${second.id}/follow-up`, { text: "Sudah diperiksa." });
    await page.goto(`/laporan/${second.id}`);
    await page.getByLabel(/Belum beres/).fill("Lubangnya masih ada");
    await page.getByRole("button", { name: "Buka kembali laporan" }).click();
    await expect(page.locator(".notice")).toContainText("dibuka kembali");
    await expect(page.locator(".status")).toContainText("Sedang ditangani");

    // The agency record once the hourly roll-up has run (devstack's clock tool runs
    // every schedule): the rating and the reopening are counted for the agency.
    const fired = await request.post("/_devstack/clock", { data: { advance_seconds: 0 } });
    expect(fired.status()).toBe(200);
    await page.goto("/instansi");
    const row = page.getByRole("row", { name: /Dinas Sumber Daya Air dan Bina Marga/ });
    await expect(row).toContainText("4,0");
    await expect(page.getByRole("img", { name: "Tindak lanjut tepat waktu" })).toBeVisible();
    await screenshot(page, "agency-record-phone");
    await expectAccessible(page, "agency record");
    await row.getByRole("link").click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Dinas Sumber Daya Air dan Bina Marga");
    await expect(page.getByRole("img", { name: "Tindak lanjut tepat waktu per bulan" })).toBeVisible();
    await expect(page.getByRole("table")).toContainText("4,0");
    await screenshot(page, "agency-phone");
    await expectAccessible(page, "an agency's record");
  });

  test("a report sent without a connection waits on the phone and is filed once when back online", async ({ page, context, request }) => {
    await page.goto("/lapor");
    await fillPothole(page, "Lubang di Jalan Dipatiukur (luring)");
    await context.setOffline(true);
    await page.getByRole("button", { name: "Kirim laporan" }).click();
    await expect(page.locator("#draf")).toContainText("Tidak ada sinyal");
    await screenshot(page, "report-form-offline-phone");
    await context.setOffline(false);
    const { id } = await receipt(page);
    await untilTriaged(request, id);
    const queue = await staff(request, "ADMIN", "GET", "/staff/queue");
    const filed = queue.reports.filter((r) => r.title === "Lubang di Jalan Dipatiukur (luring)");
    expect(filed.map((r) => r.tracking_id)).toEqual([id]);
    // The draft is gone once filed: a new form is empty.
    await page.goto("/lapor");
    await expect(page.getByLabel("Judul singkat")).toHaveValue("");
  });

  test("a draft survives a lost page and keeps its key", async ({ page, request }) => {
    await page.goto("/lapor");
    await fillPothole(page, "Trotoar amblas di Jalan Riau (draf)");
    const key = await page.locator("input[name=kunci]").inputValue();
    await page.goto("/");
    await page.goto("/lapor");
    await expect(page.locator("#draf")).toContainText("dipulihkan");
    await expect(page.getByLabel("Judul singkat")).toHaveValue("Trotoar amblas di Jalan Riau (draf)");
    await expect(page.locator("input[name=kunci]")).toHaveValue(key);
    await page.getByRole("button", { name: "Kirim laporan" }).click();
    await receipt(page);
  });

  test("a pin on the map sets the report's point; the public map and list show verified reports, never confidential ones", async ({ page, request, browser }) => {
    await page.goto("/lapor");
    const map = page.locator("#peta-lapor");
    await expect(map).toBeVisible();
    await fillPothole(page, "Lubang di Jalan Ganesha (peta)");
    await map.click({ position: { x: 120, y: 80 } });
    await expect(page.locator("#status-lokasi")).toContainText("Titik ditandai di peta");
    const lat = parseFloat(await page.locator("#lat").inputValue());
    const lon = parseFloat(await page.locator("#lon").inputValue());
    expect(lat).toBeGreaterThan(-7.0);
    expect(lat).toBeLessThan(-6.8);
    expect(lon).toBeGreaterThan(107.5);
    expect(lon).toBeLessThan(107.7);
    await screenshot(page, "report-form-map-phone");
    await page.getByRole("button", { name: "Kirim laporan" }).click();
    const { id } = await receipt(page);
    // A phone-sized photo, shrunk on the phone before it is sent.
    await page.getByRole("button", { name: "Tambah foto" }).click();
    const taken = await photo(browser, 3000, 2000);
    await page.getByLabel("Pilih atau ambil foto").setInputFiles(taken);
    await expect(page.locator("#status-foto")).toContainText("Foto diperkecil");
    const sentBytes = await page.locator("#foto").evaluate((input) => input.files[0].size);
    expect(sentBytes).toBeLessThan(taken.buffer.length / 2);
    await screenshot(page, "photo-upload-shrunk-phone");
    await expectAccessible(page, "photo upload");
    await page.setViewportSize({ width: 1280, height: 900 });
    await expectAccessible(page, "photo upload at desktop size");
    await page.setViewportSize({ width: 360, height: 740 });
    await page.getByRole("button", { name: "Unggah foto" }).click();
    await expect(page.locator(".notice")).toContainText("Foto terkirim");
    await expect(async () => {
      await page.reload();
      await expect(page.locator(".reporter .photos img")).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 30_000 });
    await untilTriaged(request, id);
    await staff(request, "ADMIN", "POST", `/staff/reports/${id}/dispatch`, { agencies: ["dsdabm"] });
    const shown = await (await request.get(`/reports/${id}`)).json();
    expect(shown.location.lat).toBeCloseTo(lat, 5);
    // Verified: the photo is on the public page, at the display copy's size.
    expect(shown.photos.length).toBe(1);
    expect(Math.max(shown.photos[0].width, shown.photos[0].height)).toBeLessThanOrEqual(1600);

    // A confidential report, verified too: never on the map or in the list.
    await page.goto("/lapor");
    await fillPothole(page, "Pungli parkir di Jalan Ganesha (rahasia)");
    await page.getByLabel("Rahasia").check();
    await page.getByRole("button", { name: "Kirim laporan" }).click();
    const secret = await receipt(page);
    await untilTriaged(request, secret.id);
    await staff(request, "ADMIN", "POST", `/staff/reports/${secret.id}/dispatch`, { agencies: ["dsdabm"] });

    const other = await browser.newContext({ viewport: { width: 360, height: 740 } });
    await stubTiles(other);
    const citizen = await other.newPage();
    await citizen.goto("/sekitar?kategori=jalan-rusak&kecamatan=32.73.02");
    const list = citizen.locator("#daftar");
    await expect(list.getByRole("link", { name: "Lubang di Jalan Ganesha (peta)" })).toBeVisible();
    await expect(list).not.toContainText("rahasia");
    await expect(citizen.locator("#peta-sekitar .leaflet-interactive").first()).toBeVisible();
    await screenshot(citizen, "nearby-phone");
    await expectAccessible(citizen, "reports near you");
    await list.getByRole("link", { name: "Lubang di Jalan Ganesha (peta)" }).click();
    await expect(citizen).toHaveURL(new RegExp(`/laporan/${id}$`));
    // Filters narrow it: another kecamatan has none of these.
    await citizen.goto("/sekitar?kategori=jalan-rusak&kecamatan=32.73.27");
    await expect(citizen.locator("#daftar")).toHaveCount(0);
    await other.close();
  });

  test("a confidential report is never public, yet its reporter follows it", async ({ page, browser }) => {
    await page.goto("/lapor");
    await fillPothole(page, "Pungutan liar di kantor kelurahan");
    await page.getByLabel("Rahasia").check();
    await page.getByRole("button", { name: "Kirim laporan" }).click();
    const { id } = await receipt(page);
    const other = await browser.newContext();
    const stranger = await other.newPage();
    const answer = await stranger.goto(`/laporan/${id}`);
    expect(answer.status()).toBe(404);
    await expect(stranger.getByRole("heading", { name: "Tidak ditemukan" })).toBeVisible();
    await other.close();
    await page.goto(`/laporan/${id}`);
    await expect(page.getByText("Laporan rahasia")).toBeVisible();
  });

  test("the language switch remembers English", async ({ page }) => {
    await page.goto("/");
    await page.getByRole("link", { name: "English" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Tell the city about a problem");
    await page.getByRole("link", { name: "Report", exact: true }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Report a problem");
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
    await screenshot(page, "report-form-english-phone");
    await expectAccessible(page, "report form in English");
  });

  test("every page passes axe at desktop size too", async ({ page }) => {
    await page.setViewportSize({ width: 1280, height: 900 });
    for (const [path, name] of [["/", "home"], ["/lapor", "report-form"], ["/lacak", "track-form"], ["/lacak?id=XYZ", "track-form-error"], ["/sekitar", "nearby"], ["/instansi", "agency-record"], ["/instansi/dsdabm", "agency"]]) {
      await page.goto(path);
      await expectAccessible(page, `${path} at desktop size`);
      await screenshot(page, `${name}-desktop`);
    }
  });
});
