//! Variants and the assumptions they hold under.
//!
//! A template value can take several values depending on conditions and parameters. Each
//! possible value is a [`Variant`]: the value plus the [`Assumptions`] (condition → bool,
//! parameter → chosen candidate) of the deployments it belongs to. Combining variants merges
//! their assumptions and drops combinations that contradict themselves.

use crate::template::Str;

/// Most variants one value (or one combination of values) may have before it becomes unknown.
pub const MAX_VARIANTS: usize = 32;

/// What must hold in a deployment for a variant to be the one that happens: values of
/// conditions and choices of parameters. Both lists are sorted by name and hold each name once.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Assumptions {
    conditions: Vec<(Str, bool)>,
    params: Vec<(Str, u16)>,
}

impl Assumptions {
    /// No assumption: true in every deployment.
    pub fn none() -> Self {
        Self::default()
    }

    /// Condition `name` has value `value`.
    pub fn condition(name: &str, value: bool) -> Self {
        Assumptions {
            conditions: vec![(Str::from(name), value)],
            params: Vec::new(),
        }
    }

    /// Parameter `name` takes candidate number `choice` of its domain.
    pub fn param(name: &str, choice: u16) -> Self {
        Assumptions {
            conditions: Vec::new(),
            params: vec![(Str::from(name), choice)],
        }
    }

    /// True when nothing is assumed.
    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty() && self.params.is_empty()
    }

    /// Assumed condition values, sorted by name.
    pub fn conditions(&self) -> &[(Str, bool)] {
        &self.conditions
    }

    /// Assumed parameter choices (candidate indices), sorted by name.
    pub fn params(&self) -> &[(Str, u16)] {
        &self.params
    }

    /// Both sets of assumptions at once, or `None` when they contradict each other (one
    /// condition or parameter with two different values).
    pub fn merge(&self, other: &Assumptions) -> Option<Assumptions> {
        Some(Assumptions {
            conditions: merge_sorted(&self.conditions, &other.conditions)?,
            params: merge_sorted(&self.params, &other.params)?,
        })
    }

    /// True when every assumption of `other` is also one of `self` (so `self` is at least as
    /// narrow as `other`).
    pub fn implies(&self, other: &Assumptions) -> bool {
        subset(&other.conditions, &self.conditions) && subset(&other.params, &self.params)
    }

    /// The assumptions the two have in common.
    pub fn intersect(&self, other: &Assumptions) -> Assumptions {
        Assumptions {
            conditions: self
                .conditions
                .iter()
                .filter(|c| other.conditions.contains(c))
                .cloned()
                .collect(),
            params: self
                .params
                .iter()
                .filter(|p| other.params.contains(p))
                .cloned()
                .collect(),
        }
    }

    /// The same assumptions without the parameter choices for which `drop` says true.
    pub fn without_params(&self, mut drop: impl FnMut(&str) -> bool) -> Assumptions {
        Assumptions {
            conditions: self.conditions.clone(),
            params: self
                .params
                .iter()
                .filter(|(name, _)| !drop(name))
                .cloned()
                .collect(),
        }
    }
}

fn merge_sorted<V: Copy + Eq>(a: &[(Str, V)], b: &[(Str, V)]) -> Option<Vec<(Str, V)>> {
    if b.is_empty() {
        return Some(a.to_vec());
    }
    if a.is_empty() {
        return Some(b.to_vec());
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        match x.0.cmp(&y.0) {
            std::cmp::Ordering::Less => {
                out.push(x.clone());
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(y.clone());
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                if x.1 != y.1 {
                    return None;
                }
                out.push(x.clone());
                i += 1;
                j += 1;
            }
        }
    }
    out.extend(a.iter().skip(i).cloned());
    out.extend(b.iter().skip(j).cloned());
    Some(out)
}

fn subset<V: Eq>(small: &[(Str, V)], big: &[(Str, V)]) -> bool {
    small.iter().all(|s| big.contains(s))
}

/// One possible value and the deployments it happens in.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant<T> {
    /// The value.
    pub value: T,
    /// When it is the value.
    pub when: Assumptions,
}

impl<T> Variant<T> {
    /// A value that holds in every deployment.
    pub fn always(value: T) -> Self {
        Variant {
            value,
            when: Assumptions::none(),
        }
    }

    /// A value under assumptions.
    pub fn new(value: T, when: Assumptions) -> Self {
        Variant { value, when }
    }

