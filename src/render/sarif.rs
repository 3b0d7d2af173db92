//! The SARIF 2.1.0 report (`--format sarif`), for code-scanning dashboards.
//!
//! One run; `tool.driver.rules` holds the metadata of every rule that was run; each finding is
//! a result at its real template region (start and end, 1-based, columns in Unicode code
//! points); templates that could not be read are tool execution notifications. Choices:
//!
//! - an UNKNOWN finding is a result of `kind: "review"` (the tool could not decide; a person
//!   must look), which SARIF requires to have `level: "none"`; its severity stays in
//!   `properties.severity`;
//! - a suppressed finding keeps its place, with `suppressions: [{kind: "inSource", …}]`;
//! - a finding about a template as a whole has no region, so it names the file, not line 1;
//! - artifact URIs are the paths as given, with `/` separators and percent-encoding; relative
//!   ones are based on `%SRCROOT%` (the directory palisade ran in).

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::check::ir::{RuleMeta, Severity};
use crate::eval::FindingStatus;
use crate::report::{FileEntry, FileStatus, Finding, Report, RuleInfo};

/// The `$schema` of the document (an identifier; nothing is fetched).
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The base id relative artifact URIs are resolved against.
const SRCROOT: &str = "%SRCROOT%";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    invocations: [Invocation; 1],
    column_kind: &'static str,
    results: Results<'a>,
}

/// The results, each made as it is written: a report can hold tens of thousands.
struct Results<'a> {
    findings: &'a [Finding],
    rules: &'a [&'a RuleInfo],
}

impl Serialize for Results<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(self.findings.len()))?;
        for f in self.findings {
            let index = self.rules.iter().position(|r| *r.meta.id == *f.id);
            seq.serialize_element(&result(f, index))?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<Descriptor<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor<'a> {
    id: &'a str,
    name: &'a str,
    short_description: Text,
    full_description: Text,
    help: Text,
    default_configuration: Configuration,
    properties: Value,
}

#[derive(Serialize)]
struct Text {
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    markdown: Option<String>,
}

impl Text {
    fn plain(text: impl Into<String>) -> Text {
        Text {
            text: text.into(),
            markdown: None,
        }
    }
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
    descriptor: Reference,
    locations: Vec<Location>,
}

#[derive(Serialize)]
struct Reference {
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    kind: &'static str,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    partial_fingerprints: Map<String, Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    properties: Value,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

/// A text region: SARIF's end column is the column just after the last character.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    name: String,
    kind: &'static str,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    justification: String,
}

/// The SARIF level of a severity: critical and high are errors, medium and low warnings,
/// info a note.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium | Severity::Low => "warning",
        Severity::Info => "note",
    }
}

/// The `security-severity` score code-scanning dashboards rank by (0.1–3.9 low, 4.0–6.9
/// medium, 7.0–8.9 high, 9.0–10.0 critical).
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// The report as a SARIF 2.1.0 log, pretty-printed, with a final newline.
pub fn render(report: &Report) -> String {
    super::to_string(|out| render_to(report, out))
}

/// [`render`], written to `out` as it is produced.
pub fn render_to(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut rules: Vec<&RuleInfo> = report.rules.iter().collect();
    // Findings of a rule missing from the list (none are expected) still get a descriptor.
    let fallback: Vec<RuleInfo> = missing_rules(report);
    rules.extend(fallback.iter());
    let notifications: Vec<Notification> = report.files.iter().filter_map(notification).collect();
    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "palisade",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules: rules.iter().map(|r| descriptor(r)).collect(),
                },
            },
            invocations: [Invocation {
                execution_successful: !report.has_errors(),
                tool_execution_notifications: notifications,
            }],
            column_kind: "unicodeCodePoints",
            results: Results {
                findings: &report.findings,
                rules: &rules,
            },
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    out.write_all(b"\n")
}

