//! Checked policies × one template (and its model) → rule outcomes with located findings.
//!
//! Third phase of the pipeline (`syntax → check → eval → report`). Evaluation is
//! three-valued: a comparison with a value palisade could not work out is unknown, never
//! silently true or false. Every rule is evaluated on its own: one rule's trouble never stops
//! the others. Rules run in dependency order, so a rule reference reads a finished outcome.
//!
//! Outcome of a rule:
//! - `SKIP` when its `when` condition does not hold; without a `when`, when every clause of
//!   its body looked at nothing (each query selected no value);
//! - `FAIL` when a clause fails for some value; each failing value is a finding;
//! - `UNKNOWN` when nothing fails but some clause could not be decided;
//! - `PASS` otherwise (a rule whose `when` held and whose clauses looked at nothing passes).

mod compare;
mod findings;
mod functions;
mod item;
mod lookup;
mod parallel;
mod query;
mod terms;

use std::rc::Rc;
use std::sync::Arc;

use crate::check::ir::{BinaryOp, FileId, Program, RuleId, VarId, VarKind};
use crate::hash::HashSet;
use crate::source::{SourceFile, Span};
use crate::template::{Node, Str};
use item::{Item, Reason};

/// Deepest nesting of parameterized rule calls.
pub const MAX_CALL_DEPTH: u32 = 64;

/// File-level `let`s worked out inside one another beyond this depth have the rest of their
/// file's earlier `let`s worked out first, in order (see `Evaluator::earlier_lets`).
const MAX_LET_NESTING: u32 = 32;

/// What policies are evaluated against: the template root and the model's roots.
#[derive(Debug)]
pub struct Document<'a> {
    /// The template's file.
    pub source: &'a SourceFile,
    /// The template root (short tags in long form).
    pub root: &'a Node,
    /// The model's roots by name (`security_groups`, `rules`, `attachments`, `vpcs`), which
    /// queries reach before the template's own keys.
    pub model: &'a [(&'static str, Node)],
}

/// A rule's outcome for one template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    /// Holds.
    Pass,
    /// Does not hold.
    Fail,
    /// Does not apply.
    Skip,
    /// Could not be decided.
    Unknown,
}

impl Status {
    /// `PASS`, `FAIL`, `SKIP` or `UNKNOWN`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
            Status::Unknown => "UNKNOWN",
        }
    }

    /// Parses the upper-case name.
    pub fn parse(text: &str) -> Option<Status> {
        [Status::Pass, Status::Fail, Status::Skip, Status::Unknown]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    /// Both must hold: a failure wins, then unknown, then pass; skip only if both skip.
    fn and(self, other: Status) -> Status {
        use Status::*;
        match (self, other) {
            (Fail, _) | (_, Fail) => Fail,
            (Unknown, _) | (_, Unknown) => Unknown,
            (Pass, _) | (_, Pass) => Pass,
            (Skip, Skip) => Skip,
        }
    }

    /// One must hold: a pass wins, then unknown, then fail; skip only if both skip.
    fn or(self, other: Status) -> Status {
        use Status::*;
        match (self, other) {
            (Pass, _) | (_, Pass) => Pass,
            (Unknown, _) | (_, Unknown) => Unknown,
            (Fail, _) | (_, Fail) => Fail,
            (Skip, Skip) => Skip,
        }
    }
}

/// Whether a finding is a failure or an undecided case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum FindingStatus {
    /// The value fails the rule.
    Fail,
    /// Whether the value fails could not be decided.
    Unknown,
}

/// One failing (or undecided) value, located in the template.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Fail or unknown.
    pub status: FindingStatus,
    /// The template text of the value; `None` for findings about the template as a whole.
    pub span: Option<Span>,
    /// JSON pointer into the template (`/Resources/WebSg/Properties/SecurityGroupIngress/0`).
    pub pointer: String,
    /// Logical id of the resource to change.
    pub resource: Option<Str>,
    /// Logical id (or external id) of the security group concerned.
    pub security_group: Option<Str>,
    /// What the value depends on, if anything (most values depend on nothing: kept apart so
    /// that a finding stays small).
    pub context: Option<Box<Context>>,
    /// What is wrong. Findings of a template share equal messages (a large template has tens
    /// of thousands of findings and a few hundred different messages).
    pub message: Arc<str>,
}

