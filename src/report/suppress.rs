//! Suppressions written in a resource's own metadata:
//!
//! ```yaml
//! Metadata:
//!   palisade:
//!     suppress:
//!       - id: SG011
//!         reason: bastion host; port 22 limited by the NACL
//! ```
//!
//! A suppression without a non-empty `reason` (`PAL001`) or naming an id no loaded rule has
//! (`PAL002`) is reported as a finding of its own and suppresses nothing.

use std::sync::Arc;

use super::{Finding, RuleInfo};
use crate::check::ir::{Program, RuleMeta, Severity};
use crate::eval::FindingStatus;
use crate::hash::HashMap;
use crate::source::{SourceFile, Span};
use crate::template::{Node, Str, Template};

/// The id of a suppression without a reason (or otherwise malformed).
pub const INVALID_SUPPRESSION: &str = "PAL001";
/// The id of a suppression naming a rule id that no loaded rule has.
pub const UNKNOWN_SUPPRESSION_ID: &str = "PAL002";

/// One of palisade's own checks of suppressions.
struct OwnRule {
    id: &'static str,
    name: &'static str,
    severity: Severity,
    title: &'static str,
    rationale: &'static str,
    remediation: &'static str,
}

const OWN_RULES: [OwnRule; 2] = [
    OwnRule {
        id: INVALID_SUPPRESSION,
        name: "suppression_without_reason",
        severity: Severity::Medium,
        title: "Suppression without a reason",
        rationale: "an accepted risk needs a recorded reason, so that a reviewer can judge it later; a suppression without one suppresses nothing",
        remediation: "give each suppression an `id` and a non-empty `reason`",
    },
    OwnRule {
        id: UNKNOWN_SUPPRESSION_ID,
        name: "suppression_of_unknown_id",
        severity: Severity::Medium,
        title: "Suppression names an unknown rule id",
        rationale: "a suppression of an id that no loaded rule has is usually a typo, and the finding it was meant to accept is still reported",
        remediation: "use an id listed by `palisade rules`, or remove the suppression",
    },
];

fn own_rule(id: &str) -> &'static OwnRule {
    match OWN_RULES.iter().find(|r| r.id == id) {
        Some(rule) => rule,
        None => &OWN_RULES[0],
    }
}

/// The metadata of palisade's own suppression checks, as reported rules.
pub(super) fn rule_infos() -> impl Iterator<Item = RuleInfo> {
    OWN_RULES.iter().map(|r| RuleInfo {
        name: r.name.to_string(),
        meta: RuleMeta {
            id: r.id.to_string(),
            severity: r.severity,
            title: Some(r.title.to_string()),
            rationale: Some(r.rationale.to_string()),
            remediation: Some(r.remediation.to_string()),
            tags: vec!["suppression".to_string()],
        },
    })
}

struct Problem {
    id: &'static str,
    resource: String,
    span: Span,
    message: String,
    path: String,
}

/// The valid suppressions of a template, by resource, and the problems found.
pub(super) struct Suppressions {
    by_resource: HashMap<String, Vec<(String, String)>>,
    problems: Vec<Problem>,
}

/// Reads every resource's `Metadata.palisade.suppress`.
pub(super) fn collect(template: &Template, program: &Program) -> Suppressions {
    let mut out = Suppressions {
        by_resource: HashMap::default(),
        problems: Vec::new(),
    };
    let Some(resources) = template.resources() else {
        return out;
    };
    // Ids are matched whatever their case, as `--only` and `explain` match them; the
    // suppression is kept under the rule's own spelling.
    let ids: HashMap<String, &str> = program
        .rules
        .iter()
        .map(|r| (r.meta.id.to_ascii_lowercase(), r.meta.id.as_str()))
        .collect();
    for (logical_id, resource) in resources.iter() {
        let Some(palisade) = resource.get("Metadata").and_then(|m| m.get("palisade")) else {
            continue;
        };
        let base = format!(
            "/Resources/{}/Metadata/palisade/suppress",
            crate::template::pointer_token(logical_id)
        );
        let mut problem = |id, span, message: String, path: String| {
            out.problems.push(Problem {
                id,
                resource: logical_id.to_string(),
                span,
                message,
                path,
            });
        };
        let Some(list) = palisade.get("suppress").and_then(Node::as_list) else {
            problem(
                INVALID_SUPPRESSION,
                palisade.span,
                "`Metadata.palisade.suppress` must be a list of `{id, reason}` entries".to_string(),
                base.clone(),
            );
            continue;
        };
        for (i, entry) in list.iter().enumerate() {
            let path = format!("{base}/{i}");
            let id = entry
                .get("id")
                .and_then(Node::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty());
            let reason = entry
                .get("reason")
                .and_then(Node::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty());
            let Some(id) = id else {
                problem(
                    INVALID_SUPPRESSION,
                    entry.span,
                    "a suppression needs the `id` of the rule it suppresses".to_string(),
                    path,
                );
                continue;
            };
            let Some(reason) = reason else {
                problem(
                    INVALID_SUPPRESSION,
                    entry.span,
                    format!(
                        "the suppression of `{id}` has no `reason`; it suppresses nothing until it says why the finding is accepted"
                    ),
                    path,
                );
                continue;
            };
            let Some(&id) = ids.get(&id.to_ascii_lowercase()) else {
                problem(
                    UNKNOWN_SUPPRESSION_ID,
                    entry.get("id").map_or(entry.span, |n| n.span),
                    format!(
                        "the suppression names `{id}`, but no loaded rule has that id; it suppresses nothing"
                    ),
                    path,
                );
                continue;
            };
            out.by_resource
                .entry(logical_id.to_string())
                .or_default()
                .push((id.to_string(), reason.to_string()));
        }
    }
    out
}

