//! `cargo xtask load`: requests per second of a `paylink sandbox` process under concurrent load
//! from `wrk`, a separate process, beside a minimal axum server process that answers with the
//! very bytes and content type the sandbox answered (`crates/paylink-cli/examples/
//! minimal_axum.rs`, on the same tokio runtime as the `paylink` binary). Every server is built
//! with `--release`; the servers take turns, in an order that rotates every round, and each
//! figure is the median of the rounds, so the ratio compares runs of the same session on the
//! same machine. The CPU time each server process and `wrk` used is read from `/proc`, to tell
//! a server's own cost from the share of the cores `wrk` takes. Printed as a table and written
//! to its own section of `docs/benchmarks.md`, whose `### Where the time went` part (written
//! from a profile) is kept.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use crate::build_time::{busy_cpu_s, median, replace_section, section_at, today};

/// The heading of the section this task owns in `docs/benchmarks.md`.
pub(crate) const HEADING: &str = "## Sandbox under load: paylink sandbox vs minimal axum";
/// The part of the section that is written by hand and kept when the figures are rewritten.
const KEPT: &str = "### Where the time went";
/// The secret key the sandbox is started with; sent as the Basic-auth user to every server.
const KEY: &str = "xnd_development_load";
/// The body of every create, the stored invoice's included.
const CREATE_BODY: &str = r#"{"external_id":"load-order","amount":150000,"currency":"IDR","payer_email":"buyer@example.com","description":"Load order","payment_methods":["BNI","DANA","QRIS"]}"#;
/// `/proc`'s clock ticks per second (Linux's `USER_HZ`, fixed at 100).
const TICKS: f64 = 100.0;

/// What one `wrk` run sends.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// `GET /v2/invoices/{id}` of the stored invoice, every request.
    Get,
    /// A Lua script alternating `POST /v2/invoices` (the same body every time: each creates
    /// one more invoice) and `GET /v2/invoices/{id}` of the stored invoice.
    CreateGet,
}

impl Mode {
    fn title(self) -> &'static str {
        match self {
            Mode::Get => "GET /v2/invoices/{id} of a stored invoice",
            Mode::CreateGet => {
                "create + get: POST /v2/invoices and GET /v2/invoices/{id}, alternating"
            }
        }
    }
}

#[derive(Debug, PartialEq)]
struct Options {
    rounds: usize,
    seconds: u32,
    threads: u32,
    connections: u32,
    modes: Vec<Mode>,
    /// One sandbox to measure per entry, started with these extra arguments.
    sandboxes: Vec<Vec<String>>,
    write: bool,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        rounds: 3,
        seconds: 8,
        threads: 2,
        connections: 32,
        modes: vec![Mode::Get, Mode::CreateGet],
        sandboxes: Vec::new(),
        write: true,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        let number = |v: &String| {
            v.parse::<u32>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("{arg} takes a positive number, got `{v}`"))
        };
        match arg.as_str() {
            "--rounds" => o.rounds = number(value()?)? as usize,
            "--seconds" => o.seconds = number(value()?)?,
            "--threads" => o.threads = number(value()?)?,
            "--connections" => o.connections = number(value()?)?,
            "--mode" => {
                o.modes = match value()?.as_str() {
                    "get" => vec![Mode::Get],
                    "create-get" => vec![Mode::CreateGet],
                    "both" => vec![Mode::Get, Mode::CreateGet],
                    other => return Err(format!("unknown --mode `{other}`")),
                }
            }
            "--sandbox-args" => o
                .sandboxes
                .push(value()?.split_whitespace().map(str::to_owned).collect()),
            "--no-write" => o.write = false,
            other => return Err(format!("unknown argument `{other}` (see cargo xtask help)")),
        }
    }
    if o.sandboxes.is_empty() {
        o.sandboxes = vec![Vec::new(), vec!["--manual-clock".to_owned()]];
    }
    Ok(o)
}

