//! `cargo xtask build-time`: the cold debug build of tiny binaries (paylink-core + paylink-http,
//! paylink-fake, the reqwest stack paylink-http stands on, async-stripe + async-stripe-billing),
//! each in its own fresh target directory: wall time and peak memory, printed as a table and
//! written to `docs/benchmarks.md`.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// GNU time, whose `%M` is the peak resident set of the largest process of the build.
const GNU_TIME: &str = "/usr/bin/time";
/// The heading of the section this task owns in `docs/benchmarks.md`.
pub(crate) const HEADING: &str = "## Cold build: paylink vs async-stripe";
/// The subject every other row is compared with.
const BASELINE: &str = "async-stripe";

/// One generated binary crate to build cold.
struct Subject {
    /// Crate name and directory name under `target/build-time/`.
    name: &'static str,
    /// What it depends on, for the table.
    depends_on: &'static str,
    /// The body of its `[dependencies]` table.
    dependencies: String,
    /// Its `src/main.rs`.
    main_rs: &'static str,
}

/// One timed build.
#[derive(Clone, Copy)]
struct Measurement {
    /// Elapsed time of `cargo build`.
    wall_s: f64,
    /// GNU time's `%M`: the largest peak resident set of any one process of the build, in KiB.
    peak_kib: f64,
    /// User + system CPU time of the whole build (cargo and every process it waited for).
    cpu_s: f64,
    /// CPU time the rest of the machine used while the build ran, when `/proc/stat` is readable:
    /// other work competing for the cores makes the wall time too high.
    other_cpu_s: Option<f64>,
}

/// Runs the cold builds (`--runs N` times each, interleaved, median reported), prints the table
/// and writes it to `docs/benchmarks.md`.
pub(crate) fn run(root: &Path) -> Result<(), String> {
    let runs = parse_runs(std::env::args().skip(2))?;
    if !Path::new(GNU_TIME).is_file() {
        return Err(format!(
            "{GNU_TIME} (GNU time) is missing; it measures peak memory: apt-get install time"
        ));
    }
    let base = root.join("target").join("build-time");
    let subjects = subjects(root);

    // Generate each crate and fill the shared download cache; none of this is timed.
    for subject in &subjects {
        let dir = base.join(subject.name);
        generate(&dir, subject)?;
        for step in ["generate-lockfile", "fetch"] {
            let mut c = cargo();
            c.arg(step)
                .current_dir(&dir)
                .env("CARGO_TARGET_DIR", dir.join("target"));
            crate::run(&format!("cargo {step} ({})", subject.name), c)?;
        }
    }

    let mut results: Vec<Vec<Measurement>> = vec![Vec::new(); subjects.len()];
    for round in 1..=runs {
        for (subject, measured) in subjects.iter().zip(&mut results) {
            println!(
                "\n==> cold cargo build of {} (run {round} of {runs}; load average before: {})",
                subject.name,
                load_average()
            );
            let m = build_cold(&base.join(subject.name))?;
            println!(
                "    {:.1} s wall, {:.1} s CPU, peak {:.0} MiB{}",
                m.wall_s,
                m.cpu_s,
                m.peak_kib / 1024.0,
                m.other_cpu_s
                    .map(|o| format!("; other processes used {o:.1} CPU-seconds meanwhile"))
                    .unwrap_or_default()
            );
            measured.push(m);
        }
    }

    let medians: Vec<Measurement> = results
        .iter()
        .map(|ms| Measurement {
            wall_s: median(ms.iter().map(|m| m.wall_s).collect()),
            peak_kib: median(ms.iter().map(|m| m.peak_kib).collect()),
            cpu_s: median(ms.iter().map(|m| m.cpu_s).collect()),
            other_cpu_s: ms.iter().map(|m| m.other_cpu_s).sum::<Option<f64>>(),
        })
        .collect();
    let baseline = subjects
        .iter()
        .position(|s| s.name == BASELINE)
        .and_then(|i| medians.get(i).copied())
        .ok_or_else(|| format!("no {BASELINE} subject"))?;

    let own_cpu_s: f64 = results.iter().flatten().map(|m| m.cpu_s).sum();
    let other_cpu_s = results
        .iter()
        .flatten()
        .map(|m| m.other_cpu_s)
        .sum::<Option<f64>>();
    let quiet = Quiet {
        own_cpu_s,
        other_cpu_s,
    };
    if quiet.disturbed() {
        eprintln!(
            "\nxtask build-time: warning: other processes used {:.0} CPU-seconds during the \
             timed builds ({:.0} % of the builds' own {:.0}); the wall times are too high, \
             run again on a quiet machine",
            other_cpu_s.unwrap_or(0.0),
            100.0 * other_cpu_s.unwrap_or(0.0) / own_cpu_s,
            own_cpu_s
        );
    }
    let section = section(
        &subjects,
        &medians,
        baseline,
        runs,
        &Environment::current(),
        &quiet,
    );
    println!("\n{section}");
    write_doc(root, &section)
}

