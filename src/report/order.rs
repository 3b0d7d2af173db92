//! The order findings are reported in.

use super::Finding;

/// Sorts findings by position and rule id, keeping the order in which they were made among
/// equals. The order is worked out on indices and then applied in place: a stable sort of the
/// findings themselves would take half their size again.
pub(super) fn sort_findings(findings: &mut [Finding]) {
    let key = |i: u32| findings.get(i as usize).map(|f| (f.line, f.column, &f.id));
    let mut order: Vec<u32> = (0..findings.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| key(a).cmp(&key(b)).then(a.cmp(&b)));
    // Slot `i` takes the finding at `order[i]`: follow each cycle of the permutation once.
    for start in 0..order.len() {
        let mut at = start;
        while let Some(slot) = order.get_mut(at) {
            let from = *slot as usize;
            *slot = at as u32;
            if from == start || from == at {
                break;
            }
            findings.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::ir::Severity;
    use crate::eval::FindingStatus;
    use crate::source::Position;
    use std::sync::Arc;

    fn finding(line: u32, id: &str, message: &str) -> Finding {
        Finding {
            id: Arc::from(id),
            rule: Arc::from("r"),
            severity: Severity::Low,
            status: FindingStatus::Fail,
            file: Arc::from("t.yaml"),
            resource: None,
            security_group: None,
            path: String::new(),
            line,
            column: 1,
            message: Arc::from(message),
            conditions: None,
            suppressed: false,
            suppression_reason: None,
            end: Position { line, column: 2 },
            located: true,
            title: None,
            remediation: None,
        }
    }

    #[test]
    fn findings_sort_by_position_and_id_and_keep_their_order_among_equals() {
        let mut findings = vec![
            finding(3, "SG010", "a"),
            finding(1, "SG020", "b"),
            finding(3, "SG001", "c"),
            finding(1, "SG020", "d"),
            finding(2, "SG010", "e"),
            finding(1, "SG020", "f"),
        ];
        sort_findings(&mut findings);
        let order: Vec<&str> = findings.iter().map(|f| &*f.message).collect();
        assert_eq!(order, ["b", "d", "f", "e", "c", "a"]);
        let mut none: Vec<Finding> = Vec::new();
        sort_findings(&mut none);
        assert!(none.is_empty());
    }
}
