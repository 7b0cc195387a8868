//! The template and the code agree: every function the template deploys is a crate
//! in `functions/` (and every crate is deployed), every environment variable a
//! function reads is set for it in the template and every one set is read (secrets
//! by the name of their SSM parameter, never by value), and
//! devstack serves every route and trigger the template declares, and the OpenAPI
//! document it serves describes exactly those routes.

use std::collections::BTreeSet;
use std::sync::Arc;

use devstack::template::{EventSpec, Template};
use sigap::runtime::clock::SystemClock;
use sigap::runtime::config::SECRET_PARAMETER_SUFFIX;
use sigap::runtime::ids::OsRandom;
use sigap_tests::{devstack, http, template_text, workspace};

/// Every Rust source file under `dir`, concatenated.
fn sources(dir: &std::path::Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            text.push_str(&sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            text.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
    text
}

/// The names a source reads through `Settings` (`required`, `optional`, `parsed_or`).
fn names_read(source: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for call in ["required(\"", "optional(\"", "parsed_or(\""] {
        for (i, _) in source.match_indices(call) {
            let rest = &source[i + call.len()..];
            if let Some(end) = rest.find('"') {
                names.insert(rest[..end].to_string());
            }
        }
    }
    names
}

#[test]
fn every_function_reads_exactly_what_the_template_sets() {
    let template = Template::parse(&template_text()).unwrap();
    let root = workspace();
    let shared = |file: &str| {
        names_read(&std::fs::read_to_string(root.join("shared/src").join(file)).unwrap())
    };
    let working_days = shared("runtime/config.rs");
    let ack_links = shared("service/paging.rs");
    let sms_limits = shared("service/texting.rs");
    let photo_limits = shared("service/photos.rs");
    let edge = shared("http.rs");
    let map_tiles = shared("web/map.rs");
    let whatsapp = shared("service/whatsapp.rs");
    let contract = std::fs::read_to_string(root.join("shared/src/runtime/function.rs")).unwrap();
    let deployed: BTreeSet<String> = template
        .functions
        .iter()
        .map(|f| f.crate_name.clone())
        .collect();
    let crates: BTreeSet<String> = std::fs::read_dir(root.join("functions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(deployed, crates, "template functions vs functions/ crates");
    let members = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    for function in &template.functions {
        let name = &function.crate_name;
        assert!(
            members.contains(&format!("\"functions/{name}\"")),
            "{name} is not a workspace member"
        );
        let source = sources(&root.join("functions").join(name).join("src"));
        let mut read = names_read(&source);
        if source.contains("WorkingDays::load") {
            read.extend(working_days.iter().cloned());
        }
        if source.contains("AckLinks::load") || source.contains("PagingConfig::load") {
            read.extend(ack_links.iter().cloned());
        }
        if source.contains("SmsLimits::load") {
            read.extend(sms_limits.iter().cloned());
        }
        if source.contains("PhotoLimits::load") {
            read.extend(photo_limits.iter().cloned());
        }
        if source.contains("WhatsAppConfig::load") {
            read.extend(whatsapp.iter().cloned());
        }
        if source.contains("MapTiles::load") {
            read.extend(map_tiles.iter().cloned());
        }
        if source.contains("Edge::load") {
            read.extend(edge.iter().cloned());
        }
        // A secret arrives as `NAME_PARAMETER` (an SSM name the function resolves at
        // start-up), so the template never sets a secret's value itself.
        let set: BTreeSet<String> = function
            .environment
            .keys()
            .map(|k| {
                k.strip_suffix(SECRET_PARAMETER_SUFFIX)
                    .unwrap_or(k)
                    .to_string()
            })
            .collect();
        // Every main starts through the function contract, which resolves the secrets.
        let resolves =
            std::fs::read_to_string(root.join("functions").join(name).join("src/main.rs"))
                .unwrap()
                .contains("sigap::runtime::function::serve_")
                && contract.contains("resolve_secrets(Settings::from_env()");
        assert!(
            resolves,
            "{name}'s main does not resolve its secrets from SSM"
        );
        for secret in ["KEY", "SECRET", "TOKEN"] {
            let plain: Vec<_> = function
                .environment
                .keys()
                .filter(|k| k.ends_with(secret))
                .collect();
            assert!(
                plain.is_empty(),
                "{name}: {plain:?} would put a secret's value in the template; pass its SSM name as NAME_PARAMETER"
            );
        }
        // An emulator's endpoint comes from where the function runs, as the AWS
        // clients take it; no template sets it.
        read.remove("AWS_ENDPOINT_URL");
        let missing: Vec<_> = read.difference(&set).collect();
        assert!(
            missing.is_empty(),
            "{name} reads {missing:?}, which the template does not set"
        );
        let unused: Vec<_> = set.difference(&read).collect();
        assert!(
            unused.is_empty(),
            "the template sets {unused:?} for {name}, which it never reads"
        );
    }
}

/// `METHOD path` for every operation in an OpenAPI document.
fn documented_routes(document: &serde_json::Value) -> BTreeSet<String> {
    const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];
    let mut routes = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                routes.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    routes
}

#[test]
fn every_error_response_in_the_openapi_document_has_the_error_shape() {
    let document: serde_json::Value =
        serde_yaml_ng::from_str(devstack::server::OPENAPI_YAML).unwrap();
    let responses = document["components"]["responses"].as_object().unwrap();
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(codes) = operation.get("responses").and_then(|r| r.as_object()) else {
                continue;
            };
            for (code, response) in codes {
                if !code.starts_with('4') && !code.starts_with('5') {
                    continue;
                }
                let name = response["$ref"]
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/components/responses/"))
                    .unwrap_or_else(|| {
                        panic!("{method} {path} {code}: errors use a shared response")
                    });
                let schema = &responses[name]["content"]["application/json"]["schema"];
                // Open311 answers errors in its own format (a list); every other route
                // answers `{"error":{"code","message"}}`.
                // A 401 may also come from API Gateway's authorizer, in its own shape.
                let error = |s: &serde_json::Value| s["$ref"] == "#/components/schemas/Error";
                // The pages answer errors as pages.
                let matches = if name == "PageError" {
                    responses[name]["content"]["text/html"].is_object()
                } else if path.starts_with("/open311/") {
                    schema["type"] == "array"
                } else if name == "Unauthorized" {
                    schema["oneOf"]
                        .as_array()
                        .is_some_and(|o| o.iter().any(error))
                } else {
                    error(schema)
                };
                assert!(
                    matches,
                    "{method} {path} {code}: {name} is not the documented error shape"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "{checked}");
}

#[tokio::test]
async fn devstack_serves_every_route_and_trigger_the_template_declares() {
    let template = Template::parse(&template_text()).unwrap();
    let (mut routes, mut queues, mut schedules) = (BTreeSet::new(), 0, 0);
    for function in &template.functions {
        for event in &function.events {
            match event {
                EventSpec::Http { method, path, .. } => {
                    routes.insert(format!("{method} {path}"));
                }
                EventSpec::Sqs { .. } => queues += 1,
                EventSpec::Schedule { .. } => schedules += 1,
            }
        }
    }
    let running = devstack(
        "agreement",
        Arc::new(SystemClock),
        Arc::new(OsRandom),
        false,
    )
    .await;
    let served: BTreeSet<String> = running.routes.iter().cloned().collect();
    assert_eq!(served, routes);
    // The OpenAPI document devstack serves has exactly the template's routes.
    let reply = http(
        "GET",
        &format!("{}/openapi.json", running.base_url),
        &[],
        None,
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json["openapi"], "3.1.0");
    let documented = documented_routes(&reply.json);
    let undocumented: Vec<_> = routes.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from infra/openapi.yaml: {undocumented:?}"
    );
    let unrouted: Vec<_> = documented.difference(&routes).collect();
    assert!(
        unrouted.is_empty(),
        "infra/openapi.yaml documents routes the template lacks: {unrouted:?}"
    );
    assert_eq!(running.queue_sources.len(), queues);
    assert_eq!(running.schedules.len(), schedules);
    assert!(routes.len() >= 30, "{}", routes.len());
    running.shutdown();
}

/// The ops dashboard's body is JSON once CloudFormation substitutes it, and it charts
/// every function and every dead-letter queue the template declares.
#[test]
fn the_dashboard_is_valid_json_and_covers_every_function_and_dlq() {
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&template_text()).unwrap();
    let resources = doc["Resources"].as_mapping().unwrap();
    let body = match resources
        .get("OpsDashboard")
        .map(|d| &d["Properties"]["DashboardBody"])
    {
        Some(serde_yaml_ng::Value::Tagged(tagged)) if tagged.tag == "Sub" => {
            tagged.value.as_str().expect("a string body").to_string()
        }
        other => panic!("OpsDashboard needs a !Sub body, found {other:?}"),
    };
    let substituted = substitute_names(&body);
    let dashboard: serde_json::Value = serde_json::from_str(&substituted)
        .unwrap_or_else(|e| panic!("dashboard body is not JSON: {e}"));
    assert!(dashboard["widgets"].as_array().unwrap().len() >= 10);
    for (id, resource) in resources {
        let id = id.as_str().unwrap();
        let kind = resource["Type"].as_str().unwrap_or_default();
        let wanted = match kind {
            "AWS::Serverless::Function" => format!("${{{id}}}"),
            "AWS::SQS::Queue" if id.contains("DeadLetter") => format!("${{{id}.QueueName}}"),
            _ => continue,
        };
        assert!(body.contains(&wanted), "the dashboard does not chart {id}");
    }
}

/// `${...}` replaced by a placeholder, as CloudFormation would put a name there.
fn substitute_names(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closed ${") + start;
        out.push_str("name");
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Least privilege: every function has its own role, no action is a wildcard, and
/// only the statements that cannot name a resource use `*` (X-Ray writes; SMS to a
/// phone number from panic and notify, the two functions that text people).
#[test]
fn no_iam_statement_uses_a_wildcard_where_a_resource_can_be_named() {
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&template_text()).unwrap();
    let resources = doc["Resources"].as_mapping().unwrap();
    let strings = |v: &serde_yaml_ng::Value| -> Vec<String> {
        match v {
            serde_yaml_ng::Value::String(s) => vec![s.clone()],
            serde_yaml_ng::Value::Sequence(items) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("{i:?}"))
                })
                .collect(),
            other => vec![format!("{other:?}")],
        }
    };
    let mut roles = 0;
    for (id, resource) in resources {
        let id = id.as_str().unwrap();
        match resource["Type"].as_str() {
            Some("AWS::Serverless::Function") => {
                let props = &resource["Properties"];
                assert!(
                    props.get("Policies").is_none(),
                    "{id}: use its own role, not Policies"
                );
                assert!(props.get("Role").is_some(), "{id} has no role of its own");
            }
            Some("AWS::IAM::Role") => {
                roles += 1;
                for policy in resource["Properties"]["Policies"].as_sequence().unwrap() {
                    for statement in policy["PolicyDocument"]["Statement"].as_sequence().unwrap() {
                        let actions = strings(&statement["Action"]);
                        assert!(
                            actions.iter().all(|a| !a.contains('*')),
                            "{id}: wildcard action in {actions:?}"
                        );
                        // SMS to phone numbers (codes, citizens, a caller's location
                        // link): every publish but to a topic, so no role can publish
                        // to a topic (the panic topic) it is not given.
                        if let Some(not) = statement.get("NotResource") {
                            assert_eq!(
                                actions,
                                ["sns:Publish"],
                                "{id}: NotResource on {actions:?}"
                            );
                            assert!(
                                ["PanicRole", "NotifyRole", "BackofficeRole"].contains(&id),
                                "{id} texts phone numbers"
                            );
                            assert!(
                                format!("{not:?}").contains(":sns:*:*:*"),
                                "{id}: NotResource must be every topic ARN, not {not:?}"
                            );
                            continue;
                        }
                        if strings(&statement["Resource"]) != ["*"] {
                            continue;
                        }
                        let unscoped = |a: &String| a.starts_with("xray:Put");
                        assert!(
                            actions.iter().all(unscoped),
                            "{id}: {actions:?} on \"*\" where a resource can be named"
                        );
                    }
                }
            }
            _ => {}
        }
    }
    assert_eq!(roles, 9);
}

