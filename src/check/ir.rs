//! The checked form of policies that the evaluator runs.
//!
//! Mirrors the AST, with every name resolved: variables are [`VarId`]s, rule references are
//! [`RuleId`]s, functions are [`Func`]s, type blocks are query blocks, literals are [`Lit`]
//! values with compiled regexes and parsed CIDRs. The evaluator cannot meet an undefined name.

use std::fmt;
use std::sync::Arc;

use ipnet::IpNet;

use super::functions::Func;
use crate::source::{SourceFile, Span};
pub use crate::syntax::ast::{BinaryOp, Range, UnaryOp};

/// Index of a rule in [`Program::rules`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub u32);

/// Index of a variable in [`Program::vars`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarId(pub u32);

/// Index of a file in [`Program::files`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// Checked policies, ready to evaluate.
#[derive(Debug)]
pub struct Program {
    /// The policy files, in load order.
    pub files: Vec<Arc<SourceFile>>,
    /// Every rule, in load order.
    pub rules: Vec<Rule>,
    /// Every variable: file-level `let`s, `param`s, rule parameters and block `let`s.
    pub vars: Vec<Var>,
    /// Rules to evaluate for each template, every rule after the rules it refers to.
    pub order: Vec<RuleId>,
    /// For each rule, the rules it names (references and calls).
    pub deps: Vec<Vec<RuleId>>,
}

impl Program {
    /// The rule with this id.
    pub fn rule(&self, id: RuleId) -> Option<&Rule> {
        self.rules.get(id.0 as usize)
    }

    /// The variable with this id.
    pub fn var(&self, id: VarId) -> Option<&Var> {
        self.vars.get(id.0 as usize)
    }

    /// The file with this id.
    pub fn file(&self, id: FileId) -> Option<&Arc<SourceFile>> {
        self.files.get(id.0 as usize)
    }

    /// The rules that are reported (all but parameterized ones), in load order.
    pub fn reported_rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| !r.parameterized)
    }
}

/// A variable and where its value comes from.
#[derive(Debug)]
pub struct Var {
    /// Its name, without `%`.
    pub name: String,
    /// Where it is defined.
    pub span: Span,
    /// The file it is defined in.
    pub file: FileId,
    /// How it gets its value.
    pub kind: VarKind,
}

/// How a variable gets its value.
#[derive(Debug)]
pub enum VarKind {
    /// A file-level `let`: evaluated once per template, on first use, at the template root.
    FileLet(Expr),
    /// A `param`: a constant (after overrides).
    Param(Lit),
    /// A rule parameter: bound by each call.
    RuleParam,
    /// A `let` inside a rule or block: evaluated where it stands.
    Local,
    /// A built-in variable naming a root of the model (`%rules`, `%security_groups`,
    /// `%attachments`, `%vpcs`).
    Root(&'static str),
}

/// The built-in variables: one per model root.
pub const ROOT_VARIABLES: [&str; 4] = ["security_groups", "rules", "attachments", "vpcs"];

/// How bad a rule's failure is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; never fails a run by default.
    Info,
    /// Low.
    Low,
    /// Medium (the default for rules without `@severity`).
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// All severities, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses a lower-case name.
    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule's annotations.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleMeta {
    /// `@id`, or the rule's name.
    pub id: String,
    /// `@severity`, or medium.
    pub severity: Severity,
    /// `@title`.
    pub title: Option<String>,
    /// `@remediation`.
    pub remediation: Option<String>,
    /// `@rationale`: why it matters.
    pub rationale: Option<String>,
    /// `@tags`.
    pub tags: Vec<String>,
}

/// A checked rule.
#[derive(Debug)]
pub struct Rule {
    /// Its name.
    pub name: String,
    /// The file it is in.
    pub file: FileId,
    /// The span of its name.
    pub name_span: Span,
    /// Annotations.
    pub meta: RuleMeta,
    /// True for a rule with parameters (only run when called).
    pub parameterized: bool,
    /// Parameters, bound by calls.
    pub params: Vec<VarId>,
    /// The `when` condition.
    pub when: Option<Body>,
    /// The body.
    pub body: Body,
}

/// Statements AND-ed together, with `let`s among them.
#[derive(Debug)]
pub struct Body {
    /// In order.
    pub items: Vec<BodyItem>,
    /// The span of the whole body.
    pub span: Span,
}

/// One item of a body.
#[derive(Debug)]
pub enum BodyItem {
    /// `let` of a local variable.
    Let(VarId, Expr),
    /// Terms joined by `or`.
    Disjunction(Vec<Term>),
}

/// A term with its negation and message.
#[derive(Debug)]
pub struct Term {
    /// `not` before it (for clauses this is folded into the operator).
    pub negated: bool,
    /// What it is.
    pub kind: TermKind,
    /// A custom message.
    pub message: Option<Message>,
    /// Its text.
    pub span: Span,
}

/// The forms a term takes.
#[derive(Debug)]
pub enum TermKind {
    /// `( … )`
    Group(Body),
    /// `when condition { body }`
    When {
        /// The condition.
        condition: Body,
        /// The body.
        body: Body,
    },
    /// `query { body }` and type blocks (whose query selects the resources of a type).
    Each {
        /// The values the body runs for.
        query: Query,
        /// A condition checked for each value (type blocks' `when`).
        condition: Option<Body>,
        /// The body.
        body: Body,
    },
    /// A comparison.
    Clause(Clause),
    /// A plain rule used as a clause.
    RuleRef(RuleId),
    /// A parameterized rule called with arguments.
    RuleCall {
        /// The rule.
        rule: RuleId,
        /// The arguments, one per parameter.
        args: Vec<Expr>,
    },
}

