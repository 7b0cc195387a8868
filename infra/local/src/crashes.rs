//! Crashes on purpose, for the chaos suite: a share of invocations is cut off at a
//! random moment, as Lambda cuts a function off when it times out or runs out of
//! memory. What the handler had already written stays written; nothing after the cut
//! runs, not even its clean-up. API Gateway then answers 500 with its own body, and an
//! SQS batch comes back after its visibility timeout.
//!
//! An invocation that fails or is cut after a message went out (an SNS publish,
//! answered or not) may not have recorded it, and its retry may send it again: no
//! system can tell. The plan watches every invocation (from what [`note_sent`] is told
//! inside each) and counts what the failed and cut ones sent, so the suite can bound
//! duplicates.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};

use crate::functions::Invoker;

/// Which invocations crash, and when.
pub struct CrashPlan {
    /// Share of invocations cut off (0.0–1.0).
    rate: f64,
    /// Longest time an invocation may run before its cut.
    within: Duration,
    /// xorshift state: the same seed crashes the same draws.
    state: Mutex<u64>,
    armed: AtomicBool,
    crashed: AtomicU64,
    /// Messages sent by invocations that were then cut off or failed.
    sent_by_failed: AtomicU64,
}

tokio::task_local! {
    /// Messages sent so far by the invocation being polled.
    static SENT: Arc<AtomicU64>;
}

/// Tells the running invocation's plan that a message may have gone out (an SNS
/// publish was sent); a no-op outside a planned invocation.
pub fn note_sent() {
    let _ = SENT.try_with(|sent| sent.fetch_add(1, Ordering::SeqCst));
}

impl CrashPlan {
    /// `rate` of invocations are cut off at a uniform moment within `within` (those
    /// that finish sooner are not), drawn from `seed`. Armed from the start.
    pub fn new(rate: f64, within: Duration, seed: u64) -> Arc<Self> {
        Arc::new(Self {
            rate,
            within,
            state: Mutex::new(seed | 1),
            armed: AtomicBool::new(true),
            crashed: AtomicU64::new(0),
            sent_by_failed: AtomicU64::new(0),
        })
    }

    /// Stops (or resumes) crashing.
    pub fn arm(&self, on: bool) {
        self.armed.store(on, Ordering::SeqCst);
    }

    /// How many invocations were cut off.
    pub fn crashed(&self) -> u64 {
        self.crashed.load(Ordering::SeqCst)
    }

    /// Messages that went out from invocations that were then cut off or failed (a
    /// retry may send them again).
    pub fn sent_by_failed(&self) -> u64 {
        self.sent_by_failed.load(Ordering::SeqCst)
    }

    /// Counts an ended invocation: whether it was cut, and what it sent if it failed.
    fn settle(&self, cut: bool, failed: bool, sent: &AtomicU64) {
        if cut {
            self.crashed.fetch_add(1, Ordering::SeqCst);
        }
        if failed {
            self.sent_by_failed
                .fetch_add(sent.load(Ordering::SeqCst), Ordering::SeqCst);
        }
    }

