//! Rule outcomes of many templates → one [`Report`] (SPEC §7, schema `palisade/report/v1`).
//!
//! Fourth phase (`eval → report → render`). The report is plain data: rule annotations joined
//! to findings, positions turned into lines and columns, suppressions applied, `--only` /
//! `--skip` / severity overrides applied, and the exit decision. Rendering it is `render`'s job.

mod order;
mod suppress;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use serde::ser::SerializeMap;

use crate::check::ir::{Program, RuleMeta, Severity};
use crate::eval::{Context, FindingStatus, RuleOutcome, Status};
use crate::hash::{HashMap, HashSet};
use crate::source::{Position, SourceFile, Span};
use crate::template::{LoadError, Str, Template};
pub use suppress::{INVALID_SUPPRESSION, UNKNOWN_SUPPRESSION_ID};

/// The report's schema name.
pub const SCHEMA: &str = "palisade/report/v1";

/// What to do with unknown outcomes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownPolicy {
    /// Unknown outcomes fail the run like failures (fail closed).
    #[default]
    Fail,
    /// Unknown outcomes are reported but do not fail the run.
    Warn,
}

/// Choices that shape the report.
#[derive(Clone, Debug)]
pub struct Options {
    /// Findings at or above this severity fail the run.
    pub fail_on: Severity,
    /// Whether unknown outcomes fail the run.
    pub unknown: UnknownPolicy,
    /// Only these rule ids (empty: all).
    pub only: HashSet<String>,
    /// Not these rule ids.
    pub skip: HashSet<String>,
    /// Severity per rule id, replacing the rule's own.
    pub severities: HashMap<String, Severity>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            fail_on: Severity::Low,
            unknown: UnknownPolicy::Fail,
            only: HashSet::default(),
            skip: HashSet::default(),
            severities: HashMap::default(),
        }
    }
}

impl Options {
    /// True when a rule with this id is reported.
    pub fn selects(&self, id: &str) -> bool {
        (self.only.is_empty() || self.only.contains(id)) && !self.skip.contains(id)
    }
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// palisade's version.
    pub version: &'static str,
    /// Counts.
    pub summary: Summary,
    /// One entry per template, in input order.
    pub files: Vec<FileEntry>,
    /// Every finding, grouped by file in input order.
    pub findings: Vec<Finding>,
    /// The rules that were run and reported, with their metadata (for SARIF and JUnit).
    #[serde(skip)]
    pub rules: Vec<RuleInfo>,
}

/// A reported rule's name and annotations; the severity is the one after overrides.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleInfo {
    /// The rule's name.
    pub name: String,
    /// Its annotations, with the severity in force.
    pub meta: RuleMeta,
}

/// The metadata of the rules `options` selects, in load order, followed by palisade's own
/// checks of suppressions (`PAL001`, `PAL002`).
pub fn rule_infos(program: &Program, options: &Options) -> Vec<RuleInfo> {
    let mut rules: Vec<RuleInfo> = program
        .reported_rules()
        .filter(|r| options.selects(&r.meta.id))
        .map(|r| {
            let mut meta = r.meta.clone();
            if let Some(severity) = options.severities.get(&meta.id) {
                meta.severity = *severity;
            }
            RuleInfo {
                name: r.name.clone(),
                meta,
            }
        })
        .collect();
    rules.extend(suppress::rule_infos());
    rules
}

/// Counts over the whole run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Templates looked at (including errors and skipped files).
    pub files: usize,
    /// Templates with at least one finding that fails the run (`--fail-on`, `--unknown`).
    pub failed_files: usize,
    /// Unsuppressed findings (failures and unknowns).
    pub findings: usize,
    /// Suppressed findings.
    pub suppressed: usize,
    /// Unsuppressed findings per severity.
    pub by_severity: BTreeMap<Severity, usize>,
    /// Templates that could not be read.
    pub errors: usize,
    /// Unsuppressed findings whose outcome is unknown.
    pub unknown: usize,
}

/// A template's entry.
#[derive(Clone, Debug, Serialize)]
pub struct FileEntry {
    /// The path as given.
    pub path: String,
    /// `ok`, `error` or `skipped`.
    pub status: FileStatus,
    /// Why it could not be read.
    pub error: Option<FileError>,
    /// Each reported rule's status, in rule order.
    #[serde(serialize_with = "ordered_map")]
    pub rules: Vec<(String, Status)>,
    /// The template's text, for renderers that show source lines.
    #[serde(skip)]
    pub source: Option<Arc<SourceFile>>,
}

/// Whether a template was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    /// Checked.
    Ok,
    /// Could not be read or parsed.
    Error,
    /// Not a CloudFormation template (found while walking a folder).
    Skipped,
}

/// A template that could not be read.
#[derive(Clone, Debug, Serialize)]
pub struct FileError {
    /// Stable code.
    pub code: &'static str,
    /// What went wrong.
    pub message: String,
    /// 1-based line, if known.
    pub line: Option<u32>,
    /// 1-based column, if known.
    pub column: Option<u32>,
    /// What to do about it.
    #[serde(skip)]
    pub help: Option<String>,
}

