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
    eprintln!(
        "==> reading {template_path}: creating its table, queues, topics and secrets in moto, seeding, building the eight functions"
    );
    let clients = AwsClients::from_env().await?;
    let clock = Arc::new(DevClock::default());
    let mut running = start(Options {
        template,
        prefix: std::env::var("DEVSTACK_PREFIX").unwrap_or_else(|_| "sigap-local-".into()),
        bind: SocketAddr::from(([127, 0, 0, 1], port)),
        clients,
        clock: clock.clone(),
        ids: Arc::new(OsRandom),
        background: true,
        dev_clock: Some(clock),
        moto_url: Some(endpoint.clone()),
        crashes: None,
    })
    .await?;
    // The developer's console is stderr; stdout carries the functions' logs and
    // metrics, as on Lambda (`make run` sends it to target/devstack.log).
    let base = running.base_url.clone();
    eprintln!();
    eprintln!("Sigap devstack is running (AWS stand-in: moto at {endpoint})");
    eprintln!("  API:    {base}");
    eprintln!("  docs:   {base}/openapi.json (OpenAPI 3.1, every route)");
    eprintln!("  table:  {}", running.stack.table_name().unwrap_or("?"));
    eprintln!(
        "  {} routes, {} queue sources, {} schedules (listed in target/devstack.log)",
        running.routes.len(),
        running.queue_sources.len(),
        running.schedules.len()
    );
    for route in &running.routes {
        println!("route: {route}");
    }
    for source in &running.queue_sources {
        println!("queue: {} -> {}", source.url, source.function);
    }
    for schedule in &running.schedules {
        println!("every {}s: {}", schedule.every.as_secs(), schedule.name);
    }
    eprintln!();
    eprintln!("Staff tokens (valid 12 h; send as 'Authorization: Bearer $TOKEN'):");
    for (name, token) in running.demo_staff_tokens() {
        eprintln!("  export {name}={token}");
    }
    eprintln!();
    eprintln!(
        "Open311 (GeoReport v2) demo key:  export API_KEY={}",
        running.demo_api_key
    );
    eprintln!();
    eprintln!("Dev tools (devstack only):");
    eprintln!("  POST {base}/_devstack/clock   move the functions' clock, run every schedule once");
    eprintln!("  POST {base}/_devstack/sms     text 1708 as a citizen or a responder");
    eprintln!(
        "  POST {base}/_devstack/whatsapp write on WhatsApp as a citizen (text, photo, location, button)"
    );
    eprintln!("  POST {base}/_devstack/panic   press the demo panic button");
    eprintln!("  GET  {base}/_devstack/texts   every SMS Sigap sent (?to=0812... for one number)");
    eprintln!();
    eprintln!("The README's tour walks through all of it. Function logs: target/devstack.log.");
    eprintln!(
        "Below: every page, stand-down and SMS as it goes out. Ctrl-C stops devstack and moto."
    );
    eprintln!();
    running
        .watch(Arc::new(|line: String| eprintln!("{line}")))
        .await;
    tokio::signal::ctrl_c().await?;
    running.shutdown();
    Ok(())
}