/// The conditions and parameter values a finding's value depends on.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Context {
    /// CloudFormation conditions under which the value exists.
    pub conditions: Option<Vec<(String, bool)>>,
    /// Parameter values the value was worked out with (a model entry that is one of several
    /// variants), as `(parameter, value)`.
    pub assumed: Vec<(String, String)>,
}

impl Context {
    /// The context, or `None` when it says nothing.
    pub fn new(
        conditions: Option<Vec<(String, bool)>>,
        assumed: Vec<(String, String)>,
    ) -> Option<Box<Context>> {
        (conditions.is_some() || !assumed.is_empty()).then(|| {
            Box::new(Context {
                conditions,
                assumed,
            })
        })
    }
}

/// One rule's outcome for one template.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleOutcome {
    /// The rule.
    pub rule: RuleId,
    /// Its status.
    pub status: Status,
    /// Its findings (none for `PASS` and `SKIP`).
    pub findings: Vec<Finding>,
}

/// Evaluates every reported rule (all but parameterized ones) against a document. Outcomes
/// come in the program's rule order.
pub fn evaluate(program: &Program, doc: &Document<'_>) -> Vec<RuleOutcome> {
    evaluate_selected(program, doc, &vec![true; program.rules.len()])
}

/// Evaluates the reported rules marked in `selected` (by rule id), and the rules they refer to
/// only as far as they need them; outcomes of the selected rules come in the program's rule
/// order. On a large template each policy file is evaluated on its own, in parallel (see
/// `parallel`); outcomes do not depend on how.
pub fn evaluate_selected(
    program: &Program,
    doc: &Document<'_>,
    selected: &[bool],
) -> Vec<RuleOutcome> {
    use rayon::prelude::*;
    let shares = parallel::shares(program, doc, selected);
    let mut outcomes: Vec<RuleOutcome> = match shares.as_slice() {
        [one] => evaluate_share(program, doc, one),
        _ => shares
            .par_iter()
            .flat_map_iter(|share| evaluate_share(program, doc, share))
            .collect(),
    };
    outcomes.sort_by_key(|o| o.rule);
    outcomes
}

/// Evaluates the reported rules marked in `share`, and the rules they need.
fn evaluate_share(program: &Program, doc: &Document<'_>, share: &[bool]) -> Vec<RuleOutcome> {
    let needed = parallel::needed(program, share);
    let mut ev = Evaluator {
        program,
        doc,
        bindings: vec![None; program.vars.len()],
        memo: vec![None; program.rules.len()],
        depth: 0,
        lets: 0,
        file: FileId(0),
        track: true,
        indexes: Vec::new(),
        joins: Vec::new(),
        messages: HashSet::default(),
    };
    for &id in &program.order {
        if !needed.get(id.0 as usize).copied().unwrap_or(false) {
            continue;
        }
        let mut outcome = ev.rule(id);
        // Custom messages are shared as they are made; default ones here.
        for f in &mut outcome.findings {
            f.message = ev.intern(&f.message);
        }
        // Findings were gathered by doubling; kept until the report, they take their own size.
        outcome.findings = crate::template::value::exact(outcome.findings).into_vec();
        if let Some(slot) = ev.memo.get_mut(id.0 as usize) {
            *slot = Some(outcome);
        }
    }
    program
        .rules
        .iter()
        .enumerate()
        .filter(|(i, r)| !r.parameterized && share.get(*i).copied().unwrap_or(false))
        .map(|(i, _)| {
            let mut outcome = ev
                .memo
                .get_mut(i)
                .and_then(Option::take)
                .unwrap_or_else(|| {
                    Outcome::unknown(Reason::from("the rule was not evaluated (internal error)"))
                });
            outcome.findings = dedup(std::mem::take(&mut outcome.findings));
            // A failing or undecided rule always has something to show for it.
            if matches!(outcome.status, Status::Fail | Status::Unknown)
                && outcome.findings.is_empty()
            {
                let reason = outcome
                    .reason
                    .as_deref()
                    .unwrap_or("the rule does not hold");
                outcome.findings.push(Finding {
                    status: match outcome.status {
                        Status::Fail => FindingStatus::Fail,
                        _ => FindingStatus::Unknown,
                    },
                    span: None,
                    pointer: String::new(),
                    resource: None,
                    security_group: None,
                    context: None,
                    message: Arc::from(reason),
                });
            }
            RuleOutcome {
                rule: RuleId(i as u32),
                status: outcome.status,
                findings: outcome.findings,
            }
        })
        .collect()
}

