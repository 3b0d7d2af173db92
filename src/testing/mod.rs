//! Policy unit tests in Guard's test-file format, with palisade's additions.
//!
//! A test file is a YAML (or JSON) list of cases:
//!
//! ```yaml
//! - name: SSH open to the world
//!   input:                      # an inline template …
//!     Resources: { … }
//!   # input_file: bad.yaml      # … or a template file, relative to this file
//!   parameters: { Env: prod }   # optional parameter values
//!   expectations:
//!     rules:
//!       ingress_high_risk_port_from_internet: FAIL
//!   findings:                   # optional: the exact findings expected
//!     - { id: SG011, resource: WebSg, line: 12 }
//! ```
//!
//! Unlike Guard, an expectation naming a rule that is not loaded is an error, statuses include
//! `UNKNOWN`, and `findings:` pins which values fail. A file that tests nothing (no cases, or a
//! case with neither a rule status nor `findings:`) is an error too, not a pass. The same code
//! runs `palisade test` and the project's own spec tests.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::check::Program;
use crate::engine;
use crate::eval::{FindingStatus, Status};
use crate::model::Parameters;
use crate::report::{self, Options};
use crate::source::{SourceFile, Span};
use crate::template::{self, Node, Template, Value};

mod update;
pub use update::updated_text;

/// A problem with a test file itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestFileError {
    /// The test file.
    pub file: String,
    /// 1-based line and column, when known.
    pub position: Option<(u32, u32)>,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub help: Option<String>,
}

/// A parsed test file.
#[derive(Debug)]
pub struct TestFile {
    /// Its source.
    pub source: Arc<SourceFile>,
    /// Where it is on disk (for `input_file:` and `--update`).
    pub path: Option<PathBuf>,
    root: Node,
    /// Its cases.
    pub cases: Vec<Case>,
}

/// One test case.
#[derive(Debug)]
pub struct Case {
    /// Its name (or `case N`).
    pub name: String,
    /// The case's map in the test file.
    pub span: Span,
    input: Input,
    parameters: Parameters,
    expected_rules: Vec<(String, Status, Span)>,
    /// The `rules:` map of `expectations`, when there is one.
    rules_span: Option<Span>,
    expected_findings: Option<Vec<Vec<(String, serde_json::Value)>>>,
}

#[derive(Debug)]
enum Input {
    Inline(Node),
    File(PathBuf, Span),
}

impl Case {
    /// The status this case expects of `rule`, if it names it.
    pub fn expects(&self, rule: &str) -> Option<Status> {
        self.expected_rules
            .iter()
            .find(|(r, _, _)| r == rule)
            .map(|(_, s, _)| *s)
    }

    /// The span of an inline `input:` template.
    pub fn input_span(&self) -> Option<Span> {
        match &self.input {
            Input::Inline(node) => Some(node.span),
            Input::File(..) => None,
        }
    }
}

/// How a test file starts, for the help of files without cases.
const START_A_CASE: &str = "a test file is a list of cases, each with `name`, `input` (or `input_file`) and `expectations: { rules: { my_rule: PASS } }`";

/// Fields a `findings:` entry may constrain.
const FINDING_FIELDS: [&str; 10] = [
    "id",
    "rule",
    "resource",
    "security_group",
    "status",
    "line",
    "column",
    "path",
    "message",
    "suppressed",
];

/// The outcome of one case.
#[derive(Debug)]
pub struct CaseResult {
    /// The case's name.
    pub name: String,
    /// Differences between expectations and observations (empty: the case passed).
    pub mismatches: Vec<String>,
    /// Observed findings, in the form `--update` writes.
    pub observed: Vec<serde_json::Value>,
}

impl CaseResult {
    /// True when every expectation held.
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty()
    }
}

fn error_at(
    source: &SourceFile,
    span: Span,
    message: impl Into<String>,
    help: Option<&str>,
) -> TestFileError {
    let p = source.position(span.start);
    TestFileError {
        file: source.name().to_string(),
        position: Some((p.line, p.column)),
        message: message.into(),
        help: help.map(str::to_string),
    }
}

