//! `devstack`: the whole Sigap system on one machine, with moto standing in for AWS.
//!
//! [`start`] reads the template, provisions its resources in moto, builds every
//! function in-process, serves the HTTP routes, polls the SQS event sources and fires
//! the schedules. What the template declares and devstack cannot run fails start-up.

pub mod console;
pub mod crashes;
pub mod functions;
pub mod graph;
pub mod iam;
pub mod jwt;
pub mod panic_tool;
pub mod provision;
pub mod server;
pub mod sms;
pub mod sources;
pub mod template;
pub mod whatsapp_tool;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use jiff::{SignedDuration, Timestamp};
use sigap::adapters::calendar::{CalendarCache, CalendarStore};
use sigap::adapters::catalog::CatalogStore;
use sigap::adapters::secrets::resolve_secrets;
use sigap::domain::calendar::HolidayData;
use sigap::domain::catalog::{
    BUNDLED_AGENCIES, BUNDLED_CATEGORIES, parse_agencies, parse_categories,
};
use sigap::runtime::aws::AwsClients;
use sigap::runtime::clock::Clock;
use sigap::runtime::config::Settings;
use sigap::runtime::ids::IdGenerator;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tracing::warn;

use crate::functions::Invoker;
use crate::jwt::DevAuthority;
use crate::provision::{Stack, provision};
use crate::server::{Gate, Route};
use crate::sources::{QueueSource, Schedule};
use crate::template::{EventSpec, Template};

/// Why devstack could not start.
#[derive(Debug, thiserror::Error)]
pub enum DevstackError {
    /// The template cannot be run.
    #[error(transparent)]
    Template(#[from] template::TemplateError),
    /// Creating resources failed.
    #[error(transparent)]
    Provision(#[from] provision::ProvisionError),
    /// A function could not be built.
    #[error(transparent)]
    Function(#[from] functions::FunctionError),
    /// A trigger does not fit its function (e.g. an HTTP route on an event function).
    #[error("{0}")]
    Mismatch(String),
    /// Seeding or listening failed.
    #[error("{0}")]
    Io(String),
}

/// A clock that runs with the system clock plus an offset the developer can move, so
/// working-day behaviour over days can be shown in minutes. Never used in a deploy.
#[derive(Debug, Default)]
pub struct DevClock {
    offset: Mutex<SignedDuration>,
}

impl DevClock {
    /// Moves the clock forward by `by` (cumulative).
    pub fn advance(&self, by: SignedDuration) {
        if let Ok(mut offset) = self.offset.lock() {
            *offset = offset.saturating_add(by);
        }
    }

    /// The current offset.
    pub fn offset(&self) -> SignedDuration {
        self.offset.lock().map(|o| *o).unwrap_or_default()
    }
}

impl Clock for DevClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
            .saturating_add(self.offset())
            .unwrap_or_else(|_| Timestamp::now())
    }
}

/// How to start devstack.
pub struct Options {
    /// Template text (normally `infra/template.yaml`).
    pub template: String,
    /// Prefix of every resource name (isolates parallel runs).
    pub prefix: String,
    /// Address to serve the HTTP API on (port 0 picks a free one).
    pub bind: SocketAddr,
    /// Clients pointed at moto.
    pub clients: AwsClients,
    /// Clock handed to every function.
    pub clock: Arc<dyn Clock>,
    /// Id generator handed to every function.
    pub ids: Arc<dyn IdGenerator>,
    /// Whether to poll queues and run schedules in the background (tests may drive them).
    pub background: bool,
    /// A clock to expose at `/_devstack/clock` so developers can move time (dev only);
    /// with it come the other dev tools (`/_devstack/sms`, `/_devstack/whatsapp`,
    /// `/_devstack/panic`).
    pub dev_clock: Option<Arc<DevClock>>,
    /// moto's URL, for `/_devstack/texts` and the console's SMS lines (dev only).
    pub moto_url: Option<String>,
    /// Invocations to cut off at a random moment (the chaos suite's crashes).
    pub crashes: Option<Arc<crashes::CrashPlan>>,
}

/// A running devstack.
pub struct Running {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// The provisioned resources.
    pub stack: Stack,
    /// Routes served, as `METHOD /path`.
    pub routes: Vec<String>,
    /// SQS event sources.
    pub queue_sources: Vec<QueueSource>,
    /// Schedules by `<Function>.<Event>`.
    pub schedules: Vec<Schedule>,
    /// An Open311 API key issued for trying the API locally.
    pub demo_api_key: String,
    gate: Arc<Gate>,
    clients: AwsClients,
    moto_url: Option<String>,
    tasks: Vec<JoinHandle<()>>,
}

/// The demo staff `make run` prints a token for: the variable's stem and the group.
pub const DEMO_STAFF: [(&str, &str); 7] = [
    ("ADMIN", "admin"),
    ("SUPERVISOR", "supervisor"),
    ("OPERATOR", "operator"),
    ("RESPONDER", "responder:polsek-coblong"),
    ("DSDABM", "agency:dsdabm"),
    ("DLH", "agency:dlh"),
    ("DISHUB", "agency:dishub"),
];

impl Running {
    /// Fires a schedule now, by event name or `<Function>.<Event>`.
    pub async fn fire(&self, name: &str) -> Result<serde_json::Value, String> {
        let schedule = self
            .schedules
            .iter()
            .find(|s| s.name == name || s.name.ends_with(&format!(".{name}")))
            .ok_or_else(|| format!("no schedule {name}"))?;
        schedule.fire().await
    }