/// One finding per failing value, security group and message; an undecided value is reported
/// once per group, and not at all where the same value also fails for that group. (A rule whose
/// `GroupId` is `!If [C, !Ref A, !Ref B]` is one value of two groups: a finding for each, so
/// that a suppression on `A` does not hide what the rule opens on `B`.) The findings kept are
/// moved to an allocation of their exact size: they stay until the report is made.
fn dedup(findings: Vec<Finding>) -> Vec<Finding> {
    let keep: Vec<bool> = {
        let failing: crate::hash::HashSet<(Option<Span>, &str, &str)> = findings
            .iter()
            .filter(|f| f.status == FindingStatus::Fail)
            .map(|f| (f.span, f.pointer.as_str(), group(f)))
            .collect();
        let mut seen = crate::hash::HashSet::default();
        findings
            .iter()
            .map(|f| match f.status {
                FindingStatus::Fail => {
                    seen.insert((f.span, f.pointer.as_str(), group(f), &*f.message, true))
                }
                FindingStatus::Unknown => {
                    !failing.contains(&(f.span, f.pointer.as_str(), group(f)))
                        && seen.insert((f.span, f.pointer.as_str(), group(f), "", false))
                }
            })
            .collect()
    };
    let kept: Vec<Finding> = findings
        .into_iter()
        .zip(keep)
        .filter_map(|(f, k)| k.then_some(f))
        .collect();
    crate::template::value::exact(kept).into_vec()
}

/// The security group a finding is about, for [`dedup`] (empty for none).
fn group(f: &Finding) -> &str {
    f.security_group.as_deref().unwrap_or_default()
}

/// The result of evaluating part of a rule.
#[derive(Clone, Debug)]
struct Outcome {
    status: Status,
    findings: Vec<Finding>,
    /// Why the status is unknown (the first reason met).
    reason: Option<Reason>,
}

impl Outcome {
    fn skip() -> Self {
        Outcome {
            status: Status::Skip,
            findings: Vec::new(),
            reason: None,
        }
    }

    fn pass() -> Self {
        Outcome {
            status: Status::Pass,
            ..Outcome::skip()
        }
    }

    fn unknown(reason: Reason) -> Self {
        Outcome {
            status: Status::Unknown,
            findings: Vec::new(),
            reason: Some(reason),
        }
    }

    fn and(mut self, other: Outcome) -> Self {
        self.status = self.status.and(other.status);
        if self.findings.is_empty() {
            self.findings = other.findings;
        } else {
            self.findings.extend(other.findings);
        }
        if self.reason.is_none() {
            self.reason = other.reason;
        }
        self
    }
}

/// Where evaluation stands.
#[derive(Clone, Debug)]
struct Ctx<'a> {
    /// The current value (`this`).
    this: Item<'a>,
    /// The current key, inside a filter that runs per map entry.
    key: Option<Item<'a>>,
    /// Set inside a `when` whose condition is unknown: failures there are unknown too.
    doubt: Option<Reason>,
    /// False where findings are not needed (filters and conditions).
    collect: bool,
}

/// A variable's values, shared.
type Values<'a> = Rc<Vec<Item<'a>>>;

