//! Bodies, terms and clauses: where statuses are combined and findings are made.

use std::sync::Arc;

use super::compare::{self, Truth};
use super::item::{Item, Reason, Val};
use super::{Ctx, Evaluator, FindingStatus, MAX_CALL_DEPTH, Outcome, Status, findings};
use crate::check::ir::{Body, BodyItem, Clause, ClauseOp, Message, Term, TermKind, UnaryOp};

impl<'a> Evaluator<'a> {
    /// Statements of a body, AND-ed; `let`s bind as they are met.
    pub(super) fn body(&mut self, body: &'a Body, ctx: &Ctx<'a>) -> Outcome {
        let mut acc = Outcome::skip();
        for item in &body.items {
            match item {
                BodyItem::Let(var, expr) => {
                    let values = self.expr(expr, ctx);
                    self.bind(*var, values);
                }
                BodyItem::Disjunction(terms) => {
                    let outcome = self.disjunction(terms, ctx);
                    acc = acc.and(outcome);
                }
            }
        }
        acc
    }

    /// Terms joined by `or`: one passing term is enough. When every term failed with exactly
    /// one finding, all about the same resource, the failure is one finding (at the first
    /// term's value) rather than one per term; its message is a term's custom message, or all
    /// the terms' messages.
    fn disjunction(&mut self, terms: &'a [Term], ctx: &Ctx<'a>) -> Outcome {
        let mut outcomes = Vec::with_capacity(terms.len());
        for term in terms {
            let outcome = self.term(term, ctx);
            if outcome.status == Status::Pass {
                return outcome;
            }
            outcomes.push(outcome);
        }
        // One finding per term, all about the same resource: one finding says it all. Findings
        // about different resources stay apart, each where it belongs.
        let resource = outcomes
            .first()
            .and_then(|o| o.findings.first())
            .map(|f| &f.resource);
        let single = outcomes.len() > 1
            && outcomes.iter().all(|o| {
                o.findings.len() == 1 && o.findings.first().map(|f| &f.resource) == resource
            });
        let custom = terms
            .iter()
            .zip(&outcomes)
            .rev()
            .find(|(t, _)| t.message.is_some())
            .and_then(|(_, o)| o.findings.first().map(|f| f.message.clone()));
        let mut acc: Option<Outcome> = None;
        // The messages of a single finding, joined once at the end (joining as they come would
        // copy the text so far once per term).
        let mut messages: Vec<Arc<str>> = Vec::new();
        for outcome in outcomes {
            if single {
                messages.extend(outcome.findings.first().map(|f| Arc::clone(&f.message)));
            }
            acc = Some(match acc {
                None => outcome,
                Some(mut prev) => {
                    prev.status = prev.status.or(outcome.status);
                    if single {
                        if let (Some(first), Some(next)) =
                            (prev.findings.first_mut(), outcome.findings.first())
                        {
                            if next.status == FindingStatus::Unknown {
                                first.status = FindingStatus::Unknown;
                            }
                        }
                    } else {
                        prev.findings.extend(outcome.findings);
                    }
                    if prev.reason.is_none() {
                        prev.reason = outcome.reason;
                    }
                    prev
                }
            });
        }
        let mut outcome = acc.unwrap_or_else(Outcome::skip);
        // The single finding says the custom message of the last term that has one, else
        // every term's message.
        if let (true, Some(first)) = (single, outcome.findings.first_mut()) {
            first.message = custom.unwrap_or_else(|| Arc::from(joined_messages(&messages)));
        }
        outcome
    }

