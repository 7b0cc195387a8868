//! The template's DynamoDB grants for each function, enforced on that function's client
//! the way IAM enforces them in AWS.
//!
//! moto checks no permission, so a role that is too narrow would pass every local test
//! and fail in production, and one that is too wide would never be noticed. devstack and
//! the tests therefore give each function a DynamoDB client that refuses, before
//! sending, every call its role's statements (actions, table or index, and the
//! `dynamodb:LeadingKeys` condition) would refuse. `SIGAP_IAM_LOG=<file>` also writes
//! each distinct access (allowed or denied) there once: `make test` fails on a denial,
//! except those of a function named `…:probe` (a test denied on purpose).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemInput;
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemInput;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemInput;
use aws_sdk_dynamodb::operation::get_item::GetItemInput;
use aws_sdk_dynamodb::operation::put_item::PutItemInput;
use aws_sdk_dynamodb::operation::query::QueryInput;
use aws_sdk_dynamodb::operation::scan::ScanInput;
use aws_sdk_dynamodb::operation::transact_get_items::TransactGetItemsInput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemInput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_types::config_bag::ConfigBag;
use serde_yaml_ng::{Mapping, Value};
use sigap::runtime::aws::AwsClients;

/// The table's partition key attribute (the template's key schema; every item has one).
const PARTITION_KEY: &str = "PK";

/// What a statement's `Resource` names in the table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// The table itself (items, and queries on its own key).
    Table,
    /// One index, by name.
    Index(String),
    /// Every index (`${Table.Arn}/index/*`).
    AnyIndex,
}

impl Target {
    fn covers(&self, wanted: &Target) -> bool {
        match (self, wanted) {
            (Target::AnyIndex, Target::Index(_)) => true,
            (a, b) => a == b,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Table => f.write_str("table"),
            Target::Index(name) => write!(f, "index/{name}"),
            Target::AnyIndex => f.write_str("index/*"),
        }
    }
}

/// One `Allow` statement on the table: its actions, what it names, and the partition
/// keys its `dynamodb:LeadingKeys` condition admits (`None`: no condition, any key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableGrant {
    /// `dynamodb:PutItem` and so on.
    pub actions: BTreeSet<String>,
    /// The table, or indexes.
    pub targets: Vec<Target>,
    /// `StringLike` patterns (`*` and `?`) every partition key of a call must match.
    pub leading_keys: Option<Vec<String>>,
}

/// One permission a call needs: IAM checks a transaction item by item.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Need {
    /// The IAM action, e.g. `dynamodb:UpdateItem`.
    pub action: &'static str,
    /// The table, or the index the call reads.
    pub target: Target,
    /// The partition key values the call names (none for a scan).
    pub keys: Vec<String>,
}

/// A function's DynamoDB grants, from its role in the template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableAccess {
    /// The function's logical id.
    pub function: String,
    /// Its role's `Allow` statements on the table.
    pub grants: Vec<TableGrant>,
}

/// A statement devstack cannot judge the way IAM would.
#[derive(Debug, thiserror::Error)]
#[error("{role}: {why}")]
pub struct PolicyError {
    role: String,
    why: String,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Sequence(seq)) => seq
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// What one `Resource` entry names in `table` (`!GetAtt Table.Arn`, `!Sub
/// "${Table.Arn}/index/GSI2"`), if it is in that table at all.
fn target_of(entry: &Value, table: &str) -> Option<Target> {
    match entry {
        Value::Tagged(t) if t.tag == "GetAtt" => {
            (t.value.as_str() == Some(&format!("{table}.Arn"))).then_some(Target::Table)
        }
        Value::Tagged(t) if t.tag == "Sub" => {
            let text = t.value.as_str()?;
            let index = text.strip_prefix(&format!("${{{table}.Arn}}/index/"))?;
            Some(match index {
                "*" => Target::AnyIndex,
                name => Target::Index(name.to_string()),
            })
        }
        _ => None,
    }
}

