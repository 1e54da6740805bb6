//! A webhook receiver for tests: answers every callback with the status it is set to (200
//! unless changed) and keeps what it got.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use paylink_core::CallbackToken;
use paylink_sandbox::{DeliveryAttempt, SandboxClient, SandboxConfig};

/// The callback token of the receivers' sandboxes.
pub(crate) const TOKEN: &str = "receiver-callback-token";

/// One callback as the receiver got it.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    /// `x-callback-token`.
    pub token: Option<String>,
    /// The body, byte for byte.
    pub body: Bytes,
}

/// A receiver listening on 127.0.0.1.
#[derive(Clone)]
pub(crate) struct Receiver {
    /// Its URL.
    pub url: String,
    answer: Arc<AtomicU16>,
    got: Arc<Mutex<Vec<Received>>>,
}

type Shared = (Arc<AtomicU16>, Arc<Mutex<Vec<Received>>>);

impl Receiver {
    /// Starts one that answers 200.
    pub(crate) async fn start() -> Self {
        let answer = Arc::new(AtomicU16::new(200));
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let app = Router::new()
            .route(
                "/hook",
                post(
                    |State((answer, got)): State<Shared>, headers: HeaderMap, body: Bytes| async move {
                        let token = headers
                            .get("x-callback-token")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned);
                        got.lock().expect("lock").push(Received { token, body });
                        let status = answer.load(Ordering::SeqCst);
                        let status = StatusCode::from_u16(status).expect("a status");
                        (status, format!("receiver said {}", status.as_u16()))
                    },
                ),
            )
            .with_state((Arc::clone(&answer), Arc::clone(&got)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            url: format!("http://{addr}/hook"),
            answer,
            got,
        }
    }

    /// Answers `status` from now on.
    pub(crate) fn answer(&self, status: u16) {
        self.answer.store(status, Ordering::SeqCst);
    }

    /// Every callback received so far.
    pub(crate) fn got(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    /// A sandbox configuration delivering to it, on Xendit's schedule times `scale`.
    pub(crate) fn config(&self, scale: f64) -> SandboxConfig {
        SandboxConfig {
            callback_url: Some(self.url.clone()),
            callback_token: CallbackToken::from_static(TOKEN),
            retry_time_scale: scale,
            ..SandboxConfig::default()
        }
    }
}

/// Polls the deliveries until `done` holds for them, at most 30 s.
pub(crate) async fn attempts_until(
    client: &SandboxClient,
    done: impl Fn(&[DeliveryAttempt]) -> bool,
) -> Vec<DeliveryAttempt> {
    for _ in 0..600 {
        let log = client.deliveries().await.expect("the deliveries");
        if done(&log) {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the deliveries log never reached the expected state");
}
