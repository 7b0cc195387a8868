// The staff console at a desk: an admin verifies what a citizen just sent, the agency
// follows it up, and sessions and forms are refused as they should be.
const { test, expect } = require("@playwright/test");
const fs = require("fs");
const {
  guardEveryPage, expectAccessible, screenshot, remember, untilTriaged, stubTiles, photo, policyRefusals, staff,
} = require("./helpers");

const DESK = { width: 1280, height: 900 };
const DSDABM = "Petugas Dinas Sumber Daya Air dan Bina Marga";

guardEveryPage(test);

/** Signs in with the development sign-in's button for `role`, from any console page. */
async function signIn(page, role) {
  await page.goto("/konsol");
  await expect(page).toHaveURL(/\/konsol\/masuk/);
  await page.getByRole("button", { name: role }).click();
}

/** Signs out from the bar. */
/** The newest location link texted to `number` (devstack shows what Sigap sent). */
async function locationLink(request, number) {
  const sent = await (await request.get(`/_devstack/texts?to=${number}`)).json();
  const texts = sent.texts.map((t) => t.text).filter((t) => t.includes("/l/"));
  expect(texts.length).toBeGreaterThan(0);
  return texts[texts.length - 1].match(/https?:\/\/\S+\/l\/[0-9a-f]{32}/)[0];
}

async function signOut(page) {
  await page.getByRole("button", { name: "Keluar" }).click();
  await expect(page.locator(".notice")).toHaveText("Anda sudah keluar.");
}

/** Opens an administration screen from the bar's folded "Administrasi" menu. */
async function administration(page, screen) {
  const bar = page.getByRole("navigation", { name: "Menu konsol" });
  await bar.getByText("Administrasi", { exact: true }).click();
  await bar.getByRole("link", { name: screen }).click();
}

/** Writes a response template on the templates screen (for every category). */
async function writeTemplate(page, title, form, text) {
  await administration(page, "Templat jawaban");
  await page.getByLabel("Judul").fill(title);
  await page.getByLabel("Untuk formulir").selectOption({ label: form });
  await page.getByLabel("Teks", { exact: true }).fill(text);
  await page.getByRole("button", { name: "Simpan templat" }).click();
  await expect(page.locator(".notice")).toHaveText("Templat disimpan.");
}

/** The supervisor's dashboard, read: the open reports whose follow-up is out, and the
 * follow-ups counted for `agency` this week (the last cell of its on-time row). */
async function cityFigures(page, agency) {
  await page.goto("/konsol/ringkasan");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Ringkasan kota");
  const responded = await page.getByRole("row", { name: /^Tindak lanjut terbit/ }).locator("td").last().textContent();
  const week = await page.locator(`[data-table="tepat-waktu"] tr[data-agency="${agency}"] td`).last().textContent();
  const followUps = week.match(/\((\d+)\)/);
  return {
    open: Number(await page.locator('[data-figure="terbuka"]').textContent()),
    responded: Number(responded),
    followUps: followUps ? Number(followUps[1]) : 0,
  };
}

/** A citizen files a pothole report in Sukajadi through the citizen pages, with a
 * phone number in its text; its tracking id. */
async function citizenReports(browser) {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  await stubTiles(context);
  const page = await context.newPage();
  await page.goto("/lapor");
  await page.getByLabel("Jenis masalah").selectOption("jalan-rusak");
  await page.getByLabel("Judul singkat").fill("Jalan amblas di Sukajadi");
  await page.getByLabel("Ceritakan masalahnya").fill("Jalan berlubang dan amblas dekat pasar, hubungi saya di 0812-3456-7890.");
  await page.getByLabel("Alamat atau patokan").fill("Jl. Sukajadi dekat pasar");
  await page.getByLabel("Kecamatan", { exact: true }).selectOption({ label: "Sukajadi" });
  await page.getByLabel("Seberapa besar kerusakannya?").selectOption({ label: "Sedang (30 cm sampai 1 m)" });
  await page.getByRole("button", { name: "Kirim laporan" }).click();
  await expect(page.getByRole("heading", { name: "Laporan diterima" })).toBeVisible();
  const id = (await page.locator(".tracking-id").textContent()).trim();
  remember((await page.locator("code.token").textContent()).trim());
  await context.close();
  return id;
}