/// The list at `value.outer.inner`, or none.
fn sequence_at<'a>(value: &'a Value, outer: &str, inner: &str) -> &'a [Value] {
    value
        .get(outer)
        .and_then(|v| v.get(inner))
        .and_then(Value::as_sequence)
        .map_or(&[], Vec::as_slice)
}

impl TableAccess {
    /// The grants on `table` (a logical id) of the role `role` (its resource in the
    /// template), for the function `function`.
    pub fn from_role(
        function: &str,
        role: &str,
        resource: &Value,
        table: &str,
    ) -> Result<Self, PolicyError> {
        let fail = |why: String| PolicyError {
            role: role.to_string(),
            why,
        };
        let mut grants = Vec::new();
        for policy in sequence_at(resource, "Properties", "Policies") {
            for statement in sequence_at(policy, "PolicyDocument", "Statement") {
                let actions: BTreeSet<String> = strings(statement.get("Action"))
                    .into_iter()
                    .filter(|a| a.starts_with("dynamodb:"))
                    .collect();
                if actions.is_empty() {
                    continue;
                }
                let targets: Vec<Target> = statement
                    .get("Resource")
                    .and_then(Value::as_sequence)
                    .map(|seq| seq.iter().filter_map(|r| target_of(r, table)).collect())
                    .unwrap_or_default();
                if targets.is_empty() {
                    continue;
                }
                if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
                    return Err(fail(
                        "only Allow statements on the table are emulated".into(),
                    ));
                }
                let leading_keys = match statement.get("Condition") {
                    None => None,
                    Some(condition) => Some(leading_keys(condition).map_err(fail)?),
                };
                grants.push(TableGrant {
                    actions,
                    targets,
                    leading_keys,
                });
            }
        }
        Ok(Self {
            function: function.to_string(),
            grants,
        })
    }

    /// Whether some statement allows `need`.
    pub fn allows(&self, need: &Need) -> bool {
        self.grants.iter().any(|grant| {
            grant.actions.contains(need.action)
                && grant.targets.iter().any(|t| t.covers(&need.target))
                && match &grant.leading_keys {
                    None => true,
                    // ForAllValues: every key must match a pattern (and no key at all,
                    // as in a scan, passes: IAM's rule, and why no role grants Scan).
                    Some(patterns) => need
                        .keys
                        .iter()
                        .all(|key| patterns.iter().any(|p| string_like(p, key))),
                }
        })
    }

    /// `clients` with this access enforced on every DynamoDB call made through them.
    pub fn guard(&self, clients: &AwsClients) -> AwsClients {
        let config = clients
            .dynamodb
            .config()
            .to_builder()
            .interceptor(Guard(Arc::new(self.clone())))
            .build();
        AwsClients {
            dynamodb: aws_sdk_dynamodb::Client::from_conf(config),
            ..clients.clone()
        }
    }
}

/// The patterns of a `Condition` that holds only `ForAllValues:StringLike` (or
/// `StringEquals`) on `dynamodb:LeadingKeys`.
fn leading_keys(condition: &Value) -> Result<Vec<String>, String> {
    let Some(map) = condition.as_mapping() else {
        return Err("a Condition that is not a map".into());
    };
    let mut patterns = Vec::new();
    for (operator, keys) in map {
        let operator = operator.as_str().unwrap_or_default();
        let literal = match operator {
            "ForAllValues:StringLike" => false,
            "ForAllValues:StringEquals" => true,
            other => return Err(format!("condition operator {other} is not emulated")),
        };
        let keys: &Mapping = keys.as_mapping().ok_or("a condition that is not a map")?;
        for (key, values) in keys {
            if key.as_str() != Some("dynamodb:LeadingKeys") {
                return Err(format!("condition key {key:?} is not emulated"));
            }
            for value in strings(Some(values)) {
                patterns.push(if literal {
                    value.replace('*', "\\*")
                } else {
                    value
                });
            }
        }
    }
    Ok(patterns)
}

