//! A scripted HTTP/1.1 server on loopback for the gateway's tests: it records every request
//! byte for byte and answers each with a scripted reply, including the faults a network can
//! produce (no answer, a dropped or reset connection, a truncated body). Also: an address that
//! refuses connections, and a record of the waits the gateway decided on.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use paylink_core::{GatewayError, Operation, RetryDecision, RetryPolicy};
use paylink_http::{HttpGateway, SecretKey};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The key every test uses.
pub(crate) const KEY: &str = "xnd_development_P4ssw0rdThatMustNeverLeak";
/// `Basic base64("<KEY>:")`.
pub(crate) const KEY_BASIC: &str = "Basic eG5kX2RldmVsb3BtZW50X1A0c3N3MHJkVGhhdE11c3ROZXZlckxlYWs6";
/// The per-attempt timeout of the test gateways: far longer than any answer of this server
/// takes on a loaded machine, so only tests of timeouts ever see one.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(5);
/// The per-attempt timeout of the gateways that test timeouts, against a server that never
/// answers ([`Reply::Hang`]); still long enough for an answer that does come.
pub(crate) const SHORT_TIMEOUT: Duration = Duration::from_secs(1);

/// One request as the server received it.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    /// `GET`, `POST`...
    pub method: String,
    /// The raw path, still percent-encoded.
    pub path: String,
    /// The raw query, still percent-encoded.
    pub query: Option<String>,
    /// Header names lowercased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Recorded {
    /// A header's value.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The request for a snapshot: every header but `authorization` (checked on its own) and
    /// `host` (carries the random port), and the body byte for byte as text.
    pub(crate) fn snapshot(&self) -> Value {
        let mut headers = serde_json::Map::new();
        for (n, v) in &self.headers {
            if n != "authorization" && n != "host" {
                headers.insert(n.clone(), Value::String(v.clone()));
            }
        }
        let body = if self.body.is_empty() {
            Value::Null
        } else {
            Value::String(String::from_utf8_lossy(&self.body).into_owned())
        };
        serde_json::json!({
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": headers,
            "body": body,
        })
    }
}

/// How the server answers one request.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// A complete answer.
    Respond {
        /// Status.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// Body.
        body: Vec<u8>,
    },
    /// Close the connection without answering.
    Close,
    /// Reset the connection (TCP RST) without answering.
    Reset,
    /// Never answer; keep the connection open until the client closes it.
    Hang,
    /// Write these bytes and close.
    Raw(Vec<u8>),
    /// Write these bytes, then write nothing more until the client closes the connection.
    Stall(Vec<u8>),
}

impl Reply {
    /// A JSON answer.
    pub(crate) fn json(status: u16, body: &Value) -> Reply {
        Reply::Respond {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(body).expect("JSON"),
        }
    }

    /// An answer with this content type and body.
    pub(crate) fn text(status: u16, content_type: &str, body: &str) -> Reply {
        Reply::Respond {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// A Xendit error body.
    pub(crate) fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::json(
            status,
            &serde_json::json!({"error_code": code, "message": message}),
        )
    }

    /// The same reply with one more header.
    pub(crate) fn with_header(self, name: &str, value: &str) -> Reply {
        match self {
            Reply::Respond {
                status,
                mut headers,
                body,
            } => {
                headers.push((name.into(), value.into()));
                Reply::Respond {
                    status,
                    headers,
                    body,
                }
            }
            other => other,
        }
    }
}

type Responder = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

/// A running server. It stops when dropped.
pub(crate) struct Server {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    connections: Arc<AtomicUsize>,
    waits: Waits,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// Starts a server that answers request number `n` (0-based, over all connections) with
    /// `responder(&request, n)`.
    pub(crate) async fn start<F>(responder: F) -> Server
    where
        F: Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let responder: Arc<Responder> = Arc::new(responder);
        let task = {
            let requests = requests.clone();
            let connections = connections.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    connections.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(serve(stream, requests.clone(), responder.clone()));
                }
            })
        };
        Server {
            url,
            requests,
            connections,
            waits: Waits::default(),
            task,
        }
    }

    /// A server that answers the n-th request with the n-th reply, and the last one after that.
    pub(crate) async fn script(replies: Vec<Reply>) -> Server {
        Server::start(move |_, n| replies[n.min(replies.len() - 1)].clone()).await
    }

    /// A server that answers every request with `reply`.
    pub(crate) async fn always(reply: Reply) -> Server {
        Server::script(vec![reply]).await
    }

    /// Every request received so far.
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("lock").clone()
    }

    /// How many requests arrived.
    pub(crate) fn attempts(&self) -> usize {
        self.requests.lock().expect("lock").len()
    }

    /// Every request received so far as `"<method> <path>"`.
    pub(crate) fn calls(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    /// How many connections were opened.
    pub(crate) fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// A gateway pointed at this server with fast, seeded retries and a per-attempt timeout
    /// ([`TIMEOUT`]) no answer comes near.
    pub(crate) fn gateway(&self, max_attempts: u32) -> HttpGateway {
        self.gateway_timing_out_after(max_attempts, TIMEOUT)
    }

    /// The same with this per-attempt timeout, for tests of timeouts.
    pub(crate) fn gateway_timing_out_after(
        &self,
        max_attempts: u32,
        timeout: Duration,
    ) -> HttpGateway {
        HttpGateway::builder(SecretKey::new(KEY))
            .base_url(&self.url)
            .timeout(timeout)
            .retry_policy(fast_policy(max_attempts))
            .jitter_seed(7)
            .on_retry(self.waits.recorder())
            .build()
            .expect("valid configuration")
    }

    /// The waits the retry policy decided on for this server's gateways, in order.
    pub(crate) fn decided_waits(&self) -> Vec<Duration> {
        self.waits.decided()
    }

    /// What records those waits, for a gateway a test builds itself.
    pub(crate) fn wait_recorder(
        &self,
    ) -> impl Fn(Operation, u32, RetryDecision) + Send + Sync + 'static {
        self.waits.recorder()
    }
}