/// One finding, as reported.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// The rule's `@id`.
    pub id: Arc<str>,
    /// The rule's name.
    pub rule: Arc<str>,
    /// Severity (after overrides).
    pub severity: Severity,
    /// `FAIL` or `UNKNOWN`.
    pub status: FindingStatus,
    /// The template.
    pub file: Arc<str>,
    /// Logical id of the resource to change.
    pub resource: Option<Str>,
    /// The security group concerned.
    pub security_group: Option<Str>,
    /// JSON pointer into the template.
    pub path: String,
    /// 1-based line of the value.
    pub line: u32,
    /// 1-based column of the value.
    pub column: u32,
    /// What is wrong.
    pub message: Arc<str>,
    /// Conditions under which the value exists.
    #[serde(serialize_with = "conditions")]
    pub conditions: Option<Vec<(String, bool)>>,
    /// Accepted by a suppression in the resource's metadata.
    pub suppressed: bool,
    /// The suppression's reason.
    pub suppression_reason: Option<String>,
    /// Where the value ends (for SARIF regions and underlining).
    #[serde(skip)]
    pub end: Position,
    /// False for findings about the template as a whole, whose line and column are only a
    /// placeholder.
    #[serde(skip)]
    pub located: bool,
    /// The rule's title.
    #[serde(skip)]
    pub title: Option<Arc<str>>,
    /// How to fix it.
    #[serde(skip)]
    pub remediation: Option<Arc<str>>,
}

impl Finding {
    /// True when this finding makes the run fail under `options`.
    pub fn fails_run(&self, options: &Options) -> bool {
        !self.suppressed
            && self.severity >= options.fail_on
            && (self.status == FindingStatus::Fail || options.unknown == UnknownPolicy::Fail)
    }
}

fn ordered_map<S: serde::Serializer>(pairs: &[(String, Status)], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(pairs.len()))?;
    for (k, v) in pairs {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

fn conditions<S: serde::Serializer>(
    c: &Option<Vec<(String, bool)>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match c {
        None => s.serialize_none(),
        Some(pairs) => {
            let mut map = s.serialize_map(Some(pairs.len()))?;
            for (k, v) in pairs {
                map.serialize_entry(k, v)?;
            }
            map.end()
        }
    }
}

/// Where a value's text ends, leaving out the whitespace and line breaks that the span of a
/// block node carries up to the next token (so regions and underlines stop at the value).
pub(crate) fn end_position(source: &SourceFile, span: Span) -> Position {
    let kept = source.slice(span).trim_end().len() as u32;
    if kept == 0 {
        source.position(span.end)
    } else {
        source.position(span.start + kept)
    }
}

/// One template's part of the report.
#[derive(Clone, Debug)]
pub struct FileResult {
    /// Its entry.
    pub entry: FileEntry,
    /// Its findings.
    pub findings: Vec<Finding>,
}

/// The report part of a template that was checked. The template's value tree is let go once
/// its suppressions are read, before the findings are made into the report's: on a large
/// template they take the tree's place.
pub fn checked(
    program: &Program,
    options: &Options,
    name: &str,
    template: Template,
    outcomes: Vec<RuleOutcome>,
) -> FileResult {
    let suppressions = suppress::collect(&template, program);
    let source = &Arc::clone(&template.source);
    drop(template);
    let file: Arc<str> = Arc::from(name);
    let mut rules = Vec::new();
    // Sized once: on a large template the findings are the report's largest allocation.
    let mut findings = Vec::with_capacity(outcomes.iter().map(|o| o.findings.len()).sum());
    for outcome in outcomes {
        let Some(rule) = program.rule(outcome.rule) else {
            continue;
        };
        if !options.selects(&rule.meta.id) {
            continue;
        }
        rules.push((rule.name.clone(), outcome.status));
        let severity = options
            .severities
            .get(&rule.meta.id)
            .copied()
            .unwrap_or(rule.meta.severity);
        let title: Option<Arc<str>> = rule.meta.title.as_deref().map(Arc::from);
        let remediation: Option<Arc<str>> = rule.meta.remediation.as_deref().map(Arc::from);
        let id: Arc<str> = Arc::from(rule.meta.id.as_str());
        let rule_name: Arc<str> = Arc::from(rule.name.as_str());
        // The outcome's findings are taken over, not copied: a large template has tens of
        // thousands of them.
        for f in outcome.findings {
            let (start, end) = match f.span {
                Some(span) => (source.position(span.start), end_position(source, span)),
                None => (
                    Position { line: 1, column: 1 },
                    Position { line: 1, column: 1 },
                ),
            };
            let suppression = suppressions.lookup(
                &rule.meta.id,
                f.resource.as_deref(),
                f.security_group.as_deref(),
            );
            let message = with_assumptions(f.message, f.context.as_deref());
            let conditions = f.context.and_then(|c| c.conditions);
            findings.push(Finding {
                id: Arc::clone(&id),
                rule: Arc::clone(&rule_name),
                severity,
                status: f.status,
                file: Arc::clone(&file),
                resource: f.resource,
                security_group: f.security_group,
                path: f.pointer,
                line: start.line,
                column: start.column,
                message,
                conditions,
                suppressed: suppression.is_some(),
                suppression_reason: suppression.map(str::to_string),
                end,
                located: f.span.is_some(),
                title: title.clone(),
                remediation: remediation.clone(),
            });
        }
    }
    let problems: Vec<Finding> = suppressions
        .problems(name, source)
        .into_iter()
        .filter(|f| options.selects(&f.id))
        .collect();
    // palisade's own checks of the suppressions are rules of the file too, as in JUnit and
    // SARIF.
    for own in suppress::rule_infos().filter(|r| options.selects(&r.meta.id)) {
        let failed = problems.iter().any(|f| *f.id == *own.meta.id);
        rules.push((own.name, if failed { Status::Fail } else { Status::Pass }));
    }
    findings.extend(problems);
    order::sort_findings(&mut findings);
    FileResult {
        entry: FileEntry {
            path: name.to_string(),
            status: FileStatus::Ok,
            error: None,
            rules,
            source: Some(Arc::clone(source)),
        },
        findings,
    }
}

/// A finding's message with the deployment it holds in, when the value depends on conditions
/// or parameter values: `… (when IsProd is false, Stage = dev)`.
fn with_assumptions(message: Arc<str>, context: Option<&Context>) -> Arc<str> {
    let Some(Context {
        conditions,
        assumed,
    }) = context
    else {
        return message;
    };
    let mut parts: Vec<String> = conditions
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|(c, v)| format!("{c} is {v}"))
        .collect();
    parts.extend(assumed.iter().map(|(p, v)| format!("{p} = {v}")));
    if parts.is_empty() {
        message
    } else {
        Arc::from(format!("{message} (when {})", parts.join(", ")))
    }
}

