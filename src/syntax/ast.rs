//! The typed syntax tree of a policy file, as written.
//!
//! Every node has the [`Span`] of its text. Spans are left out of the serialised form, which
//! is what the AST snapshot tests record, so moving text around does not change a snapshot.
//! Each type's doc shows the surface syntax it comes from.

use serde::Serialize;

use crate::source::Span;

/// A name as written, with its span.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Name {
    /// The text.
    pub text: String,
    /// Where.
    #[serde(skip)]
    pub span: Span,
}

/// A whole file: `param`, `let`, `rule` and bare statements, in order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PolicyFile {
    /// Items in source order.
    pub items: Vec<Item>,
}

/// A top-level item.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Item {
    /// `param NAME = literal`
    Param(ParamDecl),
    /// `let NAME = value`
    Let(LetDecl),
    /// `rule NAME … { … }`
    Rule(RuleDecl),
    /// A bare statement; the file's bare statements form the rule `default`.
    Statement(Statement),
}

/// `param high_risk_ports = [22, 3389]`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamDecl {
    /// The name.
    pub name: Name,
    /// The default value.
    pub value: Literal,
    /// The whole declaration.
    #[serde(skip)]
    pub span: Span,
}

/// `let open = rules[ direction == "ingress" ]`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LetDecl {
    /// The name (without `%`).
    pub name: Name,
    /// The value.
    pub value: Operand,
    /// The whole declaration.
    #[serde(skip)]
    pub span: Span,
}

/// `@id("SG011")`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Annotation {
    /// The name after `@`.
    pub name: Name,
    /// The arguments (adjacent strings are joined into one).
    pub args: Vec<Literal>,
    /// The whole annotation.
    #[serde(skip)]
    pub span: Span,
}

/// `@id("X") rule name(params) when condition { body }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleDecl {
    /// Annotations before `rule`.
    pub annotations: Vec<Annotation>,
    /// The rule name.
    pub name: Name,
    /// Parameters of a parameterized rule (`None` for a plain rule).
    pub params: Option<Vec<Name>>,
    /// The `when` condition.
    pub when: Option<Vec<Statement>>,
    /// The body.
    pub body: Block,
    /// The whole rule.
    #[serde(skip)]
    pub span: Span,
}

/// `{ let …  statement  statement }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Block {
    /// `let`s and statements in order.
    pub items: Vec<BlockItem>,
    /// The braces and everything between.
    #[serde(skip)]
    pub span: Span,
}

/// An item of a block.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum BlockItem {
    /// `let x = …`
    Let(LetDecl),
    /// A statement.
    Statement(Statement),
}

/// `a or b or c`: terms joined by `or`. Statements of a block are AND-ed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Statement {
    /// At least one term.
    pub terms: Vec<Term>,
    /// The whole statement.
    #[serde(skip)]
    pub span: Span,
}

/// `[not] body [<< message >>]`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Term {
    /// `not` / `!` before the term.
    pub negated: bool,
    /// What the term is.
    pub body: TermBody,
    /// A custom message.
    pub message: Option<Message>,
    /// The whole term.
    #[serde(skip)]
    pub span: Span,
}

/// The forms a term takes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum TermBody {
    /// `( a or b  c )`
    Group(Block),
    /// `when condition { body }`
    When {
        /// The condition.
        condition: Vec<Statement>,
        /// The body.
        body: Block,
    },
    /// `AWS::EC2::SecurityGroup [when condition] { body }`
    TypeBlock {
        /// The resource type.
        type_name: Name,
        /// An optional condition, checked for each resource.
        condition: Option<Vec<Statement>>,
        /// The body, run for each resource of the type.
        body: Block,
    },
    /// `query { body }`
    QueryBlock {
        /// The values to run the body for.
        query: Query,
        /// The body.
        body: Block,
    },
    /// `lhs op rhs` or `lhs unary_op`
    Clause(Clause),
    /// `rule_name` or `rule_name(arg, …)`
    RuleCall {
        /// The rule.
        name: Name,
        /// Arguments, for a parameterized rule.
        args: Option<Vec<Operand>>,
    },
}

/// `lhs op rhs` or `lhs unary_op`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Clause {
    /// The value tested.
    pub lhs: Operand,
    /// The operator (and right-hand side).
    pub op: ClauseOp,
    /// The whole clause.
    #[serde(skip)]
    pub span: Span,
}

/// The operator of a clause.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ClauseOp {
    /// `[not] EXISTS`, `!EMPTY`, `IS_CIDR`, …
    Unary {
        /// `not`/`!` before the operator.
        negated: bool,
        /// The operator.
        op: UnaryOp,
        /// The operator's text.
        #[serde(skip)]
        span: Span,
    },
    /// `==`, `!=`, `<`, `IN`, `NOT WITHIN`, …
    Binary {
        /// `not`/`!` before the operator (`!=` is its own operator).
        negated: bool,
        /// The operator.
        op: BinaryOp,
        /// The operator's text.
        #[serde(skip)]
        span: Span,
        /// The right-hand side.
        rhs: Operand,
    },
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum UnaryOp {
    /// `EXISTS`
    Exists,
    /// `EMPTY`
    Empty,
    /// `IS_STRING`
    IsString,
    /// `IS_LIST`
    IsList,
    /// `IS_STRUCT`
    IsStruct,
    /// `IS_BOOL`
    IsBool,
    /// `IS_INT`
    IsInt,
    /// `IS_FLOAT`
    IsFloat,
    /// `IS_NULL`
    IsNull,
    /// `IS_CIDR`
    IsCidr,
    /// `IS_PRIVATE`
    IsPrivate,
    /// `IS_INTERNET`
    IsInternet,
    /// `IS_UNKNOWN`: the value could not be worked out (never unknown itself).
    IsUnknown,
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum BinaryOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `IN`
    In,
    /// `WITHIN`
    Within,
    /// `OVERLAPS`
    Overlaps,
}

