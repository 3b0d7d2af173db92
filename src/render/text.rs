//! The text report: for each file with something to show, a header with its counts, one block
//! per finding with its source line underlined, and a dim line per suppressed finding; then a
//! summary. `--quiet` keeps only the failing findings, one line each, and the summary.

use std::time::Duration;

use super::excerpt::{Excerpt, excerpt};
use super::{Style, printable};
use crate::check::ir::Severity;
use crate::eval::FindingStatus;
use crate::report::{FileStatus, Finding, Options, Report};
use crate::source::{Position, SourceFile};

/// How much to show.
#[derive(Clone, Copy, Debug)]
pub struct TextOptions {
    /// Colours.
    pub style: Style,
    /// Only failing findings, one line each, and the summary.
    pub quiet: bool,
    /// How long the run took (shown in the summary), if known.
    pub elapsed: Option<Duration>,
}

/// Renders the report for a person.
pub fn render(report: &Report, options: &Options, text: &TextOptions) -> String {
    super::to_string(|out| render_to(report, options, text, out))
}

/// [`render`], written to `w` as it is produced.
pub fn render_to(
    report: &Report,
    options: &Options,
    text: &TextOptions,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let style = text.style;
    let mut spill = super::Spill::new(w);
    let mut findings = report.findings.iter().peekable();
    for file in &report.files {
        match file.status {
            FileStatus::Error => {
                if let Some(e) = &file.error {
                    let at = match (e.line, e.column) {
                        (Some(l), Some(c)) => format!("{}:{l}:{c}", file.path),
                        _ => file.path.clone(),
                    };
                    spill.buf.push_str(&format!(
                        "{}: {} {}\n",
                        style.bold(&printable(&at)),
                        style.bold_red(&format!("error[{}]", e.code)),
                        printable(&e.message)
                    ));
                    if let Some(help) = &e.help {
                        spill.buf.push_str(&format!(
                            "  {} {}\n",
                            style.cyan("= help:"),
                            printable(help)
                        ));
                    }
                    spill.buf.push('\n');
                }
            }
            FileStatus::Skipped if !text.quiet => {
                spill.buf.push_str(&format!(
                    "{}: {}\n\n",
                    style.bold(&printable(&file.path)),
                    style.dim("skipped: not a CloudFormation template (no `Resources` map)")
                ));
            }
            _ => {}
        }
        let mut mine = Vec::new();
        while let Some(f) = findings.next_if(|f| *f.file == *file.path) {
            mine.push(f);
        }
        let (suppressed, shown): (Vec<&Finding>, Vec<&Finding>) =
            mine.into_iter().partition(|f| f.suppressed);
        if text.quiet {
            for f in shown.iter().filter(|f| f.fails_run(options)) {
                render_finding(&mut spill.buf, f, None, style, true);
                spill.spill()?;
            }
            continue;
        }
        if shown.is_empty() && suppressed.is_empty() {
            continue;
        }
        spill
            .buf
            .push_str(&file_header(&file.path, &shown, suppressed.len(), style));
        for f in &shown {
            render_finding(&mut spill.buf, f, file.source.as_deref(), style, false);
            spill.spill()?;
        }
        for f in &suppressed {
            spill.buf.push_str(&suppressed_line(f, style));
            spill.spill()?;
        }
        if !suppressed.is_empty() {
            spill.buf.push('\n');
        }
    }
    spill.buf.push_str(&summary(report, options, text));
    spill.finish()
}

/// `=== path: 2 findings (1 high, 1 low), 1 suppressed`, then a blank line.
fn file_header(path: &str, shown: &[&Finding], suppressed: usize, style: Style) -> String {
    let mut parts = Vec::new();
    if !shown.is_empty() {
        let by_severity: Vec<String> = Severity::ALL
            .iter()
            .rev()
            .filter_map(|sev| {
                let n = shown.iter().filter(|f| f.severity == *sev).count();
                (n > 0).then(|| format!("{n} {sev}"))
            })
            .collect();
        parts.push(format!(
            "{} finding{} ({})",
            shown.len(),
            plural(shown.len()),
            by_severity.join(", ")
        ));
    }
    if suppressed > 0 {
        parts.push(format!("{suppressed} suppressed"));
    }
    format!(
        "{} {}{}\n\n",
        style.dim("==="),
        style.bold(&printable(path)),
        style.dim(&format!(": {}", parts.join(", ")))
    )
}