/// Parses a test file.
pub fn parse(source: Arc<SourceFile>, path: Option<PathBuf>) -> Result<TestFile, TestFileError> {
    let template = template::parse(Arc::clone(&source)).map_err(|e| TestFileError {
        file: source.name().to_string(),
        position: e.span.map(|s| {
            let p = source.position(s.start);
            (p.line, p.column)
        }),
        message: e.message.clone(),
        // The advice for an empty template is about templates.
        help: if e.code == "input::empty" {
            Some(START_A_CASE.to_string())
        } else {
            e.help.clone()
        },
    })?;
    let root = template.root;
    let Some(items) = root.as_list() else {
        return Err(error_at(
            &source,
            root.span,
            "a test file must be a list of test cases",
            Some("start each case with `- name: …`"),
        ));
    };
    if items.is_empty() {
        return Err(error_at(
            &source,
            root.span,
            "the test file holds no test cases, so it tests nothing",
            Some(START_A_CASE),
        ));
    }
    let mut cases = Vec::new();
    for (index, item) in items.iter().enumerate() {
        cases.push(parse_case(&source, item, index)?);
    }
    Ok(TestFile {
        source,
        path,
        root: root.clone(),
        cases,
    })
}

fn parse_case(source: &SourceFile, item: &Node, index: usize) -> Result<Case, TestFileError> {
    let Some(map) = item.as_map() else {
        return Err(error_at(
            source,
            item.span,
            "a test case must be a map with `input` and `expectations`",
            None,
        ));
    };
    for entry in map.entries() {
        let key = entry.key;
        if ![
            "name",
            "input",
            "input_file",
            "parameters",
            "expectations",
            "findings",
        ]
        .contains(&key)
        {
            return Err(error_at(
                source,
                entry.key_span,
                format!("unknown key `{key}` in a test case"),
                Some(
                    "a case has `name`, `input` or `input_file`, optionally `parameters`, `expectations` and optionally `findings`",
                ),
            ));
        }
    }
    let name = match item.get("name").map(|n| &n.value) {
        Some(Value::String(s)) => s.to_string(),
        Some(_) => return Err(error_at(source, item.span, "`name` must be text", None)),
        None => format!("case {}", index + 1),
    };
    let input = match (item.get("input"), item.get("input_file")) {
        (Some(input), None) => Input::Inline(input.clone()),
        (None, Some(file)) => match file.as_str() {
            Some(path) => Input::File(PathBuf::from(path), file.span),
            None => {
                return Err(error_at(
                    source,
                    file.span,
                    "`input_file` must be a path",
                    None,
                ));
            }
        },
        (Some(_), Some(file)) => {
            return Err(error_at(
                source,
                file.span,
                format!("case `{name}` has both `input` and `input_file`"),
                Some("keep one of them"),
            ));
        }
        (None, None) => {
            return Err(error_at(
                source,
                item.span,
                format!("case `{name}` has no `input`"),
                Some("add `input:` with a template, or `input_file:` with a path"),
            ));
        }
    };
    let parameters = match item.get("parameters") {
        None => Parameters::new(),
        Some(node) => parse_parameters(source, node)?,
    };
    let mut expected_rules = Vec::new();
    let mut rules_span = None;
    if let Some(expectations) = item.get("expectations") {
        let rules_node = expectations.get("rules");
        rules_span = rules_node.map(|r| r.span);
        let Some(rules) = rules_node.and_then(Node::as_map) else {
            return Err(error_at(
                source,
                expectations.span,
                "`expectations` must hold `rules:` with a status per rule",
                Some("write `expectations: { rules: { my_rule: PASS } }`"),
            ));
        };
        for entry in rules.entries() {
            let status = entry.value.as_str().and_then(Status::parse);
            let Some(status) = status else {
                return Err(error_at(
                    source,
                    entry.value.span,
                    format!(
                        "`{}` is not a status",
                        source.slice(entry.value.span).trim()
                    ),
                    Some("statuses are PASS, FAIL, SKIP and UNKNOWN"),
                ));
            };
            expected_rules.push((entry.key.to_string(), status, entry.key_span));
        }
    }
    let expected_findings = match item.get("findings") {
        None => None,
        Some(Node {
            value: Value::Null, ..
        }) => Some(Vec::new()),
        Some(list) => {
            let Some(items) = list.as_list() else {
                return Err(error_at(
                    source,
                    list.span,
                    "`findings` must be a list",
                    Some("write `findings: [{ id: SG011, resource: WebSg }]`"),
                ));
            };
            let mut out = Vec::new();
            for f in items {
                let Some(m) = f.as_map() else {
                    return Err(error_at(
                        source,
                        f.span,
                        "each expected finding must be a map such as `{ id: SG011, resource: WebSg }`",
                        None,
                    ));
                };
                let mut fields = Vec::new();
                for entry in m.entries() {
                    let (k, v) = (entry.key, entry.value);
                    if !FINDING_FIELDS.contains(&k) {
                        return Err(error_at(
                            source,
                            entry.key_span,
                            format!("unknown finding field `{k}`"),
                            Some(&format!("fields are {}", FINDING_FIELDS.join(", "))),
                        ));
                    }
                    // A value no finding can have would only show as "not found".
                    let wrong = match k {
                        "status" => (!matches!(v.as_str(), Some("FAIL" | "UNKNOWN")))
                            .then_some("`status` is `FAIL` or `UNKNOWN`"),
                        "line" | "column" => (!matches!(v.value, Value::Int(n) if n >= 1))
                            .then_some("`line` and `column` are numbers from 1"),
                        "suppressed" => (!matches!(v.value, Value::Bool(_)))
                            .then_some("`suppressed` is `true` or `false`"),
                        _ => None,
                    };
                    if let Some(help) = wrong {
                        return Err(error_at(
                            source,
                            v.span,
                            format!(
                                "the finding field `{k}` cannot be `{}`",
                                crate::render::printable(source.slice(v.span))
                            ),
                            Some(help),
                        ));
                    }
                    fields.push((k.to_string(), serde_json::to_value(v).unwrap_or_default()));
                }
                out.push(fields);
            }
            Some(out)
        }
    };
    Ok(Case {
        name,
        span: item.span,
        parameters,
        input,
        expected_rules,
        rules_span,
        expected_findings,
    })
}