    /// A dev token for `subject` in `groups` (e.g. `["agency:dlh"]`), valid 12 hours.
    pub fn token(&self, subject: &str, groups: &[&str]) -> String {
        self.gate
            .authority
            .token(subject, groups, self.gate.clock.now(), 12)
    }

    /// A dev token issued at `issued` and valid `hours` from then (tests use it for
    /// expired tokens).
    pub fn token_issued(
        &self,
        subject: &str,
        groups: &[&str],
        issued: Timestamp,
        hours: i64,
    ) -> String {
        self.gate.authority.token(subject, groups, issued, hours)
    }

    /// `export NAME_TOKEN=…` for each of [`DEMO_STAFF`], as `make run` prints them.
    pub fn demo_staff_tokens(&self) -> Vec<(String, String)> {
        DEMO_STAFF
            .iter()
            .map(|(name, group)| {
                let subject = format!("dev-{}", name.to_lowercase());
                (format!("{name}_TOKEN"), self.token(&subject, &[group]))
            })
            .collect()
    }

    /// Writes what Sigap sends out to `sink`, one line each, until shutdown: the
    /// command-centre queue's pages and stand-downs, and (with moto's URL) every SMS
    /// sent from the moment this returns.
    pub async fn watch(&mut self, sink: console::Sink) {
        if let Some(queue) = self.stack.queue("CommandCentreQueue") {
            self.tasks.push(tokio::spawn(console::pages_forever(
                self.clients.clone(),
                queue.url.clone(),
                sink.clone(),
            )));
        }
        if let Some(moto_url) = &self.moto_url {
            // Counted before returning: a text sent right after must not be taken for
            // one sent before (under load moto's first dump can take seconds).
            let already = console::texts_so_far(moto_url).await;
            self.tasks.push(tokio::spawn(console::texts_forever(
                moto_url.clone(),
                already,
                sink,
            )));
        }
    }

