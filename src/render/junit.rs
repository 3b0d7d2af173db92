//! The JUnit XML report (`--format junit`), for CI systems that show test results.
//!
//! One `testsuite` per template and one `testcase` per template × rule (`classname` is the
//! template's path, `name` the rule's id and name). A case fails when one of its findings
//! fails the run (the same decision as the exit code: unsuppressed, at or above `--fail-on`,
//! unknown outcomes only with `--unknown fail`); its `failure` lists those findings, one
//! `line:column` line each. A rule whose `when` condition was false is `skipped`. Findings
//! that do not fail the run (suppressed, below `--fail-on`) go to the case's `system-out`.
//! A template that could not be read is a suite with one case, `template`, holding an `error`;
//! a file that is not a CloudFormation template, one whose case is skipped.

use std::fmt::Write as _;

use crate::eval::{FindingStatus, Status};
use crate::report::{FileEntry, FileStatus, Finding, Options, Report};

/// One test case, before it is written.
struct Case<'r> {
    name: String,
    outcome: Outcome<'r>,
    /// Findings shown in `system-out`.
    notes: Vec<&'r Finding>,
}

enum Outcome<'r> {
    Passed,
    Failed {
        message: String,
        kind: String,
        findings: Vec<&'r Finding>,
    },
    Skipped(String),
    Error {
        message: String,
        kind: String,
        detail: String,
    },
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Counts {
    fn add(&mut self, outcome: &Outcome<'_>) {
        self.tests += 1;
        match outcome {
            Outcome::Passed => {}
            Outcome::Failed { .. } => self.failures += 1,
            Outcome::Skipped(_) => self.skipped += 1,
            Outcome::Error { .. } => self.errors += 1,
        }
    }

    fn attributes(&self) -> String {
        format!(
            "tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\"",
            self.tests, self.failures, self.errors, self.skipped
        )
    }
}

/// The report as a JUnit XML document, with a final newline.
pub fn render(report: &Report, options: &Options) -> String {
    super::to_string(|out| render_to(report, options, out))
}

/// [`render`], written to `w` as it is produced.
pub fn render_to(
    report: &Report,
    options: &Options,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let suites: Vec<(&FileEntry, Vec<Case<'_>>)> = report
        .files
        .iter()
        .map(|file| (file, cases(report, options, file)))
        .collect();
    let mut total = Counts::default();
    for (_, cases) in &suites {
        for case in cases {
            total.add(&case.outcome);
        }
    }
    let mut spill = super::Spill::new(w);
    let out = &mut spill.buf;
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites name=\"palisade\" {}>", total.attributes());
    for (file, cases) in &suites {
        let mut counts = Counts::default();
        for case in cases {
            counts.add(&case.outcome);
        }
        let _ = writeln!(
            spill.buf,
            "  <testsuite name=\"{}\" {}>",
            attr(&file.path),
            counts.attributes()
        );
        for case in cases {
            write_case(&mut spill.buf, &file.path, case);
            spill.spill()?;
        }
        spill.buf.push_str("  </testsuite>\n");
    }
    spill.buf.push_str("</testsuites>\n");
    spill.finish()
}

fn cases<'r>(report: &'r Report, options: &Options, file: &'r FileEntry) -> Vec<Case<'r>> {
    match (file.status, &file.error) {
        (FileStatus::Error, error) => {
            let (code, message, at) = match error {
                Some(e) => (
                    e.code.to_string(),
                    e.message.clone(),
                    match (e.line, e.column) {
                        (Some(l), Some(c)) => format!("{}:{l}:{c}", file.path),
                        _ => file.path.clone(),
                    },
                ),
                None => (
                    "template::error".to_string(),
                    String::new(),
                    file.path.clone(),
                ),
            };
            return vec![Case {
                name: "template".to_string(),
                outcome: Outcome::Error {
                    detail: format!("{at}: {message}"),
                    message,
                    kind: code,
                },
                notes: Vec::new(),
            }];
        }
        (FileStatus::Skipped, _) => {
            return vec![Case {
                name: "template".to_string(),
                outcome: Outcome::Skipped(
                    "not a CloudFormation template (no `Resources` map)".to_string(),
                ),
                notes: Vec::new(),
            }];
        }
        (FileStatus::Ok, _) => {}
    }
    let findings: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| *f.file == *file.path)
        .collect();
    let mut out = Vec::new();
    for (name, status) in &file.rules {
        let info = report.rules.iter().find(|r| &r.name == name);
        let id = info.map_or(name.as_str(), |r| r.meta.id.as_str());
        let mine: Vec<&Finding> = findings
            .iter()
            .copied()
            .filter(|f| &*f.id == id && *f.rule == **name)
            .collect();
        let title = info.and_then(|r| r.meta.title.as_deref()).unwrap_or(name);
        out.push(case(format!("{id} {name}"), title, *status, mine, options));
    }
    out
}

