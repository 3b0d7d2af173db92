//! Queries: from a head (`this`, a variable, a key) through steps (`.key`, `*`, `[*]`,
//! `[n]`, `.%var`, filters) to the selected items.
//!
//! A key that is not there selects a "missing" marker rather than nothing, so that a clause
//! on it fails (as in Guard) instead of passing vacuously; `*`, `[*]` and filters that select
//! nothing select nothing.

use super::item::{Item, Seg, Val};
use super::{Ctx, Evaluator, Status};
use crate::check::ir::{Expr, Head, Lit, Query, QueryStep};
use crate::template::{Node, Value};

impl<'a> Evaluator<'a> {
    /// The items an expression selects (a literal selects itself; a call its results).
    pub(super) fn expr(&mut self, expr: &'a Expr, ctx: &Ctx<'a>) -> Vec<Item<'a>> {
        match expr {
            Expr::Query(q) => self.query(q, ctx),
            Expr::Lit(lit, _) => vec![Item::lit(lit)],
            Expr::Call { func, args, .. } => self.call(*func, args, ctx),
        }
    }

    /// The items a query selects.
    pub(super) fn query(&mut self, query: &'a Query, ctx: &Ctx<'a>) -> Vec<Item<'a>> {
        let track = std::mem::replace(&mut self.track, ctx.collect);
        let items = self.query_inner(query, ctx);
        self.track = track;
        items
    }

    fn query_inner(&mut self, query: &'a Query, ctx: &Ctx<'a>) -> Vec<Item<'a>> {
        let mut steps = query.steps.iter();
        let mut items = match &query.head {
            // A variable's values are stepped from where they are kept, not copied first
            // (a variable can hold every rule of a large template).
            Head::Var(id) => {
                let values = self.var(*id);
                match steps.next() {
                    Some(step) => match self.joined(*id, &values, step, ctx) {
                        Some(kept) => kept,
                        None => self.step(values.iter().cloned(), step),
                    },
                    None => values.as_ref().clone(),
                }
            }
            Head::This => vec![ctx.this.clone()],
            Head::Keys => ctx.key.iter().cloned().collect(),
            Head::Key(key) => self.key(&ctx.this, key),
            Head::Root(key) => self.key(&Item::document(), key),
        };
        for step in steps {
            items = self.step(items, step);
        }
        items
    }

    fn step(
        &mut self,
        items: impl IntoIterator<Item = Item<'a>, IntoIter: ExactSizeIterator>,
        step: &'a QueryStep,
    ) -> Vec<Item<'a>> {
        let items = items.into_iter();
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if item.is_missing() {
                out.push(item);
                continue;
            }
            match step {
                QueryStep::Key(key) => self.key_into(&item, key, &mut out),
                QueryStep::AllValues | QueryStep::AllItems => {
                    let all_items = matches!(step, QueryStep::AllItems);
                    out.extend(self.children(&item, all_items));
                }
                QueryStep::Index(i) => out.push(index(&item, *i, self.track)),
                QueryStep::VarKey(var) => {
                    let names = self.key_names(*var);
                    if names.is_empty() {
                        // A key taken from a value that is missing is missing too: the query
                        // reaches no value, and a clause on it fails rather than skips.
                        let missing = self.var(*var).iter().find_map(|v| match &v.val {
                            Val::Missing(key) => Some(key.to_string()),
                            _ => None,
                        });
                        if let Some(key) = missing {
                            out.push(item.missing(&key));
                        }
                    }
                    for key in names {
                        self.key_into(&item, &key, &mut out);
                    }
                }
                QueryStep::Filter {
                    body,
                    per_entry,
                    capture,
                } => {
                    self.filter(item, body, *per_entry, *capture, &mut out);
                }
            }
        }
        out
    }

    /// The item reached from `item` by `seg`. Paths are only kept where findings can be made;
    /// elsewhere (filters, conditions) the child shares its parent's path.
    pub(super) fn child(&self, item: &Item<'a>, seg: Seg<'a>, node: &'a Node) -> Item<'a> {
        if self.track {
            item.child(seg, node)
        } else {
            item.sibling(node)
        }
    }

    /// `item.key`: on a map its value (or a missing marker); on a list, the key of each
    /// element; at the document, a model root or a template section.
    pub(super) fn key(&mut self, item: &Item<'a>, key: &str) -> Vec<Item<'a>> {
        let mut out = Vec::with_capacity(1);
        self.key_into(item, key, &mut out);
        out
    }

    /// [`Self::key`], adding to `out` (a query step looks keys up in many items).
    fn key_into(&mut self, item: &Item<'a>, key: &str, out: &mut Vec<Item<'a>>) {
        let found = match &item.val {
            Val::Document => {
                if let Some((name, node)) = self.doc.model.iter().find(|(n, _)| *n == key) {
                    out.push(Item {
                        val: Val::Node(node),
                        path: item.path.push(Seg::ModelRoot(name), Some(node)),
                        doubt: None,
                    });
                    return;
                }
                match self.doc.root.as_map().and_then(|m| m.entry(key)) {
                    Some(e) => self.child(item, Seg::Key(e.key), e.value),
                    None => item.missing(key),
                }
            }
            Val::Node(node) => match &node.value {
                Value::Map(map) => match map.entry(key) {
                    Some(e) => self.child(item, Seg::Key(e.key), e.value),
                    None => item.missing(key),
                },
                Value::List(list) => {
                    for (i, n) in list.iter().enumerate() {
                        let child = self.child(item, Seg::Index(i), n);
                        self.key_into(&child, key, out);
                    }
                    return;
                }
                Value::Ports(p) => {
                    out.extend(port_bound(item, *p, key, node.span));
                    return;
                }
                _ => item.missing(key),
            },
            Val::Owned(node) => match node.get(key) {
                Some(child) => Item::computed(child.clone(), item),
                None => item.missing(key),
            },
            Val::Lit(Lit::Map(entries)) => match entries.iter().find(|(k, _)| k == key) {
                Some((_, lit)) => Item {
                    val: Val::Lit(lit),
                    ..item.clone()
                },
                None => item.missing(key),
            },
            Val::Lit(_) | Val::Missing(_) => item.missing(key),
        };
        out.push(found);
    }

    /// The keys `.%var` names: each scalar value of the variable, and each item of a list
    /// value (so `let names = ["A", "B"]` names two keys, like `Resources.*.Ref` would).
    fn key_names(&mut self, var: crate::check::ir::VarId) -> Vec<String> {
        let values = self.var(var);
        let mut names = Vec::new();
        for value in values.iter() {
            let is_list = match &value.val {
                Val::Lit(lit) => matches!(lit, Lit::List(_)),
                _ => matches!(value.node().map(|n| &n.value), Some(Value::List(_))),
            };
            let items = if is_list {
                self.children(value, true)
            } else {
                vec![value.clone()]
            };
            names.extend(items.iter().filter_map(super::compare::convert::as_text));
        }
        names
    }

    /// `*` and `[*]`: the values of a map, the items of a list. `[*]` on a single value
    /// selects the value itself (CloudFormation often allows one value where a list goes).
    fn children(&mut self, item: &Item<'a>, all_items: bool) -> Vec<Item<'a>> {
        match &item.val {
            Val::Node(node) => match &node.value {
                Value::Map(map) => map
                    .entries()
                    .map(|e| self.child(item, Seg::Key(e.key), e.value))
                    .collect(),
                Value::List(list) => list
                    .iter()
                    .enumerate()
                    .map(|(i, n)| self.child(item, Seg::Index(i), n))
                    .collect(),
                _ if all_items => vec![item.clone()],
                _ => Vec::new(),
            },
            Val::Document => self
                .doc
                .root
                .as_map()
                .map(|m| {
                    m.entries()
                        .map(|e| self.child(item, Seg::Key(e.key), e.value))
                        .collect()
                })
                .unwrap_or_default(),
            Val::Owned(node) => match &node.value {
                Value::Map(map) => map
                    .iter()
                    .map(|(_, v)| Item::computed(v.clone(), item))
                    .collect(),
                Value::List(list) => list
                    .iter()
                    .map(|v| Item::computed(v.clone(), item))
                    .collect(),
                _ if all_items => vec![item.clone()],
                _ => Vec::new(),
            },
            Val::Lit(Lit::List(items)) => items
                .iter()
                .map(|l| Item {
                    val: Val::Lit(l),
                    ..item.clone()
                })
                .collect(),
            Val::Lit(Lit::Map(entries)) => entries
                .iter()
                .map(|(_, l)| Item {
                    val: Val::Lit(l),
                    ..item.clone()
                })
                .collect(),
            Val::Lit(_) if all_items => vec![item.clone()],
            Val::Lit(_) | Val::Missing(_) => Vec::new(),
        }
    }

    /// `[ body ]`: keeps the candidates for which the body holds; those for which it is
    /// unknown are kept with that doubt, so that nothing unknown passes silently.
    fn filter(
        &mut self,
        item: Item<'a>,
        body: &'a crate::check::ir::Body,
        per_entry: bool,
        capture: Option<crate::check::ir::VarId>,
        out: &mut Vec<Item<'a>>,
    ) {
        // The items of a template or model list are tried one at a time, so that a filter
        // over every rule of a large template holds only what it keeps.
        if let Val::Node(node) = &item.val {
            let node: &'a Node = node;
            if let Value::List(list) = &node.value {
                for (i, n) in list.iter().enumerate() {
                    // The body is tried on the item without a path step of its own (nothing
                    // in a filter is reported); only a kept item gets one.
                    let probe = item.sibling(n);
                    // Only a body that reads `keys` or captures the index needs it (then the
                    // filter is per entry).
                    let index = per_entry.then(|| index_item(i, &probe));
                    if let Some(doubt) = self.holds(&probe, index, body, capture) {
                        out.push(self.child(&item, Seg::Index(i), n).with_doubt(doubt));
                    }
                }
                return;
            }
        }
        let candidates: Vec<(Item<'a>, Option<Item<'a>>)> =
            match (item.node().map(|n| &n.value), per_entry) {
                (Some(Value::List(_)), _) => self
                    .children(&item, true)
                    .into_iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let index = index_item(i, &c);
                        (c, Some(index))
                    })
                    .collect(),
                (Some(Value::Map(_)), true) => self.entries(&item),
                _ => vec![(item, None)],
            };
        for (candidate, key) in candidates {
            self.keep_if(candidate, key, body, capture, out);
        }
    }

    /// Adds `candidate` to `out` when `body` holds for it (with `key` as its key or index),
    /// with the doubt when that is unknown.
    pub(super) fn keep_if(
        &mut self,
        candidate: Item<'a>,
        key: Option<Item<'a>>,
        body: &'a crate::check::ir::Body,
        capture: Option<crate::check::ir::VarId>,
        out: &mut Vec<Item<'a>>,
    ) {
        if let Some(doubt) = self.holds(&candidate, key, body, capture) {
            out.push(candidate.with_doubt(doubt));
        }
    }

    /// Whether `body` holds for `candidate` (with `key` as its key or index): `None` when it
    /// does not, else the doubt to keep it with (when the outcome is unknown).
    pub(super) fn holds(
        &mut self,
        candidate: &Item<'a>,
        key: Option<Item<'a>>,
        body: &'a crate::check::ir::Body,
        capture: Option<crate::check::ir::VarId>,
    ) -> Option<Option<super::item::Reason>> {
        #[cfg(test)]
        super::TRIED.with(|n| n.set(n.get() + 1));
        let saved = capture.map(|var| (var, self.bind(var, key.iter().cloned().collect())));
        let inner = Ctx {
            this: candidate.clone(),
            key,
            doubt: None,
            collect: false,
        };
        let outcome = self.body(body, &inner);
        if let Some((var, old)) = saved {
            self.restore(var, old);
        }
        match outcome.status {
            Status::Pass => Some(None),
            Status::Unknown => Some(outcome.reason),
            Status::Fail | Status::Skip => None,
        }
    }

    /// The entries of a map item as (value, key) pairs.
    fn entries(&mut self, item: &Item<'a>) -> Vec<(Item<'a>, Option<Item<'a>>)> {
        match &item.val {
            Val::Node(node) => {
                let node: &'a Node = node;
                let Value::Map(map) = &node.value else {
                    return Vec::new();
                };
                map.entries()
                    .map(|e| {
                        let value = self.child(item, Seg::Key(e.key), e.value);
                        let key = Item::computed(Node::string(e.key, e.key_span), &value);
                        (value, Some(key))
                    })
                    .collect()
            }
            Val::Owned(node) => {
                let Value::Map(map) = &node.value else {
                    return Vec::new();
                };
                map.entries()
                    .map(|e| {
                        let value = Item::computed(e.value.clone(), item);
                        let key = Item::computed(Node::string(e.key, e.key_span), item);
                        (value, Some(key))
                    })
                    .collect()
            }
            _ => Vec::new(),
        }
    }
}

