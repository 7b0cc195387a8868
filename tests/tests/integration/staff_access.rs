//! Who may do what: the authorization matrix, the privacy rules (responses and logs),
//! and the 409 rule for two people acting on the same report.

use std::sync::Arc;
use std::time::{Duration, Instant};

use imaging::samples::{CAMERA_MODEL, Shot, contains, phone_jpeg, red_left_blue_right};
use serde_json::{Value, json};
use sigap::adapters::reports::ReportStore;
use sigap::domain::report::ReportStatus;
use sigap::domain::tracking_id::TrackingId;
use sigap::runtime::clock::SystemClock;
use sigap::runtime::ids::OsRandom;
use sigap_tests::{HttpReply, captured_logs, console_session, devstack, unique_phone};

use crate::web_intake::valid_body;
use crate::workflow_e2e::call;

/// Submits a report and waits until it is triaged: drives the intake queue itself
/// (when devstack runs without background pollers) and reads the stored status.
pub(crate) async fn triaged(running: &devstack::Running, body: Value) -> (String, String) {
    let created = call(
        "POST",
        &format!("{}/reports", running.base_url),
        None,
        None,
        Some(body),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.json);
    let id = created.json["tracking_id"].as_str().unwrap().to_string();
    let source = running
        .queue_sources
        .iter()
        .find(|s| s.url.contains("IntakeQueue"))
        .unwrap();
    let clients = sigap_tests::clients().await;
    let store = ReportStore::new(
        clients.dynamodb.clone(),
        running.stack.table_name().unwrap(),
    );
    let tracking = TrackingId::parse(&id).unwrap();
    let started = Instant::now();
    loop {
        let status = store.get(&tracking).await.unwrap().unwrap().status;
        if status != ReportStatus::Received {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{id} never triaged"
        );
        devstack::sources::poll_once(&clients.sqs, source, "ap-southeast-3", 1).await;
    }
    (
        id,
        created.json["reporter_token"].as_str().unwrap().to_string(),
    )
}

/// Submits a report, triages it and has an admin dispatch it to `dsdabm`: verified,
/// so its text is public.
pub(crate) async fn published(running: &devstack::Running, body: Value) -> (String, String) {
    let (id, token) = triaged(running, body).await;
    dispatch_to_dsdabm(running, &id).await;
    (id, token)
}

/// An admin dispatches report `id` to `dsdabm`.
async fn dispatch_to_dsdabm(running: &devstack::Running, id: &str) {
    let admin = running.token("admin-dispatch", &["admin"]);
    let dispatched = call(
        "POST",
        &format!("{}/staff/reports/{id}/dispatch", running.base_url),
        Some(&admin),
        None,
        Some(json!({"agencies": ["dsdabm"]})),
    )
    .await;
    assert_eq!(dispatched.status, 200, "{}", dispatched.json);
}

/// What a matrix row sends.
#[derive(Clone)]
enum Payload {
    Empty,
    Json(Value),
    Form(String),
}

/// One principal of the matrix: a staff token (and the same role's console session
/// with its CSRF token), a reporter token, or neither.
struct Principal {
    name: &'static str,
    staff: Option<String>,
    reporter: Option<String>,
    console: Option<(String, String)>,
}

/// Sends `payload` as `who`.
async fn send_as(who: &Principal, method: &str, url: &str, payload: &Payload) -> HttpReply {
    if url.contains("/konsol") {
        // The console's caller is its session cookie, and its forms carry the token.
        let (cookie, csrf) = who
            .console
            .as_ref()
            .map(|(token, csrf)| (format!("sesi={token}"), csrf.as_str()))
            .unwrap_or_default();
        let body = match payload {
            Payload::Form(f) => Some(f.replace("{csrf}", csrf)),
            _ => None,
        };
        let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
        if !cookie.is_empty() {
            headers.push(("cookie", cookie.as_str()));
        }
        return sigap_tests::http(method, url, &headers, body.as_deref()).await;
    }
    let bearer = who.staff.as_ref().map(|t| format!("Bearer {t}"));
    let (content_type, body) = match payload {
        Payload::Empty => ("application/json", None),
        Payload::Json(v) => ("application/json", Some(v.to_string())),
        Payload::Form(f) => ("application/x-www-form-urlencoded", Some(f.clone())),
    };
    let mut headers = vec![("content-type", content_type)];
    if let Some(b) = &bearer {
        headers.push(("authorization", b.as_str()));
    }
    // The API takes the reporter's token as a header, the pages as their cookie.
    let cookie = who.reporter.as_ref().map(|r| format!("pelapor={r}"));
    if let (Some(r), Some(c)) = (&who.reporter, &cookie) {
        headers.push(("x-reporter-token", r.as_str()));
        headers.push(("cookie", c.as_str()));
    }
    sigap_tests::http(method, url, &headers, body.as_deref()).await
}

/// An error body of either documented shape: Sigap's `{"error":{…}}` (or the
/// gateway's `{"message"}`), or Open311's list of `{"code","description"}`.
fn is_error_body(json: &Value) -> bool {
    json.get("error").is_some()
        || json.get("message").is_some()
        || json[0].get("description").is_some()
}

/// The pages' error shape: an HTML page with a heading saying what went wrong.
fn is_error_page(reply: &HttpReply) -> bool {
    reply
        .headers
        .get("content-type")
        .is_some_and(|t| t.to_str().unwrap_or_default().starts_with("text/html"))
        && reply.text.contains("<h1>")
}

/// Every route the template declares, for every principal: anonymous, the reporter of
/// the report and of another one, admin, supervisor, agency A (the report's), agency B,
/// operator and responder. Callers with a wrong webhook or device signature and expired
/// or forged JWTs are the rows of `every_route_refuses_…` below, route by route.
#[tokio::test]
async fn every_route_for_every_principal() {
    let running = devstack("authz", Arc::new(SystemClock), Arc::new(OsRandom), false).await;
    let base = running.base_url.clone();
    let acted_on = what_the_rows_act_on(&running).await;
    let principals = principals(&running, &acted_on);
    let matrix = matrix(&base, &acted_on);
    each_row_answers_as_the_table_says(&principals, &matrix).await;
    every_template_route_has_a_row(&base, &matrix);
    let staff = |p: &str| format!("{base}/staff/{p}");
    let id = &acted_on.id;
    // Agency B never sees agency A's reports, not even in its inbox.
    let inbox_b = send_as(&principals[6], "GET", &staff("inbox"), &Payload::Empty).await;
    assert!(!inbox_b.json.to_string().contains(id.as_str()));
    running.shutdown();
}

/// What the matrix's rows act on, made before it runs.
struct ActedOn {
    /// Report R (the reporter's), dispatched to agency A.
    id: String,
    /// R's reporter token.
    mine: String,
    /// Another report, also dispatched to agency A.
    other_id: String,
    /// Its reporter token.
    other: String,
    /// An admin's token.
    admin: String,
    /// An operator's token.
    operator: String,
    /// An incident from a 112 call.
    incident: String,
    /// Another, which the board's forms take and close.
    boarded: String,
    /// An enrolled panic device.
    device: String,
    /// Two Open311 keys (id, key): one to use, one to revoke.
    keys: Vec<(String, String)>,
    /// A blocked SMS sender (to unblock).
    sender: String,
}