/// Every queue that is not itself a DLQ redrives into one, and a queue a function
/// consumes stays invisible at least six times that function's timeout (AWS's rule, so
/// a slow batch is not handed to a second poller while the first still works on it).
#[test]
fn every_queue_has_a_dlq_and_outlasts_its_consumer() {
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&template_text()).unwrap();
    let resources = doc["Resources"].as_mapping().unwrap();
    let number = |v: &serde_yaml_ng::Value| v.as_u64().or_else(|| v.as_str()?.parse().ok());
    let mut dead_letter_targets = BTreeSet::new();
    for (id, resource) in resources {
        if resource["Type"] != "AWS::SQS::Queue" {
            continue;
        }
        let id = id.as_str().unwrap();
        match resource["Properties"].get("RedrivePolicy") {
            Some(policy) => {
                dead_letter_targets.insert(format!("{:?}", policy["deadLetterTargetArn"]));
            }
            None => assert!(
                id.ends_with("DeadLetterQueue"),
                "{id} has no dead-letter queue"
            ),
        }
    }
    assert!(dead_letter_targets.len() >= 4);
    let mut consumed = 0;
    for (id, resource) in resources {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let id = id.as_str().unwrap();
        let props = &resource["Properties"];
        let timeout = number(&props["Timeout"]).expect("every function sets Timeout");
        for (_, event) in props["Events"].as_mapping().unwrap() {
            if event["Type"] != "SQS" {
                continue;
            }
            let queue = match &event["Properties"]["Queue"] {
                serde_yaml_ng::Value::Tagged(t) => t
                    .value
                    .as_str()
                    .unwrap()
                    .trim_end_matches(".Arn")
                    .to_string(),
                other => panic!("{id}: queue {other:?}"),
            };
            let visibility =
                number(&resources[queue.as_str()]["Properties"]["VisibilityTimeout"]).unwrap_or(30);
            assert!(
                visibility >= 6 * timeout,
                "{queue}: visibility {visibility} s < 6 x {id}'s timeout {timeout} s"
            );
            consumed += 1;
        }
    }
    assert_eq!(consumed, 4);
}

