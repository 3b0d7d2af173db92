//! Diagnostics about policy text: what is wrong, where, and what to do.
//!
//! Produced by `syntax` and `check`, rendered by `render`. Every diagnostic has a stable
//! [`Code`], a position in a [`SourceFile`], a message, and usually a label and help.

use std::fmt;
use std::sync::Arc;

use crate::source::{Position, SourceFile, Span};

/// Stable diagnostic codes, shown in output and pinned by snapshot tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// The text does not follow the grammar.
    Syntax,
    /// Brackets nested too deeply.
    TooDeep,
    /// A CIDR literal is malformed or has host bits set.
    InvalidCidr,
    /// A regex literal does not compile.
    InvalidRegex,
    /// A range literal is empty or has bad bounds.
    InvalidRange,
    /// A number does not fit in 64 bits, or a list index is too large.
    InvalidLiteral,
    /// An interpolation inside a message is not a query.
    InvalidMessage,
    /// A rule reference names no rule.
    UndefinedRule,
    /// A variable names no `let`, `param` or rule parameter in scope.
    UndefinedVariable,
    /// A function name is not a built-in function.
    UndefinedFunction,
    /// A function or parameterized rule is called with the wrong number of arguments.
    WrongArity,
    /// Two rules have the same name.
    DuplicateRule,
    /// A `let`, `param` or rule parameter is defined twice in one scope.
    DuplicateVariable,
    /// Two rules carry the same `@id`.
    DuplicateId,
    /// Rules refer to each other in a cycle.
    RuleCycle,
    /// An operator or function is given a value of the wrong type.
    TypeMismatch,
    /// An annotation is unknown, repeated or has a bad argument.
    InvalidAnnotation,
    /// A `--param-override` names no param or has the wrong type.
    InvalidOverride,
    /// A parameterized rule is used without arguments, or a plain rule with arguments.
    InvalidRuleUse,
    /// A policy file declares no rule (only comments, `let`s or `param`s): it checks nothing.
    NoRules,
    /// The configuration file has an unknown key, a value of the wrong type or an unknown id.
    InvalidConfig,
    /// Something that should not happen; a bug in palisade.
    Internal,
}

impl Code {
    /// The code as shown to users, e.g. `syntax::invalid-cidr`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "syntax::expected",
            Code::TooDeep => "syntax::too-deep",
            Code::InvalidCidr => "syntax::invalid-cidr",
            Code::InvalidRegex => "syntax::invalid-regex",
            Code::InvalidRange => "syntax::invalid-range",
            Code::InvalidLiteral => "syntax::invalid-literal",
            Code::InvalidMessage => "syntax::invalid-message",
            Code::UndefinedRule => "check::undefined-rule",
            Code::UndefinedVariable => "check::undefined-variable",
            Code::UndefinedFunction => "check::undefined-function",
            Code::WrongArity => "check::wrong-arity",
            Code::DuplicateRule => "check::duplicate-rule",
            Code::DuplicateVariable => "check::duplicate-variable",
            Code::DuplicateId => "check::duplicate-id",
            Code::RuleCycle => "check::rule-cycle",
            Code::TypeMismatch => "check::type-mismatch",
            Code::InvalidAnnotation => "check::invalid-annotation",
            Code::InvalidOverride => "check::invalid-override",
            Code::InvalidRuleUse => "check::invalid-rule-use",
            Code::NoRules => "check::no-rules",
            Code::InvalidConfig => "config::invalid",
            Code::Internal => "internal",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// Worth knowing; the policy still runs.
    Warning,
    /// The policy cannot run.
    Error,
}

/// One problem in a policy file.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Error or warning.
    pub level: Level,
    /// What is wrong: lowercase start, no final period, user text in backticks.
    pub message: String,
    /// The file it is in.
    pub file: Arc<SourceFile>,
    /// The primary position.
    pub span: Span,
    /// Text shown under the primary position.
    pub label: Option<String>,
    /// Other positions that explain the problem.
    pub related: Vec<(Span, String)>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `span` in `file`.
    pub fn error(
        code: Code,
        file: &Arc<SourceFile>,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            level: Level::Error,
            message: message.into(),
            file: Arc::clone(file),
            span,
            label: None,
            related: Vec::new(),
            help: None,
        }
    }

    /// Turns the diagnostic into a warning.
    pub fn warning(mut self) -> Self {
        self.level = Level::Warning;
        self
    }

    /// Sets the label under the primary position.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Sets the help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a related position.
    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }

    /// The 1-based position of the primary span.
    pub fn position(&self) -> Position {
        self.file.position(self.span.start)
    }

    /// True for errors (as opposed to warnings).
    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }
}

impl fmt::Display for Diagnostic {
    /// One line: `file:line:col: error[code]: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        write!(
            f,
            "{}:{}: {level}[{}]: {}",
            self.file.name(),
            self.position(),
            self.code,
            self.message
        )
    }
}

/// A collection of diagnostics, kept in the order found.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// An empty collection.
    pub fn new() -> Self {
        Diagnostics(Vec::new())
    }

    /// Adds one.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// Adds many.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// True when at least one is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Iterates in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// Sorts by file, then position, then code, so output is stable.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            (a.file.name(), a.span.start, a.code).cmp(&(b.file.name(), b.span.start, b.code))
        });
    }

    /// Takes the list.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

/// Levenshtein distance over characters.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row.first().copied().unwrap_or(0);
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(0);
            let left = row.get(j).copied().unwrap_or(0);
            let cost = usize::from(ca != *cb);
            let value = (prev + cost).min(above + 1).min(left + 1);
            prev = above;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = value;
            }
        }
    }
    row.last().copied().unwrap_or(0)
}
