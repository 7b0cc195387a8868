//! Logging: `tracing` to stdout, JSON unless `AWS_LAMBDA_LOG_FORMAT=Text`.
//!
//! Lambda's advanced logging controls set `AWS_LAMBDA_LOG_FORMAT` and
//! `AWS_LAMBDA_LOG_LEVEL`; locally `RUST_LOG` also works. Span fields (report ids,
//! message ids) are included in every JSON line.

use tracing_subscriber::EnvFilter;

/// The filter directive for Lambda's level names (`TRACE` … `FATAL`) or a `RUST_LOG`
/// directive; anything unusable means `info`.
pub fn filter_directive(level: Option<&str>) -> String {
    match level.map(|l| l.trim().to_ascii_lowercase()) {
        None => "info".into(),
        // tracing has no FATAL: the nearest is ERROR.
        Some(l) if l == "fatal" => "error".into(),
        Some(l) if EnvFilter::try_new(&l).is_ok() && !l.is_empty() => l,
        Some(_) => "info".into(),
    }
}

/// Installs the global subscriber once; later calls are no-ops.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok();
    let filter = EnvFilter::new(filter_directive(level.as_deref()));
    let text = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("text"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = if text {
        builder.try_init()
    } else {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .try_init()
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_levels_map_to_tracing_directives() {
        assert_eq!(filter_directive(None), "info");
        assert_eq!(filter_directive(Some("DEBUG")), "debug");
        assert_eq!(filter_directive(Some("FATAL")), "error");
        assert_eq!(
            filter_directive(Some("warn,sigap=debug")),
            "warn,sigap=debug"
        );
        assert_eq!(filter_directive(Some("")), "info");
        assert_eq!(filter_directive(Some("[[[")), "info");
    }
}