/// `ports.from` and `ports.to` of a port range.
fn port_bound<'a>(
    item: &Item<'a>,
    ports: crate::template::PortRange,
    key: &str,
    span: crate::source::Span,
) -> Vec<Item<'a>> {
    let bound = match key {
        "from" => ports.from,
        "to" => ports.to,
        _ => return vec![item.missing(key)],
    };
    vec![Item::computed(
        Node::new(Value::Int(i64::from(bound)), span),
        item,
    )]
}

/// `[n]`: the n-th item of a list (negative from the end).
fn index<'a>(item: &Item<'a>, i: i64, track: bool) -> Item<'a> {
    let label = format!("[{i}]");
    let pick = |list: &[Node]| {
        let len = list.len() as i64;
        let at = if i < 0 { len + i } else { i };
        usize::try_from(at).ok().filter(|at| *at < list.len())
    };
    match &item.val {
        Val::Node(node) => {
            let node: &'a Node = node;
            match &node.value {
                Value::List(list) => {
                    match pick(list).and_then(|at| list.get(at).map(|n| (at, n))) {
                        Some((at, n)) if track => item.child(Seg::Index(at), n),
                        Some((_, n)) => item.sibling(n),
                        None => item.missing(&label),
                    }
                }
                _ => item.missing(&label),
            }
        }
        Val::Owned(node) => match &node.value {
            Value::List(list) => match pick(list).and_then(|at| list.get(at)) {
                Some(n) => Item::computed(n.clone(), item),
                None => item.missing(&label),
            },
            _ => item.missing(&label),
        },
        _ => item.missing(&label),
    }
}

/// The index of a list item, as the key a filter's capture or `this key` sees.
fn index_item<'a>(i: usize, item: &Item<'a>) -> Item<'a> {
    Item::computed(
        Node::new(Value::Int(i as i64), item.span().unwrap_or_default()),
        item,
    )
}