impl Suppressions {
    /// The reason a finding of rule `id` on `resource` (or on security group `group`) is
    /// suppressed, if it is.
    pub(super) fn lookup(
        &self,
        id: &str,
        resource: Option<&str>,
        group: Option<&str>,
    ) -> Option<&str> {
        [resource, group].into_iter().flatten().find_map(|r| {
            self.by_resource
                .get(r)?
                .iter()
                .find(|(i, _)| i == id)
                .map(|(_, reason)| reason.as_str())
        })
    }

    /// The problems as findings.
    pub(super) fn problems(&self, name: &str, source: &SourceFile) -> Vec<Finding> {
        self.problems
            .iter()
            .map(|p| {
                let meta = own_rule(p.id);
                let start = source.position(p.span.start);
                let end = super::end_position(source, p.span);
                Finding {
                    id: Arc::from(p.id),
                    rule: Arc::from(meta.name),
                    severity: meta.severity,
                    status: FindingStatus::Fail,
                    file: Arc::from(name),
                    resource: Some(Str::from(p.resource.as_str())),
                    security_group: None,
                    path: p.path.clone(),
                    line: start.line,
                    column: start.column,
                    message: Arc::from(p.message.as_str()),
                    conditions: None,
                    suppressed: false,
                    suppression_reason: None,
                    end,
                    located: true,
                    title: Some(Arc::from(meta.title)),
                    remediation: Some(Arc::from(meta.remediation)),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::check::check;

    fn setup(template: &str) -> (Suppressions, Arc<SourceFile>) {
        let policy = Arc::new(SourceFile::new(
            "p.guard",
            "@id(\"SG011\") rule r { Resources exists }",
        ));
        let (program, _) = check(&[policy], &[]).unwrap();
        let t = crate::template::parse(Arc::new(SourceFile::new("t.yaml", template))).unwrap();
        (collect(&t, &program), Arc::clone(&t.source))
    }

    #[test]
    fn valid_suppressions_apply_to_the_resource_and_its_group() {
        let (s, _) = setup(
            "Resources:\n  Sg:\n    Type: X\n    Metadata:\n      palisade:\n        suppress:\n          - id: SG011\n            reason: bastion\n",
        );
        assert_eq!(s.lookup("SG011", Some("Sg"), None), Some("bastion"));
        assert_eq!(s.lookup("SG011", Some("Rule"), Some("Sg")), Some("bastion"));
        assert_eq!(s.lookup("SG010", Some("Sg"), None), None);
        assert!(s.problems.is_empty());
    }

    #[test]
    fn problems_suppress_nothing() {
        let (s, source) = setup(
            "Resources:\n  Sg:\n    Type: X\n    Metadata:\n      palisade:\n        suppress:\n          - id: SG011\n          - id: SG011\n            reason: '  '\n          - id: NOPE\n            reason: why\n",
        );
        assert_eq!(s.lookup("SG011", Some("Sg"), None), None);
        let found = s.problems("t.yaml", &source);
        let ids: Vec<&str> = found.iter().map(|f| &*f.id).collect();
        assert_eq!(ids, ["PAL001", "PAL001", "PAL002"]);
        assert_eq!(found[2].line, 10);
    }
}
