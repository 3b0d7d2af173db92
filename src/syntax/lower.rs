//! pest pairs → AST: one `lower_<rule>` function per grammar rule.
//!
//! Children are taken through [`Children`], which checks each child's rule and turns a
//! mismatch between grammar and lowering into an internal diagnostic instead of a panic.
//! Problems the grammar cannot express (a CIDR with host bits, a regex that does not compile,
//! an empty range) are reported here at the literal's span; lowering goes on with a
//! placeholder so every such problem in the file is reported at once.

use std::sync::Arc;

use ipnet::IpNet;
use pest::iterators::{Pair, Pairs};

use super::Rule;
use super::ast::*;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::{SourceFile, Span};

mod message;

type Result<T> = std::result::Result<T, Diagnostic>;

struct Lower<'a> {
    file: &'a Arc<SourceFile>,
    diags: &'a mut Diagnostics,
    /// Added to pest offsets (non-zero when lowering text cut out of the file).
    offset: u32,
}

/// Lowers a parsed `policy_file`. Errors go to `diags`; the tree is `None` only when the
/// grammar and the lowering disagree (an internal error).
pub(super) fn lower_policy_file(
    file: &Arc<SourceFile>,
    mut pairs: Pairs<'_, Rule>,
    diags: &mut Diagnostics,
) -> Option<PolicyFile> {
    let mut cx = Lower {
        file,
        diags,
        offset: 0,
    };
    let result = match pairs.next() {
        Some(pair) if pair.as_rule() == Rule::policy_file => cx.policy_file(pair),
        _ => Err(cx.internal(Span::default(), "policy_file")),
    };
    match result {
        Ok(tree) => Some(tree),
        Err(d) => {
            cx.diags.push(d);
            None
        }
    }
}

/// The children of a pair, checked one by one.
struct Children<'i> {
    inner: std::iter::Peekable<Pairs<'i, Rule>>,
    parent: Span,
}