/// A case's `parameters:` map: names to text (or lists of text).
fn parse_parameters(source: &SourceFile, node: &Node) -> Result<Parameters, TestFileError> {
    if node.as_map().is_none() {
        return Err(error_at(
            source,
            node.span,
            "`parameters` must be a map of parameter names to values",
            Some("write `parameters: { Env: prod }`"),
        ));
    }
    Parameters::from_map(source, node).map_err(|e| TestFileError {
        file: source.name().to_string(),
        position: e.position.map(|p| (p.line, p.column)),
        message: e.message,
        help: e.help,
    })
}

/// Checks that every rule a case names is loaded (Guard silently ignores such typos).
pub fn check_rule_names(file: &TestFile, program: &Program) -> Result<(), TestFileError> {
    let mut known: Vec<&str> = program.reported_rules().map(|r| r.name.as_str()).collect();
    known.sort_unstable();
    for case in &file.cases {
        for (rule, _, span) in &case.expected_rules {
            if !known.contains(&rule.as_str()) {
                let shown: Vec<String> = known.iter().take(15).map(|k| format!("`{k}`")).collect();
                return Err(error_at(
                    &file.source,
                    *span,
                    format!(
                        "case `{}` expects a status of rule `{rule}`, which is not loaded",
                        case.name
                    ),
                    Some(&format!("loaded rules: {}", shown.join(", "))),
                ));
            }
        }
    }
    Ok(())
}

/// Every case must expect something: a rule's status or its findings. A case that expects
/// neither would pass whatever the policies do. (`--update` skips this check: it writes the
/// findings such a case lacks.)
pub fn check_cases_expect_something(file: &TestFile) -> Result<(), TestFileError> {
    let Some(case) = file
        .cases
        .iter()
        .find(|c| c.expected_rules.is_empty() && c.expected_findings.is_none())
    else {
        return Ok(());
    };
    Err(match case.rules_span {
        Some(span) => error_at(
            &file.source,
            span,
            format!(
                "case `{}` expects the status of no rule, so it tests nothing",
                case.name
            ),
            Some(
                "name a rule and the status it must have, e.g. `rules: { my_rule: FAIL }`, or list the findings expected under `findings:` (`findings: []` for none)",
            ),
        ),
        None => error_at(
            &file.source,
            case.span,
            format!(
                "case `{}` has neither `expectations` nor `findings`, so it tests nothing",
                case.name
            ),
            Some(
                "add `expectations: { rules: { my_rule: FAIL } }`, or `findings:`; `palisade test --update` writes the findings observed now",
            ),
        ),
    })
}