/// A server process, killed when dropped.
struct Server {
    label: String,
    child: Child,
    /// `host:port`.
    addr: String,
    /// Kept open so the server's later lines to stdout do not fail.
    _stdout: BufReader<ChildStdout>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `command` and waits for its `listening on http://ADDR` line.
fn spawn(label: String, mut command: Command, log: &Path) -> Result<Server, String> {
    let err = File::create(log).map_err(|e| format!("create {}: {e}", log.display()))?;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(err)
        .spawn()
        .map_err(|e| format!("start {label}: {e}"))?;
    let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut line = String::new();
    loop {
        line.clear();
        if stdout.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            let _ = child.kill();
            let log = fs::read_to_string(log).unwrap_or_default();
            return Err(format!("{label} ended before listening:\n{log}"));
        }
        if let Some((_, url)) = line.split_once("listening on http://") {
            let addr = url.split_whitespace().next().unwrap_or_default().to_owned();
            return Ok(Server {
                label,
                child,
                addr,
                _stdout: stdout,
            });
        }
    }
}

/// An HTTP answer read by [`http`].
struct Answer {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

/// One HTTP/1.1 request with Basic auth on a connection of its own.
fn http(addr: &str, method: &str, path: &str, body: Option<&str>) -> Result<Answer, String> {
    let mut s = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {}\r\nConnection: close\r\n",
        auth()
    );
    if let Some(body) = body {
        let _ = write!(
            request,
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
    } else {
        request.push_str("\r\n");
    }
    s.write_all(request.as_bytes())
        .map_err(|e| format!("{method} {path}: {e}"))?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .map_err(|e| format!("{method} {path}: {e}"))?;
    parse_answer(&raw).map_err(|e| format!("{method} {path}: {e}"))
}

fn parse_answer(raw: &[u8]) -> Result<Answer, String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|e| e.to_string())?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("no status line")?;
    let mut answer = Answer {
        status,
        content_type: String::new(),
        body: raw[split + 4..].to_vec(),
    };
    for (name, value) in lines.filter_map(|l| l.split_once(':')) {
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-type" => answer.content_type = value.to_owned(),
            "transfer-encoding" => return Err(format!("unexpected transfer-encoding {value}")),
            "content-length" if value.parse() != Ok(answer.body.len()) => {
                return Err(format!(
                    "content-length {value}, {} bytes read",
                    answer.body.len()
                ))
            }
            _ => {}
        }
    }
    Ok(answer)
}

/// The Basic-auth header value: `Basic ` and the base64 of `KEY:`.
fn auth() -> &'static str {
    "Basic eG5kX2RldmVsb3BtZW50X2xvYWQ6"
}

/// The `"id"` of an invoice's JSON.
fn id_of(invoice: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(invoice).ok()?;
    let start = text.find(r#""id":""#)? + 6;
    let len = text[start..].find('"')?;
    Some(text[start..start + len].to_owned())
}

/// The wrk script of [`Mode::CreateGet`].
fn create_get_script(id: &str) -> String {
    format!(
        "-- Written by `cargo xtask load`: alternates a create and a get of the stored invoice.\n\
         local create = wrk.format(\"POST\", \"/v2/invoices\", \
         {{ [\"Authorization\"] = \"{auth}\", [\"Content-Type\"] = \"application/json\" }}, \
         [==[{CREATE_BODY}]==])\n\
         local get = wrk.format(\"GET\", \"/v2/invoices/{id}\", {{ [\"Authorization\"] = \"{auth}\" }})\n\
         local n = 0\n\
         function request()\n  n = n + 1\n  if n % 2 == 1 then return create end\n  return get\nend\n",
        auth = auth()
    )
}

/// What one `wrk` run measured.
#[derive(Clone, Copy, Default)]
struct Run {
    rps: f64,
    requests: f64,
    server_cpu_s: f64,
    wrk_cpu_s: f64,
    other_cpu_s: f64,
}

/// `utime + stime` of process `pid` (`self` for this one's waited-for children: `cutime +
/// cstime`), in seconds.
fn cpu_s(pid: &str, children: bool) -> f64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<f64> = stat
        .rsplit_once(") ")
        .map(|(_, rest)| {
            rest.split_whitespace()
                .map(|f| f.parse().unwrap_or(0.0))
                .collect()
        })
        .unwrap_or_default();
    let at = |i: usize| fields.get(i).copied().unwrap_or(0.0);
    // After the command name: state is field 3, utime 14, stime 15, cutime 16, cstime 17.
    let (user, system) = if children { (13, 14) } else { (11, 12) };
    (at(user) + at(system)) / TICKS
}