/// Retries after a few milliseconds; the attempts, not the time budget, end a call.
pub(crate) fn fast_policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_elapsed: Duration::from_secs(120),
    }
}

/// An address on loopback that refuses connections, for as long as the socket lives: it is
/// bound (so no other process can take the port) but not listening (so the kernel answers a
/// connection attempt with a reset). Dropping a listener and reusing its port instead would
/// race with any process that binds it in between.
pub(crate) fn refusing_address() -> (tokio::net::TcpSocket, SocketAddr) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .expect("bind");
    let addr = socket.local_addr().expect("addr");
    (socket, addr)
}

/// A gateway of `max_attempts` pointed at a [`refusing_address`], and the socket that keeps
/// the address refusing for as long as it lives.
pub(crate) fn refusing_gateway(max_attempts: u32) -> (tokio::net::TcpSocket, HttpGateway) {
    let (socket, addr) = refusing_address();
    let gateway = HttpGateway::builder(SecretKey::new(KEY))
        .base_url(format!("http://{addr}"))
        .retry_policy(fast_policy(max_attempts))
        .build()
        .expect("valid configuration");
    (socket, gateway)
}

/// Asserts `e` is a transport error, sent or not as `request_sent` says.
pub(crate) fn assert_transport(e: &GatewayError, request_sent: bool) {
    assert!(
        matches!(e, GatewayError::Transport { request_sent: sent, .. } if *sent == request_sent),
        "expected a transport error with request_sent: {request_sent}, got {e:?}"
    );
}

/// The waits before each retry, as the retry policy decided them (read through
/// `HttpGatewayBuilder::on_retry`, not from logs).
#[derive(Clone, Default)]
pub(crate) struct Waits(Arc<Mutex<Vec<Duration>>>);

impl Waits {
    /// An observer for `HttpGatewayBuilder::on_retry` that records each decided wait.
    pub(crate) fn recorder(
        &self,
    ) -> impl Fn(Operation, u32, RetryDecision) + Send + Sync + 'static {
        let log = Arc::clone(&self.0);
        move |_, _, decision| match decision {
            RetryDecision::Retry { after } | RetryDecision::LookUpThenRetry { after } => {
                log.lock().expect("lock").push(after);
            }
            RetryDecision::GiveUp => {}
        }
    }

    /// The waits so far.
    pub(crate) fn decided(&self) -> Vec<Duration> {
        self.0.lock().expect("lock").clone()
    }
}

async fn serve(mut stream: TcpStream, log: Arc<Mutex<Vec<Recorded>>>, responder: Arc<Responder>) {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let Some(request) = read_request(&mut stream, &mut buf).await else {
            return;
        };
        let n = {
            let mut log = log.lock().expect("lock");
            log.push(request.clone());
            log.len() - 1
        };
        match responder(&request, n) {
            Reply::Respond {
                status,
                headers,
                body,
            } => {
                let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
                for (n, v) in headers {
                    head.push_str(&format!("{n}: {v}\r\n"));
                }
                head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
                let mut out = head.into_bytes();
                out.extend_from_slice(&body);
                if stream.write_all(&out).await.is_err() {
                    return;
                }
            }
            Reply::Close => return,
            Reply::Reset => {
                let _ = stream.set_zero_linger();
                return;
            }
            Reply::Hang => {
                until_closed(&mut stream).await;
                return;
            }
            Reply::Stall(bytes) => {
                let _ = stream.write_all(&bytes).await;
                until_closed(&mut stream).await;
                return;
            }
            Reply::Raw(bytes) => {
                let _ = stream.write_all(&bytes).await;
                let _ = stream.shutdown().await;
                return;
            }
        }
    }
}

/// Reads and drops whatever the client sends until it closes the connection.
async fn until_closed(stream: &mut TcpStream) {
    let mut sink = [0u8; 1024];
    while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Reads one request; `None` when the client closed the connection.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Recorded> {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (target, None),
    };
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + length].to_vec();
    buf.drain(..head_end + length);
    Some(Recorded {
        method,
        path,
        query,
        headers,
        body,
    })
}

/// The invoice of Xendit's documentation (spec 11.2) as JSON.
pub(crate) fn invoice_json() -> Value {
    serde_json::from_str(include_str!("../data/invoice_doc_pl.json")).expect("fixture is JSON")
}

/// The fixture invoice with another id, external id, amount, status and creation time.
pub(crate) fn invoice_with(
    id: &str,
    external_id: &str,
    amount: i64,
    status: &str,
    created: &str,
) -> Value {
    let mut v = invoice_json();
    v["id"] = id.into();
    v["external_id"] = external_id.into();
    v["amount"] = amount.into();
    v["status"] = status.into();
    v["created"] = created.into();
    v["updated"] = created.into();
    v
}

/// Now, as Xendit writes timestamps.
pub(crate) fn now_stamp() -> String {
    paylink_core::timestamp::format(time::OffsetDateTime::now_utc())
}