/// The subjects, with path dependencies into the workspace at `root`.
fn subjects(root: &Path) -> Vec<Subject> {
    let krate = |name: &str| toml_string(&root.join("crates").join(name).to_string_lossy());
    vec![
        Subject {
            name: "paylink-core-http",
            depends_on: "paylink-core + paylink-http (default features)",
            dependencies: format!(
                "paylink-core = {{ path = {} }}\npaylink-http = {{ path = {} }}\n",
                krate("paylink-core"),
                krate("paylink-http")
            ),
            main_rs: r#"//! Cold-build subject: builds an `HttpGateway` and names a `Currency`.
fn main() {
    let key = paylink_http::SecretKey::new("xnd_development_build_time");
    match paylink_http::HttpGateway::builder(key).build() {
        Ok(gateway) => println!("{} {:?}", paylink_core::Currency::Idr, gateway.key_mode()),
        Err(e) => eprintln!("{e}"),
    }
}
"#,
        },
        Subject {
            name: "paylink-fake",
            depends_on: "paylink-fake (default features)",
            dependencies: format!("paylink-fake = {{ path = {} }}\n", krate("paylink-fake")),
            main_rs: r#"//! Cold-build subject: builds a `FakeGateway`.
fn main() {
    let fake = paylink_fake::FakeGateway::new();
    println!("{}", std::any::type_name_of_val(&fake));
}
"#,
        },
        Subject {
            name: "reqwest-floor",
            depends_on: "reqwest 0.12 with paylink-http's features (json, rustls-tls) + serde + \
                         serde_json + tokio (time): the stack paylink-http stands on, without \
                         paylink",
            dependencies: "reqwest = { version = \"0.12\", default-features = false, \
                           features = [\"json\", \"rustls-tls\"] }\n\
                           serde = { version = \"1\", features = [\"derive\"] }\n\
                           serde_json = \"1\"\n\
                           tokio = { version = \"1\", features = [\"time\"] }\n"
                .to_owned(),
            main_rs: r#"//! Cold-build subject: builds a reqwest client, as paylink-http does.
fn main() {
    let client = reqwest::Client::builder().build();
    println!("{} {}", client.is_ok(), serde_json::json!({"ok": true}));
}
"#,
        },
        Subject {
            name: BASELINE,
            depends_on: "async-stripe 1.0.0-rc.10 (default features: default-tls) + \
                         async-stripe-billing 1.0.0-rc.10 (invoice, deserialize)",
            dependencies: "async-stripe = \"=1.0.0-rc.10\"\n\
                           async-stripe-billing = { version = \"=1.0.0-rc.10\", \
                           features = [\"invoice\", \"deserialize\"] }\n"
                .to_owned(),
            main_rs: r#"//! Cold-build subject: builds a Stripe client and a create-invoice request.
fn main() {
    let client = stripe::Client::new("sk_test_build_time");
    let request = stripe_billing::invoice::CreateInvoice::new().auto_advance(false);
    println!(
        "{} {:?} {}",
        std::any::type_name_of_val(&client),
        request,
        std::any::type_name::<stripe_billing::Invoice>()
    );
}
"#,
        },
    ]
}

