//! Helpers shared by the CLI test files: running the `paylink` binary and reading its output.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// The `paylink` binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_paylink");

/// Runs `cmd` with `stdin` as its standard input and collects its output.
pub(crate) fn with_stdin(mut cmd: Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("paylink runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("paylink ends")
}

/// The one line an error writes to stderr (fails the test when it is not exactly one line).
pub(crate) fn stderr_line(output: &Output) -> String {
    let text = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        text.lines().count(),
        1,
        "the error is one line, got: {text:?}"
    );
    text.trim_end().to_owned()
}
