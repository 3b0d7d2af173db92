//! Lookups instead of scans, where both sides of a comparison grow with the template.
//!
//! A file-level `let` or a model root has the same values for the whole template, so an index
//! of them is built once and kept:
//!
//! - **Long right-hand sides.** `peer.cidr NOT WITHIN %vpc_cidrs` in a block over every rule
//!   compares each rule's block with each VPC's; with the VPCs' blocks indexed (see
//!   `Prepared`) each is a lookup.
//! - **Joins.** `%egress[ group == %owner; … ]` in a block over every DNS rule tries every
//!   egress rule for each DNS rule. The list's entries are indexed by their text at `key`; the
//!   filter then tries only the entries whose text is one of the values, and those whose value
//!   at `key` is not a plain text (unknown, missing, a number, a list), as before. Every other
//!   entry fails the first clause (a text equals a text only when they are the same), and so
//!   the filter.
//!
//! Either way the items kept, their order and their doubts are the ones a scan gives (tests
//! compare them); thousands of DNS rules took seconds per megabyte, quadratically, before.

use std::rc::Rc;

use super::compare::{self, Prepared};
use super::item::{Item, Seg, Val};
use super::{Ctx, Evaluator};
use crate::check::ir::{
    BinaryOp, Body, BodyItem, ClauseOp, Expr, Head, Lit, Query, QueryStep, TermKind, VarId, VarKind,
};
use crate::hash::HashMap;
use crate::template::{Node, Value};

/// Lists shorter than this are scanned.
const JOIN_FROM: usize = 32;

/// A list's items by their text at one key.
#[derive(Debug, Default)]
pub(super) struct Join {
    /// Text → positions of the items whose value at the key is that text, ascending.
    by_text: HashMap<Box<str>, Vec<u32>>,
    /// Positions of the items whose value at the key is anything else, ascending.
    others: Vec<u32>,
    /// True when the items are the elements of one list, or are all maps: the filter tries
    /// them as this index does.
    all_maps: bool,
}