    fn term(&mut self, term: &'a Term, ctx: &Ctx<'a>) -> Outcome {
        let mut outcome = match &term.kind {
            TermKind::Group(body) => self.body(body, ctx),
            TermKind::When { condition, body } => match self.guard(condition, ctx) {
                Some(inner) => self.body(body, &inner),
                None => Outcome::skip(),
            },
            TermKind::Each {
                query,
                condition,
                body,
            } => self.each(query, condition.as_ref(), body, ctx),
            TermKind::Clause(clause) => return self.clause(clause, term.message.as_ref(), ctx),
            TermKind::RuleRef(id) => {
                let outcome = self.memo.get(id.0 as usize).cloned().flatten();
                let outcome = outcome.unwrap_or_else(|| {
                    Outcome::unknown(Reason::from(
                        "a referenced rule was not evaluated (internal error)",
                    ))
                });
                // Inside a `when` whose condition is unknown, a failing rule is in doubt too.
                self.doubted(outcome, ctx)
            }
            TermKind::RuleCall { rule, args } => self.call_rule(*rule, args, ctx),
        };
        if term.negated {
            outcome = match outcome.status {
                Status::Pass => {
                    let mut o = Outcome {
                        status: Status::Fail,
                        findings: Vec::new(),
                        reason: None,
                    };
                    if ctx.collect {
                        let text = self.text(term.span);
                        let message = format!(
                            "`{}` holds, but the rule requires it not to",
                            findings::without_negation(&text)
                        );
                        o.findings
                            .push(self.finding(&ctx.this, FindingStatus::Fail, message, ctx));
                        o = self.doubted(o, ctx);
                    }
                    o
                }
                Status::Fail => Outcome::pass(),
                _ => outcome,
            };
        }
        if let (Some(message), true) = (&term.message, ctx.collect) {
            if !outcome.findings.is_empty() {
                let text: Arc<str> = Arc::from(self.message(message, &ctx.this));
                for f in &mut outcome.findings {
                    f.message = Arc::clone(&text);
                }
            }
        }
        outcome
    }

    /// `query { body }` and type blocks: the body must hold for every selected value.
    fn each(
        &mut self,
        query: &'a crate::check::ir::Query,
        condition: Option<&'a Body>,
        body: &'a Body,
        ctx: &Ctx<'a>,
    ) -> Outcome {
        let items = self.query(query, ctx);
        if query.some {
            return self.each_some(query, items, condition, body, ctx);
        }
        let mut acc = Outcome::skip();
        for item in items {
            if item.is_missing() {
                let o = self.failure(&item, ctx, || {
                    format!("`{}` is missing", self.text(query.span))
                });
                acc = acc.and(o);
                continue;
            }
            let mut inner = Ctx {
                this: item.clone(),
                key: None,
                doubt: ctx.doubt.clone().or_else(|| item.doubt.clone()),
                collect: ctx.collect,
            };
            if let Some(condition) = condition {
                match self.guard(condition, &inner) {
                    Some(guarded) => inner = guarded,
                    None => continue,
                }
            }
            let outcome = self.body(body, &inner);
            acc = acc.and(outcome);
        }
        acc
    }

    /// `some query { body }`: the body must hold for at least one selected value. Failing, it
    /// is one finding at the current value, with the failures of each value left out.
    fn each_some(
        &mut self,
        query: &'a crate::check::ir::Query,
        items: Vec<Item<'a>>,
        condition: Option<&'a Body>,
        body: &'a Body,
        ctx: &Ctx<'a>,
    ) -> Outcome {
        let mut reason: Option<Reason> = None;
        for item in items.into_iter().filter(|i| !i.is_missing()) {
            let inner = Ctx {
                this: item.clone(),
                key: None,
                doubt: None,
                collect: false,
            };
            if let Some(condition) = condition {
                if self.body(condition, &inner).status != Status::Pass {
                    continue;
                }
            }
            let outcome = self.body(body, &inner);
            match (outcome.status, &item.doubt) {
                (Status::Pass, None) => return Outcome::pass(),
                (Status::Pass, Some(doubt)) => {
                    reason.get_or_insert_with(|| doubt.clone());
                }
                (Status::Unknown, _) => {
                    if reason.is_none() {
                        reason = outcome.reason;
                    }
                }
                (Status::Fail | Status::Skip, _) => {}
            }
        }
        if let Some(reason) = reason {
            let mut o = Outcome::unknown(reason.clone());
            if ctx.collect {
                let text = format!(
                    "cannot tell whether some value of `{}` satisfies the block: {reason}",
                    self.text(query.span)
                );
                o.findings
                    .push(self.finding(&ctx.this, FindingStatus::Unknown, text, ctx));
            }
            return o;
        }
        self.failure(&ctx.this, ctx, || {
            format!(
                "no value of `{}` satisfies the block",
                self.text(query.span)
            )
        })
    }