    /// Stops serving, polling and scheduling.
    pub fn shutdown(self) {
        for task in self.tasks {
            task.abort();
        }
    }
}

/// Writes the bundled categories and agencies into the table (replacing them), and
/// the bundled holiday calendar unless the table already has one.
pub async fn seed(clients: &AwsClients, table: &str) -> Result<Seeded, DevstackError> {
    let store = CatalogStore::new(clients.dynamodb.clone(), table);
    let categories =
        parse_categories(BUNDLED_CATEGORIES).map_err(|e| DevstackError::Io(e.to_string()))?;
    let agencies =
        parse_agencies(BUNDLED_AGENCIES).map_err(|e| DevstackError::Io(e.to_string()))?;
    for c in &categories {
        store
            .put_category(c)
            .await
            .map_err(|e| DevstackError::Io(e.to_string()))?;
    }
    for a in &agencies {
        store
            .put_agency(a)
            .await
            .map_err(|e| DevstackError::Io(e.to_string()))?;
    }
    let holidays = HolidayData::bundled().map_err(|e| DevstackError::Io(e.to_string()))?;
    let calendar_written = CalendarStore::new(clients.dynamodb.clone(), table)
        .seed(holidays, Timestamp::now())
        .await
        .map_err(|e| DevstackError::Io(e.to_string()))?;
    Ok(Seeded {
        categories: categories.len(),
        agencies: agencies.len(),
        calendar_written,
    })
}

/// Demo responders' phones for acks by SMS (`1 <code>`), devstack only: a deployed
/// stack registers its real responders.
pub const DEMO_RESPONDERS: [(&str, &str); 3] = [
    ("081100000001", "polsek-coblong"),
    ("081100000002", "damkar-bandung"),
    ("081100000003", "ambulans-kota"),
];

async fn seed_demo_responders(
    clients: &AwsClients,
    table: &str,
    sender_key: &str,
) -> Result<(), DevstackError> {
    for (phone, unit) in DEMO_RESPONDERS {
        set_responder_phone(clients, table, sender_key, phone, Some(unit)).await?;
    }
    Ok(())
}

/// Registers the number a responder of `unit` texts acks from (`1 <code>`), or with
/// `None` forgets it. Ops use it on a deployed stack (`make responder`); the number is
/// stored only as its keyed hash, like every sender's.
pub async fn set_responder_phone(
    clients: &AwsClients,
    table: &str,
    sender_key: &str,
    phone: &str,
    unit: Option<&str>,
) -> Result<(), DevstackError> {
    let store = sigap::adapters::incidents::IncidentStore::new(clients.dynamodb.clone(), table);
    let phone = sigap::domain::contact::PhoneNumber::parse(phone)
        .map_err(|e| DevstackError::Io(format!("{phone}: {e}")))?;
    let hash = sigap::domain::contact::SenderKey::new(sender_key)
        .map_err(|e| DevstackError::Io(e.to_string()))?
        .phone(&phone);
    match unit {
        Some(unit) => {
            let at = jiff::Timestamp::now();
            store
                .register_responder(&hash, unit, &phone.masked(), "ops:make-responder", at)
                .await
        }
        None => store.remove_responder(&hash).await.map(|_| ()),
    }
    .map_err(|e| DevstackError::Io(e.to_string()))
}

/// Issues a fresh Open311 API key named "demo" (devstack only; admins issue real ones).
async fn demo_open311_key(
    clients: &AwsClients,
    table: &str,
    ids: &dyn IdGenerator,
) -> Result<String, DevstackError> {
    let random = |n| {
        ids.random_bytes(n)
            .map(hex::encode)
            .map_err(|e| DevstackError::Io(e.to_string()))
    };
    let key = sigap::adapters::api_keys::ApiKey {
        id: random(4)?,
        name: "demo (devstack)".into(),
        created_by: "devstack".into(),
        created_at: Timestamp::now(),
        revoked_at: None,
    };
    let secret = random(24)?;
    sigap::adapters::api_keys::ApiKeyStore::new(clients.dynamodb.clone(), table)
        .issue(&key, &secret)
        .await
        .map_err(|e| DevstackError::Io(e.to_string()))?;
    Ok(format!("{}.{secret}", key.id))
}

/// What [`seed`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    /// Categories written (replaced).
    pub categories: usize,
    /// Agencies written (replaced).
    pub agencies: usize,
    /// The calendar's first revision was written (false: admins' revisions exist).
    pub calendar_written: bool,
}

