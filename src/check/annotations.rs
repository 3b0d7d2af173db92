//! Rule annotations: `@id`, `@severity`, `@title`, `@remediation`, `@rationale`, `@tags`.

use std::collections::HashMap;
use std::sync::Arc;

use super::error;
use super::ir::{Rule, RuleMeta, Severity};
use crate::diag::{Code, Diagnostics};
use crate::source::SourceFile;
use crate::syntax::ast::{Annotation, LiteralValue};

/// The annotations palisade knows.
pub const KNOWN: [&str; 6] = [
    "id",
    "severity",
    "title",
    "remediation",
    "rationale",
    "tags",
];

/// Reads a rule's annotations; problems are reported and the defaults used.
pub(super) fn lower(
    annotations: &[Annotation],
    rule_name: &str,
    file: &Arc<SourceFile>,
    diags: &mut Diagnostics,
) -> RuleMeta {
    let mut meta = RuleMeta {
        id: rule_name.to_string(),
        severity: Severity::Medium,
        title: None,
        remediation: None,
        rationale: None,
        tags: Vec::new(),
    };
    let mut seen: HashMap<&str, &Annotation> = HashMap::new();
    for a in annotations {
        let name = a.name.text.as_str();
        if !KNOWN.contains(&name) {
            let list: Vec<String> = KNOWN.iter().map(|k| format!("`@{k}`")).collect();
            diags.push(
                error(
                    Code::InvalidAnnotation,
                    file,
                    a.name.span,
                    format!("unknown annotation `@{name}`"),
                )
                .with_label("not an annotation palisade knows")
                .with_help(format!("annotations are {}", list.join(", "))),
            );
            continue;
        }
        if let Some(first) = seen.insert(name, a) {
            diags.push(
                error(
                    Code::InvalidAnnotation,
                    file,
                    a.span,
                    format!("`@{name}` is given twice"),
                )
                .with_label("second one")
                .with_related(first.span, "first one")
                .with_help("keep one of them"),
            );
            continue;
        }
        let strings = string_args(a);
        if name == "tags" {
            match strings {
                Some(tags) if !tags.is_empty() => meta.tags = tags,
                _ => diags.push(
                    error(
                        Code::InvalidAnnotation,
                        file,
                        a.span,
                        "`@tags` takes one or more strings",
                    )
                    .with_label("not a list of strings")
                    .with_help("write `@tags(\"network\", \"ingress\")`"),
                ),
            }
            continue;
        }
        let single = match strings.as_deref() {
            Some([one]) if !one.trim().is_empty() => one.clone(),
            _ => {
                diags.push(
                    error(
                        Code::InvalidAnnotation,
                        file,
                        a.span,
                        format!("`@{name}` takes one non-empty string"),
                    )
                    .with_label("expected one string here")
                    .with_help(format!("write `@{name}(\"…\")`")),
                );
                continue;
            }
        };
        match name {
            "id" => meta.id = single,
            "severity" => match Severity::parse(&single) {
                Some(s) => meta.severity = s,
                None => diags.push(
                    error(
                        Code::InvalidAnnotation,
                        file,
                        a.span,
                        format!("unknown severity `{single}`"),
                    )
                    .with_label("not a severity")
                    .with_help("severities are `info`, `low`, `medium`, `high` and `critical`"),
                ),
            },
            "title" => meta.title = Some(single),
            "remediation" => meta.remediation = Some(single),
            _ => meta.rationale = Some(single),
        }
    }
    meta
}

/// The arguments as strings: several string arguments, or one list of strings.
fn string_args(a: &Annotation) -> Option<Vec<String>> {
    let strings = |items: &[crate::syntax::ast::Literal]| {
        items
            .iter()
            .map(|l| match &l.value {
                LiteralValue::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
    };
    match a.args.as_slice() {
        [one] => match &one.value {
            LiteralValue::List(items) => strings(items),
            LiteralValue::String(s) => Some(vec![s.clone()]),
            _ => None,
        },
        args => strings(args),
    }
}

/// Two rules may not share an `@id`, whatever its case (`--only`, `explain` and suppressions
/// find ids in any case), and no rule may take an id of palisade's own findings (`PAL001`):
/// findings and suppressions are keyed by it.
pub(super) fn check_unique_ids(rules: &[Rule], files: &[Arc<SourceFile>], diags: &mut Diagnostics) {
    let mut seen: HashMap<String, &Rule> = HashMap::new();
    for rule in rules.iter().filter(|r| !r.parameterized) {
        let id = rule.meta.id.to_ascii_lowercase();
        let own = id
            .strip_prefix("pal")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if own {
            if let Some(file) = files.get(rule.file.0 as usize) {
                diags.push(
                    error(
                        Code::DuplicateId,
                        file,
                        rule.name_span,
                        format!(
                            "rule `{}` takes the id `{}`, which palisade keeps for its own findings",
                            rule.name, rule.meta.id
                        ),
                    )
                    .with_help("give the rule another `@id`; `PAL` followed by digits names palisade's findings about suppressions"),
                );
            }
            continue;
        }
        let Some(first) = seen.insert(id, rule) else {
            continue;
        };
        let Some(file) = files.get(rule.file.0 as usize) else {
            continue;
        };
        let first_at = files
            .get(first.file.0 as usize)
            .map(|f| format!("{}:{}", f.name(), f.position(first.name_span.start)))
            .unwrap_or_default();
        diags.push(
            error(
                Code::DuplicateId,
                file,
                rule.name_span,
                if first.meta.id == rule.meta.id {
                    format!(
                        "rules `{}` and `{}` have the same id `{}`",
                        first.name, rule.name, rule.meta.id
                    )
                } else {
                    format!(
                        "rules `{}` and `{}` have the same id: `{}` and `{}` differ only in case",
                        first.name, rule.name, first.meta.id, rule.meta.id
                    )
                },
            )
            .with_label(format!("first rule with this id is at {first_at}"))
            .with_help("give each rule its own `@id`; findings and suppressions are keyed by it"),
        );
    }
}
