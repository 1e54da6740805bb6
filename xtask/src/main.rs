//! `cargo xtask <task>`: project automation in plain Rust (CI checks, fuzzing, benchmark table,
//! load test of the sandbox).

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod bench;
mod build_time;
mod fuzz;
mod load;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  ci [--no-e2e]   fmt check, clippy -D warnings (also of fuzz/), every test, a short run of
                  every fuzz target, the quickstart, docs with warnings denied, then the end-to-end tests (official Node SDK and headless Chromium)
  e2e             only the end-to-end tests (needs node, npm and /usr/bin/chromium)
  bench           run the criterion benches and print one table of ratios
                  (also written to docs/benchmarks.md)
  build-time [--runs N]
                  cold debug build time and peak memory of paylink vs async-stripe
                  (median of N interleaved runs; also written to docs/benchmarks.md)
  fuzz [--target T] [--seconds N] [--runs R] [--jobs J]
                  build the libFuzzer targets in fuzz/ (stable toolchain) and run each
                  (or T) for N seconds (default 60) or R executions, whichever ends first,
                  one at a time; see docs/fuzzing.md
  load [--rounds N] [--seconds S] [--threads T] [--connections C]
       [--mode get|create-get|both] [--sandbox-args 'ARGS']... [--no-write]
                  requests/s of `paylink sandbox` vs a minimal axum server answering the
                  same bytes, each a release-built process under wrk (default: 3 rounds of
                  8 s, wrk -t2 -c32, both modes, the sandbox as started by default and with
                  --manual-clock; each --sandbox-args is a sandbox to measure instead,
                  started with those arguments); also written to docs/benchmarks.md
                  unless --no-write";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(!args.iter().any(|a| a == "--no-e2e")),
        Some("e2e") => e2e(),
        Some("bench") => bench::run(&root()),
        Some("build-time") => build_time::run(&root()),
        Some("fuzz") => fuzz::run(&root(), &args[1..]),
        Some("load") => load::run(&root(), &args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of `xtask/`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn cargo() -> Command {
    let mut c = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Runs a command, failing with its description when it does not succeed.
fn run(what: &str, mut command: Command) -> Result<(), String> {
    println!("\n==> {what}");
    let started = std::time::Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("{what}: could not start: {e}"))?;
    println!("<== {what}: {:.0?}", started.elapsed());
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what}: failed ({status})"))
    }
}

fn ci(with_e2e: bool) -> Result<(), String> {
    let started = std::time::Instant::now();
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    run("cargo fmt --check", fmt)?;
    let mut fmt = cargo();
    fmt.current_dir(root().join("fuzz"))
        .args(["fmt", "--", "--check"]);
    run("cargo fmt --check (fuzz/)", fmt)?;

    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]);
    run("cargo clippy -D warnings", clippy)?;
    // The fuzz targets are a workspace of their own (fuzz/), linted as strictly.
    let mut clippy = cargo();
    clippy.current_dir(root().join("fuzz")).args([
        "clippy",
        "--locked",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    run("cargo clippy -D warnings (fuzz/)", clippy)?;

    let mut test = cargo();
    // CI=true makes insta fail on a missing or changed snapshot instead of writing one.
    test.args(["test", "--workspace", "--all-features"])
        .env("CI", "true");
    run("cargo test", test)?;

    // A host application's own workspace, outside this one's feature unification: paylink must
    // not change serde, serde_json or rust_decimal for it (probe/README.md). It shares the target
    // dir so that dependencies built with the same features are reused.
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| env::current_dir().map(|cwd| cwd.join(&dir)).unwrap_or(dir))
        .unwrap_or_else(|| root().join("target"));
    let mut probe = cargo();
    probe
        .args(["test", "--locked", "--manifest-path", "probe/Cargo.toml"])
        .env("CI", "true")
        .env("CARGO_TARGET_DIR", target_dir);
    run(
        "host-app probe (paylink's features leave serde, serde_json and rust_decimal as they are)",
        probe,
    )?;
    // Every parser that reads outside input: replay each fuzz target's corpus, then fuzz it for
    // a few seconds (docs/fuzzing.md).
    fuzz::smoke(&root())?;

    // The README's first command must keep working.
    let mut quickstart = cargo();
    quickstart.args(["run", "--quiet", "--example", "quickstart"]);
    run("cargo run --example quickstart", quickstart)?;

    let mut doc = cargo();
    doc.args(["doc", "--workspace", "--no-deps", "--all-features"])
        .env("RUSTDOCFLAGS", "-D warnings");
    run("cargo doc -D warnings", doc)?;

    if with_e2e {
        e2e()?;
    }
    println!("\nxtask ci: all checks passed in {:.0?}", started.elapsed());
    Ok(())
}

fn e2e() -> Result<(), String> {
    let script = root().join("e2e/run.sh");
    if !script.exists() {
        return Err(format!("{} is missing", script.display()));
    }
    let mut install = Command::new("bash");
    install
        .arg(root().join("e2e/install-deps.sh"))
        .current_dir(root());
    run("end-to-end tools (chromium, Node.js)", install)?;
    let mut c = Command::new("bash");
    c.arg(&script).current_dir(root());
    run("end-to-end tests (xendit-node SDK, headless Chromium)", c)
}