    /// Evaluates a `when` condition: `None` when it does not hold, else the context for what
    /// it guards (carrying the condition's reason when it could not be decided).
    pub(super) fn guard(&mut self, condition: &'a Body, ctx: &Ctx<'a>) -> Option<Ctx<'a>> {
        let held = self.body(
            condition,
            &Ctx {
                collect: false,
                doubt: None,
                ..ctx.clone()
            },
        );
        match held.status {
            Status::Pass => Some(ctx.clone()),
            Status::Fail | Status::Skip => None,
            Status::Unknown => Some(Ctx {
                doubt: ctx.doubt.clone().or(held.reason),
                ..ctx.clone()
            }),
        }
    }

    /// A rule's body behind its `when`: SKIP when the condition does not hold; once it holds,
    /// a body that looked at nothing passes.
    pub(super) fn guarded_rule(
        &mut self,
        rule: &'a crate::check::ir::Rule,
        ctx: &Ctx<'a>,
    ) -> Outcome {
        let inner = match &rule.when {
            Some(when) => match self.guard(when, ctx) {
                Some(inner) => inner,
                None => return Outcome::skip(),
            },
            None => ctx.clone(),
        };
        let mut outcome = self.body(&rule.body, &inner);
        if rule.when.is_some() && outcome.status == Status::Skip {
            outcome.status = Status::Pass;
        }
        outcome
    }

    fn call_rule(
        &mut self,
        rule: crate::check::ir::RuleId,
        args: &'a [crate::check::ir::Expr],
        ctx: &Ctx<'a>,
    ) -> Outcome {
        let program = self.program;
        let Some(r) = program.rule(rule) else {
            return Outcome::unknown(Reason::from("unknown rule (internal error)"));
        };
        if self.depth >= MAX_CALL_DEPTH {
            return Outcome::unknown(Reason::from(format!(
                "rule calls are nested more than {MAX_CALL_DEPTH} deep (at `{}`)",
                r.name
            )));
        }
        let values: Vec<Vec<Item<'a>>> = args.iter().map(|a| self.expr(a, ctx)).collect();
        let saved: Vec<_> = r
            .params
            .iter()
            .zip(values)
            .map(|(var, v)| (*var, self.bind(*var, v)))
            .collect();
        self.depth += 1;
        let caller = self.file;
        self.file = r.file;
        let outcome = self.guarded_rule(r, ctx);
        self.depth -= 1;
        self.file = caller;
        for (var, old) in saved {
            self.restore(var, old);
        }
        outcome
    }

    /// A clause over every value its left-hand side selects (or, with `some`, at least one).
    fn clause(
        &mut self,
        clause: &'a Clause,
        message: Option<&'a Message>,
        ctx: &Ctx<'a>,
    ) -> Outcome {
        let mut lhs = self.expr(&clause.lhs, ctx);
        // `EMPTY` asks whether anything is there: values a filter kept in doubt may not be.
        let doubt = if matches!(
            clause.op,
            ClauseOp::Unary {
                op: UnaryOp::Empty,
                ..
            }
        ) {
            let sure: Vec<Item<'a>> = lhs.iter().filter(|i| i.doubt.is_none()).cloned().collect();
            let reason = lhs.iter().find_map(|i| i.doubt.clone());
            reason.filter(|_| compare::empty(&sure) != compare::empty(&lhs))
        } else {
            None
        };
        if !ctx.collect {
            // In a filter or a condition the candidate's doubt is kept by the caller; here a
            // value that fails, fails.
            for item in &mut lhs {
                item.doubt = None;
            }
        }
        let some = matches!(&clause.lhs, crate::check::ir::Expr::Query(q) if q.some);
        if let ClauseOp::Unary {
            negated,
            op: UnaryOp::Empty,
        } = clause.op
        {
            let mut truth = match doubt {
                Some(reason) => Truth::Unknown(reason),
                None => compare::empty(&lhs),
            };
            if negated {
                truth = truth.not();
            }
            if lhs.is_empty() && truth == Truth::False {
                return self.selects_nothing(clause, message, ctx, "expected");
            }
            let anchor = lhs.first().cloned().unwrap_or_else(|| ctx.this.clone());
            return self.verdict(truth, &anchor, clause, message, ctx);
        }
        if lhs.is_empty() {
            if some {
                return self.selects_nothing(clause, message, ctx, "so no value satisfies");
            }
            return Outcome::skip();
        }
        let prepared = match &clause.op {
            ClauseOp::Binary { op, rhs, .. } => Some(self.prepare(*op, rhs, ctx, lhs.len())),
            ClauseOp::Unary { .. } => None,
        };
        // A missing key fails every test but `EXISTS` (negated or not), as in Guard: a
        // clause about a value that is not there does not hold vacuously.
        let test = |item: &Item<'a>| -> Truth {
            let (t, negated) = match &clause.op {
                ClauseOp::Unary { op, negated } => (compare::unary(item, *op), *negated),
                ClauseOp::Binary { negated, .. } => (
                    // A binary clause always has its right-hand side prepared.
                    prepared.as_ref().map_or(Truth::False, |p| p.test(item)),
                    *negated,
                ),
            };
            let exists = matches!(
                clause.op,
                ClauseOp::Unary {
                    op: UnaryOp::Exists,
                    ..
                }
            );
            match (item.is_missing() && !exists, negated) {
                (true, _) => Truth::False,
                (false, true) => t.not(),
                (false, false) => t,
            }
        };
        if some {
            let mut unknown: Option<Reason> = None;
            for item in &lhs {
                match test(item) {
                    Truth::True if item.doubt.is_none() => return Outcome::pass(),
                    Truth::True => {
                        unknown.get_or_insert_with(|| {
                            item.doubt.clone().unwrap_or_else(|| Reason::from(""))
                        });
                    }
                    Truth::Unknown(r) => {
                        unknown.get_or_insert(r);
                    }
                    Truth::False => {}
                }
            }
            let anchor = ctx.this.clone();
            return match unknown {
                Some(reason) => self.undecided(&anchor, &anchor, clause, message, reason, ctx),
                None => {
                    let o = self.failure(&anchor, ctx, || {
                        format!(
                            "no value of `{}` satisfies `{}`",
                            self.lhs_text(clause),
                            self.rest_text(clause)
                        )
                    });
                    self.with_message(o, message, &anchor, ctx)
                }
            };
        }
        let mut acc = Outcome::skip();
        for item in &lhs {
            let truth = test(item);
            acc = acc.and(self.verdict(truth, item, clause, message, ctx));
        }
        acc
    }

    /// The failure of a clause whose left-hand side selected nothing, at the current value:
    /// "`lhs` selects nothing, {verdict} `op rhs`".
    fn selects_nothing(
        &mut self,
        clause: &'a Clause,
        message: Option<&'a Message>,
        ctx: &Ctx<'a>,
        verdict: &str,
    ) -> Outcome {
        let o = self.failure(&ctx.this, ctx, || {
            format!(
                "`{}` selects nothing, {verdict} `{}`",
                self.lhs_text(clause),
                self.rest_text(clause)
            )
        });
        self.with_message(o, message, &ctx.this, ctx)
    }

    /// The outcome of one tested value.
    fn verdict(
        &mut self,
        truth: Truth,
        item: &Item<'a>,
        clause: &'a Clause,
        message: Option<&'a Message>,
        ctx: &Ctx<'a>,
    ) -> Outcome {
        // A value of the policy (a param's item, a literal) has no place in the template: the
        // finding goes where the clause is checked, the resource of a block. Its message is
        // filled in from the value (`{{this}}`), then from that resource outwards.
        if let Truth::True = truth {
            return Outcome::pass();
        }
        let literal;
        let (at, shown) = match item.val {
            Val::Lit(_) => {
                literal = Item {
                    val: item.val.clone(),
                    path: ctx.this.path.clone(),
                    doubt: item.doubt.clone(),
                };
                (&ctx.this, &literal)
            }
            _ => (item, item),
        };
        match truth {
            Truth::True => Outcome::pass(),
            Truth::Unknown(reason) => self.undecided(at, shown, clause, message, reason, ctx),
            Truth::False => {
                let o = self.failure(at, ctx, || self.default_message(item, clause));
                self.with_message(o, message, shown, ctx)
            }
        }
    }

    /// An unknown outcome at `item`, with its message filled in from `shown`.
    fn undecided(
        &mut self,
        item: &Item<'a>,
        shown: &Item<'a>,
        clause: &'a Clause,
        message: Option<&'a Message>,
        reason: Reason,
        ctx: &Ctx<'a>,
    ) -> Outcome {
        let mut o = Outcome::unknown(reason.clone());
        if ctx.collect {
            let text: Arc<str> = match message {
                Some(m) => explained(&Arc::from(self.message(m, shown)), "unknown", &reason),
                None => Arc::from(format!(
                    "cannot tell whether `{}` holds: {reason}",
                    self.clause_text(clause)
                )),
            };
            o.findings
                .push(self.finding(item, FindingStatus::Unknown, text, ctx));
        }
        o
    }

    /// A failure at `item`; unknown instead when the item or the context is in doubt.
    pub(super) fn failure(
        &self,
        item: &Item<'a>,
        ctx: &Ctx<'a>,
        message: impl FnOnce() -> String,
    ) -> Outcome {
        let mut o = Outcome {
            status: Status::Fail,
            findings: Vec::new(),
            reason: None,
        };
        if ctx.collect {
            o.findings
                .push(self.finding(item, FindingStatus::Fail, message(), ctx));
        }
        if let Some(doubt) = item.doubt.clone() {
            o.status = Status::Unknown;
            o.reason = Some(doubt.clone());
            for f in &mut o.findings {
                f.status = FindingStatus::Unknown;
                f.message = explained(&f.message, "unknown whether it applies", &doubt);
            }
        }
        self.doubted(o, ctx)
    }

    /// Failures inside a `when` whose condition is unknown are unknown.
    fn doubted(&self, mut o: Outcome, ctx: &Ctx<'a>) -> Outcome {
        let Some(doubt) = &ctx.doubt else { return o };
        if o.status == Status::Fail {
            o.status = Status::Unknown;
            o.reason = Some(doubt.clone());
            for f in &mut o.findings {
                if f.status == FindingStatus::Fail {
                    f.status = FindingStatus::Unknown;
                    f.message = explained(&f.message, "unknown whether it applies", doubt);
                }
            }
        }
        o
    }

    fn with_message(
        &mut self,
        mut o: Outcome,
        message: Option<&'a Message>,
        item: &Item<'a>,
        ctx: &Ctx<'a>,
    ) -> Outcome {
        if let (Some(m), true) = (message, ctx.collect) {
            let text = self.message(m, item);
            let text = self.intern(&text);
            for f in &mut o.findings {
                f.message = match f.status {
                    FindingStatus::Fail => Arc::clone(&text),
                    FindingStatus::Unknown => explained(
                        &text,
                        "unknown whether it applies",
                        o.reason.as_deref().unwrap_or(""),
                    ),
                };
            }
        }
        o
    }
}

/// `message (what: reason)`, unless the message already gives the reason (a message that
/// shows the unknown value shows its reason too).
fn explained(message: &Arc<str>, what: &str, reason: &str) -> Arc<str> {
    if reason.is_empty() || message.contains(reason) {
        Arc::clone(message)
    } else {
        Arc::from(format!("{message} ({what}: {reason})"))
    }
}

/// Most term messages a failed disjunction shows; the rest are counted.
const MAX_JOINED: usize = 20;

/// The messages of the failed terms of a disjunction, as one: "a; and b; and c".
fn joined_messages(messages: &[Arc<str>]) -> String {
    let shown = messages.get(..MAX_JOINED).unwrap_or(messages);
    let mut text = shown
        .iter()
        .map(|m| &**m)
        .collect::<Vec<&str>>()
        .join("; and ");
    if messages.len() > shown.len() {
        text.push_str(&format!(
            "; and {} more alternatives failed",
            messages.len() - shown.len()
        ));
    }
    text
}
