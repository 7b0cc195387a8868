//! `devstack` binary: `make run` starts moto, then this.
//!
//! Environment: `AWS_ENDPOINT_URL` (moto), `DEVSTACK_PORT` (default 3000),
//! `DEVSTACK_TEMPLATE` (default `infra/template.yaml`), `DEVSTACK_PREFIX` (default `sigap-local-`).
//!
//! `devstack seed <table>` instead writes the bundled categories and agencies into a
//! table of a deployed stack, with the ordinary AWS credentials (`make seed`), and
//! `devstack responder <table> <phone> <unit|--remove>` registers or forgets a
//! responder's number (`make responder`).

use std::net::SocketAddr;
use std::sync::Arc;

use devstack::{DevClock, Options, start};
use sigap::runtime::aws::AwsClients;
use sigap::runtime::ids::OsRandom;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    sigap::runtime::telemetry::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [command, table] = args.as_slice()
        && command == "seed"
    {
        let clients = AwsClients::from_env().await?;
        let seeded = devstack::seed(&clients, table).await?;
        let calendar = if seeded.calendar_written {
            "holiday calendar revision 1 written"
        } else {
            "holiday calendar kept (admins' revisions exist)"
        };
        println!(
            "seeded {table}: {} categories, {} agencies, {calendar}",
            seeded.categories, seeded.agencies
        );
        return Ok(());
    }
    // `devstack responder <table> <phone> <unit|--remove>`: ops register (or forget) the
    // number a responder acks from, keyed with the stack's sender key from SSM.
    if let [command, table, phone, unit] = args.as_slice()
        && command == "responder"
    {
        let clients = AwsClients::from_env().await?;
        let parameter = std::env::var("SENDER_HASH_KEY_PARAMETER")
            .unwrap_or_else(|_| "/sigap/sender-hash-key".into());
        let settings = sigap::adapters::secrets::resolve_secrets(
            sigap::runtime::config::Settings::from_map(
                [("SENDER_HASH_KEY_PARAMETER".to_string(), parameter)].into(),
            ),
            &clients.ssm,
        )
        .await?;
        let key = settings.required("SENDER_HASH_KEY")?;
        let unit = (unit != "--remove").then_some(unit.as_str());
        devstack::set_responder_phone(&clients, table, &key, phone, unit).await?;
        match unit {
            Some(unit) => println!("{table}: acks from {phone} now count for {unit}"),
            None => println!("{table}: {phone} is no longer a responder number"),
        }
        return Ok(());
    }
    let endpoint = std::env::var("AWS_ENDPOINT_URL")
        .map_err(|_| "AWS_ENDPOINT_URL must point at moto (make run sets it)")?;
    let port: u16 = std::env::var("DEVSTACK_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let template_path =
        std::env::var("DEVSTACK_TEMPLATE").unwrap_or_else(|_| "infra/template.yaml".into());
    let template =
        std::fs::read_to_string(&template_path).map_err(|e| format!("{template_path}: {e}"))?;
    let clients = AwsClients::from_env().await?;
    let running_clients = clients.clone();
    let clock = Arc::new(DevClock::default());
    let running = start(Options {
        template,
        prefix: std::env::var("DEVSTACK_PREFIX").unwrap_or_else(|_| "sigap-local-".into()),
        bind: SocketAddr::from(([127, 0, 0, 1], port)),
        clients,
        clock: clock.clone(),
        ids: Arc::new(OsRandom),
        background: true,
        dev_clock: Some(clock),
        crashes: None,
    })
    .await?;
    let base = &running.base_url;
    println!();
    println!("Sigap devstack is running (AWS stand-in: moto at {endpoint})");
    println!("  API:    {base}");
    println!("  docs:   {base}/openapi.json (OpenAPI 3.1, every route below)");
    println!("  table:  {}", running.stack.table_name().unwrap_or("?"));
    for route in &running.routes {
        println!("  route:  {route}");
    }
    for source in &running.queue_sources {
        println!("  queue:  {} -> {}", source.url, source.function);
    }
    for schedule in &running.schedules {
        println!(
            "  every {:>5}s: {}",
            schedule.every.as_secs(),
            schedule.name
        );
    }
    println!();
    println!("Staff tokens (valid 12 h; send as 'Authorization: Bearer $TOKEN'):");
    for (name, group) in [
        ("ADMIN", "admin"),
        ("SUPERVISOR", "supervisor"),
        ("OPERATOR", "operator"),
        ("RESPONDER", "responder:polsek-coblong"),
        ("DSDABM", "agency:dsdabm"),
        ("DLH", "agency:dlh"),
        ("DISHUB", "agency:dishub"),
    ] {
        let subject = format!("dev-{}", name.to_lowercase());
        println!(
            "  export {name}_TOKEN={}",
            running.token(&subject, &[group])
        );
    }
    println!();
    println!("Try:");
    println!("  curl -s {base}/categories");
    println!(
        "  curl -s -X POST {base}/reports -H 'Content-Type: application/json' -H 'Idempotency-Key: demo-1' \\\n    -d '{{\"title\":\"Jalan berlubang di Dago\",\"description\":\"Lubang besar di depan sekolah, bahaya untuk motor.\",\"category\":\"jalan-rusak\",\"location\":{{\"lat\":-6.885,\"lon\":107.613,\"kecamatan\":\"Coblong\"}}}}'"
    );
    println!("  curl -s {base}/reports/<tracking_id>");
    println!(
        "  curl -s -X POST {base}/_devstack/sms -d '{{\"from\":\"081234567890\",\"text\":\"BDG Lampu jalan mati di Jl. Riau\"}}'   # text 1708 (dev only)"
    );
    println!(
        "  curl -s -X POST {base}/_devstack/clock -d '{{\"advance_seconds\": 86400}}'   # move time (dev only)"
    );
    println!(
        "  curl -s -X POST {base}/_devstack/panic -d '{{\"kind\":\"crime\",\"lat\":-6.9025,\"lon\":107.6188}}'   # press the demo panic button (dev only)"
    );
    println!(
        "  curl -s -X POST {base}/_devstack/sms -d '{{\"from\":\"081100000001\",\"text\":\"1 INC-XXXXXX\"}}'   # polsek-coblong takes it by SMS"
    );
    println!();
    println!("Open311 (GeoReport v2) with the demo API key:");
    println!("  export API_KEY={}", running.demo_api_key);
    println!("  curl -s {base}/open311/v2/services.json");
    println!(
        "  curl -s -X POST {base}/open311/v2/requests.json -d api_key=$API_KEY -d service_code=pju -d lat=-6.9025 -d long=107.6188 -d 'description=Lampu jalan mati di depan Gedung Sate'"
    );
    println!("  curl -s '{base}/open311/v2/requests.xml?status=open'");
    println!();
    if let Some(console) = running.stack.queue("CommandCentreQueue") {
        println!("Command-centre console: every page and stand-down is printed below.");
        tokio::spawn(devstack::console::print_forever(
            running_clients.clone(),
            console.url.clone(),
        ));
    }
    println!("Ctrl-C stops devstack (and make run stops moto).");
    tokio::signal::ctrl_c().await?;
    running.shutdown();
    Ok(())
}