/// Runs one case.
pub fn run_case(
    file: &TestFile,
    case: &Case,
    program: &Program,
) -> Result<CaseResult, TestFileError> {
    let template = match &case.input {
        Input::Inline(node) => Template {
            source: Arc::clone(&file.source),
            root: node.clone(),
        },
        Input::File(path, span) => {
            let base = file
                .path
                .as_deref()
                .and_then(Path::parent)
                .unwrap_or(Path::new(""));
            let full = base.join(path);
            let name = full.to_string_lossy().into_owned();
            template::read_file(&full, name)
                .and_then(template::parse)
                .map_err(|e| {
                    error_at(
                        &file.source,
                        *span,
                        format!("cannot load `{}`: {}", path.display(), e.message),
                        e.help.as_deref(),
                    )
                })?
        }
    };
    // A case whose input is not a template (`Resource:` for `Resources:`, `{}`) would pass any
    // expected SKIP for the wrong reason: it is an error of the test file, as such an input is
    // an error of `validate`.
    if let Err(e) = template.check_cloudformation() {
        let at = match &case.input {
            Input::Inline(node) => node.span,
            Input::File(_, span) => *span,
        };
        return Err(error_at(
            &file.source,
            at,
            format!("the input of case `{}` is {}", case.name, e.message),
            Some("give the case a template: a map with a `Resources:` map of resources"),
        ));
    }
    // A template that `validate` refuses (a resource without `Type`, an undefined
    // `Condition`) is refused here too: what it would create is not known.
    if let Err(e) = template.check_resources() {
        let at = match &case.input {
            Input::Inline(node) => e.span.unwrap_or(node.span),
            Input::File(_, span) => *span,
        };
        return Err(error_at(
            &file.source,
            at,
            format!("the input of case `{}`: {}", case.name, e.message),
            e.help.as_deref(),
        ));
    }
    let template = engine::with_parameters(template, &case.parameters);
    let outcomes = engine::evaluate_template(program, &template, &case.parameters);
    let name = template.source.name().to_string();
    let part = report::checked(program, &Options::default(), &name, template, outcomes);
    let mut mismatches = Vec::new();
    for (rule, expected, _) in &case.expected_rules {
        let observed = part
            .entry
            .rules
            .iter()
            .find(|(r, _)| r == rule)
            .map(|(_, s)| *s);
        if observed != Some(*expected) {
            let got = observed.map_or("not run", Status::as_str);
            let reasons: Vec<String> = part
                .findings
                .iter()
                .filter(|f| *f.rule == **rule)
                .take(3)
                .map(|f| format!("{}:{}: {}", f.line, f.column, f.message))
                .collect();
            let mut text = format!("rule `{rule}`: expected {}, got {got}", expected.as_str());
            if !reasons.is_empty() {
                text.push_str(&format!(" ({})", reasons.join("; ")));
            }
            mismatches.push(text);
        }
    }
    let observed: Vec<serde_json::Value> = part
        .findings
        .iter()
        .map(|f| serde_json::to_value(f).unwrap_or_default())
        .collect();
    if let Some(expected) = &case.expected_findings {
        mismatches.extend(compare_findings(expected, &observed));
    }
    let summary = part
        .findings
        .iter()
        .map(|f| {
            let mut v = serde_json::Map::new();
            v.insert("id".into(), f.id.to_string().into());
            v.insert("resource".into(), f.resource.as_deref().into());
            v.insert("line".into(), f.line.into());
            if f.status == FindingStatus::Unknown {
                v.insert("status".into(), "UNKNOWN".into());
            }
            serde_json::Value::Object(v)
        })
        .collect();
    Ok(CaseResult {
        name: case.name.clone(),
        mismatches,
        observed: summary,
    })
}

