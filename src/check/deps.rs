//! The rule dependency graph: cycles are errors; the evaluation order puts every rule after
//! the rules it refers to. Iterative, so long chains of rules cannot overflow the stack.

use std::sync::Arc;

use super::error;
use super::ir::{Rule, RuleId};
use crate::diag::{Code, Diagnostics};
use crate::source::{SourceFile, Span};

/// The order to evaluate plain rules in; reports each cycle once.
pub(super) fn order(
    rules: &[Rule],
    deps: &[Vec<(RuleId, Span)>],
    files: &[Arc<SourceFile>],
    diags: &mut Diagnostics,
) -> Vec<RuleId> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let n = rules.len();
    let mut mark = vec![Mark::New; n];
    let mut order = Vec::with_capacity(n);
    for start in 0..n {
        if mark.get(start) != Some(&Mark::New) {
            continue;
        }
        // (rule, index of the next dependency to visit)
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        if let Some(m) = mark.get_mut(start) {
            *m = Mark::Active;
        }
        while let Some(&mut (rule, ref mut next)) = stack.last_mut() {
            let edge = deps.get(rule).and_then(|d| d.get(*next)).copied();
            *next += 1;
            match edge {
                Some((dep, span)) => {
                    let d = dep.0 as usize;
                    match mark.get(d).copied() {
                        Some(Mark::New) => {
                            if let Some(m) = mark.get_mut(d) {
                                *m = Mark::Active;
                            }
                            stack.push((d, 0));
                        }
                        Some(Mark::Active) => {
                            let cycle: Vec<usize> = stack
                                .iter()
                                .map(|(r, _)| *r)
                                .skip_while(|r| *r != d)
                                .collect();
                            report_cycle(rules, &cycle, rule, span, files, diags);
                        }
                        _ => {}
                    }
                }
                None => {
                    stack.pop();
                    if let Some(m) = mark.get_mut(rule) {
                        *m = Mark::Done;
                    }
                    order.push(RuleId(rule as u32));
                }
            }
        }
    }
    order
        .into_iter()
        .filter(|id| rules.get(id.0 as usize).is_some_and(|r| !r.parameterized))
        .collect()
}

fn report_cycle(
    rules: &[Rule],
    cycle: &[usize],
    from: usize,
    span: Span,
    files: &[Arc<SourceFile>],
    diags: &mut Diagnostics,
) {
    let names: Vec<String> = cycle
        .iter()
        .chain(cycle.first())
        .filter_map(|r| rules.get(*r).map(|r| format!("`{}`", r.name)))
        .collect();
    let Some(rule) = rules.get(from) else { return };
    let Some(file) = files.get(rule.file.0 as usize) else {
        return;
    };
    diags.push(
        error(Code::RuleCycle, file, span, format!("rules refer to each other in a cycle: {}", names.join(" → ")))
            .with_label("this reference closes the cycle")
            .with_help("a rule cannot depend on itself, directly or through other rules; move the shared clauses into a rule that both use"),
    );
}
