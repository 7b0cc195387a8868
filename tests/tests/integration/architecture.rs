//! The shape the design promises, checked on the source: the domain is pure (no AWS,
//! no clock or environment reads, no adapters) and its modules import each other
//! without cycles, so each rule has one home a newcomer can find.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use sigap_tests::workspace;

/// The domain's modules (`domain/<name>.rs` or `domain/<name>/`) and the source of
/// each, tests left out (they may build whatever they need).
fn domain_modules() -> BTreeMap<String, String> {
    let dir = workspace().join("shared/src/domain");
    let mut modules = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "mod" {
            continue;
        }
        modules.insert(name, without_tests(&sources(&path)));
    }
    modules
}

fn sources(path: &Path) -> String {
    if path.is_file() {
        return std::fs::read_to_string(path).unwrap();
    }
    let mut text = String::new();
    for entry in std::fs::read_dir(path).unwrap() {
        text.push_str(&sources(&entry.unwrap().path()));
    }
    text
}

fn without_tests(source: &str) -> String {
    source
        .split("#[cfg(test)]")
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The other domain modules `source` names (`super::x`, `crate::domain::x`).
fn imports(source: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for prefix in ["super::", "crate::domain::"] {
        for (i, _) in source.match_indices(prefix) {
            let rest = &source[i + prefix.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if modules.contains(&name) {
                found.insert(name);
            }
        }
        // `use super::{a::X, b::Y}`
        for (i, _) in source.match_indices(&format!("{prefix}{{")) {
            let rest = &source[i + prefix.len() + 1..];
            let group = &rest[..rest.find('}').unwrap_or(rest.len())];
            for part in group.split(',') {
                let name = part.trim().split("::").next().unwrap_or_default();
                if modules.contains(name) {
                    found.insert(name.to_string());
                }
            }
        }
    }
    found
}

/// A cycle in `graph`, if there is one (depth-first, colouring nodes).
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        path.push(node.to_string());
        for next in &graph[node] {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                1 => {
                    let start = path.iter().position(|n| n == next).unwrap_or(0);
                    let mut cycle = path[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(cycle) = visit(next, graph, state, path) {
                        return Some(cycle);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if state.get(node.as_str()).copied().unwrap_or(0) == 0
            && let Some(cycle) = visit(node, graph, &mut state, &mut Vec::new())
        {
            return Some(cycle);
        }
    }
    None
}

#[test]
fn domain_modules_import_each_other_without_cycles() {
    let modules = domain_modules();
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let graph: BTreeMap<String, BTreeSet<String>> = modules
        .iter()
        .map(|(name, source)| {
            let mut used = imports(source, &names);
            used.remove(name);
            (name.clone(), used)
        })
        .collect();
    // The checker itself: a made-up cycle is found.
    let mut looped = graph.clone();
    looped
        .entry("deadline".into())
        .or_default()
        .insert("report".into());
    assert!(
        find_cycle(&looped).is_some(),
        "the checker misses a cycle: {looped:?}"
    );
    assert!(
        graph["report"].contains("deadline"),
        "the import scan found nothing"
    );
    assert_eq!(find_cycle(&graph), None, "domain import graph: {graph:#?}");
    let leaves = graph.values().filter(|used| used.is_empty()).count();
    println!(
        "architecture: {} domain modules, {leaves} of them leaves, no import cycle",
        graph.len()
    );
}

#[test]
fn the_domain_reads_no_clock_no_environment_and_no_aws() {
    for (name, source) in domain_modules() {
        for forbidden in [
            "aws_sdk",
            "aws_lambda_events",
            "lambda_http",
            "lambda_runtime",
            "crate::adapters",
            "crate::service",
            "tokio::",
            "std::env",
            "Timestamp::now",
            "SystemTime",
            "getrandom",
        ] {
            assert!(
                !source.contains(forbidden),
                "domain::{name} uses {forbidden}: the domain is pure (architecture §2)"
            );
        }
    }
}