/// Parses wrk's `N requests in ...` and `Requests/sec:` lines; refuses non-2xx answers.
fn parse_wrk(text: &str) -> Result<(f64, f64), String> {
    if let Some(line) = text
        .lines()
        .find(|l| l.contains("Non-2xx or 3xx responses"))
    {
        return Err(format!("wrk saw failed requests: {}", line.trim()));
    }
    let requests = text
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok());
    let rps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|n| n.trim().parse().ok());
    requests
        .zip(rps)
        .ok_or_else(|| format!("could not read wrk's output:\n{text}"))
}

fn wrk_args(o: &Options, mode: Mode, script: &Path, addr: &str, id: &str) -> Vec<String> {
    let mut args = vec![
        format!("-t{}", o.threads),
        format!("-c{}", o.connections),
        format!("-d{}s", o.seconds),
    ];
    match mode {
        Mode::Get => args.extend(["-H".to_owned(), format!("Authorization: {}", auth())]),
        Mode::CreateGet => args.extend(["-s".to_owned(), script.display().to_string()]),
    }
    args.push(format!("http://{addr}/v2/invoices/{id}"));
    args
}

fn measure(server: &Server, args: &[String]) -> Result<Run, String> {
    let pid = server.child.id().to_string();
    let (s0, w0, m0) = (cpu_s(&pid, false), cpu_s("self", true), busy_cpu_s());
    let out = Command::new("wrk")
        .args(args)
        .output()
        .map_err(|e| format!("run wrk: {e}"))?;
    let (s1, w1, m1) = (cpu_s(&pid, false), cpu_s("self", true), busy_cpu_s());
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "wrk failed: {}{text}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let (requests, rps) = parse_wrk(&text)?;
    let (server_cpu_s, wrk_cpu_s) = (s1 - s0, w1 - w0);
    let machine = m1.zip(m0).map_or(0.0, |(a, b)| a - b);
    Ok(Run {
        rps,
        requests,
        server_cpu_s,
        wrk_cpu_s,
        other_cpu_s: (machine - server_cpu_s - wrk_cpu_s).max(0.0),
    })
}

