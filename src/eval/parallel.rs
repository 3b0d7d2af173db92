//! Sharing the evaluation of one large template between threads.
//!
//! Files of a folder are already checked in parallel; a single large template would use one
//! core. Each policy file of the program is then a share, evaluated by its own evaluator with
//! the rules it refers to (a rule named from several shares is evaluated in each, with the same
//! outcome), and the shares are spread over the threads as they finish. Sharing by file keeps
//! each file's `let`s in one share. Evaluation is deterministic, so the outcomes are the same
//! as from one evaluator.

use super::Document;
use crate::check::ir::Program;

/// Templates shorter than this are evaluated by one evaluator: for them more threads cost
/// more than they save.
const SPLIT_AT: usize = 256 * 1024;

/// The shares: for each, which of the `selected` rules it reports. One share for a small
/// template or a single policy file.
pub(super) fn shares(program: &Program, doc: &Document<'_>, selected: &[bool]) -> Vec<Vec<bool>> {
    if doc.source.len() < SPLIT_AT || program.files.len() < 2 {
        return vec![selected.to_vec()];
    }
    (0..program.files.len())
        .map(|file| {
            program
                .rules
                .iter()
                .zip(selected)
                .map(|(r, &s)| s && r.file.0 as usize == file)
                .collect()
        })
        .filter(|share: &Vec<bool>| share.contains(&true))
        .collect()
}

/// The rules in `share` and every rule they name, directly or through other rules.
pub(super) fn needed(program: &Program, share: &[bool]) -> Vec<bool> {
    let mut needed = share.to_vec();
    let mut todo: Vec<usize> = (0..needed.len())
        .filter(|&i| needed.get(i).copied().unwrap_or(false))
        .collect();
    while let Some(rule) = todo.pop() {
        for dep in program.deps.get(rule).into_iter().flatten() {
            let d = dep.0 as usize;
            if let Some(slot) = needed.get_mut(d) {
                if !*slot {
                    *slot = true;
                    todo.push(d);
                }
            }
        }
    }
    needed
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::{evaluate, evaluate_share};
    use super::*;
    use crate::check::check;
    use crate::source::SourceFile;
    use crate::template;

    /// Two policy files; a rule of the second refers to rules of the first.
    const FIRST: &str = "let queues = Resources.*[ Type == \"AWS::SQS::Queue\" ]\nrule has_queues { %queues !EMPTY }\nrule named { %queues.Properties.QueueName EXISTS << queue without a name >> }\nrule unused { Resources EXISTS }\n";
    const SECOND: &str = "rule both when has_queues { named\n  Resources.*.Type != \"AWS::SNS::Topic\" << a topic >> }\nrule alone { Resources.*.Type != \"AWS::SQS::Queue\" << a queue >> }\n";

    #[test]
    fn large_templates_are_shared_and_give_the_same_outcomes() {
        let files =
            [("a.guard", FIRST), ("b.guard", SECOND)].map(|(n, t)| Arc::new(SourceFile::new(n, t)));
        let (program, _) = check(&files, &[]).unwrap();
        // Long enough to be shared: many queues, some without a name, and a topic.
        let mut text = "Resources:\n  T:\n    Type: AWS::SNS::Topic\n".to_string();
        for i in 0..8_000 {
            text.push_str(&format!("  Q{i}:\n    Type: AWS::SQS::Queue\n"));
            if i % 3 > 0 {
                text.push_str(&format!("    Properties: {{QueueName: q{i}}}\n"));
            }
        }
        let t = template::parse(Arc::new(SourceFile::new("t.yaml", text))).unwrap();
        let doc = Document {
            source: &t.source,
            root: &t.root,
            model: &[],
        };
        let all = vec![true; program.rules.len()];
        let shares = shares(&program, &doc, &all);
        assert_eq!(shares.len(), 2);
        // Each rule is reported by the share of its file; `both` needs the first file's rules.
        let names = |share: &[bool]| -> Vec<&str> {
            program
                .rules
                .iter()
                .zip(share)
                .filter(|(_, s)| **s)
                .map(|(r, _)| r.name.as_str())
                .collect()
        };
        assert_eq!(names(&shares[0]), ["has_queues", "named", "unused"]);
        assert_eq!(names(&shares[1]), ["both", "alone"]);
        assert_eq!(
            names(&needed(&program, &shares[1])),
            ["has_queues", "named", "both", "alone"]
        );
        let shared = evaluate(&program, &doc);
        let one = evaluate_share(&program, &doc, &all);
        assert_eq!(shared, one);
        assert_eq!(shared.len(), 5);
        assert!(
            shared
                .iter()
                .all(|o| o.status == crate::eval::Status::Fail || o.findings.is_empty())
        );
        assert!(shared.iter().map(|o| o.findings.len()).sum::<usize>() > 8_000);
    }

    #[test]
    fn small_templates_and_single_files_are_not_shared() {
        let files =
            [("a.guard", FIRST), ("b.guard", SECOND)].map(|(n, t)| Arc::new(SourceFile::new(n, t)));
        let (program, _) = check(&files, &[]).unwrap();
        let t = template::parse(Arc::new(SourceFile::new("t.yaml", "Resources: {}\n"))).unwrap();
        let doc = Document {
            source: &t.source,
            root: &t.root,
            model: &[],
        };
        assert_eq!(shares(&program, &doc, &[true; 5]), vec![vec![true; 5]]);
    }

    #[test]
    fn only_selected_rules_have_outcomes_and_they_are_unchanged() {
        let files =
            [("a.guard", FIRST), ("b.guard", SECOND)].map(|(n, t)| Arc::new(SourceFile::new(n, t)));
        let (program, _) = check(&files, &[]).unwrap();
        let text = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n  T:\n    Type: AWS::SNS::Topic\n";
        let t = template::parse(Arc::new(SourceFile::new("t.yaml", text))).unwrap();
        let doc = Document {
            source: &t.source,
            root: &t.root,
            model: &[],
        };
        // `both` alone: it needs `has_queues` and `named`, which are evaluated, not reported.
        let selected: Vec<bool> = program.rules.iter().map(|r| r.name == "both").collect();
        let only = super::super::evaluate_selected(&program, &doc, &selected);
        let all = evaluate(&program, &doc);
        assert_eq!(only.len(), 1);
        let both = all
            .iter()
            .find(|o| Some(o.rule) == only.first().map(|b| b.rule));
        assert_eq!(only.first(), both);
        assert_eq!(
            only.first().map(|o| o.status),
            Some(crate::eval::Status::Fail)
        );
    }
}
