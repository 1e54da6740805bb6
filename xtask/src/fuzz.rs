//! `cargo xtask fuzz`: builds the libFuzzer targets in `fuzz/` on the stable toolchain, lays
//! out their seed corpora and dictionary from the repository's own fixtures and code lists,
//! runs them one at a time, and prints executions and coverage per target.
//!
//! No cargo-fuzz is needed: the build passes the same instrumentation flags cargo-fuzz passes
//! with `--sanitizer none` (SanitizerCoverage through `-Cpasses=sancov-module`, which stable
//! rustc accepts), and `libfuzzer-sys` links libFuzzer itself, built from its C++ sources with
//! the machine's C++ compiler. The folder keeps cargo-fuzz's layout, so `cargo fuzz run
//! <target> --sanitizer none` works too where cargo-fuzz is installed.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Every target, in the order runs go.
pub(crate) const TARGETS: &[&str] = &[
    "webhook",
    "create_request",
    "invoice",
    "list_page",
    "list_query",
    "sandbox_control",
    "http_answer",
];

/// Seconds each target fuzzes in `cargo xtask ci`, after replaying its corpus.
pub(crate) const SMOKE_SECONDS: u64 = 3;

/// The instrumentation cargo-fuzz uses without a sanitizer, plus `--cfg fuzzing` and every
/// runtime check on.
const RUSTFLAGS: &[&str] = &[
    "--cfg",
    "fuzzing",
    "-Cpasses=sancov-module",
    "-Cllvm-args=-sanitizer-coverage-level=4",
    "-Cllvm-args=-sanitizer-coverage-inline-8bit-counters",
    "-Cllvm-args=-sanitizer-coverage-pc-table",
    "-Cllvm-args=-sanitizer-coverage-trace-compares",
    "-Cdebug-assertions",
    "-Coverflow-checks",
];

/// What `cargo xtask fuzz` was asked.
struct Options {
    targets: Vec<String>,
    seconds: u64,
    runs: Option<u64>,
    jobs: String,
}

/// `cargo xtask fuzz [--target T] [--seconds N] [--runs R] [--jobs J]`.
pub(crate) fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let mut options = Options {
        targets: TARGETS.iter().map(|t| (*t).to_owned()).collect(),
        seconds: 60,
        runs: None,
        jobs: "2".to_owned(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--target" => {
                let t = value("--target")?;
                if !TARGETS.contains(&t.as_str()) {
                    return Err(format!(
                        "unknown fuzz target `{t}`; the targets are {}",
                        TARGETS.join(", ")
                    ));
                }
                options.targets = vec![t];
            }
            "--seconds" => {
                options.seconds = value("--seconds")?
                    .parse()
                    .map_err(|e| format!("--seconds: {e}"))?;
            }
            "--runs" => {
                let runs = value("--runs")?
                    .parse()
                    .map_err(|e| format!("--runs: {e}"))?;
                options.runs = Some(runs);
            }
            "--jobs" | "-j" => options.jobs = value("--jobs")?,
            other => return Err(format!("cargo xtask fuzz: unknown argument `{other}`")),
        }
    }
    fuzz(root, &options)
}

/// The short run of every target that `cargo xtask ci` makes: build, replay each corpus, fuzz
/// each target for [`SMOKE_SECONDS`].
pub(crate) fn smoke(root: &Path) -> Result<(), String> {
    let options = Options {
        targets: TARGETS.iter().map(|t| (*t).to_owned()).collect(),
        seconds: SMOKE_SECONDS,
        runs: None,
        jobs: "2".to_owned(),
    };
    fuzz(root, &options)
}

fn fuzz(root: &Path, options: &Options) -> Result<(), String> {
    let dir = root.join("fuzz");
    let started = Instant::now();
    let bin_dir = build(&dir, &options.targets, &options.jobs)?;
    let built = started.elapsed();
    let dict = dir.join("corpus").join("paylink.dict");
    write_dictionary(root, &dict)?;
    let mut results = Vec::new();
    for target in &options.targets {
        let corpus = dir.join("corpus").join(target);
        lay_seeds(root, target, &corpus)?;
        let limits = Limits {
            seconds: options.seconds,
            runs: options.runs,
        };
        results.push(run_target(&dir, &bin_dir, target, &corpus, &dict, limits)?);
    }
    println!(
        "\nfuzz: built in {:.0?}, ran in {:.0?}",
        built,
        started.elapsed() - built
    );
    println!("{}", table(&results));
    Ok(())
}

