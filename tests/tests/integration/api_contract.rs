//! The API contract, fuzzed: schemathesis (from `.venv-schemathesis`, pinned in
//! `requirements-schemathesis.txt`) reads devstack's `/openapi.json` and sends
//! generated and mutated requests to every route. It checks that nothing answers 5xx,
//! that every status, content type and body is the documented one (errors included),
//! and that documented headers are present.
//!
//! `make test` runs a short pass with a fixed seed (`API_FUZZ_EXAMPLES`, default 10
//! examples per route); `make chaos` a long one with a random seed.

use std::sync::Arc;

use sigap::runtime::clock::SystemClock;
use sigap::runtime::ids::OsRandom;
use sigap_tests::{devstack, workspace};

/// What every answer is held to.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_schema_conformance,response_headers_conformance";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_only_documented_answers() {
    let binary = workspace().join(".venv-schemathesis/bin/schemathesis");
    assert!(
        binary.exists(),
        "{} is missing: `make test` installs it (requirements-schemathesis.txt)",
        binary.display()
    );
    let running = devstack("fuzz", Arc::new(SystemClock), Arc::new(OsRandom), false).await;
    // Every role at once, so role checks let the generated bodies through to be judged.
    let token = running.token(
        "fuzzer",
        &[
            "admin",
            "operator",
            "agency:dsdabm",
            "responder:polsek-coblong",
        ],
    );
    let examples = std::env::var("API_FUZZ_EXAMPLES").unwrap_or_else(|_| "10".into());
    let seed = std::env::var("API_FUZZ_SEED").unwrap_or_else(|_| "2026".into());
    let mut command = std::process::Command::new(&binary);
    command
        .arg("run")
        .arg(format!("{}/openapi.json", running.base_url))
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--checks", CHECKS])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--max-examples", &examples])
        .args(["--workers", "1"])
        .args(["--request-timeout", "30"])
        .arg("--continue-on-failure")
        .args(["--warnings", "off"])
        .env("NO_COLOR", "1")
        .current_dir(workspace().join("target"));
    if seed != "random" {
        command.args(["--seed", &seed]);
    }
    // schemathesis blocks; devstack keeps serving on the runtime's other worker.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The figures: operations tested and cases generated, or every failure in full.
    let summary: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("Tested:") || l.contains("generated") || l.contains("Seed:"))
        .collect();
    println!("api fuzz: {}", summary.join(" | ").replace("  ", " "));
    assert!(
        output.status.success(),
        "schemathesis found answers the contract does not allow:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tested = summary
        .iter()
        .find_map(|l| l.trim().strip_prefix("Tested: "))
        .and_then(|n| n.trim().parse::<usize>().ok());
    let routes = devstack::template::Template::parse(&sigap_tests::template_text())
        .unwrap()
        .http_routes()
        .count();
    assert_eq!(tested, Some(routes), "every route is fuzzed: {summary:?}");
    running.shutdown();
}
