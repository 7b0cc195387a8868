//! `make bench`, photos: `media`'s processing core (`imaging::process`; the image
//! crates and `imaging` are optimised in every profile, Cargo.toml) on a 12-megapixel phone JPEG, a 2-megapixel one and a small one: time, peak
//! memory, and the bytes kept against the bytes uploaded. The S3 and DynamoDB calls
//! around it are in perf-bench's media row.
//!
//! Each picture is processed in a child process of its own, whose peak resident set
//! (VmHWM) is reset once the upload's bytes are loaded: the figure is what processing
//! adds, the number the template's MemorySize for media is chosen from.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::time::Instant;

use imaging::samples::{Shot, phone_jpeg, street_scene};
use serde_json::json;
use sigap::domain::photo::PhotoLimits;

/// Runs per picture; the median is reported.
const RUNS: usize = 5;

/// The pictures: name, width, height.
const CASES: [(&str, u32, u32); 3] = [
    ("12 MP phone JPEG (4000x3000)", 4000, 3000),
    ("2 MP phone JPEG (1600x1200)", 1600, 1200),
    ("small JPEG (640x480)", 640, 480),
];

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse().ok())
        .unwrap_or(0)
}

/// The child: processes the file `path` RUNS times and prints its figures as JSON.
fn child(path: &str) {
    let bytes = std::fs::read(path).unwrap();
    let limits = PhotoLimits::default();
    // Resets VmHWM to the current RSS (Linux: "5" clears the peak).
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before_kb = status_kb("VmRSS:");
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..RUNS {
        let started = Instant::now();
        let done = imaging::process::process(&bytes, &limits).unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        last = Some(done);
    }
    times.sort_by(f64::total_cmp);
    let done = last.unwrap();
    let figures = json!({
        "ms": times[RUNS / 2],
        "peak_added_mb": (status_kb("VmHWM:").saturating_sub(before_kb)) as f64 / 1024.0,
        "peak_total_mb": status_kb("VmHWM:") as f64 / 1024.0,
        "peak_reset": reset,
        "original": bytes.len(),
        "display": done.display.len(),
        "thumbnail": done.thumbnail.len(),
    });
    println!("{figures}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, path] = args.as_slice()
        && flag == "--child"
    {
        child(path);
        return;
    }
    let dir = sigap_tests::workspace().join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    let mut rows = Vec::new();
    for (n, (name, width, height)) in CASES.iter().enumerate() {
        let file = dir.join(format!("media-sample-{n}.jpg"));
        let jpeg = phone_jpeg(&street_scene(*width, *height, 7), Shot::GEDUNG_SATE);
        std::fs::File::create(&file)
            .unwrap()
            .write_all(&jpeg)
            .unwrap();
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .arg("--child")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let figures: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let _ = std::fs::remove_file(&file);
        rows.push((name.to_string(), figures));
    }
    let mb = |v: &serde_json::Value| v.as_f64().unwrap_or_default() / 1_048_576.0;
    let kb = |v: &serde_json::Value| v.as_f64().unwrap_or_default() / 1024.0;
    let mut report = vec![
        String::new(),
        format!(
            "media: imaging::process (optimised image crates), median of {RUNS} runs on this machine (one core)"
        ),
        format!(
            "{:<30} {:>9} {:>9} {:>9} {:>7} {:>9} {:>11}",
            "picture", "upload", "display", "thumb", "kept", "time", "peak added"
        ),
    ];
    for (name, f) in &rows {
        let original = f["original"].as_f64().unwrap_or(1.0);
        let kept =
            f["display"].as_f64().unwrap_or_default() + f["thumbnail"].as_f64().unwrap_or_default();
        report.push(format!(
            "{:<30} {:>7.2}MB {:>7.0}KB {:>7.1}KB {:>6.0}% {:>7.0}ms {:>9.0}MB",
            name,
            mb(&f["original"]),
            kb(&f["display"]),
            kb(&f["thumbnail"]),
            100.0 * kept / original,
            f["ms"].as_f64().unwrap_or_default(),
            f["peak_added_mb"].as_f64().unwrap_or_default(),
        ));
    }
    report.push(
        "kept = display + thumbnail as a share of the upload (the original is deleted). \
         Lambda gives CPU in proportion to memory: at media's 1024 MB about 0.6 of a core, \
         so expect its time to be nearly twice the figure above."
            .to_string(),
    );
    sigap_tests::bench_figures::publish(
        "media",
        &report,
        json!({ "pictures": rows.iter().map(|(n, f)| json!({"picture": n, "figures": f})).collect::<Vec<_>>() }),
    );
}