/// Finding 5 of issue 18: every route is throttled on its own, the press route and
/// the webhooks with their own limits, and all of them together stay under the
/// account's regional limit, so no flood on some routes can spend what a real press
/// needs.
#[test]
fn each_route_has_its_own_throttle_and_together_they_fit_the_account() {
    /// API Gateway's default account-level limit per region (requests a second).
    const ACCOUNT_RATE: f64 = 10_000.0;
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&template_text()).unwrap();
    let api = &doc["Resources"]["HttpApi"]["Properties"];
    let rate = |settings: &serde_yaml_ng::Value| settings["ThrottlingRateLimit"].as_f64().unwrap();
    let default = rate(&api["DefaultRouteSettings"]);
    let own = api["RouteSettings"].as_mapping().unwrap();
    let template = Template::parse(&template_text()).unwrap();
    let routes: Vec<String> = template
        .http_routes()
        .map(|(method, path, _)| format!("{method} {path}"))
        .collect();
    for route in own.keys() {
        let route = route.as_str().unwrap();
        assert!(routes.iter().any(|r| r == route), "{route} is no route");
    }
    let limit_of = |route: &str| own.get(route).map_or(default, rate);
    let press = limit_of("POST /panic/press");
    assert!(press > default, "the press route has its own, higher limit");
    for webhook in [
        "POST /sms/twilio",
        "POST /sms/gateway",
        "POST /social/x",
        "POST /whatsapp",
    ] {
        assert!(own.contains_key(webhook), "{webhook} has its own limit");
        assert!(limit_of(webhook) < default, "{webhook}");
    }
    let total: f64 = routes.iter().map(|r| limit_of(r)).sum();
    println!(
        "throttles: {} routes, {total} requests a second together (press {press}), account limit {ACCOUNT_RATE}",
        routes.len()
    );
    assert!(
        total <= ACCOUNT_RATE,
        "{total} over the account's {ACCOUNT_RATE}"
    );
}