/// Writes a fresh crate for `subject` into `dir`, removing whatever was there.
fn generate(dir: &Path, subject: &Subject) -> Result<(), String> {
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(|e| format!("remove {}: {e}", dir.display()))?;
    }
    let src = dir.join("src");
    fs::create_dir_all(&src).map_err(|e| format!("create {}: {e}", src.display()))?;
    let manifest = format!(
        "# Generated by `cargo xtask build-time`; rewritten on every run.\n\
         [package]\nname = \"{}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         # Its own workspace, outside paylink's.\n[workspace]\n\n\
         [dependencies]\n{}",
        subject.name, subject.dependencies
    );
    write(&dir.join("Cargo.toml"), &manifest)?;
    write(&src.join("main.rs"), subject.main_rs)
}

/// One cold `cargo build` (debug) in `dir`, into an emptied `dir/target`, under GNU time.
fn build_cold(dir: &Path) -> Result<Measurement, String> {
    let target = dir.join("target");
    if target.exists() {
        fs::remove_dir_all(&target).map_err(|e| format!("remove {}: {e}", target.display()))?;
    }
    let peak_file = dir.join("peak-rss-kib.txt");
    let log_path = dir.join("build.log");
    let log =
        fs::File::create(&log_path).map_err(|e| format!("create {}: {e}", log_path.display()))?;
    let log_err = log
        .try_clone()
        .map_err(|e| format!("open {}: {e}", log_path.display()))?;

    let mut c = Command::new(GNU_TIME);
    c.arg("-f")
        .arg("%M %U %S")
        .arg("-o")
        .arg(&peak_file)
        .arg(cargo_program())
        // --frozen: the lock file and the download cache are ready; nothing timed goes online.
        .args(["build", "--frozen"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err);
    let busy_before = busy_cpu_s();
    let start = Instant::now();
    let status = c
        .status()
        .map_err(|e| format!("could not start {GNU_TIME} cargo build: {e}"))?;
    let wall_s = start.elapsed().as_secs_f64();
    let busy = busy_before.zip(busy_cpu_s()).map(|(b, a)| a - b);
    if !status.success() {
        let text = fs::read_to_string(&log_path).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "cargo build in {} failed ({status}); end of {}:\n{}",
            dir.display(),
            log_path.display(),
            tail.join("\n")
        ));
    }
    let text =
        fs::read_to_string(&peak_file).map_err(|e| format!("read {}: {e}", peak_file.display()))?;
    let (peak_kib, cpu_s) = parse_gnu_time(&text)
        .ok_or_else(|| format!("{}: no `%M %U %S` line in {text:?}", peak_file.display()))?;
    Ok(Measurement {
        wall_s,
        peak_kib,
        cpu_s,
        other_cpu_s: busy.map(|b| (b - cpu_s).max(0.0)),
    })
}

/// Peak resident set (KiB) and user + system CPU seconds from GNU time's `-f "%M %U %S"`
/// output: its last non-empty line (GNU time puts a "Command exited with non-zero status" line
/// before it when the command fails).
fn parse_gnu_time(text: &str) -> Option<(f64, f64)> {
    let last = text.lines().rev().find(|l| !l.trim().is_empty())?;
    let mut fields = last.split_whitespace();
    let peak = fields.next()?.parse::<u64>().ok()?;
    let user = fields.next()?.parse::<f64>().ok()?;
    let system = fields.next()?.parse::<f64>().ok()?;
    match fields.next() {
        None => Some((peak as f64, user + system)),
        Some(_) => None,
    }
}

/// CPU seconds the whole machine has spent busy (every state of `/proc/stat`'s `cpu` line but
/// idle and iowait), in Linux's fixed `USER_HZ` of 100 ticks a second; `None` off Linux.
pub(crate) fn busy_cpu_s() -> Option<f64> {
    let stat = fs::read_to_string("/proc/stat").ok()?;
    parse_busy_ticks(&stat).map(|ticks| ticks as f64 / 100.0)
}

/// Busy ticks from the text of `/proc/stat`: user, nice, system, irq, softirq and steal of the
/// aggregate `cpu` line (guest time is already inside user and nice).
fn parse_busy_ticks(stat: &str) -> Option<u64> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let at = |i: usize| ticks.get(i).copied().unwrap_or(0);
    if ticks.len() < 4 {
        return None;
    }
    // user nice system idle iowait irq softirq steal guest guest_nice
    Some(at(0) + at(1) + at(2) + at(5) + at(6) + at(7))
}

