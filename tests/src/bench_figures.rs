//! Where `make bench`'s programs leave their figures as JSON (`target/bench`), so
//! the last one can print them all in one report.

use std::path::PathBuf;
use std::time::Duration;

/// The `p` percentile (0.0–1.0) of sorted durations, in milliseconds (benches).
pub fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// `target/bench/<name>.json`.
pub fn path(name: &str) -> PathBuf {
    crate::workspace()
        .join("target/bench")
        .join(format!("{name}.json"))
}

/// Writes one program's figures.
pub fn write(name: &str, figures: &serde_json::Value) {
    let path = path(name);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(&path, serde_json::to_string_pretty(figures).unwrap()).unwrap();
    eprintln!("figures written to {}", path.display());
}

/// Prints one program's report and writes it, with its `figures` (a JSON object),
/// for the last program to gather.
pub fn publish(name: &str, report: &[String], mut figures: serde_json::Value) {
    for line in report {
        println!("{line}");
    }
    figures["report"] = serde_json::json!(report);
    write(name, &figures);
}

/// Reads one program's figures, if it ran.
pub fn read(name: &str) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(path(name)).ok()?;
    serde_json::from_str(&text).ok()
}