/// `lhs op rhs`.
#[derive(Debug)]
pub struct Clause {
    /// The tested value.
    pub lhs: Expr,
    /// The operator.
    pub op: ClauseOp,
    /// The clause's text.
    pub span: Span,
}

/// A clause operator, negation folded in.
#[derive(Debug)]
pub enum ClauseOp {
    /// Unary.
    Unary {
        /// Negated.
        negated: bool,
        /// The operator.
        op: UnaryOp,
    },
    /// Binary.
    Binary {
        /// Negated (`!=` is `Eq` negated).
        negated: bool,
        /// The operator.
        op: BinaryOp,
        /// The right-hand side.
        rhs: Expr,
    },
}

/// A value: query, literal or function call.
#[derive(Debug)]
pub enum Expr {
    /// A query.
    Query(Query),
    /// A literal or a param's value.
    Lit(Lit, Span),
    /// A built-in function call.
    Call {
        /// The function.
        func: Func,
        /// Its arguments.
        args: Vec<Expr>,
        /// The call's text.
        span: Span,
    },
}

impl Expr {
    /// The expression's text span.
    pub fn span(&self) -> Span {
        match self {
            Expr::Query(q) => q.span,
            Expr::Lit(_, span) | Expr::Call { span, .. } => *span,
        }
    }
}

/// A checked query.
#[derive(Debug)]
pub struct Query {
    /// `some` (at least one) instead of all.
    pub some: bool,
    /// Where it starts.
    pub head: Head,
    /// The steps.
    pub steps: Vec<QueryStep>,
    /// Its text.
    pub span: Span,
}

/// Where a query starts.
#[derive(Debug)]
pub enum Head {
    /// A variable's values.
    Var(VarId),
    /// The current value.
    This,
    /// The keys of the map being filtered.
    Keys,
    /// A key of the current value (at rule level: the template root and the model roots).
    Key(String),
    /// A key of the template root, wherever the query stands (type blocks).
    Root(String),
}

/// One query step.
#[derive(Debug)]
pub enum QueryStep {
    /// `.Key`
    Key(String),
    /// `.*`
    AllValues,
    /// `[*]`
    AllItems,
    /// `[n]`
    Index(i64),
    /// `.%var`
    VarKey(VarId),
    /// `[ body ]` or `[ name | body ]`.
    Filter {
        /// The condition.
        body: Body,
        /// Run per entry of a map (rather than on the map as a whole): when the body uses
        /// `keys`, a key is captured, or the map was reached by its key (`Resources[ … ]`, as
        /// in Guard; after `*` or `[*]` each selected map is tested whole).
        per_entry: bool,
        /// The variable bound to each entry's key (or each item's index).
        capture: Option<VarId>,
    },
}

/// A custom message.
#[derive(Debug)]
pub struct Message {
    /// Text and interpolations.
    pub parts: Vec<MessagePart>,
}

/// A piece of a message.
#[derive(Debug)]
pub enum MessagePart {
    /// Text.
    Text(String),
    /// `{{query}}`
    Query(Query),
}

/// A literal value.
#[derive(Clone, Debug)]
pub enum Lit {
    /// `null`
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    String(String),
    /// A compiled regex.
    Regex(Arc<regex::Regex>),
    /// A network.
    Cidr(IpNet),
    /// A range.
    Range(Range),
    /// A list.
    List(Vec<Lit>),
    /// A map.
    Map(Vec<(String, Lit)>),
}

impl Lit {
    /// The type name used in messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Lit::Null => "null",
            Lit::Bool(_) => "bool",
            Lit::Int(_) => "int",
            Lit::Float(_) => "float",
            Lit::String(_) => "string",
            Lit::Regex(_) => "regex",
            Lit::Cidr(_) => "CIDR",
            Lit::Range(_) => "range",
            Lit::List(_) => "list",
            Lit::Map(_) => "map",
        }
    }
}

impl PartialEq for Lit {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Lit::Null, Lit::Null) => true,
            (Lit::Bool(a), Lit::Bool(b)) => a == b,
            (Lit::Int(a), Lit::Int(b)) => a == b,
            (Lit::Float(a), Lit::Float(b)) => a == b,
            (Lit::String(a), Lit::String(b)) => a == b,
            (Lit::Regex(a), Lit::Regex(b)) => a.as_str() == b.as_str(),
            (Lit::Cidr(a), Lit::Cidr(b)) => a == b,
            (Lit::Range(a), Lit::Range(b)) => a == b,
            (Lit::List(a), Lit::List(b)) => a == b,
            (Lit::Map(a), Lit::Map(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for Lit {
    /// The literal as it would be written in a policy.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lit::Null => f.write_str("null"),
            Lit::Bool(b) => write!(f, "{b}"),
            Lit::Int(i) => write!(f, "{i}"),
            Lit::Float(x) => write!(f, "{x}"),
            Lit::String(s) => write!(f, "{s:?}"),
            Lit::Regex(r) => write!(f, "/{}/", r.as_str()),
            Lit::Cidr(n) => write!(f, "{n}"),
            Lit::Range(r) => write!(
                f,
                "r{}{}, {}{}",
                if r.low_inclusive { '[' } else { '(' },
                r.low,
                r.high,
                if r.high_inclusive { ']' } else { ')' }
            ),
            Lit::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Lit::Map(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k:?}: {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}