pub(crate) fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let o = parse_options(args)?;
    if Command::new("wrk").arg("-v").output().is_err() {
        return Err("wrk is missing: apt-get install -y wrk".to_owned());
    }
    let mut build = crate::cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "paylink-cli",
        "--bin",
        "paylink",
        "--example",
        "minimal_axum",
    ]);
    crate::run("cargo build --release (paylink, minimal_axum)", build)?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let release = target.join("release");
    let work = target.join("load");
    fs::create_dir_all(&work).map_err(|e| format!("create {}: {e}", work.display()))?;

    // Each sandbox, with one invoice created over HTTP.
    let mut servers = Vec::new();
    let mut stored = Vec::new();
    for (i, extra) in o.sandboxes.iter().enumerate() {
        let label = format!(
            "`{}`",
            format!("paylink sandbox {}", extra.join(" ")).trim_end()
        );
        let mut c = Command::new(release.join("paylink"));
        c.args(["sandbox", "--addr", "127.0.0.1:0", "--secret-key", KEY])
            .args(extra);
        let server = spawn(label, c, &work.join(format!("sandbox-{i}.log")))?;
        let created = http(&server.addr, "POST", "/v2/invoices", Some(CREATE_BODY))?;
        let id = id_of(&created.body).ok_or("the create answer has no id")?;
        let got = http(&server.addr, "GET", &format!("/v2/invoices/{id}"), None)?;
        if created.status != 200 || got.status != 200 {
            return Err(format!(
                "{}: HTTP {} / {}",
                server.label, created.status, got.status
            ));
        }
        stored.push((id, created, got));
        servers.push(server);
    }
    // The floor answers with the first sandbox's bytes.
    let (id, created, got) = &stored[0];
    let (create_file, get_file) = (
        work.join("create-answer.json"),
        work.join("get-answer.json"),
    );
    fs::write(&create_file, &created.body).map_err(|e| e.to_string())?;
    fs::write(&get_file, &got.body).map_err(|e| e.to_string())?;
    let mut c = Command::new(release.join("examples").join("minimal_axum"));
    c.arg("127.0.0.1:0")
        .arg(&got.content_type)
        .args([&get_file, &create_file]);
    let floor = spawn("minimal axum".to_owned(), c, &work.join("minimal_axum.log"))?;
    let same_get = http(&floor.addr, "GET", &format!("/v2/invoices/{id}"), None)?;
    let same_create = http(&floor.addr, "POST", "/v2/invoices", Some(CREATE_BODY))?;
    if same_get.body != got.body
        || same_create.body != created.body
        || same_get.content_type != got.content_type
    {
        return Err("the minimal server does not answer the sandbox's bytes".to_owned());
    }
    servers.insert(0, floor);
    let script = work.join("create-get.lua");
    let mut ids: Vec<&str> = vec![id];
    ids.extend(stored.iter().map(|(id, ..)| id.as_str()));

    // results[mode][server][round]
    let mut results = vec![vec![Vec::new(); servers.len()]; o.modes.len()];
    let mut example = Vec::new();
    for round in 0..o.rounds {
        for (m, &mode) in o.modes.iter().enumerate() {
            for k in 0..servers.len() {
                let s = (k + round) % servers.len();
                fs::write(&script, create_get_script(ids[s])).map_err(|e| e.to_string())?;
                let args = wrk_args(&o, mode, &script, &servers[s].addr, ids[s]);
                let r = measure(&servers[s], &args)?;
                println!(
                    "round {} of {}, {mode:?}, {}: {:.0} requests/s (server CPU {:.1} s, wrk {:.1} s, other {:.1} s)",
                    round + 1, o.rounds, servers[s].label, r.rps, r.server_cpu_s, r.wrk_cpu_s, r.other_cpu_s
                );
                if round == 0 && s == 0 {
                    let shown: Vec<String> = args
                        .iter()
                        .map(|a| a.replace(auth(), "Basic …"))
                        .map(|a| a.replace(&format!("{}/", root.display()), ""))
                        .map(|a| if a.contains(' ') { format!("'{a}'") } else { a })
                        .collect();
                    example.push(format!("wrk {}", shown.join(" ")));
                }
                results[m][s].push(r);
            }
        }
    }
    let labels: Vec<&str> = std::iter::once("minimal axum (same bytes)")
        .chain(servers.iter().skip(1).map(|s| s.label.as_str()))
        .collect();
    let section = section(&o, &labels, &results, &example);
    println!("\n{section}");
    if o.write {
        write_doc(root, &section)?;
    }
    Ok(())
}

fn section(o: &Options, labels: &[&str], results: &[Vec<Vec<Run>>], example: &[String]) -> String {
    let mut out = format!(
        "{HEADING}\n\nMeasured by `cargo xtask load` on {date}, on {machine}: {rounds} rounds of \
         {seconds} s per server and mode, the servers taking turns in an order that rotates \
         every round. Requests/s is the median of the rounds; the ratio is the median of the \
         rounds' ratios, each to the minimal server's run of the same round (other work on the \
         machine shifts whole rounds, and a ratio within a round less).\n\n\
         Every server is a separate process built with `--release`, loaded by `wrk -t{t} -c{c}` \
         (another process, on the same cores) with the sandbox's Basic-auth header; the minimal \
         axum server (`crates/paylink-cli/examples/minimal_axum.rs`, the `paylink` binary's \
         tokio runtime) answers with the bytes and content type the first sandbox answered for \
         the same invoice. The sandbox keeps every invoice created, so its store grows in the \
         create + get runs. CPU per request is the CPU time (user + system, from `/proc`) of \
         the server process, and of `wrk`, divided by the requests answered.\n",
        date = today(),
        machine = crate::bench::machine(),
        rounds = o.rounds,
        seconds = o.seconds,
        t = o.threads,
        c = o.connections,
    );
    for ((mode, per_server), example) in o.modes.iter().zip(results).zip(example) {
        let _ = write!(
            out,
            "\n### {}\n\n`{example}`\n\n\
             | server | requests/s | vs minimal axum | server CPU per request | wrk CPU per request | rounds (requests/s) |\n\
             |---|---|---|---|---|---|\n",
            mode.title()
        );
        for (label, runs) in labels.iter().zip(per_server) {
            let rps = median(runs.iter().map(|r| r.rps).collect());
            let ratios = runs.iter().zip(&per_server[0]).map(|(r, f)| r.rps / f.rps);
            let ratio = median(ratios.collect());
            let requests: f64 = runs.iter().map(|r| r.requests).sum();
            let per = |f: fn(&Run) -> f64| 1e6 * runs.iter().map(f).sum::<f64>() / requests;
            let rounds: Vec<String> = runs.iter().map(|r| format!("{:.0}", r.rps)).collect();
            let _ = writeln!(
                out,
                "| {label} | {rps:.0} | {ratio:.2} x | {:.1} µs | {:.1} µs | {} |",
                per(|r| r.server_cpu_s),
                per(|r| r.wrk_cpu_s),
                rounds.join(", ")
            );
        }
    }
    let other: f64 = results
        .iter()
        .flatten()
        .flatten()
        .map(|r| r.other_cpu_s)
        .sum();
    let runs = results.iter().flatten().flatten().count();
    let _ = writeln!(
        out,
        "\nWhile wrk ran, other processes used {other:.1} CPU-seconds in all ({:.1} % of the {runs} \
         runs' {:.0} core-seconds).",
        100.0 * other / (runs as f64 * f64::from(o.seconds) * cores()),
        runs as f64 * f64::from(o.seconds) * cores()
    );
    out
}