    /// The moment this invocation is cut off, if it is one of the unlucky ones.
    fn draw(&self) -> Option<Duration> {
        if !self.armed.load(Ordering::SeqCst) {
            return None;
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = || {
            *state ^= *state << 13;
            *state ^= *state >> 7;
            *state ^= *state << 17;
            (*state >> 11) as f64 / (1u64 << 53) as f64
        };
        (next() < self.rate).then(|| self.within.mul_f64(next()))
    }

    /// Runs one invocation: watched for what it sends, and cut off if it is drawn.
    /// `None` when it was cut; `failed` says whether a finished one failed.
    async fn run<T>(
        &self,
        invocation: impl std::future::Future<Output = T>,
        failed: impl FnOnce(&T) -> bool,
    ) -> Option<T> {
        let sent = Arc::new(AtomicU64::new(0));
        let run = SENT.scope(sent.clone(), invocation);
        let outcome = match self.draw() {
            None => Some(run.await),
            Some(cut) => tokio::select! {
                outcome = run => Some(outcome),
                () = tokio::time::sleep(cut) => None,
            },
        };
        self.settle(
            outcome.is_none(),
            outcome.as_ref().is_none_or(failed),
            &sent,
        );
        outcome
    }

    /// `invoker`, cut off as planned, with what each invocation sends watched.
    pub fn wrap(self: &Arc<Self>, invoker: Invoker) -> Invoker {
        let plan = self.clone();
        match invoker {
            Invoker::Http(handler) => Invoker::Http(Arc::new(move |request| {
                let (plan, handler) = (plan.clone(), handler.clone());
                Box::pin(async move {
                    plan.run(handler(request), |r| r.status().is_server_error())
                        .await
                        .unwrap_or_else(gateway_500)
                })
            })),
            Invoker::Event(handler) => Invoker::Event(Arc::new(move |payload| {
                let (plan, handler) = (plan.clone(), handler.clone());
                Box::pin(async move {
                    // An SQS batch fails in part when it names failed items.
                    let failed = |result: &Result<serde_json::Value, String>| match result {
                        Ok(value) => value["batchItemFailures"]
                            .as_array()
                            .is_some_and(|f| !f.is_empty()),
                        Err(_) => true,
                    };
                    plan.run(handler(payload), failed)
                        .await
                        .unwrap_or_else(|| Err("crashed (devstack crash plan)".to_string()))
                })
            })),
        }
    }
}

/// What API Gateway answers when the function failed without a response.
fn gateway_500() -> Response<Body> {
    let mut response = Response::new(Body::Text(r#"{"message":"Internal Server Error"}"#.into()));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_drawn_follows_the_rate_and_disarming_stops_it() {
        let plan = CrashPlan::new(0.25, Duration::from_millis(100), 42);
        let cuts: Vec<Duration> = (0..10_000).filter_map(|_| plan.draw()).collect();
        assert!((2_200..2_800).contains(&cuts.len()), "{}", cuts.len());
        assert!(cuts.iter().all(|c| *c < Duration::from_millis(100)));
        plan.arm(false);
        assert!((0..1_000).all(|_| plan.draw().is_none()));
    }

    #[tokio::test]
    async fn a_cut_invocation_never_finishes_and_answers_like_the_gateway() {
        let finished = Arc::new(AtomicU64::new(0));
        let done = finished.clone();
        let slow = Invoker::Event(Arc::new(move |_| {
            let done = done.clone();
            Box::pin(async move {
                note_sent();
                tokio::time::sleep(Duration::from_millis(200)).await;
                done.fetch_add(1, Ordering::SeqCst);
                Ok(serde_json::Value::Null)
            })
        }));
        let plan = CrashPlan::new(1.0, Duration::from_millis(50), 7);
        let Invoker::Event(cut) = plan.wrap(slow) else {
            unreachable!()
        };
        assert!(cut(serde_json::Value::Null).await.is_err());
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            finished.load(Ordering::SeqCst),
            0,
            "the cut handler went on"
        );
        assert_eq!(plan.crashed(), 1);
        assert_eq!(plan.sent_by_failed(), 1, "the message sent before the cut");
        assert_eq!(gateway_500().status(), 500);
    }

    #[tokio::test]
    async fn what_a_failed_invocation_sent_is_counted_and_a_good_one_is_not() {
        let plan = CrashPlan::new(0.0, Duration::from_millis(50), 7);
        let sender = |fail: bool| {
            Invoker::Event(Arc::new(move |_| {
                Box::pin(async move {
                    note_sent();
                    if fail {
                        Ok(serde_json::json!({"batchItemFailures": [{"itemIdentifier": "m1"}]}))
                    } else {
                        Ok(serde_json::json!({"batchItemFailures": []}))
                    }
                })
            }))
        };
        for fail in [false, true] {
            let Invoker::Event(run) = plan.wrap(sender(fail)) else {
                unreachable!()
            };
            assert!(run(serde_json::Value::Null).await.is_ok());
        }
        assert_eq!(plan.crashed(), 0);
        assert_eq!(plan.sent_by_failed(), 1);
    }
}