/// Two triaged reports dispatched to agency A, and the rest of [`ActedOn`].
async fn what_the_rows_act_on(running: &devstack::Running) -> ActedOn {
    let base = running.base_url.clone();
    let (id, mine) = triaged(running, valid_body()).await;
    let (other_id, other) = triaged(
        running,
        json!({
            "title": "Lampu jalan mati", "description": "PJU mati di Jalan Braga sejak kemarin.",
            "category": "pju", "location": {"address": "Jl. Braga"}
        }),
    )
    .await;
    let admin = running.token("admin-1", &["admin"]);
    for report in [&id, &other_id] {
        dispatch_to_dsdabm(running, report).await;
    }
    let operator = running.token("op-1", &["operator"]);
    // An incident from a 112 call, an enrolled device, two Open311 keys (one to use,
    // one to revoke) and a blocked number (to unblock): what the rows act on.
    let incident = call(
        "POST",
        &format!("{base}/staff/incidents"),
        Some(&operator),
        None,
        Some(json!({"kind": "medical", "location_text": "Jl. Asia Afrika"})),
    )
    .await;
    assert_eq!(incident.status, 201, "{}", incident.json);
    let incident = incident.json["id"].as_str().unwrap().to_string();
    // Another, for the board's forms to take and close.
    let boarded = call(
        "POST",
        &format!("{base}/staff/incidents"),
        Some(&operator),
        None,
        Some(json!({"kind": "fire", "location_text": "Jl. Braga"})),
    )
    .await;
    assert_eq!(boarded.status, 201, "{}", boarded.json);
    let boarded = boarded.json["id"].as_str().unwrap().to_string();
    let device = format!("a7e4a{:027x}", std::process::id());
    sigap_tests::enrolled_device(running, &device).await;
    let mut keys = Vec::new();
    for name in ["Aplikasi Warga", "Aplikasi Lama"] {
        let issued = call(
            "POST",
            &format!("{base}/staff/open311/keys"),
            Some(&admin),
            None,
            Some(json!({ "name": name })),
        )
        .await;
        assert_eq!(issued.status, 201, "{}", issued.json);
        keys.push((
            issued.json["id"].to_string(),
            issued.json["api_key"].to_string(),
        ));
    }
    let keys: Vec<(String, String)> = keys
        .into_iter()
        .map(|(i, k)| (i.trim_matches('"').into(), k.trim_matches('"').into()))
        .collect();
    let blocked = call(
        "POST",
        &format!("{base}/staff/blocked-senders"),
        Some(&admin),
        None,
        Some(json!({"phone": unique_phone(), "reason": "spam", "days": 1})),
    )
    .await;
    assert!(blocked.status < 300, "{}", blocked.json);
    let sender = blocked.json["sender"].as_str().unwrap().to_string();

    ActedOn {
        id,
        mine,
        other_id,
        other,
        admin,
        operator,
        incident,
        boarded,
        device,
        keys,
        sender,
    }
}

/// The matrix's columns: anonymous, reporter, other reporter, admin, supervisor,
/// agency A, agency B, operator, responder.
fn principals(running: &devstack::Running, acted_on: &ActedOn) -> [Principal; 9] {
    let ActedOn {
        mine,
        other,
        admin,
        operator,
        ..
    } = acted_on;
    [
        ("anonymous", None, None, None),
        ("reporter", None, Some(mine.clone()), None),
        ("other reporter", None, Some(other.clone()), None),
        ("admin", Some(admin.clone()), None, Some("admin")),
        (
            "supervisor",
            Some(running.token("sup-1", &["supervisor"])),
            None,
            Some("supervisor"),
        ),
        (
            "agency A",
            Some(running.token("a-1", &["agency:dsdabm"])),
            None,
            Some("agency:dsdabm"),
        ),
        (
            "agency B",
            Some(running.token("b-1", &["agency:dlh"])),
            None,
            Some("agency:dlh"),
        ),
        ("operator", Some(operator.clone()), None, Some("operator")),
        (
            "responder",
            Some(running.token("r-1", &["responder:polsek-coblong"])),
            None,
            Some("responder:polsek-coblong"),
        ),
    ]
    .map(|(name, staff, reporter, group)| Principal {
        name,
        staff,
        reporter,
        console: group.map(|g| console_session(g, jiff::Timestamp::now())),
    })
}

// Columns: anonymous, reporter, other reporter, admin, supervisor, agency A,
// agency B, operator, responder. Rows run in order, each principal in that order,
// so the state they act on is known: R is dispatched to agency A (admin-only moves
// on it are 409), the incident is triggered until the responder acknowledges it.
type Row = [u16; 9];
const ADMIN_ONLY_409: Row = [401, 401, 401, 409, 403, 403, 404, 404, 404];
const ADMIN_ONLY_200: Row = [401, 401, 401, 200, 403, 403, 404, 404, 404];
const AGENCY_A_200: Row = [401, 401, 401, 403, 403, 200, 404, 404, 404];
const REPORTER: fn(u16) -> Row = |own| [401, own, 403, 401, 401, 401, 401, 401, 401];
const ADMIN: fn(u16) -> Row = |ok| [401, 401, 401, ok, 403, 403, 403, 403, 403];
const ADMIN_OR_SUPERVISOR: Row = [401, 401, 401, 200, 200, 403, 403, 403, 403];
const OPERATOR: fn(u16) -> Row = |ok| [401, 401, 401, 403, 403, 403, 403, ok, 403];
const RESPONDER_200: Row = [401, 401, 401, 403, 403, 403, 403, 403, 200];
const DESK_200: Row = [401, 401, 401, 403, 403, 403, 403, 200, 200];
const DESK_READ_200: Row = [401, 401, 401, 200, 200, 403, 403, 200, 200];
// Device routes need the device's signature, which no principal holds.
const DEVICE_ONLY: Row = [403; 9];
/// A console screen: no session (anonymous and the reporters) is 303 to the sign-in
/// page; `staff` are admin, supervisor, agency A, agency B, operator, responder.
const CONSOLE: fn([u16; 6]) -> Row = |staff| {
    let mut row = [303; 9];
    row[3..].copy_from_slice(&staff);
    row
};