impl<'a> Evaluator<'a> {
    /// The items `step` keeps of the values of `var`, when it is a filter this index can
    /// answer; `None` to scan as usual.
    pub(super) fn joined(
        &mut self,
        var: VarId,
        values: &Rc<Vec<Item<'a>>>,
        step: &'a QueryStep,
        ctx: &Ctx<'a>,
    ) -> Option<Vec<Item<'a>>> {
        let QueryStep::Filter {
            body,
            per_entry: false,
            capture: None,
        } = step
        else {
            return None;
        };
        if !self.is_stable(var) || !super::indexing() {
            return None;
        }
        let (key, rhs) = keyed(body)?;
        // The candidates: the items themselves when each is a map, or the elements of a single
        // list (a model root such as `%rules`), as the filter would try them.
        let list: Option<(&Item<'a>, &'a [Node])> = match values.as_slice() {
            [item] => match &item.val {
                Val::Node(node) => {
                    let node: &'a Node = node;
                    match &node.value {
                        Value::List(elements) => Some((item, &elements[..])),
                        _ => None,
                    }
                }
                _ => None,
            },
            _ => None,
        };
        let count = match list {
            Some((_, elements)) => elements.len(),
            None => values.len(),
        };
        if count < JOIN_FROM {
            return None;
        }
        // Built once per variable and key: whether every value is a map is part of it, not
        // asked again at each use (a block over every rule would ask it once per rule).
        let join = self.join(values, list.map(|(_, e)| e), key);
        if list.is_none() && !join.all_maps {
            return None;
        }
        let wanted = compare::texts(&self.expr(rhs, ctx))?;
        let mut positions: Vec<u32> = wanted
            .iter()
            .filter_map(|t| join.by_text.get(t))
            .flatten()
            .chain(&join.others)
            .copied()
            .collect();
        // The texts are distinct, so their buckets are disjoint, and none holds an entry of
        // `others`: each position comes once.
        positions.sort_unstable();
        super::count_indexed();
        let mut out = Vec::new();
        for p in positions.into_iter().map(|p| p as usize) {
            match list {
                // As `filter` tries the elements of a list.
                Some((item, elements)) => {
                    let Some(n) = elements.get(p) else { continue };
                    let probe = item.sibling(n);
                    if let Some(doubt) = self.holds(&probe, None, body, None) {
                        out.push(self.child(item, Seg::Index(p), n).with_doubt(doubt));
                    }
                }
                None => {
                    if let Some(item) = values.get(p) {
                        self.keep_if(item.clone(), None, body, None, &mut out);
                    }
                }
            }
        }
        Some(out)
    }

    /// A clause's right-hand side, ready for its `lhs_count` left-hand values. A file-level
    /// `let` or a model root named alone has the same values for the whole template: whether
    /// it can be indexed, and the index, are worked out once and kept (`peer.cidr NOT IN
    /// %vpc_cidrs` in a block over every rule would otherwise index the VPCs' blocks once per
    /// rule). Other right-hand sides are indexed only for several left-hand values: for one,
    /// a scan costs no more than building the index.
    pub(super) fn prepare(
        &mut self,
        op: BinaryOp,
        rhs: &'a Expr,
        ctx: &Ctx<'a>,
        lhs_count: usize,
    ) -> Prepared<'a> {
        let stable = match rhs {
            Expr::Query(Query {
                head: Head::Var(id),
                steps,
                ..
            }) if steps.is_empty() && self.is_stable(*id) => Some(*id),
            _ => None,
        };
        let Some(id) = stable.filter(|_| super::indexing()) else {
            let values = Rc::new(self.expr(rhs, ctx));
            return if lhs_count > 1 && super::indexing() {
                Prepared::new(op, values)
            } else {
                Prepared::scan(op, values)
            };
        };
        let values = self.var(id);
        let index = match self
            .indexes
            .iter()
            .find(|(v, o, _)| *o == op && Rc::ptr_eq(v, &values))
        {
            Some((_, _, index)) => index.clone(),
            None => {
                let index = Prepared::index_of(op, &values).map(Rc::new);
                self.indexes.push((Rc::clone(&values), op, index.clone()));
                index
            }
        };
        Prepared::with_index(op, values, index)
    }

    /// True for a variable that has the same values for the whole template.
    fn is_stable(&self, var: VarId) -> bool {
        self.program
            .var(var)
            .is_some_and(|v| matches!(v.kind, VarKind::FileLet(_) | VarKind::Root(_)))
    }

    /// The index by their text at `key` of the elements of `list`, else of `values` (which
    /// are the same for the whole template), built on first use.
    fn join(
        &mut self,
        values: &Rc<Vec<Item<'a>>>,
        list: Option<&[Node]>,
        key: &'a str,
    ) -> Rc<Join> {
        if let Some((_, _, join)) = self
            .joins
            .iter()
            .find(|(v, k, _)| *k == key && Rc::ptr_eq(v, values))
        {
            return Rc::clone(join);
        }
        let nodes: Vec<Option<&Node>> = match list {
            Some(elements) => elements.iter().map(Some).collect(),
            None => values
                .iter()
                .map(|i| match &i.val {
                    Val::Node(n) => Some(*n),
                    _ => None,
                })
                .collect(),
        };
        let mut join = Join {
            all_maps: list.is_some() || values.iter().all(is_map),
            ..Join::default()
        };
        for (i, node) in nodes.into_iter().enumerate() {
            let text = node
                .map(Node::resolved)
                .filter(|n| matches!(n.value, Value::Map(_)))
                .and_then(|n| n.get(key))
                .map(|v| &v.resolved().value);
            match text {
                Some(Value::String(s)) => join.by_text.entry(Box::from(s.as_str())).or_default(),
                _ => &mut join.others,
            }
            .push(i as u32);
        }
        let join = Rc::new(join);
        self.joins.push((Rc::clone(values), key, Rc::clone(&join)));
        join
    }
}

fn is_map(item: &Item<'_>) -> bool {
    matches!(&item.val, Val::Node(n) if matches!(n.value, Value::Map(_)))
}

/// The key and the right-hand side of a filter body that starts with `key == value`, where
/// `key` is a key of the item and `value` a variable or a literal (the same for every item).
fn keyed(body: &Body) -> Option<(&str, &Expr)> {
    let Some(BodyItem::Disjunction(terms)) = body.items.first() else {
        return None;
    };
    let [term] = terms.as_slice() else {
        return None;
    };
    let TermKind::Clause(clause) = &term.kind else {
        return None;
    };
    if term.negated {
        return None;
    }
    let ClauseOp::Binary {
        negated: false,
        op: BinaryOp::Eq,
        rhs,
    } = &clause.op
    else {
        return None;
    };
    let Expr::Query(Query {
        head: Head::Key(key),
        steps,
        some: false,
        ..
    }) = &clause.lhs
    else {
        return None;
    };
    let constant = match rhs {
        Expr::Query(Query {
            head: Head::Var(_),
            steps,
            ..
        }) => steps.is_empty(),
        Expr::Lit(Lit::String(_), _) => true,
        _ => false,
    };
    (steps.is_empty() && constant).then_some((key.as_str(), rhs))
}