/// Provisions, seeds, builds every function and starts serving.
pub async fn start(options: Options) -> Result<Running, DevstackError> {
    let template = Template::parse(&options.template)?;
    let mut stack = provision(&template, &options.clients, &options.prefix).await?;
    // WhatsApp's Graph API is devstack's fake, started first so that the functions'
    // settings name it: a local conversation never reaches Meta.
    let graph = match stack.parameters.get("WhatsAppAccessTokenParameter") {
        Some(name) => Some(Arc::new(
            graph::FakeGraph::start(&provision::dev_secret(name))
                .await
                .map_err(|e| DevstackError::Io(format!("the fake Graph API: {e}")))?,
        )),
        None => None,
    };
    if let Some(graph) = &graph {
        stack
            .parameters
            .insert("WhatsAppGraphUrl".into(), graph.base_url.clone());
    }
    let table = stack
        .table_name()
        .ok_or_else(|| DevstackError::Mismatch("template has no table".into()))?;
    seed(&options.clients, table).await?;
    // Each function's settings as Lambda would see them after its init: secrets put
    // into moto's SSM, then fetched by the same code the functions' `main` runs.
    let mut function_settings = Vec::new();
    for function in &template.functions {
        let environment = stack.environment(&function.environment)?;
        provision::put_dev_secrets(&options.clients, &environment).await?;
        let settings = resolve_secrets(Settings::from_map(environment), &options.clients.ssm)
            .await
            .map_err(|e| DevstackError::Io(format!("{}: {e}", function.logical_id)))?;
        function_settings.push(settings);
    }
    let secret = |name: &str| function_settings.iter().find_map(|s| s.optional(name));
    if let Some(sender_key) = secret("SENDER_HASH_KEY") {
        seed_demo_responders(&options.clients, table, &sender_key).await?;
    }
    let demo_api_key = demo_open311_key(&options.clients, table, options.ids.as_ref()).await?;
    let key = options
        .ids
        .random_bytes(32)
        .map_err(|e| DevstackError::Io(e.to_string()))?;
    // Tokens are real-world sessions: they expire by the wall clock, not by the dev
    // clock, so moving business time forward days does not sign the developer out.
    let gate = Arc::new(Gate {
        authority: DevAuthority::new(key)
            .map_err(|e| DevstackError::Io(format!("dev token key: {e}")))?,
        clock: Arc::new(sigap::runtime::clock::SystemClock),
    });
    let runtime = sigap::runtime::function::Dependencies {
        clients: options.clients.clone(),
        clock: options.clock,
        ids: options.ids,
    };
    let mut routes = Vec::new();
    let mut queue_sources = Vec::new();
    let mut schedules = Vec::new();
    for (function, settings) in template.functions.iter().zip(&function_settings) {
        // Each function's DynamoDB calls are judged by its own role, as IAM would.
        let runtime = sigap::runtime::function::Dependencies {
            clients: function.table_access.guard(&runtime.clients),
            ..runtime.clone()
        };
        let invoker = functions::build(&function.crate_name, settings, &runtime)?;
        let invoker = match &options.crashes {
            Some(plan) => plan.wrap(invoker),
            None => invoker,
        };
        for event in &function.events {
            let mismatch = || {
                DevstackError::Mismatch(format!(
                    "{}: trigger {event:?} does not fit a {} function",
                    function.logical_id,
                    if matches!(invoker, Invoker::Http(_)) {
                        "HTTP"
                    } else {
                        "event"
                    }
                ))
            };
            match (event, &invoker) {
                (
                    EventSpec::Http {
                        method,
                        path,
                        authorizer,
                        ..
                    },
                    Invoker::Http(handler),
                ) => routes.push(Route {
                    method: method.clone(),
                    path: path.clone(),
                    handler: handler.clone(),
                    authorizer: authorizer.clone(),
                }),
                (
                    EventSpec::Sqs {
                        queue, batch_size, ..
                    },
                    Invoker::Event(handler),
                ) => {
                    let q = stack.queue(queue).ok_or_else(mismatch)?;
                    queue_sources.push(QueueSource {
                        function: function.logical_id.clone(),
                        url: q.url.clone(),
                        arn: q.arn.clone(),
                        batch_size: *batch_size,
                        handler: handler.clone(),
                    });
                }
                (EventSpec::Schedule { name, every, input }, Invoker::Event(handler)) => schedules
                    .push(Schedule {
                        name: format!("{}.{name}", function.logical_id),
                        every: *every,
                        input: input.clone(),
                        handler: handler.clone(),
                    }),
                _ => return Err(mismatch()),
            }
        }
    }
    let listener = TcpListener::bind(options.bind)
        .await
        .map_err(|e| DevstackError::Io(e.to_string()))?;
    let address = listener
        .local_addr()
        .map_err(|e| DevstackError::Io(e.to_string()))?;
    let route_names = routes
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let routes = Arc::new(routes);
    // Dev tools (`/_devstack/clock`, `/_devstack/sms`) only when a dev clock is given.
    let twilio_key = secret("TWILIO_AUTH_TOKEN")
        .map(|token| sigap::domain::signature::TwilioKey::new(&token))
        .transpose()
        .map_err(|e| DevstackError::Io(e.to_string()))?;
    let holidays = HolidayData::bundled().map_err(|e| DevstackError::Io(e.to_string()))?;
    let tools = options.dev_clock.map(|clock| {
        Arc::new(DevTools {
            calendar: CalendarCache::new(
                CalendarStore::new(options.clients.dynamodb.clone(), table),
                holidays,
            ),
            moto_url: options.moto_url.clone(),
            schedules: schedules.clone(),
            sms: twilio_key.map(|twilio_key| sms::SmsTool {
                twilio_key,
                table: table.to_string(),
                clients: options.clients.clone(),
            }),
            whatsapp: match (
                secret("WHATSAPP_APP_SECRET"),
                secret("WHATSAPP_PHONE_NUMBER_ID"),
                &graph,
            ) {
                (Some(app_secret), Some(phone_number_id), Some(graph)) => {
                    sigap::domain::signature::HmacKey::new(
                        "WHATSAPP_APP_SECRET",
                        app_secret.as_bytes(),
                    )
                    .ok()
                    .map(|app_secret| whatsapp_tool::WhatsAppTool {
                        app_secret,
                        phone_number_id,
                        graph: graph.clone(),
                    })
                }
                _ => None,
            },
            panic: match (secret("DEVICE_KEY"), secret("SENDER_HASH_KEY")) {
                (Some(device_key), Some(sender_hash_key)) => Some(panic_tool::PanicTool {
                    device_key,
                    sender_hash_key,
                    table: table.to_string(),
                    clients: options.clients.clone(),
                    clock: clock.clone(),
                }),
                _ => None,
            },
            clock,
        })
    });
    let mut tasks = vec![tokio::spawn(accept_loop(
        listener,
        routes,
        gate.clone(),
        tools,
    ))];
    if options.background {
        for source in &queue_sources {
            tasks.push(tokio::spawn(sources::poll_forever(
                options.clients.sqs.clone(),
                source.clone(),
                stack.region.clone(),
            )));
        }
        for schedule in &schedules {
            tasks.push(tokio::spawn(schedule.clone().run_forever()));
        }
    }
    Ok(Running {
        base_url: format!("http://{address}"),
        stack,
        routes: route_names,
        queue_sources,
        schedules,
        demo_api_key,
        gate,
        clients: options.clients,
        moto_url: options.moto_url,
        tasks,
    })
}