/// The host's target triple: building for it explicitly keeps the instrumentation flags off
/// build scripts and proc macros, as cargo-fuzz does.
fn host_triple() -> Result<String, String> {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .map_err(|e| format!("rustc -vV: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| "rustc -vV printed no host".to_owned())
}

fn build(dir: &Path, targets: &[String], jobs: &str) -> Result<PathBuf, String> {
    let triple = host_triple()?;
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .current_dir(dir)
        .args([
            "build",
            "--release",
            "--locked",
            "-j",
            jobs,
            "--target",
            &triple,
        ])
        .env("RUSTFLAGS", RUSTFLAGS.join(" "))
        // The main workspace's settings must not reach this one.
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET");
    for t in targets {
        cargo.args(["--bin", t]);
    }
    crate::run("build the fuzz targets (libFuzzer, stable)", cargo)?;
    Ok(dir.join("target").join(triple).join("release"))
}

/// When a run stops: after `seconds`, or after `runs` executions if that comes first.
#[derive(Clone, Copy)]
struct Limits {
    seconds: u64,
    runs: Option<u64>,
}

/// What one run printed.
struct Outcome {
    target: String,
    executions: u64,
    seconds: u64,
    cov: Option<u64>,
    ft: Option<u64>,
    corpus: Option<u64>,
}

fn run_target(
    dir: &Path,
    bin_dir: &Path,
    target: &str,
    corpus: &Path,
    dict: &Path,
    limits: Limits,
) -> Result<Outcome, String> {
    let seconds = limits.seconds;
    let artifacts = dir.join("artifacts").join(target);
    fs::create_dir_all(&artifacts).map_err(|e| format!("{}: {e}", artifacts.display()))?;
    let log_path = artifacts.join("last-run.log");
    let log = fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    println!(
        "\n==> fuzz {target} for {seconds} s (log: {})",
        log_path.display()
    );
    let mut command = Command::new(bin_dir.join(target));
    command
        .arg(corpus)
        .arg(dir.join("seeds").join(target))
        .arg(format!("-dict={}", dict.display()))
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .args(["-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1"])
        .args(limits.runs.map(|r| format!("-runs={r}")))
        .stdout(Stdio::null())
        .stderr(log);
    let status = command
        .status()
        .map_err(|e| format!("fuzz {target}: could not start: {e}"))?;
    let text = fs::read_to_string(&log_path).unwrap_or_default();
    if !status.success() {
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "fuzz {target}: failed ({status}); the input is saved under {}\n{}",
            artifacts.display(),
            tail.join("\n")
        ));
    }
    Ok(outcome(target, &text))
}

/// Executions from libFuzzer's final stats, coverage from its last status line
/// (`#123 DONE cov: 1496 ft: 5311 corp: 410/61Kb ...`).
fn outcome(target: &str, log: &str) -> Outcome {
    let stat = |name: &str| {
        log.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    let last_status = log
        .lines()
        .rev()
        .find(|l| l.starts_with('#') && l.contains("cov: "))
        .unwrap_or("");
    let field = |name: &str| {
        let words: Vec<&str> = last_status.split_whitespace().collect();
        words
            .iter()
            .position(|w| *w == name)
            .and_then(|i| words.get(i + 1))
            .and_then(|v| v.split('/').next())
            .and_then(|v| v.parse::<u64>().ok())
    };
    Outcome {
        target: target.to_owned(),
        executions: stat("stat::number_of_executed_units:").unwrap_or(0),
        // `Done 518167 runs in 11 second(s)`
        seconds: log
            .lines()
            .find_map(|l| l.strip_prefix("Done "))
            .and_then(|l| l.split_whitespace().nth(3))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0),
        cov: field("cov:"),
        ft: field("ft:"),
        corpus: field("corp:"),
    }
}

fn table(results: &[Outcome]) -> String {
    let mut out = String::from(
        "| target | executions | exec/s | cov | ft | corpus | crashes |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    let show = |v: Option<u64>| v.map_or_else(|| "?".to_owned(), |v| v.to_string());
    for r in results {
        let rate = show(r.executions.checked_div(r.seconds));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | 0 |",
            r.target,
            r.executions,
            rate,
            show(r.cov),
            show(r.ft),
            show(r.corpus)
        );
    }
    out
}