impl UnaryOp {
    /// The operator as written in upper case.
    pub fn as_str(self) -> &'static str {
        match self {
            UnaryOp::Exists => "EXISTS",
            UnaryOp::Empty => "EMPTY",
            UnaryOp::IsString => "IS_STRING",
            UnaryOp::IsList => "IS_LIST",
            UnaryOp::IsStruct => "IS_STRUCT",
            UnaryOp::IsBool => "IS_BOOL",
            UnaryOp::IsInt => "IS_INT",
            UnaryOp::IsFloat => "IS_FLOAT",
            UnaryOp::IsNull => "IS_NULL",
            UnaryOp::IsCidr => "IS_CIDR",
            UnaryOp::IsPrivate => "IS_PRIVATE",
            UnaryOp::IsInternet => "IS_INTERNET",
            UnaryOp::IsUnknown => "IS_UNKNOWN",
        }
    }
}

impl BinaryOp {
    /// The operator as written (keywords in upper case).
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "IN",
            BinaryOp::Within => "WITHIN",
            BinaryOp::Overlaps => "OVERLAPS",
        }
    }
}

/// A value in a clause, `let` or call: a query, a literal or a function call.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Operand {
    /// `Resources.*`, `%var.x`, `this`
    Query(Query),
    /// `"text"`, `22`, `10.0.0.0/8`, `[1, 2]`, …
    Literal(Literal),
    /// `count(%x)`
    Call(Call),
}

impl Operand {
    /// The operand's span.
    pub fn span(&self) -> Span {
        match self {
            Operand::Query(q) => q.span,
            Operand::Literal(l) => l.span,
            Operand::Call(c) => c.span,
        }
    }
}

/// `name(arg, …)`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Call {
    /// The function.
    pub name: Name,
    /// The arguments.
    pub args: Vec<Operand>,
    /// The whole call.
    #[serde(skip)]
    pub span: Span,
}

/// `[some] head step…`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Query {
    /// `some`: at least one value must satisfy the clause, instead of all.
    pub some: bool,
    /// Where the query starts.
    pub head: QueryHead,
    /// The steps.
    pub steps: Vec<Step>,
    /// The whole query.
    #[serde(skip)]
    pub span: Span,
}

/// Where a query starts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum QueryHead {
    /// `%name`
    Variable(Name),
    /// `this`: the current value.
    This,
    /// `keys`: the keys of the map being filtered.
    Keys,
    /// `Name`: a key of the current value (the template root at rule level).
    Key(Name),
}

/// One step of a query.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Step {
    /// `.Key` or `."quoted key"` or `["quoted key"]`
    Key(Name),
    /// `.*`: every value of a map (or item of a list).
    AllValues,
    /// `[*]`: every item of a list (or value of a map).
    AllItems,
    /// `[3]` or `.3`: one item.
    Index(i64),
    /// `.%var`: the keys named by the variable's values.
    VariableKey(Name),
    /// `[ clauses ]` or `[ name | clauses ]`: the values for which the clauses hold; `name`
    /// is bound to each value's key (or index).
    Filter {
        /// The variable bound to the key or index.
        capture: Option<Name>,
        /// The clauses.
        body: Block,
    },
}

/// A literal value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Literal {
    /// The value.
    pub value: LiteralValue,
    /// Its text.
    #[serde(skip)]
    pub span: Span,
}

/// The literal forms.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum LiteralValue {
    /// `null`
    Null,
    /// `true`, `false`
    Bool(bool),
    /// `22`, `-1`
    Int(i64),
    /// `1.5`
    Float(f64),
    /// `"text"`, `'text'`
    String(String),
    /// `/^sg-[0-9a-f]+$/`
    Regex(String),
    /// `10.0.0.0/8`, `::/0` (stored in canonical form)
    Cidr(String),
    /// `r[1, 1024]`, `r(0, 10]`
    Range(Range),
    /// `[a, b]`
    List(Vec<Literal>),
    /// `{ key: value }`
    Map(Vec<(String, Literal)>),
}

/// A range literal's bounds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Range {
    /// Lower bound.
    pub low: f64,
    /// `[` (inclusive) rather than `(`.
    pub low_inclusive: bool,
    /// Upper bound.
    pub high: f64,
    /// `]` (inclusive) rather than `)`.
    pub high_inclusive: bool,
}

/// `<< text {{query}} >>`: a custom message.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Message {
    /// Text and interpolations in order.
    pub parts: Vec<MessagePart>,
    /// The whole message.
    #[serde(skip)]
    pub span: Span,
}

/// A piece of a custom message.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum MessagePart {
    /// Plain text.
    Text(String),
    /// `{{query}}`: the values of a query, evaluated from the failing value outwards.
    Query(Query),
}
