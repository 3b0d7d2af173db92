//! Type checks visible in the text: right-hand sides of operators and arguments of
//! built-in functions.

use std::sync::Arc;

use super::{Checker, describe_type, plural};
use crate::check::functions::{FUNCTIONS, Func};
use crate::check::ir::*;
use crate::check::scope::suggest;
use crate::diag::Code;
use crate::source::Span;
use crate::syntax::ast;

impl Checker<'_> {
    /// Type errors visible in the text: the right-hand side of an operator is a literal (or a
    /// param) of a type the operator cannot use.
    pub(super) fn check_rhs(&mut self, op: BinaryOp, rhs: &Expr, op_span: Span) {
        let lit = match rhs {
            Expr::Lit(l, _) => l,
            Expr::Query(q) if q.steps.is_empty() => match &q.head {
                Head::Var(v) => match self.vars.get(v.0 as usize).map(|v| &v.kind) {
                    Some(VarKind::Param(l)) => l,
                    _ => return,
                },
                _ => return,
            },
            _ => return,
        };
        let problem = match op {
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => (!matches!(lit, Lit::Int(_) | Lit::Float(_) | Lit::String(_)))
                .then_some(("compares numbers or strings", "compare with a number, e.g. `ToPort <= 1024`")),
            BinaryOp::In => (!matches!(lit, Lit::List(_) | Lit::Range(_)))
                .then_some(("needs a list or a range", "write `x IN [a, b]` or `x IN r[1, 1024]`; use `==` to compare with one value")),
            BinaryOp::Within | BinaryOp::Overlaps => (!network_or_ports(lit))
                .then_some(("needs CIDRs or ports", "write a CIDR (`10.0.0.0/8`), a port (`22`), a range (`r[0, 1023]`) or a list of them")),
            BinaryOp::Eq | BinaryOp::Ne => None,
        };
        // Numbers beside a CIDR operator are ports: one outside 0-65535 would fail every port.
        let problem = problem.or_else(|| {
            (matches!(op, BinaryOp::Within | BinaryOp::Overlaps) && !ports_in_range(lit)).then_some(
                (
                    "takes ports from 0 to 65535",
                    "write ports and ranges within 0-65535, e.g. `r[1024, 65535]`",
                ),
            )
        });
        if let Some((needs, help)) = problem {
            let d = self
                .err(
                    Code::TypeMismatch,
                    rhs.span(),
                    format!(
                        "`{}` {needs}, but this is {}",
                        op.as_str(),
                        describe_type(lit)
                    ),
                )
                .with_label(format!("{} here", lit.type_name()))
                .with_related(op_span, "operator")
                .with_help(help);
            self.report(d);
        }
    }

    pub(super) fn call(&mut self, call: &ast::Call) -> Expr {
        let args: Vec<Expr> = call.args.iter().map(|a| self.expr(a)).collect();
        let Some(func) = Func::lookup(&call.name.text) else {
            let known: Vec<String> = FUNCTIONS.iter().map(|(_, n, _)| n.to_string()).collect();
            let mut help = suggest(&call.name.text, &known, "functions", "");
            if self.rule_ids.contains_key(&call.name.text) {
                help = format!(
                    "`{}` is a rule; a rule call is a clause on its own, not a value",
                    call.name.text
                );
            }
            let d = self
                .err(
                    Code::UndefinedFunction,
                    call.name.span,
                    format!("unknown function `{}`", call.name.text),
                )
                .with_label("not a built-in function")
                .with_help(help);
            self.report(d);
            return Expr::Lit(Lit::Null, call.span);
        };
        if args.len() != func.arity() {
            let n = func.arity();
            let d = self
                .err(
                    Code::WrongArity,
                    call.span,
                    format!(
                        "`{}` takes {n} argument{}, got {}",
                        func.name(),
                        plural(n),
                        args.len()
                    ),
                )
                .with_label(format!(
                    "{} argument{} given",
                    args.len(),
                    plural(args.len())
                ))
                .with_help(format!("call it as `{}`", func.usage()));
            self.report(d);
            return Expr::Lit(Lit::Null, call.span);
        }
        let args = self.check_call_args(func, args);
        Expr::Call {
            func,
            args,
            span: call.span,
        }
    }

    /// Literal arguments with a fixed meaning: a regex pattern is compiled now, a delimiter
    /// must be a string, substring bounds must be integers.
    pub(super) fn check_call_args(&mut self, func: Func, mut args: Vec<Expr>) -> Vec<Expr> {
        let expect = |index: usize, what: &str, ok: fn(&Lit) -> bool| (index, what.to_string(), ok);
        let checks = match func {
            Func::Join => vec![expect(1, "a string delimiter", |l| {
                matches!(l, Lit::String(_))
            })],
            Func::Substring => vec![
                expect(1, "an integer start", |l| matches!(l, Lit::Int(_))),
                expect(2, "an integer end", |l| matches!(l, Lit::Int(_))),
            ],
            Func::RegexReplace => vec![expect(2, "a string replacement", |l| {
                matches!(l, Lit::String(_))
            })],
            _ => Vec::new(),
        };
        for (index, what, ok) in checks {
            if let Some(Expr::Lit(lit, span)) = args.get(index) {
                if !ok(lit) {
                    let d = self
                        .err(
                            Code::TypeMismatch,
                            *span,
                            format!(
                                "argument {} of `{}` must be {what}, but this is {}",
                                index + 1,
                                func.name(),
                                describe_type(lit)
                            ),
                        )
                        .with_label(format!("{} here", lit.type_name()))
                        .with_help(format!("call it as `{}`", func.usage()));
                    self.report(d);
                }
            }
        }
        if func == Func::RegexReplace {
            if let Some(Expr::Lit(lit, span)) = args.get_mut(1) {
                if let Lit::String(pattern) = lit {
                    match regex::Regex::new(pattern) {
                        Ok(re) => *lit = Lit::Regex(Arc::new(re)),
                        Err(e) => {
                            let reason = e
                                .to_string()
                                .lines()
                                .last()
                                .unwrap_or("")
                                .trim()
                                .to_string();
                            let d = self
                                .err(Code::InvalidRegex, *span, format!("invalid regex `{pattern}`"))
                                .with_label(reason)
                                .with_help("palisade regexes use Rust `regex` syntax (no look-around or back-references)");
                            self.report(d);
                        }
                    }
                }
            }
        }
        args
    }
}

/// False when a port of `lit` (a number, a range, in a list or not) is outside 0-65535.
fn ports_in_range(lit: &Lit) -> bool {
    match lit {
        Lit::Int(i) => (0..=65535).contains(i),
        Lit::Range(r) => {
            let low = r.low >= 0.0 || (!r.low_inclusive && r.low >= -1.0);
            let high = r.high <= 65535.0 || (!r.high_inclusive && r.high <= 65536.0);
            low && high
        }
        Lit::List(items) => items.iter().all(ports_in_range),
        _ => true,
    }
}

fn network_or_ports(lit: &Lit) -> bool {
    match lit {
        Lit::Cidr(_) | Lit::Int(_) | Lit::Range(_) => true,
        Lit::String(s) => s.parse::<ipnet::IpNet>().is_ok(),
        Lit::List(items) => items.iter().all(network_or_ports),
        _ => false,
    }
}