/// How much other work ran on the machine during the timed builds.
struct Quiet {
    /// CPU seconds of every timed build together.
    own_cpu_s: f64,
    /// CPU seconds the rest of the machine used meanwhile, when known.
    other_cpu_s: Option<f64>,
}

impl Quiet {
    /// Other work above 5 % of the builds' own CPU time: enough to skew the wall times.
    fn disturbed(&self) -> bool {
        self.other_cpu_s
            .is_some_and(|other| other > 0.05 * self.own_cpu_s)
    }
}

/// `--runs N` or `--runs=N` (default 1); anything else is refused.
fn parse_runs(args: impl IntoIterator<Item = String>) -> Result<usize, String> {
    let mut runs = 1;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let value = if arg == "--runs" {
            args.next()
                .ok_or_else(|| "--runs needs a number".to_owned())?
        } else if let Some(v) = arg.strip_prefix("--runs=") {
            v.to_owned()
        } else {
            return Err(format!(
                "build-time: unknown argument {arg:?} (usage: cargo xtask build-time [--runs N])"
            ));
        };
        runs = match value.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                return Err(format!(
                    "--runs {value:?}: must be a whole number above zero"
                ))
            }
        };
    }
    Ok(runs)
}

/// The median; the mean of the two middle values for an even count, NaN when empty.
pub(crate) fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// What the figures were measured with.
struct Environment {
    date: String,
    rustc: String,
    cargo: String,
    nproc: String,
}

impl Environment {
    fn current() -> Self {
        let version = |mut c: Command| {
            c.arg("--version")
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .unwrap_or_else(|| "unknown".to_owned())
        };
        let rustc = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()));
        let nproc = Command::new("nproc")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_else(|| {
                std::thread::available_parallelism().map_or("unknown".into(), |n| n.to_string())
            });
        Environment {
            date: today(),
            rustc: version(rustc),
            cargo: version(cargo()),
            nproc,
        }
    }
}

/// `YYYY-MM-DD` (UTC) of a count of days since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_date(days_since_epoch: u64) -> String {
    let z = days_since_epoch as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The markdown section: heading, how it was measured, the table, what the figures mean.
fn section(
    subjects: &[Subject],
    medians: &[Measurement],
    baseline: Measurement,
    runs: usize,
    env: &Environment,
    quiet: &Quiet,
) -> String {
    let mut out = format!(
        "{HEADING}\n\n\
         Measured by `cargo xtask build-time` on {date}, with {rustc} and {cargo}, nproc {nproc}; \
         {what}.\n\n\
         Each row is a cold debug `cargo build` of a tiny binary generated under \
         `target/build-time/<name>/` that uses an item of each crate it depends on, built in its \
         own emptied target directory; the crates.io downloads are fetched beforehand and shared, \
         so no download is timed. The builds ran one after another in the same run{interleaved}.\n\n\
         | binary | depends on | wall | peak RSS | wall vs {BASELINE} | peak RSS vs {BASELINE} \
         | CPU (user + sys) |\n\
         |---|---|---|---|---|---|---|\n",
        date = env.date,
        rustc = env.rustc,
        cargo = env.cargo,
        nproc = env.nproc,
        what = if runs == 1 {
            "one build of each".to_owned()
        } else {
            format!("median of {runs} builds of each")
        },
        interleaved = if runs == 1 { "" } else { ", interleaved" },
    );
    for (subject, m) in subjects.iter().zip(medians) {
        let _ = writeln!(
            out,
            "| {} | {} | {:.1} s | {:.0} MiB | {:.2} x | {:.2} x | {:.1} s |",
            subject.name,
            subject.depends_on,
            m.wall_s,
            m.peak_kib / 1024.0,
            m.wall_s / baseline.wall_s,
            m.peak_kib / baseline.peak_kib,
            m.cpu_s,
        );
    }
    out.push_str(
        "\nWall is the elapsed time of `cargo build`. Peak RSS is GNU time's `%M`: the largest \
         resident set reached by any single process of the build (cargo, a rustc, a build script \
         or the linker), not the sum of the processes that ran at the same time. CPU is the \
         user + system time of the whole build, which other work on the machine barely \
         changes.",
    );
    match quiet.other_cpu_s {
        Some(other) => {
            let _ = write!(
                out,
                " While the builds ran, other processes used {other:.0} s of CPU time ({:.1} % of \
                 the builds' own {:.0}){}.",
                100.0 * other / quiet.own_cpu_s,
                quiet.own_cpu_s,
                if quiet.disturbed() {
                    ", enough to make the wall times too high"
                } else {
                    ""
                }
            );
        }
        None => out.push_str(" Other work on the machine was not measured."),
    }
    out.push('\n');
    out
}