fn missing_rules(report: &Report) -> Vec<RuleInfo> {
    let mut out: Vec<RuleInfo> = Vec::new();
    for f in &report.findings {
        if report.rule(&f.id).is_none() && !out.iter().any(|r| *r.meta.id == *f.id) {
            out.push(RuleInfo {
                name: f.rule.to_string(),
                meta: RuleMeta {
                    id: f.id.to_string(),
                    severity: f.severity,
                    title: f.title.as_deref().map(str::to_string),
                    rationale: None,
                    remediation: f.remediation.as_deref().map(str::to_string),
                    tags: Vec::new(),
                },
            });
        }
    }
    out
}

fn descriptor(info: &RuleInfo) -> Descriptor<'_> {
    let rule = &info.meta;
    let title = rule.title.clone().unwrap_or_else(|| info.name.clone());
    let full = rule.rationale.clone().unwrap_or_else(|| title.clone());
    let fix = rule.remediation.clone().unwrap_or_else(|| title.clone());
    let markdown = match &rule.rationale {
        Some(why) => format!("{fix}\n\n**Why:** {why}"),
        None => fix.clone(),
    };
    let mut tags = rule.tags.clone();
    if !tags.iter().any(|t| t == "security") {
        tags.push("security".to_string());
    }
    Descriptor {
        id: &rule.id,
        name: &info.name,
        short_description: Text::plain(title),
        full_description: Text::plain(full),
        help: Text {
            text: fix,
            markdown: Some(markdown),
        },
        default_configuration: Configuration {
            level: level(rule.severity),
        },
        properties: json!({
            "tags": tags,
            "security-severity": security_severity(rule.severity),
            "severity": rule.severity,
        }),
    }
}

fn result(f: &Finding, rule_index: Option<usize>) -> SarifResult {
    let (kind, level) = match f.status {
        FindingStatus::Fail => ("fail", level(f.severity)),
        FindingStatus::Unknown => ("review", "none"),
    };
    let region = f.located.then_some(Region {
        start_line: f.line,
        start_column: f.column,
        end_line: f.end.line.max(f.line),
        end_column: if f.end.line > f.line {
            f.end.column
        } else {
            f.end.column.max(f.column)
        },
    });
    let logical_locations = f
        .resource
        .iter()
        .map(|r| LogicalLocation {
            name: r.to_string(),
            kind: "resource",
        })
        .collect();
    let mut fingerprints = Map::new();
    fingerprints.insert(
        "palisadeFinding/v1".to_string(),
        Value::String(fingerprint(f)),
    );
    SarifResult {
        rule_id: f.id.to_string(),
        rule_index,
        kind,
        level,
        message: Text::plain(f.message.to_string()),
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: artifact(&f.file),
                region,
            },
            logical_locations,
        }],
        partial_fingerprints: fingerprints,
        suppressions: f
            .suppression_reason
            .iter()
            .filter(|_| f.suppressed)
            .map(|reason| Suppression {
                kind: "inSource",
                justification: reason.clone(),
            })
            .collect(),
        properties: json!({
            "status": f.status,
            "severity": f.severity,
            "resource": f.resource,
            "securityGroup": f.security_group,
            "path": f.path,
            "conditions": f.conditions.as_ref().map(|c| {
                c.iter().map(|(k, v)| (k.clone(), Value::Bool(*v))).collect::<Map<_, _>>()
            }),
        }),
    }
}

/// A file that could not be read, or was skipped, as a notification.
fn notification(file: &FileEntry) -> Option<Notification> {
    let (level, id, message, region) = match (file.status, &file.error) {
        (FileStatus::Error, Some(e)) => {
            let region = match (e.line, e.column) {
                (Some(line), Some(column)) => Some(Region {
                    start_line: line,
                    start_column: column,
                    end_line: line,
                    end_column: column.saturating_add(1),
                }),
                _ => None,
            };
            ("error", e.code.to_string(), e.message.clone(), region)
        }
        (FileStatus::Skipped, _) => (
            "note",
            "template::not-cloudformation".to_string(),
            "skipped: not a CloudFormation template (no `Resources` map)".to_string(),
            None,
        ),
        _ => return None,
    };
    Some(Notification {
        level,
        message: Text::plain(message),
        descriptor: Reference { id },
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: artifact(&file.path),
                region,
            },
            logical_locations: Vec::new(),
        }],
    })
}