/// Writes every real payload in the repository that `target` reads into its corpus folder
/// (`fixture-*` files, rewritten each run), beside what earlier runs found.
fn lay_seeds(root: &Path, target: &str, corpus: &Path) -> Result<(), String> {
    fs::create_dir_all(corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
    let read = |rel: &str| -> Result<Vec<(String, Vec<u8>)>, String> {
        let dir = root.join(rel);
        let mut files = Vec::new();
        let entries = fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path
                .extension()
                .is_some_and(|e| e == "json" || e == "jsonl")
            {
                let bytes = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                files.push((
                    format!("{rel}/{}", entry.file_name().to_string_lossy()),
                    bytes,
                ));
            }
        }
        files.sort();
        Ok(files)
    };
    let webhooks = [
        read("crates/paylink-core/tests/data/webhook")?,
        read("crates/paylink-cli/tests/data")?,
    ]
    .concat();
    let invoices = [
        read("crates/paylink-core/tests/data/invoice")?,
        read("crates/paylink-http/tests/data")?,
    ]
    .concat();
    let errors = read("crates/paylink-core/tests/data/errors")?;
    let mut seeds: Vec<(String, Vec<u8>)> = Vec::new();
    match target {
        "webhook" => {
            for (name, body) in &webhooks {
                seeds.push((name.clone(), [b"fuzz-token\n".as_slice(), body].concat()));
            }
        }
        "create_request" => seeds = read("crates/paylink-core/tests/data/request")?,
        "invoice" => seeds = invoices.clone(),
        "list_page" => {
            let all: Vec<&[u8]> = invoices.iter().map(|(_, b)| b.as_slice()).collect();
            seeds.push(("all-invoices".into(), page(&all)));
            for (name, body) in &invoices {
                seeds.push((name.clone(), page(&[body])));
            }
        }
        "http_answer" => {
            for (name, body) in &invoices {
                seeds.push((name.clone(), [b"200\n\n".as_slice(), body].concat()));
            }
            for (name, body) in &errors {
                for (i, line) in body.split(|&b| b == b'\n').enumerate() {
                    if line.is_empty() {
                        continue;
                    }
                    let head: &[u8] = match i % 4 {
                        0 => b"400\n\n",
                        1 => b"404\n\n",
                        2 => b"429\nRetry-After: 3\nRate-Limit-Reset: 1.5\n\n",
                        _ => b"503\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\n\n",
                    };
                    seeds.push((format!("{name}-{i}"), [head, line].concat()));
                }
            }
        }
        // Their seeds are committed under fuzz/seeds/: no fixture carries these inputs.
        _ => {}
    }
    for (name, bytes) in seeds {
        let file = corpus.join(format!("fixture-{}", name.replace('/', "-")));
        fs::write(&file, bytes).map_err(|e| format!("{}: {e}", file.display()))?;
    }
    Ok(())
}

/// A JSON array of the given JSON documents.
fn page(items: &[&[u8]]) -> Vec<u8> {
    let mut out = b"[".to_vec();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(item);
    }
    out.push(b']');
    out
}

/// Writes the libFuzzer dictionary: every field name the wire types declare and every code
/// `codes.rs` lists, read from the sources so it never falls behind them, plus JSON, query and
/// header tokens.
fn write_dictionary(root: &Path, path: &Path) -> Result<(), String> {
    let mut words: BTreeSet<String> = BTreeSet::new();
    let sources = [
        "crates/paylink-core/src/codes.rs",
        "crates/paylink-core/src/money.rs",
        "crates/paylink-core/src/request.rs",
        "crates/paylink-core/src/invoice.rs",
        "crates/paylink-core/src/webhook.rs",
        "crates/paylink-core/src/gateway.rs",
        "crates/paylink-sandbox/src/client.rs",
    ];
    for rel in sources {
        let text = fs::read_to_string(root.join(rel)).map_err(|e| format!("{rel}: {e}"))?;
        for line in text.lines() {
            let line = line.trim();
            // Field names: `pub name: Type,` in the wire structs.
            if let Some(rest) = line.strip_prefix("pub ") {
                if let Some((name, _)) = rest.split_once(':') {
                    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                    {
                        words.insert(format!("\"{name}\""));
                    }
                }
            }
            // Codes, renames and query names: every string literal that looks like a wire word.
            for literal in line.split('"').skip(1).step_by(2) {
                let wire_word = !literal.is_empty()
                    && literal.len() <= 40
                    && literal
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'[' || b == b']');
                if wire_word {
                    words.insert(format!("\"{literal}\""));
                }
            }
        }
    }
    let extra = [
        "\"{\"",
        "\"}\"",
        "\"[\"",
        "\"]\"",
        "\":\"",
        "\",\"",
        "\"\\\"\"",
        "\"null\"",
        "\"true\"",
        "\"false\"",
        "\"-0\"",
        "\"1e5\"",
        "\"0.01\"",
        "\"10000\"",
        "\"1000000000\"",
        "\"79228162514264337593543950335\"",
        "\"2023-08-22T05:48:51.105Z\"",
        "\"+07:00\"",
        "\"&\"",
        "\"=\"",
        "\"%\"",
        "\"Retry-After: \"",
        "\"Rate-Limit-Reset: \"",
        "\"Date: \"",
        "\"Wed, 21 Oct 2015 07:28:00 GMT\"",
        "\"fuzz-token\"",
        "\"<none>\"",
        "\"429\"",
        "\"\\x0a\"",
    ];
    words.extend(extra.iter().map(|w| (*w).to_owned()));
    let mut out =
        String::from("# Generated by `cargo xtask fuzz` from the wire types and codes.rs.\n");
    for w in words {
        let _ = writeln!(out, "{w}");
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    fs::write(path, out).map_err(|e| format!("{}: {e}", path.display()))
}
