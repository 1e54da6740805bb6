//! Helpers shared by the CLI test files: running the `paylink` binary and reading its output.
// Each test file uses a part of these.
#![allow(dead_code)]

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

/// A `paylink sandbox` process started by a test, killed when dropped.
pub(crate) struct SandboxProcess {
    /// The process.
    pub(crate) child: std::process::Child,
    /// The address it serves, from its first line.
    pub(crate) url: String,
    /// Its first line (`paylink sandbox listening on URL ...`).
    pub(crate) first_line: String,
    stdout: std::io::BufReader<std::process::ChildStdout>,
}

impl SandboxProcess {
    /// Starts `paylink sandbox` with `args` and reads its first line. Its standard error goes
    /// nowhere.
    pub(crate) fn start<I, S>(args: I) -> SandboxProcess
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        use std::io::BufRead;
        let mut child = Command::new(BIN)
            .arg("sandbox")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("paylink sandbox starts");
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let mut first_line = String::new();
        stdout.read_line(&mut first_line).expect("a first line");
        let url = first_line
            .strip_prefix("paylink sandbox listening on ")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected first line: {first_line:?}"))
            .to_owned();
        SandboxProcess {
            child,
            url,
            first_line: first_line.trim_end().to_owned(),
            stdout,
        }
    }

    /// The next line it prints.
    pub(crate) fn next_line(&mut self) -> String {
        use std::io::BufRead;
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("a line");
        line.trim_end().to_owned()
    }

    /// Everything it prints from now until it ends.
    pub(crate) fn rest(&mut self) -> String {
        use std::io::Read;
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).expect("the rest");
        rest
    }

    /// Stops it with SIGTERM and waits up to 10 s for it to end; its exit status.
    pub(crate) fn terminate(&mut self) -> std::process::ExitStatus {
        self.signal("-TERM");
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the sandbox did not stop within 10 s of SIGTERM");
    }

    /// Sends it `signal` (`-TERM`, `-KILL`) with kill(1).
    pub(crate) fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill {signal} failed");
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