fn cores() -> f64 {
    std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64)
}

fn write_doc(root: &Path, section: &str) -> Result<(), String> {
    let path = root.join("docs").join("benchmarks.md");
    let doc = fs::read_to_string(&path).unwrap_or_else(|_| "# Benchmarks\n".to_owned());
    fs::write(&path, merge(&doc, section)).map_err(|e| format!("write {}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

/// `doc` with this task's section replaced by `section`, its hand-written part kept.
fn merge(doc: &str, section: &str) -> String {
    let kept = section_at(doc, HEADING)
        .and_then(|old| old.find(&format!("\n{KEPT}\n")).map(|i| &old[i..]))
        .unwrap_or_default();
    replace_section(doc, HEADING, &format!("{}\n{kept}", section.trim_end()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn options_default_to_both_modes_and_both_clocks() {
        let o = parse_options(&[]).expect("defaults");
        assert_eq!(
            (o.rounds, o.seconds, o.threads, o.connections),
            (3, 8, 2, 32)
        );
        assert_eq!(o.modes, [Mode::Get, Mode::CreateGet]);
        assert_eq!(o.sandboxes, [vec![], vec!["--manual-clock".to_owned()]]);
        let o = parse_options(&args(&[
            "--mode",
            "create-get",
            "--sandbox-args",
            "--data-dir /tmp/x",
            "--no-write",
        ]))
        .expect("valid");
        assert_eq!(o.modes, [Mode::CreateGet]);
        assert_eq!(o.sandboxes, [args(&["--data-dir", "/tmp/x"])]);
        assert!(!o.write);
        assert!(parse_options(&args(&["--rounds", "0"])).is_err());
        assert!(parse_options(&args(&["--mode", "put"])).is_err());
    }

    #[test]
    fn an_answer_is_read_with_its_status_type_and_body() {
        let raw = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{\"id\":\"ab\"}";
        let a = parse_answer(raw).expect("valid");
        assert_eq!(
            (a.status, a.content_type.as_str()),
            (200, "application/json")
        );
        assert_eq!(id_of(&a.body).as_deref(), Some("ab"));
        assert!(parse_answer(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nab").is_err());
    }

    #[test]
    fn wrk_output_gives_requests_and_rate_and_failures_are_refused() {
        let text = "  282018 requests in 8.02s, 293.97MB read\nRequests/sec:  35158.79\n";
        assert_eq!(parse_wrk(text), Ok((282_018.0, 35_158.79)));
        let failed = format!("{text}  Non-2xx or 3xx responses: 3\n");
        assert!(parse_wrk(&failed).is_err());
    }

    #[test]
    fn the_hand_written_part_survives_a_rewrite() {
        let doc = format!("# B\n\n{HEADING}\n\nold\n\n{KEPT}\n\nprofile\n\n## Later\n\nx\n");
        let out = merge(&doc, &format!("{HEADING}\n\nnew\n"));
        let want = format!("# B\n\n{HEADING}\n\nnew\n\n{KEPT}\n\nprofile\n\n## Later\n\nx\n");
        assert_eq!(out, want);
    }
}