/// The report part of a template that could not be read.
pub fn failed(name: &str, error: &LoadError, source: Option<&Arc<SourceFile>>) -> FileResult {
    let position = match (error.span, source) {
        (Some(span), Some(source)) => Some(source.position(span.start)),
        _ => None,
    };
    FileResult {
        entry: FileEntry {
            path: name.to_string(),
            status: FileStatus::Error,
            error: Some(FileError {
                code: error.code,
                message: error.message.clone(),
                line: position.map(|p| p.line),
                column: position.map(|p| p.column),
                help: error.help.clone(),
            }),
            rules: Vec::new(),
            source: source.cloned(),
        },
        findings: Vec::new(),
    }
}

/// The report part of a file that is not a CloudFormation template.
pub fn skipped(name: &str) -> FileResult {
    FileResult {
        entry: FileEntry {
            path: name.to_string(),
            status: FileStatus::Skipped,
            error: None,
            rules: Vec::new(),
            source: None,
        },
        findings: Vec::new(),
    }
}

impl Report {
    /// Assembles the parts, in order; `options` decide which findings fail the run.
    pub fn new(parts: Vec<FileResult>, options: &Options) -> Report {
        let mut summary = Summary::default();
        let mut files = Vec::with_capacity(parts.len());
        // The findings of the first file that has any are taken over as they are, with room
        // for the others: a single large template's findings are never copied.
        let total: usize = parts.iter().map(|p| p.findings.len()).sum();
        let mut findings: Vec<Finding> = Vec::new();
        for part in parts {
            summary.files += 1;
            if part.entry.status == FileStatus::Error {
                summary.errors += 1;
            }
            if part.findings.iter().any(|f| f.fails_run(options)) {
                summary.failed_files += 1;
            }
            for f in &part.findings {
                if f.suppressed {
                    summary.suppressed += 1;
                } else {
                    summary.findings += 1;
                    *summary.by_severity.entry(f.severity).or_default() += 1;
                    if f.status == FindingStatus::Unknown {
                        summary.unknown += 1;
                    }
                }
            }
            files.push(part.entry);
            if findings.is_empty() {
                findings = part.findings;
                findings.reserve_exact(total - findings.len());
            } else {
                findings.extend(part.findings);
            }
        }
        Report {
            schema: SCHEMA,
            version: env!("CARGO_PKG_VERSION"),
            summary,
            files,
            findings,
            rules: Vec::new(),
        }
    }

    /// The report with the metadata of the rules that were run (see [`rule_infos`]).
    pub fn with_rules(mut self, rules: Vec<RuleInfo>) -> Report {
        self.rules = rules;
        self
    }

    /// The metadata of the rule with this id, if it was run.
    pub fn rule(&self, id: &str) -> Option<&RuleInfo> {
        self.rules.iter().find(|r| r.meta.id == id)
    }

    /// True when some template could not be read.
    pub fn has_errors(&self) -> bool {
        self.summary.errors > 0
    }

    /// True when a finding fails the run under `options`.
    pub fn fails(&self, options: &Options) -> bool {
        self.findings.iter().any(|f| f.fails_run(options))
    }
}