    /// The same assumptions with another value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Variant<U> {
        Variant {
            value: f(self.value),
            when: self.when,
        }
    }
}

/// Every consistent combination of one variant from each list, or `None` when there would be
/// more than `bound` of them.
pub fn product<T: Clone>(lists: &[Vec<Variant<T>>], bound: usize) -> Option<Vec<Variant<Vec<T>>>> {
    let mut acc = vec![Variant::always(Vec::with_capacity(lists.len()))];
    for list in lists {
        if let [only] = list.as_slice() {
            // The common case: nothing to multiply.
            let mut next = Vec::with_capacity(acc.len());
            for a in acc {
                if let Some(when) = a.when.merge(&only.when) {
                    let mut values = a.value;
                    values.push(only.value.clone());
                    next.push(Variant::new(values, when));
                }
            }
            acc = next;
            continue;
        }
        let mut next = Vec::new();
        for a in acc {
            // The values so far are moved into the last combination, not copied: a list of
            // many items that each depend on one parameter (`!Join` of a thousand `!Ref P`)
            // would otherwise copy the growing list once per item.
            let mut found: Vec<(&T, Assumptions)> = list
                .iter()
                .filter_map(|b| Some((&b.value, a.when.merge(&b.when)?)))
                .collect();
            let last = found.pop();
            for (value, when) in found {
                let mut values = a.value.clone();
                values.push(value.clone());
                next.push(Variant::new(values, when));
            }
            if let Some((value, when)) = last {
                let mut values = a.value;
                values.push(value.clone());
                next.push(Variant::new(values, when));
            }
            if next.len() > bound {
                return None;
            }
        }
        acc = next;
    }
    Some(acc)
}

/// Drops assumption sets implied by another one in the list (they add no deployment) and
/// exact repeats.
pub fn simplify(mut sets: Vec<Assumptions>) -> Vec<Assumptions> {
    sets.sort_by_key(|s| s.conditions.len() + s.params.len());
    let mut kept: Vec<Assumptions> = Vec::with_capacity(sets.len());
    for s in sets {
        if !kept.iter().any(|k| s.implies(k)) {
            kept.push(s);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn when(conds: &[(&str, bool)], params: &[(&str, u16)]) -> Assumptions {
        let mut a = Assumptions::none();
        for &(c, v) in conds {
            a = a.merge(&Assumptions::condition(c, v)).unwrap();
        }
        for &(p, v) in params {
            a = a.merge(&Assumptions::param(p, v)).unwrap();
        }
        a
    }

    #[test]
    fn merge_keeps_order_and_rejects_contradictions() {
        let a = when(&[("B", true)], &[("P", 1)]);
        let b = when(&[("A", false), ("B", true)], &[]);
        let m = a.merge(&b).unwrap();
        assert_eq!(m.conditions(), &[("A".into(), false), ("B".into(), true)]);
        assert_eq!(m.params(), &[("P".into(), 1)]);
        assert_eq!(a.merge(&when(&[("B", false)], &[])), None);
        assert_eq!(a.merge(&when(&[], &[("P", 0)])), None);
        assert!(m.implies(&a) && !a.implies(&m));
    }

    #[test]
    fn product_drops_inconsistent_combinations_and_respects_the_bound() {
        let x = vec![
            Variant::new(1, when(&[("C", true)], &[])),
            Variant::new(2, when(&[("C", false)], &[])),
        ];
        let y = vec![
            Variant::new(10, when(&[("C", true)], &[])),
            Variant::new(20, when(&[("C", false)], &[])),
        ];
        let p = product(&[x.clone(), y], 32).unwrap();
        let values: Vec<_> = p.iter().map(|v| v.value.clone()).collect();
        assert_eq!(values, vec![vec![1, 10], vec![2, 20]]);
        let free = vec![
            Variant::new(1, when(&[("D", true)], &[])),
            Variant::new(2, when(&[("D", false)], &[])),
        ];
        assert_eq!(product(&[x, free], 3), None);
    }

    #[test]
    fn simplify_drops_narrower_sets() {
        let wide = when(&[("C", false)], &[]);
        let narrow = when(&[("C", false), ("D", true)], &[]);
        let other = when(&[("D", false)], &[]);
        let s = simplify(vec![narrow, wide.clone(), other.clone(), wide.clone()]);
        assert_eq!(s, vec![wide, other]);
    }
}