/// Replaces the section under `HEADING` in `docs/benchmarks.md`, or appends it.
fn write_doc(root: &Path, section: &str) -> Result<(), String> {
    let path = root.join("docs").join("benchmarks.md");
    let doc = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "# Benchmarks\n".to_owned(),
        Err(e) => return Err(format!("read {}: {e}", path.display())),
    };
    write(&path, &replace_section(&doc, HEADING, section))?;
    println!("wrote {}", path.display());
    Ok(())
}

/// `doc` with the section that starts at the line `heading` (up to the next `#` or `##`
/// heading outside a code block, or the end) replaced by `section`; `section` is appended when
/// there is no such heading. Everything else is kept byte for byte.
pub(crate) fn replace_section(doc: &str, heading: &str, section: &str) -> String {
    let section = section.trim_end();
    let mut offset = 0;
    let mut start = None;
    let mut end = doc.len();
    let mut in_fence = false;
    for line in doc.split_inclusive('\n') {
        let text = line.trim_end();
        if text.trim_start().starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence {
            match start {
                None if text == heading => start = Some(offset),
                Some(_) if text.starts_with("# ") || text.starts_with("## ") => {
                    end = offset;
                    break;
                }
                _ => {}
            }
        }
        offset += line.len();
    }
    match start {
        Some(start) => {
            let rest = &doc[end..];
            let gap = if rest.is_empty() { "\n" } else { "\n\n" };
            format!("{}{section}{gap}{rest}", &doc[..start])
        }
        None if doc.trim().is_empty() => format!("{section}\n"),
        None => format!("{}\n\n{section}\n", doc.trim_end()),
    }
}

/// The section of `doc` that starts at the line `heading`, up to the next heading of the same
/// or higher level (or the end): this command's own, for `cargo xtask bench` to keep when it
/// rewrites the file.
pub(crate) fn section_at<'a>(doc: &'a str, heading: &str) -> Option<&'a str> {
    let start = doc
        .find(&format!("\n{heading}\n"))
        .map(|i| i + 1)
        .or_else(|| doc.starts_with(&format!("{heading}\n")).then_some(0))?;
    let body = &doc[start + heading.len()..];
    let end = body
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .find(|&i| body[i..].starts_with("# ") || body[i..].starts_with("## "))
        .map_or(doc.len(), |i| start + heading.len() + i);
    Some(doc[start..end].trim_end())
}

/// Today's date, `YYYY-MM-DD` in UTC.
pub(crate) fn today() -> String {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    civil_date(days)
}