/// Every route, and what each principal gets.
fn matrix(base: &str, acted_on: &ActedOn) -> Vec<(&'static str, String, Payload, Row)> {
    let ActedOn {
        id,
        other_id,
        incident,
        boarded,
        device,
        keys,
        sender,
        ..
    } = acted_on;
    let staff = |p: &str| format!("{base}/staff/{p}");
    let report = |p: &str| format!("{base}/staff/reports/{id}{p}");
    let citizen = |p: &str| format!("{base}/reports/{id}/{p}");
    let incident_url = |p: &str| format!("{base}/staff/incidents/{incident}{p}");
    let open311 = |p: &str| format!("{base}/open311/v2/{p}");
    let console = |p: &str| format!("{base}/konsol{p}");
    let json = |v: Value| Payload::Json(v);
    use Payload::{Empty, Form};
    let open311_form = |key: &str| {
        Form(
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("api_key", key),
                    ("service_code", "pju"),
                    ("address_string", "Jl. Riau depan taman"),
                    ("description", "Lampu taman mati sejak minggu lalu."),
                ])
                .finish(),
        )
    };
    vec![
        // LAPOR!: the back office.
        ("GET", staff("queue"), Empty, ADMIN_OR_SUPERVISOR),
        (
            "GET",
            staff("inbox"),
            Empty,
            [401, 401, 401, 403, 403, 200, 200, 403, 403],
        ),
        ("GET", staff("summary"), Empty, ADMIN_OR_SUPERVISOR),
        (
            "GET",
            report(""),
            Empty,
            [401, 401, 401, 200, 200, 200, 404, 404, 404],
        ),
        (
            "POST",
            report("/dispatch"),
            json(json!({"agencies": ["dlh"]})),
            ADMIN_ONLY_409,
        ),
        (
            "POST",
            report("/request-info"),
            json(json!({"question": "?"})),
            ADMIN_ONLY_409,
        ),
        (
            "POST",
            report("/archive"),
            json(json!({"reason": "spam"})),
            ADMIN_ONLY_409,
        ),
        (
            "POST",
            report("/merge"),
            json(json!({"into": other_id})),
            ADMIN_ONLY_409,
        ),
        (
            "POST",
            report("/redact"),
            json(json!({"description": "Lubang besar di depan sekolah."})),
            ADMIN_ONLY_200,
        ),
        (
            "POST",
            report("/notes"),
            json(json!({"text": "Survei besok"})),
            AGENCY_A_200,
        ),
        // The staff console: the same rules as the API through its session cookie
        // (each principal's console session, `{csrf}` its form token). Without a
        // session every screen is the way to the sign-in page (303).
        (
            "GET",
            console(""),
            Empty,
            CONSOLE([303, 303, 303, 303, 303, 303]),
        ),
        // The command centre's board, and its list alone: whoever reads incidents.
        (
            "GET",
            console("/pusat"),
            Empty,
            CONSOLE([200, 200, 403, 403, 200, 200]),
        ),
        (
            "GET",
            console("/pusat?bagian=daftar"),
            Empty,
            CONSOLE([200, 200, 403, 403, 200, 200]),
        ),
        // One incident (the 112 call): whoever reads incidents; an unknown code is
        // not found. Only operators and admins are shown the number to call back.
        (
            "GET",
            console(&format!("/pusat/{incident}")),
            Empty,
            CONSOLE([200, 200, 403, 403, 200, 200]),
        ),
        (
            "GET",
            console("/pusat/INC-ZZZZZZ"),
            Empty,
            CONSOLE([404, 404, 403, 403, 404, 404]),
        ),
        // The board's forms, the JSON API's rules: an operator records a call; an
        // operator or a responder notes; only a responder takes an incident (which
        // stands down the tiers paged); closing a closed incident changes nothing
        // (a retried form) and shows it as it is.
        (
            "GET",
            console("/pusat/panggilan"),
            Empty,
            CONSOLE([403, 403, 403, 403, 200, 403]),
        ),
        (
            "POST",
            console("/pusat/panggilan"),
            Form("csrf={csrf}&jenis=fire&alamat=Jl.+Braga+No.+1".into()),
            CONSOLE([403, 403, 403, 403, 303, 403]),
        ),
        // A non-emergency call, filed as a LAPOR! report: operators only.
        (
            "POST",
            console("/pusat/panggilan/laporan"),
            Form("csrf={csrf}&kunci=matriks&kategori=pju&judul=Lampu+jalan+mati&uraian=Lampu+jalan+di+gang+mati+sejak+seminggu&alamat=Gang+Sukaasih+dekat+masjid&penelepon=081270007788".into()),
            CONSOLE([403, 403, 403, 403, 303, 403]),
        ),
        (
            "POST",
            console(&format!("/pusat/{boarded}/catatan")),
            Form("csrf={csrf}&catatan=Unit+berangkat".into()),
            CONSOLE([403, 403, 403, 403, 303, 303]),
        ),
        (
            "POST",
            console(&format!("/pusat/{boarded}/tangani")),
            Form("csrf={csrf}".into()),
            CONSOLE([403, 403, 403, 403, 403, 303]),
        ),
        (
            "POST",
            console(&format!("/pusat/{boarded}/tutup")),
            Form("csrf={csrf}&hasil=minor".into()),
            CONSOLE([403, 403, 403, 403, 303, 303]),
        ),
        (
            "POST",
            console(&format!("/pusat/{boarded}/teleport")),
            Form("csrf={csrf}".into()),
            CONSOLE([404, 404, 404, 404, 404, 404]),
        ),
        ("GET", console("/masuk"), Empty, [200; 9]),
        ("GET", console("/keluar"), Empty, [200; 9]),
        // The hosted sign-in's callback: not found where the console signs in
        // otherwise (here, the development sign-in).
        (
            "GET",
            console("/kembali?code=c&state=s"),
            Empty,
            [404; 9],
        ),
        (
            "GET",
            console("/antrean"),
            Empty,
            CONSOLE([200, 200, 403, 403, 403, 403]),
        ),
        (
            "GET",
            console("/kotak-masuk"),
            Empty,
            CONSOLE([403, 403, 200, 200, 403, 403]),
        ),
        (
            "GET",
            console(&format!("/laporan/{id}")),
            Empty,
            CONSOLE([200, 200, 200, 404, 404, 404]),
        ),
        (
            "POST",
            console(&format!("/laporan/{id}/notes")),
            Form("csrf={csrf}&teks=Survei+dari+konsol".into()),
            CONSOLE([403, 403, 303, 404, 404, 404]),
        ),
        // The place an admin sets (the API's `location`), and the block of the
        // number the report came from (admins only).
        (
            "POST",
            console(&format!("/laporan/{id}/location")),
            Form("csrf={csrf}&alamat=Jl.+Ir.+H.+Juanda+dekat+sekolah&kecamatan=Coblong&lintang=-6.885&bujur=107.613".into()),
            CONSOLE([303, 403, 403, 404, 404, 404]),
        ),
        (
            "POST",
            console(&format!("/laporan/{id}/blokir")),
            Form("csrf={csrf}&alasan=spam&hari=1".into()),
            CONSOLE([303, 403, 403, 403, 403, 403]),
        ),
        // The upload form: the API's photo slot, for the agency's proof or the
        // admin's evidence.
        (
            "POST",
            console(&format!("/laporan/{id}/foto")),
            Form("csrf={csrf}".into()),
            CONSOLE([200, 403, 200, 404, 403, 403]),
        ),
        // The holiday calendar: admins and supervisors read it, admins change a year
        // (here on a revision long gone: the admin reaches the sequence and is told
        // another admin changed it first).
        (
            "GET",
            console("/kalender"),
            Empty,
            CONSOLE([200, 200, 403, 403, 403, 403]),
        ),
        (
            "GET",
            console("/kalender/2031"),
            Empty,
            CONSOLE([200, 403, 403, 403, 403, 403]),
        ),
        (
            "POST",
            console("/kalender/2031"),
            Form("csrf={csrf}&revisi=999&sumber=SKB+2031&alasan=Uji&hari=2031-08-18+%7C+libur+%7C+Kemerdekaan".into()),
            CONSOLE([409, 403, 403, 403, 403, 403]),
        ),
        // Categories and agencies: admins and supervisors read them, admins change
        // them (here a change on a version long gone: told another admin was first).
        (
            "GET",
            console("/katalog"),
            Empty,
            CONSOLE([200, 200, 403, 403, 403, 403]),
        ),
        (
            "GET",
            console("/katalog/kategori/pju"),
            Empty,
            CONSOLE([200, 403, 403, 403, 403, 403]),
        ),
        (
            "POST",
            console("/katalog/kategori/pju"),
            Form("csrf={csrf}&versi=99&nama=Lampu+jalan&kelompok=Infrastruktur&instansi=dishub".into()),
            CONSOLE([409, 403, 403, 403, 403, 403]),
        ),
        (
            "GET",
            console("/katalog/instansi/dlh"),
            Empty,
            CONSOLE([200, 403, 403, 403, 403, 403]),
        ),
        (
            "POST",
            console("/katalog/instansi/dlh"),
            Form("csrf={csrf}&versi=99&nama=Dinas+Lingkungan+Hidup&jenis=dinas".into()),
            CONSOLE([409, 403, 403, 403, 403, 403]),
        ),
        // Responders' SMS numbers: admins and supervisors read the list, admins
        // register (a number's unit, the same each time) and forget (an unknown
        // number is not found).
        (
            "GET",
            console("/responder"),
            Empty,
            CONSOLE([200, 200, 403, 403, 403, 403]),
        ),
        (
            "POST",
            console("/responder"),
            Form("csrf={csrf}&nomor=0812-7000-1708&unit=damkar-karees".into()),
            CONSOLE([200, 403, 403, 403, 403, 403]),
        ),
        (
            "POST",
            console(&format!("/responder/{}/hapus", "0".repeat(64))),
            Form("csrf={csrf}".into()),
            CONSOLE([404, 403, 403, 403, 403, 403]),
        ),
        // Open311 API keys: admins only (an unknown key is not found).
        (
            "GET",
            console("/kunci-api"),
            Empty,
            CONSOLE([200, 403, 403, 403, 403, 403]),
        ),
        (
            "POST",
            console("/kunci-api"),
            Form("csrf={csrf}&nama=Aplikasi+matriks".into()),
            CONSOLE([200, 403, 403, 403, 403, 403]),
        ),
        (
            "POST",
            console("/kunci-api/nokey/cabut"),
            Form("csrf={csrf}".into()),
            CONSOLE([404, 403, 403, 403, 403, 403]),
        ),
        // Response templates: admins keep the list.
        (
            "GET",
            console("/templat"),
            Empty,
            CONSOLE([200, 403, 403, 403, 403, 403]),
        ),
        (
            "POST",
            console("/templat"),
            Form("csrf={csrf}&judul=Cek+lokasi&teks=Mohon+dicek+hari+ini.&untuk=dispatch".into()),
            CONSOLE([303, 403, 403, 403, 403, 403]),
        ),
        // The city's figures and their CSV: admins and supervisors.
        (
            "GET",
            console("/ringkasan"),
            Empty,
            CONSOLE([200, 200, 403, 403, 403, 403]),
        ),
        (
            "GET",
            console("/ekspor/laporan-terbuka.csv"),
            Empty,
            CONSOLE([200, 200, 403, 403, 403, 403]),
        ),
        (
            "GET",
            console("/ekspor/angka.csv"),
            Empty,
            CONSOLE([200, 200, 403, 403, 403, 403]),
        ),
        (
            "GET",
            console("/ekspor/semua.xlsx"),
            Empty,
            CONSOLE([404, 404, 403, 403, 403, 403]),
        ),
        // The numbers blocked from 1708: admins and supervisors read, admins lift
        // (the matrix's blocked sender).
        (
            "GET",
            console("/diblokir"),
            Empty,
            CONSOLE([200, 200, 403, 403, 403, 403]),
        ),
        (
            "POST",
            console(&format!("/diblokir/{sender}/buka")),
            Form("csrf={csrf}".into()),
            CONSOLE([303, 403, 403, 403, 403, 403]),
        ),
        ("GET", console("/aset/console.0.css"), Empty, [404; 9]),
        (
            "POST",
            console("/keluar"),
            Form("csrf={csrf}".into()),
            [303; 9],
        ),
        ("POST", report("/acknowledge"), Empty, AGENCY_A_200),
        (
            "POST",
            report("/follow-up"),
            json(json!({"text": "Sudah ditambal"})),
            AGENCY_A_200,
        ),
        (
            "POST",
            report("/teleport"),
            Empty,
            [401, 401, 401, 404, 404, 404, 404, 404, 404],
        ),
        // Agency A returns the other report (bukan wewenang): only agency A may.
        (
            "POST",
            format!("{base}/staff/reports/{other_id}/return"),
            json(json!({"reason": "Bukan wewenang kami"})),
            AGENCY_A_200,
        ),
        // LAPOR!: citizens, once the agency has published its follow-up.
        ("GET", format!("{base}/categories"), Empty, [200; 9]),
        // Submitting is open to everyone; a token neither helps nor hurts.
        (
            "POST",
            format!("{base}/reports"),
            json(valid_body()),
            [201; 9],
        ),
        ("GET", format!("{base}/reports/{id}"), Empty, [200; 9]),
        // The citizen pages: public to all; a form sent again by anyone from the
        // same address is the same report (its key), so every principal lands on
        // one receipt; the reporter's forms need the reporter's cookie.
        ("GET", format!("{base}/"), Empty, [200; 9]),
        ("GET", format!("{base}/lapor"), Empty, [200; 9]),
        ("GET", format!("{base}/lacak"), Empty, [200; 9]),
        (
            "GET",
            format!("{base}/sekitar?status=terbuka"),
            Empty,
            [200; 9],
        ),
        ("GET", format!("{base}/laporan/{id}"), Empty, [200; 9]),
        ("GET", format!("{base}/instansi"), Empty, [200; 9]),
        ("GET", format!("{base}/instansi/dsdabm"), Empty, [200; 9]),
        ("GET", format!("{base}/instansi/nobody"), Empty, [404; 9]),
        ("GET", format!("{base}/assets/app.0.css"), Empty, [404; 9]),
        // The development sign-in is open to anyone where it exists (locally).
        (
            "POST",
            console("/masuk"),
            Form("peran=supervisor".into()),
            [303; 9],
        ),
        (
            "POST",
            format!("{base}/lapor"),
            Form(
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs([
                        ("kunci", "matrixform1"),
                        ("category", "pju"),
                        ("title", "Lampu taman mati (formulir)"),
                        ("description", "Lampu taman mati sejak minggu lalu."),
                        ("address", "Jl. Riau depan taman"),
                    ])
                    .finish(),
            ),
            [303; 9],
        ),
        (
            "POST",
            format!("{base}/laporan/{id}/reply"),
            Form("text=Terima+kasih+dari+halaman".into()),
            REPORTER(303),
        ),
        (
            "POST",
            citizen("rating"),
            json(json!({"score": 5})),
            REPORTER(200),
        ),
        (
            "POST",
            citizen("reply"),
            json(json!({"text": "Terima kasih"})),
            REPORTER(200),
        ),
        (
            "POST",
            citizen("info"),
            json(json!({"text": "Foto menyusul"})),
            REPORTER(200),
        ),
        (
            "POST",
            citizen("dispute"),
            json(json!({"reason": "Masih berlubang"})),
            REPORTER(200),
        ),
        // Photos: the reporter's slot and list; a slot from staff is an agency's
        // proof or an admin's evidence on the reporter's behalf.
        ("POST", citizen("photos"), Empty, REPORTER(201)),
        ("GET", citizen("photos"), Empty, REPORTER(200)),
        (
            "POST",
            report("/photos"),
            Empty,
            [401, 401, 401, 201, 403, 201, 404, 403, 403],
        ),
        ("POST", citizen("accept"), Empty, REPORTER(409)),
        // A 112 call that is a complaint, not an emergency: operators only.
        (
            "POST",
            staff("calls/report"),
            json(valid_body()),
            OPERATOR(201),
        ),
        // LAPOR!: administration.
        ("GET", staff("calendar"), Empty, ADMIN_OR_SUPERVISOR),
        (
            "PUT",
            staff("calendar/years/2031"),
            json(json!({"source": "SKB uji", "days": [], "reason": "uji matriks"})),
            ADMIN(200),
        ),
        ("GET", staff("open311/keys"), Empty, ADMIN(200)),
        (
            "POST",
            staff("open311/keys"),
            json(json!({"name": "Aplikasi Mitra"})),
            ADMIN(201),
        ),
        (
            "DELETE",
            staff(&format!("open311/keys/{}", keys[1].0)),
            Empty,
            ADMIN(200),
        ),
        ("GET", staff("blocked-senders"), Empty, ADMIN_OR_SUPERVISOR),
        (
            "POST",
            staff("blocked-senders"),
            json(json!({"phone": unique_phone(), "reason": "spam", "days": 1})),
            ADMIN(200),
        ),
        (
            "DELETE",
            staff(&format!("blocked-senders/{sender}")),
            Empty,
            ADMIN(200),
        ),
        // Open311: public reads; a write needs an API key, whoever sends it.
        ("GET", open311("discovery.json"), Empty, [200; 9]),
        ("GET", open311("services.json"), Empty, [200; 9]),
        ("GET", open311("services/pju.json"), Empty, [200; 9]),
        ("GET", open311("requests.json"), Empty, [200; 9]),
        (
            "GET",
            open311(&format!("requests/{id}.json")),
            Empty,
            [200; 9],
        ),
        ("POST", open311("requests.json"), open311_form(""), [403; 9]),
        (
            "POST",
            open311("requests.json"),
            open311_form(&keys[1].1),
            [403; 9],
        ),
        (
            "POST",
            open311("requests.json"),
            open311_form(&keys[0].1),
            [201; 9],
        ),
        // SMS and social webhooks: a staff token is no signature.
        (
            "POST",
            format!("{base}/sms/twilio"),
            Form("MessageSid=SM1&From=%2B6281234567890&Body=BDG+uji".into()),
            [403; 9],
        ),
        (
            "POST",
            format!("{base}/sms/gateway"),
            json(json!({"message_id": "m1", "from": "081234567890", "text": "BDG uji"})),
            [403; 9],
        ),
        // X is off in devstack: both its routes answer 404 before any check.
        (
            "GET",
            format!("{base}/social/x?crc_token=x"),
            Empty,
            [404; 9],
        ),
        (
            "POST",
            format!("{base}/social/x"),
            json(json!({})),
            [404; 9],
        ),
        // WhatsApp (on in devstack, against its fake Graph API): a staff token is no
        // verify token and no signature.
        (
            "GET",
            format!("{base}/whatsapp?hub.mode=subscribe&hub.challenge=1&hub.verify_token=x"),
            Empty,
            [403; 9],
        ),
        (
            "POST",
            format!("{base}/whatsapp"),
            json(json!({"object": "whatsapp_business_account", "entry": []})),
            [403; 9],
        ),
        // Panic Button: devices, and the incident desk.
        (
            "PUT",
            format!("{base}/panic/devices/{device}/settings"),
            json(json!({})),
            DEVICE_ONLY,
        ),
        (
            "POST",
            format!("{base}/panic/press"),
            json(json!({})),
            DEVICE_ONLY,
        ),
        (
            "POST",
            format!("{base}/panic/incidents/{incident}/cancel"),
            json(json!({})),
            DEVICE_ONLY,
        ),
        (
            "POST",
            format!("{base}/panic/incidents/{incident}/position"),
            json(json!({"lat": -6.9, "lon": 107.6})),
            DEVICE_ONLY,
        ),
        ("GET", staff("incidents"), Empty, DESK_READ_200),
        ("GET", incident_url(""), Empty, DESK_READ_200),
        (
            "POST",
            staff("incidents"),
            json(json!({"kind": "fire", "location_text": "Pasar Baru"})),
            OPERATOR(201),
        ),
        (
            "POST",
            incident_url("/note"),
            json(json!({"note": "Ambulans berangkat"})),
            DESK_200,
        ),
        (
            "POST",
            incident_url("/update"),
            json(json!({"location_text": "Depan Gedung Merdeka"})),
            OPERATOR(200),
        ),
        ("POST", incident_url("/ack"), Empty, RESPONDER_200),
        (
            "POST",
            incident_url("/resolve"),
            json(json!({"outcome": "founded"})),
            DESK_200,
        ),
        (
            "POST",
            incident_url("/teleport"),
            Empty,
            [401, 401, 401, 404, 404, 404, 404, 404, 404],
        ),
        (
            "POST",
            staff(&format!("devices/{device}/block")),
            json(json!({"reason": "Ditekan iseng", "days": 1})),
            ADMIN(200),
        ),
        (
            "POST",
            staff(&format!("devices/{device}/unblock")),
            Empty,
            ADMIN(200),
        ),
    ]
}

