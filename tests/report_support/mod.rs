//! Helpers shared by the report and configuration tests: running the built binary on the
//! fixtures in `tests/fixtures/reports`, and reading what it printed.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the helpers"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The folder of the report fixtures.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reports")
}

/// The fixture templates, as passed on the command line (relative to [`fixtures`]).
pub const TEMPLATES: [&str; 5] = [
    "open.yaml",
    "suppressed.yaml",
    "no_reason.yaml",
    "unknown_only.yaml",
    "broken.yaml",
];

/// What one run printed and returned.
#[derive(Debug)]
pub struct Run {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The exit code.
    pub code: i32,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    }
}

/// The binary, with no colour forced either way and stdin closed.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_palisade"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null());
    cmd
}

/// Runs the binary in `dir` with `args`.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    command(dir, args).output().expect("the binary runs").into()
}

/// `palisade validate ARGS --rules policy.guard --no-bundled --no-config` in the fixtures.
pub fn validate(args: &[&str]) -> Run {
    let mut all = vec!["validate"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--rules", "policy.guard", "--no-bundled", "--no-config"]);
    run_in(&fixtures(), &all)
}

/// The JSON report of a `validate` run.
pub fn json_report(args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--format", "json"]);
    let run = validate(&all);
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("JSON report: {e}\n{}\n{}", run.stdout, run.stderr))
}

/// Runs a shell command line on a pseudo-terminal through util-linux `script`, returning
/// what the terminal showed; `None` (with a note on stderr) where `script` is missing.
pub fn on_terminal(dir: &Path, line: &str) -> Option<String> {
    let probe = Command::new("script").arg("--version").output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("note: util-linux `script` is not installed; terminal checks skipped");
        return None;
    }
    let mut child = Command::new("script")
        .args(["-qec", line, "/dev/null"])
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script runs");
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut text);
        text
    });
    // A command that hangs on a terminal (say, a progress bar waiting for a lock) fails the
    // test instead of stalling the suite.
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("waits").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`{line}` did not finish on a terminal within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = reader.join().expect("reader thread");
    Some(String::from_utf8_lossy(&text).into_owned())
}

/// `text` quoted for a POSIX shell.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}