/// Finding 14 of issue 18: staff sign in with a second factor, and a removed staff
/// member's tokens stop working within minutes.
#[test]
fn staff_sign_in_with_mfa_and_short_lived_tokens() {
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&template_text()).unwrap();
    let pool = &doc["Resources"]["UserPool"]["Properties"];
    assert_eq!(pool["MfaConfiguration"].as_str(), Some("ON"));
    // The API's client and the console's: the same short lives, public clients.
    for name in ["UserPoolClient", "ConsoleClient"] {
        let client = &doc["Resources"][name]["Properties"];
        let units = &client["TokenValidityUnits"];
        let minutes = |value: &str, unit: &str| {
            let n = client[value].as_f64().unwrap();
            match units[unit].as_str().unwrap() {
                "minutes" => n,
                "hours" => n * 60.0,
                "days" => n * 1440.0,
                other => panic!("{other}"),
            }
        };
        assert!(
            minutes("AccessTokenValidity", "AccessToken") <= 15.0,
            "{name}"
        );
        assert!(minutes("IdTokenValidity", "IdToken") <= 15.0, "{name}");
        assert!(
            minutes("RefreshTokenValidity", "RefreshToken") <= 12.0 * 60.0,
            "{name}"
        );
        assert_eq!(
            client["EnableTokenRevocation"].as_bool(),
            Some(true),
            "{name}"
        );
        assert_eq!(client["GenerateSecret"].as_bool(), Some(false), "{name}");
    }
    // The console's client: only the code flow, only back to the console's URL.
    let console =
        serde_yaml_ng::to_string(&doc["Resources"]["ConsoleClient"]["Properties"]).unwrap();
    for allowed in [
        "- code",
        "${ConsoleUrl}/konsol/kembali",
        "${ConsoleUrl}/konsol/keluar",
    ] {
        assert!(console.contains(allowed), "{allowed} in {console}");
    }
    assert!(!console.contains("implicit") && !console.contains("client_credentials"));
}

