//! Counting AWS calls as the SDK makes them (an interceptor on every client), with
//! when each started and ended: how `make bench` measures the calls on a path.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use sigap::runtime::aws::AwsClients;

/// One AWS call.
#[derive(Debug, Clone)]
pub struct Call {
    /// `Service.Operation`, e.g. `DynamoDB.TransactWriteItems`.
    pub operation: String,
    /// When the SDK started it.
    pub started: Instant,
    /// When it finished (with retries), if it has.
    pub ended: Option<Instant>,
}

/// Every call made through the clients it is installed on.
#[derive(Debug, Clone, Default)]
pub struct CallLog(Arc<Mutex<Vec<Call>>>);

/// The operation a request is for: JSON protocols name it in `X-Amz-Target`
/// (`DynamoDB_20120810.GetItem`, `AmazonSQS.SendMessage`), the query protocol in
/// the body (`Action=Publish`), S3 by its method (`S3.HEAD`).
fn operation(request: &aws_smithy_runtime_api::http::Request) -> String {
    if let Some(target) = request.headers().get("x-amz-target") {
        let (service, name) = target.split_once('.').unwrap_or(("?", target));
        let service = service.split('_').next().unwrap_or(service);
        return format!("{}.{name}", service.trim_start_matches("Amazon"));
    }
    let body = request
        .body()
        .bytes()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    match body
        .split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
    {
        Some(action) => format!("SNS.{action}"),
        // S3's REST calls name neither: the method says which (HEAD, GET, PUT, DELETE).
        None => format!("S3.{}", request.method()),
    }
}

/// Which call an attempt belongs to, kept in the request's own config bag.
#[derive(Debug, Clone, Copy)]
struct CallIndex(usize);

impl aws_smithy_types::config_bag::Storable for CallIndex {
    type Storer = aws_smithy_types::config_bag::StoreReplace<Self>;
}

impl Intercept for CallLog {
    fn name(&self) -> &'static str {
        "CallLog"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // A retry is the same call: only the first attempt starts one.
        if cfg.load::<CallIndex>().is_some() {
            return Ok(());
        }
        let call = Call {
            operation: operation(context.request()),
            started: Instant::now(),
            ended: None,
        };
        if let Ok(mut calls) = self.0.lock() {
            calls.push(call);
            cfg.interceptor_state()
                .store_put(CallIndex(calls.len() - 1));
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(CallIndex(i)) = cfg.load::<CallIndex>().copied()
            && let Ok(mut calls) = self.0.lock()
            && let Some(call) = calls.get_mut(i)
        {
            call.ended = Some(Instant::now());
        }
        Ok(())
    }
}

impl CallLog {
    /// The calls so far, in the order they started.
    pub fn calls(&self) -> Vec<Call> {
        self.0.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Forgets the calls so far.
    pub fn clear(&self) {
        if let Ok(mut calls) = self.0.lock() {
            calls.clear();
        }
    }

    /// How many calls ran one after another at most: the longest chain in which each
    /// call started only after the one before it ended (what latency follows).
    pub fn sequential_depth(&self) -> usize {
        let calls = self.calls();
        let mut depth: Vec<usize> = Vec::with_capacity(calls.len());
        for call in &calls {
            let before = calls
                .iter()
                .zip(&depth)
                .filter(|(c, _)| c.ended.is_some_and(|e| e <= call.started))
                .map(|(_, d)| *d)
                .max()
                .unwrap_or(0);
            depth.push(before + 1);
        }
        depth.into_iter().max().unwrap_or(0)
    }

    /// The chain of calls that had to finish, one after another, before the first
    /// call of `operation` finished: calls that ended before it started, plus itself.
    /// `None` if no such call was made.
    pub fn sequential_until(&self, operation: &str) -> Option<(usize, Instant)> {
        let calls = self.calls();
        let target = calls.iter().find(|c| c.operation == operation)?;
        let before = calls
            .iter()
            .filter(|c| c.ended.is_some_and(|e| e <= target.started))
            .count();
        Some((before + 1, target.ended?))
    }
}

/// Tells devstack's crash plan about every SNS publish attempt as it goes out (its
/// answer may never come back), so a cut invocation is known to have maybe sent
/// something ([`devstack::crashes::note_sent`]).
#[derive(Debug, Clone, Default)]
pub struct SentWitness;

impl Intercept for SentWitness {
    fn name(&self) -> &'static str {
        "SentWitness"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if operation(context.request()) == "SNS.Publish" {
            devstack::crashes::note_sent();
        }
        Ok(())
    }
}

/// Clients pointed at this process's moto that record every call in `log`.
pub async fn counted_clients(log: &CallLog) -> AwsClients {
    let config = crate::sdk_config().await;
    AwsClients {
        dynamodb: aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&config)
                .interceptor(log.clone())
                .build(),
        ),
        sqs: aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(&config)
                .interceptor(log.clone())
                .build(),
        ),
        sns: aws_sdk_sns::Client::from_conf(
            aws_sdk_sns::config::Builder::from(&config)
                .interceptor(log.clone())
                .build(),
        ),
        ssm: aws_sdk_ssm::Client::from_conf(
            aws_sdk_ssm::config::Builder::from(&config)
                .interceptor(log.clone())
                .build(),
        ),
        s3: aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .interceptor(log.clone())
                .build(),
        ),
        credentials: config.credentials_provider(),
        endpoint: config.endpoint_url().map(str::to_string),
    }
}
