//! When a group keeps EC2's implicit allow-all egress (SG-SEMANTICS §2.7).
//!
//! The implicit rule exists in exactly the deployments where the group exists and no egress
//! rule is declared for it, inline or standalone. Each declared egress exists under a set of
//! assumptions; the implicit rule's assumption sets are the negation of their union, computed
//! over the finite domains of conditions (true/false) and parameters (their candidates).

use std::collections::BTreeSet;

use super::assume::{Assumptions, simplify};
use super::resolve::Resolver;
use crate::template::Str;

/// Too many assumption sets to say exactly when the rule exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overflow;

/// The assumption sets under which none of `present` holds, within `base` (the deployments
/// where the group exists).
pub fn absent_when(
    resolver: &Resolver<'_>,
    base: Vec<Assumptions>,
    present: &[Assumptions],
) -> Result<Vec<Assumptions>, Overflow> {
    let mut current = simplify(base);
    for e in present {
        let e = weaken(resolver, e);
        if e.is_empty() {
            return Ok(Vec::new());
        }
        let mut next = Vec::new();
        for c in &current {
            if c.merge(&e).is_none() {
                // `c` already excludes `e`.
                next.push(c.clone());
                continue;
            }
            for negated in negations(resolver, &e) {
                if let Some(m) = c.merge(&negated) {
                    next.push(m);
                }
            }
        }
        current = simplify(next);
        if current.len() > resolver.bound {
            return Err(Overflow);
        }
        if current.is_empty() {
            break;
        }
    }
    Ok(current)
}

/// Drops the parameter choices that only say how a condition of `e` came to its value: the
/// condition's own literal already names exactly those deployments.
fn weaken(resolver: &Resolver<'_>, e: &Assumptions) -> Assumptions {
    let implied: BTreeSet<Str> = e
        .conditions()
        .iter()
        .flat_map(|(c, _)| resolver.condition_params(c))
        .collect();
    e.without_params(|p| implied.contains(p))
}

/// One assumption set per way of contradicting `e` (a conjunction): a condition with the other
/// value, or a parameter with any other candidate.
fn negations(resolver: &Resolver<'_>, e: &Assumptions) -> Vec<Assumptions> {
    let mut out = Vec::new();
    for (name, value) in e.conditions() {
        out.push(Assumptions::condition(name, !value));
    }
    for (name, choice) in e.params() {
        let size = resolver.domain_size(name);
        for other in 0..size {
            let other = u16::try_from(other).unwrap_or(u16::MAX);
            if other != *choice {
                out.push(Assumptions::param(name, other));
            }
        }
    }
    out
}