/// Finding 13: every role reaches the table's items only through the partitions it
/// names (`dynamodb:LeadingKeys`), reaches indexes only to query them, and never scans;
/// the public web-intake role cannot write staff data (API keys, devices, paging
/// configuration, the calendar, the catalog).
#[test]
fn every_role_reaches_only_its_own_partitions_of_the_table() {
    use devstack::iam::{Need, Target};
    let template = Template::parse(&template_text()).unwrap();
    for function in &template.functions {
        let access = &function.table_access;
        assert!(
            !access.grants.is_empty(),
            "{} has no table access",
            function.logical_id
        );
        for grant in &access.grants {
            assert!(
                !grant
                    .actions
                    .iter()
                    .any(|a| a.contains("Scan") || a.contains('*')),
                "{}: {:?} (a scan or a wildcard has no partition to check)",
                function.logical_id,
                grant.actions
            );
            if grant.targets.contains(&Target::Table) {
                assert!(
                    grant
                        .leading_keys
                        .as_ref()
                        .is_some_and(|keys| !keys.is_empty() && keys.iter().all(|k| k != "*")),
                    "{}: {:?} on the table without a LeadingKeys condition",
                    function.logical_id,
                    grant.actions
                );
            } else {
                let query: BTreeSet<String> = ["dynamodb:Query".to_string()].into();
                assert_eq!(
                    grant.actions, query,
                    "{}: an index is only queried",
                    function.logical_id
                );
            }
        }
    }
    let web = template
        .functions
        .iter()
        .find(|f| f.logical_id == "WebIntakeFunction")
        .unwrap();
    for key in [
        "APIKEY#k1",
        "DEV#d1",
        "CONFIG#PAGING",
        "CALENDAR",
        "CATALOG#AGENCY",
        "RESP#h",
        "N#i",
    ] {
        for action in [
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
        ] {
            let need = Need {
                action,
                target: Target::Table,
                keys: vec![key.to_string()],
            };
            assert!(
                !web.table_access.allows(&need),
                "web-intake may {action} {key}"
            );
        }
    }
}