fn case<'r>(
    name: String,
    title: &str,
    status: Status,
    findings: Vec<&'r Finding>,
    options: &Options,
) -> Case<'r> {
    let (failing, notes): (Vec<&Finding>, Vec<&Finding>) =
        findings.into_iter().partition(|f| f.fails_run(options));
    let outcome = if let Some(worst) = failing.iter().map(|f| f.severity).max() {
        Outcome::Failed {
            message: format!(
                "{} finding{}: {title}",
                failing.len(),
                if failing.len() == 1 { "" } else { "s" }
            ),
            kind: worst.as_str().to_string(),
            findings: failing,
        }
    } else if status == Status::Skip {
        Outcome::Skipped("not applicable: the rule's `when` condition is false".to_string())
    } else {
        Outcome::Passed
    };
    Case {
        name,
        outcome,
        notes,
    }
}

fn finding_line(f: &Finding) -> String {
    let at = if f.located {
        format!("{}:{}", f.line, f.column)
    } else {
        "template".to_string()
    };
    let status = match f.status {
        FindingStatus::Fail => "",
        FindingStatus::Unknown => ", unknown",
    };
    let resource = f
        .resource
        .as_ref()
        .map(|r| format!(" [{r}]"))
        .unwrap_or_default();
    let suppressed = match (&f.suppression_reason, f.suppressed) {
        (Some(reason), true) => format!(" (suppressed: {reason})"),
        _ => String::new(),
    };
    format!(
        "{at} {}{status}: {}{resource}{suppressed}",
        f.severity, f.message
    )
}

fn write_case(out: &mut String, classname: &str, case: &Case<'_>) {
    let open = format!(
        "    <testcase classname=\"{}\" name=\"{}\"",
        attr(classname),
        attr(&case.name)
    );
    if matches!(case.outcome, Outcome::Passed) && case.notes.is_empty() {
        let _ = writeln!(out, "{open}/>");
        return;
    }
    let _ = writeln!(out, "{open}>");
    match &case.outcome {
        Outcome::Passed => {}
        Outcome::Failed {
            message,
            kind,
            findings,
        } => {
            let body: String = findings
                .iter()
                .map(|f| format!("{}\n", finding_line(f)))
                .collect();
            let _ = writeln!(
                out,
                "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                attr(message),
                attr(kind),
                text(&body)
            );
        }
        Outcome::Skipped(message) => {
            let _ = writeln!(out, "      <skipped message=\"{}\"/>", attr(message));
        }
        Outcome::Error {
            message,
            kind,
            detail,
        } => {
            let _ = writeln!(
                out,
                "      <error message=\"{}\" type=\"{}\">{}</error>",
                attr(message),
                attr(kind),
                text(detail)
            );
        }
    }
    if !case.notes.is_empty() {
        let body: String = case
            .notes
            .iter()
            .map(|f| format!("{}\n", finding_line(f)))
            .collect();
        let _ = writeln!(out, "      <system-out>{}</system-out>", text(&body));
    }
    out.push_str("    </testcase>\n");
}

/// Escapes text content; characters XML 1.0 cannot carry become U+FFFD.
fn text(s: &str) -> String {
    escape(s, false)
}

/// Escapes an attribute value (quotes and line breaks too, so they survive parsing).
fn attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\t' | '\n' => out.push(c),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{fffd}'),
        }
    }
    out
}

/// XML 1.0's `Char` production.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_documents_well_formed() {
        assert_eq!(attr("a<b & \"c\"\nd"), "a&lt;b &amp; &quot;c&quot;&#10;d");
        assert_eq!(text("x > y\n"), "x &gt; y\n");
        assert_eq!(text("bell\u{7}"), "bell\u{fffd}");
        assert_eq!(text("ok \u{1f600}"), "ok \u{1f600}");
    }
}