test.describe("at a desk", () => {
  test.use({ viewport: DESK });

  test("an admin finds the citizen's report atop the queue, redacts the phone number and dispatches it; the agency acknowledges and follows up; another agency gets not-found", async ({ page, request, browser }) => {
    // The supervisor watches the city's figures from a desk of their own.
    const city = await browser.newContext({ viewport: DESK });
    const supervisor = await city.newPage();
    const refused = policyRefusals(supervisor);
    await signIn(supervisor, "Supervisor kota");
    const before = await cityFigures(supervisor, "dsdabm");

    const id = await citizenReports(browser);
    await untilTriaged(request, id);

    await signIn(page, "Admin verifikasi");
    await expect(page).toHaveURL(/\/konsol\/antrean$/);
    // A response template for every category's dispatch note.
    await writeTemplate(page, "Cek lokasi hari ini", "Catatan disposisi", "Laporan {nomor}: mohon dicek di lokasi hari ini.");
    await expect(page.getByRole("link", { name: "Cek lokasi hari ini" })).toBeVisible();
    await screenshot(page, "console-templates");
    await expectAccessible(page, "the response templates");
    await page.getByRole("link", { name: "Antrean verifikasi" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Antrean verifikasi");
    await expect(page.getByRole("link", { name: id })).toBeVisible();
    await screenshot(page, "console-queue");
    await expectAccessible(page, "the queue");
    // Filtered to its kecamatan, the new report is the first line.
    await page.getByLabel("Kecamatan").selectOption({ label: "Sukajadi" });
    await page.getByRole("button", { name: "Saring" }).click();
    await expect(page).toHaveURL(/kecamatan=32\.73\./);
    await expect(page.locator("tbody tr").first()).toContainText(id);
    // The shortcuts: j selects the first report, Enter opens it.
    await page.keyboard.press("j");
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(new RegExp(`/konsol/laporan/${id}$`));
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Jalan amblas di Sukajadi");
    await expect(page.locator(".text")).toContainText("0812-3456-7890");
    await expect(page.getByText("1 data pribadi ditemukan")).toBeVisible();
    await expect(page.locator(".text mark.pii")).toHaveText("0812-3456-7890");
    await expect(page.getByText("Aturan:")).toBeVisible();
    await screenshot(page, "console-report-admin");
    await expectAccessible(page, "the report page, admin");

    await page.getByRole("button", { name: "Sembunyikan data pribadi" }).click();
    await expect(page.locator(".notice")).toHaveText("Data pribadi disembunyikan dari teks laporan.");
    await expect(page.locator(".text")).toContainText("[disembunyikan]");
    await expect(page.locator(".text")).not.toContainText("0812");
    await expect(page.getByRole("button", { name: "Sembunyikan data pribadi" })).toHaveCount(0);
    // The triage's suggestion is already ticked: dispatch with the template's note,
    // edited before sending.
    await expect(page.getByLabel("Dinas Sumber Daya Air dan Bina Marga")).toBeChecked();
    const desk = page.getByRole("region", { name: "Verifikasi dan disposisi" });
    await expect(desk.getByRole("button", { name: "Pakai templat" })).toBeHidden();
    await desk.getByLabel("Templat jawaban").selectOption({ label: "Cek lokasi hari ini" });
    const note = page.getByLabel("Catatan untuk instansi (tidak wajib)");
    await expect(note).toHaveValue(`Laporan ${id}: mohon dicek di lokasi hari ini.`);
    await note.press("End");
    await note.pressSequentially(" Warga menunggu.");
    // With JavaScript the action takes no full reload: the page is the same
    // document, its report part replaced, its address the redirect's.
    await page.evaluate(() => { window.sigapSamePage = true; });
    await page.getByRole("button", { name: "Verifikasi dan disposisikan" }).click();
    await expect(page.locator(".notice")).toHaveText("Laporan diverifikasi dan didisposisi.");
    await expect(page.locator(".notice")).toBeFocused();
    expect(await page.evaluate(() => window.sigapSamePage)).toBe(true);
    await expect(page).toHaveURL(new RegExp(`/konsol/laporan/${id}\\?selesai=dispatch$`));
    await expect(page.locator(".timeline")).toContainText("Diverifikasi dan didisposisi");
    await expect(page.locator(".timeline")).toContainText(`Laporan ${id}: mohon dicek di lokasi hari ini. Warga menunggu.`);
    await expect(page.getByRole("heading", { name: "Verifikasi dan disposisi" })).toHaveCount(0);
    await screenshot(page, "console-report-dispatched");
    await signOut(page);

    await signIn(page, DSDABM);
    await expect(page).toHaveURL(/\/konsol\/kotak-masuk$/);
    await expect(page.getByRole("row", { name: new RegExp(id) })).toContainText("Baru didisposisi");
    await screenshot(page, "console-inbox");
    await expectAccessible(page, "the inbox");
    await page.getByRole("link", { name: id }).click();
    // The citizen left no contact, and the agency is offered no admin action.
    await expect(page.getByRole("region", { name: "Pelapor" })).toContainText("Pelapor tidak meninggalkan kontak.");
    await expect(page.getByRole("button", { name: "Verifikasi dan disposisikan" })).toHaveCount(0);
    await page.getByRole("button", { name: "Terima laporan" }).click();
    await expect(page.locator(".notice")).toHaveText("Laporan diterima instansi.");
    // The officer takes it: it is theirs under "Laporan saya"; an internal note stays
    // among staff while a progress note reaches the citizen's page.
    await page.getByRole("button", { name: "Ambil laporan ini" }).click();
    await expect(page.locator(".notice")).toHaveText("Petugas yang memegang laporan ini diperbarui.");
    await expect(page.getByRole("region", { name: "Tindakan instansi" })).toContainText("Anda memegang laporan ini.");
    await page.getByLabel("Catatan internal (hanya petugas dan admin)").fill("Pelapor sudah menelepon kantor dua kali.");
    await page.getByRole("button", { name: "Simpan catatan internal" }).click();
    await expect(page.locator(".notice")).toHaveText("Catatan internal disimpan.");
    await expect(page.locator(".timeline")).toContainText("Pelapor sudah menelepon kantor dua kali.");
    await page.getByLabel(/Kabar perkembangan untuk pelapor/).fill("Tim survei dijadwalkan ke lokasi besok.");
    await page.getByRole("button", { name: "Terbitkan kabar" }).click();
    await expect(page.locator(".notice")).toHaveText("Kabar perkembangan diterbitkan.");
    const published = JSON.stringify(await (await request.get(`/reports/${id}`)).json());
    expect(published).toContain("Tim survei dijadwalkan ke lokasi besok.");
    expect(published).not.toContain("menelepon kantor");
    expect(published).not.toContain("devstack.sigap");
    await page.goto("/konsol/kotak-masuk?saya=1");
    await expect(page.getByRole("row", { name: new RegExp(id) })).toContainText("agency-dsdabm@devstack.sigap");
    await screenshot(page, "console-inbox-mine");
    await expectAccessible(page, "the officer's own reports");
    await page.getByRole("link", { name: id }).click();
    // The proof of the fix by the console's upload form, straight to the bucket.
    await page.getByRole("button", { name: "Tambah foto bukti" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Tambah foto bukti penanganan");
    await screenshot(page, "console-proof-upload");
    await expectAccessible(page, "the proof upload form");
    await page.getByLabel("Pilih foto").setInputFiles(await photo(browser, 800, 600));
    await page.getByRole("button", { name: "Unggah foto" }).click();
    await expect(page).toHaveURL(new RegExp(`/konsol/laporan/${id}\\?selesai=foto`));
    await expect(page.locator(".notice")).toContainText("Foto terkirim");
    await expect(async () => {
      await page.reload();
      await expect(page.locator(".photos img")).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 30000 });
    await page.getByLabel("Tindak lanjut untuk pelapor (terbit untuk publik)").fill("Jalan sudah diurug dan diaspal.");
    await page.getByRole("button", { name: "Terbitkan tindak lanjut" }).click();
    await expect(page.locator(".notice")).toHaveText("Tindak lanjut diterbitkan.");
    await expect(page.getByRole("region", { name: "Instansi", exact: true })).toContainText("Jalan sudah diurug dan diaspal.");
    await expect(page.locator(".photos img")).toBeVisible();
    await screenshot(page, "console-report-agency");
    await expectAccessible(page, "the report page, agency");
    await signOut(page);

    // The supervisor's figures moved: one more report open, its follow-up out, and
    // one more follow-up this week for the agency.
    const after = await cityFigures(supervisor, "dsdabm");
    expect(after.open).toBe(before.open + 1);
    expect(after.responded).toBe(before.responded + 1);
    expect(after.followUps).toBe(before.followUps + 1);
    await expect(supervisor.locator("svg.chart").first()).toBeVisible();
    await screenshot(supervisor, "console-dashboard");
    await expectAccessible(supervisor, "the dashboard");
    // The open reports as CSV: the new one is a line, with no title or text in it.
    const [download] = await Promise.all([
      supervisor.waitForEvent("download"),
      supervisor.getByRole("link", { name: "laporan terbuka" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("laporan-terbuka.csv");
    const csv = fs.readFileSync(await download.path(), "utf8");
    expect(csv.split("\r\n")[0]).toBe("nomor,status,kategori,kecamatan,kanal,masuk_wib,tenggat_wib,terlambat,instansi");
    expect(csv).toContain(`${id},Tindak lanjut terbit,jalan-rusak,Sukajadi,web,`);
    expect(csv).not.toContain("amblas");
    // The figures as CSV: the agency's follow-ups this week, as the table counted them.
    const figures = await city.request.get("/konsol/ekspor/angka.csv");
    expect(figures.headers()["content-type"]).toBe("text/csv; charset=utf-8");
    const lines = (await figures.text()).split("\r\n");
    expect(lines[0]).toBe("bagian,nama,rincian,nilai");
    expect(lines.filter((l) => l.startsWith("tindak_lanjut,Dinas Sumber Daya Air dan Bina Marga,")).pop())
      .toMatch(new RegExp(`,${after.followUps}$`));
    expect(refused).toEqual([]);
    await city.close();

    // Another agency: the same not-found as the API.
    await signIn(page, "Petugas Dinas Lingkungan Hidup");
    const other = await page.goto(`/konsol/laporan/${id}`);
    expect(other.status()).toBe(404);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Tidak ditemukan");
    await expect(page.locator(".problem")).toHaveText("Laporan tidak ditemukan.");
    await screenshot(page, "console-not-found");
    await expectAccessible(page, "the not-found page");
  });

  test("an admin puts an SMS report on the map and blocks the number it came from", async ({ page, request }) => {
    const from = "081377770001";
    const sent = await request.post("/_devstack/sms", {
      data: { from, text: "BDG Lampu jalan mati di gang dekat Masjid Al-Ikhlas, gelap sekali tiap malam" },
    });
    expect(sent.status()).toBe(200);
    const id = (await sent.json()).report_id;
    await untilTriaged(request, id);

    await signIn(page, "Admin verifikasi");
    await page.goto(`/konsol/laporan/${id}`);
    const place = page.getByRole("region", { name: "Lokasi" });
    await expect(place).toContainText("Laporan ini belum punya titik di peta.");
    await place.getByLabel("Alamat atau patokan").fill("Gang Masjid Al-Ikhlas, Jl. Riau");
    await place.getByLabel("Kecamatan").selectOption({ label: "Sumur Bandung" });
    // A point in Jakarta is refused on the report, and nothing is saved.
    await place.getByLabel("Lintang").fill("-6,2");
    await place.getByLabel("Bujur").fill("106,8");
    await place.getByRole("button", { name: "Simpan lokasi" }).click();
    await expect(page.locator(".problem")).toHaveText("Titik harus berada di dalam Kota Bandung.");
    await expect(place).toContainText("Laporan ini belum punya titik di peta.");
    await place.getByLabel("Alamat atau patokan").fill("Gang Masjid Al-Ikhlas, Jl. Riau");
    await place.getByLabel("Kecamatan").selectOption({ label: "Sumur Bandung" });
    // The point from the map: a click in the middle of the city fills both fields.
    const map = place.getByRole("region", { name: "Peta untuk menandai titik laporan" });
    await expect(map).toBeVisible();
    await expect(place.getByRole("status")).toHaveText("Klik peta untuk menandai titik, atau ketik lintang dan bujurnya.");
    await map.click();
    await expect(place.getByRole("status")).toHaveText("Titik ditandai di peta; simpan lokasi untuk memakainya.");
    await expect(place.getByLabel("Lintang")).toHaveValue(/^-6\.9\d+$/);
    await expect(place.getByLabel("Bujur")).toHaveValue(/^107\.6\d+$/);
    await expect(map.locator("path.leaflet-interactive")).toHaveCount(1);
    await screenshot(page, "console-report-place-map");
    await place.getByRole("button", { name: "Simpan lokasi" }).click();
    await expect(page.locator(".notice")).toHaveText("Lokasi laporan disimpan.");
    await expect(place).not.toContainText("belum punya titik");
    await expect(place.getByLabel("Lintang")).toHaveValue(/^-6\.9\d+$/);
    // The saved point is drawn again on the page that came back.
    await expect(map.locator("path.leaflet-interactive")).toHaveCount(1);
    // A typed point (a comma as the decimal sign) moves it.
    await place.getByLabel("Lintang").fill("-6,9147");
    await place.getByLabel("Bujur").fill("107.6098");
    await place.getByRole("button", { name: "Simpan lokasi" }).click();
    await expect(page.locator(".notice")).toHaveText("Lokasi laporan disimpan.");
    await expect(place.getByLabel("Lintang")).toHaveValue("-6.9147");
    await expect(page.locator(".timeline")).toContainText("Lokasi ditetapkan");
    await expect(page.locator("dl.facts").first()).toContainText("Sumur Bandung");

    // The number it came from, blocked for a week with a reason.
    const reporter = page.getByRole("region", { name: "Pelapor" });
    await reporter.getByText("Blokir nomor ini").click();
    await reporter.getByLabel("Alasan (untuk catatan admin)").fill("Kiriman berulang tanpa isi");
    await reporter.getByLabel("Lama blokir").selectOption("7");
    await screenshot(page, "console-report-sms-admin");
    await expectAccessible(page, "an SMS report, admin");
    await reporter.getByRole("button", { name: "Blokir nomor" }).click();
    await expect(page.locator(".notice")).toContainText("Nomor pengirim diblokir");
    const { blocked } = await staff(request, "ADMIN", "GET", "/staff/blocked-senders");
    expect(blocked.map((b) => b.reason)).toContain("Kiriman berulang tanpa isi");
    // Its next SMS is dropped: no report, no answer.
    const again = await request.post("/_devstack/sms", { data: { from, text: "BDG Lampu jalan mati lagi di gang yang sama" } });
    expect(again.status()).toBe(200);
    expect((await again.json()).report_id).toBeNull();
    // The list of blocks shows it masked; lifting it lets the number in again.
    await administration(page, "Nomor diblokir");
    const row = page.getByRole("row", { name: /Kiriman berulang tanpa isi/ });
    await expect(row).toContainText("+62••••••••001");
    await expect(page.locator("main")).not.toContainText(from.slice(1));
    await screenshot(page, "console-blocked");
    await expectAccessible(page, "the blocked numbers");
    await row.getByRole("button", { name: "Cabut blokir" }).click();
    await expect(page.locator(".notice")).toHaveText("Blokir dicabut: pesan dari nomor itu diterima lagi.");
    await expect(page.getByRole("row", { name: /Kiriman berulang tanpa isi/ })).toHaveCount(0);
    const welcome = await request.post("/_devstack/sms", { data: { from, text: "BDG Lampu jalan di gang itu masih mati sampai sekarang" } });
    const later = (await welcome.json()).report_id;
    expect(later).toMatch(/^BDG-/);
    // The admin sees that number's earlier report from the new one.
    await untilTriaged(request, later);
    await page.goto(`/konsol/laporan/${later}`);
    const others = page.getByRole("region", { name: "Pelapor" });
    await expect(others.getByRole("heading", { name: "Laporan lain dari pengirim ini" })).toBeVisible();
    await expect(others.getByRole("link", { name: id })).toBeVisible();
    // Triage named it as possibly the same: listed with its title, on a small map
    // at the point set above, with the merge button.
    const possible = page.locator("#duplikat li", { hasText: id });
    await expect(possible).toContainText("Lampu jalan mati di gang");
    await expect(possible).toContainText("pengirim yang sama");
    await expect(possible.getByRole("button", { name: `Gabungkan ke ${id}` })).toBeVisible();
    const nearby = page.getByRole("region", { name: "Peta laporan yang mungkin sama" });
    await expect(nearby.locator("path.leaflet-interactive")).toHaveCount(1);
    await screenshot(page, "console-report-duplicates-map");
    await expectAccessible(page, "a report with possible duplicates on a map");
  });

  test("an officer hands a report to a named colleague, who finds it under their own reports", async ({ page, request }) => {
    const DLH = "Petugas Dinas Lingkungan Hidup";
    const sent = await request.post("/_devstack/sms", {
      data: { from: "081377770002", text: "BDG Sampah menumpuk di pinggir sungai dekat jembatan, bau sekali" },
    });
    const id = (await sent.json()).report_id;
    await untilTriaged(request, id);
    await staff(request, "ADMIN", "POST", `/staff/reports/${id}/dispatch`, { agencies: ["dlh"] });

    // Budi signs in once (the development sign-in's nickname: a second officer of
    // the same agency), which puts him on the agency's list.
    await page.goto("/konsol/masuk");
    await page.getByLabel("Nama panggilan (tidak wajib)").fill("budi");
    await page.getByRole("button", { name: DLH }).click();
    await expect(page.locator(".who")).toContainText("budi.agency-dlh@devstack.sigap");
    await signOut(page);

    // The agency's usual officer hands the report to him.
    await signIn(page, DLH);
    await page.goto(`/konsol/laporan/${id}`);
    const actions = page.getByRole("region", { name: "Tindakan instansi" });
    await expect(actions).toContainText("Belum dipegang petugas.");
    await actions.getByLabel("Serahkan ke rekan").selectOption({ label: "budi.agency-dlh@devstack.sigap" });
    await actions.getByRole("button", { name: "Serahkan" }).click();
    await expect(page.locator(".notice")).toHaveText("Petugas yang memegang laporan ini diperbarui.");
    await expect(actions).toContainText("Dipegang budi.agency-dlh@devstack.sigap.");
    // Whoever holds it is not offered as a colleague to hand it to.
    await expect(actions.getByLabel("Serahkan ke rekan")).toHaveCount(0);
    await expect(page.locator(".timeline")).toContainText("budi.agency-dlh@devstack.sigap");
    await screenshot(page, "console-report-handed");
    await expectAccessible(page, "a report handed to a colleague");
    await signOut(page);

    // Budi finds it under his own reports; the usual officer can hand it back from
    // there too, now that both are on the list.
    await page.goto("/konsol/masuk");
    await page.getByLabel("Nama panggilan (tidak wajib)").fill("budi");
    await page.getByRole("button", { name: DLH }).click();
    await page.getByRole("link", { name: "Laporan saya" }).click();
    await expect(page.getByRole("row", { name: new RegExp(id) })).toContainText("budi.agency-dlh@devstack.sigap");
    await page.getByRole("link", { name: id }).click();
    await expect(actions).toContainText("Anda memegang laporan ini.");
    await expect(actions.getByLabel("Serahkan ke rekan").locator("option")).toHaveText(["agency-dlh@devstack.sigap"]);
    await signOut(page);
  });

  test("an admin confirms a year's holidays and issues an Open311 key that works until it is revoked; the supervisor reads the calendar", async ({ page, request, browser }) => {
    await page.setViewportSize(DESK);
    await signIn(page, "Admin verifikasi");
    await administration(page, "Kalender libur");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Kalender hari libur");
    await screenshot(page, "console-calendar");
    await expectAccessible(page, "the holiday calendar");
    // A year no file has: its form is empty; a line in the wrong form is refused with
    // its number, the text kept.
    await page.goto("/konsol/kalender/2031");
    await page.getByLabel("Dasar hukum (SKB)").fill("SKB 3 Menteri tentang hari libur 2031");
    await page.getByLabel("Alasan perubahan").fill("SKB 2031 terbit");
    const days = page.getByLabel("Hari libur dan cuti bersama");
    await days.fill("2031-01-01 | libur | Tahun Baru 2031 Masehi\n17-08-2031 | libur | Hari Kemerdekaan RI");
    await page.getByRole("button", { name: "Simpan dan konfirmasi 2031" }).click();
    await expect(page.getByRole("alert")).toHaveText("Baris 2: tanggal harus ditulis TTTT-BB-HH.");
    await expect(days).toHaveValue(/17-08-2031/);
    await screenshot(page, "console-calendar-year-refused");
    await expectAccessible(page, "a year's form, refused");
    await days.fill("2031-01-01 | libur | Tahun Baru 2031 Masehi\n2031-08-17 | libur | Hari Kemerdekaan RI\n2031-12-26 | cuti | Cuti bersama Natal");
    await page.getByRole("button", { name: "Simpan dan konfirmasi 2031" }).click();
    await expect(page.locator(".notice")).toHaveText("Kalender disimpan: tenggat yang dihitung sejak sekarang memakainya.");
    const year = page.getByRole("region", { name: "2031", exact: true });
    await expect(year.getByRole("row", { name: /Cuti bersama Natal/ })).toContainText("26/12/2031");
    // The JSON API reads the same calendar.
    const calendar = await staff(request, "ADMIN", "GET", "/staff/calendar");
    expect(calendar.years["2031"].days.map((d) => d.date)).toEqual(["2031-01-01", "2031-08-17", "2031-12-26"]);
    expect(calendar.history[0].reason).toBe("SKB 2031 terbit");

    // An Open311 key: shown once, good for a partner's request, refused once revoked.
    await administration(page, "Kunci API");
    await page.getByLabel("Untuk siapa").fill("Aplikasi Kecamatan Coblong");
    await page.getByRole("button", { name: "Buat kunci" }).click();
    const key = (await page.locator("code.secret").textContent()).trim();
    expect(key).toMatch(/^[0-9a-f]{8}\.[0-9a-f]{48}$/);
    remember(key);
    await expect(page.getByRole("status")).toContainText("Simpan kunci ini: tidak akan ditampilkan lagi.");
    await screenshot(page, "console-api-key-issued");
    await expectAccessible(page, "a new API key");
    const partner = (apiKey) => request.post("/open311/v2/requests.json", {
      form: {
        api_key: apiKey, jurisdiction_id: "bandung.go.id", service_code: "jalan-rusak",
        lat: "-6.885", long: "107.613", address_string: "Jl. Ir. H. Juanda No. 120",
        description: "Lubang besar di depan sekolah, dilaporkan lewat aplikasi kecamatan.",
        "attribute[UKURAN]": "besar", "attribute[LAJUR][]": "badan-jalan",
      },
    });
    expect((await partner(key)).status()).toBe(201);
    await page.goto("/konsol/kunci-api");
    await expect(page.locator("main")).not.toContainText(key.split(".")[1]);
    const row = page.getByRole("row", { name: /Aplikasi Kecamatan Coblong/ });
    await expect(row).toContainText("Aktif");
    await row.getByRole("button", { name: "Cabut kunci Aplikasi Kecamatan Coblong" }).click();
    await expect(page.locator(".notice")).toHaveText("Kunci dicabut.");
    await expect(page.getByRole("row", { name: /Aplikasi Kecamatan Coblong/ })).toContainText("Dicabut");
    expect((await partner(key)).status()).toBe(403);

    // The supervisor reads the calendar and changes nothing; keys are not theirs.
    const context = await browser.newContext({ viewport: DESK });
    const supervisor = await context.newPage();
    await signIn(supervisor, "Supervisor kota");
    await administration(supervisor, "Kalender libur");
    await expect(supervisor.getByRole("region", { name: "2031", exact: true })).toContainText("Cuti bersama Natal");
    await expect(supervisor.getByRole("link", { name: "Ubah 2031" })).toHaveCount(0);
    await expect(supervisor.getByRole("link", { name: "Kunci API", includeHidden: true })).toHaveCount(0);
    const refused = await supervisor.goto("/konsol/kunci-api");
    expect(refused.status()).toBe(403);
    await context.close();
  });

  test("an admin adds an agency and gives a category its own follow-up tier and a question; a stale form is refused", async ({ page, browser }) => {
    await page.setViewportSize(DESK);
    await signIn(page, "Admin verifikasi");
    await administration(page, "Kategori dan instansi");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Kategori dan instansi");
    await screenshot(page, "console-catalog");
    await expectAccessible(page, "the categories and agencies");
    await page.getByRole("link", { name: "Instansi baru" }).click();
    await page.getByLabel(/^Kode/).fill("dispora");
    await page.getByLabel("Nama lengkap").fill("Dinas Pemuda dan Olahraga");
    await page.getByRole("button", { name: "Simpan instansi" }).click();
    await expect(page.locator(".notice")).toContainText("Instansi disimpan.");
    await expect(page.getByRole("row", { name: /Dinas Pemuda dan Olahraga/ })).toContainText("dispora");

    await page.getByRole("link", { name: "Taman dan Pohon" }).click();
    await expectAccessible(page, "a category's form");
    // Open in a second tab too: that form goes stale once the first is saved.
    const other = await page.context().newPage();
    await other.goto(page.url());
    await page.getByLabel("Instansi yang biasanya menangani").selectOption({ label: "Dinas Pemuda dan Olahraga" });
    await page.getByLabel("Tindak lanjut instansi").fill("3");
    const questions = page.getByLabel("Pertanyaan tambahan");
    await questions.fill("POHON | singlevaluelist | wajib | Apa yang terjadi pada pohon? | tumbang=Tumbang; miring=Miring");
    await page.getByRole("button", { name: "Simpan kategori" }).click();
    await expect(page.locator(".notice")).toContainText("Kategori disimpan.");
    const row = page.getByRole("row", { name: /Taman dan Pohon/ });
    await expect(row).toContainText("Dinas Pemuda dan Olahraga");
    await expect(row).toContainText("3 hari");
    await screenshot(page, "console-catalog-saved");
    await other.getByLabel("Kata kunci untuk saran kategori (dipisah koma)").fill("taman, pohon");
    await other.getByRole("button", { name: "Simpan kategori" }).click();
    await expect(other.getByRole("alert")).toContainText("baru saja diubah admin lain");
    await screenshot(other, "console-category-stale");
    await expectAccessible(other, "a stale category form");
    await other.close();

    // A responder's number for SMS acks: listed masked, forgotten by one button.
    await administration(page, "Nomor responder");
    await page.getByLabel("Nomor HP responder").fill("0812-7000-1708");
    await page.getByLabel(/^Unit/).fill("damkar-karees");
    await page.getByRole("button", { name: "Daftarkan" }).click();
    await expect(page.getByRole("status")).toContainText("terdaftar untuk unit damkar-karees");
    const line = page.getByRole("row", { name: /damkar-karees/ });
    await expect(line).toContainText("708");
    await expect(page.locator("main")).not.toContainText("7000");
    await screenshot(page, "console-responders");
    await expectAccessible(page, "the responders' numbers");
    await line.getByRole("button", { name: /Hapus nomor/ }).click();
    await expect(page.locator(".notice")).toHaveText("Nomor dihapus: balasan SMS-nya tidak lagi diterima.");
  });

  test("a forged cookie and an expired session get the sign-in page; a form without its CSRF token is refused", async ({ page, context, request, browser }) => {
    const id = await citizenReports(browser);
    await untilTriaged(request, id);
    await page.goto("/konsol/masuk");
    await screenshot(page, "console-sign-in");
    await expectAccessible(page, "the sign-in page");
    const base = new URL(page.url());
    await context.addCookies([{ name: "sesi", value: "eyJhbGciOiJIUzI1NiJ9.e30.forged", domain: base.hostname, path: "/konsol" }]);
    await page.goto("/konsol/antrean");
    await expect(page).toHaveURL(/\/konsol\/masuk\?sesi=tidak-sah$/);
    await expect(page.locator(".notice")).toHaveText("Sesi Anda tidak dikenali. Silakan masuk lagi.");

    await signIn(page, "Admin verifikasi");
    await page.goto("/konsol/antrean?status=tunda");
    await expect(page.getByRole("link", { name: "Ditunda (menunggu pelapor)" })).toHaveAttribute("aria-current", "page");
    // A form whose token was taken away (as a forged post would arrive) does nothing.
    await page.goto(`/konsol/laporan/${id}`);
    await page.locator('form[action$="/request-info"] input[name="csrf"]').evaluate((input) => input.remove());
    await page.getByLabel("Pertanyaan untuk pelapor").fill("Di mana tepatnya?");
    const refused = page.waitForResponse((r) => r.url().endsWith("/request-info"));
    await page.getByRole("button", { name: "Tunda dan kirim pertanyaan" }).click();
    expect((await refused).status()).toBe(403);
    await expect(page.locator(".problem")).toContainText("Formulir ini tidak sah");
    await screenshot(page, "console-csrf-refused");
    await expectAccessible(page, "the refused form");
    await page.goto(`/konsol/laporan/${id}`);
    await expect(page.locator("dl.facts").first()).toContainText("Menunggu verifikasi");

    // Nine hours on (a development session lasts a shift of eight): the sign-in page
    // says the session ended.
    const moved = await request.post("/_devstack/clock", { data: { advance_seconds: 9 * 3600 } });
    expect(moved.status()).toBe(200);
    await page.goto("/konsol/antrean");
    await expect(page).toHaveURL(/\/konsol\/masuk\?sesi=berakhir$/);
    await expect(page.locator(".notice")).toHaveText("Sesi Anda telah berakhir. Silakan masuk lagi.");
    await screenshot(page, "console-session-ended");
  });
});

test.describe("in the field, at phone width", () => {
  const PHONE = { width: 390, height: 844 };

  /** True when the page is no wider than the screen (tables scroll in their own box). */
  async function fitsTheScreen(page) {
    return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  }

  test("an agency officer reads the inbox and a report on a phone without scrolling sideways", async ({ page }) => {
    await page.setViewportSize(PHONE);
    await signIn(page, DSDABM);
    await expect(page).toHaveURL(/\/konsol\/kotak-masuk$/);
    expect(await fitsTheScreen(page), "the inbox fits a phone").toBe(true);
    await screenshot(page, "console-phone-inbox");
    await expectAccessible(page, "the inbox at phone width");
    await page.locator("table tbody a").first().click();
    await expect(page.getByRole("heading", { name: "Tindakan instansi" })).toBeVisible();
    expect(await fitsTheScreen(page), "a report fits a phone").toBe(true);
    await screenshot(page, "console-phone-report");
    await expectAccessible(page, "a report at phone width");
  });
});

test.describe("the command centre", () => {
  test.use({ viewport: DESK });

  test("a press appears on the operator's open board, with an alert to acknowledge", async ({ page, request }) => {
    // Counts the tones the board starts (headless Chromium plays them to no one).
    await page.addInitScript(() => {
      window.tones = 0;
      const start = OscillatorNode.prototype.start;
      OscillatorNode.prototype.start = function (...when) {
        window.tones += 1;
        return start.apply(this, when);
      };
    });
    await signIn(page, "Operator 112");
    await expect(page).toHaveURL(/\/konsol\/pusat$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Papan 112 dan Tombol Darurat");
    await expect(page.getByText("Diperbarui otomatis tiap 5 detik.")).toBeVisible();
    const before = await page.locator("#daftar-kejadian tr[data-id]").count();
    await screenshot(page, "board-before");
    await expectAccessible(page, "the board");

    // A citizen presses the Panic Button while the board is open: no reload.
    const pressed = await request.post("/_devstack/panic", {
      data: { action: "press", kind: "medical", lat: -6.9025, lon: 107.6188 },
    });
    expect(pressed.status()).toBe(201);
    const incident = (await pressed.json()).incident_id;
    expect(incident).toMatch(/^INC-/);
    const row = page.locator(`#daftar-kejadian tr[data-id="${incident}"]`);
    await expect(row).toBeVisible({ timeout: 15_000 });
    await expect(row).toContainText("MEDIS");
    await expect(row).toContainText("Tombol darurat");
    await expect(row).toContainText("Belum ada");
    await expect(row).toContainText("-6.90250, 107.61880");
    await expect(row.locator(".since")).toHaveText(/^\d+ detik lalu$/);
    await expect(page.locator("#daftar-kejadian tr[data-id]")).toHaveCount(before + 1);
    const alert = page.getByRole("alert");
    await expect(alert).toContainText(`Kejadian baru: ${incident}`);
    await expect(page.getByRole("region", { name: "Peta kejadian terbuka" }).locator("path.leaflet-interactive"))
      .toHaveCount(before + 1);
    await screenshot(page, "board-new-incident");
    await expectAccessible(page, "the board with an alert");
    // Audible too: a tone at once, and again every 4 s while nobody has said so.
    await expect.poll(() => page.evaluate(() => window.tones), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    await alert.getByRole("button", { name: "Sudah saya lihat" }).click();
    await expect(alert).toBeHidden();
    const heard = await page.evaluate(() => window.tones);
    // The next polls find nothing new: the alert stays down and silent.
    await page.waitForTimeout(6_000);
    await expect(alert).toBeHidden();
    expect(await page.evaluate(() => window.tones)).toBe(heard);
    await expect(row).toBeVisible();

    // The incident's page: its timeline, and the number to call back.
    await row.getByRole("link", { name: incident }).click();
    await expect(page.getByRole("heading", { level: 1 })).toContainText(`Kejadian ${incident}`);
    await expect(page.locator(".timeline")).toContainText("Dibuka");
    await expect(page.locator(".timeline")).toContainText("Panggilan terkirim");
    await expect(page.getByRole("link", { name: /^Telepon balik \+62/ })).toHaveAttribute("href", /^tel:\+62/);
    await screenshot(page, "board-incident");
    await expectAccessible(page, "an incident's page");
    await signOut(page);

    // A responder unit reads the board and the timeline, never the number.
    await signIn(page, "Responder polsek-coblong");
    await expect(page).toHaveURL(/\/konsol\/pusat$/);
    await expect(page.locator(".who")).toContainText("Responder polsek-coblong");
    await page.locator(`#daftar-kejadian tr[data-id="${incident}"]`).getByRole("link", { name: incident }).click();
    await expect(page.locator(".timeline")).toContainText("Panggilan terkirim");
    await expect(page.getByRole("link", { name: /Telepon balik/ })).toHaveCount(0);
    expect(await page.content()).not.toContain("tel:");
    await screenshot(page, "board-incident-responder");
    await expectAccessible(page, "an incident's page, responder");
  });

  test("an operator records a call that pages tier 0; a responder takes it from the board and every tier paged stands down", async ({ page, request }) => {
    await signIn(page, "Operator 112");
    await page.getByRole("link", { name: "Catat panggilan 112" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Catat panggilan 112");
    const emergency = page.getByRole("region", { name: "Darurat: buka kejadian" });
    await emergency.getByLabel("Nomor penelepon").fill("0812 7000 1122");
    await emergency.getByLabel("Jenis kejadian").selectOption({ label: "KEBAKARAN" });
    await emergency.getByLabel("Apa yang dikatakan penelepon").fill("Asap tebal dari gudang, api terlihat di atap.");
    await emergency.getByLabel("Alamat atau patokan").fill("Gudang di belakang Pasar Kosambi");
    // A click on the map pins the place (the fields follow).
    const map = page.getByRole("region", { name: "Peta untuk menandai lokasi kejadian" });
    await expect(map).toBeVisible();
    await map.click();
    await expect(page.getByLabel("Lintang")).not.toHaveValue("");
    await expect(page.getByLabel("Bujur")).not.toHaveValue("");
    await screenshot(page, "board-record-call");
    await expectAccessible(page, "the call forms");
    // The form as the browser sends it, to send it again below (a double submit).
    const sent = await emergency.locator("form").evaluate((form) => new URLSearchParams(new FormData(form)).toString());
    await page.getByRole("button", { name: "Buka kejadian dan panggil responder" }).click();
    await expect(page.getByRole("status")).toHaveText(/Panggilan 112 tercatat/);
    const incident = page.url().match(/INC-[0-9A-Z]+/)[0];
    // Sent again, the same form opens no second incident: it answers with the first.
    const twice = await page.evaluate(async (body) => {
      const response = await fetch("/konsol/pusat/panggilan", {
        method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      return response.url;
    }, sent);
    expect(twice).toContain(`/konsol/pusat/${incident}?selesai=panggilan`);
    const timeline = page.locator(".timeline");
    await expect(timeline).toContainText("panggilan 112");
    await expect(timeline).toContainText("Asap tebal dari gudang");
    await expect(timeline).toContainText("Panggilan terkirim · page#0");
    await expect(page.getByRole("link", { name: "Telepon balik +6281270001122" })).toBeVisible();
    // An operator does not take an incident (a responder's unit does).
    await expect(page.getByRole("button", { name: "Saya tangani" })).toHaveCount(0);

    // The caller's place by link: one press texts them a single-use link, and the page
    // it opens (on a phone that grants its position) moves the incident on the board.
    await page.getByRole("button", { name: "Kirim tautan lokasi" }).click();
    await expect(page.getByRole("status")).toHaveText(/Tautan lokasi terkirim/);
    await expect(timeline).toContainText("Tautan lokasi dikirim");
    const link = await locationLink(request, "081270001122");
    await page.getByRole("link", { name: "← Papan 112" }).click();
    const row = page.locator(`#daftar-kejadian tr[data-id="${incident}"]`);
    await expect(row).not.toContainText("-6.86000, 107.67000");
    const phone = await page.context().browser().newContext({
      viewport: { width: 360, height: 740 },
      geolocation: { latitude: -6.86, longitude: 107.67, accuracy: 12 },
      permissions: ["geolocation"],
    });
    const caller = await phone.newPage();
    await caller.goto(link);
    await expect(caller.getByRole("heading", { level: 1 })).toHaveText("Kirim lokasi Anda ke petugas 112");
    // The page says nothing about the incident.
    const said = await caller.locator("body").textContent();
    expect(said).not.toContain(incident);
    expect(said).not.toMatch(/KEBAKARAN|Kosambi|gudang/i);
    await screenshot(caller, "location-link-page");
    await expectAccessible(caller, "the caller's location page");
    await caller.getByRole("button", { name: "Kirim lokasi saya" }).click();
    await expect(caller.getByRole("status")).toHaveText(/Lokasi terkirim \(akurasi ± 12 m\)/);
    await screenshot(caller, "location-link-sent");
    // The open board shows the new position at its next poll, without a reload.
    await expect(row).toContainText("-6.86000, 107.67000", { timeout: 15_000 });
    await expect(row).toContainText("± 12 m");
    await expect(row).toContainText("(1 posisi)");
    // The moved point was outside the map's view: the view widened to take it in.
    const mapArea = page.getByRole("region", { name: "Peta kejadian terbuka" });
    await expect.poll(() => mapArea.evaluate((element) => {
      const frame = element.getBoundingClientRect();
      return Array.from(element.querySelectorAll("path.leaflet-interactive")).every((path) => {
        const box = path.getBoundingClientRect();
        const x = box.left + box.width / 2;
        const y = box.top + box.height / 2;
        // Leaflet empties a path outside its view (a box of no size).
        return box.width > 0 && x >= frame.left && x <= frame.right && y >= frame.top && y <= frame.bottom;
      });
    })).toBe(true);
    await screenshot(page, "board-location-from-link");
    // The link works once: opened again, it is refused, and so is a second send.
    const again = await caller.goto(link);
    expect(again.status()).toBe(410);
    await expect(caller.getByRole("heading", { level: 1 })).toHaveText("Tautan tidak berlaku");
    // One tap dials 112 from the phone.
    await expect(caller.getByRole("link", { name: "telepon 112" })).toHaveAttribute("href", "tel:112");
    await screenshot(caller, "location-link-used");
    await expectAccessible(caller, "a used location link's page");
    const resent = await request.post(link, { data: { lat: -6.9, lon: 107.6, accuracy_m: 5 } });
    expect(resent.status()).toBe(410);
    await phone.close();
    await row.getByRole("link", { name: incident }).click();
    await expect(timeline).toContainText("Posisi diterima · dari tautan lokasi penelepon, akurasi ± 12 m");

    // Nobody answers tier 0 within its minute: the auditor (run when the dev clock
    // moves) finds the tick due and it escalates; tier 1 is paged too.
    const moved = await request.post("/_devstack/clock", { data: { advance_seconds: 150 } });
    expect(moved.status()).toBe(200);
    await expect.poll(async () => {
      await page.reload();
      return timeline.textContent();
    }, { timeout: 20_000 }).toContain("page#1");
    await expect(timeline).toContainText("Naik tier");
    await signOut(page);

    // A responder takes it from the board: escalation stops and both tiers stand down.
    await signIn(page, "Responder polsek-coblong");
    await page.locator(`#daftar-kejadian tr[data-id="${incident}"]`).getByRole("link", { name: incident }).click();
    await expect(page.getByRole("heading", { name: "Tindakan" })).toBeVisible();
    await screenshot(page, "board-incident-actions");
    await expectAccessible(page, "an incident's actions, responder");
    await page.getByRole("button", { name: "Saya tangani" }).click();
    await expect(page.getByRole("status")).toHaveText(/unit Anda menangani kejadian ini/);
    await expect(page.locator("#status-kejadian")).toHaveText("Ditangani");
    await expect(page.locator("dl.facts").first()).toContainText("polsek-coblong");
    await expect(timeline).toContainText("Diambil responder");
    await expect(timeline).toContainText("Panggilan dihentikan · stand_down#0");
    await expect(timeline).toContainText("Panggilan dihentikan · stand_down#1");
    await expect(page.getByRole("button", { name: "Saya tangani" })).toHaveCount(0);
    await screenshot(page, "board-incident-taken");

    // A note, then closed with an outcome: the board no longer lists it.
    await page.getByLabel("Catatan", { exact: true }).fill("Api padam, satu gudang rusak.");
    await page.getByRole("button", { name: "Tambah catatan" }).click();
    await expect(timeline).toContainText("Api padam, satu gudang rusak.");
    await page.getByLabel("Nyata tetapi ringan").check();
    await page.getByRole("button", { name: "Tutup kejadian" }).click();
    await expect(page.locator("#status-kejadian")).toHaveText("Selesai");
    await expect(page.getByRole("heading", { name: "Tindakan" })).toHaveCount(0);
    await page.getByRole("link", { name: "← Papan 112" }).click();
    await expect(page.locator(`#daftar-kejadian tr[data-id="${incident}"]`)).toHaveCount(0);
  });
});

test.describe("a call that is not an emergency", () => {
  test.use({ viewport: DESK });

  test("an operator files it as a LAPOR! report, which waits for the admin's verification", async ({ page }) => {
    await signIn(page, "Operator 112");
    await page.getByRole("link", { name: "Catat panggilan 112" }).click();
    const report = page.getByRole("region", { name: "Bukan darurat: laporan LAPOR!" });
    await report.getByLabel("Nomor penelepon").fill("0812 7000 5566");
    await report.getByLabel("Kategori").selectOption({ value: "pju" });
    await report.getByLabel("Judul").fill("Lampu jalan mati sepanjang gang");
    await report.getByLabel("Uraian").fill("Penelepon: sudah seminggu lampu jalan di Gang Sukaasih mati, gelap sekali malam hari.");
    await report.getByLabel("Alamat atau patokan").fill("Gang Sukaasih, dekat masjid");
    await screenshot(page, "board-call-report");
    await expectAccessible(page, "the call forms");
    // The form as the browser sends it, to send it again below (a double submit).
    const sent = await report.locator("form").evaluate((form) => new URLSearchParams(new FormData(form)).toString());
    await report.getByRole("button", { name: "Catat laporan LAPOR!" }).click();
    const filed = page.locator(".notice");
    await expect(filed).toContainText("Laporan LAPOR! BDG-");
    const id = (await filed.locator("strong").textContent()).trim();
    // The same form sent again makes no second report: it answers with the first.
    const again = await page.evaluate(async (body) => {
      const response = await fetch("/konsol/pusat/panggilan/laporan", {
        method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      return response.url;
    }, sent);
    expect(again).toContain(`nomor=${id}`);
    await signOut(page);
    // The admin finds it in the verification queue, from Call Center 112.
    await signIn(page, "Admin verifikasi");
    await page.getByRole("link", { name: id }).click();
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Lampu jalan mati sepanjang gang");
    await expect(page.locator("dl.facts").first()).toContainText("Call Center 112");
  });
});

test.describe("the command centre, while an emergency lasts", () => {
  test.use({ viewport: DESK });

  test("the app's positions draw the incident's track on the open board", async ({ page, request }) => {
    await signIn(page, "Operator 112");
    const pressed = await request.post("/_devstack/panic", {
      data: { action: "press", kind: "medical", lat: -6.9025, lon: 107.6188 },
    });
    // The demo device's earlier press may still be open: this one then joins it.
    expect([200, 201]).toContain(pressed.status());
    const incident = (await pressed.json()).incident_id;
    const row = page.locator(`#daftar-kejadian tr[data-id="${incident}"]`);
    await expect(row).toBeVisible({ timeout: 15_000 });
    for (const [lat, lon] of [[-6.902, 107.6195], [-6.9012, 107.6203]]) {
      const moved = await request.post("/_devstack/panic", {
        data: { action: "position", incident_id: incident, lat, lon },
      });
      expect(moved.status()).toBe(200);
      expect((await moved.json()).tracking).toBe(true);
      // The app sends one every 15 s: the dev clock moves on that far.
      await request.post("/_devstack/clock", { data: { advance_seconds: 16 } });
    }
    // The open board shows the newest position and the track, without a reload.
    await expect(row).toContainText("-6.90120, 107.62030", { timeout: 15_000 });
    await expect(row).toContainText("(2 posisi)");
    await expect(row).toHaveAttribute("data-track", "-6.902,107.6195 -6.9012,107.6203");
    const map = page.getByRole("region", { name: "Peta kejadian terbuka" });
    await expect(map.locator('path[stroke-dasharray="6 4"]')).toHaveCount(1);
    await screenshot(page, "board-track");
    await expectAccessible(page, "the board with a track");
  });
});

test.describe("the command centre without JavaScript, on a phone", () => {
  test.use({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });

  test("the board reloads itself, lists the open incidents, fits the screen, and opens an incident", async ({ page }) => {
    await signIn(page, "Operator 112");
    await expect(page).toHaveURL(/\/konsol\/pusat$/);
    // No script: no polling note, no map, the alert never shown; the page asks the
    // browser to reload it instead.
    await expect(page.getByText("Diperbarui otomatis")).toBeHidden();
    await expect(page.getByRole("region", { name: "Peta kejadian terbuka" })).toBeHidden();
    await expect(page.locator('noscript')).toHaveCount(1);
    expect(await page.locator("head noscript").innerHTML()).toContain('http-equiv="refresh" content="15"');
    // The incident pressed by the test before is listed, with how long ago.
    const row = page.locator("#daftar-kejadian tr[data-id]").first();
    await expect(row.locator(".since")).toHaveText(/lalu$/);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await screenshot(page, "board-phone-nojs");
    // It does reload itself (axe runs on the board in the test with JavaScript).
    await page.waitForEvent("load", { timeout: 20_000 });
    await expect(row.locator(".since")).toHaveText(/lalu$/);
    await row.locator("a").first().click();
    await expect(page.getByRole("heading", { name: "Riwayat" })).toBeVisible();
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    // axe needs a script: it scans both pages in the test with JavaScript.
    await screenshot(page, "board-incident-phone-nojs");
  });

  test("a caller's phone without JavaScript sends an address by the link; an expired link is refused", async ({ page, request, browser }) => {
    await signIn(page, "Operator 112");
    await page.getByRole("link", { name: "Catat panggilan 112" }).click();
    const emergency = page.getByRole("region", { name: "Darurat: buka kejadian" });
    await emergency.getByLabel("Nomor penelepon").fill("0812 7000 3344");
    await emergency.getByLabel("Jenis kejadian").selectOption({ label: "MEDIS" });
    await page.getByRole("button", { name: "Buka kejadian dan panggil responder" }).click();
    const incident = page.url().match(/INC-[0-9A-Z]+/)[0];
    await expect(page.locator("dl.facts").first()).toContainText("Lokasi belum ada");
    await page.getByRole("button", { name: "Kirim tautan lokasi" }).click();
    await expect(page.getByRole("status")).toHaveText(/Tautan lokasi terkirim/);
    const link = await locationLink(request, "081270003344");

    // A phone without JavaScript (or without location) gets the form: an address.
    const phone = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 360, height: 740 } });
    const caller = await phone.newPage();
    await caller.goto(link);
    await expect(caller.getByRole("button", { name: "Kirim lokasi saya" })).toBeHidden();
    expect(await caller.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await screenshot(caller, "location-link-page-nojs");
    await expect(caller.getByText("Tekan tombol di bawah")).toBeHidden();
    await caller.getByLabel("Alamat atau patokan terdekat").fill("Rumah cat hijau, Gang Sukaasih 3 no. 12");
    await caller.getByRole("button", { name: "Kirim alamat" }).click();
    await expect(caller.getByRole("heading", { level: 1 })).toHaveText("Alamat terkirim");
    await screenshot(caller, "location-link-words-nojs");
    await page.reload();
    await expect(page.locator("dl.facts").first()).toContainText("Rumah cat hijau, Gang Sukaasih 3 no. 12");

    // Another link, opened after its 30 minutes: refused, and nothing moves.
    await page.getByRole("button", { name: "Kirim tautan lokasi" }).click();
    const late = await locationLink(request, "081270003344");
    expect(late).not.toBe(link);
    const moved = await request.post("/_devstack/clock", { data: { advance_seconds: 31 * 60 } });
    expect(moved.status()).toBe(200);
    const opened = await caller.goto(late);
    expect(opened.status()).toBe(410);
    await expect(caller.getByRole("heading", { level: 1 })).toHaveText("Tautan tidak berlaku");
    await expect(caller.getByText("Bila masih darurat, telepon 112.")).toBeVisible();
    // And a token nobody was sent is refused the same way.
    const guessed = await caller.goto("/l/0123456789abcdef0123456789abcdef");
    expect(guessed.status()).toBe(410);
    await phone.close();
    await page.goto(`/konsol/pusat/${incident}`);
    await expect(page.locator(".timeline")).not.toContainText("Posisi diterima");
  });
});

test.describe("the admin's and supervisor's screens, at phone width", () => {
  const PHONE = { width: 390, height: 844 };

  test("every screen fits a phone, its menu folds the administration away, and axe passes", async ({ page, request }) => {
    await page.setViewportSize(PHONE);
    const sent = await request.post("/_devstack/sms", {
      data: { from: "081377770003", text: "BDG Trotoar rusak parah di depan sekolah, anak-anak harus turun ke jalan" },
    });
    const id = (await sent.json()).report_id;
    await untilTriaged(request, id);
    const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    await signIn(page, "Admin verifikasi");
    // The bar holds the daily screens; the administration is one menu that opens.
    const bar = page.getByRole("navigation", { name: "Menu konsol" });
    await expect(bar.getByRole("link", { name: "Kalender libur" })).toBeHidden();
    await bar.getByText("Administrasi").click();
    await expect(bar.getByRole("link", { name: "Kalender libur" })).toBeVisible();
    await screenshot(page, "console-phone-menu");
    await expectAccessible(page, "the admin's menu opened at phone width");
    const screens = [
      ["/konsol/antrean", "queue"],
      ["/konsol/ringkasan", "dashboard"],
      ["/konsol/diblokir", "blocked"],
      ["/konsol/templat", "templates"],
      ["/konsol/kalender", "calendar"],
      ["/konsol/katalog", "catalog"],
      ["/konsol/responder", "responders"],
      ["/konsol/kunci-api", "api-keys"],
    ];
    for (const [path, name] of screens) {
      await page.goto(path);
      expect(await fits(), `${path} fits a phone`).toBe(true);
      await screenshot(page, `console-phone-${name}`);
      await expectAccessible(page, `${path} at phone width`);
    }
    await page.goto("/konsol/antrean");
    await page.getByRole("link", { name: id }).click();
    await expect(page.getByRole("heading", { name: "Riwayat" })).toBeVisible();
    expect(await fits(), "a report fits a phone").toBe(true);
    await screenshot(page, "console-phone-report-admin");
    await expectAccessible(page, "a report at phone width, admin");
    await signOut(page);
    // The supervisor's menu has no admin-only entry.
    await signIn(page, "Supervisor kota");
    await bar.getByText("Administrasi").click();
    await expect(bar.getByRole("link", { name: "Kunci API" })).toHaveCount(0);
    await expect(bar.getByRole("link", { name: "Kategori dan instansi" })).toBeVisible();
    await page.goto("/konsol/ringkasan");
    expect(await fits(), "the dashboard fits a phone, supervisor").toBe(true);
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false, viewport: DESK });

  test("signing in, the queue, a report and signing out work by plain links and forms", async ({ page }) => {
    await signIn(page, "Supervisor kota");
    await expect(page).toHaveURL(/\/konsol\/antrean$/);
    await expect(page.locator("#shortcuts")).toBeHidden();
    await page.getByLabel("Kanal").selectOption({ label: "Web dan aplikasi" });
    await page.getByRole("button", { name: "Saring" }).click();
    await expect(page).toHaveURL(/kanal=web/);
    // The report left waiting by the test before is there; a supervisor reads it and
    // is offered no action.
    await page.locator("tbody a").first().click();
    await expect(page.getByRole("heading", { name: "Riwayat" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Verifikasi dan disposisikan" })).toHaveCount(0);
    await screenshot(page, "console-report-supervisor-nojs");
    await signOut(page);

    // An admin writes a template and picks it on a report's form: the button reloads
    // the report with the text in place, to edit before sending.
    await signIn(page, "Admin verifikasi");
    await writeTemplate(page, "Minta foto", "Pertanyaan tunda", "Mohon kirim foto kerusakan untuk laporan {nomor}.");
    // A template without its text is refused with the form kept.
    await page.getByRole("link", { name: "Minta foto" }).click();
    await expect(page.getByRole("heading", { name: "Ubah templat" })).toBeVisible();
    await page.getByLabel("Teks", { exact: true }).fill(" ");
    await page.getByRole("button", { name: "Simpan templat" }).click();
    await expect(page.locator(".problem")).toHaveText("Teks templat wajib diisi, paling panjang 2000 karakter.");
    await expect(page.getByLabel("Judul")).toHaveValue("Minta foto");
    await page.getByRole("link", { name: "Antrean verifikasi" }).click();
    await page.locator("tbody a").first().click();
    const waiting = page.url().split("/").pop();
    const ask = page.getByRole("region", { name: "Tunda: minta informasi" });
    await ask.getByLabel("Templat jawaban").selectOption({ label: "Minta foto" });
    await ask.getByRole("button", { name: "Pakai templat" }).click();
    await expect(page).toHaveURL(/templat=/);
    await expect(page.getByLabel("Pertanyaan untuk pelapor")).toHaveValue(`Mohon kirim foto kerusakan untuk laporan ${waiting}.`);
    await screenshot(page, "console-template-picked-nojs");
    // The administration screens are plain forms too: a year confirmed, a number
    // registered.
    await page.goto("/konsol/kalender/2032");
    await page.getByLabel("Dasar hukum (SKB)").fill("SKB hari libur 2032");
    await page.getByLabel("Alasan perubahan").fill("SKB 2032 terbit");
    await page.getByLabel("Hari libur dan cuti bersama").fill("2032-08-17 | libur | Hari Kemerdekaan RI");
    await page.getByRole("button", { name: "Simpan dan konfirmasi 2032" }).click();
    await expect(page.locator(".notice")).toContainText("Kalender disimpan");
    await expect(page.getByRole("region", { name: "2032", exact: true })).toContainText("17/08/2032");
    await administration(page, "Nomor responder");
    await page.getByLabel("Nomor HP responder").fill("0812-7000-2032");
    await page.getByLabel(/^Unit/).fill("ambulans-kota");
    await page.getByRole("button", { name: "Daftarkan" }).click();
    await expect(page.getByRole("status")).toContainText("terdaftar untuk unit ambulans-kota");
    await screenshot(page, "console-responders-nojs");
    await signOut(page);

    // An agency officer takes a report by the plain form.
    await signIn(page, DSDABM);
    await page.locator("tbody a").first().click();
    const actions = page.getByRole("region", { name: "Tindakan instansi" });
    const take = actions.getByRole("button", { name: /Ambil/ });
    await take.click();
    await expect(page.locator(".notice")).toHaveText("Petugas yang memegang laporan ini diperbarui.");
    await expect(actions).toContainText("Anda memegang laporan ini.");
    await screenshot(page, "console-report-taken-nojs");
    await signOut(page);
  });
});