/// IAM's `StringLike`: `*` is any run of characters, `?` any one (case-sensitive).
pub fn string_like(pattern: &str, value: &str) -> bool {
    fn matches(p: &[char], v: &[char]) -> bool {
        match p.split_first() {
            None => v.is_empty(),
            Some(('\\', rest)) if rest.first() == Some(&'*') => {
                v.first() == Some(&'*') && matches(&rest[1..], &v[1..])
            }
            Some(('*', rest)) => (0..=v.len()).any(|i| matches(rest, &v[i..])),
            Some(('?', rest)) => !v.is_empty() && matches(rest, &v[1..]),
            Some((c, rest)) => v.first() == Some(c) && matches(rest, &v[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    matches(&p, &v)
}

fn partition(item: Option<&HashMap<String, AttributeValue>>) -> Vec<String> {
    item.and_then(|i| i.get(PARTITION_KEY))
        .and_then(|v| v.as_s().ok())
        .map(|s| vec![s.clone()])
        .unwrap_or_default()
}

/// The partition key value a query names: the value bound to the first attribute of
/// its key condition (`PK = :pk AND …`, or `GSI2PK = :queue`).
fn queried(input: &QueryInput) -> Vec<String> {
    let condition = input.key_condition_expression().unwrap_or_default();
    let placeholder = condition
        .split_once('=')
        .map(|(_, rest)| rest.split_whitespace().next().unwrap_or_default())
        .unwrap_or_default();
    input
        .expression_attribute_values()
        .and_then(|values| values.get(placeholder))
        .and_then(|v| v.as_s().ok())
        .map(|s| vec![s.clone()])
        .unwrap_or_default()
}

fn table() -> Target {
    Target::Table
}

fn target(index: Option<&str>) -> Target {
    index.map_or(Target::Table, |name| Target::Index(name.to_string()))
}

/// The permissions the call `input` needs, or `None` for an operation this module
/// does not know (refused: a function must not reach past what is emulated).
pub fn needs(
    input: &aws_smithy_runtime_api::client::interceptors::context::Input,
) -> Option<Vec<Need>> {
    let need = |action, target, keys| Need {
        action,
        target,
        keys,
    };
    if let Some(i) = input.downcast_ref::<GetItemInput>() {
        return Some(vec![need("dynamodb:GetItem", table(), partition(i.key()))]);
    }
    if let Some(i) = input.downcast_ref::<PutItemInput>() {
        return Some(vec![need("dynamodb:PutItem", table(), partition(i.item()))]);
    }
    if let Some(i) = input.downcast_ref::<UpdateItemInput>() {
        return Some(vec![need(
            "dynamodb:UpdateItem",
            table(),
            partition(i.key()),
        )]);
    }
    if let Some(i) = input.downcast_ref::<DeleteItemInput>() {
        return Some(vec![need(
            "dynamodb:DeleteItem",
            table(),
            partition(i.key()),
        )]);
    }
    if let Some(i) = input.downcast_ref::<QueryInput>() {
        return Some(vec![need(
            "dynamodb:Query",
            target(i.index_name()),
            queried(i),
        )]);
    }
    if let Some(i) = input.downcast_ref::<ScanInput>() {
        return Some(vec![need(
            "dynamodb:Scan",
            target(i.index_name()),
            Vec::new(),
        )]);
    }
    if let Some(i) = input.downcast_ref::<TransactWriteItemsInput>() {
        return Some(
            i.transact_items()
                .iter()
                .filter_map(|item| {
                    if let Some(put) = item.put() {
                        Some(need(
                            "dynamodb:PutItem",
                            table(),
                            partition(Some(put.item())),
                        ))
                    } else if let Some(update) = item.update() {
                        Some(need(
                            "dynamodb:UpdateItem",
                            table(),
                            partition(Some(update.key())),
                        ))
                    } else if let Some(delete) = item.delete() {
                        Some(need(
                            "dynamodb:DeleteItem",
                            table(),
                            partition(Some(delete.key())),
                        ))
                    } else {
                        item.condition_check().map(|check| {
                            need(
                                "dynamodb:ConditionCheckItem",
                                table(),
                                partition(Some(check.key())),
                            )
                        })
                    }
                })
                .collect(),
        );
    }
    if let Some(i) = input.downcast_ref::<TransactGetItemsInput>() {
        return Some(
            i.transact_items()
                .iter()
                .filter_map(|item| item.get())
                .map(|get| need("dynamodb:GetItem", table(), partition(Some(get.key()))))
                .collect(),
        );
    }
    if let Some(i) = input.downcast_ref::<BatchGetItemInput>() {
        let keys = i
            .request_items()
            .into_iter()
            .flat_map(HashMap::values)
            .flat_map(|k| k.keys())
            .flat_map(|key| partition(Some(key)))
            .collect();
        return Some(vec![need("dynamodb:BatchGetItem", table(), keys)]);
    }
    if let Some(i) = input.downcast_ref::<BatchWriteItemInput>() {
        let keys = i
            .request_items()
            .into_iter()
            .flat_map(HashMap::values)
            .flatten()
            .flat_map(|w| {
                let put = w.put_request().map(|p| p.item());
                let delete = w.delete_request().map(|d| d.key());
                partition(put.or(delete))
            })
            .collect();
        return Some(vec![need("dynamodb:BatchWriteItem", table(), keys)]);
    }
    None
}

/// The partition a key belongs to, as a `LeadingKeys` pattern names it: up to and
/// including its first `#` (`R#BDG-K7M2QX` → `R#*`).
pub fn kind_of(key: &str) -> String {
    match key.split_once('#') {
        Some((kind, _)) => format!("{kind}#*"),
        None => key.to_string(),
    }
}

/// Writes each distinct access once to `SIGAP_IAM_LOG`, if set.
fn log(line: String) {
    static SEEN: OnceLock<Mutex<(HashSet<String>, Option<std::fs::File>)>> = OnceLock::new();
    let seen = SEEN.get_or_init(|| {
        let file = std::env::var_os("SIGAP_IAM_LOG").and_then(|path| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .ok()
        });
        Mutex::new((HashSet::new(), file))
    });
    if let Ok(mut guard) = seen.lock() {
        let (lines, file) = &mut *guard;
        if let Some(file) = file
            && lines.insert(line.clone())
        {
            let _ = writeln!(file, "{line}");
        }
    }
}

/// The interceptor: judges each call before it is sent.
#[derive(Debug, Clone)]
struct Guard(Arc<TableAccess>);

/// A call the function's role does not allow: AWS would answer `AccessDeniedException`.
#[derive(Debug, thiserror::Error)]
#[error(
    "AccessDeniedException (devstack's IAM check): {function} may not {action} on {target} for partition key {key}"
)]
pub struct Denied {
    function: String,
    action: String,
    target: Target,
    key: String,
}

impl Intercept for Guard {
    fn name(&self) -> &'static str {
        "TableAccessGuard"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let access = &self.0;
        let Some(needs) = needs(context.input()) else {
            return Err(Box::new(Denied {
                function: access.function.clone(),
                action: "an operation devstack does not judge".into(),
                target: Target::Table,
                key: "-".into(),
            }));
        };
        for need in needs {
            let allowed = access.allows(&need);
            let keys: BTreeSet<String> = need.keys.iter().map(|k| kind_of(k)).collect();
            let shown = keys.into_iter().collect::<Vec<_>>().join(",");
            let verdict = if allowed { "allowed" } else { "denied" };
            log(format!(
                "{verdict} {} {} {} {shown}",
                access.function, need.action, need.target
            ));
            if !allowed {
                let key = need.keys.iter().find(|k| {
                    !access.allows(&Need {
                        keys: vec![(*k).clone()],
                        ..need.clone()
                    })
                });
                return Err(Box::new(Denied {
                    function: access.function.clone(),
                    action: need.action.to_string(),
                    target: need.target.clone(),
                    key: key.cloned().unwrap_or_else(|| shown.clone()),
                }));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_like_matches_as_iam_does() {
        assert!(string_like("R#*", "R#BDG-K7M2QX"));
        assert!(string_like("R#*", "R#"));
        assert!(!string_like("R#*", "RATE#x"));
        assert!(!string_like("R#*", "r#x"));
        assert!(string_like("L#citizen:*", "L#citizen:abc#h"));
        assert!(string_like("Q#?ERIFY", "Q#VERIFY"));
        assert!(!string_like("Q#VERIFY", "Q#VERIFY2"));
        assert!(string_like("a\\*", "a*"));
        assert!(!string_like("a\\*", "ab"));
    }

    #[test]
    fn a_condition_admits_only_its_partitions_and_nothing_unconditioned_is_assumed() {
        let role: Value = serde_yaml_ng::from_str(
            r#"
Properties:
  Policies:
    - PolicyDocument:
        Statement:
          - Effect: Allow
            Action: [dynamodb:PutItem, dynamodb:GetItem]
            Resource: [!GetAtt Table.Arn]
            Condition:
              ForAllValues:StringLike:
                dynamodb:LeadingKeys: ["R#*", "I#*"]
          - Effect: Allow
            Action: dynamodb:Query
            Resource: [!Sub "${Table.Arn}/index/GSI2"]
          - Effect: Allow
            Action: sqs:SendMessage
            Resource: [!GetAtt Queue.Arn]
"#,
        )
        .unwrap();
        let access = TableAccess::from_role("WebIntake", "Role", &role, "Table").unwrap();
        assert_eq!(access.grants.len(), 2);
        let put = |keys: &[&str]| Need {
            action: "dynamodb:PutItem",
            target: table(),
            keys: keys.iter().map(|k| k.to_string()).collect(),
        };
        assert!(access.allows(&put(&["R#BDG-1"])));
        assert!(access.allows(&put(&["R#BDG-1", "I#citizen:x"])));
        assert!(!access.allows(&put(&["R#BDG-1", "K#key"])));
        assert!(!access.allows(&put(&["CAL#2026"])));
        let delete = Need {
            action: "dynamodb:DeleteItem",
            ..put(&["R#BDG-1"])
        };
        assert!(!access.allows(&delete));
        let query = |index: Option<&str>| Need {
            action: "dynamodb:Query",
            target: target(index),
            keys: vec!["Q#VERIFY".into()],
        };
        assert!(access.allows(&query(Some("GSI2"))));
        assert!(!access.allows(&query(Some("GSI1"))));
        assert!(!access.allows(&query(None)));
    }

    #[test]
    fn conditions_it_cannot_judge_are_refused_at_start_up() {
        let role: Value = serde_yaml_ng::from_str(
            r#"
Properties:
  Policies:
    - PolicyDocument:
        Statement:
          - Effect: Allow
            Action: dynamodb:GetItem
            Resource: [!GetAtt Table.Arn]
            Condition:
              StringEquals:
                aws:SourceVpc: vpc-1
"#,
        )
        .unwrap();
        let error = TableAccess::from_role("F", "Role", &role, "Table").unwrap_err();
        assert!(error.to_string().contains("not emulated"), "{error}");
    }

    #[test]
    fn a_key_names_its_kind() {
        assert_eq!(kind_of("R#BDG-K7M2QX"), "R#*");
        assert_eq!(kind_of("CATALOG#AGENCY"), "CATALOG#*");
        assert_eq!(kind_of("plain"), "plain");
    }
}
