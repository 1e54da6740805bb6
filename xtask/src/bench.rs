//! `cargo xtask bench`: runs the criterion benches and prints one table, each row a ratio of
//! two benchmarks measured in the same run, and writes it to `docs/benchmarks.md`.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Command;

/// How a row's ratio reads.
#[derive(Clone, Copy)]
enum Reading {
    /// baseline time / subject time: 1.0 means as fast as the baseline, higher is faster.
    Speed,
    /// subject time / baseline time: how many times the baseline's cost.
    Cost,
}

/// One row: a subject benchmark against a baseline benchmark, by criterion id
/// (`group/function` as under `target/criterion/`).
struct Row {
    label: &'static str,
    subject: &'static str,
    baseline: &'static str,
    reading: Reading,
}

const ROWS: &[Row] = &[
    Row {
        label:
            "build, validate and serialize a create request vs serde_json::to_vec of the same Value",
        subject: "core_request/build_validate_serialize",
        baseline: "core_request/serde_json_value_to_vec",
        reading: Reading::Speed,
    },
    Row {
        label: "verify and parse a webhook vs serde_json::from_slice::<Value>",
        subject: "core_webhook/verify_and_parse",
        baseline: "core_webhook/serde_json_value_from_slice",
        reading: Reading::Speed,
    },
    Row {
        label: "fake create at 1,000,000 invoices vs HashMap insert of the same invoice",
        subject: "fake_engine_1m/create",
        baseline: "fake_engine_1m/baseline_hashmap_insert",
        reading: Reading::Speed,
    },
    Row {
        label: "fake get at 1,000,000 invoices vs HashMap get + clone",
        subject: "fake_engine_1m/get",
        baseline: "fake_engine_1m/baseline_hashmap_get",
        reading: Reading::Speed,
    },
    Row {
        label: "fake pay at 1,000,000 invoices vs fake create",
        subject: "fake_engine_1m/pay",
        baseline: "fake_engine_1m/create",
        reading: Reading::Speed,
    },
    Row {
        label: "clock advance, 1,000,000 pending + 1 due vs 1,000 pending + 1 due (cost)",
        subject: "fake_advance/1000000_pending_1_due",
        baseline: "fake_advance/1000_pending_1_due",
        reading: Reading::Cost,
    },
    Row {
        label: "sandbox create + get over HTTP vs minimal axum handler with the same bytes",
        subject: "sandbox_http/create_and_get",
        baseline: "sandbox_http/minimal_axum_same_bytes",
        reading: Reading::Speed,
    },
    Row {
        label: "inbox receive (verify, parse, durable insert) on PostgreSQL vs bare INSERT ... ON CONFLICT DO NOTHING of the same bytes, same pool",
        subject: "inbox_receive_postgres/receive",
        baseline: "inbox_receive_postgres/bare_insert",
        reading: Reading::Speed,
    },
    Row {
        label: "inbox receive on SQLite (file, WAL, synchronous=FULL) vs bare SQLite insert of the same bytes, same pool",
        subject: "inbox_receive_sqlite/receive",
        baseline: "inbox_receive_sqlite/bare_insert",
        reading: Reading::Speed,
    },
    Row {
        label: "inbox processing on PostgreSQL, 64 events: two workers vs one",
        subject: "inbox_process_postgres/two_workers",
        baseline: "inbox_process_postgres/one_worker",
        reading: Reading::Speed,
    },
    Row {
        label: "HttpGateway::get_invoice vs raw reqwest + serde_json",
        subject: "http_get_invoice/http_gateway",
        baseline: "http_get_invoice/raw_reqwest",
        reading: Reading::Speed,
    },
    Row {
        label: "sandbox create + get with --data-dir vs in memory, 16 concurrent pairs",
        subject: "sandbox_data_dir/create_and_get_data_dir",
        baseline: "sandbox_data_dir/create_and_get_in_memory",
        reading: Reading::Speed,
    },
];

pub(crate) fn run(root: &Path) -> Result<(), String> {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root).args(["bench", "--workspace"]);
    crate::run("cargo bench --workspace", c)?;

    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let criterion = target.join("criterion");
    let mut table = String::from("| benchmark | subject | baseline | ratio |\n|---|---|---|---|\n");
    let mut missing = Vec::new();
    for row in ROWS {
        let subject = mean_ns(&criterion, row.subject);
        let baseline = mean_ns(&criterion, row.baseline);
        match (subject, baseline) {
            (Some(s), Some(b)) => {
                let (ratio, unit) = match row.reading {
                    Reading::Speed => (b / s, "x baseline speed"),
                    Reading::Cost => (s / b, "x baseline cost"),
                };
                let _ = writeln!(
                    table,
                    "| {} | {} | {} | {:.2} {} |",
                    row.label,
                    human(s),
                    human(b),
                    ratio,
                    unit
                );
            }
            _ => missing.push(row.label),
        }
    }
    let extra = extra_figures(&criterion);
    println!("\n{table}{extra}");
    if !missing.is_empty() {
        return Err(format!("no criterion results for: {}", missing.join("; ")));
    }
    write_doc(root, &table, &extra)
}

/// Mean time in nanoseconds from criterion's `new/estimates.json`.
fn mean_ns(criterion: &Path, id: &str) -> Option<f64> {
    let text = fs::read_to_string(criterion.join(id).join("new/estimates.json")).ok()?;
    // `{"mean":{"confidence_interval":{...},"point_estimate":123.4,...`
    let mean = text.split("\"mean\"").nth(1)?;
    let after = mean.split("\"point_estimate\":").nth(1)?;
    let number: String = after
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        .collect();
    number.parse().ok()
}

fn human(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// Figures that are not ratios of two timings (bytes per invoice), written by the benches as
/// `target/criterion/paylink-figures/*.txt`, one line each.
fn extra_figures(criterion: &Path) -> String {
    let dir = criterion.join("paylink-figures");
    let Ok(entries) = fs::read_dir(&dir) else {
        return String::new();
    };
    let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    files.sort();
    let mut out = String::from("\nOther figures from the same run:\n\n");
    for f in files {
        if let Ok(text) = fs::read_to_string(&f) {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let _ = writeln!(out, "- {line}");
            }
        }
    }
    out
}

fn write_doc(root: &Path, table: &str, extra: &str) -> Result<(), String> {
    let machine = machine();
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let doc = format!(
        "# Benchmarks\n\nMeasured by `cargo xtask bench` on {date}, on {machine}.\n\n\
         Each row is a ratio of two criterion benchmarks run in the same process run, so the \
         figures compare like with like on the same machine; absolute times are shown for \
         reference only.\n\n{table}{extra}"
    );
    let path = root.join("docs/benchmarks.md");
    // `cargo xtask build-time` and `cargo xtask load` own their sections; keep them.
    let old = fs::read_to_string(&path).unwrap_or_default();
    let mut doc = doc;
    for heading in [crate::build_time::HEADING, crate::load::HEADING] {
        if let Some(section) = crate::build_time::section_at(&old, heading) {
            doc = format!("{}\n\n{section}", doc.trim_end());
        }
    }
    fs::write(&path, doc).map_err(|e| format!("write {}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

pub(crate) fn machine() -> String {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores")
}