/// Rows run in order, each principal in that order, so the state they act on is
/// known; every refusal has an error body.
async fn each_row_answers_as_the_table_says(
    principals: &[Principal],
    matrix: &[(&'static str, String, Payload, Row)],
) {
    let mut failures = Vec::new();
    for (method, url, payload, expected) in matrix {
        for (who, want) in principals.iter().zip(expected) {
            let got = send_as(who, method, url, payload).await;
            if got.status != *want {
                failures.push(format!(
                    "{method} {url} as {}: want {want}, got {} {}",
                    who.name, got.status, got.json
                ));
            }
            if got.status >= 400 && !is_error_body(&got.json) && !is_error_page(&got) {
                failures.push(format!(
                    "{method} {url} as {}: {} without an error body: {}",
                    who.name, got.status, got.json
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!(
        "authz matrix: {} rows x {} principals = {} requests, each answered as the table says",
        matrix.len(),
        principals.len(),
        matrix.len() * principals.len()
    );
}

/// Every route the template declares has a row, so a new route needs one.
fn every_template_route_has_a_row(base: &str, matrix: &[(&'static str, String, Payload, Row)]) {
    let template = devstack::template::Template::parse(&sigap_tests::template_text()).unwrap();
    let mut missing = Vec::new();
    for (method, path, _) in template.http_routes() {
        let covered = matrix.iter().any(|(m, url, _, _)| {
            let url_path = url[base.len()..].split('?').next().unwrap_or_default();
            m.eq_ignore_ascii_case(method) && devstack::server::match_path(path, url_path).is_some()
        });
        if !covered && !ENROLMENT_AND_LINKS.contains(&format!("{method} {path}").as_str()) {
            missing.push(format!("{method} {path}"));
        }
    }
    assert!(missing.is_empty(), "routes without a row: {missing:?}");
}

/// Routes whose caller holds no principal's credentials at all: a device enrolling
/// (its phone and one-time code are the proof), a responder's signed SMS link and a
/// caller's location link (the token in the path). Their own tests cover them
/// (`panic_paging`, the browser's command centre), and `every_route_refuses_…`
/// checks that forgeries are refused.
const ENROLMENT_AND_LINKS: [&str; 6] = [
    "POST /panic/devices",
    "POST /panic/devices/{id}/verify",
    "GET /a/{id}/{token}",
    "POST /a/{id}/{token}",
    "GET /l/{token}",
    "POST /l/{token}",
];

/// A WhatsApp text from `phone` to devstack's `/whatsapp`, signed as Meta signs it.
async fn whatsapp_text(base: &str, phone: &str, text: &str) -> HttpReply {
    use crate::whatsapp::{message, meta_signature, notification};
    let id = format!("wamid.privacy{}", unique_phone());
    let body = notification(message(phone, &id, "text", json!({ "body": text })));
    let secret = devstack::provision::dev_secret("/sigap/whatsapp-app-secret");
    let signature = meta_signature(&secret, body.as_bytes());
    let headers = [
        ("content-type", "application/json"),
        ("x-hub-signature-256", signature.as_str()),
    ];
    sigap_tests::http("POST", &format!("{base}/whatsapp"), &headers, Some(&body)).await
}

#[tokio::test]
async fn identities_of_anonymous_and_confidential_reporters_stay_hidden() {
    captured_logs();
    let running = devstack("privacy", Arc::new(SystemClock), Arc::new(OsRandom), true).await;
    let base = running.base_url.clone();
    let admin = running.token("admin-1", &["admin"]);
    let supervisor = running.token("sup-1", &["supervisor"]);
    let agency = running.token("a-1", &["agency:dsdabm"]);
    // What agencies (and admins) are sent: everything on the staff topic.
    let clients = sigap_tests::clients().await;
    let to_staff =
        sigap_tests::subscriber(&clients, &running.stack.topics["StaffTopic"], None).await;
    let mut identities = Vec::new();
    let mut reports = Vec::new();
    for (flag, name) in [
        ("anonymous", "Wulan Anonimawati"),
        ("confidential", "Raden Rahasiawan"),
    ] {
        let phone = unique_phone();
        let digits: String = phone.chars().skip(1).collect();
        // The same person reported something else under their name first: triage
        // links the two as the same sender.
        let mut named = valid_body();
        named["anonymous"] = json!(false);
        named["title"] = json!("Sampah menumpuk di Jalan Dago");
        named["contact"] = json!({"name": "Pelapor Bernama", "phone": phone});
        let (named_id, _) = triaged(&running, named).await;
        let mut body = valid_body();
        body["anonymous"] = json!(flag == "anonymous");
        body["confidential"] = json!(flag == "confidential");
        body["contact"] = json!({"name": name, "phone": phone, "email": "pelapor@example.id"});
        let (id, token) = triaged(&running, body).await;
        identities.extend([name.to_string(), digits.clone()]);
        // The same person asks about it on WhatsApp: that route is in the scan too
        // (its answer goes out through notify to devstack's fake Graph API).
        let asked = whatsapp_text(&base, &phone, &format!("INFO {id}")).await;
        assert_eq!(asked.status, 200, "{}", asked.json);
        // A phone photo with the camera's model and a GPS fix, for the views below.
        let slot = call(
            "POST",
            &format!("{base}/reports/{id}/photos"),
            None,
            Some(&token),
            None,
        )
        .await;
        assert_eq!(slot.status, 201, "{}", slot.json);
        let photo = phone_jpeg(&red_left_blue_right(600, 400), Shot::GEDUNG_SATE);
        let posted = sigap_tests::upload_to_slot(&slot.json, &photo, "image/jpeg").await;
        assert!(posted.status < 300, "{}", posted.text);
        reports.push(id.clone());
        let dispatched = call(
            "POST",
            &format!("{base}/staff/reports/{id}/dispatch"),
            Some(&admin),
            None,
            Some(json!({"agencies": ["dsdabm"]})),
        )
        .await;
        assert_eq!(dispatched.status, 200);
        // The verifying admin sees who reported.
        let seen_by_admin = call(
            "GET",
            &format!("{base}/staff/reports/{id}"),
            Some(&admin),
            None,
            None,
        )
        .await;
        assert_eq!(seen_by_admin.json["reporter"]["name"], name);
        // The verifying admin alone sees the link to the same sender's named report.
        let links = seen_by_admin.json["triage"]["duplicates"].to_string();
        assert!(
            links.contains(&named_id) && links.contains("same_sender"),
            "{links}"
        );
        // Nobody else does, in any response.
        let others = [
            call("GET", &format!("{base}/reports/{id}"), None, None, None).await,
            call(
                "GET",
                &format!("{base}/staff/reports/{id}"),
                Some(&agency),
                None,
                None,
            )
            .await,
            call(
                "GET",
                &format!("{base}/staff/reports/{id}"),
                Some(&supervisor),
                None,
                None,
            )
            .await,
            call(
                "GET",
                &format!("{base}/staff/inbox"),
                Some(&agency),
                None,
                None,
            )
            .await,
            call(
                "GET",
                &format!("{base}/staff/queue?status=pending_verification"),
                Some(&supervisor),
                None,
                None,
            )
            .await,
            call(
                "POST",
                &format!("{base}/staff/reports/{id}/acknowledge"),
                Some(&agency),
                None,
                None,
            )
            .await,
        ];
        // The photo: processed (by media, from the bucket's event), and where the
        // public sees it, a copy without the camera or the place it was taken.
        let started = Instant::now();
        while call(
            "GET",
            &format!("{base}/reports/{id}/photos"),
            None,
            Some(&token),
            None,
        )
        .await
        .json["photos"][0]["state"]
            != "ready"
        {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{flag}: photo never processed"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let public = call("GET", &format!("{base}/reports/{id}"), None, None, None).await;
        if flag == "anonymous" {
            let link = public.json["photos"][0]["url"]
                .as_str()
                .unwrap_or_else(|| panic!("{}", public.json));
            let copy = sigap_tests::http("GET", link, &[], None).await.bytes;
            assert!(copy.starts_with(&[0xFF, 0xD8]));
            for metadata in [&b"Exif"[..], CAMERA_MODEL.as_bytes()] {
                assert!(
                    !contains(&copy, metadata),
                    "{flag}: metadata in the public photo"
                );
            }
        }
        // Capture time and place are for staff only.
        assert!(
            !public.text.contains("6.9025"),
            "{flag}: the capture position made public"
        );
        // Nor the link: no view of this report points to the named one.
        for r in &others[..3] {
            assert!(
                !r.json.to_string().contains(&named_id),
                "{flag}: linked to {named_id} in {}",
                r.json
            );
        }
        for r in &others {
            let text = r.json.to_string();
            for secret in [name, digits.as_str(), "pelapor@example.id"] {
                assert!(!text.contains(secret), "{flag}: {secret} leaked in {text}");
            }
        }
        if flag == "confidential" {
            assert_eq!(others[0].status, 404, "confidential reports are not public");
        }
        // The report's page, for the public and for its reporter (by the cookie).
        let cookie = format!("pelapor={token}");
        let pages = [
            sigap_tests::http("GET", &format!("{base}/laporan/{id}"), &[], None).await,
            sigap_tests::http(
                "GET",
                &format!("{base}/laporan/{id}?diterima=1"),
                &[("cookie", cookie.as_str())],
                None,
            )
            .await,
        ];
        assert_eq!(
            pages[0].status,
            if flag == "confidential" { 404 } else { 200 }
        );
        assert_eq!(pages[1].status, 200, "{}", pages[1].text);
        assert!(pages[1].text.contains("Untuk Anda sebagai pelapor"));
        for page in &pages {
            for secret in [name, digits.as_str(), "pelapor@example.id", "6.9025"] {
                assert!(!page.text.contains(secret), "{flag}: {secret} on a page");
            }
        }
        assert!(
            !pages[0].text.contains(&token),
            "{flag}: the token on the public page"
        );
        // …and it never reaches the logs, whoever handled it.
        let logs = captured_logs();
        // The capture works: the admin's identity view above was logged (without it).
        assert!(logs.contains("reporter identity shown to staff") && logs.contains(&id));
        for secret in [
            name,
            digits.as_str(),
            "pelapor@example.id",
            "6.9025",
            &token,
        ] {
            assert!(!logs.contains(secret), "{flag}: {secret} found in the logs");
        }
    }
    // …nor any message sent to an agency. The capture works: the notices of both
    // dispatches arrived, naming their reports.
    let mut sent = String::new();
    let started = Instant::now();
    while !reports.iter().all(|id| sent.contains(id.as_str())) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no agency notice for {reports:?} in {sent}"
        );
        sent.extend(sigap_tests::take_messages(&clients, &to_staff).await);
    }
    sent.extend(sigap_tests::drain(&clients, &to_staff).await);
    for secret in identities
        .iter()
        .map(String::as_str)
        .chain(["pelapor@example.id"])
    {
        assert!(!sent.contains(secret), "{secret} sent to staff: {sent}");
    }
    println!(
        "privacy: {} identities of anonymous and confidential reporters absent from responses, logs and {} bytes sent to staff",
        identities.len() + 1,
        sent.len()
    );
    running.shutdown();
}

#[tokio::test]
async fn two_admins_at_once_one_wins_the_other_gets_409_with_the_current_state() {
    let running = devstack("conflict", Arc::new(SystemClock), Arc::new(OsRandom), false).await;
    let base = running.base_url.clone();
    let (id, _) = triaged(&running, valid_body()).await;
    let first = running.token("admin-1", &["admin"]);
    let second = running.token("admin-2", &["admin"]);
    // Both open the report and see the same version.
    let seen = call(
        "GET",
        &format!("{base}/staff/reports/{id}"),
        Some(&first),
        None,
        None,
    )
    .await;
    let version = seen.json["version"].to_string();
    let act = |token: &str, body: Value| {
        let url = format!("{base}/staff/reports/{id}/dispatch");
        let bearer = format!("Bearer {token}");
        let version = version.clone();
        async move {
            let headers = [
                ("content-type", "application/json"),
                ("authorization", bearer.as_str()),
                ("if-match", version.as_str()),
            ];
            sigap_tests::http("POST", &url, &headers, Some(&body.to_string())).await
        }
    };
    let won = act(&first, json!({"agencies": ["dsdabm"]})).await;
    assert_eq!(won.status, 200, "{}", won.json);
    let lost = act(&second, json!({"agencies": ["dlh"]})).await;
    assert_eq!(lost.status, 409, "{}", lost.json);
    assert_eq!(lost.json["error"]["code"], "conflict");
    assert_eq!(lost.json["current"]["status"], "dispatched");
    assert_eq!(lost.json["current"]["assignments"][0]["agency"], "dsdabm");
    // Exactly one dispatch in the audit trail.
    let trail = call(
        "GET",
        &format!("{base}/staff/reports/{id}"),
        Some(&first),
        None,
        None,
    )
    .await;
    let dispatches = trail.json["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "dispatch")
        .count();
    assert_eq!(dispatches, 1);
    running.shutdown();
}

/// Sends one request; a description of the failure unless it got one of `want`, with
/// an error body.
async fn refused_as_expected(
    method: String,
    url: String,
    route: String,
    who: &'static str,
    headers: Vec<(&'static str, String)>,
    body: &'static str,
    want: &'static [u16],
) -> Option<String> {
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let got = sigap_tests::http(&method, &url, &headers, Some(body)).await;
    let shaped = got.json.get("error").is_some()
        || got.json.get("message").is_some()
        || ((url.contains("/laporan/") || url.contains("/l/")) && is_error_page(&got));
    (!want.contains(&got.status) || !shaped).then(|| {
        format!(
            "{route} as {who}: want {want:?}, got {} {}",
            got.status, got.json
        )
    })
}

/// A console route refuses a missing, forged, expired or another key's session by
/// sending the browser to the sign-in page (303), and a form posted with a valid
/// session but without its CSRF token with an error page (403).
async fn console_refusals(method: &str, url: &str, route: &str) -> Vec<Option<String>> {
    let now = jiff::Timestamp::now();
    let (valid, csrf) = console_session("admin", now);
    let (expired, _) = console_session("admin", now - jiff::SignedDuration::from_hours(9));
    let (elsewhere, _) =
        backoffice::console::dev_sign_in::DevSignIn::new(b"not devstack's console key").unwrap();
    let elsewhere = elsewhere
        .issue(&sigap::domain::staff::Role::Admin, None, now, "other-key")
        .unwrap();
    let body = format!("csrf={csrf}&teks=x");
    let mut outcomes = Vec::new();
    for (who, cookie) in [
        ("no session", None),
        ("forged session", Some("sesi=abc.def.ghi".to_string())),
        ("expired session", Some(format!("sesi={expired}"))),
        ("another key's session", Some(format!("sesi={elsewhere}"))),
    ] {
        let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
        if let Some(cookie) = &cookie {
            headers.push(("cookie", cookie.as_str()));
        }
        let got = sigap_tests::http(method, url, &headers, Some(&body)).await;
        let to_sign_in = got
            .headers
            .get("location")
            .and_then(|l| l.to_str().ok())
            .is_some_and(|l| l.starts_with("/konsol/masuk"));
        outcomes.push((got.status != 303 || !to_sign_in).then(|| {
            format!(
                "{route} with {who}: want 303 to the sign-in page, got {}",
                got.status
            )
        }));
    }
    if method == "POST" {
        let cookie = format!("sesi={valid}");
        let headers = [
            ("content-type", "application/x-www-form-urlencoded"),
            ("cookie", cookie.as_str()),
        ];
        let got = sigap_tests::http(method, url, &headers, Some("teks=x")).await;
        outcomes.push((got.status != 403 || !is_error_page(&got)).then(|| {
            format!(
                "{route} without its CSRF token: want a 403 page, got {}",
                got.status
            )
        }));
    }
    outcomes
}

/// Every route the template declares, by who may reach it at all: staff routes refuse
/// missing, forged and expired tokens (401) and a token without a Sigap role (403);
/// webhooks and device routes refuse wrong signatures (403); signed links refuse a
/// forged token (403). Public routes are the only ones left, and they are listed, so
/// a new route cannot join without a decision here.
#[tokio::test]
async fn every_route_refuses_missing_forged_expired_and_wrongly_signed_callers() {
    let running = devstack("authn", Arc::new(SystemClock), Arc::new(OsRandom), false).await;
    let base = running.base_url.clone();
    let template = devstack::template::Template::parse(&sigap_tests::template_text()).unwrap();
    let forged = devstack::jwt::DevAuthority::new(b"not the key".to_vec())
        .unwrap()
        .token("admin-1", &["admin"], jiff::Timestamp::now(), 12);
    let expired = running.token_issued(
        "admin-1",
        &["admin"],
        jiff::Timestamp::now() - jiff::SignedDuration::from_hours(13),
        12,
    );
    let no_role = running.token("citizen-1", &["citizens"]);
    // One group whose name carries a comma: never read as two groups (admin).
    let comma_group = running.token("intruder-1", &["agency:dsdabm,admin"]);
    const PUBLIC: [&str; 22] = [
        // The sign-in page, the development sign-in (local stacks only), the
        // hosted sign-in's callback (its own test: console_sign_in), the
        // signed-out page, and the console's stylesheet and script.
        "GET /konsol/masuk",
        "POST /konsol/masuk",
        "GET /konsol/kembali",
        "GET /konsol/keluar",
        "GET /konsol/aset/{file}",
        "GET /sekitar",
        "GET /instansi",
        "GET /instansi/{id}",
        "GET /",
        "GET /lapor",
        "POST /lapor",
        "GET /lacak",
        "GET /laporan/{id}",
        "GET /assets/{file}",
        "POST /reports",
        "GET /reports/{id}",
        "GET /categories",
        "GET /open311/v2/{resource}",
        "POST /open311/v2/{resource}",
        "GET /open311/v2/{collection}/{resource}",
        "GET /social/x",
        "GET /whatsapp",
    ];
    // Registration and its code are how a device gets its secret: no signature yet.
    const DEVICE_ENROLMENT: [&str; 2] = ["POST /panic/devices", "POST /panic/devices/{id}/verify"];
    let tracking = sigap::runtime::ids::IdGenerator::tracking_id(&OsRandom)
        .unwrap()
        .to_string();
    let fill = |path: &str| {
        let action = match path {
            p if p.starts_with("/staff/devices/") => "block",
            p if p.starts_with("/staff/reports/") => "dispatch",
            p if p.starts_with("/reports/") || p.starts_with("/laporan/") => "info",
            _ => "ack",
        };
        let id = if path.contains("reports/") || path.contains("laporan/") {
            tracking.as_str()
        } else {
            "0000000000000000000000000000beef"
        };
        path.replace("{id}", id)
            .replace("{action}", action)
            .replace("{token}", "forged")
            .replace("{year}", "2027")
            .replace("{sender}", "abc")
            .replace("{hash}", "abc")
    };
    let mut failures = Vec::new();
    let mut checked = 0;
    for (method, path, authorized) in template.http_routes() {
        let route = format!("{method} {path}");
        let url = format!("{base}{}", fill(path));
        let expect = |who: &'static str,
                      headers: Vec<(&'static str, String)>,
                      body: &'static str,
                      want: &'static [u16]| {
            refused_as_expected(
                method.to_string(),
                url.clone(),
                route.clone(),
                who,
                headers,
                body,
                want,
            )
        };
        let json = ("content-type", "application/json".to_string());
        let outcomes = if authorized {
            vec![
                expect("anonymous", vec![json.clone()], "{}", &[401]).await,
                expect(
                    "forged JWT",
                    vec![json.clone(), ("authorization", format!("Bearer {forged}"))],
                    "{}",
                    &[401],
                )
                .await,
                expect(
                    "expired JWT",
                    vec![json.clone(), ("authorization", format!("Bearer {expired}"))],
                    "{}",
                    &[401],
                )
                .await,
                expect(
                    "no Sigap role",
                    vec![json.clone(), ("authorization", format!("Bearer {no_role}"))],
                    "{}",
                    &[403],
                )
                .await,
                expect(
                    "a group named agency:dsdabm,admin",
                    vec![
                        json.clone(),
                        ("authorization", format!("Bearer {comma_group}")),
                    ],
                    "{}",
                    &[403],
                )
                .await,
            ]
        } else if path.starts_with("/konsol") && !PUBLIC.contains(&route.as_str()) {
            console_refusals(method, &url, &route).await
        } else if route == "POST /sms/twilio" {
            let form = (
                "content-type",
                "application/x-www-form-urlencoded".to_string(),
            );
            vec![
                expect(
                    "wrong Twilio signature",
                    vec![form, ("x-twilio-signature", "Zm9yZ2Vk".into())],
                    "MessageSid=SM1&From=%2B6281234567890&Body=BDG+test",
                    &[403],
                )
                .await,
            ]
        } else if route == "POST /sms/gateway" {
            vec![
                expect(
                    "wrong gateway signature",
                    vec![
                        json.clone(),
                        (
                            "x-sigap-timestamp",
                            jiff::Timestamp::now().as_second().to_string(),
                        ),
                        ("x-sigap-signature", "sha256=00".into()),
                    ],
                    r#"{"message_id":"m1","from":"081234567890","text":"BDG test"}"#,
                    &[403],
                )
                .await,
            ]
        } else if route == "POST /social/x" {
            // X is off in devstack (no account id): the route answers 404 before
            // any check; with X on, a wrong signature is 403 (social_mentions).
            vec![
                expect(
                    "wrong X signature",
                    vec![
                        json.clone(),
                        ("x-twitter-webhooks-signature", "sha256=Zm9yZ2Vk".into()),
                    ],
                    "{}",
                    &[403, 404],
                )
                .await,
            ]
        } else if route == "POST /whatsapp" {
            vec![
                expect(
                    "wrong Meta signature",
                    vec![json.clone(), ("x-hub-signature-256", "sha256=00".into())],
                    r#"{"object":"whatsapp_business_account","entry":[]}"#,
                    &[403],
                )
                .await,
            ]
        } else if path.starts_with("/panic/") && !DEVICE_ENROLMENT.contains(&route.as_str()) {
            vec![
                expect("unsigned device", vec![json.clone()], "{}", &[403]).await,
                expect(
                    "wrongly signed device",
                    vec![
                        json.clone(),
                        ("x-sigap-device", "0000000000000000000000000000beef".into()),
                        (
                            "x-sigap-timestamp",
                            jiff::Timestamp::now().as_second().to_string(),
                        ),
                        ("x-sigap-signature", "sha256=00".into()),
                    ],
                    "{}",
                    &[403],
                )
                .await,
            ]
        } else if route == "POST /laporan/{id}/{action}" {
            let form = (
                "content-type",
                "application/x-www-form-urlencoded".to_string(),
            );
            vec![
                expect(
                    "no reporter cookie",
                    vec![form.clone()],
                    "text=x",
                    &[401, 404],
                )
                .await,
                expect(
                    "wrong reporter cookie",
                    vec![form.clone(), ("cookie", "pelapor=forged".into())],
                    "text=x",
                    &[403, 404],
                )
                .await,
            ]
        } else if route == "POST /reports/{id}/{action}" || route == "GET /reports/{id}/photos" {
            vec![
                expect("no reporter token", vec![json.clone()], "{}", &[401, 404]).await,
                expect(
                    "wrong reporter token",
                    vec![json.clone(), ("x-reporter-token", "forged".into())],
                    "{}",
                    &[403, 404],
                )
                .await,
            ]
        } else if path.starts_with("/a/") {
            vec![expect("forged link token", vec![], "", &[403, 404]).await]
        } else if path.starts_with("/l/") {
            // A location link nobody was sent: gone, whichever way it is asked.
            vec![
                expect("forged location token", vec![], "", &[410]).await,
                expect(
                    "a position for a forged location token",
                    vec![json.clone()],
                    r#"{"lat":-6.9,"lon":107.6}"#,
                    &[410],
                )
                .await,
            ]
        } else {
            assert!(
                PUBLIC.contains(&route.as_str()) || DEVICE_ENROLMENT.contains(&route.as_str()),
                "{route} is public: add it to PUBLIC or give it a check"
            );
            continue;
        };
        checked += 1;
        failures.extend(outcomes.into_iter().flatten());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 28, "{checked} routes checked");
    running.shutdown();
}

/// Finding 10 of issue 18: a report's text is public only after an admin verified
/// it, masked on every public surface (phones, landlines, e-mail addresses, NIKs
/// with separators), without the reporter's conversation with the admin; messages
/// to agencies are masked too, and a redaction takes triage's copy with it.
#[tokio::test]
async fn public_text_is_published_on_verification_masked_everywhere_and_redacted_whole() {
    let running = devstack(
        "public-text",
        Arc::new(SystemClock),
        Arc::new(OsRandom),
        true,
    )
    .await;
    let base = running.base_url.clone();
    let admin = running.token("admin-1", &["admin"]);
    let clients = sigap_tests::clients().await;
    let to_staff =
        sigap_tests::subscriber(&clients, &running.stack.topics["StaffTopic"], None).await;
    let personal = [
        "0812 1111 2222",
        "(022) 7654321",
        "warga.dago@contoh.id",
        "3273 0125 0890 0001",
    ];
    let mut body = valid_body();
    body["anonymous"] = json!(false);
    body["title"] = json!("Jalan rusak, hubungi 0812 1111 2222");
    body["description"] = json!(
        "Lubang besar di depan sekolah. Telepon (022) 7654321 atau warga.dago@contoh.id, NIK 3273 0125 0890 0001."
    );
    let (id, token) = triaged(&running, body).await;
    let public = |path: String| async move { call("GET", &path, None, None, None).await };
    let leaks = |text: &str| -> Vec<&str> {
        personal
            .iter()
            .copied()
            .filter(|p| text.contains(p))
            .collect()
    };
    // Before verification: status and deadline only, on the page and in Open311.
    let page = public(format!("{base}/reports/{id}")).await;
    assert_eq!(page.json["status"], "pending_verification");
    assert!(page.json.get("title").is_none() && page.json.get("description").is_none());
    let open311 = public(format!("{base}/open311/v2/requests/{id}.json")).await;
    assert_eq!(open311.json[0]["description"], Value::Null);
    let listed = public(format!("{base}/open311/v2/requests.json")).await;
    assert!(
        !listed.json.to_string().contains(&id),
        "listed before verification"
    );
    // The admin asks, the reporter answers: a conversation, not public text.
    let asked = call(
        "POST",
        &format!("{base}/staff/reports/{id}/request-info"),
        Some(&admin),
        None,
        Some(json!({"question": "Rumah Bapak nomor berapa?"})),
    )
    .await;
    assert_eq!(asked.status, 200, "{}", asked.json);
    let answered = call(
        "POST",
        &format!("{base}/reports/{id}/info"),
        None,
        Some(&token),
        Some(json!({"text": "Rumah saya nomor 17, Gang Mawar"})),
    )
    .await;
    assert_eq!(answered.status, 200, "{}", answered.json);
    dispatch_to_dsdabm(&running, &id).await;
    // Published: the text is there, every piece of personal data masked.
    let surfaces = [
        public(format!("{base}/reports/{id}"))
            .await
            .json
            .to_string(),
        public(format!("{base}/open311/v2/requests/{id}.json"))
            .await
            .json
            .to_string(),
        public(format!("{base}/open311/v2/requests.json?extensions=true"))
            .await
            .json
            .to_string(),
    ];
    for text in &surfaces {
        assert!(text.contains("Lubang besar di depan sekolah"), "{text}");
        assert!(leaks(text).is_empty(), "{:?} in {text}", leaks(text));
        for conversation in ["Rumah Bapak nomor berapa?", "Gang Mawar"] {
            assert!(!text.contains(conversation), "{conversation} in {text}");
        }
    }
    // The pages a citizen or the public loads: the report's page shows the masked
    // text; the list and the agency record carry nothing personal either.
    let pages = [
        format!("{base}/laporan/{id}"),
        format!("{base}/sekitar?kategori=jalan-rusak"),
        format!("{base}/instansi"),
        format!("{base}/instansi/dsdabm"),
    ];
    for (n, path) in pages.iter().enumerate() {
        let text = public(path.clone()).await.text;
        if n == 0 {
            assert!(text.contains("Lubang besar di depan sekolah"), "{text}");
        }
        if n == 1 {
            assert!(text.contains(&id), "{id} not listed: {text}");
        }
        assert!(leaks(&text).is_empty(), "{:?} in {path}", leaks(&text));
        assert!(!text.contains("Gang Mawar"), "the conversation in {path}");
    }
    // What the agency is sent is masked as well. The capture works: it names the report.
    let mut sent = String::new();
    let started = Instant::now();
    while !sent.contains(&id) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no agency notice in {sent}"
        );
        sent.extend(sigap_tests::take_messages(&clients, &to_staff).await);
    }
    assert!(
        leaks(&sent).is_empty(),
        "{:?} sent to staff: {sent}",
        leaks(&sent)
    );
    // A redaction leaves no copy behind, triage's included.
    let redacted = call(
        "POST",
        &format!("{base}/staff/reports/{id}/redact"),
        Some(&admin),
        None,
        Some(json!({
            "title": "Jalan rusak",
            "description": "Lubang besar di depan sekolah."
        })),
    )
    .await;
    assert_eq!(redacted.status, 200, "{}", redacted.json);
    let staff_view = redacted.json.to_string();
    assert!(
        leaks(&staff_view).is_empty(),
        "{:?} left after redaction: {staff_view}",
        leaks(&staff_view)
    );
    println!(
        "privacy: {} pieces of personal data absent from {} public surfaces, the agency's notice and the redacted file",
        personal.len(),
        surfaces.len() + pages.len()
    );
    running.shutdown();
}

/// Finding 15 of issue 18, the matrix's responder rows across units: a unit closes
/// (resolves, notes) only an incident nobody owns, its own, or one taken through a
/// link; another unit's is 403 and changes nothing; operators close any.
#[tokio::test]
async fn a_responder_may_not_close_another_units_incident() {
    let running = devstack("units", Arc::new(SystemClock), Arc::new(OsRandom), false).await;
    let base = running.base_url.clone();
    let operator = running.token("op-1", &["operator"]);
    let polsek = running.token("r-1", &["responder:polsek-coblong"]);
    let damkar = running.token("r-2", &["responder:damkar-kota"]);
    let open = || async {
        let opened = call(
            "POST",
            &format!("{base}/staff/incidents"),
            Some(&operator),
            None,
            Some(json!({"kind": "fire", "location_text": "Jl. Dago"})),
        )
        .await;
        assert_eq!(opened.status, 201, "{}", opened.json);
        opened.json["id"].as_str().unwrap().to_string()
    };
    let act = |token: String, id: String, action: &'static str, body: Value| {
        let url = format!("{base}/staff/incidents/{id}/{action}");
        async move { call("POST", &url, Some(&token), None, Some(body)).await }
    };
    let owned = open().await;
    let taken = act(polsek.clone(), owned.clone(), "ack", json!({})).await;
    assert_eq!(taken.status, 200, "{}", taken.json);
    let mut statuses = Vec::new();
    for (token, action, body) in [
        (&damkar, "resolve", json!({"outcome": "unfounded"})),
        (&damkar, "note", json!({"note": "bukan kebakaran"})),
        (&operator, "note", json!({"note": "pemadam diminta siaga"})),
        (&polsek, "resolve", json!({"outcome": "founded"})),
    ] {
        let got = act(token.clone(), owned.clone(), action, body).await;
        if statuses.is_empty() {
            assert_eq!(got.json["error"]["code"], "owned_by_another_unit");
        }
        statuses.push(got.status);
    }
    assert_eq!(statuses, [403, 403, 200, 200]);
    let shown = call(
        "GET",
        &format!("{base}/staff/incidents/{owned}"),
        Some(&operator),
        None,
        None,
    )
    .await;
    assert_eq!(shown.json["outcome"], "founded", "{}", shown.json);
    // An incident nobody has taken yet may be closed by the unit that got there.
    let unowned = open().await;
    let closed = act(
        damkar.clone(),
        unowned,
        "resolve",
        json!({"outcome": "minor"}),
    )
    .await;
    assert_eq!(closed.status, 200, "{}", closed.json);
    running.shutdown();
}

/// Finding 3's other path: an admin merges an anonymous report into the same
/// person's named one; the merge link is the admin's alone to see, like triage's.
#[tokio::test]
async fn a_merged_anonymous_report_does_not_point_supervisors_to_its_named_twin() {
    let running = devstack("merged", Arc::new(SystemClock), Arc::new(OsRandom), false).await;
    let base = running.base_url.clone();
    let admin = running.token("admin-1", &["admin"]);
    let supervisor = running.token("sup-1", &["supervisor"]);
    let phone = unique_phone();
    let mut named = valid_body();
    named["anonymous"] = json!(false);
    named["contact"] = json!({"name": "Pelapor Bernama", "phone": phone});
    let (named_id, _) = triaged(&running, named).await;
    let mut hidden = valid_body();
    hidden["title"] = json!("Lubang yang sama, dilaporkan lagi");
    hidden["contact"] = json!({"phone": phone});
    let (hidden_id, _) = triaged(&running, hidden).await;
    let merged = call(
        "POST",
        &format!("{base}/staff/reports/{hidden_id}/merge"),
        Some(&admin),
        None,
        Some(json!({"into": named_id})),
    )
    .await;
    assert_eq!(merged.status, 200, "{}", merged.json);
    assert_eq!(merged.json["duplicate_of"], named_id.as_str());
    let seen = call(
        "GET",
        &format!("{base}/staff/reports/{hidden_id}"),
        Some(&supervisor),
        None,
        None,
    )
    .await;
    assert_eq!(seen.status, 200, "{}", seen.json);
    assert!(
        !seen.json.to_string().contains(&named_id),
        "the supervisor is pointed to {named_id}: {}",
        seen.json
    );
    running.shutdown();
}