/// One dim line for a suppressed finding, with the reason it was accepted.
fn suppressed_line(f: &Finding, style: Style) -> String {
    let subject = f
        .resource
        .as_ref()
        .map(|r| format!(" [{r}]"))
        .unwrap_or_default();
    let line = format!(
        "  suppressed {} at {}:{}{subject}: {}",
        f.id,
        f.line,
        f.column,
        f.suppression_reason.as_deref().unwrap_or("")
    );
    format!("{}\n", style.dim(&printable(&line)))
}

fn severity_label(f: &Finding, style: Style) -> String {
    let name = f.severity.as_str();
    let label = match f.status {
        FindingStatus::Fail => name.to_string(),
        FindingStatus::Unknown => format!("{name} (unknown)"),
    };
    match (f.status, f.severity) {
        (FindingStatus::Unknown, _) => style.yellow(&label),
        (_, Severity::Critical | Severity::High) => style.bold_red(&label),
        (_, Severity::Medium) => style.red(&label),
        (_, Severity::Low) => style.yellow(&label),
        (_, Severity::Info) => style.blue(&label),
    }
}

fn render_finding(
    out: &mut String,
    f: &Finding,
    source: Option<&SourceFile>,
    style: Style,
    quiet: bool,
) {
    let at = format!("{}:{}:{}", f.file, f.line, f.column);
    let subject = match (&f.resource, &f.security_group) {
        (Some(r), Some(g)) if r != g => format!(" [{r}, group {g}]"),
        (Some(r), _) => format!(" [{r}]"),
        (None, _) => String::new(),
    };
    out.push_str(&format!(
        "{}: {} {} {}{}\n",
        style.bold(&printable(&at)),
        severity_label(f, style),
        style.bold(&printable(&f.id)),
        printable(&f.message),
        style.dim(&printable(&subject))
    ));
    if quiet {
        return;
    }
    // A finding about the template as a whole has no value to point at.
    let whole_template = f.path.is_empty() && f.resource.is_none();
    let start = Position {
        line: f.line,
        column: f.column,
    };
    if let Some(Excerpt {
        text: line,
        start,
        marks,
    }) = source
        .filter(|_| !whole_template)
        .and_then(|s| excerpt(s, start, f.end))
    {
        let number = f.line.to_string();
        let gutter = " ".repeat(number.len());
        out.push_str(&format!("{gutter} {}\n", style.blue("|")));
        out.push_str(&format!(
            "{} {} {line}\n",
            style.blue(&number),
            style.blue("|")
        ));
        out.push_str(&format!(
            "{gutter} {} {}{}\n",
            style.blue("|"),
            " ".repeat(start),
            style.red(&"^".repeat(marks))
        ));
    }
    if let Some(title) = &f.title {
        out.push_str(&format!(
            "  {} {}\n",
            style.cyan("= rule:"),
            printable(title)
        ));
    }
    if let Some(help) = &f.remediation {
        out.push_str(&format!(
            "  {} {}\n",
            style.cyan("= help:"),
            printable(help)
        ));
    }
    out.push('\n');
}

fn summary(report: &Report, options: &Options, text: &TextOptions) -> String {
    let s = &report.summary;
    let style = text.style;
    let by_severity: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter_map(|sev| s.by_severity.get(sev).map(|n| format!("{n} {sev}")))
        .collect();
    let findings = if by_severity.is_empty() {
        "no findings".to_string()
    } else {
        format!(
            "{} finding{} ({})",
            s.findings,
            plural(s.findings),
            by_severity.join(", ")
        )
    };
    let mut parts = vec![
        format!("{} file{}", s.files, plural(s.files)),
        findings,
        format!("{} unknown", s.unknown),
        format!("{} suppressed", s.suppressed),
        format!("{} error{}", s.errors, plural(s.errors)),
    ];
    if let Some(elapsed) = text.elapsed {
        parts.push(format!("in {:.2}s", elapsed.as_secs_f64()));
    }
    let verdict = if report.has_errors() {
        style.bold_red("error")
    } else if report.fails(options) {
        style.bold_red("failed")
    } else {
        style.green("passed")
    };
    format!("{verdict}: {}\n", parts.join(", "))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
