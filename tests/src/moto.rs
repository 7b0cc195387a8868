//! moto: one server per test process, started on first use, and clients pointed at it.

use crate::calls;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_config::Region;
use sigap::runtime::aws::{AwsClients, sdk_config_loader};

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The real template text.
pub fn template_text() -> String {
    std::fs::read_to_string(workspace().join("infra/template.yaml"))
        .expect("read infra/template.yaml")
}

fn moto_binary() -> PathBuf {
    if let Ok(path) = std::env::var("MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let venv = workspace().join(".venv/bin/moto_server");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("moto_server")
}

/// The guardian, held (with its stdin pipe open) for the life of the test process.
static MOTO_GUARD: Mutex<Option<Child>> = Mutex::new(None);
static MOTO: OnceLock<String> = OnceLock::new();

/// The endpoint of this process's moto, started on first use.
pub fn moto_endpoint() -> &'static str {
    MOTO.get_or_init(|| {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let binary = moto_binary();
        // The guardian waits for EOF on stdin (our process exiting), then stops moto.
        let script =
            r#""$0" -H 127.0.0.1 -p "$1" >/dev/null 2>&1 & pid=$!; cat >/dev/null; kill $pid"#;
        let guardian = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(&binary)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start moto ({}): {e}; run `make venv`",
                    binary.display()
                )
            });
        *MOTO_GUARD.lock().unwrap() = Some(guardian);
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto ({}) did not start on port {port}; run `make venv`",
                binary.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        format!("http://127.0.0.1:{port}")
    })
}

/// AWS clients pointed at this process's moto, with explicit test credentials.
pub async fn clients() -> AwsClients {
    AwsClients::new(&sdk_config().await)
}

/// AWS clients pointed at `endpoint` (a [`faults::FaultProxy`] in front of moto); the
/// SNS client tells devstack's crash plan what it sent ([`calls::SentWitness`]).
pub async fn clients_at(endpoint: &str) -> AwsClients {
    let config = sdk_config_at(endpoint).await;
    AwsClients {
        sns: aws_sdk_sns::Client::from_conf(
            aws_sdk_sns::config::Builder::from(&config)
                .interceptor(calls::SentWitness)
                .build(),
        ),
        ..AwsClients::new(&config)
    }
}

/// The SDK configuration pointed at this process's moto, with patient timeouts.
///
/// moto is one Python process shared by every test: it stalls for seconds while
/// another test's state is dumped. With Sigap's 3 s attempt timeout the SDK would
/// retry a write moto was still applying, and the retry would lose to the write
/// itself, a race no real DynamoDB call of a few ms sees. The fault-injection tests
/// keep the production timeouts (`sdk_config_at`): there the ambiguity is the point.
pub async fn sdk_config() -> aws_config::SdkConfig {
    sdk_config_loader()
        .unwrap()
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(2))
                .operation_attempt_timeout(std::time::Duration::from_secs(20))
                .operation_timeout(std::time::Duration::from_secs(45))
                .build(),
        )
        .endpoint_url(moto_endpoint())
        .region(Region::new("ap-southeast-3"))
        .test_credentials()
        .load()
        .await
}

/// The SDK configuration pointed at `endpoint`, with Sigap's timeouts and retries.
pub async fn sdk_config_at(endpoint: &str) -> aws_config::SdkConfig {
    sdk_config_loader()
        .unwrap()
        .endpoint_url(endpoint)
        .region(Region::new("ap-southeast-3"))
        .test_credentials()
        .load()
        .await
}
