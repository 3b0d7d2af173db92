//! Name look-up for variables, and "did you mean" help for names that are not found.

use std::collections::HashMap;

use super::ir::VarId;
use crate::diag::edit_distance;

/// Nested scopes of variable names, innermost last.
#[derive(Debug, Default)]
pub(super) struct Scopes {
    frames: Vec<HashMap<String, VarId>>,
}

impl Scopes {
    /// Enters a new innermost scope.
    pub(super) fn push(&mut self) {
        self.frames.push(HashMap::new());
    }

    /// Leaves the innermost scope.
    pub(super) fn pop(&mut self) {
        self.frames.pop();
    }

    /// Defines `name` in the innermost scope; returns the id it already had there, if any.
    pub(super) fn define(&mut self, name: &str, id: VarId) -> Option<VarId> {
        match self.frames.last_mut() {
            Some(frame) => frame.insert(name.to_string(), id),
            None => {
                let mut frame = HashMap::new();
                frame.insert(name.to_string(), id);
                self.frames.push(frame);
                None
            }
        }
    }

    /// The innermost definition of `name`.
    pub(super) fn lookup(&self, name: &str) -> Option<VarId> {
        self.frames
            .iter()
            .rev()
            .find_map(|frame| frame.get(name).copied())
    }

    /// Every name in scope, sorted.
    pub(super) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.frames.iter().flat_map(|f| f.keys().cloned()).collect();
        names.sort();
        names.dedup();
        names
    }
}

/// Help text for an unknown `name` among `known` names: the closest name if one is close, and
/// the names available.
pub(super) fn suggest(name: &str, known: &[String], what: &str, sigil: &str) -> String {
    let closest = known
        .iter()
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4) && *d < k.len())
        .min_by_key(|(d, k)| (*d, k.len()));
    let listed: Vec<String> = known
        .iter()
        .take(12)
        .map(|k| format!("`{sigil}{k}`"))
        .collect();
    let more = if known.len() > listed.len() {
        format!(" and {} more", known.len() - listed.len())
    } else {
        String::new()
    };
    match (closest, listed.is_empty()) {
        (Some((_, k)), _) => format!(
            "did you mean `{sigil}{k}`? {what}: {}{more}",
            listed.join(", ")
        ),
        (None, true) => format!("there are no {what}"),
        (None, false) => format!("{what}: {}{more}", listed.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn suggests_the_closest_name() {
        let known = vec!["open_rules".to_string(), "vpc_cidrs".to_string()];
        let help = suggest("open_rule", &known, "variables in scope", "%");
        assert!(help.starts_with("did you mean `%open_rules`?"), "{help}");
        let help = suggest("zzz", &known, "variables in scope", "%");
        assert_eq!(help, "variables in scope: `%open_rules`, `%vpc_cidrs`");
        assert_eq!(suggest("x", &[], "rules", ""), "there are no rules");
    }

    #[test]
    fn inner_scopes_shadow_outer_ones() {
        let mut s = Scopes::default();
        s.push();
        s.define("a", VarId(1));
        s.push();
        assert_eq!(s.define("a", VarId(2)), None);
        assert_eq!(s.lookup("a"), Some(VarId(2)));
        s.pop();
        assert_eq!(s.lookup("a"), Some(VarId(1)));
        assert_eq!(s.define("a", VarId(3)), Some(VarId(1)));
    }
}