/// Finding 2's outer layer: the web ACL (`infra/edge-waf.yaml`, us-east-1) rate-limits
/// every address and, tighter, the routes that send SMS, answering 429 in the API's
/// error shape; the template's distribution (only with a web ACL) carries it, caches
/// only the pages' content-hashed assets, passes the viewer's address, and adds the
/// edge secret the functions that count addresses check.
#[test]
fn the_edge_rate_limits_addresses_and_tells_the_api_who_the_viewer_is() {
    use serde_yaml_ng::Value;
    let root = workspace();
    let waf: Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(root.join("infra/edge-waf.yaml")).unwrap(),
    )
    .unwrap();
    let acl = &waf["Resources"]["WebAcl"]["Properties"];
    assert_eq!(acl["Scope"], "CLOUDFRONT");
    let body = acl["CustomResponseBodies"]["limited"]["Content"]
        .as_str()
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    assert!(body["error"]["code"].is_string() && body["error"]["message"].is_string());
    let rules = acl["Rules"].as_sequence().unwrap();
    let rate_rules: Vec<&Value> = rules
        .iter()
        .filter(|r| !r["Statement"]["RateBasedStatement"].is_null())
        .collect();
    assert_eq!(
        rate_rules.len(),
        2,
        "one rule for every route, one for the SMS routes"
    );
    for rule in &rate_rules {
        assert_eq!(
            rule["Statement"]["RateBasedStatement"]["AggregateKeyType"],
            "IP"
        );
        let block = &rule["Action"]["Block"]["CustomResponse"];
        assert_eq!(block["ResponseCode"], 429);
        assert_eq!(block["CustomResponseBodyKey"], "limited");
    }
    // The scoped rule names exactly the routes that text a number the caller chose,
    // and they are real routes.
    let scoped = format!(
        "{:?}",
        rate_rules
            .iter()
            .find(|r| !r["Statement"]["RateBasedStatement"]["ScopeDownStatement"].is_null())
            .unwrap()
    );
    let template = Template::parse(&template_text()).unwrap();
    for route in ["/reports", "/panic/devices"] {
        assert!(
            scoped.contains(&format!("\"{route}\"")),
            "{route} is not rate-limited at the edge"
        );
        assert!(
            template
                .functions
                .iter()
                .flat_map(|f| &f.events)
                .any(|e| matches!(e,
                EventSpec::Http { method, path, .. } if method == "POST" && path == route)),
            "POST {route} is not a route"
        );
    }

    let main: Value = serde_yaml_ng::from_str(&template_text()).unwrap();
    let edge = &main["Resources"]["EdgeDistribution"];
    assert_eq!(edge["Condition"], "HasEdge");
    let config = &edge["Properties"]["DistributionConfig"];
    assert_eq!(
        devstack::template::referenced_id(&config["WebACLId"]).as_deref(),
        Some("EdgeWebAclArn")
    );
    let origin = &config["Origins"][0];
    let header = &origin["OriginCustomHeaders"][0];
    assert_eq!(
        header["HeaderName"].as_str().unwrap().to_ascii_lowercase(),
        sigap::http::EDGE_HEADER
    );
    assert_eq!(
        devstack::template::referenced_id(&header["HeaderValue"]).as_deref(),
        Some("EdgeSecret")
    );
    assert_eq!(main["Parameters"]["EdgeSecret"]["NoEcho"], true);
    let behavior = &config["DefaultCacheBehavior"];
    // Managed policies: CachingDisabled, AllViewerExceptHostHeader.
    assert_eq!(
        behavior["CachePolicyId"],
        "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    );
    assert_eq!(
        behavior["OriginRequestPolicyId"],
        "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    );
    assert_eq!(behavior["ViewerProtocolPolicy"], "https-only");
    // The pages' content-hashed assets alone are cached at the edge (CachingOptimized),
    // read-only, and web-intake serves them immutable for a year.
    let cached = config["CacheBehaviors"].as_sequence().unwrap();
    assert_eq!(cached.len(), 1);
    assert_eq!(cached[0]["PathPattern"], "/assets/*");
    assert_eq!(
        cached[0]["CachePolicyId"],
        "658327ea-f89d-4fab-a63d-7e88639e58f6"
    );
    assert_eq!(
        cached[0]["AllowedMethods"],
        serde_yaml_ng::from_str::<Value>("[GET, HEAD]").unwrap()
    );
    let pages = sources(&root.join("functions/web-intake/src/pages"));
    let web = std::fs::read_to_string(root.join("shared/src/web.rs")).unwrap();
    assert!(pages.contains("serve_asset(") && web.contains("public, max-age=31536000, immutable"));
    // Every function that counts a client address can check the edge secret.
    for function in &template.functions {
        let source = sources(
            &root
                .join("functions")
                .join(&function.crate_name)
                .join("src"),
        );
        if source.contains("client_address(") {
            assert!(
                function.environment.contains_key("EDGE_SECRET_PARAMETER"),
                "{} counts addresses without the edge secret",
                function.crate_name
            );
        }
    }
}
