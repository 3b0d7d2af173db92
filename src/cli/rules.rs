//! `palisade rules` and `palisade explain`: what the loaded rules are and why they exist.

use std::io::Write;
use std::sync::Arc;

use super::{Exit, ExplainArgs, ListFormat, RulesArgs, config, output, policies};
use crate::bundled;
use crate::check::Program;
use crate::check::ir::Rule;
use crate::eval::Status;
use crate::render::printable;
use crate::source::SourceFile;
use crate::testing;

/// The bundled policies and those of `--rules` (or of the configuration file).
fn load(
    rules: &[std::path::PathBuf],
    config: &super::ConfigArgs,
    err: &mut dyn Write,
) -> Result<Program, Exit> {
    let rules = config::rule_paths(rules, config, err)?;
    policies::load(&rules, true, &[], err)
}

/// Runs `palisade rules`.
pub fn list(args: &RulesArgs, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let program = match load(&args.rules, &args.config, err) {
        Ok(p) => p,
        Err(exit) => return exit,
    };
    let rules: Vec<&Rule> = program.reported_rules().collect();
    let text = match args.format {
        ListFormat::Json => {
            let list: Vec<serde_json::Value> = rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.meta.id,
                        "name": r.name,
                        "severity": r.meta.severity,
                        "title": r.meta.title,
                        "remediation": r.meta.remediation,
                        "tags": r.meta.tags,
                        "file": program.file(r.file).map(|f| f.name()),
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&list).unwrap_or_default();
            s.push('\n');
            s
        }
        ListFormat::Markdown => crate::render::catalogue::render(&program),
        ListFormat::Text => {
            let style = output::stdout_style();
            let width = rules
                .iter()
                .map(|r| printable(&r.meta.id).chars().count())
                .max()
                .unwrap_or(2)
                .max(2);
            let mut s = format!("{:<width$}  {:<8}  {}\n", "ID", "SEVERITY", "TITLE");
            for r in &rules {
                let title = r.meta.title.as_deref().unwrap_or(&r.name);
                s.push_str(&format!(
                    "{}  {:<8}  {}\n",
                    style.bold(&format!("{:<width$}", printable(&r.meta.id))),
                    r.meta.severity.as_str(),
                    printable(title)
                ));
            }
            s
        }
    };
    let _ = out.write_all(text.as_bytes());
    Exit::Ok
}

/// Runs `palisade explain`.
pub fn explain(args: &ExplainArgs, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let program = match load(&args.rules, &args.config, err) {
        Ok(p) => p,
        Err(exit) => return exit,
    };
    let wanted = args.id.trim();
    let Some(rule) = program
        .reported_rules()
        .find(|r| r.meta.id.eq_ignore_ascii_case(wanted) || r.name == wanted)
    else {
        let mut ids: Vec<&str> = program
            .reported_rules()
            .map(|r| r.meta.id.as_str())
            .collect();
        ids.sort_unstable();
        let _ = writeln!(
            err,
            "error: no rule has the id `{}`\n  = help: ids: {}",
            printable(wanted),
            printable(&ids.join(", "))
        );
        return Exit::Usage;
    };
    let style = output::stdout_style();
    // Annotations and file names are the policy author's text: shown escaped, as findings are.
    let mut s = format!(
        "{} {} ({})\n",
        style.bold(&printable(&rule.meta.id)),
        printable(rule.meta.title.as_deref().unwrap_or(&rule.name)),
        rule.meta.severity
    );
    s.push_str(&format!(
        "rule `{}` in {}\n",
        rule.name,
        printable(program.file(rule.file).map_or("", |f| f.name()))
    ));
    if !rule.meta.tags.is_empty() {
        s.push_str(&format!(
            "tags: {}\n",
            printable(&rule.meta.tags.join(", "))
        ));
    }
    if let Some(why) = &rule.meta.rationale {
        s.push_str(&format!(
            "\n{}\n{}\n",
            style.bold("Why it matters"),
            wrap(&printable(why))
        ));
    }
    if let Some(fix) = &rule.meta.remediation {
        s.push_str(&format!(
            "\n{}\n{}\n",
            style.bold("How to fix"),
            wrap(&printable(fix))
        ));
    }
    for (status, heading) in [(Status::Fail, "Fails on"), (Status::Pass, "Passes on")] {
        if let Some((name, text)) = example(&program, rule, status) {
            s.push_str(&format!("\n{} ({name})\n{text}\n", style.bold(heading)));
        }
    }
    let _ = out.write_all(s.as_bytes());
    Exit::Ok
}

/// A case of the rule's bundled tests whose expectation for the rule is `status`: its name
/// and its template text.
fn example(program: &Program, rule: &Rule, status: Status) -> Option<(String, String)> {
    let file_name = program.file(rule.file)?.name();
    let stem = file_name.strip_prefix("bundled/")?.strip_suffix(".guard")?;
    let bundled = bundled::BUNDLED.iter().find(|b| b.name == stem)?;
    let source: Arc<SourceFile> = bundled.tests_file();
    let file = testing::parse(Arc::clone(&source), None).ok()?;
    let case = file
        .cases
        .iter()
        .find(|c| c.expects(&rule.name) == Some(status))?;
    let input = case.input_span()?;
    Some((
        case.name.clone(),
        dedent(source.slice(input), source.position(input.start).column),
    ))
}

/// Removes the indentation the text had inside the test file.
fn dedent(text: &str, first_column: u32) -> String {
    let indent = first_column.saturating_sub(1) as usize;
    let mut lines = text.lines();
    let mut out = vec![format!("    {}", lines.next().unwrap_or(""))];
    for line in lines {
        let cut = line.chars().take_while(|c| *c == ' ').count().min(indent);
        out.push(format!("    {}", line.get(cut..).unwrap_or("")));
    }
    out.join("\n")
}

fn wrap(text: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    out.push_str("  ");
    for word in text.split_whitespace() {
        if width > 0 && width + word.len() > 90 {
            out.push_str("\n  ");
            width = 0;
        } else if width > 0 {
            out.push(' ');
            width += 1;
        }
        out.push_str(word);
        width += word.len();
    }
    out
}