impl<'i> Children<'i> {
    fn next(&mut self) -> Option<Pair<'i, Rule>> {
        self.inner.next()
    }

    fn peek_rule(&mut self) -> Option<Rule> {
        self.inner.peek().map(Pair::as_rule)
    }

    /// The next child if it is `rule`.
    fn take(&mut self, rule: Rule) -> Option<Pair<'i, Rule>> {
        if self.peek_rule() == Some(rule) {
            self.inner.next()
        } else {
            None
        }
    }

    /// The next child, which must be `rule`.
    fn expect(&mut self, cx: &Lower<'_>, rule: Rule) -> Result<Pair<'i, Rule>> {
        match self.inner.next() {
            Some(p) if p.as_rule() == rule => Ok(p),
            Some(p) => Err(cx.internal(cx.span(&p), &format!("{rule:?}"))),
            None => Err(cx.internal(self.parent, &format!("{rule:?}"))),
        }
    }

    /// The next child, whatever it is.
    fn any(&mut self, cx: &Lower<'_>, what: &str) -> Result<Pair<'i, Rule>> {
        self.inner
            .next()
            .ok_or_else(|| cx.internal(self.parent, what))
    }
}

impl Lower<'_> {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.offset + s.start() as u32, self.offset + s.end() as u32)
    }

    fn children<'i>(&self, pair: Pair<'i, Rule>) -> Children<'i> {
        let parent = self.span(&pair);
        Children {
            inner: pair.into_inner().peekable(),
            parent,
        }
    }

    fn internal(&self, span: Span, expected: &str) -> Diagnostic {
        Diagnostic::error(
            Code::Internal,
            self.file,
            span,
            format!("internal error: the parser and its lowering disagree (expected {expected})"),
        )
        .with_help("this is a bug in palisade; please report it with the policy file")
    }

    /// A diagnostic at `span` of this file.
    fn diag(&self, code: Code, span: Span, message: String) -> Diagnostic {
        Diagnostic::error(code, self.file, span, message)
    }

    fn report(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn name(&self, pair: Pair<'_, Rule>) -> Name {
        Name {
            text: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn policy_file(&mut self, pair: Pair<'_, Rule>) -> Result<PolicyFile> {
        let mut items = Vec::new();
        for child in pair.into_inner() {
            let item = match child.as_rule() {
                Rule::param_decl => Item::Param(self.param_decl(child)?),
                Rule::let_decl => Item::Let(self.let_decl(child)?),
                Rule::rule_decl => Item::Rule(self.rule_decl(child)?),
                Rule::statement => Item::Statement(self.statement(child)?),
                Rule::EOI => continue,
                _ => return Err(self.internal(self.span(&child), "a top-level item")),
            };
            items.push(item);
        }
        Ok(PolicyFile { items })
    }

    fn param_decl(&mut self, pair: Pair<'_, Rule>) -> Result<ParamDecl> {
        let span = self.span(&pair);
        let mut c = self.children(pair);
        c.expect(self, Rule::kw_param)?;
        let name = self.name(c.expect(self, Rule::name)?);
        let value = self.literal(c.any(self, "a literal")?)?;
        Ok(ParamDecl { name, value, span })
    }

    fn let_decl(&mut self, pair: Pair<'_, Rule>) -> Result<LetDecl> {
        let span = self.span(&pair);
        let mut c = self.children(pair);
        c.expect(self, Rule::kw_let)?;
        let name = self.name(c.expect(self, Rule::name)?);
        let value = self.operand_inner(c.any(self, "a value")?)?;
        Ok(LetDecl { name, value, span })
    }

    fn annotation(&mut self, pair: Pair<'_, Rule>) -> Result<Annotation> {
        let span = self.span(&pair);
        let mut c = self.children(pair);
        let name = self.name(c.expect(self, Rule::name)?);
        let mut args = Vec::new();
        while let Some(arg) = c.next() {
            args.push(self.annotation_arg(arg)?);
        }
        Ok(Annotation { name, args, span })
    }

    fn annotation_arg(&mut self, pair: Pair<'_, Rule>) -> Result<Literal> {
        let span = self.span(&pair);
        let parts: Vec<Pair<'_, Rule>> = pair.into_inner().collect();
        if parts.len() == 1 || parts.iter().any(|p| p.as_rule() != Rule::string) {
            let mut it = parts.into_iter();
            return match it.next() {
                Some(p) => self.literal(p),
                None => Err(self.internal(span, "an annotation argument")),
            };
        }
        // Adjacent strings join into one: `"a " "b"` is `"a b"`.
        let mut text = String::new();
        for p in parts {
            if let LiteralValue::String(s) = self.literal(p)?.value {
                text.push_str(&s);
            }
        }
        Ok(Literal {
            value: LiteralValue::String(text),
            span,
        })
    }

    fn rule_decl(&mut self, pair: Pair<'_, Rule>) -> Result<RuleDecl> {
        let span = self.span(&pair);
        let mut c = self.children(pair);
        let mut annotations = Vec::new();
        while let Some(a) = c.take(Rule::annotation) {
            annotations.push(self.annotation(a)?);
        }
        c.expect(self, Rule::kw_rule)?;
        let name = self.name(c.expect(self, Rule::name)?);
        let params = c.take(Rule::rule_params).map(|p| {
            p.into_inner()
                .filter(|n| n.as_rule() == Rule::name)
                .map(|n| self.name(n))
                .collect()
        });
        let when = match c.take(Rule::kw_when) {
            Some(_) => Some(self.condition(c.expect(self, Rule::condition)?)?),
            None => None,
        };
        let body = self.block(c.expect(self, Rule::block)?)?;
        Ok(RuleDecl {
            annotations,
            name,
            params,
            when,
            body,
            span,
        })
    }

    fn condition(&mut self, pair: Pair<'_, Rule>) -> Result<Vec<Statement>> {
        let mut statements = Vec::new();
        for d in pair.into_inner() {
            let span = self.span(&d);
            let mut terms = Vec::new();
            for t in d.into_inner() {
                match t.as_rule() {
                    Rule::cond_term | Rule::term => terms.push(self.term(t)?),
                    Rule::kw_or => {}
                    _ => return Err(self.internal(self.span(&t), "a condition term")),
                }
            }
            statements.push(Statement { terms, span });
        }
        Ok(statements)
    }

    fn block(&mut self, pair: Pair<'_, Rule>) -> Result<Block> {
        let span = self.span(&pair);
        let items = self.block_items(pair.into_inner())?;
        Ok(Block { items, span })
    }

    fn block_items(&mut self, pairs: Pairs<'_, Rule>) -> Result<Vec<BlockItem>> {
        self.block_items_iter(pairs)
    }

    fn block_items_iter<'i>(
        &mut self,
        pairs: impl Iterator<Item = Pair<'i, Rule>>,
    ) -> Result<Vec<BlockItem>> {
        let mut items = Vec::new();
        for child in pairs {
            match child.as_rule() {
                Rule::let_decl => items.push(BlockItem::Let(self.let_decl(child)?)),
                Rule::statement => items.push(BlockItem::Statement(self.statement(child)?)),
                _ => return Err(self.internal(self.span(&child), "a statement")),
            }
        }
        Ok(items)
    }

    fn statement(&mut self, pair: Pair<'_, Rule>) -> Result<Statement> {
        let span = self.span(&pair);
        let mut c = self.children(pair);
        let disjunction = c.expect(self, Rule::disjunction)?;
        let mut terms = Vec::new();
        for t in disjunction.into_inner() {
            match t.as_rule() {
                Rule::term => terms.push(self.term(t)?),
                Rule::kw_or => {}
                _ => return Err(self.internal(self.span(&t), "a term")),
            }
        }
        Ok(Statement { terms, span })
    }

    fn term(&mut self, pair: Pair<'_, Rule>) -> Result<Term> {
        let span = self.span(&pair);
        let mut c = self.children(pair);
        let negated = c.take(Rule::negation).is_some();
        let body_pair = c.any(self, "a term")?;
        let body = match body_pair.as_rule() {
            Rule::group => {
                let gspan = self.span(&body_pair);
                TermBody::Group(Block {
                    items: self.block_items(body_pair.into_inner())?,
                    span: gspan,
                })
            }
            Rule::when_block => {
                let mut w = self.children(body_pair);
                w.expect(self, Rule::kw_when)?;
                let condition = self.condition(w.expect(self, Rule::condition)?)?;
                let body = self.block(w.expect(self, Rule::block)?)?;
                TermBody::When { condition, body }
            }
            Rule::type_block => {
                let mut w = self.children(body_pair);
                let type_name = self.name(w.expect(self, Rule::type_name)?);
                let condition = match w.take(Rule::kw_when) {
                    Some(_) => Some(self.condition(w.expect(self, Rule::condition)?)?),
                    None => None,
                };
                let body = self.block(w.expect(self, Rule::block)?)?;
                TermBody::TypeBlock {
                    type_name,
                    condition,
                    body,
                }
            }
            Rule::query_term => {
                let span = self.span(&body_pair);
                let mut w = self.children(body_pair);
                let query = self.query(w.expect(self, Rule::query)?)?;
                match w.take(Rule::block) {
                    Some(block) => TermBody::QueryBlock {
                        query,
                        body: self.block(block)?,
                    },
                    None => {
                        TermBody::Clause(self.clause_rest(Operand::Query(query), &mut w, span)?)
                    }
                }
            }
            Rule::clause => {
                let span = self.span(&body_pair);
                let mut w = self.children(body_pair);
                let lhs = self.operand(w.expect(self, Rule::operand)?)?;
                TermBody::Clause(self.clause_rest(lhs, &mut w, span)?)
            }
            Rule::rule_call => {
                let mut w = self.children(body_pair);
                let name = self.name(w.expect(self, Rule::name)?);
                let args = match w.take(Rule::call_args) {
                    Some(a) => Some(self.call_args(a)?),
                    None => None,
                };
                TermBody::RuleCall { name, args }
            }
            _ => return Err(self.internal(self.span(&body_pair), "a term")),
        };
        let message = match c.take(Rule::message) {
            Some(m) => Some(self.message(m)?),
            None => None,
        };
        Ok(Term {
            negated,
            body,
            message,
            span,
        })
    }

    /// The operator and right-hand side of a clause (of a `clause` or a `query_term`) whose
    /// left-hand side is already lowered.
    fn clause_rest(&mut self, lhs: Operand, c: &mut Children<'_>, span: Span) -> Result<Clause> {
        let op_pair = c.any(self, "an operator")?;
        let op_span = self.span(&op_pair);
        let op_rule = op_pair.as_rule();
        let mut o = self.children(op_pair);
        let negated = o.take(Rule::op_not).is_some();
        let kw = o.any(self, "an operator")?;
        let op = match op_rule {
            Rule::unary_op => {
                let op = match kw.as_rule() {
                    Rule::kw_exists => UnaryOp::Exists,
                    Rule::kw_empty => UnaryOp::Empty,
                    Rule::kw_is_string => UnaryOp::IsString,
                    Rule::kw_is_list => UnaryOp::IsList,
                    Rule::kw_is_struct => UnaryOp::IsStruct,
                    Rule::kw_is_bool => UnaryOp::IsBool,
                    Rule::kw_is_int => UnaryOp::IsInt,
                    Rule::kw_is_float => UnaryOp::IsFloat,
                    Rule::kw_is_null => UnaryOp::IsNull,
                    Rule::kw_is_cidr => UnaryOp::IsCidr,
                    Rule::kw_is_private => UnaryOp::IsPrivate,
                    Rule::kw_is_internet => UnaryOp::IsInternet,
                    Rule::kw_is_unknown => UnaryOp::IsUnknown,
                    _ => return Err(self.internal(op_span, "a unary operator")),
                };
                ClauseOp::Unary {
                    negated,
                    op,
                    span: op_span,
                }
            }
            Rule::binary_op => {
                let op = match kw.as_rule() {
                    Rule::op_eq => BinaryOp::Eq,
                    Rule::op_ne => BinaryOp::Ne,
                    Rule::op_lt => BinaryOp::Lt,
                    Rule::op_le => BinaryOp::Le,
                    Rule::op_gt => BinaryOp::Gt,
                    Rule::op_ge => BinaryOp::Ge,
                    Rule::kw_in => BinaryOp::In,
                    Rule::kw_within => BinaryOp::Within,
                    Rule::kw_overlaps => BinaryOp::Overlaps,
                    _ => return Err(self.internal(op_span, "a binary operator")),
                };
                let rhs = self.operand(c.expect(self, Rule::operand)?)?;
                ClauseOp::Binary {
                    negated,
                    op,
                    span: op_span,
                    rhs,
                }
            }
            _ => return Err(self.internal(op_span, "an operator")),
        };
        Ok(Clause { lhs, op, span })
    }

    fn operand(&mut self, pair: Pair<'_, Rule>) -> Result<Operand> {
        let mut c = self.children(pair);
        let inner = c.any(self, "a value")?;
        self.operand_inner(inner)
    }

    /// A call, literal or query pair (the children of `operand` and the value of `let`).
    fn operand_inner(&mut self, pair: Pair<'_, Rule>) -> Result<Operand> {
        Ok(match pair.as_rule() {
            Rule::call => Operand::Call(self.call(pair)?),
            Rule::query => Operand::Query(self.query(pair)?),
            _ => Operand::Literal(self.literal(pair)?),
        })
    }

    fn call(&mut self, pair: Pair<'_, Rule>) -> Result<Call> {
        let span = self.span(&pair);
        let mut c = self.children(pair);
        let name = self.name(c.expect(self, Rule::name)?);
        let args = self.call_args(c.expect(self, Rule::call_args)?)?;
        Ok(Call { name, args, span })
    }

    fn call_args(&mut self, pair: Pair<'_, Rule>) -> Result<Vec<Operand>> {
        pair.into_inner().map(|a| self.operand(a)).collect()
    }

    fn query(&mut self, pair: Pair<'_, Rule>) -> Result<Query> {
        let span = self.span(&pair);
        let mut c = self.children(pair);
        let some = c.take(Rule::kw_some).is_some();
        let head_pair = c.any(self, "a query")?;
        let head = match head_pair.as_rule() {
            Rule::variable => QueryHead::Variable(self.variable(head_pair)),
            Rule::kw_this => QueryHead::This,
            Rule::kw_keys => QueryHead::Keys,
            Rule::key_name => QueryHead::Key(self.name(head_pair)),
            _ => return Err(self.internal(self.span(&head_pair), "a query start")),
        };
        let mut steps = Vec::new();
        while let Some(step) = c.next() {
            steps.push(match step.as_rule() {
                Rule::all_values => Step::AllValues,
                Rule::all_items => Step::AllItems,
                Rule::index => {
                    let text = step.as_str();
                    match text.parse::<i64>() {
                        Ok(i) => Step::Index(i),
                        Err(_) => {
                            let span = self.span(&step);
                            let d = self
                                .diag(
                                    Code::InvalidLiteral,
                                    span,
                                    format!("index `{text}` is too large"),
                                )
                                .with_label("not a list position")
                                .with_help("list positions are 0, 1, 2, … from the start and -1, -2, … from the end");
                            self.report(d);
                            Step::Index(0)
                        }
                    }
                }
                Rule::variable => Step::VariableKey(self.variable(step)),
                Rule::key_name => Step::Key(self.name(step)),
                Rule::quoted_key => {
                    let span = self.span(&step);
                    let mut q = self.children(step);
                    let s = q.expect(self, Rule::string)?;
                    let text = self.string(s);
                    Step::Key(Name { text, span })
                }
                Rule::filter => {
                    let fspan = self.span(&step);
                    let mut inner = step.into_inner().peekable();
                    let capture = match inner.peek().map(Pair::as_rule) {
                        Some(Rule::filter_capture) => inner
                            .next()
                            .and_then(|c| c.into_inner().next())
                            .map(|n| self.name(n)),
                        _ => None,
                    };
                    let items = self.block_items_iter(inner)?;
                    Step::Filter {
                        capture,
                        body: Block { items, span: fspan },
                    }
                }
                _ => return Err(self.internal(self.span(&step), "a query step")),
            });
        }
        Ok(Query {
            some,
            head,
            steps,
            span,
        })
    }

    fn variable(&self, pair: Pair<'_, Rule>) -> Name {
        let span = self.span(&pair);
        Name {
            text: pair.as_str().trim_start_matches('%').to_string(),
            span,
        }
    }

    fn literal(&mut self, pair: Pair<'_, Rule>) -> Result<Literal> {
        let span = self.span(&pair);
        let text = pair.as_str();
        let value = match pair.as_rule() {
            Rule::kw_null => LiteralValue::Null,
            Rule::kw_true => LiteralValue::Bool(true),
            Rule::kw_false => LiteralValue::Bool(false),
            Rule::int => match text.parse::<i64>() {
                Ok(i) => LiteralValue::Int(i),
                Err(_) => {
                    let d = self
                        .diag(
                            Code::InvalidLiteral,
                            span,
                            format!("`{text}` does not fit in a 64-bit integer"),
                        )
                        .with_label("too large")
                        .with_help(
                            "use a number between -9223372036854775808 and 9223372036854775807",
                        );
                    self.report(d);
                    LiteralValue::Null
                }
            },
            Rule::float => match text.parse::<f64>() {
                Ok(f) if f.is_finite() => LiteralValue::Float(f),
                _ => {
                    let d = self
                        .diag(
                            Code::InvalidLiteral,
                            span,
                            format!("`{text}` is not a finite number"),
                        )
                        .with_label("too large")
                        .with_help("use a smaller number");
                    self.report(d);
                    LiteralValue::Null
                }
            },
            Rule::string => LiteralValue::String(self.string(pair)),
            Rule::regex => self.regex(pair, span),
            Rule::cidr => self.cidr(text, span),
            Rule::range => self.range(pair, span)?,
            Rule::list => {
                let items = pair
                    .into_inner()
                    .map(|p| self.literal(p))
                    .collect::<Result<Vec<_>>>()?;
                LiteralValue::List(items)
            }
            Rule::map => {
                let mut entries = Vec::new();
                for entry in pair.into_inner() {
                    let mut c = self.children(entry);
                    let key = c.any(self, "a key")?;
                    let key = if key.as_rule() == Rule::string {
                        self.string(key)
                    } else {
                        key.as_str().to_string()
                    };
                    let value = self.literal(c.any(self, "a value")?)?;
                    entries.push((key, value));
                }
                LiteralValue::Map(entries)
            }
            _ => return Err(self.internal(span, "a literal")),
        };
        Ok(Literal { value, span })
    }

    /// The text of a string literal with escapes applied. Unknown escapes are kept as written
    /// (so `"\d"` stays `\d`).
    fn string(&mut self, pair: Pair<'_, Rule>) -> String {
        let raw = pair.as_str();
        let body = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
        let mut out = String::with_capacity(body.len());
        let mut chars = body.chars();
        while let Some(ch) = chars.next() {
            if ch != '\\' {
                out.push(ch);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('0') => out.push('\0'),
                Some(c @ ('"' | '\'' | '\\' | '/')) => out.push(c),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        }
        out
    }

    fn regex(&mut self, pair: Pair<'_, Rule>, span: Span) -> LiteralValue {
        let raw = pair.as_str();
        let body = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
        let pattern = body.replace("\\/", "/");
        if let Err(e) = regex::Regex::new(&pattern) {
            let reason = e.to_string();
            let last = reason.lines().last().unwrap_or("").trim().to_string();
            let d = self
                .diag(
                    Code::InvalidRegex,
                    span,
                    format!("invalid regex `/{body}/`"),
                )
                .with_label(last)
                .with_help(
                    "palisade regexes use Rust `regex` syntax (no look-around or back-references)",
                );
            self.report(d);
        }
        LiteralValue::Regex(pattern)
    }

    fn cidr(&mut self, text: &str, span: Span) -> LiteralValue {
        match text.parse::<IpNet>() {
            Ok(net) => {
                let canonical = net.trunc();
                if canonical != net {
                    let d = self
                        .diag(
                            Code::InvalidCidr,
                            span,
                            format!("CIDR `{text}` has host bits set"),
                        )
                        .with_label(format!("the network is `{canonical}`"))
                        .with_help(format!("write `{canonical}`"));
                    self.report(d);
                }
                LiteralValue::Cidr(canonical.to_string())
            }
            Err(_) => {
                let d = self
                    .diag(Code::InvalidCidr, span, format!("`{text}` is not a valid CIDR"))
                    .with_label("not an IPv4 or IPv6 network")
                    .with_help("write a network with a prefix length, e.g. `10.0.0.0/8` or `2001:db8::/32`");
                self.report(d);
                LiteralValue::Null
            }
        }
    }

    fn range(&mut self, pair: Pair<'_, Rule>, span: Span) -> Result<LiteralValue> {
        let mut c = self.children(pair);
        let open = c.expect(self, Rule::range_open)?;
        let low_pair = c.any(self, "a number")?;
        let high_pair = c.any(self, "a number")?;
        let close = c.expect(self, Rule::range_close)?;
        let low = low_pair.as_str().parse::<f64>().unwrap_or(f64::NAN);
        let high = high_pair.as_str().parse::<f64>().unwrap_or(f64::NAN);
        let range = Range {
            low,
            low_inclusive: open.as_str() == "[",
            high,
            high_inclusive: close.as_str() == "]",
        };
        let ordered = matches!(
            low.partial_cmp(&high),
            Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
        );
        let empty = !ordered || (low == high && !(range.low_inclusive && range.high_inclusive));
        if empty {
            let d = self
                .diag(Code::InvalidRange, span, format!("range `{}` is empty", self.file.slice(span)))
                .with_label("no value lies in this range")
                .with_help("write the lower bound first, e.g. `r[1, 1024]`; `[` and `]` include a bound, `(` and `)` exclude it");
            self.report(d);
        }
        Ok(LiteralValue::Range(range))
    }
}
