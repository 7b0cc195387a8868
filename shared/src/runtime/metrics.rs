//! CloudWatch Embedded Metric Format: metrics as one JSON log line each, which
//! CloudWatch Logs turns into metrics without a `PutMetricData` call (no extra
//! latency, no extra IAM, nothing lost if the function dies after logging).

use jiff::Timestamp;
use serde_json::{Map, Value, json};

/// The namespace every Sigap metric is published under.
pub const NAMESPACE: &str = "Sigap";

/// A metric's unit, as CloudWatch names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A count of things.
    Count,
    /// A duration.
    Milliseconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

/// One EMF record: `metrics` (name, unit, value) under one set of `dimensions`.
pub fn emf_record(
    at: Timestamp,
    dimensions: &[(&str, &str)],
    metrics: &[(&str, Unit, f64)],
) -> Value {
    let mut record = Map::new();
    record.insert(
        "_aws".into(),
        json!({
            "Timestamp": at.as_millisecond(),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimensions.iter().map(|(name, _)| *name).collect::<Vec<_>>()],
                "Metrics": metrics
                    .iter()
                    .map(|(name, unit, _)| json!({"Name": name, "Unit": unit.as_str()}))
                    .collect::<Vec<_>>(),
            }],
        }),
    );
    for (name, value) in dimensions {
        record.insert((*name).into(), json!(value));
    }
    for (name, _, value) in metrics {
        record.insert((*name).into(), json!(value));
    }
    Value::Object(record)
}

/// Writes an EMF record to stdout as one line, where Lambda hands it to CloudWatch.
pub fn publish(record: &Value) {
    println!("{record}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_names_its_dimensions_and_carries_the_values() {
        let at: Timestamp = "2026-11-25T01:00:00Z".parse().unwrap();
        let record = emf_record(
            at,
            &[("Stage", "follow_up"), ("Agency", "dlh")],
            &[("Breaches", Unit::Count, 2.0)],
        );
        assert_eq!(record["_aws"]["Timestamp"], at.as_millisecond());
        let directive = &record["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "Sigap");
        assert_eq!(directive["Dimensions"], json!([["Stage", "Agency"]]));
        assert_eq!(
            directive["Metrics"],
            json!([{"Name": "Breaches", "Unit": "Count"}])
        );
        assert_eq!(record["Stage"], "follow_up");
        assert_eq!(record["Agency"], "dlh");
        assert_eq!(record["Breaches"], 2.0);
    }
}
