//! CloudFormation conditions: `Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not` and `Condition`.
//!
//! A condition is decided when its inputs are known; otherwise it has a `true` and a `false`
//! variant, each under the parameter choices that lead to it. Results are cached per condition
//! name, and a condition that refers to itself is treated as undecided.

use std::collections::BTreeSet;
use std::rc::Rc;

use super::assume::{Assumptions, Variant, product};
use super::functions::to_text;
use super::params::scalar_text;
use super::path::Seg;
use super::resolve::{Cached, RVal, Resolver};
use crate::hash::{HashMap, HashSet};
use crate::template::{Map, Node, Str, Value};

/// Both truth values, without assumptions: nothing is known.
fn undecided() -> Vec<Variant<bool>> {
    vec![Variant::always(true), Variant::always(false)]
}

/// Equality of two resolved values as CloudFormation compares them (as text), or `None` when
/// it cannot be told.
fn equal(a: &RVal<'_>, b: &RVal<'_>) -> Option<bool> {
    match (a, b) {
        (RVal::List(x), RVal::List(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            let mut all = true;
            for (p, q) in x.iter().zip(y) {
                all &= equal(&p.val, &q.val)?;
            }
            Some(all)
        }
        (RVal::Resource { id: i, attr: x }, RVal::Resource { id: j, attr: y })
            if i == j && x == y =>
        {
            Some(true)
        }
        // A number with a fraction or an exponent (`1.0`, `1e3`) reaches CloudFormation as the
        // text it was written with, which the loaded value no longer holds (`1.0` reads as 1):
        // compared with anything but the same number, it is not told.
        (RVal::Float(x), RVal::Float(y)) if x == y => Some(true),
        (RVal::Float(_), _) | (_, RVal::Float(_)) => None,
        _ => match (to_text(a), to_text(b)) {
            (Ok(x), Ok(y)) => Some(x == y),
            _ => None,
        },
    }
}

/// Removes repeats; past the bound, keeps one variant per truth value under the assumptions
/// all its variants share (a weaker but sound statement).
fn collapse(mut vs: Vec<Variant<bool>>, bound: usize) -> Vec<Variant<bool>> {
    let mut unique: Vec<Variant<bool>> = Vec::with_capacity(vs.len());
    for v in vs.drain(..) {
        if !unique.contains(&v) {
            unique.push(v);
        }
    }
    if unique.iter().all(|v| v.value) || unique.iter().all(|v| !v.value) {
        // Every deployment gives the same value: decided.
        return unique
            .first()
            .map(|v| vec![Variant::always(v.value)])
            .unwrap_or_else(undecided);
    }
    if unique.len() <= bound {
        return unique;
    }
    [true, false]
        .into_iter()
        .filter_map(|value| {
            let mut same = unique.iter().filter(|v| v.value == value);
            let first = same.next()?.when.clone();
            let when = same.fold(first, |acc, v| acc.intersect(&v.when));
            Some(Variant::new(value, when))
        })
        .collect()
}

impl<'t> Resolver<'t> {
    /// The variants of the named condition's value (cached).
    ///
    /// Depth first, in the order the definitions name conditions, without recursion: each
    /// condition is computed once the ones it names are, so computing one never goes more than
    /// one condition deep (a chain of thousands of conditions naming conditions would
    /// otherwise overflow the stack). A condition named again while it is being worked out (a
    /// cycle, which CloudFormation rejects) is undecided there.
    pub(crate) fn condition_value(&self, name: &str) -> Rc<Vec<Variant<bool>>> {
        // (condition, whether the conditions it names are done)
        let mut todo: Vec<(Str, bool)> = vec![(Str::from(name), false)];
        while let Some((current, named_done)) = todo.pop() {
            if named_done {
                let result = match self.condition_defs.and_then(|c| c.get(&current)) {
                    Some(def) => self.eval_condition(def),
                    None => undecided(),
                };
                self.conditions
                    .borrow_mut()
                    .insert(current, Cached::Done(Rc::new(result)));
                continue;
            }
            if self.conditions.borrow().contains_key(&current) {
                continue;
            }
            self.conditions
                .borrow_mut()
                .insert(current.clone(), Cached::InProgress);
            let def = self.condition_defs.and_then(|c| c.get(&current));
            todo.push((current, true));
            let named = def.map(conditions_named_in).unwrap_or_default();
            todo.extend(named.into_iter().rev().map(|n| (Str::from(n), false)));
        }
        match self.conditions.borrow().get(name) {
            Some(Cached::Done(found)) => Rc::clone(found),
            _ => Rc::new(undecided()),
        }
    }

    /// The variants of a condition as a consumer (`Fn::If`, a resource's `Condition`) sees
    /// them: each records the condition's value among its assumptions, unless the condition is
    /// decided.
    pub fn condition_literal(&self, name: &str) -> Vec<Variant<bool>> {
        // A condition that only names another (`WantDns: !Condition IsProd`) is that one: the
        // assumption is recorded under the name it stands for, so equal conditions compare
        // equal.
        let name = self.alias_target(name);
        let name = name.as_str();
        let values = self.condition_value(name);
        if let [only] = values.as_slice() {
            if only.when.is_empty() {
                return vec![only.clone()];
            }
        }
        let mut out: Vec<Variant<bool>> = values
            .iter()
            .filter_map(|v| {
                let when = v.when.merge(&Assumptions::condition(name, v.value))?;
                Some(Variant::new(v.value, when))
            })
            .collect();
        // The `true` branch first, as `Fn::If` writes it.
        out.sort_by_key(|v| !v.value);
        out
    }

    /// The condition `name` stands for: itself, or, when its definition is only
    /// `{Condition: Other}`, what `Other` stands for (a cycle stops where it closes).
    fn alias_target(&self, name: &str) -> Str {
        let mut current = Str::from(name);
        let mut seen: Vec<Str> = Vec::new();
        while let Some(next) = self
            .condition_defs
            .and_then(|c| c.get(&current))
            .and_then(|def| match def.as_intrinsic() {
                Some(("Condition" | "Fn::Condition", arg)) => arg.as_str(),
                _ => None,
            })
            .filter(|next| self.condition_defs.is_some_and(|c| c.get(next).is_some()))
        {
            if seen.len() > 64 || seen.iter().any(|s| s == next) {
                break;
            }
            seen.push(current);
            current = Str::from(next);
        }
        current
    }

    /// The parameters a condition's value depends on.
    pub(crate) fn condition_params(&self, name: &str) -> BTreeSet<Str> {
        self.condition_value(name)
            .iter()
            .flat_map(|v| v.when.params().iter().map(|(p, _)| p.clone()))
            .collect()
    }

    /// Evaluates a condition expression.
    pub(crate) fn eval_condition(&self, node: &'t Node) -> Vec<Variant<bool>> {
        let out = match node.as_intrinsic() {
            Some(("Condition", name)) => match name.as_str() {
                Some(name) => self.condition_value(name).as_ref().clone(),
                None => undecided(),
            },
            Some((
                "Fn::Equals",
                Node {
                    value: Value::List(pair),
                    ..
                },
            )) => match &pair[..] {
                [a, b] => self.equals(a, b),
                _ => undecided(),
            },
            Some((
                "Fn::Not",
                Node {
                    value: Value::List(args),
                    ..
                },
            )) => match &args[..] {
                [x] => self
                    .eval_condition(x)
                    .into_iter()
                    .map(|v| v.map(|b| !b))
                    .collect(),
                _ => undecided(),
            },
            Some((
                op @ ("Fn::And" | "Fn::Or"),
                Node {
                    value: Value::List(args),
                    ..
                },
            )) => {
                let lists: Vec<Vec<Variant<bool>>> =
                    args.iter().map(|a| self.eval_condition(a)).collect();
                match product(&lists, self.bound) {
                    Some(combos) => combos
                        .into_iter()
                        .map(|v| {
                            v.map(|values| {
                                if op == "Fn::And" {
                                    values.iter().all(|&b| b)
                                } else {
                                    values.iter().any(|&b| b)
                                }
                            })
                        })
                        .collect(),
                    None => undecided(),
                }
            }
            _ => match &node.value {
                Value::Bool(b) => vec![Variant::always(*b)],
                Value::String(s) if s.eq_ignore_ascii_case("true") => vec![Variant::always(true)],
                Value::String(s) if s.eq_ignore_ascii_case("false") => {
                    vec![Variant::always(false)]
                }
                _ => undecided(),
            },
        };
        collapse(out, self.bound)
    }

    fn equals(&self, a: &'t Node, b: &'t Node) -> Vec<Variant<bool>> {
        let xs = self.resolve(a, Seg::Root);
        let ys = self.resolve(b, Seg::Root);
        let mut out = Vec::new();
        for x in &xs {
            for y in &ys {
                let Some(when) = x.when.merge(&y.when) else {
                    continue;
                };
                match equal(&x.value.val, &y.value.val) {
                    Some(b) => out.push(Variant::new(b, when)),
                    None => {
                        out.push(Variant::new(true, when.clone()));
                        out.push(Variant::new(false, when));
                    }
                }
            }
        }
        if out.is_empty() {
            return undecided();
        }
        out
    }
}

/// What the conditions do with parameters.
#[derive(Debug, Default)]
pub(crate) struct ConditionUses {
    /// For every parameter compared with a literal (`!Equals [!Ref P, prod]`), the literals.
    pub compared: HashMap<Str, Vec<Str>>,
    /// Parameters used in conditions in other ways (inside `Fn::Select`, `Fn::Join`, …).
    pub indirect: HashSet<Str>,
}

/// The names of the conditions a condition expression names (`Condition: Name`), in the order
/// they are written.
fn conditions_named_in(def: &Node) -> Vec<&str> {
    let mut out = Vec::new();
    let mut todo = vec![def];
    while let Some(node) = todo.pop() {
        if let Some(("Condition", name)) = node.as_intrinsic() {
            out.extend(name.as_str());
            continue;
        }
        match &node.value {
            Value::List(items) => todo.extend(items.iter().rev()),
            Value::Map(map) => todo.extend(map.iter().rev().map(|(_, v)| v)),
            _ => {}
        }
    }
    out
}

/// How the conditions use parameters (a single walk over `Conditions`).
pub(crate) fn condition_uses(conditions: Option<&Map>) -> ConditionUses {
    let mut out = ConditionUses::default();
    let Some(conditions) = conditions else {
        return out;
    };
    let ref_name = |n: &Node| match n.as_intrinsic() {
        Some(("Ref", t)) => t.as_str().map(Str::from),
        _ => None,
    };
    let mut todo: Vec<&Node> = conditions.iter().map(|(_, n)| n).collect();
    while let Some(node) = todo.pop() {
        if let Some(name) = ref_name(node) {
            out.indirect.insert(name);
            continue;
        }
        match &node.value {
            Value::List(items) => todo.extend(items.iter()),
            Value::Map(map) => {
                if let Some((
                    "Fn::Equals",
                    Node {
                        value: Value::List(pair),
                        ..
                    },
                )) = node.as_intrinsic()
                {
                    if let [a, b] = &pair[..] {
                        let mut direct = |r: &Node, lit: &Node| -> bool {
                            match (ref_name(r), scalar_text(lit)) {
                                (Some(p), Some(text)) => {
                                    let list = out.compared.entry(p).or_default();
                                    if !list.iter().any(|s| s == text.as_str()) {
                                        list.push(Str::from(text));
                                    }
                                    true
                                }
                                _ => false,
                            }
                        };
                        if direct(a, b) || direct(b, a) {
                            continue;
                        }
                    }
                }
                todo.extend(map.iter().map(|(_, n)| n));
            }
            _ => {}
        }
    }
    out
}