/// A TOML basic string holding `s`.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The 1-minute load average from `/proc/loadavg`, to spot other work skewing a build's time.
fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn cargo_program() -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn cargo() -> Command {
    Command::new(cargo_program())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_benchmark_table_keeps_this_commands_own_section() {
        let doc = format!("# Benchmarks\n\ntable\n\n{HEADING}\n\nfigures\n\n## Later\n\nx\n");
        assert_eq!(
            section_at(&doc, HEADING),
            Some(format!("{HEADING}\n\nfigures").as_str())
        );
        let last = format!("# Benchmarks\n\n{HEADING}\n\nfigures\n");
        assert_eq!(
            section_at(&last, HEADING),
            Some(format!("{HEADING}\n\nfigures").as_str())
        );
        assert_eq!(section_at("# Benchmarks\n\ntable\n", HEADING), None);
    }

    #[test]
    fn the_median_of_an_odd_count_is_the_middle_value() {
        assert_eq!(median(vec![9.0, 1.0, 5.0]), 5.0);
        assert_eq!(median(vec![4.0]), 4.0);
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_two_middle_values() {
        assert_eq!(median(vec![10.0, 1.0, 3.0, 7.0]), 5.0);
    }

    #[test]
    fn runs_default_to_one_and_accept_both_spellings() {
        assert_eq!(parse_runs(args(&[])), Ok(1));
        assert_eq!(parse_runs(args(&["--runs", "3"])), Ok(3));
        assert_eq!(parse_runs(args(&["--runs=5"])), Ok(5));
    }

    #[test]
    fn zero_runs_a_missing_count_and_unknown_arguments_are_refused() {
        assert!(parse_runs(args(&["--runs", "0"])).is_err());
        assert!(parse_runs(args(&["--runs"])).is_err());
        assert!(parse_runs(args(&["--runs", "two"])).is_err());
        assert!(parse_runs(args(&["--release"])).is_err());
    }

    #[test]
    fn peak_and_cpu_time_are_read_from_the_last_line_of_gnu_time_output() {
        assert_eq!(
            parse_gnu_time("524288 1.50 0.25\n"),
            Some((524_288.0, 1.75))
        );
        assert_eq!(
            parse_gnu_time("Command exited with non-zero status 101\n1024 2.00 1.00\n"),
            Some((1024.0, 3.0))
        );
        assert_eq!(parse_gnu_time("1024\n"), None);
        assert_eq!(parse_gnu_time(""), None);
    }

    #[test]
    fn busy_ticks_leave_out_idle_and_iowait() {
        let stat = "cpu  100 2 30 5000 40 6 7 8 0 0\ncpu0 50 1 15 2500 20 3 3 4 0 0\n";
        assert_eq!(parse_busy_ticks(stat), Some(100 + 2 + 30 + 6 + 7 + 8));
        assert_eq!(parse_busy_ticks("intr 1 2 3\n"), None);
    }

    #[test]
    fn other_work_above_five_percent_of_the_builds_cpu_counts_as_disturbed() {
        let quiet = |other| Quiet {
            own_cpu_s: 100.0,
            other_cpu_s: other,
        };
        assert!(!quiet(Some(4.0)).disturbed());
        assert!(quiet(Some(6.0)).disturbed());
        assert!(!quiet(None).disturbed());
    }

    #[test]
    fn days_since_the_epoch_become_a_calendar_date() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(11_017), "2000-03-01");
        assert_eq!(civil_date(19_782), "2024-02-29");
    }

    #[test]
    fn a_missing_section_is_appended_after_the_existing_content() {
        let doc = "# Benchmarks\n\n| a | b |\n";
        let out = replace_section(doc, HEADING, &format!("{HEADING}\n\nnew\n"));
        assert_eq!(
            out,
            format!("# Benchmarks\n\n| a | b |\n\n{HEADING}\n\nnew\n")
        );
    }

    #[test]
    fn an_existing_section_is_replaced_and_the_sections_after_it_are_kept() {
        let doc = format!(
            "# Benchmarks\n\nintro\n\n{HEADING}\n\nold\n\n```sh\n# not a heading\n```\n\n\
             ### sub\n\nold too\n\n## Later\n\nkept\n"
        );
        let out = replace_section(&doc, HEADING, &format!("{HEADING}\n\nnew\n"));
        assert_eq!(
            out,
            format!("# Benchmarks\n\nintro\n\n{HEADING}\n\nnew\n\n## Later\n\nkept\n")
        );
    }

    #[test]
    fn replacing_the_last_section_twice_gives_the_same_document() {
        let doc = format!("# Benchmarks\n\nintro\n\n{HEADING}\n\nold\n");
        let section = format!("{HEADING}\n\nnew\n");
        let once = replace_section(&doc, HEADING, &section);
        assert_eq!(once, format!("# Benchmarks\n\nintro\n\n{HEADING}\n\nnew\n"));
        assert_eq!(replace_section(&once, HEADING, &section), once);
    }

    #[test]
    fn paths_are_escaped_as_toml_strings() {
        assert_eq!(toml_string(r#"C:\a "b""#), r#""C:\\a \"b\"""#);
    }
}