/// A stable identity for a finding that survives lines moving: rule, file, JSON path,
/// resource, message and conditions (FNV-1a, 64 bits, in hex). The message and conditions
/// tell apart the findings one rule makes at one place (DNS over one protocol only, and DNS
/// to a wide range; one finding per parameter value).
fn fingerprint(f: &Finding) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let conditions: Vec<String> = f
        .conditions
        .iter()
        .flatten()
        .map(|(name, holds)| format!("{name}={holds}"))
        .collect();
    let parts = [
        &f.id,
        &f.file,
        f.path.as_str(),
        f.resource.as_deref().unwrap_or(""),
        &f.message,
    ]
    .into_iter()
    .chain(conditions.iter().map(String::as_str));
    for part in parts {
        for byte in part.bytes().chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

fn artifact(path: &str) -> ArtifactLocation {
    let (uri, absolute) = uri(path);
    ArtifactLocation {
        uri,
        uri_base_id: (!absolute).then_some(SRCROOT),
    }
}

/// A path as a URI reference: `/` separators, a leading `./` dropped, every byte outside the
/// unreserved set (and `/`) percent-encoded; absolute paths become `file://` URIs. The
/// second value tells whether the path was absolute.
pub fn uri(path: &str) -> (String, bool) {
    let path = if cfg!(windows) {
        path.replace('\\', "/")
    } else {
        path.to_string()
    };
    let mut rest = path.as_str();
    while let Some(r) = rest.strip_prefix("./") {
        rest = r.trim_start_matches('/');
    }
    let drive = rest.len() >= 2
        && rest.as_bytes().get(1) == Some(&b':')
        && rest.as_bytes().first().is_some_and(u8::is_ascii_alphabetic);
    if rest.starts_with('/') {
        (format!("file://{}", encode(rest)), true)
    } else if drive && cfg!(windows) {
        let (letter, tail) = rest.split_at(2);
        (format!("file:///{letter}{}", encode(tail)), true)
    } else {
        (encode(rest), false)
    }
}

fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_references_with_encoding() {
        assert_eq!(
            uri("examples/web.yaml"),
            ("examples/web.yaml".to_string(), false)
        );
        assert_eq!(uri("./a/b c.yaml"), ("a/b%20c.yaml".to_string(), false));
        assert_eq!(uri("a:b#1%.json"), ("a%3Ab%231%25.json".to_string(), false));
        assert_eq!(uri("é.yaml"), ("%C3%A9.yaml".to_string(), false));
        assert_eq!(uri("/srv/t.yaml"), ("file:///srv/t.yaml".to_string(), true));
        assert_eq!(uri("<stdin>"), ("%3Cstdin%3E".to_string(), false));
    }

    #[test]
    fn severities_map_to_levels_and_scores() {
        let levels: Vec<&str> = Severity::ALL.iter().map(|s| level(*s)).collect();
        assert_eq!(levels, ["note", "warning", "warning", "error", "error"]);
        let scores: Vec<f64> = Severity::ALL
            .iter()
            .map(|s| security_severity(*s).parse().unwrap())
            .collect();
        // Each score falls in the band code-scanning dashboards use for that severity.
        assert!(scores[0] < 4.0 && scores[1] < 4.0);
        assert!((4.0..7.0).contains(&scores[2]));
        assert!((7.0..9.0).contains(&scores[3]));
        assert!(scores[4] >= 9.0);
        assert!(scores.windows(2).all(|w| w[0] < w[1]));
    }
}