// For tests: when set, long right-hand sides and filters are not indexed (to compare with a
// plain scan); how many filter candidates have been tried on this thread, and how many
// answers came from an index.
#[cfg(test)]
thread_local! {
    static SCAN_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static TRIED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    static INDEXED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts an answer given by an index (tests check that the index is used).
fn count_indexed() {
    #[cfg(test)]
    INDEXED.with(|n| n.set(n.get() + 1));
}

/// Whether long right-hand sides and filters are indexed (always, outside tests).
fn indexing() -> bool {
    #[cfg(test)]
    {
        !SCAN_ONLY.with(std::cell::Cell::get)
    }
    #[cfg(not(test))]
    {
        true
    }
}

struct Evaluator<'a> {
    program: &'a Program,
    doc: &'a Document<'a>,
    /// Current values of variables; file-level `let`s are filled on first use.
    bindings: Vec<Option<Rc<Vec<Item<'a>>>>>,
    /// Outcomes of rules evaluated so far.
    memo: Vec<Option<Outcome>>,
    /// Current depth of parameterized rule calls.
    depth: u32,
    /// File-level `let`s being worked out, one inside the other.
    lets: u32,
    /// The policy file whose text is being evaluated (for quoting it in messages).
    file: FileId,
    /// Whether queries keep the path of what they select (only where findings are made).
    track: bool,
    /// Indexes of right-hand sides that are the same for the whole template (a file-level
    /// `let` or a model root), by values and operator; `None` for values that cannot be
    /// indexed (see `lookup`).
    indexes: Vec<(Values<'a>, BinaryOp, Option<Rc<compare::Index>>)>,
    /// The same for filters that start with `key == value` (see `lookup`), by values and key.
    joins: Vec<(Values<'a>, &'a str, Rc<lookup::Join>)>,
    /// One copy of each message: a large template has tens of thousands of findings and a few
    /// hundred different messages, and findings share them from the start.
    messages: HashSet<Arc<str>>,
}

impl Evaluator<'_> {
    /// The shared copy of `text`.
    fn intern(&mut self, text: &str) -> Arc<str> {
        match self.messages.get(text) {
            Some(shared) => Arc::clone(shared),
            None => {
                let shared: Arc<str> = Arc::from(text);
                self.messages.insert(Arc::clone(&shared));
                shared
            }
        }
    }
}

impl<'a> Evaluator<'a> {
    fn root_ctx(&self) -> Ctx<'a> {
        Ctx {
            this: Item::document(),
            key: None,
            doubt: None,
            collect: true,
        }
    }

    fn rule(&mut self, id: RuleId) -> Outcome {
        let program = self.program;
        let Some(rule) = program.rule(id) else {
            return Outcome::unknown(Reason::from("unknown rule (internal error)"));
        };
        self.file = rule.file;
        let ctx = self.root_ctx();
        self.guarded_rule(rule, &ctx)
    }

    /// The values of a variable.
    fn var(&mut self, id: VarId) -> Rc<Vec<Item<'a>>> {
        if let Some(Some(values)) = self.bindings.get(id.0 as usize) {
            return Rc::clone(values);
        }
        let program = self.program;
        let values = match program.var(id).map(|v| &v.kind) {
            Some(VarKind::Param(lit)) => Rc::new(vec![Item::lit(lit)]),
            Some(VarKind::Root(name)) => {
                let track = std::mem::replace(&mut self.track, true);
                let values = self.key(&Item::document(), name);
                self.track = track;
                Rc::new(values)
            }
            Some(VarKind::FileLet(expr)) => {
                if self.lets >= MAX_LET_NESTING {
                    self.earlier_lets(id);
                }
                let ctx = self.root_ctx();
                let caller = self.file;
                self.file = program.var(id).map_or(caller, |v| v.file);
                self.lets += 1;
                let values = Rc::new(self.expr(expr, &ctx));
                self.lets -= 1;
                self.file = caller;
                values
            }
            _ => Rc::new(Vec::new()),
        };
        if let Some(slot) = self.bindings.get_mut(id.0 as usize) {
            *slot = Some(Rc::clone(&values));
        }
        values
    }

    /// Evaluates the file-level `let`s declared before `id` in its file, in order. A `let`
    /// names only earlier ones, so each finds those it names done: a long chain of `let`s
    /// naming `let`s is worked out without going deeper.
    fn earlier_lets(&mut self, id: VarId) {
        let program = self.program;
        let Some(file) = program.var(id).map(|v| v.file) else {
            return;
        };
        let outer = std::mem::replace(&mut self.lets, 0);
        for (i, var) in program.vars.iter().enumerate().take(id.0 as usize) {
            if var.file == file && matches!(var.kind, VarKind::FileLet(_)) {
                self.var(VarId(i as u32));
            }
        }
        self.lets = outer;
    }

    fn bind(&mut self, id: VarId, values: Vec<Item<'a>>) -> Option<Rc<Vec<Item<'a>>>> {
        self.bindings
            .get_mut(id.0 as usize)
            .and_then(|slot| slot.replace(Rc::new(values)))
    }

    fn restore(&mut self, id: VarId, old: Option<Rc<Vec<Item<'a>>>>) {
        if let Some(slot) = self.bindings.get_mut(id.0 as usize) {
            *slot = old;
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_index;