/// What devstack offers developers besides the API (never part of a deployment).
struct DevTools {
    clock: Arc<DevClock>,
    calendar: CalendarCache,
    moto_url: Option<String>,
    schedules: Vec<Schedule>,
    sms: Option<sms::SmsTool>,
    whatsapp: Option<whatsapp_tool::WhatsAppTool>,
    panic: Option<panic_tool::PanicTool>,
}

async fn accept_loop(
    listener: TcpListener,
    routes: Arc<Vec<Route>>,
    gate: Arc<Gate>,
    tools: Option<Arc<DevTools>>,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(err) => {
                warn!(error = %err, "accept failed");
                continue;
            }
        };
        let routes = routes.clone();
        let gate = gate.clone();
        let tools = tools.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let routes = routes.clone();
                let gate = gate.clone();
                let tools = tools.clone();
                async move {
                    let response = match (tools.as_deref(), request.uri().path()) {
                        (_, "/openapi.json") => server::openapi_endpoint(),
                        (Some(tools), "/_devstack/clock") => {
                            server::clock_endpoint(
                                &tools.clock,
                                &tools.calendar,
                                &tools.schedules,
                                request,
                            )
                            .await
                        }
                        (
                            Some(DevTools {
                                moto_url: Some(moto_url),
                                ..
                            }),
                            "/_devstack/texts",
                        ) => sms::texts_endpoint(moto_url, request).await,
                        (Some(DevTools { sms: Some(sms), .. }), "/_devstack/sms") => {
                            sms::sms_endpoint(sms, request).await
                        }
                        (
                            Some(DevTools {
                                whatsapp: Some(whatsapp),
                                ..
                            }),
                            "/_devstack/whatsapp",
                        ) => whatsapp_tool::whatsapp_endpoint(whatsapp, request).await,
                        (
                            Some(DevTools {
                                panic: Some(panic), ..
                            }),
                            "/_devstack/panic",
                        ) => panic_tool::panic_endpoint(panic, request).await,
                        _ => server::serve(routes, gate, peer, request).await,
                    };
                    Ok::<_, std::convert::Infallible>(response)
                }
            });
            if let Err(err) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                warn!(error = %err, "connection error");
            }
        });
    }
}
