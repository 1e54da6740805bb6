//! Tidy checks of the architecture invariants of paylink-core: no I/O crate among its
//! dependencies, and no float, clock, network or file system in its source.

use std::path::{Path, PathBuf};

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Names of the crates in the `[dependencies]` table of the manifest.
fn dependency_names(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_dependencies = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
            continue;
        }
        if !in_dependencies || line.is_empty() || line.starts_with('#') {
            continue;
        }
        let key = line.split('=').next().unwrap_or_default().trim();
        let name = key
            .strip_suffix(".workspace")
            .unwrap_or(key)
            .trim_matches('"');
        names.push(name.to_owned());
    }
    names
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("list {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn source_files() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(&crate_dir().join("src"), &mut files);
    files.sort();
    assert!(!files.is_empty(), "src/ has Rust files");
    files
        .into_iter()
        .map(|p| {
            let text = read(&p);
            (p, text)
        })
        .collect()
}

#[test]
fn the_manifest_lists_no_io_crate_among_the_dependencies() {
    const IO_CRATES: &[&str] = &[
        "tokio",
        "reqwest",
        "hyper",
        "mio",
        "socket2",
        "axum",
        "tower",
        "h2",
        "http-body",
        "async-std",
        "smol",
        "ureq",
        "curl",
        "isahc",
        "surf",
        "rustls",
        "native-tls",
        "openssl",
        "tracing-subscriber",
        "tempfile",
        "notify",
    ];
    let manifest = read(&crate_dir().join("Cargo.toml"));
    let names = dependency_names(&manifest);
    assert!(
        names.iter().any(|n| n == "serde") && names.iter().any(|n| n == "rust_decimal"),
        "the [dependencies] table was read: {names:?}"
    );
    let io: Vec<&String> = names
        .iter()
        .filter(|n| {
            IO_CRATES
                .iter()
                .any(|io| n.as_str() == *io || n.starts_with(&format!("{io}-")))
        })
        .collect();
    assert!(io.is_empty(), "paylink-core must not depend on {io:?}");
}

#[test]
fn no_source_file_uses_floats_clocks_the_network_or_the_file_system() {
    const FORBIDDEN: &[&str] = &[
        "f64",
        "f32",
        "OffsetDateTime::now",
        "SystemTime",
        "Instant::now",
        "std::net",
        "std::fs",
    ];
    let mut found = Vec::new();
    for (path, text) in source_files() {
        // serde's Deserializer trait names two of its methods after floats; forwarding them
        // (object_only.rs) reads no float.
        let text = text
            .replace("deserialize_f64", "")
            .replace("deserialize_f32", "");
        // json_amount.rs is where a JSON number meets serde's f64: it hands serializers the f64
        // whose shortest form is an amount's digits, and reads buffered f64s back through that
        // form. No amount is computed in floating point there or anywhere else.
        let json_boundary = path.ends_with("json_amount.rs");
        for (n, line) in text.lines().enumerate() {
            for word in FORBIDDEN {
                if json_boundary && *word == "f64" {
                    continue;
                }
                if line.contains(word) {
                    found.push(format!("{}:{}: {word}", path.display(), n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "forbidden in paylink-core src/:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_source_file_says_what_it_is_for() {
    for (path, text) in source_files() {
        assert!(
            text.starts_with("//!"),
            "{} must begin with a //! line",
            path.display()
        );
    }
}

#[test]
fn no_source_file_of_any_crate_is_longer_than_six_hundred_lines() {
    const MAX_LINES: usize = 600;
    let crates = crate_dir().join("..");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&crates).expect("crates/ is readable") {
        let src = entry.expect("an entry").path().join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    assert!(
        files.len() > 20,
        "every crate's sources were found: {files:?}"
    );
    let long: Vec<String> = files
        .iter()
        .filter_map(|p| {
            let n = read(p).lines().count();
            (n > MAX_LINES).then(|| format!("{} ({n} lines)", p.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "files doing more than one job: split them along their seams:\n{}",
        long.join("\n")
    );
}