/// Each expected finding must match a distinct observed one, and no observed one may be left.
/// The pairing is a maximum matching, so a loose expectation (`{ id: X }`) never takes the only
/// finding a stricter one (`{ id: X, line: 9 }`) could match.
fn compare_findings(
    expected: &[Vec<(String, serde_json::Value)>],
    observed: &[serde_json::Value],
) -> Vec<String> {
    let fits = |fields: &[(String, serde_json::Value)], o: &serde_json::Value| {
        fields.iter().all(|(k, v)| match (k.as_str(), o.get(k)) {
            ("message", Some(serde_json::Value::String(m))) => {
                v.as_str().is_some_and(|want| m.contains(want))
            }
            (_, Some(got)) => got == v,
            (_, None) => v.is_null(),
        })
    };
    let candidates: Vec<Vec<usize>> = expected
        .iter()
        .map(|fields| {
            (0..observed.len())
                .filter(|&j| observed.get(j).is_some_and(|o| fits(fields, o)))
                .collect()
        })
        .collect();
    // owner[j]: the expected finding paired with observed finding j.
    let mut owner: Vec<Option<usize>> = vec![None; observed.len()];
    for i in 0..expected.len() {
        let mut seen = vec![false; observed.len()];
        pair_up(i, &candidates, &mut owner, &mut seen);
    }
    let mut out = Vec::new();
    for (i, fields) in expected.iter().enumerate() {
        if !owner.contains(&Some(i)) {
            out.push(format!(
                "expected finding {} was not found",
                show_fields(fields)
            ));
        }
    }
    for (o, paired) in observed.iter().zip(&owner) {
        if paired.is_none() {
            out.push(format!(
                "unexpected finding {{id: {}, resource: {}, line: {}}}: {}",
                o["id"].as_str().unwrap_or(""),
                o["resource"].as_str().unwrap_or("null"),
                o["line"],
                o["message"].as_str().unwrap_or("")
            ));
        }
    }
    out
}

/// Finds an observed finding for expected finding `i`, moving earlier pairings to other
/// candidates when that frees one (an augmenting path of Kuhn's algorithm).
fn pair_up(
    i: usize,
    candidates: &[Vec<usize>],
    owner: &mut [Option<usize>],
    seen: &mut [bool],
) -> bool {
    for &j in candidates.get(i).map_or(&[][..], Vec::as_slice) {
        match seen.get_mut(j) {
            Some(s) if !*s => *s = true,
            _ => continue,
        }
        let free = match owner.get(j).copied().flatten() {
            None => true,
            Some(k) => pair_up(k, candidates, owner, seen),
        };
        if free {
            if let Some(slot) = owner.get_mut(j) {
                *slot = Some(i);
            }
            return true;
        }
    }
    false
}

fn show_fields(fields: &[(String, serde_json::Value)]) -> String {
    let parts: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("{{{}}}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, serde_json::Value)]) -> Vec<(String, serde_json::Value)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn parsed(text: &str) -> Result<TestFile, TestFileError> {
        parse(Arc::new(SourceFile::new("t.tests.yaml", text)), None)
    }

    #[test]
    fn a_file_or_case_that_expects_nothing_is_an_error() {
        let e = parsed("[]\n").unwrap_err();
        assert_eq!(e.position, Some((1, 1)));
        assert!(e.message.contains("holds no test cases"), "{}", e.message);
        let e = parsed("# only this\n").unwrap_err();
        assert!(
            e.help
                .unwrap()
                .starts_with("a test file is a list of cases")
        );

        let bare = "- name: a\n  input: {Resources: {}}\n";
        let e = check_cases_expect_something(&parsed(bare).unwrap()).unwrap_err();
        assert_eq!(e.position, Some((1, 3)));
        assert!(e.message.contains("neither `expectations` nor `findings`"));
        let no_rule = format!("{bare}  expectations:\n    rules: {{}}\n");
        let e = check_cases_expect_something(&parsed(&no_rule).unwrap()).unwrap_err();
        assert_eq!(e.position, Some((4, 12)));
        assert!(e.message.contains("expects the status of no rule"));

        // Findings alone, even none, are something to test.
        for fine in [
            format!("{bare}  findings: []\n"),
            format!("{no_rule}  findings: [{{id: X}}]\n"),
            format!("{bare}  expectations: {{rules: {{r: PASS}}}}\n"),
        ] {
            assert_eq!(
                check_cases_expect_something(&parsed(&fine).unwrap()),
                Ok(())
            );
        }
    }

    #[test]
    fn a_loose_expectation_does_not_take_a_strict_one_s_finding() {
        let observed = vec![
            serde_json::json!({"id": "X", "line": 3, "message": "a"}),
            serde_json::json!({"id": "X", "line": 9, "message": "b"}),
        ];
        // The loose one comes first and could take line 3 or line 9.
        let expected = vec![
            fields(&[("id", "X".into())]),
            fields(&[("id", "X".into()), ("line", 3.into())]),
        ];
        assert_eq!(compare_findings(&expected, &observed), Vec::<String>::new());
        let too_many = vec![fields(&[("line", 3.into())]), fields(&[("line", 3.into())])];
        let problems = compare_findings(&too_many, &observed);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("expected finding {line: 3}"));
        assert!(problems[1].starts_with("unexpected finding {id: X, resource: null, line: 9}"));
    }
}
